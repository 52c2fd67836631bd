"""Solutions to the exercises of notebooks/03_vgg19_autoencoder.ipynb (for instructors).

Each function is what a learner writes in the exercise cell of the same name; the
matching check in :mod:`course_lib.checks.autoencoder` accepts it.
"""

from __future__ import annotations


# Exercise 1 -- parameters of a convolution
def conv_param_count(kernel_size: int, in_channels: int, filters: int) -> int:
    """Parameters of ``Conv2D(filters, kernel_size)`` (with bias) on ``in_channels`` inputs."""
    # Every filter is a kernel_size x kernel_size x in_channels block of weights, plus one bias.
    return (kernel_size * kernel_size * in_channels + 1) * filters


# Exercise 2 -- shapes of VGG19's feature maps
def vgg_feature_shape(image_size: int, block: int) -> tuple[int, int, int]:
    """``(side, side, channels)`` of the last convolution of VGG19 block ``block`` (1..5)."""
    channels = (64, 128, 256, 512, 512)[block - 1]
    # Block 1 works at full size; each later block starts after a 2x2 pooling.
    side = image_size // 2 ** (block - 1)
    return (side, side, channels)


# Exercise 3 -- trainable versus frozen parameters
def count_params_split(model) -> tuple[int, int]:
    """``(trainable, frozen)`` parameter counts of a Keras model."""
    import numpy as np

    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return trainable, frozen
