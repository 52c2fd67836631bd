"""Checks for the exercises of notebook 05, "Evaluation metrics".

The learner predicts what a 4095 data range adds to PSNR, writes ``my_ssim(x, y, data_range)``
and ``my_psnr_fg(pred, truth)`` (PSNR over the object only), and predicts which category the gray
baseline scores worst on. Each ``check_*`` calls the learner's function on generated images,
compares with :mod:`course_lib.metrics`, and when the answer is off, compares it with the typical
mistakes (uint8 overflow, a uniform SSIM window, a mask taken from the prediction, the background
kept in the mean...) to name the likely one. It prints the verdict, returns ``True``/``False``
and never raises. The category prediction is revealed against the gray baseline measured in the
learner's kernel (:func:`explain_worst_category`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from course_lib import metrics
from course_lib.checks.feedback import (accept, as_float_array, checker, hint, judge_number, learner_answer,
                                        not_attempted, prediction_vs_measurement)

#: How close an answer must be to count as right (metrics agree with scikit-image to 1e-6).
TOLERANCE = 1e-5


def _test_pair(seed: int = 0, size: int = 40, dtype=np.uint8) -> tuple[np.ndarray, np.ndarray]:
    """A structured uint8 RGB ground truth and a noisy, darker 'prediction' of it.

    The prediction is darker on average, so that ``std(a - b)`` differs from the RMSE,
    and has pixels both above and below the truth, so that a uint8 subtraction wraps.
    A flat white corner makes SSIM's constants matter.
    """
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, size)
    truth = np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None], 128 + 100 * np.sin(ramp[None, :] / 20)), axis=-1)
    truth[: size // 4, : size // 4] = 255  # flat white corner
    noise = rng.normal(-12, 20, truth.shape)
    pred = np.clip(truth + noise, 0, 255)
    truth, pred = truth.round().astype(np.uint8), pred.round().astype(np.uint8)
    if dtype == np.uint8:
        return pred, truth
    return pred.astype(dtype) / 255.0, truth.astype(dtype) / 255.0


def _as_number(value) -> float | None:
    """The learner's answer as a float, or None when it is not a single number."""
    array = as_float_array(value)
    if array is None:
        return None
    return float(array) if array.size == 1 else None


def _close(got: float, want: float, tolerance: float = TOLERANCE) -> bool:
    return math.isclose(got, want, rel_tol=tolerance, abs_tol=tolerance)


def _diagnose(got: float, mistakes: dict[str, float]) -> str | None:
    """The hint of the first known mistake that reproduces ``got``, if any."""
    for message, value in mistakes.items():
        if math.isfinite(value) and _close(got, value, 1e-4):
            return message
    return None


_OVERFLOW_HINT = ("subtracting two uint8 arrays wraps around (3 - 5 gives 254, not -2). Convert to float "
                  "first: `a.astype(np.float64) - b.astype(np.float64)`.")


# ---------------------------------------------------------------- exercise 2: SSIM
def _ssim_variant(x: np.ndarray, y: np.ndarray, data_range: float, window: np.ndarray, *, crop: bool = True,
                  constants: bool = True) -> float:
    """SSIM of two 2-D float64 images with deliberate variations, to recognise mistakes."""
    c1 = (metrics.SSIM_K1 * data_range) ** 2 if constants else 0.0
    c2 = (metrics.SSIM_K2 * data_range) ** 2 if constants else 0.0
    mu_x, mu_y = metrics.local_mean(x, window), metrics.local_mean(y, window)
    var_x = metrics.local_mean(x * x, window) - mu_x**2
    var_y = metrics.local_mean(y * y, window) - mu_y**2
    cov = metrics.local_mean(x * y, window) - mu_x * mu_y
    with np.errstate(divide="ignore", invalid="ignore"):
        ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    pad = window.shape[0] // 2
    return float((ssim_map[pad:-pad, pad:-pad] if crop else ssim_map).mean())


