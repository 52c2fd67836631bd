"""Checks for the exercises of notebook 04, "Training on a GPU".

Each ``check_*`` function takes the learner's function, calls it on a few cases, and
prints either ``accepted`` or a hint naming the likely mistake. It returns ``True`` or
``False`` and never raises: a stub that still returns ``None`` just gets a reminder.
"""

from __future__ import annotations

import functools
import math
import tempfile
from pathlib import Path
from typing import Callable

from course_lib.checks.feedback import (accept, call_safely, checker, float32_policy, hint, learner_answer,
                                        not_attempted, prediction_vs_measurement)


# --------------------------------------------------- exercise 1: steps per epoch
def steps_per_epoch_reference(n_images: int, batch_size: int) -> int:
    """Batches in one pass over ``n_images``: the last, partial batch counts too."""
    return math.ceil(n_images / batch_size)


_STEPS_CASES = ((100, 32), (64, 32), (1, 8), (2250, 16), (7, 100))


@checker
def check_steps_per_epoch(steps_per_epoch: Callable | None) -> bool:
    """Check ``steps_per_epoch(n_images, batch_size) -> int``."""
    if steps_per_epoch is None:
        return not_attempted("steps_per_epoch")
    for n_images, batch_size in _STEPS_CASES:
        ok, got = learner_answer(steps_per_epoch, "steps_per_epoch", n_images, batch_size)
        if not ok:
            return False
        want = steps_per_epoch_reference(n_images, batch_size)
        case = f"n_images={n_images}, batch_size={batch_size}"
        if isinstance(got, float) and not float(got).is_integer():
            return hint(f"for {case} you return {got}: a number of batches is a whole number. "
                        "Round it -- which way, given the last batch may be smaller?")
        if got == want:
            continue
        if got == n_images // batch_size:
            return hint(f"for {case} you return {got}: floor division drops the last, partial batch, so "
                        "some images would never be seen. Round up instead (math.ceil).")
        return hint(f"for {case} you return {got!r}; expected {want}.")
    return accept("every image is seen once per epoch, the last batch may be smaller.")


# ------------------------------------------- exercise 2: a callback that keeps the best model
#: What the check's model is marked with before the first epoch: the model "of before the interruption".
MARK_BEFORE = -1.0


@float32_policy()
def _marked_model():
    """A tiny model whose only bias is a *mark*: the check sets it to the epoch's number, so a saved
    file tells which epoch's weights it holds."""
    import keras

    inputs = keras.Input((2,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(1, name="mark")(inputs), name="keep_best_check")
    _set_mark(model, MARK_BEFORE)
    return model


def _set_mark(model, mark: float) -> None:
    import numpy as np

    kernel, _ = model.get_layer("mark").get_weights()
    model.get_layer("mark").set_weights([np.zeros_like(kernel), np.full((1,), mark, "float32")])


def _saved_mark(path: Path) -> float | None:
    """The mark of the model saved at ``path`` (None: no file there)."""
    import keras

    if not path.is_file():
        return None
    return float(keras.models.load_model(path, compile=False).get_layer("mark").get_weights()[1][0])


def _keep_best_cases(rng) -> list[tuple[str, list[float], float | None]]:
    """``(what, val_losses, best before the run or None)``: random runs and the edge cases that matter."""
    random_run = [round(float(v), 4) for v in rng.uniform(0.2, 0.8, 5)]
    while len(set(random_run)) < len(random_run):  # no exact ties: both ways of breaking one are fine
        random_run = [round(float(v), 4) for v in rng.uniform(0.2, 0.8, 5)]
    start = round(float(rng.uniform(0.3, 0.5)), 4)
    return [
        ("a run that overfits", [0.62, 0.48, 0.41, 0.45, 0.53], None),
        ("random val_loss values", random_run, None),
        ("an epoch that diverged (val_loss NaN)", [0.5, float("nan"), 0.55, 0.42], None),
        (f"a resumed run whose best val_loss before the interruption was {start}",
         [start + 0.05, start + 0.01, start - 0.04, start - 0.02], start),
    ]


def _run_callback(callback, model, path: Path, val_losses: list[float], resumed: bool) -> list:
    """Play a training's epochs to ``callback`` as ``model.fit`` does; the saved mark after each epoch."""
    if resumed:  # the best model of before the interruption is already on disk
        _set_mark(model, MARK_BEFORE)
        model.save(path)
    callback.set_model(model)
    callback.on_train_begin({})
    marks = []
    for epoch, val_loss in enumerate(val_losses):
        _set_mark(model, float(epoch + 1))
        callback.on_epoch_end(epoch, {"loss": 0.3, "val_loss": val_loss})
        marks.append(_saved_mark(path))
    callback.on_train_end({})
    return marks


def keep_best_reference(path, best: float = math.inf):
    """Keras' own callback for the job: ``ModelCheckpoint(path, monitor="val_loss", save_best_only=True)``,
    told the best value of before a resume (``initial_value_threshold``)."""
    import keras

    return keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True,
                                           initial_value_threshold=best, verbose=0)


