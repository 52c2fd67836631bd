"""Solved copies of the notebooks: the ``solve`` command.

A learner's notebook ``notebooks/NN_name.ipynb`` is built from its text source
``notebooks/NN_name.py``, whose exercise cells hold the stub between ``### BEGIN STUB`` /
``### END STUB`` and the solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION``. A solved
copy is the learner's notebook with each exercise cell's code replaced by the solution (matched
by cell id): what a learner who solved everything hands in. ``python -m course_lib grade`` gives
those copies full marks; the tests check that.

Examples
--------
::

    python -m course_lib solve --out runs/solved            # every notebook
    python -m course_lib solve --out runs/solved --only 01  # just notebook 01
"""

from __future__ import annotations

from pathlib import Path

from course_lib.errors import DataNotFoundError, OutputPathError, describe_exception
from course_lib.exercise_cells import is_exercise, solution_code


def text_source(notebook: Path) -> Path:
    """The text source ``NN_name.py`` of the learner's notebook ``notebook`` (in the course's notebooks/)."""
    from course_lib.course.runner import NOTEBOOK_DIR

    source = NOTEBOOK_DIR / Path(notebook).with_suffix(".py").name
    if not source.is_file():
        raise DataNotFoundError(f"no text source {source} for {Path(notebook).name}: solved copies are built "
                                "from the course's notebooks/NN_name.py")
    return source


def exercise_sources(notebook: Path) -> dict[str, str]:
    """Cell id -> code (stub and solution, with markers) of every exercise cell of the notebook's text source."""
    import jupytext

    text = jupytext.read(text_source(notebook), fmt="py:percent")
    return {cell.metadata["id"]: cell.source for cell in text.cells
            if cell.cell_type == "code" and is_exercise(cell) and "id" in cell.metadata}


def solved_notebook(notebook: Path):
    """The learner's ``notebook`` (an ``NN_name.ipynb``) with every exercise cell solved."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    sources = exercise_sources(notebook)
    for cell in nb.cells:
        if is_exercise(cell):
            if cell.id not in sources:
                raise DataNotFoundError(f"{Path(notebook).name}: exercise cell {cell.id} is not in "
                                        f"{text_source(notebook).name}; rebuild with scripts/sync_notebooks.py")
            cell.source = solution_code(sources[cell.id], f"{text_source(notebook).name}, exercise cell {cell.id}")
    return nb


def write_notebooks(notebooks: list[Path], out_dir: Path, make) -> list[Path]:
    """Write ``make(notebook)`` for each notebook to ``out_dir`` under the same name; the paths written."""
    import nbformat

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create the folder {out_dir} ({describe_exception(exc)}); "
                              "choose a writable folder with --out") from None
    written = []
    for notebook in notebooks:
        path = out_dir / Path(notebook).name
        nbformat.write(make(notebook), path)
        written.append(path)
    return written


# --------------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder for the solved copies NN_name.ipynb")
    parser.add_argument("--only", nargs="+", metavar="NN", help="only these notebook numbers, e.g. --only 01 02")


def run_cli(args) -> int:
    from course_lib.course.runner import find_notebooks

    written = write_notebooks(find_notebooks(args.only), args.out, solved_notebook)
    for path in written:
        print(f"  solved  {path}")
    print(f"Wrote {len(written)} solved notebook(s) to {args.out}; grade them with "
          f"python -m course_lib grade {args.out}")
    return 0
