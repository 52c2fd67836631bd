"""``solve`` writes solved copies, ``grade`` scores notebooks: 0 of N for the learner's copies,
N of N for the solved ones; a raising learner cell costs only its own exercise."""

from __future__ import annotations

import json

import nbformat
import pytest

from course_lib import cli
from course_lib.course import grading, solved
from course_lib.checks import exercise
from conftest import REPO_ROOT

# Its tests wait out time limits (a looping cell, a notebook past its limit): they share one worker with the
# other such modules, whose CPU work fills their waits (tests/conftest.py, two workers).
pytestmark = pytest.mark.waits_on_time_limits

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
N_EXERCISES = sum(len(exercise.exercises(n)) for n in exercise.CHECK_MODULES)


def test_commands_are_registered():
    assert cli.COMMANDS["grade"][0] == "course_lib.course.class_grading"
    assert cli.COMMANDS["solve"][0] == "course_lib.course.solved"
    assert N_EXERCISES >= 14


def test_solution_code_drops_the_stub_and_every_marker():
    cell = ("import numpy as np\n### BEGIN STUB\ndef f(x):\n    return None\n### END STUB\n"
            "### BEGIN SOLUTION\ndef f(x):\n    return 2 * x\n### END SOLUTION")
    assert solved.solution_code(cell) == "import numpy as np\ndef f(x):\n    return 2 * x"


def test_solved_notebook_replaces_every_stub_by_its_solution():
    nb = solved.solved_notebook(NOTEBOOK_DIR / "01_lab_color_space.ipynb")
    cells = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    assert len(cells) == 4  # three exercises and a prediction
    for cell in cells:
        assert "YOUR CODE HERE" not in cell.source and "###" not in cell.source
    assert any("lab[..., :1], lab[..., 1:]" in cell.source for cell in cells)
    learner = nbformat.read(NOTEBOOK_DIR / "01_lab_color_space.ipynb", as_version=4)
    assert [c.id for c in nb.cells] == [c.id for c in learner.cells]  # nothing else moves


def test_last_verdict_wins_a_predictions_first_answer_and_torn_lines_are_skipped(tmp_path):
    record = tmp_path / "v.jsonl"
    record.write_text('{"exercise": 1, "passed": false}\n{"exercise": 1, "passed": true}\n{"exerc\n')
    verdicts = grading.read_verdicts(record)
    assert verdicts == {1: [{"exercise": 1, "passed": False}, {"exercise": 1, "passed": True}]}
    assert grading.scored_verdict(verdicts[1], prediction=False)["passed"] is True
    assert grading.scored_verdict(verdicts[1], prediction=True)["passed"] is False
    stub_first = [{"passed": False, "answered": False}, {"passed": True, "answered": True}]
    assert grading.scored_verdict(stub_first, prediction=True)["passed"] is True  # a stub is no answer
    assert grading.scored_verdict([], prediction=True) is None
    assert grading.read_verdicts(tmp_path / "missing") == {}


def test_missing_notebook_is_a_course_error(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "nope.ipynb")]) == 2
    assert "no notebook" in capsys.readouterr().err


def test_a_raising_cell_costs_only_its_exercise(tmp_path):
    """A small notebook numbered 01: exercise 1 right, a cell that raises, exercise 2 never defined, 3 wrong."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "from course_lib.checks.lab_color import ex1, ex2, ex3\nfrom course_lib import color",
        "def split_l_ab(rgb):\n    lab = color.rgb_to_lab(rgb)\n    return lab[..., :1], lab[..., 1:]",
        "ex1.check(split_l_ab)",
        "def desaturate(rgb):\n    return rgb\nraise RuntimeError('learner bug')",
        "ex2.check(desaturate_never_defined)",
        "ex3.hint(); ex3.check(lambda rgb: None)",
    )])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "01_lab_color_space.ipynb"
    nbformat.write(nb, path)
    result = grading.grade_notebook(path, timeout=120)
    assert (result.score, result.total, result.cells_with_errors, result.error) == (1, 4, 2, None)
    assert [(ex.passed, ex.checked, ex.hints) for ex in result.exercises] == [
        (True, True, 0), (False, False, 0), (False, True, 1), (False, False, 0)]


@pytest.fixture(scope="module")
def data_env():
    """The kernels' data: the NCD development copy when present, else the offline sample set."""
    from course_lib import sources
    from conftest import _ncd_dev_copy

    path = _ncd_dev_copy()
    return sources.kernel_env(sources.get_dataset(path, download=False))


@pytest.mark.slow
@pytest.mark.after_notebooks
def test_learner_copies_score_zero(data_env, learner_run_verdicts):
    """Every learner notebook runs to its end and scores 0 of its exercises, each check cell reached.

    In the full suite each notebook has just run once, under nbval or in the browser test, with its verdicts
    recorded (tests/conftest.py): those are graded, with grade's own scoring. A notebook no run of this
    session took to its end is executed by grade.
    """
    results = []
    for path in grading.expand([NOTEBOOK_DIR]):
        number = grading.recognise(path)[0]
        if number in learner_run_verdicts:  # this session's run of it had no failing cell
            print(f"{number}: graded from this session's run of it")
            result = grading.NotebookResult(path.name, str(path), number=number)
            result.exercises = grading.score_exercises(number, learner_run_verdicts[number])
        else:
            result = grading.grade_notebook(path, number=number, env=data_env)
        results.append(result.to_json())
    report = {"score": sum(r["score"] for r in results), "total": sum(r["total"] for r in results),
              "notebooks": results}
    assert (report["score"], report["total"]) == (0, N_EXERCISES), grading.format_report(report)
    assert all(nb["error"] is None and nb["cells_with_errors"] == 0 for nb in report["notebooks"]), [
        (nb["number"], nb["error"], nb["cells_with_errors"]) for nb in report["notebooks"]]
    unchecked = [f"{nb['number']} ex{ex['exercise']}" for nb in results for ex in nb["exercises"] if not ex["checked"]]
    assert not unchecked, f"check cells that never ran: {unchecked}\n{grading.format_report(report)}"


