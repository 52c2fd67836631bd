"""Colour hints: user-guided colorization (Zhang et al. 2017), simulated for training and evaluation.

Zhang, Zhu, Isola, Geng, Lin, Yu and Efros, *Real-Time User-Guided Image Colorization with
Learned Deep Priors* (SIGGRAPH 2017) give the network, besides L, a few **hints**: points where
the user says "this colour here". The network learns to spread each hint over the object it
falls on, and to keep colorizing on its own where there is none.

Model input (conventions of :mod:`course_lib.color`)::

    channel 0   L_norm   = L / 50 - 1                      the photo's lightness
    channel 1-2 hint ab  = ab / 128 inside a hint's patch, 0 elsewhere
    channel 3   mask     = 1 inside a hint's patch, 0 elsewhere (so "hint of gray" != "no hint")

one ``(S, S, 4)`` float32 array (:func:`model_input`); an automatic model takes channel 0 alone.

Simulating a user (after Zhang 2017, adapted to NCD)
----------------------------------------------------
* **How many**: a geometric count, ``P(N = k) = (1 - p)^k p`` with ``p = 1/8`` (mean 7, many
  images with 0-3), capped at :data:`MAX_HINTS` (:func:`hint_count`).
* **Where**: on the object. Zhang 2017 draw hint positions from a 2-D Gaussian centred on the
  image, standard deviation a quarter of the side (``add_color_points`` in the authors'
  richzhang/colorization-pytorch, ``util/util.py``): a guess that users click near the middle,
  where a photo's subject usually is. NCD photos are one fruit or vegetable on a white background,
  which every model already gets right (white is L = 100, ab = 0): a hint there teaches nothing. Hint
  centres are drawn uniformly among the object's pixels (:func:`object_mask`: not near-white,
  the LAB form of :func:`course_lib.metrics.foreground_mask`'s 240-per-channel test); only an
  image with no object pixel at all gets them anywhere.
* **What**: a square patch of 1 to 9 pixels per side (uniform), and the **mean ab** of the true
  image over that patch (:func:`patch_mean_ab`), written into the whole patch.
* **When none**: :data:`NO_HINT_SHARE` of the training batches carry no hint at all, so the model
  still colorizes on its own (``evaluate --hints 0``).

Everything takes a seed (or a ``numpy.random.Generator``): the same seed gives the same hints.

How the hint channels enter the VGG19 encoder
---------------------------------------------
VGG19's first convolution expects 3 channels (the gray L, repeated, in Caffe's BGR 0-255 form).
Two ways to add hints: a separate hint branch fused into the decoder, or **an extended first
convolution** whose kernel gets 3 more input channels (hint a, hint b, mask). The course uses the
extended first convolution (:func:`course_lib.model.build_colorizer` with ``hints=True``),
as Zhang 2017 feed their hints into the network's first layer, because:

1. **A hint reaches the whole object.** Entering at the first layer, a hint passes through every
   VGG block, so its influence spans the deepest block's receptive field (the whole 48 px image
   with 3 blocks) and every skip connection of the U-Net; a branch fused into the decoder at full
   resolution would reach only as far as the few convolutions after it, and one fused at a coarse
   level would need a downsampling path (a second encoder) of its own to get there.
2. **The start ignores the hints.** The extra kernel weights start at **zero**: at step 0 the
   output does not depend on the hints, and ``block1_conv1`` responds to L exactly as the
   encoder's weights say (with ImageNet weights, the pretrained features are intact when training
   starts). That is all it keeps: the hint model is built fresh, not from a trained automatic
   model, so its decoder (and a random encoder) learn to colorize while they learn to use hints.
   The hint values are scaled to the range of VGG's own input (ab in LAB units, mask x 100:
   :class:`course_lib.model.HintPreprocess`), so the new weights learn at the pace of the old ones.
3. **Standard layers only**: a wider ``Conv2D`` named ``block1_conv1``; the model saves and loads
   with ``keras.models.load_model``.

The price: the encoder's features now depend on the hints, which change every epoch, so they
cannot be cached (a frozen pretrained encoder trains its decoder on images, not cached
features), and the first convolution stays trainable while the rest of a pretrained encoder is
frozen: it is where the hints come in.

This module needs only NumPy (and TensorFlow inside :func:`tf_add_hints`, for the pipeline).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from course_lib import color
from course_lib.errors import CourseError

#: Zhang 2017: the number of hints is geometric with this success probability (mean (1-p)/p = 7).
GEOMETRIC_P = 1 / 8
#: At most this many hints per image.
MAX_HINTS = 30
#: Sides of the revealed square patches, in pixels of the image the hints are sampled on.
PATCH_SIZES = tuple(range(1, 10))
#: Share of training batches without any hint, so that the model still colorizes alone.
NO_HINT_SHARE = 0.25
#: Background = near-white: L at least this (RGB 240 gray, metrics.WHITE_THRESHOLD, has L = 94.4) ...
BACKGROUND_MIN_L = 94.0
#: ... and chroma sqrt(a^2 + b^2) at most this (LAB units).
BACKGROUND_MAX_CHROMA = 6.0
#: Channels the hints add to the model input: hint a, hint b, mask.
HINT_CHANNELS = 3
#: Side (model pixels) of the patch a user's hint fills (``colorize --hint``, the notebook's widget).
USER_PATCH = 3


@dataclass(frozen=True)
class Hint:
    """One revealed colour: the patch of ``size`` x ``size`` pixels around row ``y``, column ``x``.

    ``a``, ``b`` are in LAB units. The patch's top-left corner is
    ``(y - (size - 1) // 2, x - (size - 1) // 2)``, clipped to the image (:func:`patch_bounds`).
    """

    y: int
    x: int
    size: int
    a: float
    b: float


def patch_bounds(y: int, x: int, size: int, height: int, width: int) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of the patch (bottom/right exclusive), clipped to the image."""
    top, left = y - (size - 1) // 2, x - (size - 1) // 2
    return max(top, 0), min(top + size, height), max(left, 0), min(left + size, width)


def patch_mean_ab(ab: np.ndarray, y: int, x: int, size: int) -> tuple[float, float]:
    """Mean ``(a, b)`` of ``ab (H, W, 2)`` over the ``size`` x ``size`` patch around ``(y, x)``."""
    top, bottom, left, right = patch_bounds(y, x, size, ab.shape[0], ab.shape[1])
    mean = np.asarray(ab[top:bottom, left:right], dtype=np.float64).reshape(-1, 2).mean(axis=0)
    return float(mean[0]), float(mean[1])


def object_mask(lab: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: True on the object, False on NCD's near-white background.

    Background: ``L >= BACKGROUND_MIN_L`` and chroma ``<= BACKGROUND_MAX_CHROMA`` -- the LAB form
    of :func:`course_lib.metrics.foreground_mask` (all of R, G, B >= 240), which needs RGB uint8.
    """
    lab = np.asarray(lab)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    return ~((lab[..., 0] >= BACKGROUND_MIN_L) & (chroma <= BACKGROUND_MAX_CHROMA))


def hint_count(rng: np.random.Generator, p: float = GEOMETRIC_P, max_hints: int = MAX_HINTS) -> int:
    """A number of hints: geometric on {0, 1, 2, ...}, ``P(k) = (1 - p)^k p``, at most ``max_hints``."""
    return int(min(rng.geometric(p) - 1, max_hints))


def _generator(seed=None, rng=None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng(seed)


def sample_hints(lab: np.ndarray, n: int | None = None, seed=None, *, rng: np.random.Generator | None = None,
                 patch_sizes=PATCH_SIZES, on_object: bool = True) -> list[Hint]:
    """Simulate a user's hints on a ground-truth image.

    Parameters
    ----------
    lab : ndarray (H, W, 3)
        The true image in LAB (L in [0, 100], ab in LAB units), e.g. ``color.rgb_to_lab(rgb)``.
    n : int, optional
        How many hints; default a geometric count (:func:`hint_count`).
    seed : int or sequence of int, optional
        Same seed, same hints (ignored when ``rng`` is given).
    rng : numpy.random.Generator, optional
    patch_sizes : sequence of int
        Patch sides to draw from, uniformly (default 1-9).
    on_object : bool
        Centres on the object's pixels (:func:`object_mask`), unless it has none.

    Returns
    -------
    list of Hint, each with the mean ab of the true image over its patch.
    """
    lab = np.asarray(lab, dtype=np.float32)
    if lab.ndim != 3 or lab.shape[-1] != 3:
        raise CourseError(f"sample_hints needs one LAB image (H, W, 3), got shape {lab.shape}")
    rng = _generator(seed, rng)
    n = hint_count(rng) if n is None else int(n)
    if n < 0:
        raise CourseError(f"the number of hints must be >= 0, got {n}")
    if n == 0:
        return []
    height, width = lab.shape[:2]
    candidates = np.argwhere(object_mask(lab)) if on_object else np.empty((0, 2), int)
    if len(candidates) == 0:  # no object (or not asked): anywhere
        candidates = np.argwhere(np.ones((height, width), bool))
    picked = candidates[rng.choice(len(candidates), size=n, replace=n > len(candidates))]
    sizes = rng.choice(np.asarray(patch_sizes), size=n)
    hints = []
    for (y, x), size in zip(picked, sizes):
        a, b = patch_mean_ab(lab[..., 1:], int(y), int(x), int(size))
        hints.append(Hint(int(y), int(x), int(size), a, b))
    return hints


def hint_map(hints, height: int, width: int) -> np.ndarray:
    """The hint channels ``(H, W, 3)`` float32: ``a / 128``, ``b / 128`` and the mask, per patch.

    A later hint overwrites an earlier one where their patches overlap.
    """
    out = np.zeros((height, width, HINT_CHANNELS), np.float32)
    for hint in hints:
        top, bottom, left, right = patch_bounds(hint.y, hint.x, hint.size, height, width)
        out[top:bottom, left:right] = (color.normalize_ab(hint.a), color.normalize_ab(hint.b), 1.0)
    return out


def model_input(l_norm: np.ndarray, hint_maps: np.ndarray | None = None) -> np.ndarray:
    """``L_norm (..., S, S, 1)`` + hint channels ``(..., S, S, 3)`` (zeros: no hint) -> ``(..., S, S, 4)``."""
    l_norm = np.asarray(l_norm, dtype=np.float32)
    if hint_maps is None:
        hint_maps = np.zeros((*l_norm.shape[:-1], HINT_CHANNELS), np.float32)
    return np.concatenate([l_norm, np.asarray(hint_maps, dtype=np.float32)], axis=-1)


def image_seed(image: np.ndarray, seed: int = 0) -> int:
    """A seed of the image's own pixels and ``seed``: the same photo always gets the same hints."""
    return (zlib.crc32(np.ascontiguousarray(image).tobytes()) + 1_000_003 * int(seed)) % 2**32


def simulated_hint_map(rgb: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` hints sampled on the true ``rgb (S, S, 3)`` uint8 (seeded by its pixels and ``seed``), as channels."""
    hints = sample_hints(color.rgb_to_lab(rgb), n, seed=image_seed(rgb, seed))
    return hint_map(hints, rgb.shape[0], rgb.shape[1])


# ----------------------------------------------------------------------------- training batches
def sample_hint_maps(l_norm: np.ndarray, ab_norm: np.ndarray, seed, no_hint_share: float = NO_HINT_SHARE) -> np.ndarray:
    """Hint channels ``(B, S, S, 3)`` for a training batch of ``L_norm (B, S, S, 1)`` and ``ab_norm (B, S, S, 2)``.

    With probability ``no_hint_share`` the whole batch gets none; otherwise each image gets a
    geometric number of hints (:func:`sample_hints`). ``seed`` (e.g. the batch's random pair) decides all.
    """
    rng = np.random.default_rng(np.asarray(seed, dtype=np.int64).ravel().view(np.uint64))
    out = np.zeros((*np.shape(l_norm)[:-1], HINT_CHANNELS), np.float32)
    if rng.random() < no_hint_share:
        return out
    lab = np.concatenate([color.denormalize_l(np.asarray(l_norm, np.float32)),
                          color.denormalize_ab(np.asarray(ab_norm, np.float32))], axis=-1)
    for i, image in enumerate(lab):
        out[i] = hint_map(sample_hints(image, rng=rng), image.shape[0], image.shape[1])
    return out


def tf_add_hints(pair, seed):
    """``((L_norm, ab_norm), seed) -> (model_input (B, S, S, 4), ab_norm)`` inside ``tf.data``.

    The sampling is :func:`sample_hint_maps` itself (``tf.numpy_function``), a pure function of
    the batch and its seed, so the pipeline stays reproducible.
    """
    import tensorflow as tf

    l_norm, ab_norm = pair
    maps = tf.numpy_function(sample_hint_maps, [l_norm, ab_norm, seed], tf.float32, stateful=False)
    maps.set_shape([*l_norm.shape[:-1], HINT_CHANNELS])
    return tf.concat([l_norm, maps], axis=-1), ab_norm


# ----------------------------------------------------------------------------- a user's hints
_HINT_TEXT = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*,\s*#?([0-9a-fA-F]{6})\s*$")


def hex_to_rgb(text: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` (``#`` optional) -> ``(r, g, b)`` in 0-255."""
    match = re.fullmatch(r"#?([0-9a-fA-F]{6})", text.strip())
    if not match:
        raise CourseError(f"not a colour: {text!r}; write it as #RRGGBB, e.g. #d02020")
    value = match.group(1)
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))


def parse_hint(text: str) -> tuple[int, int, tuple[int, int, int]]:
    """``"X,Y,#RRGGBB"`` -> ``(x, y, (r, g, b))``: column and row in the photo's pixels, and a colour."""
    match = _HINT_TEXT.match(text)
    if not match:
        raise CourseError(f"bad hint {text!r}: write X,Y,#RRGGBB (column and row in the photo's pixels, "
                          "then the colour), e.g. --hint 120,80,#d02020")
    return int(match.group(1)), int(match.group(2)), hex_to_rgb(match.group(3))


def rgb_to_ab(rgb) -> tuple[float, float]:
    """The ab (LAB units) of one RGB colour ``(r, g, b)`` in 0-255. Its L is not used: the photo keeps its own."""
    lab = color.rgb_to_lab(np.asarray(rgb, dtype=np.uint8).reshape(1, 1, 3))[0, 0]
    return float(lab[1]), float(lab[2])


def user_hint_map(points, image_shape, size: int, patch: int = USER_PATCH) -> np.ndarray:
    """Hint channels ``(size, size, 3)`` for a user's ``points`` on a photo of ``image_shape (H, W, ...)``.

    ``points``: ``(x, y, (r, g, b))`` in the photo's pixels (column, row). Each becomes a hint of
    the colour's ab in a ``patch``-pixel square at the matching place of the model's square input
    (the photo is squashed to it, as :func:`course_lib.inference.resize_rgb` does).
    """
    height, width = int(image_shape[0]), int(image_shape[1])
    hints = []
    for x, y, rgb in points:
        if not (0 <= x < width and 0 <= y < height):
            raise CourseError(f"hint at x={x}, y={y} lies outside the photo ({width} x {height} pixels)")
        a, b = rgb_to_ab(rgb)
        hints.append(Hint(int(y * size // height), int(x * size // width), patch, a, b))
    return hint_map(hints, size, size)
