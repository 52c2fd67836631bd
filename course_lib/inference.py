"""Colorize photos of any size at full resolution: the maths under :class:`course_lib.colorizer.Colorizer`.

The model works on small squares (e.g. 64 x 64), but a photo may be 4000 x 3000. The
course never shrinks the photo it returns. Instead::

    photo (H, W, 3) ──resize──> (S, S, 3) ──L_norm──> model ──> ab (S, S, 2)
      │                                                            │ resize to (H, W)
      └──────────────── L at full resolution (H, W, 1) ───────────┴──> LAB ──> RGB (H, W, 3)

Colour varies slowly across an object while lightness carries the edges and texture, so a
low-resolution ``ab`` recombined with the original ``L`` keeps every detail of the input.
The output's L equals the input's L: where the predicted colour is outside what RGB can
show at that lightness, its chroma is reduced (hue and L kept) instead of clipping RGB,
which would change L (:func:`course_lib.color.lab_to_rgb_uint8`, the one conversion every
colorization of the course goes through).

:func:`gray_baseline` is the same recombination with ``ab = 0``: the "leave it gray"
reference that the evaluation compares every model against.

The functions here take a Keras model and its decoding as arguments. A trained run is used
through :class:`course_lib.colorizer.Colorizer` (``Colorizer.load(RUN_DIR)``), which passes
them the run's own decoding, and which the ``colorize`` command, ``evaluate``, the widgets and
the notebooks use.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image

from course_lib import color
from course_lib.errors import CourseError

#: Rows converted at a time, so a 12-megapixel photo needs only tens of MB of temporaries.
STRIP_ROWS = 512


# ----------------------------------------------------------------------------- inputs
def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """An image array as RGB uint8 ``(H, W, 3)``.

    Accepts grayscale ``(H, W)`` or ``(H, W, 1)`` and RGB ``(H, W, 3)``, uint8 in [0, 255]
    or float in [0, 1]. Files (including RGBA, palette, 16-bit, CMYK) should be read with
    :func:`course_lib.data.load_image`, which already returns this.
    """
    image = np.asarray(image)
    if image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 1):
        image = color.gray_to_rgb(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise CourseError(
            f"expected an image of shape (H, W), (H, W, 1) or (H, W, 3), got {image.shape}; "
            "load files with course_lib.data.load_image, which converts RGBA/CMYK/palette images"
        )
    return color.to_uint8_rgb(image) if image.dtype != np.uint8 else image


def resize_rgb(image: np.ndarray, size: int) -> np.ndarray:
    """Squash an RGB uint8 image to ``(size, size, 3)`` (what the model was trained on)."""
    # The same filter as the training pipeline (course_lib.pipeline.load_resized): the model
    # should see test photos exactly as it saw its training images.
    if image.shape[:2] == (size, size):
        return image
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0))


def resize_ab(ab: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinearly resize ``ab (s, s, 2)`` float32 to ``(height, width, 2)``."""
    channels = [
        np.asarray(Image.fromarray(ab[..., c].astype(np.float32), mode="F").resize((width, height), Image.BILINEAR))
        for c in range(ab.shape[-1])
    ]
    return np.stack(channels, axis=-1)


