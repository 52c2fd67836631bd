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


@pytest.mark.parametrize("check", [checks.check_conv_param_count, checks.check_vgg_feature_shape,
                                   checks.check_count_params_split])
def test_crashing_answer_is_reported_not_raised(check, capsys):
    def broken(*args):
        raise ZeroDivisionError("oops")

    assert check(broken) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


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
