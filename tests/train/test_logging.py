import logging

import gnnlib.train.logging as logging_module
from gnnlib.train import get_logger


def test_info_goes_to_stderr_in_a_short_format(capsys):
    get_logger("gnnlib.tests.short").info("epoch %d done", 3)
    err = capsys.readouterr().err
    assert err.endswith("INFO gnnlib.tests.short: epoch 3 done\n")


def test_debug_is_hidden_by_default(capsys):
    get_logger("gnnlib.tests.debug").debug("details")
    assert capsys.readouterr().err == ""


def test_silent_off_the_main_process(capsys, monkeypatch):
    logger = get_logger("gnnlib.tests.rank")
    monkeypatch.setattr(logging_module, "is_main_process", lambda: False)
    logger.warning("from another rank")
    assert capsys.readouterr().err == ""


def test_repeated_calls_do_not_duplicate_lines_and_keep_the_level(capsys):
    logger = get_logger("gnnlib.tests.repeat")
    logger.setLevel(logging.WARNING)
    assert get_logger("gnnlib.tests.repeat") is logger
    assert logger.level == logging.WARNING
    logger.warning("once")
    assert capsys.readouterr().err.count("once") == 1
    assert not logger.propagate
