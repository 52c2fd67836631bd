"""Evaluate a colorizer (or the gray baseline) on NCD with the course's protocol.

The protocol is written once, in :mod:`course_lib.metrics`: RGB uint8 images at their
native resolution, every metric per image, then the mean per category, then the mean
over all images for the dataset row.

From Python::

    from course_lib.evaluate import evaluate_colorizer, select_records, gray_colorize_fn
    result = evaluate_colorizer(gray_colorize_fn(), select_records("data/ncd", "test"))
    print(format_table(result))

From the command line::

    python -m course_lib evaluate --model runs/unet/model.keras --data data/ncd --split test \\
        --json results.json --csv results.csv
    python -m course_lib evaluate --model gray --data data/ncd --split all   # the floor

``--model gray`` colorizes nothing: it keeps L and sets ab = 0, so every table has the
score of doing nothing next to it. The JSON holds ``dataset`` (metric -> value) and
``categories`` (name -> metric -> value), with the metric keys of
:data:`course_lib.metrics.METRIC_KEYS` and ``n``, the number of images.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from course_lib.errors import CourseError
from course_lib.metrics import METRIC_KEYS, evaluate_pair

#: Name of the dataset row in tables and CSV files.
DATASET_ROW = "ALL"
#: ``--split`` choices: the three splits of ``data.split_dataset`` or every image.
SPLITS = ("test", "val", "train", "all")
#: Column titles for the printed table.
_TITLES = {
    "psnr": "PSNR", "ssim": "SSIM", "rmse": "RMSE", "deltaE": "dE00", "colorfulness_ratio": "colorf.",
    "auc": "AuC", "psnr_fg": "PSNR fg", "deltaE_fg": "dE00 fg",
}
_DIGITS = {"psnr": 2, "ssim": 4, "rmse": 2, "deltaE": 2, "colorfulness_ratio": 3, "auc": 4, "psnr_fg": 2, "deltaE_fg": 2}

ColorizeFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class EvaluationResult:
    """What :func:`evaluate_colorizer` measured.

    Attributes
    ----------
    per_image : list of dict
        ``relpath``, ``category``, ``path`` and every metric, one dict per image.
    categories : dict
        Category name -> ``{"n": images, metric: mean over its images}``.
    dataset : dict
        ``{"n": images, metric: mean over all images}``.
    model : str
        What was evaluated (``"gray"`` or a model path).
    split : str
        Which images (``"test"``, ``"all"`` ...).
    settings : dict
        Anything that departs from the protocol (e.g. ``max_side``), recorded so a
        number is never quoted without it.
    """

    per_image: list[dict]
    categories: dict[str, dict]
    dataset: dict
    model: str = ""
    split: str = ""
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dict: ``dataset``, ``categories``, ``model``, ``split``, ``settings``.

        NaN (a metric undefined for every image) becomes ``null``.
        """
        return _json_safe({
            "model": self.model,
            "split": self.split,
            "settings": self.settings,
            "protocol": "RGB uint8, native resolution, per image -> per-category mean -> mean over all images",
            "dataset": self.dataset,
            "categories": self.categories,
        })

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    def write_csv(self, path: str | Path) -> Path:
        """One row per category and a final ``ALL`` row: ``category, n, <metrics>``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["category", "n", *METRIC_KEYS])
            for name, row in [*sorted(self.categories.items()), (DATASET_ROW, self.dataset)]:
                writer.writerow([name, row["n"], *(_csv_value(row[key]) for key in METRIC_KEYS)])
        return path

    def ranked(self, metric: str = "psnr", category: str | None = None) -> list[dict]:
        """Per-image rows sorted best first by ``metric`` (lower is better for rmse/deltaE)."""
        rows = [row for row in self.per_image if category is None or row["category"] == category]
        rows = [row for row in rows if math.isfinite(row[metric])]
        lower_is_better = metric in {"rmse", "deltaE", "deltaE_fg"}
        return sorted(rows, key=lambda row: row[metric], reverse=not lower_is_better)


def _csv_value(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.6g}"


def _json_safe(value):
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ------------------------------------------------------------------ aggregation
def _mean(values: list[float], metric: str, where: str) -> float:
    """Mean over the images where ``metric`` is defined; says so when some are not.

    PSNR is infinite for a perfect image, and a few metrics are undefined on some
    images (no foreground, a colourless ground truth). Those images are left out of
    that metric's mean -- loudly, never silently.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        warnings.warn(
            f"{where}: {metric} is not finite for {int((~finite).sum())} of {values.size} images "
            "(perfect match or undefined); they are left out of its mean",
            stacklevel=3,
        )
    return float(values[finite].mean()) if finite.any() else float("nan")


def aggregate(per_image: Sequence[dict]) -> tuple[dict[str, dict], dict]:
    """Per-category means and the dataset row (mean over all images).

    Parameters
    ----------
    per_image : sequence of dict
        Each with ``category`` and every key of ``METRIC_KEYS``.

    Returns
    -------
    categories : dict
        Name (sorted) -> ``{"n": count, metric: mean}``.
    dataset : dict
        ``{"n": count, metric: mean over all images}``.
    """
    if not per_image:
        raise CourseError("nothing to aggregate: no image was evaluated; check the data folder and --split")
    names = sorted({row["category"] for row in per_image})
    categories = {}
    for name in names:
        rows = [row for row in per_image if row["category"] == name]
        categories[name] = {"n": len(rows), **{key: _mean([r[key] for r in rows], key, name) for key in METRIC_KEYS}}
    dataset = {"n": len(per_image), **{key: _mean([r[key] for r in per_image], key, DATASET_ROW) for key in METRIC_KEYS}}
    return categories, dataset


