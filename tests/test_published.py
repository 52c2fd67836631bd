"""course_lib.published: the survey table and the side-by-side comparison."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from course_lib import published
from course_lib.errors import CourseError
from course_lib.published import DATASET_ROW, SurveyResult
from conftest import REPO_ROOT

#: The project's transcription of the survey table, beside the checkout (not shipped with the package).
SHARED_SURVEY_CSV = REPO_ROOT.parent / "shared" / "survey" / "ncd_survey_table.csv"
#: Decimals the survey prints for each metric.
PRINTED_DECIMALS = {"psnr": 2, "ssim": 3, "pcqi": 3, "iqm": 3}


def _data_lines(path):
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def test_load_survey_equals_the_shared_transcription_row_for_row():
    if not SHARED_SURVEY_CSV.is_file():
        pytest.skip(f"{SHARED_SURVEY_CSV} not found (the shared survey folder is beside the development checkout "
                    "only); test_packaged_survey_table_is_complete_and_consistent checks the packaged copy")
    # The packaged rows are the shared file's rows, character for character...
    assert _data_lines(published.SURVEY_CSV) == _data_lines(SHARED_SURVEY_CSV)
    # ...and load_survey returns every one of them, value for value.
    with SHARED_SURVEY_CSV.open(newline="", encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    rows = published.load_survey()
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert (row.survey_category, row.n_images, row.method) == (want["category"], int(want["n_images"]), want["method"])
        assert (row.psnr, row.ssim, row.pcqi, row.iqm) == tuple(float(want[key]) for key in ("psnr", "ssim", "pcqi", "iqm"))


def test_packaged_survey_table_is_complete_and_consistent():
    """Runs everywhere (CI included): the shipped copy alone."""
    header = published.SURVEY_CSV.read_text(encoding="utf-8")
    assert "Image Colorization: A Survey and Dataset" in header and "arXiv:2008.10774" in header
    assert "Figs/NCD_results_table.png" in header and "saeed-anwar/ColorSurvey" in header
    rows = published.load_survey()
    methods = published.survey_methods(rows)
    assert methods == ["Automatic Colorizer", "ColorCapsNet", "Let there be Color", "Colorful Colorization",
                       "Instance-Aware Colorization", "Real-Time Colorization"]
    assert len(rows) == 6 * 21
    categories = {row.category for row in rows} - {DATASET_ROW}
    assert len(categories) == 20 and {"CapsicumGreen", "ChilliGreen", "LadyFinger", "Apple"} <= categories
    for method in methods:
        mine = [row for row in rows if row.method == method]
        per_category = [row for row in mine if row.category != DATASET_ROW]
        [dataset] = [row for row in mine if row.category == DATASET_ROW]
        assert {row.category for row in per_category} == categories
        assert dataset.survey_category == "Dataset-level" and dataset.n_images == 735
        assert sum(row.n_images for row in per_category) == 735
        # The survey's dataset row is the plain mean of its 20 category rows, to the printed rounding: the
        # dataset value is rounded (half a unit of the last printed place) and so is each category value
        # (their mean, at most another half unit).
        for metric, decimals in PRINTED_DECIMALS.items():
            mean = np.mean([getattr(row, metric) for row in per_category])
            assert abs(mean - getattr(dataset, metric)) <= 10.0**-decimals + 1e-9, (method, metric, mean)
    # Spot checks against the printed table (and the numbers the evaluation issue quotes).
    by_key = {(row.method, row.category): row for row in rows}
    assert (by_key["Real-Time Colorization", DATASET_ROW].psnr, by_key["Real-Time Colorization", DATASET_ROW].ssim) == (21.93, 0.881)
    assert (by_key["Colorful Colorization", DATASET_ROW].psnr, by_key["Colorful Colorization", DATASET_ROW].ssim) == (20.93, 0.865)
    apple = by_key["Automatic Colorizer", "Apple"]
    assert (apple.psnr, apple.ssim, apple.pcqi, apple.iqm, apple.n_images) == (16.66, 0.772, 0.881, 1.009, 39)


def test_survey_category_names_map_to_ncd_folder_names(ncd_dir):
    assert published.ncd_folder_name("Capsicum green") == "CapsicumGreen"
    assert published.ncd_folder_name("Lady Finger") == "LadyFinger"
    assert published.ncd_folder_name("Dataset-level") == DATASET_ROW
    folders = {p.name for p in ncd_dir.iterdir() if p.is_dir()}
    categories = {row.category for row in published.load_survey()} - {DATASET_ROW}
    assert categories == folders


SURVEY = [
    SurveyResult("A", "Apple", 20.0, 0.90, 0.9, 1.1),
    SurveyResult("B", "Apple", 22.0, 0.85),
    SurveyResult("A", DATASET_ROW, 21.0, 0.88),
    SurveyResult("B", DATASET_ROW, 20.0, 0.89),
]
OURS = {
    "split": "test",
    "settings": {},
    "categories": {"Banana": {"n": 2, "psnr": 18.0, "ssim": 0.9}, "Apple": {"n": 3, "psnr": 19.5, "ssim": 0.92}},
    "dataset_image_mean": {"n": 5, "psnr": 18.9, "ssim": 0.912},
    "dataset_category_mean": {"n": 5, "categories": 2, "psnr": 18.75, "ssim": 0.91},
    "gray": None,
}
GRAY = {
    "categories": {"Banana": {"n": 2, "psnr": 17.0, "ssim": 0.9}, "Apple": {"n": 3, "psnr": 18.0, "ssim": 0.9}},
    "dataset_image_mean": {"n": 5, "psnr": 17.6, "ssim": 0.9},
    "dataset_category_mean": {"n": 5, "categories": 2, "psnr": 17.5, "ssim": 0.9},
}


def test_survey_best_and_methods():
    assert published.survey_best("Apple", "psnr", SURVEY).method == "B"
    assert published.survey_best("Apple", "ssim", SURVEY).method == "A"
    assert published.survey_best("Banana", survey=SURVEY) is None
    assert published.survey_methods(SURVEY) == ["A", "B"]


def test_compare_uses_our_category_mean_beside_every_survey_method():
    comparison = published.compare_with_survey(OURS, GRAY, survey=SURVEY)
    assert [row["category"] for row in comparison.rows] == ["Apple", "Banana", DATASET_ROW]
    apple, banana, everything = comparison.rows
    assert (apple["ours_psnr"], apple["gray_psnr"], apple["gain_psnr"], apple["n"]) == (19.5, 18.0, 1.5, 3)
    assert (apple["survey_best_method"], apple["survey_best_psnr"]) == ("B", 22.0)
    assert apple["survey"]["A"] == {"psnr": 20.0, "ssim": 0.90, "pcqi": 0.9, "iqm": 1.1}
    assert set(apple["survey"]) == {"A", "B"}
    assert banana["survey_best_method"] is None and banana["survey"] == {}
    # The dataset row: our mean over categories (as the survey's), not our mean over images.
    assert (everything["ours_psnr"], everything["gray_psnr"], everything["gain_psnr"]) == (18.75, 17.5, 1.25)
    assert set(everything["survey"]) == {"A", "B"} and everything["survey_best_psnr"] == 21.0
    assert comparison.missing == ["Banana"]
    text = comparison.to_text()
    assert "Banana" in text and "Survey numbers not available for: Banana" in text
    assert "zero-shot" in text and "ImageNet-scale" in text and "trained on NCD's train split" in text
    assert "measured on its test split (5 images)" in text
    apple_psnr = next(line for line in text.splitlines() if line.startswith("Apple"))
    assert apple_psnr.split() == ["Apple", "3", "19.50", "18.00", "+1.50", "|", "20.00", "22.00*"]
    assert comparison.note in text


def test_compare_takes_the_gray_baseline_measured_with_ours(tmp_path):
    from course_lib import evaluate

    ours_result = evaluate.EvaluationResult(
        [], OURS["categories"], OURS["dataset_image_mean"], OURS["dataset_category_mean"], gray=GRAY, split="val")
    for ours in (ours_result, {**OURS, "gray": GRAY}):  # the result, and the JSON evaluate writes
        comparison = published.compare_with_survey(ours, survey=SURVEY)
        assert comparison.rows[-1]["gray_psnr"] == 17.5 and comparison.rows[0]["gain_ssim"] == pytest.approx(0.02)


def test_compare_without_gray_baseline_and_with_older_json_leaves_gaps():
    older = {"categories": OURS["categories"], "dataset": OURS["dataset_image_mean"]}  # before both means were named
    comparison = published.compare_with_survey(older, survey=SURVEY)
    assert all(row["gray_psnr"] is None and row["gain_psnr"] is None for row in comparison.rows)
    assert comparison.rows[-1]["ours_psnr"] == pytest.approx(18.75)  # the mean over categories, computed
    apple_line = next(line for line in comparison.to_text().splitlines() if line.startswith("Apple"))
    assert apple_line.split()[3:5] == ["-", "-"]  # gray and gain columns


def test_compare_says_when_our_categories_are_not_the_surveys():
    comparison = published.compare_with_survey(OURS)  # the real table: 20 categories, ours has 2
    assert "our mean covers 2 of the survey's 20 categories" in comparison.to_text()
    assert comparison.missing == []  # Apple and Banana are both NCD categories
    assert len(comparison.rows[-1]["survey"]) == 6


def test_malformed_table_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("# comment\ncategory,n_images,method,psnr,ssim,pcqi,iqm\nApple,39,A,not-a-number,0.9,0.9,1.0\n")
    with pytest.raises(CourseError, match="malformed row"):
        published.load_survey(bad)
    bad.write_text("method,category,psnr,ssim,source\nA,Apple,20.0,0.9,x\n")  # the older layout
    with pytest.raises(CourseError, match="expected columns category,n_images,method,psnr,ssim,pcqi,iqm"):
        published.load_survey(bad)
    with pytest.raises(CourseError, match="not found"):
        published.load_survey(tmp_path / "missing.csv")
    assert math.isnan(SurveyResult("A", "Apple", 20.0, 0.9).pcqi)
