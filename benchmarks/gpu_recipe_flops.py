"""The gpu recipe's cost, counted, not measured: FLOPs per stage and time at an assumed speed.

Counts the multiply-accumulates of every convolution of the recipe's model (built with random
weights: the count does not depend on them), takes the path stage 1 really follows on the
train split (``course_lib.train.stage1_feature_plan``: which feature maps are cached, which are
recomputed every step), and prints one table. Usage::

    python benchmarks/gpu_recipe_flops.py [--data DIR] [--recipe gpu] [--tflops 10]

``--data`` (default ``$NCD_DIR``, else ``../shared/ncd``) only gives the number of training
images (the library's split). A training step is counted as 3 forward passes of what trains
(forward + backward), and 1 of what is frozen; 2 FLOPs per multiply-accumulate.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def conv_macs(model, image_size: int) -> dict[str, int]:
    """Multiply-accumulates per image of each convolution of ``model``'s encoder and decoder,
    ``{"encoder/block3_conv1": ..., "decoder/up3a_conv": ...}``."""
    import keras

    macs = {}
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    for layer in encoder.layers:
        if isinstance(layer, keras.layers.Conv2D):  # "same" padding, stride 1: block b works at S / 2**(b-1)
            side = image_size // 2 ** (int(layer.name[len("block")]) - 1)
            kh, kw, cin, cout = layer.kernel.shape
            macs[f"encoder/{layer.name}"] = side * side * kh * kw * cin * cout
    for layer in decoder.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, cout = layer.output.shape
            kh, kw, cin, _ = layer.kernel.shape
            macs[f"decoder/{layer.name}"] = h * w * kh * kw * cin * cout
    return macs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("NCD_DIR") or str(Path(__file__).parents[2] / "shared" / "ncd"))
    parser.add_argument("--recipe", default="gpu")
    parser.add_argument("--tflops", type=float, default=10.0, help="assumed sustained speed (TFLOP/s)")
    args = parser.parse_args(argv)

    from course_lib.model import build_colorizer
    from course_lib.recipes import RECIPES
    from course_lib.train import _load_split, plan_stages, stage1_feature_plan

    s = RECIPES[args.recipe]
    n_train = len(_load_split(args.data)["train"])
    plan = stage1_feature_plan(s, n_train)
    model = build_colorizer(s.image_size, s.decoder, None, s.encoder_blocks, s.decoder_width, head=s.head)
    macs = conv_macs(model, s.image_size)
    block = lambda name: int(name.split("/")[1][len("block")])  # noqa: E731
    encoder = sum(m for k, m in macs.items() if k.startswith("encoder/"))
    decoder = sum(m for k, m in macs.items() if k.startswith("decoder/"))
    recomputed_blocks = s.encoder_blocks - plan.cached if s.decoder == "unet" else (0 if plan.cached else s.encoder_blocks)
    shallow = sum(m for k, m in macs.items() if k.startswith("encoder/") and block(k) <= recomputed_blocks)
    stages = plan_stages(s)
    tuned = tuple(stages[1].encoder) if len(stages) > 1 else ()
    fine = sum(m for k, m in macs.items() if k.startswith("encoder/") and block(k) in tuned)

    rows = []  # (what, FLOPs)
    if plan.cached:
        rows.append((f"caching: the encoder once over {plan.n_images} images and mirrors", 2 * plan.n_images * encoder))
        rows.append((f"one stage-1 epoch, {plan.path}: blocks 1-{recomputed_blocks} forward + decoder x3, "
                     f"{plan.n_images} sets" if recomputed_blocks else
                     f"one stage-1 epoch, {plan.path}: decoder x3, {plan.n_images} sets",
                     2 * plan.n_images * (shallow + 3 * decoder)))
    else:
        rows.append((f"one stage-1 epoch, not cached: encoder + decoder x3, {n_train} images",
                     2 * n_train * (encoder + 3 * decoder)))
    rows.append((f"one stage-2 epoch: encoder, blocks {list(tuned)} backward x2, decoder x3, {n_train} images",
                 2 * n_train * (encoder + 2 * fine + 3 * decoder)))
    total = (rows[0][1] if plan.cached else 0) + s.epochs * rows[-2][1] + s.fine_tune_epochs * rows[-1][1]

    g = lambda m: f"{m / 1e9:.1f} G"  # noqa: E731
    print(f"recipe {args.recipe}: {s.image_size} px, {s.encoder_blocks} blocks, {s.decoder} decoder width "
          f"{s.decoder_width}; {n_train} training images in {args.data}")
    print(f"stage 1 plan: {plan.describe()}")
    print(f"multiply-accumulates per image: encoder {g(encoder)} (blocks 1-{recomputed_blocks}: {g(shallow)}, "
          f"fine-tuned blocks {list(tuned)}: {g(fine)}), decoder {g(decoder)}")
    print(f"multiply-accumulates per stage-1 training sample: all maps cached {g(3 * decoder)} (needs "
          f"{plan.all_bytes / 1e9:.1f} GB), this plan {g(shallow + 3 * decoder)}, nothing cached "
          f"{g(encoder + 3 * decoder)}")
    print(f"\n| part | FLOPs (2 per MAC) | at {args.tflops:g} TFLOP/s |\n|---|---:|---:|")
    for what, flops in rows:
        print(f"| {what} | {flops / 1e12:.0f} T | {flops / (args.tflops * 1e12):.1f} s |")
    print(f"| whole run: {s.epochs} + {s.fine_tune_epochs} epochs | {total / 1e12:.0f} T | "
          f"{total / (args.tflops * 1e12) / 60:.1f} min |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
