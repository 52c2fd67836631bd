"""Shared fixtures and helpers: the NCD development copy (when present), generated images, and
loading the instructors' solutions (``solutions/NN_*.py``) or a script as a module; and the test tiers
(which tests train or start kernels, read from their code: see "test tiers" below)."""

from __future__ import annotations

import atexit
import contextlib
import dis
import functools
import importlib.util
import inspect
import io
import os
import sys
import time
import types
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from course_lib import config, download, sources
from solved_in_background import ALL as SOLVED_ALL, BackgroundGrading, SolvedRunError, run_order

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A relative $NCD_DIR (e.g. NCD_DIR=../shared/ncd from the repository) means the folder from here; the
# kernels nbval, the browser and the notebook commands start run in notebooks/, where it would not.
if os.environ.get("NCD_DIR") and not os.path.isabs(os.environ["NCD_DIR"]):
    os.environ["NCD_DIR"] = os.path.abspath(os.environ["NCD_DIR"])

pytest_plugins = ["pytester"]  # tests/test_tiers.py collects other test files in-process

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = REPO_ROOT / "solutions"


def load_module(path: Path, module_name: str) -> ModuleType:
    """Execute the Python file ``path`` (not part of a package) and return it as a module. Its folder is on
    ``sys.path`` meanwhile, as when it runs as a script (benchmarks import ``make_tables`` beside them)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def load_solutions(name: str) -> ModuleType:
    """The instructors' solutions of one notebook, ``solutions/<name>*.py``, as a module.

    ``name`` is the notebook's number (``"03"``) or its file stem (``"03_vgg19_autoencoder"``).
    """
    matches = sorted(SOLUTION_DIR.glob(f"{name}*.py"))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one solutions/{name}*.py, found {[m.name for m in matches]}")
    return load_module(matches[0], f"solutions_{matches[0].name[:2]}")


def _ncd_dev_copy() -> Path | None:
    """$NCD_DIR when set, else ../shared/ncd beside the checkout, else None."""
    for candidate in (os.environ.get("NCD_DIR"), REPO_ROOT.parent / "shared" / "ncd"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def ncd_dir() -> Path:
    """The real NCD development copy; tests using it are skipped (with a reason) without it."""
    path = _ncd_dev_copy()
    if path is None:
        pytest.skip("NCD development copy not found: set NCD_DIR or place it at ../shared/ncd")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# --------------------------------------------------------------------------- environment
#: The variables the course reads. A test that sets one must undo it (monkeypatch does), or every
#: later test in the process runs in a different course: a leaked $COURSE_LOCAL_CHECKPOINT_DIR once
#: sent a later test's checkpoints to /content/course-local-runs. ($TF_FORCE_GPU_ALLOW_GROWTH is
#: left out on purpose: training sets it for the whole process, as it must before TensorFlow starts.)
COURSE_ENV_VARS = (config.FAST_ENV_VAR, config.RUNS_ENV_VAR, config.LOCAL_CHECKPOINT_ENV_VAR,
                   config.SAMPLE_REASON_ENV_VAR, sources.REASON_ENV_VAR, sources.NCD_DIR_ENV_VAR,
                   download.NCD_URL_ENV_VAR, download.NCD_SHA256_ENV_VAR)


@pytest.fixture(autouse=True)
def _no_leaked_environment():
    """Fail a test that leaves a course variable changed (and put it back, so the next test is clean)."""
    before = {name: os.environ.get(name) for name in COURSE_ENV_VARS}
    yield
    leaked = {name: os.environ.get(name) for name in COURSE_ENV_VARS if os.environ.get(name) != before[name]}
    for name in leaked:
        if before[name] is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before[name]
    if leaked:
        pytest.fail(f"the test left course variables changed: {leaked} (use monkeypatch.setenv/delenv)")


class FakeDrive:
    """Stands in for ``google.colab.drive``: records each mount and makes ``MyDrive`` in it."""

    def __init__(self):
        self.mounts = []

    def mount(self, mount_point, **kwargs):
        self.mounts.append(mount_point)
        (Path(mount_point) / "MyDrive").mkdir(parents=True, exist_ok=True)


@pytest.fixture
def fake_colab(monkeypatch) -> FakeDrive:
    """A ``google.colab`` module in sys.modules (so ``in_colab()`` is True), with a fake ``drive``.

    The variables ``use_google_drive`` sets are recorded first, so they are undone afterwards, and
    NCD's public sources are emptied: a test never reaches the internet.
    """
    drive = FakeDrive()
    colab = types.ModuleType("google.colab")
    colab.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    for name in COURSE_ENV_VARS:
        monkeypatch.setenv(name, "")  # recorded, so the values the call sets are undone afterwards
        monkeypatch.delenv(name)
    monkeypatch.setattr(download, "NCD_SOURCES", ())
    return drive


# --------------------------------------------------------------------------- test tiers
# `bash scripts/test.sh --quick` runs `-m "not slow"`: everything that needs no training, no
# kernel and no browser. Nobody marks those tests by hand: at collection, each test's code, the
# code of its fixtures and parameters, and the project functions they reach (course_lib,
# tests, benchmarks) are read, and a test that reaches a training call (`.fit`), a kernel
# (nbclient, jupyter_client, nbval) or the browser (playwright) gets `slow` and a marker
# naming why (`trains`, `kernel`, `browser`). While tests run, a guard fails any test that
# trains in-process or starts a kernel without having been marked: a path the reading missed
# shows up as a failure naming the test, never as a quietly slow quick tier. The reading
# over-reaches (a call that could train under some flag counts as training);
# `@pytest.mark.light("why")` overrules it for one test, and the guard still watches that test.

# An attribute whose use means training (`model.fit(...)`, Keras' own loop).
HEAVY_ATTRIBUTES = {"fit": "trains", "train_on_batch": "trains"}
# Packages whose use means a Jupyter kernel or a browser.
HEAVY_PACKAGES = {"nbclient": "kernel", "jupyter_client": "kernel", "nbval": "kernel", "ipykernel": "kernel",
                  "playwright": "browser"}
# Command-line arguments that start kernels in a child process (`pytest --nbval-lax`).
HEAVY_STRINGS = {"--nbval": "kernel", "--nbval-lax": "kernel"}
PROJECT_DIRS = tuple(REPO_ROOT / name for name in ("course_lib", "tests", "benchmarks", "scripts"))


@functools.lru_cache(maxsize=None)  # asked ~30,000 times per collection, for a few hundred files
def _is_project_file(filename: str) -> bool:
    path = Path(filename)
    return any(path.is_relative_to(folder) for folder in PROJECT_DIRS)


def _package_reason(module_name: str | None) -> set[str]:
    reason = HEAVY_PACKAGES.get((module_name or "").split(".")[0])
    return {reason} if reason else set()


class HeavyCodeReader:
    """Reads code objects (bytecode, not text) for what they reach: ``reasons(obj)`` is the set of
    ``trains`` / ``kernel`` / ``browser`` that a call of ``obj`` can lead to. Project functions
    and classes are followed; other libraries count only by their package (``HEAVY_PACKAGES``)."""

    def __init__(self):
        self._scanned: dict[types.CodeType, tuple[set[str], list]] = {}
        self._answers: dict = {}  # obj -> reasons: fixtures and helpers are asked about once per test

    def reasons(self, obj) -> set[str]:
        """Every reason reachable from ``obj``, following project code to its end (cycles included)."""
        try:
            answer = self._answers.get(obj)
        except TypeError:  # unhashable: not remembered
            return self._reasons(obj)
        if answer is None:
            answer = self._answers[obj] = self._reasons(obj)
        return set(answer)

    def _reasons(self, obj) -> set[str]:
        found, todo = self._follow(obj)
        seen: set[types.CodeType] = set()
        while todo:
            code, namespace = todo.pop()
            if code in seen:
                continue
            seen.add(code)
            direct, more = self._scan(code, namespace)
            found |= direct
            todo.extend(more)
        return found

    def _follow(self, obj) -> tuple[set[str], list]:
        """The reasons ``obj`` gives by itself, and the project code objects it leads to."""
        if isinstance(obj, functools.partial):
            return self._follow(obj.func)
        if isinstance(obj, (staticmethod, classmethod, types.MethodType)):
            return self._follow(obj.__func__)
        if isinstance(obj, types.FunctionType):
            try:
                obj = inspect.unwrap(obj)
            except ValueError:
                pass
            if _is_project_file(obj.__code__.co_filename):
                return set(), [(obj.__code__, obj.__globals__)]
            return _package_reason(obj.__module__), []
        if isinstance(obj, type):
            found, todo = _package_reason(obj.__module__), []
            module_file = getattr(sys.modules.get(obj.__module__), "__file__", None) or ""
            if _is_project_file(module_file):
                for member in vars(obj).values():
                    more_found, more = self._follow(member)
                    found |= more_found
                    todo += more
            return found, todo
        if isinstance(obj, types.ModuleType):
            return _package_reason(obj.__name__), []
        return set(), []

    def _scan(self, code: types.CodeType, namespace: dict) -> tuple[set[str], list]:
        """One code object's own reasons, and the code objects it leads to (memoised)."""
        if code not in self._scanned:
            found: set[str] = set()
            todo: list = []
            strings: set[str] = set()
            reached: list = []
            local: dict = {}
            current = importing = None
            for ins in dis.get_instructions(code):
                op, arg = ins.opname, ins.argval
                if op in ("STORE_FAST", "STORE_NAME", "STORE_DEREF", "STORE_GLOBAL"):
                    if current is not None:  # an import or a name bound to a project object
                        local[arg] = current
                    current = None
                elif op in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF", "LOAD_CLASSDEREF"):
                    current = local.get(arg, namespace.get(arg))
                    reached.append(current)
                elif op in ("LOAD_ATTR", "LOAD_METHOD"):
                    if arg in HEAVY_ATTRIBUTES:
                        found.add(HEAVY_ATTRIBUTES[arg])
                    if isinstance(current, types.ModuleType):
                        current = vars(current).get(arg)  # no getattr: lazy modules would import on it
                    elif isinstance(current, type):
                        current = inspect.getattr_static(current, arg, None)
                    else:
                        current = None
                    reached.append(current)
                elif op == "IMPORT_NAME":
                    found |= _package_reason(arg)
                    importing = current = self._project_module(arg)
                elif op == "IMPORT_FROM":
                    current = vars(importing).get(arg) if isinstance(importing, types.ModuleType) else None
                    if current is None and isinstance(importing, types.ModuleType):
                        current = self._project_module(f"{importing.__name__}.{arg}")
                    reached.append(current)
                elif op == "LOAD_CONST" and isinstance(arg, types.CodeType):
                    todo.append((arg, namespace))  # nested functions, lambdas, comprehensions
                    current = None
                elif op == "LOAD_CONST" and isinstance(arg, str):
                    strings.add(arg)
                    current = None
                else:
                    current = None
            for obj in reached:
                if obj is not None:
                    more_found, more = self._follow(obj)
                    found |= more_found
                    todo += more
            for text in strings:
                more_found, more = self._string(text, strings, reached)
                found |= more_found
                todo += more
            self._scanned[code] = (found, todo)
        return self._scanned[code]

    def _string(self, text: str, strings: set[str], reached: list) -> tuple[set[str], list]:
        """What a string constant leads to: a script, ``python -c`` code, a command-line command."""
        if text in HEAVY_STRINGS:  # `pytest --nbval-lax --collect-only` lists the cells, starts no kernel
            return ({HEAVY_STRINGS[text]} if "--collect-only" not in strings else set()), []
        if text.endswith(".py") and not Path(text).name.startswith("test_"):  # a script run in a child process
            for base in (REPO_ROOT / "tests", REPO_ROOT):
                if (base / text).is_file():
                    return set(), [(compile((base / text).read_text(), str(base / text), "exec"), {})]
            return set(), []
        if "import " in text:  # code run with `python -c`
            try:
                return set(), [(compile(text, "<string>", "exec"), {})]
            except (SyntaxError, ValueError):
                return set(), []
        from course_lib import cli  # a command run through the command line, in-process or as a child

        if text in cli.COMMANDS and (any(obj is cli.main for obj in reached) or "course_lib" in strings):
            return self._follow(importlib.import_module(cli.COMMANDS[text][0]).run_cli)
        return set(), []

    @staticmethod
    def _project_module(name: str):
        if name in sys.modules:
            return sys.modules[name]
        if name.split(".")[0] == "course_lib":
            try:
                return importlib.import_module(name)
            except ImportError:
                return None
        return None


