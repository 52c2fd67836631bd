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


# ------------------------------------------------------- exercise 5: the loss
def test_mse_solution_accepted_and_reference_is_keras_mse(capsys):
    import numpy as np

    assert checks.check_mse_ab(solutions.mse_ab)
    assert "accepted" in capsys.readouterr().out
    ab_true, ab_pred = checks._loss_batch()
    diff = np.asarray(ab_true, np.float64) - np.asarray(ab_pred, np.float64)
    assert checks.mse_ab_reference(ab_true, ab_pred) == pytest.approx(np.mean(diff**2), rel=1e-5)


@pytest.mark.parametrize("mse, words", [
    (lambda t, p: ((t - p) ** 2).numpy().sum(), "sum the squared errors"),
    (lambda t, p: float(((t - p) ** 2).numpy().mean()) ** 0.5, "RMSE"),
    (lambda t, p: abs((t - p).numpy()).mean(), "absolute"),
    (lambda t, p: float((t - p).numpy().mean()) ** 2, "square the mean error"),
    (lambda t, p: ((t - p) ** 2).numpy().mean() * 128**2, "LAB units"),
    (lambda t, p: ((t - p) ** 2).numpy().mean(axis=-1), "one number"),
], ids=["sum", "rmse", "absolute", "squared-mean", "lab-units", "per-pixel"])
def test_mse_typical_mistakes(mse, words, capsys):
    assert checks.check_mse_ab(mse) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out


# ------------------------------------------------- exercise 6: a training step
def test_train_step_solution_accepted(capsys):
    assert checks.check_train_step(solutions.train_step)
    out = capsys.readouterr().out
    assert "accepted" in out and "train_on_batch" in out


def test_train_step_reference_is_an_explicit_gradient_step():
    """Keras' train_on_batch (the checker's reference) is: loss in training mode, SGD on the trainable weights."""
    import numpy as np

    model = checks._step_model()
    l_norm, ab_norm = checks._step_batch()
    frozen_before = model.get_layer("frozen_conv").get_weights()
    loss = solutions.train_step(model, __import__("keras").optimizers.SGD(checks.STEP_LEARNING_RATE), l_norm, ab_norm)
    want_loss, want_weights = checks.train_step_reference()
    assert float(loss) == pytest.approx(want_loss, rel=1e-5)
    for got, want in zip(model.weights, want_weights, strict=True):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    for got, want in zip(model.get_layer("frozen_conv").get_weights(), frozen_before, strict=True):
        np.testing.assert_array_equal(got, want)


def _step(*, training=True, variables="trainable", apply=True, tape_outside=False):
    """A learner's train_step with one typical mistake."""
    import keras
    import tensorflow as tf

    mse = keras.losses.MeanSquaredError()

    def train_step(model, optimizer, l_norm, ab_norm):
        chosen = {"trainable": lambda: model.trainable_variables, "all": lambda: model.weights,
                  "last": lambda: model.layers[-1].trainable_variables}[variables]
        if tape_outside:
            prediction = model(l_norm, training=training)
        with tf.GradientTape() as tape:
            if not tape_outside:
                prediction = model(l_norm, training=training)
            loss = mse(ab_norm, prediction)
        gradients = tape.gradient(loss, chosen())
        if apply:
            optimizer.apply_gradients(zip(gradients, chosen()))
        return loss

    return train_step


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kwargs, words", [
    ({"training": False}, "training=True"),
    ({"variables": "all"}, "frozen layer"),
    ({"variables": "last"}, "did not move"),
    ({"apply": False}, "apply_gradients"),
    ({"tape_outside": True}, "inside"),
], ids=["no-training-flag", "frozen-variables", "some-variables", "no-apply", "tape-outside"])
def test_train_step_typical_mistakes(kwargs, words, capsys):
    assert checks.check_train_step(_step(**kwargs)) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out


def test_train_step_two_updates_or_a_stub(capsys):
    good = _step()

    def twice(model, optimizer, l_norm, ab_norm):
        good(model, optimizer, l_norm, ab_norm)
        return good(model, optimizer, l_norm, ab_norm)

    assert checks.check_train_step(twice) is False
    assert "train_on_batch gives" in capsys.readouterr().out
    assert checks.check_train_step(None) is False and checks.check_train_step(lambda *a: None) is False
    assert "not attempted" in capsys.readouterr().out


# ----------------------------- exercises 4 and 7: predictions compared with what this kernel measured
@pytest.mark.parametrize("val_loss, kept, measured", [([0.5, 0.3, 0.2], 3, "same"), ([0.5, 0.2, 0.3], 3, "different")])
def test_kept_epoch_explained_from_the_measured_run(val_loss, kept, measured, capsys):
    other = {"same": "different", "different": "same"}[measured]
    assert checks.explain_kept_epoch(measured, {"val_loss": val_loss}, kept) is True
    assert f"measurement shows {measured!r}" in capsys.readouterr().out
    assert checks.explain_kept_epoch(other, {"val_loss": val_loss}, kept) is False
    out = capsys.readouterr().out
    assert f"you predicted {other!r} and the measurement shows {measured!r}" in out and "because" in out
    assert checks.explain_kept_epoch(None, {"val_loss": val_loss}, kept) is False
    assert "The measurement" in capsys.readouterr().out


@pytest.mark.parametrize("psnr, measured", [
    ({("seed", 0): 20.0, ("seed", 1): 20.5, ("unet", 0): 21.0, ("unet", 1): 21.2}, "a"),
    ({("seed", 0): 22.0, ("seed", 1): 21.5, ("unet", 0): 21.0, ("unet", 1): 21.2}, "b"),
    ({("seed", 0): 20.0, ("seed", 1): 21.5, ("unet", 0): 21.0, ("unet", 1): 21.2}, "c"),
])
def test_ablation_explained_from_the_measured_table(psnr, measured, capsys):
    # the same prediction is right or wrong depending on the table this kernel measured, never a fixed "c"
    for predicted in "abc":
        assert checks.explain_ablation(predicted, psnr) is (predicted == measured)
        out = capsys.readouterr().out
        assert f"you predicted {predicted!r} and the measurement shows {measured!r}" in out


def test_predictions_04_are_predictions_with_their_options():
    from course_lib.checks.exercise import Prediction

    assert isinstance(checks.ex4, Prediction) and checks.ex4.options == ("same", "different")
    assert isinstance(checks.ex7, Prediction) and checks.ex7.options == ("a", "b", "c")
    assert solutions.kept_epoch_prediction in checks.ex4.options
    assert solutions.ablation_prediction in checks.ex7.options
