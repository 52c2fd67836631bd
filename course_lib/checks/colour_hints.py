"""Checks for the exercises of notebook 08, "Colour hints".

Each ``check_*`` function takes the learner's answer, tries it on small hand-made cases, and
prints either ``accepted`` or a hint naming the likely mistake. It returns ``True`` or
``False`` and never raises.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_lib import hints
from course_lib.checks.feedback import accept, as_float_array, checker, hint, learner_answer, not_attempted, prediction_vs_measurement


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


# ------------------------------------------- exercise 3: the 4-channel input
def _hint_cases() -> list[tuple[str, list]]:
    """(what the case tests, the hints) on an 8 x 9 image."""
    return [
        ("no hint at all", []),
        ("one hint in the middle", [hints.Hint(4, 4, 3, 40.0, -20.0)]),
        ("a hint at the corner, cut to the image", [hints.Hint(0, 8, 5, -30.0, 55.0)]),
        ("an even patch size", [hints.Hint(3, 2, 4, 12.0, 7.0)]),
        ("two overlapping hints: the later one wins", [hints.Hint(3, 3, 3, 60.0, 10.0), hints.Hint(4, 4, 3, -50.0, -5.0)]),
    ]


@checker
def check_four_channel_input(four_channel_input: Callable | None) -> bool:
    """``four_channel_input(l_norm (H, W, 1), hint_list) -> (H, W, 4)``: L, a/128, b/128 and the mask."""
    if four_channel_input is None:
        return not_attempted("four_channel_input")
    l_norm = np.random.default_rng(5).uniform(-1, 1, (8, 9, 1)).astype(np.float32)
    for what, hint_list in _hint_cases():
        ok, got = learner_answer(four_channel_input, "four_channel_input", l_norm.copy(), list(hint_list))
        if not ok:
            return False
        got = as_float_array(got)
        channels = hints.hint_map(hint_list, 8, 9)
        want = hints.model_input(l_norm, channels)
        if got is None or got.shape != want.shape:
            return hint(f"return an (H, W, 4) array: L_norm, then a / 128, b / 128 and the mask; for an 8 x 9 image "
                        f"got {'not numbers' if got is None else f'shape {got.shape}'}.")
        if np.allclose(got, want, atol=1e-5):
            continue
        if not np.allclose(got[..., 0], l_norm[..., 0], atol=1e-5):
            return hint("channel 0 must be the L_norm you were given, unchanged.")
        scaled = want.copy()
        scaled[..., 1:3] *= 128
        if np.allclose(got, scaled, atol=1e-4):
            return hint("a and b go in divided by 128 (color.normalize_ab), the range of the model's other inputs.")
        if np.allclose(got[..., 1:], want[..., [3, 1, 2]], atol=1e-5):
            return hint("the channel order is L, a, b, mask: the mask comes last.")
        if not np.allclose(got[..., 3], want[..., 3], atol=1e-5):
            return hint(f"the mask (channel 3) is wrong for {what}: 1 on every pixel of a patch (cut to the image), "
                        "0 elsewhere. Without it a gray hint (ab = 0) and no hint would look the same.")
        if len(hint_list) == 2:
            first_wins = hints.model_input(l_norm, hints.hint_map(hint_list[::-1], 8, 9))
            if np.allclose(got, first_wins, atol=1e-5):
                return hint("where two patches overlap the later hint wins (the user's last click): write them in order.")
        return hint(f"for {what} the a, b channels differ from the expected ones: ab / 128 over each patch "
                    "(top-left corner (y - (size - 1) // 2, x - (size - 1) // 2), cut to the image), 0 elsewhere.")
    return accept("L, the hints' ab / 128 and a mask: what the hint model reads.")


# ------------------------------------------- exercise 4: the extended first convolution
def _conv_valid(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``x (H, W, C)`` convolved (as Keras does, no padding) with ``kernel (3, 3, C, F)``."""
    windows = np.lib.stride_tricks.sliding_window_view(x, kernel.shape[:2], axis=(0, 1))  # (H', W', C, 3, 3)
    return np.einsum("ijcyx,yxcf->ijf", windows, kernel)


