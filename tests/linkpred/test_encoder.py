import torch

from gnnlib.linkpred import symmetric_csr
from gnnlib.linkpred.encoder import NCNEncoder
from gnnlib.nn import feature_dropout


def _graph(n=50):
    gen = torch.Generator().manual_seed(0)
    adj = symmetric_csr(torch.randint(0, n, (2, 200), generator=gen), n)
    x = (torch.rand(n, 80, generator=gen) < 0.05).float()
    return x, adj


def test_sparse_features_give_the_dense_result():
    torch.manual_seed(0)
    x, adj = _graph()
    encoder = NCNEncoder(80, 16, 2, conv="puregcn", input_dropout=0.5, dropout=0.2, jk=True)
    assert encoder.reads_sparse_features
    encoder.eval()
    assert torch.allclose(encoder(x, adj), encoder(x.to_sparse_csr(), adj), atol=1e-6)
    encoder.train()
    encoder(x.to_sparse_csr(), adj).sum().backward()
    assert encoder.input_lin.weight.grad is not None


def test_feature_dropout_on_sparse_rows_keeps_the_layout():
    torch.manual_seed(0)
    x, _ = _graph()
    out = feature_dropout(x.to_sparse_csr(), 0.5)
    assert out.layout == torch.sparse_csr
    dense = out.to_dense()
    assert torch.all((dense == 0) | (dense == 2 * x))


def test_embedding_input_for_featureless_graphs():
    _, adj = _graph()
    encoder = NCNEncoder(16, 16, 1, conv="puresum", num_embeddings=50, residual=True)
    assert not encoder.reads_sparse_features
    assert encoder(torch.arange(50), adj).shape == (50, 16)
