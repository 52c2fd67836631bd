"""course_lib.evaluate: per-image -> per-category -> dataset, JSON/CSV, and the command."""

from __future__ import annotations

import csv
import json
import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib import color, evaluate, metrics
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


def test_evaluate_colorizer_aggregates_per_category_then_both_dataset_means(tiny_ncd):
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
    # Mean over images (Lemon weighs 4/6) and mean over categories (each 1/2): both, each named.
    image_mean, category_mean = result.dataset_image_mean, result.dataset_category_mean
    assert image_mean["n"] == 6 and category_mean["n"] == 6 and category_mean["categories"] == 2
    assert image_mean["psnr"] == pytest.approx(np.mean([r["psnr"] for r in result.per_image]))
    assert category_mean["psnr"] == pytest.approx(np.mean([row["psnr"] for row in result.categories.values()]))
    assert image_mean["psnr"] != pytest.approx(category_mean["psnr"])
    assert result.dataset is result.dataset_image_mean  # the older name, kept for existing notebooks


def lemon_for_everything(rgb):
    """A colorizer that paints every object lime: better than gray on lemons, worse on apples."""
    lab = color.rgb_to_lab(rgb)
    lab[..., 1:] = np.where(lab[..., :1] < 90, np.array([-30.0, 60.0], np.float32), 0.0)
    return color.lab_to_rgb_uint8(lab)


def test_gain_over_gray_per_category_and_for_both_means(tiny_ncd):
    records = evaluate.select_records(tiny_ncd, "all")
    result = evaluate.evaluate_colorizer(lemon_for_everything, records, progress=False)
    # The gray baseline on the same images, measured here independently of course_lib.inference.
    gray_rows = [{"category": r.category, **metrics.evaluate_pair(gray(load(r)), load(r))} for r in records]
    for name in ("Apple", "Lemon"):
        mine = [row for row in gray_rows if row["category"] == name]
        expected_gray = np.mean([row["psnr"] for row in mine])
        assert result.gray["categories"][name]["psnr"] == pytest.approx(expected_gray, abs=0.05)
        gain = result.gain_over_gray["categories"][name]
        assert gain["psnr"] == pytest.approx(result.categories[name]["psnr"] - result.gray["categories"][name]["psnr"])
        assert gain["deltaE"] == pytest.approx(result.categories[name]["deltaE"] - result.gray["categories"][name]["deltaE"])
    gains = result.gain_over_gray
    assert gains["categories"]["Lemon"]["psnr"] > 0 > gains["categories"]["Apple"]["psnr"]
    for mean in ("dataset_image_mean", "dataset_category_mean"):
        assert gains[mean]["psnr"] == pytest.approx(getattr(result, mean)["psnr"] - result.gray[mean]["psnr"])
    assert gains["dataset_category_mean"]["psnr"] == pytest.approx(
        np.mean([gains["categories"][name]["psnr"] for name in ("Apple", "Lemon")]))
    table = evaluate.format_table(result)
    assert "gain over gray = ours - gray" in table and table.count("ALL (categories)") == 2 + 1  # 2 rows + footnote


def load(record):
    return np.asarray(Image.open(record.path).convert("RGB"))


def test_gray_baseline_has_no_gain_and_can_be_skipped(tiny_ncd):
    records = evaluate.select_records(tiny_ncd, "all")
    result = evaluate.evaluate_colorizer(evaluate.gray_colorize_fn(), records, progress=False)
    assert all(value == 0 for value in result.gain_over_gray["dataset_category_mean"].values() if value == value)
    assert "gain over gray: 0 everywhere" in evaluate.format_table(result)
    skipped = evaluate.evaluate_colorizer(gray, records, progress=False, gray=False)
    assert skipped.gray is None and skipped.gain_over_gray is None
    assert "gain over gray" not in evaluate.format_table(skipped)


