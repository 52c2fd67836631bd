"""Adversarial colorization (pix2pix's PatchGAN, DeOldify's NoGAN schedule); ``train --adversarial``.

The generator is a course colorizer (regression head). The critic is a PatchGAN
(Isola et al., CVPR 2017) conditioned on L: it sees ``L_norm`` and ``ab_norm`` stacked (3
channels) and gives a grid of real/fake logits, one per overlapping patch of
:func:`patchgan_receptive_field` pixels. The generator's loss is ``L1 + λ · adversarial``.

Schedule (NoGAN, DeOldify): the generator starts from a trained run (``init_from``, e.g. notebook
04's), or is first pretrained with the plain loss (an ordinary :func:`course_lib.train.train` run in
``OUT/generator_pretrain``); then the critic alone learns for ``critic_epochs`` on the generator's
outputs (the generator does not change); then ``adversarial_epochs`` of alternating critic and
generator steps (one each per batch), written as ``GradientTape`` steps.

Run folder
----------
``model.keras``               the generator after the last adversarial epoch (before it: the starting
                              generator), without optimizer. Not the epoch with the best validation PSNR:
                              PSNR rewards the averaged colours the critic is there to undo, so it would
                              pick the least adversarial epoch. The epochs and λ are the settings'
                              (chosen on validation, benchmarks/results/adversarial_choice.json)
``critic.keras``              the critic after the latest epoch, without optimizer
``run.json``                  when the run is finished: the upsampling of ab, chosen on the validation photos
                              by the rule of a classification run's decoding (notebook 07)
``checkpoints/generator.keras`` and ``checkpoints/critic.keras``  each model with its optimizer's state
                              and the run's state (:func:`course_lib.train.write_checkpoint`)
``checkpoints/state.json``    epochs done, phase, history, settings; ``log.csv`` one row per epoch: the
                              losses, validation PSNR and colourfulness ratio (at the model's resolution)

The two model files and the checkpoints are written every ``checkpoint_every`` epochs of the generator's
recipe (as ``train`` writes its own), at each phase's end and where a run stops; a resumed run trains the
epochs after its last checkpoint again, and their rows of ``log.csv`` are replaced.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib import color
from course_lib.classification import RUN_FILE
from course_lib.errors import CourseError


class AdversarialRunError(CourseError):
    """An adversarial run cannot start or resume as asked (bad settings, a run folder in use...)."""


@dataclass(frozen=True)
class AdversarialSettings:
    """What an adversarial run adds to the generator's :class:`~course_lib.recipes.TrainSettings`.

    Attributes
    ----------
    adversarial_weight : float
        λ in ``L1 + λ · adversarial`` (pix2pix uses L1 weight 100 and adversarial weight 1, i.e. λ = 0.01).
    critic_width : int
        Filters of the critic's first convolution (doubled at each downsampling).
    critic_downsamplings : int
        Stride-2 convolutions of the critic (pix2pix's 70 px PatchGAN: 3).
    critic_epochs : int
        Epochs of NoGAN's critic pretraining (the generator frozen).
    adversarial_epochs : int
        Epochs of the adversarial fine-tune that follows.
    generator_learning_rate : float
        The generator's Adam learning rate (β1 = 0.5, as in pix2pix); small: it only fine-tunes.
    critic_learning_rate : float
        The critic's Adam learning rate (β1 = 0.5).
    """

    adversarial_weight: float = 0.01
    critic_width: int = 32
    critic_downsamplings: int = 3
    critic_epochs: int = 1
    adversarial_epochs: int = 2
    generator_learning_rate: float = 2e-5
    critic_learning_rate: float = 2e-4

    def __post_init__(self):
        problems = []
        if not self.adversarial_weight >= 0:
            problems.append(f"adversarial_weight {self.adversarial_weight} (use a number >= 0, e.g. 0.01)")
        for name in ("critic_width", "critic_downsamplings", "critic_epochs", "adversarial_epochs"):
            value = getattr(self, name)
            low = 1 if name in ("critic_width", "critic_downsamplings") else 0
            if not isinstance(value, (int, np.integer)) or value < low:
                problems.append(f"{name} {value!r} (use a whole number >= {low})")
        for name in ("generator_learning_rate", "critic_learning_rate"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} {getattr(self, name)} (use a positive number, e.g. 2e-4)")
        if problems:
            raise AdversarialRunError("bad adversarial settings: " + "; ".join(problems))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


#: Each recipe's adversarial settings; the generator's recipe (that of ``--init-from``) chooses, and the
#: flags of :class:`AdversarialSettings` override. ``cpu``: λ, the epochs and the generator's learning rate
#: chosen on validation (benchmarks/results/adversarial_choice.json). ``fast``: a smoke test, not a result.
#: The ``gpu`` recipe has none measured: it takes the ``cpu`` recipe's and says so.
ADVERSARIAL_RECIPES = {
    "cpu": AdversarialSettings(adversarial_weight=0.1, critic_epochs=1, adversarial_epochs=24,
                               generator_learning_rate=1e-4),
    "fast": AdversarialSettings(critic_width=8, critic_downsamplings=2, critic_epochs=1, adversarial_epochs=1),
}


def recipe_adversarial_settings(recipe: str, **overrides) -> AdversarialSettings:
    """The adversarial settings of the generator's ``recipe``, with ``overrides`` (None keeps the recipe's).

    A recipe without its own (``gpu``) gets the ``cpu`` recipe's, and a printed line says they were
    not measured for it.
    """
    if recipe not in ADVERSARIAL_RECIPES:
        print(f"note: the {recipe} recipe has no measured adversarial settings; using the cpu recipe's "
              f"({ADVERSARIAL_RECIPES['cpu']}): unmeasured")
    base = ADVERSARIAL_RECIPES.get(recipe, ADVERSARIAL_RECIPES["cpu"])
    return dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})


# ----------------------------------------------------------------------------- the critic
def patchgan_receptive_field(downsamplings: int = 3, kernel: int = 4) -> int:
    """Side in pixels of the input patch that one logit of :func:`build_patch_discriminator` sees.

    Going back from one output pixel, a convolution of kernel ``k`` and stride ``s`` turns a
    field of ``r`` pixels into ``(r - 1) * s + k``: the last two convolutions have stride 1,
    the ``downsamplings`` before them stride 2. pix2pix's (3 downsamplings, kernel 4): 70 px.
    """
    field = 1
    strides = [2] * int(downsamplings) + [1, 1]
    for stride in reversed(strides):
        field = (field - 1) * stride + kernel
    return field


def build_patch_discriminator(image_size: int, width: int = 32, downsamplings: int = 3, name: str = "critic"):
    """PatchGAN conditioned on L: ``(N, S, S, 3)`` = L_norm and ab_norm stacked -> ``(N, G, G, 1)`` logits,
    ``G = ceil(S / 2**downsamplings)``.

    ``downsamplings`` stride-2 4x4 convolutions (LeakyReLU 0.2), a stride-1 4x4 convolution, and a
    stride-1 4x4 convolution to one logit per patch. No batch normalisation: real and fake batches
    go through the critic separately, and batch statistics would tell them apart by themselves.
    The last layer computes in float32 (logits stay float32 under mixed precision).

    Raises
    ------
    AdversarialRunError
        ``image_size`` not divisible by ``2**downsamplings``.
    """
    import keras

    if image_size % (2**downsamplings):
        raise AdversarialRunError(f"image size {image_size} is not divisible by 2**{downsamplings}: choose a "
                                  f"multiple of {2**downsamplings} or fewer critic downsamplings")
    inputs = keras.Input((image_size, image_size, 3), name="l_and_ab")
    x = inputs
    for i in range(downsamplings):
        x = keras.layers.Conv2D(width * 2**i, 4, strides=2, padding="same", name=f"down{i + 1}")(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Conv2D(width * 2**downsamplings, 4, padding="same", name="patch_features")(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    logits = keras.layers.Conv2D(1, 4, padding="same", dtype="float32", name="patch_logits")(x)
    return keras.Model(inputs, logits, name=name)


# ----------------------------------------------------------------------------- the losses
def discriminator_loss(real_logits, fake_logits):
    """Mean binary cross-entropy: real patches labelled 1, colorized ones 0 (halved, as in pix2pix)."""
    import keras

    bce = keras.ops.binary_crossentropy
    real = keras.ops.mean(bce(keras.ops.ones_like(real_logits), real_logits, from_logits=True))
    fake = keras.ops.mean(bce(keras.ops.zeros_like(fake_logits), fake_logits, from_logits=True))
    return 0.5 * (real + fake)


def generator_loss(ab_true, ab_pred, fake_logits, adversarial_weight: float):
    """``(total, l1, adversarial)``: total = L1 + λ · adversarial, where adversarial is the mean
    binary cross-entropy of the critic's logits on the colorized photo against the label "real"."""
    import keras

    l1 = keras.ops.mean(keras.ops.abs(keras.ops.cast(ab_true, "float32") - keras.ops.cast(ab_pred, "float32")))
    adversarial = keras.ops.mean(keras.ops.binary_crossentropy(keras.ops.ones_like(fake_logits), fake_logits,
                                                               from_logits=True))
    return l1 + adversarial_weight * adversarial, l1, adversarial


