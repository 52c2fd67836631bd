"""The NCD survey's published numbers, side by side with ours.

Anwar et al., "Image Colorization: A Survey and Dataset" (Information Fusion, 2024;
arXiv:2008.10774) introduced NCD and ran six published colorizers on it. Their table --
every method on each of the 20 categories and on the whole dataset -- is shipped in
``course_lib/resources/ncd_survey.csv`` (its header cites the source) and read by
:func:`load_survey`. It has four numbers per row:

* **PSNR** and **SSIM**: as in :mod:`course_lib.metrics` (the survey's exact settings
  may differ from our protocol).
* **PCQI**, the patch-based contrast quality index (Wang et al., IEEE Signal Processing
  Letters 2015), compares each patch's mean intensity, contrast strength and structure
  with the ground truth's; 1 means the contrast is kept, below 1 lost, above 1 enhanced.
* **IQM** is a no-reference image-quality measure, higher being better according to the
  survey; the table does not define it further, and we read it -- tentatively, this is not
  confirmed -- as the UIQM of Panetta et al. (2016), a weighted sum of colourfulness,
  sharpness and contrast measures.

The survey's dataset row (``Dataset-level``) is the plain mean of its 20 category rows,
so :func:`compare_with_survey` sets our **mean over categories**
(``dataset_category_mean``) beside it, and shows our model per category beside all six
methods and the gray floor.

Read the comparison with care: the settings differ. The survey's methods are zero-shot
here -- trained on ImageNet-scale data, never on NCD -- and were run on every NCD image;
a course model is trained on NCD's own train split and measured on a held-out split.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from course_lib.errors import CourseError
from course_lib.evaluate import CATEGORY_MEAN_ROW

#: The data file shipped with the package.
SURVEY_CSV = Path(__file__).resolve().parent / "resources" / "ncd_survey.csv"
#: Our name for the survey's ``Dataset-level`` rows: like ours, a mean over categories.
DATASET_ROW = CATEGORY_MEAN_ROW
#: The survey's name for its dataset rows.
SURVEY_DATASET_LEVEL = "Dataset-level"
#: The survey's four metrics, as CSV columns and :class:`SurveyResult` fields.
SURVEY_METRICS = ("psnr", "ssim", "pcqi", "iqm")
_COLUMNS = ("category", "n_images", "method", *SURVEY_METRICS)
#: Short column titles for the survey's methods in printed tables.
SHORT_NAMES = {
    "Automatic Colorizer": "AutoColor",
    "ColorCapsNet": "CapsNet",
    "Let there be Color": "LetThere",
    "Colorful Colorization": "Colorful",
    "Instance-Aware Colorization": "InstAware",
    "Real-Time Colorization": "RealTime",
}
#: The two settings, printed with every comparison.
SURVEY_SETTING = ("survey methods: zero-shot -- trained on ImageNet-scale data, never on NCD -- and run on all "
                  "735 NCD images (the survey's count; the public archive holds 723)")
SURVEY_NOTE = (
    "Survey numbers: Anwar et al., 'Image Colorization: A Survey and Dataset' (Information Fusion 2024, "
    "arXiv:2008.10774), NCD table (Figs/NCD_results_table.png of saeed-anwar/ColorSurvey). Both dataset rows "
    "are means over categories. The settings differ (see above), the images differ (all of NCD against our "
    "test split), and the survey's exact PSNR/SSIM settings are not published: a gap of a few dB says which "
    "setting is closer to NCD, not which method is better; per-category gaps under about 1 dB say nothing."
)


@dataclass(frozen=True)
class SurveyResult:
    """One row of the survey's table: ``method`` on ``category``.

    ``category`` is the NCD folder name (``"CapsicumGreen"``) or :data:`DATASET_ROW`;
    ``survey_category`` is the name as the survey prints it (``"Capsicum green"``,
    ``"Dataset-level"``). ``n_images`` is the survey's image count for that row.
    """

    method: str
    category: str
    psnr: float
    ssim: float
    pcqi: float = math.nan
    iqm: float = math.nan
    n_images: int | None = None
    survey_category: str = ""


def ncd_folder_name(survey_category: str) -> str:
    """The NCD folder name of a survey category: ``"Capsicum green"`` -> ``"CapsicumGreen"``.

    The survey's ``Dataset-level`` becomes :data:`DATASET_ROW`.
    """
    if survey_category == SURVEY_DATASET_LEVEL:
        return DATASET_ROW
    return "".join(word[:1].upper() + word[1:] for word in survey_category.split())


def load_survey(path: str | Path | None = None) -> list[SurveyResult]:
    """Read the survey table, every row (``#`` lines are comments).

    Parameters
    ----------
    path : path, optional
        A CSV with columns ``category, n_images, method, psnr, ssim, pcqi, iqm`` (the
        survey's category names); defaults to :data:`SURVEY_CSV`.

    Returns
    -------
    list of SurveyResult, in file order, values exactly as written.

    Raises
    ------
    CourseError
        If the file is missing or a row is malformed.
    """
    path = Path(path) if path is not None else SURVEY_CSV
    if not path.is_file():
        raise CourseError(f"survey table {path} not found; reinstall the course package (pip install -e .)")
    with path.open(newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    rows = []
    for row in csv.DictReader(lines):
        try:
            name = row["category"].strip()
            rows.append(SurveyResult(
                method=row["method"].strip(), category=ncd_folder_name(name),
                **{key: float(row[key]) for key in SURVEY_METRICS},
                n_images=int(row["n_images"]), survey_category=name,
            ))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CourseError(f"{path}: malformed row {row} ({exc}); expected columns {','.join(_COLUMNS)}") from exc
    return rows


def survey_methods(survey: list[SurveyResult] | None = None) -> list[str]:
    """Method names in the order they first appear in the table."""
    survey = load_survey() if survey is None else survey
    return list(dict.fromkeys(row.method for row in survey))


def survey_best(category: str, metric: str = "psnr", survey: list[SurveyResult] | None = None) -> SurveyResult | None:
    """The survey's best method on ``category`` (or :data:`DATASET_ROW`) by ``metric``; None if it has no number."""
    survey = load_survey() if survey is None else survey
    candidates = [row for row in survey if row.category == category and not math.isnan(getattr(row, metric))]
    return max(candidates, key=lambda row: getattr(row, metric), default=None)


# ------------------------------------------------------------------ comparison
@dataclass
class Comparison:
    """Our results next to the survey's: one row per category of ours, then :data:`DATASET_ROW`.

    Each row is a dict: ``category``, ``n`` (our images), ``ours_psnr``, ``ours_ssim``,
    ``gray_psnr``, ``gray_ssim``, ``gain_psnr``, ``gain_ssim`` (ours - gray),
    ``survey_best_method``, ``survey_best_psnr``, ``survey_best_ssim``, and ``survey``
    (method -> ``{"psnr", "ssim", "pcqi", "iqm"}``). Our dataset row is our mean over
    categories, as the survey's is. Missing numbers are ``None``.
    """

    rows: list[dict]
    methods: list[str]
    note: str = SURVEY_NOTE
    missing: list[str] = field(default_factory=list)
    ours_setting: str = "ours: trained on NCD's train split"

    def to_text(self) -> str:
        """Two fixed-width tables (PSNR, SSIM): ours, gray, gain, and all six methods; then the settings."""
        lines = []
        for metric, title, digits in (("psnr", "PSNR (dB)", 2), ("ssim", "SSIM", 3)):
            header = (f"{title:<18}{'n':>5}{'ours':>8}{'gray':>8}{'gain':>8}  |"
                      + "".join(f"{SHORT_NAMES.get(m, m[:9]):>10}" for m in self.methods))
            lines += [header, "-" * len(header)]
            for row in self.rows:
                if row["category"] == DATASET_ROW:
                    lines.append("-" * len(header))
                best = _best_of(row["survey"], metric)
                cells = "".join(
                    f"{_fmt(row['survey'].get(m, {}).get(metric), digits):>9}{'*' if m == best else ' '}"
                    for m in self.methods
                )
                gain = row[f"gain_{metric}"]
                lines.append(
                    f"{row['category']:<18}{_fmt(row['n'], 0):>5}{_fmt(row[f'ours_{metric}'], digits):>8}"
                    f"{_fmt(row[f'gray_{metric}'], digits):>8}{'-' if gain is None else f'{gain:+.{digits}f}':>8}  |{cells}"
                )
            lines.append("")
        legend = ", ".join(f"{SHORT_NAMES.get(m, m[:9])} = {m}" for m in self.methods)
        lines += [
            f"* best survey method in the row. {legend}.",
            f"gain = ours - gray (ab = 0) on the same images. {DATASET_ROW}: mean of the category rows, for us "
            "and for the survey ('Dataset-level').",
            self.ours_setting + ".",
            SURVEY_SETTING + ".",
            self.note,
        ]
        if self.missing:
            lines.append("Survey numbers not available for: " + ", ".join(self.missing) + ".")
        return "\n".join(lines)


def _best_of(published: Mapping[str, Mapping], metric: str) -> str | None:
    scored = {method: numbers[metric] for method, numbers in published.items() if _fmt(numbers.get(metric), 0) != "-"}
    return max(scored, key=scored.get, default=None)


def _fmt(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _summary(result) -> tuple[Mapping, Mapping, Mapping | None, dict]:
    """``(categories, mean over categories, embedded gray summary, labels)`` of an
    EvaluationResult or of the JSON ``evaluate`` writes."""
    if result is None:
        return {}, {}, None, {}
    data = result if isinstance(result, Mapping) else {
        "categories": result.categories, "dataset_category_mean": result.dataset_category_mean,
        "gray": result.gray, "split": result.split, "settings": result.settings,
    }
    categories = data["categories"]
    category_mean = data.get("dataset_category_mean") or _mean_of_rows(categories)  # older JSON: no such key
    labels = {key: data.get(key) for key in ("split", "settings")}
    return categories, category_mean, data.get("gray"), labels


def _mean_of_rows(categories: Mapping[str, Mapping]) -> dict:
    """The plain mean of the category rows (what evaluate's ``dataset_category_mean`` holds)."""
    rows = list(categories.values())
    mean = {"n": sum(row.get("n") or 0 for row in rows)}
    for key in ("psnr", "ssim"):
        values = [row[key] for row in rows if row.get(key) is not None and math.isfinite(row[key])]
        mean[key] = sum(values) / len(values) if values else None
    return mean


def _difference(ours, gray):
    return None if ours is None or gray is None else ours - gray


def compare_with_survey(ours, gray=None, survey: list[SurveyResult] | None = None) -> Comparison:
    """Our per-category results, the gray floor and all six survey methods side by side.

    Parameters
    ----------
    ours : EvaluationResult or dict
        ``evaluate_colorizer``'s result, or the JSON ``evaluate --json`` writes.
    gray : EvaluationResult or dict, optional
        The gray baseline (``--model gray``) on the same images. By default the gray
        baseline that ``evaluate_colorizer`` measured alongside ``ours`` is used.
    survey : list of SurveyResult, optional
        Defaults to the shipped table.

    Returns
    -------
    Comparison
        Rows for our categories (sorted by name), then :data:`DATASET_ROW`: our mean
        over categories beside the survey's ``Dataset-level`` rows.
    """
    survey = load_survey() if survey is None else survey
    ours_categories, ours_mean, embedded_gray, labels = _summary(ours)
    if gray is not None:
        gray_categories, gray_mean, _, _ = _summary(gray)
    elif embedded_gray is not None:
        gray_categories, gray_mean = embedded_gray["categories"], embedded_gray["dataset_category_mean"]
    else:
        gray_categories, gray_mean = {}, {}
    rows = []
    for category in [*sorted(ours_categories), DATASET_ROW]:
        mine = ours_mean if category == DATASET_ROW else ours_categories[category]
        floor = gray_mean if category == DATASET_ROW else gray_categories.get(category, {})
        published = {row.method: {key: getattr(row, key) for key in SURVEY_METRICS}
                     for row in survey if row.category == category}
        best = survey_best(category, "psnr", survey)
        rows.append({
            "category": category,
            "n": mine.get("n"),
            **{f"ours_{key}": mine.get(key) for key in ("psnr", "ssim")},
            **{f"gray_{key}": floor.get(key) for key in ("psnr", "ssim")},
            **{f"gain_{key}": _difference(mine.get(key), floor.get(key)) for key in ("psnr", "ssim")},
            "survey_best_method": best.method if best else None,
            "survey_best_psnr": best.psnr if best else None,
            "survey_best_ssim": best.ssim if best else None,
            "survey": published,
        })
    missing = [row["category"] for row in rows if not row["survey"]]
    survey_categories = {row.category for row in survey} - {DATASET_ROW}
    setting = "ours: trained on NCD's train split"
    if labels.get("split"):
        setting += f", measured on its {labels['split']} split ({ours_mean.get('n')} images)"
    if labels.get("settings"):
        setting += f" with {labels['settings']} (not the standard protocol)"
    if survey_categories and set(ours_categories) != survey_categories:
        setting += (f"; our mean covers {len(set(ours_categories) & survey_categories)} of the survey's "
                    f"{len(survey_categories)} categories")
    return Comparison(rows=rows, methods=survey_methods(survey), missing=missing, ours_setting=setting)
