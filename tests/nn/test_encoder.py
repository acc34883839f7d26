import copy

import pytest
import torch
from torch_geometric import EdgeIndex
from torch_geometric.nn import GCNConv, GINConv, SAGEConv

from gnnlib.nn import CONVS, Encoder, GatedGCNConv, PureConv, csr_convs, to_csr
from gnnlib.nn.adjacency import sparse_matmul

NUM_NODES, IN, HIDDEN, OUT, EDGE_DIM = 30, 6, 8, 3, 4
WIDTH_KEEPING = {name for name, spec in CONVS.items() if spec.keeps_width}


def _graph(seed=0):
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, NUM_NODES - 3, (2, 150), generator=gen)
    edge_index = torch.cat([edge_index, edge_index[:, :10], torch.tensor([[2], [2]])], 1)
    x = torch.randn(NUM_NODES, IN, generator=gen)
    edge_attr = torch.randn(edge_index.size(1), EDGE_DIM, generator=gen)
    return x, edge_index, edge_attr


def _encoder(conv):
    options = {"heads": 2} if conv in ("gat", "gatv2") else None
    # Width-keeping convs can't map to OUT in their last conv: they end in a JK linear.
    jk = "sum" if conv in WIDTH_KEEPING else "last"
    return Encoder(
        IN,
        HIDDEN,
        3,
        OUT,
        conv=conv,
        norm="batch",
        dropout=0.0,
        residual=True,
        jk=jk,
        edge_dim=EDGE_DIM,
        conv_options=options,
    )


@pytest.mark.parametrize("conv", sorted(CONVS))
def test_every_conv_gives_the_same_output_for_every_adjacency_form(conv):
    torch.manual_seed(0)
    x, edge_index, edge_attr = _graph()
    csr, edge_attr_csr = to_csr(edge_index, NUM_NODES, edge_attr=edge_attr)
    forms = {
        "edge_index": (edge_index, edge_attr),
        "EdgeIndex": (EdgeIndex(edge_index, sparse_size=(NUM_NODES, NUM_NODES)), edge_attr),
        "csr": (csr, edge_attr_csr),
        "coo": (csr.to_sparse_coo(), edge_attr_csr),
    }
    encoder = _encoder(conv).eval()
    outputs, grads = {}, {}
    for form, (adj, attr) in forms.items():
        encoder.zero_grad()
        x_in = x.clone().requires_grad_()
        out = encoder(x_in, adj, attr)
        assert out.shape == (NUM_NODES, OUT)
        out.square().sum().backward()
        outputs[form], grads[form] = out.detach(), x_in.grad
        assert all(p.grad is not None for p in encoder.parameters() if p.requires_grad)
    for form in forms:
        assert torch.allclose(outputs[form], outputs["edge_index"], atol=1e-5), form
        assert torch.allclose(grads[form], grads["edge_index"], atol=1e-5), form


def _pyg_twin(conv, ours, options):
    if conv == "gcn":
        return GCNConv(IN, OUT)
    if conv == "gin":
        return GINConv(copy.deepcopy(ours.nn))
    return SAGEConv(IN, OUT, **options)


@pytest.mark.parametrize(
    "conv, options, summed_by_gnnlib",
    [("gcn", {}, True), ("gin", {}, True), ("sage", {"aggr": "sum"}, True), ("sage", {}, False)],
)
def test_registry_conv_equals_its_pyg_class_on_edge_index(
    conv, options, summed_by_gnnlib, monkeypatch
):
    # The registry's gcn, gin and sage are PyG's classes summing over the CSR with gnnlib's
    # product: the same outputs and gradients as PyG's class on the edge list, state dicts
    # exchangeable; a sum goes through sparse_matmul, a mean keeps PyG's path.
    calls = []

    def counted(adj, x):
        calls.append(adj)
        return sparse_matmul(adj, x)

    monkeypatch.setattr(csr_convs, "sparse_matmul", counted)
    torch.manual_seed(0)
    x, edge_index, _ = _graph(1)
    weight = torch.rand(edge_index.size(1)) if conv == "gcn" else None
    encoder = Encoder(IN, OUT, 1, OUT, conv=conv, conv_options=options)
    ours = encoder.convs[0]
    reference = _pyg_twin(conv, ours, options)
    reference.load_state_dict(ours.state_dict())
    x_ours, x_reference = x.clone().requires_grad_(), x.clone().requires_grad_()
    out = encoder(x_ours, edge_index, edge_weight=weight)
    expected = reference(x_reference, edge_index, *([] if weight is None else [weight]))
    assert torch.allclose(out, expected, atol=1e-5)
    grad_out = torch.randn_like(expected)
    grads = torch.autograd.grad(out, [x_ours, *ours.parameters()], grad_out)
    expected_grads = torch.autograd.grad(expected, [x_reference, *reference.parameters()], grad_out)
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        assert torch.allclose(grad, expected_grad, atol=1e-5)
    assert bool(calls) == summed_by_gnnlib


