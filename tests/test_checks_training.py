"""The checks of notebook 04 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

import math

import pytest

from course_lib.checks import training as checks
from conftest import load_solutions


solutions = load_solutions("04_training_on_a_gpu")


def test_solutions_accepted(capsys):
    assert checks.check_steps_per_epoch(solutions.steps_per_epoch)
    assert checks.check_keep_best(solutions.KeepBest)
    assert checks.check_best_epoch(solutions.best_epoch)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out


@pytest.mark.parametrize("check", [checks.check_steps_per_epoch, checks.check_keep_best,
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


# ------------------------------------------- exercise 2: a callback that keeps the best model
def _keep_best(*, strict=True, resume=True, nan_wins=False, every_epoch=False):
    """A KeepBest class with one of the typical mistakes (the defaults: a right one)."""
    import keras

    class KeepBest(keras.callbacks.Callback):
        def __init__(self, path, best=math.inf):
            super().__init__()
            self.path, self.best = path, best if resume else math.inf

        def on_epoch_end(self, epoch, logs=None):
            value = logs["val_loss"]
            better = (not value >= self.best) if nan_wins else (value < self.best if strict else value <= self.best)
            if better or every_epoch:
                self.best = value
                self.model.save(self.path)
    return KeepBest


def test_keep_best_accepts_any_correct_implementation(capsys):
    import keras

    assert checks.check_keep_best(_keep_best())
    assert checks.check_keep_best(_keep_best(strict=False))  # the check's runs have no ties: `<=` is as right
    # a factory around Keras' own callback is a correct answer too
    assert checks.check_keep_best(lambda path, best=math.inf: keras.callbacks.ModelCheckpoint(
        path, monitor="val_loss", save_best_only=True, initial_value_threshold=best))
    assert capsys.readouterr().out.count("accepted") == 3


@pytest.mark.parametrize("kwargs, words", [
    ({"resume": False}, "forgot the best value of before the interruption"),
    ({"nan_wins": True}, "A NaN val_loss is no improvement"),
    ({"every_epoch": True}, "saved a later epoch that was not better"),
], ids=["forgets-the-resume", "nan-saved", "every-epoch"])
def test_keep_best_typical_mistakes(kwargs, words, capsys):
    assert checks.check_keep_best(_keep_best(**kwargs)) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out and "ModelCheckpoint(save_best_only=True) would hold" in out


def test_keep_best_that_never_saves_or_is_no_callback(capsys):
    import keras

    class Never(keras.callbacks.Callback):
        def __init__(self, path, best=math.inf):
            super().__init__()

    assert checks.check_keep_best(Never) is False
    assert "self.model.save" in capsys.readouterr().out
    assert checks.check_keep_best(lambda path, best=math.inf: "a callback") is False
    assert "keras.callbacks.Callback" in capsys.readouterr().out

    class Crashes(keras.callbacks.Callback):
        def __init__(self, path, best=math.inf):
            super().__init__()

        def on_epoch_end(self, epoch, logs=None):
            raise KeyError("val_los")

    assert checks.check_keep_best(Crashes) is False
    assert "your callback raised KeyError" in capsys.readouterr().out


def test_keep_best_reference_is_what_model_fit_keeps(tmp_path):
    """The check's reference, driven as the check drives it, keeps what it keeps inside a real model.fit."""
    import numpy as np

    model = checks._marked_model()
    marks = checks._run_callback(checks.keep_best_reference(tmp_path / "a.keras", 0.4), model, tmp_path / "a.keras",
                                 [0.5, 0.35, float("nan"), 0.3, 0.33], resumed=True)
    assert marks == [checks.MARK_BEFORE, 2.0, 2.0, 4.0, 4.0]
    # In model.fit: the lowest val_loss wins, as the reference says.
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    model.compile(optimizer="sgd", loss="mse")
    keeper = checks.keep_best_reference(tmp_path / "fit.keras")
    history = model.fit(x, y, validation_data=(x, y + 1), epochs=3, verbose=0, callbacks=[keeper])
    assert (tmp_path / "fit.keras").is_file() and keeper.best == min(history.history["val_loss"])


def test_best_epoch_zero_based(capsys):
    assert not checks.check_best_epoch(lambda h: h["val_loss"].index(min(h["val_loss"])))
    assert "0-based" in capsys.readouterr().out


def test_best_epoch_by_training_loss(capsys):
    assert not checks.check_best_epoch(lambda h: h["loss"].index(min(h["loss"])) + 1)
    assert "validation" in capsys.readouterr().out


def test_best_epoch_reference_on_ties():
    assert checks.best_epoch_reference({"val_loss": [0.5, 0.3, 0.3]}) == 2


# ------------------------------------- exercise 5: which loss the measured errors support
def test_residual_fits_tell_a_laplace_from_a_gaussian():
    import numpy as np

    rng = np.random.default_rng(0)
    laplace, gauss = checks.residual_fits(rng.laplace(0, 0.1, 20000)), checks.residual_fits(rng.normal(0, 0.1, 20000))
    assert laplace["loss"] == "l1" and gauss["loss"] == "mse"
    assert laplace["ratio"] == pytest.approx(2**-0.5, abs=0.01) and gauss["ratio"] == pytest.approx(0.798, abs=0.01)
    assert laplace["kurtosis"] == pytest.approx(3, abs=0.5) and gauss["kurtosis"] == pytest.approx(0, abs=0.2)
    # the cut is where both fits are equally likely: b / sigma = sqrt(2 pi) / 2 * exp(-1/2)
    assert checks.LAPLACE_CUT == pytest.approx(0.7602, abs=1e-4)
    # NCD-like errors: a spike of almost-right background pixels and a broad object part
    spiky = np.concatenate([rng.normal(0, 0.01, 15000), rng.normal(0, 0.2, 5000)])
    assert checks.residual_fits(spiky)["loss"] == "l1"
    with pytest.raises(ValueError, match="no residuals"):
        checks.residual_fits([])
    with pytest.raises(ValueError, match="all equal"):
        checks.residual_fits(np.zeros(10))


@pytest.mark.parametrize("draw, measured", [("laplace", "l1"), ("normal", "mse")])
def test_loss_prediction_explained_from_the_measured_residuals(draw, measured, capsys):
    import numpy as np

    residuals = getattr(np.random.default_rng(1), draw)(0, 0.1, 20000)
    for predicted in ("mse", "l1"):  # the same prediction is right or wrong depending on what was measured
        assert checks.explain_loss_choice(predicted, residuals) is (predicted == measured)
        out = capsys.readouterr().out
        assert f"you predicted {predicted!r} and the measurement shows {measured!r}" in out and "b / sigma" in out


def test_loss_prediction_is_a_prediction_made_before_the_measurement(capsys):
    from course_lib.checks.exercise import Prediction

    assert isinstance(checks.ex5, Prediction) and checks.ex5.options == ("mse", "l1")
    assert solutions.loss_prediction in checks.ex5.options


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


def _step(*, training=True, variables="trainable", apply=True, tape_outside=False, loss_name="mse"):
    """A learner's train_step with one typical mistake."""
    import keras
    import tensorflow as tf

    mse = {"mse": keras.losses.MeanSquaredError(), "l1": keras.losses.MeanAbsoluteError()}[loss_name]

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
    ({"loss_name": "l1"}, "L1 loss"),
], ids=["no-training-flag", "frozen-variables", "some-variables", "no-apply", "tape-outside", "l1-loss"])
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