@checker
def check_extend_first_conv(extend_first_conv: Callable | None) -> bool:
    """``extend_first_conv(kernel (3, 3, 3, F)) -> (3, 3, 6, F)``: the same layer, plus hint channels that change nothing."""
    if extend_first_conv is None:
        return not_attempted("extend_first_conv")
    rng = np.random.default_rng(11)
    kernel = rng.normal(0, 0.1, (3, 3, 3, 8)).astype(np.float32)
    ok, got = learner_answer(extend_first_conv, "extend_first_conv", kernel.copy())
    if not ok:
        return False
    got = as_float_array(got)
    if got is None or got.shape != (3, 3, 6, 8):
        shape = "not numbers" if got is None else f"shape {got.shape}"
        more = (" The new channels go on the input-channel axis, axis 2 (Keras' kernels are (rows, columns, "
                "in, out)), not on the filters." if got is not None and got.shape == (3, 3, 3, 11) else "")
        return hint(f"a (3, 3, 3, 8) kernel must become (3, 3, 6, 8): 3 more *input* channels; got {shape}.{more}")
    vgg_input = rng.uniform(-100, 150, (7, 7, 3))
    before = _conv_valid(vgg_input, kernel.astype(np.float64))
    no_hint = np.concatenate([vgg_input, np.zeros((7, 7, 3))], axis=-1)
    if not np.allclose(_conv_valid(no_hint, got), before, rtol=1e-4, atol=1e-3):
        return hint("without hints (the 3 new channels all 0) the layer must respond to the photo exactly as before: "
                    "keep the old kernel, unchanged and in its order, as input channels 0-2, and add the new ones after.")
    with_hint = no_hint.copy()
    with_hint[2:5, 2:5, 3:] = (40.0, -20.0, 100.0)  # a hint: its ab in LAB units, the mask times 100
    if not np.allclose(_conv_valid(with_hint, got), before, rtol=1e-4, atol=1e-3):
        return hint("a hint changes the output before any training: the new weights must start at 0, so at step 0 "
                    "the model is unchanged and training decides how the hints are used (random new weights would "
                    "feed noise into every pretrained feature).")
    return accept("the old weights for the photo, zeros for the hints: at step 0 the model ignores them, and training "
                  "decides what they do.")


# ------------------------------------------- exercise 5: where does one hint help most? (a prediction)
def explain_one_hint_where(predicted, object_gain: float, background_gain: float) -> bool:
    """Print what this kernel measured and why; True when ``predicted`` matches it."""
    shows = "object" if object_gain > background_gain else "background"
    reason = ("the model must guess the object's colour (is this apple red or green?), while it already paints the "
              "white background near-white, so a hint there tells it little" if shows == "object" else
              "here a background hint gained more. With the tiny models of fast mode, which barely learnt to use hints, "
              "the gains are small and noisy. The recorded full run (benchmarks/results/hint_curve.json) measured "
              "hints on the object only: +0.92 dB for one (23.71 to 24.63 dB); it did not measure background hints")
    return prediction_vs_measurement(predicted, shows, f"one hint gained {object_gain:+.2f} dB on the object, "
                                     f"{background_gain:+.2f} dB on the background", reason + ".")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise, Prediction  # noqa: E402  (declared after the checkers they wrap)

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
ex3 = Exercise("08", 3, "four_channel_input", check_four_channel_input, hints=(
    "Start from zeros of shape (H, W, 3); for each hint, fill its patch (hints.patch_bounds gives it, cut to the "
    "image) with (a / 128, b / 128, 1); then put L_norm in front with np.concatenate on the last axis.",
    "channels[top:bottom, left:right] = (h.a / 128, h.b / 128, 1.0) for each h in order; "
    "return np.concatenate([l_norm, channels], axis=-1).",
))
ex4 = Exercise("08", 4, "extend_first_conv", check_extend_first_conv, hints=(
    "A Keras kernel is (rows, columns, input channels, filters): the 3 hint channels are 3 more *input* channels, "
    "on axis 2. What must their weights be so that, before training, a hint changes nothing?",
    "np.concatenate([kernel, np.zeros((3, 3, 3, kernel.shape[3]), kernel.dtype)], axis=2).",
))
ex5 = Prediction("08", 5, "one_hint_where", options=("object", "background"), explain=explain_one_hint_where,
                 hints=("Which part of an NCD photo must the automatic model guess, and which does it already get "
                        "right on its own?",
                        "A hint reveals the true colour of a small patch. Where is the automatic model's colour far "
                        "from the truth, so that revealing it changes most pixels' error?"))