_READER = HeavyCodeReader()


def heavy_reasons(item: pytest.Item) -> set[str]:
    """Why ``item`` belongs to the slow tier: the set of trains / kernel / browser it reaches."""
    found = _package_reason(type(item).__module__)  # nbval's notebook cells
    function = getattr(item, "function", None)
    if function is not None:
        found |= _READER.reasons(function)
    info = getattr(item, "_fixtureinfo", None)
    for name in getattr(item, "fixturenames", ()):
        for fixture_def in (info.name2fixturedefs.get(name, ()) if info else ()):
            found |= _READER.reasons(fixture_def.func)
    for value in getattr(getattr(item, "callspec", None), "params", {}).values():
        if callable(value):
            found |= _READER.reasons(value)
    return found


def _mark_tiers(items):
    for item in items:
        light = item.get_closest_marker("light")
        if light is not None:  # the reader's over-reach, overruled with a reason; the guard still watches it
            if not (light.args and str(light.args[0]).strip()):
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.light needs a reason")
            continue
        reasons = heavy_reasons(item)
        for reason in sorted(reasons):
            if item.get_closest_marker(reason) is None:
                item.add_marker(reason)
        if reasons and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


_RUNNING: list[pytest.Item] = []


def forbid_undetected(what: str) -> None:
    """Fail the running test if it does ``what`` (trains, starts a kernel) without being marked slow."""
    if _RUNNING and _RUNNING[-1].get_closest_marker("slow") is None:
        pytest.fail(f"{_RUNNING[-1].nodeid} {what}, but tests/conftest.py did not see it coming, so the quick "
                    "tier (-m 'not slow') would run it. Teach HeavyCodeReader about this path.", pytrace=False)


