"""Checks for the exercises of notebook 03, "The VGG19 autoencoder".

Each ``check_*`` function takes the learner's function, calls it on a few cases, and
prints either ``accepted`` or a hint naming the likely mistake. It returns ``True`` or
``False`` and never raises: a stub that still returns ``None`` just gets a reminder.

The reference answers are written here in plain Python on purpose (no TensorFlow), so
the checks run in a blink; ``tests/test_checks_autoencoder.py`` verifies those reference
answers against real Keras layers and a real VGG19.
"""

from __future__ import annotations

from typing import Callable

from course_lib.checks.feedback import accept, checker, float32_policy, hint, learner_answer, not_attempted

#: Filters of the convolutions in VGG19 blocks 1..5 (Simonyan and Zisserman 2015, config E).
VGG19_BLOCK_FILTERS = (64, 128, 256, 512, 512)
#: Number of 3x3 convolutions in each VGG19 block.
VGG19_BLOCK_CONVS = (2, 2, 4, 4, 4)


# ------------------------------------------------------ exercise 1: conv parameters
def conv_param_count_reference(kernel_size: int, in_channels: int, filters: int) -> int:
    """Weights of a ``Conv2D(filters, kernel_size)`` with bias on ``in_channels`` inputs.

    Each of the ``filters`` kernels has ``kernel_size * kernel_size * in_channels``
    weights plus one bias.
    """
    return (kernel_size * kernel_size * in_channels + 1) * filters


_CONV_CASES = ((3, 3, 64), (3, 64, 64), (3, 512, 512), (1, 64, 2), (5, 1, 8))


@checker
def check_conv_param_count(conv_param_count: Callable | None) -> bool:
    """Check ``conv_param_count(kernel_size, in_channels, filters) -> int``."""
    if conv_param_count is None:
        return not_attempted("conv_param_count")
    for k, c_in, filters in _CONV_CASES:
        ok, got = learner_answer(conv_param_count, "conv_param_count", k, c_in, filters)
        if not ok:
            return False
        want = conv_param_count_reference(k, c_in, filters)
        if got == want:
            continue
        case = f"kernel_size={k}, in_channels={c_in}, filters={filters}"
        if got == k * k * c_in * filters:
            return hint(f"for {case} you return {got}, the kernel weights only. Each filter also has "
                        "one bias: add `filters`.")
        if got in (k * k * filters + filters, k * k * filters):
            return hint(f"for {case} you return {got}. A kernel spans every input channel, so it has "
                        "kernel_size * kernel_size * in_channels weights, not kernel_size * kernel_size.")
        if got == k * c_in * filters + filters:
            return hint(f"for {case} you return {got}. Kernels are square: kernel_size * kernel_size.")
        return hint(f"for {case} you return {got!r}; expected {want}. Count, per filter, the weights "
                    "of one kernel (height x width x input channels) plus its bias.")
    return accept("your count matches Keras' Conv2D for every case "
                  f"(a 3x3 conv from 512 to 512 channels alone has {conv_param_count_reference(3, 512, 512):,}).")


# ------------------------------------------------------- exercise 2: feature shapes
def vgg_feature_shape_reference(image_size: int, block: int) -> tuple[int, int, int]:
    """Shape ``(side, side, channels)`` of the last convolution of VGG19 block ``block``.

    Blocks 2..5 each start after a 2x2 max-pooling, so block ``n`` works at
    ``image_size / 2**(n - 1)``; the pooling at the end of the block comes after the
    convolutions, which are the outputs the U-Net decoder uses as skip connections.
    """
    if not 1 <= block <= 5:
        raise ValueError(f"VGG19 has blocks 1..5, got {block}")
    side = image_size // 2 ** (block - 1)
    return (side, side, VGG19_BLOCK_FILTERS[block - 1])


_SHAPE_CASES = ((224, 1), (224, 3), (224, 5), (128, 2), (128, 4), (64, 5))


