"""Train the colorizer, with checkpoints every epoch and ``--resume``; the ``train`` command.

Stages
------
1. **Decoder** (pretrained encoder, ``weights="imagenet"`` or a path): the VGG19 encoder is
   frozen, so its features never change. They are computed once (for every training image
   and its mirror image) and the decoder alone trains on them: an epoch costs only the
   decoder. In **offline mode** (``weights=None``, random encoder) frozen random features
   would be useless, so the whole network trains on augmented images instead.
2. **Fine-tuning** (optional, ``fine_tune_epochs > 0``, pretrained encoder only): the upper
   VGG blocks are unfrozen and the whole model trains at a tenth of the learning rate.

Run folder (``out_dir``)
------------------------
``model.keras``                 the best model so far (highest validation PSNR)
``checkpoints/last.keras``      the model after the latest epoch
``checkpoints/last_optimizer.npz``  the optimizer's state after that epoch
``checkpoints/state.json``      epochs done, stage, best score, history, the run's settings
``log.csv``                     one row per epoch: loss, val_loss, val_psnr, learning rate
``grids/epoch_NNN.png``         gray input / prediction / truth for a few validation images

A crash or a lost Colab runtime loses at most the epoch in progress: ``resume=True``
(``--resume``) reloads ``last.keras`` and the optimizer state and continues at the next epoch.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from course_lib import color
from course_lib.errors import CourseError

#: The recipe recommended for a CPU-only machine (2 cores, about 30 minutes, offline).
CPU_DEFAULTS = dict(
    image_size=48,
    encoder_blocks=3,
    decoder_width=32,
    epochs=60,
    batch_size=16,
    learning_rate=2e-3,
    loss="mse",
)
#: On a GPU the batch grows (and mixed precision is switched on).
GPU_BATCH_SIZE = 64
LOSSES = ("mse", "l1", "huber")
#: Validation images shown in each epoch's grid.
GRID_IMAGES = 6
#: Feature caching is skipped above this many bytes (it would not fit comfortably in RAM).
FEATURE_CACHE_LIMIT = 3 * 2**30
#: The cosine decay ends at this fraction of the initial learning rate (not at 0, which the
#: log would show as ``lr: 0`` in the last epoch, as if nothing were learned any more).
LR_FLOOR = 0.01
#: Validation images predicted at once by the callbacks (one fixed batch shape, traced once).
PREDICT_BATCH = 64


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


def _weights_setting(weights):
    """CLI/Python weights value -> "imagenet", None or a path string."""
    if weights is None or (isinstance(weights, str) and weights.lower() == "none"):
        return None
    if isinstance(weights, str) and weights.lower() == "imagenet":
        return "imagenet"
    return str(Path(weights).expanduser())


# ----------------------------------------------------------------------------- callbacks
def _callbacks_module():
    """The callback classes, defined on first use so this module imports without Keras."""
    import keras

    class ValidationPSNR(keras.callbacks.Callback):
        """Adds ``val_psnr``: mean per-image PSNR in RGB uint8 at the model's resolution.

        The predictions stay in ``self.prediction`` for :class:`PredictionGrid`.
        """

        def __init__(self, predictor, val_l, val_rgb):
            super().__init__()
            self.predictor, self.val_l, self.val_rgb = predictor, val_l, val_rgb
            self.prediction = None

        def on_epoch_end(self, epoch, logs=None):
            from course_lib.metrics import psnr

            self.prediction = self.predictor(self.val_l)
            rgb = color.to_uint8_rgb(color.model_io_to_rgb(self.val_l, self.prediction))  # (N, S, S, 3)
            logs["val_psnr"] = float(np.mean([psnr(p, t, data_range=255) for p, t in zip(rgb, self.val_rgb)]))
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    class PredictionGrid(keras.callbacks.Callback):
        """Saves ``grids/epoch_NNN.png``: rows gray input / prediction / truth.

        Shows the first :data:`GRID_IMAGES` validation images, as predicted by the
        ``ValidationPSNR`` callback ``source`` (which must run before it).
        """

        def __init__(self, source, grid_dir):
            super().__init__()
            self.source, self.grid_dir = source, Path(grid_dir)

        def on_epoch_end(self, epoch, logs=None):
            n = GRID_IMAGES
            save_prediction_grid(self.grid_dir / f"epoch_{epoch + 1:03d}.png", self.source.val_l[:n],
                                 self.source.prediction[:n], self.source.val_rgb[:n])

    class Checkpoint(keras.callbacks.Callback):
        """Every epoch: last model + optimizer state + state.json; the best model as model.keras.

        Files are written under a temporary name and renamed, so a kill during saving
        never leaves a half-written checkpoint.
        """

        def __init__(self, colorizer, run_dir, state):
            super().__init__()
            self.colorizer, self.run_dir, self.state = colorizer, Path(run_dir), state

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            history = self.state["history"]
            for key, value in logs.items():
                history.setdefault(key, []).append(float(value))
            ckpt = self.run_dir / "checkpoints"
            _atomic_save_model(self.colorizer, ckpt / "last.keras")
            save_optimizer_state(self.model.optimizer, ckpt / "last_optimizer.npz")
            score = logs.get("val_psnr", -np.inf)
            if score > self.state["best_val_psnr"]:
                self.state["best_val_psnr"] = float(score)
                self.state["best_epoch"] = epoch + 1
                _atomic_save_model(self.colorizer, self.run_dir / "model.keras")
            self.state["epochs_done"] = epoch + 1
            _write_json(ckpt / "state.json", self.state)

    return ValidationPSNR, PredictionGrid, Checkpoint


def _atomic_save_model(model, path: Path) -> None:
    tmp = path.with_name(path.stem + ".tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def save_optimizer_state(optimizer, path) -> None:
    """Every optimizer variable (step count, Adam moments) into an ``.npz``."""
    import keras

    store: dict[str, np.ndarray] = {}
    optimizer.save_own_variables(store)
    tmp = Path(path).with_suffix(".tmp.npz")
    np.savez(tmp, **{k: keras.ops.convert_to_numpy(v) for k, v in store.items()})
    os.replace(tmp, path)


def load_optimizer_state(optimizer, variables, path) -> None:
    """Build ``optimizer`` for ``variables`` and restore the state saved by :func:`save_optimizer_state`."""
    optimizer.build(variables)
    with np.load(path) as saved:
        optimizer.load_own_variables({key: saved[key] for key in saved.files})


def save_prediction_grid(path, l_norm, ab_norm_pred, rgb_true, scale: int = 3) -> Path:
    """Save a PNG grid: row 1 gray input, row 2 prediction, row 3 ground truth.

    ``l_norm (N, S, S, 1)``, ``ab_norm_pred (N, S, S, 2)``, ``rgb_true (N, S, S, 3)`` uint8.
    Each tile is enlarged ``scale`` times (nearest neighbour) so small images stay visible.
    """
    from PIL import Image

    gray = color.to_uint8_rgb(color.model_io_to_rgb(l_norm, np.zeros_like(ab_norm_pred)))
    pred = color.to_uint8_rgb(color.model_io_to_rgb(l_norm, ab_norm_pred))
    rows = [np.concatenate(list(images), axis=1) for images in (gray, pred, rgb_true)]  # (S, N*S, 3)
    grid = np.concatenate(rows, axis=0).repeat(scale, axis=0).repeat(scale, axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)
    return path


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


def _feature_bytes(encoder, n_images: int) -> int:
    outputs = encoder.outputs
    per_image = sum(int(np.prod(t.shape[1:])) for t in outputs) * 2  # float16
    return per_image * n_images


def _encode(encoder, l_norm: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Encoder features of ``l_norm (N, S, S, 1)`` as a list of float16 arrays."""
    import tensorflow as tf

    # A dataset, not the array: see _array_dataset.
    features = encoder.predict(tf.data.Dataset.from_tensor_slices(l_norm).batch(batch_size), verbose=0)
    features = features if isinstance(features, (list, tuple)) else [features]
    return [np.asarray(f, dtype=np.float16) for f in features]