def _global_ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    """SSIM with one window covering the whole image (no local statistics)."""
    c1, c2 = (metrics.SSIM_K1 * data_range) ** 2, (metrics.SSIM_K2 * data_range) ** 2
    cov = np.mean((x - x.mean()) * (y - y.mean()))
    return float(((2 * x.mean() * y.mean() + c1) * (2 * cov + c2))
                 / ((x.mean() ** 2 + y.mean() ** 2 + c1) * (x.var() + y.var() + c2)))


@checker
def check_ssim(my_ssim: Callable | None) -> bool:
    """Check ``my_ssim(x, y, data_range) -> float`` for 2-D (single-channel) images."""
    if my_ssim is None:
        return not_attempted("my_ssim")
    pred, truth = _test_pair()
    x, y = pred[..., 1], truth[..., 1]  # (H, W) uint8: the green channel
    ok, got = learner_answer(my_ssim, "my_ssim", x, y, 255)
    if not ok:
        return False
    got = _as_number(got)
    if got is None:
        return hint("return one number (a float): the mean of the SSIM map.")
    want = metrics.ssim(x, y, data_range=255)
    if _close(got, want):
        return accept(f"SSIM = {got:.4f}, the same as course_lib.metrics.ssim (Wang et al. 2004).")
    if math.isnan(got):
        return hint("the result is NaN: in flat areas both variances are 0 and you divide 0 by 0. The constants "
                    "C1 = (0.01 * data_range)**2 and C2 = (0.03 * data_range)**2 are there to prevent it.")
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    gaussian = metrics.gaussian_window()
    diagnosis = _diagnose(got, {
        "that matches a uniform (box) window. Wang et al. weight the 11x11 window with a Gaussian "
        "(sigma 1.5): use metrics.gaussian_window().": _ssim_variant(xf, yf, 255, np.full((11, 11), 1 / 121)),
        "that matches a uniform 7x7 window (scikit-image's default). Use the 11x11 Gaussian "
        "metrics.gaussian_window().": _ssim_variant(xf, yf, 255, np.full((7, 7), 1 / 49)),
        "average the SSIM map only where the whole window fits: drop window_size // 2 = 5 pixels on "
        "every side (`ssim_map[5:-5, 5:-5].mean()`).": _ssim_variant(xf, yf, 255, gaussian, crop=False),
        "that is one SSIM over the whole image. SSIM compares *local* statistics: compute means, variances "
        "and the covariance with metrics.local_mean(image, window), then average the map.": _global_ssim(xf, yf, 255),
        "the stabilising constants look missing or too small: C1 = (0.01 * data_range)**2 and "
        "C2 = (0.03 * data_range)**2 with data_range = 255 here; they keep flat areas (the white "
        "background!) from dividing by almost zero.": _ssim_variant(xf, yf, 1.0, gaussian),
        "you used data_range = 4095 on 8-bit images: the constants become 16x too large and SSIM goes up. "
        "Use the `data_range` argument.": _ssim_variant(xf, yf, 4095, gaussian),
        "add the stabilising constants C1 = (0.01 * data_range)**2 and C2 = (0.03 * data_range)**2 to the "
        "numerator and denominator terms; without them flat areas (the white background!) blow up. ":
            _ssim_variant(xf, yf, 255, gaussian, constants=False),
    })
    on_floats = _silent_number(my_ssim, xf, yf, 255) if diagnosis is None else None
    if on_floats is not None and _close(on_floats, want):
        # Right on float images, wrong on uint8 ones: the uint8 arithmetic wrapped somewhere.
        diagnosis = ("on float64 images your SSIM is right, on these uint8 images it is not: uint8 arithmetic "
                     "wraps around (200 * 200 gives 64, 3 - 5 gives 254), and metrics.local_mean of a uint8 "
                     "image is uint8 too. Convert first, as in RMSE and PSNR: `x, y = x.astype(np.float64), "
                     "y.astype(np.float64)`.")
    if diagnosis is None:
        # uint8 products wrap too (200 * 200 in uint8 is 64): recognise SSIM computed without a cast.
        wrapped = _ssim_overflowed(x, y)
        if math.isfinite(wrapped) and _close(got, wrapped, 1e-4):
            diagnosis = ("x * x on uint8 arrays wraps around (200 * 200 gives 64). Convert to float first: "
                         "`x = x.astype(np.float64)`.")
    return hint(diagnosis or f"expected {want:.4f}, got {got:.4f}. Follow the formula cell: local means, "
                             "variances and covariance with metrics.local_mean, C1 and C2 from data_range, the "
                             "SSIM map, then the mean of its interior.")


