"""The checks of notebook 03 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

import numpy as np
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


def test_params_per_block_reference_matches_keras_vgg19():
    from course_lib.model import build_encoder

    encoder = build_encoder(64, weights=None)
    counts = checks.params_per_block_reference(encoder)
    assert counts == {b: checks.vgg19_block_params(b) for b in range(1, 6)}
    assert sum(counts.values()) == encoder.count_params()  # the preprocessing layer has no parameters


def test_params_per_block_reference_counts_frozen_layers_and_skips_others():
    model = checks._small_vgg_like_model()
    counts = checks.params_per_block_reference(model)
    assert counts == {1: (9 * 3 + 1) * 4 + (9 * 4 + 1) * 4, 2: (9 * 4 + 1) * 6,
                      3: (9 * 6 + 1) * 8 + (8 + 1) * 8 + (9 * 8 + 1) * 8}
    assert sum(counts.values()) == model.count_params() - model.get_layer("vgg_preprocess").count_params()


# ------------------------------------------------------- solutions are accepted
def test_solutions_accepted(capsys):
    assert checks.check_conv_param_count(solutions.conv_param_count)
    assert checks.check_vgg_feature_shape(solutions.vgg_feature_shape)
    assert checks.check_params_per_block(solutions.params_per_block)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out


# --------------------------------------------------- stubs and mistakes caught
@pytest.mark.parametrize("check", [checks.check_conv_param_count, checks.check_vgg_feature_shape,
                                   checks.check_params_per_block])
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


def test_params_per_block_accepts_another_implementation(capsys):
    import re

    def by_regex(model):
        counts = {}
        for layer in model.layers:
            match = re.match(r"block(\d+)_", layer.name)
            if match:
                counts[int(match.group(1))] = counts.get(int(match.group(1)), 0) + sum(
                    int(np.prod(w.shape)) for w in layer.weights)
        return counts

    assert checks.check_params_per_block(by_regex)
    assert "accepted" in capsys.readouterr().out


def _counting(model, *, key=lambda b: b, value=lambda layer: layer.count_params(), keep=lambda layer: True):
    counts = {}
    for layer in model.layers:
        if layer.name.startswith("block") and keep(layer):
            block = int(layer.name.split("_")[0][5:])
            counts[key(block)] = counts.get(key(block), 0) + value(layer)
    return counts


@pytest.mark.parametrize("wrong, words", [
    (lambda m: _counting(m, value=lambda layer: 1), "counted layers"),
    (lambda m: _counting(m, key=lambda b: f"block{b}"), "strings"),
    (lambda m: _counting(m, value=lambda layer: sum(int(np.prod(w.shape)) for w in layer.trainable_weights)),
     "frozen"),
    (lambda m: {**_counting(m), 1: _counting(m)[1] + m.get_layer("vgg_preprocess").count_params()}, "belong to no block"),
    (lambda m: [layer.count_params() for layer in m.layers], "return a dict"),
    (lambda m: {0: 1}, "blocks [1, 2, 3]"),
])
def test_params_per_block_typical_mistakes(wrong, words, capsys):
    assert not checks.check_params_per_block(wrong)
    assert words in capsys.readouterr().out


@pytest.mark.parametrize("answer, passed, words", [
    ([5], True, "9.4 M"), ([4, 5], True, "17.7 M"), ([], True, "nothing"),
    ([1, 2, 3, 4, 5], False, "memorise"), ([1], False, "top down"), ([3, 4, 5], False, "at most"),
    ([6], False, "blocks 1 to 5"), ("five", False, "list of block numbers"), (None, False, "not attempted"),
])
def test_blocks_to_unfreeze_reports_what_the_choice_trains(answer, passed, words, capsys):
    assert checks.check_blocks_to_unfreeze(answer) is passed
    assert words in capsys.readouterr().out


def test_vgg19_block_params_match_keras():
    import keras

    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
    for block in range(1, 6):
        keras_count = sum(layer.count_params() for layer in vgg.layers if layer.name.startswith(f"block{block}_"))
        assert checks.vgg19_block_params(block) == keras_count


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
    ({"concat": None}, "ignores it"),
    ({"upsample": None}, "upsample x 2x first"),
], ids=["forgot-skip", "no-upsampling"])
def test_decoder_block_mistakes_are_caught(kwargs, words, capsys):
    assert checks.check_decoder_block(_block(**kwargs)) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out


@pytest.mark.parametrize("kwargs, words", [
    ({"upsample": "nearest"}, "bilinear"),
    ({"transposed": True}, "transposed convolution"),
    ({"order": None}, "no BatchNormalization"),
    ({"concat": "skip_first"}, "[skip, x]"),
    ({"order": "relu_bn"}, "conv -> ReLU -> BN"),
    ({"conv": "bias"}, "use_bias=False"),
], ids=["nearest", "transposed-conv", "no-bn", "concat-order", "relu-before-bn", "bias"])
def test_decoder_block_other_designs_pass_with_a_note(kwargs, words, capsys):
    """Building, not reproducing: a working design passes; how it differs from the library's is a note."""
    assert checks.check_decoder_block(_block(**kwargs)) is True
    out = capsys.readouterr().out
    assert "accepted" in out and "note:" in out and words in out


def test_decoder_block_a_design_of_its_own_passes(capsys):
    import keras

    def added_not_concatenated(x, skip, filters):
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
        skip = keras.layers.Conv2D(filters, 1)(skip)
        return keras.layers.Conv2D(filters, 5, padding="same", activation="relu")(keras.layers.Add()([x, skip]))

    assert checks.check_decoder_block(added_not_concatenated) is True
    assert "responds to both x and skip" in capsys.readouterr().out


def test_decoder_block_ignoring_x_or_learning_nothing_is_caught(capsys):
    import keras

    def skip_only(x, skip, filters):
        return keras.layers.Conv2D(filters, 3, padding="same")(skip)

    assert checks.check_decoder_block(skip_only) is False
    assert "ignores the deeper map" in capsys.readouterr().out  # x is not even an input of the output
    def no_weights(x, skip, filters):
        both = keras.layers.Concatenate()([keras.layers.UpSampling2D(2)(x), skip])
        return keras.layers.Lambda(lambda t: t[..., :filters])(both)

    assert checks.check_decoder_block(no_weights) is False
    assert "nothing to learn" in capsys.readouterr().out


def test_decoder_block_wrong_filters_and_odd_answers(capsys):
    import keras

    assert not checks.check_decoder_block(lambda x, skip, filters: _block()(x, skip, filters + 1))
    assert "filters" in capsys.readouterr().out
    assert not checks.check_decoder_block(lambda x, skip, filters: keras.Input((8, 8, 5)))
    assert "not built from the inputs" in capsys.readouterr().out
    assert checks.check_decoder_block(None) is False and checks.check_decoder_block(lambda *a: None) is False
    assert "not attempted" in capsys.readouterr().out