def _guard_keras_fit() -> None:
    keras = sys.modules.get("keras")
    model = getattr(keras, "Model", None) if keras else None
    # getattr by name: the reader would take an attribute `.fit` here for training in every test that checks this guard
    if model is None or getattr(getattr(model, "fit"), "_tier_guard", False):
        return
    original = getattr(model, "fit")

    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        forbid_undetected("trains a model in-process (keras Model.fit)")
        return original(self, *args, **kwargs)

    fit._tier_guard = True
    model.fit = fit


def _audit_subprocesses(event: str, args) -> None:
    if event == "subprocess.Popen" and _RUNNING:
        argv = " ".join(str(a) for a in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]]))
        if "ipykernel" in argv:
            forbid_undetected("starts a Jupyter kernel")
        elif "chrom" in Path(str(args[0] or argv.split(" ")[0])).name:
            forbid_undetected("starts a browser")


sys.addaudithook(_audit_subprocesses)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _guard_keras_fit()  # keras is imported by then if the test's module uses it
    _RUNNING.append(item)
    try:
        return (yield)
    finally:
        _RUNNING.pop()


def pytest_runtest_call(item):
    _guard_keras_fit()  # again: a fixture may have imported keras during setup


# --------------------------------------------------------------------------- one execution per notebook
# The full suite (`pytest tests notebooks --nbval-lax`) runs every learner notebook once.
# - Most run under nbval. Those kernels start from this process's environment, so while nbval runs a
#   notebook, $COURSE_GRADE_FILE names a verdict file of this session for it: every `exN.check(...)` in
#   that run records its verdict there (course_lib/checks/exercise.py), as `grade` does.
# - A test marked `learner_notebook("06")` runs that notebook top to bottom itself (the browser tests:
#   Run All in JupyterLab, every cell reached, no error) and records its verdicts alike
#   (`record_learner_run`); nbval then leaves that notebook out of the session. Where the test cannot
#   run (a browser test without Chromium, outside CI), nbval keeps the notebook.
# A test marked `after_notebooks` runs after those runs and grades their verdicts (`learner_run_verdicts`)
# instead of executing the notebook again; a notebook that no run of this session took to its end (not
# collected, deselected, stopped by -x, a failed cell) is executed by the test itself.
NBVAL_VERDICTS = pytest.StashKey[dict]()


