"""Grade one notebook: recognise it, run it with time limits, score its exercises.

Each notebook runs top to bottom in a fresh kernel (fast mode) with ``COURSE_GRADE_FILE``
pointing at a verdict file; every ``exN.check(...)`` in it appends its verdict there, with the
checker's message (:mod:`course_lib.checks.exercise`). An exercise scores 1 when its last
recorded verdict passed -- or, for a prediction/decision exercise, its *first answer* -- and 0
otherwise: a wrong answer, an untouched stub, a check cell never reached, a cell that raised.

Time limits cost only what loops: a cell past the cell limit is interrupted (a kernel interrupt,
as the stop button) and the run goes on, so only the exercise of that cell is lost; a notebook
past the notebook limit stops, and every verdict recorded before still counts.

A notebook is recognised by its content, never by its file name ("Copy of 05_...", "05_... (1)",
an LMS's "alice_123456_05_..."): the ``colorize_course`` metadata that the build writes
(``{"notebook": "05"}``), else its course header cell, else the ``course_lib.checks`` module its
check cells import.

The verdicts come from the learner's own kernel, so a determined learner can forge them: this is
formative feedback and a first pass for the instructor, not an exam proctor (README, "For
instructors"). The ``grade`` command is :mod:`course_lib.course.class_grading` (one learner or a class).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_lib.errors import CourseError, DataNotFoundError

#: Metadata key the build writes into every course notebook: ``{"notebook": "05"}``.
METADATA_KEY = "colorize_course"
#: Fast mode (what grading runs): seconds one cell may run before it is interrupted. The longest
#: fast-mode cells train a tiny model for a minute or two on a CPU.
FAST_CELL_TIMEOUT = 300
#: Fast mode: seconds one notebook may run before it stops (what was recorded still counts).
FAST_NOTEBOOK_TIMEOUT = 1800
#: Full size (``--full``): the course's own per-cell limit, and no notebook limit.
FULL_CELL_TIMEOUT, FULL_NOTEBOOK_TIMEOUT = 3600, 0
#: Kept for callers of the one-learner API: the fast-mode cell limit.
GRADE_CELL_TIMEOUT = FAST_CELL_TIMEOUT

_HEADER = re.compile(r"^#\s*(\d\d)\s*·\s*(.+?)\s*$", re.M)
_CHECKS_IMPORT = re.compile(r"\bcourse_lib\.checks\.(\w+)\b")
_EXERCISE_DECL = re.compile(r"\bExercise\(\s*[\"'](\d\d)[\"']")


class NotACourseNotebook(CourseError):
    """A file that is not a notebook of this course; its message says why (it is listed as ignored)."""


# ------------------------------------------------------------------ recognising a notebook
def course_notebooks() -> dict[str, Path]:
    """Number -> the course's own learner notebook ``notebooks/NN_name.ipynb``."""
    from course_lib.course.runner import NOTEBOOK_DIR

    return {path.name[:2]: path for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))}


def _course_titles() -> dict[str, str]:
    import nbformat

    titles = {}
    for number, path in course_notebooks().items():
        meta = nbformat.read(path, as_version=4).metadata.get("course", {})
        titles[number] = str(meta.get("title", "")).strip().lower()
    return titles


def identify(nb) -> tuple[str, str]:
    """``(number, how)`` of a course notebook read with nbformat: by metadata, header cell or check imports.

    Raises
    ------
    NotACourseNotebook
        When nothing in it names one of the course's notebooks.
    """
    from course_lib.checks.exercise import CHECK_MODULES

    known = course_notebooks()
    number = str((nb.metadata.get(METADATA_KEY) or {}).get("notebook", "")) if isinstance(
        nb.metadata.get(METADATA_KEY), dict) else ""
    if number in known:
        return number, f"metadata {METADATA_KEY}"
    titles = _course_titles()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for found, title in _HEADER.findall(cell.source):
                if found in titles and titles[found] and title.strip().lower() == titles[found]:
                    return found, "its course header"
    modules = {module: n for n, module in CHECK_MODULES.items()}
    for cell in nb.cells:
        if cell.cell_type == "code":
            found = [modules[m] for m in _CHECKS_IMPORT.findall(cell.source) if m in modules]
            found += [n for n in _EXERCISE_DECL.findall(cell.source) if n in known]
            if found:
                return found[0], "its exercise checks"
    raise NotACourseNotebook("a notebook, but not one of this course's (no course metadata, header or "
                             "exercise checks)")


