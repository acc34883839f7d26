import io
import sys

import pytest

import gnnlib.train.progress_bar as progress_module
from gnnlib.train import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _use_terminal(monkeypatch) -> _Terminal:
    # Called in the test body, not in a fixture: pytest's output capture replaces
    # sys.stderr again after fixtures run.
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


@pytest.fixture(autouse=True)
def no_progress_settings(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GNNLIB_PROGRESS", raising=False)


def _shown(**kwargs) -> bool:
    bar = progress(range(3), **kwargs)
    shown = not bar.disable
    bar.close()
    return shown


def test_shown_on_a_terminal(monkeypatch):
    terminal = _use_terminal(monkeypatch)
    bar = progress(range(3), desc="epochs")
    assert list(bar) == [0, 1, 2]
    assert "epochs: 100%" in terminal.getvalue()


def test_hidden_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not _shown()


@pytest.mark.parametrize(("ci", "shown"), [("true", False), ("1", False), ("0", True), ("", True)])
def test_ci_hides_the_bar(monkeypatch, ci, shown):
    _use_terminal(monkeypatch)
    monkeypatch.setenv("CI", ci)
    assert _shown() == shown


def test_gnnlib_progress_overrides_detection(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("GNNLIB_PROGRESS", "1")
    assert _shown()
    _use_terminal(monkeypatch)
    monkeypatch.delenv("CI")
    monkeypatch.setenv("GNNLIB_PROGRESS", "0")
    assert not _shown()


def test_enabled_argument_overrides_the_environment(monkeypatch):
    _use_terminal(monkeypatch)
    monkeypatch.setenv("GNNLIB_PROGRESS", "1")
    assert not _shown(enabled=False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("GNNLIB_PROGRESS", "0")
    assert _shown(enabled=True)


def test_never_shown_off_the_main_process(monkeypatch):
    _use_terminal(monkeypatch)
    monkeypatch.setattr(progress_module, "is_main_process", lambda: False)
    monkeypatch.setenv("GNNLIB_PROGRESS", "1")
    assert not _shown(enabled=True)


def test_unknown_gnnlib_progress_value(monkeypatch):
    monkeypatch.setenv("GNNLIB_PROGRESS", "maybe")
    with pytest.raises(ValueError, match="GNNLIB_PROGRESS='maybe' is not understood"):
        progress(range(3))


def test_hidden_bar_still_iterates_and_takes_postfix(monkeypatch):
    terminal = _use_terminal(monkeypatch)
    bar = progress(iter([10, 20]), total=2, enabled=False)
    seen = []
    for item in bar:
        bar.set_postfix(loss=0.5)
        seen.append(item)
    assert seen == [10, 20]
    assert terminal.getvalue() == ""


def test_a_progress_log_speaks_only_for_a_hidden_bar(monkeypatch):
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_S", 3600.0)
    hidden = progress_module.ProgressLog(progress(range(3), enabled=False))
    assert not hidden.due() and hidden.due(last=True)
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_S", 0.0)
    assert hidden.due()
    _use_terminal(monkeypatch)
    shown = progress_module.ProgressLog(progress(range(3), enabled=True))
    assert not shown.due(last=True)  # the bar already shows the progress
