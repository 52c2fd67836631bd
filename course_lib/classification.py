"""Colour as classification (Zhang, Isola and Efros, "Colorful Image Colorization", ECCV 2016).

A regression model trained with MSE predicts, for a pixel that could be red *or* green, the
mean of the two: a grayish brown. Zhang et al. predict instead a *distribution* over colours,
one probability per ab bin, and decode it afterwards. Four pieces, each here in NumPy (and in
TensorFlow where the training graph needs it):

==========================  ================================================================
quantisation                ab on a grid of :data:`GRID_STEP` units, keeping the bins inside
                            the sRGB gamut: :func:`ab_bins` (Q bins, centres ``(Q, 2)``)
soft encoding               a pixel's target: its :data:`SOFT_NEIGHBOURS` nearest bins,
                            Gaussian weights (sigma :data:`SOFT_SIGMA`): :func:`soft_encode`,
                            :func:`tf_soft_encode`
class rebalancing           rare colours weigh more in the loss: :func:`empirical_distribution`,
                            :func:`rebalancing_weights`
annealed mean               decoding with temperature T: T = 1 the mean, T -> 0 the mode
                            (:func:`annealed_mean`, :func:`tf_annealed_mean`; Zhang: 0.38)
==========================  ================================================================

How many bins?
--------------
Zhang et al. keep "Q = 313" in-gamut bins of a 10-unit grid; the paper does not say how the
gamut was tested. The count depends on two choices, both arguments of :func:`ab_bins`:

* which ab points of a bin must be showable: only its **centre** (``test="centre"``) or
  **any point of its cell**, the 10 x 10 square around it (``test="cell"``, the default: every
  sRGB colour then has its own cell among the bins, so quantising moves a colour by at most
  5 sqrt(2) units);
* at which lightness: a bin counts when it is showable at *some* L, and L is sampled every
  ``l_step`` units (the coarser, the fewer bins: the gamut's extreme corners exist only at
  a few L values).

:func:`bin_counts` measures the counts for several of these choices (notebook 07 prints them).

Conventions: ab in LAB units (not normalised) everywhere in this module, channels last;
``bins`` is ``(Q, 2)`` float32. Inputs are validated once, at each public function's entry.
"""

from __future__ import annotations

import functools

import numpy as np

from course_lib.metrics import NEW_IMAGES_PER_CATEGORY

#: Grid spacing of the ab quantisation, LAB units (Zhang: 10).
GRID_STEP = 10.0
#: Bin centres run from -AB_LIMIT to +AB_LIMIT in a and in b (sRGB never goes beyond about 110).
AB_LIMIT = 110.0
#: Soft encoding: nearest bins per pixel, and the Gaussian's sigma in ab units (Zhang: 5 and 5).
SOFT_NEIGHBOURS = 5
SOFT_SIGMA = 5.0
#: Rebalancing: smoothing sigma (ab units) and the weight of the uniform distribution (Zhang: 5, 0.5).
SMOOTH_SIGMA = 5.0
UNIFORM_MIX = 0.5
#: Zhang et al.'s temperature for the annealed mean.
ZHANG_TEMPERATURE = 0.38
#: The bin count the paper reports.
ZHANG_BIN_COUNT = 313
#: Gamut tests of :func:`ab_bins`.
GAMUT_TESTS = ("cell", "centre")
#: Points per cell side for ``test="cell"`` (the cell's edges included: 1-unit spacing).
CELL_SAMPLES = 11


# ----------------------------------------------------------------------------- validation
def _as_ab(ab, name: str = "ab") -> np.ndarray:
    ab = np.asarray(ab)
    if ab.ndim == 0 or ab.shape[-1] != 2:
        raise ValueError(f"{name} must have 2 channels last (a, b), shape (..., 2); got shape {ab.shape}")
    if not (np.issubdtype(ab.dtype, np.floating) or np.issubdtype(ab.dtype, np.integer)) or ab.dtype == bool:
        raise TypeError(f"{name} must be a float or integer array, got {ab.dtype}")
    ab = ab.astype(np.float32, copy=False)
    if not np.isfinite(ab).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return ab


