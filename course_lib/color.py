"""RGB <-> CIE-LAB, and the L / ab normalisation used by every model in the course.

Conventions (the one place they are written down)
--------------------------------------------------
=================  ===============  ===========================================
array              dtype            range
=================  ===============  ===========================================
RGB image          uint8            [0, 255]                 (what files hold)
RGB image          float32          [0, 1]                   (what maths uses)
LAB image          float32          L in [0, 100]; a, b roughly in [-128, 127]
model input  L     float32          ``L / 50 - 1``  in [-1, 1]
model output ab    float32          ``ab / 128``    in [-1, 1] (tanh range)
=================  ===============  ===========================================

All images are channels-last: one image is ``(H, W, C)``, a batch ``(N, H, W, C)``.
Every NumPy function here accepts either. Illuminant D65, 2-degree observer, as in
:func:`skimage.color.rgb2lab`, which does the NumPy conversions (we do not re-derive
them). :func:`tf_rgb_to_lab` re-implements the same formulas in TensorFlow so the
conversion can run inside a ``tf.data`` pipeline; tests check it against scikit-image.
"""

from __future__ import annotations

import warnings

import numpy as np
from skimage import color as skcolor

#: L spans [0, 100]; the model sees ``L / L_SCALE - 1``.
L_SCALE = 50.0
#: a and b are divided by this so the tanh output range [-1, 1] covers them.
AB_SCALE = 128.0


# ----------------------------------------------------------------------------- dtypes
def to_float_rgb(rgb: np.ndarray) -> np.ndarray:
    """RGB as float32 in [0, 1]. Accepts uint8 [0, 255] or float [0, 1]."""
    rgb = np.asarray(rgb)
    if rgb.shape[-1] != 3:
        raise ValueError(f"expected RGB with 3 channels last, got shape {rgb.shape}")
    if rgb.dtype == np.uint8:
        return rgb.astype(np.float32) / 255.0
    if np.issubdtype(rgb.dtype, np.floating):
        return rgb.astype(np.float32, copy=False)
    raise TypeError(f"RGB must be uint8 or float, got {rgb.dtype}")


def to_uint8_rgb(rgb: np.ndarray) -> np.ndarray:
    """RGB float in [0, 1] to uint8 [0, 255], rounding and clipping."""
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8:
        return rgb
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


# -------------------------------------------------------------------- RGB <-> LAB
def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert RGB to CIE-LAB.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3) or (N, H, W, 3)
        uint8 in [0, 255] or float in [0, 1].

    Returns
    -------
    lab : ndarray of float32, same shape
        L in [0, 100], a and b roughly in [-128, 127].
    """
    return skcolor.rgb2lab(to_float_rgb(rgb), channel_axis=-1).astype(np.float32)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Convert CIE-LAB to RGB float32 in [0, 1].

    Predicted colours can fall outside the sRGB gamut; they are clipped to [0, 1]
    (scikit-image warns when that happens, which would flood a notebook, so the
    warning is silenced here and the clipping documented instead).
    """
    lab = np.asarray(lab, dtype=np.float64)
    if lab.shape[-1] != 3:
        raise ValueError(f"expected LAB with 3 channels last, got shape {lab.shape}")
    with warnings.catch_warnings():
        # Only this warning ("... resulted in N negative Z values that have been clipped to zero").
        warnings.filterwarnings("ignore", message=r".*negative Z values", category=UserWarning)
        rgb = skcolor.lab2rgb(lab, channel_axis=-1)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    """Repeat a single-channel image ``(..., H, W)`` or ``(..., H, W, 1)`` into RGB."""
    gray = np.asarray(gray)
    if gray.shape[-1] == 1:
        gray = gray[..., 0]
    return np.repeat(gray[..., None], 3, axis=-1)


def split_lab(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(L, ab)`` with shapes ``(..., 1)`` and ``(..., 2)``."""
    return lab[..., :1], lab[..., 1:]


def merge_lab(l_channel: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Stack ``L (..., 1)`` and ``ab (..., 2)`` back into LAB ``(..., 3)``."""
    return np.concatenate([l_channel, ab], axis=-1).astype(np.float32)


# ------------------------------------------------------------------ normalisation
def normalize_l(l_channel):
    """L in [0, 100] -> model input in [-1, 1]. Works on NumPy arrays and tensors."""
    return l_channel / L_SCALE - 1.0


def denormalize_l(l_norm):
    """Model input in [-1, 1] -> L in [0, 100]."""
    return (l_norm + 1.0) * L_SCALE


def normalize_ab(ab):
    """ab in LAB units -> model target in about [-1, 1]."""
    return ab / AB_SCALE


def denormalize_ab(ab_norm):
    """Model output in [-1, 1] -> ab in LAB units."""
    return ab_norm * AB_SCALE


def rgb_to_model_io(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB image(s) -> ``(L_norm (..., 1), ab_norm (..., 2))`` as float32."""
    l_channel, ab = split_lab(rgb_to_lab(rgb))
    return normalize_l(l_channel).astype(np.float32), normalize_ab(ab).astype(np.float32)


def model_io_to_rgb(l_norm: np.ndarray, ab_norm: np.ndarray) -> np.ndarray:
    """``(L_norm, ab_norm)`` -> RGB float32 in [0, 1]."""
    return lab_to_rgb(merge_lab(denormalize_l(np.asarray(l_norm)), denormalize_ab(np.asarray(ab_norm))))


# ------------------------------------------------------------- TensorFlow version
# The same constants scikit-image uses (sRGB primaries, D65 white, 2-degree observer).
_XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423],
     [0.212671, 0.715160, 0.072169],
     [0.019334, 0.119193, 0.950227]],
    dtype=np.float32,
)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883], dtype=np.float32)


def tf_rgb_to_lab(rgb):
    """TensorFlow RGB -> LAB, for use inside ``tf.data`` and models.

    Parameters
    ----------
    rgb : tf.Tensor, shape (..., 3), float in [0, 1]

    Returns
    -------
    lab : tf.Tensor of float32, same shape; matches :func:`rgb_to_lab` to well
        within 0.5 LAB units.
    """
    import tensorflow as tf

    rgb = tf.cast(rgb, tf.float32)
    # Undo the sRGB gamma: linear light is what mixes additively.
    # x ** p is written exp(p * log x): equal up to float32 rounding, about twice as fast as tf.pow on CPU,
    # which matters in the input pipeline. (Both branches of tf.where are evaluated: clamp
    # the argument of log so the unused branch never produces NaN.)
    gamma_decoded = tf.exp(2.4 * tf.math.log((tf.maximum(rgb, 0.04045) + 0.055) / 1.055))
    linear = tf.where(rgb > 0.04045, gamma_decoded, rgb / 12.92)
    xyz = tf.tensordot(linear, tf.constant(_XYZ_FROM_RGB.T), axes=1) / tf.constant(_D65_WHITE)
    # Cube root above the CIE threshold, a straight line below it (avoids an infinite slope at 0).
    f = tf.where(xyz > 0.008856, tf.exp(tf.math.log(tf.maximum(xyz, 1e-12)) / 3.0), 7.787 * xyz + 16.0 / 116.0)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    lightness = 116.0 * fy - 16.0
    return tf.stack([lightness, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)