class AdversarialSteps:
    """The two ``GradientTape`` training steps, each compiled once (``tf.function``).

    :meth:`critic_step` updates the critic only; :meth:`generator_step` the generator only
    (the critic judges in inference mode). Both return their losses as floats.
    """

    def __init__(self, generator, critic, generator_optimizer, critic_optimizer, adversarial_weight: float):
        import tensorflow as tf

        self.generator, self.critic = generator, critic
        self.generator_optimizer, self.critic_optimizer = generator_optimizer, critic_optimizer
        self.weight = float(adversarial_weight)
        self._critic = tf.function(self._critic_step, reduce_retracing=True)
        self._generator = tf.function(self._generator_step, reduce_retracing=True)

    @staticmethod
    def _scaled(optimizer, loss):
        return optimizer.scale_loss(loss) if hasattr(optimizer, "scale_loss") else loss

    def _critic_step(self, l_norm, ab_norm):
        import tensorflow as tf

        fake = tf.cast(self.generator(l_norm, training=False), tf.float32)
        with tf.GradientTape() as tape:
            real_logits = self.critic(tf.concat([l_norm, ab_norm], axis=-1), training=True)
            fake_logits = self.critic(tf.concat([l_norm, fake], axis=-1), training=True)
            loss = discriminator_loss(real_logits, fake_logits)
            scaled = self._scaled(self.critic_optimizer, loss)  # inside the tape, or no gradient reaches it
        variables = self.critic.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.critic_optimizer.apply(grads, variables)
        return loss

    def _generator_step(self, l_norm, ab_norm):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            fake = tf.cast(self.generator(l_norm, training=True), tf.float32)
            fake_logits = self.critic(tf.concat([l_norm, fake], axis=-1), training=False)
            total, l1, adversarial = generator_loss(ab_norm, fake, fake_logits, self.weight)
            scaled = self._scaled(self.generator_optimizer, total)
        variables = self.generator.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.generator_optimizer.apply(grads, variables)
        return total, l1, adversarial

    def critic_step(self, l_norm, ab_norm) -> float:
        return float(self._critic(np.asarray(l_norm, np.float32), np.asarray(ab_norm, np.float32)))

    def generator_step(self, l_norm, ab_norm) -> tuple[float, float, float]:
        out = self._generator(np.asarray(l_norm, np.float32), np.asarray(ab_norm, np.float32))
        return tuple(float(v) for v in out)