@checker
def check_vgg_feature_shape(vgg_feature_shape: Callable | None) -> bool:
    """Check ``vgg_feature_shape(image_size, block) -> (side, side, channels)``."""
    if vgg_feature_shape is None:
        return not_attempted("vgg_feature_shape")
    for image_size, block in _SHAPE_CASES:
        ok, got = learner_answer(vgg_feature_shape, "vgg_feature_shape", image_size, block)
        if not ok:
            return False
        want = vgg_feature_shape_reference(image_size, block)
        try:
            got = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            return hint(f"return a tuple of three integers (side, side, channels); got {got!r}.")
        if got == want:
            continue
        case = f"image_size={image_size}, block={block}"
        if len(got) != 3:
            return hint(f"for {case} return (side, side, channels), three numbers; got {got}.")
        if got[:2] == (image_size // 2 ** block,) * 2:
            return hint(f"for {case} your side is {got[0]}, half of {want[0]}: the max-pooling of a block "
                        "comes after its convolutions, so block n works at image_size / 2**(n-1).")
        if got[:2] != want[:2]:
            return hint(f"for {case} your side is {got[0]}; expected {want[0]}. Each block after the "
                        "first starts with the previous block's 2x2 pooling, which halves the side.")
        return hint(f"for {case} your channel count is {got[2]}; expected {want[2]}. VGG19's blocks "
                    f"have {', '.join(map(str, VGG19_BLOCK_FILTERS))} filters.")
    return accept("these are exactly the shapes of VGG19's block outputs "
                  f"(at 224 px: {vgg_feature_shape_reference(224, 1)} down to {vgg_feature_shape_reference(224, 5)}).")


# ---------------------------------------------------- exercise 3: parameters per block
def params_per_block_reference(model) -> dict[int, int]:
    """``{block: parameters}`` of the layers named ``block<n>_...`` in ``model`` (trainable or frozen)."""
    counts: dict[int, int] = {}
    for layer in model.layers:
        prefix = layer.name.split("_")[0]
        if prefix.startswith("block") and prefix[len("block"):].isdigit():
            block = int(prefix[len("block"):])
            counts[block] = counts.get(block, 0) + int(layer.count_params())
    return dict(sorted(counts.items()))


def vgg19_block_params(block: int, in_channels: int = 3) -> int:
    """Parameters of VGG19 block ``block`` (1..5), from its convolutions (``in_channels`` into block 1)."""
    channels = in_channels if block == 1 else VGG19_BLOCK_FILTERS[block - 2]
    total = 0
    for _ in range(VGG19_BLOCK_CONVS[block - 1]):
        total += conv_param_count_reference(3, channels, VGG19_BLOCK_FILTERS[block - 1])
        channels = VGG19_BLOCK_FILTERS[block - 1]
    return total


@float32_policy()  # float32 whatever the global policy (a mixed-precision run may have set it)
def _small_vgg_like_model():
    """A tiny stand-in for the encoder: layers named like VGG19's, one block frozen, unnamed layers around."""
    import keras

    inputs = keras.Input((16, 16, 1), name="l_norm")
    x = keras.layers.Conv2D(3, 1, name="vgg_preprocess")(inputs)  # outside every block: not counted
    x = keras.layers.Conv2D(4, 3, padding="same", name="block1_conv1")(x)
    x = keras.layers.Conv2D(4, 3, padding="same", name="block1_conv2")(x)
    x = keras.layers.MaxPooling2D(name="block1_pool")(x)
    x = keras.layers.Conv2D(6, 3, padding="same", name="block2_conv1")(x)
    x = keras.layers.MaxPooling2D(name="block2_pool")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", name="block3_conv1")(x)
    x = keras.layers.Conv2D(8, 1, name="block3_conv2")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", name="block3_conv3")(x)
    model = keras.Model(inputs, x, name="check_encoder")
    model.get_layer("block1_conv1").trainable = False  # frozen parameters are parameters too
    return model


@checker
def check_params_per_block(params_per_block: Callable | None) -> bool:
    """Check ``params_per_block(model) -> {block: parameters}`` on a small encoder named like VGG19's."""
    if params_per_block is None:
        return not_attempted("params_per_block")
    try:
        model = _small_vgg_like_model()
    except Exception as exc:  # Keras missing or broken: not the learner's fault, say so
        return hint(f"could not build the test model ({type(exc).__name__}: {exc}); is Keras installed?")
    ok, got = learner_answer(params_per_block, "params_per_block", model)
    if not ok:
        return False
    want = params_per_block_reference(model)
    if not isinstance(got, dict):
        return hint(f"return a dict {{block number: parameters}}, e.g. {{1: ..., 2: ...}}; got {type(got).__name__}")
    if set(got) == {f"block{b}" for b in want}:
        return hint("the keys are strings like 'block1': use the block numbers, int('block1'[5:]) = 1")
    try:
        got = {int(k): int(v) for k, v in got.items()}
    except (TypeError, ValueError):
        return hint(f"keys and values should be whole numbers; got {got!r}")
    if got == want:
        return accept(f"on a small test encoder: {want}. Frozen or not, every block's parameters are counted, "
                      "and layers outside the blocks are not.")
    if set(got) != set(want):
        return hint(f"the test encoder has blocks {sorted(want)}; you return {sorted(got)}. Take the block number "
                    "from each layer's name (block3_conv2 belongs to block 3) and skip layers outside the blocks")
    layers = {b: sum(1 for layer in model.layers if layer.name.startswith(f"block{b}_")) for b in want}
    convs = {b: sum(1 for layer in model.layers if layer.name.startswith(f"block{b}_") and layer.count_params())
             for b in want}
    if got in (layers, convs):
        return hint("you counted layers, not parameters: add up layer.count_params() of each block's layers")
    if got[1] < want[1] and all(got[b] == want[b] for b in want if b != 1):
        return hint(f"block 1 has {want[1]} parameters, you count {got[1]}: one of its layers is frozen, and frozen "
                    "parameters are still parameters (count_params() counts them all)")
    if sum(got.values()) == model.count_params():
        return hint("your blocks add up to the whole model: the layers outside the blocks (here vgg_preprocess) "
                    "belong to no block")
    return hint(f"on a small test encoder you return {got}; expected {want}. Group the layers by the block in "
                "their name and add up their count_params().")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("03", 1, "conv_param_count", check_conv_param_count, hints=(
    "Picture one filter at one position: it multiplies a kernel_size x kernel_size window of the input. How many "
    "input channels does that window cover?",
    "Per filter: a kernel_size x kernel_size x in_channels block of weights, plus one bias. Check it on "
    "block1_conv1: (3 * 3 * 3 + 1) * 64 = 1,792.",
    "(kernel_size * kernel_size * in_channels + 1) * filters.",
))
ex2 = Exercise("03", 2, "vgg_feature_shape", check_vgg_feature_shape, hints=(
    "Each block after the first starts behind a 2x2 max-pooling that halves the side; "
    "the block's pooling comes after its convolutions.",
    "side = image_size // 2 ** (block - 1); channels = (64, 128, 256, 512, 512)[block - 1].",
))
ex3 = Exercise("03", 3, "params_per_block", check_params_per_block, hints=(
    "Every layer has a .name and a .count_params(); VGG19's layers are named block<n>_conv<k> and block<n>_pool.",
    "Loop over model.layers; for names starting with 'block', the block number is the digits after 'block' "
    "before the first '_'. Add up count_params() per block in a dict.",
    "for layer in model.layers: if layer.name.startswith('block'): b = int(layer.name.split('_')[0][5:]); "
    "counts[b] = counts.get(b, 0) + layer.count_params()",
))


# ------------------------------------------------ exercise 4: a decision
def _millions(blocks) -> str:
    return f"{sum(vgg19_block_params(b) for b in blocks) / 1e6:.1f} M"


@checker
def check_blocks_to_unfreeze(blocks_to_unfreeze) -> bool:
    """Decision: with about 400 training images, which VGG19 blocks (1-5) to unfreeze for fine-tuning?"""
    if blocks_to_unfreeze is None:
        return not_attempted("blocks_to_unfreeze")
    try:
        answer = tuple(sorted({int(b) for b in blocks_to_unfreeze}))
    except (TypeError, ValueError):
        return hint(f"answer with a list of block numbers, e.g. [3]; got {blocks_to_unfreeze!r}")
    if any(not 1 <= b <= 5 for b in answer):
        return hint(f"VGG19 has blocks 1 to 5; got {list(answer)}")
    trains = f"your choice trains {_millions(answer)} of the encoder's {_millions(range(1, 6))} parameters"
    if answer == (1, 2, 3, 4, 5):
        return hint(f"{trains}: on 400 images the model can memorise the training set and lose the ImageNet "
                    "features that made the encoder worth borrowing.")
    if answer and answer != tuple(range(answer[0], 6)):
        return hint(f"{trains}, and it keeps a later block frozen while an earlier one changes. Early blocks hold "
                    "generic edge and texture detectors, useful as they are; the last blocks are specific to "
                    "ImageNet's task, so unfreeze from the top down (block 5 first).")
    if len(answer) > 2:
        return hint(f"{trains}, more than 400 images can pin down. Unfreeze at most the last one or two blocks.")
    if not answer:
        return accept(f"{trains}: nothing. Safe with 400 images; the price is that block 5 keeps features made "
                      "for classifying ImageNet, not for colouring. Unfreezing the last block at a low learning "
                      "rate is the usual next step, watched on the validation split.")
    return accept(f"{trains}: the task-specific top of the network, after the decoder has trained with the "
                  "encoder frozen, at a low learning rate. Note the measured sizes: the last block is also the "
                  f"largest ({_millions([5])}), so watch the validation error for overfitting.")


ex4 = Exercise("03", 4, "blocks_to_unfreeze", check_blocks_to_unfreeze, hints=(
    "Early blocks detect edges and textures that suit any photo; late blocks encode ImageNet's classes. "
    "Compare the parameter counts you measured with the 400 images there are to learn from.",
    "Unfreeze from the top down and few: none, [5] or [4, 5] are all defensible (the course's gpu recipe "
    "fine-tunes [4, 5]); say why in the reflection.",
))


# ------------------------------------------------ exercise 5: a U-Net decoder level
#: The check's fixed case: the deeper map ``x`` (side 4, 12 channels), the encoder's skip at twice the
#: side (8, 6 channels), and 5 filters; all three numbers differ, so a mix-up shows.
BLOCK_X_SHAPE, BLOCK_SKIP_SHAPE, BLOCK_FILTERS = (4, 4, 12), (8, 8, 6), 5


def decoder_block_reference(x, skip, filters: int, name: str = "ref"):
    """One level of :func:`course_lib.model.build_unet_decoder`, on Keras tensors.

    ``x (B, s, s, C)`` is upsampled 2x (bilinear) to the side of ``skip (B, 2s, 2s, C')``, the two are
    concatenated (``x`` first), then two 3x3 convolutions (no bias) + BatchNormalization + ReLU
    with ``filters`` filters each: the library's own ``_conv_bn_relu``.
    """
    import keras

    from course_lib.model import _conv_bn_relu

    x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}_upsample")(x)
    x = keras.layers.Concatenate(name=f"{name}_concat")([x, skip])
    x = _conv_bn_relu(x, filters, f"{name}_a")
    return _conv_bn_relu(x, filters, f"{name}_b")


