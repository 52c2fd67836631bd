"""Grade a class: a folder of submissions in, one grade sheet out -- the ``grade`` command.

``SUBMISSIONS`` holds one folder per learner, named by the learner's id (what the gradebook
knows them by). Each folder holds any subset of the course's notebooks under any file name;
each is recognised by its content (:func:`course_lib.course.grading.recognise`), and anything else in
the folder (a .txt, a foreign notebook, a corrupt file, a second copy) is listed as ignored, with
the reason. Then, for every learner (``--jobs N`` at a time):

- each notebook runs in a fresh kernel, fast mode, from a fresh, empty working folder
  ``OUT/<learner>/work/NN_name/``, with its own runs folder ``OUT/<learner>/runs/NN_name/``
  (``COURSE_RUNS_DIR``): notebook 04 of one learner trains and deletes only there;
- notebooks 05-08 find the instructor's model (``--model-run DIR``) in that runs folder: a private,
  read-only copy for that notebook (removed afterwards when unchanged), so nobody retrains it and
  no learner's code can change the instructor's model or the one another learner is graded with;
- the executed copy (``OUT/<learner>/NN_name.ipynb``), its kernel log and its verdicts stay, so
  feedback can be handed back; the reflections (markdown cells tagged ``reflection``) are
  collected in ``OUT/<learner>/reflections.md``.

``--csv`` writes one row per learner: ``learner``, one column per notebook (its score), ``total``,
``maximum``, ``problems``. ``--json`` keeps every exercise's verdicts with the checkers' messages.

Isolation is against accidents (a shared runs folder, a notebook that deletes a run, a loop), not
against malice: the kernels run as the instructor's user, and a learner's code can read and write
what that user can. Grade untrusted work in a container or a throw-away account.

Examples
--------
::

    python -m course_lib grade submissions/alice/*.ipynb --json alice.json       # one learner
    python -m course_lib grade submissions --class --csv grades.csv --json grades.json \\
        --jobs 4 --model-run runs/course
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from course_lib import config
from course_lib.course import grading
from course_lib.errors import CourseError, DataNotFoundError, OutputPathError, describe_exception
from course_lib.exercise_cells import is_reflection

#: Notebooks graded against the instructor's model (``--model-run``) instead of one of their own.
MODEL_NOTEBOOKS = ("05", "06", "07", "08")


@dataclass
class Settings:
    """How every notebook of the class runs (the same for each learner)."""

    env: dict = field(default_factory=dict)   # the kernels' data choice (runner.announce_data)
    fast: bool = True
    cell_timeout: int = grading.FAST_CELL_TIMEOUT
    notebook_timeout: int = grading.FAST_NOTEBOOK_TIMEOUT
    model_runs: dict = field(default_factory=dict)  # run name -> the instructor's run, copied for 05-08


# ------------------------------------------------------------------ what a learner handed in
def sort_submission(folder: Path) -> tuple[dict[str, Path], list[dict]]:
    """The course notebooks in ``folder`` (number -> file) and the files ignored, each with its reason.

    Two files for one notebook: the one modified last is graded, the other listed as ignored.
    """
    found: dict[str, list[Path]] = {}
    ignored = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") or part == "__MACOSX" for part in relative.parts):
            ignored.append({"file": str(relative), "reason": "hidden file or folder (e.g. .ipynb_checkpoints)"})
            continue
        try:
            number, _ = grading.recognise(path)
        except grading.NotACourseNotebook as exc:
            ignored.append({"file": str(relative), "reason": str(exc)})
            continue
        found.setdefault(number, []).append(path)
    chosen = {}
    for number, paths in sorted(found.items()):
        paths.sort(key=lambda p: (p.stat().st_mtime, str(p)), reverse=True)
        chosen[number] = paths[0]
        for other in paths[1:]:
            ignored.append({"file": str(other.relative_to(folder)),
                            "reason": f"another copy of notebook {number}; graded {paths[0].name} "
                                      "(modified last)"})
    return chosen, ignored


def find_learners(submissions: Path) -> tuple[list[Path], list[dict]]:
    """One folder per learner in ``submissions`` (sorted), and the loose files there (ignored, with why).

    Raises
    ------
    DataNotFoundError
        When ``submissions`` is not a folder or holds no learner folder.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise DataNotFoundError(f"no folder {submissions}: --class needs a folder holding one folder per learner")
    entries = sorted(p for p in submissions.iterdir() if not p.name.startswith("."))
    learners = [p for p in entries if p.is_dir()]
    loose = [{"file": p.name, "reason": "not in a learner's folder"} for p in entries if not p.is_dir()]
    if not learners:
        raise DataNotFoundError(f"no learner folders in {submissions}: put each learner's notebooks in a folder "
                                "named by the learner's id (e.g. submissions/alice/...)")
    return learners, loose