def _epoch(mark) -> str:
    if mark is None:
        return "no file"
    return "the model of before the run" if mark == MARK_BEFORE else f"epoch {int(mark)}"


def _keep_best_hint(case: str, val_losses: list, resumed: bool, epoch: int, got, want) -> bool:
    shown = ", ".join(f"{v:g}" for v in val_losses)
    where = (f"in {case} (val_loss per epoch: {shown}), after epoch {epoch + 1} the file holds {_epoch(got)}; "
             f"ModelCheckpoint(save_best_only=True) would hold {_epoch(want)}")
    if resumed and got is not None and want == MARK_BEFORE:
        return hint(f"{where}. A resumed run creates a new callback, and yours forgot the best value of before "
                    "the interruption, so a worse epoch overwrote the best model. Start from the `best` "
                    "argument (the best val_loss so far), not from infinity.")
    if got is not None and want is not None and got != want and "NaN" in case and math.isnan(val_losses[epoch]):
        return hint(f"{where}. A NaN val_loss is no improvement: every comparison with NaN is False, so a "
                    "test written as `not (val_loss >= best)` lets it through. Save only when "
                    "`val_loss < best`.")
    if got is None:
        return hint(f"{where}. Save in on_epoch_end when logs['val_loss'] is below the best so far: "
                    "self.model.save(self.path).")
    if want is not None and got > want:
        return hint(f"{where}: your callback saved a later epoch that was not better. Compare logs['val_loss'] "
                    "with the best value so far, save only when it is lower, and then remember it as the best.")
    return hint(f"{where}. Keep the best val_loss seen so far in the callback (an attribute), and save when "
                "an epoch beats it.")


def _explain_callback_error(exc: Exception) -> str:
    text = (f"during a training (on_train_begin, on_epoch_end(epoch, logs), on_train_end) your callback raised "
            f"{type(exc).__name__}: {exc}.")
    if isinstance(exc, AttributeError) and "model" in str(exc):
        text += " Call super().__init__() first in your __init__: keras.callbacks.Callback sets up self.model there."
    return text


def _keep_best_case(KeepBest, folder: Path, case: str, val_losses: list, best: float | None) -> bool:
    """One run of the check: the learner's callback and Keras' ModelCheckpoint, epoch by epoch; True if they agree."""
    import keras

    resumed = best is not None
    path, want_path = folder / "learner" / "best.keras", folder / "reference" / "best.keras"
    path.parent.mkdir(parents=True)
    want_path.parent.mkdir(parents=True)
    args = (path, best) if resumed else (path,)
    ok, callback = learner_answer(KeepBest, "KeepBest", *args)
    if not ok:
        return False
    if not isinstance(callback, keras.callbacks.Callback):
        return hint(f"KeepBest({', '.join(map(str, args))}) gave a {type(callback).__name__}: write a subclass "
                    "of keras.callbacks.Callback, so that model.fit(..., callbacks=[KeepBest(path)]) calls it.")
    ok, got = call_safely(_run_callback, callback, _marked_model(), path, val_losses, resumed,
                          explain=_explain_callback_error)
    if not ok:
        return False
    want = _run_callback(keep_best_reference(want_path, best if resumed else math.inf), _marked_model(),
                         want_path, val_losses, resumed)
    for epoch, (got_mark, want_mark) in enumerate(zip(got, want)):
        if got_mark != want_mark:
            return _keep_best_hint(case, val_losses, resumed, epoch, got_mark, want_mark)
    return True


