"""Bytes a training run writes per epoch for its checkpoints, for the gpu recipe's model.

The model is the ``gpu`` recipe's (224 px, all 5 VGG19 blocks, U-Net decoder of width 32),
built here with ``weights=None`` on the CPU: the file sizes depend on the shapes, not on the
values. For each stage the optimizer is built for exactly the variables that stage trains
(stage 1: the decoder; stage 2: the decoder and VGG blocks 4-5), as ``course_lib.train`` does.

- **before** (the code before issue 22): ``last.keras`` saved by Keras with the optimizer,
  ``last_optimizer.npz`` beside it, and ``model.keras`` (again with the optimizer) when the
  validation PSNR improved; one epoch of each stage is written and counted.
- **now**: ``course_lib.train``'s own ``Checkpoint`` callback is run at the end of every epoch of
  the recipe's whole plan (50 + 30 epochs), with a checkpoint every ``checkpoint_every`` epochs
  (the recipe's, and 1 for comparison), exactly as ``train`` runs it with the run folder on
  Google Drive: written in a local folder, which :class:`course_lib.train.RunFolderCopy` copies
  to the run folder. The bytes of the files that are new or replaced after each epoch are
  counted in both folders: the local folder's are what a run folder on local disk receives (the
  same callback writes the same files there), the run folder's are what Drive receives.
  Only the callback runs: no training step (the weights do not change, their size does not
  either); ``log.csv`` and the grids (a few kB per epoch) are not counted.

"With best" is the worst case, a new best model every epoch (common early in a run). The issue's
target is at most 2 x the weights per epoch. Usage::

    python benchmarks/bench_checkpoints.py [--every 1 2 3]

It writes about 24 GB (checkpoint every epoch) or 12 GB (every 2) to the temporary folder, each
file over the last: ``TMPDIR=/dev/shm`` keeps that off the disk.
"""

from __future__ import annotations

import argparse
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


class ChangedBytes:
    """The bytes of the files under ``folder`` that are new or were replaced since the last call."""

    def __init__(self, folder: Path):
        self.folder, self.seen = folder, {}

    def __call__(self) -> int:
        total = 0
        for path in self.folder.rglob("*"):
            if path.is_file():
                stat = path.stat()
                stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
                if self.seen.get(path) != stamp:
                    total += stat.st_size
                self.seen[path] = stamp
        return total


def run_plan(colorizer, trainers: dict, settings, folder: Path) -> tuple[list[int], list[int], int]:
    """Run course_lib.train's Checkpoint callback after every epoch of ``settings``' plan, a new
    best every epoch, the run written in a local folder and copied to the run folder as on Drive.

    Returns
    -------
    (local, run_folder, model_bytes) : list of int, list of int, int
        Bytes written per epoch in the local folder, and copied per epoch to the run folder (the
        final copy of ``train`` counted in the last epoch); the size of ``model.keras``.
    """
    from course_lib import train

    local, run_dir = folder / "local", folder / "run"
    (local / "checkpoints").mkdir(parents=True)
    run_dir.mkdir()
    copier = train.RunFolderCopy(local, run_dir)
    written, copied = ChangedBytes(local), ChangedBytes(run_dir)
    checkpoint_class = train._callbacks_module()[2]
    state = dict(settings=settings.to_dict(), epochs_done=0, best_val_psnr=-np.inf, best_epoch=0, history={})
    per_epoch_local, per_epoch_copied = [], []
    for stage in train.plan_stages(settings):
        callback = checkpoint_class(colorizer, local, state, every=settings.checkpoint_every,
                                    last_epoch=stage.last_epoch, copier=copier, copy_every=train.LOCAL_COPY_EVERY)
        callback.set_model(trainers[stage.name])
        for epoch in range(stage.first_epoch, stage.last_epoch):
            callback.on_epoch_end(epoch, {"loss": 0.01, "val_psnr": 20.0 + epoch / 100})  # a new best each epoch
            per_epoch_local.append(written())
            per_epoch_copied.append(copied())
    copier.copy_changed()  # train's copy at the end
    per_epoch_copied[-1] += copied()
    assert state["epochs_done"] == len(per_epoch_local) and (run_dir / "model.keras").is_file()
    return per_epoch_local, per_epoch_copied, (run_dir / "model.keras").stat().st_size