def _is_nbval_item(item: pytest.Item) -> bool:
    return type(item).__module__.split(".")[0] == "nbval"


def notebooks_run_by_tests(items, chromium_found=None) -> set[str]:
    """Numbers of the learner notebooks that a test among ``items`` runs top to bottom itself
    (``@pytest.mark.learner_notebook(number)``) and will not skip: a browser test needs Chromium, or CI
    (where a missing Chromium fails it). ``chromium_found``: whether it is there (default: look)."""
    marked = [item for item in items if item.get_closest_marker("learner_notebook")]
    if any(item.get_closest_marker("browser") for item in marked) and chromium_found is None:
        from browser_helpers import find_chromium, running_in_ci

        chromium_found = find_chromium() is not None or running_in_ci()
    return {item.get_closest_marker("learner_notebook").args[0] for item in marked
            if chromium_found or not item.get_closest_marker("browser")}


def record_learner_run(config: pytest.Config, number: str, verdicts: Path) -> None:
    """Say that learner notebook ``number`` ran top to bottom in this session without an error, its
    verdicts in ``verdicts`` (for a test marked ``learner_notebook``; nbval's runs are recorded here)."""
    config.stash[NBVAL_VERDICTS][number] = verdicts


class NbvalVerdicts:
    """A plugin for the whole session (tests/ and notebooks/): records the verdicts of nbval's runs, and
    leaves out of nbval the notebooks that a test runs itself (``learner_notebook``); before each notebook,
    takes the solved copies' finished fast models (fast models trained once per session, below)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.folder: Path | None = None
        self.cells: dict[str, int] = {}      # notebook number -> nbval items collected
        self.passed: dict[str, int] = {}     # notebook number -> items whose call passed
        self.records: dict[str, Path] = {}   # notebook number -> its verdict file
        self.env_set = False                 # $COURSE_GRADE_FILE is ours, for nbval's kernel
        self.started: set[str] = set()       # notebook numbers whose first cell nbval has set up
        config.stash[NBVAL_VERDICTS] = {}

    @staticmethod
    def _number(item: pytest.Item) -> str:
        return Path(str(item.path)).name[:2]

    @pytest.hookimpl(trylast=True)  # after -m and -k: a deselected test runs no notebook
    def pytest_collection_modifyitems(self, session, config, items):
        run_by_tests = notebooks_run_by_tests(items)
        kept, left_out = [], []
        for item in items:
            (left_out if _is_nbval_item(item) and self._number(item) in run_by_tests else kept).append(item)
        if left_out:
            items[:] = kept
            config.hook.pytest_deselected(items=left_out)
        notebook_items = [item for item in items if _is_nbval_item(item)]
        for item in notebook_items:
            number = self._number(item)
            self.cells[number] = self.cells.get(number, 0) + 1
        if notebook_items or run_by_tests:  # graders of the notebooks' runs go after them
            later = [item for item in items if item.get_closest_marker("after_notebooks")]
            items[:] = [item for item in items if not item.get_closest_marker("after_notebooks")] + later
            self.folder = Path(config._tmp_path_factory.mktemp("nbval-verdicts"))  # noqa: SLF001

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        # nbval starts a notebook's kernel while setting up its first cell: name its verdict file before.
        from course_lib.checks.exercise import GRADE_FILE_ENV_VAR

        if _is_nbval_item(item) and self._number(item) not in self.started:  # its first cell
            self.started.add(self._number(item))
            self._take_solved_copies_runs()
        if _is_nbval_item(item) and self.folder is not None:
            record = self.records.setdefault(self._number(item), self.folder / f"{self._number(item)}.verdicts.jsonl")
            os.environ[GRADE_FILE_ENV_VAR] = str(record)
            self.env_set = True
        elif self.env_set:  # a test's own kernels record nowhere unless it says so
            os.environ.pop(GRADE_FILE_ENV_VAR, None)
            self.env_set = False

    def _take_solved_copies_runs(self) -> None:
        """Before a learner notebook starts: the solved copies' finished fast models it may train (fast models
        trained once per session, below), into the learner copies' runs folder."""
        from course_lib import config
        from solved_in_background import take_finished_run

        solved = self.config.pluginmanager.get_plugin("course-solved-in-background").runs
        if not isinstance(solved, SolvedRuns):
            return
        for name in shared_fast_runs():
            take_finished_run(solved.runs / name, config.runs_dir() / name)

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and report.passed and report.nodeid.split("::")[0].endswith(".ipynb"):
            number = Path(report.nodeid.split("::")[0]).name[:2]
            self.passed[number] = self.passed.get(number, 0) + 1
            if self.passed[number] == self.cells.get(number):  # every cell of it ran without an error
                record_learner_run(self.config, number, self.records[number])

    def pytest_sessionfinish(self):
        from course_lib.checks.exercise import GRADE_FILE_ENV_VAR

        if self.env_set:
            os.environ.pop(GRADE_FILE_ENV_VAR, None)


