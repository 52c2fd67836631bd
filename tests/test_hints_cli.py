"""Colour hints end to end: `train --hints`, `colorize --hint X,Y,#RRGGBB`, `evaluate --hints N` (tiny data)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from PIL import Image

from course_lib import cli

TINY = ["--image-size", "32", "--encoder-blocks", "2", "--decoder-width", "8", "--batch-size", "4",
        "--epochs", "2", "--weights", "none"]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


@pytest.fixture(scope="module")
def hint_run(tiny_data, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "hints"
    assert cli.main(["train", "--data", str(tiny_data), "--out", str(run), "--hints", *TINY]) == 0
    return run


def test_train_hints_records_the_setting_and_the_model_loads_with_keras(hint_run):
    import course_lib.model as cm  # registers the custom layers

    state = json.loads((hint_run / "checkpoints" / "state.json").read_text())
    assert state["settings"]["hints"] is True and state["epochs_done"] == 2
    model = keras.models.load_model(hint_run / "model.keras")
    assert model.input_shape == (None, 32, 32, 4) and cm.takes_hints(model)
    kernel = model.get_layer("encoder").get_layer("block1_conv1").get_weights()[0]
    assert np.abs(kernel[:, :, 3:]).max() > 0  # the hint weights started at 0 and learnt


def _gray_photo(path, width=60, height=40):
    rng = np.random.default_rng(0)
    gray = np.full((height, width), 235, np.uint8)
    gray[8:32, 15:45] = rng.integers(90, 140, (24, 30))  # an object on a light background
    Image.fromarray(np.stack([gray] * 3, axis=-1)).save(path)
    return path


def test_colorize_with_hints(hint_run, tmp_path, capsys):
    photo = _gray_photo(tmp_path / "photo.png")
    assert cli.main(["colorize", "--model", str(hint_run), str(photo), "--out", str(tmp_path / "plain")]) == 0
    assert cli.main(["colorize", "--model", str(hint_run), str(photo), "--out", str(tmp_path / "hinted"),
                     "--hint", "30,20,#d02020", "--hint", "20,12,#20d020"]) == 0
    plain = np.asarray(Image.open(tmp_path / "plain" / "photo_color.png"))
    hinted = np.asarray(Image.open(tmp_path / "hinted" / "photo_color.png"))
    assert plain.shape == hinted.shape == (40, 60, 3)
    assert not np.array_equal(plain, hinted)  # the hints reach the output
    capsys.readouterr()
    assert cli.main(["colorize", "--model", str(hint_run), str(photo), "--out", str(tmp_path / "x"),
                     "--hint", "30,20"]) == 2
    assert "X,Y,#RRGGBB" in capsys.readouterr().err
    assert cli.main(["colorize", "--model", str(hint_run), str(photo), "--out", str(tmp_path / "x"),
                     "--hint", "600,20,#d02020"]) == 2
    assert "outside the photo" in capsys.readouterr().err


def test_colorize_hint_on_an_automatic_model_is_refused(tmp_path, capsys):
    from course_lib.model import build_colorizer

    path = tmp_path / "auto.keras"
    build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8).save(path)
    photo = _gray_photo(tmp_path / "photo.png")
    assert cli.main(["colorize", "--model", str(path), str(photo), "--out", str(tmp_path / "o"),
                     "--hint", "3,3,#ff0000"]) == 2
    assert "train --hints" in capsys.readouterr().err


def test_evaluate_with_simulated_hints(hint_run, tiny_data, tmp_path):
    results = {}
    for n in (0, 3):
        out = tmp_path / f"h{n}.json"
        assert cli.main(["evaluate", "--model", str(hint_run), "--data", str(tiny_data), "--split", "all",
                         "--hints", str(n), "--json", str(out)]) == 0
        results[n] = json.loads(out.read_text())
    assert "hints" not in results[0]["settings"]
    assert results[3]["settings"] == {"hints": 3, "hint_seed": 0}
    assert "3 simulated hints" in results[3]["model"]
    # Same images, seeded hints: a second evaluation gives the same figure.
    again = tmp_path / "again.json"
    assert cli.main(["evaluate", "--model", str(hint_run), "--data", str(tiny_data), "--split", "all",
                     "--hints", "3", "--json", str(again)]) == 0
    assert json.loads(again.read_text())["dataset_image_mean"] == results[3]["dataset_image_mean"]


def test_the_pipeline_samples_new_reproducible_hints_each_epoch():
    from course_lib.pipeline import make_dataset_from_images

    rng = np.random.default_rng(0)
    images = np.full((8, 32, 32, 3), 255, np.uint8)
    images[:, 8:24, 8:24] = rng.integers(0, 200, (8, 1, 1, 3))  # one flat-coloured square per image
    dataset = make_dataset_from_images(images, 4, augment=False, shuffle=True, seed=0, hints=True)
    epochs = [[x.numpy() for x, _ in dataset] for _ in range(4)]
    for x, ab in dataset:
        x, ab = x.numpy(), ab.numpy()
        assert x.shape == (4, 32, 32, 4)
        inside = x[..., 3] > 0
        # Flat squares, hints centred on them: every revealed ab is the true ab there, up to the patch's edge.
        assert np.all(np.abs(x[..., 1:3][inside] - ab[inside]).max(axis=-1) <= np.abs(ab).max() + 1e-6)
        assert not x[..., 3][:, :4].any() and not x[..., 3][:, :, :4].any()  # never far into the white
    assert not all(np.array_equal(a, b) for a, b in zip(epochs[0], epochs[1], strict=True))  # new hints each epoch
    again = make_dataset_from_images(images, 4, augment=False, shuffle=True, seed=0, hints=True)
    np.testing.assert_array_equal(next(iter(again))[0].numpy(), epochs[0][0])  # same seed, same hints
