"""The NCD survey's published numbers, side by side with ours.

Anwar et al., "Image Colorization: A Survey and Dataset" (Information Fusion, 2024;
arXiv:2008.10774) introduced NCD and ran six pretrained colorizers on it. Their PSNR
and SSIM live in ``course_lib/resources/ncd_survey.csv`` (with the citation and the
source of every row in its header). :func:`compare_with_survey` puts a course result
(from :func:`course_lib.evaluate.evaluate_colorizer`, or the JSON that ``evaluate``
writes) next to them, per category and for the whole dataset.

Read the comparison with care: the survey's methods were trained on other data
(mostly ImageNet), never on NCD, and were run on every NCD image; a course model is
trained on NCD's train split. The survey's exact PSNR/SSIM settings may also differ
from our protocol (``course_lib.metrics``).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from course_lib.errors import CourseError

#: The data file shipped with the package.
SURVEY_CSV = Path(__file__).resolve().parent / "resources" / "ncd_survey.csv"
#: The ``category`` value the CSV (and our tables) use for the whole dataset.
DATASET_ROW = "ALL"
#: Printed with every comparison.
SURVEY_NOTE = (
    "Survey numbers: Anwar et al., 'Image Colorization: A Survey and Dataset' (Information Fusion 2024, "
    "arXiv:2008.10774). Their methods were pretrained on other data and NOT trained on NCD, and they cover "
    "the whole dataset; ours are trained on NCD's train split and measured with the course protocol on the "
    "split shown. Compare orders of magnitude, not decimals."
)
_SURVEY_METRICS = ("psnr", "ssim")


@dataclass(frozen=True)
class SurveyResult:
    """One published number pair: ``method`` on ``category`` (or ``"ALL"``)."""

    method: str
    category: str
    psnr: float
    ssim: float
    source: str


def load_survey(path: str | Path | None = None) -> list[SurveyResult]:
    """Read the survey table (``#`` lines are comments).

    Parameters
    ----------
    path : path, optional
        A CSV with columns ``method, category, psnr, ssim, source``; defaults to
        :data:`SURVEY_CSV`.

    Returns
    -------
    list of SurveyResult, in file order.
    """
    path = Path(path) if path is not None else SURVEY_CSV
    if not path.is_file():
        raise CourseError(f"survey table {path} not found; reinstall the course package (pip install -e .)")
    with path.open(newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    rows = []
    for row in csv.DictReader(lines):
        try:
            rows.append(SurveyResult(row["method"].strip(), row["category"].strip(),
                                     float(row["psnr"]), float(row["ssim"]), row["source"].strip()))
        except (KeyError, TypeError, ValueError) as exc:
            raise CourseError(f"{path}: malformed row {row} ({exc}); expected method,category,psnr,ssim,source") from exc
    return rows


def survey_methods(survey: list[SurveyResult] | None = None) -> list[str]:
    """Method names in the order they first appear in the table."""
    survey = load_survey() if survey is None else survey
    return list(dict.fromkeys(row.method for row in survey))


def survey_best(category: str, metric: str = "psnr", survey: list[SurveyResult] | None = None) -> SurveyResult | None:
    """The survey's best method on ``category`` (or ``"ALL"``) by ``metric``; None if it has no number."""
    survey = load_survey() if survey is None else survey
    candidates = [row for row in survey if row.category == category]
    return max(candidates, key=lambda row: getattr(row, metric), default=None)


@dataclass
class Comparison:
    """Our results next to the survey's, one row per category and a final ``ALL`` row.

    Each row is a dict: ``category``, ``n``, ``ours_psnr``, ``ours_ssim``,
    ``gray_psnr``, ``gray_ssim``, ``survey_best_method``, ``survey_best_psnr``,
    ``survey_best_ssim``, and ``survey`` (method -> {"psnr", "ssim"}). Missing
    numbers are ``None``.
    """

    rows: list[dict]
    methods: list[str]
    note: str = SURVEY_NOTE
    missing: list[str] = field(default_factory=list)

    def to_text(self) -> str:
        """A fixed-width table with the note underneath."""
        header = f"{'category':<15}{'n':>5}{'ours PSNR':>11}{'SSIM':>7}{'gray PSNR':>11}{'SSIM':>7}   survey best (PSNR / SSIM)"
        lines = [header, "-" * len(header)]
        for row in self.rows:
            best = (f"{row['survey_best_method']}: {_fmt(row['survey_best_psnr'], 2)} / {_fmt(row['survey_best_ssim'], 3)}"
                    if row["survey_best_method"] else "not available")
            lines.append(
                f"{row['category']:<15}{_fmt(row['n'], 0):>5}{_fmt(row['ours_psnr'], 2):>11}{_fmt(row['ours_ssim'], 3):>7}"
                f"{_fmt(row['gray_psnr'], 2):>11}{_fmt(row['gray_ssim'], 3):>7}   {best}"
            )
        lines += ["", self.note]
        if self.missing:
            lines.append("Survey numbers not available for: " + ", ".join(self.missing) + ".")
        return "\n".join(lines)


def _fmt(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _tables(result) -> tuple[Mapping, Mapping]:
    """``(dataset, categories)`` of an EvaluationResult or of the JSON ``evaluate`` writes."""
    if result is None:
        return {}, {}
    if isinstance(result, Mapping):
        return result["dataset"], result["categories"]
    return result.dataset, result.categories


def compare_with_survey(ours, gray=None, survey: list[SurveyResult] | None = None) -> Comparison:
    """Our per-category results, the gray floor and the survey's numbers side by side.

    Parameters
    ----------
    ours : EvaluationResult or dict
        ``evaluate_colorizer``'s result, or the JSON ``evaluate --json`` writes
        (keys ``dataset`` and ``categories``).
    gray : EvaluationResult or dict, optional
        The same for the gray baseline (``--model gray``): the floor.
    survey : list of SurveyResult, optional
        Defaults to the shipped table.

    Returns
    -------
    Comparison
        Rows for our categories (sorted by name) and a final ``ALL`` row.
    """
    survey = load_survey() if survey is None else survey
    ours_dataset, ours_categories = _tables(ours)
    gray_dataset, gray_categories = _tables(gray)
    methods = survey_methods(survey)
    rows = []
    for category in [*sorted(ours_categories), DATASET_ROW]:
        mine = ours_dataset if category == DATASET_ROW else ours_categories[category]
        floor = gray_dataset if category == DATASET_ROW else gray_categories.get(category, {})
        published = {row.method: {"psnr": row.psnr, "ssim": row.ssim} for row in survey if row.category == category}
        best = survey_best(category, "psnr", survey)
        rows.append({
            "category": category,
            "n": mine.get("n"),
            "ours_psnr": mine.get("psnr"),
            "ours_ssim": mine.get("ssim"),
            "gray_psnr": floor.get("psnr"),
            "gray_ssim": floor.get("ssim"),
            "survey_best_method": best.method if best else None,
            "survey_best_psnr": best.psnr if best else None,
            "survey_best_ssim": best.ssim if best else None,
            "survey": published,
        })
    missing = [row["category"] for row in rows if not row["survey"]]
    return Comparison(rows=rows, methods=methods, missing=missing)