def _silent_number(fn: Callable, *args) -> float | None:
    """``fn(*args)`` as one number, or None when it raises or is not a number (nothing printed)."""
    try:
        return _as_number(fn(*args))
    except Exception:  # a second, diagnostic call: its failure is not news to the learner
        return None


def _ssim_overflowed(x: np.ndarray, y: np.ndarray) -> float:
    """SSIM where the squares and products were taken in uint8 (wrapping), the rest in float."""
    window = metrics.gaussian_window()
    c1, c2 = (metrics.SSIM_K1 * 255) ** 2, (metrics.SSIM_K2 * 255) ** 2
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    mu_x, mu_y = metrics.local_mean(xf, window), metrics.local_mean(yf, window)
    var_x = metrics.local_mean((x * x).astype(np.float64), window) - mu_x**2
    var_y = metrics.local_mean((y * y).astype(np.float64), window) - mu_y**2
    cov = metrics.local_mean((x * y).astype(np.float64), window) - mu_x * mu_y
    with np.errstate(divide="ignore", invalid="ignore"):
        ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(ssim_map[5:-5, 5:-5].mean())


# ------------------------------------------------------- exercise 3: PSNR on the object only
def _white_background(rng, shape: tuple[int, int]) -> np.ndarray:
    """NCD-like white: every channel between WHITE_THRESHOLD and 255, (H, W, 3) uint8."""
    return rng.integers(metrics.WHITE_THRESHOLD, 256, (*shape, 3)).astype(np.uint8)


def _object_photo(rng, shape: tuple[int, int]) -> np.ndarray:
    """A random coloured ellipse on white, with pixels right at the threshold on the background."""
    truth = _white_background(rng, shape)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    centre = rng.uniform(0.35, 0.65, 2) * shape
    radii = rng.uniform(0.15, 0.3, 2) * shape
    inside = ((rows - centre[0]) / radii[0]) ** 2 + ((cols - centre[1]) / radii[1]) ** 2 < 1
    colour = rng.integers(20, 230, 3)
    truth[inside] = np.clip(colour + rng.normal(0, 15, (int(inside.sum()), 3)), 0, 255).astype(np.uint8)
    # On the threshold: (240, 240, 240) is background, one channel at 239 makes a pixel foreground.
    truth[0, 0] = metrics.WHITE_THRESHOLD
    truth[0, 1] = (metrics.WHITE_THRESHOLD - 1, 255, 255)
    truth[-1, -1] = (255, 255, metrics.WHITE_THRESHOLD - 1)
    return truth


def _noisy(rng, image: np.ndarray, spread: float = 25.0) -> np.ndarray:
    """``image`` with noise of both signs, so that a uint8 subtraction wraps."""
    return np.clip(image + rng.normal(0, spread, image.shape), 0, 255).round().astype(np.uint8)