# ----------------------------------------------------------------------------- the run
def _epoch_batches(train_rgb: np.ndarray, batch_size: int, rng: np.random.Generator, augment: bool):
    """``(L_norm, ab_norm)`` batches of one fixed size (the last partial batch dropped: one traced
    graph), shuffled, half of them mirrored when ``augment``."""
    order = rng.permutation(len(train_rgb))
    size = min(batch_size, len(train_rgb))
    for start in range(0, len(order) - size + 1, size):
        rgb = train_rgb[order[start : start + size]]
        if augment:
            flip = rng.random(len(rgb)) < 0.5
            rgb = np.where(flip[:, None, None, None], rgb[:, :, ::-1], rgb)
        yield color.rgb_to_model_io(rgb)


def _generator_settings(init_dir: Path):
    """The :class:`TrainSettings` of the run in ``init_dir`` (its ``checkpoints/state.json``).

    Raises
    ------
    AdversarialRunError
        No finished course run there, or one the adversarial loss does not fit (classification
        head, hint model).
    """
    from course_lib.course_models import run_settings

    settings = run_settings(init_dir)  # checkpoints/state.json's settings; unreadable: a CourseError
    if settings is None or not (init_dir / "model.keras").is_file():
        raise AdversarialRunError(f"{init_dir} holds no trained run (checkpoints/state.json and model.keras): give "
                                  "--init-from a run folder written by 'train', or leave it out to pretrain one")
    if settings.head != "regression" or settings.hints:
        raise AdversarialRunError(f"{init_dir} is a {settings.head} {'hint ' if settings.hints else ''}model: the "
                                  "adversarial fine-tune needs a regression model without hints (notebook 04's)")
    return settings


