"""Execute the course notebooks headlessly, top to bottom: the ``run-notebooks`` command.

This is the course's main job (``scripts/course.sh``): it proves that every notebook runs in
a fresh kernel without edits, and leaves executed copies (with all their figures) in
``executed/`` under the runs folder (``$COURSE_RUNS_DIR``, else ``runs/``, which git ignores,
because those figures show NCD images).

Each notebook runs with the ``python3`` kernel, its working folder set to ``notebooks/``
(as in JupyterLab), and a time limit per cell. The run stops at the first failing notebook
and names the notebook and the cell that failed.

Each notebook's **peak memory** is recorded: when its last cell has run (or failed), the runner
asks the kernel, in a silent request that adds nothing to the notebook, for its peak resident
memory (:func:`peak_rss_bytes`: the most RAM the kernel process ever held, counted by the
operating system, not sampled). The figure ends the kernel's log (``NN_name.kernel.log``) and
the command's summary: what a notebook needs of Binder's 2 GB. Child processes are not counted
(the notebooks start none).

Examples
--------
::

    python -m course_lib run-notebooks                 # the full course
    python -m course_lib run-notebooks --fast          # COURSE_FAST=1: small and quick (CI)
    python -m course_lib run-notebooks --only 01 02    # just these notebooks

The full run (not ``--fast``) also trains, or reuses, the models that notebooks 07 and 08 compare
with notebook 04's MSE model, just before the notebook that reads them, with the MSE model's own
recipe and weights (:mod:`course_lib.course_models`), so that those notebooks judge real models
trained alike, not their tiny stand-ins.
"""

from __future__ import annotations

import ast
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from course_lib import config
from course_lib.errors import DataNotFoundError, NotebookExecutionError, OutputPathError, describe_exception
from course_lib.recipes import RECIPE_CHOICES

#: Where the notebooks live.
NOTEBOOK_DIR = config.REPO_ROOT / "notebooks"
#: Seconds one cell may run before the notebook counts as failed (training cells are long).
DEFAULT_CELL_TIMEOUT = 3600
KERNEL_NAME = "python3"


def default_out_dir() -> Path:
    """Where executed copies go by default: ``executed/`` in :func:`course_lib.config.runs_dir`."""
    return config.runs_dir() / "executed"


@dataclass(frozen=True)
class PeakMemory:
    """The most resident memory (RSS) a notebook's kernel held, as the kernel measured it.

    Attributes
    ----------
    kernel_bytes : int or None
        Peak RSS of the kernel process (:func:`peak_rss_bytes` in the kernel); None when unknown.
    unknown_because : str
        Why the figure is missing (e.g. the kernel died), empty when it is known.
    """

    kernel_bytes: int | None
    unknown_because: str = ""

    def describe(self) -> str:
        """One line for the log and the summary, e.g. ``peak memory 812 MB (kernel RSS)``."""
        if self.kernel_bytes is None:
            return f"peak memory unknown: {self.unknown_because}"
        return f"peak memory {self.kernel_bytes / 2**20:.0f} MB (kernel RSS)"


@dataclass(frozen=True)
class NotebookRun:
    """Outcome of one executed notebook."""

    notebook: Path
    executed_copy: Path
    seconds: float
    peak_memory: PeakMemory | None = None