# ------------------------------------------------------------------- evaluation
def evaluate_colorizer(
    colorize_fn: ColorizeFn,
    records: Sequence,
    *,
    max_side: int | None = None,
    model: str = "",
    split: str = "",
    progress: bool = True,
) -> EvaluationResult:
    """Colorize every image and measure it against its ground truth.

    Parameters
    ----------
    colorize_fn : callable
        RGB uint8 ``(H, W, 3)`` -> colorized RGB uint8 ``(H, W, 3)`` of the same size.
        The colorizer sees the ground truth, and must use only its lightness (as
        ``course_lib.inference.colorize_image`` does).
    records : sequence of ImageRecord
        Images to evaluate (``path``, ``category``, ``relpath``), e.g. from
        :func:`select_records`.
    max_side : int, optional
        Shrink photos whose longer side exceeds this before colorizing. **Not** the
        protocol (which uses native resolution): for quick checks only; recorded in
        ``settings``.
    model, split : str
        Labels stored in the result.
    progress : bool
        Show a progress bar.

    Returns
    -------
    EvaluationResult
    """
    from tqdm.auto import tqdm

    from course_lib.data import load_image

    if not records:
        raise CourseError("no images to evaluate: the selection is empty; check the data folder and --split")
    per_image = []
    bar = tqdm(records, desc=f"evaluate {model}".strip(), unit="img", disable=not progress)
    for record in bar:
        truth = load_image(record.path, max_side=max_side)  # (H, W, 3) uint8
        prediction = np.asarray(colorize_fn(truth))
        if prediction.shape != truth.shape or prediction.dtype != np.uint8:
            raise CourseError(
                f"the colorizer returned {prediction.dtype} {prediction.shape} for {record.relpath} "
                f"({truth.shape}); it must return RGB uint8 at the input's native resolution"
            )
        per_image.append({"relpath": record.relpath, "category": record.category, "path": str(record.path),
                          **evaluate_pair(prediction, truth)})
        bar.set_postfix(psnr=f"{np.mean([row['psnr'] for row in per_image if math.isfinite(row['psnr'])] or [np.nan]):.2f}")
    categories, dataset = aggregate(per_image)
    settings = {"max_side": max_side} if max_side else {}
    return EvaluationResult(per_image, categories, dataset, model=model, split=split, settings=settings)


def select_records(data_dir, split: str = "test") -> list:
    """The images of ``split`` (``"test"``, ``"val"``, ``"train"`` or ``"all"``) in a dataset folder.

    The split is ``course_lib.data.split_dataset`` on every readable image of the
    folder, so it is the same one training used.
    """
    from course_lib.data import scan_dataset_summarized, split_dataset

    if split not in SPLITS:
        raise CourseError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    # One summary line instead of a warning per stray file (``inspect`` lists them all).
    records = scan_dataset_summarized(data_dir).records
    return list(records) if split == "all" else split_dataset(records)[split]


def gray_colorize_fn() -> ColorizeFn:
    """The floor: keep L, set ab = 0 (``course_lib.inference.gray_baseline``)."""
    from course_lib.inference import gray_baseline

    return gray_baseline


def model_colorize_fn(model_path) -> ColorizeFn:
    """Load a trained colorizer and colorize with the same path as the ``colorize`` command."""
    from course_lib.inference import colorize_image
    from course_lib.model import load_colorizer

    model = load_colorizer(model_path)
    return lambda image: colorize_image(model, image)


# --------------------------------------------------------------------- reporting
def format_table(result: EvaluationResult) -> str:
    """Fixed-width table: one row per category, then the dataset row."""
    header = f"{'category':<15}{'n':>5}" + "".join(f"{_TITLES[key]:>9}" for key in METRIC_KEYS)
    lines = [header, "-" * len(header)]
    for name, row in [*result.categories.items(), (DATASET_ROW, result.dataset)]:
        if name == DATASET_ROW:
            lines.append("-" * len(header))
        cells = "".join(f"{row[key]:>9.{_DIGITS[key]}f}" for key in METRIC_KEYS)
        lines.append(f"{name:<15}{row['n']:>5}{cells}")
    lines.append("dataset row = mean over all images; PSNR/SSIM/RMSE on RGB uint8 (data_range 255), "
                 "fg = foreground (non-white) pixels only")
    if result.settings:
        lines.append(f"NOTE: not the standard protocol: {result.settings}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("--model", required=True,
                        help="a trained model (.keras file or RUN_DIR), or 'gray' for the ab = 0 baseline")
    parser.add_argument("--data", default=None,
                        help="NCD folder (default: $NCD_DIR, then data/ncd, as course_lib.data.get_dataset)")
    parser.add_argument("--split", default="test", choices=SPLITS,
                        help="which images: the test split (default), val, train, or all")
    parser.add_argument("--json", default=None, help="write dataset and per-category metrics to this JSON file")
    parser.add_argument("--csv", default=None, help="write per-category rows and the dataset row to this CSV file")
    parser.add_argument("--max-side", type=int, default=None,
                        help="shrink photos to this longer side first (quick checks only; not the protocol)")


def run_cli(args) -> int:
    from course_lib.data import get_dataset

    data_dir = get_dataset(args.data).root
    records = select_records(data_dir, args.split)
    if args.model == "gray":
        colorize_fn, label = gray_colorize_fn(), "gray"
    else:
        colorize_fn, label = model_colorize_fn(args.model), str(args.model)
    print(f"evaluating {label} on {len(records)} images ({args.split} split of {data_dir})")
    result = evaluate_colorizer(colorize_fn, records, max_side=args.max_side, model=label, split=args.split)
    print(format_table(result))
    if args.json:
        print(f"wrote {result.write_json(args.json)}")
    if args.csv:
        print(f"wrote {result.write_csv(args.csv)}")
    return 0
