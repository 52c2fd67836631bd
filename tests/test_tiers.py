"""The quick tier (`scripts/test.sh --quick`, i.e. `-m "not slow"`): tests/conftest.py marks the tests
that train, start a kernel or a browser by reading their code, and a guard fails any test that does so
unmarked."""

from __future__ import annotations

import subprocess
import sys

import pytest

import conftest
from conftest import REPO_ROOT, HeavyCodeReader


def _trains_through_the_command_line(tmp_path):
    from course_lib import cli

    return cli.main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")])


def _helper_that_trains(tmp_path):
    return _trains_through_the_command_line(tmp_path)


def _fits(model, x, y):
    model.fit(x, y, epochs=1)


def _starts_a_kernel(path):
    from course_lib.course import runner

    return runner.execute_notebook(path)


def _runs_nbval():
    return subprocess.run([sys.executable, "-m", "pytest", "notebooks", "--nbval-lax"])


def _colours_a_photo(photo):
    from course_lib import color

    return color.lab_to_rgb_uint8(photo)


# By name: a function passed as a parameter is read as part of the test, which would leave this test
# out of the quick tier it checks.
@pytest.mark.parametrize("function, reason", [
    ("_fits", "trains"),
    ("_helper_that_trains", "trains"),  # through a helper, then `cli.main(["train", ...])`, then train()'s .fit
    ("_starts_a_kernel", "kernel"),
    ("_runs_nbval", "kernel"),
])
def test_the_reader_sees_training_and_kernels_through_helpers_and_the_command_line(function, reason):
    assert reason in HeavyCodeReader().reasons(globals()[function])


def test_the_tiers_own_tests_are_in_the_quick_tier(request):
    assert request.node.get_closest_marker("slow") is None


def test_the_reader_leaves_plain_library_code_in_the_quick_tier():
    assert HeavyCodeReader().reasons(_colours_a_photo) == set()


def test_known_training_tests_are_left_out_of_the_quick_tier_and_the_rest_kept(pytester):
    # test_train calls train() directly; test_hints_cli trains in a module fixture through the command line.
    # Collected in-process (pytester), with this repository's conftest and markers, as `-m "not slow"` does.
    files = [str(REPO_ROOT / "tests" / name) for name in ("test_train.py", "test_hints_cli.py")]
    items, record = pytester.inline_genitems("-m", "not slow", "-p", "no:cacheprovider", "--rootdir", str(REPO_ROOT),
                                             *files)
    left_out = {item.nodeid for call in record.getcalls("pytest_deselected") for item in call.items}
    quick = {item.nodeid.split("[")[0] for item in items if item.nodeid not in left_out}
    assert left_out and quick
    assert "tests/test_train.py::test_crash_then_resume_continues_with_optimizer_state" not in quick
    assert "tests/test_hints_cli.py::test_train_hints_records_the_setting_and_the_model_loads_with_keras" not in quick
    assert "tests/test_train.py::test_grid_shows_several_categories_with_named_rows" in quick
    assert "tests/test_hints_cli.py::test_the_pipeline_samples_new_reproducible_hints_each_epoch" in quick


def test_an_unmarked_test_that_trains_or_starts_a_kernel_fails_loudly():
    # This test is unmarked, so the guard must stop it at the first training call or kernel start.
    with pytest.raises(pytest.fail.Exception, match="did not see it coming"):
        conftest.forbid_undetected("trains a model in-process")
    with pytest.raises(pytest.fail.Exception, match="starts a Jupyter kernel"):
        subprocess.Popen([sys.executable, "-m", "ipykernel_launcher", "-f", "unused.json"])


def test_keras_fit_is_guarded_once_keras_is_imported():
    import inspect

    keras = pytest.importorskip("keras")
    conftest._guard_keras_fit()
    assert getattr(inspect.getattr_static(keras.Model, "fit"), "_tier_guard", False)  # read, never called


# ------------------------------------------------------------------ each learner notebook runs once
class _FakeItem:
    def __init__(self, *marks):
        self.marks = {mark.mark.name: mark.mark for mark in marks}

    def get_closest_marker(self, name):
        return self.marks.get(name)


