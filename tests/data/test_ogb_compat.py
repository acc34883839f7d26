"""The weights_only workaround stays inside OGB's own loading."""

from __future__ import annotations

import os
import pickle

import pytest
import torch
from torch_geometric.data import Data

from gnnlib.data import dataset_info, load, ogb_pickle_load

SWITCH = "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"


class Payload:
    """A pickled non-tensor object, as a project-written file might hold."""

    def __init__(self, value: int) -> None:
        self.value = value


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("GNNLIB_OFFLINE", "1")


@pytest.mark.parametrize("previous", [None, "0"])
def test_context_restores_the_switch(monkeypatch, previous):
    if previous is None:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, previous)
    with ogb_pickle_load():
        assert os.environ[SWITCH] == "1"
    assert os.environ.get(SWITCH) == previous
    with pytest.raises(RuntimeError, match="inside"), ogb_pickle_load():
        raise RuntimeError("inside")
    assert os.environ.get(SWITCH) == previous


def test_context_allows_pickles_only_inside(monkeypatch, tmp_path):
    monkeypatch.delenv(SWITCH, raising=False)
    path = tmp_path / "payload.pt"
    torch.save({"payload": Payload(3)}, path)
    with ogb_pickle_load():
        assert torch.load(path)["payload"].value == 3
        # An explicit weights_only=True (gnnlib's own loads) is never overridden.
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


@pytest.mark.parametrize("name", ["ogbg-molfreesolv", "ogbl-ddi"])
def test_project_files_are_still_refused_after_an_ogb_load(
    require_data, monkeypatch, tmp_path, name
):
    for relpath in dataset_info(name).files:
        require_data(relpath)
    monkeypatch.delenv(SWITCH, raising=False)
    load(name)
    load(name)  # the second load reads OGB's processed file
    assert SWITCH not in os.environ
    for obj in (Payload(1), Data(x=torch.zeros(2, 1))):
        path = tmp_path / "project.pt"
        torch.save(obj, path)
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
            torch.load(path)