@checker
def check_keep_best(KeepBest) -> bool:
    """Check ``KeepBest(path, best)``, a Keras callback, against ``ModelCheckpoint(save_best_only=True)``:
    on random and edge-case runs (a NaN epoch, a resume), which epoch's model the file holds after every epoch."""
    import numpy as np

    if KeepBest is None:  # the stub: not attempted (the mark is what grading reads)
        from course_lib.checks.exercise import NOT_ATTEMPTED_MARK

        print(f"{NOT_ATTEMPTED_MARK} yet: `KeepBest` is still None. Replace it in the exercise cell with your "
              "class, run the cell, then run this check again.")
        return False
    try:
        import keras  # noqa: F401  (the check plays trainings to a Keras callback)
    except ImportError as exc:
        return hint(f"Keras is needed for this check ({exc}).")
    with tempfile.TemporaryDirectory(prefix="course_check_keep_best_") as scratch:  # removed afterwards
        for number, (case, val_losses, best) in enumerate(_keep_best_cases(np.random.default_rng())):
            if not _keep_best_case(KeepBest, Path(scratch) / str(number), case, val_losses, best):
                return False
    return accept("after every epoch of every run (random ones, a diverged epoch, a resume), the file holds the "
                  "same epoch's model as Keras' ModelCheckpoint(save_best_only=True).")


# --------------------------------------------------------- exercise 3: best epoch
def best_epoch_reference(history: dict) -> int:
    """1-based number of the epoch with the lowest ``val_loss`` (the first such, on ties)."""
    val_loss = list(history["val_loss"])
    return val_loss.index(min(val_loss)) + 1


