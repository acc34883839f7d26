import os
import random

import numpy as np
import pytest
import torch
from torch_geometric.utils import negative_sampling

from gnnlib.train import rng_state, seed_everything, set_rng_state

EDGE_INDEX = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])


def _draws() -> dict[str, list]:
    """A few numbers from every generator seed_everything is responsible for."""
    return {
        "python": [random.random(), random.randint(0, 10**9), random.gauss(0.0, 1.0)],
        "numpy": np.random.rand(3).tolist() + np.random.standard_normal(3).tolist(),
        "torch": torch.rand(3).tolist() + torch.randperm(10).tolist(),
        "negatives": negative_sampling(EDGE_INDEX, num_nodes=50, num_neg_samples=8).tolist(),
    }


@pytest.fixture
def restore_determinism():
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    yield
    torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[2:]


def test_same_seed_repeats_every_generator():
    seed_everything(123)
    first = _draws()
    seed_everything(123)
    assert _draws() == first


def test_different_seeds_give_different_draws():
    seed_everything(1)
    first = _draws()
    seed_everything(2)
    second = _draws()
    for key in first:
        assert first[key] != second[key], key


def test_negative_sampling_follows_python_random():
    # PyG samples negatives with Python's random module: seeding torch alone is not enough.
    seed_everything(0)
    first = negative_sampling(EDGE_INDEX, num_nodes=50, num_neg_samples=8)
    seed_everything(0)
    random.seed(1)
    second = negative_sampling(EDGE_INDEX, num_nodes=50, num_neg_samples=8)
    assert not torch.equal(first, second)


def test_rng_state_round_trips_through_weights_only_file(tmp_path):
    seed_everything(5)
    _draws()  # odd numbers of Gaussian draws leave a cached value in both Python and NumPy
    state = rng_state()
    assert state["python"]["gauss_next"] is not None
    assert state["numpy"]["has_gauss"] == 1
    torch.save(state, tmp_path / "rng.pt")
    expected = _draws()

    seed_everything(99)
    set_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert _draws() == expected


def test_set_rng_state_names_missing_keys():
    with pytest.raises(ValueError, match=r"missing \['numpy'\]"):
        set_rng_state({"python": {}, "torch": torch.get_rng_state()})


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_invalid_seeds_are_rejected(seed, error):
    with pytest.raises(error, match="seed must be"):
        seed_everything(seed)


def test_numpy_integer_seed_is_accepted():
    seed_everything(np.int64(3))
    first = _draws()
    seed_everything(3)
    assert _draws() == first


def test_deterministic_sets_torch_flags(restore_determinism):
    seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.deterministic
    assert not torch.backends.cudnn.benchmark


def test_deterministic_sets_cublas_workspace_only_with_cuda(restore_determinism, monkeypatch):
    # setenv then delenv: monkeypatch then removes whatever seed_everything sets.
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", "placeholder")
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    seed_everything(0, deterministic=True)
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    seed_everything(0, deterministic=True)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


def test_deterministic_keeps_a_user_cublas_setting(restore_determinism, monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    seed_everything(0, deterministic=True)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
