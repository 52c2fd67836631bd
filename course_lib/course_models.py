"""The classification and hint models that notebooks 07 and 08 read, trained like notebook 04's MSE model.

Notebook 07 compares the MSE model of notebook 04 (``runs/course``) with a classification model
(``runs/cls``); notebook 08 compares it with a hint model (``runs/hints``). A comparison says
something about the loss or the hints only when the models differ in nothing else, so the
course's full run (``run-notebooks`` without ``--fast``) trains the two models, before the
notebook that reads them, with the **MSE model's own recipe, encoder weights, resolution and
network size**, and the recipe's own epochs for that variant (``recipes.VARIANT_EPOCHS``: the
``cpu`` recipe's classification head 75, its hint model 90). A model already there is reused
(a finished run) or continued (an interrupted one); a run made with other settings is never
overwritten: the run stops and says how to set it aside.

Each model is trained by the ``train`` command in a child process, the command a learner would
type, printed before it runs; the child's memory is freed before the notebook starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from course_lib import config
from course_lib.errors import CourseError
from course_lib.recipes import TrainSettings, resolve_settings

#: Run folder (under ``config.runs_dir()``) of each variant; notebooks 07, 08 and 09 read these names.
VARIANT_RUNS = {"classification": "cls", "hints": "hints", "adversarial": "adv"}
#: Notebook number -> the variants it reads (09 also reads the judge, :data:`JUDGE_RUN`).
NOTEBOOK_MODELS = {"07": ("classification",), "08": ("hints",), "09": ("classification", "adversarial")}
#: Run folder of notebook 09's judge: the category classifier trained on real photos (``train-classifier``).
JUDGE_RUN = "judge"


def variant_run_dir(variant: str, fast: bool | None = None) -> Path:
    """``runs/cls``, ``runs/hints`` or ``runs/adv`` (``-fast`` appended in fast mode, as the notebooks read them)."""
    fast = config.fast_mode() if fast is None else fast
    return config.runs_dir() / (VARIANT_RUNS[variant] + ("-fast" if fast else ""))


def judge_run_dir(fast: bool | None = None) -> Path:
    """``runs/judge`` (``runs/judge-fast`` in fast mode): notebook 09's category classifier."""
    fast = config.fast_mode() if fast is None else fast
    return config.runs_dir() / (JUDGE_RUN + ("-fast" if fast else ""))


def run_settings(run_dir: Path) -> TrainSettings | None:
    """The settings a run folder was trained with (``checkpoints/state.json``), None without one.

    Raises
    ------
    CourseError
        The file is there but unreadable.
    """
    state_path = Path(run_dir) / "checkpoints" / "state.json"
    if not state_path.is_file():
        return None
    try:
        return TrainSettings.from_dict(json.loads(state_path.read_text())["settings"])
    except (OSError, ValueError, KeyError) as exc:
        raise CourseError(f"cannot read the settings of the run in {run_dir} ({exc}); "
                          "move that folder aside and run again") from None


def variant_settings(mse: TrainSettings, variant: str) -> TrainSettings:
    """The settings of the ``variant`` model compared with the MSE model trained with ``mse``.

    The same recipe, encoder weights, resolution, encoder depth and decoder; the recipe's own
    epochs (and other settings) for the variant (:func:`course_lib.recipes.resolve_settings`).
    """
    extra = {"head": "classification"} if variant == "classification" else {"hints": True}
    return resolve_settings(mse.recipe, weights=mse.weights, image_size=mse.image_size,
                            encoder_blocks=mse.encoder_blocks, decoder=mse.decoder,
                            decoder_width=mse.decoder_width, **extra)


def train_command(settings: TrainSettings, data_dir, out_dir, *, resume: bool) -> list[str]:
    """The ``python -m course_lib train`` command line that trains ``settings`` into ``out_dir``."""
    command = [sys.executable, "-m", "course_lib", "train", "--recipe", settings.recipe,
               "--weights", settings.weights or "none", "--image-size", str(settings.image_size),
               "--encoder-blocks", str(settings.encoder_blocks), "--decoder", settings.decoder,
               "--decoder-width", str(settings.decoder_width), "--data", str(data_dir), "--out", str(out_dir)]
    if settings.head == "classification":
        command += ["--head", "classification"]
    if settings.hints:
        command += ["--hints"]
    return command + (["--resume"] if resume else [])


def adversarial_command(mse_dir, data_dir, out_dir, *, resume: bool) -> list[str]:
    """``train --adversarial --init-from MSE_DIR``: the generator starts from the MSE model (NoGAN), and
    the adversarial settings are its recipe's (:func:`course_lib.adversarial.recipe_adversarial_settings`)."""
    command = [sys.executable, "-m", "course_lib", "train", "--adversarial", "--init-from", str(mse_dir),
               "--data", str(data_dir), "--out", str(out_dir)]
    return command + (["--resume"] if resume else [])


def judge_command(data_dir, out_dir, recipe: str | None = None) -> list[str]:
    """``train-classifier``: notebook 09's judge, with its default settings (chosen on validation); for
    the tiny models of the ``fast`` recipe, the tiny stand-in (:data:`course_lib.semantic.FAST_JUDGE_SETTINGS`)."""
    command = [sys.executable, "-m", "course_lib", "train-classifier", "--data", str(data_dir), "--out", str(out_dir)]
    if recipe == "fast":
        from course_lib.semantic import FAST_JUDGE_SETTINGS

        command += ["--epochs", str(FAST_JUDGE_SETTINGS.epochs), "--width", str(FAST_JUDGE_SETTINGS.width)]
    return command


