"""The checks of notebook 05 accept the instructors' solutions and name typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_solutions
from course_lib import metrics
from course_lib.checks import metrics as checks


solutions = load_solutions("05_evaluation_metrics")
ALL_CHECKS = [checks.check_rmse, checks.check_psnr, checks.check_ssim]


def test_solutions_accepted(capsys):
    assert checks.check_rmse(solutions.my_rmse)
    assert checks.check_psnr(solutions.my_psnr)
    assert checks.check_ssim(solutions.my_ssim)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out


def test_library_functions_are_accepted_too(capsys):
    assert checks.check_rmse(lambda a, b: metrics.rmse(a, b))
    assert checks.check_psnr(lambda a, b, r: metrics.psnr(a, b, data_range=r))
    assert checks.check_ssim(lambda x, y, r: metrics.ssim(x, y, data_range=r))


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


# ------------------------------------------------------------------------- RMSE
@pytest.mark.parametrize("wrong, expected_hint", [
    (lambda a, b: float(np.sqrt(np.mean((a - b) ** 2))), "wraps around"),         # uint8 overflow
    (lambda a, b: float(np.sqrt(np.mean(_f(a - b) ** 2))), "wraps around"),       # cast too late
    (lambda a, b: float(np.mean((_f(a) - _f(b)) ** 2)), "square root"),           # MSE
    (lambda a, b: float(np.mean(np.abs(_f(a) - _f(b)))), "absolute"),             # MAE
    (lambda a, b: float(np.std(_f(a) - _f(b))), "np.std"),                       # ignores the bias
    (lambda a, b: float(np.sqrt(np.mean((_f(a) / 255 - _f(b) / 255) ** 2))), "divided by 255"),
    (lambda a, b: float(np.sqrt(np.sum((_f(a) - _f(b)) ** 2))), "not the sum"),
    (lambda a, b: 3.0, "expected about"),                                          # just wrong
])
def test_rmse_mistakes_are_named(wrong, expected_hint, capsys):
    assert checks.check_rmse(wrong) is False
    assert expected_hint in capsys.readouterr().out


# ------------------------------------------------------------------------- PSNR
def _mse(a, b):
    return np.mean((_f(a) - _f(b)) ** 2)


@pytest.mark.parametrize("wrong, expected_hint", [
    (lambda a, b, r: 10 * np.log10(4095**2 / _mse(a, b)), "4095"),                       # the seed
    (lambda a, b, r: 10 * np.log10(1.0 / _mse(a, b)), "peak value of 1.0"),              # 1.0 on uint8
    (lambda a, b, r: 10 * np.log10(r / _mse(a, b)), "must be squared"),
    (lambda a, b, r: 20 * np.log10(r**2 / _mse(a, b)), "20*log10"),
    (lambda a, b, r: 10 * np.log(r**2 / _mse(a, b)), "base-10"),
    (lambda a, b, r: 10 * np.log10(r**2 / np.mean((a - b) ** 2)), "wraps around"),       # uint8 overflow
    (lambda a, b, r: 10 * np.log10(r**2 / np.mean(_f(a - b) ** 2)), "wraps around"),     # cast too late
    (lambda a, b, r: 10 * np.log10(255**2 / _mse(a, b)), "fixed 255"),                  # ignores data_range
    (lambda a, b, r: 30.0, "expected"),
])
def test_psnr_mistakes_are_named(wrong, expected_hint, capsys):
    assert checks.check_psnr(wrong) is False
    assert expected_hint in capsys.readouterr().out


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
