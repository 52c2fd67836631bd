"""The checks of notebook 01 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import color
from course_lib.checks import lab_color as checks
from conftest import load_solutions


solutions = load_solutions("01_lab_color_space")


def _verdict(capsys, check, fn):
    result = check(fn)
    return result, capsys.readouterr().out


@pytest.mark.parametrize("check, solution", [
    (checks.check_split_l_ab, solutions.split_l_ab),
    (checks.check_gray_share, solutions.gray_share),
    (checks.check_to_model_input, solutions.to_model_input),
])
def test_solution_accepted(capsys, check, solution):
    result, out = _verdict(capsys, check, solution)
    assert result is True and "accepted" in out


@pytest.mark.parametrize("check", [checks.check_split_l_ab, checks.check_to_model_input])
def test_stub_and_none_get_a_reminder(capsys, check):
    assert check(None) is False
    assert check(lambda rgb: None) is False
    assert check(lambda rgb: (None, None)) is False
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda rgb: (color.rgb_to_lab(rgb)[..., 0], color.rgb_to_lab(rgb)[..., 1:]), "keep the channel axis"),
    (lambda rgb: (rgb[..., :1].astype(float), rgb[..., 1:].astype(float)), "red channel"),
    (lambda rgb: (color.rgb_to_lab(rgb.astype(float))[..., :1], color.rgb_to_lab(rgb.astype(float))[..., 1:]),
     "[0, 255]"),
    (lambda rgb: (color.rgb_to_lab(rgb)[..., :1], color.rgb_to_lab(rgb)[..., :0:-1]), "swapped"),
])
def test_split_l_ab_typical_mistakes(capsys, wrong, hint):
    result, out = _verdict(capsys, checks.check_split_l_ab, wrong)
    assert result is False and hint in out


def test_gray_share_stub_gets_a_reminder(capsys):
    assert checks.check_gray_share(None) is False
    assert checks.check_gray_share(lambda rgb, radius: None) is False
    assert "not attempted" in capsys.readouterr().out


def _chroma(rgb):
    ab = color.rgb_to_lab(rgb)[..., 1:]
    return np.sqrt((ab ** 2).sum(axis=-1))


@pytest.mark.parametrize("other", [
    lambda rgb, radius: (_chroma(rgb) < radius).mean(),                        # < instead of <=
    lambda rgb, radius: sum(c <= radius for c in _chroma(rgb).ravel()) / _chroma(rgb).size,  # a loop
    lambda rgb, radius: np.count_nonzero(_chroma(rgb) ** 2 <= radius ** 2) / rgb[..., 0].size,  # squared
])
def test_gray_share_accepts_any_correct_implementation(capsys, other):
    result, out = _verdict(capsys, checks.check_gray_share, other)
    assert result is True and "accepted" in out


@pytest.mark.parametrize("wrong, hint", [
    (lambda rgb, radius: int((_chroma(rgb) <= radius).sum()), "a count of pixels"),
    (lambda rgb, radius: 100 * (_chroma(rgb) <= radius).mean(), "a percentage"),
    (lambda rgb, radius: (_chroma(rgb) > radius).mean(), "coloured"),
    (lambda rgb, radius: (np.abs(color.rgb_to_lab(rgb)[..., 1:]) <= radius).all(-1).mean(), "a circle"),
    (lambda rgb, radius: (np.abs(color.rgb_to_lab(rgb)[..., 1]) <= radius).mean(), "expected"),
    (lambda rgb, radius: (color.rgb_to_lab(rgb)[..., 0] <= radius).mean(), "distance from gray"),
])
def test_gray_share_typical_mistakes(capsys, wrong, hint):
    result, out = _verdict(capsys, checks.check_gray_share, wrong)
    assert result is False and hint in out


def test_gray_share_reference_on_known_images():
    gray = np.full((3, 4, 3), 77, np.uint8)
    red = np.zeros((3, 4, 3), np.uint8)
    red[..., 0] = 255
    assert checks.gray_share_reference(gray, 1.0) == 1.0
    assert checks.gray_share_reference(red, 10.0) == 0.0
    half = np.concatenate([gray, red], axis=1)
    assert checks.gray_share_reference(half, 10.0) == 0.5


def _norm(l_div, l_sub, ab_div):
    def to_model_input(rgb):
        lab = color.rgb_to_lab(rgb)
        return lab[..., :1] / l_div - l_sub, lab[..., 1:] / ab_div
    return to_model_input


@pytest.mark.parametrize("wrong, hint", [
    (_norm(100, 0, 128), "L / 100"),
    (_norm(50, 1, 127), "divided ab by 127"),
    (_norm(50, 1, 255), "divided ab by 255"),
    (_norm(1, 0, 128), "L is not normalised"),
])
def test_to_model_input_typical_mistakes(capsys, wrong, hint):
    result, out = _verdict(capsys, checks.check_to_model_input, wrong)
    assert result is False and hint in out


def test_to_model_input_must_be_float32(capsys):
    def float64(rgb):
        lab = color.rgb_to_lab(rgb).astype(np.float64)
        return lab[..., :1] / 50.0 - 1.0, lab[..., 1:] / 128.0

    result, out = _verdict(capsys, checks.check_to_model_input, float64)
    assert result is False and "float32" in out and "float64" in out
