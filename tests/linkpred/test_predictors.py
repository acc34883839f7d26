import pytest
import torch

from gnnlib.linkpred import (
    PREDICTORS,
    CNPredictor,
    GAEPredictor,
    NCN2Predictor,
    NCNCPredictor,
    NCNDiffPredictor,
    NCNPredictor,
    build_predictor,
)

F = 8

# Every option that changes the architecture or the forward path, on at least once.
CONFIGS = [
    (GAEPredictor, {"layer_norm": True, "tail_act": True, "two_layer_lin": True}),
    (CNPredictor, {"layer_norm": True, "cn_max": 2, "edge_dropout": 0.2}),
    (NCNPredictor, {"use_xlin": True, "tail_act": True, "edge_dropout": 0.2}),
    (NCNPredictor, {"layer_norm": True, "two_layer_lin": True, "cn_max": 2, "beta": 0.5}),
    (NCNDiffPredictor, {"use_xlin": True, "layer_norm": True, "edge_dropout": 0.2, "cn_max": 2}),
    (NCN2Predictor, {"use_xlin": True, "layer_norm": True, "edge_dropout": 0.2, "cn_max": 2}),
    (
        NCNCPredictor,
        {"use_xlin": True, "layer_norm": True, "edge_dropout": 0.2, "train_res_max": 2},
    ),
    (NCNCPredictor, {"learnable_pt": True, "depth": 2, "split_size": 64, "test_res_max": 3}),
]
IDS = [f"{cls.__name__}-{'-'.join(options)}" for cls, options in CONFIGS]


def _states(graph, seed=0):
    return torch.randn(graph.num_nodes, F, generator=torch.Generator().manual_seed(seed))


def _mlp_inputs(predictor, names, *args):
    """Run the predictor and capture what each of its MLPs ``names`` receives."""
    captured = {name: [] for name in names}
    handles = [
        getattr(predictor, name).register_forward_pre_hook(
            lambda _, inputs, name=name: captured[name].append(inputs[0])
        )
        for name in names
    ]
    try:
        predictor(*args)
    finally:
        for handle in handles:
            handle.remove()
    return [captured[name][-1] for name in names]


def _cn_mlp_input(predictor, *args):
    """What the common-neighbour MLP receives."""
    return _mlp_inputs(predictor, ("cn_mlp",), *args)[0]


@pytest.mark.parametrize(("cls", "options"), CONFIGS, ids=IDS)
def test_forward_backward_shapes(cls, options, graph):
    torch.manual_seed(0)
    predictor = cls(F, F, dropout=0.1, **options)
    x = _states(graph).requires_grad_()
    logits = predictor(x, graph.adj, graph.tar)
    assert logits.shape == (graph.tar.size(1),) and torch.isfinite(logits).all()
    logits.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for name, parameter in predictor.named_parameters():
        assert parameter.grad is not None, name
    predictor.eval()
    with torch.no_grad():
        assert predictor(x, graph.adj, graph.tar[:, :0]).shape == (0,)


@pytest.mark.parametrize(("cls", "options"), CONFIGS, ids=IDS)
def test_saved_and_loaded_predictor_scores_identically(cls, options, graph, tmp_path):
    torch.manual_seed(0)
    predictor = cls(F, F, dropout=0.1, **options).eval()
    x = _states(graph)

    def score(model):
        torch.manual_seed(2)  # cn_max and test_res_max subsample in evaluation too
        return model(x, graph.adj, graph.tar)

    expected = score(predictor)
    torch.save(predictor.state_dict(), tmp_path / "predictor.pt")
    torch.manual_seed(1)
    loaded = cls(F, F, dropout=0.1, **options).eval()
    assert not torch.equal(score(loaded), expected)
    loaded.load_state_dict(torch.load(tmp_path / "predictor.pt", weights_only=True))
    assert torch.equal(score(loaded), expected)


@pytest.mark.parametrize(
    "cls",
    [GAEPredictor, CNPredictor, NCNPredictor, NCNDiffPredictor, NCN2Predictor, NCNCPredictor],
)
def test_input_width_may_differ_from_the_hidden_width(cls, graph):
    options = {"learnable_pt": True} if cls is NCNCPredictor else {}
    predictor = cls(5, F, **options)
    x = torch.randn(graph.num_nodes, 5)
    assert predictor(x, graph.adj, graph.tar).shape == (graph.tar.size(1),)