#: log.csv's columns: a critic epoch leaves the generator's losses empty.
LOG_COLUMNS = ("epoch", "phase", "critic_loss", "generator_loss", "l1", "adversarial_loss", "val_psnr",
               "val_colorfulness_ratio")


def _history_row(path: Path, row: dict) -> None:
    new = not path.is_file()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=LOG_COLUMNS, restval="")
        if new:
            writer.writeheader()
        writer.writerow(row)


def validation_scores(rgb: np.ndarray, truth: np.ndarray, categories) -> dict[str, float]:
    """Mean validation PSNR over the photos, and the colourfulness ratio's mean over the categories
    (how the course averages it), at the model's resolution: an epoch's two numbers in ``log.csv``."""
    from course_lib.metrics import colorfulness_ratio, psnr

    ratios: dict[str, list[float]] = {}
    for prediction, target, category in zip(rgb, truth, categories):
        ratio = colorfulness_ratio(prediction, target)
        if np.isfinite(ratio):
            ratios.setdefault(category, []).append(ratio)
    return {"val_psnr": float(np.mean([psnr(p, t, data_range=255) for p, t in zip(rgb, truth)])),
            "val_colorfulness_ratio": float(np.mean([np.mean(v) for v in ratios.values()])) if ratios else float("nan")}


def _checkpoint_due(epochs_done: int, every: int, phases: list[tuple[str, int]], wanted: int) -> bool:
    """Whether the run writes its checkpoints (and its two model files) after ``epochs_done`` epochs: every
    ``every`` epochs of the generator's recipe (``checkpoint_every``, as ``train`` does), at each phase's end
    and where the run stops."""
    return epochs_done % every == 0 or epochs_done == wanted or any(epochs_done == last for _, last in phases)


def _phases(adversarial: AdversarialSettings) -> list[tuple[str, int]]:
    """``[(phase, last_epoch)]``: critic pretraining, then the adversarial fine-tune."""
    critic_end = adversarial.critic_epochs
    return [("critic", critic_end), ("adversarial", critic_end + adversarial.adversarial_epochs)]


