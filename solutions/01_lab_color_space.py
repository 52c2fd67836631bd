"""Solutions to the exercises of notebooks/01_lab_color_space.ipynb (for instructors).

Each function is what a learner writes in the exercise cell of the same name; the
matching check in :mod:`course_lib.checks.lab_color` accepts it.
"""

from __future__ import annotations

from course_lib import color


# Exercise 1 -- split an image into what the model sees and what it predicts
def split_l_ab(rgb):
    """uint8 RGB ``(H, W, 3)`` -> ``(L (H, W, 1), ab (H, W, 2))`` in LAB units."""
    lab = color.rgb_to_lab(rgb)
    # Slices (not indices) keep the channel axis: (H, W, 1), the shape the model takes.
    return lab[..., :1], lab[..., 1:]


# Exercise 2 -- the same lightness, no colour
def desaturate(rgb):
    """uint8 RGB -> uint8 RGB with the same L and a = b = 0."""
    lab = color.rgb_to_lab(rgb)
    lab[..., 1:] = 0.0
    return color.to_uint8_rgb(color.lab_to_rgb(lab))


# Exercise 3 -- what the model reads and writes
def to_model_input(rgb):
    """uint8 RGB -> ``(L / 50 - 1, ab / 128)``, both float32 in [-1, 1]."""
    lab = color.rgb_to_lab(rgb)
    l_norm = lab[..., :1] / 50.0 - 1.0
    ab_norm = lab[..., 1:] / 128.0
    return l_norm.astype("float32"), ab_norm.astype("float32")
