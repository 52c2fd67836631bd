"""Colorizer: one object for a trained run (its model and decoding), and the one way a run is loaded.

Tiny runs are trained once for the module (1 epoch, 32 px, sample data), the classification one's
decoding is then set to one that no default has, so that any entry point that drops it shows.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib import cli, inference
from course_lib.colorizer import Colorizer, colorize_files
from course_lib.errors import CourseError, ModelFileError

REPO = Path(__file__).resolve().parent.parent
TINY = dict(recipe="fast", weights=None, image_size=32, encoder_blocks=2, decoder_width=8, batch_size=4, epochs=1,
            verbose=0)
#: The classification run's decoding, set after training: neither Zhang et al.'s 0.38 nor guided upsampling.
RUN_T, RUN_UPSAMPLING = 0.7, "bilinear"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


@pytest.fixture(scope="module")
def regression_run(tiny_data, tmp_path_factory):
    from course_lib.train import train

    run = tmp_path_factory.mktemp("runs") / "regression"
    train(tiny_data, run, **TINY)
    return run


@pytest.fixture(scope="module")
def classification_run(tiny_data, tmp_path_factory):
    from course_lib.classification import RUN_FILE
    from course_lib.train import train

    run = tmp_path_factory.mktemp("runs") / "classification"
    train(tiny_data, run, head="classification", **TINY)
    info = json.loads((run / RUN_FILE).read_text())
    info.update(temperature=RUN_T, upsampling=RUN_UPSAMPLING, temperature_rule="set by the test")
    (run / RUN_FILE).write_text(json.dumps(info))
    return run


def _photo(height=44, width=58, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width, y / height, 0.5 + 0.4 * np.sin(x / 7.0)], axis=-1) * 230 + rng.normal(0, 6, (height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- a run, loaded
def test_load_a_trained_run_carries_its_settings(regression_run):
    colorizer = Colorizer.load(regression_run)
    assert (colorizer.head, colorizer.takes_hints, colorizer.image_size) == ("regression", False, 32)
    assert (colorizer.recipe, colorizer.run_dir) == ("fast", regression_run)
    assert colorizer.temperature is None and colorizer.upsampling == "guided"
    text = repr(colorizer)
    assert all(part in text for part in ("regression", "32 px", "recipe fast", str(regression_run), "no hints"))
    by_file = Colorizer.load(regression_run / "model.keras")
    assert (by_file.run_dir, by_file.recipe, by_file.image_size) == (regression_run, "fast", 32)

    photo = _photo()
    out = colorizer.colorize(photo)
    assert out.shape == photo.shape and out.dtype == np.uint8
    # The same numbers as the full-resolution maths with the model itself, by every form of call.
    np.testing.assert_array_equal(out, inference.colorize_image(colorizer.model, photo))
    np.testing.assert_array_equal(colorizer(photo), out)
    np.testing.assert_array_equal(by_file.colorize(photo), out)
    np.testing.assert_array_equal(colorizer.colorize_many([photo, photo[:20]], progress=False)[0], out)
    assert colorizer.colorize(photo[..., 0]).shape == photo.shape  # a gray (H, W) photo
    assert colorizer.predict_ab([photo]).shape == (1, 32, 32, 2)


def test_a_classification_run_keeps_its_decoding_through_every_entry_point(classification_run, tiny_data, tmp_path):
    from course_lib.evaluate import evaluate_colorizer, hint_colorize_fn, select_records
    from course_lib.hint_widget import HintExplorer, shrink

    colorizer = Colorizer.load(classification_run)
    assert (colorizer.head, colorizer.temperature, colorizer.upsampling) == ("classification", RUN_T, RUN_UPSAMPLING)
    assert "run.json" in colorizer.decoding_source and f"T={RUN_T:g}" in repr(colorizer)
    photo = _photo()
    expected = inference.colorize_image(colorizer.model, photo, temperature=RUN_T, upsampling=RUN_UPSAMPLING)
    # The test can tell: the defaults (T = 0.38, guided) colour this photo otherwise.
    assert not np.array_equal(expected, inference.colorize_image(colorizer.model, photo))

    np.testing.assert_array_equal(colorizer.colorize(photo), expected)
    np.testing.assert_array_equal(Colorizer.load(classification_run / "model.keras").colorize(photo), expected)
    np.testing.assert_array_equal(Colorizer.from_model(colorizer.model, classification_run).colorize(photo), expected)
    np.testing.assert_array_equal(hint_colorize_fn(colorizer, 0)(photo), expected)
    small = shrink(_photo(60, 400))  # the widget shows (and colorizes) the photo shrunk for display
    assert np.array_equal(HintExplorer(colorizer, small).result, colorizer.colorize(small))

    # The colorize command and colorize_files, by run folder, model file and Colorizer: the same PNG.
    source = tmp_path / "photo.png"
    Image.fromarray(photo).save(source)
    for model_arg in (classification_run, classification_run / "model.keras"):
        out = tmp_path / f"cli_{Path(model_arg).name}"
        assert cli.main(["colorize", "--model", str(model_arg), str(source), "--out", str(out)]) == 0
        np.testing.assert_array_equal(np.asarray(Image.open(out / "photo_color.png")), expected)
    written = colorize_files(colorizer, [source], tmp_path / "files", progress=False)
    np.testing.assert_array_equal(np.asarray(Image.open(written[0])), expected)

    # The evaluate command: its label names the run's T, its figures are the Colorizer's.
    report = tmp_path / "eval.json"
    assert cli.main(["evaluate", "--model", str(classification_run), "--data", str(tiny_data), "--split", "all",
                     "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert f"annealed mean T={RUN_T:g}" in result["model"]
    direct = evaluate_colorizer(colorizer, select_records(tiny_data, "all"), progress=False).to_dict()
    assert result["dataset_image_mean"] == direct["dataset_image_mean"]

    # Given decodings win, and say so; a model in memory without its run says where its T comes from.
    given = Colorizer.load(classification_run, temperature=1.0)
    assert (given.temperature, given.decoding_source, given.upsampling) == (1.0, "given", RUN_UPSAMPLING)
    bare = Colorizer.from_model(colorizer.model)
    assert bare.temperature == 0.38 and "no run.json" in bare.decoding_source and bare.run_dir is None


def test_a_bare_keras_model_is_refused_where_it_would_lose_its_decoding(classification_run, tmp_path):
    from course_lib.evaluate import hint_colorize_fn
    from course_lib.hint_widget import HintExplorer

    model = Colorizer.load(classification_run).model
    with pytest.raises(CourseError, match="Colorizer.from_model"):
        colorize_files(model, [tmp_path], tmp_path / "out", progress=False)
    with pytest.raises(CourseError, match="Colorizer.load"):
        hint_colorize_fn(model, 3)
    with pytest.raises(CourseError, match="Colorizer.load"):
        HintExplorer(model, _photo())
    with pytest.raises(CourseError, match="Colorizer.load"):
        Colorizer.from_model(classification_run)  # a path: that is what load is for


# ----------------------------------------------------------------------------- hints
def test_user_hints_reach_a_hint_model_and_are_refused_by_an_automatic_one():
    from course_lib.hints import user_hint_map
    from course_lib.model import build_colorizer

    hint_model = build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8, hints=True)
    colorizer = Colorizer.from_model(hint_model)
    assert colorizer.takes_hints and "takes hints" in repr(colorizer) and "a model in memory" in repr(colorizer)
    photo, points = _photo(), [(20, 10, (200, 30, 30))]
    expected = inference.colorize_image(hint_model, photo, hint_map=user_hint_map(points, photo.shape, 32))
    np.testing.assert_array_equal(colorizer.colorize(photo, hints=points), expected)
    with pytest.raises(CourseError, match="not both"):
        colorizer.colorize(photo, hints=points, hint_map=np.zeros((32, 32, 3), np.float32))
    automatic = Colorizer.from_model(build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8))
    with pytest.raises(CourseError, match="train --hints"):
        automatic.colorize(photo, hints=points)


# ----------------------------------------------------------------------------- bad input
def test_bad_folders_and_files_are_course_errors_that_say_what_to_do(tmp_path, regression_run, capsys):
    with pytest.raises(ModelFileError, match="model file not found"):
        Colorizer.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="no model.keras in .*run folder"):
        Colorizer.load(tmp_path / "empty")
    stopped = tmp_path / "stopped"
    (stopped / "checkpoints").mkdir(parents=True)
    (stopped / "checkpoints" / "state.json").write_text("{}")
    with pytest.raises(ModelFileError, match="--resume"):
        Colorizer.load(stopped)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.keras").write_bytes(b"not a zip archive at all")
    with pytest.raises(ModelFileError, match="could not load the model"):
        Colorizer.load(broken)
    damaged_run = tmp_path / "damaged_run"
    damaged_run.mkdir()
    shutil.copy(regression_run / "model.keras", damaged_run / "model.keras")
    (damaged_run / "run.json").write_text("{ half a file")
    with pytest.raises(ModelFileError, match="run.json.*restore it"):
        Colorizer.load(damaged_run)
    (damaged_run / "run.json").write_text("[1, 2]")
    with pytest.raises(ModelFileError, match="not a run file"):
        Colorizer.load(damaged_run)
    with pytest.raises(CourseError, match="temperature must be >= 0"):
        Colorizer.from_model(Colorizer.load(regression_run).model, temperature=-1)  # checked for any head
    # On the command line: one line, exit 2.
    capsys.readouterr()
    assert cli.main(["colorize", "--model", str(tmp_path / "empty"), str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no model.keras") and err.count("\n") == 1


def test_a_bug_while_loading_keeps_its_traceback(regression_run, monkeypatch):
    import keras

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the loader")

    monkeypatch.setattr(keras.models, "load_model", broken)
    with pytest.raises(RuntimeError, match="a bug in the loader"):
        Colorizer.load(regression_run)


# ----------------------------------------------------------------------------- the one way to load
#: Loading a model file: keras' load_model, and course_lib.model.load_colorizer which wraps it.
LOADERS = ("load_model", "load_colorizer")
#: (file, enclosing function) -> why it may load a model file without Colorizer.load.
ALLOWED = {
    ("course_lib/model.py", "load_colorizer"): "the file loader itself, which Colorizer.load calls",
    ("course_lib/colorizer.py", "Colorizer.load"): "the one way to load a run for inference",
    ("course_lib/train.py", "_build_or_restore"): "training resumes from its own checkpoint",
    ("course_lib/adversarial.py", "_restore_checkpoints"): "adversarial training resumes from its own checkpoints",
    ("course_lib/semantic.py", "CategoryClassifier.load"): "a category classifier, not a colorizer",
    ("course_lib/checks/training.py", "_saved_mark"): "notebook 04's KeepBest check reads back the tiny marker "
                                                       "model the learner's callback saved, not a colorizer",
    ("course_lib/train.py", "write_classification_run_file"): "chooses the decoding that run.json will hold, "
                                                               "before any Colorizer can read it",
    ("course_lib/train.py", "write_regression_run_file"): "chooses the upsampling that run.json will hold, "
                                                           "before any Colorizer can read it",
}


def model_loads(source: str) -> list[tuple[str, int]]:
    """``(enclosing function, line)`` of every call or import of a model-file loader in ``source``."""
    found: list[tuple[str, int]] = []

    def visit(node, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, [*scope, child.name])
                continue
            name = None
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            elif isinstance(child, ast.ImportFrom):
                name = next((alias.name for alias in child.names if alias.name in LOADERS), None)
            if name in LOADERS:
                found.append((".".join(scope) or "<module>", child.lineno))
            visit(child, scope)

    visit(ast.parse(source), [])
    return found


def test_the_finder_finds_every_form_of_loading():
    source = ("import keras\nfrom keras.models import load_model\n"
              "def a():\n    return keras.models.load_model('m.keras')\n"
              "class B:\n    def c(self):\n        return load_colorizer('RUN')\n"
              "x = keras.saving.load_model('m.keras')\n")
    assert model_loads(source) == [("<module>", 2), ("a", 4), ("B.c", 7), ("<module>", 8)]
    assert model_loads("from course_lib.colorizer import Colorizer\nc = Colorizer.load('RUN')\n") == []


def test_colorizer_load_is_the_one_way_a_model_is_loaded():
    """The commands, widgets, notebooks, benchmarks and scripts load a run with Colorizer.load alone."""
    files = [*sorted((REPO / "course_lib").rglob("*.py")), *sorted((REPO / "notebooks").glob("[0-9]*.py")),
             *sorted((REPO / "benchmarks").glob("*.py")), *sorted((REPO / "scripts").glob("*.py"))]
    assert len(files) > 40 and any(path.name == "colorizer.py" for path in files)
    elsewhere, seen = [], set()
    for path in files:
        relative = path.relative_to(REPO).as_posix()
        for scope, line in model_loads(path.read_text(encoding="utf-8")):
            seen.add((relative, scope))
            if (relative, scope) not in ALLOWED:
                elsewhere.append(f"{relative}:{line} in {scope}")
    assert not elsewhere, ("these load a model file themselves; load a run with course_lib.colorizer.Colorizer.load "
                           f"(a model in memory: Colorizer.from_model): {elsewhere}")
    assert set(ALLOWED) <= seen, f"stale exceptions (remove them): {set(ALLOWED) - seen}"
