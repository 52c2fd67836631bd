"""Choose the cpu recipe's adversarial settings (λ, epochs, the generator's learning rate) on the validation split.

``--reference`` is the MSE model the runs started from (notebook 04's ``runs/course``); each ``--runs``
folder is a finished ``train --adversarial --init-from REFERENCE`` run with one setting, decoded as its
``run.json`` says (the upsampling it chose on validation). Every model is scored on the validation photos
shrunk to 256 px (as notebook 07 chooses its decoding:
``classification.DECODING_MAX_SIDE``), and judged by notebook 09's classifier (``--classifier``, a
``train-classifier`` run): its semantic accuracy on the colorized photos.

The rule (:func:`choose`), written down before the runs it chooses among were trained:

1. a run qualifies when its validation PSNR (mean over categories) is at least :data:`MIN_PSNR` and its
   semantic accuracy is at least the reference's, over photos and over categories;
2. among those, the one whose colourfulness ratio is closest to the middle of :data:`TARGET_BAND` (its
   geometric centre), taking the farther of its two means (over photos, over categories): the choice
   keeps a margin on both sides of the band, since another split's photos move the ratio by several
   hundredths;
3. if no run qualifies, the same distance among all runs, and the table says none qualified.

Why this rule and not notebook 07's: docs/recipe_history.md ("The adversarial fine-tune").

    python benchmarks/select_adversarial.py --data ../shared/ncd --reference runs/course --classifier runs/judge \
        --runs runs/adv-a runs/adv-b --json adversarial_choice
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from course_lib.classification import DECODING_MAX_SIDE
from course_lib.colorizer import Colorizer
from course_lib.evaluate import evaluate_colorizer, select_records
from course_lib.metrics import category_mean_interval
from course_lib.semantic import CategoryClassifier, Judges

import make_tables  # beside this script (run as python benchmarks/NAME.py): writes results/NAME.json

#: Issue 26's bar for the adversarial model's colourfulness ratio (prediction / photo).
TARGET_BAND = (0.95, 1.30)
#: Issue 26's bar for its PSNR (dB).
MIN_PSNR = 22.0


def describe_run(run: Path) -> dict:
    """λ, epochs and the generator's learning rate of an adversarial run (λ = 0, 0 epochs for a plain run)."""
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    adversarial = state.get("adversarial")
    if adversarial is None:
        return {"run": run.name, "weight": 0.0, "adversarial_epochs": 0, "generator_lr": ""}
    return {"run": run.name, "weight": adversarial["adversarial_weight"],
            "adversarial_epochs": adversarial["adversarial_epochs"],
            "generator_lr": f"{adversarial['generator_learning_rate']:g}"}


def score(run: Path, records, classifier: CategoryClassifier) -> dict:
    """One row: PSNR, colourfulness ratio (with its 95 % prediction interval) and semantic accuracy."""
    judges = Judges(classifier)
    colorizer = Colorizer.load(run)  # at the run's own decoding (run.json: the upsampling chosen on validation)
    result = evaluate_colorizer(colorizer, records, max_side=DECODING_MAX_SIDE, model=str(run), split="val",
                                gray=False, progress=False, on_image=judges.keep)
    judges.report(result, verbose=False)
    ratio, low, high = category_mean_interval([r["colorfulness_ratio"] for r in result.per_image],
                                              [r["category"] for r in result.per_image])
    images, categories = result.dataset_image_mean, result.dataset_category_mean
    return {**describe_run(run), "upsampling": colorizer.upsampling, "psnr": round(categories["psnr"], 2), "psnr_images": round(images["psnr"], 2),
            "colourfulness": round(ratio, 3), "interval_low": round(low, 3), "interval_high": round(high, 3),
            "colourfulness_images": round(images["colorfulness_ratio"], 3),
            "semantic": round(categories["semantic_accuracy"], 3),
            "semantic_images": round(images["semantic_accuracy"], 3)}


def distance_to_band_centre(row: dict) -> float:
    """|log(ratio / centre)| of the farther of the row's two colourfulness means; the centre is the band's
    geometric middle (the band is a ratio: 0.95 and 1.30 are about equally far from it)."""
    centre = math.sqrt(TARGET_BAND[0] * TARGET_BAND[1])
    return max(abs(math.log(row[key] / centre)) for key in ("colourfulness", "colourfulness_images"))


def qualifies(row: dict, reference: dict) -> bool:
    """PSNR at least :data:`MIN_PSNR` and semantic accuracy at least the reference's, in both means."""
    return (row["psnr"] >= MIN_PSNR and row["semantic"] >= reference["semantic"]
            and row["semantic_images"] >= reference["semantic_images"])


def choose(rows: list[dict], reference: dict) -> tuple[dict, bool]:
    """The rule of this script's docstring: ``(chosen row, whether it qualified)``."""
    if not rows:
        raise ValueError("no adversarial run to choose from")
    qualified = [row for row in rows if qualifies(row, reference)]
    return min(qualified or rows, key=distance_to_band_centre), bool(qualified)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--reference", required=True, help="the MSE run the adversarial runs started from")
    parser.add_argument("--classifier", required=True, help="notebook 09's judge (a train-classifier run)")
    parser.add_argument("--runs", nargs="+", required=True)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    records = select_records(args.data, "val")
    classifier = CategoryClassifier.load(args.classifier)
    reference = score(Path(args.reference), records, classifier)
    print("reference:", reference)
    rows = []
    for run in map(Path, args.runs):
        rows.append(score(run, records, classifier))
        print(rows[-1])
    chosen, qualified = choose(rows, reference)
    for row in [reference, *rows]:
        row["qualifies"] = "reference" if row is reference else ("yes" if qualifies(row, reference) else "no")
        row["distance"] = round(distance_to_band_centre(row), 3)
        row["chosen"] = ("**chosen**" if qualified else "**chosen** (closest: none qualifies)") if row is chosen else ""
    print(f"chosen: {chosen}")
    if args.json:
        path = make_tables.write_result(
            args.json,
            what=(f"the adversarial fine-tune of the cpu recipe's MSE model (critic 1 epoch, then N adversarial "
                  f"epochs at λ and the generator's learning rate), on the {len(records)} validation photos at "
                  f"{DECODING_MAX_SIDE} px; PSNR, colourfulness ratio (with its 95% prediction interval for 5 new "
                  "photos per category) and the judge's semantic accuracy: mean over categories, then over photos. "
                  f"Rule: among the runs with PSNR >= {MIN_PSNR} dB and semantic accuracy >= the MSE model's (both "
                  f"means), the colourfulness ratio closest to the middle of {TARGET_BAND[0]}-{TARGET_BAND[1]} "
                  "(geometric, the farther of the two means); the first row is the MSE model itself"),
            command="python benchmarks/select_adversarial.py --data DATA --reference RUNS/course --classifier "
                    "RUNS/judge --runs RUNS... --json " + args.json,
            rows=[reference, *rows])
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