# --------------------------------------------------------------------------- two workers (pytest-xdist)
# `scripts/test.sh` runs the full suite on two workers (`-n 2`), with this file's scheduler (CourseGroups, for
# any of xdist's load modes): every test goes to a worker with the rest of its module (module-scoped fixtures
# are made once), in the order below, except for three groups:
# - "notebooks": nbval's cells, the tests that grade their run (after_notebooks: NbvalVerdicts counts them in
#   the process that ran them) and the browser tests (their kernels share the repository's runs folder with
#   nbval's, so they must not run at the same time): one worker, in collection order;
# - "solved": the tests that wait for the solved copies. One worker starts the child that grades them, in a
#   folder both share; the other reads it (SolvedRuns, owner=False);
# - "waits": the modules marked waits_on_time_limits, whose tests spend seconds waiting for a time limit to
#   pass: on one worker, one after another, the other worker's CPU work fills their waits (on both at once,
#   both cores stood idle for 10 s).
# The workers collect, so they know markers and fixtures; the scheduler runs in the controlling process, which
# does not: each worker writes the groups to a file the controller reads (xdist_groups_file).
# The groups are handed out "waits" first, then longest first (scope_order), by the seconds their tests took in
# the last session (pytest's cache, DURATIONS_KEY): a long module left for the end would keep one worker busy
# while the other has nothing left. Then "solved" (the child is done by then), then the modules that neither
# train nor start a kernel: short, they fill the end of both workers. Without a cache, collection order within
# each part.
DURATIONS_KEY = "colorize-course/seconds"


def scope_order(scopes: list[tuple[str, bool, float]], solved: str = "solved", waits: str = "waits") -> list[str]:
    """The order in which to hand out the groups of tests: ``scopes`` is ``(name, heavy, seconds)`` per group
    in collection order (``heavy``: a test in it trains or starts a kernel or browser; ``seconds``: what its
    tests took last time, 0 when unknown). ``waits`` first (while the solved copies' child keeps the cores
    busy), then the heavy ones longest first, then ``solved``, then the others longest first; equal times
    keep collection order."""
    longest_first = lambda part: [name for name, _, _ in sorted(part, key=lambda scope: -scope[2])]  # noqa: E731 (stable)
    named = lambda name: [scope[0] for scope in scopes if scope[0] == name]  # noqa: E731
    heavy = [scope for scope in scopes if scope[1] and scope[0] not in (solved, waits)]
    light = [scope for scope in scopes if not scope[1] and scope[0] not in (solved, waits)]
    return named(waits) + longest_first(heavy) + named(solved) + longest_first(light)


