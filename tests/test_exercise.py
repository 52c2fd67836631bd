"""Help on demand: every exercise offers check(), graded hint() and solution(); one switch hides solutions."""

from __future__ import annotations

import json

import nbformat
import pytest

from course_lib.checks import exercise
from course_lib.checks.exercise import Exercise
from conftest import REPO_ROOT, load_solutions

ALL = [ex for notebook in exercise.CHECK_MODULES for ex in exercise.exercises(notebook)]


def test_every_exercise_cell_has_a_registered_exercise():
    for notebook in exercise.CHECK_MODULES:
        path = next((REPO_ROOT / "notebooks").glob(f"{notebook}_*.ipynb"))
        cells = nbformat.read(path, as_version=4).cells
        n_cells = sum("exercise" in c.metadata.get("tags", []) for c in cells)
        registered = exercise.exercises(notebook)
        assert [ex.number for ex in registered] == list(range(1, len(registered) + 1))
        assert len(registered) == n_cells, f"{path.name}: {n_cells} exercise cells, {len(registered)} registered"
    assert len(ALL) >= 14


@pytest.mark.parametrize("ex", ALL, ids=repr)
def test_each_exercise_has_graded_hints_and_a_solution_its_check_accepts(ex, capsys):
    assert len(ex.hints) >= 2
    code = exercise.solution_source(ex.notebook, ex.name)
    assert code is not None and ex.name in code
    answer = getattr(load_solutions(ex.notebook), ex.name)
    assert ex._check(answer) is True


def test_hints_get_more_specific_then_point_to_the_solution(capsys, monkeypatch):
    monkeypatch.delenv(exercise.HIDE_SOLUTIONS_ENV_VAR, raising=False)
    ex = Exercise("99", 1, "f", lambda f: True, hints=("general", "specific"))
    ex.hint()
    first = capsys.readouterr().out
    assert "hint 1/2: general" in first and "again" in first
    ex.hint()
    second = capsys.readouterr().out
    assert "hint 2/2: specific" in second and "ex1.solution()" in second
    ex.hint()
    assert "hint 2/2" in capsys.readouterr().out and ex.hints_used == 2


def test_solution_prints_the_reference_unless_hidden(capsys, monkeypatch):
    ex = exercise.exercises("01")[1]
    monkeypatch.delenv(exercise.HIDE_SOLUTIONS_ENV_VAR, raising=False)
    ex.solution()
    out = capsys.readouterr().out
    assert "def gray_share(" in out and "np.hypot(" in out and ex.solution_viewed
    monkeypatch.setenv(exercise.HIDE_SOLUTIONS_ENV_VAR, "1")
    ex.solution()
    out = capsys.readouterr().out
    assert "switched off" in out and "def gray_share(" not in out


def test_check_records_its_verdict_when_grading(tmp_path, monkeypatch, capsys):
    grade_file = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(exercise.GRADE_FILE_ENV_VAR, str(grade_file))
    ex = Exercise("99", 2, "g", lambda g: g is not None and g() == 2, hints=("h1", "h2"))
    ex.hint()
    assert ex.check(lambda: 3) is False
    assert ex.check(lambda: 2) is True
    lines = [json.loads(line) for line in grade_file.read_text().splitlines()]
    assert [line["passed"] for line in lines] == [False, True]
    assert lines[-1] == {"notebook": "99", "exercise": 2, "name": "g", "passed": True, "answered": True,
                         "prediction": False, "message": "", "hints": 1, "solution_viewed": False}


PREDICTIONS = {("00", 3), ("01", 4), ("02", 4), ("02", 5), ("03", 4), ("04", 4), ("04", 5), ("04", 7), ("05", 1),
               ("05", 4), ("06", 1), ("06", 3), ("07", 6), ("08", 5), ("09", 4)}


def test_prediction_and_decision_exercises_are_known_by_their_checkers_docstring():
    assert {(ex.notebook, ex.number) for ex in ALL if ex.prediction} == PREDICTIONS


def test_a_prediction_is_credited_on_its_first_answer_and_later_checks_still_give_feedback(
        tmp_path, monkeypatch, capsys):
    grade_file = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(exercise.GRADE_FILE_ENV_VAR, str(grade_file))
    from course_lib.checks.lab_color import check_kept_fraction

    ex = Exercise("99", 4, "kept_fraction", check_kept_fraction)
    assert ex.prediction
    assert ex.check(None) is False and ex.first_answer_passed is None  # no answer yet: the chance is kept
    assert ex.check(1 / 8) is False
    assert ex.check(1 / 64) is True and ex.passed is True and ex.credited is False
    out = capsys.readouterr().out
    assert "one* side" in out and "accepted: 1/8 x 1/8" in out and "counts once" in out
    lines = [json.loads(line) for line in grade_file.read_text().splitlines()]
    assert [(v["answered"], v["passed"], v["prediction"]) for v in lines] == [
        (False, False, True), (True, False, True), (True, True, True)]
    assert "not attempted" in lines[0]["message"] and "one* side" in lines[1]["message"]
    assert "counts once" not in lines[2]["message"]  # the record keeps the checker's own words

    right_first = Exercise("99", 5, "kept_fraction", check_kept_fraction)
    assert right_first.check(1 / 64) and not right_first.check(1 / 8) and right_first.credited


def test_an_ordinary_exercise_is_credited_on_its_last_check(capsys):
    ex = Exercise("99", 6, "g", lambda g: g == 2)
    assert not ex.prediction
    ex.check(1)
    ex.check(2)
    assert ex.credited


def test_check_without_grading_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(exercise.GRADE_FILE_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert exercise.exercises("01")[0].check(None) is False
    assert "not attempted" in capsys.readouterr().out and not list(tmp_path.iterdir())
