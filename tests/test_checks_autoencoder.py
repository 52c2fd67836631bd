"""The checks of notebook 03 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

import pytest

from course_lib.checks import autoencoder as checks
from conftest import load_solutions


solutions = load_solutions("03_vgg19_autoencoder")


# ----------------------------------------------------- the references are right
@pytest.mark.parametrize("kernel_size, in_channels, filters", [(3, 3, 64), (1, 64, 2), (5, 7, 3)])
def test_conv_reference_matches_keras(kernel_size, in_channels, filters):
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size)
    layer.build((None, 8, 8, in_channels))
    assert checks.conv_param_count_reference(kernel_size, in_channels, filters) == layer.count_params()


def test_feature_shape_reference_matches_keras_vgg19():
    import keras

    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(64, 64, 3))
    for block, n_convs in enumerate(checks.VGG19_BLOCK_CONVS, start=1):
        layer = vgg.get_layer(f"block{block}_conv{n_convs}")
        assert tuple(layer.output.shape[1:]) == checks.vgg_feature_shape_reference(64, block)


def test_feature_shape_reference_rejects_unknown_block():
    with pytest.raises(ValueError):
        checks.vgg_feature_shape_reference(224, 6)


def test_count_split_reference_matches_keras_counts():
    model = checks._small_partly_frozen_model()
    trainable, frozen = checks.count_params_split_reference(model)
    assert trainable + frozen == model.count_params()
    # the frozen conv (3*3*1+1)*4 = 40 plus BatchNorm's moving mean and variance (2*4)
    assert frozen == 40 + 8


# ------------------------------------------------------- solutions are accepted
def test_solutions_accepted(capsys):
    assert checks.check_conv_param_count(solutions.conv_param_count)
    assert checks.check_vgg_feature_shape(solutions.vgg_feature_shape)
    assert checks.check_count_params_split(solutions.count_params_split)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out


# --------------------------------------------------- stubs and mistakes caught
@pytest.mark.parametrize("check", [checks.check_conv_param_count, checks.check_vgg_feature_shape,
                                   checks.check_count_params_split])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


def test_conv_forgetting_the_bias(capsys):
    assert not checks.check_conv_param_count(lambda k, c, f: k * k * c * f)
    assert "bias" in capsys.readouterr().out


def test_conv_forgetting_input_channels(capsys):
    assert not checks.check_conv_param_count(lambda k, c, f: (k * k + 1) * f)
    assert "in_channels" in capsys.readouterr().out


def test_feature_shape_pooling_off_by_one(capsys):
    def after_pooling(image_size, block):
        side = image_size // 2 ** block
        return (side, side, (64, 128, 256, 512, 512)[block - 1])

    assert not checks.check_vgg_feature_shape(after_pooling)
    assert "pooling" in capsys.readouterr().out


def test_feature_shape_wrong_channels(capsys):
    def doubling_forever(image_size, block):
        side = image_size // 2 ** (block - 1)
        return (side, side, 64 * 2 ** (block - 1))

    assert not checks.check_vgg_feature_shape(doubling_forever)
    assert "channel" in capsys.readouterr().out


def test_count_split_counting_tensors(capsys):
    assert not checks.check_count_params_split(
        lambda m: (len(m.trainable_weights), len(m.non_trainable_weights)))
    assert "tensors" in capsys.readouterr().out


def test_count_split_swapped(capsys):
    assert not checks.check_count_params_split(lambda m: solutions.count_params_split(m)[::-1])
    assert "swapped" in capsys.readouterr().out


def test_count_split_ignoring_batchnorm_statistics(capsys):
    # a common shortcut: frozen = parameters of layers with trainable=False only
    def by_layer_flag(model):
        frozen = sum(layer.count_params() for layer in model.layers if not layer.trainable)
        return model.count_params() - frozen, frozen

    assert not checks.check_count_params_split(by_layer_flag)
    assert "non_trainable_weights" in capsys.readouterr().out


# ------------------------------------------------ exercise 5: a U-Net decoder level
def test_decoder_block_reference_is_a_level_of_the_library_decoder():
    """The checker's reference computes what level 1 of build_unet_decoder computes, with its weights."""
    import keras
    import numpy as np

    from course_lib.model import build_unet_decoder

    decoder = build_unet_decoder(32, 2, width=8)
    probe = keras.Model(decoder.inputs, [decoder.get_layer("up2b_relu").output, decoder.get_layer("up1b_relu").output])
    rng = np.random.default_rng(0)
    skips = [rng.normal(size=(2, 32, 32, 64)).astype("float32"), rng.normal(size=(2, 16, 16, 128)).astype("float32")]
    deeper, level1 = (np.asarray(t) for t in probe(skips, training=False))

    x, skip = keras.Input((16, 16, 16)), keras.Input((32, 32, 64))
    reference = keras.Model([x, skip], checks.decoder_block_reference(x, skip, 8))
    for part in ("a", "b"):
        for kind in ("conv", "bn"):
            reference.get_layer(f"ref_{part}_{kind}").set_weights(decoder.get_layer(f"up1{part}_{kind}").get_weights())
    np.testing.assert_allclose(np.asarray(reference([deeper, skips[0]], training=False)), level1, rtol=1e-5, atol=1e-5)


