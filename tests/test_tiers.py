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
