"""Every exercise checker survives any answer: it prints a verdict and returns a bool."""

import importlib
import pkgutil

import numpy as np
import pytest

import course_lib.checks

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
ODD_ANSWERS = [np.zeros((3, 3)), np.array("imagenet"), object(), {"a": 1}, "text", float("nan"), -1, (i for i in range(3))]


def test_every_check_is_found():
    assert len(CHECKS) >= 14  # at least two per notebook


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}")
def test_check_never_raises_on_odd_answers(check, capsys):
    for answer in ODD_ANSWERS:
        verdict = check(lambda *args, _answer=answer, **kwargs: _answer)
        assert verdict is False, f"{check.__name__} accepted {answer!r}"
    assert "not yet" in capsys.readouterr().out
