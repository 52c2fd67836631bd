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

from course_lib.checks.feedback import (accept, checker, float32_policy, hint, learner_answer,
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


# ------------------------------------------------------ exercise 2: callbacks
def make_callbacks_reference(run_dir) -> list:
    """A checkpoint of the best model by validation loss, and a CSV log that resuming appends to."""
    import keras

    run_dir = Path(run_dir)
    return [
        keras.callbacks.ModelCheckpoint(run_dir / "best.keras", monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(run_dir / "log.csv", append=True),
    ]


@checker
def check_make_callbacks(make_callbacks: Callable | None) -> bool:
    """Check ``make_callbacks(run_dir) -> list`` of a ModelCheckpoint and a CSVLogger."""
    if make_callbacks is None:
        return not_attempted("make_callbacks")
    try:
        import keras
    except ImportError as exc:
        return hint(f"Keras is needed for this check ({exc}).")
    run_dir = Path(tempfile.mkdtemp(prefix="course_check_"))
    ok, got = learner_answer(make_callbacks, "make_callbacks", run_dir)
    if not ok:
        return False
    if not isinstance(got, (list, tuple)):
        return hint(f"return a list of callbacks; got {type(got).__name__}.")
    checkpoints = [cb for cb in got if isinstance(cb, keras.callbacks.ModelCheckpoint)]
    loggers = [cb for cb in got if isinstance(cb, keras.callbacks.CSVLogger)]
    if len(checkpoints) != 1:
        return hint(f"the list should hold one keras.callbacks.ModelCheckpoint; it holds {len(checkpoints)}.")
    if len(loggers) != 1:
        return hint(f"the list should hold one keras.callbacks.CSVLogger; it holds {len(loggers)}.")
    checkpoint, logger = checkpoints[0], loggers[0]
    checkpoint_path, log_path = Path(str(checkpoint.filepath)), Path(str(logger.filename))
    if checkpoint_path != run_dir / "best.keras":
        return hint(f"save the checkpoint to run_dir / 'best.keras'; yours goes to {checkpoint_path}.")
    if checkpoint.monitor != "val_loss":
        return hint(f"your checkpoint watches {checkpoint.monitor!r}. Training loss always falls; pick the "
                    "model by the validation loss, 'val_loss'.")
    if not checkpoint.save_best_only:
        return hint("with save_best_only=False every epoch overwrites best.keras, best or not. "
                    "Set save_best_only=True.")
    if log_path != run_dir / "log.csv":
        return hint(f"write the log to run_dir / 'log.csv'; yours goes to {log_path}.")
    if not logger.append:
        return hint("with append=False a resumed run erases the log of the epochs before the interruption, "
                    "and your loss curve starts again from the resume point. Set append=True.")
    return accept("best model kept by validation loss, and a log that survives a resume.")


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
ex2 = Exercise("04", 2, "make_callbacks", check_make_callbacks, hints=(
    "Two callbacks: keras.callbacks.ModelCheckpoint for the best model, keras.callbacks.CSVLogger for the log.",
    "ModelCheckpoint(run_dir / 'best.keras', monitor='val_loss', save_best_only=True) and "
    "CSVLogger(run_dir / 'log.csv', append=True).",
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


# ------------------------------------------------------- exercise 5: the loss
def _loss_batch():
    """A fixed batch ``(ab_true, ab_pred)``, each ``(4, 8, 8, 2)`` float32 in [-1, 1], as TensorFlow tensors."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(5)
    ab_true = rng.uniform(-0.6, 0.6, (4, 8, 8, 2)).astype("float32")
    ab_pred = np.tanh(ab_true + rng.normal(0.1, 0.3, ab_true.shape)).astype("float32")
    return tf.constant(ab_true), tf.constant(ab_pred)


@float32_policy()
def mse_ab_reference(ab_true, ab_pred) -> float:
    """The course's loss, ``course_lib.train.make_loss("mse")``, as a Python float."""
    from course_lib.train import make_loss

    return float(make_loss("mse")(ab_true, ab_pred))


@checker
def check_mse_ab(mse_ab: Callable | None) -> bool:
    """Check ``mse_ab(ab_true, ab_pred) -> scalar`` against ``make_loss("mse")`` on a fixed batch."""
    import numpy as np

    from course_lib.checks.feedback import as_float_array

    if mse_ab is None:
        return not_attempted("mse_ab")
    ab_true, ab_pred = _loss_batch()
    ok, got = learner_answer(mse_ab, "mse_ab", ab_true, ab_pred)
    if not ok:
        return False
    value = as_float_array(got)
    if value is None:
        return hint(f"return one number (a scalar tensor is fine); got {type(got).__name__}.")
    if value.size != 1:
        return hint(f"on a batch of shape {tuple(ab_true.shape)} you return an array of shape {value.shape}: a "
                    "loss is one number. Average over every image, pixel and channel (tf.reduce_mean with no axis).")
    value = float(value.reshape(()))
    want = mse_ab_reference(ab_true, ab_pred)
    if np.isclose(value, want, rtol=1e-4, atol=1e-7):
        return accept(f"{value:.5f}, the value of course_lib.train.make_loss('mse') on the same batch.")
    diff = np.asarray(ab_true, dtype=np.float64) - np.asarray(ab_pred, dtype=np.float64)
    mistakes = (
        (np.sum(diff**2), "you sum the squared errors: the loss then grows with the batch and image size, and so "
                          "does the step the optimizer takes. Take the mean."),
        (np.sqrt(np.mean(diff**2)), "that is the root of the mean squared error (RMSE): a fine metric, but the "
                                    "course trains on the MSE itself; drop the square root."),
        (np.mean(np.abs(diff)), "that is the mean *absolute* error (the 'l1' loss): square the differences."),
        (np.mean(diff) ** 2, "you square the mean error: positive and negative errors cancel before squaring. "
                             "Square each difference first, then take the mean."),
        (np.mean(diff**2) * 128**2, "you measure in LAB units (x 128): the model predicts ab / 128, and the loss "
                                    "compares those normalised values as they are."),
        (0.5 * np.mean(diff**2), "you halve the mean squared error; the course's loss has no 1/2."),
    )
    for wrong, message in mistakes:
        if np.isclose(value, wrong, rtol=1e-4, atol=1e-7):
            return hint(f"on a fixed batch you return {value:.5f}, the reference is {want:.5f}: {message}")
    return hint(f"on a fixed batch you return {value:.5f}; make_loss('mse') gives {want:.5f}. Subtract, square "
                "each difference, then average over everything.")


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
    if not np.isclose(value, want_loss, rtol=1e-4, atol=1e-6):
        return hint(f"your step returns the loss {value:.5f}; Keras' train_on_batch gives {want_loss:.5f} on the "
                    "same model and batch. Return the MSE of the training-mode prediction, computed before the "
                    "update (make_loss('mse') or your mse_ab).")
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


ex5 = Exercise("04", 5, "mse_ab", check_mse_ab, hints=(
    "Subtract the prediction from the truth, square each difference, and average over everything: images, "
    "pixels and both channels.",
    "tf.reduce_mean(tf.square(ab_true - ab_pred)).",
))
ex6 = Exercise("04", 6, "train_step", check_train_step, hints=(
    "Inside `with tf.GradientTape() as tape:` run the model in training mode and compute the loss; outside it, "
    "ask the tape for the gradients of the trainable variables and let the optimizer apply them.",
    "with tf.GradientTape() as tape: loss = mse_ab(ab_norm, model(l_norm, training=True)); then "
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
