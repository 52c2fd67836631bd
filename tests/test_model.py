"""The VGG19 colorizer: shapes, weights options, decoders, saving and loading."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest

from course_lib import model as cm
from course_lib.errors import CourseError, ModelFileError, WeightsUnavailableError

SIZE = 32  # the smallest input VGG19 accepts: keeps these tests fast


@pytest.fixture(scope="module")
def l_batch():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (2, SIZE, SIZE, 1)).astype(np.float32)


@pytest.mark.parametrize("decoder", ["unet", "seed"])
@pytest.mark.parametrize("blocks", [2, 5])
def test_colorizer_maps_l_to_ab_in_tanh_range(decoder, blocks, l_batch):
    model = cm.build_colorizer(SIZE, decoder=decoder, weights=None, encoder_blocks=blocks)
    assert model.input_shape == (None, SIZE, SIZE, 1)
    assert model.output_shape == (None, SIZE, SIZE, 2)
    ab = model.predict_on_batch(l_batch)
    assert ab.dtype == np.float32 and np.abs(ab).max() <= 1.0
    # The encoder keeps exactly the VGG19 blocks asked for.
    conv_blocks = {layer.name[:6] for layer in cm.encoder_layers(model) if "conv" in layer.name}
    assert conv_blocks == {f"block{i}" for i in range(1, blocks + 1)}


def test_unet_decoder_receives_every_kept_block():
    model = cm.build_colorizer(SIZE, "unet", weights=None, encoder_blocks=3)
    encoder = model.get_layer("encoder")
    assert [tuple(t.shape[1:]) for t in encoder.outputs] == [(32, 32, 64), (16, 16, 128), (8, 8, 256)]


def test_preprocessing_matches_vgg_caffe_mode():
    # L = 100 (white) -> 255 in every channel, minus the ImageNet BGR means.
    white = np.ones((1, 2, 2, 1), np.float32)  # L_norm = 1
    out = keras.ops.convert_to_numpy(cm.VGGPreprocess()(white))
    expected = keras.applications.vgg19.preprocess_input(np.full((1, 2, 2, 3), 255.0, np.float32))
    np.testing.assert_allclose(out, expected, atol=1e-3)


def test_local_weights_file_is_actually_loaded(tmp_path, l_batch):
    keras.utils.set_random_seed(123)
    source = keras.applications.VGG19(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    path = tmp_path / "vgg19_notop.weights.h5"
    source.save_weights(path)
    expected = {w.path.split("/")[-2]: w.numpy() for w in source.weights}  # "block1_conv1" -> kernel/bias

    keras.utils.set_random_seed(999)  # a different random init, which loading must overwrite
    model = cm.build_colorizer(SIZE, "unet", weights=str(path), encoder_blocks=5)
    layers = cm.encoder_layers(model)
    assert len(layers) == 16 + 4  # 16 convolutions + 4 pools (block5_pool is not needed)
    for layer in layers:
        for got, want in zip(layer.get_weights(), source.get_layer(layer.name).get_weights(), strict=True):
            np.testing.assert_array_equal(got, want)
    assert set(expected) >= {layer.name for layer in layers if layer.weights}


def test_missing_or_wrong_weights_file_says_what_to_do(tmp_path):
    with pytest.raises(WeightsUnavailableError, match="not found.*none"):
        cm.build_colorizer(SIZE, weights=str(tmp_path / "nope.h5"))
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"not an hdf5 file")
    with pytest.raises(WeightsUnavailableError, match="include_top=False"):
        cm.build_colorizer(SIZE, weights=str(bad))


def test_imagenet_without_network_fails_with_instructions(monkeypatch, tmp_path):
    from keras.src.utils import file_utils

    def no_network(*args, **kwargs):
        # What Keras really raises (about 190 characters).
        raise Exception(f"URL fetch failure on {cm.IMAGENET_NOTOP_URL}: None -- [Errno -2] Name or service not known")

    monkeypatch.setattr(file_utils, "get_file", no_network)
    with pytest.raises(WeightsUnavailableError) as info:
        cm.build_colorizer(SIZE, weights="imagenet")
    message = str(info.value)
    assert cm.IMAGENET_NOTOP_URL in message and "--weights PATH" in message and "--weights none" in message
    assert "[Errno -2] Name or service not known)" in message  # the cause, whole


def test_quoted_exception_texts_are_cut_at_a_word_boundary():
    from course_lib.errors import describe_exception

    long = OSError("the file " + " ".join(f"word{i}" for i in range(100)))
    text = describe_exception(long, limit=60)
    assert text.startswith("OSError: the file word0") and text.endswith(" ...") and len(text) <= len("OSError: ") + 60 + len(" ...")
    assert text[: -len(" ...")].split()[-1] in {f"word{i}" for i in range(100)}  # a whole word
    assert describe_exception(ValueError("first line\n  Traceback dump\n")) == "ValueError: first line ..."
    assert describe_exception(KeyError()) == "KeyError"


def test_bad_settings_are_course_errors():
    with pytest.raises(CourseError, match="decoder"):
        cm.build_colorizer(SIZE, decoder="gan", weights=None)
    with pytest.raises(CourseError, match="multiple of 16"):
        cm.build_colorizer(40, weights=None, encoder_blocks=4)


def test_save_and_load_round_trip(tmp_path, l_batch):
    model = cm.build_colorizer(SIZE, "unet", weights=None, encoder_blocks=2)
    path = tmp_path / "model.keras"
    model.save(path)
    expected = model.predict_on_batch(l_batch)
    np.testing.assert_allclose(cm.load_colorizer(path).predict_on_batch(l_batch), expected, atol=1e-6)
    np.testing.assert_allclose(cm.load_colorizer(tmp_path).predict_on_batch(l_batch), expected, atol=1e-6)
    assert cm.model_image_size(cm.load_colorizer(path)) == SIZE

    # A fresh Python: importing course_lib.model is all keras.models.load_model needs.
    code = (
        "import course_lib.model, keras, numpy as np, sys;"
        f"m = keras.models.load_model(r'{path}');"
        "print(m.output_shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"(None, {SIZE}, {SIZE}, 2)" in out.stdout


def test_classification_head_gives_logits_per_bin_and_loads_like_the_others(tmp_path, l_batch):
    from course_lib.classification import ab_bins
    from course_lib.classification_head import decode_output, is_classification_model, model_bins

    model = cm.build_colorizer(SIZE, "unet", weights=None, encoder_blocks=2, decoder_width=8, head="classification")
    q = len(ab_bins())
    assert model.output_shape == (None, SIZE, SIZE, q) and model.name == "colorizer_unet_cls"
    path = tmp_path / "model.keras"
    model.save(path)
    code = (
        "import course_lib.model, keras, numpy as np;"
        f"m = keras.models.load_model(r'{path}');"
        "from course_lib.classification_head import model_bins; print(m.output_shape, model_bins(m).shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"(None, {SIZE}, {SIZE}, {q}) ({q}, 2)" in out.stdout
    loaded = cm.load_colorizer(path)
    np.testing.assert_array_equal(model_bins(loaded), ab_bins())
    ab_norm = decode_output(loaded, loaded.predict_on_batch(l_batch))
    assert ab_norm.shape == (2, SIZE, SIZE, 2) and is_classification_model(loaded)
    assert not is_classification_model(cm.build_colorizer(SIZE, "seed", weights=None, encoder_blocks=2))
    with pytest.raises(CourseError, match="unknown head"):
        cm.build_colorizer(SIZE, weights=None, head="gan")


def test_load_colorizer_errors(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        cm.load_colorizer(tmp_path / "missing.keras")
    junk = tmp_path / "junk.keras"
    junk.write_text("not a model")
    with pytest.raises(ModelFileError, match="could not load"):
        cm.load_colorizer(junk)


def test_load_colorizer_keeps_a_bug_a_bug(tmp_path, monkeypatch):
    """Only a bad file becomes a user error; a failure inside the code keeps its own type."""
    model_path = tmp_path / "model.keras"
    cm.build_colorizer(SIZE, "seed", weights=None, encoder_blocks=2).save(model_path)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the loading code")

    monkeypatch.setattr(cm.keras.models, "load_model", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cm.load_colorizer(model_path)


def test_set_encoder_trainable_freezes_and_unfreezes_blocks():
    model = cm.build_colorizer(SIZE, "unet", weights=None, encoder_blocks=3)
    n_decoder = len(model.get_layer("decoder").trainable_weights)
    cm.set_encoder_trainable(model, None)
    assert len(model.trainable_weights) == n_decoder
    cm.set_encoder_trainable(model, [3])
    assert len(model.trainable_weights) == n_decoder + 4 * 2  # block3: 4 convs, kernel + bias
    cm.set_encoder_trainable(model, "all")
    assert len(model.trainable_weights) == n_decoder + (2 + 2 + 4) * 2


# Ops that raise UnimplementedError on a GPU under tf.config.experimental.enable_op_determinism,
# because they have no deterministic GPU kernel. Sources: the TensorFlow determinism RFC's op list
# (tensorflow/community rfcs/20210119-determinism.md), less the ops that TensorFlow 2.7/2.8 gave
# deterministic GPU kernels (RELEASE.md of 2.8, "Deterministic Op Functionality"); the nearest-
# neighbour resize gradient's exception is tensorflow PR 51023.
GPU_NONDETERMINISTIC_OPS = {
    "ResizeNearestNeighborGrad": "tf.image.resize(method=NEAREST) gradient; UpSampling2D(interpolation='nearest')",
    "CropAndResizeGradImage": "tf.image.crop_and_resize gradient w.r.t. the image",
    "CropAndResizeGradBoxes": "tf.image.crop_and_resize gradient w.r.t. the boxes",
    "AdjustContrastv2": "tf.image.adjust_contrast",
    "DepthwiseConv2dNativeBackpropFilter": "tf.nn.depthwise_conv2d gradient w.r.t. the filter",
    "SparseTensorDenseMatMul": "tf.sparse.sparse_dense_matmul",
    "SoftmaxCrossEntropyWithLogits": "tf.nn.softmax_cross_entropy_with_logits",
}


def _training_step_ops(decoder: str, head: str = "regression", hints: bool = False) -> set[str]:
    """Op types in the graph of one training step (forward, loss, gradients, Adam update)."""
    import tensorflow as tf

    from course_lib.train import make_loss, make_optimizer

    model = cm.build_colorizer(32, decoder, weights=None, encoder_blocks=2, decoder_width=8, head=head, hints=hints)
    loss_fn, optimizer = make_loss("mse"), make_optimizer(1e-3, 10)
    if head == "classification":  # the rebalanced cross-entropy, as train() compiles it
        from course_lib.classification_head import model_bins

        bins = model_bins(model)
        loss_fn = cm.RebalancedCrossEntropy(bins, np.ones(len(bins), np.float32))
    optimizer.build(model.trainable_variables)

    @tf.function
    def step(l_norm, ab_norm):
        with tf.GradientTape() as tape:
            loss = loss_fn(ab_norm, model(l_norm, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    channels = 4 if hints else 1
    graph = step.get_concrete_function(tf.TensorSpec((2, 32, 32, channels)), tf.TensorSpec((2, 32, 32, 2))).graph
    ops = {op.type for op in graph.get_operations()}
    for function in graph.as_graph_def().library.function:  # ops inside nested functions too
        ops |= {node.op for node in function.node_def}
    return ops


@pytest.mark.parametrize("decoder, head, hints", [("unet", "regression", False), ("seed", "regression", False),
                                                  ("unet", "classification", False), ("unet", "regression", True)])
def test_every_decoder_trains_under_gpu_op_determinism(decoder, head, hints):
    ops = _training_step_ops(decoder, head, hints)
    assert {"Conv2DBackpropFilter", "MaxPoolGrad"} <= ops  # the graph really holds the backward pass
    if head == "classification":  # the loss really is in the graph: soft encoding and log-softmax
        assert {"TopKV2", "OneHot", "LogSoftmax"} <= ops
    offending = {op: GPU_NONDETERMINISTIC_OPS[op] for op in ops if op in GPU_NONDETERMINISTIC_OPS}
    assert not offending, (f"{decoder} decoder, {head} head{', hints' if hints else ''} would crash a deterministic "
                           f"GPU run: {offending}")


def test_the_op_check_sees_a_nearest_neighbour_resize():
    """The check can fail: tf.image.resize(method="nearest") puts the offending gradient in the graph.

    (Keras 3's ``UpSampling2D(interpolation="nearest")``, which the seed decoder uses, is a
    repeat -- Tile and Reshape -- whose gradient is deterministic, so it needs no change.)
    """
    import tensorflow as tf

    x = tf.Variable(tf.ones((1, 4, 4, 1)))

    @tf.function
    def grad():
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.image.resize(x, (8, 8), method="nearest"))
        return tape.gradient(y, x)

    ops = {op.type for op in grad.get_concrete_function().graph.get_operations()}
    assert "ResizeNearestNeighborGrad" in ops and "ResizeNearestNeighborGrad" in GPU_NONDETERMINISTIC_OPS


def test_hint_model_starts_as_the_automatic_model_and_loads_with_plain_keras(tmp_path):
    """Hints enter through an extended block1_conv1 whose extra weights start at zero (course_lib.hints)."""
    from course_lib.hints import model_input

    model = cm.build_colorizer(SIZE, "unet", weights=None, encoder_blocks=2, decoder_width=8, hints=True)
    assert model.input_shape == (None, SIZE, SIZE, 4) and model.output_shape == (None, SIZE, SIZE, 2)
    assert cm.takes_hints(model) and cm.model_image_size(model) == SIZE
    kernel = model.get_layer("encoder").get_layer("block1_conv1").get_weights()[0]
    assert kernel.shape == (3, 3, 6, 64) and not kernel[:, :, 3:].any() and kernel[:, :, :3].any()
    rng = np.random.default_rng(1)
    l_norm = rng.uniform(-1, 1, (2, SIZE, SIZE, 1)).astype(np.float32)
    hint_maps = np.zeros((2, SIZE, SIZE, 3), np.float32)
    hint_maps[:, 10:13, 10:13] = (0.5, -0.3, 1.0)
    without = model.predict_on_batch(model_input(l_norm))
    np.testing.assert_allclose(model.predict_on_batch(model_input(l_norm, hint_maps)), without, atol=1e-6)
    # A trained-looking kernel: the hints now change the output, and survive saving and loading.
    kernel[:, :, 3:] = rng.normal(0, 0.05, kernel[:, :, 3:].shape)
    bias = model.get_layer("encoder").get_layer("block1_conv1").get_weights()[1]
    model.get_layer("encoder").get_layer("block1_conv1").set_weights([kernel, bias])
    with_hints = model.predict_on_batch(model_input(l_norm, hint_maps))
    assert np.abs(with_hints - without).max() > 1e-3
    path = tmp_path / "hints.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict_on_batch(model_input(l_norm, hint_maps)), with_hints, atol=1e-6)
    # A frozen (pretrained) encoder keeps the first convolution trainable: it is where the hints come in.
    cm.set_encoder_trainable(loaded, None)
    trainable = {w.path.split("/")[-2] for w in loaded.get_layer("encoder").trainable_weights}
    assert trainable == {"block1_conv1"}
