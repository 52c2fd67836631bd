"""course_lib.published: the survey table and the side-by-side comparison."""

from __future__ import annotations

import pytest

from course_lib import published
from course_lib.errors import CourseError
from course_lib.published import SurveyResult


def test_shipped_table_has_citation_and_valid_rows():
    header = published.SURVEY_CSV.read_text(encoding="utf-8")
    assert "Image Colorization: A Survey and Dataset" in header and "arXiv:2008.10774" in header
    rows = published.load_survey()
    assert rows, "the survey table is empty"
    for row in rows:
        assert 5 < row.psnr < 50 and 0 < row.ssim <= 1, row
        assert row.source, f"row without a source: {row}"


def test_shipped_table_holds_the_numbers_quoted_in_the_issue():
    # The dataset-level numbers the evaluation issue quotes from the survey's NCD table.
    by_method = {row.method: row for row in published.load_survey() if row.category == published.DATASET_ROW}
    assert (by_method["Real-Time User-Guided"].psnr, by_method["Real-Time User-Guided"].ssim) == (21.93, 0.881)
    assert (by_method["Colorful Colorization"].psnr, by_method["Colorful Colorization"].ssim) == (20.93, 0.865)


def test_table_categories_are_ncd_folder_names(ncd_dir):
    folders = {p.name for p in ncd_dir.iterdir() if p.is_dir()}
    for row in published.load_survey():
        assert row.category == published.DATASET_ROW or row.category in folders, row


SURVEY = [
    SurveyResult("A", "Apple", 20.0, 0.90, "test"),
    SurveyResult("B", "Apple", 22.0, 0.85, "test"),
    SurveyResult("A", "ALL", 21.0, 0.88, "test"),
]
OURS = {
    "dataset": {"n": 5, "psnr": 19.0, "ssim": 0.91},
    "categories": {"Banana": {"n": 2, "psnr": 18.0, "ssim": 0.9}, "Apple": {"n": 3, "psnr": 19.5, "ssim": 0.92}},
}
GRAY = {
    "dataset": {"n": 5, "psnr": 17.5, "ssim": 0.9},
    "categories": {"Banana": {"n": 2, "psnr": 17.0, "ssim": 0.9}, "Apple": {"n": 3, "psnr": 18.0, "ssim": 0.9}},
}


def test_survey_best_and_methods():
    assert published.survey_best("Apple", "psnr", SURVEY).method == "B"
    assert published.survey_best("Apple", "ssim", SURVEY).method == "A"
    assert published.survey_best("Banana", survey=SURVEY) is None
    assert published.survey_methods(SURVEY) == ["A", "B"]


def test_compare_puts_ours_gray_and_survey_side_by_side():
    comparison = published.compare_with_survey(OURS, GRAY, survey=SURVEY)
    assert [row["category"] for row in comparison.rows] == ["Apple", "Banana", "ALL"]
    apple, banana, everything = comparison.rows
    assert (apple["ours_psnr"], apple["gray_psnr"], apple["n"]) == (19.5, 18.0, 3)
    assert (apple["survey_best_method"], apple["survey_best_psnr"]) == ("B", 22.0)
    assert apple["survey"] == {"A": {"psnr": 20.0, "ssim": 0.90}, "B": {"psnr": 22.0, "ssim": 0.85}}
    assert banana["survey_best_method"] is None and banana["survey"] == {}
    assert (everything["ours_psnr"], everything["gray_psnr"], everything["survey_best_psnr"]) == (19.0, 17.5, 21.0)
    assert comparison.missing == ["Banana"]
    assert "NOT trained on NCD" in comparison.note and "whole dataset" in comparison.note
    text = comparison.to_text()
    assert "Banana" in text and "not available" in text and "B: 22.00 / 0.850" in text
    assert comparison.note in text


def test_compare_without_gray_baseline_leaves_gaps():
    comparison = published.compare_with_survey(OURS, survey=SURVEY)
    assert all(row["gray_psnr"] is None for row in comparison.rows)
    apple_line = next(line for line in comparison.to_text().splitlines() if line.startswith("Apple"))
    assert apple_line.split()[4:6] == ["-", "-"]  # gray PSNR and SSIM columns


def test_malformed_table_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("# comment\nmethod,category,psnr,ssim,source\nA,Apple,not-a-number,0.9,x\n")
    with pytest.raises(CourseError, match="malformed row"):
        published.load_survey(bad)
    with pytest.raises(CourseError, match="not found"):
        published.load_survey(tmp_path / "missing.csv")
