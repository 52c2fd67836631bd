"""A trained colorizer: a run's model together with what it takes to use it, and the ``colorize`` command.

A run folder (``train --out``) holds more than the model::

    RUN_DIR/model.keras               the model (architecture + weights)
    RUN_DIR/checkpoints/state.json    the training settings (the recipe it started from ...)
    RUN_DIR/run.json                  a classification run's decoding, chosen on the validation
                                      split (the annealed mean's temperature, and how its ab is
                                      upsampled to the photo); an adversarial run's upsampling

:meth:`Colorizer.load` reads all three, so the ``colorize`` and ``evaluate`` commands, the
widgets and the notebooks decode a run the same way; :meth:`Colorizer.from_model` does the
same for a model already in memory (e.g. one a notebook has just trained)::

    from course_lib.colorizer import Colorizer
    colorizer = Colorizer.load("runs/course")        # RUN_DIR, or RUN_DIR/model.keras
    colorizer                                          # says what it is: head, decoding, size, recipe
    rgb = colorizer.colorize(photo)                    # RGB uint8 at the photo's full resolution
    rgb = colorizer.colorize(photo, hints=[(30, 20, (208, 32, 32))])   # a hint model (notebook 08)

A colorizer is also a function from a photo to its colorization, the form
:func:`course_lib.evaluate.evaluate_colorizer` takes. The maths (full-resolution
recombination, guided upsampling, the mirror-image average) is in :mod:`course_lib.inference`.

From the command line::

    python -m course_lib colorize --model runs/course photo.jpg scans/ --out colorized/
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from course_lib.errors import CourseError, DataNotFoundError, ModelFileError, describe_exception

#: The model file of a run folder.
MODEL_FILE = "model.keras"
#: The training state of a run folder (its settings: recipe, head, ...), relative to the run folder.
STATE_FILE = Path("checkpoints") / "state.json"


@dataclass(frozen=True, repr=False, eq=False)
class Colorizer:
    """A Keras colorizer and what decoding it needs; make one with :meth:`load` or :meth:`from_model`.

    Attributes
    ----------
    model : keras.Model
        ``L_norm (B, S, S, 1)`` (a hint model: ``(B, S, S, 4)``) -> ``ab_norm`` or logits over ab bins;
        computing in float32.
    head : "regression" or "classification"
        ``"classification"`` (Zhang et al. 2016): the output is decoded with the annealed mean.
    takes_hints : bool
        A hint model (``train --hints``, notebook 08): it also takes user hints.
    image_size : int
        The square side ``S`` the model works at (photos are colorized at their own size).
    temperature : float or None
        Classification: the annealed mean's T (0: the mode, 1: the mean); None for regression.
    decoding_source : str
        Where the decoding comes from (the run's ``run.json`` and its rule, given, or the default).
    upsampling : "guided" or "bilinear"
        How the predicted ab reaches the photo's size (:func:`course_lib.inference.upsample_ab`).
    recipe : str or None
        The recipe the run started from (``checkpoints/state.json``); None when unknown.
    run_dir : Path or None
        The run folder; None for a model in memory given without one.
    """

    model: object
    head: str
    takes_hints: bool
    image_size: int
    temperature: float | None
    decoding_source: str
    upsampling: str
    recipe: str | None
    run_dir: Path | None

    # ------------------------------------------------------------------ making one
    @classmethod
    def load(cls, path, temperature: float | None = None) -> "Colorizer":
        """The colorizer of a run folder (or of its ``model.keras``, or of any ``.keras`` colorizer file).

        Parameters
        ----------
        path : str or Path
            ``RUN_DIR`` (what ``train --out`` made) or a ``.keras`` file; the run's ``run.json`` and
            ``checkpoints/state.json`` are read from the folder that holds it.
        temperature : float, optional
            Classification runs: decode at this T instead of the run's own (``run.json``).

        Returns
        -------
        Colorizer
            Computing in float32, also for a model trained with mixed precision.

        Raises
        ------
        ModelFileError
            No such folder or file, a folder that holds no ``model.keras``, or a file that is not a
            colorizer this course wrote (damaged, another program's); an unreadable ``run.json`` or
            ``checkpoints/state.json``. Any other exception is a bug and keeps its traceback.
        CourseError
            A negative temperature.
        """
        from course_lib.model import load_colorizer

        model_path = model_file(path)
        return cls.from_model(load_colorizer(model_path), model_path.parent, temperature=temperature)

    @classmethod
    def from_model(cls, model, run_dir=None, *, temperature: float | None = None,
                   upsampling: str | None = None) -> "Colorizer":
        """A colorizer around a Keras model already in memory.

        Parameters
        ----------
        model : keras.Model
            A colorizer (:func:`course_lib.model.build_colorizer`, or one ``train`` wrote).
        run_dir : str or Path, optional
            The run it belongs to (e.g. ``train(...).run_dir``): its decoding (``run.json``) and
            recipe are read from there, as :meth:`load` does, so the model does not lose them.
        temperature : float, optional
            Classification models: decode at this T; default the run's, else Zhang et al.'s 0.38.
        upsampling : "guided" or "bilinear", optional
            Default the run's choice (``run.json``), else ``"guided"``.

        Raises
        ------
        CourseError
            ``model`` is not a Keras colorizer (e.g. a path: use :meth:`load`), a negative
            temperature, an unknown upsampling.
        ModelFileError
            An unreadable ``run.json`` or ``checkpoints/state.json`` in ``run_dir``.
        """
        from course_lib import classification
        from course_lib.classification_head import is_classification_model
        from course_lib.inference import UPSAMPLINGS
        from course_lib.model import model_image_size, takes_hints

        if not hasattr(model, "predict_on_batch"):
            raise CourseError(f"Colorizer.from_model takes a Keras model, got {type(model).__name__}; "
                              "for a run folder or a .keras file use Colorizer.load(path)")
        run_dir = None if run_dir is None else Path(run_dir).expanduser()
        # Read (and so checked) here: a damaged file is the learner's to fix, with a clear message.
        run_info = _read_json(run_dir / classification.RUN_FILE) if run_dir is not None else None
        state = _read_json(run_dir / STATE_FILE) if run_dir is not None else None
        if temperature is not None:
            temperature = _checked_temperature(temperature)
        classifies = is_classification_model(model)
        if classifies:  # run.json's owner (course_lib.classification) reads its decoding
            temperature, source = classification.run_temperature(run_dir if run_info else None, temperature)
            if upsampling is None:
                upsampling = classification.run_upsampling(run_dir) if run_info else "guided"
        else:  # a regression model predicts ab itself: only its upsampling may be the run's choice
            temperature, source = None, "none: a regression model predicts ab directly"
            if upsampling is None and run_info:
                upsampling = classification.run_upsampling(run_dir)
                print(f"regression model: {upsampling} upsampling (the run's, {classification.RUN_FILE})")
        upsampling = upsampling or "guided"
        if upsampling not in UPSAMPLINGS:
            raise CourseError(f"unknown upsampling {upsampling!r}: choose one of {', '.join(UPSAMPLINGS)}")
        recipe = (state.get("settings") or {}).get("recipe") if isinstance(state, dict) else None
        colorizer = cls(model=model, head="classification" if classifies else "regression",
                        takes_hints=takes_hints(model), image_size=model_image_size(model), temperature=temperature,
                        decoding_source=source, upsampling=upsampling, recipe=recipe, run_dir=run_dir)
        if classifies:  # which decoding is part of every result: say it, as the commands always did
            print(f"classification model: annealed mean at T = {temperature:g} ({source}), {upsampling} upsampling")
        return colorizer

    # ------------------------------------------------------------------ using it
    def predict_ab(self, images: Sequence[np.ndarray], hint_maps=None, batch_size: int = 16,
                   flip_average: bool | None = None) -> np.ndarray:
        """``ab`` (LAB units) of each image at the model's resolution: ``(N, S, S, 2)`` float32.

        Decoded as this colorizer decodes (:func:`course_lib.inference.predict_ab` with its
        temperature). ``hint_maps``: a hint model's hint channels per image, ``(S, S, 3)`` or None
        (:meth:`hint_map`); an automatic model ignores them. ``flip_average``: default
        :data:`course_lib.inference.FLIP_AVERAGE`.
        """
        from course_lib import inference

        flip_average = inference.FLIP_AVERAGE if flip_average is None else flip_average
        return inference.predict_ab(self.model, images, batch_size, self.temperature, hint_maps, flip_average)

    def hint_map(self, hints, image_shape) -> np.ndarray:
        """User hints ``[(x, y, (r, g, b)), ...]`` in the photo's pixels -> the model's hint channels ``(S, S, 3)``.

        Raises
        ------
        CourseError
            This model takes no hints (train one with ``train --hints``), or a hint outside the photo.
        """
        from course_lib.hints import user_hint_map

        if not self.takes_hints:
            raise CourseError("--hint needs a hint model (train --hints); this model colorizes on its own and "
                              "takes no hints")
        return user_hint_map(hints, image_shape, self.image_size)

    def colorize(self, image: np.ndarray, hints=None, *, hint_map: np.ndarray | None = None,
                 saturation: float = 1.0) -> np.ndarray:
        """Colorize one photo at its full resolution.

        Parameters
        ----------
        image : ndarray, (H, W), (H, W, 1) or (H, W, 3), uint8 or float in [0, 1]
            A gray or colour photo; only its lightness is used.
        hints : sequence of (x, y, (r, g, b)), optional
            A hint model's user hints in the photo's pixels (:func:`course_lib.hints.parse_hint`).
        hint_map : ndarray (S, S, 3), optional
            Hint channels at the model's resolution instead (e.g. simulated ones,
            :func:`course_lib.hints.simulated_hint_map`); an automatic model ignores them.
        saturation : float
            Scales the predicted ab (0: gray, 1: as predicted).

        Returns
        -------
        ndarray of uint8, shape (H, W, 3): the input's L with the predicted colour.

        Raises
        ------
        CourseError
            Hints for a model that takes none, both ``hints`` and ``hint_map``, a bad image shape,
            a negative saturation.
        """
        from course_lib.inference import as_rgb_uint8, colorize_image

        if hints:
            if hint_map is not None:
                raise CourseError("give hints (points on the photo) or hint_map (the model's channels), not both")
            hint_map = self.hint_map(hints, as_rgb_uint8(image).shape)
        return colorize_image(self.model, image, saturation, self.temperature, hint_map, self.upsampling)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """``colorize(image)``: a colorizer is a function RGB -> RGB, as ``evaluate_colorizer`` takes."""
        return self.colorize(image)

    def colorize_many(self, images: Iterable[np.ndarray], saturation: float = 1.0, batch_size: int = 16,
                      progress: bool = True) -> list[np.ndarray]:
        """Colorize several photos, predicting in batches; each keeps its own size.

        Returns a list of RGB uint8 arrays ``(H_i, W_i, 3)``, in the input order.
        """
        from tqdm.auto import tqdm

        from course_lib.inference import recombine

        images = list(images)
        ab_small = self.predict_ab(images, batch_size=batch_size)
        return [recombine(image, ab, saturation, self.upsampling)
                for image, ab in tqdm(zip(images, ab_small), total=len(images), desc="colorize",
                                      disable=not progress)]

    def __repr__(self) -> str:
        where = f"run {str(self.run_dir)!r}" if self.run_dir is not None else "a model in memory"
        # The source's first words ("the run's default", "given", ...); the whole of it is in decoding_source.
        decoding = (f"classification (annealed mean T={self.temperature:g}: {self.decoding_source.split(' (')[0]})"
                    if self.head == "classification" else "regression")
        return (f"Colorizer({where}, recipe {self.recipe or 'unknown'}, {decoding}, {self.upsampling} upsampling, "
                f"{self.image_size} px, {'takes hints' if self.takes_hints else 'no hints'})")


# ----------------------------------------------------------------------------- run folders
def model_file(path) -> Path:
    """The model file of a run folder (``RUN_DIR/model.keras``), or ``path`` itself when it is a file.

    Raises
    ------
    ModelFileError
        Nothing at ``path``, or a folder that holds no ``model.keras``.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        if (path / MODEL_FILE).is_file():
            return path / MODEL_FILE
        hint = (" It holds checkpoints: the run stopped before its first model was saved; continue it with "
                "'python -m course_lib train ... --resume'." if (path / STATE_FILE).is_file() else
                " Is it a run folder (what 'python -m course_lib train --out RUN_DIR' makes)?")
        raise ModelFileError(f"no {MODEL_FILE} in {path}.{hint}")
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}. Give a run folder ('python -m course_lib train --out "
                             f"RUN_DIR' makes one) or its {MODEL_FILE}")
    return path


