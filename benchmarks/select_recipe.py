"""Choose a training recipe the honest way: on the validation split, never on the test split.

Each candidate is the ``cpu`` recipe with a few settings changed. Every candidate is trained on the
train split and scored on the **validation** split, with the course's protocol (RGB uint8, native
resolution): the mean over images, the mean over categories (what the NCD survey reports) and the
gain over the gray baseline on the same images. The candidates are ranked by the **category-mean
gain over gray**, the figure that carries over to a category-balanced, unseen set, among those that
keep their colour: the low end of the category-mean colourfulness ratio's prediction interval for a
new set of 5 photos per category (``metrics.category_mean_interval``, at :data:`FLOOR_CONFIDENCE`) must
be :data:`COLOURFULNESS_FLOOR` or above, so that PSNR is never bought with gray that a few new images
would expose.

Every candidate trains with :data:`SEEDS` seeds by default (``--seeds``), and its figures are the mean
over them: three seeds of the cpu recipe spanned 0.64 dB of category-mean gain on these 86 validation
photos (a standard deviation of 0.3 dB; benchmarks/README.md), as much as most effects measured, so one
run per candidate chooses by chance. The table shows each seed's gain too. ::

    python benchmarks/select_recipe.py --data ../shared/ncd --out runs/select \\
        --candidate base --candidate s64:image_size=64 --candidate bal:class_balanced=true

Only once the recipe is chosen, and once per finished recipe, look at the test split::

    python benchmarks/select_recipe.py --data ../shared/ncd --out runs/select --test-once s64

A candidate already trained in ``--out`` is not trained again (seed 0 in ``OUT/NAME``, seed k in
``OUT/NAME-seedk``; the test look takes seed 0, the recipe's own). Each candidate's training time
(wall and CPU) is printed with its scores; the table goes to ``OUT/trials.md`` and ``OUT/trials.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: The least colourfulness ratio a recipe may keep (issue 9's bar), for the low end of the interval.
COLOURFULNESS_FLOOR = 0.85
#: A floor has one side: the low end of a central 90 % interval is a one-sided 95 % bound, i.e. a 5 % risk
#: of a new set falling below the floor (the decoding band of course_lib.classification, two-sided,
#: takes 95 %: 2.5 % on each side, the same 5 % in all).
FLOOR_CONFIDENCE = 0.90
#: Seeds per candidate, unless ``--seeds`` says otherwise.
SEEDS = 2
#: Figures of a candidate that are the mean over its seeds.
AVERAGED = ("psnr_images", "psnr_categories", "gain_images", "gain_categories", "ssim_categories",
            "colorfulness_categories", "colorfulness_low", "colorfulness_high", "wall_min", "cpu_min")


def parse_candidate(text: str) -> tuple[str, dict]:
    """``"name:key=value,key=value"`` -> ``(name, {key: value})`` with values read as JSON when they can be."""
    name, _, spec = text.partition(":")
    changes = {}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        try:
            changes[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            changes[key.strip()] = value
    return name, changes


def train_candidate(data: str, out: Path, name: str, changes: dict) -> dict:
    """Train one candidate (or reuse its finished run); returns its times."""
    from course_lib.train import train

    run = out / name
    timing = run / "timing.json"
    if timing.is_file():
        return json.loads(timing.read_text())
    cpu_before, started = _cpu_seconds(), time.time()
    train(data, run, recipe="cpu", weights=None, **changes)
    times = {"wall_min": (time.time() - started) / 60, "cpu_min": (_cpu_seconds() - cpu_before) / 60}
    timing.write_text(json.dumps(times))
    return times


def run_name(name: str, seed: int) -> str:
    """The run folder of a candidate's seed: ``NAME`` for seed 0, ``NAME-seedK`` for the others."""
    return name if seed == 0 else f"{name}-seed{seed}"


