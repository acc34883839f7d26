import pytest
import torch

import gnnlib.io
import gnnlib.train.checkpoint as checkpoint_module
from gnnlib.train import Checkpointer, EarlyStopping, seed_everything


class Unsafe:
    """A class the weights_only unpickler refuses to build."""


def _trained_pair() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(8, 4)).sum().backward()
    optimizer.step()
    return model, optimizer


def _epochs(checkpointer: Checkpointer) -> list[str]:
    return sorted(path.name for path in checkpointer.directory.iterdir())


def test_save_and_load_latest_restore_every_object(tmp_path):
    seed_everything(0)
    model, optimizer = _trained_pair()
    stopper = EarlyStopping("val_acc", "max", patience=3)
    stopper.step(0.5, 0, model)
    checkpointer = Checkpointer(tmp_path)
    path = checkpointer.save(0, model=model, optimizer=optimizer, stopper=stopper)
    assert path == tmp_path / "epoch-000000.pt" and path.exists()

    fresh_model = torch.nn.Linear(4, 2)
    fresh_optimizer = torch.optim.Adam(fresh_model.parameters(), lr=0.1)
    fresh_stopper = EarlyStopping("val_acc", "max", patience=3)
    epoch = Checkpointer(tmp_path).load_latest(
        model=fresh_model, optimizer=fresh_optimizer, stopper=fresh_stopper
    )
    assert epoch == 0
    assert torch.equal(fresh_model.weight, model.weight)
    assert torch.equal(
        fresh_optimizer.state_dict()["state"][0]["exp_avg"],
        optimizer.state_dict()["state"][0]["exp_avg"],
    )
    assert (fresh_stopper.best_value, fresh_stopper.best_epoch) == (0.5, 0)


def test_load_latest_restores_the_rng_state(tmp_path):
    seed_everything(0)
    model, _ = _trained_pair()
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(3, model=model)
    expected = torch.rand(5)
    seed_everything(1)
    assert checkpointer.load_latest(model=model) == 3
    assert torch.equal(torch.rand(5), expected)


def test_without_checkpoints_nothing_is_loaded(tmp_path):
    checkpointer = Checkpointer(tmp_path / "not-yet-created")
    assert checkpointer.latest() is None
    assert checkpointer.load_latest(model=torch.nn.Linear(2, 2)) is None


def test_every_saves_after_each_block_of_epochs_and_force_saves_any(tmp_path):
    model = torch.nn.Linear(2, 2)
    checkpointer = Checkpointer(tmp_path, every=3, keep_last=None)
    written = [checkpointer.save(epoch, model=model) for epoch in range(7)]
    assert [path is not None for path in written] == [False, False, True, False, False, True, False]
    checkpointer.save(6, model=model, force=True)
    assert _epochs(checkpointer) == ["epoch-000002.pt", "epoch-000005.pt", "epoch-000006.pt"]


def test_keep_last_removes_older_checkpoints(tmp_path):
    model = torch.nn.Linear(2, 2)
    checkpointer = Checkpointer(tmp_path, keep_last=2)
    for epoch in range(5):
        checkpointer.save(epoch, model=model)
    assert _epochs(checkpointer) == ["epoch-000003.pt", "epoch-000004.pt"]


def test_latest_orders_by_epoch_and_ignores_other_files(tmp_path):
    model = torch.nn.Linear(2, 2)
    checkpointer = Checkpointer(tmp_path, keep_last=None)
    checkpointer.save(9, model=model)
    checkpointer.save(1_000_000, model=model)  # wider than the zero padding
    # A temporary file left by a write that was killed, and an unrelated file.
    (tmp_path / ".epoch-9999999.pt.0123abcd.tmp").write_bytes(b"partial")
    (tmp_path / "notes.txt").write_text("hello")
    assert checkpointer.latest() == tmp_path / "epoch-1000000.pt"


def test_saving_behind_a_later_checkpoint_is_an_error(tmp_path):
    model = torch.nn.Linear(2, 2)
    Checkpointer(tmp_path).save(20, model=model)
    with pytest.raises(RuntimeError, match="cannot save epoch 0: .* later checkpoint"):
        Checkpointer(tmp_path).save(0, model=model)
    assert Checkpointer(tmp_path).save(20, model=model, force=True) is not None


def test_truncated_checkpoint_error_names_the_file(tmp_path):
    checkpointer = Checkpointer(tmp_path)
    path = checkpointer.save(0, model=torch.nn.Linear(8, 8))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(
        RuntimeError, match="could not read checkpoint .*epoch-000000.pt.*truncated"
    ):
        checkpointer.load_latest(model=torch.nn.Linear(8, 8))


def test_loading_is_weights_only(tmp_path):
    torch.save({"states": Unsafe()}, tmp_path / "epoch-000000.pt")
    with pytest.raises(RuntimeError, match="could not read checkpoint .*epoch-000000.pt"):
        Checkpointer(tmp_path).load_latest(model=torch.nn.Linear(2, 2))


def test_a_file_that_is_not_a_checkpoint_is_named(tmp_path):
    torch.save([1, 2, 3], tmp_path / "epoch-000000.pt")
    with pytest.raises(RuntimeError, match="epoch-000000.pt is not a gnnlib checkpoint"):
        Checkpointer(tmp_path).load_latest(model=torch.nn.Linear(2, 2))


def test_missing_object_state_lists_what_the_checkpoint_holds(tmp_path):
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(0, model=torch.nn.Linear(2, 2))
    with pytest.raises(KeyError, match=r"no state for \['scheduler'\]; it holds \['model'\]"):
        checkpointer.load_latest(model=torch.nn.Linear(2, 2), scheduler=object())


def test_map_location_defaults_to_cpu_and_is_passed_through(tmp_path, monkeypatch):
    # A real CUDA-to-CPU resume needs a GPU; here we check what reaches torch.load.
    seen = []
    real_load = gnnlib.io.safe_torch_load

    def recording_load(path, map_location=None):
        seen.append(map_location)
        return real_load(path, map_location=map_location)

    monkeypatch.setattr(gnnlib.io, "safe_torch_load", recording_load)
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(0, model=torch.nn.Linear(2, 2))
    checkpointer.load_latest(model=torch.nn.Linear(2, 2))
    checkpointer.load_latest(map_location=torch.device("cpu"), model=torch.nn.Linear(2, 2))
    assert seen == ["cpu", torch.device("cpu")]


def test_only_the_main_process_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint_module, "is_main_process", lambda: False)
    assert Checkpointer(tmp_path).save(0, model=torch.nn.Linear(2, 2)) is None
    assert list(tmp_path.iterdir()) == []


def test_resuming_with_another_world_size_warns_and_keeps_the_rng(tmp_path, monkeypatch):
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(0, model=torch.nn.Linear(2, 2))
    monkeypatch.setattr(checkpoint_module, "world_size", lambda: 2)
    with pytest.warns(UserWarning, match="RNG states of 1 processes but this run has 2"):
        assert checkpointer.load_latest(model=torch.nn.Linear(2, 2)) == 0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c: c.save(0), ValueError, "at least one object"),
        (lambda c: c.save(0, model=object()), TypeError, "model=object has no state_dict"),
        (lambda c: c.save(-1, model=torch.nn.Linear(2, 2)), ValueError, "epoch must be"),
    ],
)
def test_invalid_save_calls(tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(Checkpointer(tmp_path))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"every": 0}, "every must be"), ({"keep_last": 0}, "keep_last must be")],
)
def test_invalid_checkpointer_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Checkpointer(tmp_path, **kwargs)
