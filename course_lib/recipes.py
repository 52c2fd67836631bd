"""Training settings as data: one frozen dataclass, :class:`TrainSettings`, and the course's recipes.

Every training setting is defined here and nowhere else. ``course_lib.train.train``, the
``train`` command, ``checkpoints/state.json``, the resume check, the notebooks' fast mode and
the recipes all read this one dataclass. A recipe is a complete :class:`TrainSettings`;
explicit arguments override single fields (:meth:`TrainSettings.override`).

=========  ======================================================================================
recipe     what it is for
=========  ======================================================================================
``cpu``    a 2-core laptop (``weights=None``, as it was measured: the whole network trains), 19-31 min
``gpu``    a Colab GPU (T4, 16 GB): ImageNet encoder, all 5 VGG blocks at 224 px, the deepest
           features (blocks 3-5) cached for stage 1 and blocks 1-2 recomputed, then the upper
           blocks fine-tuned; mixed precision; ~20 min
``fast``   the notebooks' fast mode (``COURSE_FAST=1``, CI): proves everything runs, in a minute;
           never a result
=========  ======================================================================================

This module imports neither Keras nor TensorFlow, so the command line, the checkers and the
tests can use it cheaply.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from course_lib.errors import CourseError

#: Decoders of :func:`course_lib.model.build_colorizer` (the one list: model.py, the checks and the ``train``
#: command read it here, where TensorFlow is not imported).
DECODERS = ("unet", "seed")
#: Losses of :func:`course_lib.train.make_loss`.
LOSSES = ("mse", "l1", "huber")
#: Heads of :func:`course_lib.model.build_colorizer`: ab directly (tanh), or logits over ab bins (Zhang et al.
#: 2016). The one list, like :data:`DECODERS`.
HEADS = ("regression", "classification")
#: ``mixed_precision`` values: float16 compute on a GPU only, always (a CPU too: slow, but it runs the
#: GPU's float16 path anywhere), never.
MIXED_PRECISION = ("auto", "on", "off")


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides what a training run does.

    Attributes
    ----------
    recipe : str
        Name of the recipe these settings started from (``"cpu"``, ``"gpu"``, ``"fast"``).
    weights : str or None
        ``"imagenet"`` (downloaded once), a path to a VGG19 notop weights file, or None
        (``none`` on the command line: a random encoder, offline mode, the whole network trains).
        Each recipe owns the weights it was measured with; others mark the run unmeasured.
    decoder : "unet" or "seed"
        ``"unet"``: upsampling with skip connections from every kept VGG block; ``"seed"``:
        convolutions and 2x upsamplings from the deepest feature map only.
    image_size : int
        Side of the square images the model sees. Colour is predicted at this size and
        recombined with the photo's full-resolution lightness.
    encoder_blocks : int
        VGG19 blocks kept (1-5). Each block halves the resolution and widens the features.
    decoder_width : int
        Filters of the unet decoder's full-resolution level (doubling per level, at most 256).
    epochs : int
        Stage-1 epochs: the whole plan, also when a run is split by a crash or ``stop_after``.
    fine_tune_epochs : int
        Stage-2 epochs fine-tuning the upper VGG blocks (pretrained encoder only), at a tenth
        of the learning rate.
    fine_tune_blocks : tuple of int or None
        Blocks unfrozen in stage 2; None: the two deepest kept blocks.
    batch_size : int
        Images per step (per device when the run is spread over several).
    learning_rate : float
        Adam's initial rate, cosine-decayed over the stage to 1 % of it.
    loss : "mse", "l1" or "huber"
        The regression head's loss (the classification head always trains with the rebalanced
        cross-entropy of :mod:`course_lib.classification`).
    head : "regression" or "classification"
        ``"classification"``: Zhang et al. 2016, logits over the in-gamut ab bins, decoded with
        the annealed mean (notebook 07).
    hints : bool
        User-guided colorization (Zhang et al. 2017, notebook 08): the model also takes hint
        channels (:mod:`course_lib.hints`); the pipeline samples new simulated hints for every
        image every epoch, and a share of the batches carries none.
    augment : bool
        Random flips and resized crops (on cached features: the mirror images).
    class_balanced : bool
        Draw every category equally often in an epoch, whatever its number of images.
    seed : int
        Random seed of the run: initial weights, shuffling, augmentation, simulated hints.
    max_images_per_split : int or None
        At most this many images per split, spread over the categories (quick runs).
    mixed_precision : "auto", "on" or "off"
        float16 compute with float32 weights: ``"auto"`` on a GPU only (a CPU gains nothing),
        ``"on"`` everywhere (on a CPU it is slow, but it tests the GPU's float16 path), ``"off"``
        never. (``True`` and ``False`` of older runs read as ``"auto"`` and ``"off"``.)
    deterministic : bool
        ``tf.config.experimental.enable_op_determinism()``: bit-identical reruns on the same
        machine, at some speed on a GPU (deterministic cuDNN algorithms).
    checkpoint_every : int
        Epochs between two resumable checkpoints (weights and optimizer), counted from the run's
        start; the last epoch of each stage and of a stopped run always has one. A new best model
        waits in memory until the next checkpoint, so a lost runtime costs at most this many epochs
        and no checkpoint is ever without its best model.
    """

    recipe: str = "cpu"
    weights: str | None = None
    decoder: str = "unet"
    image_size: int = 48
    encoder_blocks: int = 3
    decoder_width: int = 32
    epochs: int = 150
    fine_tune_epochs: int = 0
    fine_tune_blocks: tuple[int, ...] | None = None
    batch_size: int = 16
    learning_rate: float = 2e-3
    loss: str = "mse"
    head: str = "regression"
    hints: bool = False
    augment: bool = True
    class_balanced: bool = False
    seed: int = 0
    max_images_per_split: int | None = None
    mixed_precision: str = "off"
    deterministic: bool = True
    checkpoint_every: int = 1

    def __post_init__(self):
        self.validate()

    # ------------------------------------------------------------------ building
    def override(self, **changes) -> "TrainSettings":
        """A copy with ``changes`` applied; a value of None keeps the recipe's.

        Except ``weights``, where None is a value of its own (a random encoder): it is always
        applied when given.

        Raises
        ------
        CourseError
            An unknown setting name, or a value that :meth:`validate` refuses.
        """
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise CourseError(f"unknown training setting(s) {', '.join(unknown)}; "
                              f"known: {', '.join(f.name for f in dataclasses.fields(self))}")
        changes = {key: value for key, value in changes.items() if value is not None or key == "weights"}
        if "weights" in changes:
            changes["weights"] = normalize_weights(changes["weights"])
        if "mixed_precision" in changes:
            changes["mixed_precision"] = normalize_mixed_precision(changes["mixed_precision"])
        if "fine_tune_blocks" in changes:
            changes["fine_tune_blocks"] = tuple(int(b) for b in changes["fine_tune_blocks"]) or None
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-ready dict (what ``state.json`` stores under ``settings``), with ``unmeasured``:
        :meth:`unmeasured` (read back, it is ignored: it follows from the fields)."""
        data = dataclasses.asdict(self)
        data["fine_tune_blocks"] = list(self.fine_tune_blocks) if self.fine_tune_blocks else None
        data["unmeasured"] = self.unmeasured()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TrainSettings":
        """The settings stored by :meth:`to_dict` (unknown keys of older runs are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls().override(**{key: value for key, value in data.items() if key in names})

    # ---------------------------------------------------------------- checking
    @property
    def pretrained(self) -> bool:
        """True when the encoder starts from trained weights (ImageNet or a file)."""
        return self.weights is not None

    def unmeasured(self) -> list[str]:
        """Why these settings' results were never measured: weights other than the ones the recipe
        was chosen and measured with (its own :data:`RECIPES` entry). Empty when they were.

        Each recipe owns its weights: ``cpu`` and ``fast`` were measured with none (a random
        encoder trained with the decoder), ``gpu`` with ImageNet's. ImageNet weights with the
        ``cpu`` recipe are allowed, but nobody measured them (a frozen ImageNet encoder on 48 px
        images, no fine-tuning), so the run says so.
        """
        recipe = RECIPES.get(self.recipe)
        if recipe is None or self.weights == recipe.weights:
            return []
        return [f"weights {self.weights or 'none'}: the {self.recipe} recipe was measured with "
                f"{recipe.weights or 'none'} (benchmarks/README.md has no figure for this combination)"]

    def validate(self) -> None:
        """Refuse settings that cannot train, with what to do.

        Raises
        ------
        CourseError
        """
        problems = []
        if self.decoder not in DECODERS:
            problems.append(f"decoder {self.decoder!r} is not one of {', '.join(DECODERS)}")
        if self.head not in HEADS:
            problems.append(f"head {self.head!r} is not one of {', '.join(HEADS)}")
        if self.loss not in LOSSES:
            problems.append(f"loss {self.loss!r} is not one of {', '.join(LOSSES)}")
        if not 1 <= self.encoder_blocks <= 5:
            problems.append(f"encoder_blocks must be 1-5, got {self.encoder_blocks}")
        elif self.image_size < 32 or self.image_size % 2**self.encoder_blocks:
            problems.append(f"image_size {self.image_size} must be at least 32 and a multiple of "
                            f"{2**self.encoder_blocks} for {self.encoder_blocks} VGG blocks")
        for name in ("epochs", "fine_tune_epochs"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("batch_size", "decoder_width", "checkpoint_every"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            problems.append(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.mixed_precision not in MIXED_PRECISION:
            problems.append(f"mixed_precision {self.mixed_precision!r} is not one of {', '.join(MIXED_PRECISION)}")
        if self.max_images_per_split is not None and self.max_images_per_split < 1:
            problems.append(f"max_images_per_split must be >= 1, got {self.max_images_per_split}")
        if problems:
            raise CourseError("bad training settings: " + "; ".join(problems))

    #: Settings a resumed run may change: how long it trains, not what it trains.
    RESUMABLE_CHANGES = ("epochs", "fine_tune_epochs", "recipe", "checkpoint_every")

    def differences_for_resume(self, saved: "TrainSettings") -> list[str]:
        """What differs from the ``saved`` run in a way that a resume cannot honour."""
        return [
            f"{f.name}: run has {getattr(saved, f.name)!r}, asked {getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.name not in self.RESUMABLE_CHANGES and getattr(saved, f.name) != getattr(self, f.name)
        ]


def normalize_weights(weights) -> str | None:
    """``"imagenet"``, None (also for ``"none"``), or a path string."""
    if weights is None or (isinstance(weights, str) and weights.lower() == "none"):
        return None
    if isinstance(weights, str) and weights.lower() == "imagenet":
        return "imagenet"
    from pathlib import Path

    return str(Path(weights).expanduser())


def normalize_mixed_precision(value) -> str:
    """``"auto"``, ``"on"`` or ``"off"``; the booleans of older runs' ``state.json`` read as
    ``"auto"`` (True: float16 on a GPU) and ``"off"``; anything else is kept for :meth:`validate`."""
    if value is True:
        return "auto"
    if value is False:
        return "off"
    return value.lower() if isinstance(value, str) else value


#: The course's recipes. Their measured results: benchmarks/README.md; how each value was chosen, and
#: the trials that lost: docs/recipe_history.md.
RECIPES: dict[str, TrainSettings] = {
    # TrainSettings' defaults: chosen on the validation split by the category-mean gain over gray among
    # the candidates that keep their colour (benchmarks/select_recipe.py), the test split looked at once.
    # Its weights are part of it: every figure was measured with none (a random encoder that trains).
    "cpu": TrainSettings(recipe="cpu", weights=None),
    # A Colab T4 (16 GB): stage 1 trains the decoder on features of the frozen ImageNet encoder;
    # all five maps of NCD's train split and mirrors are over 10 GB, so only blocks 3-5's are cached
    # (under FEATURE_CACHE_LIMIT) and blocks 1-2 recompute theirs every step (train.plan_feature_cache).
    # Stage 2 fine-tunes blocks 4-5. Epochs sized from a FLOP count (benchmarks/gpu_recipe_flops.py):
    # about 7.5 min of convolutions at 10 TFLOP/s plus per-epoch overheads, ~15-20 min.
    # A checkpoint every 2 epochs: its model is 100 MB of weights and stage 2's Adam moments another
    # 182 MB, so a checkpoint and a best model every epoch wrote 2.94 x the weights per epoch; every 2
    # epochs it is 1.47 x, under issue 22's 2 x, for at most 2 epochs lost (benchmarks/bench_checkpoints.py).
    "gpu": TrainSettings(
        recipe="gpu", weights="imagenet", image_size=224, encoder_blocks=5, decoder_width=32,
        epochs=50, fine_tune_epochs=30, batch_size=32, learning_rate=1e-3,
        mixed_precision="auto", deterministic=False, checkpoint_every=2,
    ),
    "fast": TrainSettings(
        recipe="fast", image_size=32, encoder_blocks=2, decoder_width=8, epochs=3, batch_size=16,
        max_images_per_split=32,
    ),
}
#: ``--recipe`` choices.
RECIPE_CHOICES = ("auto", *RECIPES)

#: Epochs of the costlier variants of a recipe, unless epochs are given. On 2 CPU cores an epoch of
#: the classification head takes about 20 s against 9 s for the regression head (262 logits per
#: pixel: distances, top-5, log-softmax), and one of the hint model about 1.2 times as long; 75 and 90
#: epochs take both about as long as the regression head's 150 (benchmarks/README.md).
VARIANT_EPOCHS: dict[str, dict[str, int]] = {"cpu": {"classification": 75, "hints": 90}}

#: Other settings of a recipe's variants, unless given. The ``fast`` recipe's hint model (notebook 08's
#: tiny model, ``train --hints --recipe fast``): a hint model needs a few hundred optimizer steps
#: before a hint moves the colour, and the fast recipe makes 2 per epoch (32 images, batch 16). With
#: 12 epochs (24 steps; its first steps only undo the random output) a click of a colour foreign to
#: the photo did not move the result on the offline sample set (issue 27); 40 epochs of up to 128
#: images per split at 5e-3 (about 320 steps, as many images cost little more time than 32, an epoch's
#: overhead being the validation and the checkpoint) do, on the sample set and on NCD
#: (tests/test_hints_fast.py). Still a toy: never a result.
VARIANT_SETTINGS: dict[str, dict[str, dict]] = {
    "fast": {"hints": {"epochs": 40, "max_images_per_split": 128, "learning_rate": 5e-3}},
}


#: The values a setting may take, where they are a few names (the ``train`` command's choices).
SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "decoder": DECODERS, "loss": LOSSES, "head": HEADS, "mixed_precision": MIXED_PRECISION,
}


def setting_descriptions(settings_class: type | None = None) -> dict[str, str]:
    """Each field's description of a settings dataclass (:class:`TrainSettings` by default), as plain text,
    from the class docstring's Attributes section (the one place it is written; ``train``'s help shows it).

    Raises
    ------
    CourseError
        A field that the docstring does not describe (a new setting must be documented there).
    """
    import re

    settings_class = settings_class or TrainSettings

    described: dict[str, list[str]] = {}
    lines = settings_class.__doc__.split("Attributes\n    ----------\n", 1)[1].splitlines()
    current = None
    for line in lines:
        if re.match(r"^    \w+ : ", line):
            current = line.split(" : ")[0].strip()
            described[current] = []
        elif line.startswith("        ") and current:
            described[current].append(line.strip())
    names = [f.name for f in dataclasses.fields(settings_class)]
    undocumented = [name for name in names if not described.get(name)]
    if undocumented:
        raise CourseError(f"{settings_class.__name__}'s docstring describes no {', '.join(undocumented)}: add it to its "
                          "Attributes section")
    plain = lambda text: re.sub(r":\w+:`~?([^`]+)`", r"\1", text).replace("``", "")  # noqa: E731
    return {name: plain(" ".join(described[name])) for name in names}


def variant_of(settings: TrainSettings) -> str:
    """``"classification"``, ``"hints"`` or ``"regression"``: which model the settings train."""
    return "classification" if settings.head == "classification" else "hints" if settings.hints else "regression"


def resolve_settings(recipe: str | None = None, *, fast: bool | None = None, gpu: bool | None = None,
                     settings: TrainSettings | None = None, **overrides) -> TrainSettings:
    """The training settings of a run: the one place that decides them.

    A recipe with ``overrides`` applied, then its variant's own values (:data:`VARIANT_EPOCHS`,
    :data:`VARIANT_SETTINGS`) for every one of them that was not given: given values win.
    ``resolve_settings("cpu", head="classification")`` trains 75 epochs, ``resolve_settings("cpu",
    head="classification", epochs=20)`` 20; ``resolve_settings("fast", hints=True)`` takes the fast hint
    model's epochs, images and learning rate.

    Parameters
    ----------
    recipe : "auto", "cpu", "gpu", "fast" or None
        A name of :data:`RECIPES`; ``"auto"`` is ``"gpu"`` when ``gpu``, else ``"cpu"``. None:
        ``"fast"`` when ``fast``, else ``"auto"``.
    fast : bool, optional
        Only when ``recipe`` is None: the notebooks' fast mode (a tiny model trained on a subset in
        about a minute: it proves that everything runs and is never a result). Default:
        :func:`course_lib.config.fast_mode` (``COURSE_FAST=1``).
    gpu : bool, optional
        Whether ``"auto"`` means ``"gpu"``; None asks TensorFlow whether it sees a GPU (importing it).
    settings : TrainSettings, optional
        Complete settings to start from instead of a recipe; ``overrides`` are applied to them as
        they are (no variant values).
    **overrides
        Any :class:`TrainSettings` field; None keeps the recipe's value (except ``weights``, where
        None means a random encoder).

    Returns
    -------
    TrainSettings

    Raises
    ------
    CourseError
        Both ``settings`` and ``recipe``, an unknown recipe or setting, or a bad value.
    """
    if settings is not None:
        if recipe is not None:
            raise CourseError("pass either settings or recipe, not both")
        return settings.override(**overrides)
    if recipe is None:
        if fast is None:
            from course_lib.config import fast_mode

            fast = fast_mode()
        recipe = "fast" if fast else "auto"
    if recipe == "auto":
        if gpu is None:
            import tensorflow as tf

            gpu = bool(tf.config.list_physical_devices("GPU"))
        recipe = "gpu" if gpu else "cpu"
    if recipe not in RECIPES:
        raise CourseError(f"unknown recipe {recipe!r}: choose one of {', '.join(RECIPE_CHOICES)}")
    resolved = RECIPES[recipe].override(**overrides)
    variant = dict(VARIANT_SETTINGS.get(resolved.recipe, {}).get(variant_of(resolved), {}))
    epochs = VARIANT_EPOCHS.get(resolved.recipe, {}).get(variant_of(resolved))
    if epochs is not None:
        variant["epochs"] = epochs
    untold = {key: value for key, value in variant.items() if overrides.get(key) is None}
    return resolved.override(**untold) if untold else resolved
