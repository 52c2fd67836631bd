"""Checks for the exercises of notebook 05, "Evaluation metrics".

The learner writes ``my_rmse(a, b)``, ``my_psnr(a, b, data_range)`` and
``my_ssim(x, y, data_range)``. Each ``check_*`` calls the learner's function on a few
generated images, compares with :mod:`course_lib.metrics`, and when the answer is off,
compares it with the typical mistakes (uint8 overflow, MSE instead of RMSE, the seed's
4095 data range, a uniform SSIM window...) to name the likely one. It prints the
verdict, returns ``True``/``False`` and never raises.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from course_lib import metrics
from course_lib.checks.feedback import accept, as_float_array, checker, hint, judge_number, learner_answer, not_attempted

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


def _wrapped_squared_errors(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Squared errors as uint8 arithmetic gives them, without a cast to float.

    ``a - b`` wraps (negatives become 256 + x); ``(a - b) ** 2`` in uint8 wraps again
    (mod 256). Learners hit either, depending on where the float conversion happens.
    """
    wrapped = a - b  # uint8
    return [wrapped.astype(np.float64) ** 2, (wrapped**2).astype(np.float64)]


_OVERFLOW_HINT = ("subtracting two uint8 arrays wraps around (3 - 5 gives 254, not -2). Convert to float "
                  "first: `a.astype(np.float64) - b.astype(np.float64)`.")


# ---------------------------------------------------------------- exercise 1: RMSE
@checker
def check_rmse(my_rmse: Callable | None) -> bool:
    """Check ``my_rmse(a, b) -> float``: RMSE of two uint8 images in uint8 levels."""
    if my_rmse is None:
        return not_attempted("my_rmse")
    pred, truth = _test_pair()
    ok, got = learner_answer(my_rmse, "my_rmse", pred, truth)
    if not ok:
        return False
    got = _as_number(got)
    if got is None:
        return hint("return one number (a float), the RMSE over every pixel and channel.")
    want = metrics.rmse(pred, truth)
    if _close(got, want):
        return accept(f"RMSE = {got:.3f} uint8 levels, the same as course_lib.metrics.rmse.")
    diff = pred.astype(np.float64) - truth.astype(np.float64)
    wrapped_sq, wrapped_both = _wrapped_squared_errors(pred, truth)
    diagnosis = _diagnose(got, {
        _OVERFLOW_HINT: float(np.sqrt(np.mean(wrapped_sq))),
        _OVERFLOW_HINT + " (Here the square wrapped too.)": float(np.sqrt(np.mean(wrapped_both))),
        "that is the mean *squared* error: take the square root of it (np.sqrt).": float(np.mean(diff**2)),
        "that is the mean *absolute* error: square the differences, average, then take the square root.":
            float(np.mean(np.abs(diff))),
        "np.std(a - b) removes the average difference first, so it misses a prediction that is too dark "
        "overall. Use np.sqrt(np.mean((a - b) ** 2)).": float(np.std(diff)),
        "that is the RMSE divided by 255; report it in uint8 levels (do not rescale).": want / 255,
        "average over every value (np.mean), not the sum.": float(np.sqrt(np.sum(diff**2))),
    })
    return hint(diagnosis or f"expected about {want:.3f}, got {got:.3f}. RMSE = sqrt(mean((a - b)^2)) over all "
                             "pixels and channels, computed in float.")


# ---------------------------------------------------------------- exercise 2: PSNR
@checker
def check_psnr(my_psnr: Callable | None) -> bool:
    """Check ``my_psnr(a, b, data_range) -> float`` on uint8 (range 255) and float (range 1) images."""
    if my_psnr is None:
        return not_attempted("my_psnr")
    for dtype, data_range in ((np.uint8, 255), (np.float64, 1.0)):
        pred, truth = _test_pair(dtype=dtype)
        ok, got = learner_answer(my_psnr, "my_psnr", pred, truth, data_range)
        if not ok:
            return False
        got = _as_number(got)
        if got is None:
            return hint("return one number (a float): the PSNR in dB.")
        want = metrics.psnr(pred, truth, data_range=data_range)
        if _close(got, want):
            continue
        mse = float(np.mean((pred.astype(np.float64) - truth.astype(np.float64)) ** 2))
        mistakes = {
            "you used data_range = 4095 (12-bit) on 8-bit images: that adds 20*log10(4095/255) = 24.1 dB "
            "to every result -- the seed project's 38 dB. Use the `data_range` argument.":
                want + metrics.data_range_inflation_db(4095, data_range),
            "PSNR = 10*log10(data_range**2 / MSE): the peak value must be squared like the error.":
                10 * math.log10(data_range / mse),
            "with the MSE use 10*log10(...); 20*log10(...) goes with the RMSE (20 log10(R / RMSE)).":
                20 * math.log10(data_range**2 / mse),
            "use the base-10 logarithm (np.log10), not the natural log (np.log).": 10 * math.log(data_range**2 / mse),
            "PSNR = 10*log10(data_range**2 / MSE), not the ratio without the log.": data_range**2 / mse,
        }
        if dtype == np.uint8:
            for i, squared in enumerate(_wrapped_squared_errors(pred, truth)):
                mistakes[_OVERFLOW_HINT + " " * i] = 10 * math.log10(255**2 / float(np.mean(squared)))
            mistakes["you used a peak value of 1.0 on uint8 images (values 0-255): pass and use "
                     "`data_range` (255 here); it must match how the pixels are stored."] = (
                want + 20 * math.log10(1 / 255))
        else:
            mistakes["on float images in [0, 1] the peak value is 1.0: use the `data_range` argument instead "
                     "of a fixed 255."] = want + 20 * math.log10(255)
            mistakes["the seed's mistake: data_range = 4095 instead of the `data_range` argument."] = (
                want + 20 * math.log10(4095))
        diagnosis = _diagnose(got, mistakes)
        return hint(diagnosis or f"on {np.dtype(dtype).name} images with data_range={data_range} expected "
                                 f"{want:.3f} dB, got {got:.3f}. PSNR = 10*log10(data_range**2 / MSE).")
    return accept("PSNR is right on uint8 (data_range 255) and float (data_range 1.0) images.")


# ---------------------------------------------------------------- exercise 3: SSIM
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


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("05", 1, "my_rmse", check_rmse, hints=(
    "Convert to float before subtracting: uint8 arithmetic wraps around.",
    "np.sqrt(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)).",
))
ex2 = Exercise("05", 2, "my_psnr", check_psnr, hints=(
    "PSNR compares the squared peak value (data_range) with the mean squared error, in decibels.",
    "mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2); return 10 * np.log10(data_range**2 / mse).",
))
ex3 = Exercise("05", 3, "my_ssim", check_ssim, hints=(
    "Work in float64; local statistics come from metrics.local_mean(image, window): means, then "
    "local_mean(x * x) - mu_x**2 for the variance, local_mean(x * y) - mu_x * mu_y for the covariance.",
    "C1 = (0.01 * data_range)**2, C2 = (0.03 * data_range)**2; the map is "
    "((2 mu_x mu_y + C1)(2 cov + C2)) / ((mu_x² + mu_y² + C1)(var_x + var_y + C2)); return ssim_map[5:-5, 5:-5].mean().",
))


# ------------------------------------------------ exercise 4: predict before you run
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


ex4 = Exercise("05", 4, "inflation_db", check_range_inflation_db, hints=(
    "PSNR = 20 log10(R / RMSE); the RMSE is the same in both cases, only R changes.",
    "The difference is 20 log10(4095 / 255) = 20 log10(16.06).",
))
