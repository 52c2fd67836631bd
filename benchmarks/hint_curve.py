"""PSNR against the number of simulated hints (Zhang et al. 2017's protocol), for a hint model and an automatic one.

Each point is exactly ``python -m course_lib evaluate --model MODEL --hints N`` (the same
``Colorizer.load`` and ``evaluate.hint_colorize_fn``): N hints per image, sampled on the true image's object at the
model's resolution, seeded by the image, so every model and every run sees the same hints. ::

    python benchmarks/hint_curve.py --model /work/runs/hints --automatic /work/runs/base \\
        --data ../shared/ncd --split test --out /work/runs/hints/curve

writes ``OUT/hints_N.json`` (as ``evaluate --json``), ``OUT/automatic.json`` and ``OUT/curve.md``,
and prints the table with each evaluation's time. The test split is for finished models, once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.colorizer import Colorizer  # noqa: E402
from course_lib.evaluate import evaluate_colorizer, hint_colorize_fn, select_records  # noqa: E402

COUNTS = (0, 1, 2, 5, 10, 20)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the hint model (RUN_DIR or .keras)")
    parser.add_argument("--automatic", default=None, help="an automatic model for the flat reference line")
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--counts", default=",".join(map(str, COUNTS)))
    parser.add_argument("--max-images", type=int, default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = select_records(args.data, args.split, args.max_images)
    rows = []
    runs = [(f"hints_{n}", args.model, int(n)) for n in args.counts.split(",")]
    if args.automatic:
        runs.append(("automatic", args.automatic, 0))
    for name, model, n in runs:
        started, cpu = time.time(), time.process_time()
        colorizer = Colorizer.load(model)
        colorize = hint_colorize_fn(colorizer, n) if n and colorizer.takes_hints else colorizer
        result = evaluate_colorizer(colorize, records, model=f"{model} ({n} hints)",
                                    split=args.split, progress=False, gray=name == "hints_0")
        if n:
            result.settings.update(hints=n, hint_seed=0)
        result.write_json(out / f"{name}.json")
        mean, cats = result.dataset_image_mean, result.dataset_category_mean
        rows.append({"name": name, "model": str(model), "hints": n, "n": mean["n"], "psnr": mean["psnr"],
                     "psnr_categories": cats["psnr"], "psnr_fg": mean["psnr_fg"], "ssim": mean["ssim"],
                     "deltaE": mean["deltaE"], "wall_s": time.time() - started, "cpu_s": time.process_time() - cpu})
        print(json.dumps(rows[-1]), flush=True)
    lines = ["| model | hints / image | PSNR (images) | PSNR (categories) | fg PSNR | SSIM | ΔE00 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['name'].split('_')[0]} | {row['hints']} | {row['psnr']:.2f} dB | {row['psnr_categories']:.2f} dB "
                     f"| {row['psnr_fg']:.2f} dB | {row['ssim']:.3f} | {row['deltaE']:.2f} |")
    (out / "curve.md").write_text("\n".join(lines) + "\n")
    (out / "curve.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
