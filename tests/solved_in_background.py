"""Grading the instructors' solved copies in a child process, while the test session runs other tests.

:class:`BackgroundGrading` starts this file as a script (``python tests/solved_in_background.py
JOB``). The child grades the notebooks the job file lists, one after another in its order, and
writes each one's outcome into the job's folder as soon as it is known:

- ``NN.started``      the notebook's run began (its time stamp bounds how long it may take);
- ``NN.result.json``  ``NotebookResult.to_json()`` of its graded run (written whole, then renamed);
- ``NN.error.txt``    the traceback, when grading it raised (the next notebooks still run);
- ``worker.log``      the child's own output.

A job may name training runs that the learner copies of the same session train in their own runs
folder (``reuse_runs``, from ``reuse_runs_from``): before each notebook, each of them that is
finished there and missing here is copied into the solved copies' runs folder
(:func:`take_finished_run`), and the solved notebook reuses it as a learner's second notebook
would. The learner copies' run of the notebook trained it with the same code, data and settings (a
run of other settings fails the solved notebook's ``train(..., resume="auto")``, naming them);
where none is finished yet, the solved notebook trains its own.

The session's side, :meth:`BackgroundGrading.result`, waits for one notebook's outcome. Each way
the background can go wrong becomes a :class:`SolvedRunError` naming the notebook, never a hang
or a silent pass: grading raised, the child exited without the result, or the notebook being
graded ran past the notebook limit (the child is then stopped). :meth:`BackgroundGrading.stop`
ends the child *and* the kernels it started (they run in sessions of their own), and the child
ends itself and its kernels when the session that started it dies. Under pytest-xdist one worker
starts and stops the child; another reads the same job folder (:meth:`BackgroundGrading.attach`;
``child.pid`` names the child).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

#: Seconds beyond grade's notebook limit that one notebook may take: its kernel's start and shutdown.
NOTEBOOK_GRACE_S = 300
#: Seconds between two looks at the job folder while a test waits.
POLL_S = 0.5
#: Every notebook (in :func:`run_order`'s ``wanted``).
ALL = "all"


class SolvedRunError(Exception):
    """A solved copy's background run gave no result: grading raised, the child died, or it ran too long."""


def run_order(wanted: set[str], available: list[str]) -> list[str]:
    """The notebooks to grade, in order: 04 first when any later one is wanted (05-09 read its model).

    ``wanted`` holds notebook numbers, or :data:`ALL` for every one of ``available``.

    Raises
    ------
    SolvedRunError
        When a wanted number has no solved copy.
    """
    chosen = set(available) if ALL in wanted else set(wanted)
    unknown = sorted(chosen - set(available))
    if unknown:
        raise SolvedRunError(f"no solved copy of notebook(s) {unknown}; there are {sorted(available)}")
    if any(number > "04" for number in chosen):
        chosen.add("04")
    return sorted(chosen, key=lambda number: (number != "04", number))


def result_from_json(data: dict):
    """The ``grading.NotebookResult`` that ``to_json()`` wrote (its derived score and total dropped)."""
    from course_lib.course import grading

    fields = {key: value for key, value in data.items() if key not in ("score", "total")}
    fields["exercises"] = [grading.ExerciseResult(**exercise) for exercise in fields["exercises"]]
    return grading.NotebookResult(**fields)


def _notebook_limit(seconds: float | None) -> float:
    """``seconds``, or by default grade's fast-mode notebook limit plus the time a kernel takes to start."""
    if seconds is not None:
        return seconds
    from course_lib.course import grading

    return grading.FAST_NOTEBOOK_TIMEOUT + NOTEBOOK_GRACE_S


class ChildOfAnotherProcess:
    """``poll()`` as ``Popen``'s, for the child that another test process started (an xdist worker's; the
    job's ``child.pid`` names it): None while it runs or is being started, else a word on how it ended."""

    def __init__(self, folder: Path):
        self.pid_file = Path(folder) / "child.pid"

    def pid(self) -> int | None:
        return int(self.pid_file.read_text()) if self.pid_file.exists() else None

    def poll(self):
        import psutil  # pinned in requirements.txt

        pid = self.pid()
        if pid is None:
            return None
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return None
        except psutil.NoSuchProcess:
            pass
        return "unknown (the test process that started it reads its status)"


