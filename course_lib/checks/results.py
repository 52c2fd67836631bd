"""Checks for the exercises of notebook 06, "Results".

Exercise 2 and 4 are building exercises: their ``check_*`` function calls the learner's function
on cases it makes (tables; made-up measuring functions, random and edge cases), judges the
behaviour against the exercise's contract, never the code, and prints either ``accepted`` or a
hint naming the likely mistake. It returns ``True`` or ``False`` and never raises: a stub that
still returns ``None`` just gets a reminder. Exercises 1 and 3 are :class:`Prediction`\ s,
compared with what this kernel then measures.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from course_lib.checks.feedback import accept, checker, hint, learner_answer, not_attempted, prediction_vs_measurement
from course_lib.published import DATASET_ROW, load_survey

#: NCD's categories (the survey's table names all twenty): the answers exercise 1 accepts.
NCD_CATEGORIES = tuple(sorted({row.category for row in load_survey()} - {DATASET_ROW}))


# ------------------------------------------------ exercise 1: predict, then measure, the hardest category
def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def explain_hardest(predicted, categories: dict, gray_categories: dict) -> bool:
    """Compare the predicted hardest category with this kernel's evaluation.

    ``categories`` and ``gray_categories`` are the evaluation's rows (name -> ``{"n": images,
    "psnr": ...}``) for the model and for the gray baseline. The hardest category is the one with
    the lowest mean PSNR; the feedback sets its gray floor and gain beside the predicted one's.
    Returns whether the prediction named it.
    """
    psnr = {name: row["psnr"] for name, row in categories.items() if np.isfinite(row["psnr"])}
    gray = {name: gray_categories[name]["psnr"] for name in psnr if name in gray_categories}
    ranked = sorted(psnr, key=psnr.get)  # hardest first
    worst = ranked[0]
    gray_rank = sorted(gray, key=gray.get).index(worst) + 1 if worst in gray else None

    def describe(name):
        floor = f"gray floor {gray[name]:.2f} dB, gain {psnr[name] - gray[name]:+.2f} dB" if name in gray else "no gray floor"
        return f"{psnr[name]:.2f} dB: {floor}, {categories[name]['n']} test images"

    shows = f"lowest mean PSNR, {worst} at {describe(worst)}"
    if predicted in psnr and predicted != worst:
        shows += (f"; your {predicted} is the {_ordinal(ranked.index(predicted) + 1)} hardest of {len(ranked)}, at "
                  f"{describe(predicted)}")
    elif predicted is not None and predicted not in psnr:
        shows += f"; {predicted} has no test image in this evaluation"
    why = ("a category's PSNR says as much about its photos as about the model. Where the fruit fills the frame in "
           "strong colours there is little white background, the gray floor is low, and every colour mistake "
           "costs; the gain over gray (exercise 2) is the model's own part. ")
    if gray_rank is not None and gray_rank <= 3:
        why += f"Here {worst}'s gray floor is the {_ordinal(gray_rank)} lowest of {len(gray)}: much of its low score is its photos. "
    elif gray_rank is not None:
        why += (f"Here {worst}'s gray floor is only the {_ordinal(gray_rank)} lowest of {len(gray)}: the model itself "
                "did badly there; its images are shown above. ")
    why += ("And every category rests on a few test images, so its rank moves from one set of photos to the next: "
            "read the ranking as rough.")
    return prediction_vs_measurement(predicted, worst, shows, why)


# ------------------------------------------------ exercise 4: choose the saturation on validation
#: The knob's range that exercise 4 searches, and how close to 1 the ratio must come.
SATURATION_RANGE = (0.0, 4.0)
RATIO_TOLERANCE = 0.01
#: Each call of ``ratio_at`` colorizes every validation photo again: a search may afford this many.
MAX_RATIO_CALLS = 40


def choose_saturation_reference(ratio_at: Callable[[float], float], low: float = SATURATION_RANGE[0],
                                high: float = SATURATION_RANGE[1], tolerance: float = RATIO_TOLERANCE) -> float:
    """The saturation ``s`` in ``[low, high]`` at which ``ratio_at(s)`` (non-decreasing) is 1.

    Bisection: ``high`` when even ``ratio_at(high)`` stays below 1 - ``tolerance``.
    """
    if ratio_at(high) < 1 - tolerance:
        return high
    for _ in range(60):
        middle = (low + high) / 2
        ratio = ratio_at(middle)
        if abs(ratio - 1) <= tolerance:
            return middle
        low, high = (middle, high) if ratio < 1 else (low, middle)
    return (low + high) / 2


def _saturating(ceiling: float, rate: float) -> Callable[[float], float]:
    """A colourfulness ratio that grows ever slower, towards ``ceiling``: what gamut fitting does."""
    return lambda s: ceiling * (1 - math.exp(-rate * s))


def _ratio_curves(rng: np.random.Generator) -> list[tuple[str, Callable[[float], float]]]:
    """(what the curve is, ratio_at): every one non-decreasing from 0 (s = 0 is the gray image)."""
    k, a = float(rng.uniform(0.8, 1.4)), float(rng.uniform(0.35, 0.9))
    return [
        ("a model at 0.8 of the truth's colourfulness, growing in proportion to s", lambda s: 0.8 * s),
        ("a ratio that grows ever slower (gamut fitting stops the vivid pixels)", _saturating(1.3, 0.9)),
        ("a model already more colourful than the truth (ratio 1.2 at s = 1)", lambda s: 1.2 * s),
        (f"a random curve, ratio(s) = {a:.2f} * s ** {k:.2f}", lambda s: a * s**k),
        ("a model too gray to reach 1 anywhere in 0-4 (ratio at most 0.9)", _saturating(0.9, 1.5)),
    ]


def _counted(fn: Callable[[float], float]) -> tuple[Callable[[float], float], list]:
    calls: list = []

    def ratio_at(s):
        s = float(s)
        calls.append(s)
        return fn(min(max(s, SATURATION_RANGE[0]), SATURATION_RANGE[1]))

    return ratio_at, calls


@checker
def check_choose_saturation(choose_saturation: Callable | None) -> bool:
    """Check ``choose_saturation(ratio_at) -> s`` on made-up curves: ratio_at(s) within 0.01 of 1, or 4."""
    if choose_saturation is None:
        return not_attempted("choose_saturation")
    low, high = SATURATION_RANGE
    for what, curve in _ratio_curves(np.random.default_rng(6)):
        ratio_at, calls = _counted(curve)
        ok, got = learner_answer(choose_saturation, "choose_saturation", ratio_at)
        if not ok:
            return False
        try:
            s = float(got)
        except (TypeError, ValueError):
            return hint(f"return one number, the saturation s; got {got!r}.")
        if len(calls) > MAX_RATIO_CALLS:
            return hint(f"for {what} your search called ratio_at {len(calls)} times. In the notebook each call "
                        f"colorizes every validation photo again: stay under {MAX_RATIO_CALLS} (bisection halves "
                        "the interval at every call: 20 calls narrow 0-4 to a millionth).")
        if not low <= s <= high:
            return hint(f"for {what} you returned s = {s:g}, outside the knob's range {low:g}-{high:g}.")
        reachable = curve(high) >= 1 - RATIO_TOLERANCE
        if not reachable:
            if np.isclose(s, high):
                continue
            return hint(f"for {what} no s in {low:g}-{high:g} reaches 1 (ratio_at({high:g}) = {curve(high):.2f}): "
                        f"return {high:g}, the most the knob gives; the notebook then says the target was not met. "
                        f"You returned {s:g}, where the ratio is only {curve(s):.2f}.")
        ratio = curve(s)
        if abs(ratio - 1) <= RATIO_TOLERANCE:
            continue
        if calls and np.isclose(s, 1 / curve(1.0), rtol=1e-6):
            return hint(f"for {what} you returned 1 / ratio_at(1) = {s:.3f}, where the ratio is {ratio:.3f}. That "
                        "guess assumes colourfulness grows in proportion to s; gamut fitting makes it grow slower "
                        "(the most saturated pixels stop at the gamut's edge). Measure at the s you return, and "
                        "narrow down until the ratio is within 0.01 of 1.")
        if not calls:
            return hint(f"for {what} you never called ratio_at: the answer depends on the model, so measure it.")
        return hint(f"for {what} the ratio at your s = {s:.3f} is {ratio:.3f}, not within {RATIO_TOLERANCE} of 1. "
                    "The ratio grows with s: if it is below 1 the answer lies above s, else below. Keep an interval "
                    "[lo, hi] with ratio(lo) < 1 <= ratio(hi) and halve it until the middle is close enough "
                    "(a grid of 0.25 steps is too coarse).")
    return accept("on every curve tried (in proportion, slowing down, already too colourful, random, out of reach) "
                  "your s brings the ratio to 1, or to the knob's end when 1 is out of reach.")


# --------------------------------------------------- exercise 2: gain over gray
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


# ------------------------------------- exercise 3: predict, then measure, the colourfulness
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


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise, Prediction  # noqa: E402  (declared after the checkers they wrap)

ex1 = Prediction("06", 1, "hardest_category", options=NCD_CATEGORIES, explain=explain_hardest, hints=(
    "Think of what the PSNR punishes: a wrong colour on many pixels. Which fruit fills its photos with strong "
    "colour, or comes in colours that lightness alone cannot tell apart?",
    "Notebook 02's gallery shows each category. Photos with little white background have a low gray floor, so a "
    "colour mistake there costs more; fruit that comes red or green (apples, capsicums) invites the grayish mean.",
    "Any category earns the point when named before the evaluation runs; the reveal then tells you where it "
    "ranked and why the hardest one is hard.",
))
ex2 = Exercise("06", 2, "gain_over_gray", check_gain_over_gray, hints=(
    "The two tables need not list the same categories; a difference exists only where both have one.",
    "{name: ours[name] - gray[name] for name in sorted(ours) if name in gray}.",
))
ex3 = Prediction("06", 3, "more_colourful", options=("truth", "model"), explain=explain_colourfulness, hints=(
    "The gray image has no colour at all, so it is last. Between the truth and the model: what does "
    "averaging several plausible colours do to saturation?",
    "Averaging colours pulls them towards gray, so a squared-error model is usually duller than the truth "
    "overall, though a tint on the background can push a category above 1. Either answer earns the point "
    "when made before the measurement.",
))
ex4 = Exercise("06", 4, "choose_saturation", check_choose_saturation, hints=(
    "ratio_at(s) grows with s and ratio_at(0) is 0 (gray). First look at the far end: if even ratio_at(4) stays "
    "below 0.99, 4 is the answer. Otherwise the answer lies between 0 and 4: narrow that interval down.",
    "Bisection: keep lo, hi with ratio_at(lo) < 1 <= ratio_at(hi); measure the middle, and replace lo or hi by it "
    "depending on which side of 1 its ratio falls. Stop when the ratio is within 0.01 of 1: about ten calls.",
    "lo, hi = 0.0, 4.0; if ratio_at(hi) < 0.99: return hi; then loop: mid = (lo + hi) / 2; r = ratio_at(mid); "
    "return mid if abs(r - 1) <= 0.01; else lo, hi = (mid, hi) if r < 1 else (lo, mid).",
))
