"""The checks of notebook 04 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_lib.checks import training as checks
from conftest import load_solutions


solutions = load_solutions("04_training_on_a_gpu")


def test_solutions_accepted(capsys):
    assert checks.check_steps_per_epoch(solutions.steps_per_epoch)
    assert checks.check_make_callbacks(solutions.make_callbacks)
    assert checks.check_best_epoch(solutions.best_epoch)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out


@pytest.mark.parametrize("check", [checks.check_steps_per_epoch, checks.check_make_callbacks,
                                   checks.check_best_epoch])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("check", [checks.check_steps_per_epoch, checks.check_make_callbacks,
                                   checks.check_best_epoch])
def test_crashing_answer_is_reported_not_raised(check, capsys):
    def broken(*args):
        raise KeyError("val_loss")

    assert check(broken) is False
    assert "KeyError" in capsys.readouterr().out


def test_steps_floor_division(capsys):
    assert not checks.check_steps_per_epoch(lambda n, b: n // b)
    assert "round up" in capsys.readouterr().out.lower()


def test_steps_unrounded(capsys):
    assert not checks.check_steps_per_epoch(lambda n, b: n / b)
    assert "whole number" in capsys.readouterr().out


def _callbacks(monitor="val_loss", best_only=True, append=True, name="best.keras"):
    import keras

    def make(run_dir):
        run_dir = Path(run_dir)
        return [keras.callbacks.ModelCheckpoint(run_dir / name, monitor=monitor, save_best_only=best_only),
                keras.callbacks.CSVLogger(run_dir / "log.csv", append=append)]
    return make


@pytest.mark.parametrize("kwargs, hint", [
    ({"append": False}, "append=True"),
    ({"monitor": "loss"}, "val_loss"),
    ({"best_only": False}, "save_best_only=True"),
    ({"name": "last.keras"}, "best.keras"),
])
def test_callbacks_typical_mistakes(kwargs, hint, capsys):
    assert not checks.check_make_callbacks(_callbacks(**kwargs))
    assert hint in capsys.readouterr().out


def test_callbacks_missing_logger(capsys):
    import keras

    assert not checks.check_make_callbacks(
        lambda run_dir: [keras.callbacks.ModelCheckpoint(Path(run_dir) / "best.keras", save_best_only=True)])
    assert "CSVLogger" in capsys.readouterr().out


def test_best_epoch_zero_based(capsys):
    assert not checks.check_best_epoch(lambda h: h["val_loss"].index(min(h["val_loss"])))
    assert "0-based" in capsys.readouterr().out


def test_best_epoch_by_training_loss(capsys):
    assert not checks.check_best_epoch(lambda h: h["loss"].index(min(h["loss"])) + 1)
    assert "validation" in capsys.readouterr().out


def test_best_epoch_reference_on_ties():
    assert checks.best_epoch_reference({"val_loss": [0.5, 0.3, 0.3]}) == 2
