"""The checks of notebook 06 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import color
from course_lib.checks import results as checks
from conftest import load_solutions


solutions = load_solutions("06_results")


def test_solutions_accepted(capsys):
    assert checks.check_adjust_saturation(solutions.adjust_saturation)
    assert checks.check_mean_ab(solutions.mean_ab)
    assert checks.check_gain_over_gray(solutions.gain_over_gray)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out


@pytest.mark.parametrize("check", [checks.check_adjust_saturation, checks.check_mean_ab,
                                   checks.check_gain_over_gray])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


# ------------------------------------------------------------------ references
def test_saturation_reference_keeps_lightness_and_grays_at_zero():
    image = checks._test_image()
    gray = checks.adjust_saturation_reference(image, 0.0)
    assert np.abs(color.rgb_to_lab(gray)[..., 1:]).max() < 1.5       # no colour left
    unchanged = checks.adjust_saturation_reference(image, 1.0)
    assert np.abs(unchanged.astype(int) - image.astype(int)).max() <= 1
    lightness_in = color.rgb_to_lab(image)[..., 0]
    assert np.abs(color.rgb_to_lab(checks.adjust_saturation_reference(image, 0.5))[..., 0] - lightness_in).mean() < 0.5


def test_sepia_image_has_a_warm_cast():
    mean_a, mean_b = checks.mean_ab_reference(checks._sepia_image())
    assert mean_b > 10 and mean_a > 0


# ------------------------------------------------------------- typical mistakes
def test_saturation_scaling_rgb(capsys):
    assert not checks.check_adjust_saturation(
        lambda rgb, f: np.clip(rgb.astype(float) * f, 0, 255).astype(np.uint8))
    assert "lightness" in capsys.readouterr().out


def test_saturation_float_output(capsys):
    assert not checks.check_adjust_saturation(
        lambda rgb, f: color.lab_to_rgb(color.rgb_to_lab(rgb) * np.array([1, f, f], np.float32)))
    assert "uint8" in capsys.readouterr().out


def test_mean_ab_on_rgb(capsys):
    assert not checks.check_mean_ab(lambda rgb: tuple(rgb.reshape(-1, 3).mean(axis=0)[:2]))
    assert "RGB" in capsys.readouterr().out


def test_mean_ab_swapped(capsys):
    assert not checks.check_mean_ab(lambda rgb: solutions.mean_ab(rgb)[::-1])
    assert "swapped" in capsys.readouterr().out


def test_mean_ab_with_lightness(capsys):
    assert not checks.check_mean_ab(lambda rgb: tuple(color.rgb_to_lab(rgb).reshape(-1, 3).mean(axis=0)))
    assert "only (a, b)" in capsys.readouterr().out


def test_gain_reversed(capsys):
    assert not checks.check_gain_over_gray(lambda ours, gray: solutions.gain_over_gray(gray, ours))
    assert "sign" in capsys.readouterr().out


def test_gain_assuming_same_categories(capsys):
    # iterating over one table and indexing the other crashes on a category the other lacks
    assert not checks.check_gain_over_gray(lambda ours, gray: {k: ours[k] - gray[k] for k in ours})
    assert "KeyError" in capsys.readouterr().out


def test_saturation_scaling_l_too_is_told_l_must_stay(capsys):
    # lab *= factor: the colours scale, and so does L -- not a brightness change in RGB
    def scale_all(rgb, f):
        return color.to_uint8_rgb(color.lab_to_rgb(color.rgb_to_lab(rgb) * f))

    assert not checks.check_adjust_saturation(scale_all)
    out = capsys.readouterr().out
    assert "scaled L as well" in out and "L must stay" in out and "Scaling RGB" not in out


def test_gain_key_error_names_the_missing_key(capsys):
    assert not checks.check_gain_over_gray(lambda ours, gray: {k: ours[k] - gray[k] for k in ours})
    out = capsys.readouterr().out
    assert "'Tomato'" in out and "missing from `gray`" in out and "raised KeyError" not in out
    assert not checks.check_gain_over_gray(lambda ours, gray: {k: ours[k] - gray[k] for k in gray})
    assert "'Carrot'" in capsys.readouterr().out


def test_saturation_clipping_out_of_gamut_colours(capsys):
    def clipping(rgb, factor):
        lab = color.rgb_to_lab(rgb)
        lab[..., 1:] *= factor
        return color.to_uint8_rgb(color.lab_to_rgb(lab))

    assert not checks.check_adjust_saturation(clipping)
    assert "lab_to_rgb_uint8" in capsys.readouterr().out


# ------------------------- exercise 4: the prediction compared with the colourfulness this kernel measured
def test_colourfulness_explained_from_the_measured_ratios(capsys):
    # the case: below 1 overall, yet three categories above 1 -- the feedback names them
    ratios = {"CapsicumGreen": 1.107, "Potato": 1.105, "LadyFinger": 1.016, "Apple": 0.8, "Tomato": 0.7}
    assert checks.explain_colourfulness("truth", ratios, 0.92) is True
    out = capsys.readouterr().out
    assert "you predicted 'truth' and the measurement shows 'truth'" in out
    assert "CapsicumGreen, LadyFinger, Potato go the other way" in out
    assert checks.explain_colourfulness("truth", {"Apple": 1.3, "Tomato": 0.9}, 1.1) is False
    out = capsys.readouterr().out
    assert "you predicted 'truth' and the measurement shows 'model'" in out and "Tomato goes the other way" in out
    assert checks.explain_colourfulness(None, ratios, 0.92) is False


def test_prediction_06_is_a_prediction_with_its_options():
    from course_lib.checks.exercise import Prediction

    assert isinstance(checks.ex4, Prediction) and checks.ex4.options == ("truth", "model")
    assert solutions.more_colourful in checks.ex4.options
