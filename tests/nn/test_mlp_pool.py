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


@pytest.mark.parametrize("norm", ["none", "layer"])
def test_mlp_matches_its_update_rule_in_train_and_eval(norm):
    torch.manual_seed(0)
    mlp, x = MLP([5, 16, 3], norm=norm, dropout=0.5), torch.randn(10, 5)
    lin0, lin1, norm0 = mlp.lins[0], mlp.lins[1], mlp.norms[0]
    mlp.eval()
    assert torch.allclose(mlp(x), lin1(torch.relu(norm0(lin0(x)))))
    mlp.train()
    torch.manual_seed(1)
    out = mlp(x)
    torch.manual_seed(1)
    hidden = torch.nn.functional.dropout(torch.relu(norm0(lin0(x))), 0.5, training=True)
    assert torch.allclose(out, lin1(hidden))
    assert not torch.allclose(out, mlp.eval()(x))  # dropout acts in training only


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


def test_feature_dropout_matches_dropout_in_distribution():
    from gnnlib.nn import feature_dropout

    torch.manual_seed(0)
    x = (torch.rand(400, 300) < 0.05).float() * torch.rand(400, 300)
    out = feature_dropout(x, 0.5)
    assert torch.all((out == 0) | torch.isclose(out, 2 * x))  # kept entries scaled by 1/(1-p)
    assert (out[x == 0] == 0).all()
    kept = (out != 0).sum() / (x != 0).sum()
    assert 0.45 < kept < 0.55
    expectation = torch.stack([feature_dropout(x, 0.5) for _ in range(200)]).mean(0)
    assert torch.allclose(expectation.sum(), x.sum(), rtol=0.02)
    assert feature_dropout(x, 0.5, training=False) is x
    dense = torch.rand(50, 20) + 0.1
    assert ((feature_dropout(dense, 0.3) == 0).float().mean() - 0.3).abs() < 0.1
