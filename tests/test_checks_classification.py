"""The checks of notebook 07 accept the instructors' solutions and name typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import classification as checks
from conftest import load_solutions

solutions = load_solutions("07_colour_as_classification")


def test_solutions_accepted(capsys):
    assert checks.check_rebalancing_weights(solutions.rebalancing_weights)
    assert checks.check_rebalanced_cross_entropy(solutions.rebalanced_cross_entropy)
    assert checks.check_soft_encode(solutions.soft_encode)
    assert checks.check_annealed_mean(solutions.annealed_mean)
    out = capsys.readouterr().out
    assert out.count("accepted") == 4 and "not yet" not in out


def test_solution_agrees_with_course_lib():
    from course_lib import classification as cl

    bins = cl.ab_bins()
    logits = np.random.default_rng(0).normal(0, 2, (3, len(bins))).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(solutions.annealed_mean(probs, bins, 0.38), cl.annealed_mean(logits, bins, 0.38),
                               atol=1e-3)
    probs[0, :5] = 0.0  # zeros allowed: they weigh nothing at any T
    probs[0] /= probs[0].sum()
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(solutions.annealed_mean(probs, bins, 0.1),
                                   cl.annealed_mean(np.maximum(np.log(probs), -1e4), bins, 0.1), atol=1e-3)
    p = cl.empirical_distribution(np.random.default_rng(1).normal(0, 20, (500, 2)), bins)
    np.testing.assert_allclose(solutions.rebalancing_weights(p, bins, 0.5), cl.rebalancing_weights(p, bins), rtol=1e-5)


@pytest.mark.parametrize("check", [checks.check_rebalancing_weights, checks.check_annealed_mean,
                                   checks.check_rebalanced_cross_entropy, checks.check_soft_encode])
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


def _spread(bins, sigma=5.0, axis=0):
    d2 = ((bins[:, None] - bins[None]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2 * sigma**2))
    return kernel / kernel.sum(axis=axis, keepdims=True)


def _weights(p_smooth, lam):
    w = 1 / ((1 - lam) * p_smooth + lam / len(p_smooth))
    return w / np.sum(p_smooth * w)


def _loop_weights(p, bins, lam):  # another correct design: a loop that hands out each bin's mass
    p = np.asarray(p, float) / np.sum(p)
    smooth = np.zeros(len(p))
    for j, centre in enumerate(bins):
        share = np.exp(-((bins - centre) ** 2).sum(axis=1) / 50.0)
        smooth += p[j] * share / share.sum()
    return _weights(smooth, lam)


@pytest.mark.parametrize("wrong, named", [
    (lambda p, bins, lam: _weights(p / p.sum(), lam), "no smoothing"),
    (lambda p, bins, lam: _weights(_spread(bins, axis=1) @ (p / p.sum()), lam), "each *row*"),
    (lambda p, bins, lam: (lambda s: _weights(s / s.sum(), lam))(np.exp(-((bins[:, None] - bins[None]) ** 2).sum(-1)
                                                                       / 50) @ (p / p.sum())), "rescaling"),
    (lambda p, bins, lam: _weights(_spread(bins, sigma=5 / np.sqrt(2)) @ (p / p.sum()), lam), "width"),
    (lambda p, bins, lam: _weights(_spread(bins) @ (p / p.sum()), 1 - lam) if lam != 0.5 else _loop_weights(p, bins, lam),
     "swapped"),
    (lambda p, bins, lam: _weights(_spread(bins) @ p, lam), "counts"),
    (lambda p, lam: _weights(p, lam), "three arguments"),
])
def test_rebalancing_mistakes_are_named_and_another_correct_version_passes(wrong, named, capsys):
    assert checks.check_rebalancing_weights(_loop_weights)
    assert checks.check_rebalancing_weights(wrong) is False
    assert named in capsys.readouterr().out


def test_wrong_shape_gets_a_hint(capsys):
    assert checks.check_annealed_mean(lambda probs, bins, T: probs) is False
    assert checks.check_rebalancing_weights(lambda p, bins, lam: p[:2]) is False
    assert capsys.readouterr().out.count("shape") >= 2


# ------------------------------------------------ exercise 4: an annealed mean that never fails
def _naive(probs, bins, T):  # the formula as printed: right on easy cases
    w = probs ** (1 / T)
    return (w / w.sum(axis=-1, keepdims=True)) @ bins


def _naive_with_mode(probs, bins, T):
    return bins[np.argmax(probs, axis=-1)] if T == 0 else _naive(probs, bins, T)


def _naive_float64(probs, bins, T):  # float64 only postpones the underflow
    return _naive_with_mode(np.asarray(probs, np.float64), bins, T)


def _divide_by_the_largest(probs, bins, T):  # another stable design: no logarithms at all
    if T == 0:
        return bins[np.argmax(probs, axis=-1)]
    probs = np.asarray(probs, np.float64)
    w = (probs / probs.max(axis=-1, keepdims=True)) ** (1 / T)
    return (w / w.sum(axis=-1, keepdims=True)) @ bins


@pytest.mark.parametrize("wrong, says", [
    (_naive, "T = 0"), (_naive_with_mode, "below the smallest number float32 holds"),
    (_naive_float64, "below the smallest number float64 holds"),
])
def test_annealed_mean_that_fails_on_hard_inputs_is_told_why(wrong, says, capsys):
    assert checks.check_annealed_mean(solutions.annealed_mean)
    assert checks.check_annealed_mean(_divide_by_the_largest)
    assert checks.check_annealed_mean(wrong) is False
    out = capsys.readouterr().out
    assert out.count("accepted") == 2 and says in out


def test_the_naive_formula_really_fails_where_the_check_says():
    """The checker's hard cases are hard: the formula as printed gives NaN there, the library does not."""
    for what, probs, bins, T in checks._annealed_cases(np.random.default_rng(5)):
        if what.startswith("broad"):
            with np.errstate(all="ignore"):
                naive = _naive(probs, bins, T)
            assert np.isnan(naive).any(), what
            assert np.isfinite(checks.annealed_mean_reference(probs, bins, T)).all()


