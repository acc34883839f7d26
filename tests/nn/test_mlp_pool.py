import pytest
import torch

from gnnlib.nn import MLP, global_pool


def test_mlp_shapes_and_plain_last():
    mlp = MLP([5, 16, 3], norm="batch", dropout=0.2)
    assert mlp(torch.randn(10, 5)).shape == (10, 3)
    assert len(mlp.acts) == 1 and (mlp.in_channels, mlp.out_channels) == (5, 3)
    assert len(MLP([5, 16, 3], plain_last=False).acts) == 2
    with pytest.raises(ValueError, match="at least"):
        MLP([5])
    with pytest.raises(ValueError, match="unknown norm"):
        MLP([5, 3, 2], norm="group")


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_global_pool_matches_per_graph_reduction(reduce):
    x = torch.randn(7, 4)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2])
    out = global_pool(x, batch, reduce)
    for g in range(3):
        part = x[batch == g]
        expected = {"sum": part.sum(0), "mean": part.mean(0), "max": part.max(0)[0]}[reduce]
        assert torch.allclose(out[g], expected)
    assert torch.allclose(
        global_pool(x, None, reduce)[0], global_pool(x, torch.zeros(7).long(), reduce)[0]
    )
    with pytest.raises(ValueError, match="unknown pooling"):
        global_pool(x, batch, "median")