def train_adversarial(data_dir, out_dir, init_from=None, adversarial: AdversarialSettings | None = None, *,
                      resume: bool = False, stop_after: int | None = None, recipe: str | None = None,
                      **overrides):
    """Fine-tune a colorizer with a PatchGAN critic (NoGAN schedule); see the module docstring.

    Parameters
    ----------
    data_dir : path
        NCD-layout folder (the train split trains; each epoch is scored on the validation split).
    out_dir : path
        The adversarial run folder.
    init_from : path, optional
        A trained run (``model.keras`` + ``checkpoints/state.json``) to start the generator from. Without
        it, a generator is first trained with the plain loss in ``out_dir/generator_pretrain``
        (:func:`course_lib.train.train` with ``recipe`` and ``overrides``; resumed if it is there).
    adversarial : AdversarialSettings, optional
    resume : bool
        Continue the adversarial run in ``out_dir`` from its checkpoints (both models, both optimizers).
    stop_after : int, optional
        Stop once this many critic + adversarial epochs are done (``resume=True`` continues).

    Returns
    -------
    dict
        The run's state: ``epochs_done``, ``history``, ``best_val_psnr``, ``settings``, ``seconds``.

    Raises
    ------
    AdversarialRunError
        Bad settings, nothing to resume, a run folder already in use, an unsuitable ``init_from`` run.
    """
    from course_lib import train as train_module

    run = train_module._restoring_dtype_policy(_train_adversarial)  # the policy found is back afterwards
    return run(data_dir, out_dir, init_from, adversarial or AdversarialSettings(), resume, stop_after, recipe,
               overrides)


def _restore_checkpoints(ckpt: Path, state: dict, generator, g_opt, critic, d_opt) -> None:
    """Both models' weights and both optimizers' state from ``ckpt`` (``--resume``), checked against ``state``.

    Raises
    ------
    AdversarialRunError
        A checkpoint does not belong to ``state``'s epoch (the run stopped between the two saves).
    """
    import keras

    from course_lib import train as train_module
    from course_lib.model import load_colorizer

    for model, optimizer, name in ((generator, g_opt, "generator"), (critic, d_opt, "critic")):
        path = ckpt / f"{name}.keras"
        arrays, saved_state = train_module.read_checkpoint(path)
        if saved_state is None or saved_state["epochs_done"] != state["epochs_done"]:
            raise AdversarialRunError(f"{path} does not match checkpoints/state.json (a run "
                                      "stopped while saving): start a new run in another --out folder")
        loaded = load_colorizer(path) if name == "generator" else keras.models.load_model(path, compile=False)
        model.set_weights(loaded.get_weights())
        train_module.restore_optimizer(optimizer, model.trainable_variables, arrays)


