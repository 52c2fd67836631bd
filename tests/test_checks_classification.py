"""The checks of notebook 07 accept the instructors' solutions and name typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import classification as checks
from conftest import load_solutions

solutions = load_solutions("07_colour_as_classification")


def test_solutions_accepted(capsys):
    assert checks.check_rebalancing_weights(solutions.rebalancing_weights)
    assert checks.check_annealed_mean(solutions.annealed_mean)
    out = capsys.readouterr().out
    assert out.count("accepted") == 2 and "not yet" not in out


def test_solution_agrees_with_course_lib():
    from course_lib import classification as cl

    bins = cl.ab_bins()
    logits = np.random.default_rng(0).normal(0, 2, (3, len(bins))).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(solutions.annealed_mean(probs, bins, 0.38), cl.annealed_mean(logits, bins, 0.38),
                               atol=1e-3)
    p = cl.empirical_distribution(np.random.default_rng(1).normal(0, 20, (500, 2)), bins)
    np.testing.assert_allclose(solutions.rebalancing_weights(cl.smooth_distribution(p, bins), 0.5),
                               cl.rebalancing_weights(p, bins))


@pytest.mark.parametrize("check", [checks.check_rebalancing_weights, checks.check_annealed_mean])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


def _plain_mean(probs, bins, T):
    return probs @ bins


def _power_t(probs, bins, T):
    w = probs**T
    return (w / w.sum(axis=-1, keepdims=True)) @ bins


def _not_renormalised(probs, bins, T):
    return probs ** (1 / T) @ bins


def _mode(probs, bins, T):
    return bins[np.argmax(probs, axis=-1)]


@pytest.mark.parametrize("wrong, named", [
    (_plain_mean, "plain mean"), (_power_t, "z ** T instead"), (_not_renormalised, "renormalised"), (_mode, "mode"),
])
def test_annealed_mean_mistakes_are_named(wrong, named, capsys):
    assert checks.check_annealed_mean(wrong) is False
    assert named in capsys.readouterr().out


def _unnormalised(p, lam):
    return 1 / ((1 - lam) * p + lam / len(p))


def _mean_one(p, lam):
    w = _unnormalised(p, lam)
    return w / w.mean()


def _swapped(p, lam):
    w = 1 / (lam * p + (1 - lam) / len(p))
    return w / np.sum(p * w)


def _not_inverted(p, lam):
    w = (1 - lam) * p + lam / len(p)
    return w / np.sum(p * w)


@pytest.mark.parametrize("wrong, named", [
    (_unnormalised, "not normalised"), (_mean_one, "average 1 over the bins"), (_swapped, "swapped"),
    (_not_inverted, "inverted"),
])
def test_rebalancing_mistakes_are_named(wrong, named, capsys):
    assert checks.check_rebalancing_weights(wrong) is False
    assert named in capsys.readouterr().out


def test_wrong_shape_gets_a_hint(capsys):
    assert checks.check_annealed_mean(lambda probs, bins, T: probs) is False
    assert checks.check_rebalancing_weights(lambda p, lam: p[:2]) is False
    assert capsys.readouterr().out.count("shape") >= 2