def _order_by_scope(session: pytest.Session) -> None:
    """Put ``session.items`` in :func:`scope_order`'s order of their groups (each group's own order kept)."""
    cache = getattr(session.config, "cache", None)  # None with -p no:cacheprovider
    seconds = cache.get(DURATIONS_KEY, {}) if cache is not None else {}
    group = {item.nodeid: _xdist_group(item) for item in session.items}
    scopes: dict[str, list] = {}
    for item in session.items:
        scope = scopes.setdefault(group[item.nodeid], [False, 0.0])
        scope[0] |= item.get_closest_marker("slow") is not None
        scope[1] += float(seconds.get(item.nodeid, 0.0))
    rank = {name: i for i, name in enumerate(scope_order([(name, heavy, s) for name, (heavy, s) in scopes.items()]))}

    def place(item):  # the solved copies' tests, independent of one another, longest first: a long one last
        own = group[item.nodeid]  # would keep the next group waiting behind it (CourseGroups._reschedule)
        return rank[own], -float(seconds.get(item.nodeid, 0.0)) if own == "solved" else 0.0

    session.items.sort(key=place)  # stable: every other group's order is kept


class Durations:
    """A plugin of the controlling process (or of a session without workers): each test's seconds (setup,
    call and teardown), saved into pytest's cache at the end for the next session's :func:`scope_order`."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report):
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        cache = getattr(session.config, "cache", None)
        if cache is not None and self.seconds:
            cache.set(DURATIONS_KEY, {**cache.get(DURATIONS_KEY, {}), **{k: round(v, 2) for k, v in self.seconds.items()}})


def xdist_groups_file(controller_basetemp: Path) -> Path:
    return controller_basetemp / "course-xdist-groups.json"


def _xdist_group(item: pytest.Item) -> str:
    if _is_nbval_item(item) or item.get_closest_marker("after_notebooks") or item.get_closest_marker("browser"):
        return "notebooks"
    if "solved_runs" in getattr(item, "fixturenames", ()):
        return "solved"
    if item.get_closest_marker("waits_on_time_limits"):
        return "waits"
    return item.nodeid.split("::")[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    _mark_tiers(items)


@pytest.hookimpl(tryfirst=True)  # before xdist's own tells the controller that collection is done
def pytest_collection_finish(session):
    if xdist_worker(session.config):  # the items as the controller will see them: after every reordering hook
        import json

        _order_by_scope(session)  # every worker alike: the same cache, the same items
        groups = xdist_groups_file(session.config._tmp_path_factory.getbasetemp().parent)  # noqa: SLF001
        partial = groups.with_name(f"{groups.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps({item.nodeid: _xdist_group(item) for item in session.items}))
        os.replace(partial, groups)  # every worker writes the same groups


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if xdist_worker(config):
        atexit.register(_end_worker_now)  # registered last, so it runs first


def _end_worker_now() -> None:
    """End a worker at once, once it has said all it had to: the reports are sent, pytest is unconfigured.
    An interpreter that loaded TensorFlow then spends seconds in native code on its way out (2 s after a few
    trainings, about 7 s after a worker's share of the full suite, measured), and the session waits for it."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # Any of xdist's load-balancing modes (`-n 2` alone means "load"): nbval's cells spread over two kernels fail.
    if config.getvalue("dist") not in ("load", "loadscope", "loadgroup"):
        return None
    import json

    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # collection order: the solved-copy tests last, as SolvedInBackground put them

    class CourseGroups(LoadScopeScheduling):
        """xdist's scheduling by scope, with the scopes the workers wrote (tests/conftest.py, "two workers")."""

        _groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._groups is None:
                self._groups = json.loads(xdist_groups_file(config._tmp_path_factory.getbasetemp()).read_text())  # noqa: SLF001
            return self._groups.get(nodeid) or nodeid.split("::")[0]

        def _reschedule(self, node) -> None:
            # xdist hands a worker its next group while 2 of its tests are left; a worker holds back its
            # last test until it knows the next, so a group ending in a long test (the solved copies'
            # 30 s rerun of 04) kept the next group waiting behind it while the other worker ran dry.
            # Here: at 1 test left (the one held back), the least that keeps a worker going.
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) <= 1:
                self._assign_work_unit(node)

    return CourseGroups(config, log)