def test_decoder_block_solution_accepted(capsys):
    assert checks.check_decoder_block(solutions.decoder_block)
    out = capsys.readouterr().out
    assert "accepted" in out and "1,075 parameters" in out


def _block(*, upsample="bilinear", concat="x_first", conv="plain", order="bn_relu", transposed=False):
    """A learner's decoder_block with one typical mistake."""
    import keras

    layers = keras.layers

    def decoder_block(x, skip, filters):
        if transposed:
            x = layers.Conv2DTranspose(x.shape[-1], 2, strides=2)(x)
        elif upsample:
            x = layers.UpSampling2D(2, interpolation=upsample)(x)
        if concat == "x_first":
            x = layers.Concatenate()([x, skip])
        elif concat == "skip_first":
            x = layers.Concatenate()([skip, x])
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=conv == "bias")(x)
            if order == "bn_relu":
                x = layers.ReLU()(layers.BatchNormalization()(x))
            elif order == "relu_bn":
                x = layers.BatchNormalization()(layers.ReLU()(x))
            else:  # no batch normalisation
                x = layers.ReLU()(x)
        return x

    return decoder_block


@pytest.mark.parametrize("kwargs, words", [
    ({"concat": None}, "forgot the skip"),
    ({"upsample": "nearest"}, "bilinear"),
    ({"transposed": True}, "transposed convolution"),
    ({"order": None}, "no BatchNormalization"),
    ({"concat": "skip_first"}, "[skip, x]"),
    ({"order": "relu_bn"}, "conv -> ReLU -> BN"),
    ({"conv": "bias"}, "use_bias=False"),
    ({"upsample": None}, "upsample x 2x first"),
], ids=["forgot-skip", "nearest", "transposed-conv", "no-bn", "concat-order", "relu-before-bn", "bias", "no-upsampling"])
def test_decoder_block_typical_mistakes(kwargs, words, capsys):
    assert checks.check_decoder_block(_block(**kwargs)) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out


def test_decoder_block_wrong_filters_and_odd_answers(capsys):
    import keras

    assert not checks.check_decoder_block(lambda x, skip, filters: _block()(x, skip, filters + 1))
    assert "filters" in capsys.readouterr().out
    assert not checks.check_decoder_block(lambda x, skip, filters: keras.Input((8, 8, 5)))
    assert "not built from the inputs" in capsys.readouterr().out
    assert checks.check_decoder_block(None) is False and checks.check_decoder_block(lambda *a: None) is False
    assert "not attempted" in capsys.readouterr().out
