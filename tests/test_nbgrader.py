"""nbgrader for real: the exported course goes through nbgrader's own ``generate_assignment``,
``autograde`` and ``export``, and nbgrader's scores equal ``grade``'s.

Notebook 01 (quick, no data), three learners: one who solved it, one who handed in the released
notebook untouched, and one who tried every answer of the prediction (exercise 4), wrong first.

Needs nbgrader, which ``scripts/check_nbgrader.sh`` installs in a virtualenv of its own and names
with ``NBGRADER_BIN`` (its ``bin/`` folder); without it this test is skipped, saying so.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess

import nbformat
import pytest

from course_lib import cli
from course_lib.course import nbgrader_export
from conftest import REPO_ROOT

NBGRADER_BIN = os.environ.get("NBGRADER_BIN", "")
ASSIGNMENT = "01_lab_color_space"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not NBGRADER_BIN, reason="nbgrader is not installed here: scripts/check_nbgrader.sh installs it in a "
                             "virtualenv of its own and runs this test")]


def _nbgrader(course, *args):
    env = {**os.environ, "PATH": f"{NBGRADER_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           # the kernels import this checkout's course_lib, whichever course_lib is installed
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([os.path.join(NBGRADER_BIN, "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _submit(course, learner, nb):
    path = course / "submitted" / learner / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)


def test_nbgrader_scores_equal_grades(tmp_path, monkeypatch, capsys):
    course = tmp_path / "course"
    nbgrader_export.export([REPO_ROOT / "notebooks" / f"{ASSIGNMENT}.ipynb"], course)
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert released.metadata["colorize_course"] == {"notebook": "01"}  # grade recognises nbgrader's copies
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    assert len(answers) == 4 and not any("lab[..., :1], lab[..., 1:]" in c.source for c in released.cells)

    solved = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in solved.cells:  # the learner wrote the solution where nbgrader left the stub
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata.nbgrader["grade_id"]]
    guesser = nbformat.from_dict(json.loads(json.dumps(solved)))
    cell = next(c for c in guesser.cells if c.metadata.get("nbgrader", {}).get("solution")
                and "kept_fraction =" in c.source)
    cell.source = ("from course_lib.checks.lab_color import ex4\n"
                   "for kept_fraction in (1 / 8, 7 / 8, 63 / 64, 1 / 16, 1 / 64):\n    ex4.check(kept_fraction)")
    for learner, nb in (("solved", solved), ("untouched", released), ("guesser", guesser)):
        _submit(course, learner, nb)

    _nbgrader(course, "autograde", ASSIGNMENT, "--force")
    _nbgrader(course, "export", "--to", str(tmp_path / "nbgrader.csv"))
    with open(tmp_path / "nbgrader.csv", newline="") as sheet:
        by_nbgrader = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(sheet)}

    monkeypatch.setattr("course_lib.course.runner.announce_data", dict)  # notebook 01 needs no data
    assert cli.main(["grade", str(course / "submitted"), "--class", "--csv", str(tmp_path / "grades.csv"),
                     "--out", str(tmp_path / "graded"), "--jobs", "2"]) == 0
    with open(tmp_path / "grades.csv", newline="") as sheet:
        by_grade = {row["learner"]: (float(row["total"]), float(row["maximum"])) for row in csv.DictReader(sheet)}

    assert by_nbgrader == {"solved": (4.0, 4.0), "untouched": (0.0, 4.0), "guesser": (3.0, 4.0)}
    assert by_grade == by_nbgrader