def _decoder_block_variant(x, skip, filters: int, *, skip_first=False, interpolation="bilinear",
                           relu_before_bn=False):
    """A typical wrong version of the block, with the same weights as the reference (for naming the mistake)."""
    import keras

    x = keras.layers.UpSampling2D(2, interpolation=interpolation)(x)
    x = keras.layers.Concatenate()([skip, x] if skip_first else [x, skip])
    for _ in range(2):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        if relu_before_bn:
            x = keras.layers.BatchNormalization()(keras.layers.ReLU()(x))
        else:
            x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    return x


@float32_policy()
def _block_model(build, **kwargs):
    import keras

    x = keras.Input(BLOCK_X_SHAPE, name="x")
    skip = keras.Input(BLOCK_SKIP_SHAPE, name="skip")
    return keras.Model([x, skip], build(x, skip, BLOCK_FILTERS, **kwargs))


def _leaf_layers(model) -> list:
    """Every layer of ``model``, nested models opened, in order."""
    leaves = []
    for layer in model.layers:
        leaves.extend(_leaf_layers(layer) if hasattr(layer, "layers") else [layer])
    return leaves


def _convs_and_norms(model):
    import keras

    leaves = _leaf_layers(model)
    convs = [layer for layer in leaves if isinstance(layer, keras.layers.Conv2D)]
    norms = [layer for layer in leaves if isinstance(layer, keras.layers.BatchNormalization)]
    return convs, norms


