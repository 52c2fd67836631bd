"""Evaluate a colorizer (or the gray baseline) on NCD with the course's protocol.

The protocol is written once, in :mod:`course_lib.metrics`: RGB uint8 images at their
native resolution, every metric per image, then the mean per category, then two dataset
means, each named for what it averages:

* ``dataset_image_mean`` (table row ``ALL (images)``): every image weighs the same;
* ``dataset_category_mean`` (row ``ALL (categories)``): every category weighs the same --
  how the NCD survey computes its dataset row, so the one to compare with it.

Every evaluation also measures the **gray baseline** (keep L, set ab = 0) on the same
images -- it costs one more set of metrics, no model -- and reports the **gain over
gray** (ours - gray) per category and for both means: a colorizer is worth what it adds
to doing nothing.

From Python::

    from course_lib.colorizer import Colorizer
    from course_lib.evaluate import evaluate_colorizer, format_table, select_records
    result = evaluate_colorizer(Colorizer.load("runs/unet"), select_records("data/ncd", "val"))
    print(format_table(result))
    result.dataset_category_mean["psnr"], result.gain_over_gray["dataset_category_mean"]["psnr"]

From the command line::

    python -m course_lib evaluate --model runs/unet/model.keras --data data/ncd --split val
    python -m course_lib evaluate --model runs/unet/model.keras --data data/ncd --split test \\
        --json results.json --csv results.csv          # once per finished recipe
    python -m course_lib evaluate --model gray --data data/ncd --split all   # the floor

The JSON holds ``categories`` (name -> metric -> value), ``dataset_image_mean``,
``dataset_category_mean``, ``gray`` (the same three for the gray baseline) and
``gain_over_gray`` (the same three, ours - gray), with the metric keys of
:data:`course_lib.metrics.METRIC_KEYS` and ``n``, the number of images.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from course_lib.errors import CourseError
from course_lib.metrics import METRIC_KEYS, evaluate_pair

#: Table and CSV row of the mean over all images (each image weighs the same).
IMAGE_MEAN_ROW = "ALL (images)"
#: Table and CSV row of the mean of the category rows (each category weighs the same; the NCD survey's dataset row).
CATEGORY_MEAN_ROW = "ALL (categories)"
#: The three parts of a summary, as named in results and JSON.
_SUMMARY_KEYS = ("categories", "dataset_image_mean", "dataset_category_mean")
#: ``--split`` choices: the three splits of ``data.split_dataset`` or every image.
SPLITS = ("test", "val", "train", "all")
#: Metrics where lower is better (for ranking, and to read a gain's sign).
LOWER_IS_BETTER = ("rmse", "deltaE", "deltaE_fg")
#: Column titles for the printed table.
_TITLES = {
    "psnr": "PSNR", "ssim": "SSIM", "rmse": "RMSE", "deltaE": "dE00", "colorfulness_ratio": "colorf.",
    "auc": "AuC", "psnr_fg": "PSNR fg", "deltaE_fg": "dE00 fg",
}
_DIGITS = {"psnr": 2, "ssim": 4, "rmse": 2, "deltaE": 2, "colorfulness_ratio": 3, "auc": 4, "psnr_fg": 2, "deltaE_fg": 2}
#: Outside a terminal or notebook (a log file, CI), the progress bar redraws at most this often.
LOG_PROGRESS_INTERVAL_S = 60.0

ColorizeFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class EvaluationResult:
    """What :func:`evaluate_colorizer` measured.

    Attributes
    ----------
    per_image : list of dict
        ``relpath``, ``category``, ``path`` and every metric, one dict per image; with
        the gray baseline measured, also ``gray``: its metrics on that image.
    categories : dict
        Category name -> ``{"n": images, metric: mean over its images}``.
    dataset_image_mean : dict
        ``{"n": images, metric: mean over all images}`` (table row ``ALL (images)``).
    dataset_category_mean : dict
        ``{"n": images, "categories": count, metric: mean of the category rows}`` (row
        ``ALL (categories)``): how the NCD survey computes its dataset row.
    gray : dict or None
        The gray baseline (ab = 0) on the same images: ``{"categories": ...,
        "dataset_image_mean": ..., "dataset_category_mean": ...}`` as above; None when
        it was not measured.
    model : str
        What was evaluated (``"gray"`` or a model path).
    split : str
        Which images (``"test"``, ``"val"``, ``"all"`` ...).
    settings : dict
        Anything that departs from the protocol (e.g. ``max_side``), recorded so a
        number is never quoted without it.
    """

    per_image: list[dict]
    categories: dict[str, dict]
    dataset_image_mean: dict
    dataset_category_mean: dict
    gray: dict | None = None
    model: str = ""
    split: str = ""
    settings: dict = field(default_factory=dict)

    @property
    def dataset(self) -> dict:
        """The older name of :attr:`dataset_image_mean` (the mean over images), kept for existing code."""
        return self.dataset_image_mean

    @property
    def gain_over_gray(self) -> dict | None:
        """Ours - gray on the same images, for every metric; None without the gray baseline.

        ``{"categories": {name: {metric: gain}}, "dataset_image_mean": {...},
        "dataset_category_mean": {...}}``. A positive gain is better, except for
        RMSE and the ΔE metrics (:data:`LOWER_IS_BETTER`), where a negative one is.
        """
        if self.gray is None:
            return None
        ours = self._summary()
        return {
            "categories": {name: _difference(row, self.gray["categories"][name]) for name, row in self.categories.items()},
            "dataset_image_mean": _difference(ours["dataset_image_mean"], self.gray["dataset_image_mean"]),
            "dataset_category_mean": _difference(ours["dataset_category_mean"], self.gray["dataset_category_mean"]),
        }

    def _summary(self) -> dict:
        return {"categories": self.categories, "dataset_image_mean": self.dataset_image_mean,
                "dataset_category_mean": self.dataset_category_mean}

    def to_dict(self) -> dict:
        """JSON-ready dict: the labels, ours, ``gray`` and ``gain_over_gray``. NaN becomes ``null``."""
        return _json_safe({
            "model": self.model,
            "split": self.split,
            "settings": self.settings,
            "protocol": "RGB uint8, native resolution, per image -> per-category mean -> mean over images "
                        "(dataset_image_mean) and mean over categories (dataset_category_mean)",
            **self._summary(),
            "gray": self.gray,
            "gain_over_gray": self.gain_over_gray,
        })

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    def write_csv(self, path: str | Path) -> Path:
        """One row per category, then ``ALL (images)`` and ``ALL (categories)``.

        Columns: ``category, n``, every metric, then ``gray_<metric>`` and
        ``gain_<metric>`` (empty when the gray baseline was not measured).
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        ours, gray, gain = self._summary(), self.gray, self.gain_over_gray
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["category", "n", *METRIC_KEYS, *(f"gray_{key}" for key in METRIC_KEYS),
                             *(f"gain_{key}" for key in METRIC_KEYS)])
            for name in self.row_names():
                row = row_of(ours, name)
                writer.writerow([name, row["n"], *(_csv_value(row[key]) for key in METRIC_KEYS),
                                 *(_csv_value(row_of(gray, name).get(key)) for key in METRIC_KEYS),
                                 *(_csv_value(row_of(gain, name).get(key)) for key in METRIC_KEYS)])
        return path

    def row_names(self) -> list[str]:
        """Table order: the categories (sorted), then ``ALL (images)`` and ``ALL (categories)``."""
        return [*sorted(self.categories), IMAGE_MEAN_ROW, CATEGORY_MEAN_ROW]

    def ranked(self, metric: str = "psnr", category: str | None = None) -> list[dict]:
        """Per-image rows sorted best first by ``metric`` (lower is better for rmse/deltaE)."""
        rows = [row for row in self.per_image if category is None or row["category"] == category]
        rows = [row for row in rows if math.isfinite(row[metric])]
        return sorted(rows, key=lambda row: row[metric], reverse=metric not in LOWER_IS_BETTER)


