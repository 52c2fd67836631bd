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


# ------------------------------------------------- exercise 2: how much of a photo is gray
def gray_share_reference(rgb: np.ndarray, radius: float) -> float:
    """Fraction of the pixels of uint8 RGB ``rgb`` whose ab point lies within ``radius`` of gray (0, 0)."""
    ab = color.rgb_to_lab(rgb)[..., 1:]
    return float(np.mean(np.hypot(ab[..., 0], ab[..., 1]) <= radius))


def _square_share(rgb: np.ndarray, radius: float) -> float:
    """The typical mistake: |a| and |b| both within ``radius`` (a square, not a circle)."""
    ab = np.abs(color.rgb_to_lab(rgb)[..., 1:])
    return float(np.mean((ab <= radius).all(axis=-1)))


def _gray_share_cases() -> list[tuple[str, np.ndarray, float]]:
    """(what, image, radius): random pixels at two radii, an all-gray image, a saturated one, pastel pixels."""
    random_pixels = example_image(24, 30, seed=3)
    grays = np.repeat(np.linspace(0, 255, 30).astype(np.uint8)[None, :, None], 3, axis=-1).repeat(4, axis=0)
    red = np.zeros((4, 5, 3), np.uint8)
    red[..., 0] = 255
    # near-gray pixels in every direction of the ab plane: where a circle and a square differ
    rng = np.random.default_rng(7)
    pastel = np.clip(128 + rng.normal(0, 9, size=(20, 20, 3)), 0, 255).astype(np.uint8)
    return [("random pixels", random_pixels, 10.0), ("random pixels", random_pixels, 40.0),
            ("a gray ramp", grays, 10.0), ("a saturated red image", red, 10.0), ("pastel pixels", pastel, 8.0)]


@checker
def check_gray_share(gray_share: Callable | None) -> bool:
    """Check ``gray_share(rgb, radius) -> float``: the fraction of pixels within ``radius`` LAB units of gray."""
    if gray_share is None:
        return not_attempted("gray_share")
    for what, image, radius in _gray_share_cases():
        case = f"{what} (a uint8 array of shape {image.shape}) with radius={radius:g}"
        ok, got = learner_answer(gray_share, "gray_share", image.copy(), radius, explain=lambda exc, c=case: (
            f"calling gray_share on {c} raised {type(exc).__name__}: {exc}"))
        if not ok:
            return False
        value = as_float_array(got)
        if value is None or value.size != 1:
            return hint(f"return one number (a fraction between 0 and 1); for {what} you return {got!r}")
        value = float(value)
        want = gray_share_reference(image, radius)
        n_pixels = image.shape[0] * image.shape[1]
        if abs(value - want) <= 1.0 / n_pixels + 1e-9:  # a pixel exactly on the circle may go either way
            continue
        case = f"for {what} ({image.shape[0]} x {image.shape[1]}) and radius={radius:g}"
        if abs(value - want * n_pixels) <= 1:
            return hint(f"{case} you return {value:g}, a count of pixels: divide by the number of pixels "
                        "so photos of any size compare")
        if abs(value - 100 * want) <= 100.0 / n_pixels:
            return hint(f"{case} you return {value:g}, a percentage: return a fraction between 0 and 1")
        if abs(value - (1 - want)) <= 1.0 / n_pixels:
            return hint(f"{case} you return the share of *coloured* pixels ({value:.3f}); the question is "
                        "the share within `radius` of gray")
        if abs(value - _square_share(image, radius)) <= 1.0 / n_pixels:
            return hint(f"{case} you count the pixels whose |a| and |b| are both within radius: a square. "
                        "The distance from gray is the length of the ab vector, so the pixels within radius "
                        "lie in a circle around (0, 0)")
        if what == "a gray ramp":
            return hint(f"{case} every pixel is gray, so the answer is 1.0; you return {value:g}. "
                        "Measure the colour (a and b), not the lightness")
        return hint(f"{case} you return {value:.4f}; expected {want:.4f}. Convert to LAB, take each pixel's "
                    "distance from gray in the ab plane, and count the share within radius")
    return accept("the share of pixels within radius of gray, for any image and radius: "
                  "a number you can now measure on any photo.")


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
ex2 = Exercise("01", 2, "gray_share", check_gray_share, hints=(
    "Gray is the centre of the ab plane, a = b = 0. How far is a pixel's colour from gray?",
    "Convert with color.rgb_to_lab and take the ab channels; a pixel's distance from gray is the length of its "
    "ab vector, sqrt(a**2 + b**2) (np.hypot).",
    "chroma = np.hypot(lab[..., 1], lab[..., 2]); return float(np.mean(chroma <= radius)).",
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
