"""Export the notebooks for nbgrader: the ``export-nbgrader`` command.

Writes an nbgrader course folder: ``OUT/source/NN_name/NN_name.ipynb`` (one assignment per
notebook) and ``OUT/nbgrader_config.py``. In each notebook

- an exercise cell holds the learner's stub followed by the solution between nbgrader's own
  ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers, and is an *autograded answer* cell
  (``solution: true``); nbgrader's ``generate_assignment`` removes the solution and leaves the stub;
- its check cell becomes a locked *autograder test* cell worth 1 point: it runs ``exN.check(...)``
  (the learner sees the same feedback as in the course) and ends with ``assert exN.credited``
  (the last verdict, or a prediction's first answer: the point ``grade`` gives).

``nbgrader_config.py`` runs the autograder's kernels in fast mode (``COURSE_FAST=1``) and
interrupts a cell after :data:`course_lib.course.grading.FAST_CELL_TIMEOUT` seconds (nbgrader then goes on
with the next cell; its own default is 30 s). Then, in ``OUT``: ``nbgrader generate_assignment
01_lab_color_space``, release, collect, ``nbgrader autograde 01_lab_color_space``, ``nbgrader export``
-- see README, "For instructors"; ``scripts/check_nbgrader.sh`` does it and compares with ``grade``.
"""

from __future__ import annotations

import re
from pathlib import Path

from course_lib.course.grading import FAST_CELL_TIMEOUT
from course_lib.exercise_cells import defines, is_check, is_exercise, stub_then_solution
from course_lib.course.solved import exercise_sources, text_source, write_notebooks

NBGRADER_SCHEMA_VERSION = 3
#: What nbgrader puts where a solution was: the stub above it stays, so the learner edits that.
CODE_STUB = "# YOUR CODE HERE: complete the function above (replace its None)"
CONFIG = f'''# nbgrader configuration written by `python -m course_lib export-nbgrader`.
import os

c = get_config()  # noqa: F821  (provided by nbgrader)
# Grade in fast mode (small sizes, few epochs: notebook 04 trains a tiny model, not the full recipe).
# The kernels inherit nbgrader's environment: set NCD_DIR there for the notebooks that need the data.
os.environ.setdefault("COURSE_FAST", "1")
# A cell that runs past this many seconds is interrupted and scores 0; the next cells still run.
c.Execute.timeout = {FAST_CELL_TIMEOUT}
c.Execute.interrupt_on_timeout = True
# Each exercise cell keeps the learner's stub above the solution: the released notebook shows the
# stub and this comment where the solution was (instead of nbgrader's `raise NotImplementedError()`).
c.ClearSolutions.code_stub = {{"python": {CODE_STUB!r}}}
'''
_CHECK_CALL = re.compile(r"\b(ex\d+)\.check\(")


def _metadata(grade_id: str, *, solution: bool, grade: bool) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": grade, "schema_version": NBGRADER_SCHEMA_VERSION,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = 1
    return meta


def nbgrader_notebook(notebook: Path):
    """The learner's ``notebook`` as an nbgrader source notebook (solutions in, cells marked)."""
    import nbformat

    from course_lib.checks.exercise import exercises
    from course_lib.errors import DataNotFoundError

    nb = nbformat.read(notebook, as_version=4)
    sources = exercise_sources(notebook)
    registered = exercises(Path(notebook).name[:2])
    number = 0
    for cell in nb.cells:
        if is_exercise(cell):
            number += 1
            if cell.id not in sources:
                raise DataNotFoundError(f"{Path(notebook).name}: exercise cell {cell.id} is not in "
                                        f"{text_source(notebook).name}; rebuild with scripts/sync_notebooks.py")
            cell.source = stub_then_solution(sources[cell.id])
            # Named like its check cell's exN: the registered exercise whose name the cell defines.
            defined = [ex.number for ex in registered if defines(cell.source, ex.name)]
            cell.metadata["nbgrader"] = _metadata(f"ex{defined[0] if defined else number}", solution=True, grade=False)
        elif is_check(cell):
            names = _CHECK_CALL.findall(cell.source)
            if not names:
                continue  # a check cell without an exercise (none today)
            cell.source += "".join(f"\nassert {name}.credited, 'not accepted (a prediction: its first answer "
                                   f"counts): see the message above'" for name in dict.fromkeys(names))
            cell.metadata["nbgrader"] = _metadata(f"{names[0]}_check", solution=False, grade=True)
    return nb


def export(notebooks: list[Path], out_dir: Path) -> list[Path]:
    """Write the nbgrader course folder; the notebooks written."""
    out_dir = Path(out_dir)
    written = []
    for notebook in notebooks:
        written += write_notebooks([notebook], out_dir / "source" / Path(notebook).stem, nbgrader_notebook)
    (out_dir / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    return written


# --------------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="the nbgrader course folder to write")
    parser.add_argument("--only", nargs="+", metavar="NN", help="only these notebook numbers, e.g. --only 01 02")


def run_cli(args) -> int:
    from course_lib.course.runner import find_notebooks

    written = export(find_notebooks(args.only), args.out)
    for path in written:
        print(f"  source  {path}")
    print(f"Wrote {len(written)} nbgrader source notebook(s) and {args.out / 'nbgrader_config.py'}; next, in "
          f"{args.out}: nbgrader generate_assignment {written[0].parent.name if written else 'NN_name'}")
    return 0