def test_json_and_csv_outputs(tiny_ncd, tmp_path):
    result = evaluate.evaluate_colorizer(lemon_for_everything, evaluate.select_records(tiny_ncd, "all"), progress=False)
    data = json.loads(result.write_json(tmp_path / "out" / "r.json").read_text())
    required = {"psnr", "ssim", "rmse", "deltaE", "colorfulness_ratio", "auc", "psnr_fg"}
    for part in ("dataset_image_mean", "dataset_category_mean"):
        assert required <= set(data[part]) and required <= set(data["gray"][part])
        assert required <= set(data["gain_over_gray"][part])
        assert data[part]["psnr"] == pytest.approx(getattr(result, part)["psnr"])
    assert "dataset" not in data  # no unnamed mean in the files
    assert set(data["categories"]) == set(data["gain_over_gray"]["categories"]) == {"Apple", "Lemon"}
    assert all(required <= set(row) for row in data["categories"].values())
    with open(result.write_csv(tmp_path / "r.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["category"] for row in rows] == ["Apple", "Lemon", "ALL (images)", "ALL (categories)"]
    assert float(rows[2]["psnr"]) == pytest.approx(result.dataset_image_mean["psnr"], rel=1e-5)
    assert float(rows[3]["psnr"]) == pytest.approx(result.dataset_category_mean["psnr"], rel=1e-5)
    assert float(rows[3]["gain_psnr"]) == pytest.approx(result.gain_over_gray["dataset_category_mean"]["psnr"], rel=1e-5)
    assert float(rows[0]["gray_psnr"]) == pytest.approx(result.gray["categories"]["Apple"]["psnr"], rel=1e-5)
    table = evaluate.format_table(result)
    assert "Lemon" in table and "ALL (images)" in table and "ALL (categories)" in table


def test_perfect_or_undefined_values_are_left_out_loudly():
    rows = [
        {"category": "A", **{key: 1.0 for key in metrics.METRIC_KEYS}},
        {"category": "A", **{key: 3.0 for key in metrics.METRIC_KEYS}, "psnr": math.inf},
    ]
    with pytest.warns(UserWarning, match="psnr is not finite for 1 of 2"):
        categories, image_mean, category_mean = evaluate.aggregate(rows)
    assert image_mean["psnr"] == 1.0 and image_mean["ssim"] == 2.0 and category_mean["ssim"] == 2.0
    result = evaluate.EvaluationResult([], categories, {"n": 0, "x": math.nan}, category_mean)
    assert json.dumps(result.to_dict())


def test_progress_bar_redraws_rarely_in_logs_and_stays_a_widget_in_notebooks(monkeypatch):
    import tqdm.auto
    import tqdm.notebook
    import tqdm.std

    seen = []

    def spy(base):
        class Spy(base):
            def __init__(self, iterable=None, **options):
                seen.append(options)
                super().__init__(iterable, **options)
        return Spy

    monkeypatch.setattr(tqdm.auto, "tqdm", spy(tqdm.std.tqdm))
    evaluate._progress_bar([], disable=True)  # pytest captures stderr: not a terminal, like a log file
    assert seen[-1]["mininterval"] == evaluate.LOG_PROGRESS_INTERVAL_S
    monkeypatch.setattr("sys.stderr", type("Terminal", (), {"isatty": lambda self: True})())
    evaluate._progress_bar([], disable=True)
    assert "mininterval" not in seen[-1]
    monkeypatch.setattr(tqdm.auto, "tqdm", spy(tqdm.notebook.tqdm))
    monkeypatch.setattr("sys.stderr", io.StringIO())
    evaluate._progress_bar([], disable=True)
    assert "mininterval" not in seen[-1]


def test_evaluation_into_a_log_file_has_few_carriage_returns(tiny_ncd):
    script = (
        "from course_lib import evaluate\n"
        f"records = evaluate.select_records({str(tiny_ncd)!r}, 'all')\n"
        "evaluate.evaluate_colorizer(evaluate.gray_colorize_fn(), records, model='gray')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(evaluate.__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\r") <= 3, done.stderr  # the first and last draw, not one per image


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
    from course_lib.cli import main

    out_json, out_csv = tmp_path / "gray.json", tmp_path / "gray.csv"
    status = main(["evaluate", "--model", "gray", "--data", str(tiny_ncd), "--split", "all",
                   "--json", str(out_json), "--csv", str(out_csv)])
    assert status == 0
    data = json.loads(out_json.read_text())
    assert data["model"] == "gray" and data["dataset_image_mean"]["n"] == 6
    assert data["gain_over_gray"] is None  # gray against itself is not measured twice
    # The library's gray baseline and this file's ab = 0 agree.
    reference = evaluate.evaluate_colorizer(gray, evaluate.select_records(tiny_ncd, "all"), progress=False)
    for part in ("dataset_image_mean", "dataset_category_mean"):
        assert data[part]["psnr"] == pytest.approx(getattr(reference, part)["psnr"], abs=0.05)
    out = capsys.readouterr().out
    assert "ALL (images)" in out and "ALL (categories)" in out and out_csv.is_file()


def test_cli_max_images_draws_from_every_category(tiny_ncd, tmp_path):
    from course_lib.cli import main

    out = tmp_path / "quick.json"
    assert main(["evaluate", "--model", "gray", "--data", str(tiny_ncd), "--split", "all", "--max-images", "2",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data["categories"]) == {"Apple", "Lemon"} and data["dataset_image_mean"]["n"] == 2
    assert data["settings"] == {"max_images": 2}


def test_cli_evaluates_a_saved_model_through_the_colorize_path(tiny_ncd, tmp_path):
    from course_lib import model as model_module
    from course_lib.cli import main

    # A tiny untrained colorizer: the point is the plumbing (load, colorize at native size, measure).
    model = model_module.build_colorizer(32, decoder="unet", weights=None, encoder_blocks=2, decoder_width=8)
    model_path = tmp_path / "tiny.keras"
    model.save(model_path)
    out = tmp_path / "model.json"
    assert main(["evaluate", "--model", str(model_path), "--data", str(tiny_ncd), "--split", "all",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["model"] == str(model_path) and data["dataset_image_mean"]["n"] == 6
    assert all(math.isfinite(data["dataset_category_mean"][key]) for key in ("psnr", "ssim", "deltaE", "auc", "psnr_fg"))
    assert math.isfinite(data["gain_over_gray"]["dataset_category_mean"]["psnr"])


def test_cli_reports_a_missing_model_as_one_line(tiny_ncd, tmp_path, capsys):
    from course_lib.cli import main

    status = main(["evaluate", "--model", str(tmp_path / "nope.keras"), "--data", str(tiny_ncd)])
    assert status == 2 and "error:" in capsys.readouterr().err


def test_gray_floor_on_ncd_shows_why_more_than_psnr_is_needed(ncd_dir):
    """On NCD the do-nothing baseline looks decent by PSNR/SSIM; the colour metrics expose it."""
    records = evaluate.select_records(ncd_dir, "all")
    subset = [next(r for r in records if r.category == name) for name in sorted({r.category for r in records})]
    result = evaluate.evaluate_colorizer(gray, subset, max_side=160, progress=False, gray=False)
    row = result.dataset_image_mean
    assert result.settings == {"max_side": 160}
    assert row["ssim"] > 0.8  # structure lives in L, which the gray image keeps
    assert row["psnr_fg"] < row["psnr"]  # the white background flatters PSNR
    assert row["deltaE_fg"] > row["deltaE"]
    assert row["colorfulness_ratio"] < 0.1  # ...but it has no colour at all


def test_gray_floor_matches_the_independent_measurement(ncd_dir, tmp_path):
    """The command's gray baseline on real NCD photos, category by category, against ab = 0 and PSNR
    computed here (the gray above and PSNR's formula, not course_lib.inference or course_lib.metrics)."""
    from course_lib.cli import main
    from course_lib.data import load_image

    out = tmp_path / "gray.json"
    assert main(["evaluate", "--model", "gray", "--data", str(ncd_dir), "--split", "all", "--max-images", "10",
                 "--json", str(out)]) == 0
    reported = json.loads(out.read_text())
    mine: dict[str, list[float]] = {}
    for record in evaluate.select_records(ncd_dir, "all", 10):  # the images the command evaluated
        rgb = load_image(ncd_dir / record.relpath)
        mse = np.mean((rgb.astype(np.float64) - gray(rgb).astype(np.float64)) ** 2)
        mine.setdefault(record.category, []).append(10 * np.log10(255.0 ** 2 / mse))
    assert set(reported["categories"]) == set(mine)
    for category, values in mine.items():
        assert reported["categories"][category]["psnr"] == pytest.approx(np.mean(values), abs=1e-3), category
    every_image = [value for values in mine.values() for value in values]
    assert reported["dataset_image_mean"]["psnr"] == pytest.approx(np.mean(every_image), abs=1e-3)
    # The floor's size: 17.5 dB over every image of the copy when it was first measured (evaluation issue 4).
    assert abs(np.mean(every_image) - INDEPENDENT_GRAY_FLOOR_DB) < 2.0


@pytest.mark.slow
def test_evaluating_the_largest_ncd_photo_with_a_model_fits_binder(ncd_dir):
    """Issue 22: the whole evaluate path for one photo -- TensorFlow loaded, the cpu recipe's model
    colorizing at full resolution (course_lib.inference), both sets of metrics (the model's and the
    gray baseline's) -- on the dev copy's largest photo (12.8 MP) stays under Binder's 2 GB. Measured
    in a fresh process by the OS's count (tests/memory_probe.py). The model is untrained: its weights
    change the colours, not the memory."""
    from memory_probe import largest_photo, run_measured

    record = largest_photo(ncd_dir)
    measured = run_measured(
        f"""
        from course_lib.data import ImageRecord
        from course_lib.evaluate import evaluate_colorizer
        from course_lib.inference import colorize_image
        from course_lib.model import build_colorizer
        from course_lib.recipes import RECIPES
        from pathlib import Path
        recipe = RECIPES["cpu"]
        model = build_colorizer(recipe.image_size, recipe.decoder, None, recipe.encoder_blocks, recipe.decoder_width)
        record = ImageRecord(Path({str(record.path)!r}), {record.category!r}, {record.relpath!r})
        """,
        """
        result = evaluate_colorizer(lambda image: colorize_image(model, image), [record], progress=False)
        report = {"n": result.dataset_image_mean["n"], "gray_psnr": result.gray["dataset_image_mean"]["psnr"]}
        """,
    )
    peak_mb, before_mb = measured["peak_bytes"] / 2**20, measured["before_bytes"] / 2**20
    print(f"{record.relpath}: peak {peak_mb:.0f} MB with TensorFlow and the model ({before_mb:.0f} MB before)")
    assert measured["result"]["n"] == 1 and math.isfinite(measured["result"]["gray_psnr"])
    assert measured["peak_bytes"] < 2.0e9, f"evaluating {record.relpath} peaked at {peak_mb:.0f} MB"


def test_the_command_chooses_on_the_validation_split_by_default():
    """The course's rule: choose on validation, look at the test split once per finished model."""
    import argparse

    parser = argparse.ArgumentParser()
    evaluate.configure_parser(parser)
    assert parser.parse_args(["--model", "gray"]).split == "val"
    assert parser.parse_args(["--model", "gray", "--split", "test"]).split == "test"
