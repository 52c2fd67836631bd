"""The checks of notebook 09 accept the solutions and other correct versions, and name typical mistakes."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_lib.checks import adversarial as checks
from conftest import load_solutions

solutions = load_solutions("09_adversarial_colorization")


def test_solutions_accepted(capsys):
    assert checks.check_receptive_field(solutions.receptive_field)
    assert checks.check_critic_loss(solutions.critic_loss)
    assert checks.check_generator_loss(solutions.generator_loss)
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and "not yet" not in out
    assert solutions.psnr_prediction in checks.ex4.options


def test_receptive_field_solution_is_pinned_to_hand_computed_values():
    # by hand, from the logit back: 1 -> 4 -> 7 (two stride-1 layers), then 16 -> 34 -> 70 (stride 2)
    assert solutions.receptive_field(3, 4) == 70
    assert solutions.receptive_field(0, 4) == 7
    assert solutions.receptive_field(1, 3) == 11  # 1 -> 3 -> 5 -> (5 - 1) * 2 + 3


def test_critic_loss_solution_is_pinned_to_hand_computed_values():
    # all logits 0: each term is -log(1/2) = log 2
    assert solutions.critic_loss(np.zeros(4), np.zeros(4)) == pytest.approx(np.log(2))
    # real logit 2, fake logit -1: 0.5 * (log(1 + e^-2) + log(1 + e^-1))
    assert solutions.critic_loss(np.array([2.0]), np.array([-1.0])) == pytest.approx(
        0.5 * (np.log1p(np.exp(-2)) + np.log1p(np.exp(-1))))


# --- other correct versions pass: Keras ops, a loop, float32
def _critic_loss_keras(real, fake):
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    return 0.5 * (bce(np.ones_like(real), real) + bce(np.zeros_like(fake), fake))


def _receptive_field_forward_sum(downsamplings, kernel):
    # jump = product of the strides so far: r = 1 + sum((k - 1) * jump)
    field, jump = 1, 1
    for stride in [2] * downsamplings + [1, 1]:
        field += (kernel - 1) * jump
        jump *= stride
    return field


def _generator_loss_keras(ab_true, ab_pred, logits, weight):
    l1 = keras.ops.mean(keras.ops.abs(ab_true - ab_pred))
    adv = keras.ops.mean(keras.ops.softplus(-logits))
    return l1 + weight * adv, l1, adv


def test_other_correct_versions_pass(capsys):
    assert checks.check_receptive_field(_receptive_field_forward_sum)
    assert checks.check_critic_loss(_critic_loss_keras)
    assert checks.check_generator_loss(_generator_loss_keras)
    assert "not yet" not in capsys.readouterr().out


# --- mistakes are named
def _sum_of_kernels(downsamplings, kernel):
    return kernel * (downsamplings + 2)


def _naive_log(real, fake):
    sigmoid = lambda x: 1 / (1 + np.exp(-np.asarray(x, np.float32)))  # noqa: E731
    with np.errstate(all="ignore"):
        return 0.5 * (-np.log(sigmoid(real)).mean() - np.log(1 - sigmoid(fake)).mean())


def _unhalved(real, fake):
    return 2 * solutions.critic_loss(real, fake)


def _swapped(real, fake):
    return solutions.critic_loss(fake, real)


@pytest.mark.parametrize("check, wrong, says", [
    (checks.check_receptive_field, _sum_of_kernels, "added the kernels"),
    (checks.check_critic_loss, _naive_log, "softplus"),
    (checks.check_critic_loss, _unhalved, "halves"),
    (checks.check_critic_loss, _swapped, "swapped"),
])
def test_mistakes_are_named(check, wrong, says, capsys):
    assert not check(wrong)
    assert says in capsys.readouterr().out


def _mse_not_l1(ab_true, ab_pred, logits, weight):
    l1 = float(np.mean((ab_true - ab_pred) ** 2))
    adv = float(np.logaddexp(0, -logits).mean())
    return l1 + weight * adv, l1, adv


def _label_fake(ab_true, ab_pred, logits, weight):
    l1 = float(np.abs(ab_true - ab_pred).mean())
    adv = float(np.logaddexp(0, logits).mean())
    return l1 + weight * adv, l1, adv


def _unweighted(ab_true, ab_pred, logits, weight):
    l1 = float(np.abs(ab_true - ab_pred).mean())
    adv = float(np.logaddexp(0, -logits).mean())
    return l1 + adv, l1, adv


@pytest.mark.parametrize("wrong, says", [(_mse_not_l1, "ABSOLUTE"), (_label_fake, "REAL"), (_unweighted, "weight")])
def test_generator_loss_mistakes_are_named(wrong, says, capsys):
    assert not checks.check_generator_loss(wrong)
    assert says in capsys.readouterr().out


@pytest.mark.parametrize("check", [checks.check_receptive_field, checks.check_critic_loss, checks.check_generator_loss])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert not check(None)
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("mse, adv, shows", [(24.0, 24.2, "about the same"), (24.0, 23.5, "lower"),
                                             (24.0, 24.5, "higher"), (24.0, 23.71, "about the same")])
def test_the_prediction_is_compared_with_what_was_measured(mse, adv, shows, capsys):
    assert checks.psnr_change(mse, adv) == shows
    assert checks.explain_psnr_change(shows, mse, adv)
    other = next(option for option in checks.ex4.options if option != shows)
    assert not checks.explain_psnr_change(other, mse, adv)
    out = capsys.readouterr().out
    assert f"you predicted {other!r} and the measurement shows {shows!r}" in out
