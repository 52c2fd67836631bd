"""Semantic accuracy (a category classifier on colorized photos) and the classifier two-sample test."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from PIL import Image

from course_lib import cli
from course_lib.semantic import (CLASSIFIER_FILE, CLASSIFIER_SETTINGS_FILE, CategoryClassifier, ClassifierError,
                                 ClassifierSettings, train_classifier, two_sample_test, wilson_interval)


@pytest.fixture(scope="module")
def red_and_blue(tmp_path_factory):
    """An NCD-layout folder: reddish photos in Red/, bluish ones in Blue/ (each a little noisy)."""
    root = tmp_path_factory.mktemp("rb") / "data"
    rng = np.random.default_rng(0)
    for name, channel in (("Red", 0), ("Blue", 2)):
        (root / name).mkdir(parents=True)
        for i in range(4):
            rgb = rng.integers(60, 100, size=(40, 48, 3)).astype(np.uint8)
            rgb[..., channel] = 200
            Image.fromarray(rgb).save(root / name / f"{i}.png")
    return root


def _perfect_classifier(folder):
    """A hand-made classifier: logit Red = mean R - mean B + 2, logit Blue = mean B - mean R (the bias settles
    a gray photo's near tie, whose R and B differ by rounding only, as Red)."""
    inputs = keras.Input((8, 8, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(2)
    model = keras.Model(inputs, dense(pooled))
    dense.set_weights([np.array([[1, -1], [0, 0], [-1, 1]], np.float32), np.array([2, 0], np.float32)])
    folder.mkdir(parents=True)
    model.save(folder / CLASSIFIER_FILE)
    (folder / CLASSIFIER_SETTINGS_FILE).write_text(json.dumps({"categories": ["Red", "Blue"], "image_size": 8}))
    return folder


def test_semantic_accuracy_is_one_for_truth_with_a_perfect_classifier(red_and_blue, tmp_path, capsys):
    classifier = _perfect_classifier(tmp_path / "clf")
    rows = {}
    for model in ("truth", "gray"):
        out = tmp_path / f"{model}.json"
        assert cli.main(["evaluate", "--model", model, "--data", str(red_and_blue), "--split", "all",
                         "--classifier", str(classifier), "--json", str(out)]) == 0
        rows[model] = json.loads(out.read_text())
    truth = rows["truth"]
    assert {name: row["semantic_accuracy"] for name, row in truth["categories"].items()} == {"Blue": 1.0, "Red": 1.0}
    assert truth["dataset_image_mean"]["semantic_accuracy"] == 1.0
    assert truth["dataset_category_mean"]["semantic_accuracy"] == 1.0
    # The floor: a gray photo has R ~ B, the bias calls it Red, so Blue is never recognised.
    gray = rows["gray"]
    assert gray["categories"]["Blue"]["semantic_accuracy"] == 0.0 and gray["categories"]["Red"]["semantic_accuracy"] == 1.0
    assert gray["dataset_category_mean"]["semantic_accuracy"] == 0.5
    assert "semantic accuracy" in capsys.readouterr().out


def test_evaluate_two_sample_reports_its_wilson_interval(red_and_blue, tmp_path, capsys):
    out = tmp_path / "gray.json"
    assert cli.main(["evaluate", "--model", "gray", "--data", str(red_and_blue), "--split", "all", "--two-sample",
                     "--json", str(out)]) == 0
    found = json.loads(out.read_text())["settings"]["two_sample"]
    assert found["n_test"] == 8 and found["method"] == "Wilson score interval"  # 4 photos' real and gray versions
    assert found["low"] <= found["accuracy"] <= found["high"]
    assert "two-sample test" in capsys.readouterr().out


def test_a_missing_classifier_says_how_to_train_one(tmp_path, red_and_blue, capsys):
    with pytest.raises(ClassifierError, match="train-classifier"):
        CategoryClassifier.load(tmp_path)
    assert cli.main(["evaluate", "--model", "truth", "--data", str(red_and_blue), "--split", "all",
                     "--classifier", str(tmp_path)]) == 2
    assert "train-classifier" in capsys.readouterr().err


def test_wilson_interval_known_values():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert wilson_interval(0, 10)[0] == pytest.approx(0.0, abs=1e-12) and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)  # z = 1.96: z²/(n + z²)
    with pytest.raises(ClassifierError, match="successes"):
        wilson_interval(11, 10)


def _noise(rng, n, saturation):
    gray = rng.integers(40, 216, size=(n, 16, 16, 1))
    colour = rng.integers(40, 216, size=(n, 16, 16, 3))
    return [np.uint8(gray + saturation * (colour - gray))[i] for i in range(n)]


def test_two_sample_interval_contains_half_for_one_distribution_and_excludes_it_for_two():
    rng = np.random.default_rng(1)
    same = two_sample_test(_noise(rng, 160, 1.0), _noise(rng, 160, 1.0), image_size=16, width=4, epochs=3)
    assert same.low <= 0.5 <= same.high and same.n_test == 160 and same.method.startswith("Wilson")
    different = two_sample_test(_noise(rng, 160, 1.0), _noise(rng, 160, 0.0), image_size=16, width=4, epochs=30)
    assert different.low > 0.5, different.describe()


def test_two_sample_bad_input():
    with pytest.raises(ClassifierError, match="colorized version"):
        two_sample_test([np.zeros((8, 8, 3), np.uint8)] * 5, [np.zeros((8, 8, 3), np.uint8)] * 4)
    with pytest.raises(ClassifierError, match="at least 4"):
        two_sample_test([np.zeros((8, 8, 3), np.uint8)] * 2, [np.zeros((8, 8, 3), np.uint8)] * 2)


def test_train_classifier_keeps_the_best_validation_epoch(tmp_path):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    data = make_sample_dataset(tmp_path / "sample", per_category=8, categories=list(CATEGORIES)[:3],
                               min_side=40, max_side=56)
    settings = ClassifierSettings(image_size=16, width=4, epochs=3, batch_size=8)
    info = train_classifier(data, tmp_path / "clf", settings)
    assert info["best_epoch"] == int(np.argmax(info["history"]["val_accuracy"])) + 1
    assert info["categories"] == sorted(list(CATEGORIES)[:3]) and info["settings"]["epochs"] == 3
    classifier = CategoryClassifier.load(tmp_path / "clf")
    assert set(classifier.predict([np.zeros((30, 20, 3), np.uint8)])) <= set(info["categories"])
    with pytest.raises(ClassifierError, match="another --out"):
        train_classifier(data, tmp_path / "clf", settings)
    with pytest.raises(ClassifierError, match="multiple of 8"):
        ClassifierSettings(image_size=20)


def test_side_by_side_judges_gray_each_model_and_the_real_photos_in_one_pass_each(red_and_blue, tmp_path):
    from course_lib import judging
    from course_lib.evaluate import select_records

    classifier = CategoryClassifier.load(_perfect_classifier(tmp_path / "clf"))
    records = select_records(str(red_and_blue), "all")
    swapped = lambda rgb: np.ascontiguousarray(rgb[..., ::-1])  # noqa: E731 -- red photos turn blue, blue ones red
    table = judging.side_by_side({"swap": swapped}, records, classifier, two_sample=False, progress=False)
    assert list(table) == [judging.GRAY, "swap", judging.TRUTH]
    semantic = {name: (row["image_mean"]["semantic_accuracy"], row["categories"]["Blue"]["semantic_accuracy"])
                for name, row in table.items()}
    assert semantic == {judging.GRAY: (0.5, 0.0), "swap": (0.0, 0.0), judging.TRUTH: (1.0, 1.0)}
    assert table[judging.TRUTH]["category_mean"] == {"semantic_accuracy": 1.0}
    assert len(table["swap"]["per_image"]) == len(records) and table["swap"]["two_sample"] is None