def _feature_dataset(features, ab_norm, batch_size, seed, shuffle):
    """``tf.data`` over cached features: ``((f_1, ..., f_k), ab_norm)`` batches."""
    import tensorflow as tf

    inputs = tuple(features) if len(features) > 1 else features[0]
    ds = tf.data.Dataset.from_tensor_slices((inputs, ab_norm))
    if shuffle:
        ds = ds.shuffle(len(ab_norm), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    # float16 in memory (half the RAM), float32 into the decoder.
    cast = lambda x, y: (tf.nest.map_structure(lambda t: tf.cast(t, tf.float32), x), y)  # noqa: E731
    return ds.map(cast, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _array_dataset(l_norm, ab_norm, batch_size):
    """``tf.data`` over in-memory validation arrays, batched in order.

    Keras would wrap NumPy arrays in its own pipeline, whose parallel map TensorFlow
    rewrites under op determinism, logging a spurious ``E0000 ... use_unbounded_threadpool``
    error at every ``fit``; a plain dataset avoids it.
    """
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((l_norm, ab_norm)).batch(batch_size)


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
        spec = tf.TensorSpec((self.batch_size, image_size, image_size, 1), tf.float32)
        self._predict = tf.function(lambda l_norm: model(l_norm, training=False), input_signature=[spec])

    def __call__(self, l_norm: np.ndarray) -> np.ndarray:
        """``ab_norm (N, S, S, 2)`` float32 for ``l_norm (N, S, S, 1)``."""
        l_norm = np.asarray(l_norm, dtype=np.float32)
        outputs = []
        for start in range(0, len(l_norm), self.batch_size):
            batch = l_norm[start : start + self.batch_size]
            n = len(batch)
            if n < self.batch_size:
                batch = np.concatenate([batch, np.zeros((self.batch_size - n, *batch.shape[1:]), np.float32)])
            outputs.append(np.asarray(self._predict(batch), dtype=np.float32)[:n])
        return np.concatenate(outputs, axis=0)


# ----------------------------------------------------------------------------- training
def train(
    data_dir,
    out_dir,
    *,
    weights=None,
    decoder: str = "unet",
    image_size: int | None = None,
    encoder_blocks: int | None = None,
    decoder_width: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    loss: str | None = None,
    fine_tune_epochs: int = 0,
    fine_tune_blocks: tuple[int, ...] | None = None,
    augment: bool = True,
    cache_features: bool | str = "auto",
    resume: bool = False,
    seed: int = 0,
    max_images_per_split: int | None = None,
    callbacks=(),
    verbose: int | str = "auto",
) -> TrainResult:
    """Train a colorizer on an NCD-layout folder and write the run folder.

    Parameters
    ----------
    data_dir : path
        ``<root>/<Category>/*.jpg`` (or one level down); split with
        :func:`course_lib.data.split_dataset` (train for training, val for the metrics).
    out_dir : path
        The run folder (see the module docstring). Must not hold a run unless ``resume``.
    weights : "imagenet", None, or path
        Encoder initialisation (see :func:`course_lib.model.build_colorizer`).
    decoder : "unet" or "seed"
    image_size, encoder_blocks, decoder_width, epochs, batch_size, learning_rate, loss
        ``None`` takes :data:`CPU_DEFAULTS` (batch :data:`GPU_BATCH_SIZE` on a GPU).
        ``epochs`` counts stage 1 only.
    fine_tune_epochs : int
        Stage 2 epochs (pretrained encoder only), at ``learning_rate / 10``.
    fine_tune_blocks : tuple of int, optional
        VGG blocks unfrozen in stage 2; default the two deepest kept blocks.
    augment : bool
        Random flips and resized crops (full-network training; cached features use the
        images and their mirror images).
    cache_features : bool or "auto"
        Stage 1 with a frozen encoder: compute encoder features once. ``"auto"`` caches when
        they fit in :data:`FEATURE_CACHE_LIMIT` bytes.
    resume : bool
        Continue the run in ``out_dir`` from its last checkpoint.
    seed : int
        Seeds Python, NumPy, TensorFlow and the data order; ops run deterministically, so two
        runs with the same arguments on the same machine give the same model.
    max_images_per_split : int, optional
        Use at most N images of each split, spread evenly over the categories (quick
        experiments, tests).
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks for every ``fit`` call.

    Returns
    -------
    TrainResult
    """
    import keras
    import tensorflow as tf

    from course_lib.model import build_colorizer, load_colorizer, set_encoder_trainable
    from course_lib.pipeline import load_images_resized, make_dataset_from_images

    started = time.time()
    run_dir = Path(out_dir).expanduser()
    ckpt_dir = run_dir / "checkpoints"
    state_path = ckpt_dir / "state.json"
    on_gpu = gpu_available()
    settings = dict(
        weights=_weights_setting(weights),
        decoder=decoder,
        image_size=image_size or CPU_DEFAULTS["image_size"],
        encoder_blocks=encoder_blocks or CPU_DEFAULTS["encoder_blocks"],
        decoder_width=decoder_width or CPU_DEFAULTS["decoder_width"],
        epochs=CPU_DEFAULTS["epochs"] if epochs is None else int(epochs),
        batch_size=batch_size or (GPU_BATCH_SIZE if on_gpu else CPU_DEFAULTS["batch_size"]),
        learning_rate=learning_rate or CPU_DEFAULTS["learning_rate"],
        loss=loss or CPU_DEFAULTS["loss"],
        fine_tune_epochs=int(fine_tune_epochs) if settings_pretrained(weights) else 0,
        fine_tune_blocks=list(fine_tune_blocks) if fine_tune_blocks else None,
        augment=bool(augment),
        seed=int(seed),
        max_images_per_split=max_images_per_split,
        mixed_precision=on_gpu,
    )
    make_loss(settings["loss"])  # fail early on a bad name

    # ---- the run folder: fresh, or resumed with the same settings
    if resume:
        if not state_path.is_file():
            raise CourseError(f"nothing to resume in {run_dir}: no checkpoints/state.json. "
                              "Start the run without --resume.")
        state = json.loads(state_path.read_text())
        _check_same_settings(state["settings"], settings)
    else:
        if state_path.exists() or (run_dir / "model.keras").exists():
            raise CourseError(f"{run_dir} already holds a training run: pass --resume to continue it, "
                              "or choose another --out folder")
        state = dict(settings=settings, epochs_done=0, best_val_psnr=-np.inf, best_epoch=0, history={})
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    log_path, grid_dir = run_dir / "log.csv", run_dir / "grids"

    # ---- reproducibility: same seeds and deterministic kernels -> same model
    keras.utils.set_random_seed(settings["seed"])
    tf.config.experimental.enable_op_determinism()
    if on_gpu:
        keras.mixed_precision.set_global_policy("mixed_float16")
        print("GPU found: mixed precision (float16 compute, float32 weights), batch", settings["batch_size"])

    # ---- data: images decoded and resized once
    splits = _load_split(data_dir, settings["max_images_per_split"])
    size = settings["image_size"]
    train_rgb = load_images_resized(splits["train"], size)  # (N, S, S, 3) uint8
    val_rgb = load_images_resized(splits["val"], size)
    val_l, val_ab = color.rgb_to_model_io(val_rgb)  # (M, S, S, 1), (M, S, S, 2)

    # ---- the model: fresh, or the last checkpoint
    if resume and (ckpt_dir / "last.keras").is_file():
        colorizer = load_colorizer(ckpt_dir / "last.keras")
    else:
        colorizer = build_colorizer(size, decoder, settings["weights"], settings["encoder_blocks"],
                                    settings["decoder_width"])
    pretrained = settings["weights"] is not None
    stage1_epochs = settings["epochs"]
    total_epochs = stage1_epochs + settings["fine_tune_epochs"]
    steps_per_epoch = int(np.ceil(len(train_rgb) / settings["batch_size"]))

    ValidationPSNR, PredictionGrid, Checkpoint = _callbacks_module()
    predictor = FixedBatchPredictor(colorizer, size, min(PREDICT_BATCH, len(val_l)))

    def fit(trainer, train_data, steps, val_data, first_epoch, last_epoch, optimizer_path):
        val_psnr = ValidationPSNR(predictor, val_l, val_rgb)
        all_callbacks = [
            val_psnr,
            PredictionGrid(val_psnr, grid_dir),
            Checkpoint(colorizer, run_dir, state),
            keras.callbacks.CSVLogger(str(log_path), append=True),
            *callbacks,
        ]
        if optimizer_path is not None:
            load_optimizer_state(trainer.optimizer, trainer.trainable_variables, optimizer_path)
        # repeat() + steps_per_epoch: epochs are exactly `steps` batches and Keras knows the length.
        trainer.fit(train_data.repeat(), steps_per_epoch=steps, validation_data=val_data, initial_epoch=first_epoch,
                    epochs=last_epoch, callbacks=all_callbacks, verbose=verbose, shuffle=False)

    done = state["epochs_done"]
    resume_optimizer = ckpt_dir / "last_optimizer.npz" if resume and done > 0 else None

    # ---- stage 1
    if done < stage1_epochs:
        lr = settings["learning_rate"]
        cached = False
        if pretrained:
            set_encoder_trainable(colorizer, None)
            encoder = colorizer.get_layer("encoder")
            fits = _feature_bytes(encoder, 2 * len(train_rgb)) <= FEATURE_CACHE_LIMIT
            cached = bool(cache_features) and (cache_features != "auto" or fits)
        if cached:
            print("stage 1: frozen encoder, features cached once; training the decoder only")
            head = colorizer.get_layer("decoder")
            train_l, train_ab = color.rgb_to_model_io(train_rgb)
            if settings["augment"]:  # the mirror images double the data at no cost per epoch
                train_l = np.concatenate([train_l, train_l[:, :, ::-1]])
                train_ab = np.concatenate([train_ab, train_ab[:, :, ::-1]])
            bs = settings["batch_size"]
            train_data = _feature_dataset(_encode(encoder, train_l, bs), train_ab, bs, settings["seed"], True)
            val_data = _feature_dataset(_encode(encoder, val_l, bs), val_ab, bs, settings["seed"], False)
            trainer, steps = head, int(np.ceil(len(train_ab) / bs))
        else:
            if pretrained:
                print("stage 1: frozen encoder (features not cached); the decoder trains on images")
            else:
                print("=" * 78 + "\nOFFLINE MODE: weights=None, the VGG19 encoder starts from RANDOM weights (no "
                      "ImageNet),\nso the whole network trains. Expect lower quality than with ImageNet weights.\n"
                      + "=" * 78)
                set_encoder_trainable(colorizer, "all")
            train_data = make_dataset_from_images(train_rgb, settings["batch_size"], augment=settings["augment"],
                                                  shuffle=True, seed=settings["seed"])
            val_data = _array_dataset(val_l, val_ab, settings["batch_size"])
            trainer, steps = colorizer, steps_per_epoch
        trainer.compile(make_optimizer(lr, steps * stage1_epochs), make_loss(settings["loss"]), jit_compile=False)
        fit(trainer, train_data, steps, val_data, done, stage1_epochs, resume_optimizer)
        done, resume_optimizer = state["epochs_done"], None

    # ---- stage 2: fine-tune the upper VGG blocks
    if pretrained and done < total_epochs:
        kept = settings["encoder_blocks"]
        blocks = settings["fine_tune_blocks"] or [b for b in (kept - 1, kept) if b >= 1]
        print(f"stage 2: fine-tuning VGG blocks {blocks} at learning rate {settings['learning_rate'] / 10:g}")
        set_encoder_trainable(colorizer, blocks)
        train_data = make_dataset_from_images(train_rgb, settings["batch_size"], augment=settings["augment"],
                                              shuffle=True, seed=settings["seed"] + 1)
        colorizer.compile(make_optimizer(settings["learning_rate"] / 10, steps_per_epoch * settings["fine_tune_epochs"]),
                          make_loss(settings["loss"]))
        resume_optimizer = ckpt_dir / "last_optimizer.npz" if resume and done > stage1_epochs else None
        fit(colorizer, train_data, steps_per_epoch, _array_dataset(val_l, val_ab, settings["batch_size"]), done,
            total_epochs, resume_optimizer)

    return TrainResult(
        history=state["history"], run_dir=run_dir, model_path=run_dir / "model.keras",
        last_checkpoint=ckpt_dir / "last.keras", log_path=log_path, grid_dir=grid_dir,
        epochs_done=state["epochs_done"], best_val_psnr=state["best_val_psnr"],
        seconds=time.time() - started, settings=settings,
    )


def settings_pretrained(weights) -> bool:
    """True when ``weights`` asks for a pretrained encoder (ImageNet or a file)."""
    return _weights_setting(weights) is not None


def _check_same_settings(saved: dict, asked: dict) -> None:
    keys = ("weights", "decoder", "image_size", "encoder_blocks", "decoder_width", "batch_size", "loss", "seed")
    different = [f"{k}: run has {saved.get(k)!r}, asked {asked.get(k)!r}" for k in keys if saved.get(k) != asked.get(k)]
    if different:
        raise CourseError("--resume needs the run's own settings; " + "; ".join(different)
                          + ". Repeat the original command with --resume (or start a new --out folder).")


# ----------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    d = CPU_DEFAULTS
    parser.add_argument("--data", required=True, help="NCD folder (<root>/<Category>/*.jpg)")
    parser.add_argument("--out", required=True, help="run folder: model.keras, checkpoints/, log.csv, grids/")
    parser.add_argument("--weights", default="imagenet",
                        help="encoder weights: imagenet (download once, default), none (offline: random init, "
                             "the whole network trains), or PATH to a VGG19 notop weights file")
    parser.add_argument("--decoder", choices=("unet", "seed"), default="unet", help="decoder (default unet)")
    parser.add_argument("--image-size", type=int, default=d["image_size"],
                        help=f"square side the model works at (default {d['image_size']}; colour is "
                             "predicted at this size and recombined with the full-resolution L)")
    parser.add_argument("--encoder-blocks", type=int, default=d["encoder_blocks"],
                        help=f"VGG19 blocks kept in the encoder, 1-5 (default {d['encoder_blocks']})")
    parser.add_argument("--epochs", type=int, default=d["epochs"], help=f"stage-1 epochs (default {d['epochs']})")
    parser.add_argument("--fine-tune-epochs", type=int, default=0,
                        help="stage-2 epochs fine-tuning the upper VGG blocks (pretrained weights only; default 0)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help=f"default {d['batch_size']} on CPU, {GPU_BATCH_SIZE} on GPU")
    parser.add_argument("--learning-rate", type=float, default=d["learning_rate"],
                        help=f"Adam, cosine-decayed to {LR_FLOOR * 100:g}%% of it (default {d['learning_rate']:g})")
    parser.add_argument("--loss", choices=LOSSES, default=d["loss"], help=f"default {d['loss']}")
    parser.add_argument("--no-augment", dest="augment", action="store_false", help="no flips/crops")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")


def run_cli(args) -> int:
    result = train(
        args.data, args.out, weights=args.weights, decoder=args.decoder, image_size=args.image_size,
        encoder_blocks=args.encoder_blocks, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, loss=args.loss, fine_tune_epochs=args.fine_tune_epochs,
        augment=args.augment, seed=args.seed, resume=args.resume,
    )
    print(f"done: {result.epochs_done} epochs in {result.seconds / 60:.1f} min; best val PSNR "
          f"{result.best_val_psnr:.2f} dB (model resolution); model: {result.model_path}")
    return 0
