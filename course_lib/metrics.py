"""Image-quality metrics for colorization, written in NumPy for learners to read.

Evaluation protocol (the one place it is written down)
------------------------------------------------------
Every number the course reports -- in the notebooks, ``python -m course_lib evaluate``
and the results table -- is computed the same way:

1. **Compare RGB uint8 images.** The ground truth is the photo as loaded from disk
   (``course_lib.data.load_image``); the prediction is the colorized RGB uint8 image.
   ``data_range`` is therefore 255 for PSNR and SSIM.
2. **Native resolution.** The prediction is produced at the photo's own size (original
   L plus the upsampled predicted ab, see ``course_lib.inference``); nothing is
   resized before comparing.
3. **Per image, then per category, then two dataset means.** Each metric is computed
   for each image. A category's value is the mean over its images. The dataset is
   summarised twice, each mean named for what it averages:

   * ``dataset_image_mean`` (row ``ALL (images)``): the mean over all images, each
     image weighing the same;
   * ``dataset_category_mean`` (row ``ALL (categories)``): the plain mean of the
     category rows, each category weighing the same. The NCD survey's dataset row is
     this one (each method's dataset row equals the mean of its 20 category rows), so
     it is the one to set beside the survey.

   NCD's categories differ in size only a little, so the two are close, but not equal.
4. **Against the gray floor.** Every evaluation also measures the gray baseline
   (keep L, set ab = 0) on the same images and reports the **gain over gray**
   (ours - gray) per category and for both means. On NCD gray already scores about
   17.5 dB PSNR (white background, L kept); a number means little without its floor.

Choosing settings, and the test split (the selection protocol)
--------------------------------------------------------------
The test split answers one question -- how good is the finished recipe on images it
has never influenced -- and it can answer it only once:

* **Choose on validation data.** Compare learning rates, epochs, decoders, losses or
  saturation on the *validation* split (``evaluate --split val``), or, for a sounder
  choice on a dataset as small as NCD, by k-fold cross-validation over train + val.
  Never pick a setting because it scored better on test: that turns the test split
  into a second validation split, and the reported number becomes optimistic.
* **Evaluate the test split once per finished recipe** (``evaluate --split test``),
  after every choice is made, and report that number even if it disappoints.
* **Report** the per-category table, the category mean (comparable with the NCD
  survey) and the gain over gray, with any departure from this protocol (e.g. a
  reduced ``--max-side``) stated beside the number.
* **Leave a margin for the images you have not seen.** A validation split of a few
  images per category is a small sample, and so is the set you will be judged on: a
  rule such as "colourfulness at least 0.85 on 100 new images" should hold for the
  low end of the category mean's *prediction interval* (:func:`category_mean_interval`:
  where the figure would fall on a new set of 5 images per category), not just for the
  mean, or it will fail on new images about half the time. An interval for the mean
  alone (a bootstrap over the validation images, say) is too narrow for this: it leaves
  out the new set's own sampling error, and a category with one validation image adds
  nothing to it.
* **Repeat the training run.** A network trained from random weights is itself a random
  draw: two seeds of one recipe can differ by more than most settings do (the ``cpu``
  recipe's seeds: benchmarks/README.md). Compare recipes on the mean over a few seeds
  each (``benchmarks/select_recipe.py --seeds``), and read a difference smaller than the
  spread between seeds as no difference.

The metrics
-----------
=====================  ======================================================  ======
key                    what it measures                                        better
=====================  ======================================================  ======
``psnr``               peak signal-to-noise ratio over RGB, dB                 higher
``ssim``               structural similarity (Wang et al. 2004), mean of RGB   higher
``rmse``               root mean squared error over RGB, in uint8 levels       lower
``deltaE``             mean CIEDE2000 colour difference, LAB units             lower
``colorfulness_ratio`` colorfulness(pred) / colorfulness(gt) (Hasler 2003)     near 1
``auc``                Zhang et al. 2016 AuC of ab error, thresholds 0..150    higher
``psnr_fg``            PSNR over the foreground (non-white) pixels only        higher
``deltaE_fg``          mean CIEDE2000 over the foreground pixels only          lower
=====================  ======================================================  ======

Why more than PSNR and SSIM? NCD photos show one object on a white background, and a
colorizer keeps the input's lightness L. Large white areas are easy (white has ab = 0),
and structure lives mostly in L, so PSNR is flattered and SSIM barely moves even for
a gray image. The colour metrics (ΔE, colorfulness, AuC) and the foreground-masked
ones look at what colorization actually changes.

Input rules, enforced by every metric: both images have the same shape and dtype, no
NaN or infinity, and ``data_range`` is given explicitly for float images (uint8 images
default to 255, the only range uint8 can have).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from course_lib.errors import MetricInputError


def _skcolor():
    """scikit-image's colour module, imported on first use (so `--help` stays light)."""
    from skimage import color

    return color

