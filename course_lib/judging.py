"""Models judged side by side on the same photos: notebook 09's table (and ``benchmarks/bench_judges.py``'s).

For each model, and for the gray floor: the course's protocol (:func:`course_lib.evaluate.evaluate_colorizer`),
the judge's semantic accuracy and a classifier two-sample test (:mod:`course_lib.semantic`); for the real
photos, the judge's accuracy alone (the ceiling). It sits above both modules, so that neither imports the other.
"""

from __future__ import annotations

from course_lib.evaluate import evaluate_colorizer
from course_lib.inference import gray_baseline
from course_lib.semantic import CategoryClassifier, Judges


#: The figures :func:`side_by_side` keeps for each model (its dataset means and category rows).
SIDE_BY_SIDE_KEYS = ("psnr", "ssim", "deltaE", "colorfulness_ratio", "semantic_accuracy")
#: The row name of the real photos (the ceiling of semantic accuracy) and of the gray floor.
TRUTH, GRAY = "truth (the real photos)", "gray (ab = 0)"


def side_by_side(colorizers: dict, records, classifier: CategoryClassifier | None = None, *, two_sample: bool = True,
                 max_side: int | None = None, progress: bool = True) -> dict:
    """Models judged side by side on the same photos: the course's protocol, semantic accuracy, two-sample test.

    The gray floor is added before ``colorizers``, and, with a ``classifier``, the real photos' own
    semantic accuracy (the ceiling). Notebook 09 and ``benchmarks/bench_judges.py`` call this.

    Parameters
    ----------
    colorizers : dict
        Name -> colorizer (RGB uint8 -> RGB uint8, e.g. a :class:`course_lib.colorizer.Colorizer`).
    records : sequence of ImageRecord
        The photos (e.g. the test split, :func:`course_lib.evaluate.select_records`).
    classifier : CategoryClassifier, optional
    two_sample : bool
        Also run the two-sample test for every model (not for the real photos).
    max_side : int, optional
        Shrink the photos first (quick runs only; not the protocol).

    Returns
    -------
    dict
        ``{name: {"image_mean": {...}, "category_mean": {...}, "categories": {category: {...}},
        "two_sample": dict | None, "per_image": [...]}}`` with the figures of :data:`SIDE_BY_SIDE_KEYS` that
        apply (``per_image``: each photo's ``relpath``, ``category`` and figures; not for the real photos).

    Raises
    ------
    course_lib.semantic.ClassifierError
        A category the classifier does not know, or too few photos for a two-sample test.
    """

    def keep(row: dict) -> dict:
        return {key: float(row[key]) for key in SIDE_BY_SIDE_KEYS if key in row}

    table, floor_judges = {}, None
    for name, colorize in {GRAY: gray_baseline, **colorizers}.items():
        judges = Judges(classifier, two_sample=two_sample)
        floor_judges = floor_judges or judges  # the gray pass: its kept real photos give the ceiling below
        result = evaluate_colorizer(colorize, records, max_side=max_side, model=name, gray=False, progress=progress,
                                    on_image=judges.keep)
        judges.report(result, verbose=False)
        table[name] = {"image_mean": keep(result.dataset_image_mean), "category_mean": keep(result.dataset_category_mean),
                       "categories": {c: keep(row) for c, row in result.categories.items()},
                       "two_sample": result.settings.get("two_sample"),
                       "per_image": [{"relpath": r["relpath"], "category": r["category"], **keep(r)}
                                     for r in result.per_image]}
    if classifier is not None:
        means = floor_judges.truth_semantic_means()
        table[TRUTH] = {"image_mean": {"semantic_accuracy": means["image_mean"]},
                        "category_mean": {"semantic_accuracy": means["category_mean"]},
                        "categories": {c: {"semantic_accuracy": v} for c, v in means["categories"].items()},
                        "two_sample": None}
    return table


def format_side_by_side(table: dict, mean: str = "image_mean") -> str:
    """The table of :func:`side_by_side` as text: a row per model, the two-sample accuracy with its interval."""
    titles = {"psnr": "PSNR dB", "ssim": "SSIM", "deltaE": "dE00", "colorfulness_ratio": "colourf.",
              "semantic_accuracy": "semantic"}
    lines = [f"{'':28s}" + "".join(f"{t:>10s}" for t in titles.values()) + "   two-sample accuracy [95% interval]"]
    for name, row in table.items():
        values = "".join(f"{row[mean][k]:10.3f}" if k in row[mean] else f"{'':10s}" for k in titles)
        test = row.get("two_sample")
        extra = f"   {test['accuracy']:.1%} [{test['low']:.1%}, {test['high']:.1%}]" if test else ""
        lines.append(f"{name[:28]:28s}{values}{extra}")
    return "\n".join(lines)


__all__ = ["GRAY", "SIDE_BY_SIDE_KEYS", "TRUTH", "format_side_by_side", "side_by_side"]
