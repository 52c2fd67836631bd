"""Training and inference speed: the seed project's loop against the course's pipeline.

Both sides train the *same* model (VGG19 encoder, frozen, + a decoder: by default the
original project's ``seed`` decoder, ``--decoder unet`` for the course's) at the same
image size on the same images, in the same run:

- **seed-style epoch**: as the original notebook did, every image goes through the
  encoder one at a time with ``predict`` in a Python loop, then the decoder is fitted on
  the collected features;
- **course epoch**: the encoder features were computed once, batched (the one-time cost is
  printed separately); an epoch is the decoder alone over a batched, prefetched
  ``tf.data`` pipeline (:mod:`course_lib.train`).

It also measures inference images/second at 224 px and, on a GPU, repeats the figures
with mixed precision. The last line reads ``speedup: N.Nx`` (course epoch over seed-style
epoch). Usage::

    python benchmarks/bench_training.py [--data DIR] [--images 64] [--image-size 64] [--decoder seed|unet]

With the heavier ``unet`` decoder the decoder itself dominates an epoch, so the
pipeline's gain per epoch is smaller (see benchmarks/README.md for both figures).

Without NCD (``--data``, ``$NCD_DIR`` or ``../shared/ncd``) it uses random images, and says so.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def load_images(data: str | None, n_images: int, size: int) -> tuple[np.ndarray, str]:
    """``(N, S, S, 3)`` uint8 images from NCD, or random ones when NCD is not here."""
    from course_lib.config import REPO_ROOT

    candidates = [data, os.environ.get("NCD_DIR"), str(REPO_ROOT.parent / "shared" / "ncd")]
    folder = next((Path(c) for c in candidates if c and Path(c).is_dir()), None)
    if folder is None:
        print("!! NCD not found: benchmarking on RANDOM images (speed does not depend on content)")
        rng = np.random.default_rng(0)
        return rng.integers(0, 256, (n_images, size, size, 3), dtype=np.uint8), "random images"
    from course_lib.data import find_ncd_root, scan_dataset
    from course_lib.pipeline import load_images_resized

    with warnings.catch_warnings():  # the stray non-image files of NCD: not this benchmark's business
        warnings.simplefilter("ignore")
        records = scan_dataset(find_ncd_root(folder)).records[:n_images]
    return load_images_resized(records, size, progress=False), f"NCD ({folder})"


def timed(fn, repeat: int = 1) -> float:
    """Best wall-clock seconds of ``repeat`` calls (the minimum is least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def training_figures(images: np.ndarray, size: int, batch_size: int, repeat: int, decoder: str = "unet") -> dict:
    """Seconds per epoch, seed-style loop vs cached features + tf.data, for one model."""
    import keras

    from course_lib import color
    from course_lib.model import build_colorizer, set_encoder_trainable
    from course_lib.train import _encode, _feature_dataset, make_loss

    keras.utils.set_random_seed(0)
    model = build_colorizer(size, decoder, weights=None, encoder_blocks=5)  # weights do not change speed
    set_encoder_trainable(model, None)
    encoder, head = model.get_layer("encoder"), model.get_layer("decoder")
    head.compile(keras.optimizers.Adam(1e-4), make_loss("mse"))
    l_norm, ab_norm = color.rgb_to_model_io(images)
    n = len(images)

    def seed_epoch():
        # The original notebook: one predict() per image in a Python loop, every epoch.
        per_image = [encoder.predict(l_norm[i : i + 1], verbose=0) for i in range(n)]
        per_image = [f if isinstance(f, (list, tuple)) else [f] for f in per_image]  # seed: one output
        features = [np.concatenate([f[k] for f in per_image]) for k in range(len(per_image[0]))]
        features = features if len(features) > 1 else features[0]
        head.fit(features, ab_norm, batch_size=batch_size, epochs=1, verbose=0)

    cached = {}

    def cache_features():
        cached["data"] = _feature_dataset(_encode(encoder, l_norm, batch_size), ab_norm, batch_size, 0, True)

    def course_epoch():
        head.fit(cached["data"], epochs=1, verbose=0)

    # Warm up both paths (graph tracing, oneDNN kernel selection) before timing.
    cache_features()
    course_epoch()
    encoder.predict(l_norm[:1], verbose=0)
    return {
        "seed": timed(seed_epoch, repeat),
        "cache": timed(cache_features, 1),
        "course": timed(course_epoch, repeat),
        "n": n,
    }


def inference_figure(n_images: int = 8, size: int = 224, batch_size: int = 16) -> float:
    """Images/second of the colorizer's forward pass at ``size`` px (batched)."""
    import keras

    from course_lib.model import build_colorizer

    keras.utils.set_random_seed(0)
    model = build_colorizer(size, "unet", weights=None, encoder_blocks=5)
    l_norm = np.random.default_rng(0).uniform(-1, 1, (n_images, size, size, 1)).astype(np.float32)
    model.predict(l_norm[:batch_size], batch_size=batch_size, verbose=0)  # warm-up
    seconds = timed(lambda: model.predict(l_norm, batch_size=batch_size, verbose=0))
    return n_images / seconds


def machine() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}); GPU: {', '.join(g.name for g in gpus) or 'none'}; TF {tf.__version__}"


def print_table(label: str, figures: dict, inference_ips: float) -> float:
    n = figures["n"]
    speedup = figures["seed"] / figures["course"]
    print(f"\n{label}")
    print(f"{'':40s} {'s/epoch':>9s} {'images/s':>9s}")
    print(f"{'seed-style (predict 1 image at a time)':40s} {figures['seed']:9.2f} {n / figures['seed']:9.1f}")
    print(f"{'course (cached features + tf.data)':40s} {figures['course']:9.2f} {n / figures['course']:9.1f}")
    print(f"{'  one-time feature caching (batched)':40s} {figures['cache']:9.2f} {n / figures['cache']:9.1f}")
    print(f"{'inference at 224 px (batched)':40s} {'':9s} {inference_ips:9.1f}")
    print(f"per-epoch speedup {speedup:.1f}x; including the one-time caching in a single epoch: "
          f"{figures['seed'] / (figures['course'] + figures['cache']):.1f}x")
    return speedup


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="NCD folder (default $NCD_DIR or ../shared/ncd)")
    parser.add_argument("--images", type=int, default=64, help="images per epoch (default 64)")
    parser.add_argument("--image-size", type=int, default=64, help="training image size (default 64)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--decoder", choices=("unet", "seed"), default="seed",
                        help="decoder of the model trained both ways (default seed: the original project's model)")
    parser.add_argument("--repeat", type=int, default=2, help="timed epochs per approach; the best counts")
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    print("machine:", machine())
    images, source = load_images(args.data, args.images, args.image_size)
    print(f"data: {len(images)} {source} at {args.image_size} px; model: VGG19 (5 blocks, frozen) + {args.decoder} decoder; "
          f"batch {args.batch_size}")
    speedup = print_table("float32", training_figures(images, args.image_size, args.batch_size, args.repeat, args.decoder),
                          inference_figure())
    if tf.config.list_physical_devices("GPU"):
        keras.mixed_precision.set_global_policy("mixed_float16")
        # The same batch size as float32: only the precision changes between the two tables.
        mixed = training_figures(images, args.image_size, args.batch_size, args.repeat, args.decoder)
        print_table(f"GPU, mixed precision, batch {args.batch_size}", mixed, inference_figure())
        keras.mixed_precision.set_global_policy("float32")
    else:
        print("\nno GPU: mixed-precision figures skipped")
    print(f"speedup: {speedup:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
