"""The checks of notebook 06 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import results as checks
from conftest import load_solutions


solutions = load_solutions("06_results")


def test_solutions_accepted(capsys):
    assert checks.check_gain_over_gray(solutions.gain_over_gray)
    assert checks.check_choose_saturation(solutions.choose_saturation)
    out = capsys.readouterr().out
    assert out.count("accepted") == 2 and "not yet" not in out


@pytest.mark.parametrize("check", [checks.check_gain_over_gray, checks.check_choose_saturation])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


# ------------------------------------------------------------- typical mistakes
def test_gain_reversed(capsys):
    assert not checks.check_gain_over_gray(lambda ours, gray: solutions.gain_over_gray(gray, ours))
    assert "sign" in capsys.readouterr().out


def test_gain_assuming_same_categories(capsys):
    # iterating over one table and indexing the other crashes on a category the other lacks
    assert not checks.check_gain_over_gray(lambda ours, gray: {k: ours[k] - gray[k] for k in ours})
    assert "KeyError" in capsys.readouterr().out


def test_gain_key_error_names_the_missing_key(capsys):
    assert not checks.check_gain_over_gray(lambda ours, gray: {k: ours[k] - gray[k] for k in ours})
    out = capsys.readouterr().out
    assert "'Tomato'" in out and "missing from `gray`" in out and "raised KeyError" not in out
    assert not checks.check_gain_over_gray(lambda ours, gray: {k: ours[k] - gray[k] for k in gray})
    assert "'Carrot'" in capsys.readouterr().out


# ------------------------- exercise 3: the prediction compared with the colourfulness this kernel measured
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


def test_predictions_06_are_predictions_with_their_options():
    from course_lib.checks.exercise import Prediction

    assert isinstance(checks.ex3, Prediction) and checks.ex3.options == ("truth", "model")
    assert solutions.more_colourful in checks.ex3.options
    assert isinstance(checks.ex1, Prediction) and len(checks.ex1.options) == 20 and "CapsicumGreen" in checks.ex1.options
    assert solutions.hardest_category in checks.ex1.options


# ------------------------- exercise 1: the hardest category, predicted, then found in this kernel's evaluation
def _rows(values):
    return {name: {"n": 3, "psnr": value} for name, value in values.items()}


def test_hardest_category_is_revealed_from_the_measured_table(capsys):
    ours = _rows({"Peach": 20.7, "Apple": 23.5, "Brinjal": 30.6, "Plum": 24.2})
    gray = _rows({"Peach": 14.9, "Apple": 16.4, "Brinjal": 28.5, "Plum": 23.1})
    assert checks.explain_hardest("Peach", ours, gray) is True
    out = capsys.readouterr().out
    assert "you predicted 'Peach' and the measurement shows 'Peach'" in out and "gray floor is the 1st lowest" in out
    assert checks.explain_hardest("Apple", ours, gray) is False
    out = capsys.readouterr().out
    assert "shows 'Peach'" in out and "your Apple is the 2nd hardest of 4" in out and "gain +7.10 dB" in out
    # a kernel whose measurement differs (a toy model): the same prediction, judged against what was measured
    toy = _rows({"Peach": 25.0, "Apple": 23.5, "Brinjal": 19.0, "Plum": 24.2})
    assert checks.explain_hardest("Peach", toy, gray) is False
    out = capsys.readouterr().out
    assert "shows 'Brinjal'" in out and "only the 4th lowest" in out and "the model itself did badly" in out


def test_hardest_category_names_a_category_with_no_test_image(capsys):
    ours = _rows({"Apple": 23.5, "Plum": 24.2, "Peach": float("nan")})
    assert checks.explain_hardest("Cherry", ours, _rows({"Apple": 16.0, "Plum": 23.0})) is False
    out = capsys.readouterr().out
    assert "Cherry has no test image" in out and "shows 'Apple'" in out


def test_hardest_category_prediction_refuses_a_name_that_is_no_category(capsys):
    from course_lib.checks.exercise import Prediction

    prediction = Prediction("99", 1, "hardest_category", options=checks.NCD_CATEGORIES, explain=checks.explain_hardest)
    assert prediction.predict("Mango") is False and prediction.predicted is None
    assert "not one of the answers" in capsys.readouterr().out
    assert prediction.predict("Peach") is True and prediction.predicted == "Peach"


# ------------------------- exercise 4: the saturation search, on curves the checker makes
def _secant(ratio_at):  # another correct design: regula falsi on [0, 4]
    low, high = 0.0, 4.0
    r_low, r_high = ratio_at(low) - 1, ratio_at(high) - 1
    if r_high < -0.01:
        return high
    for _ in range(30):
        s = high - r_high * (high - low) / (r_high - r_low)
        r = ratio_at(s) - 1
        if abs(r) <= 0.01:
            return s
        low, r_low, high, r_high = (s, r, high, r_high) if r < 0 else (low, r_low, s, r)
    return s


def test_any_correct_search_is_accepted(capsys):
    assert checks.check_choose_saturation(checks.choose_saturation_reference)
    assert checks.check_choose_saturation(_secant)
    assert capsys.readouterr().out.count("accepted") == 2


def _fine_grid(ratio_at):
    return min(np.arange(0, 4.0001, 0.001), key=lambda s: abs(ratio_at(s) - 1))


@pytest.mark.parametrize("wrong, says", [
    (lambda ratio_at: 1 / ratio_at(1.0), "grows in proportion to s"),
    (lambda ratio_at: min(np.arange(0, 4.01, 0.25), key=lambda s: abs(ratio_at(s) - 1)), "too coarse"),
    (_fine_grid, "times"),
    (lambda ratio_at: 1.25, "never called ratio_at"),
    (lambda ratio_at: ratio_at(1.0) * 10, "outside the knob's range"),
    (lambda ratio_at: "1.2", "never called ratio_at"),
    (lambda ratio_at: [1, 2], "one number"),
])
def test_saturation_mistakes_are_named(wrong, says, capsys):
    assert checks.check_choose_saturation(wrong) is False
    out = capsys.readouterr().out
    assert "not yet" in out and says in out


def test_out_of_reach_must_return_the_knobs_end(capsys):
    def bisection_without_the_end(ratio_at):  # right on reachable curves; on the gray one it stops anywhere
        low, high = 0.0, 4.0
        for _ in range(20):
            middle = (low + high) / 2
            ratio = ratio_at(middle)
            if abs(ratio - 1) <= 0.01:
                return middle
            low, high = (middle, high) if ratio < 1 else (low, middle)
        return 3.0

    assert checks.check_choose_saturation(bisection_without_the_end) is False
    assert "no s in 0-4 reaches 1" in capsys.readouterr().out


def test_reference_search_finds_the_root_of_every_made_up_curve():
    for _, curve in checks._ratio_curves(np.random.default_rng(0)):
        s = checks.choose_saturation_reference(curve)
        assert abs(curve(s) - 1) <= checks.RATIO_TOLERANCE or (s == 4.0 and curve(4.0) < 0.99)