def main(argv=None) -> int:
    import dataclasses

    from course_lib.model import build_colorizer, set_encoder_trainable
    from course_lib.recipes import RECIPES
    from course_lib.train import LOCAL_COPY_EVERY, make_loss, make_optimizer, plan_stages

    gpu = RECIPES["gpu"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, nargs="+", default=sorted({1, gpu.checkpoint_every}),
                        help="checkpoint_every values to run the plan with (default: 1 and the gpu recipe's)")
    args = parser.parse_args(argv)

    colorizer = build_colorizer(gpu.image_size, gpu.decoder, None, gpu.encoder_blocks, gpu.decoder_width)
    weights = sum(int(np.prod(w.shape)) * 4 for w in colorizer.weights)
    print(f"gpu recipe model: {gpu.image_size} px, {gpu.encoder_blocks} VGG blocks, decoder width "
          f"{gpu.decoder_width}; weights W = {weights / MB:.1f} MB ({colorizer.count_params():,} parameters, float32)")
    stages = plan_stages(gpu)
    epochs = {stage.name: stage.last_epoch - stage.first_epoch for stage in stages}
    total_epochs = sum(epochs.values())

    def ratio(nbytes: float) -> str:
        return f"{nbytes / MB:6.1f} MB ({nbytes / weights:.2f} W)"

    print("\nbefore issue 22, one epoch with a new best (last.keras and model.keras with the optimizer):")
    trainers, before = {}, 0
    with tempfile.TemporaryDirectory() as tmp:
        for stage in stages:
            set_encoder_trainable(colorizer, stage.encoder)
            # Stage 1: the decoder compiled and trained alone (on the frozen encoder's features);
            # stage 2: the whole model compiled (the decoder keeps stage 1's optimizer, which Keras
            # saved too before issue 22).
            trainer = colorizer.get_layer("decoder") if stage.encoder is None else colorizer
            trainer.compile(make_optimizer(stage.learning_rate, 100), make_loss("mse"), jit_compile=False)
            trainer.optimizer.build(trainer.trainable_variables)
            trainers[stage.name] = trainer
            trained = sum(int(np.prod(v.shape)) * 4 for v in trainer.trainable_variables)
            folder = Path(tmp) / stage.name.replace(" ", "")
            folder.mkdir()
            old = sum(_old_epoch(colorizer, trainer.optimizer, folder))
            before += old * epochs[stage.name]
            print(f"  {stage.name} (trains {trained / MB:.1f} MB of weights, Adam keeps 2 moments of each): "
                  f"{ratio(old)} per epoch")
    print(f"  whole plan ({total_epochs} epochs): {ratio(before / total_epochs)} per epoch, "
          f"{before / 1e9:.1f} GB in all")

    for every in args.every:
        settings = dataclasses.replace(gpu, checkpoint_every=every)
        with tempfile.TemporaryDirectory() as tmp:
            local, copied, model_bytes = run_plan(colorizer, trainers, settings, Path(tmp))
        mark = " (the gpu recipe's)" if every == gpu.checkpoint_every else ""
        print(f"\nnow, checkpoint_every={every}{mark}, a new best every epoch, course_lib.train's Checkpoint "
              f"callback over the whole plan:")
        start = 0
        for name, n in epochs.items():
            part = local[start:start + n]
            print(f"  {name}: {ratio(sum(part) / n)} per epoch; largest epoch {max(part) / MB:.1f} MB")
            start += n
        print(f"  run folder on local disk: {ratio(sum(local) / total_epochs)} per epoch, "
              f"{sum(local) / 1e9:.1f} GB in all: "
              f"{'met' if sum(local) / total_epochs <= 2 * weights else 'NOT met'} (<= 2 W)")
        print(f"  run folder on Drive (written locally, copied at the first checkpoint after every "
              f"{LOCAL_COPY_EVERY} epochs and at the end): {ratio(sum(copied) / total_epochs)} per epoch, "
              f"{sum(copied) / 1e9:.1f} GB in all, {sum(1 for b in copied if b)} copies: "
              f"{'met' if sum(copied) / total_epochs <= 2 * weights else 'NOT met'} (<= 2 W)")
        if every == 1:  # the alternative not built: a best epoch's checkpoint without weights, naming model.keras
            once = (sum(local) - total_epochs * model_bytes) / total_epochs
            print(f"  not built, the weights written once per epoch (a best epoch's checkpoint points at model.keras; "
                  f"{model_bytes / MB:.1f} MB less): {ratio(once)} per epoch on local disk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
