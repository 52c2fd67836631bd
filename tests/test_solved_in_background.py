"""The solved copies' background grading (tests/solved_in_background.py, tests/conftest.py): results are
waited for, every failure of the background reaches the waiting test naming the notebook, the child
and what it started are stopped, and a session that needs no solved copy starts nothing.

The child here calls :func:`fake_grade` instead of grade (no kernel): what it does for each notebook
comes from its ``env`` argument, which is what the real grade gives the notebook's kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from solved_in_background import ALL, BackgroundGrading, SolvedRunError, run_order

LIGHT = pytest.mark.light("a fake grade function in the child process: no kernel starts")
# Its tests wait out time limits (a child past its limit, a child whose session died): they share one worker
# with the other such modules, whose CPU work fills their waits (tests/conftest.py, two workers).
pytestmark = pytest.mark.waits_on_time_limits


def fake_grade(path, *, number, env):
    """Stands in for ``grading.grade_notebook`` in the child: ``env["FAKE_DO"]`` says what each notebook does."""
    from course_lib.course import grading

    with open(env["FAKE_CALLS"], "a") as calls:
        calls.write(f"{number} {path.name}\n")
    action = json.loads(env["FAKE_DO"]).get(number, "pass")
    if action == "raise":
        raise RuntimeError(f"learner bug in {path.name}")
    if action == "exit":
        os._exit(3)
    if action == "hang":  # a kernel stand-in, in a session of its own as jupyter_client starts kernels
        kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
        Path(env["FAKE_KERNEL"]).write_text(str(kernel.pid))
        time.sleep(600)
    return grading.NotebookResult(path.name, str(path), number=number, seconds=0.1, exercises=[
        grading.ExerciseResult(1, "one", passed=True, checked=True, verdicts=[{"passed": True, "message": "ok"}])])


def _job(tmp_path, numbers, do=None, limit_s=None):
    env = {"FAKE_CALLS": str(tmp_path / "calls.txt"), "FAKE_DO": json.dumps(do or {}),
           "FAKE_KERNEL": str(tmp_path / "kernel.pid")}
    notebooks = [(number, tmp_path / f"{number}_nb.ipynb") for number in numbers]
    job = BackgroundGrading(notebooks, tmp_path / "job", env, grade="test_solved_in_background:fake_grade",
                            notebook_limit_s=limit_s)
    job.start()
    return job


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_run_order_puts_04_first_and_brings_it_along_for_05_to_09():
    available = ["00", "01", "04", "05", "09"]
    assert run_order({ALL}, available) == ["04", "00", "01", "05", "09"]
    assert run_order({"09"}, available) == ["04", "09"]
    assert run_order({"01"}, available) == ["01"]
    assert run_order(set(), available) == []
    with pytest.raises(SolvedRunError, match="'07'"):
        run_order({"07"}, available)


@LIGHT
def test_results_are_waited_for_in_order_with_the_grade_functions_arguments(tmp_path):
    job = _job(tmp_path, ["04", "00", "05"])
    try:
        last = job.result("05")  # waits, though the child has not even started yet
        first = job.result("04")
    finally:
        job.stop()
    assert (last.number, last.score, last.total, last.notebook) == ("05", 1, 1, "05_nb.ipynb")
    assert first.exercises[0].verdicts == [{"passed": True, "message": "ok"}]
    assert first.to_json()["score"] == 1
    assert (tmp_path / "calls.txt").read_text().split("\n")[:3] == ["04 04_nb.ipynb", "00 00_nb.ipynb",
                                                                    "05 05_nb.ipynb"]
    with pytest.raises(SolvedRunError, match="07 is not among"):
        job.result("07")


def _fake_run(folder: Path, epochs_done: int) -> Path:
    """A training run folder of the fast recipe (3 epochs) as train leaves it after ``epochs_done`` epochs."""
    from course_lib.recipes import RECIPES

    (folder / "checkpoints").mkdir(parents=True)
    (folder / "checkpoints" / "state.json").write_text(json.dumps({"settings": RECIPES["fast"].to_dict(),
                                                                   "epochs_done": epochs_done}))
    (folder / "model.keras").write_bytes(b"the best model so far")
    (folder / "log.csv").write_text("epoch\n" + "".join(f"{epoch}\n" for epoch in range(epochs_done)))
    return folder


@LIGHT
def test_the_learner_copies_finished_runs_are_taken_and_nothing_else(tmp_path):
    learners, solved = tmp_path / "learner-runs", tmp_path / "solved-runs"
    _fake_run(learners / "finished", 3)
    _fake_run(learners / "half", 1)  # still training there: the solved copy trains its own
    _fake_run(learners / "own", 3)
    (solved / "own").mkdir(parents=True)
    (solved / "own" / "model.keras").write_bytes(b"the solved copy's own")  # never replaced
    env = {"FAKE_CALLS": str(tmp_path / "calls.txt"), "FAKE_DO": "{}", "COURSE_RUNS_DIR": str(solved)}
    job = BackgroundGrading([("04", tmp_path / "04_nb.ipynb")], tmp_path / "job", env,
                            grade="test_solved_in_background:fake_grade",
                            reuse_runs=(learners, ["finished", "half", "own", "missing"]))
    job.start()
    try:
        job.result("04")
    finally:
        job.stop()
    assert sorted(path.name for path in solved.iterdir()) == ["finished", "own"]
    for name in ("checkpoints/state.json", "model.keras", "log.csv"):
        assert (solved / "finished" / name).read_bytes() == (learners / "finished" / name).read_bytes()
    assert (solved / "own" / "model.keras").read_bytes() == b"the solved copy's own"
    assert f"took the finished run {learners / 'finished'}" in (tmp_path / "job" / "worker.log").read_text()


@LIGHT
def test_a_raising_grade_fails_that_notebook_with_its_traceback_and_the_next_still_runs(tmp_path):
    job = _job(tmp_path, ["04", "05"], do={"04": "raise"})
    try:
        with pytest.raises(SolvedRunError, match=r"(?s)solved notebook 04: grading it raised.*learner bug in 04"):
            job.result("04")
        assert job.result("05").score == 1
    finally:
        job.stop()


@LIGHT
def test_a_child_that_dies_fails_the_waiting_test_with_its_status_and_log(tmp_path):
    job = _job(tmp_path, ["04", "05"], do={"05": "exit"})
    try:
        assert job.result("04").score == 1
        with pytest.raises(SolvedRunError, match=r"(?s)solved notebook 05: .*exited with status 3.*grading solved "
                                                 r"notebook 05"):
            job.result("05")
    finally:
        job.stop()


@LIGHT
def test_a_notebook_past_the_limit_stops_the_child_and_its_kernels_and_fails_loudly(tmp_path):
    job = _job(tmp_path, ["04", "05"], do={"04": "hang"}, limit_s=3)
    try:
        with pytest.raises(SolvedRunError, match=r"solved notebook 05: .*no progress for 3 s while grading 04"):
            job.result("05")
        assert job.process.poll() is not None
        assert not _alive(int((tmp_path / "kernel.pid").read_text()))
    finally:
        job.stop()


@LIGHT
def test_stop_ends_a_running_child_and_the_kernels_it_started(tmp_path):
    job = _job(tmp_path, ["04"], do={"04": "hang"})
    kernel_pid = tmp_path / "kernel.pid"
    deadline = time.monotonic() + 60
    while not kernel_pid.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(int(kernel_pid.read_text()))
    job.stop()
    job.stop()  # twice is harmless (the session's end after a test's stop)
    assert job.process.poll() is not None and not _alive(int(kernel_pid.read_text()))
    with pytest.raises(SolvedRunError, match="solved notebook 04: the background grading ended"):
        job.result("04")


@LIGHT
def test_another_worker_reads_the_results_and_leaves_stopping_the_child_to_its_owner(tmp_path):
    """Under pytest-xdist one worker starts the child; the other attaches to the job's folder."""
    job = _job(tmp_path, ["04", "05"], do={"05": "exit"})
    try:
        reader = BackgroundGrading.attach(tmp_path / "job")
        assert reader.numbers == ["04", "05"] and reader.result("04").score == 1
        with pytest.raises(SolvedRunError, match=r"(?s)solved notebook 05: .*exited with status unknown"):
            reader.result("05")
    finally:
        job.stop()
    with pytest.raises(SolvedRunError, match="no background grading job"):
        BackgroundGrading.attach(tmp_path / "nothing")