def describe(settings: TrainSettings) -> str:
    """One line naming what decides a comparison: recipe, resolution, weights, epochs."""
    epochs = f"{settings.epochs} epochs" + (f" + {settings.fine_tune_epochs} fine-tuning"
                                            if settings.pretrained and settings.fine_tune_epochs else "")
    return (f"recipe {settings.recipe}, {settings.image_size} px, VGG blocks 1-{settings.encoder_blocks}, "
            f"weights {settings.weights or 'none (random encoder)'}, {epochs}")


def _train(settings: TrainSettings, data_dir, out_dir: Path, what: str, command: list[str] | None = None) -> None:
    if command is None:
        command = train_command(settings, data_dir, out_dir, resume=(out_dir / "checkpoints" / "state.json").is_file())
    print(f"run-notebooks: {what} ({describe(settings)}):\n  {' '.join(command[1:])}", flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise CourseError(f"training {what} into {out_dir} failed (its error is printed above). If that folder "
                          "holds a run with other settings, rename it (nothing is deleted) and run again.")


def prepare_models(notebook: str, data_dir, *, recipe: str = "auto") -> list[Path]:
    """Train, continue or reuse the models notebook ``notebook`` reads (none for most notebooks).

    The MSE model (``config.course_run_dir()``) is notebook 04's; when it is missing (e.g.
    ``run-notebooks --only 07``) it is trained first with ``recipe`` and the recipe's own weights,
    as notebook 04 would. The other models copy its settings (:func:`variant_settings`).

    Returns
    -------
    list of Path
        The run folders of the models the notebook compares, the MSE model's first.

    Raises
    ------
    CourseError
        A training run failed, or a run folder holds a run with other settings.
    """
    variants = NOTEBOOK_MODELS.get(notebook, ())
    if not variants:
        return []
    mse_dir = config.course_run_dir(fast=False)
    if not (mse_dir / "model.keras").is_file():
        from course_lib.environment import weights_for_recipe

        wanted = resolve_settings(recipe)
        _train(wanted.override(weights=weights_for_recipe(wanted.weights)), data_dir, mse_dir,
               f"notebook 04's MSE model, missing, for notebook {notebook}")
    mse = run_settings(mse_dir)
    if mse is None:
        raise CourseError(f"{mse_dir} has a model but no checkpoints/state.json, so its recipe is unknown: "
                          "retrain it with notebook 04 or `python -m course_lib train`")
    runs = [mse_dir]
    for variant in variants:
        run_dir = variant_run_dir(variant, fast=False)
        # A finished run with these settings is reused, an interrupted one continued, one with other
        # settings refused: the train command decides (resume), as for a learner.
        if variant == "adversarial":  # fine-tunes the MSE model itself: its settings are the MSE model's
            resume = (run_dir / "checkpoints" / "state.json").is_file()
            _train(mse, data_dir, run_dir, f"the adversarial model for notebook {notebook}, from {mse_dir.name}",
                   adversarial_command(mse_dir, data_dir, run_dir, resume=resume))
        else:
            _train(variant_settings(mse, variant), data_dir, run_dir,
                   f"the {variant} model for notebook {notebook}, like {mse_dir.name}")
        runs.append(run_dir)
    if notebook == "09":
        judge = judge_run_dir(fast=False)
        if (judge / "classifier.keras").is_file():
            print(f"run-notebooks: notebook 09's judge, reused: {judge}", flush=True)
        else:
            command = judge_command(data_dir, judge, recipe=mse.recipe)
            print(f"run-notebooks: notebook 09's judge (a category classifier on real photos):\n  "
                  f"{' '.join(command[1:])}", flush=True)
            if subprocess.run(command, check=False).returncode != 0:
                raise CourseError(f"training the judge into {judge} failed (its error is printed above)")
        runs.append(judge)
    return runs


def compare_runs(mse_dir: Path, other_dir: Path) -> str:
    """Two lines: how each model was trained, and whether they were trained alike (recipe, weights, size)."""
    mse, other = run_settings(mse_dir), run_settings(other_dir)
    if mse is None or other is None:
        missing = mse_dir if mse is None else other_dir
        return f"!! the recipe of {missing} is unknown (no checkpoints/state.json): the comparison may not be like for like"
    lines = [f"MSE model      {mse_dir}: {describe(mse)}", f"compared with  {other_dir}: {describe(other)}"]
    differ = [name for name in ("recipe", "weights", "image_size", "encoder_blocks", "decoder", "decoder_width")
              if getattr(mse, name) != getattr(other, name)]
    lines.append("trained alike (same recipe, weights and network), each with its recipe's own epochs" if not differ
                 else f"!! NOT LIKE FOR LIKE: they differ in {', '.join(differ)}; the comparison mixes those "
                      "effects with the one it is about")
    return "\n".join(lines)


#: The recorded benchmark results (``benchmarks/results/*.json``), in a checkout of the course.
RESULTS_DIR = config.REPO_ROOT / "benchmarks" / "results"


def recorded_results(name: str) -> dict:
    """``benchmarks/results/<name>.json``: figures of a full run, as recorded.

    Raises
    ------
    CourseError
        The file is missing (not a checkout of the course) or unreadable.
    """
    path = RESULTS_DIR / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CourseError(f"the recorded results {path} cannot be read ({exc}): run from a checkout "
                          "of the course") from None


def recorded_header(results: dict) -> str:
    """How a recorded result was measured: what, when, at which commit; and why it may be stale."""
    text = (f"RECORDED FULL RUN (not this kernel's): {results['what']}; measured {results['measured']}, "
            f"commit {results['commit']}")
    return text + (f"\n  stale: {results['stale']}" if results.get("stale") else "")