#: A ground-truth pixel whose R, G and B are all >= this is background (white). NCD's
#: backgrounds are JPEG-compressed white, so exact 255 would miss most of them.
WHITE_THRESHOLD = 240
#: Gaussian window of SSIM (Wang et al. 2004): 11 x 11, standard deviation 1.5.
SSIM_WINDOW_SIZE = 11
SSIM_SIGMA = 1.5
#: SSIM's stabilising constants, as fractions of the data range.
SSIM_K1 = 0.01
SSIM_K2 = 0.03
#: Zhang et al. (2016) sweep the ab error threshold from 0 to 150.
AUC_MAX_THRESHOLD = 150

#: The per-image metrics :func:`evaluate_pair` returns, in table order.
METRIC_KEYS = ("psnr", "ssim", "rmse", "deltaE", "colorfulness_ratio", "auc", "psnr_fg", "deltaE_fg")


# --------------------------------------------------------------------- input checks
def _check_pair(a, b, data_range) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate two images and return them as float64 with the data range.

    Casting to float64 *before* subtracting matters: ``uint8 - uint8`` wraps around
    (``3 - 5 == 254``), a classic silent bug.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise MetricInputError(
            f"images have different shapes {a.shape} and {b.shape}; compare a prediction with the "
            "ground truth at the same (native) resolution"
        )
    if a.dtype != b.dtype:
        raise MetricInputError(
            f"images have different dtypes {a.dtype} and {b.dtype}; convert both to uint8 "
            "(course_lib.color.to_uint8_rgb) so they use the same scale"
        )
    if a.size == 0:
        raise MetricInputError("images are empty")
    is_uint8 = a.dtype == np.uint8
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)) or a.dtype == bool:
        raise MetricInputError(f"unsupported dtype {a.dtype}: pass uint8 images, or floats with data_range")
    if data_range is None:
        if not is_uint8:
            raise MetricInputError(
                f"data_range is required for {a.dtype} images: pass data_range=1.0 for floats in [0, 1] "
                "or data_range=255 for values in [0, 255]"
            )
        data_range = 255.0  # the only range uint8 can have
    data_range = float(data_range)
    if not np.isfinite(data_range) or data_range <= 0:
        raise MetricInputError(f"data_range must be a positive number, got {data_range}")
    a, b = a.astype(np.float64), b.astype(np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise MetricInputError("images contain NaN or infinity; check the prediction for invalid values")
    # A spread of values wider than data_range means the range is wrong (e.g. floats in
    # [0, 255] with data_range=1.0). A tiny tolerance allows for float rounding.
    spread = max(np.ptp(a), np.ptp(b))
    if spread > data_range * (1 + 1e-6):
        raise MetricInputError(
            f"the images' values span {spread:g} but data_range={data_range:g}; pass the range the "
            "pixel values can take (255 for uint8 levels, 1.0 for floats in [0, 1])"
        )
    return a, b, data_range


def _check_rgb_uint8(pred, gt) -> None:
    """Colour metrics work on RGB uint8 images of the same shape (the protocol)."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    for name, image in (("prediction", pred), ("ground truth", gt)):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise MetricInputError(
                f"{name} must be an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}; "
                "convert with course_lib.color.to_uint8_rgb"
            )
    if pred.shape != gt.shape:
        raise MetricInputError(f"images have different shapes {pred.shape} and {gt.shape}")


# --------------------------------------------------------------- RMSE, PSNR, SSIM
def rmse(a, b, *, data_range=None) -> float:
    """Root mean squared error between two images.

    Parameters
    ----------
    a, b : ndarray, same shape and dtype, e.g. (H, W, 3)
        uint8 in [0, 255], or float (then ``data_range`` is required).
    data_range : float, optional for uint8 (255)
        Range the pixel values can span. RMSE itself does not use it, but it is
        checked against the values, which catches images on the wrong scale.

    Returns
    -------
    float
        RMSE in the images' own units (uint8 levels for uint8 images), >= 0.
    """
    a, b, _ = _check_pair(a, b, data_range)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def psnr(a, b, *, data_range=None) -> float:
    """Peak signal-to-noise ratio ``20 log10(data_range / RMSE)`` in dB.

    Parameters
    ----------
    a, b : ndarray, same shape and dtype
        uint8 in [0, 255], or float (then ``data_range`` is required).
    data_range : float, optional for uint8 (255)
        The largest possible difference between two pixel values. It must be the
        range of the *stored* values: 4095 (12-bit) on uint8 images adds
        ``20 log10(4095 / 255) = 24.1 dB`` to every result -- the seed project's 38 dB.

    Returns
    -------
    float
        PSNR in dB; ``inf`` for identical images.
    """
    a, b, data_range = _check_pair(a, b, data_range)
    mse = np.mean((a - b) ** 2)
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(data_range**2 / mse))


def gaussian_window(size: int = SSIM_WINDOW_SIZE, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 2-D Gaussian window, float64 of shape (size, size), summing to 1."""
    offsets = np.arange(size) - (size - 1) / 2
    profile = np.exp(-(offsets**2) / (2 * sigma**2))
    profile /= profile.sum()
    return np.outer(profile, profile)


def local_mean(image: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Weighted mean of every pixel's neighbourhood, for SSIM.

    Parameters
    ----------
    image : ndarray of float64, shape (H, W)
    window : ndarray, shape (k, k)
        A separable window that sums to 1, e.g. :func:`gaussian_window` (or a uniform
        ``np.ones((k, k)) / k**2``).

    Returns
    -------
    ndarray of float64, shape (H, W)
        Borders are filled by reflection; SSIM later ignores the ``k // 2`` pixels
        near the border, so the choice does not matter.
    """
    # The 2-D window is outer(profile, profile); filtering rows then columns with the
    # 1-D profile gives the same result 5x faster than an 11 x 11 correlation.
    profile = window.sum(axis=1)
    rows = ndimage.correlate1d(image, profile, axis=0, mode="reflect")
    return ndimage.correlate1d(rows, profile, axis=1, mode="reflect")


def _ssim_map(x: np.ndarray, y: np.ndarray, data_range: float, window: np.ndarray) -> np.ndarray:
    """SSIM of two float64 2-D images at every pixel whose whole window lies inside them
    (Wang et al. 2004, eq. 13): shape ``(H - k + 1, W - k + 1)`` for a ``k x k`` window."""
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    mu_x, mu_y = local_mean(x, window), local_mean(y, window)
    # Local (population) variances and covariance: E[x^2] - E[x]^2 etc.
    var_x = local_mean(x * x, window) - mu_x**2
    var_y = local_mean(y * y, window) - mu_y**2
    cov_xy = local_mean(x * y, window) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    # Only pixels whose whole window lies inside the image count (no padding artefacts).
    pad = window.shape[0] // 2
    return ssim_map[pad:-pad, pad:-pad]


def _ssim_single_channel(x: np.ndarray, y: np.ndarray, data_range: float, window: np.ndarray) -> float:
    """Mean SSIM of two float64 2-D images."""
    return float(_ssim_map(x, y, data_range, window).mean())


def ssim(a, b, *, data_range=None) -> float:
    """Structural similarity (Wang et al. 2004), computed per channel then averaged.

    An 11 x 11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, population
    covariances; the same as ``skimage.metrics.structural_similarity(a, b,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    data_range=..., channel_axis=-1)``.

    Parameters
    ----------
    a, b : ndarray, shape (H, W) or (H, W, C), same dtype
        uint8 in [0, 255], or float (then ``data_range`` is required); H, W >= 11.
    data_range : float, optional for uint8 (255)

    Returns
    -------
    float
        Mean SSIM in [-1, 1]; 1 for identical images.
    """
    a, b, data_range = _check_pair(a, b, data_range)
    if a.ndim not in (2, 3) or min(a.shape[:2]) < SSIM_WINDOW_SIZE:
        raise MetricInputError(
            f"SSIM needs (H, W) or (H, W, C) images at least {SSIM_WINDOW_SIZE} pixels on a side, got {a.shape}"
        )
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    window = gaussian_window()
    per_channel = [_ssim_single_channel(a[..., c], b[..., c], data_range, window) for c in range(a.shape[-1])]
    return float(np.mean(per_channel))


# ------------------------------------------------------------------ colour metrics
def _delta_e_map(lab_pred: np.ndarray, lab_gt: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 between two LAB images (H, W, 3) -> (H, W) float64."""
    return _skcolor().deltaE_ciede2000(lab_gt, lab_pred, channel_axis=-1)


def delta_e_ciede2000(pred, gt, *, mask=None) -> float:
    """Mean CIEDE2000 colour difference between two RGB uint8 images.

    Parameters
    ----------
    pred, gt : ndarray of uint8, shape (H, W, 3)
    mask : ndarray of bool, shape (H, W), optional
        Average only over these pixels (e.g. :func:`foreground_mask`).

    Returns
    -------
    float
        Mean ΔE00 in LAB units (about 1 is just noticeable; 0 for identical colours);
        NaN when the mask selects no pixel.
    """
    _check_rgb_uint8(pred, gt)
    if mask is not None and not np.any(mask):
        return float("nan")
    delta_e = _delta_e_map(_skcolor().rgb2lab(np.asarray(pred)), _skcolor().rgb2lab(np.asarray(gt)))  # (H, W)
    return float(delta_e[mask].mean() if mask is not None else delta_e.mean())


def colorfulness(rgb) -> float:
    """Colorfulness metric M of Hasler and Suesstrunk (2003).

    ``rg = R - G``, ``yb = (R + G) / 2 - B``;
    ``M = sqrt(std(rg)^2 + std(yb)^2) + 0.3 * sqrt(mean(rg)^2 + mean(yb)^2)``.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (H, W, 3)

    Returns
    -------
    float
        M >= 0, on the 0-255 scale of the paper (0 for a gray image; about 33 is
        "moderately colourful", above 80 "extremely colourful").
    """
    rgb = np.asarray(rgb)
    _check_rgb_uint8(rgb, rgb)
    red, green, blue = (rgb[..., i].astype(np.float64) for i in range(3))
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = np.sqrt(rg.std() ** 2 + yb.std() ** 2)
    mean = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(spread + 0.3 * mean)


def colorfulness_ratio(pred, gt) -> float:
    """``colorfulness(pred) / colorfulness(gt)``: below 1 is desaturated, above 1 garish.

    Returns NaN when the ground truth has no colour at all (ratio undefined).
    """
    _check_rgb_uint8(pred, gt)
    reference = colorfulness(gt)
    if reference == 0:
        return float("nan")
    return colorfulness(pred) / reference


def ab_error_auc(pred, gt, *, max_threshold: int = AUC_MAX_THRESHOLD) -> float:
    """Zhang et al. (2016) AuC: how many pixels have an ab error within each threshold.

    For every threshold t = 0, 1, ..., 150 take the fraction of pixels whose ab error
    ``||ab_pred - ab_gt||_2`` (LAB units) is at most t; the AuC is the area under that
    curve divided by 150, so it lies in [0, 1] (1: every pixel exact).

    Parameters
    ----------
    pred, gt : ndarray of uint8, shape (H, W, 3)

    Returns
    -------
    float in [0, 1]
    """
    _check_rgb_uint8(pred, gt)
    return _auc_from_lab(_skcolor().rgb2lab(np.asarray(pred)), _skcolor().rgb2lab(np.asarray(gt)), max_threshold)


def _auc_from_lab(lab_pred: np.ndarray, lab_gt: np.ndarray, max_threshold: int = AUC_MAX_THRESHOLD) -> float:
    errors = np.linalg.norm(lab_pred[..., 1:] - lab_gt[..., 1:], axis=-1)  # (H, W) ab distance
    errors = np.sort(errors.ravel())
    thresholds = np.arange(max_threshold + 1)
    # In sorted errors, the count of errors <= t is where t would be inserted on the right.
    within = np.searchsorted(errors, thresholds, side="right") / errors.size
    # The trapezoid rule written out: np.trapezoid needs NumPy >= 2.0, np.trapz is absent from NumPy 2.4,
    # and pyproject allows NumPy 1.26 (Colab's until 2025).
    area = np.sum((within[1:] + within[:-1]) * np.diff(thresholds)) / 2
    return float(area / max_threshold)


def foreground_mask(gt, *, white_threshold: int = WHITE_THRESHOLD) -> np.ndarray:
    """Pixels of the ground truth that are not white background.

    Parameters
    ----------
    gt : ndarray of uint8, shape (H, W, 3)
    white_threshold : int
        A pixel is background when R, G and B are all >= this (240 by default).

    Returns
    -------
    ndarray of bool, shape (H, W); True on the object.
    """
    gt = np.asarray(gt)
    _check_rgb_uint8(gt, gt)
    return ~np.all(gt >= white_threshold, axis=-1)


def psnr_foreground(pred, gt, *, white_threshold: int = WHITE_THRESHOLD) -> float:
    """PSNR (data range 255) over the ground truth's foreground pixels only.

    Returns NaN when the image has no foreground pixel.
    """
    _check_rgb_uint8(pred, gt)
    mask = foreground_mask(gt, white_threshold=white_threshold)
    if not mask.any():
        return float("nan")
    return psnr(np.asarray(pred)[mask], np.asarray(gt)[mask], data_range=255)  # (n, 3) each


#: :func:`evaluate_pair` scores a photo a strip of whole rows at a time, about this many pixels
#: per strip, so its memory does not grow with the photo: the LAB conversions and CIEDE2000 need
#: about 0.3 KB of temporaries per pixel, 3.6 GB for NCD's 12.8-megapixel photo scored whole
#: (:func:`evaluate_pair_whole_image`), about 0.15 GB per strip of this size.
EVALUATION_STRIP_PIXELS = 2**19


def evaluate_pair(pred, gt, *, strip_rows: int | None = None) -> dict[str, float]:
    """Every metric of the protocol for one prediction and its ground truth, in bounded memory.

    The same numbers as :func:`evaluate_pair_whole_image` (the plain composition of the metric
    functions above), computed a strip of rows at a time, so that scoring a 12-megapixel photo
    fits in a 2 GB Binder session. Every metric is a sum over pixels in disguise: squared errors
    for PSNR, RMSE and the foreground PSNR; ΔE for both ΔE means; counts of ab errors within each
    threshold for the AuC; sums and sums of squares of ``rg`` and ``yb`` for colourfulness; and
    SSIM values, each strip read with the ``SSIM_WINDOW_SIZE // 2`` rows around it that its
    windows reach into. The squared errors and the colourfulness sums are whole numbers, kept
    exactly.

    Parameters
    ----------
    pred, gt : ndarray of uint8, shape (H, W, 3), at the photo's native resolution; H, W >= 11
    strip_rows : int, optional
        Rows per strip; by default as many as make :data:`EVALUATION_STRIP_PIXELS` pixels (at
        least ``SSIM_WINDOW_SIZE``). The result does not depend on it beyond float rounding.

    Returns
    -------
    dict
        ``{key: float}`` for every key in :data:`METRIC_KEYS`.

    Raises
    ------
    MetricInputError
        Not two RGB uint8 images of the same shape; smaller than the SSIM window; ``strip_rows`` < 1.
    """
    _check_rgb_uint8(pred, gt)
    pred, gt = np.asarray(pred), np.asarray(gt)
    height, width = gt.shape[:2]
    if min(height, width) < SSIM_WINDOW_SIZE:
        raise MetricInputError(f"SSIM needs images at least {SSIM_WINDOW_SIZE} pixels on a side, got {gt.shape}")
    if strip_rows is None:
        strip_rows = max(SSIM_WINDOW_SIZE, EVALUATION_STRIP_PIXELS // width)
    if int(strip_rows) != strip_rows or strip_rows < 1:
        raise MetricInputError(f"strip_rows must be a whole number >= 1, got {strip_rows}")
    totals = None
    for top in range(0, height, int(strip_rows)):
        sums = _strip_sums(pred, gt, top, min(top + int(strip_rows), height))
        totals = sums if totals is None else {key: totals[key] + sums[key] for key in totals}
    return _metrics_from_sums(totals, height, width)


def _strip_sums(pred: np.ndarray, gt: np.ndarray, top: int, bottom: int) -> dict:
    """Sums over the rows ``top:bottom`` of two RGB uint8 images, from which :func:`_metrics_from_sums`
    finishes every metric. Whole numbers are Python ints (exact, never overflowing)."""
    p, g = pred[top:bottom], gt[top:bottom]
    mask = foreground_mask(g)  # (rows, W)
    difference = p.astype(np.int32) - g  # int32: uint8 - uint8 would wrap around
    squared_error = np.einsum("ijk,ijk->ij", difference, difference)  # (rows, W), summed over R, G, B
    lab_pred, lab_gt = _skcolor().rgb2lab(p), _skcolor().rgb2lab(g)
    delta_e = _delta_e_map(lab_pred, lab_gt)  # (rows, W)
    ab_error = np.linalg.norm(lab_pred[..., 1:] - lab_gt[..., 1:], axis=-1)  # as in _auc_from_lab
    # error <= t  <=>  ceil(error) <= t for a whole t: a histogram of the ceilings, summed up to t, counts them.
    ceilings = np.minimum(np.ceil(ab_error), AUC_MAX_THRESHOLD + 1).astype(np.intp).ravel()
    within = np.cumsum(np.bincount(ceilings, minlength=AUC_MAX_THRESHOLD + 2)[: AUC_MAX_THRESHOLD + 1])
    return {
        "squared_error": int(squared_error.sum(dtype=np.int64)),
        "squared_error_fg": int(squared_error[mask].sum(dtype=np.int64)),
        "pixels_fg": int(mask.sum()),
        "delta_e": float(delta_e.sum()),
        "delta_e_fg": float(delta_e[mask].sum()),
        "within": within.astype(np.int64),  # (151,) pixels with an ab error <= 0, 1, ..., 150
        "opponent_pred": _opponent_sums(p),
        "opponent_gt": _opponent_sums(g),
        "ssim": _strip_ssim_sum(pred, gt, top, bottom),
    }


def _opponent_sums(rgb: np.ndarray) -> np.ndarray:
    """Sums of ``rg = R - G``, ``rg**2``, ``2 yb = R + G - 2 B`` and ``(2 yb)**2`` over an RGB uint8
    image: whole numbers, so colourfulness adds strips up exactly (an object array of Python ints)."""
    red, green, blue = (rgb[..., i].astype(np.int32) for i in range(3))
    rg, yb2 = red - green, red + green - 2 * blue  # |rg| <= 255, |2 yb| <= 510: squares fit in int32
    return np.array([int(x.sum(dtype=np.int64)) for x in (rg, rg * rg, yb2, yb2 * yb2)], dtype=object)


def _strip_ssim_sum(pred: np.ndarray, gt: np.ndarray, top: int, bottom: int) -> float:
    """Sum over R, G and B of the SSIM map's values on rows ``top:bottom`` (those of them whose
    windows lie inside the image). The strip is read with the rows its windows reach into, so
    every value is the one :func:`ssim` computes on the whole image."""
    pad = SSIM_WINDOW_SIZE // 2
    first, last = max(top, pad), min(bottom, gt.shape[0] - pad)
    if first >= last:
        return 0.0
    window = gaussian_window()
    rows = slice(first - pad, last + pad)
    return float(sum(_ssim_map(pred[rows, :, c].astype(np.float64), gt[rows, :, c].astype(np.float64),
                               255.0, window).sum() for c in range(3)))


def _colorfulness_from_sums(opponent, pixels: int) -> float:
    """:func:`colorfulness` from :func:`_opponent_sums` over ``pixels`` pixels.

    A variance is ``(n sum(x**2) - sum(x)**2) / n**2``: in Python integers the numerator is exact.
    """
    sum_rg, sum_rg2, sum_yb2, sum_yb2_2 = (int(x) for x in opponent)
    variance_rg = (pixels * sum_rg2 - sum_rg**2) / pixels**2
    variance_yb = (pixels * sum_yb2_2 - sum_yb2**2) / (4 * pixels**2)  # yb = (2 yb) / 2
    mean_rg, mean_yb = sum_rg / pixels, sum_yb2 / (2 * pixels)
    return float(np.sqrt(variance_rg + variance_yb) + 0.3 * np.sqrt(mean_rg**2 + mean_yb**2))


def _metrics_from_sums(totals: dict, height: int, width: int) -> dict[str, float]:
    """Every metric of :data:`METRIC_KEYS` from the sums :func:`_strip_sums` collected over a whole image."""
    pixels, pixels_fg = height * width, totals["pixels_fg"]

    def psnr_of(squared_error: int, values: int) -> float:
        return float("inf") if squared_error == 0 else float(10.0 * np.log10(255.0**2 * values / squared_error))

    reference = _colorfulness_from_sums(totals["opponent_gt"], pixels)
    within = totals["within"] / pixels  # fraction of pixels within each threshold 0..150
    pad = SSIM_WINDOW_SIZE // 2
    return {
        "psnr": psnr_of(totals["squared_error"], 3 * pixels),
        "ssim": totals["ssim"] / (3 * (height - 2 * pad) * (width - 2 * pad)),
        "rmse": float(np.sqrt(totals["squared_error"] / (3 * pixels))),
        "deltaE": totals["delta_e"] / pixels,
        "colorfulness_ratio": (_colorfulness_from_sums(totals["opponent_pred"], pixels) / reference
                               if reference != 0 else float("nan")),
        # The trapezoid rule at the thresholds' unit spacing, as np.trapezoid in _auc_from_lab.
        "auc": float((within[1:] + within[:-1]).sum() / 2 / AUC_MAX_THRESHOLD),
        "psnr_fg": psnr_of(totals["squared_error_fg"], 3 * pixels_fg) if pixels_fg else float("nan"),
        "deltaE_fg": totals["delta_e_fg"] / pixels_fg if pixels_fg else float("nan"),
    }


def evaluate_pair_whole_image(pred, gt) -> dict[str, float]:
    """:func:`evaluate_pair` the straightforward way: each metric function on the whole images.

    Easy to read and the reference the strip-wise :func:`evaluate_pair` is tested against
    (``tests/test_metrics.py``), but its temporaries need about 0.3 KB per pixel: 3.6 GB for a
    12.8-megapixel photo. Use :func:`evaluate_pair`.

    Parameters
    ----------
    pred, gt : ndarray of uint8, shape (H, W, 3), at the photo's native resolution

    Returns
    -------
    dict
        ``{key: float}`` for every key in :data:`METRIC_KEYS`.

    Raises
    ------
    MetricInputError
        Not two RGB uint8 images of the same shape, or smaller than the SSIM window.
    """
    _check_rgb_uint8(pred, gt)
    mask = foreground_mask(gt)
    # The LAB conversions and the ΔE map are the slow part: compute them once.
    lab_pred, lab_gt = _skcolor().rgb2lab(pred), _skcolor().rgb2lab(gt)
    delta_e = _delta_e_map(lab_pred, lab_gt)  # (H, W)
    return {
        "psnr": psnr(pred, gt, data_range=255),
        "ssim": ssim(pred, gt, data_range=255),
        "rmse": rmse(pred, gt, data_range=255),
        "deltaE": float(delta_e.mean()),
        "colorfulness_ratio": colorfulness_ratio(pred, gt),
        "auc": _auc_from_lab(lab_pred, lab_gt),
        "psnr_fg": psnr_foreground(pred, gt),
        "deltaE_fg": float(delta_e[mask].mean()) if mask.any() else float("nan"),
    }


def data_range_inflation_db(wrong_range: float, right_range: float = 255.0) -> float:
    """How many dB a wrong data range adds to every PSNR: ``20 log10(wrong / right)``.

    ``data_range_inflation_db(4095)`` is about 24.1 dB: the seed project's PSNR on
    8-bit images with a 12-bit range.
    """
    return float(20.0 * np.log10(wrong_range / right_range))


#: The new set :func:`category_mean_interval` speaks for by default: 5 images per category, i.e. 100
#: over NCD's 20 categories, the size of the set the course's recipes are checked on.
NEW_IMAGES_PER_CATEGORY = 5


def category_mean_interval(values, categories, *, per_category: int = NEW_IMAGES_PER_CATEGORY,
                           confidence: float = 0.95) -> tuple[float, float, float]:
    """The category mean of per-image ``values``, and where it would fall on *new* images.

    The category mean is the plain mean of the per-category means (``dataset_category_mean``).
    The interval is a **prediction interval**: the range that the category mean measured on a
    new, category-balanced set of ``per_category`` images per category (the same categories)
    falls into with probability ``confidence``. It is wider than an interval for the mean
    itself, because the new set has a sampling error of its own; a rule such as "colourfulness
    at least 0.85 on 100 new images" is a statement about that new figure.

    How: each image is its category's mean plus noise of one spread ``s`` shared by all
    categories (pooled within categories: with a few images a category, a category's
    own spread cannot be estimated, and a category with one image still carries its share of
    the uncertainty). The figure measured here has variance ``s**2 / C**2 * sum(1 / n_c)``,
    the new one ``s**2 / (C * per_category)``; their difference is Student-t distributed
    with ``N - C`` degrees of freedom (N images, C categories). NaN values (e.g. the
    colourfulness ratio of a colourless photo) are left out.

    Parameters
    ----------
    values : sequence of float
        One value per image.
    categories : sequence of str
        Each image's category, in the same order.
    per_category : int >= 1
        Images per category in the new set (5: 100 images over NCD's 20 categories).
    confidence : float in (0, 1)

    Returns
    -------
    (mean, low, high) : tuple of float
        ``low`` and ``high`` are NaN when no category has two finite values: the spread between
        images cannot be estimated, so nothing can be said about new images.

    Raises
    ------
    ValueError
        Lengths differ; no finite value; a bad ``per_category`` or ``confidence``.
    """
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    categories = list(categories)
    if values.ndim != 1 or len(values) != len(categories):
        raise ValueError(f"need one value per image: {values.shape} values, {len(categories)} categories")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if int(per_category) != per_category or per_category < 1:
        raise ValueError(f"per_category must be a whole number >= 1, got {per_category}")
    groups = [values[[i for i, c in enumerate(categories) if c == name]] for name in sorted(set(categories))]
    groups = [g[np.isfinite(g)] for g in groups]
    groups = [g for g in groups if len(g)]
    if not groups:
        raise ValueError("no finite value to average")
    mean = float(np.mean([g.mean() for g in groups]))
    n_images, n_categories = sum(len(g) for g in groups), len(groups)
    degrees = n_images - n_categories
    if degrees < 1:  # every category has a single value
        return mean, float("nan"), float("nan")
    pooled_variance = sum(float(np.sum((g - g.mean()) ** 2)) for g in groups) / degrees
    variance = pooled_variance / n_categories**2 * (sum(1.0 / len(g) for g in groups) + n_categories / per_category)
    half = float(stats.t.ppf((1 + confidence) / 2, degrees)) * float(np.sqrt(variance))
    return mean, mean - half, mean + half
