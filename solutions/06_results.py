"""Solutions to the exercises of notebooks/06_results.ipynb (for instructors).

Each function is what a learner writes in the exercise cell of the same name; the
matching check in :mod:`course_lib.checks.results` accepts it.
"""

from __future__ import annotations

import numpy as np

from course_lib import color


# Exercise 1 -- the saturation knob
def adjust_saturation(rgb: np.ndarray, factor: float) -> np.ndarray:
    """Scale a and b of a uint8 RGB image by ``factor``; L (the detail) stays as it is."""
    lab = color.rgb_to_lab(rgb)          # (H, W, 3) float32
    lab[..., 1:] *= factor               # colour only
    return color.to_uint8_rgb(color.lab_to_rgb(lab))


# Exercise 2 -- the colour cast of a picture
def mean_ab(rgb: np.ndarray) -> tuple[float, float]:
    """Mean a and b of a uint8 RGB image, in LAB units."""
    lab = color.rgb_to_lab(rgb)
    return float(lab[..., 1].mean()), float(lab[..., 2].mean())


# Exercise 3 -- how much better than gray?
def gain_over_gray(ours: dict, gray: dict) -> dict:
    """Per-category ``ours - gray`` for the categories both tables share."""
    return {name: ours[name] - gray[name] for name in ours if name in gray}