# ------------------------------------------------------------------ the instructor's model
def prepare_model_runs(model_run: Path, fast: bool) -> dict[str, Path]:
    """The instructor's model run(s) that notebooks 05-08 are graded against: run name -> folder.

    ``model_run`` is either a run folder holding ``model.keras`` (notebook 04's model: it goes where
    :func:`course_lib.config.course_run_dir` looks, ``course`` or ``course-fast``) or a runs folder
    holding several runs (``course``, ``cls``, ``hints``...: each under its own name).

    Raises
    ------
    DataNotFoundError
        When ``model_run`` holds no ``model.keras``, nor any run folder that does.
    """
    model_run = Path(model_run).resolve()
    if (model_run / "model.keras").is_file():
        return {config.course_run_dir(fast=fast).name: model_run}
    runs = {p.name: p for p in sorted(model_run.glob("*")) if (p / "model.keras").is_file()}
    if not runs:
        raise DataNotFoundError(f"no model.keras in {model_run} nor in a folder inside it: --model-run takes "
                                "notebook 04's run folder (e.g. runs/course) or a runs folder holding such runs")
    return runs


def _digest(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _set_writable(paths, writable: bool) -> None:
    for path in paths:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def copy_model_runs(model_runs: dict[str, Path], runs: Path) -> dict[Path, str]:
    """Copy each model run into the learner's ``runs`` folder, read-only (checkpoints left out).

    A private copy per notebook: no learner's code can reach the instructor's folder or another
    learner's copy, even as root (who ignores read-only). Returns each copied file and its SHA-256.

    Raises
    ------
    OutputPathError
        When a copy cannot be written.
    """
    copied = {}
    for name, source in model_runs.items():
        try:
            shutil.copytree(source, runs / name, ignore=shutil.ignore_patterns("checkpoints"))
        except OSError as exc:
            raise OutputPathError(f"cannot copy the model run {source} to {runs / name} "
                                  f"({describe_exception(exc)})") from None
        files = [p for p in (runs / name).rglob("*") if p.is_file()]
        copied.update({p: _digest(p) for p in files})
        _set_writable([*files, *(p for p in (runs / name).rglob("*") if p.is_dir()), runs / name], False)
    return copied


def release_model_copy(copied: dict[Path, str]) -> list[str]:
    """Remove the copies a notebook left unchanged (disk space); keep and name those it changed or removed."""
    changed = []
    for path, digest in copied.items():
        if path.parent.is_dir():
            _set_writable([path.parent], True)
        if not path.is_file() or _digest(path) != digest:
            changed.append(path.name)
            continue
        _set_writable([path], True)
        path.unlink()
    for folder in sorted({p.parent for p in copied}, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir():
            _set_writable([folder], True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return changed


# ------------------------------------------------------------------ reflections
def _reflection_cells(nb, course_ids: set[str]) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown" and (
        is_reflection(c) or c.get("id") in course_ids)]


def reflections_markdown(learner: str, notebooks: dict[str, Path]) -> str:
    """The learner's reflection cells, notebook by notebook, as one markdown document."""
    import nbformat

    course = grading.course_notebooks()
    lines = [f"# Reflections: {learner}", ""]
    for number, path in sorted(notebooks.items()):
        original = nbformat.read(course[number], as_version=4)
        asked = _reflection_cells(original, set())
        title = original.metadata.get("course", {}).get("title", "")
        lines += [f"## {number} · {title} (`{path.name}`)", ""]
        answers = _reflection_cells(nbformat.read(path, as_version=4), {c.get("id") for c in asked})
        if not answers:
            lines += ["*(no reflection cells found: tags removed or cells deleted)*", ""]
        unchanged = {c.source.strip() for c in asked}
        for index, cell in enumerate(answers, 1):
            note = " *(unchanged: not answered)*" if cell.source.strip() in unchanged else ""
            lines += [f"### Reflection {index}{note}", "", cell.source.strip(), ""]
    return "\n".join(lines)


# ------------------------------------------------------------------ one learner
def grade_learner(folder: Path, out_dir: Path, settings: Settings) -> dict:
    """Grade one learner's folder into ``out_dir/<learner>/``; the learner's record for the report.

    Never raises for the learner's files: a file that is not a course notebook is listed as
    ignored, a loop is interrupted, a notebook that cannot finish keeps what it recorded.
    """
    folder = Path(folder)
    learner = folder.name
    learner_out = out_dir / learner
    start = time.perf_counter()
    notebooks, ignored = sort_submission(folder)
    course = grading.course_notebooks()
    results, model_problems = [], []
    for number, path in notebooks.items():
        name = course[number].stem
        workdir = learner_out / "work" / name
        runs = learner_out / "runs" / name
        workdir.mkdir(parents=True, exist_ok=True)
        runs.mkdir(parents=True, exist_ok=True)
        copied = copy_model_runs(settings.model_runs, runs) if number in MODEL_NOTEBOOKS else {}
        # The kernel runs outside the checkout: it imports this checkout's course_lib through PYTHONPATH.
        python_path = os.pathsep.join(p for p in (str(config.REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        env = {**settings.env, config.RUNS_ENV_VAR: str(runs), "PYTHONPATH": python_path}
        result = grading.grade_notebook(
            path, number=number, env=env, fast=settings.fast, timeout=settings.cell_timeout,
            notebook_timeout=settings.notebook_timeout, workdir=workdir, out_path=learner_out / f"{name}.ipynb")
        changed = release_model_copy(copied)
        results.append(result)
        if changed:
            model_problems.append(f"{number}: changed or removed its copy of the instructor's model ({', '.join(changed)}; "
                                  f"kept in {runs})")
    reflections = learner_out / "reflections.md"
    learner_out.mkdir(parents=True, exist_ok=True)
    reflections.write_text(reflections_markdown(learner, notebooks) + "\n", encoding="utf-8")
    return {"learner": learner, "folder": str(folder), "out": str(learner_out),
            "seconds": round(time.perf_counter() - start, 1), "error": None,
            "notebooks": [r.to_json() for r in results],
            "problems": [p for r in results for p in r.problems()] + model_problems,
            "ignored": ignored, "reflections": str(reflections)}


def _grade_learner_safely(folder: Path, out_dir: Path, settings: Settings) -> dict:
    """:func:`grade_learner`; a bug while grading one learner is reported, and the class goes on."""
    try:
        return grade_learner(folder, out_dir, settings)
    except Exception as exc:  # noqa: BLE001  (a bug: keep its traceback, lose no other learner)
        traceback.print_exc()
        return {"learner": Path(folder).name, "folder": str(folder), "out": str(out_dir / Path(folder).name),
                "seconds": 0.0, "error": f"{type(exc).__name__}: {exc}", "notebooks": [],
                "problems": [f"grading failed: {type(exc).__name__}: {exc}"], "ignored": [], "reflections": None}


# ------------------------------------------------------------------ the class
def grade_class(submissions: Path, out_dir: Path, settings: Settings, *, jobs: int = 1,
                progress=print) -> dict:
    """Grade every learner of ``submissions`` into ``out_dir``; the class report (what ``--json`` writes).

    Raises
    ------
    DataNotFoundError
        When ``submissions`` holds no learner folder.
    OutputPathError
        When a learner's output folder already exists (nothing is overwritten) or cannot be made.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed

    learners, loose = find_learners(submissions)
    out_dir = Path(out_dir)
    taken = [p.name for p in learners if (out_dir / p.name).exists()]
    if taken:
        raise OutputPathError(f"{out_dir} already holds graded folders for {', '.join(taken[:5])}"
                              f"{' ...' if len(taken) > 5 else ''}: choose another --out (nothing is overwritten)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create {out_dir} ({describe_exception(exc)}); choose --out") from None
    start = time.perf_counter()
    records = {}
    if jobs <= 1:
        for index, folder in enumerate(learners, 1):
            records[folder.name] = _grade_learner_safely(folder, out_dir, settings)
            progress(_progress_line(index, len(learners), records[folder.name]))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_grade_learner_safely, folder, out_dir, settings): folder for folder in learners}
            for index, future in enumerate(as_completed(futures), 1):
                record = future.result()
                records[record["learner"]] = record
                progress(_progress_line(index, len(learners), record))
    return class_report([records[p.name] for p in learners], loose, settings, seconds=time.perf_counter() - start)


def _progress_line(index: int, count: int, record: dict) -> str:
    score = sum(nb["score"] for nb in record["notebooks"])
    total = sum(nb["total"] for nb in record["notebooks"])
    problems = len(record["problems"]) + len(record["ignored"])
    return (f"[{index}/{count}] {record['learner']}: {score}/{total} in {len(record['notebooks'])} notebook(s), "
            f"{record['seconds']:.0f} s" + (f", {problems} problem(s)" if problems else ""))


def class_report(records: list[dict], loose: list[dict], settings: Settings, *, seconds: float) -> dict:
    """The class report: every learner's record, the notebook columns and the maximum."""
    course = grading.course_notebooks()
    from course_lib.checks.exercise import exercises

    numbers = sorted({nb["number"] for r in records for nb in r["notebooks"]})
    columns = {n: {"name": course[n].stem, "exercises": len(exercises(n))} for n in numbers}
    maximum = sum(c["exercises"] for c in columns.values())
    for record in records:
        handed_in = {nb["number"] for nb in record["notebooks"]}
        record["scores"] = {n: next((nb["score"] for nb in record["notebooks"] if nb["number"] == n), 0)
                            for n in numbers}
        record["total"], record["maximum"] = sum(record["scores"].values()), maximum
        record["problems"] = ([f"{n}: not handed in" for n in numbers if n not in handed_in] + record["problems"]
                              + [f"ignored {i['file']}: {i['reason']}" for i in record["ignored"]])
    return {"fast": settings.fast, "cell_timeout": settings.cell_timeout,
            "notebook_timeout": settings.notebook_timeout,
            "model_runs": {k: str(v) for k, v in settings.model_runs.items()}, "seconds": round(seconds, 1),
            "notebooks": columns, "maximum": maximum, "ignored": loose, "learners": records}


def csv_rows(report: dict) -> list[list]:
    """The grade sheet: a header, then one row per learner (what ``--csv`` writes)."""
    numbers = list(report["notebooks"])
    rows = [["learner", *(report["notebooks"][n]["name"] for n in numbers), "total", "maximum", "problems"]]
    for record in report["learners"]:
        rows.append([record["learner"], *(record["scores"][n] for n in numbers), record["total"],
                     record["maximum"], "; ".join(record["problems"])])
    return rows


def _write(path: Path, write) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as out:
            write(out)
    except OSError as exc:
        raise OutputPathError(f"cannot write {path} ({describe_exception(exc)})") from None


def write_csv(report: dict, path: Path) -> None:
    """Write the grade sheet ``path`` (UTF-8, comma-separated, a header row).

    Raises
    ------
    OutputPathError
        When it cannot be written.
    """
    _write(Path(path), lambda out: csv.writer(out).writerows(csv_rows(report)))


def write_json(report: dict, path: Path) -> None:
    """Write ``report`` as JSON. Raises OutputPathError when it cannot be written."""
    _write(Path(path), lambda out: out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n"))


# --------------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="one learner's notebooks (a folder: its *.ipynb); with --class: the SUBMISSIONS "
                             "folder holding one folder per learner")
    parser.add_argument("--class", dest="whole_class", action="store_true",
                        help="grade a class: PATH holds one folder per learner, named by the learner's id")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="with --class: write the grade sheet (one row "
                        "per learner: learner, a score per notebook, total, maximum, problems)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results (every verdict) as JSON")
    parser.add_argument("--out", type=Path, metavar="DIR", help="keep the executed copies here (with --class: "
                        "one folder per learner; default: SUBMISSIONS-graded beside SUBMISSIONS)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="with --class: learners graded at once")
    parser.add_argument("--full", action="store_true", help="run at full size instead of fast mode (COURSE_FAST=1)")
    parser.add_argument("--cell-timeout", "--timeout", dest="cell_timeout", type=int, metavar="S",
                        help=f"seconds a cell may run before it is interrupted (its exercise scores 0, the rest "
                             f"goes on; default {grading.FAST_CELL_TIMEOUT}, --full {grading.FULL_CELL_TIMEOUT})")
    parser.add_argument("--notebook-timeout", type=int, metavar="S",
                        help=f"seconds a notebook may run before it stops (what it recorded still counts; default "
                             f"{grading.FAST_NOTEBOOK_TIMEOUT}, --full: no limit; 0: no limit)")
    parser.add_argument("--model-run", type=Path, metavar="DIR",
                        help="with --class: the model notebooks 05-08 are graded against (notebook 04's run "
                             "folder, e.g. runs/course, or a runs folder holding course, cls, hints)")


def _settings(args) -> Settings:
    from course_lib.course.runner import announce_data

    cell = args.cell_timeout if args.cell_timeout is not None else (
        grading.FULL_CELL_TIMEOUT if args.full else grading.FAST_CELL_TIMEOUT)
    notebook = args.notebook_timeout if args.notebook_timeout is not None else (
        grading.FULL_NOTEBOOK_TIMEOUT if args.full else grading.FAST_NOTEBOOK_TIMEOUT)
    if cell <= 0 or notebook < 0:
        raise CourseError("--cell-timeout must be positive and --notebook-timeout 0 (no limit) or positive")
    return Settings(env=announce_data(), fast=not args.full, cell_timeout=cell, notebook_timeout=notebook)


def run_cli(args) -> int:
    if not args.whole_class:
        for option in ("csv", "model_run"):
            if getattr(args, option) is not None:
                raise CourseError(f"--{option.replace('_', '-')} needs --class (a folder of learner folders)")
        return _run_one_learner(args)
    if len(args.paths) != 1:
        raise DataNotFoundError("--class takes one SUBMISSIONS folder (one folder per learner inside)")
    if args.jobs < 1:
        raise CourseError("--jobs must be 1 or more")
    submissions = args.paths[0]
    find_learners(submissions)  # fail before the data search when the folder is wrong
    out_dir = args.out or submissions.resolve().parent / f"{submissions.resolve().name}-graded"
    settings = _settings(args)
    if args.model_run is not None:
        settings.model_runs = prepare_model_runs(args.model_run, settings.fast)
    else:
        print("note: no --model-run: notebooks 05-08 find no model in their fresh runs folder (they say so, and "
              "in fast mode train a tiny one each); name notebook 04's run with --model-run DIR", file=sys.stderr)
    print(f"Grading the class in {submissions} ({args.jobs} at a time"
          f"{'' if args.full else ', fast mode (COURSE_FAST=1)'}; cells interrupted after {settings.cell_timeout} s"
          f"{f', notebooks stopped after {settings.notebook_timeout} s' if settings.notebook_timeout else ''}); "
          f"executed copies in {out_dir}")
    report = grade_class(submissions, out_dir, settings, jobs=args.jobs)
    if args.csv:
        write_csv(report, args.csv)
    if args.json:
        write_json(report, args.json)
    failed = [r["learner"] for r in report["learners"] if r["error"]]
    print(f"Graded {len(report['learners'])} learner(s) in {report['seconds']:.0f} s"
          f"{f'; grade sheet {args.csv}' if args.csv else ''}{f'; details {args.json}' if args.json else ''}")
    if failed:
        print(f"error: grading failed for {', '.join(failed)} (a bug: the traceback is above)", file=sys.stderr)
        return 1
    return 0


def _run_one_learner(args) -> int:
    paths = grading.expand(args.paths)
    settings = _settings(args)
    print(f"Grading {len(paths)} notebook(s){'' if args.full else ' in fast mode (COURSE_FAST=1)'}")
    results = []
    for path in paths:
        try:
            number, _ = grading.recognise(path)
        except grading.NotACourseNotebook as exc:
            print(f"ignored {path}: {exc}")
            continue
        out_path = (args.out / grading.course_notebooks()[number].name) if args.out else None
        results.append(grading.grade_notebook(path, number=number, env=settings.env, fast=settings.fast,
                                              timeout=settings.cell_timeout,
                                              notebook_timeout=settings.notebook_timeout, out_path=out_path))
    report = {"score": sum(r.score for r in results), "total": sum(r.total for r in results),
              "notebooks": [r.to_json() for r in results]}
    print(grading.format_report(report))
    if args.json:
        write_json(report, args.json)
    return 0

