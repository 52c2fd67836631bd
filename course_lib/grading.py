"""Grade notebooks: the ``grade`` command.

Each notebook runs top to bottom in a fresh kernel (:func:`course_lib.runner.execute_notebook`,
fast mode, working folder ``notebooks/``) with ``COURSE_GRADE_FILE`` pointing at a scratch file;
every ``exN.check(...)`` in it appends its verdict there (:mod:`course_lib.checks.exercise`).
An exercise scores 1 when its last recorded verdict passed, 0 otherwise: a wrong answer, an
untouched stub, a check cell never reached, or a cell that raised. A raising cell does not stop
the run (``allow_errors``), so the other exercises are still graded.

The verdicts come from the learner's own kernel, so a determined learner can forge them: this is
formative feedback and a first pass for the instructor, not an exam proctor (README, "For instructors").

Examples
--------
::

    python -m course_lib grade submissions/alice/*.ipynb --json alice.json
    python -m course_lib solve --out runs/solved && python -m course_lib grade runs/solved
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_lib.errors import DataNotFoundError, NotebookExecutionError, OutputPathError, describe_exception

#: Seconds one cell may run while grading (fast mode: a few minutes at most).
GRADE_CELL_TIMEOUT = 900


@dataclass
class ExerciseResult:
    exercise: int
    name: str
    passed: bool = False
    checked: bool = False          # did its check cell run at all?
    hints: int = 0
    solution_viewed: bool = False


@dataclass
class NotebookResult:
    notebook: str
    path: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    cells_with_errors: int = 0
    error: str | None = None       # the run itself failed (timeout, dead kernel): later checks never ran

    @property
    def score(self) -> int:
        return sum(ex.passed for ex in self.exercises)

    @property
    def total(self) -> int:
        return len(self.exercises)

    def to_json(self) -> dict:
        return {**asdict(self), "score": self.score, "total": self.total}


def notebook_number(path: Path) -> str:
    """``"01"`` for ``.../01_lab_color_space.ipynb``."""
    return Path(path).name[:2]


def expand(paths: list[Path]) -> list[Path]:
    """Notebook files; a folder stands for its ``NN_*.ipynb``. Raises DataNotFoundError for a missing path."""
    notebooks = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("[0-9][0-9]_*.ipynb"))
            if not found:
                raise DataNotFoundError(f"no notebooks NN_*.ipynb in {path}")
            notebooks += found
        elif path.is_file():
            notebooks.append(path)
        else:
            raise DataNotFoundError(f"no notebook {path}")
    return notebooks


def _read_verdicts(path: Path) -> dict[int, dict]:
    """Exercise number -> its last recorded verdict (a learner may check several times)."""
    verdicts = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                verdict = json.loads(line)
                verdicts[int(verdict["exercise"])] = verdict
            except (ValueError, KeyError, TypeError):
                continue  # a torn line: that exercise then counts as not checked
    return verdicts


def grade_notebook(path: Path, *, env: dict | None = None, fast: bool = True,
                   timeout: int = GRADE_CELL_TIMEOUT) -> NotebookResult:
    """Execute one notebook and grade its exercises (those registered for its number)."""
    from course_lib.checks.exercise import GRADE_FILE_ENV_VAR, exercises
    from course_lib.runner import NOTEBOOK_DIR, execute_notebook

    path = Path(path)
    result = NotebookResult(path.name, str(path))
    with tempfile.TemporaryDirectory(prefix="course_grade_") as scratch:
        record = Path(scratch) / "verdicts.jsonl"
        try:
            # The executed copy (and the kernel's log, not the terminal) go to the scratch folder.
            nb = execute_notebook(path, fast=fast, timeout=timeout, allow_errors=True, workdir=NOTEBOOK_DIR,
                                  out_path=Path(scratch) / path.name,
                                  env={**(env or {}), GRADE_FILE_ENV_VAR: str(record)})
            result.cells_with_errors = sum(
                any(out.get("output_type") == "error" for out in cell.get("outputs", []))
                for cell in nb.cells if cell.cell_type == "code")
        except NotebookExecutionError as exc:  # timeout or dead kernel: keep what was recorded before
            result.error = str(exc)
        verdicts = _read_verdicts(record)
    for ex in exercises(notebook_number(path)):
        verdict = verdicts.get(ex.number)
        result.exercises.append(ExerciseResult(
            ex.number, ex.name, passed=bool(verdict and verdict.get("passed") is True), checked=verdict is not None,
            hints=int(verdict.get("hints", 0)) if verdict else 0,
            solution_viewed=bool(verdict and verdict.get("solution_viewed"))))
    return result


def grade_notebooks(paths: list[Path], *, env: dict | None = None, fast: bool = True,
                    timeout: int = GRADE_CELL_TIMEOUT) -> dict:
    """Grade every notebook; ``{"score", "total", "notebooks": [...]}`` (what ``--json`` writes)."""
    results = [grade_notebook(path, env=env, fast=fast, timeout=timeout) for path in expand(paths)]
    return {"score": sum(r.score for r in results), "total": sum(r.total for r in results),
            "notebooks": [r.to_json() for r in results]}


def format_report(report: dict) -> str:
    """The per-exercise table, one line per exercise, and the score."""
    lines = [f"{'notebook':<30} {'exercise':<24} {'verdict':<13} {'hints':>5}  solution"]
    for nb in report["notebooks"]:
        for ex in nb["exercises"]:
            verdict = "passed" if ex["passed"] else ("not passed" if ex["checked"] else "not checked")
            lines.append(f"{nb['notebook']:<30} {ex['exercise']:>2} {ex['name']:<21} {verdict:<13} "
                         f"{ex['hints']:>5}  {'viewed' if ex['solution_viewed'] else ''}")
        if nb["cells_with_errors"]:
            lines.append(f"{'':<30} ({nb['cells_with_errors']} cell(s) raised an error)")
        if nb["error"]:
            lines.append(f"{'':<30} (the run stopped: {nb['error']})")
        if not nb["exercises"]:
            lines.append(f"{nb['notebook']:<30} (no registered exercises)")
    lines.append(f"score: {report['score']} of {report['total']} exercises passed")
    return "\n".join(lines)


# --------------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK",
                        help="notebooks NN_name.ipynb to grade (a folder: its NN_*.ipynb)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--full", action="store_true", help="run at full size instead of fast mode (COURSE_FAST=1)")
    parser.add_argument("--timeout", type=int, default=GRADE_CELL_TIMEOUT,
                        help=f"seconds allowed per cell (default: {GRADE_CELL_TIMEOUT})")


def run_cli(args) -> int:
    from course_lib.runner import announce_data

    paths = expand(args.notebooks)
    print(f"Grading {len(paths)} notebook(s){'' if args.full else ' in fast mode (COURSE_FAST=1)'}")
    report = grade_notebooks(paths, env=announce_data(), fast=not args.full, timeout=args.timeout)
    print(format_report(report))
    if args.json:
        try:
            args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise OutputPathError(f"cannot write {args.json} ({describe_exception(exc)})") from None
    return 0
