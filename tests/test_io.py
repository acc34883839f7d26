"""Atomic writes leave either the old or the complete new file, never a truncated one."""

import os
import pickle

import pytest
import torch

from gnnlib.io import atomic_torch_save, atomic_write_bytes, atomic_write_text, safe_torch_load


class _FailsToPickle:
    def __reduce__(self):
        raise RuntimeError("serialization failed half way")


def test_write_text_and_bytes_create_parents_and_replace(tmp_path):
    path = tmp_path / "a" / "b" / "f.txt"
    assert atomic_write_text(path, "héllo") == path
    assert path.read_text(encoding="utf-8") == "héllo"
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert os.listdir(path.parent) == ["f.txt"]


def test_written_file_gets_umask_permissions_not_private_temp_ones(tmp_path):
    path = atomic_write_text(tmp_path / "f.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_torch_save_keeps_previous_file_and_no_temp(tmp_path):
    path = tmp_path / "ckpt.pt"
    atomic_torch_save({"w": torch.arange(3)}, path)
    before = path.read_bytes()
    # The first tensor is already written when pickling the second entry fails.
    with pytest.raises(RuntimeError, match="half way"):
        atomic_torch_save({"w": torch.zeros(1000), "bad": _FailsToPickle()}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert torch.equal(safe_torch_load(path)["w"], torch.arange(3))


def test_failed_replace_leaves_no_temp_and_no_target(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write_bytes(tmp_path / "f.bin", b"data")
    assert os.listdir(tmp_path) == []


def test_unencodable_text_touches_nothing(tmp_path):
    path = atomic_write_text(tmp_path / "f.txt", "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(path, "é", encoding="ascii")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


class _Custom:
    pass


def test_safe_torch_load_refuses_arbitrary_objects(tmp_path):
    path = tmp_path / "obj.pt"
    torch.save({"obj": _Custom()}, path)  # a plain (non-atomic) save of a custom class
    with pytest.raises(pickle.UnpicklingError):
        safe_torch_load(path)


def test_safe_torch_load_map_location(tmp_path):
    path = atomic_torch_save({"x": torch.ones(2), "step": 3, "name": "ncn"}, tmp_path / "c.pt")
    state = safe_torch_load(path, map_location="cpu")
    assert state["step"] == 3 and state["name"] == "ncn"
    assert state["x"].device.type == "cpu"