def _train_adversarial(data_dir, out_dir, init_from, adversarial, resume, stop_after, recipe, overrides):
    from course_lib import train as train_module

    started = time.time()
    run_dir = Path(out_dir).expanduser()
    state_path = run_dir / "checkpoints" / "state.json"
    if resume and not state_path.is_file():
        raise AdversarialRunError(f"nothing to resume in {run_dir} (no checkpoints/state.json): run without --resume")
    if not resume and state_path.is_file():
        raise AdversarialRunError(f"{run_dir} already holds an adversarial run: add --resume to continue it, or "
                                  "choose another --out folder")
    if init_from is None:
        pretrain_dir = run_dir / "generator_pretrain"
        print(f"no --init-from: pretraining the generator with the plain loss in {pretrain_dir}")
        train_module.train(data_dir, pretrain_dir, recipe=recipe, resume="auto", **overrides)
        init_from = pretrain_dir
    init_dir = Path(init_from).expanduser()
    settings = _generator_settings(init_dir)
    if resume:
        state = json.loads(state_path.read_text())
        saved = AdversarialSettings(**state["adversarial"])
        if saved != adversarial:
            raise AdversarialRunError(f"{run_dir} was started with other adversarial settings ({saved}); resume "
                                      "it with those, or start a new run in another --out folder")
    else:
        state = dict(settings=settings.to_dict(), adversarial=adversarial.to_dict(), init_from=str(init_dir),
                     epochs_done=0, best_val_psnr=-np.inf, best_epoch=0, history={})
    phases = _phases(adversarial)
    total_epochs = phases[-1][1]
    wanted = total_epochs if stop_after is None else min(total_epochs, int(stop_after))
    finished_without_decoding = state["epochs_done"] >= total_epochs and not (run_dir / RUN_FILE).is_file()
    if state["epochs_done"] >= wanted and not finished_without_decoding:
        print(f"{run_dir}: {state['epochs_done']} epochs done, nothing left to train")
        return state
    import keras  # only now: a finished run is reused without loading TensorFlow

    from course_lib.colorizer import Colorizer
    from course_lib.model import build_colorizer

    train_module._set_up_tensorflow(settings)
    data = train_module.prepare_data(data_dir, settings)

    generator = build_colorizer(settings.image_size, settings.decoder, None, settings.encoder_blocks,
                                settings.decoder_width, head=settings.head, hints=False)
    critic = build_patch_discriminator(settings.image_size, adversarial.critic_width, adversarial.critic_downsamplings)
    generator.trainable = True  # the whole generator fine-tunes (a frozen encoder of stage 1 included)
    for layer in generator.layers:
        layer.trainable = True
    g_opt = keras.optimizers.Adam(adversarial.generator_learning_rate, beta_1=0.5)
    d_opt = keras.optimizers.Adam(adversarial.critic_learning_rate, beta_1=0.5)
    if keras.config.dtype_policy().name == "mixed_float16":
        g_opt, d_opt = keras.optimizers.LossScaleOptimizer(g_opt), keras.optimizers.LossScaleOptimizer(d_opt)
    ckpt = run_dir / "checkpoints"
    if resume:
        _restore_checkpoints(ckpt, state, generator, g_opt, critic, d_opt)
        train_module._drop_log_rows_after(run_dir / "log.csv", state["epochs_done"])
    else:  # both optimizers built now: a checkpoint after the critic phase holds the generator's full state too
        g_opt.build(generator.trainable_variables)
        d_opt.build(critic.trainable_variables)
        generator.set_weights(Colorizer.load(init_dir).model.get_weights())
        ckpt.mkdir(parents=True, exist_ok=True)
        train_module.save_model_file(generator, run_dir / "model.keras")  # until the first adversarial epoch

    steps = AdversarialSteps(generator, critic, g_opt, d_opt, adversarial.adversarial_weight)
    predictor = train_module.FixedBatchPredictor(generator, settings.image_size, train_module.PREDICT_BATCH)
    rng = np.random.default_rng(settings.seed + state["epochs_done"])
    from tqdm.auto import tqdm

    while state["epochs_done"] < wanted:
        epoch = state["epochs_done"]
        phase = next(name for name, last in phases if epoch < last)
        sums: dict[str, list[float]] = {}
        batches = list(_epoch_batches(data.train_rgb, settings.batch_size, rng, settings.augment))
        for l_norm, ab_norm in tqdm(batches, desc=f"epoch {epoch + 1}/{total_epochs} ({phase})", leave=False,
                                    disable=not sys.stdout.isatty()):
            sums.setdefault("critic_loss", []).append(steps.critic_step(l_norm, ab_norm))
            if phase == "adversarial":
                total, l1, adv = steps.generator_step(l_norm, ab_norm)
                for key, value in (("generator_loss", total), ("l1", l1), ("adversarial_loss", adv)):
                    sums.setdefault(key, []).append(value)
        rgb = color.model_io_to_rgb_uint8(data.val_l, predictor(data.val_l))
        row = {"epoch": epoch, "phase": phase, **{k: float(np.mean(v)) for k, v in sums.items()},
               **validation_scores(rgb, data.val_rgb, data.val_categories)}
        for key, value in row.items():
            if key not in ("epoch", "phase"):
                state["history"].setdefault(key, []).append(value)
        state["epochs_done"] = epoch + 1
        if phase == "adversarial" and row["val_psnr"] > state["best_val_psnr"]:  # recorded only: see model.keras
            state["best_val_psnr"], state["best_epoch"] = row["val_psnr"], epoch + 1
        _history_row(run_dir / "log.csv", row)
        if _checkpoint_due(epoch + 1, settings.checkpoint_every, phases, wanted):
            if phase == "adversarial":  # the latest generator is the run's model (module docstring)
                train_module.save_model_file(generator, run_dir / "model.keras")
            train_module.save_model_file(critic, run_dir / "critic.keras")
            train_module.write_checkpoint(critic, d_opt, state, ckpt / "critic.keras")
            train_module.write_checkpoint(generator, g_opt, state, ckpt / "generator.keras")
            train_module._write_json(ckpt / "state.json", state)
        print(f"epoch {epoch + 1}/{total_epochs} {phase}: " + ", ".join(
            f"{k} {v:.4f}" for k, v in row.items() if k not in ("epoch", "phase")))
    if state["epochs_done"] >= total_epochs and not (run_dir / RUN_FILE).is_file():
        # the finished generator's upsampling, chosen on validation like a classification run's decoding
        train_module.write_regression_run_file(run_dir, data.val_paths, data.val_categories)
    state["seconds"] = time.time() - started
    return state


