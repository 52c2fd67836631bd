"""Bytes a training run writes per epoch for its checkpoints, for the gpu recipe's model.

The model is the ``gpu`` recipe's (224 px, all 5 VGG19 blocks, U-Net decoder of width 32),
built here with ``weights=None`` on the CPU: the file sizes depend on the shapes, not on the
values. For each stage the optimizer is built for exactly the variables that stage trains
(stage 1: the decoder; stage 2: the decoder and VGG blocks 4-5), as ``course_lib.train`` does,
and one epoch's files are written to a temporary folder, the way

- **before** (the code before issue 22): ``last.keras`` saved by Keras with the optimizer,
  ``last_optimizer.npz`` beside it, and ``model.keras`` (again with the optimizer) when the
  validation PSNR improved;
- **after**: one checkpoint (``last.keras``: weights, and the optimizer and run state inside the
  same file, :func:`course_lib.train.write_checkpoint`), and ``model.keras`` without optimizer
  (:func:`course_lib.train.save_model_file`) when the PSNR improved; with the run folder on
  Google Drive both are written locally and copied to Drive every
  :data:`course_lib.train.LOCAL_COPY_EVERY` epochs.

"With best" is the worst case, a new best model every epoch (common early in a run). The last
lines give the whole recipe's average per epoch against the weights' size: the issue's target
is at most 2 x the weights for what reaches the run folder. Usage::

    python benchmarks/bench_checkpoints.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

MB = 1e6


def _old_epoch(colorizer, optimizer, folder: Path) -> tuple[int, int]:
    """The files of one epoch as the code before issue 22 wrote them: (without best, best model)."""
    import keras

    colorizer.save(folder / "last.keras")  # Keras includes every compiled model's optimizer
    store: dict = {}
    optimizer.save_own_variables(store)
    np.savez(folder / "last_optimizer.npz", **{k: keras.ops.convert_to_numpy(v) for k, v in store.items()})
    colorizer.save(folder / "model.keras")
    sizes = {name: (folder / name).stat().st_size for name in ("last.keras", "last_optimizer.npz", "model.keras")}
    return sizes["last.keras"] + sizes["last_optimizer.npz"], sizes["model.keras"]


def _new_epoch(colorizer, optimizer, folder: Path) -> tuple[int, int]:
    """The files of one epoch as course_lib.train writes them now: (checkpoint, best model)."""
    from course_lib.train import save_model_file, write_checkpoint

    state = {"epochs_done": 1, "history": {}, "best_val_psnr": 20.0, "best_epoch": 1, "settings": {}}
    checkpoint = write_checkpoint(colorizer, optimizer, state, folder / "last.keras").stat().st_size
    return checkpoint, save_model_file(colorizer, folder / "model.keras").stat().st_size


def main() -> int:

    from course_lib.model import build_colorizer, set_encoder_trainable
    from course_lib.recipes import RECIPES
    from course_lib.train import LOCAL_COPY_EVERY, make_loss, make_optimizer

    gpu = RECIPES["gpu"]
    colorizer = build_colorizer(gpu.image_size, gpu.decoder, None, gpu.encoder_blocks, gpu.decoder_width)
    weights = sum(int(np.prod(w.shape)) * 4 for w in colorizer.weights)
    print(f"gpu recipe model: {gpu.image_size} px, {gpu.encoder_blocks} VGG blocks, decoder width "
          f"{gpu.decoder_width}; weights {weights / MB:.1f} MB ({colorizer.count_params():,} parameters, float32)")

    stages = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Stage 1: the encoder frozen, the decoder compiled and trained alone.
        set_encoder_trainable(colorizer, None)
        decoder = colorizer.get_layer("decoder")
        decoder.compile(make_optimizer(gpu.learning_rate, 100), make_loss("mse"), jit_compile=False)
        decoder.optimizer.build(decoder.trainable_variables)
        stage1 = decoder.optimizer
        # Stage 2: blocks 4-5 unfrozen, the whole model compiled (the decoder keeps stage 1's optimizer).
        for name, trainer, blocks in (("stage 1", decoder, None), ("stage 2", colorizer, (4, 5))):
            set_encoder_trainable(colorizer, blocks)
            if trainer is colorizer:
                colorizer.compile(make_optimizer(gpu.learning_rate / 10, 100), make_loss("mse"), jit_compile=False)
                colorizer.optimizer.build(colorizer.trainable_variables)
            optimizer = stage1 if trainer is decoder else colorizer.optimizer
            trained = sum(int(np.prod(v.shape)) * 4 for v in trainer.trainable_variables)
            for way, write in (("before", _old_epoch), ("after", _new_epoch)):
                folder = Path(tmp) / name.replace(" ", "") / way
                folder.mkdir(parents=True)
                stages[name, way] = write(colorizer, optimizer, folder)
            old, new = stages[name, "before"], stages[name, "after"]
            print(f"\n{name}: trains {trained / MB:.1f} MB of weights (Adam keeps 2 moments of each)")
            print(f"  before: checkpoint {old[0] / MB:6.1f} MB + best model {old[1] / MB:6.1f} MB = "
                  f"{sum(old) / MB:6.1f} MB per epoch with a new best ({sum(old) / weights:.2f} x weights)")
            print(f"  after:  checkpoint {new[0] / MB:6.1f} MB + best model {new[1] / MB:6.1f} MB = "
                  f"{sum(new) / MB:6.1f} MB per epoch with a new best ({sum(new) / weights:.2f} x weights); "
                  f"run folder on Drive: {sum(new) / LOCAL_COPY_EVERY / MB:.1f} MB per epoch "
                  f"({sum(new) / LOCAL_COPY_EVERY / weights:.2f} x weights)")

    epochs = {"stage 1": gpu.epochs, "stage 2": gpu.fine_tune_epochs}
    total_epochs = sum(epochs.values())

    def run_average(way, every=1):
        return sum(sum(stages[name, way]) * n for name, n in epochs.items()) / every / total_epochs

    print(f"\nthe whole gpu recipe ({gpu.epochs} + {gpu.fine_tune_epochs} epochs), a new best every epoch "
          f"(the worst case), bytes written to the run folder:")
    print(f"  before:                          {run_average('before') / MB:6.1f} MB per epoch "
          f"({run_average('before') / weights:.2f} x weights), {run_average('before') * total_epochs / 1e9:.1f} GB "
          "in all")
    print(f"  after, run folder on local disk: {run_average('after') / MB:6.1f} MB per epoch "
          f"({run_average('after') / weights:.2f} x weights), "
          f"{run_average('after') * total_epochs / 1e9:.1f} GB in all")
    drive = run_average("after", LOCAL_COPY_EVERY)
    print(f"  after, run folder on Drive (local first, copied every {LOCAL_COPY_EVERY} epochs): {drive / MB:.1f} MB "
          f"per epoch ({drive / weights:.2f} x weights), {drive * total_epochs / 1e9:.1f} GB in all")
    print(f"target: at most 2 x weights = {2 * weights / MB:.1f} MB per epoch on Drive: "
          f"{'met' if drive <= 2 * weights else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
