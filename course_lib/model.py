"""The course's colorization model: a VGG19 encoder and a ``seed`` or ``unet`` decoder.

The model maps the normalised lightness of an image to its normalised colour
(see the conventions table in :mod:`course_lib.color`)::

    L_norm  (B, S, S, 1) float32 in [-1, 1]
      -> VGGPreprocess   L replicated to 3 channels, 0-255, ImageNet-mean-centred (BGR)
      -> encoder         keras.applications.VGG19 without its top, the first ``encoder_blocks`` blocks
      -> decoder         "seed": convolutions + 2x upsamplings from the deepest feature map
                         "unet": the same, plus skip connections from every earlier VGG block
      -> ab_norm (B, S, S, 2) float32 in [-1, 1]  (tanh)

The encoder and the decoder are two nested Keras models named ``"encoder"`` and
``"decoder"``. Training uses that split: with a frozen encoder, the encoder's features
are computed once and only the decoder is trained on them (see :mod:`course_lib.train`).

Weights of the encoder are chosen explicitly, never silently:

- ``"imagenet"``: Keras downloads them once to ``~/.keras/models/`` (about 80 MB). When
  that is impossible, :class:`~course_lib.errors.WeightsUnavailableError` says how to
  get the file or how to run offline.
- a path to a local weights file in Keras' VGG19 "notop" format (``.h5`` or ``.weights.h5``).
- ``None``: random initialisation (offline mode: the whole network is then trained).

This module imports Keras (and so TensorFlow) when it is imported; the command-line
modules import it only inside functions, so ``--help`` stays instant. Importing it
registers the custom layer, so ``keras.models.load_model("model.keras")`` then works.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras
import numpy as np

from course_lib.classification_head import ABBinLogits, RebalancedCrossEntropy  # registers them with Keras
from course_lib.errors import CourseError, ModelFileError, WeightsUnavailableError, describe_exception
from course_lib.recipes import DECODERS, HEADS  # the one list of each (TensorFlow-free)

#: Where Keras keeps the ImageNet VGG19 weights (no classifier top) it downloads.
IMAGENET_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
    "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
IMAGENET_NOTOP_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"

#: The last convolution of each VGG19 block: the skip connections of the ``unet`` decoder.
#: Block ``i`` (1-based) works at resolution ``S / 2**(i - 1)``.
VGG_BLOCK_OUTPUTS = ("block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4", "block5_conv4")
#: Channels of those outputs.
VGG_BLOCK_CHANNELS = (64, 128, 256, 512, 512)
#: ImageNet channel means in BGR order, the "caffe" preprocessing VGG19's weights expect.
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)



def imagenet_cache_path() -> Path:
    """Where Keras caches the ImageNet notop weights (``$KERAS_HOME`` or ``~/.keras``)."""
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(keras_home) / "models" / IMAGENET_NOTOP_FILENAME


@keras.saving.register_keras_serializable(package="course_lib")
class VGGPreprocess(keras.layers.Layer):
    """``L_norm (B, H, W, 1)`` in [-1, 1] -> what VGG19 expects, ``(B, H, W, 3)`` float.

    VGG19's ImageNet weights were trained on BGR images in 0-255 with the dataset's
    channel means subtracted ("caffe" preprocessing). A gray image has B = G = R, so
    L (0-100) is rescaled to 0-255, repeated three times, and centred per channel.
    """

    def call(self, l_norm):
        lightness = (l_norm + 1.0) * 50.0  # [0, 100]
        gray_255 = lightness * 2.55  # [0, 255]
        gray_bgr = keras.ops.concatenate([gray_255, gray_255, gray_255], axis=-1)  # (B, H, W, 3)
        mean = keras.ops.convert_to_tensor(IMAGENET_BGR_MEAN, dtype=gray_bgr.dtype)
        return gray_bgr - mean

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)


@keras.saving.register_keras_serializable(package="course_lib")
class HintPreprocess(VGGPreprocess):
    """``(B, H, W, 4)`` = L_norm, hint a, hint b, mask -> ``(B, H, W, 6)``: VGG's 3 channels + 3 hint channels.

    The hint channels are brought to the scale of VGG's own input (ab in LAB units, the mask
    times 100), so the first convolution's new weights learn at the pace of the old ones
    (:mod:`course_lib.hints`).
    """

    def call(self, inputs):
        gray = super().call(inputs[..., :1])
        ab_hint = inputs[..., 1:3] * 128.0
        mask = inputs[..., 3:4] * 100.0
        return keras.ops.concatenate([gray, ab_hint, mask], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 6)


def custom_objects() -> dict:
    """The project's custom Keras objects by name (for ``keras.models.load_model``).

    They are also registered with Keras when this module is imported, so after
    ``import course_lib.model`` a plain ``keras.models.load_model(path)`` works.
    """
    return {"VGGPreprocess": VGGPreprocess, "HintPreprocess": HintPreprocess, "ABBinLogits": ABBinLogits,
            "RebalancedCrossEntropy": RebalancedCrossEntropy}


# ----------------------------------------------------------------------------- encoder
def _load_vgg19(image_size: int, weights):
    """The full ``keras.applications.VGG19`` (no top) with the requested weights."""
    input_shape = (image_size, image_size, 3)
    if weights is None:
        return keras.applications.VGG19(include_top=False, weights=None, input_shape=input_shape)
    if isinstance(weights, str) and weights == "imagenet":
        try:
            return keras.applications.VGG19(include_top=False, weights="imagenet", input_shape=input_shape)
        except Exception as exc:  # Keras raises a bare Exception on a failed download
            raise WeightsUnavailableError(
                f"could not get the ImageNet VGG19 weights ({describe_exception(exc)}). "
                f"Download {IMAGENET_NOTOP_URL} and either place it at {imagenet_cache_path()} "
                "or pass its path with --weights PATH (weights=PATH in Python); "
                "or run offline with --weights none (weights=None: random init, the whole network trains)."
            ) from exc
    path = Path(weights).expanduser()
    if not path.is_file():
        raise WeightsUnavailableError(
            f"weights file not found: {path}. Give the path of a VGG19 notop weights file "
            f"(e.g. {IMAGENET_NOTOP_FILENAME} from {IMAGENET_NOTOP_URL}), "
            "'imagenet' to download it, or none to start from random weights."
        )
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=input_shape)
    try:
        vgg.load_weights(str(path))
    except Exception as exc:  # wrong format / wrong architecture: say which file and what is expected
        raise WeightsUnavailableError(
            f"could not load VGG19 weights from {path} ({describe_exception(exc)}). "
            "The file must hold Keras' VGG19 without its top (include_top=False), as .h5 or .weights.h5."
        ) from exc
    return vgg


def _extended_first_conv(conv, in_channels: int):
    """A copy of VGG's ``block1_conv1`` taking ``in_channels`` inputs: its own kernel for the
    first 3, zeros for the others (at step 0 the hints change nothing, and the layer responds to
    L as before)."""
    kernel, bias = conv.get_weights()  # (3, 3, 3, 64), (64,)
    wider = keras.layers.Conv2D.from_config(conv.get_config())
    wider.build((None, None, None, in_channels))
    extra = np.zeros((*kernel.shape[:2], in_channels - kernel.shape[2], kernel.shape[3]), kernel.dtype)
    wider.set_weights([np.concatenate([kernel, extra], axis=2), bias])
    return wider


def build_encoder(image_size: int = 64, weights="imagenet", encoder_blocks: int = 5, outputs: str = "skips",
                  hints: bool = False):
    """The VGG19 encoder as a Keras model named ``"encoder"``.

    Parameters
    ----------
    image_size : int
        Side ``S`` of the square input; a multiple of ``2**encoder_blocks``, at least 32.
    weights : "imagenet", None, or path
        See the module docstring.
    encoder_blocks : int, 1..5
        How many VGG19 blocks to keep. Fewer blocks are cheaper; the deepest block sets
        how much context each pixel's colour can depend on.
    outputs : "skips" or "pooled"
        ``"skips"``: the last convolution of every kept block, shapes
        ``(B, S / 2**(i-1), S / 2**(i-1), C_i)`` for block ``i`` (the ``unet`` decoder).
        ``"pooled"``: only the deepest block after its pooling, ``(B, S / 2**k, S / 2**k, C_k)``
        (the ``seed`` decoder).
    hints : bool
        Input ``(B, S, S, 4)``: L_norm and the hint channels of :mod:`course_lib.hints`, which
        enter through an extended ``block1_conv1`` whose extra weights start at zero.

    Returns
    -------
    keras.Model
        Input ``L_norm (B, S, S, 1)`` float32 (``(B, S, S, 4)`` with hints); output a list
        (``"skips"``) or one tensor.
    """

    _check_geometry(image_size, encoder_blocks)
    vgg = _load_vgg19(image_size, weights)
    if hints:
        l_norm = keras.Input((image_size, image_size, 4), name="l_norm_hints")
        vgg_input = HintPreprocess(name="vgg_preprocess")(l_norm)
    else:
        l_norm = keras.Input((image_size, image_size, 1), name="l_norm")
        vgg_input = VGGPreprocess(name="vgg_preprocess")(l_norm)
    # Re-wire VGG's own layers on our input: a sub-graph that stops at block `encoder_blocks`,
    # so deeper blocks cost nothing. Layers (and their weights) are shared with `vgg`.
    wanted = set(VGG_BLOCK_OUTPUTS[:encoder_blocks])
    if outputs == "pooled":
        wanted = {f"block{encoder_blocks}_pool"}
    elif outputs != "skips":
        raise ValueError(f"outputs must be 'skips' or 'pooled', got {outputs!r}")
    x, found = vgg_input, {}
    for layer in vgg.layers[1:]:  # [0] is VGG's own InputLayer
        if int(layer.name[len("block")]) > encoder_blocks:
            break
        if hints and layer.name == "block1_conv1":
            layer = _extended_first_conv(layer, 6)
        x = layer(x)
        if layer.name in wanted:
            found[layer.name] = x
    if outputs == "skips":
        features = [found[name] for name in VGG_BLOCK_OUTPUTS[:encoder_blocks]]
    else:
        features = found[f"block{encoder_blocks}_pool"]
    return keras.Model(l_norm, features, name="encoder")


def _check_geometry(image_size: int, encoder_blocks: int) -> None:
    if not 1 <= int(encoder_blocks) <= 5:
        raise CourseError(f"encoder_blocks must be between 1 and 5 (VGG19 has 5 blocks), got {encoder_blocks}")
    if image_size < 32 or image_size % (2**encoder_blocks):
        raise CourseError(
            f"image size {image_size} does not work with {encoder_blocks} VGG blocks: use a multiple of "
            f"{2**encoder_blocks} that is at least 32 (e.g. 64, 128 or 224)"
        )


# ----------------------------------------------------------------------------- decoders
def _conv_bn_relu(x, filters: int, name: str):

    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    # momentum 0.9: the moving statistics settle within an epoch even on small datasets.
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _ab_head(x, bins=None):
    if bins is not None:  # classification: one logit per ab bin, float32 like the tanh head
        return ABBinLogits(bins, dtype="float32", name="ab_logits")(x)
    # float32 output even under mixed precision: tanh saturates badly in float16.
    return keras.layers.Conv2D(2, 3, padding="same", activation="tanh", dtype="float32", name="ab_norm")(x)


def build_unet_decoder(image_size: int, encoder_blocks: int, width: int = 32, bins=None):
    """U-Net decoder: upsample from the deepest VGG block, concatenating each earlier block.

    Inputs are the encoder's ``"skips"`` outputs; output ``ab_norm (B, S, S, 2)`` in
    [-1, 1]. Level ``i`` uses ``min(width * 2**(i-1), 256)`` filters, two 3x3 conv + BN + ReLU.
    With ``bins`` (``(Q, 2)``), the output is instead ``Q`` logits per pixel (the classification head).
    """

    shapes = [(image_size // 2**i, image_size // 2**i, VGG_BLOCK_CHANNELS[i]) for i in range(encoder_blocks)]
    skips = [keras.Input(shape, name=f"skip{i + 1}") for i, shape in enumerate(shapes)]
    filters = [min(width * 2**i, 256) for i in range(encoder_blocks)]
    x = skips[-1]
    x = _conv_bn_relu(x, filters[-1], f"up{encoder_blocks}a")
    x = _conv_bn_relu(x, filters[-1], f"up{encoder_blocks}b")
    for level in range(encoder_blocks - 2, -1, -1):  # deepest-but-one .. block 1
        # Bilinear upsampling + conv avoids the checkerboard artefacts of transposed convs.
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"upsample{level + 1}")(x)
        x = keras.layers.Concatenate(name=f"concat{level + 1}")([x, skips[level]])
        x = _conv_bn_relu(x, filters[level], f"up{level + 1}a")
        x = _conv_bn_relu(x, filters[level], f"up{level + 1}b")
    return keras.Model(skips, _ab_head(x, bins), name="decoder")


def build_seed_decoder(image_size: int, encoder_blocks: int, bins=None):
    """The original project's decoder: conv + 2x upsampling from the deepest pooled map.

    Input ``(B, S / 2**k, S / 2**k, C_k)``, output ``ab_norm (B, S, S, 2)`` in [-1, 1].
    """

    side = image_size // 2**encoder_blocks
    features = keras.Input((side, side, VGG_BLOCK_CHANNELS[encoder_blocks - 1]), name="features")
    x = features
    for i, filters in enumerate((256, 128, 64, 32, 16)[-encoder_blocks:]):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"seed_conv{i + 1}")(x)
        x = keras.layers.UpSampling2D(2, name=f"seed_upsample{i + 1}")(x)
    return keras.Model(features, _ab_head(x, bins), name="decoder")


# ----------------------------------------------------------------------------- the model
def build_colorizer(
    image_size: int = 64,
    decoder: str = "unet",
    weights="imagenet",
    encoder_blocks: int = 5,
    decoder_width: int = 32,
    head: str = "regression",
    bins=None,
    hints: bool = False,
):
    """Build the colorization model.

    Parameters
    ----------
    image_size : int
        Side ``S`` of the square images the model works on (the course predicts colour
        at a low resolution and recombines it with the full-resolution L).
    decoder : "unet" or "seed"
    weights : "imagenet", None, or path to VGG19 notop weights
    encoder_blocks : int, 1..5
        VGG19 blocks kept in the encoder.
    decoder_width : int
        Filters of the ``unet`` decoder's full-resolution level (doubling per level, at most 256).
    head : "regression" or "classification"
        ``"classification"`` (Zhang et al. 2016) ends in ``Q`` logits per pixel over the ab bins
        instead of ``ab_norm``: output ``(B, S, S, Q)``, decoded by
        :func:`course_lib.classification.annealed_mean`; the model is named ``colorizer_<decoder>_cls``.
    bins : array_like (Q, 2), optional
        Bin centres of the classification head; default :func:`course_lib.classification.ab_bins`.
    hints : bool
        User-guided colorization (Zhang et al. 2017, :mod:`course_lib.hints`): the input is
        ``(B, S, S, 4)``, L_norm then hint a, hint b and mask, entering through an extended first
        convolution whose extra weights start at zero; the model is named ``colorizer_<decoder>_hints``.

    Returns
    -------
    keras.Model named ``colorizer_<decoder>``
        ``L_norm (B, S, S, 1)`` float32 -> ``ab_norm (B, S, S, 2)`` float32 in [-1, 1], with
        nested models ``model.get_layer("encoder")`` and ``model.get_layer("decoder")``.

    Raises
    ------
    WeightsUnavailableError
        ImageNet weights cannot be downloaded, or the weights file is missing or wrong.
    """

    if decoder not in DECODERS:
        raise CourseError(f"unknown decoder {decoder!r}: choose one of {', '.join(DECODERS)}")
    if head not in HEADS:
        raise CourseError(f"unknown head {head!r}: choose one of {', '.join(HEADS)}")
    if head == "classification" and bins is None:
        from course_lib.classification import ab_bins

        bins = ab_bins()
    elif head == "regression":
        bins = None
    if isinstance(weights, str) and weights.lower() == "none":
        weights = None
    encoder = build_encoder(image_size, weights, encoder_blocks, outputs="skips" if decoder == "unet" else "pooled",
                            hints=hints)
    if decoder == "unet":
        top = build_unet_decoder(image_size, encoder_blocks, decoder_width, bins)
    else:
        top = build_seed_decoder(image_size, encoder_blocks, bins)
    l_norm = keras.Input((image_size, image_size, 4 if hints else 1), name="l_norm_hints" if hints else "l_norm")
    output = top(encoder(l_norm))
    return keras.Model(l_norm, output, name=f"colorizer_{decoder}" + ("_cls" if bins is not None else "")
                       + ("_hints" if hints else ""))


def load_colorizer(path, float32: bool = True):
    """Load a colorizer saved as ``.keras`` (e.g. ``RUN_DIR/model.keras``): the Keras model alone.

    To use a trained run, load it with :meth:`course_lib.colorizer.Colorizer.load`, which calls this
    and keeps the run's decoding with the model; ``train`` calls this to restore its checkpoints.

    Returns the model uncompiled (for inference), computing in float32 (:func:`as_float32`) even
    when it was trained with mixed precision, unless ``float32=False``; raises a
    :class:`CourseError` subclass with what to do when the file is missing or not a course model.
    """

    path = Path(path).expanduser()
    if path.is_dir() and (path / "model.keras").is_file():
        path = path / "model.keras"
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}. Train one with 'python -m course_lib train' "
                             "or pass the path of a RUN_DIR/model.keras file.")
    try:
        model = keras.models.load_model(path, custom_objects=custom_objects(), compile=False)
    # What a damaged file or another program's model raises; anything else is a bug and keeps its traceback.
    except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"could not load the model {path} ({describe_exception(exc)}); "
                             "is it a .keras file written by this course?") from exc
    return as_float32(model) if float32 else model


#: Dtype policies whose computations are not float32 (:func:`as_float32` replaces them).
_LOW_PRECISION = ("float16", "mixed_float16", "bfloat16", "mixed_bfloat16")


def _float32_config(config):
    """``config`` (a Keras model config, nested dicts and lists) with every low-precision dtype
    or dtype policy replaced by float32."""
    if isinstance(config, list):
        return [_float32_config(item) for item in config]
    if not isinstance(config, dict):
        return config
    out = {}
    for key, value in config.items():
        if key == "dtype" and isinstance(value, str) and value in _LOW_PRECISION:
            value = "float32"
        elif (key == "dtype" and isinstance(value, dict) and value.get("class_name") == "DTypePolicy"
              and value.get("config", {}).get("name") in _LOW_PRECISION):
            value = {**value, "config": {**value["config"], "name": "float32"}}
        out[key] = _float32_config(value)
    return out


def as_float32(model):
    """``model`` itself when every layer computes in float32, else a float32 copy with the same weights.

    A model trained with mixed precision keeps its weights in float32 but records the
    ``mixed_float16`` policy in each layer, and so computes in float16 wherever it is loaded;
    on a CPU that is slow, and its colours differ slightly from a float32 model's. The copy is
    built from the same architecture with float32 policies, and takes the (float32) weights as
    they are.
    """
    config = model.get_config()
    converted = _float32_config(config)
    if converted == config:
        return model
    copy = model.__class__.from_config(converted, custom_objects=custom_objects())
    copy.set_weights(model.get_weights())
    return copy


def model_image_size(model) -> int:
    """The square side ``S`` the model takes, read from its input shape ``(None, S, S, 1)``
    (``(None, S, S, 4)`` for a hint model)."""
    shape = model.input_shape
    if len(shape) != 4 or shape[1] != shape[2] or shape[3] not in (1, 4):
        raise ModelFileError(f"expected a model with input (None, S, S, 1) or (None, S, S, 4), got {shape}")
    return int(shape[1])


def takes_hints(model) -> bool:
    """True for a hint model (input ``(None, S, S, 4)``: L_norm + hint channels, :mod:`course_lib.hints`)."""
    return model.input_shape[-1] == 4


def encoder_layers(model):
    """The VGG19 convolution layers of a colorizer, in order (``block1_conv1`` ...)."""
    return [layer for layer in model.get_layer("encoder").layers if layer.name.startswith("block")]


def set_encoder_trainable(model, blocks=None) -> None:
    """Freeze the encoder, or unfreeze some of its blocks.

    Parameters
    ----------
    blocks : None, "all", or iterable of int
        ``None`` freezes the whole encoder; ``"all"`` unfreezes it; ``{4, 5}`` unfreezes
        only those VGG blocks (fine-tuning the upper blocks).
    """
    encoder = model.get_layer("encoder")
    encoder.trainable = blocks is not None
    if blocks is None:
        if takes_hints(model):  # the hints come in through block1_conv1: it keeps learning
            encoder.trainable = True
            for layer in encoder.layers:
                layer.trainable = layer.name == "block1_conv1"
        return
    wanted = {1, 2, 3, 4, 5} if blocks == "all" else {int(b) for b in blocks}
    for layer in encoder.layers:
        if layer.name.startswith("block"):
            layer.trainable = int(layer.name[len("block")]) in wanted
