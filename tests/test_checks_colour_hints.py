"""The checks of notebook 08 accept the instructors' solutions and name typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import color, hints
from course_lib.checks import colour_hints as checks
from conftest import load_solutions

solutions = load_solutions("08_colour_hints")


def test_solutions_accepted(capsys):
    assert checks.check_patch_mean(solutions.patch_mean)
    assert checks.check_picked_ab(solutions.picked_ab)
    assert checks.check_one_hint_where(solutions.one_hint_where)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out


def test_solutions_agree_with_course_lib():
    ab = np.random.default_rng(0).normal(0, 30, (9, 11, 2)).astype(np.float32)
    for y, x, size in [(0, 0, 1), (4, 5, 9), (8, 10, 4), (1, 9, 6)]:
        assert solutions.patch_mean(ab, y, x, size) == pytest.approx(hints.patch_mean_ab(ab, y, x, size), abs=1e-4)
    assert solutions.picked_ab("#d02020") == pytest.approx(hints.rgb_to_ab((208, 32, 32)), abs=1e-3)


def _uncentred(ab, y, x, size):
    patch = ab[y : y + size, x : x + size]
    return patch[..., 0].mean(), patch[..., 1].mean()


def _unclipped(ab, y, x, size):
    top, left = y - (size - 1) // 2, x - (size - 1) // 2
    patch = ab[top : top + size, left : left + size]  # a negative start wraps to the far end: empty
    return (patch[..., 0].mean(), patch[..., 1].mean()) if patch.size else (0.0, 0.0)


@pytest.mark.parametrize("wrong, says", [
    (_uncentred, "centred"),
    (_unclipped, "clipped"),
    (lambda ab, y, x, size: (ab[x, y, 0], ab[x, y, 1]), "row y"),
    (lambda ab, y, x, size: 3, "pair"),
])
def test_patch_mean_mistakes_are_named(wrong, says, capsys):
    assert checks.check_patch_mean(wrong) is False
    assert says in capsys.readouterr().out


def _lab_of(text):
    rgb = np.array([[[int(text[k : k + 2], 16) for k in (1, 3, 5)]]], np.uint8)
    return color.rgb_to_lab(rgb)[0, 0]


@pytest.mark.parametrize("wrong, says", [
    (lambda text: tuple(_lab_of(text)), "only a and b"),
    (lambda text: tuple(_lab_of(text)[[2, 1]]), "swapped"),
    (lambda text: tuple(_lab_of("#" + text[5:7] + text[3:5] + text[1:3])[1:]), "wrong order"),
    (lambda text: (0.0, 0.0), "expected about"),
])
def test_picked_ab_mistakes_are_named(wrong, says, capsys):
    assert checks.check_picked_ab(wrong) is False
    assert says in capsys.readouterr().out


def test_the_prediction_names_the_background_mistake(capsys):
    assert checks.check_one_hint_where("background") is False
    assert "white" in capsys.readouterr().out
    assert checks.check_one_hint_where(" Object ") is True


@pytest.mark.parametrize("check", [checks.check_patch_mean, checks.check_picked_ab, checks.check_one_hint_where])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert "not attempted" in capsys.readouterr().out
