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

from course_lib.checks.feedback import accept, checker, hint, judge_choice, learner_answer, not_attempted

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


# ---------------------------------------------------- exercise 3: trainable/frozen
def count_params_split_reference(model) -> tuple[int, int]:
    """``(trainable, frozen)`` parameter counts of a Keras model."""
    import numpy as np

    def total(weights) -> int:
        return int(sum(int(np.prod(w.shape)) for w in weights))

    return total(model.trainable_weights), total(model.non_trainable_weights)


def _small_partly_frozen_model():
    """A tiny model with one frozen convolution (a stand-in for the frozen encoder)."""
    import keras

    inputs = keras.Input((16, 16, 1))
    frozen = keras.layers.Conv2D(4, 3, padding="same", name="frozen_conv")
    frozen.trainable = False
    x = frozen(inputs)
    x = keras.layers.BatchNormalization()(x)  # moving mean/variance: never trainable
    outputs = keras.layers.Conv2D(2, 1, activation="tanh", name="head")(x)
    return keras.Model(inputs, outputs, name="check_model")


@checker
def check_count_params_split(count_params_split: Callable | None) -> bool:
    """Check ``count_params_split(model) -> (trainable, frozen)`` on a small partly frozen model."""
    if count_params_split is None:
        return not_attempted("count_params_split")
    try:
        model = _small_partly_frozen_model()
    except Exception as exc:  # Keras missing or broken: not the learner's fault, say so
        return hint(f"could not build the test model ({type(exc).__name__}: {exc}); is Keras installed?")
    ok, got = learner_answer(count_params_split, "count_params_split", model)
    if not ok:
        return False
    want = count_params_split_reference(model)
    try:
        got = tuple(int(v) for v in got)
    except (TypeError, ValueError):
        return hint(f"return a pair of integers (trainable, frozen); got {got!r}.")
    if got == want:
        return accept(f"on a small test model you count {want[0]} trainable and {want[1]} frozen "
                      "parameters, as Keras does.")
    if len(got) != 2:
        return hint(f"return exactly two numbers, (trainable, frozen); got {got}.")
    if got == (len(model.trainable_weights), len(model.non_trainable_weights)):
        return hint("you counted weight tensors, not parameters: add up the size (product of the shape) "
                    "of each tensor.")
    if got == want[::-1]:
        return hint("you have the two numbers swapped: trainable first, frozen second.")
    if sum(got) == sum(want):
        return hint(f"your total {sum(got)} is right but the split is not; expected {want}. Use "
                    "`model.trainable_weights` and `model.non_trainable_weights` (the latter also holds "
                    "BatchNormalization's moving statistics, which are never trained).")
    return hint(f"on a small test model you return {got}; expected {want}. Sum the sizes of the tensors "
                "in `model.trainable_weights` and in `model.non_trainable_weights`.")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("03", 1, "conv_param_count", check_conv_param_count, hints=(
    "Count per filter: one kernel spans every input channel, and each filter has a bias.",
    "(kernel_size * kernel_size * in_channels + 1) * filters.",
))
ex2 = Exercise("03", 2, "vgg_feature_shape", check_vgg_feature_shape, hints=(
    "Each block after the first starts behind a 2x2 max-pooling that halves the side; "
    "the block's pooling comes after its convolutions.",
    "side = image_size // 2 ** (block - 1); channels = (64, 128, 256, 512, 512)[block - 1].",
))
ex3 = Exercise("03", 3, "count_params_split", check_count_params_split, hints=(
    "model.trainable_weights and model.non_trainable_weights list tensors; count their numbers, not the tensors.",
    "sum(int(np.prod(w.shape)) for w in model.trainable_weights), and the same over non_trainable_weights.",
))


# ------------------------------------------------ exercise 4: a decision
@checker
def check_blocks_to_unfreeze(blocks_to_unfreeze) -> bool:
    """Decision: with about 400 training images, which VGG19 blocks (1-5) to unfreeze for fine-tuning?"""
    try:
        answer = sorted(int(b) for b in blocks_to_unfreeze) if blocks_to_unfreeze is not None else None
    except (TypeError, ValueError):
        return hint(f"answer with a list of block numbers, e.g. [3]; got {blocks_to_unfreeze!r}")
    return judge_choice(answer, "blocks_to_unfreeze", [(5,), (4, 5)], mistakes={
        (1, 2, 3, 4, 5): "all 20 million encoder parameters on 400 images: the model memorises the training "
                         "set and loses the ImageNet features that made the encoder worth borrowing.",
        (): "keeping everything frozen is safe, but the last block's features were made for classifying "
            "objects, not colouring them: letting it adapt is cheap and usually helps.",
        (1,): "block 1 holds generic edge and texture detectors, useful as they are; it is the last blocks "
              "that are specific to ImageNet's task.",
        (1, 2): "the early blocks are the generic ones; adapt the last ones, which are specific to ImageNet's task.",
    }, accepted="only the last block(s), after the decoder has trained with the encoder frozen, at a low "
                "learning rate: few parameters, little data needed.",
       otherwise="Think: which blocks are generic (edges), which specific to ImageNet's classes, and how many "
                 "parameters can 400 images pin down?")


ex4 = Exercise("03", 4, "blocks_to_unfreeze", check_blocks_to_unfreeze, hints=(
    "Early blocks detect edges and textures that suit any photo; late blocks encode ImageNet's classes. "
    "400 images cannot pin down millions of parameters.",
    "Unfreeze only the last block (or the last two): [5] or [4, 5].",
))