@LIGHT
def test_an_attached_reader_stops_a_child_past_the_limit_and_otherwise_leaves_it_running(tmp_path):
    job = _job(tmp_path, ["04", "05"], do={"04": "hang"})
    try:
        reader = BackgroundGrading.attach(tmp_path / "job", notebook_limit_s=3)
        kernel_pid = tmp_path / "kernel.pid"
        deadline = time.monotonic() + 60
        while not kernel_pid.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        reader.stop()  # the owner's to do: nothing happens
        assert job.process.poll() is None
        with pytest.raises(SolvedRunError, match=r"solved notebook 05: .*no progress for 3 s while grading 04"):
            reader.result("05")
        assert job.process.wait(timeout=30) is not None and not _alive(int(kernel_pid.read_text()))
    finally:
        job.stop()


ORPHANING_SESSION = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from solved_in_background import BackgroundGrading
tmp = sys.argv[2]
env = {"FAKE_CALLS": tmp + "/calls.txt", "FAKE_DO": json.dumps({"04": "hang"}), "FAKE_KERNEL": tmp + "/kernel.pid"}
job = BackgroundGrading([("04", tmp + "/04_nb.ipynb")], tmp + "/job", env, grade="test_solved_in_background:fake_grade")
job.start()
print(job.process.pid, flush=True)
time.sleep(600)
"""


@LIGHT
def test_a_child_whose_session_dies_ends_itself_and_its_kernels(tmp_path):
    session = subprocess.Popen([sys.executable, "-c", ORPHANING_SESSION, str(Path(__file__).parent), str(tmp_path)],
                               stdout=subprocess.PIPE, text=True)
    try:
        child = int(session.stdout.readline())
        kernel_pid = tmp_path / "kernel.pid"
        deadline = time.monotonic() + 60
        while not kernel_pid.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        kernel = int(kernel_pid.read_text())
        assert _alive(child) and _alive(kernel)
    finally:
        session.kill()  # as a session killed by SIGKILL: no stop() runs
        session.wait()
    deadline = time.monotonic() + 30
    while (_alive(child) or _alive(kernel)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(child) and not _alive(kernel)


SESSION = """
import pytest

