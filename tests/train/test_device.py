import pytest
import torch

from gnnlib.train import resolve_device


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)


@pytest.mark.parametrize("spec", ["cpu", " CPU ", torch.device("cpu")])
def test_cpu(spec):
    assert resolve_device(spec) == torch.device("cpu")


def test_auto_is_cpu_without_cuda(no_cuda):
    assert resolve_device() == torch.device("cpu")


def test_auto_and_cuda_are_the_current_cuda_device(two_gpus):
    assert resolve_device("auto") == torch.device("cuda", 1)
    assert resolve_device("cuda") == torch.device("cuda", 1)


def test_cuda_index_in_range(two_gpus):
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    assert resolve_device(torch.device("cuda", 1)) == torch.device("cuda", 1)


def test_cuda_index_out_of_range(two_gpus):
    with pytest.raises(ValueError, match=r"'cuda:2' requested but only 2 CUDA device\(s\)"):
        resolve_device("cuda:2")


def test_cuda_on_a_cpu_only_build(no_cuda, monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(ValueError, match="CUDA is not available: this PyTorch build .* no CUDA"):
        resolve_device("cuda")


def test_cuda_without_a_visible_gpu_suggests_cpu(no_cuda, monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    with pytest.raises(ValueError, match="no CUDA GPU is visible.*use --device cpu"):
        resolve_device("cuda:0")


def test_mps(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="MPS .* is not available.*use --device cpu"):
        resolve_device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("mps") == torch.device("mps")


@pytest.mark.parametrize("spec", ["tpu", "gpu", "cuda:x", ""])
def test_unknown_specification(spec):
    with pytest.raises(ValueError, match="unknown device .*expected 'auto', 'cpu', 'cuda'"):
        resolve_device(spec)


def test_device_type_torch_knows_but_gnnlib_does_not_support():
    with pytest.raises(ValueError, match="unsupported device 'meta'"):
        resolve_device("meta")


def test_non_string_specification():
    with pytest.raises(TypeError, match="must be a str or torch.device, got int"):
        resolve_device(0)
