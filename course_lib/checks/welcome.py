"""Checks for the exercises of notebook 00, "Welcome and setup".

Each ``check_*`` function takes the learner's function, tries it on a few cases and prints
``accepted`` or a hint. It returns ``True``/``False`` and never raises.
"""

from __future__ import annotations

from typing import Callable

from course_lib.checks.feedback import accept, call_safely, checker, hint, judge_number, learner_answer, not_attempted
from course_lib.environment import (WEIGHTS_CACHED, WEIGHTS_REACHABLE, WEIGHTS_UNREACHABLE, EnvironmentReport,
                                    WeightsStatus)


# ------------------------------------------------------ exercise 1: model input/output
def io_shapes_reference(height: int, width: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The model sees L ``(H, W, 1)`` and predicts ab ``(H, W, 2)``."""
    return (height, width, 1), (height, width, 2)


@checker
def check_io_shapes(io_shapes: Callable | None) -> bool:
    """Check ``io_shapes(height, width) -> (input_shape, output_shape)``."""
    if io_shapes is None:
        return not_attempted("io_shapes")
    for height, width in ((224, 224), (120, 200)):
        ok, got = learner_answer(io_shapes, "io_shapes", height, width)
        if not ok:
            return False
        want = io_shapes_reference(height, width)
        try:
            got = tuple(tuple(int(v) for v in shape) for shape in got)
        except (TypeError, ValueError):
            return hint(f"return two shapes, e.g. ((H, W, 1), (H, W, 2)); got {got!r}")
        if got == want:
            continue
        if len(got) != 2:
            return hint(f"return two shapes (the input's and the output's), got {len(got)}")
        if got == (want[1], want[0]):
            return hint("the two shapes are swapped: first what goes in (L), then what comes out (ab)")
        if got[1][-1:] == (3,):
            return hint("the model does not predict all three LAB channels: L is given, "
                        "it predicts only a and b, so the output has 2 channels")
        if got[0][:2] == (width, height):
            return hint("NumPy images are (height, width, channels): height first")
        return hint(f"for a {height}x{width} image you return {got}; expected shapes like (H, W, C)")
    return accept("the model maps L (H, W, 1) to ab (H, W, 2): one channel in, two out.")


# -------------------------------------------------------- exercise 2: which weights
def _report(state: str) -> EnvironmentReport:
    return EnvironmentReport(python="3.11", tensorflow="2.21", keras="3", skimage="0.26", in_colab=False,
                             weights=WeightsStatus(state, "test"))


@checker
def check_choose_weights(choose_weights: Callable | None) -> bool:
    """Check ``choose_weights(report) -> "imagenet" | None``."""
    if choose_weights is None:
        return not_attempted("choose_weights")
    for state, want in ((WEIGHTS_CACHED, "imagenet"), (WEIGHTS_REACHABLE, "imagenet"), (WEIGHTS_UNREACHABLE, None)):
        ok, got = call_safely(choose_weights, _report(state))
        if not ok:
            return False
        if got == want:
            continue
        if state == WEIGHTS_CACHED and got is None:
            return not_attempted("choose_weights")
        if isinstance(got, str) and got.lower() == "none":
            return hint("use Python's None (no quotes) for 'no pretrained weights', not the string 'none'")
        return hint(f"when the weights are {state!r} you return {got!r}, expected {want!r}. "
                    "Look at report.offline (True when the weights cannot be had).")
    return accept("ImageNet weights when they can be had, random initialisation (None) offline.")


# ------------------------------------------------ exercise 3: predict before you run
@checker
def check_predicted_fraction(predicted_fraction) -> bool:
    """Prediction: colour predicted on a 48 x 48 grid, a 480 x 480 photo: what fraction of its a, b values?"""
    return judge_number(predicted_fraction, "predicted_fraction", (48 * 48) / (480 * 480), tolerance=5e-4, mistakes=(
        (48 / 480, "0.1 is the fraction along *one* side; the grid is 10 times coarser in both directions."),
        (1 - (48 * 48) / (480 * 480), "that is the fraction the resize fills in; the question asks what the "
                                      "model predicted itself."),
        ((2 * 48 * 48) / (3 * 480 * 480), "you counted the L channel too; the question asks only about the "
                                          "colour values (a and b), and L comes from the photo."),
        (1.0, "1 would mean every colour value is predicted (or did you answer 1 %? Give a fraction, 0.01)."),
    ), accepted="48 x 48 / (480 x 480) = 0.01: the model predicts 1 % of the colour values, the photo's own L "
                "keeps every detail -- see below how little that costs.",
       otherwise="Count the a (or b) samples on the model's grid and on the photo: (48 x 48) / (480 x 480).")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("00", 1, "io_shapes", check_io_shapes, hints=(
    "The model is given the lightness and predicts the colour. How many LAB channels is each?",
    "Input: L, one channel, (height, width, 1). Output: a and b, two channels. "
    "Return ((height, width, 1), (height, width, 2)).",
))
ex2 = Exercise("00", 2, "choose_weights", check_choose_weights, hints=(
    "The report knows whether the ImageNet weights can be had: look at report.offline.",
    'Return "imagenet" when report.offline is False, and Python\'s None (no quotes) when it is True.',
))
ex3 = Exercise("00", 3, "predicted_fraction", check_predicted_fraction, hints=(
    "Count the samples of one colour channel: 48 x 48 on the model's grid, 480 x 480 in the photo.",
    "(48 * 48) / (480 * 480) = 1 / 100 = 0.01: each side is 10 times smaller.",
))