def test_plain():
    pass

@pytest.mark.slow
def test_every_solved_copy(solved_runs):
    pass

@pytest.mark.slow
@pytest.mark.solved_notebooks("06")
def test_solved_06(solved_runs):
    pass

def test_after():
    pass
"""


def _plugin(pytester, *args):
    """Collect SESSION in-process with this repository's conftest as a plugin; its solved-copies plugin."""
    pytester.makepyfile(test_session=SESSION)
    _, record = pytester.inline_genitems("-p", "conftest", "-p", "no:cacheprovider", *args)
    session = record.getcall("pytest_collection_finish").session
    return session.config.pluginmanager.get_plugin("course-solved-in-background"), session.items


def test_only_a_session_with_a_test_that_uses_solved_runs_asks_for_solved_copies(pytester):
    plugin, items = _plugin(pytester)
    assert plugin.wanted == {ALL, "06"}
    # They wait for the background: every other test runs first, while it grades.
    assert [item.name for item in items] == ["test_plain", "test_after", "test_every_solved_copy", "test_solved_06"]
    assert _plugin(pytester, "-k", "06")[0].wanted == {"06"}
    # The quick tier, or a session of other tests, asks for none: nothing starts (pytest_runtestloop).
    for args in (["-m", "not slow"], ["-k", "plain or after"]):
        plugin, items = _plugin(pytester, *args)
        assert len(items) == 2 and plugin.wanted == set() and plugin.runs is None