def test_training_mode_is_reproducible_under_a_seed(graph):
    predictor = NCNCPredictor(F, F, dropout=0.3, edge_dropout=0.3, train_res_max=2)
    x = _states(graph)
    torch.manual_seed(4)
    first = predictor(x, graph.adj, graph.tar)
    torch.manual_seed(4)
    assert torch.equal(predictor(x, graph.adj, graph.tar), first)
    assert not torch.equal(predictor(x, graph.adj, graph.tar), first)


def test_ncn_pools_node_states_over_common_neighbours(graph):
    predictor = NCNPredictor(F, F).eval()
    x = _states(graph)
    pooled = _cn_mlp_input(predictor, x, graph.adj, graph.tar)
    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        members = sorted(graph.neighbours[i] & graph.neighbours[j])
        assert torch.allclose(pooled[b], x[members].sum(0), atol=1e-6)


def test_ncn_diff_pools_the_one_sided_neighbourhoods(graph):
    predictor = NCNDiffPredictor(F, F).eval()
    x = _states(graph)
    pooled_cn, pooled_extra = _mlp_inputs(
        predictor, ("cn_mlp", "extra_mlp"), x, graph.adj, graph.tar
    )
    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        common = sorted(graph.neighbours[i] & graph.neighbours[j])
        one_sided = sorted(graph.neighbours[i] ^ graph.neighbours[j])
        assert torch.allclose(pooled_cn[b], x[common].sum(0), atol=1e-6)
        assert torch.allclose(pooled_extra[b], x[one_sided].sum(0), atol=1e-6)


def test_ncn2_pools_the_overlaps_of_one_and_two_hop_neighbourhoods(graph):
    predictor = NCN2Predictor(F, F).eval()
    x = _states(graph)
    pooled_cn, pooled_extra = _mlp_inputs(
        predictor, ("cn_mlp", "extra_mlp"), x, graph.adj, graph.tar
    )
    nb, two_hop = graph.neighbours, graph.two_hop_neighbours
    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        common = sorted(nb[i] & nb[j])
        second_order = sorted(nb[i] & two_hop[j]) + sorted(two_hop[i] & nb[j])
        assert torch.allclose(pooled_cn[b], x[common].sum(0), atol=1e-6)
        assert torch.allclose(pooled_extra[b], x[second_order].sum(0), atol=1e-5)


def test_gae_plus_cn_reads_the_common_neighbour_count(graph):
    predictor = CNPredictor(F, F).eval()
    count = _cn_mlp_input(predictor, _states(graph), graph.adj, graph.tar)
    expected = [len(graph.neighbours[i] & graph.neighbours[j]) for i, j in graph.tar.t().tolist()]
    assert torch.equal(count.squeeze(1), torch.tensor(expected, dtype=torch.float32))


def test_gae_reads_only_the_pair_states(graph):
    predictor = GAEPredictor(F, F).eval()
    x = _states(graph)
    assert torch.equal(predictor(x, None, graph.tar), predictor(x, graph.adj, graph.tar))


def _ncn_and_ncnc(**ncnc_options):
    torch.manual_seed(0)
    ncn = NCNPredictor(F, F, dropout=0.2, layer_norm=True, use_xlin=True).eval()
    ncnc = NCNCPredictor(F, F, dropout=0.2, layer_norm=True, use_xlin=True, **ncnc_options)
    missing, unexpected = ncnc.load_state_dict(ncn.state_dict(), strict=False)
    assert sorted(missing) == ["alpha", "offset", "pt", "scale"] and not unexpected
    return ncn, ncnc.eval()


def test_ncnc_with_completion_probability_zero_equals_ncn(graph):
    x = _states(graph)
    ncn, ncnc = _ncn_and_ncnc(alpha=0.0)
    assert torch.allclose(ncnc(x, graph.adj, graph.tar), ncn(x, graph.adj, graph.tar), atol=1e-6)
    _, depth_zero = _ncn_and_ncnc(depth=0)
    assert torch.equal(depth_zero(x, graph.adj, graph.tar), ncn(x, graph.adj, graph.tar))


