"""The course's exercises by notebook and kind: the ``exercises`` command.

Every exercise cell of a notebook's text source (``notebooks/NN_name.py``) declares its kind on
its ``# %%`` line, ``exercise_kind="typing"``, ``"building"`` or ``"decision"`` (see
:mod:`course_lib.exercise_cells`). This command lists them, or counts them per notebook and kind
as the markdown table of the README's instructor section.

Examples
--------
::

    python -m course_lib exercises            # one line per exercise: notebook, number, kind, title
    python -m course_lib exercises --table    # the markdown table: exercises per notebook and kind
    python -m course_lib exercises --strict   # also exit 1 when an exercise declares no kind
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course_lib import config
from course_lib.errors import DataNotFoundError
from course_lib.exercise_cells import KINDS, check_cell_kind, exercise_title, is_exercise, split_exercise

#: How a table or a listing shows an exercise that declares no kind.
UNDECLARED = "not declared"


@dataclass(frozen=True)
class ExerciseCell:
    """One exercise cell of a text source."""

    notebook: str  #: the notebook's number, ``"01"``
    cell_id: str | None
    kind: str | None  #: one of :data:`course_lib.exercise_cells.KINDS`, or None when undeclared
    number: int | None  #: N of the solution's ``# Exercise N -- title`` line, if it has one
    title: str


def source_files(folder: Path | None = None) -> list[Path]:
    """The text sources ``NN_*.py`` of the course's notebooks (default: the course's notebooks/), in order.

    Raises
    ------
    DataNotFoundError
        The folder holds no ``NN_*.py`` source.
    """
    folder = Path(folder) if folder is not None else config.REPO_ROOT / "notebooks"
    sources = sorted(folder.glob("[0-9][0-9]_*.py"))
    if not sources:
        raise DataNotFoundError(f"no notebook sources NN_name.py in {folder}; run this in the course's repository "
                                "or pass --notebooks FOLDER")
    return sources


def source_exercises(source: Path) -> list[ExerciseCell]:
    """The exercise cells of the text source ``source``, in order.

    Raises
    ------
    ExerciseSourceError
        A cell with unbalanced markers or an unknown kind (the message names the cell).
    """
    import jupytext

    source = Path(source)
    found = []
    for index, cell in enumerate(jupytext.read(source, fmt="py:percent").cells):
        where = f"{source.name}, cell {index}"
        kind = check_cell_kind(cell, where)
        if cell.cell_type != "code" or not is_exercise(cell):
            continue
        solution = split_exercise(cell.source, where)[1] or ""
        number, title = exercise_title(solution) or (None, "")
        found.append(ExerciseCell(source.name[:2], cell.metadata.get("id"), kind, number, title))
    return found


def notebook_title(source: Path) -> str:
    """``"01 · LAB colour space"``: the number and the ``course`` title of a text source (its stem without one)."""
    import jupytext

    title = jupytext.read(source, fmt="py:percent").metadata.get("course", {}).get("title")
    return f"{source.name[:2]} · {title}" if title else source.stem


def kind_table(sources: list[Path]) -> str:
    """The markdown table of exercises per notebook (rows) and kind (columns), with totals.

    A column for undeclared kinds appears only while some exercise declares none.
    """
    counts = {source: Counter(ex.kind or UNDECLARED for ex in source_exercises(source)) for source in sources}
    total = sum(counts.values(), Counter())
    columns = list(KINDS) + ([UNDECLARED] if total[UNDECLARED] else [])
    lines = ["| Notebook | " + " | ".join(columns) + " | all |",
             "|---|" + "---:|" * (len(columns) + 1)]
    for source, count in counts.items():
        cells = [str(count[column]) for column in columns] + [str(sum(count.values()))]
        lines.append(f"| {notebook_title(source)} | " + " | ".join(cells) + " |")
    cells = [f"**{total[column]}**" for column in columns] + [f"**{sum(total.values())}**"]
    lines.append("| **course** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def exercise_lines(sources: list[Path]) -> list[str]:
    """One line per exercise: ``01  ex2   building      title``."""
    lines = []
    for source in sources:
        for ex in source_exercises(source):
            number = f"ex{ex.number}" if ex.number is not None else "ex?"
            lines.append(f"{ex.notebook}  {number:<5} {ex.kind or UNDECLARED:<13} {ex.title}")
    return lines


# --------------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("--table", action="store_true",
                        help="print the markdown table of exercises per notebook and kind (the README's)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an exercise declares no kind")
    parser.add_argument("--notebooks", type=Path, metavar="FOLDER",
                        help="the folder of notebook sources NN_name.py (default: the course's notebooks/)")


def run_cli(args) -> int:
    sources = source_files(args.notebooks)
    print(kind_table(sources) if args.table else "\n".join(exercise_lines(sources)))
    undeclared = [f"{ex.notebook}:{ex.cell_id}" for source in sources for ex in source_exercises(source)
                  if ex.kind is None]
    if args.strict and undeclared:
        print(f"error: {len(undeclared)} exercise(s) declare no kind ({', '.join(undeclared)}); add "
              f'exercise_kind="typing", "building" or "decision" to their # %% line', file=sys.stderr)
        return 1
    return 0