# ------------------------------------------------ exercise 2: the rebalanced cross-entropy
def test_reference_loss_is_the_training_loss_on_one_hot_targets():
    """The NumPy loss of exercise 2 is tf_rebalanced_cross_entropy's, for colours at bin centres (one-hot targets)."""
    from course_lib import classification as cl

    bins = np.array([[-40.0, 0.0], [0.0, 0.0], [50.0, 0.0]])
    ab = bins[[0, 1, 1, 2]]
    logits = np.random.default_rng(2).normal(0, 1, (4, 3)).astype(np.float32)
    weights = np.array([2.0, 0.5, 3.0], np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    want = cl.tf_rebalanced_cross_entropy(ab, logits, bins, weights, neighbours=1).numpy()
    np.testing.assert_allclose(checks.rebalanced_cross_entropy_reference(np.eye(3)[[0, 1, 1, 2]], probs, weights),
                               want, rtol=1e-5)


def _an_alternative_loss(target, probs, weights):  # a loop, not vectorised: any correct version passes
    return [float(-weights[list(z).index(max(z))] * sum(zq * np.log(pq) for zq, pq in zip(z, p)))
            for z, p in zip(target, probs)]


@pytest.mark.parametrize("wrong, says", [
    (lambda z, p, w: -np.sum(z * np.log(p), axis=-1), "weights are missing"),
    (lambda z, p, w: -np.sum(w * z * np.log(p), axis=-1), "its own weight"),
    (lambda z, p, w: -w[np.argmax(p, -1)] * np.sum(z * np.log(p), -1), "predicted"),
    (lambda z, p, w: w[np.argmax(z, -1)] * np.sum(z * np.log(p), -1), "sign"),
    (lambda z, p, w: np.sum(-w[np.argmax(z, -1)] * np.sum(z * np.log(p), -1)), "sum over pixels"),
])
def test_cross_entropy_mistakes_are_named_and_any_correct_version_passes(wrong, says, capsys):
    assert checks.check_rebalanced_cross_entropy(_an_alternative_loss)
    assert checks.check_rebalanced_cross_entropy(wrong) is False
    assert says in capsys.readouterr().out


# ------------------------------------------------ exercise 3: the soft-encoded target
def _soft_with_sort_by_distance(ab, bins):  # another correct way: full sort of the distances, no argsort tricks
    out = np.zeros((len(ab), len(bins)))
    for i, colour in enumerate(ab):
        d = np.hypot(*(bins - colour).T)
        near = sorted(range(len(bins)), key=lambda q: d[q])[:5]
        w = np.exp(-d[near] ** 2 / 50.0)
        out[i, near] = w / w.sum()
    return out


def _soft_one_hot(ab, bins):
    from course_lib import classification as cl

    return cl.soft_encode(ab, bins, neighbours=1)


def _soft_uniform(ab, bins):
    from course_lib import classification as cl

    return (cl.soft_encode(ab, bins) > 0) / 5.0


def _soft_unnormalised(ab, bins):
    from course_lib import classification as cl

    return cl.soft_encode(ab, bins) * 2


@pytest.mark.parametrize("wrong, says", [
    (_soft_one_hot, "one-hot"), (_soft_uniform, "equally weighted"), (_soft_unnormalised, "sum to 1"),
    (lambda ab, bins: np.zeros((len(ab), 3)), "shape"),
])
def test_soft_encode_mistakes_are_named_and_another_correct_version_passes(wrong, says, capsys):
    assert checks.check_soft_encode(_soft_with_sort_by_distance)
    assert checks.check_soft_encode(wrong) is False
    assert says in capsys.readouterr().out


# ------------------------------------------------ exercise 5: the course's rule, built
def _rule_without_fallback(rows):
    inside = [r for r in rows if 0.98 <= r["colorfulness_low"] and r["colorfulness_high"] <= 1.30]
    best = max(inside or rows, key=lambda r: r["psnr"])
    return best["temperature"], best["upsampling"]


def _mean_inside(rows):
    inside = [r for r in rows if 0.98 <= r["colorfulness_ratio"] <= 1.30] or rows
    best = max(inside, key=lambda r: r["psnr"])
    return best["temperature"], best["upsampling"]


def _library_rule(rows):  # any correct implementation passes, the library's own included
    from course_lib import classification as cl

    best = cl.choose_decoding(rows)[0]
    return best["temperature"], best["upsampling"]


@pytest.mark.parametrize("wrong, says", [
    (_rule_without_fallback, "sticks out"), (_mean_inside, "whole* interval"),
    (lambda rows: (rows[0]["temperature"], rows[0]["upsampling"]), "for a table"),
    (lambda rows: 0.3, "pair"),
])
def test_choose_decoding_mistakes_are_named(wrong, says, capsys):
    assert checks.check_choose_decoding(solutions.choose_decoding)
    assert checks.check_choose_decoding(_library_rule)
    assert checks.check_choose_decoding(wrong) is False
    assert says in capsys.readouterr().out


def test_choose_decoding_is_also_tried_on_this_runs_table(capsys):
    run_table = [{"temperature": 0.5, "upsampling": "guided", "psnr": 20.0, "colorfulness_ratio": 1.0,
                  "colorfulness_low": 0.99, "colorfulness_high": 1.01}]
    assert checks.check_choose_decoding(solutions.choose_decoding, run_table)
    assert "on this run's own table it picks (T = 0.5, guided)" in capsys.readouterr().out


# ------------------------------------------------ exercise 6: a prediction revealed by this kernel's measurement
def test_the_colour_prediction_is_compared_with_what_was_measured(capsys):
    assert checks.explain_more_colourful("classification", 0.88, 1.0)
    assert "shows 'classification'" in capsys.readouterr().out
    assert checks.explain_more_colourful("classification", 0.9, 0.6) is False  # a toy can contradict the textbook
    out = capsys.readouterr().out
    assert "you predicted 'classification' and the measurement shows 'mse'" in out and "0.877" in out