def pytest_configure(config):
    config.addinivalue_line("markers", "after_notebooks: runs after the session's runs of the learner notebooks "
                                       "(nbval's cells, learner_notebook tests), to grade from them "
                                       "(tests/conftest.py, learner_run_verdicts)")
    config.addinivalue_line("markers", "learner_notebook(number): the test runs that learner notebook top to "
                                       "bottom and records its verdicts (record_learner_run): nbval leaves it "
                                       "out (tests/conftest.py)")
    config.addinivalue_line("markers", "waits_on_time_limits: the module's tests wait out time limits; on two "
                                       "workers they run on one, with the other modules so marked (tests/conftest.py)")
    config.addinivalue_line("markers", "solved_notebooks(*numbers): the solved copies a test that uses "
                                       "solved_runs needs (default: all of them; tests/conftest.py)")
    config.pluginmanager.register(NbvalVerdicts(config), "course-nbval-verdicts")
    config.pluginmanager.register(SolvedInBackground(config), "course-solved-in-background")
    if not xdist_worker(config):
        config.pluginmanager.register(Durations(), "course-durations")


@pytest.fixture
def learner_run_verdicts(request) -> dict[str, Path]:
    """Notebook number -> the verdict file of this session's run of that learner notebook, for each one
    that nbval or a ``learner_notebook`` test ran to its end without a failing cell (empty when none did)."""
    return dict(request.config.stash[NBVAL_VERDICTS])


# --------------------------------------------------------------------------- fast models trained once per session
# The learner copies (nbval, the browser tests) and the solved copies (their background child) train the same
# tiny fast-recipe models, with the same code, data and settings, in runs folders of their own. The costliest
# two are trained once: a copy that needs one takes it from the other's runs folder when it is finished there
# (train.run_is_finished), as a learner's second notebook reuses the first one's. Each copy's own training
# path still runs, in whichever copy gets there first: the learner copy of 08 in the browser (before the
# solved copies reach 08), the solved copy of 07 (nbval's 07 comes later). Where none is finished yet, a copy
# trains its own; a run of other settings fails the notebook's train(..., resume="auto"), naming them.
SHARED_FAST_VARIANTS = ("hints", "classification")


def shared_fast_runs() -> list[str]:
    """Names of the run folders of :data:`SHARED_FAST_VARIANTS` in fast mode (``hints-fast``, ``cls-fast``)."""
    from course_lib import course_models

    return [course_models.variant_run_dir(variant, fast=True).name for variant in SHARED_FAST_VARIANTS]


# --------------------------------------------------------------------------- solved copies, graded in the background
# The instructors' solved copies take minutes of kernel time. When the session holds a test that
# uses `solved_runs`, they are graded in a child process from the start of the session
# (tests/solved_in_background.py) while the other tests run, and the tests that use them run last
# (on two workers, only the modules that neither train nor start a kernel come after them: scope_order):
# each waits only for the results it asks for. `@pytest.mark.solved_notebooks("04")` says a test
# needs only those (05-09 bring 04 along); without it, a test is given every solved copy.
# A session without such a test starts nothing; the child and its kernels are stopped when the
# session ends, however it ends.
class SolvedRuns:
    """The instructors' solved copies (``solve --out``), each graded once per session, in the background.

    They share one runs folder of the session (``runs``), as a learner's notebooks share theirs:
    05-08 read notebook 04's model, so 04 runs first. Tests that need a solved notebook's run (its
    grade, its run folder) ask here instead of executing it again.
    """

    #: Seconds an attached worker waits for the owner to write the solved copies and start the child.
    ATTACH_WAIT_S = 300

    def __init__(self, root: Path, wanted: set[str], *, owner: bool = True):
        from course_lib import cli, config, sources

        self.folder, self.runs = root / "solved", root / "runs"
        self.owner = owner
        self._results: dict = {}
        said = io.StringIO()  # no test captures this (the session has just begun): kept for an error
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            solved = cli.main(["solve", "--out", str(self.folder)]) if owner else 0
            self.env = {**sources.kernel_env(sources.get_dataset(_ncd_dev_copy(), download=False)),
                        config.RUNS_ENV_VAR: str(self.runs)}
        if not owner:  # another xdist worker writes the copies and starts the child: read its job
            deadline = time.time() + self.ATTACH_WAIT_S
            while not (root / "background" / "child.pid").is_file():
                if (root / "start-error.txt").is_file():
                    raise SolvedRunError(f"the worker that starts them failed:\n{(root / 'start-error.txt').read_text()}")
                if time.time() > deadline:
                    raise SolvedRunError(f"no worker started the solved copies in {root} within {self.ATTACH_WAIT_S} s")
                time.sleep(0.5)
            self.order = run_order(wanted, self.numbers())
            self.background = BackgroundGrading.attach(root / "background")
            return
        try:
            if solved != 0:
                raise SolvedRunError(f"solve --out {self.folder} failed (exit status {solved}):\n{said.getvalue()}")
            self.order = run_order(wanted, self.numbers())
            self.background = BackgroundGrading([(number, self.path(number)) for number in self.order],
                                                root / "background", self.env,
                                                reuse_runs=(config.runs_dir(), shared_fast_runs()))
            self.background.start()
        except Exception as exc:
            (root / "start-error.txt").write_text(repr(exc))  # an attached worker says it too
            raise

    def path(self, number: str) -> Path:
        return next(self.folder.glob(f"{number}_*.ipynb"))

    def numbers(self) -> list[str]:
        return sorted(path.name[:2] for path in self.folder.glob("[0-9][0-9]_*.ipynb"))

    def result(self, number: str):
        """The graded run (``grading.NotebookResult``) of solved notebook ``number``, once it is done.

        Raises
        ------
        SolvedRunError
            When its background run gave no result (the message says why), or the session's tests
            did not ask for it (``@pytest.mark.solved_notebooks``).
        """
        if number not in self._results:
            if number not in self.order:
                raise SolvedRunError(f"solved notebook {number} was not graded in this session: the tests that use "
                                     f"solved_runs asked for {self.order} (@pytest.mark.solved_notebooks)")
            self._results[number] = self.background.result(number)
        return self._results[number]

    def wait_all(self) -> list:
        """Every result of this session's solved runs: afterwards nothing writes to ``runs`` any more."""
        return [self.result(number) for number in self.order]

    def stop(self) -> None:
        self.background.stop()

    def wait_for_the_child(self) -> None:
        """Wait until the child has graded every notebook (or failed): another worker may still need them."""
        for number in self.order:
            try:
                self.background.result(number)
            except SolvedRunError:
                pass  # the test that needs it says so