class BackgroundGrading:
    """Notebooks graded one after another in a child process; :meth:`start`, then :meth:`result`, always :meth:`stop`.

    Another test process (the other xdist worker) reads the same job's results with :meth:`attach`.

    Parameters
    ----------
    notebooks : list of (str, Path)
        ``(number, path)`` of each notebook, in the order to grade them.
    folder : Path
        The job's folder (made here): the job file, each notebook's outcome, the child's log.
    env : dict
        Given to the grade function as ``env`` (the kernels' data and runs folder).
    grade : str, optional
        ``"module:function"`` to call instead of ``grading.grade_notebook`` (the tests' fakes), with
        the same arguments: ``(path, number=..., env=...)``, returning a ``NotebookResult``.
    notebook_limit_s : float
        Seconds one notebook may run before the waiting test stops the child and fails.
    reuse_runs : (Path, list of str), optional
        The learner copies' runs folder and the names of the training runs to take from it when they
        are finished there (:func:`take_finished_run`), into ``env``'s runs folder.
    """

    def __init__(self, notebooks: list[tuple[str, Path]], folder: Path, env: dict, *, grade: str | None = None,
                 notebook_limit_s: float | None = None, reuse_runs: tuple[Path, list[str]] | None = None):
        notebook_limit_s = _notebook_limit(notebook_limit_s)
        self.numbers = [number for number, _ in notebooks]
        self.folder, self.limit_s = Path(folder), notebook_limit_s
        self.folder.mkdir(parents=True, exist_ok=True)
        self.job = self.folder / "job.json"
        reuse_from, reuse_names = reuse_runs or (None, [])
        self.job.write_text(json.dumps({"notebooks": [[number, str(path)] for number, path in notebooks],
                                        "env": env, "grade": grade, "parent": os.getpid(),
                                        "reuse_runs_from": str(reuse_from) if reuse_from else None,
                                        "reuse_runs": list(reuse_names)}))
        self.log = self.folder / "worker.log"
        self.process: subprocess.Popen | ChildOfAnotherProcess | None = None
        self.started_at = 0.0
        self.stopped_because: str | None = None

    @classmethod
    def attach(cls, folder: Path, *, notebook_limit_s: float | None = None) -> "BackgroundGrading":
        """The job in ``folder`` that another test process started (and stops): its results, read here.

        Raises
        ------
        SolvedRunError
            When ``folder`` holds no job.
        """
        folder = Path(folder)
        if not (folder / "job.json").is_file():
            raise SolvedRunError(f"no background grading job in {folder}")
        job = json.loads((folder / "job.json").read_text())
        self = cls.__new__(cls)
        notebook_limit_s = _notebook_limit(notebook_limit_s)
        self.numbers = [number for number, _ in job["notebooks"]]
        self.folder, self.limit_s, self.job, self.log = folder, notebook_limit_s, folder / "job.json", folder / "worker.log"
        self.process = ChildOfAnotherProcess(folder)
        self.started_at = (folder / "job.json").stat().st_mtime
        self.stopped_because = None
        return self

    def start(self) -> None:
        """Start the child, with this process's environment as it is now (tests change theirs later)."""
        with open(self.log, "wb") as log:
            # A session of its own: the terminal's Ctrl-C reaches the test session, whose stop() ends this.
            self.process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("solved_in_background.py")),
                                             str(self.job)], stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=dict(os.environ), start_new_session=True)
        self.started_at = time.time()
        partial = self.folder / "child.pid.partial"  # for attach(): written whole, then renamed
        partial.write_text(str(self.process.pid))
        os.replace(partial, self.folder / "child.pid")

    def _outcome(self, number: str, suffix: str) -> Path:
        return self.folder / f"{number}.{suffix}"

    def _progress(self) -> tuple[str, float]:
        """The notebook being graded now (``"startup"`` before the first) and when the child last moved on."""
        running, since = "startup", self.started_at
        for number in self.numbers:
            for suffix in ("started", "result.json", "error.txt"):
                outcome = self._outcome(number, suffix)
                if outcome.exists() and outcome.stat().st_mtime >= since:
                    since = outcome.stat().st_mtime
                    running = number if suffix == "started" else f"after {number}"
        return running, since

    def _log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def result(self, number: str):
        """Wait for notebook ``number``'s graded run and return it (a ``grading.NotebookResult``).

        Raises
        ------
        SolvedRunError
            When it is not in this job, grading it raised, the child ended without its result,
            or the notebook being graded ran past ``notebook_limit_s``.
        """
        if number not in self.numbers:
            raise SolvedRunError(f"solved notebook {number} is not among those graded in the background "
                                 f"({self.numbers})")
        if self.process is None:
            raise SolvedRunError(f"solved notebook {number}: the background grading was never started")
        result_file, error_file = self._outcome(number, "result.json"), self._outcome(number, "error.txt")
        while True:
            exited = self.process.poll()  # first: an outcome written just before the exit is still found
            if result_file.exists():
                return result_from_json(json.loads(result_file.read_text()))
            if error_file.exists():
                raise SolvedRunError(f"solved notebook {number}: grading it raised\n{error_file.read_text()}")
            if exited is not None:
                why = self.stopped_because or f"it exited with status {exited}"
                raise SolvedRunError(f"solved notebook {number}: the background grading ended before its "
                                     f"result ({why}); the end of {self.log}:\n{self._log_tail()}")
            running, since = self._progress()
            if time.time() - since > self.limit_s:
                self.stopped_because = (f"no progress for {self.limit_s:.0f} s while grading {running}: past "
                                        "grade's notebook limit and the time for a kernel, so it was stopped")
                self._terminate()
                continue
            time.sleep(POLL_S)

    def stop(self) -> None:
        """End the child and every kernel it started (idempotent); an attached reader leaves that to the owner."""
        if not isinstance(self.process, ChildOfAnotherProcess):
            self._terminate()

    def _terminate(self) -> None:
        from browser_helpers import stop_process_tree  # the same tree stop as JupyterLab's: kernels included

        if isinstance(self.process, ChildOfAnotherProcess):
            pid = self.process.pid()
            if pid is not None and self.process.poll() is None:
                os.kill(pid, signal.SIGTERM)  # its handler (_end_now) ends its kernels, then itself
                deadline = time.time() + 10
                while self.process.poll() is None and time.time() < deadline:
                    time.sleep(POLL_S)
        elif self.process is not None and self.process.poll() is None:
            stop_process_tree(self.process, grace_s=4)


