"""What an exercise cell of a notebook's text source is made of: its tags, its markers, its kind.

The one owner of the exercise markup; ``scripts/sync_notebooks.py`` (building the learner's copy
and ``solutions/``), :mod:`course_lib.course.solved` (``solve``), :mod:`course_lib.course.nbgrader_export` and
:mod:`course_lib.checks.exercise` (``exN.solution()``) all read cells through it. Standard
library only: the learner's kernel imports it through the checks.

An exercise is ONE code cell of ``notebooks/NN_name.py`` (a jupytext percent file), tagged
``exercise``, holding the learner's stub and then the solution, and declaring its kind::

    # %% tags=["exercise"] id="c06" exercise_kind="building"
    ### BEGIN STUB
    def conv_param_count(kernel_size, in_channels, filters):
        return None  # YOUR CODE HERE
    ### END STUB
    ### BEGIN SOLUTION
    # Exercise 1 -- parameters of a convolution
    def conv_param_count(kernel_size, in_channels, filters):
        return (kernel_size * kernel_size * in_channels + 1) * filters
    ### END SOLUTION

Lines outside the blocks belong to both the stub and the solution; marker lines to neither.
``### BEGIN/END SOLUTION`` are nbgrader's own markers. The cell that checks an exercise is tagged
``exercise-check``; a markdown cell where the learner writes a reflection is tagged ``reflection``.

The kinds (``exercise_kind``), by what the learner does:

``typing``
    writes down a formula or a call the notebook has just shown;
``building``
    builds something (a function, a layer, a training step) the notebook has not spelled out;
``decision``
    chooses, or predicts, and is checked against evidence (a prediction is a decision).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from course_lib.errors import CourseError

EXERCISE_TAG = "exercise"
CHECK_TAG = "exercise-check"
REFLECTION_TAG = "reflection"
BEGIN_STUB, END_STUB = "### BEGIN STUB", "### END STUB"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
#: Each block's BEGIN marker -> its END marker.
BLOCK_ENDS = {BEGIN_STUB: END_STUB, BEGIN_SOLUTION: END_SOLUTION}
MARKERS = frozenset(BLOCK_ENDS) | frozenset(BLOCK_ENDS.values())

#: The cell metadata key that declares an exercise's kind (``# %% ... exercise_kind="building"``).
KIND_KEY = "exercise_kind"
#: The kinds an exercise may declare, in the order tables list them.
KINDS = ("typing", "building", "decision")

_EXERCISE_TITLE = re.compile(r"^\s*# Exercise (\d+)\s*--\s*(.*?)\s*$", re.M)


class ExerciseSourceError(CourseError, ValueError):
    """A notebook source the course cannot use: unbalanced markers, an unknown kind, a repeated id."""


def tags(cell: Mapping) -> list[str]:
    """The tags of a cell (a notebook cell or a jupytext one): ``metadata["tags"]``, or []."""
    return list(cell.get("metadata", {}).get("tags", []))


def is_exercise(cell: Mapping) -> bool:
    """Whether ``cell`` is an exercise cell (tagged ``exercise``)."""
    return EXERCISE_TAG in tags(cell)


def is_check(cell: Mapping) -> bool:
    """Whether ``cell`` checks an exercise (tagged ``exercise-check``)."""
    return CHECK_TAG in tags(cell)


def is_reflection(cell: Mapping) -> bool:
    """Whether ``cell`` is a learner's reflection (tagged ``reflection``)."""
    return REFLECTION_TAG in tags(cell)


# ------------------------------------------------------------------ stub and solution
def _split(code: str, where: str) -> tuple[list[str], list[str], bool]:
    """``(learner's lines, solution's lines, whether there is a SOLUTION block)``.

    Raises
    ------
    ExerciseSourceError
        A marker without its partner, or a block opened inside another; the message names ``where``.
    """
    learner, solution = [], []
    block, has_solution = None, False
    for number, line in enumerate(code.splitlines(), start=1):
        marker = line.strip()
        if marker in BLOCK_ENDS:
            if block:
                raise ExerciseSourceError(f"{where}, line {number}: {marker} before {BLOCK_ENDS[block]}")
            block, has_solution = marker, has_solution or marker == BEGIN_SOLUTION
        elif marker in MARKERS:
            if marker != BLOCK_ENDS.get(block):
                raise ExerciseSourceError(f"{where}, line {number}: {marker} without its BEGIN line")
            block = None
        else:
            if block != BEGIN_SOLUTION:
                learner.append(line)
            if block != BEGIN_STUB:
                solution.append(line)
    if block:
        raise ExerciseSourceError(f"{where}: {block} is never closed by {BLOCK_ENDS[block]}")
    return learner, solution, has_solution