def recognise(path: Path) -> tuple[str, str]:
    """``(number, how)`` of the course notebook in the file ``path``, whatever its name.

    Raises
    ------
    NotACourseNotebook
        Not a .ipynb file, not a readable notebook, or a notebook of something else.
    """
    import nbformat

    path = Path(path)
    if path.suffix.lower() != ".ipynb":
        raise NotACourseNotebook(f"not a notebook ({path.suffix or 'no extension'})")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001  (JSON, schema, encoding: any of them means unreadable)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise NotACourseNotebook(f"not a readable notebook ({type(exc).__name__}: {first})") from None
    return identify(nb)


def notebook_number(path: Path) -> str:
    """``"01"`` for a notebook of the course, recognised by content; else the first two characters of its name."""
    try:
        return recognise(path)[0]
    except NotACourseNotebook:
        return Path(path).name[:2]


def expand(paths: list[Path]) -> list[Path]:
    """Notebook files; a folder stands for its ``*.ipynb``. Raises DataNotFoundError for a missing path."""
    notebooks = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.ipynb"))
            if not found:
                raise DataNotFoundError(f"no notebooks *.ipynb in {path}")
            notebooks += found
        elif path.is_file():
            notebooks.append(path)
        else:
            raise DataNotFoundError(f"no notebook {path}")
    return notebooks


# ------------------------------------------------------------------ results
@dataclass
class ExerciseResult:
    exercise: int
    name: str
    passed: bool = False           # what it scores: see scored_verdict
    checked: bool = False          # did its check cell run at all?
    hints: int = 0
    solution_viewed: bool = False
    prediction: bool = False       # scored on its first answer
    message: str = ""              # the checker's words on the verdict that scored
    verdicts: list[dict] = field(default_factory=list)  # every check, in order, with its message


@dataclass
class NotebookResult:
    notebook: str
    path: str
    number: str = ""
    executed_copy: str | None = None
    exercises: list[ExerciseResult] = field(default_factory=list)
    cells_with_errors: int = 0
    timed_out_cells: list[str] = field(default_factory=list)  # "code cell 7 ('while True: ...')"
    error: str | None = None       # the run stopped (notebook limit, dead kernel): later checks never ran
    seconds: float = 0.0

    @property
    def score(self) -> int:
        return sum(ex.passed for ex in self.exercises)

    @property
    def total(self) -> int:
        return len(self.exercises)

    def problems(self) -> list[str]:
        """What the instructor should look at, one short phrase each."""
        found = [f"{self.number}: {cell} interrupted (cell time limit)" for cell in self.timed_out_cells]
        if self.cells_with_errors:
            found.append(f"{self.number}: {self.cells_with_errors} cell(s) with errors")
        if self.error:
            found.append(f"{self.number}: {self.error}")
        return found

    def to_json(self) -> dict:
        return {**asdict(self), "score": self.score, "total": self.total}


