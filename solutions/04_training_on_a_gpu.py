"""Solutions to the exercises of notebooks/04_training_on_a_gpu.ipynb (for instructors).

Each function is what a learner writes in the exercise cell of the same name; the
matching check in :mod:`course_lib.checks.training` accepts it.
"""

from __future__ import annotations

import math
from pathlib import Path


# Exercise 1 -- batches per epoch
def steps_per_epoch(n_images: int, batch_size: int) -> int:
    """Batches in one epoch over ``n_images`` images."""
    # Round up: the last batch is smaller but still has to be seen.
    return math.ceil(n_images / batch_size)


# Exercise 2 -- checkpoint and log callbacks
def make_callbacks(run_dir) -> list:
    """ModelCheckpoint of the best model by val_loss and a CSV log that a resume appends to."""
    import keras

    run_dir = Path(run_dir)
    return [
        keras.callbacks.ModelCheckpoint(run_dir / "best.keras", monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(run_dir / "log.csv", append=True),
    ]


# Exercise 3 -- which epoch to keep
def best_epoch(history: dict) -> int:
    """1-based epoch with the lowest validation loss."""
    val_loss = history["val_loss"]
    return min(range(len(val_loss)), key=val_loss.__getitem__) + 1
