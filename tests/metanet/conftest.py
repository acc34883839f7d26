"""Small networks of every zoo family, shared by the metanet tests."""

import pytest
import torch

from gnnlib.metanet.architectures import build_network, network_input

SPECS = {
    "mlp": {"family": "mlp", "width": 12, "depth": 2, "act": "relu"},
    "cnn": {"family": "cnn", "width": 6, "depth": 3, "act": "tanh"},
    "resnet": {"family": "resnet", "width": 6, "depth": 2, "act": "relu"},
    "vit": {"family": "vit", "width": 8, "depth": 2, "heads": 2, "act": "gelu"},
}


@pytest.fixture(params=list(SPECS))
def family(request):
    return request.param


@pytest.fixture
def network():
    """``network(family)``: a small network in eval mode (ResNets with non-trivial
    batch-norm statistics)."""

    def make(family, seed=0):
        torch.manual_seed(seed)
        net = build_network(SPECS[family])
        if family == "resnet":
            net.train()
            with torch.no_grad():
                net(network_input(SPECS[family], torch.randn(32, 8, 8)))
        return net.eval()

    return make


@pytest.fixture
def inputs():
    """``inputs(family, n)``: ``n`` fixed random inputs in the family's layout."""

    def make(family, n=5):
        images = torch.randn(n, 8, 8, generator=torch.Generator().manual_seed(1))
        return network_input(SPECS[family], images)

    return make
