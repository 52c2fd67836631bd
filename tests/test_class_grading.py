"""``grade --class``: a folder of learner folders in, one grade sheet out.

Notebooks are recognised by content under any name; other files are listed as ignored with a
reason; a looping cell costs only its exercise; a prediction counts its first answer; each learner
runs in its own working and runs folders, against the instructor's model, read-only.
"""

from __future__ import annotations

import csv
import json
import os
import shutil

import nbformat
import pytest

from course_lib import cli
from course_lib.course import class_grading, grading, solved
from conftest import REPO_ROOT

# Its tests wait out time limits (a learner's looping cell): they share one worker with the other such
# modules, whose CPU work fills their waits (tests/conftest.py, two workers).
pytestmark = pytest.mark.waits_on_time_limits

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
LEARNER_01 = NOTEBOOK_DIR / "01_lab_color_space.ipynb"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _small_notebook(*sources, metadata=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata.update({"kernelspec": KERNELSPEC, **(metadata or {})})
    return nb


def _exercise_cell(nb, name):
    """The exercise cell of ``nb`` that defines ``name``."""
    return next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []) and name in c.source)


# ------------------------------------------------------------------ recognising hand-ins (no kernel)
def test_a_course_notebook_is_recognised_by_content_whatever_its_name(tmp_path):
    nb = nbformat.read(LEARNER_01, as_version=4)
    assert nb.metadata[grading.METADATA_KEY] == {"notebook": "01"}  # the build writes it
    for name in ("Copy of 01_lab_color_space.ipynb", "01_lab_color_space (1).ipynb",
                 "alice_123456_01_lab_color_space.ipynb", "homework.ipynb"):
        assert grading.recognise(_write(nb, tmp_path / name)) == ("01", "metadata colorize_course")
    del nb.metadata[grading.METADATA_KEY]  # a copy made before the metadata existed: its header cell
    assert grading.recognise(_write(nb, tmp_path / "a.ipynb")) == ("01", "its course header")
    nb.cells = [c for c in nb.cells if "course-header" not in c.metadata.get("tags", [])]
    assert grading.recognise(_write(nb, tmp_path / "b.ipynb")) == ("01", "its exercise checks")


@pytest.mark.parametrize("name, content, reason", [
    ("notes.txt", "my notes", "not a notebook (.txt)"),
    ("broken.ipynb", '{"cells": [', "not a readable notebook"),
    ("other_course.ipynb", None, "not one of this course's"),
    ("01_lab_color_space.ipynb", None, "not one of this course's"),  # the name alone proves nothing
])
def test_anything_else_is_refused_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    if content is None:
        nb = _small_notebook("# 01 · Linear algebra\nimport numpy as np", metadata={"course": {"title": "x"}})
        nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 01 · Linear algebra"))
        nbformat.write(nb, path)
    else:
        path.write_text(content)
    with pytest.raises(grading.NotACourseNotebook, match=reason.replace("(", r"\(").replace(")", r"\)")):
        grading.recognise(path)


def test_a_learner_folder_is_sorted_into_notebooks_and_ignored_files(tmp_path):
    nb = nbformat.read(LEARNER_01, as_version=4)
    older = _write(nb, tmp_path / "alice" / "Copy of 01_lab_color_space.ipynb")
    newer = _write(nb, tmp_path / "alice" / "sub" / "01_lab_color_space (1).ipynb")
    os.utime(older, (1_000_000, 1_000_000))
    _write(nb, tmp_path / "alice" / ".ipynb_checkpoints" / "01_lab_color_space-checkpoint.ipynb")
    (tmp_path / "alice" / "notes.txt").write_text("hi")
    notebooks, ignored = class_grading.sort_submission(tmp_path / "alice")
    assert notebooks == {"01": newer}
    reasons = {i["file"]: i["reason"] for i in ignored}
    assert set(reasons) == {"Copy of 01_lab_color_space.ipynb", "notes.txt",
                            ".ipynb_checkpoints/01_lab_color_space-checkpoint.ipynb"}
    assert "graded 01_lab_color_space (1).ipynb" in reasons["Copy of 01_lab_color_space.ipynb"]


def test_class_mode_refuses_a_wrong_folder_and_options_without_class(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "nope"), "--class"]) == 2
    assert "one folder per learner" in capsys.readouterr().err
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "loose.ipynb").write_text("{}")
    assert cli.main(["grade", str(tmp_path / "subs"), "--class"]) == 2
    assert "no learner folders" in capsys.readouterr().err
    assert cli.main(["grade", str(LEARNER_01), "--csv", str(tmp_path / "g.csv")]) == 2
    assert "--csv needs --class" in capsys.readouterr().err