def _block_weights(seed: int = 0) -> list:
    """Fixed weights for the two conv + BN pairs: ``[kernel, [gamma, beta, mean, variance]] * 2``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    weights, channels = [], BLOCK_X_SHAPE[2] + BLOCK_SKIP_SHAPE[2]
    for _ in range(2):
        kernel = rng.normal(0.0, 0.3, (3, 3, channels, BLOCK_FILTERS)).astype("float32")
        bn = [rng.uniform(0.5, 1.5, BLOCK_FILTERS), rng.normal(0.0, 0.2, BLOCK_FILTERS),
              rng.normal(0.0, 0.2, BLOCK_FILTERS), rng.uniform(0.5, 1.5, BLOCK_FILTERS)]
        weights.append((kernel, [w.astype("float32") for w in bn]))
        channels = BLOCK_FILTERS
    return weights


def _set_block_weights(model, weights) -> None:
    convs, norms = _convs_and_norms(model)
    for conv, norm, (kernel, bn) in zip(convs, norms, weights):
        conv.set_weights([kernel])
        norm.set_weights(bn)


def _block_inputs():
    import numpy as np

    rng = np.random.default_rng(1)
    return [rng.normal(0.0, 1.0, (2, *BLOCK_X_SHAPE)).astype("float32"),
            rng.normal(0.0, 1.0, (2, *BLOCK_SKIP_SHAPE)).astype("float32")]


def _explain_block_error(exc: Exception) -> str | None:
    text = str(exc)
    if "oncatenate" in text and "shape" in text:
        return ("Concatenate needs both inputs at the same side, but x is half the side of skip: upsample x "
                f"2x first ({type(exc).__name__}: {text.splitlines()[0][:160]}).")
    return None


def _library_differences(model, leaves, convs, norms) -> list[str]:
    """How an accepted block differs from a level of the library's decoder (notes, not faults)."""
    import keras

    notes = []
    if any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in leaves):
        notes.append("you upsample with a transposed convolution: it learns, but its overlapping strides tend to "
                     "leave checkerboard artefacts; the library uses UpSampling2D(2, interpolation='bilinear') "
                     "and lets the 3x3 convolutions that follow learn")
    upsamplings = [layer for layer in leaves if isinstance(layer, keras.layers.UpSampling2D)]
    if any(layer.interpolation != "bilinear" for layer in upsamplings):
        notes.append("your UpSampling2D repeats pixels (interpolation='nearest'): blockier colour edges than "
                     "the library's bilinear upsampling")
    if not norms:
        notes.append("there is no BatchNormalization: the library follows each convolution with "
                     "BatchNormalization then ReLU, which keeps training stable from the first epoch")
    if norms and any(getattr(conv, "use_bias", False) for conv in convs):
        notes.append("your convolutions have a bias that the BatchNormalization after them cancels (its beta "
                     "is the bias): the library writes Conv2D(..., use_bias=False)")
    return notes


