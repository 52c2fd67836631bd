"""Checks for the exercises of notebook 06, "Results".

Each ``check_*`` function takes the learner's function, calls it on a few generated
images or tables, and prints either ``accepted`` or a hint naming the likely mistake.
It returns ``True`` or ``False`` and never raises: a stub that still returns ``None``
just gets a reminder.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_lib import color
from course_lib.checks.feedback import accept, checker, hint, learner_answer, not_attempted, prediction_vs_measurement


def _test_image(seed: int = 0, size: int = 24) -> np.ndarray:
    """A small, colourful uint8 RGB image ``(size, size, 3)``: smooth hue ramps plus noise."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, size, dtype=np.float32)
    red, green = np.meshgrid(ramp, ramp[::-1])
    blue = 0.5 + 0.4 * np.sin(6 * red * green)
    rgb = np.stack([red, green, blue], axis=-1) + rng.normal(0.0, 0.03, (size, size, 3))
    return color.to_uint8_rgb(rgb)  # (size, size, 3) uint8


def _sepia_image(size: int = 24) -> np.ndarray:
    """A warm brown-toned uint8 image, like an old print: the failure mode called sepia."""
    gray = np.linspace(0.15, 0.9, size, dtype=np.float32)[None, :].repeat(size, axis=0)
    return color.to_uint8_rgb(np.stack([gray * 1.0, gray * 0.82, gray * 0.6], axis=-1))


# ------------------------------------------------ exercise 1: the saturation knob
def adjust_saturation_reference(rgb: np.ndarray, factor: float) -> np.ndarray:
    """Scale the ab channels of a uint8 RGB image by ``factor``, keeping L; uint8 RGB out.

    Colours pushed out of the sRGB gamut lose chroma, keeping L and hue
    (:func:`course_lib.color.lab_to_rgb_uint8`), as the course's colorizer does.
    """
    lab = color.rgb_to_lab(rgb)
    lab[..., 1:] *= factor
    return color.lab_to_rgb_uint8(lab)


@checker
def check_adjust_saturation(adjust_saturation: Callable | None) -> bool:
    """Check ``adjust_saturation(rgb, factor) -> uint8 RGB`` of the same shape."""
    if adjust_saturation is None:
        return not_attempted("adjust_saturation")
    image = _test_image()
    for factor in (1.0, 0.5, 0.0, 1.6):  # 0.5 before 0: at 0, scaling RGB and scaling all of LAB both give black
        ok, got = learner_answer(adjust_saturation, "adjust_saturation", image.copy(), factor)
        if not ok:
            return False
        got = np.asarray(got)
        if got.shape != image.shape:
            return hint(f"return an RGB image of the input's shape {image.shape}; got shape {got.shape}.")
        if got.dtype != np.uint8:
            return hint(f"return uint8 RGB in [0, 255] (color.to_uint8_rgb does it); got {got.dtype}.")
        want = adjust_saturation_reference(image, factor)
        # One level of rounding either way is fine; anything more is a different method.
        if np.abs(got.astype(int) - want.astype(int)).max() <= 1:
            continue
        clipped_lab = color.rgb_to_lab(image)
        clipped_lab[..., 1:] *= factor
        clipped = color.to_uint8_rgb(color.lab_to_rgb(clipped_lab))
        if np.abs(got.astype(int) - clipped.astype(int)).max() <= 1:
            return hint(f"right idea; but with factor={factor} some colours leave the sRGB gamut, and "
                        "color.lab_to_rgb clips them, which changes their lightness and hue. Convert back with "
                        "color.lab_to_rgb_uint8(lab): it lowers their chroma and keeps L, as the knob below does.")
        scaled_lab = color.rgb_to_lab(image) * factor  # every LAB channel scaled, L included
        if factor != 0.0 and np.abs(got.astype(int) - color.to_uint8_rgb(color.lab_to_rgb(scaled_lab)).astype(int)).max() <= 1:
            return hint(f"with factor={factor} you scaled L as well (lab *= factor), so the image got "
                        f"{'darker' if factor < 1 else 'lighter'}. L must stay as it is: scale only a and b, "
                        "lab[..., 1:] *= factor.")
        lightness_change = np.abs(color.rgb_to_lab(got)[..., 0] - color.rgb_to_lab(want)[..., 0]).mean()
        if lightness_change > 1.0:
            return hint(f"with factor={factor} the lightness L changed by {lightness_change:.1f} on average. "
                        "Scaling RGB changes brightness; convert to LAB, scale only a and b, convert back.")
        return hint(f"with factor={factor} the colours differ from the reference by up to "
                    f"{np.abs(got.astype(int) - want.astype(int)).max()} levels. Multiply a and b by "
                    "`factor` in LAB (factor 0 must give gray, 1 the image unchanged).")
    return accept("L is untouched and the colours scale with the knob (0 = gray, 1 = unchanged).")


