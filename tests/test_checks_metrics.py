"""The checks of notebook 05 accept the instructors' solutions and name typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_solutions
from course_lib import metrics
from course_lib.checks import metrics as checks


solutions = load_solutions("05_evaluation_metrics")
ALL_CHECKS = [checks.check_ssim, checks.check_psnr_fg]


def test_solutions_accepted(capsys):
    assert checks.check_ssim(solutions.my_ssim)
    assert checks.check_psnr_fg(solutions.my_psnr_fg)
    out = capsys.readouterr().out
    assert out.count("accepted") == 2 and "not yet" not in out


def test_library_functions_are_accepted_too(capsys):
    assert checks.check_ssim(lambda x, y, r: metrics.ssim(x, y, data_range=r))
    assert checks.check_psnr_fg(lambda pred, truth: metrics.psnr_foreground(pred, truth))
    # another correct way: the library's PSNR on the selected pixels, the edge case handled first
    def with_library_psnr(pred, truth):
        mask = metrics.foreground_mask(truth)
        return metrics.psnr(pred[mask], truth[mask]) if mask.any() else float("nan")
    assert checks.check_psnr_fg(with_library_psnr)


@pytest.mark.parametrize("check", ALL_CHECKS)
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("check", ALL_CHECKS)
def test_an_answer_that_is_not_one_number_is_told_so(check, capsys):
    assert check(lambda *args: "twelve") is False
    assert check(lambda *args: np.zeros(3)) is False
    assert "one number" in capsys.readouterr().out


def _f(a):
    return a.astype(np.float64)


# ------------------------------------------------------------------------- SSIM
def _ssim_with(window=None, crop=True, data_range=None, constants=True):
    def my_ssim(x, y, r):
        return checks._ssim_variant(_f(x), _f(y), data_range or r, metrics.gaussian_window() if window is None
                                    else window, crop=crop, constants=constants)
    return my_ssim


def _ssim_without_cast(x, y, r):
    """The solution, minus the float conversion: x * x wraps in uint8."""
    window = metrics.gaussian_window()
    c1, c2 = (0.01 * r) ** 2, (0.03 * r) ** 2
    mu_x, mu_y = metrics.local_mean(_f(x), window), metrics.local_mean(_f(y), window)
    var_x = metrics.local_mean(_f(x * x), window) - mu_x**2
    var_y = metrics.local_mean(_f(y * y), window) - mu_y**2
    cov = metrics.local_mean(_f(x * y), window) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(ssim_map[5:-5, 5:-5].mean())


@pytest.mark.parametrize("wrong, expected_hint", [
    (_ssim_with(window=np.full((11, 11), 1 / 121)), "uniform (box) window"),
    (_ssim_with(window=np.full((7, 7), 1 / 49)), "7x7"),
    (_ssim_with(crop=False), "whole window fits"),
    (_ssim_with(data_range=1.0), "stabilising constants"),
    (_ssim_with(data_range=4095), "4095"),
    (_ssim_with(constants=False), "stabilising constants"),
    (lambda x, y, r: checks._global_ssim(_f(x), _f(y), r), "local"),
    (_ssim_without_cast, "wraps around"),
    (lambda x, y, r: float("nan"), "NaN"),
    (lambda x, y, r: 0.5, "expected"),
])
def test_ssim_mistakes_are_named(wrong, expected_hint, capsys):
    assert checks.check_ssim(wrong) is False
    assert expected_hint in capsys.readouterr().out


def test_test_pair_exposes_the_mistakes():
    # The generated pair is built so that the typical mistakes give different numbers.
    pred, truth = checks._test_pair()
    diff = _f(pred) - _f(truth)
    assert (pred < truth).any() and (pred > truth).any()           # uint8 subtraction wraps
    assert abs(diff.mean()) > 3                                     # std(a - b) != RMSE
    assert (truth[:10, :10] == 255).all()                           # flat area for SSIM's constants


def test_ssim_in_uint8_is_told_about_wrap_around(capsys):
    """The solution without its float conversion: local_mean of uint8 is uint8, and everything wraps."""
    def no_cast(x, y, r):
        window = metrics.gaussian_window()
        c1, c2 = (0.01 * r) ** 2, (0.03 * r) ** 2
        mu_x, mu_y = metrics.local_mean(x, window), metrics.local_mean(y, window)
        var_x = metrics.local_mean(x * x, window) - mu_x**2
        var_y = metrics.local_mean(y * y, window) - mu_y**2
        cov = metrics.local_mean(x * y, window) - mu_x * mu_y
        ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
        return float(ssim_map[5:-5, 5:-5].mean())

    assert checks.check_ssim(no_cast) is False
    out = capsys.readouterr().out
    assert "wraps around" in out and "uint8" in out and "expected" not in out


# ------------------------------------------------------------- PSNR on the object only
def _fg_psnr(mask_of, *, inf=True, zeroed=False, wrap=False):
    """A foreground PSNR with one of the typical mistakes; ``mask_of(pred, truth)`` picks the pixels."""
    def my_psnr_fg(pred, truth):
        mask = mask_of(pred, truth)
        if not mask.any():
            return float("nan")
        if zeroed:
            squared = ((_f(pred) - _f(truth)) * mask[..., None]) ** 2
        else:
            squared = ((pred[mask] - truth[mask]).astype(np.float64) if wrap else _f(pred[mask]) - _f(truth[mask])) ** 2
        mse = float(np.mean(squared))
        if inf and mse == 0:
            return float("inf")
        return 10 * np.log10(255**2 / mse)
    return my_psnr_fg


def _truth_mask(pred, truth):
    return metrics.foreground_mask(truth)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("wrong, expected_hint", [
    (_fg_psnr(lambda pred, truth: np.ones(truth.shape[:2], bool)), "PSNR of the whole image"),
    (_fg_psnr(lambda pred, truth: metrics.foreground_mask(pred)), "comes from the prediction"),
    (_fg_psnr(lambda pred, truth: ~np.any(truth >= 240, axis=-1)), "*all three* channels"),
    (_fg_psnr(lambda pred, truth: ~np.all(truth > 240, axis=-1)), "not > 240"),
    (_fg_psnr(_truth_mask, zeroed=True), "kept them in the mean"),
    (_fg_psnr(_truth_mask, wrap=True), "wraps around"),
    (lambda pred, truth: metrics.psnr(pred[_truth_mask(pred, truth)], truth[_truth_mask(pred, truth)]),
     "nothing to measure"),                                                    # raises on an empty selection
    (_fg_psnr(_truth_mask, inf=False), "infinite"),
    (lambda pred, truth: 0.0 if not metrics.foreground_mask(truth).any() else metrics.psnr_foreground(pred, truth),
     "float('nan')"),
    (lambda pred, truth: 30.0, "the foreground PSNR is"),
], ids=["whole-image", "mask-from-prediction", "any-channel", "strict-threshold", "zeroed-background",
        "uint8-wrap", "raises-without-object", "no-inf-case", "zero-for-no-object", "just-wrong"])
def test_psnr_fg_mistakes_are_named(wrong, expected_hint, capsys):
    assert checks.check_psnr_fg(wrong) is False
    out = capsys.readouterr().out
    assert "not yet" in out and expected_hint in out


def test_psnr_fg_cases_cover_the_edges():
    rng = np.random.default_rng(3)
    cases = {what: (pred, truth) for what, pred, truth in checks.psnr_fg_cases(rng)}
    values = [metrics.psnr_foreground(pred, truth) for pred, truth in cases.values()]
    assert np.isfinite(values[0]) and values[1] == float("inf") and np.isfinite(values[2]) and np.isnan(values[3])
    pred, truth = next(iter(cases.values()))
    mask = metrics.foreground_mask(truth)
    assert not mask[0, 0] and mask[0, 1] and mask[-1, -1]                # at the threshold, both ways
    assert (pred[~mask] != truth[~mask]).any() and (pred < truth).any() and (pred > truth).any()
    assert not metrics.foreground_mask(cases["a prediction that leaves out the object (white everywhere)"][0]).any()


# --------------------------------------------------- the gray floor's worst category, predicted
class _Result:
    """The part of an EvaluationResult that the explanation reads."""

    def __init__(self, categories):
        self.categories = categories


_GRAY = _Result({
    "Lemon": {"n": 2, "psnr": 24.0, "psnr_fg": 16.0},     # a small, pale object: share about 16 %
    "Tomato": {"n": 3, "psnr": 15.0, "psnr_fg": 12.0},    # large and red: the worst
    "Banana": {"n": 2, "psnr": 20.0, "psnr_fg": 14.0},
})


@pytest.mark.parametrize("predicted", ["Tomato", "Lemon", "Pomegranate", None])
def test_worst_category_explained_from_the_measured_table(predicted, capsys):
    assert checks.explain_worst_category(predicted, _GRAY) is (predicted == "Tomato")
    out = capsys.readouterr().out
    assert "the lowest gray PSNR is Tomato's, 15.00 dB over 3 image(s)" in out and "50%" in out  # 10^(-3/10)
    if predicted == "Lemon":
        assert "you predicted 'Lemon' and the measurement shows 'Tomato'" in out and "number 3 from the bottom" in out
    if predicted == "Pomegranate":
        assert "not among the 3 categories measured here" in out


def test_worst_category_is_a_prediction_over_every_course_category():
    from course_lib import sample_data
    from course_lib.checks.exercise import Prediction

    assert isinstance(checks.ex4, Prediction)
    assert set(sample_data.CATEGORIES) <= set(checks.ex4.options) and "Pomegranate" in checks.ex4.options
    assert solutions.worst_category_prediction in checks.ex4.options
    assert [ex.name for ex in (checks.ex1, checks.ex2, checks.ex3, checks.ex4)] == [
        "inflation_db", "my_ssim", "my_psnr_fg", "worst_category_prediction"]  # numbered as the notebook shows them