def test_pure_convs_match_dense_propagation():
    x, edge_index, _ = _graph(2)
    dense_t = torch.zeros(NUM_NODES, NUM_NODES)
    dense_t.index_put_((edge_index[1], edge_index[0]), torch.ones(edge_index.size(1)), True)
    assert torch.allclose(PureConv(IN, IN, "sum")(x, edge_index), dense_t @ x, atol=1e-5)
    degree = dense_t.sum(1, keepdim=True).clamp(min=1)
    assert torch.allclose(PureConv(IN, IN, "mean")(x, edge_index), dense_t @ x / degree, atol=1e-5)
    simple = (dense_t > 0).float()
    simple.fill_diagonal_(0)
    simple += torch.eye(NUM_NODES)
    # GCN propagation on the de-duplicated graph with one self-loop per node.
    dedup = torch.unique(edge_index[:, edge_index[0] != edge_index[1]], dim=1)
    d_inv = simple.sum(1).pow(-0.5)
    expected = d_inv[:, None] * simple * d_inv[None, :] @ x
    assert torch.allclose(PureConv(IN, IN, "gcn")(x, dedup), expected, atol=1e-5)
    assert list(PureConv(IN, IN).parameters()) == []


def test_gatedgcn_matches_its_update_rule_by_hand():
    torch.manual_seed(0)
    conv = GatedGCNConv(3, 3)
    x = torch.randn(3, 3)
    edge_index = torch.tensor([[0, 1, 2], [1, 2, 1]])
    e = torch.randn(3, 3)
    out, e_hat = conv(x, edge_index, e)
    for k, (j, i) in enumerate(edge_index.t().tolist()):
        assert torch.allclose(e_hat[k], conv.D(x)[i] + conv.E(x)[j] + conv.C(e)[k], atol=1e-6)
    gates = torch.sigmoid(e_hat)
    # Node 1 receives from 0 (edge 0) and 2 (edge 2).
    num = gates[0] * conv.B(x)[0] + gates[2] * conv.B(x)[2]
    expected = conv.A(x)[1] + num / (gates[0] + gates[2] + conv.eps)
    assert torch.allclose(out[1], expected, atol=1e-6)
    assert torch.allclose(out[0], conv.A(x)[0] + 0 / conv.eps, atol=1e-6)


@pytest.mark.parametrize("jk", ["last", "sum", "max", "cat", "weighted"])
def test_jumping_knowledge_modes(jk):
    x, edge_index, _ = _graph()
    encoder = Encoder(IN, HIDDEN, 3, OUT, conv="sage", jk=jk)
    assert encoder(x, edge_index).shape == (NUM_NODES, OUT)
    hidden_only = Encoder(IN, HIDDEN, 3, conv="sage", jk=jk)
    width = HIDDEN * 3 if jk == "cat" else HIDDEN
    assert hidden_only(x, edge_index).shape == (NUM_NODES, width)
    assert hidden_only.out_channels == width


def test_dropout_and_norm_follow_train_and_eval_modes():
    torch.manual_seed(0)
    x, edge_index, _ = _graph()
    encoder = Encoder(IN, HIDDEN, 2, OUT, conv="gcn", norm="layer", dropout=0.5)
    encoder.eval()
    assert torch.equal(encoder(x, edge_index), encoder(x, edge_index))
    encoder.train()
    assert not torch.equal(encoder(x, edge_index), encoder(x, edge_index))


def test_reset_parameters_reinitialises():
    torch.manual_seed(0)
    encoder = Encoder(IN, HIDDEN, 2, OUT, conv="gin", jk="weighted")
    before = [p.clone() for p in encoder.parameters()]
    encoder.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, encoder.parameters()))


def test_configuration_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown conv 'gcnn'"):
        Encoder(IN, HIDDEN, 2, conv="gcnn")
    with pytest.raises(ValueError, match="unknown jk"):
        Encoder(IN, HIDDEN, 2, jk="concat")
    with pytest.raises(ValueError, match="hidden_channels must be at least 1, got 0"):
        Encoder(IN, 0, 2, OUT, conv="gat")  # was a reshape error inside GAT's forward
    with pytest.raises(ValueError, match="divisible by heads=3"):
        Encoder(IN, HIDDEN, 2, OUT, conv="gat", conv_options={"heads": 3})
    with pytest.raises(ValueError, match="pass edge_dim"):
        Encoder(IN, HIDDEN, 2, conv="gatedgcn")
    with pytest.raises(ValueError, match="rejected options"):
        Encoder(IN, HIDDEN, 2, conv="sage", conv_options={"heads": 2})
    with pytest.raises(ValueError, match="keeps the feature width"):
        Encoder(IN, HIDDEN, 2, OUT, conv="puregcn")
    x, edge_index, _ = _graph()
    with pytest.raises(ValueError, match="needs edge features"):
        Encoder(IN, HIDDEN, 2, conv="gine", edge_dim=EDGE_DIM)(x, edge_index)