#: ab is upsampled *guided by the photo's own lightness* (the guided filter of He, Sun and Tang, 2013):
#: colour edges then follow the object's edges in L instead of the blur of a plain bilinear zoom from
#: the model's few dozen pixels. Radius (in model pixels) and eps (in (L/100)^2 units) were chosen on
#: the validation split: +0.15 dB PSNR over bilinear, for both dataset means (docs/recipe_history.md).
GUIDE_RADIUS = 2.0
GUIDE_EPS = 1e-3
UPSAMPLINGS = ("guided", "bilinear")
#: Predict on the photo and its mirror image and average the two: +0.11 dB PSNR on the validation
#: split on top of guided upsampling, for twice the (small, model-resolution) prediction cost.
#: Only the left-right mirror: on the recipe's model, adding the upside-down views lost 0.42 dB and
#: a tenth of the colour (all 8 symmetries of the square: 0.43 dB). NCD's photos have an up, and the
#: model learnt it (docs/recipe_history.md).
FLIP_AVERAGE = True


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of ``src (H, W, C)`` that follows the edges of ``guide (H, W)``.

    Locally ``src ~ a * guide + b``, fitted in every ``(2 radius + 1)`` square window; ``eps``
    regularises ``a`` (larger: smoother, less edge-following). He et al., *Guided Image
    Filtering*, TPAMI 2013, algorithm 1.
    """
    from scipy.ndimage import uniform_filter

    def box(x):
        return uniform_filter(x, size=2 * radius + 1, mode="reflect")

    guide = guide.astype(np.float32)
    mean_g = box(guide)
    var_g = box(guide * guide) - mean_g * mean_g
    out = np.empty(src.shape, dtype=np.float32)
    for c in range(src.shape[-1]):
        p = src[..., c].astype(np.float32)
        mean_p = box(p)
        a = (box(guide * p) - mean_g * mean_p) / (var_g + eps)
        b = mean_p - a * mean_g
        out[..., c] = box(a) * guide + box(b)
    return out


def upsample_ab(lightness: np.ndarray, ab_small: np.ndarray, upsampling: str = "guided") -> np.ndarray:
    """``ab_small (s, s, 2)`` -> ``(H, W, 2)`` at the size of ``lightness (H, W, 1)``.

    ``"bilinear"`` zooms; ``"guided"`` (the default) then lets the zoomed colour follow the
    edges of the full-resolution lightness (:func:`guided_filter`).
    """
    if upsampling not in UPSAMPLINGS:
        raise CourseError(f"unknown upsampling {upsampling!r}: choose one of {', '.join(UPSAMPLINGS)}")
    height, width = lightness.shape[:2]
    ab_full = resize_ab(ab_small, height, width)
    if upsampling == "bilinear" or not np.any(ab_small):
        return ab_full
    radius = max(1, int(round(GUIDE_RADIUS * max(height, width) / max(ab_small.shape[:2]))))
    return guided_filter(lightness[..., 0] / 100.0, ab_full, radius, GUIDE_EPS)


# ----------------------------------------------------------------------------- L + ab -> RGB, in strips
# The conversions themselves live in course_lib.color (lab_to_rgb_uint8 fits colours into
# the gamut, keeping L). Here only the memory: a 12-megapixel photo goes through them a
# strip of rows at a time, so the temporaries stay at tens of MB.
def _in_strips(convert, *images: np.ndarray) -> np.ndarray:
    """``convert(*strips)`` over strips of :data:`STRIP_ROWS` rows, assembled into one array."""
    height = images[0].shape[0]
    parts = [convert(*(image[top : top + STRIP_ROWS] for image in images)) for top in range(0, height, STRIP_ROWS)]
    return np.concatenate(parts, axis=0)


def lightness_of(image: np.ndarray) -> np.ndarray:
    """L channel ``(H, W, 1)`` float32 in [0, 100] of an RGB uint8 image (:func:`color.rgb_uint8_to_lightness`)."""
    return _in_strips(color.rgb_uint8_to_lightness, image)


def _merge_to_rgb_uint8(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """``L (H, W, 1)`` + ``ab (H, W, 2)`` -> RGB uint8 ``(H, W, 3)``, gamut-fitted (L kept)."""
    return _in_strips(lambda l_part, ab_part: color.lab_to_rgb_uint8(np.concatenate([l_part, ab_part], axis=-1)),
                      lightness, ab)


def recombine(image: np.ndarray, ab_small: np.ndarray, saturation: float = 1.0, upsampling: str = "guided") -> np.ndarray:
    """Full-resolution L of ``image`` + upsampled ``ab_small`` -> RGB uint8.

    Parameters
    ----------
    image : ndarray, (H, W), (H, W, 1) or (H, W, 3)
        The photo; only its lightness is used.
    ab_small : ndarray of float, shape (s, s, 2)
        Predicted ``ab`` in LAB units (not normalised), at any resolution.
    saturation : float
        Multiplies ``ab``: 0 gives gray, 1 the prediction, > 1 more vivid colours.
    upsampling : "guided" or "bilinear"
        How ``ab`` reaches the photo's size (:func:`upsample_ab`).

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
    """
    if saturation < 0:
        raise CourseError(f"saturation must be >= 0 (1.0 keeps the prediction), got {saturation}")
    image = as_rgb_uint8(image)
    lightness = lightness_of(image)
    ab_full = upsample_ab(lightness, np.asarray(ab_small, dtype=np.float32) * float(saturation), upsampling)
    return _merge_to_rgb_uint8(lightness, ab_full)


def gray_baseline(image: np.ndarray) -> np.ndarray:
    """The "leave it gray" reference: the same recombination with ``ab = 0``.

    Returns RGB uint8 ``(H, W, 3)`` whose L equals the input's L.
    """
    return recombine(image, np.zeros((1, 1, 2), dtype=np.float32))


# ----------------------------------------------------------------------------- prediction
def predict_output(model, images: Sequence[np.ndarray], batch_size: int = 16, hint_maps=None,
                   flip_average: bool = FLIP_AVERAGE) -> np.ndarray:
    """The model's raw output for images at its resolution: ``ab_norm``, or logits over ab bins.

    Parameters are those of :func:`predict_ab`. With ``flip_average`` the output is averaged
    with that of the mirror image, mirrored back. For a classification model this averages
    the logits (combining both views' evidence) before any decoding, so :func:`predict_ab`
    and the temperature search (:func:`course_lib.evaluate.decoding_table`) decode the same
    numbers.

    Returns
    -------
    ndarray of float32, shape (N, S, S, 2) or (N, S, S, Q)
    """
    from course_lib.model import model_image_size, takes_hints

    size = model_image_size(model)
    small = np.stack([resize_rgb(as_rgb_uint8(image), size) for image in images])  # (N, S, S, 3)
    l_norm, _ = color.rgb_to_model_io(small)  # (N, S, S, 1)
    if takes_hints(model):
        from course_lib.hints import HINT_CHANNELS, model_input

        empty = np.zeros((size, size, HINT_CHANNELS), np.float32)
        maps = [empty if m is None else m for m in (hint_maps or [None] * len(l_norm))]
        l_norm = model_input(l_norm, np.stack(maps))  # (N, S, S, 4)

    def output_of(inputs):
        return np.concatenate([np.asarray(model.predict_on_batch(inputs[start : start + batch_size]), np.float32)
                               for start in range(0, len(inputs), batch_size)], axis=0)

    output = output_of(l_norm)
    if flip_average:  # the mirror image's prediction, mirrored back (hint channels are mirrored with L)
        output = 0.5 * (output + output_of(l_norm[:, :, ::-1])[:, :, ::-1])
    return output


def predict_ab(model, images: Sequence[np.ndarray], batch_size: int = 16, temperature: float | None = None,
               hint_maps=None, flip_average: bool = FLIP_AVERAGE) -> np.ndarray:
    """Predict ``ab`` (LAB units) for images at the model's resolution.

    Parameters
    ----------
    model : keras.Model mapping ``L_norm (B, S, S, 1)`` -> ``ab_norm (B, S, S, 2)``, or a
        classification model (``Q`` logits per pixel), whose output is decoded with the
        annealed mean (:func:`course_lib.classification.annealed_mean`)
    images : sequence of image arrays, any sizes (see :func:`as_rgb_uint8`)
    temperature : float, optional
        Classification models only: the annealed mean's T (default Zhang et al.'s 0.38; a run's
        own default is in its ``run.json``, :func:`course_lib.classification.run_temperature`).
    hint_maps : sequence of ndarray (S, S, 3), optional
        Hint models only (:mod:`course_lib.hints`): each image's hint channels at the model's
        resolution (None, or a None entry: no hint). An automatic model ignores them.
    flip_average : bool
        Average the prediction with that of the mirror image (test-time augmentation; fruit has
        no handedness). Default :data:`FLIP_AVERAGE`.

    Returns
    -------
    ndarray of float32, shape (N, S, S, 2), roughly in [-128, 127]
    """
    output = predict_output(model, images, batch_size, hint_maps, flip_average)
    if output.shape[-1] != 2:  # logits over ab bins: decode them
        from course_lib.classification import ZHANG_TEMPERATURE
        from course_lib.classification_head import decode_output

        output = decode_output(model, output, ZHANG_TEMPERATURE if temperature is None else temperature)
    return color.denormalize_ab(output)


def colorize_image(model, image: np.ndarray, saturation: float = 1.0, temperature: float | None = None,
                   hint_map: np.ndarray | None = None, upsampling: str = "guided") -> np.ndarray:
    """Colorize one image at its full resolution with a Keras model, decoded as told.

    :meth:`course_lib.colorizer.Colorizer.colorize` calls this with its run's decoding; call that
    one for a trained run, so that a classification run's temperature and upsampling are not lost.

    Parameters
    ----------
    model : keras.Model (see :func:`course_lib.model.build_colorizer`)
    image : ndarray, (H, W), (H, W, 1) or (H, W, 3), uint8 or float in [0, 1]
    saturation : float
        Scales the predicted ``ab`` (1.0: as predicted).
    temperature : float, optional
        Classification models: the annealed mean's T (see :func:`predict_ab`).
    hint_map : ndarray (S, S, 3), optional
        A hint model's hint channels at its resolution (:func:`course_lib.hints.user_hint_map` for
        points on the photo, :func:`course_lib.hints.simulated_hint_map` for simulated ones).
    upsampling : "guided" or "bilinear"
        How ``ab`` reaches the photo's size (:func:`upsample_ab`); a classification run's
        default is in its ``run.json`` (:func:`course_lib.classification.run_upsampling`).

    Returns
    -------
    ndarray of uint8, shape (H, W, 3): the input's L with the predicted colour.
    """
    ab = predict_ab(model, [image], temperature=temperature, hint_maps=[hint_map])[0]
    return recombine(image, ab, saturation, upsampling)
