"""Choose the cpu recipe's adversarial settings (λ, epochs) on the validation split.

Each ``--runs`` folder is a finished ``train --adversarial --init-from RUNS/course`` run with one setting
(the MSE model it started from may be given too, as λ = 0). Every run is scored on the validation photos
shrunk to 256 px (as notebook 07 chooses its decoding: ``classification.DECODING_MAX_SIDE``). The rule is
notebook 07's (``classification.choose_decoding``): the highest validation PSNR (mean over categories)
among the runs whose colourfulness ratio keeps its whole 95 % prediction interval for 5 new photos per
category inside ``classification.COLOURFULNESS_BAND``; if none does, the one whose interval lies
closest to the band. Prints the table; ``--json NAME`` writes benchmarks/results/NAME.json.

    python benchmarks/select_adversarial.py --data ../shared/ncd --runs runs/course runs/adv-0.01 runs/adv-0.1 \
        --json adversarial_validation
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from course_lib.classification import COLOURFULNESS_BAND, DECODING_MAX_SIDE, choose_decoding
from course_lib.colorizer import Colorizer
from course_lib.evaluate import evaluate_colorizer, select_records
from course_lib.metrics import category_mean_interval

import make_tables  # beside this script (run as python benchmarks/NAME.py): writes results/NAME.json


def describe_run(run: Path) -> dict:
    """λ and epochs of an adversarial run (λ = 0, 0 epochs for a plain run)."""
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    adversarial = state.get("adversarial")
    if adversarial is None:
        return {"run": run.name, "weight": 0.0, "adversarial_epochs": 0}
    return {"run": run.name, "weight": adversarial["adversarial_weight"],
            "adversarial_epochs": adversarial["adversarial_epochs"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--runs", nargs="+", required=True)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    records = select_records(args.data, "val")
    rows = []
    for run in map(Path, args.runs):
        result = evaluate_colorizer(Colorizer.load(run), records, max_side=DECODING_MAX_SIDE, model=str(run),
                                    split="val", gray=False, progress=False)
        ratio, low, high = category_mean_interval([r["colorfulness_ratio"] for r in result.per_image],
                                                  [r["category"] for r in result.per_image])
        rows.append({**describe_run(run), "psnr": round(result.dataset_category_mean["psnr"], 2),
                     "psnr_images": round(result.dataset_image_mean["psnr"], 2),
                     "colourfulness": round(ratio, 3), "interval_low": round(low, 3), "interval_high": round(high, 3),
                     "colourfulness_images": round(result.dataset_image_mean["colorfulness_ratio"], 3)})
        print(rows[-1])
    table = [{**row, "colorfulness_ratio": row["colourfulness"], "colorfulness_low": row["interval_low"],
              "colorfulness_high": row["interval_high"]} for row in rows]
    chosen, inside = choose_decoding(table)
    for row, candidate in zip(rows, table):
        row["inside"] = "yes" if COLOURFULNESS_BAND[0] <= row["interval_low"] and row["interval_high"] <= COLOURFULNESS_BAND[1] else "no"
        row["chosen"] = ("**chosen**" if inside else "**chosen** (closest: none inside)") if candidate is chosen else ""
    print(f"chosen: {chosen}")
    if args.json:
        path = make_tables.write_result(
            args.json,
            what=(f"the adversarial fine-tune of the cpu recipe's MSE model (critic 1 epoch, then N adversarial "
                     f"epochs at λ), on the {len(records)} validation photos at {DECODING_MAX_SIDE} px; PSNR and "
                     f"colourfulness ratio: mean over categories (over photos), the ratio with its 95% prediction "
                     f"interval for 5 new photos per category. Rule (notebook 07's): the highest PSNR among the runs "
                     f"whose interval lies inside {COLOURFULNESS_BAND[0]}-{COLOURFULNESS_BAND[1]}, else the closest; "
                     "λ = 0 is the MSE model itself"),
            command="python benchmarks/select_adversarial.py --data DATA --runs RUNS... --json " + args.json,
            rows=rows)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