def _as_bins(bins) -> np.ndarray:
    bins = _as_ab(bins, "bins")
    if bins.ndim != 2 or len(bins) < 1:
        raise ValueError(f"bins must be bin centres of shape (Q, 2) with Q >= 1, got shape {bins.shape}")
    return bins


def _positive(value, name: str) -> float:
    value = float(value)
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


# ----------------------------------------------------------------------------- quantisation
def ab_grid(step: float = GRID_STEP, limit: float = AB_LIMIT) -> np.ndarray:
    """Every centre of the square grid, in gamut or not: ``(G, 2)`` float32, a-major order.

    Raises
    ------
    ValueError
        A step or limit that is not positive.
    """
    step, limit = _positive(step, "step"), _positive(limit, "limit")
    values = np.arange(-limit, limit + step / 2, step)
    a, b = np.meshgrid(values, values, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=-1).astype(np.float32)


def _showable_at_some_l(ab_points: np.ndarray, l_step: float) -> np.ndarray:
    """``(..., P, 2)`` ab points -> ``(...)`` bool: some point is inside sRGB at some sampled L."""
    from course_lib.color import in_gamut

    lightness = np.arange(0.0, 100.0 + l_step / 2, l_step, dtype=np.float32)
    lightness = np.minimum(lightness, 100.0)
    # Mid lightness first, where the gamut is widest: most showable cells are found there, and
    # each later pass tests only the cells not found yet (same answer, a fraction of the work).
    lightness = lightness[np.argsort(np.abs(lightness - 50.0), kind="stable")]
    points = ab_points.reshape(-1, *ab_points.shape[-2:])  # (C, P, 2)
    showable = np.zeros(len(points), bool)
    for chunk in np.array_split(lightness, max(1, len(lightness) // 8)):
        left = np.flatnonzero(~showable)
        if left.size == 0:
            break
        lab = np.empty((left.size, points.shape[1], len(chunk), 3), np.float32)
        lab[..., 0] = chunk
        lab[..., 1] = points[left, :, None, 0]
        lab[..., 2] = points[left, :, None, 1]
        showable[left] = in_gamut(lab).any(axis=(-1, -2))
    return showable.reshape(ab_points.shape[:-2])


@functools.lru_cache(maxsize=8)
def _bins_cached(step: float, limit: float, test: str, l_step: float) -> np.ndarray:
    centres = ab_grid(step, limit)  # (G, 2)
    if test == "centre":
        points = centres[:, None, :]  # (G, 1, 2)
    else:
        offsets = np.linspace(-step / 2, step / 2, CELL_SAMPLES, dtype=np.float32)
        da, db = np.meshgrid(offsets, offsets, indexing="ij")
        points = centres[:, None, :] + np.stack([da.ravel(), db.ravel()], axis=-1)[None]  # (G, P, 2)
    keep = _showable_at_some_l(points, l_step)
    bins = centres[keep]
    bins.setflags(write=False)
    return bins


def ab_bins(step: float = GRID_STEP, limit: float = AB_LIMIT, test: str = "cell", l_step: float = 1.0) -> np.ndarray:
    """The in-gamut bins of the ab grid: centres ``(Q, 2)`` float32, read-only.

    Parameters
    ----------
    step : float
        Grid spacing in LAB units (Zhang: 10).
    limit : float
        Centres run from ``-limit`` to ``limit`` in a and in b.
    test : "cell" or "centre"
        Keep a bin when any point of its cell (``"cell"``, sampled every ``step / 10``,
        edges included) or its centre alone (``"centre"``) is an sRGB colour at some L.
    l_step : float
        L is sampled from 0 to 100 every ``l_step`` units.

    Returns
    -------
    ndarray of float32, shape (Q, 2)
        Bin centres in a-major order (a ascending, then b ascending).

    Raises
    ------
    ValueError
        An unknown ``test``, or a step, limit or ``l_step`` that is not positive.
    """
    if test not in GAMUT_TESTS:
        raise ValueError(f"test must be one of {', '.join(GAMUT_TESTS)}, got {test!r}")
    return _bins_cached(_positive(step, "step"), _positive(limit, "limit"), test, _positive(l_step, "l_step"))


def bin_counts(l_steps=(10.0, 1.0)) -> dict[str, int]:
    """How many bins each gamut test keeps on the 10-unit grid: ``{"centre, L every 1": 225, ...}``."""
    return {f"{test}, L every {l_step:g}": len(ab_bins(test=test, l_step=l_step))
            for test in ("centre", "cell") for l_step in l_steps}


def squared_distances(ab, bins) -> np.ndarray:
    """Squared ab distance of every pixel to every bin: ``(..., Q)`` float32.

    Raises
    ------
    ValueError, TypeError
        ``ab`` not ``(..., 2)`` numbers, or ``bins`` not ``(Q, 2)``.
    """
    return _squared_distances(_as_ab(ab), _as_bins(bins))


def _squared_distances(ab: np.ndarray, bins: np.ndarray) -> np.ndarray:
    # The same arithmetic, in the same order, as tf_soft_encode: the two match to the last bit.
    diff = ab[..., None, :] - bins  # (..., Q, 2)
    return np.square(diff[..., 0]) + np.square(diff[..., 1])


def nearest_bin(ab, bins) -> np.ndarray:
    """Index of the nearest bin of every pixel: ``(...)`` int64 (ties: the lower index).

    Raises
    ------
    ValueError, TypeError
        As :func:`squared_distances`.
    """
    return np.argmin(squared_distances(ab, bins), axis=-1)


# ----------------------------------------------------------------------------- soft encoding
def soft_encode(ab, bins, neighbours: int = SOFT_NEIGHBOURS, sigma: float = SOFT_SIGMA) -> np.ndarray:
    """Zhang's soft-encoded target of every pixel: ``(..., Q)`` float32, each row summing to 1.

    The ``neighbours`` nearest bins (ties: the lower index first) get weights proportional to
    ``exp(-d**2 / (2 sigma**2))``, ``d`` the distance to the bin centre; every other bin 0.

    Parameters
    ----------
    ab : array_like, shape (..., 2)
        Colours in LAB units.
    bins : array_like, shape (Q, 2)
    neighbours : int
        1 <= neighbours <= Q (1: the one-hot nearest bin).
    sigma : float

    Raises
    ------
    ValueError, TypeError
        Bad shapes or dtypes, ``neighbours`` outside [1, Q], ``sigma`` not positive.
    """
    ab, bins = _as_ab(ab), _as_bins(bins)
    neighbours = _neighbours(neighbours, len(bins))
    sigma = _positive(sigma, "sigma")
    d2 = _squared_distances(ab, bins)  # (..., Q)
    nearest = np.argsort(d2, axis=-1, kind="stable")[..., :neighbours]  # (..., K)
    d2_near = np.take_along_axis(d2, nearest, axis=-1)
    # Shifted by the smallest distance: the same weights, and no underflow far from every bin.
    weights = np.exp(-(d2_near - d2_near[..., :1]) / np.float32(2 * sigma**2)).astype(np.float32)
    weights /= weights.sum(axis=-1, keepdims=True)
    target = np.zeros(d2.shape, np.float32)
    np.put_along_axis(target, nearest, weights, axis=-1)
    return target


def _neighbours(neighbours, q: int) -> int:
    if int(neighbours) != neighbours or not 1 <= int(neighbours) <= q:
        raise ValueError(f"neighbours must be an integer from 1 to the number of bins ({q}), got {neighbours}")
    return int(neighbours)


def tf_soft_encode(ab, bins, neighbours: int = SOFT_NEIGHBOURS, sigma: float = SOFT_SIGMA):
    """:func:`soft_encode` in TensorFlow (a ``tf.data`` map or a loss): ``(..., 2)`` -> ``(..., Q)``.

    Only ops with deterministic GPU kernels (TopKV2, OneHot, Exp ...). ``bins`` is checked
    once here, in NumPy; ``ab`` is a float32 tensor in LAB units.

    Raises
    ------
    ValueError, TypeError
        As :func:`soft_encode`, for ``bins``, ``neighbours`` and ``sigma``.
    """
    import tensorflow as tf

    bins = _as_bins(bins)
    neighbours = _neighbours(neighbours, len(bins))
    sigma = _positive(sigma, "sigma")
    ab = tf.convert_to_tensor(ab, tf.float32)
    diff = ab[..., None, :] - tf.constant(bins)  # (..., Q, 2)
    d2 = tf.square(diff[..., 0]) + tf.square(diff[..., 1])  # (..., Q)
    negative, nearest = tf.math.top_k(-d2, k=neighbours)  # ascending distance; ties: the lower index
    d2_near = -negative
    weights = tf.exp(-(d2_near - d2_near[..., :1]) / (2 * sigma**2))
    weights = weights / tf.reduce_sum(weights, axis=-1, keepdims=True)
    # One one-hot per neighbour (K small): never a (..., K, Q) tensor in memory.
    target = tf.zeros_like(d2)
    for k in range(neighbours):
        target += tf.one_hot(nearest[..., k], len(bins), dtype=tf.float32) * weights[..., k : k + 1]
    return target


# ----------------------------------------------------------------------------- rebalancing
def empirical_distribution(ab, bins) -> np.ndarray:
    """How often each bin is the nearest one: ``(Q,)`` float64 summing to 1.

    Raises
    ------
    ValueError, TypeError
        As :func:`squared_distances`, or no pixel at all.
    """
    ab, bins = _as_ab(ab), _as_bins(bins)
    flat = ab.reshape(-1, 2)
    if len(flat) == 0:
        raise ValueError("no pixels to count: ab is empty")
    counts = np.zeros(len(bins), np.float64)
    for start in range(0, len(flat), 65536):  # (chunk, Q) distances at a time: bounded memory
        nearest = np.argmin(_squared_distances(flat[start : start + 65536], bins), axis=-1)
        counts += np.bincount(nearest, minlength=len(bins))
    return counts / counts.sum()


def smooth_distribution(p, bins, sigma: float = SMOOTH_SIGMA) -> np.ndarray:
    """``p`` blurred over the ab plane: each bin's mass spread over the bins with a Gaussian.

    ``p_smooth[q] = sum_j p[j] K[q, j] / sum_i K[i, j]``, ``K[q, j] = exp(-|c_q - c_j|**2 / (2 sigma**2))``:
    every bin keeps its total mass (the result still sums to 1), shared with its neighbours.

    Raises
    ------
    ValueError, TypeError
        ``p`` not one non-negative finite value per bin, or ``sigma`` not positive.
    """
    bins = _as_bins(bins)
    p = _as_distribution(p, len(bins))
    sigma = _positive(sigma, "sigma")
    kernel = np.exp(-_squared_distances(bins, bins).astype(np.float64) / (2 * sigma**2))  # (Q, Q), symmetric
    kernel /= kernel.sum(axis=0, keepdims=True)  # column j: where bin j's mass goes
    return kernel @ p


def _as_distribution(p, q: int) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (q,):
        raise ValueError(f"expected one probability per bin, shape ({q},), got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any() or not p.sum() > 0:
        raise ValueError("a distribution must be finite, non-negative and not all zero")
    return p / p.sum()


def rebalancing_weights(p, bins, sigma: float = SMOOTH_SIGMA, uniform_mix: float = UNIFORM_MIX) -> np.ndarray:
    """Zhang's class-rebalancing weight of every bin: ``(Q,)`` float64.

    ``w = 1 / ((1 - lambda) p_smooth + lambda / Q)``, scaled so that the expected weight of a
    pixel, ``sum_q p_smooth[q] w[q]``, is 1. Rare colours weigh more; with ``lambda = 1``
    every weight is 1.

    Parameters
    ----------
    p : array_like, shape (Q,)
        Empirical distribution of the training pixels (:func:`empirical_distribution`);
        normalised here if it does not sum to 1.
    bins : array_like, shape (Q, 2)
    sigma : float
        Smoothing (:func:`smooth_distribution`), ab units.
    uniform_mix : float
        lambda in [0, 1] (Zhang: 0.5). 0 would give an infinite weight to any bin no training
        pixel falls near, so it must be above 0.

    Raises
    ------
    ValueError, TypeError
        Bad ``p`` or ``bins``, ``sigma`` not positive, ``uniform_mix`` outside (0, 1].
    """
    bins = _as_bins(bins)
    p_smooth = smooth_distribution(p, bins, sigma)
    uniform_mix = float(uniform_mix)
    if not 0 < uniform_mix <= 1:
        raise ValueError(f"uniform_mix (lambda) must be in (0, 1], got {uniform_mix}")
    weights = 1.0 / ((1 - uniform_mix) * p_smooth + uniform_mix / len(bins))
    return weights / np.sum(p_smooth * weights)


# ----------------------------------------------------------------------------- decoding
def _as_logits(logits, q: int) -> np.ndarray:
    logits = np.asarray(logits)
    if logits.ndim == 0 or logits.shape[-1] != q:
        raise ValueError(f"logits must have one value per bin last, shape (..., {q}), got shape {logits.shape}")
    if not np.issubdtype(logits.dtype, np.floating):
        raise TypeError(f"logits must be floats, got {logits.dtype}")
    if not np.isfinite(logits).all():
        raise ValueError("logits contain NaN or infinity (has the model diverged?)")
    return logits.astype(np.float32, copy=False)


def _temperature(temperature) -> float:
    temperature = float(temperature)
    if not temperature >= 0 or not np.isfinite(temperature):
        raise ValueError(f"temperature must be >= 0 (0: the mode, 1: the mean), got {temperature}")
    return temperature


def annealed_mean(logits, bins, temperature: float = ZHANG_TEMPERATURE) -> np.ndarray:
    """Decode per-pixel bin scores into one ab colour: ``(..., Q)`` -> ``(..., 2)`` float32.

    ``f_T = softmax(logits / T)`` (the distribution "re-tempered": ``exp(log z / T)``,
    renormalised), then ``ab = sum_q f_T[q] c_q``. ``T = 1`` is the distribution's mean
    (MSE's greyish compromise), ``T -> 0`` its mode (vivid but patchy); ``T = 0`` is the mode
    exactly (ties: the lower bin). Zhang et al. use 0.38.

    Parameters
    ----------
    logits : array_like, shape (..., Q)
        Unnormalised log-probabilities (what the classification head outputs); the log of a
        probability distribution works too.
    bins : array_like, shape (Q, 2)
    temperature : float, >= 0

    Raises
    ------
    ValueError, TypeError
        Shapes that do not match, non-finite logits, a negative temperature.
    """
    bins = _as_bins(bins)
    logits = _as_logits(logits, len(bins))
    temperature = _temperature(temperature)
    if temperature == 0:
        return bins[np.argmax(logits, axis=-1)]
    scaled = logits / np.float32(temperature)
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    weights = np.exp(scaled)
    weights /= weights.sum(axis=-1, keepdims=True)
    return (weights @ bins).astype(np.float32)


def tf_annealed_mean(logits, bins, temperature: float = ZHANG_TEMPERATURE):
    """:func:`annealed_mean` in TensorFlow, for a temperature > 0: ``(..., Q)`` -> ``(..., 2)``.

    Raises
    ------
    ValueError
        Bad ``bins`` or a temperature that is not positive.
    """
    import tensorflow as tf

    bins = _as_bins(bins)
    temperature = _positive(temperature, "temperature")
    weights = tf.nn.softmax(tf.convert_to_tensor(logits, tf.float32) / temperature, axis=-1)
    return tf.tensordot(weights, tf.constant(bins), axes=[[-1], [0]])


# ----------------------------------------------------------------------------- the loss
def tf_rebalanced_cross_entropy(ab, logits, bins, weights, neighbours: int = SOFT_NEIGHBOURS,
                                sigma: float = SOFT_SIGMA):
    """Per-pixel loss of the classification head: ``w[nearest bin] * -sum_q z_q log softmax(logits)_q``.

    ``z`` is the soft-encoded target (:func:`tf_soft_encode`), ``w`` the rebalancing weight of
    the target's nearest bin. The cross-entropy is a ``log_softmax`` and a sum:
    ``tf.nn.softmax_cross_entropy_with_logits`` has no deterministic GPU kernel.

    Parameters
    ----------
    ab : tensor (..., 2)
        True colours in LAB units.
    logits : tensor (..., Q)
    bins : array_like (Q, 2)
    weights : array_like (Q,)

    Returns
    -------
    tensor (...), float32

    Raises
    ------
    ValueError
        ``weights`` not one finite positive value per bin (and as :func:`tf_soft_encode`).
    """
    import tensorflow as tf

    bins = _as_bins(bins)
    weights = np.asarray(weights, dtype=np.float32)
    if weights.shape != (len(bins),) or not np.isfinite(weights).all() or (weights <= 0).any():
        raise ValueError(f"weights must be {len(bins)} finite positive values (one per bin), got shape {weights.shape}")
    target = tf_soft_encode(ab, bins, neighbours, sigma)  # (..., Q)
    log_p = tf.nn.log_softmax(tf.cast(logits, tf.float32), axis=-1)
    pixel_weight = tf.gather(tf.constant(weights), tf.argmax(target, axis=-1))
    return -pixel_weight * tf.reduce_sum(target * log_p, axis=-1)


# ----------------------------------------------------------------------------- the run's temperature
#: Next to ``model.keras``: the classification run's bins, rebalancing weights and default temperature.
RUN_FILE = "run.json"
#: Temperatures tried on the validation split at the end of training (0: the mode).
TEMPERATURE_CANDIDATES = (0.0, 0.1, 0.2, 0.3, 0.38, 0.5, 0.7, 1.0)
#: How the annealed mean's ab reaches the photo's size: the default first (course_lib.inference).
UPSAMPLING_CANDIDATES = ("guided", "bilinear")
#: The validation photos are shrunk to this longer side (if larger) to choose the decoding: 16
#: candidates at NCD's native 800 px took minutes; at 256 px the ab map is still zoomed 5 times and
#: guided by the photo's L, which is what costs colour, and the choice takes seconds.
DECODING_MAX_SIDE = 256
#: Colourfulness ratio (prediction / photo) a default decoding must keep: vivid, not garish.
COLOURFULNESS_BAND = (0.98, 1.30)
#: Confidence of the colourfulness interval that must lie inside the band: a *prediction* interval for
#: the category mean on a new set of photos (course_lib.metrics.category_mean_interval), which includes
#: that set's own sampling error; an interval for the mean alone leaves it out and is too narrow
#: (docs/recipe_history.md, "Colour as classification").
COLOURFULNESS_CONFIDENCE = 0.95
#: The rule :func:`choose_decoding` applies, as recorded in ``run.json``.
DECODING_RULE = (f"highest validation PSNR (category mean; photos at most {DECODING_MAX_SIDE} px, ab upsampled as "
                 f"evaluate does) among the decodings whose category-mean colourfulness ratio has its "
                 f"{COLOURFULNESS_CONFIDENCE:.0%} prediction interval for {NEW_IMAGES_PER_CATEGORY} new photos per "
                 f"category inside {COLOURFULNESS_BAND[0]:.2f}-{COLOURFULNESS_BAND[1]:.2f}")


def choose_decoding(table, band=COLOURFULNESS_BAND) -> tuple[dict, bool]:
    """The default decoding of a classification model, from validation scores.

    Rule: among the candidate decodings (a temperature and an upsampling) whose category-mean
    colourfulness ratio keeps its **whole prediction interval** (where it would fall on a new set
    of photos, :func:`course_lib.metrics.category_mean_interval`) inside ``band``, the one with
    the highest category-mean PSNR. The interval, not the mean, must be inside: a validation
    split has a few images per category, and a decoding that only just reaches 0.98 there falls
    below it on new images about half the time. If no candidate qualifies, the one whose
    interval lies closest to the band (``False`` is returned with it: say so loudly). A row
    without an interval (NaN bounds: too few photos to estimate one) never qualifies; for
    "closest" its mean stands in for the interval.

    Parameters
    ----------
    table : sequence of dict
        One row per candidate, as :func:`course_lib.evaluate.decoding_table` writes it:
        ``psnr``, ``colorfulness_ratio``, ``colorfulness_low``, ``colorfulness_high`` (category
        means and interval) and the candidate's ``temperature`` and ``upsampling``.
    band : (float, float)

    Returns
    -------
    (row, inside) : the chosen row, and whether it met the rule

    Raises
    ------
    ValueError
        An empty table, or a band whose low end is not below its high end.
    """
    low, high = band
    if not low < high:
        raise ValueError(f"band must be (low, high) with low < high, got {band}")
    table = list(table)
    if not table:
        raise ValueError("no decoding to choose from")
    inside = [row for row in table if low <= row["colorfulness_low"] and row["colorfulness_high"] <= high]
    if inside:  # (a NaN bound fails both comparisons)
        return max(inside, key=lambda row: row["psnr"]), True

    def outside(row):  # how far the interval (or, without one, the mean) sticks out of the band
        bounds = row["colorfulness_low"], row["colorfulness_high"]
        first, last = bounds if np.all(np.isfinite(bounds)) else (row["colorfulness_ratio"],) * 2
        return max(low - first, 0) + max(last - high, 0)

    return min(table, key=outside), False


def read_run_file(model_path) -> dict | None:
    """The ``run.json`` next to a model file (or in a run folder), or None when there is none."""
    import json
    from pathlib import Path

    path = Path(model_path).expanduser()
    folder = path if path.is_dir() else path.parent
    run_file = folder / RUN_FILE
    if not run_file.is_file():
        return None
    return json.loads(run_file.read_text(encoding="utf-8"))


def run_temperature(model_path, temperature: float | None = None) -> tuple[float, str]:
    """The temperature to decode ``model_path``'s predictions with, and where it comes from.

    ``temperature`` when given; else the run's (``run.json``, chosen on the validation split);
    else Zhang et al.'s 0.38.

    Raises
    ------
    ValueError
        A negative ``temperature``.
    """
    if temperature is not None:
        return _temperature(temperature), "given"
    info = read_run_file(model_path) if model_path is not None else None
    if info and info.get("temperature") is not None:
        return float(info["temperature"]), f"the run's default ({RUN_FILE}: {info.get('temperature_rule', 'chosen on val')})"
    return ZHANG_TEMPERATURE, "Zhang et al.'s 0.38 (no run.json next to the model)"


def run_upsampling(model_path) -> str:
    """How a run upsamples its ab (``run.json``'s choice: a classification or an adversarial run), else ``"guided"``."""
    info = read_run_file(model_path) if model_path is not None else None
    return str(info.get("upsampling") or "guided") if info else "guided"


def record_temperature(model_path, temperature: float, rule: str, evidence: dict | None = None) -> dict:
    """Set the run's default temperature in ``run.json`` (next to the model), keeping the earlier choices.

    For a choice made with the evaluation protocol (``evaluate --split val --temperature T`` at
    a few T), which can differ from the one ``train`` made at the model's resolution: upsampling
    ab to the photo's resolution smooths colour, so colourfulness is lower there.

    Raises
    ------
    ValueError
        A negative temperature, an empty ``rule``, or no ``run.json`` to update.
    """
    import json
    import os
    from pathlib import Path

    temperature = _temperature(temperature)
    if not str(rule).strip():
        raise ValueError("say how the temperature was chosen (rule)")
    info = read_run_file(model_path)
    if info is None:
        raise ValueError(f"no {RUN_FILE} next to {model_path}: is it a classification run folder?")
    history = info.setdefault("temperature_history", [])
    history.append({"temperature": info.get("temperature"), "rule": info.get("temperature_rule"),
                    "evidence": info.get("temperature_evidence")})
    info.update(temperature=temperature, temperature_rule=str(rule), temperature_evidence=evidence)
    path = Path(model_path).expanduser()
    run_file = (path if path.is_dir() else path.parent) / RUN_FILE
    tmp = run_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=1), encoding="utf-8")
    os.replace(tmp, run_file)
    return info