def test_a_notebook_that_a_test_runs_itself_is_left_out_of_nbval_only_where_that_test_can_run():
    browser_06 = _FakeItem(pytest.mark.browser, pytest.mark.learner_notebook("06"))
    plain_03 = _FakeItem(pytest.mark.learner_notebook("03"))
    other = _FakeItem(pytest.mark.browser)
    items = [browser_06, plain_03, other]
    assert conftest.notebooks_run_by_tests(items, chromium_found=True) == {"06", "03"}
    assert conftest.notebooks_run_by_tests(items, chromium_found=False) == {"03"}  # skipped: nbval keeps 06
    assert conftest.notebooks_run_by_tests([other]) == set()


# ------------------------------------------------------------------ two workers: which group of tests goes first
class _CollectedItem(_FakeItem):
    def __init__(self, nodeid, *marks, fixturenames=()):
        super().__init__(*marks)
        self.nodeid, self.fixturenames = nodeid, fixturenames


class _Cache(dict):
    def set(self, key, value):
        self[key] = value


def test_groups_go_waits_first_then_longest_first_then_the_solved_copies_then_the_light_ones():
    scopes = [("tests/test_a.py", True, 5.0), ("solved", True, 30.0), ("tests/test_b.py", False, 3.0),
              ("notebooks", True, 200.0), ("tests/test_c.py", True, 5.0), ("tests/test_d.py", False, 4.0),
              ("waits", True, 50.0), ("tests/test_e.py", True, 60.0)]
    assert conftest.scope_order(scopes) == ["waits", "notebooks", "tests/test_e.py", "tests/test_a.py",
                                            "tests/test_c.py", "solved", "tests/test_d.py", "tests/test_b.py"]
    unmeasured = [(name, heavy, 0.0) for name, heavy, _ in scopes]  # a fresh clone: collection order in each part
    assert conftest.scope_order(unmeasured) == ["waits", "tests/test_a.py", "notebooks", "tests/test_c.py",
                                                "tests/test_e.py", "solved", "tests/test_b.py", "tests/test_d.py"]


def test_the_last_sessions_seconds_order_the_items_by_group_and_keep_each_groups_order():
    from types import SimpleNamespace

    slow = pytest.mark.slow
    solved = ("solved_runs",)
    items = [_CollectedItem("tests/test_a.py::one", slow), _CollectedItem("tests/test_a.py::two"),
             _CollectedItem("tests/test_light.py::x"), _CollectedItem("tests/test_b.py::one", slow),
             _CollectedItem("notebooks/01_x.ipynb::Cell 0", slow), _CollectedItem("tests/test_b.py::two", slow),
             _CollectedItem("tests/test_a.py::solved_quick", slow, fixturenames=solved),
             _CollectedItem("tests/test_b.py::solved_long", slow, fixturenames=solved)]
    durations = conftest.Durations()
    for item, seconds in zip(items, [1.0, 1.5, 9.0, 2.0, 40.0, 3.0, 0.5, 30.0]):
        for _ in ("setup", "call", "teardown"):
            durations.pytest_runtest_logreport(SimpleNamespace(nodeid=item.nodeid, duration=seconds / 3))
    cache = _Cache({conftest.DURATIONS_KEY: {"tests/test_gone.py::old": 7.0}})
    durations.pytest_sessionfinish(SimpleNamespace(config=SimpleNamespace(cache=cache)))
    saved = cache[conftest.DURATIONS_KEY]
    assert saved["tests/test_gone.py::old"] == 7.0 and saved["tests/test_b.py::two"] == pytest.approx(3.0)

    session = SimpleNamespace(config=SimpleNamespace(cache=cache), items=list(items))
    conftest._order_by_scope(session)
    assert [item.nodeid for item in session.items] == [
        "notebooks/01_x.ipynb::Cell 0", "tests/test_b.py::one", "tests/test_b.py::two",  # 40 s, then 5 s
        "tests/test_a.py::one", "tests/test_a.py::two",  # 2.5 s
        "tests/test_b.py::solved_long", "tests/test_a.py::solved_quick",  # the solved copies' tests, longest first
        "tests/test_light.py::x"]  # nothing in it trains or starts a kernel: last, however long