def read_verdicts(path: Path) -> dict[int, list[dict]]:
    """Exercise number -> every verdict recorded for it, in order (a learner may check several times)."""
    verdicts: dict[int, list[dict]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                verdict = json.loads(line)
                verdicts.setdefault(int(verdict["exercise"]), []).append(verdict)
            except (ValueError, KeyError, TypeError):
                continue  # a torn line: that check then counts as not made
    return verdicts


def scored_verdict(verdicts: list[dict], prediction: bool) -> dict | None:
    """The verdict that scores: a prediction's first *answer* (a stub's "not attempted" is none), else the last."""
    if not verdicts:
        return None
    if prediction:
        answered = [v for v in verdicts if v.get("answered", True)]
        return answered[0] if answered else verdicts[-1]
    return verdicts[-1]


def score_exercises(number: str, record: Path) -> list[ExerciseResult]:
    """The registered exercises of notebook ``number``, scored from the verdict file ``record``."""
    from course_lib.checks.exercise import exercises

    verdicts = read_verdicts(record)
    results = []
    for ex in exercises(number):
        made = verdicts.get(ex.number, [])
        scored = scored_verdict(made, ex.prediction)
        last = made[-1] if made else {}
        results.append(ExerciseResult(
            ex.number, ex.name, passed=bool(scored and scored.get("passed") is True), checked=bool(made),
            hints=int(last.get("hints", 0)), solution_viewed=any(v.get("solution_viewed") for v in made),
            prediction=ex.prediction, message=str(scored.get("message", "")) if scored else "",
            verdicts=[{key: v.get(key) for key in ("passed", "answered", "message", "hints", "solution_viewed")}
                      for v in made]))
    return results


# ------------------------------------------------------------------ running with time limits
class _NotebookTimeLimit(Exception):
    """Raised inside the client when the notebook's own time limit is reached."""


def _grading_client(nb, *, cell_timeout: int, notebook_timeout: int, workdir: Path):
    """An nbclient client that interrupts a cell past ``cell_timeout`` and stops past ``notebook_timeout``."""
    import asyncio

    from course_lib.course.runner import KERNEL_NAME, _notebook_client_class

    base = _notebook_client_class()
    deadline = time.monotonic() + notebook_timeout if notebook_timeout and notebook_timeout > 0 else None

    class GradingClient(base):
        async def _async_handle_timeout(self, timeout, cell=None):
            if cell is not None and all(cell is not seen for seen in self.timed_out):
                self.timed_out.append(cell)
            return await super()._async_handle_timeout(timeout, cell)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if deadline is None:
                return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            left = deadline - time.monotonic()
            if left <= 0:
                raise _NotebookTimeLimit()
            try:
                return await asyncio.wait_for(
                    super().async_execute_cell(cell, cell_index, execution_count, store_history), left)
            except Exception:
                if time.monotonic() >= deadline:  # cancelled by the limit (nbclient may say "dead kernel")
                    raise _NotebookTimeLimit() from None
                raise

    client = GradingClient(nb, kernel_name=KERNEL_NAME, timeout=cell_timeout, allow_errors=True,
                           interrupt_on_timeout=True, resources={"metadata": {"path": str(workdir)}})
    client.timed_out = []
    return client


def _describe_cell(nb, cell) -> str:
    from course_lib.course.runner import _first_line

    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    index = next((i for i, c in enumerate(code_cells, 1) if c is cell), 0)
    return f"code cell {index} ('{_first_line(cell.source)}')"


def grade_notebook(path: Path, *, number: str | None = None, env: dict | None = None, fast: bool = True,
                   timeout: int = FAST_CELL_TIMEOUT, notebook_timeout: int = FAST_NOTEBOOK_TIMEOUT,
                   workdir: Path | None = None, out_path: Path | None = None) -> NotebookResult:
    """Execute one notebook and grade its exercises (those registered for its number).

    Parameters
    ----------
    path : Path
        The learner's notebook (never modified).
    number : str, optional
        Its course number, when already recognised; else :func:`recognise` finds it.
    env : dict, optional
        Extra environment for the kernel (data choice, ``COURSE_RUNS_DIR``...).
    fast : bool
        Run in fast mode (``COURSE_FAST=1``).
    timeout, notebook_timeout : int
        Seconds per cell (then it is interrupted) and for the whole notebook (then it stops; 0: no limit).
    workdir : Path, optional
        The kernel's working folder (default: the course's ``notebooks/``).
    out_path : Path, optional
        Where to keep the executed copy (its kernel log beside it); default: a scratch folder, deleted.

    Raises
    ------
    NotACourseNotebook
        When ``number`` is not given and the file is not a notebook of this course.
    OutputPathError
        When the executed copy cannot be written.
    """
    import os
    import tempfile

    import nbformat
    from nbclient.exceptions import DeadKernelError

    from course_lib import config
    from course_lib.checks.exercise import GRADE_FILE_ENV_VAR
    from course_lib.course.runner import NOTEBOOK_DIR, kernel_log_path

    path = Path(path)
    number = number or recognise(path)[0]
    result = NotebookResult(path.name, str(path), number=number)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course_grade_") as scratch:
        keep = out_path is not None
        out_path = Path(out_path) if keep else Path(scratch) / path.name
        out_path.parent.mkdir(parents=True, exist_ok=True)
        record = out_path.with_name(out_path.stem + ".verdicts.jsonl")
        record.unlink(missing_ok=True)
        nb = nbformat.read(path, as_version=4)
        kernel_env = {**os.environ, **(env or {}), GRADE_FILE_ENV_VAR: str(record)}
        kernel_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if fast:
            kernel_env[config.FAST_ENV_VAR] = "1"
        client = _grading_client(nb, cell_timeout=timeout, notebook_timeout=notebook_timeout,
                                 workdir=Path(workdir or NOTEBOOK_DIR))
        # The kernel's own stdout/stderr (TensorFlow's C++ logging) go to a log beside the executed copy.
        with open(kernel_log_path(out_path), "w") as log:
            try:
                client.execute(env=kernel_env, stdout=log, stderr=log)
            except _NotebookTimeLimit:
                result.error = f"stopped at the notebook time limit ({notebook_timeout} s)"
            except DeadKernelError as exc:
                result.error = f"the kernel died ({exc}); later cells never ran"
            finally:
                nbformat.write(nb, out_path)
        result.timed_out_cells = [_describe_cell(nb, cell) for cell in client.timed_out]
        result.cells_with_errors = sum(
            any(out.get("output_type") == "error" for out in cell.get("outputs", []))
            for cell in nb.cells if cell.cell_type == "code")
        result.exercises = score_exercises(number, record)
        result.executed_copy = str(out_path) if keep else None
    result.seconds = round(time.perf_counter() - start, 1)
    return result


def grade_notebooks(paths: list[Path], *, env: dict | None = None, fast: bool = True,
                    timeout: int = FAST_CELL_TIMEOUT, notebook_timeout: int = FAST_NOTEBOOK_TIMEOUT) -> dict:
    """Grade every notebook; ``{"score", "total", "notebooks": [...]}`` (what ``--json`` writes).

    Raises
    ------
    DataNotFoundError
        For a path that does not exist.
    NotACourseNotebook
        For a file that is not a notebook of this course (a class folder lists those instead).
    """
    results = [grade_notebook(path, env=env, fast=fast, timeout=timeout, notebook_timeout=notebook_timeout)
               for path in expand(paths)]
    return {"score": sum(r.score for r in results), "total": sum(r.total for r in results),
            "notebooks": [r.to_json() for r in results]}


def format_report(report: dict) -> str:
    """The per-exercise table, one line per exercise, and the score."""
    lines = [f"{'notebook':<30} {'exercise':<24} {'verdict':<13} {'hints':>5}  solution"]
    for nb in report["notebooks"]:
        for ex in nb["exercises"]:
            verdict = "passed" if ex["passed"] else ("not passed" if ex["checked"] else "not checked")
            if ex.get("prediction") and ex["checked"] and len(ex.get("verdicts", [])) > 1:
                verdict += " (1st)"  # a prediction: its first answer scored
            lines.append(f"{nb['notebook']:<30} {ex['exercise']:>2} {ex['name']:<21} {verdict:<13} "
                         f"{ex['hints']:>5}  {'viewed' if ex['solution_viewed'] else ''}")
        for cell in nb.get("timed_out_cells", []):
            lines.append(f"{'':<30} ({cell} was interrupted at the cell time limit)")
        if nb["cells_with_errors"]:
            lines.append(f"{'':<30} ({nb['cells_with_errors']} cell(s) raised an error)")
        if nb["error"]:
            lines.append(f"{'':<30} (the run stopped: {nb['error']})")
        if not nb["exercises"]:
            lines.append(f"{nb['notebook']:<30} (no registered exercises)")
    lines.append(f"score: {report['score']} of {report['total']} exercises passed")
    return "\n".join(lines)