_HISTORIES = (
    {"loss": [0.9, 0.5, 0.3, 0.2, 0.1], "val_loss": [0.8, 0.6, 0.45, 0.5, 0.7]},   # overfits after 3
    {"loss": [0.4, 0.35, 0.3], "val_loss": [0.5, 0.4, 0.35]},                       # still improving
    {"loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [0.6, 0.7, 0.65, 0.75]},             # best at the start
)


@checker
def check_best_epoch(best_epoch: Callable | None) -> bool:
    """Check ``best_epoch(history) -> int`` (1-based, lowest validation loss)."""
    if best_epoch is None:
        return not_attempted("best_epoch")
    for history in _HISTORIES:
        history = {key: list(values) for key, values in history.items()}  # the learner may mutate it
        ok, got = learner_answer(best_epoch, "best_epoch", history)
        if not ok:
            return False
        want = best_epoch_reference(history)
        if got == want:
            continue
        shown = f"val_loss={history['val_loss']}"
        if got == want - 1:
            return hint(f"for {shown} you return {got}: that is the 0-based index. Epochs are counted "
                        "from 1 in the log and in Keras' progress output; add 1.")
        if got in (len(history["loss"]), history["loss"].index(min(history["loss"])) + 1):
            return hint(f"for {shown} you return {got}: the training loss keeps falling while the model "
                        "overfits. Look for the lowest *validation* loss.")
        return hint(f"for {shown} you return {got!r}; expected {want}.")
    return accept("that is the epoch whose weights ModelCheckpoint(save_best_only=True) keeps.")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise, Prediction  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("04", 1, "steps_per_epoch", check_steps_per_epoch, hints=(
    "The last batch may be smaller than batch_size, but it is still a step.",
    "Round the division up: math.ceil(n_images / batch_size).",
))
ex2 = Exercise("04", 2, "KeepBest", check_keep_best, hints=(
    "A callback is a class: `class KeepBest(keras.callbacks.Callback)`. Keras calls its "
    "on_epoch_end(self, epoch, logs) after every epoch, with logs['val_loss'] in it, and self.model is the model "
    "being trained. Remember the best value in an attribute.",
    "In __init__(self, path, best=math.inf): super().__init__(), then keep path and best. In on_epoch_end: if "
    "logs['val_loss'] < self.best, remember it and self.model.save(self.path). Why `<` and not `not >=`? Try "
    "it with a NaN.",
    "Keras' own ModelCheckpoint(path, monitor='val_loss', save_best_only=True, initial_value_threshold=best) "
    "does the same job; the solution writes the class out.",
))
ex3 = Exercise("04", 3, "best_epoch", check_best_epoch, hints=(
    "The best model is the one with the lowest *validation* loss; epochs are counted from 1.",
    "val = history['val_loss']; return val.index(min(val)) + 1.",
))


# ------------------------------------- exercise 4: predict, then measure, the kept epoch
def explain_kept_epoch(predicted, history: dict, kept_epoch: int) -> bool:
    """Compare the prediction "same" / "different" with this run: the epoch of the lowest validation loss
    (``history["val_loss"]``, epochs counted from 1) against ``kept_epoch``, the epoch whose weights
    ``model.keras`` holds (best validation PSNR, from the run's state.json). Prints why; returns agreement."""
    val_loss = list(history["val_loss"])
    by_loss = min(range(len(val_loss)), key=val_loss.__getitem__) + 1
    measured = "same" if by_loss == int(kept_epoch) else "different"
    shows = (f"the lowest validation loss is at epoch {by_loss}, and model.keras (best validation PSNR) holds "
             f"epoch {kept_epoch}: {'the same epoch' if measured == 'same' else 'two different epochs'}")
    why = {"same": "when the curves are still falling at the end, both criteria pick the last good epoch; "
                   "they part only where the loss is flat and per-image PSNR weighs easy and hard images "
                   "differently.",
           "different": "PSNR is a mean of per-image logarithms in RGB, the loss a mean of squared ab errors over "
                        "all pixels: an epoch that halves the small error of easy images gains dB without moving "
                        "the loss much, so near a flat end the two can pick different epochs of almost equal "
                        "quality."}[measured]
    return prediction_vs_measurement(predicted, measured, shows, why)


ex4 = Prediction("04", 4, "kept_epoch_prediction", options=("same", "different"), explain=explain_kept_epoch,
                 hints=(
    "model.keras is chosen by validation PSNR (per image, in RGB, then averaged), your best_epoch by the "
    "validation loss (squared ab error over all pixels). Do they always move together?",
    "They are close relatives but not the same average: on a flat stretch of the curves they can disagree "
    "by an epoch or more; with few epochs and a steep curve both usually pick the last one. Either answer "
    "earns the point when made before the measurement.",
))


# ------------------------------------- exercise 5: predict which loss the errors support
#: Where a Gaussian and a Laplace distribution fit equally well, by maximum likelihood: the ratio of the
#: mean absolute deviation (from the median) to the standard deviation. A Gaussian has sqrt(2/pi) = 0.80,
#: a Laplace 1/sqrt(2) = 0.71; below the cut, the Laplace (the L1 loss) fits better.
LAPLACE_CUT = math.sqrt(2 * math.pi) / 2 * math.exp(-0.5)


def residual_fits(residuals) -> dict:
    """How well each loss's noise model fits ``residuals`` (true - predicted ``ab_norm``, any shape).

    Minimising the MSE is maximum likelihood under Gaussian errors, minimising L1 under Laplace
    errors. Returns both fits, each at its maximum-likelihood parameters: ``sigma`` (the standard
    deviation) and ``b`` (the mean absolute deviation from the median), the mean negative log-likelihood
    per value of each (``nll_gauss``, ``nll_laplace``, in nats: lower fits better), ``ratio`` = b / sigma,
    the excess ``kurtosis`` (0 for a Gaussian, 3 for a Laplace) and the better ``loss``, "mse" or "l1".

    Raises
    ------
    ValueError
        When there are fewer than two finite values, or they are all equal.
    """
    import numpy as np

    values = np.asarray(residuals, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size < 2:
        raise ValueError("no residuals to fit: run the cell that measures them first")
    sigma = float(values.std())
    b = float(np.mean(np.abs(values - np.median(values))))
    if sigma == 0 or b == 0:
        raise ValueError("the residuals are all equal: the model's errors have no spread to fit")
    nll_gauss = 0.5 * math.log(2 * math.pi * sigma**2) + 0.5
    nll_laplace = math.log(2 * b) + 1.0
    kurtosis = float(np.mean((values - values.mean()) ** 4) / sigma**4 - 3)
    return {"sigma": sigma, "b": b, "nll_gauss": nll_gauss, "nll_laplace": nll_laplace, "ratio": b / sigma,
            "kurtosis": kurtosis, "loss": "l1" if nll_laplace < nll_gauss else "mse", "n": int(values.size)}


def explain_loss_choice(predicted, residuals) -> bool:
    """Compare the prediction "mse" / "l1" with the loss whose noise model fits ``residuals`` (true - predicted
    ``ab_norm`` of this kernel's model) better, by maximum likelihood (:func:`residual_fits`). Prints the two
    fits and why; returns agreement."""
    fits = residual_fits(residuals)
    shows = (f"on {fits['n']} residuals the Laplace fit (b = {fits['b']:.3f}) costs {fits['nll_laplace']:.3f} nats per "
             f"value and the Gaussian fit (sigma = {fits['sigma']:.3f}) {fits['nll_gauss']:.3f}, lower is better; "
             f"b / sigma = {fits['ratio']:.2f}, where Gaussian errors give 0.80 and Laplace errors 0.71; excess "
             f"kurtosis {fits['kurtosis']:.1f}, Gaussian 0, Laplace 3")
    why = {"l1": "the errors are more peaked at their centre and heavier in the tails than a bell of the same "
                 "width: many pixels almost right (on NCD, above all the white background and flat areas) and a "
                 "few far off (the objects' colours). The Laplace describes that better, so L1 is the loss whose "
                 "assumption holds.",
           "mse": "the errors spread like a bell, without a sharp peak at 0 or heavy tails: the Gaussian "
                  "describes them better, so the MSE is the loss whose assumption holds."}[fits["loss"]]
    if abs(fits["ratio"] - LAPLACE_CUT) < 0.02:
        why += (f" It is a close call, though: b / sigma is within 0.02 of the cut ({LAPLACE_CUT:.2f}), so neither "
                "shape describes these errors much better than the other.")
    return prediction_vs_measurement(predicted, fits["loss"], shows, why)


# ------------------------------------------------- exercise 6: a training step
#: The step's fixed case: SGD with a large learning rate, so that a wrong gradient shows in the weights.
STEP_LEARNING_RATE = 0.5


@float32_policy()  # float32 whatever the global policy: a training run may have left mixed_float16 set
def _step_model():
    """A tiny colorizer with what matters for a training step: a frozen layer, BatchNormalization, a tanh head."""
    import keras
    import numpy as np

    inputs = keras.Input((8, 8, 1), name="l_norm")
    frozen = keras.layers.Conv2D(4, 3, padding="same", name="frozen_conv")
    frozen.trainable = False
    x = frozen(inputs)
    x = keras.layers.Conv2D(6, 3, padding="same", use_bias=False, name="conv")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    outputs = keras.layers.Conv2D(2, 3, padding="same", activation="tanh", name="ab_norm")(x)
    model = keras.Model(inputs, outputs, name="step_check_model")
    rng = np.random.default_rng(6)
    model.set_weights([rng.normal(0.0, 0.4, w.shape).astype("float32") if "variance" not in w.path
                       else np.ones(w.shape, "float32") for w in model.weights])
    return model


def _step_batch():
    import numpy as np

    rng = np.random.default_rng(7)
    l_norm = rng.uniform(-1.0, 1.0, (4, 8, 8, 1)).astype("float32")
    ab_norm = rng.uniform(-0.5, 0.5, (4, 8, 8, 2)).astype("float32")
    return l_norm, ab_norm


@functools.lru_cache(maxsize=1)
@float32_policy()
def train_step_reference() -> tuple[float, list]:
    """Keras' own step on the check's model and batch: ``(loss, weights after the step)``.

    ``model.compile`` with the course's loss and ``train_on_batch`` is what ``model.fit`` (and so
    ``course_lib.train``) does per batch: forward pass in training mode, gradients of the trainable
    variables, one optimizer update; the loss returned is the one before the update.
    """
    import keras

    from course_lib.train import make_loss

    model = _step_model()
    model.compile(optimizer=keras.optimizers.SGD(STEP_LEARNING_RATE), loss=make_loss("mse"), jit_compile=False)
    loss = model.train_on_batch(*_step_batch())
    return float(loss), tuple(w.numpy() for w in model.weights)


def _explain_step_error(exc: Exception) -> str | None:
    if "No gradients provided" in str(exc):
        return ("every gradient is None: the tape recorded nothing. Run the forward pass (model(...)) and the "
                "loss *inside* `with tf.GradientTape() as tape:`, then call tape.gradient outside it.")
    return None


@checker
def check_train_step(train_step: Callable | None) -> bool:
    """Check ``train_step(model, optimizer, l_norm, ab_norm) -> loss`` against Keras' train_on_batch."""
    if train_step is None:
        return not_attempted("train_step")
    try:
        import keras
        import numpy as np
    except ImportError as exc:
        return hint(f"Keras is needed for this check ({exc}).")
    from course_lib.checks.feedback import as_float_array

    model = _step_model()
    before = [w.numpy() for w in model.weights]
    optimizer = keras.optimizers.SGD(STEP_LEARNING_RATE)
    l_norm, ab_norm = _step_batch()
    ok, got = learner_answer(train_step, "train_step", model, optimizer, l_norm, ab_norm, explain=_explain_step_error)
    if not ok:
        return False
    value = as_float_array(got)
    if value is None or value.size != 1:
        return hint(f"return the loss of the batch, one number (the scalar tensor your loss gives); got "
                    f"{type(got).__name__}{'' if value is None else f' of shape {value.shape}'}.")
    value = float(value.reshape(()))
    after = {w.path: w.numpy() for w in model.weights}
    before = dict(zip(after, before))
    want_loss, want_weights = train_step_reference()
    want = dict(zip(after, want_weights))
    trainable = {w.path for w in model.trainable_weights}
    moved = {path for path in after if not np.array_equal(after[path], before[path])}
    if not moved & trainable:
        return hint("the weights did not change. Either the step never applies the gradients "
                    "(optimizer.apply_gradients(zip(gradients, model.trainable_variables))), or the forward "
                    "pass ran outside `with tf.GradientTape() as tape:`, so there was nothing to differentiate.")
    if "frozen_conv" in {path.split("/")[0] for path in moved}:
        return hint("you updated a frozen layer (trainable=False): take the gradients of, and apply them to, "
                    "model.trainable_variables, not model.weights or model.variables.")
    if trainable - moved:
        return hint(f"some trainable weights did not move ({', '.join(sorted(trainable - moved))}): take the "
                    "gradients of all of model.trainable_variables, not just some layers'.")
    inference_loss = float(keras.losses.MeanSquaredError()(ab_norm, _step_model()(l_norm, training=False)))
    if np.isclose(value, inference_loss, rtol=1e-4, atol=1e-6) and not np.isclose(value, want_loss, rtol=1e-4):
        return hint("your loss is the model's in inference mode: call model(l_norm, training=True) in the step, "
                    "so that BatchNormalization (and Dropout) behave as in training and update their statistics.")
    training_pred = _step_model()(l_norm, training=True)
    l1_loss = float(np.mean(np.abs(ab_norm - np.asarray(training_pred))))
    if np.isclose(value, l1_loss, rtol=1e-4, atol=1e-6) and not np.isclose(value, want_loss, rtol=1e-4):
        return hint("your step trains with the L1 loss (mean absolute error). Whatever exercise 5's histogram "
                    "said, this check compares with the course's recipe, which trains with the MSE: "
                    "tf.reduce_mean(tf.square(ab_norm - ab_pred)).")
    if not np.isclose(value, want_loss, rtol=1e-4, atol=1e-6):
        return hint(f"your step returns the loss {value:.5f}; Keras' train_on_batch gives {want_loss:.5f} on the "
                    "same model and batch. Return the MSE of the training-mode prediction, computed before the "
                    "update (tf.reduce_mean(tf.square(ab_norm - ab_pred)), or train.make_loss('mse')).")
    off = [path for path in after if not np.allclose(after[path], want[path], rtol=1e-4, atol=1e-5)]
    if off:
        return hint(f"the loss is right, but after one step these weights differ from Keras' step: {', '.join(off)}. "
                    "One update per call: gradients = tape.gradient(loss, model.trainable_variables), then "
                    "optimizer.apply_gradients(zip(gradients, model.trainable_variables)).")
    return accept(f"loss {value:.5f} and the weights after one step match Keras' model.train_on_batch, the step "
                  "model.fit repeats for every batch.")


# ----------------------------------------------- exercise 7: predict the ablation
def explain_ablation(predicted, ablation_psnr: dict) -> bool:
    """Compare the prediction "a" (U-Net clearly wins), "b" (seed clearly wins), "c" (neither clearly) with
    ``ablation_psnr``: ``{(decoder, seed): best validation PSNR}`` for decoders "seed" and "unet". "Clearly"
    means both runs of one decoder score above both runs of the other. Prints why; returns agreement."""
    runs = {decoder: [value for (name, _), value in ablation_psnr.items() if name == decoder]
            for decoder in ("seed", "unet")}
    if min(runs["unet"]) > max(runs["seed"]):
        measured, why = "a", ("every U-Net run beat every seed-decoder run. With two seeds each that is "
                              "suggestive, not proof: a second pair of seeds, or more epochs, should show it again "
                              "before you believe it.")
    elif min(runs["seed"]) > max(runs["unet"]):
        measured, why = "b", ("the seed decoder won both times here. In so short a run (3 epochs on a few "
                              "images) the decoder has barely left its random start; with a real training the "
                              "skips usually win, since they hand block 1's edges to the layers that paint.")
    else:
        measured, why = "c", ("the runs of the two decoders overlap: two seeds of the same decoder differ about "
                              "as much as the designs do, so this run cannot tell them apart; more seeds, epochs "
                              "or images could.")
    table = ", ".join(f"{decoder} {' / '.join(f'{v:.2f}' for v in values)} dB" for decoder, values in runs.items())
    return prediction_vs_measurement(predicted, measured, table, why)


ex5 = Prediction("04", 5, "loss_prediction", options=("mse", "l1"), explain=explain_loss_choice, hints=(
    "Each loss assumes a shape for the errors: the MSE a Gaussian (a rounded bell, thin tails), L1 a Laplace (a "
    "sharp peak at 0, heavier tails). Which shape do you expect from a model that gets most pixels of an NCD "
    "photo almost right?",
    "Most of an NCD photo is white background, which any colorizer gets nearly exactly right: a tall peak at 0. "
    "The objects' colours are where the large errors are. Either answer earns the point when made before the "
    "measurement.",
))
ex6 = Exercise("04", 6, "train_step", check_train_step, hints=(
    "Inside `with tf.GradientTape() as tape:` run the model in training mode and compute the loss; outside it, "
    "ask the tape for the gradients of the trainable variables and let the optimizer apply them.",
    "with tf.GradientTape() as tape: loss = tf.reduce_mean(tf.square(ab_norm - model(l_norm, training=True))); "
    "then "
    "grads = tape.gradient(loss, model.trainable_variables); "
    "optimizer.apply_gradients(zip(grads, model.trainable_variables)); return loss.",
))
ex7 = Prediction("04", 7, "ablation_prediction", options=("a", "b", "c"), explain=explain_ablation, hints=(
    "How far can 3 epochs on 32 images move a decoder from its random start? How much does the random "
    "start itself change the score?",
    "In so short a run, two seeds of the same decoder often differ by as much as the two decoders do; with "
    "a longer run the U-Net's skips usually win. Either answer earns the point when made before the "
    "measurement.",
))
