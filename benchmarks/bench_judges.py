"""Gray, MSE, classification and adversarial models side by side, with notebook 09's judges.

Scores every model of a runs folder (``course``, ``cls``, ``adv``) and the gray floor on one split with
the course's protocol (native resolution), plus the judge's semantic accuracy (``judge``, a
``train-classifier`` run; the real photos give the ceiling) and a classifier two-sample test for each
model, through :func:`course_lib.judging.side_by_side`, the function notebook 09 calls. Prints the
tables; with ``--json NAME`` writes ``benchmarks/results/NAME.json`` (rows: both dataset means and the
two-sample accuracy with its interval; per_category: semantic accuracy and colourfulness ratio).

    python benchmarks/bench_judges.py --data ../shared/ncd --runs runs --split val
    python benchmarks/bench_judges.py --data ../shared/ncd --runs runs --split test --json adversarial_test

The test split is looked at once per finished model: choose on ``--split val``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from course_lib import judging, semantic
from course_lib.colorizer import Colorizer
from course_lib.evaluate import select_records

import make_tables  # beside this script (run as python benchmarks/NAME.py): writes results/NAME.json

#: runs folder name -> the row's name (notebook 09's names)
MODELS = {"course": "MSE (notebook 04)", "cls": "classification (notebook 07)", "adv": "adversarial (NoGAN)"}


def _pair(row: dict, key: str, digits: int) -> str:
    """``"24.95 (24.81)"``: the mean over photos, then over categories."""
    if key not in row["image_mean"]:
        return ""
    return f"{row['image_mean'][key]:.{digits}f} ({row['category_mean'][key]:.{digits}f})"


def rows_of(table: dict) -> list[dict]:
    rows = []
    for name, row in table.items():
        test = row.get("two_sample")
        rows.append({"model": name, "psnr": _pair(row, "psnr", 2), "ssim": _pair(row, "ssim", 3),
                     "deltaE00": _pair(row, "deltaE", 2), "colourfulness": _pair(row, "colorfulness_ratio", 3),
                     "semantic_accuracy": _pair(row, "semantic_accuracy", 3),
                     "two_sample": f"{test['accuracy']:.1%} [{test['low']:.1%}, {test['high']:.1%}]" if test else ""})
    return rows


def per_category_of(table: dict) -> list[dict]:
    names = {judging.TRUTH: "truth", judging.GRAY: "gray", MODELS["course"]: "mse",
             MODELS["cls"]: "cls", MODELS["adv"]: "adv"}
    categories = sorted(next(iter(table.values()))["categories"])
    rows = []
    for category in categories:
        row = {"category": category}
        for name, short in names.items():
            figures = table.get(name, {}).get("categories", {}).get(category, {})
            if "semantic_accuracy" in figures:
                row[f"semantic_{short}"] = round(figures["semantic_accuracy"], 2)
            if "colorfulness_ratio" in figures and short != "gray":
                row[f"colourfulness_{short}"] = round(figures["colorfulness_ratio"], 2)
        rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--runs", required=True, help="folder with course/, cls/, adv/ and judge/")
    parser.add_argument("--split", default="val", choices=("val", "test"))
    parser.add_argument("--json", default=None, help="write benchmarks/results/NAME.json")
    args = parser.parse_args(argv)
    runs = Path(args.runs)
    colorizers = {label: Colorizer.load(runs / name) for name, label in MODELS.items() if (runs / name / "model.keras").is_file()}
    judge = semantic.CategoryClassifier.load(runs / "judge")
    records = select_records(args.data, args.split)
    started = time.time()
    table = judging.side_by_side(colorizers, records, judge)
    seconds = time.time() - started
    print(f"{len(records)} {args.split} photos at native resolution, {seconds:.0f} s; mean over photos (over categories)")
    for row in rows_of(table):
        print("  " + ", ".join(f"{k} {v}" for k, v in row.items() if v != ""))
    for row in per_category_of(table):
        print("  " + ", ".join(f"{k} {v}" for k, v in row.items()))
    if args.json:
        info = json.loads((runs / "judge" / semantic.CLASSIFIER_SETTINGS_FILE).read_text())
        path = make_tables.write_result(
            args.json,
            what=(f"gray, the cpu recipe's MSE model, its classification model and its adversarial fine-tune "
                     f"(NoGAN), on the {args.split} split ({len(records)} photos, native resolution); mean over photos "
                     f"(mean over categories). Semantic accuracy: the judge (train-classifier, best validation epoch "
                     f"{info['best_epoch']}, {info['best_val_accuracy']:.1%} on validation) on each model's photos; "
                     "truth = the real photos (the ceiling). Two-sample: a fresh CNN's accuracy telling real from "
                     "colorized on half the photos, trained on the other half, 95% Wilson interval (50% = "
                     "indistinguishable)"),
            command=f"python benchmarks/bench_judges.py --data DATA --runs RUNS --split {args.split} --json {args.json}",
            rows=rows_of(table), per_category=per_category_of(table))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
