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
    (checks.check_desaturate, solutions.desaturate),
    (checks.check_to_model_input, solutions.to_model_input),
])
def test_solution_accepted(capsys, check, solution):
    result, out = _verdict(capsys, check, solution)
    assert result is True and "accepted" in out


@pytest.mark.parametrize("check", [checks.check_split_l_ab, checks.check_desaturate, checks.check_to_model_input])
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


def _zero(lab, channels):
    lab = lab.copy()
    lab[..., channels] = 0
    return color.to_uint8_rgb(color.lab_to_rgb(lab))


@pytest.mark.parametrize("wrong, hint", [
    (lambda rgb: np.repeat(rgb.mean(axis=-1, keepdims=True).round().astype(np.uint8), 3, axis=-1), "average"),
    (lambda rgb: _zero(color.rgb_to_lab(rgb), slice(0, 1)), "set L to zero"),
    (lambda rgb: _zero(color.rgb_to_lab(rgb), slice(1, 2)), "still has colour"),
    (lambda rgb: color.lab_to_rgb(np.concatenate([color.rgb_to_lab(rgb)[..., :1], np.zeros(rgb.shape[:2] + (2,))], -1)),
     "uint8"),
])
def test_desaturate_typical_mistakes(capsys, wrong, hint):
    result, out = _verdict(capsys, checks.check_desaturate, wrong)
    assert result is False and hint in out


def test_desaturate_reference_is_gray_with_same_lightness():
    image = checks.example_image()
    gray = checks.desaturate_reference(image)
    assert np.abs(gray[..., 0].astype(int) - gray[..., 2].astype(int)).max() <= 1
    assert np.abs(color.rgb_to_lab(gray)[..., 0] - color.rgb_to_lab(image)[..., 0]).max() < 1.0


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