def find_notebooks(only: list[str] | None = None, folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """Course notebooks ``NN_*.ipynb`` in order, optionally only those whose number is in ``only``.

    Raises
    ------
    DataNotFoundError
        If the folder holds no notebooks, or a requested number matches none.
    """
    notebooks = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise DataNotFoundError(f"no notebooks NN_*.ipynb in {folder}: run from a checkout of the course")
    if not only:
        return notebooks
    wanted = [str(n).zfill(2) for n in only]
    unknown = [n for n in wanted if not any(nb.name.startswith(n + "_") for nb in notebooks)]
    if unknown:
        available = ", ".join(nb.name[:2] for nb in notebooks)
        raise DataNotFoundError(f"no notebook numbered {', '.join(unknown)}; available: {available}")
    return [nb for nb in notebooks if nb.name[:2] in wanted]


def _failed_cell(nb) -> tuple[int, object] | None:
    """Index (among code cells, 1-based) and cell of the first cell with an error output."""
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return code_index, cell
    return None


def _first_line(source: str) -> str:
    lines = [line for line in source.strip().splitlines() if line.strip()]
    return lines[0][:80] if lines else "<empty cell>"


#: Longest single wait for a cell's reply; see :func:`_sliced_waits`.
REPLY_POLL_SECONDS = 2.0


def _sliced_waits(get_msg, step: float = REPLY_POLL_SECONDS):
    """Wrap a kernel channel's async ``get_msg`` so one long wait becomes many short ones.

    nbclient waits for a cell's reply with a single ``get_msg(timeout=<cell timeout>)``.
    After a cell with widgets (``ipywidgets.interact``), that wait can miss the wake-up
    for a reply that has already arrived, and the run stalls, kernel idle, until the
    cell timeout expires (an hour here; jupyter/nbclient#312). Each short wait ends with
    a real, non-blocking check of the socket, so a missed wake-up costs ``step`` seconds.
    """
    from queue import Empty

    async def get_msg_in_slices(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = step if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await get_msg(timeout=min(step, left))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_in_slices


def peak_rss_bytes() -> int:
    """The most resident memory (RSS) this process has held so far, in bytes.

    On Linux ``VmHWM`` of ``/proc/self/status``: ``getrusage``'s ``ru_maxrss`` would not do there,
    because a process started by another one inherits its parent's RSS at the moment of the fork
    as its starting peak (a kernel started from a 500 MB process would report at least 500 MB).
    Elsewhere ``ru_maxrss`` (bytes on macOS).

    Raises
    ------
    ImportError
        On a system with neither (Windows: no ``resource`` module).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # "VmHWM:   123456 kB"
    except FileNotFoundError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on the BSDs


#: Evaluated in the kernel once its notebook has run, as a silent request's ``user_expressions`` (it
#: adds no cell, no output and no history).
PEAK_MEMORY_EXPRESSION = "__import__('course_lib.course.runner', fromlist=['peak_rss_bytes']).peak_rss_bytes()"
#: Seconds to wait for the kernel's answer (it answers at once unless it is stuck or dead).
PEAK_MEMORY_QUERY_SECONDS = 30.0
#: The same after a failed or timed-out run (the kernel may still be busy with the cell that ran too long).
PEAK_MEMORY_AFTER_FAILURE_SECONDS = 2.0


def peak_memory_from_reply(content: dict) -> PeakMemory:
    """The :class:`PeakMemory` in an ``execute_reply``'s content for :data:`PEAK_MEMORY_EXPRESSION`."""
    answer = content.get("user_expressions", {}).get("peak", {})
    if answer.get("status") != "ok":
        reason = f"{answer.get('ename', 'no answer')}: {answer.get('evalue', '')}".rstrip(": ")
        return PeakMemory(None, f"the kernel could not measure its memory ({reason})")
    return PeakMemory(int(ast.literal_eval(answer["data"]["text/plain"])))


async def _ask_peak_memory(kc, km, timeout: float = PEAK_MEMORY_QUERY_SECONDS) -> PeakMemory:
    """Ask a kernel for its peak memory (:data:`PEAK_MEMORY_EXPRESSION`); say why when it cannot answer."""
    from queue import Empty

    from nbclient.util import ensure_async

    try:
        if kc is None or km is None or not await ensure_async(km.is_alive()):
            return PeakMemory(None, "the kernel was no longer running (it died or was stopped)")
        msg_id = await ensure_async(kc.execute("", silent=True, store_history=False,
                                               user_expressions={"peak": PEAK_MEMORY_EXPRESSION}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply = await ensure_async(kc.shell_channel.get_msg(timeout=1.0))
            except Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return peak_memory_from_reply(reply["content"])
        return PeakMemory(None, f"the kernel did not answer within {timeout:g} s")
    except Exception as exc:  # noqa: BLE001 -- never let the measurement hide the notebook's own outcome
        return PeakMemory(None, f"asking the kernel failed ({describe_exception(exc)})")


def _notebook_client_class():
    """nbclient's NotebookClient whose reply waits go through :func:`_sliced_waits`, and which asks
    its kernel for its peak memory (``peak_memory``) after the last cell, before the kernel stops."""
    from nbclient import NotebookClient

    class SlicedWaitNotebookClient(NotebookClient):
        peak_memory: PeakMemory | None = None

        def __init__(self, *args, **kwargs):
            # The kernel is stopped at once after the last cell (as nbval does): its outputs and peak memory
            # are read, and the notebook's files are written. A graceful shutdown let an interpreter that
            # loaded TensorFlow spend a second or more of CPU finalizing, per notebook (measured).
            kwargs.setdefault("shutdown_kernel", "immediate")
            super().__init__(*args, **kwargs)

        async def async_start_new_kernel_client(self, **kwargs):
            started = await super().async_start_new_kernel_client(**kwargs)
            self.kc.shell_channel.get_msg = _sliced_waits(self.kc.shell_channel.get_msg)
            return started

        @contextlib.asynccontextmanager
        async def async_setup_kernel(self, **kwargs):
            # nbclient shuts the kernel down when this context ends: ask before it does, also after a
            # failing cell.
            async with super().async_setup_kernel(**kwargs):
                try:
                    yield
                except BaseException:
                    # a cell failed or ran past a time limit: an idle kernel answers at once, and one
                    # still busy with the cell never does, so do not keep the learner waiting for it
                    self.peak_memory = await _ask_peak_memory(self.kc, self.km, timeout=PEAK_MEMORY_AFTER_FAILURE_SECONDS)
                    raise
                self.peak_memory = await _ask_peak_memory(self.kc, self.km)

    return SlicedWaitNotebookClient


def execute_notebook(path: Path, *, fast: bool = False, timeout: int = DEFAULT_CELL_TIMEOUT,
                     out_path: Path | None = None, env: dict | None = None, allow_errors: bool = False,
                     workdir: Path | None = None):
    """Run one notebook in a fresh ``python3`` kernel with ``notebooks/`` as working folder.

    Parameters
    ----------
    path : Path
        The notebook.
    fast : bool
        Set ``COURSE_FAST=1`` in the kernel (small sizes, few epochs).
    timeout : int
        Seconds allowed per cell.
    out_path : Path, optional
        Where to write the executed copy -- also when the notebook fails, so the error
        can be read in JupyterLab.
    env : dict, optional
        Extra environment variables for the kernel.
    allow_errors : bool
        Go on after a cell that raises (its error stays in the executed copy); grading uses it.
    workdir : Path, optional
        The kernel's working folder, when not the notebook's own (a copy elsewhere that should
        run as if it were in ``notebooks/``).

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook.

    Raises
    ------
    NotebookExecutionError
        Naming the notebook, the failing cell (number and first line) and the error.
    """
    return _execute_measured(path, fast=fast, timeout=timeout, out_path=out_path, env=env,
                             allow_errors=allow_errors, workdir=workdir)[0]


def _execute_measured(path: Path, *, fast: bool = False, timeout: int = DEFAULT_CELL_TIMEOUT,
                      out_path: Path | None = None, env: dict | None = None, allow_errors: bool = False,
                      workdir: Path | None = None):
    """:func:`execute_notebook`, returning ``(notebook, PeakMemory)``; the peak also ends the kernel's log."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    kernel_env = {**os.environ, **(env or {})}
    kernel_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if fast:
        kernel_env[config.FAST_ENV_VAR] = "1"
    client = _notebook_client_class()(nb, kernel_name=KERNEL_NAME, timeout=timeout, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(workdir or path.parent)}})
    log_path = kernel_log_path(out_path) if out_path is not None else None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    # The kernel's own stdout/stderr (TensorFlow's C++ logging, ZMQ notices) go to a log file
    # beside the executed copy instead of flooding the terminal; cell outputs are in the copy.
    with open(log_path, "w") if log_path is not None else _no_log() as log:
        try:
            client.execute(env=kernel_env, **({"stdout": log, "stderr": log} if log else {}))
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            raise NotebookExecutionError(_failure_message(path, nb, exc, out_path)) from None
        finally:
            if out_path is not None:
                nbformat.write(nb, out_path)
            peak = client.peak_memory or PeakMemory(None, "the kernel never started")
            if log is not None:
                log.write(f"\n[run-notebooks] {path.name}: {peak.describe()}\n")
    return nb, peak


def kernel_log_path(out_path: Path) -> Path:
    """Where the kernel's stdout/stderr go for the executed copy ``out_path``."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.stem + ".kernel.log")


@contextlib.contextmanager
def _no_log():
    yield None


def _failure_message(path: Path, nb, exc: Exception, out_path: Path | None) -> str:
    failed = _failed_cell(nb)
    if failed is not None:
        index, cell = failed
        error = next(o for o in cell.outputs if o.get("output_type") == "error")
        where = f"code cell {index} ('{_first_line(cell.source)}'): {error.get('ename')}: {error.get('evalue')}"
    else:  # timeout or dead kernel: no error output was recorded
        reason = str(exc).strip().splitlines()
        where = f"{type(exc).__name__}: {reason[0] if reason else ''}"
    see = (f"; the executed copy is in {out_path}, the kernel's log in {kernel_log_path(out_path)}"
           if out_path is not None else "")
    return f"notebook {path.name} failed at {where}{see}"


def run_notebooks(notebooks: list[Path], out_dir: Path | None = None, *, fast: bool = False,
                  timeout: int = DEFAULT_CELL_TIMEOUT, env: dict | None = None,
                  model_recipe: str = "auto") -> list[NotebookRun]:
    """Execute ``notebooks`` in order, stopping at the first failure.

    Unless ``fast``, the models a notebook reads besides notebook 04's (07: classification, 08:
    hints) are trained or reused first (:func:`course_lib.course_models.prepare_models`; the MSE
    model too, with ``model_recipe``, when notebook 04 has not made it).

    Returns
    -------
    list of NotebookRun
        One per notebook, all successful.

    Raises
    ------
    NotebookExecutionError
        From the first notebook that fails; later notebooks are not run.
    CourseError
        Training a model a notebook reads failed.
    """
    from tqdm.auto import tqdm

    from course_lib import course_models

    out_dir = Path(out_dir) if out_dir is not None else default_out_dir()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission
        raise OutputPathError(f"cannot create the folder {out_dir} for the executed notebooks "
                              f"({describe_exception(exc)}); choose a writable folder with --out") from None
    runs = []
    progress = tqdm(notebooks, desc="notebooks", unit="nb")
    for path in progress:
        progress.set_postfix_str(path.name)
        out_path = out_dir / path.name
        if not fast and path.name[:2] in course_models.NOTEBOOK_MODELS:
            from course_lib import sources

            started = time.perf_counter()
            course_models.prepare_models(path.name[:2], sources.get_dataset().root, recipe=model_recipe)
            print(f"run-notebooks: the models of {path.name} are ready ({(time.perf_counter() - started) / 60:.1f} min)")
        start = time.perf_counter()
        _, peak = _execute_measured(path, fast=fast, timeout=timeout, out_path=out_path, env=env)
        runs.append(NotebookRun(Path(path), out_path, time.perf_counter() - start, peak))
    progress.close()
    return runs


def announce_data() -> dict:
    """Find (or fetch, or generate) the course data once; return the kernels' environment.

    ``get_dataset`` prints what it chose (the offline sample set with a loud banner), and
    :func:`course_lib.sources.kernel_env` hands that choice and its reason to every notebook, so
    none of them searches or downloads again, and none blames a ``$NCD_DIR`` the learner never set.
    """
    from course_lib import sources

    source = sources.get_dataset()
    if source.is_sample:
        print(f"The notebooks will run on the OFFLINE SAMPLE SET (generated images, not NCD) "
              f"because {source.reason.rstrip('.')}.")
    return sources.kernel_env(source)


# --------------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    parser.add_argument("--fast", action="store_true",
                        help="set COURSE_FAST=1: small image size, few epochs, a subset (what CI runs)")
    parser.add_argument("--only", nargs="+", metavar="NN", help="run only these notebook numbers, e.g. --only 01 02")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"folder for the executed copies (default: executed/ in ${config.RUNS_ENV_VAR}, else runs/executed)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT,
                        help=f"seconds allowed per cell (default: {DEFAULT_CELL_TIMEOUT})")
    parser.add_argument("--notebook-dir", type=Path, default=NOTEBOOK_DIR, help="folder holding NN_*.ipynb")
    parser.add_argument("--model-recipe", default="auto", choices=RECIPE_CHOICES,
                        help="recipe of notebook 04's MSE model when the full run must train it for notebooks 07-09 "
                             "(default auto); their classification, hint and adversarial models copy the MSE model's "
                             "recipe (fast: also a tiny stand-in judge for 09)")
    parser.add_argument("--skip-data", action="store_true",
                        help="do not look for the dataset first (each notebook then finds it itself)")


def run_cli(args) -> int:
    notebooks = find_notebooks(args.only, folder=args.notebook_dir)
    fast = args.fast or config.fast_mode()
    args.out = args.out if args.out is not None else default_out_dir()
    print(f"Running {len(notebooks)} notebook(s){' in fast mode (COURSE_FAST=1)' if fast else ''}; "
          f"executed copies go to {args.out}")
    env = {} if args.skip_data else announce_data()
    runs = run_notebooks(notebooks, args.out, fast=fast, timeout=args.timeout, env=env,
                         model_recipe=args.model_recipe)
    for run in runs:
        print(f"  ok  {run.notebook.name:<34} {run.seconds:6.1f} s   {run.peak_memory.describe()}")
    print(f"All {len(runs)} notebook(s) ran top to bottom.")
    return 0
