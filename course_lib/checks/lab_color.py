"""Checks for the exercises of notebook 01, "The LAB colour space".

Each ``check_*`` function takes the learner's function, runs it on a small generated image
(never an NCD photo), compares with :mod:`course_lib.color`, and prints ``accepted`` or a
hint naming the likely mistake. It returns ``True``/``False`` and never raises.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_lib import color
from course_lib.checks.feedback import (accept, as_float_array, call_safely, checker, hint, judge_number, learner_answer,
                                        not_attempted)

#: LAB units within which an answer counts as equal (float32 rounding, not a mistake).
LAB_TOLERANCE = 0.05


def example_image(height: int = 12, width: int = 16, seed: int = 0) -> np.ndarray:
    """A small uint8 RGB image ``(H, W, 3)``: pure colours in the first row, random pixels below."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    pure = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [128, 128, 128]], np.uint8)
    image[0, : len(pure)] = pure
    return image


def _pair(got, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The learner's ``(first, second)`` as float arrays, or None after printing a hint."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        hint(f"{name} should return a pair (two arrays), got {type(got).__name__}")
        return None
    first, second = as_float_array(got[0]), as_float_array(got[1])
    if first is None or second is None:
        hint(f"{name} should return two NumPy arrays")
        return None
    return first, second


def _answer_pair(fn: Callable, name: str, image: np.ndarray,
                 dtypes: list | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Call ``fn(copy of image)``; its ``(first, second)`` as float arrays, or None after printing why not.

    A crash becomes a hint; ``None`` or a tuple of ``None`` (the untouched stub) is not attempted.
    ``dtypes``, when given, receives the dtypes of the two values as returned (before the conversion).
    """
    ok, got = call_safely(fn, image.copy())
    if not ok:
        return None
    if got is None or (isinstance(got, tuple) and all(g is None for g in got)):
        not_attempted(name)
        return None
    pair = _pair(got, name)
    if pair is not None and dtypes is not None:
        dtypes.extend(np.asarray(value).dtype for value in got)
    return pair


# ------------------------------------------------------------ exercise 1: L and ab
@checker
def check_split_l_ab(split_l_ab: Callable | None) -> bool:
    """Check ``split_l_ab(rgb) -> (L (H, W, 1), ab (H, W, 2))`` for a uint8 RGB image."""
    if split_l_ab is None:
        return not_attempted("split_l_ab")
    image = example_image()
    pair = _answer_pair(split_l_ab, "split_l_ab", image)
    if pair is None:
        return False
    l_got, ab_got = pair
    l_want, ab_want = color.split_lab(color.rgb_to_lab(image))
    h, w = image.shape[:2]
    if l_got.shape == (h, w):
        return hint("L has shape (H, W): keep the channel axis with lab[..., :1] (not lab[..., 0]), "
                    "so that L is (H, W, 1) like the model's input")
    if l_got.shape != (h, w, 1) or ab_got.shape != (h, w, 2):
        return hint(f"expected L (H, W, 1) and ab (H, W, 2) = {(h, w, 1)} and {(h, w, 2)}, "
                    f"got {l_got.shape} and {ab_got.shape}")
    if np.allclose(l_got[..., 0], image[..., 0]) or np.allclose(l_got[..., 0], image[..., 0] / 255):
        return hint("L equals the red channel: convert to LAB first (color.rgb_to_lab), then split")
    if l_got.max() > 100.5:
        return hint(f"L goes up to {l_got.max():.0f}, but L lies in [0, 100]. Did you pass a float image in "
                    "[0, 255]? color.rgb_to_lab takes uint8, or float in [0, 1]")
    if np.allclose(l_got, l_want, atol=LAB_TOLERANCE) and np.allclose(ab_got, ab_want[..., ::-1], atol=LAB_TOLERANCE):
        return hint("a and b are swapped: a is LAB channel 1, b is channel 2")
    if not np.allclose(l_got, l_want, atol=LAB_TOLERANCE):
        return hint(f"L differs from color.rgb_to_lab by up to {np.abs(l_got - l_want).max():.2f}")
    if not np.allclose(ab_got, ab_want, atol=LAB_TOLERANCE):
        return hint(f"ab differs from color.rgb_to_lab by up to {np.abs(ab_got - ab_want).max():.2f}")
    return accept("L (H, W, 1) in [0, 100] and ab (H, W, 2): exactly what the model sees and predicts.")


# --------------------------------------------------------- exercise 2: remove colour
def desaturate_reference(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB -> uint8 RGB with the same L and a = b = 0 (what a colour-blind model outputs)."""
    lab = color.rgb_to_lab(rgb)
    lab[..., 1:] = 0.0
    return color.to_uint8_rgb(color.lab_to_rgb(lab))


@checker
def check_desaturate(desaturate: Callable | None) -> bool:
    """Check ``desaturate(rgb) -> uint8 (H, W, 3)`` that keeps L and sets ab to zero."""
    if desaturate is None:
        return not_attempted("desaturate")
    image = example_image()
    ok, got = learner_answer(desaturate, "desaturate", image.copy())
    if not ok:
        return False
    got = np.asarray(got)
    if not np.issubdtype(got.dtype, np.number):
        return hint(f"return an image (a NumPy array), got {type(got).__name__}")
    want = desaturate_reference(image)
    if got.shape != image.shape:
        return hint(f"return an RGB image of the input's shape {image.shape}, got {got.shape}. "
                    "Convert the LAB image back with color.lab_to_rgb")
    if got.dtype != np.uint8:
        return hint(f"return uint8 like the input, got {got.dtype}: color.to_uint8_rgb converts [0, 1] floats")
    diff = np.abs(got.astype(int) - want.astype(int))
    if diff.max() <= 1:
        return accept("same lightness, no colour: this is the 'gray baseline' every colorizer must beat.")
    if color.rgb_to_lab(got)[..., 0].mean() < 10 < color.rgb_to_lab(want)[..., 0].mean():
        return hint("the image is almost black: you set L to zero. Keep L (channel 0) and zero a and b (channels 1 and 2)")
    if np.abs(got.astype(int) - image.mean(axis=-1, keepdims=True).round().astype(int)).max() <= 1:
        return hint("that is the average of R, G and B, which is not the lightness we perceive "
                    "(green looks brighter than blue). Keep LAB's L and set a and b to 0")
    if not (np.abs(got[..., 0].astype(int) - got[..., 2].astype(int)).max() <= 1):
        return hint("the result still has colour: set both a and b (lab[..., 1:]) to 0")
    return hint(f"differs from the expected gray image by up to {diff.max()} levels; "
                "keep L unchanged and set lab[..., 1:] = 0 before converting back")


# ------------------------------------------------------ exercise 3: model normalisation
@checker
def check_to_model_input(to_model_input: Callable | None) -> bool:
    """Check ``to_model_input(rgb) -> (L_norm (H, W, 1), ab_norm (H, W, 2))`` in [-1, 1]."""
    if to_model_input is None:
        return not_attempted("to_model_input")
    image = example_image()
    dtypes = []
    pair = _answer_pair(to_model_input, "to_model_input", image, dtypes)
    if pair is None:
        return False
    l_got, ab_got = pair
    lab = color.rgb_to_lab(image)
    l_raw, ab_raw = color.split_lab(lab)
    l_want, ab_want = color.rgb_to_model_io(image)
    if l_got.shape != l_want.shape or ab_got.shape != ab_want.shape:
        return hint(f"expected shapes {l_want.shape} and {ab_want.shape}, got {l_got.shape} and {ab_got.shape}")
    tol = 1e-3
    if np.allclose(l_got, l_raw / 100.0, atol=tol):
        return hint("L / 100 lies in [0, 1]; the model's input is centred on 0: use L / 50 - 1, in [-1, 1]")
    if np.allclose(l_got, l_raw, atol=0.05):
        return hint("L is not normalised: divide by 50 and subtract 1")
    if not np.allclose(l_got, l_want, atol=tol):
        return hint(f"L_norm differs from L / 50 - 1 by up to {np.abs(l_got - l_want).max():.3f}")
    for wrong, name in ((127.0, "127"), (255.0, "255"), (100.0, "100"), (110.0, "110")):
        if np.allclose(ab_got, ab_raw / wrong, atol=tol):
            return hint(f"you divided ab by {name}; the course divides by 128 (color.AB_SCALE) so that the "
                        "tanh output range [-1, 1] covers every a and b value")
    if np.allclose(ab_got, ab_raw, atol=0.05):
        return hint("ab is not normalised: divide by 128")
    if not np.allclose(ab_got, ab_want, atol=tol):
        return hint(f"ab_norm differs from ab / 128 by up to {np.abs(ab_got - ab_want).max():.3f}")
    if any(dtype != np.float32 for dtype in dtypes):
        return hint(f"the values are right, but the dtypes are {' and '.join(str(d) for d in dtypes)}: the exercise "
                    "asks for float32, what the model and the tf.data pipeline use (half the memory of "
                    "float64). Convert with .astype(np.float32)")
    return accept("L / 50 - 1 and ab / 128: both in [-1, 1], the range the model reads and its tanh writes.")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("01", 1, "split_l_ab", check_split_l_ab, hints=(
    "Convert first (color.rgb_to_lab), then split the last axis: channel 0 is L, channels 1 and 2 are a and b.",
    "Slices keep the channel axis: lab[..., :1] is (H, W, 1), lab[..., 1:] is (H, W, 2).",
))
ex2 = Exercise("01", 2, "desaturate", check_desaturate, hints=(
    "Go to LAB, remove the colour, come back: color.rgb_to_lab, then color.lab_to_rgb, then color.to_uint8_rgb.",
    "After lab = color.rgb_to_lab(rgb), set lab[..., 1:] = 0 (a and b), keep lab[..., 0] (L) as it is.",
))
ex3 = Exercise("01", 3, "to_model_input", check_to_model_input, hints=(
    "L lies in [0, 100] and must land in [-1, 1]; ab is divided by color.AB_SCALE = 128. Return float32.",
    "l_norm = lab[..., :1] / 50 - 1 and ab_norm = lab[..., 1:] / 128, each .astype(np.float32).",
))


# ------------------------------------------------ exercise 4: predict before you run
@checker
def check_kept_fraction(kept_fraction) -> bool:
    """Prediction: resizing ab to 1/8 of the width and of the height keeps what fraction of its samples?"""
    return judge_number(kept_fraction, "kept_fraction", 1 / 64, tolerance=1e-4, mistakes=(
        (1 / 8, "1/8 is what is kept along *one* side; the image shrinks in both directions."),
        (7 / 8, "7/8 is what is thrown away along one side; what fraction of the pixels is *kept* overall?"),
        (63 / 64, "that is the fraction thrown away; the question asks what is kept."),
        (1 / 16, "1/8 of the width times 1/8 of the height is 1/64, not 1/16."),
    ), accepted="1/8 x 1/8 = 1/64: the colour keeps under 2% of its samples -- watch how little that costs.",
       otherwise="The image shrinks by 8 along the width and by 8 along the height.")


ex4 = Exercise("01", 4, "kept_fraction", check_kept_fraction, hints=(
    "Count the samples of an H x W channel before and after: (H/8) x (W/8).",
    "(H/8) * (W/8) / (H * W) = 1 / 64.",
))