def psnr_fg_cases(rng) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(what, prediction, ground truth)``: random photos and the edge cases a foreground PSNR must get right."""
    truth = _object_photo(rng, (36, 52))
    other = _object_photo(rng, (45, 31))
    painted = _noisy(rng, other)                       # the background painted, the object exact
    painted[metrics.foreground_mask(other)] = other[metrics.foreground_mask(other)]
    white = _white_background(rng, (20, 24))
    blank = _white_background(rng, truth.shape[:2])  # a prediction that misses the object: white everywhere
    return [
        ("a noisy prediction of a random object on white", _noisy(rng, truth), truth),
        ("a prediction that is exact on the object and wrong only on the background", painted, other),
        ("a prediction that leaves out the object (white everywhere)", blank, truth),
        ("a ground truth with no foreground at all (all white)", _noisy(rng, white, 5), white),
    ]


def _same_number(got: float, want: float) -> bool:
    if math.isnan(want) or math.isinf(want):
        return math.isnan(got) if math.isnan(want) else got == want
    return _close(got, want, 1e-6)


def _psnr_of(squared: np.ndarray) -> float:
    mse = float(np.mean(squared)) if squared.size else float("nan")
    if mse == 0:
        return float("inf")
    return 10 * math.log10(255**2 / mse) if math.isfinite(mse) else float("nan")


def _psnr_fg_mistakes(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Hint -> what a typical mistake returns on this pair."""
    p, t = pred.astype(np.float64), truth.astype(np.float64)
    mask = metrics.foreground_mask(truth)
    squared = (p - t) ** 2
    return {
        "that is the PSNR of the whole image. Keep only the object: the foreground mask of the ground truth, "
        "then the PSNR of pred[mask] against truth[mask].": _psnr_of(squared),
        "your foreground comes from the prediction. The object is where the *ground truth* is not white: a "
        "prediction that leaves the object out must not make it vanish from the measurement.":
            _psnr_of(squared[metrics.foreground_mask(pred)]),
        "a pixel is background only when *all three* channels are at least 240 (np.all(truth >= 240, "
        "axis=-1)); yours drops every pixel with *one* bright channel.":
            _psnr_of(squared[~np.any(truth >= metrics.WHITE_THRESHOLD, axis=-1)]),
        "background means all channels >= 240, not > 240: a pixel at (240, 240, 240) is white background.":
            _psnr_of(squared[~np.all(truth > metrics.WHITE_THRESHOLD, axis=-1)]),
        "you set the background's errors to 0 and kept them in the mean, so the average still runs over the "
        "whole image. Select the foreground pixels (pred[mask], an (n, 3) array) instead of zeroing the rest.":
            _psnr_of(squared * mask[..., None]),
        _OVERFLOW_HINT: _psnr_of((pred[mask] - truth[mask]).astype(np.float64) ** 2),
        "that is the PSNR of one channel; the foreground PSNR uses all three channels of every object pixel.":
            _psnr_of(squared[..., 0][mask]),
    }


def _explain_psnr_fg_error(case: str):
    def explain(exc: Exception) -> str:
        said = f"on {case} your function raised {type(exc).__name__}: {exc}."
        if "no foreground" in case:
            return (f"{said} With no foreground pixel there is nothing to measure: check `mask.any()` first and "
                    "return float('nan'), as a mean over no pixels is.")
        if "exact on the object" in case and isinstance(exc, ZeroDivisionError):
            return (f"{said} Exact on every object pixel means an MSE of 0 and an infinite PSNR: return "
                    "float('inf') when the MSE is 0.")
        return said
    return explain