# ------------------------------------------------------ exercise 2: colour cast
def mean_ab_reference(rgb: np.ndarray) -> tuple[float, float]:
    """Mean ``(a, b)`` of a uint8 RGB image in LAB units: the image's overall colour cast."""
    ab = color.rgb_to_lab(rgb)[..., 1:].reshape(-1, 2)  # (pixels, 2)
    mean_a, mean_b = ab.mean(axis=0)
    return float(mean_a), float(mean_b)


@checker
def check_mean_ab(mean_ab: Callable | None) -> bool:
    """Check ``mean_ab(rgb) -> (mean_a, mean_b)``."""
    if mean_ab is None:
        return not_attempted("mean_ab")
    for name, image in (("a sepia-toned image", _sepia_image()), ("a colourful image", _test_image(1))):
        ok, got = learner_answer(mean_ab, "mean_ab", image.copy())
        if not ok:
            return False
        try:
            got = tuple(float(v) for v in np.asarray(got, dtype=float).ravel())
        except (TypeError, ValueError):
            return hint(f"return two numbers (mean_a, mean_b); got {got!r}.")
        want = mean_ab_reference(image)
        if len(got) == 2 and np.allclose(got, want, atol=0.05):
            continue
        rgb_means = tuple(float(v) for v in image.reshape(-1, 3).mean(axis=0))
        if len(got) == 3 and np.allclose(got, color.rgb_to_lab(image).reshape(-1, 3).mean(axis=0), atol=0.05):
            return hint("you return the mean L, a and b; return only (a, b), the colour.")
        if len(got) != 2:
            return hint(f"return exactly two numbers, (mean_a, mean_b); got {len(got)}.")
        if np.allclose(got, rgb_means[:2], atol=0.5) or np.allclose(got, rgb_means[1:], atol=0.5):
            return hint("those are means of RGB channels. Convert to LAB first (color.rgb_to_lab) and "
                        "average channels 1 and 2.")
        if np.allclose(got, want[::-1], atol=0.05):
            return hint("a and b are swapped: LAB channel 1 is a (green-red), channel 2 is b (blue-yellow).")
        return hint(f"for {name} you return ({got[0]:.2f}, {got[1]:.2f}); expected "
                    f"({want[0]:.2f}, {want[1]:.2f}). Average a and b over all pixels, in LAB units.")
    sepia_a, sepia_b = mean_ab_reference(_sepia_image())
    return accept(f"a sepia print has mean (a, b) = ({sepia_a:.1f}, {sepia_b:.1f}): b > 0 is its yellow-brown cast.")


# --------------------------------------------------- exercise 3: gain over gray
def gain_over_gray_reference(ours: dict, gray: dict) -> dict:
    """``category -> ours - gray`` (e.g. PSNR in dB) for the categories both tables have."""
    return {name: ours[name] - gray[name] for name in sorted(ours) if name in gray}


def _missing_key_hint(exc: Exception, ours: dict, gray: dict) -> str | None:
    """Which table lacks the key of a ``KeyError`` raised by the learner's code (None: not a KeyError)."""
    if not isinstance(exc, KeyError) or not exc.args:
        return None
    key = exc.args[0]
    missing_from = [name for name, table in (("ours", ours), ("gray", gray)) if key not in table]
    if len(missing_from) != 1:
        return None
    has = "gray" if missing_from[0] == "ours" else "ours"
    return (f"KeyError {key!r}: the category {key!r} is in `{has}` but missing from `{missing_from[0]}`. "
            "The two tables need not list the same categories; keep only those both have "
            "(`if name in gray`).")