@pytest.mark.slow
def test_solved_copies_score_full_marks(solved_runs):
    results = [solved_runs.result(number) for number in solved_runs.numbers()]  # each run once per session
    report = {"score": sum(r.score for r in results), "total": sum(r.total for r in results),
              "notebooks": [r.to_json() for r in results]}
    assert len(results) == len(exercise.CHECK_MODULES)
    assert (report["score"], report["total"]) == (N_EXERCISES, N_EXERCISES), grading.format_report(report)
    assert all(nb["error"] is None and nb["cells_with_errors"] == 0 for nb in report["notebooks"]), [
        problem for r in results for problem in r.problems()]
    json.dumps(report)  # what --json writes


def test_nbgrader_export_marks_answer_and_test_cells(tmp_path, capsys):
    from course_lib.course import nbgrader_export

    assert cli.main(["export-nbgrader", "--out", str(tmp_path), "--only", "01"]) == 0
    config_text = (tmp_path / "nbgrader_config.py").read_text()
    assert "ClearSolutions.code_stub" in config_text and 'os.environ.setdefault("COURSE_FAST", "1")' in config_text
    assert f"c.Execute.timeout = {grading.FAST_CELL_TIMEOUT}" in config_text
    nb = nbformat.read(tmp_path / "source" / "01_lab_color_space" / "01_lab_color_space.ipynb", as_version=4)
    nbformat.validate(nb)
    marked = [c for c in nb.cells if "nbgrader" in c.metadata]
    answers = [c for c in marked if c.metadata.nbgrader["solution"]]
    tests = [c for c in marked if c.metadata.nbgrader["grade"]]
    assert len(answers) == len(tests) == 4
    assert len({c.metadata.nbgrader["grade_id"] for c in marked}) == 8
    assert all(c.metadata.nbgrader["points"] == 1 and c.metadata.nbgrader["locked"] for c in tests)
    for answer, test in zip(answers, tests, strict=True):  # the answer cell and its test share the exercise number
        name = answer.metadata.nbgrader["grade_id"]
        assert test.metadata.nbgrader["grade_id"] == f"{name}_check" and f"assert {name}.credited" in test.source
    # What nbgrader's generate_assignment releases: the solution block cleared, the learner's stub left.
    learner = nbformat.read(NOTEBOOK_DIR / "01_lab_color_space.ipynb", as_version=4)
    stubs = [c.source for c in learner.cells if "exercise" in c.metadata.get("tags", [])]
    for cell, stub in zip(answers, stubs, strict=True):
        assert cell.source.count("### BEGIN SOLUTION") == 1 and "### BEGIN STUB" not in cell.source
        assert cell.source.split("### BEGIN SOLUTION")[0].strip() == stub.strip()
    assert nbgrader_export.CODE_STUB


def _small_01(tmp_path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (
        "from course_lib.checks.lab_color import ex1, ex2, ex3, ex4\nfrom course_lib import color",
        "def split_l_ab(rgb):\n    lab = color.rgb_to_lab(rgb)\n    return lab[..., :1], lab[..., 1:]",
        "ex1.check(split_l_ab)", *sources)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "any name.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_looping_cell_is_interrupted_and_the_rest_goes_on(tmp_path):
    path = _small_01(tmp_path, "while True:\n    pass", "ex2.check(desaturate)",
                     "for kept_fraction in (1 / 8, 1 / 64):\n    ex4.check(kept_fraction)")
    result = grading.grade_notebook(path, timeout=5, notebook_timeout=0, out_path=tmp_path / "out" / "01.ipynb")
    assert result.error is None and result.timed_out_cells == ["code cell 4 ('while True:')"]
    assert [(ex.passed, ex.checked) for ex in result.exercises] == [(True, True), (False, False), (False, False),
                                                                     (False, True)]  # ex4 ran after the loop
    assert result.exercises[3].prediction and [v["passed"] for v in result.exercises[3].verdicts] == [False, True]
    executed = nbformat.read(tmp_path / "out" / "01.ipynb", as_version=4)
    assert executed.cells[3].outputs[-1]["ename"] == "KeyboardInterrupt"  # kept, to show the learner
    assert (tmp_path / "out" / "01.verdicts.jsonl").is_file()


def test_a_notebook_past_its_limit_stops_and_keeps_what_it_recorded(tmp_path):
    path = _small_01(tmp_path, "import time\ntime.sleep(600)", "ex2.check(None)")
    # startup and ex1 take ~3 s (twice that on a loaded machine); the limit is what this test waits for
    result = grading.grade_notebook(path, timeout=600, notebook_timeout=12)
    assert result.error == "stopped at the notebook time limit (12 s)"
    assert [(ex.passed, ex.checked) for ex in result.exercises][:2] == [(True, True), (False, False)]
    assert "01: stopped at the notebook time limit (12 s)" in result.problems()
