"""The exercise markup (course_lib.exercise_cells) and the table of exercises by kind
(course_lib.course.exercise_table).

The parser is tested on small cells and on a synthetic notebook source written in tmp_path: its
kinds reach the built .ipynb, survive a jupytext round trip and are counted in the table. The
last test holds the course's own notebooks to it: every exercise declares a kind.
"""

from __future__ import annotations

import jupytext
import nbformat
import pytest

from conftest import REPO_ROOT, load_module
from course_lib import cli, exercise_cells
from course_lib.course import exercise_table
from course_lib.errors import CourseError
from course_lib.exercise_cells import (BEGIN_SOLUTION, BEGIN_STUB, END_SOLUTION, END_STUB, KIND_KEY, KINDS,
                                       ExerciseSourceError)

sync = load_module(REPO_ROOT / "scripts" / "sync_notebooks.py", "sync_notebooks")

CELL = (f"import numpy as np\n\n{BEGIN_STUB}\ndef half(x):\n    return None  # YOUR CODE HERE\n{END_STUB}\n"
        f"{BEGIN_SOLUTION}\n# Exercise 2 -- halve it\ndef half(x):\n    return x / 2\n{END_SOLUTION}\n")

#: A notebook source with a typing, a building and a decision exercise, and one that declares no kind.
SOURCE = f'''# ---
# jupyter:
#   course:
#     title: A toy topic
# ---

# %% [markdown] id="m1"
# ## A toy topic

# %% tags=["exercise"] id="e1" exercise_kind="typing"
{BEGIN_STUB}
def double(x):
    return None
{END_STUB}
{BEGIN_SOLUTION}
# Exercise 1 -- double it
def double(x):
    return 2 * x
{END_SOLUTION}

# %% tags=["exercise"] id="e2" exercise_kind="building"
{CELL.strip()}

# %% tags=["exercise"] id="e3" exercise_kind="decision"
{BEGIN_STUB}
choice = None
{END_STUB}
{BEGIN_SOLUTION}
# Exercise 3 -- choose
choice = "L1"
{END_SOLUTION}

# %% tags=["exercise"] id="e4"
{BEGIN_STUB}
guess = None
{END_STUB}
{BEGIN_SOLUTION}
# Exercise 4 -- undeclared
guess = 1
{END_SOLUTION}

# %% tags=["exercise-check"] id="k1"
print(double(2), half(2), choice, guess)
'''


@pytest.fixture
def toy_folder(tmp_path):
    """A folder notebooks/ holding the text source 07_toy.py (solutions/ go beside it)."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "07_toy.py").write_text(SOURCE, encoding="utf-8")
    return folder


def _kinds(cells) -> dict[str, str | None]:
    """Cell id -> declared kind of the exercise cells (ids from the .ipynb, or from a source's metadata)."""
    return {c.metadata.get("id") or c.get("id"): c.metadata.get(KIND_KEY) for c in cells if exercise_cells.is_exercise(c)}


# ------------------------------------------------------------------ stub and solution
def test_a_cell_splits_into_stub_and_solution_and_the_solver_and_nbgrader_views_agree():
    learner, solution = exercise_cells.split_exercise(CELL)
    assert learner == "import numpy as np\n\ndef half(x):\n    return None  # YOUR CODE HERE"
    assert solution == "import numpy as np\n\n# Exercise 2 -- halve it\ndef half(x):\n    return x / 2"
    assert exercise_cells.solution_code(CELL) == solution
    nbgrader = exercise_cells.stub_then_solution(CELL)
    assert BEGIN_STUB not in nbgrader and nbgrader.count(BEGIN_SOLUTION) == 1
    assert nbgrader.split(BEGIN_SOLUTION)[0].strip() == learner
    assert exercise_cells.split_exercise("print(1)") == ("print(1)", None)


@pytest.mark.parametrize("broken", [f"{BEGIN_SOLUTION}\nx = 1", f"x = 1\n{END_STUB}",
                                    f"{BEGIN_SOLUTION}\n{BEGIN_STUB}\n{END_STUB}\n{END_SOLUTION}"])
def test_unbalanced_markers_are_a_course_error_naming_the_cell(broken):
    with pytest.raises(ExerciseSourceError, match="cell 7"):
        exercise_cells.split_exercise(broken, "cell 7")
    with pytest.raises(CourseError, match="cell 7"):
        exercise_cells.solution_code(broken, "cell 7")


def test_the_solution_block_that_defines_a_name_is_found():
    text = f"{CELL}\n# %%\n{BEGIN_SOLUTION}\nratio = 3\n{END_SOLUTION}\n"
    assert exercise_cells.solution_blocks(text) == ["# Exercise 2 -- halve it\ndef half(x):\n    return x / 2",
                                                    "ratio = 3"]
    assert exercise_cells.solution_defining(text, "ratio") == "ratio = 3"
    assert exercise_cells.solution_defining(text, "half").endswith("return x / 2")
    assert exercise_cells.solution_defining(text, "hal") is None  # a prefix is not the name
    assert exercise_cells.defines("class KeepBest(keras.callbacks.Callback):\n    pass", "KeepBest")  # a class too
    assert not exercise_cells.defines("class KeepBestEver:\n    pass", "KeepBest")
    assert exercise_cells.exercise_title(CELL) == (2, "halve it")


def test_tags_are_read_from_notebook_and_jupytext_cells():
    cell = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["exercise-check"]})
    assert exercise_cells.is_check(cell) and not exercise_cells.is_exercise(cell)
    assert exercise_cells.is_reflection(nbformat.v4.new_markdown_cell("...", metadata={"tags": ["reflection"]}))
    assert exercise_cells.tags({}) == []