@checker
def check_gain_over_gray(gain_over_gray: Callable | None) -> bool:
    """Check ``gain_over_gray(ours, gray) -> dict`` of per-category differences."""
    if gain_over_gray is None:
        return not_attempted("gain_over_gray")
    ours = {"Apple": 24.1, "Banana": 21.5, "Lemon": 19.0, "Tomato": 22.2}
    gray = {"Apple": 18.0, "Banana": 20.5, "Lemon": 19.8, "Carrot": 17.1}  # no Tomato, extra Carrot
    ok, got = learner_answer(gain_over_gray, "gain_over_gray", dict(ours), dict(gray),
                             explain=lambda exc: _missing_key_hint(exc, ours, gray))
    if not ok:
        return False
    if not isinstance(got, dict):
        return hint(f"return a dict category -> difference; got {type(got).__name__}.")
    want = gain_over_gray_reference(ours, gray)
    if set(got) != set(want):
        return hint(f"your categories are {sorted(got)}; a difference exists only where both tables have "
                    f"the category: {sorted(want)}.")
    values = np.array([got[name] for name in want], dtype=float)
    expected = np.array(list(want.values()))
    if np.allclose(values, expected, atol=1e-9):
        return accept("a positive gain means the model beat leaving the photo gray "
                      "(in this check's small table, Lemon is a loss).")
    if np.allclose(values, -expected, atol=1e-9):
        return hint("the sign is reversed: compute ours - gray, so a positive number means we did better.")
    return hint(f"for Apple you return {got['Apple']!r}; expected {want['Apple']:.1f} (ours - gray).")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise, Prediction  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("06", 1, "gain_over_gray", check_gain_over_gray, hints=(
    "The two tables need not list the same categories; a difference exists only where both have one.",
    "{name: ours[name] - gray[name] for name in sorted(ours) if name in gray}.",
))
ex2 = Exercise("06", 2, "mean_ab", check_mean_ab, hints=(
    "The colour cast lives in a and b: convert to LAB (color.rgb_to_lab) and average channels 1 and 2.",
    "ab = color.rgb_to_lab(rgb)[..., 1:].reshape(-1, 2); mean_a, mean_b = ab.mean(axis=0).",
))
ex3 = Exercise("06", 3, "adjust_saturation", check_adjust_saturation, hints=(
    "Saturation is the size of (a, b); L holds the detail and the brightness and must stay.",
    "lab = color.rgb_to_lab(rgb); lab[..., 1:] *= factor; return color.to_uint8_rgb(color.lab_to_rgb(lab)).",
))


# ------------------------------------- exercise 4: predict, then measure, the colourfulness
def explain_colourfulness(predicted, ratios: dict, overall: float) -> bool:
    """Compare the prediction "truth" (the truth is more colourful than the model's colorization) or "model"
    with the measured colourfulness ratios, predicted / true: ``ratios`` per category and ``overall``, the
    mean of the categories (``ALL (categories)``). Prints why, naming the categories that go against the
    overall result; returns agreement."""
    measured = "truth" if overall < 1 else "model"
    against = sorted(name for name, ratio in ratios.items() if (ratio >= 1) == (measured == "truth"))
    shows = f"the colourfulness ratio over the categories is {overall:.2f}"
    if measured == "truth":
        why = ("a model trained on the squared error hedges between plausible colours, and their average is "
               "duller than any of them (notebook 01's conditional mean): below 1 is desaturation.")
    else:
        why = ("above 1 the model paints more colour than the truth holds: garish colours, or a tint spread over "
               "pixels that should be neutral, such as NCD's white background (a toy or short run often does "
               "this). Look at the per-category table and the colour casts below.")
    if against:
        why += (f" Not every category agrees: {', '.join(against)} "
                f"{'go' if len(against) > 1 else 'goes'} the other way, on a few test images each.")
    return prediction_vs_measurement(predicted, measured, shows, why)


ex4 = Prediction("06", 4, "more_colourful", options=("truth", "model"), explain=explain_colourfulness, hints=(
    "The gray image has no colour at all, so it is last. Between the truth and the model: what does "
    "averaging several plausible colours do to saturation?",
    "Averaging colours pulls them towards gray, so a squared-error model is usually duller than the truth "
    "overall, though a tint on the background can push a category above 1. Either answer earns the point "
    "when made before the measurement.",
))