@checker
def check_psnr_fg(my_psnr_fg: Callable | None) -> bool:
    """Check ``my_psnr_fg(pred, truth) -> float`` against the library's foreground PSNR on generated photos:
    random objects on white, pixels at the white threshold, an exact object (inf), no foreground (NaN)."""
    import warnings

    if my_psnr_fg is None:
        return not_attempted("my_psnr_fg")
    for case, pred, truth in psnr_fg_cases(np.random.default_rng()):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # an empty mean or a division by 0 warns; the verdict says it better
            ok, got = learner_answer(my_psnr_fg, "my_psnr_fg", pred.copy(), truth.copy(),
                                     explain=_explain_psnr_fg_error(case))
        if not ok:
            return False
        got = _as_number(got)
        if got is None:
            return hint("return one number (a float): the PSNR over the object's pixels, in dB.")
        want = metrics.psnr_foreground(pred, truth)
        if _same_number(got, want):
            continue
        if math.isnan(want):
            return hint(f"on {case} you return {got}: with no foreground pixel there is nothing to measure, and "
                        "the answer is float('nan'), not a number that looks like a score.")
        if math.isnan(got):
            return hint(f"on {case} you return NaN, but this ground truth has an object: take the foreground from "
                        "the *ground truth* (its non-white pixels), whatever the prediction looks like.")
        if math.isinf(want):
            return hint(f"on {case} you return {got:.2f}: the prediction is exact on every object pixel, so the "
                        "MSE is 0 and the PSNR infinite (float('inf')); the background's errors must not count.")
        matching = [(abs(got - value), message) for message, value in _psnr_fg_mistakes(pred, truth).items()
                    if math.isfinite(value) and _close(got, value, 1e-4)]
        diagnosis = min(matching)[1] if matching else None  # the closest, should two mistakes land near
        return hint(f"on {case} you return {got:.3f} dB, the foreground PSNR is {want:.3f} dB: " + (
            diagnosis or "the mask is every pixel of the ground truth that is not white (not all three channels "
                         ">= 240); the PSNR is 10 log10(255**2 / MSE) over those pixels' three channels, in float."))
    return accept("your foreground PSNR matches the course library's on random photos, at the white threshold, "
                  "on an object predicted exactly (inf) and on a photo without an object (NaN).")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise, Prediction  # noqa: E402  (declared after the checkers they wrap)


# ------------------------------------------------ exercise 1: predict before you run
@checker
def check_range_inflation_db(inflation_db) -> bool:
    """Prediction: how many dB does data_range=4095 instead of 255 add to a PSNR?"""
    want = 20 * math.log10(4095 / 255)
    return judge_number(inflation_db, "inflation_db", want, tolerance=0.15, mistakes=(
        (10 * math.log10(4095 / 255), "PSNR = 10 log10(R**2 / MSE) = 20 log10(R / RMSE): the range is squared, "
                                      "so a ratio of ranges counts 20 log10, not 10 log10."),
        (4095 / 255, "that is the ratio of the ranges; in decibels it is 20 * log10(ratio)."),
        (0.0, "the range sits in the numerator of PSNR, so a 16x larger range raises every PSNR."),
        (-want, "the sign: a larger data_range makes the error look *smaller*, so PSNR goes *up*."),
    ), accepted=f"20 log10(4095/255) = {want:.1f} dB, added to every result whatever the model does.",
       otherwise="Write PSNR with R and with 16 R and subtract.")


# --------------------------------- exercise 4: predict the gray floor's hardest category
def _category_names() -> tuple[str, ...]:
    """Every category a course dataset can have: NCD's (from the survey's table) and the offline sample set's."""
    from course_lib import published, sample_data

    ncd = {row.category for row in published.load_survey() if row.category != published.DATASET_ROW}
    return tuple(sorted(ncd | set(sample_data.CATEGORIES)))


#: The answers ex4 takes: the category names of NCD and of the offline sample set.
CATEGORY_NAMES = _category_names()


def _object_share(row: dict) -> float:
    """About how much of a category's photos the object fills, as gray's PSNR tells it: the background costs
    gray (almost) nothing, so MSE_all = share x MSE_object and PSNR = PSNR_fg - 10 log10(share)."""
    share = 10 ** ((row["psnr_fg"] - row["psnr"]) / 10)
    return min(share, 1.0) if math.isfinite(share) else float("nan")