def _read_json(path: Path) -> dict | None:
    """A run's JSON file as a dict, None when there is none; a damaged one is a ModelFileError."""
    import json

    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise ModelFileError(f"could not read {path} ({describe_exception(exc)}); train writes it: restore "
                             "it from a copy of the run, or train the run again into a new folder") from exc
    if not isinstance(data, dict):
        raise ModelFileError(f"{path} is not a run file this course wrote (a JSON object); restore it from a copy "
                             "of the run, or train the run again into a new folder")
    return data


def _checked_temperature(temperature) -> float:
    """``temperature`` as a float, >= 0 and finite (a CourseError: it comes from the user)."""
    value = float(temperature)
    if not (value >= 0 and np.isfinite(value)):
        raise CourseError(f"the temperature must be >= 0 (0: the mode, 1: the mean), got {temperature}")
    return value


def as_colorizer(colorizer, what: str) -> Colorizer:
    """``colorizer`` itself, checked; a bare Keras model would lose its run's decoding, so it is refused.

    Raises
    ------
    CourseError
        Anything but a :class:`Colorizer`; the message names ``what`` needed it and how to make one.
    """
    if isinstance(colorizer, Colorizer):
        return colorizer
    raise CourseError(f"{what} takes a Colorizer, got {type(colorizer).__name__}: use Colorizer.load(RUN_DIR) for a "
                      "run, or Colorizer.from_model(model, run_dir) for a model in memory (course_lib.colorizer)")


