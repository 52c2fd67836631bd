"""A rerun never destroys a run: ``train(resume="auto")``, ``set_aside_run``, and the notebooks that train.

Running a notebook again from the top (Colab's *Run all* after a lost runtime) must continue the
run in its folder, or reuse it when it is finished; training starts over only when the learner
asks by name (``RETRAIN = True``), and even then the old run is kept under another name.
"""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import jupytext
import pytest

from course_lib import train as train_module
from course_lib.train import set_aside_run, train
from conftest import REPO_ROOT

TINY = dict(image_size=32, encoder_blocks=2, decoder_width=8, batch_size=4, epochs=3, verbose=0, weights=None)
SOURCES = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


def _log_rows(run: Path) -> list[dict]:
    with open(run / "log.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_resume_auto_starts_continues_then_reuses_a_finished_run(tiny_data, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    assert not train_module.run_is_finished(run)  # no run at all
    first = train(tiny_data, run, resume="auto", stop_after=2, **TINY)  # nothing there yet: a new run
    assert first.epochs_done == 2 and [row["epoch"] for row in _log_rows(run)] == ["0", "1"]
    assert not train_module.run_is_finished(run)  # 2 of 3 epochs

    second = train(tiny_data, run, resume="auto", **TINY)  # what "Run all" does after a disconnect
    assert second.epochs_done == 3 and [row["epoch"] for row in _log_rows(run)] == ["0", "1", "2"]
    assert "resuming it" in capsys.readouterr().out
    assert train_module.run_is_finished(run)
    (run / "model.keras").rename(run / "kept.keras")
    assert not train_module.run_is_finished(run)  # every epoch, but no model
    (run / "kept.keras").rename(run / "model.keras")

    learners_file = run / "my_notes.txt"
    learners_file.write_text("mine")
    rows, model_bytes = _log_rows(run), (run / "model.keras").read_bytes()
    # A finished run is reused as it is: no data is even loaded, nothing is written.
    monkeypatch.setattr(train_module, "prepare_data", lambda *a, **k: pytest.fail("a finished run loaded its data"))
    third = train(tiny_data, run, resume="auto", **TINY)
    assert "nothing left to train" in capsys.readouterr().out
    assert third.epochs_done == 3 and third.best_val_psnr == second.best_val_psnr
    assert third.history == second.history and third.model_path == run / "model.keras"
    assert _log_rows(run) == rows and (run / "model.keras").read_bytes() == model_bytes
    assert learners_file.read_text() == "mine"


def test_resume_auto_refuses_a_run_with_other_settings_and_says_how_to_start_over(tiny_data, tmp_path):
    from course_lib.errors import CourseError

    run = tmp_path / "run"
    train(tiny_data, run, resume="auto", stop_after=1, **TINY)
    with pytest.raises(CourseError, match="RETRAIN = True"):
        train(tiny_data, run, resume="auto", **{**TINY, "image_size": 48})
    assert json.loads((run / "checkpoints" / "state.json").read_text())["epochs_done"] == 1  # untouched
    with pytest.raises(CourseError, match="resume must be"):
        train(tiny_data, run, resume="yes", **TINY)


def test_set_aside_run_renames_and_keeps_everything(tmp_path, capsys):
    run = tmp_path / "course"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "state.json").write_text("{}")
    (run / "my_notes.txt").write_text("mine")
    aside = set_aside_run(run)
    assert not run.exists() and aside.parent == tmp_path and aside.name.startswith("course-set-aside-")
    assert (aside / "my_notes.txt").read_text() == "mine" and (aside / "checkpoints" / "state.json").is_file()
    assert str(aside) in capsys.readouterr().out
    assert set_aside_run(tmp_path / "never-made") is None


# ----------------------------------------------------------- the notebooks' sources
def _code_cells(source: Path):
    for cell in jupytext.read(source).cells:
        if cell.cell_type == "code":
            yield cell, ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith(("!", "%"))))


def _temporary_names(trees) -> set[str]:
    """Names bound to a ``tempfile`` folder, or to a path built from one (``DEMO_DIR = Path(tmp.name) / "run"``)."""
    bindings = []
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                bindings += [(target, node.value) for target in node.targets]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                bindings.append((node.optional_vars, node.context_expr))
    names, grown = set(), True
    while grown:
        grown = False
        for target, value in bindings:
            used = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
            if isinstance(target, ast.Name) and target.id not in names and ("tempfile" in used or used & names):
                names.add(target.id)
                grown = True
    return names


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_notebooks_never_delete_and_continue_their_runs(source):
    assert "rmtree" not in source.read_text(encoding="utf-8"), f"{source.name} deletes a folder"
    trees = [tree for _, tree in _code_cells(source)]
    temporary = _temporary_names(trees)
    for tree in trees:
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and ast.unparse(call.func) == "train.train"):
                continue
            resume = next((k.value for k in call.keywords if k.arg == "resume"), None)
            out_dir = call.args[1] if len(call.args) > 1 else None
            into_temporary = out_dir is not None and {n.id for n in ast.walk(out_dir) if isinstance(n, ast.Name)} & temporary
            is_auto = isinstance(resume, ast.Constant) and resume.value == "auto"
            assert is_auto or into_temporary, (
                f"{source.name}: {ast.unparse(call)[:100]}... trains into a run folder without resume=\"auto\": "
                "a rerun would refuse it, or start the learner's run over")


def test_temporary_name_finder_follows_paths_built_from_a_temporary_folder():
    tree = ast.parse("tmp = tempfile.TemporaryDirectory()\nDEMO = Path(tmp.name) / 'run'\nRUN = config.course_run_dir()")
    assert _temporary_names([tree]) == {"tmp", "DEMO"}


@pytest.mark.slow
@pytest.mark.solved_notebooks("04")
def test_notebook_04_run_twice_keeps_the_learners_file_and_the_first_runs_history(solved_runs, tmp_path):
    """Run all, a file of the learner's in the run folder, Run all again: nothing is lost.

    The first Run all is the session's run of the solved notebook 04 (tests/conftest.py, solved_runs),
    which also grades it; this test makes the second, in the same runs folder, once every solved run
    of the session is done (they run in the background, and 05-09 write there too).
    """
    from course_lib.course.runner import execute_notebook

    solved_runs.wait_all()
    first = solved_runs.result("04")
    assert first.error is None and first.cells_with_errors == 0
    runs = solved_runs.runs
    run_dir = runs / "course-fast"
    first_rows = _log_rows(run_dir)
    first_state = json.loads((run_dir / "checkpoints" / "state.json").read_text())
    assert first_rows and first_state["epochs_done"] == len(first_rows)
    notes = run_dir / "my_notes.txt"
    notes.write_text("the learner's own notes")
    folders = sorted(p.name for p in runs.iterdir())
    assert "course-fast" in folders

    try:
        second = execute_notebook(solved_runs.path("04"), fast=True, env=solved_runs.env,
                                  out_path=tmp_path / "second.ipynb")
        assert notes.read_text() == "the learner's own notes"
    finally:
        notes.unlink(missing_ok=True)  # the session's later solved runs see the run folder as 04 left it
    assert _log_rows(run_dir) == first_rows
    assert json.loads((run_dir / "checkpoints" / "state.json").read_text())["history"] == first_state["history"]
    assert sorted(p.name for p in runs.iterdir()) == folders  # no demo folder, nothing set aside
    reused = "".join(output.get("text", "") for cell in second.cells if cell.get("id") == "c25b"
                     for output in cell.outputs)
    assert "nothing left to train" in reused