def test_the_instructors_model_is_copied_read_only_and_removed_when_unchanged(tmp_path):
    run = tmp_path / "runs" / "course"
    (run / "checkpoints").mkdir(parents=True)
    (run / "model.keras").write_bytes(b"model")
    (run / "checkpoints" / "last.keras").write_bytes(b"big")
    runs = class_grading.prepare_model_runs(run, fast=True)
    assert list(runs) == ["course-fast"]  # where fast-mode notebooks 05-08 look for notebook 04's model
    assert list(class_grading.prepare_model_runs(tmp_path / "runs", fast=False)) == ["course"]
    with pytest.raises(class_grading.DataNotFoundError, match="no model.keras"):
        class_grading.prepare_model_runs(tmp_path / "runs" / "course" / "checkpoints", fast=True)
    learner_runs = tmp_path / "alice" / "runs"
    copied = class_grading.copy_model_runs(runs, learner_runs)
    copy = learner_runs / "course-fast"
    assert (copy / "model.keras").read_bytes() == b"model" and not (copy / "checkpoints").exists()
    if os.geteuid() != 0:  # root writes anyway: hence a private copy, and the check below
        with pytest.raises(PermissionError):
            (copy / "model.keras").write_bytes(b"retrained")
    (learner_runs / "mine.txt").write_text("the learner's")
    assert class_grading.release_model_copy(copied) == [] and not copy.exists()
    assert (learner_runs / "mine.txt").is_file() and (run / "model.keras").read_bytes() == b"model"
    copied = class_grading.copy_model_runs(runs, learner_runs)
    (copy / "model.keras").chmod(0o644)
    (copy / "model.keras").write_bytes(b"retrained")
    assert class_grading.release_model_copy(copied) == ["model.keras"] and (copy / "model.keras").is_file()


def test_the_sheet_has_a_column_per_notebook_then_total_maximum_problems():
    report = {"notebooks": {"00": {"name": "00_welcome_and_setup", "exercises": 3},
                            "01": {"name": "01_lab_color_space", "exercises": 4}},
              "learners": [{"learner": "alice", "scores": {"00": 3, "01": 2}, "total": 5, "maximum": 7,
                            "problems": ["00: not handed in"]}]}
    assert class_grading.csv_rows(report) == [
        ["learner", "00_welcome_and_setup", "01_lab_color_space", "total", "maximum", "problems"],
        ["alice", 3, 2, 5, 7, "00: not handed in"]]


# ------------------------------------------------------------------ isolation (small notebooks, quick kernels)
def test_learners_are_isolated_and_graded_against_the_instructors_model(tmp_path, capsys, monkeypatch):
    """Two learners' notebook 05 (small stand-ins): each sees the instructor's model read-only in its own
    runs folder and a fresh working folder; what the first writes, the second never sees."""
    run = tmp_path / "instructor" / "course-fast"
    run.mkdir(parents=True)
    (run / "model.keras").write_bytes(b"the instructor's model")
    probe = ("import os, pathlib\nfrom course_lib import config\n"
             "from course_lib.checks.metrics import ex1\n"
             "runs = config.runs_dir()\n"
             "print('MODEL', (config.course_run_dir() / 'model.keras').read_bytes())\n"
             "print('SEEN', sorted(p.name for p in runs.iterdir()), sorted(os.listdir('.')))\n"
             "(runs / 'mine').mkdir(); pathlib.Path('scratch.txt').write_text('x')\n"
             "try:\n    (config.course_run_dir() / 'model.keras').write_bytes(b'retrained')\n"
             "    print('WROTE')\nexcept PermissionError:\n    print('READ-ONLY')")
    monkeypatch.setattr("course_lib.course.runner.announce_data", dict)  # no data needed
    for learner in ("ann", "ben"):
        _write(_small_notebook(probe), tmp_path / "subs" / learner / "05.ipynb")
    out = tmp_path / "graded"
    assert cli.main(["grade", str(tmp_path / "subs"), "--class", "--out", str(out), "--model-run", str(run),
                     "--json", str(tmp_path / "g.json"), "--cell-timeout", "120"]) == 0
    assert (run / "model.keras").read_bytes() == b"the instructor's model"
    for learner in ("ann", "ben"):
        executed = nbformat.read(out / learner / "05_evaluation_metrics.ipynb", as_version=4)
        text = "".join(o.get("text", "") for o in executed.cells[0].outputs)
        assert "MODEL b\"the instructor's model\"" in text
        assert "SEEN ['course-fast'] []" in text  # nothing from the other learner, an empty working folder
        assert "READ-ONLY" in text or os.geteuid() == 0  # root ignores it: then the change is reported
    report = json.loads((tmp_path / "g.json").read_text())
    assert [r["learner"] for r in report["learners"]] == ["ann", "ben"]
    for record in report["learners"]:
        assert any("changed or removed its copy of the instructor's model" in p for p in record["problems"]) == (
            os.geteuid() == 0)
    assert "[2/2]" in capsys.readouterr().out


# ------------------------------------------------------------------ done when: a class graded end to end
@pytest.fixture(scope="module")
def data_env():
    from course_lib import sources
    from conftest import _ncd_dev_copy

    return sources.kernel_env(sources.get_dataset(_ncd_dev_copy(), download=False))


