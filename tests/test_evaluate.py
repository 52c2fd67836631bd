"""course_lib.evaluate: per-image -> per-category -> dataset, JSON/CSV, and the command."""

from __future__ import annotations

import csv
import json
import math
import os

import numpy as np
import pytest
from PIL import Image

from course_lib import color, config, evaluate, metrics
from course_lib.errors import CourseError

#: The gray floor on NCD measured independently (evaluation issue #4): dataset PSNR
#: of the ab = 0 baseline over every image, RGB uint8, native resolution.
INDEPENDENT_GRAY_FLOOR_DB = 17.5


def gray(rgb: np.ndarray) -> np.ndarray:
    """ab = 0, built from course_lib.color (independent of course_lib.inference)."""
    lab = color.rgb_to_lab(rgb)
    lab[..., 1:] = 0
    return color.to_uint8_rgb(color.lab_to_rgb(lab))


def fruit(rng, hue, size=(40, 52)):
    """A coloured ellipse on a white background, uint8 (H, W, 3)."""
    height, width = size
    image = np.full((height, width, 3), 252, np.uint8)
    yy, xx = np.mgrid[:height, :width]
    inside = ((yy - height / 2) / (height / 3)) ** 2 + ((xx - width / 2) / (width / 3)) ** 2 < 1
    noise = rng.integers(-20, 20, (int(inside.sum()), 3))
    image[inside] = np.clip(np.array(hue) + noise, 0, 255).astype(np.uint8)
    return image


@pytest.fixture
def tiny_ncd(tmp_path, rng):
    """Two categories of different sizes (2 and 4 images) and a stray non-image file."""
    root = tmp_path / "ncd"
    for category, hue, count in [("Apple", (190, 30, 40), 2), ("Lemon", (230, 210, 40), 4)]:
        (root / category).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(fruit(rng, hue)).save(root / category / f"{category}{i}.png")
    (root / "Apple" / "a").write_text("not an image")
    return root


def test_evaluate_colorizer_aggregates_per_category_then_over_images(tiny_ncd):
    records = evaluate.select_records(tiny_ncd, "all")
    assert len(records) == 6  # the stray file is skipped by the scan
    result = evaluate.evaluate_colorizer(gray, records, model="gray", split="all", progress=False)
    assert [row["relpath"] for row in result.per_image] == [r.relpath for r in records]
    # Each per-image row is exactly metrics.evaluate_pair on (prediction, truth).
    first = result.per_image[0]
    truth = np.asarray(Image.open(records[0].path).convert("RGB"))
    for key, value in metrics.evaluate_pair(gray(truth), truth).items():
        assert first[key] == pytest.approx(value)
    assert set(result.categories) == {"Apple", "Lemon"}
    for name, row in result.categories.items():
        mine = [r for r in result.per_image if r["category"] == name]
        assert row["n"] == len(mine)
        assert row["psnr"] == pytest.approx(np.mean([r["psnr"] for r in mine]))
    # Dataset row: mean over images (Lemon weighs 4/6), not the mean of the two categories.
    assert result.dataset["n"] == 6
    assert result.dataset["psnr"] == pytest.approx(np.mean([r["psnr"] for r in result.per_image]))
    category_mean = np.mean([row["psnr"] for row in result.categories.values()])
    assert result.dataset["psnr"] != pytest.approx(category_mean)