def _same_as_library(model) -> bool | str:
    """True when ``model`` computes a level of the library's decoder; else a note naming a known variant."""
    import numpy as np

    reference = _block_model(decoder_block_reference)
    if model.count_params() != reference.count_params():
        return False
    weights, inputs = _block_weights(), _block_inputs()
    try:
        _set_block_weights(model, weights)
    except Exception:  # another structure: not the library's block, which is fine
        return False
    _set_block_weights(reference, weights)
    got = np.asarray(model(inputs, training=False))
    if np.allclose(got, np.asarray(reference(inputs, training=False)), rtol=1e-4, atol=1e-4):
        return True
    variants = (
        ({"skip_first": True}, "you concatenate [skip, x], the library [x, skip]: equivalent when trained, but "
                               "weights saved by the library's block would meet the channels in another order"),
        ({"relu_before_bn": True}, "your order is conv -> ReLU -> BN; the library's is conv -> BN -> ReLU "
                                   "(both train; the library's is the common choice)"),
    )
    for kwargs, message in variants:
        variant = _block_model(_decoder_block_variant, **kwargs)
        _set_block_weights(variant, weights)
        if np.allclose(got, np.asarray(variant(inputs, training=False)), rtol=1e-4, atol=1e-4):
            return message
    return False


@checker
def check_decoder_block(decoder_block: Callable | None) -> bool:
    """Check ``decoder_block(x, skip, filters) -> tensor`` on what it does: shape, and that x and skip both count.

    Any design that meets the specification passes (transposed or nearest upsampling, another order of the
    layers, a bias...); how it differs from a level of the library's decoder is printed as a note.
    """
    if decoder_block is None:
        return not_attempted("decoder_block")
    try:
        import keras
        import numpy as np
    except ImportError as exc:
        return hint(f"Keras is needed for this check ({exc}).")
    x = keras.Input(BLOCK_X_SHAPE, name="x")
    skip = keras.Input(BLOCK_SKIP_SHAPE, name="skip")
    ok, out = learner_answer(decoder_block, "decoder_block", x, skip, BLOCK_FILTERS, explain=_explain_block_error)
    if not ok:
        return False
    if not isinstance(out, keras.KerasTensor):
        return hint(f"return the output of your last layer, the Keras tensor you built from x and skip; "
                    f"got {type(out).__name__}.")
    case = f"x {(None, *BLOCK_X_SHAPE)}, skip {(None, *BLOCK_SKIP_SHAPE)}, filters={BLOCK_FILTERS}"
    try:
        model = keras.Model([x, skip], out)
    except Exception as exc:  # an output not built from the inputs
        return hint(f"your output is not built from the inputs x and skip ({type(exc).__name__}: {exc}). "
                    "Call each layer on the previous layer's output, starting from x and skip.")
    shape = tuple(out.shape[1:])
    want_shape = (2 * BLOCK_X_SHAPE[0], 2 * BLOCK_X_SHAPE[1], BLOCK_FILTERS)
    if shape != want_shape:
        if shape[:2] == BLOCK_X_SHAPE[:2]:
            return hint(f"for {case} your output is {shape}, the side of x: the block must grow x to the side "
                        "of skip (2x).")
        if len(shape) == 3 and shape[:2] == want_shape[:2]:
            return hint(f"for {case} your output has {shape[2]} channels; the block should end with `filters` "
                        f"({BLOCK_FILTERS}) channels.")
        return hint(f"for {case} your output is {shape}; expected {want_shape}: the side of skip, `filters` channels.")
    if not model.trainable_weights:
        return hint("your block has nothing to learn (no trainable weights): after combining x and skip it "
                    "needs convolutions that learn how to mix them.")
    # Behaviour: change one input at a time; the output must respond to both (the skip is the point of a U-Net).
    rng = np.random.default_rng(2)
    x_in, skip_in = _block_inputs()
    base = np.asarray(model([x_in, skip_in], training=False))
    for name, changed in (("skip", [x_in, skip_in + rng.normal(0.0, 1.0, skip_in.shape).astype("float32")]),
                          ("x", [x_in + rng.normal(0.0, 1.0, x_in.shape).astype("float32"), skip_in])):
        if np.allclose(np.asarray(model(changed, training=False)), base, atol=1e-6):
            if name == "skip":
                return hint(f"for {case}, changing skip does not change your output: the block ignores it. "
                            "Combine the grown x with skip (keras.layers.Concatenate() puts them side by side "
                            "along the channels) before the convolutions; that is what hands the decoder the "
                            "encoder's sharp edges.")
            return hint(f"for {case}, changing x does not change your output: the block ignores the deeper map, "
                        "which carries what the encoder recognised. Grow x to the side of skip and combine both.")
    leaves = _leaf_layers(model)
    convs, norms = _convs_and_norms(model)
    same = _same_as_library(model)
    if same is True:
        return accept(f"output {want_shape} from x and skip, {model.count_params():,} parameters, and with the "
                      "library's weights your block computes exactly a level of build_unet_decoder.")
    notes = _library_differences(model, leaves, convs, norms) + ([same] if isinstance(same, str) else [])
    return accept(f"output {want_shape}, and it responds to both x and skip: a working decoder block "
                  f"({model.count_params():,} parameters; the library's has "
                  f"{_block_model(decoder_block_reference).count_params():,})."
                  + "".join(f"\n   note: {note}." for note in notes))


ex5 = Exercise("03", 5, "decoder_block", check_decoder_block, hints=(
    "Two jobs: make x as large as skip, then mix the two with layers that learn. Which Keras layer puts two "
    "tensors side by side along the channels?",
    "Grow x with keras.layers.UpSampling2D (or a transposed convolution), combine with "
    "keras.layers.Concatenate()([x, skip]), then a couple of 3x3 Conv2D layers with padding='same' ending at "
    "`filters` channels.",
    "The library's version: UpSampling2D(2, interpolation='bilinear')(x); Concatenate()([x, skip]); then twice "
    "Conv2D(filters, 3, padding='same', use_bias=False), BatchNormalization(), ReLU().",
))