@pytest.mark.slow
def test_a_class_folder_grades_to_the_expected_sheet(tmp_path, capsys, monkeypatch, data_env):
    monkeypatch.setattr("course_lib.course.runner.announce_data", lambda: data_env)
    solved_nb = solved.solved_notebook(LEARNER_01)
    subs = tmp_path / "submissions"
    _write(solved_nb, subs / "alice" / "Copy of 01_lab_color_space.ipynb")          # Colab's name, solved
    (subs / "bob").mkdir()
    shutil.copy(LEARNER_01, subs / "bob" / "01_lab_color_space (1).ipynb")                 # untouched
    looping = nbformat.from_dict(json.loads(json.dumps(solved_nb)))
    # A loop that sleeps: a busy one would take a core for the whole cell limit (test_grading interrupts a busy one).
    _exercise_cell(looping, "def gray_share").source = "import time\nwhile True: time.sleep(0.1)"
    _write(looping, subs / "carol" / "carol_123456_01_lab_color_space.ipynb")      # an LMS's bulk name
    _write(solved_nb, subs / "dave" / "01_lab_color_space.ipynb")
    (subs / "dave" / "notes.txt").write_text("my notes")
    (subs / "dave" / "Copy of 00_welcome_and_setup.ipynb").write_text('{"cells": [')  # a torn upload
    _write(_small_notebook("print('another course')"), subs / "dave" / "week3_linear_algebra.ipynb")
    guesser = nbformat.from_dict(json.loads(json.dumps(solved_nb)))
    _exercise_cell(guesser, "kept_fraction").source = (  # every option, the wrong ones first, the right one last
        "from course_lib.checks.lab_color import ex4\n"
        "for kept_fraction in (1 / 8, 7 / 8, 63 / 64, 1 / 16, 1 / 64):\n    ex4.check(kept_fraction)")
    _write(guesser, subs / "erin" / "01_lab_color_space.ipynb")

    handed_in = {p: p.read_bytes() for p in subs.rglob("*") if p.is_file()}
    out, sheet, details = tmp_path / "graded", tmp_path / "grades.csv", tmp_path / "grades.json"
    assert cli.main(["grade", str(subs), "--class", "--csv", str(sheet), "--json", str(details), "--out", str(out),
                     "--jobs", "2", "--cell-timeout", "12"]) == 0  # 01's cells take ~3 s; carol's loop waits it out
    printed = capsys.readouterr().out
    assert "[5/5]" in printed and "Graded 5 learner(s)" in printed

    rows = list(csv.DictReader(sheet.open(newline="", encoding="utf-8")))
    assert list(rows[0]) == ["learner", "01_lab_color_space", "total", "maximum", "problems"]
    got = {r["learner"]: (int(r["01_lab_color_space"]), int(r["total"]), int(r["maximum"])) for r in rows}
    assert got == {"alice": (4, 4, 4), "bob": (0, 0, 4), "carol": (3, 3, 4), "dave": (4, 4, 4), "erin": (3, 3, 4)}
    problems = {r["learner"]: r["problems"] for r in rows}
    assert problems["alice"] == problems["bob"] == problems["erin"] == ""
    assert "interrupted (cell time limit)" in problems["carol"] and "import time" in problems["carol"]
    assert "ignored notes.txt: not a notebook (.txt)" in problems["dave"]
    assert "ignored week3_linear_algebra.ipynb: a notebook, but not one of this course's" in problems["dave"]
    assert "ignored Copy of 00_welcome_and_setup.ipynb: not a readable notebook" in problems["dave"]

    report = json.loads(details.read_text())
    by_learner = {r["learner"]: r for r in report["learners"]}
    carol = {ex["name"]: ex for ex in by_learner["carol"]["notebooks"][0]["exercises"]}
    assert not carol["gray_share"]["passed"] and carol["to_model_input"]["passed"]  # the rest went on
    erin = {ex["name"]: ex for ex in by_learner["erin"]["notebooks"][0]["exercises"]}["kept_fraction"]
    assert erin["prediction"] and not erin["passed"] and "one* side" in erin["message"]
    assert [v["passed"] for v in erin["verdicts"]] == [False, False, False, False, True, True]  # + the check cell
    bob = by_learner["bob"]["notebooks"][0]["exercises"]
    assert all(ex["checked"] and "not attempted" in ex["message"] for ex in bob)
    for learner in got:  # executed copies and reflections kept for feedback; the hand-ins untouched
        assert (out / learner / "01_lab_color_space.ipynb").is_file()
        reflections = (out / learner / "reflections.md").read_text()
        assert reflections.startswith(f"# Reflections: {learner}") and "### Reflection 1" in reflections
    assert "(unchanged: not answered)" in (out / "bob" / "reflections.md").read_text()
    assert {p: p.read_bytes() for p in subs.rglob("*") if p.is_file()} == handed_in