def test_json_and_csv_outputs(tiny_ncd, tmp_path):
    result = evaluate.evaluate_colorizer(gray, evaluate.select_records(tiny_ncd, "all"), progress=False)
    data = json.loads(result.write_json(tmp_path / "out" / "r.json").read_text())
    required = {"psnr", "ssim", "rmse", "deltaE", "colorfulness_ratio", "auc", "psnr_fg"}
    assert required <= set(data["dataset"])
    assert set(data["categories"]) == {"Apple", "Lemon"}
    assert all(required <= set(row) for row in data["categories"].values())
    assert data["dataset"]["psnr"] == pytest.approx(result.dataset["psnr"])
    with open(result.write_csv(tmp_path / "r.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["category"] for row in rows] == ["Apple", "Lemon", "ALL"]
    assert float(rows[-1]["psnr"]) == pytest.approx(result.dataset["psnr"], rel=1e-5)
    assert "Lemon" in evaluate.format_table(result)


def test_perfect_or_undefined_values_are_left_out_loudly():
    rows = [
        {"category": "A", **{key: 1.0 for key in metrics.METRIC_KEYS}},
        {"category": "A", **{key: 3.0 for key in metrics.METRIC_KEYS}, "psnr": math.inf},
    ]
    with pytest.warns(UserWarning, match="psnr is not finite for 1 of 2"):
        categories, dataset = evaluate.aggregate(rows)
    assert dataset["psnr"] == 1.0 and dataset["ssim"] == 2.0
    assert json.dumps(evaluate.EvaluationResult([], categories, {"n": 0, "x": math.nan}).to_dict())


def test_wrong_colorizer_output_is_reported(tiny_ncd):
    records = evaluate.select_records(tiny_ncd, "all")
    with pytest.raises(CourseError, match="native resolution"):
        evaluate.evaluate_colorizer(lambda rgb: rgb[::2, ::2], records, progress=False)
    with pytest.raises(CourseError, match="native resolution"):
        evaluate.evaluate_colorizer(lambda rgb: rgb / 255.0, records, progress=False)


def test_splits(tiny_ncd):
    everything = evaluate.select_records(tiny_ncd, "all")
    parts = [evaluate.select_records(tiny_ncd, name) for name in ("train", "val", "test")]
    assert sorted(r.relpath for part in parts for r in part) == sorted(r.relpath for r in everything)
    with pytest.raises(CourseError, match="unknown split"):
        evaluate.select_records(tiny_ncd, "holdout")
    with pytest.raises(CourseError, match="no images"):
        evaluate.evaluate_colorizer(gray, [], progress=False)


def test_ranked_orders_best_first(tiny_ncd):
    result = evaluate.evaluate_colorizer(gray, evaluate.select_records(tiny_ncd, "all"), progress=False)
    psnrs = [row["psnr"] for row in result.ranked("psnr")]
    assert psnrs == sorted(psnrs, reverse=True)
    errors = [row["deltaE"] for row in result.ranked("deltaE", category="Lemon")]
    assert errors == sorted(errors) and len(errors) == 4


def test_cli_gray_writes_json_and_csv(tiny_ncd, tmp_path, capsys):
    pytest.importorskip("course_lib.inference", reason="course_lib.inference (gray_baseline) not written yet")
    from course_lib.cli import main

    out_json, out_csv = tmp_path / "gray.json", tmp_path / "gray.csv"
    status = main(["evaluate", "--model", "gray", "--data", str(tiny_ncd), "--split", "all",
                   "--json", str(out_json), "--csv", str(out_csv)])
    assert status == 0
    data = json.loads(out_json.read_text())
    assert data["model"] == "gray" and data["dataset"]["n"] == 6
    # The library's gray baseline and this file's ab = 0 agree.
    reference = evaluate.evaluate_colorizer(gray, evaluate.select_records(tiny_ncd, "all"), progress=False)
    assert data["dataset"]["psnr"] == pytest.approx(reference.dataset["psnr"], abs=0.05)
    assert "ALL" in capsys.readouterr().out and out_csv.is_file()


def test_cli_evaluates_a_saved_model_through_the_colorize_path(tiny_ncd, tmp_path):
    pytest.importorskip("course_lib.inference", reason="course_lib.inference not written yet")
    model_module = pytest.importorskip("course_lib.model", reason="course_lib.model not written yet")
    from course_lib.cli import main

    # A tiny untrained colorizer: the point is the plumbing (load, colorize at native size, measure).
    model = model_module.build_colorizer(32, decoder="unet", weights=None, encoder_blocks=2, decoder_width=8)
    model_path = tmp_path / "tiny.keras"
    model.save(model_path)
    out = tmp_path / "model.json"
    assert main(["evaluate", "--model", str(model_path), "--data", str(tiny_ncd), "--split", "all",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["model"] == str(model_path) and data["dataset"]["n"] == 6
    assert all(math.isfinite(data["dataset"][key]) for key in ("psnr", "ssim", "deltaE", "auc", "psnr_fg"))


def test_cli_reports_a_missing_model_as_one_line(tiny_ncd, tmp_path, capsys):
    pytest.importorskip("course_lib.inference", reason="course_lib.inference not written yet")
    from course_lib.cli import main

    status = main(["evaluate", "--model", str(tmp_path / "nope.keras"), "--data", str(tiny_ncd)])
    assert status == 2 and "error:" in capsys.readouterr().err


def test_gray_floor_on_ncd_shows_why_more_than_psnr_is_needed(ncd_dir):
    """On NCD the do-nothing baseline looks decent by PSNR/SSIM; the colour metrics expose it."""
    records = evaluate.select_records(ncd_dir, "all")
    subset = [next(r for r in records if r.category == name) for name in sorted({r.category for r in records})]
    result = evaluate.evaluate_colorizer(gray, subset, max_side=160, progress=False)
    row = result.dataset
    assert result.settings == {"max_side": 160}
    assert row["ssim"] > 0.8  # structure lives in L, which the gray image keeps
    assert row["psnr_fg"] < row["psnr"]  # the white background flatters PSNR
    assert row["deltaE_fg"] > row["deltaE"]
    assert row["colorfulness_ratio"] < 0.1  # ...but it has no colour at all


@pytest.mark.slow
@pytest.mark.skipif(config.fast_mode(), reason="full-dataset evaluation (minutes): run with COURSE_FAST=0")
def test_gray_floor_matches_the_independent_measurement(ncd_dir, tmp_path):
    pytest.importorskip("course_lib.inference", reason="course_lib.inference (gray_baseline) not written yet")
    from course_lib.cli import main

    out = tmp_path / "gray.json"
    assert main(["evaluate", "--model", "gray", "--data", str(ncd_dir), "--split", "all", "--json", str(out)]) == 0
    psnr = json.loads(out.read_text())["dataset"]["psnr"]
    assert abs(psnr - INDEPENDENT_GRAY_FLOOR_DB) <= 0.3, psnr