def xdist_worker(config: pytest.Config) -> str | None:
    """The pytest-xdist worker this session is (``gw0``...), or None outside xdist (and in a session that a
    test starts in-process with pytester, which has no ``workerinput``)."""
    return (getattr(config, "workerinput", None) or {}).get("workerid")


class SolvedInBackground:
    """A plugin for the whole session: finds who needs solved copies, starts them, stops them at the end."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.wanted: set[str] = set()  # notebook numbers, or SOLVED_ALL; empty: start nothing
        self.runs: SolvedRuns | Exception | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(self, session, config, items):
        yield  # after every other hook: the tiers, nbval's order, -m and -k
        users = [item for item in items if "solved_runs" in getattr(item, "fixturenames", ())]
        wanted: set[str] = set()
        for item in users:
            marker = item.get_closest_marker("solved_notebooks")
            wanted |= set(marker.args) if marker else {SOLVED_ALL}
        self.wanted = wanted
        # They wait for the background, so they go last: every other test runs while it grades.
        items[:] = [item for item in items if "solved_runs" not in getattr(item, "fixturenames", ())] + users

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session):
        collection_failed = session.testsfailed and not session.config.option.continue_on_collection_errors
        if self.wanted and not session.config.option.collectonly and not collection_failed:
            try:
                self.runs = self._start_or_attach()
            except Exception as exc:  # noqa: BLE001  (the tests that use solved_runs fail with it)
                self.runs = exc
        ended_normally = False
        try:
            outcome = yield
            ended_normally = not (session.shouldstop or session.shouldfail)
            return outcome
        finally:
            if isinstance(self.runs, SolvedRuns):
                if ended_normally and self.runs.owner and xdist_worker(self.config):
                    self.runs.wait_for_the_child()  # the other worker may still be waiting for its results
                self.runs.stop()

    def _start_or_attach(self) -> SolvedRuns:
        """Start the child; under pytest-xdist the first worker here starts it, in a folder every worker shares,
        and the others read its results (each worker collects every test, so each knows what is wanted)."""
        factory = self.config._tmp_path_factory  # noqa: SLF001
        if not xdist_worker(self.config):
            return SolvedRuns(Path(factory.mktemp("solved-runs")), self.wanted)
        root = factory.getbasetemp().parent / "solved-runs"  # xdist gives worker gwN the basetemp <session>/popen-gwN
        try:
            root.mkdir()
        except FileExistsError:
            return SolvedRuns(root, self.wanted, owner=False)
        return SolvedRuns(root, self.wanted)


@pytest.fixture(scope="session")
def solved_runs(request) -> SolvedRuns:
    runs = request.config.pluginmanager.get_plugin("course-solved-in-background").runs
    if isinstance(runs, Exception):
        raise SolvedRunError(f"the solved copies could not be started: {runs!r}") from runs
    if not isinstance(runs, SolvedRuns):
        pytest.fail("solved_runs was not started for this session: a test must name it as an argument (or in "
                    "usefixtures) for tests/conftest.py to see it at collection", pytrace=False)
    return runs