def test_ncnc_completes_common_neighbours_with_calibrated_ncn_probabilities(graph):
    x = _states(graph)
    alpha, scale, offset, pt = 0.8, 4.0, -1.0, 0.7
    ncn, ncnc = _ncn_and_ncnc(alpha=alpha, scale=scale, offset=offset, pt=pt)
    pooled = _cn_mlp_input(ncnc, x, graph.adj, graph.tar)
    h = x + ncn.node_mlp(x)
    nb = graph.neighbours

    # p[u, k] for every pair at once; the inner model sees the transformed states, as
    # in the official recursion.
    n = graph.num_nodes
    every_pair = torch.cartesian_prod(torch.arange(n), torch.arange(n)).t()
    p0 = torch.sigmoid(scale * (ncn(h, graph.adj, every_pair).view(n, n) - offset))
    p = alpha * pt * p0 / (pt * p0 + 1 - p0)

    def weighted_sum(endpoint, candidates):
        candidates = sorted(candidates)
        return (p[endpoint, candidates].unsqueeze(1) * h[candidates]).sum(0)

    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        expected = (
            h[sorted(nb[i] & nb[j])].sum(0)
            + weighted_sum(i, nb[j] - nb[i])
            + weighted_sum(j, nb[i] - nb[j])
        )
        assert torch.allclose(pooled[b], expected, atol=1e-5), (i, j)
    assert not torch.allclose(pooled, _cn_mlp_input(ncn, x, graph.adj, graph.tar))


def test_ncnc_chunking_and_learnable_pt(graph):
    x = _states(graph)
    _, whole = _ncn_and_ncnc(depth=2)
    _, chunked = _ncn_and_ncnc(depth=2, split_size=50)
    assert torch.allclose(whole(x, graph.adj, graph.tar), chunked(x, graph.adj, graph.tar))
    learnable = NCNCPredictor(F, F, learnable_pt=True)
    loss = learnable(x, graph.adj, graph.tar).sum()
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in learnable.pt_mlp.parameters())


def test_reset_parameters_restores_beta_and_redraws_weights():
    predictor = NCNCPredictor(F, F, beta=0.5, use_xlin=True)
    with torch.no_grad():
        predictor.beta.fill_(3.0)
    weight = predictor.out_mlp[0].weight.clone()
    predictor.reset_parameters()
    assert predictor.beta.item() == 0.5
    assert not torch.equal(predictor.out_mlp[0].weight, weight)


def test_build_predictor_forwards_each_kind_what_the_official_script_does():
    options = {
        "dropout": 0.1,
        "layer_norm": True,
        "use_xlin": True,
        "tail_act": True,
        "alpha": 0.5,
        "depth": 2,
    }
    for kind, cls in PREDICTORS.items():
        assert type(build_predictor(kind, F, **options)) is cls
    gae = build_predictor("gae", F, **options)
    assert isinstance(gae.pair_mlp[-1], torch.nn.Linear)  # tail_act is not forwarded
    ncn = build_predictor("ncn", F, **options)
    assert ncn.node_mlp is not None and not isinstance(ncn.pair_mlp[-1], torch.nn.Linear)
    assert build_predictor("ncnc", F, **options).depth == 2
    with pytest.raises(ValueError, match="unknown predictor option.*allowed"):
        build_predictor("ncn", F, probscale=4.0)
    with pytest.raises(ValueError, match="unknown predictor 'cn1'"):
        build_predictor("cn1", F)


def test_invalid_arguments_say_what_was_expected(graph):
    with pytest.raises(ValueError, match="in_channels .* must equal hidden_channels"):
        NCNPredictor(4, F, use_xlin=True)
    with pytest.raises(ValueError, match="depth"):
        NCNCPredictor(F, F, depth=-1)
    with pytest.raises(ValueError, match="edge_dropout"):
        NCNPredictor(F, F, edge_dropout=1.0)
    predictor = NCNPredictor(F, F)
    with pytest.raises(ValueError, match=r"\[N, N\]"):
        predictor(_states(graph)[:-1], graph.adj, graph.tar)
    with pytest.raises(ValueError, match=r"\[2, B\]"):
        predictor(_states(graph), graph.adj, graph.tar.t())