# --------------------------------------------------------------------------- the child
def _end_now(signum: int = signal.SIGTERM, frame=None) -> None:
    """Stop at once: first the kernels this child started (in sessions of their own), then the child.

    Never an exception: nbclient would take it for the notebook's and go on to the next one.
    """
    import psutil  # pinned in requirements.txt

    kernels = psutil.Process().children(recursive=True)
    for kernel in kernels:
        try:
            kernel.terminate()
        except psutil.NoSuchProcess:
            pass
    for kernel in psutil.wait_procs(kernels, timeout=2)[1]:  # a kernel busy in C code may not heed SIGTERM
        try:
            kernel.kill()
        except psutil.NoSuchProcess:
            pass
    os._exit(128 + signum)


def _end_when_orphaned(parent: int) -> None:
    """If the test session dies (even by SIGKILL), end the child and its kernels."""
    while os.getppid() == parent:
        time.sleep(2)
    _end_now()


def take_finished_run(source: Path, target: Path) -> bool:
    """Copy the training run ``source`` to ``target`` (whole, then renamed) when it is finished
    (``train.run_is_finished``) and ``target`` does not exist; True when it was copied."""
    from course_lib.train import run_is_finished

    source, target = Path(source), Path(target)
    if target.exists() or not run_is_finished(source):
        return False
    partial = target.with_name(f"{target.name}.partial")
    shutil.copytree(source, partial)
    os.replace(partial, target)
    return True


def _load(spec: str):
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def main(job_path: Path) -> int:
    """Grade every notebook of the job file, in order, writing each outcome as soon as it is known."""
    from course_lib.config import RUNS_ENV_VAR
    from course_lib.course import grading

    signal.signal(signal.SIGTERM, _end_now)  # BackgroundGrading.stop()
    job = json.loads(job_path.read_text())
    threading.Thread(target=_end_when_orphaned, args=(job["parent"],), daemon=True).start()
    grade = _load(job["grade"]) if job["grade"] else grading.grade_notebook
    folder = job_path.parent
    for number, path in job["notebooks"]:
        (folder / f"{number}.started").write_text(f"{time.time()}\n")
        for name in job.get("reuse_runs", []):
            source, target = Path(job["reuse_runs_from"]) / name, Path(job["env"][RUNS_ENV_VAR]) / name
            if take_finished_run(source, target):
                print(f"took the finished run {source} (the learner copies') as {target}", flush=True)
        print(f"grading solved notebook {number}: {path}", flush=True)
        try:
            result = grade(Path(path), number=number, env=job["env"])
        except Exception:  # noqa: BLE001  (whatever it is, the waiting test shows it; the next notebooks still run)
            (folder / f"{number}.error.txt").write_text(traceback.format_exc())
            continue
        partial = folder / f"{number}.result.json.partial"
        partial.write_text(json.dumps(result.to_json()))
        os.replace(partial, folder / f"{number}.result.json")  # a waiting test never reads half a file
        print(f"solved notebook {number}: {result.score}/{result.total} in {result.seconds} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
