"""How fast is the input pipeline? Prints images per second for each stage.

    python benchmarks/bench_pipeline.py [--data DIR] [--size 224] [--batch-size 32] [--epochs 3]

Data: ``--data``, else ``$NCD_DIR``, else the offline sample set (announced). Stages:

1. decode + resize every image once (``load_images_resized``, no disk cache), the
   one-off cost per run;
2. the first epoch of ``make_dataset_from_images`` (RGB -> LAB conversion, cached);
3. steady-state epochs without and with augmentation: what training sees each epoch.

Compare stage 3 with the model's training throughput (images/second in a training
step): the pipeline must be faster so that the accelerator, not the input, is the
bottleneck. ``prefetch`` then overlaps the two.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="dataset folder (default: $NCD_DIR, else the sample set)")
    parser.add_argument("--size", type=int, default=224, help="square image side S (default 224)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per configuration")
    return parser.parse_args()


def dataset_root(explicit: str | None):
    from course_lib.sample_data import is_sample_dataset, make_sample_dataset

    folder = explicit or os.environ.get("NCD_DIR")
    if folder:
        return folder, "OFFLINE SAMPLE SET" if is_sample_dataset(folder) else "NCD"
    root = make_sample_dataset()
    print("!! NCD not given: benchmarking on the OFFLINE SAMPLE SET (generated images), not NCD !!")
    return root, "offline sample set"


def timed(work) -> tuple[float, float]:
    """(images per wall-clock second, images per CPU-second) for ``work() -> n_images``.

    The second number does not depend on how busy a shared machine is: divide it by
    the cores a training machine gives tf.data to estimate throughput there.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    count = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, count / max(cpu, 1e-9)


def epochs_of(dataset, epochs: int):
    def work() -> int:
        count = 0
        for _ in range(epochs):
            for l_norm, _ in dataset:
                count += int(l_norm.shape[0])
        return count
    return work


def report(name: str, rates: tuple[float, float]) -> None:
    print(f"{name:<44}{rates[0]:>10.0f} images/s {rates[1]:>10.0f} images/CPU-s")


def main() -> int:
    args = parse_args()
    from course_lib import data, pipeline

    root, label = dataset_root(args.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.SkippedFileWarning)
        index = data.scan_dataset(root, verify=False)
    n = len(index.records)
    print(f"data: {label} at {index.root}: {n} images, {len(index.categories)} categories")
    print(f"image size {args.size}, batch size {args.batch_size}, CPU cores {os.cpu_count()}")

    images = None

    def decode() -> int:
        nonlocal images
        images = pipeline.load_images_resized(index.records, args.size, cache=False, progress=False)
        return len(images)

    report("decode + resize (once per run)", timed(decode))

    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}, devices: {[d.device_type for d in tf.config.list_logical_devices()]}")
    for augment in (False, True):
        dataset = pipeline.make_dataset_from_images(images, args.batch_size, augment=augment, shuffle=True, seed=0)
        name = "augmented" if augment else "plain"
        report(f"first epoch, {name} (LAB conversion)", timed(epochs_of(dataset, 1)))
        report(f"later epochs, {name}", timed(epochs_of(dataset, args.epochs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
