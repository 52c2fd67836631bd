"""How fast, and in how much memory, are photos scored at native size? Old path against new.

    python benchmarks/bench_evaluation.py [--data DIR] [--photos 20] [--largest] [--rounds 2]

Scores the gray baseline (keep L, ab = 0) of N photos of the dataset at their native size, the
way ``evaluate`` does for each photo, with

* ``old``: :func:`course_lib.metrics.evaluate_pair_whole_image`, each metric on the whole image
  (what ``evaluate_pair`` was before it went strip-wise);
* ``new``: :func:`course_lib.metrics.evaluate_pair`, a strip of rows at a time.

Each path runs in a fresh process, old and new back to back and alternating for ``--rounds``
rounds, so that a shared machine's load weighs on both alike. Per run it prints

* images/s and megapixels/s of the scoring alone (loading the photo and making its gray version
  are not timed), over wall-clock time and over the process's CPU time (the latter depends less
  on how busy the machine is);
* peak MB: the process's peak resident memory while scoring (``VmHWM`` of ``/proc/self/status``,
  reset before each photo through ``/proc/self/clear_refs``), the interpreter, the imports and the
  photo and its gray version included: what a 2 GB Binder session must hold. Linux only.

Photos: ``--photos`` of them drawn evenly from every category (``stratified_subset``; 0: all),
or with ``--largest`` the largest by pixel count. Data: ``--data``, else ``$NCD_DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

PATHS = ("old", "new")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="dataset folder (default: $NCD_DIR)")
    parser.add_argument("--photos", type=int, default=20, help="how many photos (default 20; 0: every photo)")
    parser.add_argument("--largest", action="store_true", help="the largest photos by pixel count, not a spread")
    parser.add_argument("--rounds", type=int, default=2, help="old and new runs each (default 2)")
    parser.add_argument("--child", choices=PATHS, help=argparse.SUPPRESS)  # one measured run: path, then files
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    return parser.parse_args()


def _status_bytes(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field + ":"))


def measure(path: str, files: list[str]) -> dict:
    """Score the gray baseline of every file with one path; time and peak memory of the scoring."""
    from course_lib import metrics
    from course_lib.data import load_image
    from course_lib.inference import gray_baseline

    score = metrics.evaluate_pair_whole_image if path == "old" else metrics.evaluate_pair
    metrics._skcolor()  # imported before anything is timed
    wall = cpu = 0.0
    pixels, peak = 0, 0
    for file in files:
        truth = load_image(file)
        prediction = gray_baseline(truth)
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # the peak (VmHWM) starts again from what the process holds now
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        score(prediction, truth)
        wall += time.perf_counter() - start_wall
        cpu += time.process_time() - start_cpu
        peak = max(peak, _status_bytes("VmHWM"))
        pixels += truth.shape[0] * truth.shape[1]
        del truth, prediction
    return {"path": path, "images": len(files), "megapixels": pixels / 1e6, "wall_s": wall, "cpu_s": cpu,
            "peak_mb": peak / 2**20}


def choose_photos(data: str, count: int, largest: bool) -> list[str]:
    from PIL import Image

    from course_lib.data import scan_dataset_summarized, stratified_subset

    records = scan_dataset_summarized(data).records
    if largest:
        def pixels(record):
            with Image.open(record.path) as image:
                return image.width * image.height

        records = sorted(records, key=pixels, reverse=True)[: count or None]
    elif count:
        records = stratified_subset(records, count)
    return [str(record.path) for record in records]


def main() -> int:
    args = parse_args()
    if args.child:
        print("RESULT " + json.dumps(measure(args.child, args.files)))
        return 0
    if not os.path.isfile("/proc/self/clear_refs"):
        sys.exit("this benchmark reads and resets the peak memory in /proc/self: Linux only")
    data = args.data or os.environ.get("NCD_DIR")
    if not data:
        sys.exit("give --data or set NCD_DIR: the benchmark is meant for NCD's native-size photos")
    files = choose_photos(data, args.photos, args.largest)
    print(f"{len(files)} photos of {data} ({'the largest' if args.largest else 'evenly from every category'}); "
          f"old = evaluate_pair_whole_image, new = evaluate_pair (strips); the gray baseline of each, native size")
    print(f"{'path':<5}{'round':>6}{'images':>8}{'MP':>8}{'img/s':>8}{'img/CPU-s':>11}{'MP/s':>7}{'peak MB':>9}")
    for round_ in range(1, args.rounds + 1):
        for path in PATHS:
            done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", path, *files],
                                  capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if done.returncode != 0 or not lines:
                print(f"{path:<5}{round_:>6}  FAILED (exit {done.returncode}): {done.stderr.strip()[-500:]}")
                continue
            r = json.loads(lines[-1].removeprefix("RESULT "))
            print(f"{path:<5}{round_:>6}{r['images']:>8}{r['megapixels']:>8.1f}{r['images'] / r['wall_s']:>8.2f}"
                  f"{r['images'] / r['cpu_s']:>11.2f}{r['megapixels'] / r['wall_s']:>7.2f}{r['peak_mb']:>9.0f}")
    print("Timings on a shared machine are noisy: compare old and new of the same round. Peak MB includes the "
          "interpreter, the imports, the photo and its gray version.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
