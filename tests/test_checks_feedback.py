"""The checkers' shared safety net: every ``check_*`` is wrapped by ``feedback.checker``, which turns a crash
into a hint, and no checker accepts an answer of the wrong kind. (Each checker's own tests judge right and
wrong answers; they need not test the safety net again.)"""

import importlib
import pkgutil

import numpy as np
import pytest

import course_lib.checks
from course_lib.checks import feedback

CHECK_MODULES = [
    importlib.import_module(f"course_lib.checks.{info.name}")
    for info in pkgutil.iter_modules(course_lib.checks.__path__)
    if info.name != "feedback"
]
CHECKS = [
    getattr(module, name)
    for module in CHECK_MODULES
    for name in sorted(dir(module))
    if name.startswith("check_") and callable(getattr(module, name))
]
# Answers a learner's function might return instead of the expected type.
ODD_ANSWERS = [np.zeros((3, 3)), np.array("imagenet"), object(), {"a": 1}, "text", float("nan"), -1, 3.5,
               [1, 2, 3], (1, 2, 3), ("x", "y"), (1, 2), (None, None), (i for i in range(3))]
CHECK_IDS = [f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}" for c in CHECKS]
SAFE_CHECK_CODE = feedback.checker(lambda: True).__code__


def test_every_check_is_found():
    assert len(CHECKS) >= 14  # at least two per notebook


@pytest.mark.parametrize("check", CHECKS, ids=CHECK_IDS)
def test_every_check_is_wrapped_by_the_checker_decorator(check):
    assert check.__code__ is SAFE_CHECK_CODE, f"{check.__name__} lacks @checker: a crash would reach the learner"


def test_checker_turns_a_crash_into_a_hint_naming_it(capsys):
    @feedback.checker
    def check_that_crashes(answer):
        raise ZeroDivisionError("oops")

    assert check_that_crashes(lambda: 1) is False
    out = capsys.readouterr().out
    assert "not yet" in out and "ZeroDivisionError: oops" in out


def test_call_safely_reports_the_learners_crash_with_its_arguments(capsys):
    def broken(x):
        raise KeyError("val_loss")

    assert feedback.call_safely(broken, 3) == (False, None)
    assert "calling it with (3,) raised KeyError" in capsys.readouterr().out
    assert feedback.call_safely(lambda x: 2 * x, 3) == (True, 6)


@pytest.mark.parametrize("check", CHECKS, ids=CHECK_IDS)
def test_no_check_accepts_an_answer_of_the_wrong_kind(check, capsys):
    for answer in ODD_ANSWERS:
        verdict = check(lambda *args, _answer=answer, **kwargs: _answer)
        assert verdict is False, f"{check.__name__} accepted {answer!r}"
        assert capsys.readouterr().out.strip(), f"{check.__name__} said nothing about {answer!r}"