# ----------------------------------------------------------------------------- CLI (train --adversarial)
def configure_parser(parser) -> None:
    """The adversarial run's arguments, added to ``train``'s (:data:`course_lib.cli.COMMAND_EXTENSIONS`)."""
    group = parser.add_argument_group("adversarial (with --adversarial; defaults: the generator's recipe's, "
                                      "adversarial.ADVERSARIAL_RECIPES)")
    group.add_argument("--adversarial", action="store_true",
                       help="fine-tune with a PatchGAN critic, NoGAN schedule: critic pretraining, then L1 + "
                            "λ·adversarial (notebook 09)")
    group.add_argument("--init-from", default=None, metavar="RUN_DIR",
                       help="start the generator from this trained run (else one is pretrained first in "
                            "OUT/generator_pretrain with the settings above)")
    # one flag per AdversarialSettings field, its help from the class docstring (like train's own flags)
    from course_lib.recipes import setting_descriptions

    descriptions = setting_descriptions(AdversarialSettings)
    cpu = ADVERSARIAL_RECIPES["cpu"]
    for setting in dataclasses.fields(AdversarialSettings):
        text = f"{descriptions[setting.name]} [cpu recipe: {getattr(cpu, setting.name)}]".replace("%", "%%")
        group.add_argument("--" + setting.name.replace("_", "-"), type=type(setting.default), default=None,
                           help=text)


def adversarial_overrides(args) -> dict:
    """The :class:`AdversarialSettings` given on the command line (None: the recipe's value)."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(AdversarialSettings)
            if getattr(args, f.name) is not None}


def run_cli(args) -> int:
    from course_lib import train as train_module

    if not args.adversarial:
        return train_module.run_cli(args)
    overrides = train_module.setting_overrides(args)
    if args.init_from is not None and overrides:
        raise AdversarialRunError(f"--init-from takes the generator's settings from {args.init_from}; leave out "
                                  f"{', '.join('--' + k.replace('_', '-') for k in overrides)}")
    if args.init_from is not None:
        generator_recipe = _generator_settings(Path(args.init_from).expanduser()).recipe
    else:
        from course_lib.recipes import resolve_settings

        generator_recipe = resolve_settings(args.recipe).recipe  # what the pretraining will use
    adversarial = recipe_adversarial_settings(generator_recipe, **adversarial_overrides(args))
    print(f"adversarial settings ({generator_recipe} recipe's, with your flags): {adversarial}")
    state = train_adversarial(args.data, args.out, args.init_from, adversarial, resume=args.resume,
                              recipe=args.recipe, **overrides)
    last = {key: values[-1] for key, values in state["history"].items() if values}
    print(f"done: {state['epochs_done']} epochs; the last one's validation PSNR {last.get('val_psnr', float('nan')):.2f} dB, "
          f"colourfulness ratio {last.get('val_colorfulness_ratio', float('nan')):.3f}; model: {Path(args.out) / 'model.keras'}")
    return 0


__all__ = ["ADVERSARIAL_RECIPES", "AdversarialRunError", "AdversarialSettings", "recipe_adversarial_settings", "AdversarialSteps", "build_patch_discriminator",
           "discriminator_loss", "generator_loss", "patchgan_receptive_field", "train_adversarial"]
