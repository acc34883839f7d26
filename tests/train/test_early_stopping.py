import math

import pytest
import torch

from gnnlib.train import EarlyStopping


def _steps(stopper: EarlyStopping, values: list[float]) -> list[bool]:
    return [stopper.step(value, epoch) for epoch, value in enumerate(values)]


def test_max_mode_tracks_best_and_stops_after_patience():
    stopper = EarlyStopping("val_acc", "max", patience=2)
    assert _steps(stopper, [0.5, 0.6, 0.6, 0.55]) == [True, True, False, False]
    assert (stopper.best_value, stopper.best_epoch) == (0.6, 1)
    assert stopper.should_stop


def test_improvement_resets_patience():
    stopper = EarlyStopping("val_acc", "max", patience=2)
    _steps(stopper, [0.5, 0.4, 0.7, 0.6])
    assert not stopper.should_stop
    assert stopper.best_epoch == 2


def test_min_mode_with_min_delta():
    stopper = EarlyStopping("val_loss", "min", patience=5, min_delta=0.1)
    # 0.95 is better but not by more than min_delta; 0.85 beats 1.0 - 0.1.
    assert _steps(stopper, [1.0, 0.95, 0.85]) == [True, False, True]
    assert stopper.best_value == 0.85


def test_patience_none_never_stops():
    stopper = EarlyStopping("val_acc", "max", patience=None)
    _steps(stopper, [1.0] + [0.0] * 100)
    assert not stopper.should_stop
    assert stopper.best_epoch == 0


def test_patience_one_stops_at_first_non_improvement():
    stopper = EarlyStopping("val_acc", "max", patience=1)
    stopper.step(0.5, 0)
    assert not stopper.should_stop
    stopper.step(0.5, 1)
    assert stopper.should_stop


def test_nan_counts_as_not_improved():
    stopper = EarlyStopping("val_loss", "min", patience=2)
    assert _steps(stopper, [math.nan, 1.0, math.nan, math.nan]) == [False, True, False, False]
    assert (stopper.best_value, stopper.best_epoch) == (1.0, 1)
    assert stopper.should_stop


def test_accepts_a_scalar_tensor():
    stopper = EarlyStopping("val_acc", "max", patience=1)
    assert stopper.step(torch.tensor(0.25), 0)
    assert stopper.best_value == 0.25


def test_keeps_a_cpu_copy_of_the_best_weights():
    model = torch.nn.Linear(3, 2)
    stopper = EarlyStopping("val_acc", "max", patience=3)
    stopper.step(0.9, 0, model)
    best = {key: value.clone() for key, value in model.state_dict().items()}
    with torch.no_grad():
        model.weight.fill_(0.0)  # a later, worse epoch changes the live weights
    stopper.step(0.1, 1, model)

    stopper.restore_best(model)
    for key, value in model.state_dict().items():
        assert torch.equal(value, best[key])
    assert all(t.device.type == "cpu" for t in stopper.state_dict()["best_state"].values())


def test_restore_best_without_weights_is_an_error():
    stopper = EarlyStopping("val_acc", "max", patience=3)
    stopper.step(0.9, 0)
    with pytest.raises(RuntimeError, match="no best weights"):
        stopper.restore_best(torch.nn.Linear(3, 2))


def test_state_dict_resumes_through_a_weights_only_file(tmp_path):
    model = torch.nn.Linear(3, 2)
    stopper = EarlyStopping("val_acc", "max", patience=2)
    stopper.step(0.9, 0, model)
    stopper.step(0.8, 1, model)
    torch.save(stopper.state_dict(), tmp_path / "stopper.pt")
    expected = {key: value.clone() for key, value in model.state_dict().items()}

    resumed = EarlyStopping("val_acc", "max", patience=2)
    resumed.load_state_dict(torch.load(tmp_path / "stopper.pt", weights_only=True))
    assert (resumed.best_value, resumed.best_epoch, resumed.bad_epochs) == (0.9, 0, 1)
    assert not resumed.should_stop
    resumed.step(0.7, 2)
    assert resumed.should_stop

    fresh_model = torch.nn.Linear(3, 2)
    resumed.restore_best(fresh_model)
    for key, value in fresh_model.state_dict().items():
        assert torch.equal(value, expected[key])


def test_load_state_dict_rejects_another_metric():
    state = EarlyStopping("val_acc", "max", patience=2).state_dict()
    with pytest.raises(ValueError, match="tracks 'val_acc' \\(max\\).*'val_loss' \\(min\\)"):
        EarlyStopping("val_loss", "min", patience=2).load_state_dict(state)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "maximum"}, "mode must be 'max'"),
        ({"patience": 0}, "patience must be"),
        ({"patience": 2.5}, "patience must be"),
        ({"min_delta": -0.1}, "min_delta must be"),
        ({"min_delta": math.nan}, "min_delta must be"),
    ],
)
def test_invalid_arguments(kwargs, message):
    arguments = {"metric": "val_acc", "mode": "max", "patience": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**arguments)


def test_ties_keep_the_latest_equally_good_epoch_and_reset_patience():
    # GLNN's and KRD's official selection: score_val >= best_score_val.
    stopper = EarlyStopping("val_acc", "max", patience=2, ties=True)
    assert _steps(stopper, [0.5, 0.6, 0.6, 0.55, 0.6]) == [True, True, True, False, True]
    assert stopper.best_epoch == 4 and not stopper.should_stop
    strict = EarlyStopping("val_acc", "max", patience=2)
    _steps(strict, [0.5, 0.6, 0.6])
    assert strict.best_epoch == 1
