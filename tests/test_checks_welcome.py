"""The checks of notebook 00 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

import pytest

from course_lib.checks import welcome as checks
from conftest import load_solutions


solutions = load_solutions("00_welcome_and_setup")


def test_solutions_accepted(capsys):
    assert checks.check_io_shapes(solutions.io_shapes) is True
    assert checks.check_choose_weights(solutions.choose_weights) is True
    assert capsys.readouterr().out.count("accepted") == 2


@pytest.mark.parametrize("check", [checks.check_io_shapes, checks.check_choose_weights])
def test_stub_and_none_get_a_reminder(capsys, check):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda h, w: ((h, w, 2), (h, w, 1)), "swapped"),
    (lambda h, w: ((h, w, 1), (h, w, 3)), "only a and b"),
    (lambda h, w: ((w, h, 1), (w, h, 2)), "height first"),
])
def test_io_shapes_typical_mistakes(capsys, wrong, hint):
    assert checks.check_io_shapes(wrong) is False
    assert hint in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda report: "none" if report.offline else "imagenet", "not the string"),
    (lambda report: "imagenet", "report.offline"),
])
def test_choose_weights_typical_mistakes(capsys, wrong, hint):
    assert checks.check_choose_weights(wrong) is False
    assert hint in capsys.readouterr().out
