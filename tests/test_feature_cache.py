"""Stage 1's feature cache: what it keeps (plan_feature_cache), the path the gpu recipe takes on
the dev copy's full train split, and that a partly cached stage 1 trains the same model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_lib import train as train_module
from course_lib.recipes import RECIPES
from course_lib.train import FEATURE_CACHE_LIMIT, _load_split, plan_feature_cache, stage1_feature_plan, train

TINY = dict(image_size=32, encoder_blocks=2, decoder_width=8, batch_size=4, verbose=0)


def test_plan_caches_the_deepest_maps_that_fit():
    shapes = [(8, 8, 4), (4, 4, 8), (2, 2, 16)]  # 256, 128, 64 values per image
    image = (8, 8, 1)  # 64 float32 values = 256 bytes per image
    full = plan_feature_cache(shapes, 10, image, limit=10_000)
    assert (full.path, full.bytes, full.all_bytes) == ("all cached", 448 * 2 * 10, 448 * 2 * 10)
    # Without the shallowest map: 192 float16 values + the 256-byte input, per image.
    partial = plan_feature_cache(shapes, 10, image, limit=(192 * 2 + 256) * 10)
    assert (partial.cached, partial.bytes, partial.path) == (2, (192 * 2 + 256) * 10, "deepest 2 of 3 cached")
    only_deepest = plan_feature_cache(shapes, 10, image, limit=(192 * 2 + 256) * 10 - 1)
    assert only_deepest.cached == 1 and only_deepest.bytes == (64 * 2 + 256) * 10
    none = plan_feature_cache(shapes, 10, image, limit=100)
    assert (none.cached, none.bytes, none.path) == (0, 0, "not cached") and "not cached" in none.describe()
    assert plan_feature_cache([(2, 2, 16)], 10, image, limit=64 * 2 * 10).path == "all cached"  # seed decoder


def test_gpu_recipe_on_the_dev_copy_caches_the_deepest_three_maps(ncd_dir):
    """The path the gpu recipe's stage 1 takes on the dev copy's full train split."""
    settings = RECIPES["gpu"]
    n_train = len(_load_split(ncd_dir)["train"])
    plan = stage1_feature_plan(settings, n_train)
    print(f"{n_train} training images, {plan.n_images} feature sets: all five maps {plan.all_bytes / 1e9:.1f} GB; "
          f"{plan.describe()}")
    assert plan.n_images == 2 * n_train  # with the mirror images
    assert plan.all_bytes > FEATURE_CACHE_LIMIT  # all five maps do not fit: the old claim was wrong
    assert plan.path == "deepest 3 of 5 cached"  # blocks 3-5 cached, blocks 1-2 recomputed every step
    assert plan.bytes <= FEATURE_CACHE_LIMIT
    # Each map is S / 2**(i - 1) px square with VGG19's channels; the plan's bytes are exactly these.
    s, n = settings.image_size, plan.n_images
    deep = sum((s // 2**(b - 1)) ** 2 * c for b, c in ((3, 256), (4, 512), (5, 512)))
    assert plan.bytes == n * (deep * 2 + s * s * 4)
    assert n * ((s // 2) ** 2 * 128 + deep) * 2 + n * s * s * 4 > FEATURE_CACHE_LIMIT  # one more map would not fit


def test_partly_cached_trainer_computes_what_the_colorizer_computes():
    from course_lib.model import build_colorizer

    keras.utils.set_random_seed(3)
    colorizer = build_colorizer(64, "unet", weights=None, encoder_blocks=3, decoder_width=8)
    encoder = colorizer.get_layer("encoder")
    l_norm = np.random.default_rng(0).uniform(-1, 1, (5, 64, 64, 1)).astype(np.float32)
    for cached in (1, 2):
        deep = train_module._encode(encoder, l_norm, batch_size=2, keep=cached)
        assert [f.shape[1:] for f in deep] == train_module.encoder_feature_shapes(encoder)[3 - cached:]
        assert all(f.dtype == np.float16 for f in deep)
        trainer = train_module._partly_cached_trainer(colorizer, cached)
        got = trainer.predict([l_norm, *[f.astype(np.float32) for f in deep]], verbose=0)
        # The only difference: the cached maps went through float16.
        np.testing.assert_allclose(got, colorizer.predict(l_norm, verbose=0), atol=2e-3)
        assert not any(layer.name.startswith("block3") for layer in trainer.get_layer("encoder_shallow").layers)


@pytest.fixture(scope="module")
def pretrained_file(tmp_path_factory):
    keras.utils.set_random_seed(11)
    path = tmp_path_factory.mktemp("vgg") / "vgg19_notop.weights.h5"
    keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3)).save_weights(path)
    return path


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


def test_stage_1_on_a_partial_cache_trains_the_decoder_and_resumes(tiny_data, pretrained_file, tmp_path,
                                                                   monkeypatch, capfd):
    """A limit that only the deepest map fits: stage 1 takes the partial path, trains the decoder
    only, and a run stopped after one epoch resumes with its optimizer state."""
    from course_lib.data import find_ncd_root, scan_dataset_summarized, split_dataset

    n_train = len(split_dataset(scan_dataset_summarized(find_ncd_root(tiny_data)).records)["train"])
    shapes, image_bytes = [(32, 32, 64), (16, 16, 128)], 32 * 32 * 4
    limit = 2 * n_train * (16 * 16 * 128 * 2 + image_bytes)  # mirror images included
    monkeypatch.setattr(train_module, "FEATURE_CACHE_LIMIT", limit)
    assert plan_feature_cache(shapes, 2 * n_train, (32, 32, 1)).path == "deepest 1 of 2 cached"

    run = tmp_path / "run"
    first = train(tiny_data, run, weights=str(pretrained_file), epochs=2, stop_after=1, **TINY)
    assert "the deepest 1 of 2 feature maps cached once" in capfd.readouterr().out
    decoder_after_1 = [w.copy() for w in keras.models.load_model(run / "checkpoints" / "last.keras")
                       .get_layer("decoder").get_weights()]
    result = train(tiny_data, run, weights=str(pretrained_file), epochs=2, resume=True, **TINY)
    assert first.epochs_done == 1 and result.epochs_done == 2 and np.isfinite(result.history["loss"]).all()
    model = keras.models.load_model(run / "checkpoints" / "last.keras")
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
    vgg.load_weights(pretrained_file)
    for name in ("block1_conv1", "block2_conv2"):  # frozen: exactly the file's weights
        for a, b in zip(model.get_layer("encoder").get_layer(name).get_weights(), vgg.get_layer(name).get_weights(),
                        strict=True):
            np.testing.assert_array_equal(a, b)
    changed = [not np.array_equal(a, b) for a, b in zip(model.get_layer("decoder").get_weights(), decoder_after_1,
                                                       strict=True)]
    assert any(changed)  # the decoder trained in epoch 2


def test_flop_count_of_the_gpu_recipe_follows_the_plan(ncd_dir, capsys):
    """benchmarks/gpu_recipe_flops.py: convolutions counted by hand on a small model, then the
    gpu recipe's table on the dev copy names the path of the plan above."""
    from conftest import REPO_ROOT, load_module
    from course_lib.model import build_colorizer

    flops = load_module(REPO_ROOT / "benchmarks" / "gpu_recipe_flops.py", "gpu_recipe_flops")
    macs = flops.conv_macs(build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8), 32)
    assert macs["encoder/block1_conv1"] == 32 * 32 * 9 * 3 * 64  # VGG sees L as three channels
    assert macs["encoder/block2_conv2"] == 16 * 16 * 9 * 128 * 128
    assert macs["decoder/ab_norm"] == 32 * 32 * 9 * 8 * 2
    assert flops.main(["--data", str(ncd_dir)]) == 0
    out = capsys.readouterr().out
    gpu = RECIPES["gpu"]
    assert "deepest 3 of 5 cached: blocks 1-2 forward + decoder x3" in out
    assert f"| whole run: {gpu.epochs} + {gpu.fine_tune_epochs} epochs |" in out
