"""Checks for the exercises of notebook 08, "Colour hints".

Each ``check_*`` function takes the learner's answer, tries it on small hand-made cases, and
prints either ``accepted`` or a hint naming the likely mistake. It returns ``True`` or
``False`` and never raises.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_lib import hints
from course_lib.checks.feedback import accept, checker, hint, judge_choice, learner_answer, not_attempted


def _ramp_ab(height: int = 6, width: int = 7) -> np.ndarray:
    """``ab (H, W, 2)``: a = 10 * row + column (every pixel different), b = -a / 2."""
    a = (10.0 * np.arange(height)[:, None] + np.arange(width)[None, :]).astype(np.float32)
    return np.stack([a, -a / 2], axis=-1)


# ------------------------------------------------------ exercise 1: the patch mean
@checker
def check_patch_mean(patch_mean: Callable | None) -> bool:
    """``patch_mean(ab, y, x, size) -> (a, b)``: mean ab over the size x size patch, clipped to the image."""
    if patch_mean is None:
        return not_attempted("patch_mean")
    ab = _ramp_ab()
    cases = [(2, 3, 1), (2, 3, 3), (3, 3, 2), (0, 0, 3), (5, 6, 5), (2, 2, 4)]
    for y, x, size in cases:
        ok, got = learner_answer(patch_mean, "patch_mean", ab.copy(), y, x, size)
        if not ok:
            return False
        try:
            got = tuple(float(v) for v in np.ravel(got))
        except (TypeError, ValueError):
            return hint(f"return two numbers (a, b); got {got!r}.")
        if len(got) != 2:
            return hint(f"return the pair (mean a, mean b); patch_mean(ab, {y}, {x}, {size}) returned "
                        f"{len(got)} numbers.")
        want = hints.patch_mean_ab(ab, y, x, size)
        if np.allclose(got, want, atol=1e-4):
            continue
        if size == 1:
            return hint(f"a 1-pixel patch is the pixel itself: ab[{y}, {x}] = {tuple(ab[y, x])}; you returned "
                        f"{got}. Is the row y (first index) and the column x (second)?")
        top, left = y - (size - 1) // 2, x - (size - 1) // 2
        centred_at_top_left = ab[y : y + size, x : x + size].reshape(-1, 2).mean(0)
        if np.allclose(got, centred_at_top_left, atol=1e-4):
            return hint(f"the patch is centred on (y, x): its top-left corner is (y - (size - 1) // 2, "
                        f"x - (size - 1) // 2), not (y, x) (case y={y}, x={x}, size={size}).")
        if top < 0 or left < 0 or top + size > ab.shape[0] or left + size > ab.shape[1]:
            return hint(f"near the border (y={y}, x={x}, size={size}) the patch must be clipped to the image: "
                        "clip the corner at 0 (max(top, 0)) before slicing; a negative start index in NumPy "
                        "counts from the other end.")
        return hint(f"patch_mean(ab, {y}, {x}, {size}) = {got}; expected {tuple(round(v, 3) for v in want)}. "
                    "Average a and b separately over every pixel of the patch.")
    return accept("the mean ab of a square patch, centred and clipped: what a simulated user reveals.")


# ------------------------------------------------ exercise 2: a picked colour's ab
@checker
def check_picked_ab(picked_ab: Callable | None) -> bool:
    """``picked_ab("#RRGGBB") -> (a, b)`` in LAB units."""
    if picked_ab is None:
        return not_attempted("picked_ab")
    for text in ("#d02020", "#20a040", "#3050e0", "#808080"):
        ok, got = learner_answer(picked_ab, "picked_ab", text)
        if not ok:
            return False
        try:
            got = tuple(float(v) for v in np.ravel(got))
        except (TypeError, ValueError):
            return hint(f"return two numbers (a, b); got {got!r}.")
        want = hints.rgb_to_ab(hints.hex_to_rgb(text))
        if len(got) == 3:
            return hint("return only a and b: the photo keeps its own L, so the hint carries no lightness.")
        if len(got) != 2:
            return hint(f"return the pair (a, b); got {len(got)} numbers.")
        if np.allclose(got, want, atol=0.5):
            continue
        if np.allclose(got, want[::-1], atol=0.5):
            return hint("a and b are swapped: a is green (-) to magenta (+), b is blue (-) to yellow (+).")
        r, g, b = hints.hex_to_rgb(text)
        bgr = hints.rgb_to_ab((b, g, r))
        if np.allclose(got, bgr, atol=0.5):
            return hint("the channels are in the wrong order: #RRGGBB is red, green, blue.")
        return hint(f"picked_ab({text!r}) = {tuple(round(v, 1) for v in got)}; expected about "
                    f"{tuple(round(v, 1) for v in want)}. Turn the three hex pairs into 0-255 integers, then "
                    "convert an RGB uint8 pixel of shape (1, 1, 3) with color.rgb_to_lab and keep channels 1-2.")
    return accept("the colour's ab: the photo's own lightness does the rest.")


# ------------------------------------------- exercise 3: where does one hint help most?
@checker
def check_one_hint_where(one_hint_where) -> bool:
    """Prediction: one hint gains most on the ``"object"`` or on the ``"background"``?"""
    return judge_choice(one_hint_where, "one_hint_where", "object", mistakes={
        "background": "NCD's background is white (ab = 0), which the model already gets right on its own: a hint "
                      "there says what the model knew. The object's colour is what it must guess.",
    }, accepted="the object: that is where the model has to guess (is this apple red or green?).",
       otherwise='Answer "object" or "background".')


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("08", 1, "patch_mean", check_patch_mean, hints=(
    "The patch around (y, x) starts (size - 1) // 2 pixels above and to the left of it; clip it to the image.",
    "top, left = max(y - (size - 1) // 2, 0), max(x - (size - 1) // 2, 0); "
    "patch = ab[top:y - (size - 1) // 2 + size, left:x - (size - 1) // 2 + size]; "
    "return patch[..., 0].mean(), patch[..., 1].mean().",
))
ex2 = Exercise("08", 2, "picked_ab", check_picked_ab, hints=(
    "#RRGGBB holds three bytes in hex: int('d0', 16) = 208. LAB's a and b come from color.rgb_to_lab.",
    "rgb = np.array([[[int(text[i:i + 2], 16) for i in (1, 3, 5)]]], np.uint8); "
    "lab = color.rgb_to_lab(rgb)[0, 0]; return lab[1], lab[2].",
))
ex3 = Exercise("08", 3, "one_hint_where", check_one_hint_where, hints=(
    "Which part of an NCD photo does the automatic model already colour correctly?",
    "The white background has ab = 0, and so does the gray guess: a hint there adds nothing.",
))