# ----------------------------------------------------------------------------- kinds
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_accepted(kind):
    assert exercise_cells.exercise_kind({KIND_KEY: kind}) == kind


def test_a_missing_kind_is_none_and_an_unknown_one_an_error_that_lists_the_kinds():
    assert exercise_cells.exercise_kind({"tags": ["exercise"]}) is None
    with pytest.raises(ExerciseSourceError, match=r'cell 3: exercise_kind=.prediction. .*exercise_kind="decision"'):
        exercise_cells.exercise_kind({KIND_KEY: "prediction"}, "cell 3")


def test_a_kind_on_a_cell_that_is_no_exercise_is_refused():
    cell = nbformat.v4.new_code_cell("x = 1", metadata={KIND_KEY: "typing"})
    with pytest.raises(ExerciseSourceError, match="not tagged 'exercise'"):
        exercise_cells.check_cell_kind(cell, "cell 1")


def test_kinds_reach_the_built_notebook_and_survive_a_jupytext_round_trip(toy_folder, tmp_path):
    source = toy_folder / "07_toy.py"
    assert sync.main([str(source)]) == 0
    built = nbformat.read(sync.notebook_path(source), as_version=4)
    expected = {"e1": "typing", "e2": "building", "e3": "decision", "e4": None}
    assert _kinds(built.cells) == expected
    nbformat.validate(built)  # the key is allowed in a cell's metadata
    assert sync.stale_files(source) == []  # building again changes nothing
    # .ipynb -> text source -> .ipynb keeps the kinds on the # %% lines
    again = tmp_path / "again.py"
    sync.write_source(built, again)
    header = next(line for line in again.read_text(encoding="utf-8").splitlines() if 'id="e2"' in line)
    assert 'exercise_kind="building"' in header  # jupytext orders the keys its own way
    assert _kinds(jupytext.read(again).cells) == expected
    assert _kinds(jupytext.reads(jupytext.writes(built, fmt="ipynb"), fmt="ipynb").cells) == expected


def test_an_unknown_kind_stops_the_build_naming_the_cell(toy_folder, capsys):
    source = toy_folder / "07_toy.py"
    source.write_text(SOURCE.replace('exercise_kind="building"', 'exercise_kind="build"'), encoding="utf-8")
    assert sync.main([str(source)]) == 2
    assert "07_toy.py, cell 2 (id e2): exercise_kind='build'" in capsys.readouterr().err
    assert not sync.notebook_path(source).exists()


def test_the_table_counts_exercises_per_notebook_and_kind(toy_folder):
    exercises = exercise_table.source_exercises(toy_folder / "07_toy.py")
    assert [(ex.cell_id, ex.kind, ex.number, ex.title) for ex in exercises] == [
        ("e1", "typing", 1, "double it"), ("e2", "building", 2, "halve it"),
        ("e3", "decision", 3, "choose"), ("e4", None, 4, "undeclared")]
    table = exercise_table.kind_table(exercise_table.source_files(toy_folder)).splitlines()
    assert table[0] == "| Notebook | typing | building | decision | not declared | all |"
    assert table[2] == "| 07 · A toy topic | 1 | 1 | 1 | 1 | 4 |"
    assert table[3] == "| **course** | **1** | **1** | **1** | **1** | **4** |"


def test_the_exercises_command_prints_the_table_and_strict_refuses_an_undeclared_kind(toy_folder, capsys):
    assert cli.main(["exercises", "--table", "--notebooks", str(toy_folder)]) == 0
    assert "| 07 · A toy topic | 1 | 1 | 1 | 1 | 4 |" in capsys.readouterr().out
    assert cli.main(["exercises", "--strict", "--notebooks", str(toy_folder)]) == 1
    out, err = capsys.readouterr()
    assert "07  ex2   building" in out and "07:e4" in err
    declared = SOURCE.replace('id="e4"', 'id="e4" exercise_kind="decision"')
    (toy_folder / "07_toy.py").write_text(declared, encoding="utf-8")
    assert cli.main(["exercises", "--strict", "--table", "--notebooks", str(toy_folder)]) == 0
    assert "not declared" not in capsys.readouterr().out
    assert cli.main(["exercises", "--notebooks", str(toy_folder / "empty")]) == 2


# -------------------------------------------------------------- the course's notebooks
def test_the_table_of_the_course_counts_every_exercise_of_its_notebooks():
    built = sum(exercise_cells.is_exercise(cell) for source in sync.source_files()
                for cell in nbformat.read(sync.notebook_path(source), as_version=4).cells)
    table = exercise_table.kind_table(sync.source_files()).splitlines()
    assert len(table) == 2 + len(sync.source_files()) + 1  # header, rule, one row per notebook, the total
    assert table[-1].endswith(f"| **{built}** |"), table[-1]


def test_every_exercise_of_the_course_declares_its_kind():
    undeclared = {}
    for source in sync.source_files():
        exercises = exercise_table.source_exercises(source)  # an unknown kind raises here
        assert exercises, f"{source.name} has no exercise cell"
        undeclared.update({f"{source.name}:{ex.cell_id}": ex.title for ex in exercises if ex.kind is None})
    assert not undeclared, (f"{len(undeclared)} exercise cell(s) declare no kind: {sorted(undeclared)}; add "
                            'exercise_kind="typing", "building" or "decision" to their # %% line')


def test_the_readmes_table_of_exercises_is_the_current_one():
    table = exercise_table.kind_table(exercise_table.source_files())
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    indented = "\n".join("  " + line for line in table.strip().splitlines())
    assert indented in readme, ("README.md's table of exercises by kind is out of date: paste the output of "
                                f"`python -m course_lib exercises --table` into its instructor section:\n{table}")