def _text(lines: list[str]) -> str:
    # Blank lines around a removed block would otherwise pile up at the cell's ends.
    return "\n".join(lines).strip("\n")


def split_exercise(code: str, where: str = "a cell") -> tuple[str, str | None]:
    """``(learner's code, solution code or None)`` of one code cell of a text source.

    The learner's code drops the SOLUTION blocks, the solution drops the STUB blocks; lines
    outside the blocks go to both, marker lines to neither. The solution is None when the cell
    has no SOLUTION block (it is no exercise).

    Raises
    ------
    ExerciseSourceError
        Unbalanced markers; the message names ``where`` and the line.
    """
    learner, solution, has_solution = _split(code, where)
    return _text(learner), _text(solution) if has_solution else None


def solution_code(code: str, where: str = "an exercise cell") -> str:
    """An exercise cell as a solver writes it: the solution, no stub, no markers.

    Raises
    ------
    ExerciseSourceError
        Unbalanced markers.
    """
    return _text(_split(code, where)[1])


def stub_then_solution(code: str) -> str:
    """An exercise cell as nbgrader wants it: the stub (its markers dropped), then the SOLUTION
    block with nbgrader's ``### BEGIN/END SOLUTION`` markers kept (``generate_assignment`` removes it)."""
    return "\n".join(line for line in code.splitlines() if line.strip() not in (BEGIN_STUB, END_STUB)).strip("\n")


def solution_blocks(text: str) -> list[str]:
    """The contents of every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block in ``text``
    (a cell or a whole text source), in order, without the markers."""
    blocks, current = [], None
    for line in text.splitlines():
        marker = line.strip()
        if marker == BEGIN_SOLUTION:
            current = []
        elif marker == END_SOLUTION and current is not None:
            blocks.append(_text(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def defines(code: str, name: str) -> bool:
    """Whether ``code`` defines ``name`` at the start of a line: ``def name(``, ``class name(`` or ``name =``."""
    return re.search(rf"^(def {re.escape(name)}\(|class {re.escape(name)}\b|{re.escape(name)}\s*=)", code, re.M) is not None


def solution_defining(text: str, name: str) -> str | None:
    """The first SOLUTION block of ``text`` (a text source) that defines ``name``, or None."""
    return next((block for block in solution_blocks(text) if defines(block, name)), None)


def exercise_title(code: str) -> tuple[int, str] | None:
    """``(number, title)`` from the solution's ``# Exercise N -- title`` line, or None."""
    match = _EXERCISE_TITLE.search(code)
    return (int(match.group(1)), match.group(2)) if match else None


# ----------------------------------------------------------------------------- kinds
def exercise_kind(metadata: Mapping, where: str = "an exercise cell") -> str | None:
    """The kind a cell's metadata declares (``exercise_kind``), or None when it declares none.

    Raises
    ------
    ExerciseSourceError
        A kind that is not one of :data:`KINDS`.
    """
    kind = metadata.get(KIND_KEY)
    if kind is None:
        return None
    if kind not in KINDS:
        raise ExerciseSourceError(f"{where}: {KIND_KEY}={kind!r} is not a kind; write "
                                  + ", ".join(f'{KIND_KEY}="{k}"' for k in KINDS) + " on its # %% line")
    return kind


def check_cell_kind(cell: Mapping, where: str = "a cell") -> str | None:
    """The declared kind of ``cell`` (None when it declares none), checked: only an exercise cell has one.

    Raises
    ------
    ExerciseSourceError
        An unknown kind, or a kind on a cell that is not tagged ``exercise``.
    """
    metadata = cell.get("metadata", {})
    kind = exercise_kind(metadata, where)
    if kind is not None and not is_exercise(cell):
        raise ExerciseSourceError(f"{where}: {KIND_KEY} on a cell not tagged '{EXERCISE_TAG}'; "
                                  f"tag it, or remove {KIND_KEY}=...")
    return kind