def average_over_seeds(name: str, changes: dict, per_seed: list[dict]) -> dict:
    """One row for the candidate: :data:`AVERAGED` figures as the mean over ``per_seed``, which it keeps."""
    row = {"name": name, "changes": changes, "n": per_seed[0]["n"], "per_seed": per_seed}
    for key in AVERAGED:
        row[key] = sum(run[key] for run in per_seed) / len(per_seed)
    return row


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def score(data: str, model_path: Path, split: str) -> dict:
    """The protocol's figures for one model on one split, with the gray baseline on the same images."""
    from course_lib.colorizer import Colorizer
    from course_lib.evaluate import evaluate_colorizer, select_records
    from course_lib.metrics import category_mean_interval

    result = evaluate_colorizer(Colorizer.load(model_path), select_records(data, split), model=str(model_path),
                                split=split, progress=False)
    gain = result.gain_over_gray
    _, colour_low, colour_high = category_mean_interval([row["colorfulness_ratio"] for row in result.per_image],
                                                        [row["category"] for row in result.per_image],
                                                        confidence=FLOOR_CONFIDENCE)
    return {
        "n": result.dataset_image_mean["n"],
        "psnr_images": result.dataset_image_mean["psnr"],
        "psnr_categories": result.dataset_category_mean["psnr"],
        "gain_images": gain["dataset_image_mean"]["psnr"],
        "gain_categories": gain["dataset_category_mean"]["psnr"],
        "ssim_categories": result.dataset_category_mean["ssim"],
        "colorfulness_categories": result.dataset_category_mean["colorfulness_ratio"],
        "colorfulness_low": colour_low,
        "colorfulness_high": colour_high,
        "per_category_psnr": {name: row["psnr"] for name, row in sorted(result.categories.items())},
    }


def markdown(rows: list[dict], split: str) -> str:
    lines = [f"| candidate | settings | {split} PSNR (images) | {split} PSNR (categories) | gain over gray (categories) "
             "| each seed's gain | SSIM (cat.) | colorfulness (cat.) [90% prediction interval] | train wall / CPU min |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|"]
    for row in rows:
        seeds = ", ".join(f"{run['seed']}: {run['gain_categories']:+.2f}" for run in row.get("per_seed", []))
        lines.append(f"| {row['name']} | {row['changes'] or 'cpu recipe'} | {row['psnr_images']:.2f} | "
                     f"{row['psnr_categories']:.2f} | **{row['gain_categories']:+.2f}** | {seeds} | "
                     f"{row['ssim_categories']:.3f} | "
                     f"{row['colorfulness_categories']:.3f} [{row['colorfulness_low']:.3f}, "
                     f"{row['colorfulness_high']:.3f}] | {row['wall_min']:.1f} / {row['cpu_min']:.1f} |")
    return "\n".join(lines)


def keeps_colour(row: dict) -> bool:
    """The candidate's colourfulness interval starts at :data:`COLOURFULNESS_FLOOR` or above, on the mean
    over its seeds (an interval that could not be estimated, NaN, does not)."""
    return row["colorfulness_low"] >= COLOURFULNESS_FLOOR


def rank(row: dict) -> tuple:
    """Sort key: the candidates that keep their colour first, then the highest category-mean gain."""
    return (not keeps_colour(row), -row["gain_categories"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="NCD folder")
    parser.add_argument("--out", required=True, type=Path, help="folder of the candidates' runs")
    parser.add_argument("--candidate", action="append", default=[],
                        help="NAME[:setting=value,...] on top of the cpu recipe (repeat the option)")
    parser.add_argument("--seeds", type=int, default=SEEDS, help=f"seeds per candidate, 0..N-1 (default {SEEDS})")
    parser.add_argument("--test-once", metavar="NAME", help="the chosen candidate: score it on the test split")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)

    if args.test_once:
        figures = score(args.data, args.out / args.test_once / "model.keras", "test")
        (args.out / f"test_{args.test_once}.json").write_text(json.dumps(figures, indent=1))
        print(json.dumps(figures, indent=1))
        return 0

    rows = []
    for text in args.candidate:
        name, changes = parse_candidate(text)
        if "seed" in changes:
            parser.error(f"candidate {name}: the seeds come from --seeds, not from the settings")
        per_seed = []
        for seed in range(args.seeds):
            run = run_name(name, seed)
            times = train_candidate(args.data, args.out, run, {**changes, "seed": seed})
            per_seed.append({"seed": seed, **times, **score(args.data, args.out / run / "model.keras", "val")})
        row = average_over_seeds(name, changes, per_seed)
        rows.append(row)
        each = ", ".join(f"{run['gain_categories']:+.2f}" for run in per_seed)
        print(f"{name}: val gain over gray {row['gain_categories']:+.2f} dB (categories, mean of seeds: {each}), "
              f"{row['gain_images']:+.2f} dB (images); colourfulness interval starts at {row['colorfulness_low']:.3f}"
              f"{'' if keeps_colour(row) else f' (BELOW {COLOURFULNESS_FLOOR}: ranked last)'}; "
              f"trained in {row['wall_min']:.1f} min a seed", flush=True)
    rows.sort(key=rank)
    (args.out / "trials.json").write_text(json.dumps(rows, indent=1))
    (args.out / "trials.md").write_text(markdown(rows, "val") + "\n")
    print(markdown(rows, "val"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