def row_of(summary: dict | None, name: str) -> dict:
    """Row ``name`` (a category, ``ALL (images)`` or ``ALL (categories)``) of a summary
    (``{"categories", "dataset_image_mean", "dataset_category_mean"}``); ``{}`` if there is none."""
    if summary is None:
        return {}
    if name == IMAGE_MEAN_ROW:
        return summary["dataset_image_mean"]
    if name == CATEGORY_MEAN_ROW:
        return summary["dataset_category_mean"]
    return summary["categories"].get(name, {})


def _difference(ours: dict, gray: dict) -> dict:
    return {key: ours[key] - gray[key] for key in METRIC_KEYS}


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
def _mean(values: list[float], metric: str, where: str, unit: str = "images") -> float:
    """Mean over the values where ``metric`` is defined; says so when some are not.

    PSNR is infinite for a perfect image, and a few metrics are undefined on some
    images (no foreground, a colourless ground truth). Those are left out of that
    metric's mean -- loudly, never silently.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        warnings.warn(
            f"{where}: {metric} is not finite for {int((~finite).sum())} of {values.size} {unit} "
            "(perfect match or undefined); they are left out of its mean",
            stacklevel=3,
        )
    return float(values[finite].mean()) if finite.any() else float("nan")


def aggregate(per_image: Sequence[dict]) -> tuple[dict[str, dict], dict, dict]:
    """Per-category means and the two dataset means.

    Parameters
    ----------
    per_image : sequence of dict
        Each with ``category`` and every key of ``METRIC_KEYS``.

    Returns
    -------
    categories : dict
        Name (sorted) -> ``{"n": count, metric: mean over its images}``.
    dataset_image_mean : dict
        ``{"n": count, metric: mean over all images}``.
    dataset_category_mean : dict
        ``{"n": count, "categories": count, metric: mean of the category means}``.

    Raises
    ------
    CourseError
        If ``per_image`` is empty.
    """
    if not per_image:
        raise CourseError("nothing to aggregate: no image was evaluated; check the data folder and --split")
    categories = {}
    for name in sorted({row["category"] for row in per_image}):
        rows = [row for row in per_image if row["category"] == name]
        categories[name] = {"n": len(rows), **{key: _mean([r[key] for r in rows], key, name) for key in METRIC_KEYS}}
    image_mean = {"n": len(per_image),
                  **{key: _mean([r[key] for r in per_image], key, IMAGE_MEAN_ROW) for key in METRIC_KEYS}}
    rows = categories.values()
    category_mean = {"n": len(per_image), "categories": len(categories),
                     **{key: _mean([r[key] for r in rows], key, CATEGORY_MEAN_ROW, "categories") for key in METRIC_KEYS}}
    return categories, image_mean, category_mean


# ------------------------------------------------------------------- evaluation
def _progress_bar(iterable, **options):
    """A ``tqdm.auto`` bar that does not flood logs.

    In a notebook it is the usual widget, in a terminal the usual bar. Anywhere else
    (output redirected to a log file, CI) every redraw would be one more line of
    carriage returns, so it redraws at most every :data:`LOG_PROGRESS_INTERVAL_S` seconds.
    """
    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    stream = sys.stderr  # where tqdm writes
    if not issubclass(tqdm, notebook_tqdm) and not (hasattr(stream, "isatty") and stream.isatty()):
        options.setdefault("mininterval", LOG_PROGRESS_INTERVAL_S)
    return tqdm(iterable, **options)


def evaluate_colorizer(
    colorize_fn: ColorizeFn,
    records: Sequence,
    *,
    max_side: int | None = None,
    model: str = "",
    split: str = "",
    progress: bool = True,
    gray: bool = True,
    on_image: Callable | None = None,
) -> EvaluationResult:
    """Colorize every image and measure it against its ground truth (and the gray baseline).

    Parameters
    ----------
    colorize_fn : callable
        RGB uint8 ``(H, W, 3)`` -> colorized RGB uint8 ``(H, W, 3)`` of the same size: a
        :class:`course_lib.colorizer.Colorizer` (``Colorizer.load(RUN_DIR)``), the gray baseline,
        or any such function. The colorizer sees the ground truth, and must use only its
        lightness (as a Colorizer does).
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
    gray : bool
        Also measure the gray baseline (ab = 0) on the same images, for
        :attr:`EvaluationResult.gain_over_gray`. Where the colorizer's output *is* the
        gray image, its metrics are reused rather than computed twice.
    on_image : callable, optional
        Called as ``on_image(record, truth, prediction)`` after each image (e.g. to keep small
        copies for :mod:`course_lib.semantic`'s semantic accuracy and two-sample test).

    Returns
    -------
    EvaluationResult

    Raises
    ------
    CourseError
        If ``records`` is empty, or the colorizer returns anything but RGB uint8 of the
        input's size.
    """
    from course_lib.data import load_image
    from course_lib.inference import gray_baseline

    if not records:
        raise CourseError("no images to evaluate: the selection is empty; check the data folder and --split")
    per_image = []
    bar = _progress_bar(records, desc=f"evaluate {model}".strip(), unit="img", disable=not progress)
    for record in bar:
        truth = load_image(record.path, max_side=max_side)  # (H, W, 3) uint8
        prediction = np.asarray(colorize_fn(truth))
        if prediction.shape != truth.shape or prediction.dtype != np.uint8:
            raise CourseError(
                f"the colorizer returned {prediction.dtype} {prediction.shape} for {record.relpath} "
                f"({truth.shape}); it must return RGB uint8 at the input's native resolution"
            )
        row = {"relpath": record.relpath, "category": record.category, "path": str(record.path),
               **evaluate_pair(prediction, truth)}
        if gray:
            floor = gray_baseline(truth)
            row["gray"] = ({key: row[key] for key in METRIC_KEYS} if np.array_equal(floor, prediction)
                           else evaluate_pair(floor, truth))
        per_image.append(row)
        if on_image is not None:
            on_image(record, truth, prediction)
        # refresh=False: the bar redraws on its own schedule (see _progress_bar), not on every image.
        bar.set_postfix(psnr=f"{np.mean([r['psnr'] for r in per_image if math.isfinite(r['psnr'])] or [np.nan]):.2f}",
                        refresh=False)
    categories, image_mean, category_mean = aggregate(per_image)
    gray_summary = None
    if gray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined values were already reported for the model's rows
            gray_rows = [{"category": row["category"], **row["gray"]} for row in per_image]
            gray_summary = dict(zip(_SUMMARY_KEYS, aggregate(gray_rows)))
    settings = {"max_side": max_side} if max_side else {}
    return EvaluationResult(per_image, categories, image_mean, category_mean, gray=gray_summary,
                            model=model, split=split, settings=settings)


def select_records(data_dir, split: str = "test", max_images: int | None = None) -> list:
    """The images of ``split`` (``"test"``, ``"val"``, ``"train"`` or ``"all"``) in a dataset folder.

    The split is ``course_lib.data.split_dataset`` on every readable image of the
    folder, so it is the same one training used. ``max_images`` keeps at most that
    many, drawn evenly from every category (``course_lib.data.stratified_subset``).
    """
    from course_lib.data import scan_dataset_summarized, split_dataset, stratified_subset

    if split not in SPLITS:
        raise CourseError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    # One summary line instead of a warning per stray file (``inspect`` lists them all).
    records = scan_dataset_summarized(data_dir).records
    records = list(records) if split == "all" else split_dataset(records)[split]
    return stratified_subset(records, max_images) if max_images else records


def gray_colorize_fn() -> ColorizeFn:
    """The floor: keep L, set ab = 0 (``course_lib.inference.gray_baseline``)."""
    from course_lib.inference import gray_baseline

    return gray_baseline


def hint_colorize_fn(colorizer, n_hints: int, seed: int = 0) -> ColorizeFn:
    """Colorize with ``n_hints`` simulated hints per image (Zhang et al. 2017's protocol, :mod:`course_lib.hints`).

    The hints are sampled on the ground truth at the model's resolution (the image the colorizer
    is given), on the object, seeded by the image's pixels and ``seed``: the same image always
    gets the same hints, whichever model is evaluated. An automatic model ignores them.

    Parameters
    ----------
    colorizer : course_lib.colorizer.Colorizer
        ``Colorizer.load(RUN_DIR)``; it decodes as its run chose.
    n_hints : int
        Simulated hints per image (0: none, the model on its own).
    seed : int

    Raises
    ------
    CourseError
        ``colorizer`` is not a Colorizer (e.g. a bare Keras model, which would lose its run's decoding).
    """
    from course_lib.colorizer import as_colorizer
    from course_lib.hints import simulated_hint_map
    from course_lib.inference import as_rgb_uint8, resize_rgb

    colorizer = as_colorizer(colorizer, "hint_colorize_fn")

    def colorize(image):
        hint_map = (simulated_hint_map(resize_rgb(as_rgb_uint8(image), colorizer.image_size), n_hints, seed)
                    if n_hints else None)
        return colorizer.colorize(image, hint_map=hint_map)

    return colorize


def decoding_table(model, images: Sequence[np.ndarray], categories: Sequence[str], temperatures=None,
                   upsamplings=None, batch_size: int = 16) -> list[dict]:
    """Score a model's decodings on validation photos: a classification model's temperatures times the
    upsamplings, a regression model's upsamplings (its ``temperature`` is None: it predicts ab itself).

    Every candidate (a temperature times an upsampling) colorizes every photo at the photo's own
    size, as ``colorize`` and ``evaluate`` would (``train`` passes photos shrunk to
    :data:`~course_lib.classification.DECODING_MAX_SIDE`); the logits are predicted once per photo.
    Each row holds the category means of PSNR and of the colourfulness ratio with their 95 %
    prediction intervals for a new set of 5 photos per category
    (:func:`course_lib.metrics.category_mean_interval`) and the image mean of PSNR: what
    :func:`course_lib.classification.choose_decoding` chooses from.

    Parameters
    ----------
    model : a colorizer (``train``; a classification one with ``--head classification``)
    images : sequence of RGB uint8 photos, any sizes
    categories : sequence of str, one per photo
    temperatures, upsamplings : sequences, optional
        Default :data:`~course_lib.classification.TEMPERATURE_CANDIDATES` (classification models only) and
        :data:`~course_lib.classification.UPSAMPLING_CANDIDATES`.

    Returns
    -------
    list of dict, one per candidate

    Raises
    ------
    CourseError
        No photos, or not one category per photo.
    """
    from course_lib import classification as cl
    from course_lib.classification_head import is_classification_model, model_bins
    from course_lib.inference import predict_ab, predict_output, recombine
    from course_lib.metrics import category_mean_interval, colorfulness_ratio, psnr

    images, categories = list(images), list(categories)
    if not images or len(images) != len(categories):
        raise CourseError(f"need photos and one category each: {len(images)} photos, {len(categories)} categories")
    classifies = is_classification_model(model)
    bins = model_bins(model) if classifies else None
    temperatures = [float(t) for t in (temperatures or cl.TEMPERATURE_CANDIDATES)] if classifies else [None]
    upsamplings = list(upsamplings or cl.UPSAMPLING_CANDIDATES)
    scores = {(t, u): ([], []) for t in temperatures for u in upsamplings}  # -> (PSNRs, colourfulness ratios)
    for start in range(0, len(images), batch_size):  # logits of a batch only: (B, S, S, Q) can be large
        batch = images[start : start + batch_size]
        output = predict_output(model, batch, batch_size) if classifies else predict_ab(model, batch, batch_size)
        for t in temperatures:
            ab_small = cl.annealed_mean(output, bins, t) if classifies else output
            for upsampling in upsamplings:
                psnrs, ratios = scores[t, upsampling]
                for image, ab in zip(batch, ab_small):
                    rgb = recombine(image, ab, upsampling=upsampling)
                    psnrs.append(psnr(rgb, image, data_range=255))
                    ratios.append(colorfulness_ratio(rgb, image))
    table, confidence = [], cl.COLOURFULNESS_CONFIDENCE
    for (t, upsampling), (psnrs, ratios) in scores.items():
        psnr_mean, psnr_low, psnr_high = category_mean_interval(psnrs, categories, confidence=confidence)
        mean, low, high = category_mean_interval(ratios, categories, confidence=confidence)
        table.append({"temperature": t, "upsampling": upsampling, "psnr": psnr_mean, "psnr_low": psnr_low,
                      "psnr_high": psnr_high, "psnr_images": float(np.mean(psnrs)), "colorfulness_ratio": mean,
                      "colorfulness_low": low, "colorfulness_high": high})
    return table


# --------------------------------------------------------------------- reporting
def _table_lines(rows, width: int) -> list[str]:
    lines = []
    for name, row in rows:
        if name == IMAGE_MEAN_ROW:
            lines.append("-" * width)
        cells = "".join(f"{row[key]:>9.{_DIGITS[key]}f}" for key in METRIC_KEYS)
        lines.append(f"{name:<18}{row['n']:>5}{cells}")
    return lines


def format_table(result: EvaluationResult) -> str:
    """Fixed-width table: one row per category, the two dataset means, then the gain over gray."""
    header = f"{'category':<18}{'n':>5}" + "".join(f"{_TITLES[key]:>9}" for key in METRIC_KEYS)
    width = len(header)
    ours, gains = result._summary(), result.gain_over_gray
    lines = [header, "-" * width, *_table_lines([(name, row_of(ours, name)) for name in result.row_names()], width)]
    if gains is not None:
        rows = [(name, {"n": row_of(ours, name)["n"], **row_of(gains, name)}) for name in result.row_names()]
        if all(value == 0 or math.isnan(value) for _, row in rows for key, value in row.items() if key != "n"):
            lines += ["", "gain over gray: 0 everywhere (this colorizer is the gray baseline)"]
        else:
            lines += ["", "gain over gray = ours - gray (ab = 0) on the same images; + is better, "
                          "except RMSE and dE00 where - is", "-" * width, *_table_lines(rows, width)]
    lines += [
        "",
        f"{IMAGE_MEAN_ROW} = mean over the {result.dataset_image_mean['n']} images; {CATEGORY_MEAN_ROW} = mean of "
        f"the {result.dataset_category_mean['categories']} category rows (how the NCD survey averages).",
        "PSNR/SSIM/RMSE on RGB uint8 (data_range 255); fg = foreground (non-white) pixels only.",
    ]
    if result.settings:
        lines.append(f"NOTE: not the standard protocol: {result.settings}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("--model", required=True,
                        help="a trained model (.keras file or RUN_DIR), 'gray' for the ab = 0 baseline (the floor), or "
                             "'truth' for the real photos themselves (the ceiling, e.g. of --classifier)")
    parser.add_argument("--data", default=None,
                        help="NCD folder (default: $NCD_DIR, then data/ncd, as course_lib.data.get_dataset)")
    parser.add_argument("--split", default="val", choices=SPLITS,
                        help="which images: the validation split (default: choose settings on it), test (once "
                             "per finished model), train, or all")
    parser.add_argument("--json", default=None, help="write per-category rows, both dataset means and the gain "
                                                     "over gray to this JSON file")
    parser.add_argument("--csv", default=None, help="write per-category rows and both dataset means to this CSV file")
    parser.add_argument("--max-side", type=int, default=None,
                        help="shrink photos to this longer side first (quick checks only; not the protocol)")
    parser.add_argument("--temperature", type=float, default=None,
                        help="classification models: the annealed mean's T (default: the run's, in run.json)")
    parser.add_argument("--hints", type=int, default=0, metavar="N",
                        help="hint models (train --hints; notebook 08): N simulated hints per image, sampled on the "
                             "true image's object, seeded (default 0: the model colorizes on its own)")
    parser.add_argument("--hint-seed", type=int, default=0, help="seed of the simulated hints (default 0)")
    parser.add_argument("--max-images", type=int, default=None,
                        help="evaluate at most this many images, evenly from every category (quick checks only)")
    parser.add_argument("--classifier", default=None, metavar="RUN_DIR",
                        help="a train-classifier run: adds semantic_accuracy, its accuracy on the colorized photos "
                             "(--model truth: on the real ones, the ceiling; --model gray: the floor)")
    parser.add_argument("--two-sample", action="store_true",
                        help="also run a classifier two-sample test (Lopez-Paz & Oquab 2017): a fresh CNN tells real "
                             "from colorized photos; its held-out accuracy with a 95%% Wilson interval (50%% = "
                             "indistinguishable)")


def _semantic_judges(args):
    """``--classifier`` / ``--two-sample``: a :class:`course_lib.semantic.Judges` keeping small copies
    of each photo, or None."""
    if not (getattr(args, "classifier", None) or getattr(args, "two_sample", False)):
        return None
    from course_lib.semantic import CategoryClassifier, Judges

    classifier = CategoryClassifier.load(args.classifier) if args.classifier else None
    return Judges(classifier, two_sample=args.two_sample)


def run_cli(args) -> int:
    from course_lib.data import get_dataset

    data_dir = get_dataset(args.data).root
    records = select_records(data_dir, args.split, args.max_images)
    hints = 0
    if args.model == "gray":
        colorize_fn, label = gray_colorize_fn(), "gray"
    elif args.model == "truth":  # the real photo itself: the ceiling of semantic accuracy
        colorize_fn, label = (lambda rgb: np.array(rgb, dtype=np.uint8, copy=True)), "truth"
    else:
        from course_lib.colorizer import Colorizer

        if args.hints < 0:
            raise CourseError(f"--hints must be >= 0, got {args.hints}")
        colorizer = Colorizer.load(args.model, temperature=args.temperature)
        colorize_fn, label = colorizer, str(args.model)
        if colorizer.temperature is not None:  # a classification model: its T is part of what is evaluated
            label += f" (annealed mean T={colorizer.temperature:g})"
        if args.hints and not colorizer.takes_hints:
            print(f"{args.model} takes no hints (an automatic model): --hints {args.hints} changes nothing")
        elif args.hints:
            hints = args.hints
            colorize_fn = hint_colorize_fn(colorizer, hints, args.hint_seed)
            label += f" ({hints} simulated hints per image, seed {args.hint_seed})"
    print(f"evaluating {label} on {len(records)} images ({args.split} split of {data_dir})")
    judges = _semantic_judges(args)
    result = evaluate_colorizer(colorize_fn, records, max_side=args.max_side, model=label, split=args.split,
                                gray=label != "gray", on_image=judges.keep if judges else None)
    if judges:
        judges.report(result)
    if args.max_images:
        result.settings["max_images"] = args.max_images
    if hints:
        result.settings["hints"] = hints
        result.settings["hint_seed"] = args.hint_seed
    print(format_table(result))
    if args.json:
        print(f"wrote {result.write_json(args.json)}")
    if args.csv:
        print(f"wrote {result.write_csv(args.csv)}")
    return 0