# ----------------------------------------------------------------------------- files and CLI
def expand_inputs(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given, plus the image files directly inside any folder given.

    Raises
    ------
    DataNotFoundError
        An input that does not exist.
    CourseError
        No image at all.
    """
    from course_lib.data import IMAGE_SUFFIXES  # the file types `colorize` picks up inside a folder

    paths: list[Path] = []
    for item in inputs:
        item = Path(item).expanduser()
        if item.is_dir():
            paths.extend(sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
        elif item.is_file():
            paths.append(item)
        else:
            raise DataNotFoundError(f"input not found: {item}; give image files or folders that exist")
    if not paths:
        raise CourseError("no input images: give image files or folders that contain some")
    return paths


def _output_path(out_dir: Path, source: Path, used: set[str], suffix: str) -> Path:
    """``OUT/<stem>_color.<suffix>``, numbered when two inputs share a name."""
    name, n = f"{source.stem}_color", 1
    while name in used:
        n += 1
        name = f"{source.stem}_color{n}"
    used.add(name)
    return out_dir / f"{name}.{suffix}"


def colorize_files(
    colorizer, inputs: Iterable[str | os.PathLike], out_dir, saturation: float = 1.0, batch_size: int = 8,
    image_format: str = "png", progress: bool = True, temperature: float | None = None, hints=(),
) -> list[Path]:
    """Colorize image files into ``out_dir`` at their full resolution.

    Parameters
    ----------
    colorizer : Colorizer, or a run folder or ``.keras`` file (:meth:`Colorizer.load`)
    inputs : image files, and folders whose image files are all taken
    out_dir : folder for ``<name>_color.png`` (PNG: lossless, so the output keeps the input's L)
    temperature : float, optional
        With a path only: a classification run's T instead of its own (``run.json``).
    hints : sequence of (x, y, (r, g, b))
        A hint model's user hints in each photo's pixels (:func:`course_lib.hints.parse_hint`),
        applied to every input.

    Returns
    -------
    list of Path: the written files, in input order.

    Raises
    ------
    CourseError
        A bad format, missing inputs, hints for a model that takes none, a temperature with a
        Colorizer (load it with ``Colorizer.load(path, temperature=T)``), or any error of
        :meth:`Colorizer.load`.
    """
    from PIL import Image
    from tqdm.auto import tqdm

    from course_lib.data import load_image
    from course_lib.inference import recombine

    if image_format not in {"png", "jpg"}:
        raise CourseError(f"--format must be png or jpg, got {image_format!r}")
    if isinstance(colorizer, (str, os.PathLike)):
        colorizer = Colorizer.load(colorizer, temperature=temperature)
    else:
        colorizer = as_colorizer(colorizer, "colorize_files")
        if temperature is not None:
            raise CourseError("a temperature goes with the model it decodes: Colorizer.load(path, temperature=T)")
    if hints and not colorizer.takes_hints:
        colorizer.hint_map(hints, (1, 1, 3))  # raises: this model takes no hints
    paths = expand_inputs(inputs)
    out_dir = Path(out_dir).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    with tqdm(total=len(paths), desc="colorize", unit="img", disable=not progress) as bar:
        for start in range(0, len(paths), batch_size):  # full-res photos are big: a batch at a time
            batch_paths = paths[start : start + batch_size]
            images = [load_image(p) for p in batch_paths]
            hint_maps = [colorizer.hint_map(hints, image.shape) for image in images] if hints else None
            predicted = colorizer.predict_ab(images, hint_maps, batch_size)
            for path, image, ab in zip(batch_paths, images, predicted):
                target = _output_path(out_dir, path, used, image_format)
                options = {"quality": 95} if image_format == "jpg" else {}
                Image.fromarray(recombine(image, ab, saturation, colorizer.upsampling)).save(target, **options)
                written.append(target)
                bar.update(1)
    return written


def configure_parser(parser) -> None:
    parser.add_argument("--model", required=True, help="trained model: RUN_DIR (or RUN_DIR/model.keras)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders of images, any size/mode")
    parser.add_argument("--out", required=True, help="folder for the colorized images (<name>_color.png)")
    parser.add_argument("--saturation", type=float, default=1.0, help="scale the predicted colour (default 1.0)")
    parser.add_argument("--batch-size", type=int, default=8, help="images predicted together (default 8)")
    parser.add_argument("--format", dest="image_format", choices=("png", "jpg"), default="png",
                        help="output format (default png: lossless, keeps the input's L exactly)")
    parser.add_argument("--temperature", type=float, default=None,
                        help="classification models: the annealed mean's T (0: the mode, 1: the mean; default: "
                             "the run's, chosen on the validation split and kept in run.json)")
    parser.add_argument("--hint", dest="hints", action="append", default=[], metavar="X,Y,#RRGGBB",
                        help="hint models (train --hints; notebook 08): this colour (its ab; the photo keeps its "
                             "own L) at column X, row Y of the photo's pixels; repeat for several hints")


def run_cli(args) -> int:
    from course_lib.hints import parse_hint

    hints = [parse_hint(text) for text in args.hints]
    colorizer = Colorizer.load(args.model, temperature=args.temperature)
    written = colorize_files(colorizer, args.inputs, args.out, args.saturation, args.batch_size, args.image_format,
                             hints=hints)
    print(f"wrote {len(written)} image(s) to {Path(args.out)}")
    return 0
