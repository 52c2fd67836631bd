"""Solutions to the exercises of notebooks/00_welcome_and_setup.ipynb (for instructors).

Each function is what a learner writes in the exercise cell of the same name; the
matching check in :mod:`course_lib.checks.welcome` accepts it.
"""

from __future__ import annotations


# Exercise 1 -- what goes into the model and what comes out
def io_shapes(height, width):
    """``(input_shape, output_shape)`` of the colorizer for an image of ``height`` x ``width``."""
    # L is given (one channel); the model only has to guess the two colour channels a and b.
    return (height, width, 1), (height, width, 2)


# Exercise 2 -- pretrained or not
def choose_weights(report):
    """``"imagenet"`` when the VGG19 weights can be had, else ``None`` (offline mode)."""
    if report.offline:
        return None
    return "imagenet"