def explain_worst_category(predicted, gray_result) -> bool:
    """Compare the predicted category with the one of the lowest gray PSNR in ``gray_result`` (an
    :class:`course_lib.evaluate.EvaluationResult` of the gray baseline), and say why that one: gray's error on
    the object (PSNR_fg) and how much of the photo the object fills. Prints it; returns agreement."""
    rows = gray_result.categories
    ranked = sorted(rows, key=lambda name: rows[name]["psnr"])
    worst = ranked[0]
    shows = f"the lowest gray PSNR is {worst}'s, {rows[worst]['psnr']:.2f} dB over {rows[worst]['n']} image(s)"
    if predicted in rows and predicted != worst:
        shows += (f"; {predicted} scores {rows[predicted]['psnr']:.2f} dB, number {ranked.index(predicted) + 1} "
                  f"from the bottom of {len(ranked)}")
    elif predicted is not None and predicted not in rows:
        shows += f"; {predicted} is not among the {len(ranked)} categories measured here"
    fg = [row["psnr_fg"] for row in rows.values() if math.isfinite(row["psnr_fg"])]
    shares = [_object_share(row) for row in rows.values()]
    shares = [s for s in shares if math.isfinite(s)]
    why = (f"two things pull gray's PSNR down: how far the object's colours are from gray (gray's PSNR on the "
           f"object alone: {rows[worst]['psnr_fg']:.1f} dB for {worst}, {float(np.median(fg)):.1f} dB for the median "
           f"category) and how much of the photo the object fills, since the white background costs gray nothing "
           f"(PSNR = PSNR_fg - 10 log10(share): about {_object_share(rows[worst]):.0%} of the photo for {worst}, "
           f"{float(np.median(shares)):.0%} for the median category). A large, strongly coloured object is the "
           "hardest photo for doing nothing, and the one where a colorizer has the most to gain.")
    return prediction_vs_measurement(predicted, worst, shows, why)


ex1 = Exercise("05", 1, "inflation_db", check_range_inflation_db, hints=(
    "PSNR = 20 log10(R / RMSE); the RMSE is the same in both cases, only R changes.",
    "The difference is 20 log10(4095 / 255) = 20 log10(16.06).",
))
ex2 = Exercise("05", 2, "my_ssim", check_ssim, hints=(
    "Work in float64; local statistics come from metrics.local_mean(image, window): means, then "
    "local_mean(x * x) - mu_x**2 for the variance, local_mean(x * y) - mu_x * mu_y for the covariance.",
    "C1 = (0.01 * data_range)**2, C2 = (0.03 * data_range)**2; the map is "
    "((2 mu_x mu_y + C1)(2 cov + C2)) / ((mu_x² + mu_y² + C1)(var_x + var_y + C2)); return ssim_map[5:-5, 5:-5].mean().",
))
ex3 = Exercise("05", 3, "my_psnr_fg", check_psnr_fg, hints=(
    "Three steps: the mask (metrics.foreground_mask(truth), or np.all(truth >= 240, axis=-1) negated), the "
    "object's pixels of both images (pred[mask] and truth[mask], each (n, 3)), then their PSNR in float.",
    "Before the PSNR, the two edge cases: no object pixel (`not mask.any()`) returns float('nan'); an MSE of 0 "
    "returns float('inf'). Otherwise 10 * np.log10(255**2 / mse).",
    "metrics.psnr(pred[mask], truth[mask], data_range=255) computes the last step (and gives inf for an MSE "
    "of 0); it refuses empty arrays, so test mask.any() first.",
))
ex4 = Prediction("05", 4, "worst_category_prediction", options=CATEGORY_NAMES, explain=explain_worst_category,
                 hints=(
    "Doing nothing (gray) loses only where the photo has colour. Which kind of photo has the most colour: how "
    "strong, and over how much of the frame?",
    "Look for a large object with a strong colour far from gray (deep red, deep green) that fills much of the "
    "frame. Any category earns the point when predicted before the measurement.",
))
