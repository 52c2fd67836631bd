"""Checks for the exercises of notebook 04, "Training on a GPU".

Each ``check_*`` function takes the learner's function, calls it on a few cases, and
prints either ``accepted`` or a hint naming the likely mistake. It returns ``True`` or
``False`` and never raises: a stub that still returns ``None`` just gets a reminder.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Callable

from course_lib.checks.feedback import accept, checker, hint, judge_choice, learner_answer, not_attempted


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
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

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


# ------------------------------------------------ exercise 4: read the curves
@checker
def check_diagnosis(diagnosis) -> bool:
    """Decision: loss keeps falling, val_loss rises from epoch 6: "a" underfitting, "b" overfitting, "c" a bug?"""
    if diagnosis is not None and not isinstance(diagnosis, str):
        return hint(f'answer with a letter, e.g. diagnosis = "a"; got {diagnosis!r}')
    return judge_choice(diagnosis, "diagnosis", "b", mistakes={
        "a": "underfitting shows as *both* losses staying high; here the training loss keeps improving.",
        "c": "nothing is broken: a training loss that falls while the validation loss rises is the classic "
             "sign of the model learning its training images by heart.",
    }, accepted="overfitting: keep the epoch with the lowest val_loss (ModelCheckpoint, save_best_only), "
                "or stop there.", otherwise='Answer "a", "b" or "c".')


ex4 = Exercise("04", 4, "diagnosis", check_diagnosis, hints=(
    "Which images does the model get better at after epoch 6, and which worse?",
    "Better on the images it trains on, worse on new ones: that is overfitting, answer b.",
))
