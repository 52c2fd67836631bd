"""Train the colorizer, with checkpoints and ``--resume``; the ``train`` command.

Stages
------
1. **Decoder** (pretrained encoder, ``weights="imagenet"`` or a path): the VGG19 encoder is
   frozen, so its features never change. They are computed once (for every training image
   and its mirror image) and the decoder alone trains on them: an epoch costs only the
   decoder. When they are too large for :data:`FEATURE_CACHE_LIMIT` (the ``gpu`` recipe on
   NCD: 224 px, five skip maps), only the deepest maps that fit are cached and the encoder's
   first blocks recompute the shallow ones every step (:func:`plan_feature_cache`). With a random
   encoder (``weights=None``: the ``cpu`` and ``fast`` recipes, and offline mode) frozen random
   features would be useless, so the whole network trains on augmented images instead.
2. **Fine-tuning** (optional, ``fine_tune_epochs > 0``, pretrained encoder only): the upper
   VGG blocks are unfrozen and the whole model trains at a tenth of the learning rate.

Run folder (``out_dir``)
------------------------
``model.keras``                 the best model so far (highest validation PSNR), without optimizer
``checkpoints/last.keras``      the one resumable checkpoint: the model after the latest checkpointed
                                epoch, and inside the same file the optimizer's state and the run's state
                                (:func:`write_checkpoint`, :func:`read_checkpoint`)
``checkpoints/state.json``      epochs done, stage, best score, history, the run's settings
``log.csv``                     one row per epoch: loss, val_loss, val_psnr, learning rate
``grids/epoch_NNN.png``         gray input / prediction / truth for a few validation images
``run.json``                    classification head only: bins, rebalancing weights, and the default
                                temperature of the annealed mean, chosen on the validation split

Every ``checkpoint_every`` epochs (:class:`~course_lib.recipes.TrainSettings`: 1, the ``gpu``
recipe 2) and at the end of each stage, the run writes one checkpoint (weights + optimizer) and,
when the validation PSNR improved since the last one, ``model.keras`` (weights only; a best model
between two checkpoints waits in memory). A crash or a lost Colab runtime loses at most
``checkpoint_every`` epochs: ``resume=True`` (``--resume``) reloads ``last.keras`` and the
optimizer state and continues at the next epoch (``log.csv``'s rows of the lost epochs are
replaced). When the run folder is on a slow, remote disk (Google Drive:
:func:`course_lib.environment.use_google_drive` sets ``$COURSE_LOCAL_CHECKPOINT_DIR``), the run
is written to a local folder and copied to the run folder at the first checkpoint at or after
every :data:`LOCAL_COPY_EVERY` epochs, and at the end (:class:`RunFolderCopy`): each file is
copied under a temporary name and renamed, so a runtime lost mid-copy leaves the previous
checkpoint intact. Nothing is ever deleted in the run folder.

Mixed precision (``mixed_precision``: ``"auto"``, ``"on"``, ``"off"``) sets Keras' global
dtype policy for the run only: :func:`train` restores the policy it found, also when it fails.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import functools
import hashlib
import io
import json
import os
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib import color
from course_lib.errors import CourseError
from course_lib.recipes import LOSSES, MIXED_PRECISION, RECIPE_CHOICES, RECIPES, TrainSettings, resolve_settings

#: Validation images shown in each epoch's grid.
GRID_IMAGES = 6
#: Stage 1's feature cache takes at most this many bytes of RAM (:func:`plan_feature_cache`):
#: Colab gives about 12 GB, and the decoded images, the model and TensorFlow need the rest.
FEATURE_CACHE_LIMIT = 3 * 2**30
#: The cosine decay ends at this fraction of the initial learning rate (not at 0, which the
#: log would show as ``lr: 0`` in the last epoch, as if nothing were learned any more).
LR_FLOOR = 0.01
#: Validation images predicted at once by the callbacks (one fixed batch shape, traced once).
PREDICT_BATCH = 64
#: With a local checkpoint folder, the run folder receives a copy at the first checkpoint at or after
#: every multiple of this many epochs (and at the end): a lost runtime costs about that many epochs
#: (at most this plus ``checkpoint_every - 1``), and Drive gets about a fifth of the bytes.
LOCAL_COPY_EVERY = 5
#: Entries that :func:`write_checkpoint` adds to the ``.keras`` archive (Keras ignores them).
CHECKPOINT_OPTIMIZER_ENTRY = "course_optimizer.npz"
CHECKPOINT_STATE_ENTRY = "course_state.json"


@dataclass
class TrainResult:
    """What :func:`train` produced.

    Attributes
    ----------
    history : dict
        ``{"loss": [...], "val_loss": [...], "val_psnr": [...], "lr": [...]}``, one value per
        epoch, including epochs done before a resume.
    run_dir, model_path, last_checkpoint, log_path, grid_dir : Path
    epochs_done : int
    best_val_psnr : float
    seconds : float
        Wall-clock time of this call (not of earlier, resumed parts).
    """

    history: dict
    run_dir: Path
    model_path: Path
    last_checkpoint: Path
    log_path: Path
    grid_dir: Path
    epochs_done: int
    best_val_psnr: float
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- set-up
def gpu_available() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def make_loss(name: str):
    """Keras loss for ``"mse"`` (the seed's), ``"l1"`` or ``"huber"``."""
    import keras

    losses = {
        "mse": keras.losses.MeanSquaredError(),
        "l1": keras.losses.MeanAbsoluteError(),
        # delta in ab_norm units: 0.1 = 12.8 LAB units; quadratic for small errors, linear beyond.
        "huber": keras.losses.Huber(delta=0.1),
    }
    if name not in losses:
        raise CourseError(f"unknown loss {name!r}: choose one of {', '.join(LOSSES)}")
    return losses[name]


def make_optimizer(learning_rate: float, total_steps: int):
    """Adam with a cosine decay of the learning rate over ``total_steps``, down to
    :data:`LR_FLOOR` times ``learning_rate``."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(total_steps, 1), alpha=LR_FLOOR)
    return keras.optimizers.Adam(schedule)


# ----------------------------------------------------------------------------- callbacks
def _callbacks_module():
    """The callback classes, defined on first use so this module imports without Keras."""
    import keras

    class ValidationPSNR(keras.callbacks.Callback):
        """Adds ``val_loss`` (the training loss on the validation images) and ``val_psnr`` (mean
        per-image PSNR in RGB uint8 at the model's resolution), from one prediction pass.

        Keras' own ``validation_data`` would predict the validation images a second time each
        epoch; predicting them once, in evenly split batches, made an epoch of the cpu recipe about
        11 % shorter on 2 cores (docs/recipe_history.md). The predictions stay in
        ``self.prediction`` for :class:`PredictionGrid`.
        """

        def __init__(self, predictor, val_l, val_ab, val_rgb, loss):
            super().__init__()
            self.predictor, self.val_l, self.val_ab, self.val_rgb = predictor, val_l, val_ab, val_rgb
            self.loss = loss
            self.prediction = None

        def on_epoch_end(self, epoch, logs=None):
            from course_lib.metrics import psnr

            outputs, losses = [], []
            for start, raw in self.predictor.batches(self.val_l):
                target = self.val_ab[start : start + len(raw)]
                losses.append(float(keras.ops.convert_to_numpy(self.loss(target, raw))) * len(raw))
                outputs.append(self.predictor.decode(raw))
            self.prediction = np.concatenate(outputs, axis=0)
            logs["val_loss"] = sum(losses) / len(self.val_l)
            # Gamut-fitted like `evaluate` and `colorize`, so the best epoch is chosen on their score.
            rgb = color.model_io_to_rgb_uint8(self.val_l, self.prediction)  # (N, S, S, 3)
            logs["val_psnr"] = float(np.mean([psnr(p, t, data_range=255) for p, t in zip(rgb, self.val_rgb)]))
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    class PredictionGrid(keras.callbacks.Callback):
        """Saves ``grids/epoch_NNN.png``: rows gray input / prediction / truth, labelled.

        Shows the validation images at ``indices`` (one per category where it can), as
        predicted by the ``ValidationPSNR`` callback ``source`` (which must run before it).
        """

        def __init__(self, source, grid_dir, indices, labels):
            super().__init__()
            self.source, self.grid_dir, self.indices, self.labels = source, Path(grid_dir), list(indices), labels

        def on_epoch_end(self, epoch, logs=None):
            i = self.indices
            save_prediction_grid(self.grid_dir / f"epoch_{epoch + 1:03d}.png", self.source.val_l[i],
                                 self.source.prediction[i], self.source.val_rgb[i], labels=self.labels)

    class Checkpoint(keras.callbacks.Callback):
        """Every ``every`` epochs of the run (:attr:`TrainSettings.checkpoint_every`) and at
        ``last_epoch`` (the end of this ``fit``): one checkpoint (``last.keras``: model, optimizer
        state and run state in one file), state.json, and the best model so far, without
        optimizer, as model.keras. With a ``copier``, the run folder then gets a copy at the first
        checkpoint at or after each multiple of ``copy_every`` epochs.

        Why not every epoch: for the gpu recipe a checkpoint and a best model are 2.9 x the
        weights (stage 2's Adam moments alone are 1.8 x); every 2 epochs halves that, under
        issue 22's bound of 2 x (benchmarks/bench_checkpoints.py). Writing the weights only once
        per epoch (a checkpoint that points at model.keras) would reach 1.9 x: just under the
        bound, and a checkpoint whose weights another file holds is not whole on its own.
        Between checkpoints a new best model's weights wait in memory (100 MB for the gpu
        recipe), so model.keras is always the best of the epochs its checkpoint covers.

        Files are written under a temporary name and renamed, so a kill during saving
        never leaves a half-written checkpoint.
        """

        def __init__(self, colorizer, run_dir, state, *, every=1, last_epoch, copier=None,
                     copy_every=LOCAL_COPY_EVERY):
            super().__init__()
            self.colorizer, self.run_dir, self.state = colorizer, Path(run_dir), state
            self.every, self.last_epoch = int(every), int(last_epoch)
            self.copier, self.copy_every = copier, int(copy_every)
            self.checkpointed = state["epochs_done"]  # the epoch of the checkpoint this fit starts from
            self.waiting_best = None  # weights of a best epoch since that checkpoint, not yet in model.keras

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            history = self.state["history"]
            for key, value in logs.items():
                history.setdefault(key, []).append(float(value))
            done = epoch + 1
            score = logs.get("val_psnr", -np.inf)
            best = score > self.state["best_val_psnr"]
            if best:
                self.state["best_val_psnr"] = float(score)
                self.state["best_epoch"] = done
            self.state["epochs_done"] = done
            if done % self.every and done < self.last_epoch:  # no checkpoint this epoch
                if best:
                    self.waiting_best = self.colorizer.get_weights()  # a copy in host memory
                return
            # model.keras before the checkpoint, whose state names it: a kill in between redoes the epochs
            if best:
                save_model_file(self.colorizer, self.run_dir / "model.keras")
            elif self.waiting_best is not None:
                save_model_file_with_weights(self.colorizer, self.waiting_best, self.run_dir / "model.keras")
            self.waiting_best = None
            ckpt = self.run_dir / "checkpoints"
            write_checkpoint(self.colorizer, self.model.optimizer, self.state, ckpt / "last.keras")
            _write_json(ckpt / "state.json", self.state)
            if self.copier is not None and done // self.copy_every > self.checkpointed // self.copy_every:
                self.copier.copy_changed()
            self.checkpointed = done

    return ValidationPSNR, PredictionGrid, Checkpoint


def _models_in(model) -> list:
    """``model`` and every Keras model nested in it (the encoder, the decoder)."""
    import keras

    found = [model]
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            found += _models_in(layer)
    return found


@contextlib.contextmanager
def _optimizers_detached(model):
    """Within the block, ``model`` and its nested models carry no optimizer, so that Keras'
    ``save`` writes the weights alone (Keras 3 has no ``include_optimizer``). Stage 1 compiles the
    decoder, stage 2 the whole model: either optimizer would otherwise go into every file."""
    held = [(m, m.optimizer, m.compiled) for m in _models_in(model) if getattr(m, "optimizer", None) is not None]
    for m, _, _ in held:
        # Not compiled while saving: no compile config either, so keras.models.load_model does not
        # build an optimizer and warn that the file holds none.
        m.optimizer, m.compiled = None, False
    try:
        yield
    finally:
        for m, optimizer, compiled in held:
            m.optimizer, m.compiled = optimizer, compiled


def save_model_file(model, path) -> Path:
    """Save ``model`` as a ``.keras`` file without any optimizer state (the file a learner keeps),
    atomically: written under a temporary name, then renamed."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.keras")
    with _optimizers_detached(model):
        model.save(tmp)
    os.replace(tmp, path)
    return path


def save_model_file_with_weights(model, weights: list, path) -> Path:
    """:func:`save_model_file` of ``model`` holding ``weights`` (``model.get_weights()`` of an earlier
    epoch) instead of its own; its own are back afterwards, also when saving fails."""
    own = model.get_weights()
    model.set_weights(weights)
    try:
        return save_model_file(model, path)
    finally:
        model.set_weights(own)


def _optimizer_arrays(optimizer) -> dict[str, np.ndarray]:
    """Every optimizer variable: Adam's (step count, moments) under ``adam/``, and a mixed-precision
    loss scaler's own (its scale and counter) under ``loss_scale/``."""
    import keras

    inner = getattr(optimizer, "inner_optimizer", None)
    store: dict = {}
    (inner or optimizer).save_own_variables(store)
    arrays = {f"adam/{key}": keras.ops.convert_to_numpy(value) for key, value in store.items()}
    if inner is not None:
        own = optimizer.variables[: len(optimizer.variables) - len(inner.variables)]
        arrays.update({f"loss_scale/{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(own)})
    return arrays


def write_checkpoint(model, optimizer, state: dict, path) -> Path:
    """The one resumable checkpoint: ``model`` as a ``.keras`` file (no optimizer inside Keras'
    part), plus two entries of our own in the same archive: the optimizer's variables
    (:data:`CHECKPOINT_OPTIMIZER_ENTRY`, ``.npz``) and the run's ``state`` (JSON). One file, renamed
    into place when complete: the weights, the optimizer and the epoch count always agree."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.keras")
    with _optimizers_detached(model):
        model.save(tmp)
    buffer = io.BytesIO()
    np.savez(buffer, **_optimizer_arrays(optimizer))
    with zipfile.ZipFile(tmp, "a") as archive:
        archive.writestr(CHECKPOINT_OPTIMIZER_ENTRY, buffer.getvalue())
        archive.writestr(CHECKPOINT_STATE_ENTRY, json.dumps(state, indent=1))
    os.replace(tmp, path)
    return path


def read_checkpoint(path) -> tuple[dict | None, dict | None]:
    """``(optimizer_arrays, state)`` stored by :func:`write_checkpoint` (None for what is missing:
    a checkpoint of an older version, whose optimizer is in ``last_optimizer.npz`` beside it).

    Raises
    ------
    CourseError
        The file is not a readable checkpoint.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            arrays = state = None
            if CHECKPOINT_OPTIMIZER_ENTRY in names:
                with np.load(io.BytesIO(archive.read(CHECKPOINT_OPTIMIZER_ENTRY))) as saved:
                    arrays = {key: saved[key] for key in saved.files}
            if CHECKPOINT_STATE_ENTRY in names:
                state = json.loads(archive.read(CHECKPOINT_STATE_ENTRY))
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise CourseError(f"cannot read the checkpoint {path} ({exc}); "
                          "start a new run in another --out folder") from exc
    old = path.with_name("last_optimizer.npz")
    if arrays is None and old.is_file():  # written by an older version of the course
        with np.load(old) as saved:
            arrays = {f"adam/{key}": saved[key] for key in saved.files}
    return arrays, state


def restore_optimizer(optimizer, variables, arrays: dict) -> None:
    """Build ``optimizer`` for ``variables`` and restore the arrays of :func:`read_checkpoint`.

    Adam's state goes to Adam whether or not a mixed-precision loss scaler wraps it now, so a run
    may resume on other hardware; the scaler's own state is restored when both runs had one.
    """
    import keras

    optimizer.build(variables)
    inner = getattr(optimizer, "inner_optimizer", None)
    (inner or optimizer).load_own_variables({key[len("adam/"):]: value for key, value in arrays.items()
                                             if key.startswith("adam/")})
    if inner is not None:
        own = optimizer.variables[: len(optimizer.variables) - len(inner.variables)]
        for i, variable in enumerate(own):
            if f"loss_scale/{i}" in arrays:
                variable.assign(keras.ops.convert_to_tensor(arrays[f"loss_scale/{i}"], variable.dtype))


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


class RunFolderCopy:
    """Copies what a run writes in a local folder (``work_dir``) to its run folder (``run_dir``).

    :meth:`copy_changed` copies every file that is new or changed since the last copy, each one
    to ``<name>.partial`` in the run folder first and then renamed over the old file
    (``os.replace``), in the order they are written (``model.keras`` first, ``checkpoints/state.json``
    last): a runtime lost mid-copy leaves the previous checkpoint whole. It never deletes anything in the run folder. Files already in ``work_dir``
    when it is made came from the run folder (:func:`local_work_dir`): they are not copied back.
    """

    def __init__(self, work_dir, run_dir):
        self.work_dir, self.run_dir = Path(work_dir), Path(run_dir)
        self.copied = {str(path.relative_to(self.work_dir)): stamp for path, stamp in self._files()}

    def _files(self):
        """``(path, stamp)`` of every finished file in ``work_dir``: model.keras first, state.json last."""
        files = [p for p in self.work_dir.rglob("*") if p.is_file() and p.name != LOCAL_MARKER
                 and not p.name.endswith((".partial", ".tmp", ".tmp.keras"))]  # half-written ones
        files.sort(key=lambda p: (p.name == "state.json", p.name != "model.keras", str(p)))
        for path in files:
            stat = path.stat()
            yield path, (stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def copy_changed(self) -> int:
        """Copy the new and changed files; return the number of bytes copied."""
        total = 0
        for path, stamp in self._files():
            relative = str(path.relative_to(self.work_dir))
            if self.copied.get(relative) == stamp:
                continue
            target = self.run_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(path, partial)
            with open(partial, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(partial, target)
            self.copied[relative] = stamp
            total += stamp[0]
        return total


#: A file in each local folder of :func:`local_work_dir`: that folder is ours to clear.
LOCAL_MARKER = ".course-local-copy"


def local_work_dir(run_dir: Path, local_root, resume: bool) -> Path:
    """The local folder where a run on a remote disk is written, under ``local_root``.

    A fresh run starts it empty (it clears only a folder that holds :data:`LOCAL_MARKER`, i.e.
    one this function made); a resumed run first copies the run folder's checkpoint, state and
    log into it, so the run folder stays the reference after a lost runtime.

    Raises
    ------
    CourseError
        The local folder exists but was not made by this function.
    """
    run_dir = Path(run_dir).expanduser().resolve()
    key = hashlib.sha1(str(run_dir).encode()).hexdigest()[:10]
    work = Path(local_root).expanduser() / f"{run_dir.name}-{key}"
    if work.exists():
        if not (work / LOCAL_MARKER).is_file():
            raise CourseError(f"{work} exists and was not made by the course; choose another "
                              "$COURSE_LOCAL_CHECKPOINT_DIR or move that folder away")
        shutil.rmtree(work)
    (work / "checkpoints").mkdir(parents=True)
    (work / LOCAL_MARKER).write_text(str(run_dir) + "\n")
    if resume:
        for name in ("checkpoints/last.keras", "checkpoints/last_optimizer.npz", "checkpoints/state.json",
                     "log.csv", "model.keras"):
            if (run_dir / name).is_file():
                shutil.copy2(run_dir / name, work / name)
    return work


GRID_ROWS = ("gray input", "prediction", "truth")


def save_prediction_grid(path, l_norm, ab_norm_pred, rgb_true, labels=None, scale: int = 3) -> Path:
    """Save a PNG grid: row 1 gray input, row 2 prediction, row 3 ground truth, each row named.

    ``l_norm (N, S, S, 1)``, ``ab_norm_pred (N, S, S, 2)``, ``rgb_true (N, S, S, 3)`` uint8;
    ``labels``: one caption per column (e.g. the category). Each tile is enlarged ``scale``
    times (nearest neighbour) so small images stay visible.
    """
    from PIL import Image, ImageDraw

    gray = color.model_io_to_rgb_uint8(l_norm, np.zeros_like(ab_norm_pred))
    pred = color.model_io_to_rgb_uint8(l_norm, ab_norm_pred)
    rows = [np.concatenate(list(images), axis=1) for images in (gray, pred, rgb_true)]  # (S, N*S, 3)
    tiles = np.concatenate(rows, axis=0).repeat(scale, axis=0).repeat(scale, axis=1)
    tile = tiles.shape[0] // len(GRID_ROWS)
    margin_left, margin_top = 80, 14
    canvas = Image.new("RGB", (tiles.shape[1] + margin_left, tiles.shape[0] + margin_top), "white")
    canvas.paste(Image.fromarray(tiles), (margin_left, margin_top))
    draw = ImageDraw.Draw(canvas)
    for row, name in enumerate(GRID_ROWS):
        draw.text((4, margin_top + row * tile + tile // 2 - 5), name, fill="black")
    for column, label in enumerate(labels or []):
        draw.text((margin_left + column * tile + 2, 1), str(label)[: max(tile // 6, 4)], fill="black")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path


def grid_choice(categories, n: int = GRID_IMAGES) -> list[int]:
    """Indices of ``n`` images for the grid: the first of each category, categories spread evenly."""
    firsts = {}
    for index, category in enumerate(categories):
        firsts.setdefault(category, index)
    names = sorted(firsts)
    m = min(n, len(names))
    picked = [firsts[names[int(k * len(names) / m)]] for k in range(m)]
    if len(picked) < n:  # fewer categories than tiles: fill with the next images
        picked += [i for i in range(len(categories)) if i not in picked][: n - len(picked)]
    return sorted(picked)


# ----------------------------------------------------------------------------- data
def _load_split(data_dir, max_images_per_split=None):
    """``{"train", "val", "test"} -> records`` from :func:`course_lib.data.split_dataset`.

    With ``max_images_per_split``, each split keeps at most that many images, taken evenly
    from every category (:func:`course_lib.data.stratified_subset`).
    """
    from course_lib.data import find_ncd_root, scan_dataset_summarized, split_dataset, stratified_subset

    index = scan_dataset_summarized(find_ncd_root(data_dir))
    splits = split_dataset(index.records)
    if max_images_per_split:
        splits = {name: stratified_subset(records, max_images_per_split) for name, records in splits.items()}
    if not splits["train"] or not splits["val"]:
        raise CourseError(f"{data_dir} has too few images for a train and a validation split; "
                          "use the full NCD folder (or 'python -m course_lib sample' for the offline set)")
    return splits


@dataclass(frozen=True)
class FeatureCachePlan:
    """What stage 1 keeps of a frozen encoder's features (:func:`plan_feature_cache`).

    The encoder's outputs are its skip maps, shallowest first (one tensor for the seed decoder).
    The deepest ``cached`` of them are computed once and kept as float16; the shallower ones
    are recomputed on every step by the encoder's first blocks, which cost a fraction of the
    whole encoder (at 224 px, blocks 1-2 are 24 % of VGG19's convolutions) but hold most of
    its feature bytes (at 224 px, 79 %).

    Attributes
    ----------
    outputs : int
        How many feature maps the encoder gives.
    cached : int
        How many of the deepest are cached: ``outputs`` (all), fewer (the rest recomputed), or 0.
    n_images : int
        Feature sets cached: the training images and, with augmentation, their mirror images.
    bytes : int
        What the cache holds: the float16 features, plus the float32 ``L_norm`` inputs when
        shallow features are recomputed from them.
    all_bytes : int
        What caching every feature map would take.
    limit : int
        The limit it was planned for (:data:`FEATURE_CACHE_LIMIT`).
    """

    outputs: int
    cached: int
    n_images: int
    bytes: int
    all_bytes: int
    limit: int

    @property
    def path(self) -> str:
        """``"all cached"``, ``"deepest N cached"`` or ``"not cached"``."""
        if self.cached == self.outputs:
            return "all cached"
        return f"deepest {self.cached} of {self.outputs} cached" if self.cached else "not cached"

    def describe(self) -> str:
        """One line for the training log."""
        gb = lambda b: f"{b / 1e9:.2f} GB"  # noqa: E731
        if self.cached == self.outputs:
            return f"features of {self.n_images} images cached once ({gb(self.bytes)})"
        limit = f"the {self.limit / 2**30:g} GiB limit"
        if self.cached:
            return (f"the deepest {self.cached} of {self.outputs} feature maps cached once ({gb(self.bytes)}; all "
                    f"{self.outputs} would be {gb(self.all_bytes)}, over {limit}), the shallower ones recomputed "
                    "every step")
        return f"features not cached: even the deepest map of {self.n_images} images is over {limit}"


def plan_feature_cache(feature_shapes, n_images: int, image_shape, limit: int | None = None) -> FeatureCachePlan:
    """Cache as many of the deepest feature maps as fit in ``limit`` bytes.

    Parameters
    ----------
    feature_shapes : sequence of tuple
        Per-image shape of each encoder output, shallowest first (``encoder.outputs``' shapes
        without the batch axis).
    n_images : int
        Feature sets to cache (training images, mirror images included).
    image_shape : tuple
        Per-image shape of the encoder's input (``(S, S, 1)``), kept as float32 when the
        shallow maps are recomputed.
    limit : int, optional
        Bytes the cache may take; default :data:`FEATURE_CACHE_LIMIT`.

    Returns
    -------
    FeatureCachePlan
    """
    limit = FEATURE_CACHE_LIMIT if limit is None else int(limit)
    sizes = [int(np.prod(shape)) * 2 * n_images for shape in feature_shapes]  # float16
    input_bytes = int(np.prod(image_shape)) * 4 * n_images  # float32 L_norm
    for cached in range(len(sizes), 0, -1):
        total = sum(sizes[len(sizes) - cached:]) + (input_bytes if cached < len(sizes) else 0)
        if total <= limit:
            return FeatureCachePlan(len(sizes), cached, n_images, total, sum(sizes), limit)
    return FeatureCachePlan(len(sizes), 0, n_images, 0, sum(sizes), limit)


def stage1_feature_plan(settings: TrainSettings, n_train_images: int, limit: int | None = None) -> FeatureCachePlan:
    """The :class:`FeatureCachePlan` stage 1 of ``settings`` follows on ``n_train_images`` training
    images (the encoder is built with random weights: the shapes do not depend on them)."""
    from course_lib.model import build_encoder

    encoder = build_encoder(settings.image_size, None, settings.encoder_blocks,
                            outputs="skips" if settings.decoder == "unet" else "pooled", hints=settings.hints)
    n_sets = n_train_images * (2 if settings.augment else 1)
    return plan_feature_cache(encoder_feature_shapes(encoder), n_sets, tuple(encoder.inputs[0].shape[1:]), limit)


def encoder_feature_shapes(encoder) -> list[tuple]:
    """Per-image shapes of ``encoder``'s outputs, shallowest first."""
    outputs = encoder.outputs
    return [tuple(int(d) for d in t.shape[1:]) for t in outputs]


def _encode(encoder, l_norm: np.ndarray, batch_size: int, keep: int | None = None) -> list[np.ndarray]:
    """The deepest ``keep`` (default: all) encoder outputs of ``l_norm (N, S, S, 1)``, as float16.

    Batch by batch into arrays allocated once: the outputs not kept are never gathered, so
    the memory is what is kept, not everything the encoder computes.
    """
    import keras

    outputs = list(encoder.outputs)
    keep = len(outputs) if keep is None else int(keep)
    model = encoder if keep == len(outputs) else keras.Model(encoder.inputs, outputs[len(outputs) - keep:])
    kept = [np.empty((len(l_norm), *shape), np.float16) for shape in encoder_feature_shapes(encoder)[len(outputs) - keep:]]
    for start in range(0, len(l_norm), batch_size):
        batch = model.predict_on_batch(np.asarray(l_norm[start : start + batch_size], np.float32))
        batch = batch if isinstance(batch, (list, tuple)) else [batch]
        for array, values in zip(kept, batch, strict=True):
            array[start : start + len(values)] = np.asarray(values, dtype=np.float16)
    return kept


def _feature_dataset(features, ab_norm, batch_size, seed, shuffle, l_norm=None):
    """``tf.data`` over cached features: ``((f_1, ..., f_k), ab_norm)`` batches, or
    ``((L_norm, f_j, ..., f_k), ab_norm)`` when ``l_norm`` is given (shallow maps recomputed)."""
    import tensorflow as tf

    inputs = tuple(features) if len(features) > 1 or l_norm is not None else features[0]
    if l_norm is not None:
        inputs = (np.asarray(l_norm, np.float32), *inputs)
    ds = tf.data.Dataset.from_tensor_slices((inputs, ab_norm))
    if shuffle:
        ds = ds.shuffle(len(ab_norm), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    # float16 in memory (half the RAM), float32 into the decoder.
    cast = lambda x, y: (tf.nest.map_structure(lambda t: tf.cast(t, tf.float32), x), y)  # noqa: E731
    return ds.map(cast, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _partly_cached_trainer(colorizer, cached: int):
    """A model ``(L_norm, f_j, ..., f_k) -> ab`` sharing the colorizer's layers: the frozen
    encoder's first blocks recompute the shallow maps, the decoder trains. The encoder's
    deeper blocks are not in it, so they cost nothing per step."""
    import keras

    encoder, decoder = colorizer.get_layer("encoder"), colorizer.get_layer("decoder")
    outputs = list(encoder.outputs)
    split = len(outputs) - cached
    shallow = keras.Model(encoder.inputs, outputs[:split], name="encoder_shallow")
    l_norm = keras.Input(tuple(encoder.inputs[0].shape[1:]), name="l_norm")
    deep = [keras.Input(shape, name=f"cached_skip{split + i + 1}")
            for i, shape in enumerate(encoder_feature_shapes(encoder)[split:])]
    recomputed = shallow(l_norm)
    recomputed = list(recomputed) if isinstance(recomputed, (list, tuple)) else [recomputed]
    return keras.Model([l_norm, *deep], decoder([*recomputed, *deep]), name="decoder_on_partial_cache")


class FixedBatchPredictor:
    """``model(L_norm)`` in inference mode, always on batches of one shape.

    ``model.predict`` on arrays of varying length (the validation set, then the grid's
    few images) traces a new graph for every new shape, and Keras' predict graphs of
    every model in the process count together: after a few models TensorFlow warns
    about "tf.function retracing". Here the graph is traced once, for
    ``(batch_size, S, S, 1)``, and the last batch is padded.
    """

    def __init__(self, model, image_size: int, batch_size: int):
        import tensorflow as tf

        self.batch_size = int(batch_size)
        self.channels = int(model.input_shape[-1])  # 4: a hint model, predicting here without hints
        spec = tf.TensorSpec((self.batch_size, image_size, image_size, self.channels), tf.float32)
        self._predict = tf.function(lambda l_norm: model(l_norm, training=False), input_signature=[spec])
        self.model = model

    def __call__(self, l_norm: np.ndarray) -> np.ndarray:
        """``ab_norm (N, S, S, 2)`` float32 for ``l_norm (N, S, S, 1)``."""
        return np.concatenate([self.decode(raw) for _, raw in self.batches(l_norm)], axis=0)

    def batches(self, l_norm: np.ndarray):
        """Yield ``(start, raw_output)`` batch by batch: the model's own output (logits for a
        classification model) for ``l_norm[start : start + len(raw_output)]``."""
        l_norm = np.asarray(l_norm, dtype=np.float32)
        if l_norm.shape[-1] < self.channels:  # a hint model: no hint (zero hint channels)
            from course_lib.hints import model_input

            l_norm = model_input(l_norm)
        for start in range(0, len(l_norm), self.batch_size):
            batch = l_norm[start : start + self.batch_size]
            n = len(batch)
            if n < self.batch_size:
                batch = np.concatenate([batch, np.zeros((self.batch_size - n, *batch.shape[1:]), np.float32)])
            yield start, np.asarray(self._predict(batch), dtype=np.float32)[:n]

    def decode(self, output: np.ndarray) -> np.ndarray:
        """``ab_norm``: a classification model's logits decoded by the annealed mean at Zhang's T = 0.38."""
        from course_lib.classification_head import decode_output

        return decode_output(self.model, output)


# ----------------------------------------------------------------------------- training
@dataclass(frozen=True)
class Stage:
    """One ``fit`` of the plan: epochs ``first_epoch`` to ``last_epoch`` (0-based, end exclusive).

    ``encoder`` says what of the encoder trains: None (frozen), ``"all"`` or a tuple of blocks.
    """

    name: str
    first_epoch: int
    last_epoch: int
    learning_rate: float
    encoder: object
    seed: int


def plan_stages(settings: TrainSettings) -> list[Stage]:
    """Stage 1 (decoder, or the whole network when offline), then stage 2 (fine-tuning)."""
    s = settings
    stages = [Stage("stage 1", 0, s.epochs, s.learning_rate, None if s.pretrained else "all", s.seed)]
    if s.pretrained and s.fine_tune_epochs > 0:
        kept = s.encoder_blocks
        blocks = s.fine_tune_blocks or tuple(b for b in (kept - 1, kept) if b >= 1)
        stages.append(Stage("stage 2", s.epochs, s.epochs + s.fine_tune_epochs, s.learning_rate / 10, blocks,
                            s.seed + 1))
    return stages


#: ``resume`` values of :func:`train`: True, False, or this (continue a run when there is one).
RESUME_AUTO = "auto"


def set_aside_run(run_dir) -> Path | None:
    """Rename the run folder ``run_dir`` out of the way, so that a new run can start there.

    Nothing is deleted: ``runs/course`` becomes ``runs/course-set-aside-YYYYmmdd-HHMMSS``.
    Notebooks call it only when the learner asks by name (``RETRAIN = True``).

    Returns
    -------
    Path or None
        The new name of the old run, or None when ``run_dir`` did not exist.

    Raises
    ------
    CourseError
        The folder cannot be renamed (e.g. no permission); nothing was changed.
    """
    run_dir = Path(run_dir).expanduser()
    if not run_dir.exists():
        return None
    aside = run_dir.with_name(f"{run_dir.name}-set-aside-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        run_dir.rename(aside)
    except OSError as exc:
        raise CourseError(f"could not rename {run_dir} to {aside} ({exc}); move it yourself, then train again") from None
    print(f"the previous run in {run_dir} is kept as {aside}; a new run starts in {run_dir}")
    return aside


def _open_run(run_dir: Path, settings: TrainSettings, resume) -> dict:
    """The run's state: a fresh one, or the saved one (whose settings must match) when resuming."""
    state_path = run_dir / "checkpoints" / "state.json"
    if resume not in (True, False, RESUME_AUTO):
        raise CourseError(f"resume must be True, False or {RESUME_AUTO!r}, got {resume!r}")
    if resume == RESUME_AUTO:
        resume = state_path.is_file()
        if resume:
            print(f"{run_dir} already holds this run (checkpoints/state.json): resuming it")
    if resume:
        if not state_path.is_file():
            raise CourseError(f"nothing to resume in {run_dir}: no checkpoints/state.json. "
                              "Start the run without --resume.")
        state = json.loads(state_path.read_text())
        last = run_dir / "checkpoints" / "last.keras"
        if last.is_file():  # the checkpoint's own state matches its weights, even if state.json lags
            state = read_checkpoint(last)[1] or state
        different = settings.differences_for_resume(TrainSettings.from_dict(state["settings"]))
        if different:
            raise CourseError("--resume needs the run's own settings; " + "; ".join(different)
                              + ". Repeat the original command with --resume (or start a new --out folder; "
                              "in a notebook, set RETRAIN = True to keep this run aside and start a new one).")
        state["settings"] = settings.to_dict()  # the plan may be longer now (more epochs)
        return state
    if state_path.exists() or (run_dir / "model.keras").exists():
        raise CourseError(f"{run_dir} already holds a training run: pass --resume to continue it, "
                          "or choose another --out folder")
    state_path.parent.mkdir(parents=True, exist_ok=True)
    return dict(settings=settings.to_dict(), epochs_done=0, best_val_psnr=-np.inf, best_epoch=0, history={})


def dtype_policy_for(mixed_precision: str, on_gpu: bool) -> str:
    """Keras' policy for ``mixed_precision`` (``"auto"``: float16 on a GPU only, ``"on"``, ``"off"``)."""
    if mixed_precision not in MIXED_PRECISION:
        raise CourseError(f"mixed precision {mixed_precision!r}: choose one of {', '.join(MIXED_PRECISION)}")
    on = mixed_precision == "on" or (mixed_precision == "auto" and on_gpu)
    return "mixed_float16" if on else "float32"


def _restoring_dtype_policy(function):
    """``function`` runs with whatever global dtype policy it sets, and the policy found before the
    call is back afterwards, also when it raises: a float16 policy left behind would make every
    model built later in the kernel float16 (and the checkers' reference values with it)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        # Keras not loaded yet: the policy found is its default. Not importing it here lets a finished
        # run be reused without loading TensorFlow (run-notebooks asks train --resume for every model).
        keras = sys.modules.get("keras")
        found = keras.config.dtype_policy() if keras is not None else None
        try:
            return function(*args, **kwargs)
        finally:
            keras = sys.modules.get("keras")
            if keras is not None:
                keras.config.set_dtype_policy(found if found is not None else keras.config.floatx())

    return wrapper


def _set_up_tensorflow(settings: TrainSettings) -> bool:
    """Seeds, op determinism and mixed precision; returns whether a GPU is used."""
    import keras
    import tensorflow as tf

    from course_lib.environment import enable_gpu_memory_growth

    enable_gpu_memory_growth()  # before the first op: a second TensorFlow process can then share the GPU
    on_gpu = gpu_available()
    keras.utils.set_random_seed(settings.seed)
    if settings.deterministic:
        tf.config.experimental.enable_op_determinism()
    policy = dtype_policy_for(settings.mixed_precision, on_gpu)
    keras.config.set_dtype_policy(policy)
    if settings.mixed_precision == "auto" and not on_gpu:
        print("no GPU: mixed precision off (a CPU gains nothing from float16; --mixed-precision on forces it)")
    elif policy == "mixed_float16" and not on_gpu:
        print("mixed precision ON on a CPU (--mixed-precision on): float16 is slow here; this runs the GPU's path")
    for reason in settings.unmeasured():
        print(f"UNMEASURED: {reason}")
    print(f"recipe {settings.recipe}: {settings.image_size} px, VGG blocks 1-{settings.encoder_blocks}, "
          f"{settings.decoder} decoder, {settings.epochs}+{settings.fine_tune_epochs} epochs, batch "
          f"{settings.batch_size}, {'GPU' if on_gpu else 'CPU'}, {policy}"
          f"{', deterministic ops' if settings.deterministic else ''}")
    return on_gpu


#: ``--strategy`` choices.
STRATEGIES = ("auto", "one", "mirrored", "tpu")


def make_strategy(name: str = "auto"):
    """The ``tf.distribute`` strategy that training runs under.

    ``"one"``: the default device; ``"mirrored"``: ``MirroredStrategy`` over every visible GPU
    (over the logical CPUs when there is no GPU: that is how the tests check it); ``"tpu"``: a
    Colab TPU runtime; ``"auto"``: mirrored when there are several GPUs, else one.

    Raises
    ------
    CourseError
        An unknown name, or ``"tpu"`` when no TPU can be reached.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise CourseError(f"unknown strategy {name!r}: choose one of {', '.join(STRATEGIES)}")
    gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "one"
    if name == "one":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(gpus or [device.name for device in tf.config.list_logical_devices("CPU")])
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except Exception as exc:  # TensorFlow raises ValueError, NotFoundError ... depending on the runtime
        raise CourseError(f"no TPU could be reached ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}): "
                          "on Colab choose Runtime > Change runtime type > TPU, or train with --strategy one") from exc
    return tf.distribute.TPUStrategy(resolver)


@dataclass
class TrainingData:
    """Images decoded and resized once: ``train_rgb (N, S, S, 3)`` uint8 and the validation arrays."""

    train_rgb: np.ndarray
    val_rgb: np.ndarray
    val_l: np.ndarray
    val_ab: np.ndarray
    val_categories: list[str]
    class_weights: np.ndarray | None = None  # classification head: rebalancing weight per ab bin
    val_paths: list = field(default_factory=list)  # the validation photos themselves (the decoding choice)


def prepare_data(data_dir, settings: TrainSettings) -> TrainingData:
    """Split, decode and resize once; with ``class_balanced``, every category equally often."""
    from course_lib.pipeline import load_images_resized

    splits = _load_split(data_dir, settings.max_images_per_split)
    train_records = splits["train"]
    if settings.class_balanced:
        train_records = balanced_records(train_records, settings.seed)
    train_rgb = load_images_resized(train_records, settings.image_size)
    val_rgb = load_images_resized(splits["val"], settings.image_size)
    val_l, val_ab = color.rgb_to_model_io(val_rgb)
    weights = None
    if settings.head == "classification":  # rebalancing weights from the train split's ab distribution
        from course_lib import classification

        bins = classification.ab_bins()
        weights = classification.rebalancing_weights(
            classification.empirical_distribution(color.rgb_to_lab(train_rgb)[..., 1:], bins), bins)
    return TrainingData(train_rgb, val_rgb, val_l, val_ab, [r.category for r in splits["val"]], weights,
                        [r.path for r in splits["val"]])


def balanced_records(records, seed: int = 0) -> list:
    """The same number of records per category, as many in all as ``records`` holds.

    A category with fewer images repeats them (each repeat is augmented differently); a
    larger one contributes a random subset of the same size. The list keeps the records'
    order, so it is reproducible.
    """
    by_category: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        by_category.setdefault(record.category, []).append(index)
    per_category = int(np.ceil(len(records) / max(len(by_category), 1)))
    rng = np.random.default_rng(seed)
    chosen = []
    for name in sorted(by_category):
        members = rng.permutation(by_category[name])
        chosen.extend(np.resize(members, per_category).tolist())
    return [records[i] for i in sorted(chosen)]


def _build_or_restore(run_dir: Path, settings: TrainSettings, resume: bool):
    """The model: built from the settings under the run's dtype policy, its weights from the last
    checkpoint when resuming (the file stores no precision of its own that could disagree)."""
    from course_lib.model import build_colorizer, load_colorizer

    last = run_dir / "checkpoints" / "last.keras"
    restored = load_colorizer(last) if resume and last.is_file() else None
    weights = None if restored is not None else settings.weights  # a resumed run's come from the checkpoint
    colorizer = build_colorizer(settings.image_size, settings.decoder, weights, settings.encoder_blocks,
                                settings.decoder_width, head=settings.head, hints=settings.hints)
    if restored is not None:
        colorizer.set_weights(restored.get_weights())
    return colorizer


def _stage_data(colorizer, stage: Stage, data: TrainingData, settings: TrainSettings, cache_features):
    """``(trainer, train_dataset, steps)`` for one stage.

    A frozen pretrained encoder never changes its features, so (when they fit in memory)
    they are computed once and the decoder alone trains on them.
    """
    from course_lib.model import set_encoder_trainable
    from course_lib.pipeline import make_dataset_from_images

    import tensorflow as tf

    set_encoder_trainable(colorizer, stage.encoder)
    # batch_size is per device: the global batch grows with the number of replicas.
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    bs = settings.batch_size * replicas
    if stage.encoder is None:
        encoder = colorizer.get_layer("encoder")
        n_sets = len(data.train_rgb) * (2 if settings.augment else 1)  # with augmentation, the mirror images too
        plan = plan_feature_cache(encoder_feature_shapes(encoder), n_sets, tuple(encoder.inputs[0].shape[1:]))
        if settings.hints:  # the features depend on the hints, new every epoch: nothing to cache
            cache_features = False
        if cache_features is True:  # asked for all of them, whatever they take
            plan = dataclasses.replace(plan, cached=plan.outputs, bytes=plan.all_bytes)
        if cache_features and plan.cached:
            print(f"{stage.name}: frozen encoder, {plan.describe()}; training the decoder only")
            train_l, train_ab = color.rgb_to_model_io(data.train_rgb)
            if settings.augment:  # the mirror images double the data at no cost per epoch
                train_l = np.concatenate([train_l, train_l[:, :, ::-1]])
                train_ab = np.concatenate([train_ab, train_ab[:, :, ::-1]])
            features = _encode(encoder, train_l, bs, keep=plan.cached)
            steps = int(np.ceil(len(train_ab) / bs))
            if plan.cached == plan.outputs:
                return colorizer.get_layer("decoder"), _feature_dataset(features, train_ab, bs, stage.seed, True), steps
            trainer = _partly_cached_trainer(colorizer, plan.cached)
            return trainer, _feature_dataset(features, train_ab, bs, stage.seed, True, l_norm=train_l), steps
        reason = plan.describe() if cache_features else "features not cached"
        print(f"{stage.name}: frozen encoder ({reason}); the decoder trains on images")
    elif stage.encoder == "all" and not settings.pretrained and RECIPES.get(settings.recipe, settings).pretrained:
        print("=" * 78 + "\nOFFLINE MODE: weights=None, the VGG19 encoder starts from RANDOM weights (no "
              "ImageNet),\nso the whole network trains. Expect lower quality than with ImageNet weights.\n" + "=" * 78)
    elif stage.encoder == "all" and not settings.pretrained:
        print(f"weights=None, as the {settings.recipe} recipe was measured: the VGG19 encoder starts from random "
              "weights and the whole network trains")
    else:
        print(f"{stage.name}: fine-tuning VGG blocks {list(stage.encoder)} at learning rate {stage.learning_rate:g}")
    # Several replicas: whole batches only, so every replica gets an equal share.
    even = replicas > 1
    train_data = make_dataset_from_images(data.train_rgb, bs, augment=settings.augment, shuffle=True, seed=stage.seed,
                                          drop_remainder=even, hints=settings.hints)
    steps = len(data.train_rgb) // bs if even else int(np.ceil(len(data.train_rgb) / bs))
    return colorizer, train_data, max(steps, 1)


def run_stage(colorizer, stage: Stage, data: TrainingData, settings: TrainSettings, run_dir: Path, state: dict,
              *, stop_at: int, cache_features="auto", callbacks=(), verbose=2, copier=None,
              copy_every: int = LOCAL_COPY_EVERY) -> None:
    """Train ``stage`` from the run's ``epochs_done`` up to ``stop_at``, checkpointing every
    ``settings.checkpoint_every`` epochs and at the end into ``run_dir`` (with a ``copier``, a
    local folder copied about every ``copy_every`` epochs).

    The learning-rate schedule spans the whole stage (``first_epoch`` to ``last_epoch``), and
    a resumed stage restores the optimizer (its step count included), so the schedule goes
    on where it stopped.
    """
    import keras

    done = state["epochs_done"]
    trainer, train_data, steps = _stage_data(colorizer, stage, data, settings, cache_features)
    optimizer = make_optimizer(stage.learning_rate, steps * (stage.last_epoch - stage.first_epoch))
    if settings.head == "classification":
        from course_lib.classification_head import RebalancedCrossEntropy, model_bins

        loss = RebalancedCrossEntropy(model_bins(colorizer), data.class_weights)
    else:
        loss = make_loss(settings.loss)
    trainer.compile(optimizer, loss, jit_compile=False)
    if done > stage.first_epoch:  # resuming inside this stage
        arrays, _ = read_checkpoint(run_dir / "checkpoints" / "last.keras")
        if arrays is None:
            raise CourseError(f"{run_dir / 'checkpoints' / 'last.keras'} holds no optimizer state; "
                              "start a new run in another --out folder")
        restore_optimizer(trainer.optimizer, trainer.trainable_variables, arrays)
    ValidationPSNR, PredictionGrid, Checkpoint = _callbacks_module()
    # Batches as even as they can be: 86 images are 2 batches of 43, not 64 + 22 padded to 64.
    predict_batch = int(np.ceil(len(data.val_l) / np.ceil(len(data.val_l) / PREDICT_BATCH)))
    predictor = FixedBatchPredictor(colorizer, settings.image_size, predict_batch)
    val_psnr = ValidationPSNR(predictor, data.val_l, data.val_ab, data.val_rgb, loss)
    shown = grid_choice(data.val_categories)
    grid = PredictionGrid(val_psnr, run_dir / "grids", shown, [data.val_categories[i] for i in shown])
    last_epoch = min(stage.last_epoch, stop_at)
    # The log's row before the checkpoint, so that a copy to the run folder has it; a row the next
    # checkpoint does not cover is dropped on resume (_drop_log_rows_after).
    all_callbacks = [val_psnr, grid, keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
                     Checkpoint(colorizer, run_dir, state, every=settings.checkpoint_every, last_epoch=last_epoch,
                                copier=copier, copy_every=copy_every)]
    all_callbacks += list(callbacks)
    # repeat() + steps_per_epoch: epochs are exactly `steps` batches and Keras knows the length.
    trainer.fit(train_data.repeat(), steps_per_epoch=steps, initial_epoch=done,
                epochs=last_epoch, callbacks=all_callbacks, verbose=verbose, shuffle=False)


@_restoring_dtype_policy
def train(
    data_dir,
    out_dir,
    settings: TrainSettings | None = None,
    *,
    recipe: str | None = None,
    resume: bool | str = False,
    stop_after: int | None = None,
    strategy: str = "auto",
    cache_features: bool | str = "auto",
    callbacks=(),
    verbose: int | str = "auto",
    local_dir=None,
    copy_every: int = LOCAL_COPY_EVERY,
    **overrides,
) -> TrainResult:
    """Train a colorizer on an NCD-layout folder and write the run folder.

    Parameters
    ----------
    data_dir : path
        ``<root>/<Category>/*.jpg`` (or one level down); split with
        :func:`course_lib.data.split_dataset` (train for training, val for the metrics).
    out_dir : path
        The run folder (see the module docstring). Must not hold a run unless ``resume``.
    settings : TrainSettings, optional
        Everything about the run; default: the recipe ``recipe``.
    recipe : "auto", "cpu", "gpu" or "fast", optional
        Start from this recipe (:data:`course_lib.recipes.RECIPES`); ``"auto"`` (the default)
        is ``"gpu"`` when TensorFlow sees a GPU.
    resume : bool or "auto"
        Continue the run in ``out_dir`` from its last checkpoint. ``"auto"``: continue it when
        ``out_dir`` holds one (``checkpoints/state.json``), else start it; a finished run is
        reused as it is, without loading any data. Nothing is ever deleted
        (:func:`set_aside_run` makes room for a new run).
    stop_after : int, optional
        Stop once this many epochs are done, keeping the plan (schedule included) of the full
        run: ``resume=True`` later continues exactly where it stopped.
    strategy : "auto", "one", "mirrored" or "tpu"
        How to spread training over devices (:func:`make_strategy`). ``batch_size`` is per
        device, so the global batch is ``batch_size`` times the number of replicas.
    cache_features : bool or "auto"
        Stage 1 with a frozen encoder: compute encoder features once. ``"auto"`` caches the
        deepest feature maps that fit in :data:`FEATURE_CACHE_LIMIT` bytes and recomputes the
        others every step (:func:`plan_feature_cache`); True caches all of them whatever they
        take; False caches none.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks for every ``fit`` call.
    verbose : "auto", 0, 1 or 2
        Keras' verbosity; ``"auto"``: a progress bar on a terminal, one line per epoch otherwise
        (a log file or a notebook).
    local_dir : path, optional
        Write the run in a folder under this local one and copy it to ``out_dir`` every
        ``copy_every`` epochs and at the end (:class:`RunFolderCopy`), for a run folder on a slow,
        remote disk. Default: ``$COURSE_LOCAL_CHECKPOINT_DIR`` (set by
        :func:`course_lib.environment.use_google_drive`), else none: ``out_dir`` directly.
    copy_every : int
        Epochs between two copies from ``local_dir``.
    **overrides
        Any :class:`~course_lib.recipes.TrainSettings` field (``epochs=10``, ``weights=None`` ...).

    Returns
    -------
    TrainResult

    Raises
    ------
    CourseError
        Bad settings, a run folder already in use (without ``resume``), nothing to resume
        (``resume=True``), or too few images.
    """
    from course_lib.config import local_checkpoint_dir

    started = time.time()
    # fast=False: without a recipe, train's is "auto" whatever $COURSE_FAST says (notebooks pass theirs).
    settings = resolve_settings(recipe, fast=False, settings=settings, **overrides)
    run_dir = Path(out_dir).expanduser()
    state = _open_run(run_dir, settings, resume)
    if _nothing_left_to_train(run_dir, settings, state, stop_after):
        print(f"{run_dir}: {state['epochs_done']} epochs done, nothing left to train; its model is reused")
        return _result(run_dir, settings, state, started)
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    _set_up_tensorflow(settings)
    data = prepare_data(data_dir, settings)
    distribution = make_strategy(strategy)
    if distribution.num_replicas_in_sync > 1:
        print(f"{type(distribution).__name__} over {distribution.num_replicas_in_sync} devices: global batch "
              f"{settings.batch_size * distribution.num_replicas_in_sync}")
    local_dir = local_checkpoint_dir() if local_dir is None else local_dir
    work_dir, copier = run_dir, None
    if local_dir:
        work_dir = local_work_dir(run_dir, local_dir, resume)
        copier = RunFolderCopy(work_dir, run_dir)
        print(f"the run is written to {work_dir} and copied to {run_dir} every {copy_every} epochs and at the end")
    if state["epochs_done"]:
        _drop_log_rows_after(work_dir / "log.csv", state["epochs_done"])
    try:
        with distribution.scope():  # variables (model, optimizer) are created on every replica
            colorizer = _build_or_restore(work_dir, settings, resume)
            stop_at = np.inf if stop_after is None else int(stop_after)
            for stage in plan_stages(settings):
                if state["epochs_done"] < min(stage.last_epoch, stop_at):
                    run_stage(colorizer, stage, data, settings, work_dir, state, stop_at=stop_at,
                              cache_features=cache_features, callbacks=callbacks, verbose=verbose, copier=copier,
                              copy_every=copy_every)
    finally:  # also after an error or an interrupted kernel: the run folder gets what was done
        if copier is not None:
            copier.copy_changed()
    if settings.head == "classification" and (run_dir / "model.keras").is_file():
        write_classification_run_file(run_dir, data)
    return _result(run_dir, settings, state, started)


def _drop_log_rows_after(log_path: Path, epochs_done: int) -> None:
    """Drop the rows of ``log.csv`` (Keras' CSVLogger: the 0-based epoch first) of the epochs after
    the checkpoint a run resumes from: trained after it and lost with the runtime (at most
    ``checkpoint_every - 1`` of them), they are trained again and get new rows."""
    if not log_path.is_file():
        return
    with open(log_path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or "epoch" not in rows[0]:
        return
    column = rows[0].index("epoch")
    kept = [row for row in rows[1:] if row and int(row[column]) < epochs_done]
    if len(kept) == len(rows) - 1:
        return
    lost = sorted({int(row[column]) + 1 for row in rows[1:] if row and int(row[column]) >= epochs_done})
    print(f"{log_path.name}: the rows of epoch(s) {', '.join(map(str, lost))} are replaced: trained after the last "
          f"checkpoint (epoch {epochs_done}), they are trained again")
    tmp = log_path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *kept])
    os.replace(tmp, log_path)


def run_is_finished(run_dir) -> bool:
    """Whether ``run_dir`` holds a training run with nothing left to train: every epoch of its plan
    done, its model written (what ``train(..., resume="auto")`` reuses as it is). Reads the run's
    ``checkpoints/state.json``, which is written after its checkpoint; never loads TensorFlow."""
    run_dir = Path(run_dir)
    state_path = run_dir / "checkpoints" / "state.json"
    if not state_path.is_file():
        return False
    state = json.loads(state_path.read_text())
    return _nothing_left_to_train(run_dir, TrainSettings.from_dict(state["settings"]), state, None)


def _nothing_left_to_train(run_dir: Path, settings: TrainSettings, state: dict, stop_after) -> bool:
    """A resumed run that already has every epoch asked for, its model and (classification) run.json."""
    planned = plan_stages(settings)[-1].last_epoch
    wanted = planned if stop_after is None else min(planned, int(stop_after))
    files = [run_dir / "model.keras"]
    if settings.head == "classification":
        from course_lib.classification import RUN_FILE

        files.append(run_dir / RUN_FILE)
    return state["epochs_done"] >= wanted and all(path.is_file() for path in files)


def _result(run_dir: Path, settings: TrainSettings, state: dict, started: float) -> TrainResult:
    return TrainResult(
        history=state["history"], run_dir=run_dir, model_path=run_dir / "model.keras",
        last_checkpoint=run_dir / "checkpoints" / "last.keras", log_path=run_dir / "log.csv",
        grid_dir=run_dir / "grids", epochs_done=state["epochs_done"], best_val_psnr=state["best_val_psnr"],
        seconds=time.time() - started, settings=settings.to_dict(),
    )


def choose_run_decoding(model, val_paths, val_categories) -> tuple[list[dict], dict, bool]:
    """A trained model's decodings scored on the validation photos (at most
    :data:`~course_lib.classification.DECODING_MAX_SIDE` px), colorized as ``colorize`` does
    (:func:`course_lib.evaluate.decoding_table`), and the rule's choice
    (:func:`course_lib.classification.choose_decoding`), printed: ``(table, chosen row, rule met)``."""
    from course_lib import classification
    from course_lib.data import load_image
    from course_lib.evaluate import decoding_table
    from course_lib.metrics import NEW_IMAGES_PER_CATEGORY

    photos = [load_image(path, max_side=classification.DECODING_MAX_SIDE) for path in val_paths]
    table = decoding_table(model, photos, val_categories)
    chosen, inside = classification.choose_decoding(table)
    name = lambda row: (f"T={row['temperature']:<4g} " if row["temperature"] is not None else "") + row["upsampling"]  # noqa: E731
    print(f"decodings on the validation split (category means; colourfulness with its "
          f"{classification.COLOURFULNESS_CONFIDENCE:.0%} prediction interval for "
          f"{NEW_IMAGES_PER_CATEGORY} new photos per category):")
    for row in table:
        print(f"  {name(row):17s} PSNR {row['psnr']:.2f} dB, colourfulness {row['colorfulness_ratio']:.3f} "
              f"[{row['colorfulness_low']:.3f}, {row['colorfulness_high']:.3f}]")
    verdict = "" if inside else ("\nWARNING: no decoding keeps its colourfulness interval inside "
                                 f"{classification.COLOURFULNESS_BAND}; this is the closest one")
    print(f"default decoding: {name(chosen)} upsampling{verdict}")
    return table, chosen, inside


def write_classification_run_file(run_dir: Path, data: TrainingData) -> dict:
    """``run.json`` of a classification run: bins, rebalancing weights and the default decoding
    (temperature and upsampling), chosen for the best model on the validation photos
    (:func:`choose_run_decoding`)."""
    from course_lib import classification
    from course_lib.classification_head import model_bins
    from course_lib.model import load_colorizer

    model = load_colorizer(run_dir / "model.keras")
    bins = model_bins(model)
    table, chosen, inside = choose_run_decoding(model, data.val_paths, data.val_categories)
    info = {"head": "classification", "temperature": chosen["temperature"], "upsampling": chosen["upsampling"],
            "temperature_rule": classification.DECODING_RULE, "rule_met": inside,
            "temperature_candidates": table, "n_bins": len(bins), "bins": bins.tolist(),
            "rebalancing_weights": [float(w) for w in data.class_weights]}
    _write_json(run_dir / classification.RUN_FILE, info)
    return info


def write_regression_run_file(run_dir: Path, val_paths, val_categories) -> dict:
    """``run.json`` of a regression run that chooses its decoding (the adversarial fine-tune): the
    upsampling of ab, chosen for the run's model on the validation photos by the rule a classification
    run's decoding follows (:func:`choose_run_decoding`)."""
    from course_lib import classification
    from course_lib.model import load_colorizer

    table, chosen, inside = choose_run_decoding(load_colorizer(run_dir / "model.keras"), val_paths, val_categories)
    info = {"head": "regression", "upsampling": chosen["upsampling"], "decoding_rule": classification.DECODING_RULE,
            "rule_met": inside, "decoding_candidates": table}
    _write_json(run_dir / classification.RUN_FILE, info)
    return info


# ----------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    """The ``train`` command's flags: its run options, written here, then one flag per
    :class:`~course_lib.recipes.TrainSettings` field (:func:`add_setting_arguments`)."""
    run = parser.add_argument_group("run options")
    run.add_argument("--data", required=True, help="NCD folder (<root>/<Category>/*.jpg)")
    run.add_argument("--out", required=True, help="run folder: model.keras, checkpoints/, log.csv, grids/")
    run.add_argument("--recipe", choices=RECIPE_CHOICES, default="auto",
                     help="starting settings (default auto: gpu when TensorFlow sees a GPU, else cpu; fast: a tiny "
                          "model in a minute, never a result); each setting below overrides one of them")
    run.add_argument("--strategy", choices=STRATEGIES, default="auto",
                     help="devices: one, mirrored (all GPUs, batch per GPU), tpu (a Colab TPU runtime); "
                          "default auto = mirrored with several GPUs")
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    add_setting_arguments(parser.add_argument_group(
        "settings", "default: the recipe's value, shown in brackets for each recipe; with --head classification or "
                    "--hints, the variant's own values where the recipe has some (course_lib.recipes.VARIANT_EPOCHS, "
                    "VARIANT_SETTINGS). A given value always wins"))


#: The ``train`` flag that sets the ``recipe`` field: the hand-written ``--recipe`` run option ("auto" included).
_HAND_WRITTEN_SETTINGS = ("recipe",)


def add_setting_arguments(group) -> None:
    """One flag per :class:`~course_lib.recipes.TrainSettings` field (``--image-size`` for ``image_size``), its
    type, choices and help taken from the dataclass, default None: the recipe's value.

    A bool is ``--name`` / ``--no-name``; a tuple takes several values (``--fine-tune-blocks 4 5``).

    Raises
    ------
    CourseError
        A field whose type has no flag form, or one the class docstring does not describe.
    """
    import types
    import typing

    from course_lib.recipes import SETTING_CHOICES, setting_descriptions

    descriptions = setting_descriptions()
    hints = typing.get_type_hints(TrainSettings)
    for setting in dataclasses.fields(TrainSettings):
        if setting.name in _HAND_WRITTEN_SETTINGS:
            continue
        kind = hints[setting.name]
        if isinstance(kind, types.UnionType):  # "int | None": the flag takes the int
            kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        text = f"{descriptions[setting.name]} [{_recipe_values(setting.name)}]".replace("%", "%%")
        flag = "--" + setting.name.replace("_", "-")
        if kind is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif typing.get_origin(kind) is tuple:
            group.add_argument(flag, type=typing.get_args(kind)[0], nargs="+", metavar="N", help=text)
        elif kind in (int, float, str):
            metavar = {int: "N", float: "X"}.get(kind) if setting.name not in SETTING_CHOICES else None
            group.add_argument(flag, type=kind, choices=SETTING_CHOICES.get(setting.name), metavar=metavar, help=text)
        else:
            raise CourseError(f"TrainSettings.{setting.name} has type {kind!r}, which has no flag form: "
                              "add it to course_lib.train.add_setting_arguments")


def _recipe_values(name: str) -> str:
    """``cpu 150, gpu 50, fast 3``: each recipe's value of the setting ``name``."""
    def shown(value):
        if value is None or isinstance(value, bool):
            return {None: "none", True: "on", False: "off"}[value]
        return " ".join(map(str, value)) if isinstance(value, tuple) else f"{value:g}" if isinstance(value, float) \
            else str(value)

    values = {recipe: shown(getattr(settings, name)) for recipe, settings in RECIPES.items()}
    if len(set(values.values())) == 1:
        return f"every recipe: {next(iter(values.values()))}"
    return ", ".join(f"{recipe} {value}" for recipe, value in values.items())


def setting_overrides(args) -> dict:
    """The settings given on the command line (``args`` of :func:`configure_parser`'s parser): the fields whose
    flag was used. A flag not given is None there and leaves the recipe's value (``--weights none`` is
    ``"none"``, a random encoder)."""
    names = [f.name for f in dataclasses.fields(TrainSettings) if f.name not in _HAND_WRITTEN_SETTINGS]
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def run_cli(args) -> int:
    overrides = setting_overrides(args)
    result = train(args.data, args.out, recipe=args.recipe, resume=args.resume, strategy=args.strategy, **overrides)
    print(f"done: {result.epochs_done} epochs in {result.seconds / 60:.1f} min; best val PSNR "
          f"{result.best_val_psnr:.2f} dB (model resolution); model: {result.model_path}")
    return 0
