"""Checks for the exercises of notebook 09, "Adversarial colorization".

Each ``check_*`` function takes the learner's answer, tries it on inputs it generates (random and
edge cases), compares the behaviour with :mod:`course_lib.adversarial`'s, and prints either
``accepted`` or a hint naming the likely mistake. Any correct implementation passes: NumPy or
Keras ops, any formula that gives the same numbers.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_lib import adversarial
from course_lib.checks.feedback import (
    accept,
    checker,
    hint,
    learner_answer,
    not_attempted,
    prediction_vs_measurement,
)


def _number(value) -> float | None:
    """A learner's scalar (a float, a NumPy or Keras/TF scalar) as a float; None if it is not one number."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        try:  # a TensorFlow eager tensor converts through .numpy()
            array = np.asarray(value.numpy(), dtype=np.float64)
        except (AttributeError, TypeError, ValueError):
            return None
    return float(array) if array.size == 1 else None


# ----------------------------------------------------- exercise 1: the receptive field
@checker
def check_receptive_field(receptive_field: Callable | None) -> bool:
    """``receptive_field(downsamplings, kernel) -> pixels``: the input patch one critic logit sees."""
    if receptive_field is None:
        return not_attempted("receptive_field")
    cases = [(3, 4), (0, 4), (1, 4), (2, 4), (4, 4), (3, 3), (2, 5), (5, 2), (1, 1)]
    for downsamplings, kernel in cases:
        ok, got = learner_answer(receptive_field, "receptive_field", downsamplings, kernel)
        if not ok:
            return False
        got = _number(got)
        want = adversarial.patchgan_receptive_field(downsamplings, kernel)
        if got is None:
            return hint(f"return one number, the side of the patch in pixels; receptive_field({downsamplings}, "
                        f"{kernel}) returned something else.")
        if got == want:
            continue
        layers = downsamplings + 2
        if got == kernel * layers:
            return hint(f"receptive_field({downsamplings}, {kernel}) = {got:g}: you added the kernels ({layers} x "
                        f"{kernel}), as if every layer had stride 1. A stride-2 layer doubles what each later step "
                        "covers: go back from the logit, r -> (r - 1) * stride + kernel.")
        forward = 1
        for stride in [2] * downsamplings + [1, 1]:  # the same recursion, run from the input side
            forward = (forward - 1) * stride + kernel
        if got == forward and got != want:
            return hint(f"receptive_field({downsamplings}, {kernel}) = {got:g}: the recursion must start at the "
                        "logit and walk back to the input, so the LAST layers (stride 1) come first.")
        return hint(f"receptive_field({downsamplings}, {kernel}) = {got:g}; expected {want}. Start from r = 1 (one "
                    "logit) and, for each layer from the last to the first, set r = (r - 1) * stride + kernel: "
                    f"the last 2 layers have stride 1, the {downsamplings} before them stride 2.")
    return accept(f"pix2pix's critic (3 downsamplings, 4 x 4 kernels) judges patches of "
                  f"{adversarial.patchgan_receptive_field(3, 4)} px. At the cpu recipe's 48 px that is more than the "
                  "whole photo: there, each logit judges the photo as a whole.")


# ----------------------------------------------------- exercise 2: the critic's loss
def _logit_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    shape = (2, 3, 3, 1)
    return [
        ("random logits", rng.normal(0, 2, shape).astype(np.float32), rng.normal(0, 2, shape).astype(np.float32)),
        ("a perfect critic (real +20, fake -20)", np.full(shape, 20, np.float32), np.full(shape, -20, np.float32)),
        ("a fooled critic (real -3, fake +3)", np.full(shape, -3, np.float32), np.full(shape, 3, np.float32)),
        ("an unsure critic (all 0)", np.zeros(shape, np.float32), np.zeros(shape, np.float32)),
        ("very confident and very wrong (real -100, fake +100)", np.full(shape, -100, np.float32),
         np.full(shape, 100, np.float32)),
    ]


@checker
def check_critic_loss(critic_loss: Callable | None) -> bool:
    """``critic_loss(real_logits, fake_logits) -> float``: BCE, real labelled 1, colorized 0, averaged, halved."""
    if critic_loss is None:
        return not_attempted("critic_loss")
    for what, real, fake in _logit_cases(np.random.default_rng(9)):
        ok, got = learner_answer(critic_loss, "critic_loss", real.copy(), fake.copy())
        if not ok:
            return False
        got = _number(got)
        want = float(adversarial.discriminator_loss(real, fake))
        if got is None:
            return hint(f"return one number (the mean loss); for {what} it returned something else.")
        if np.isclose(got, want, rtol=1e-3, atol=1e-4):
            continue
        if not np.isfinite(got):
            return hint(f"for {what} your loss is {got}: log(sigmoid(x)) underflows to log(0) for large negative "
                        "logits. Use the stable form: -log(sigmoid(x)) = softplus(-x) = np.logaddexp(0, -x).")
        if np.isclose(got, 2 * want, rtol=1e-3, atol=1e-4):
            return hint("twice the expected value: pix2pix halves the critic's loss (the mean of the real and the "
                        "fake terms), so the critic learns at half the generator's pace.")
        swapped = float(adversarial.discriminator_loss(fake, real))
        if np.isclose(got, swapped, rtol=1e-3, atol=1e-4):
            return hint(f"for {what}: the labels are swapped. Real patches are the positives (label 1): their "
                        "loss is -log(sigmoid(real_logit)); colorized ones are label 0: -log(1 - sigmoid(fake_logit)).")
        return hint(f"for {what}: got {got:.4f}, expected {want:.4f}. The loss is 0.5 * (mean over real patches of "
                    "softplus(-logit) + mean over fake patches of softplus(logit)).")
    return accept("the critic's loss: low when it says 'real' to real patches and 'fake' to colorized ones, "
                  "and finite even for a critic that is very sure and very wrong.")


# --------------------------------------------------- exercise 3: the generator's loss
@checker
def check_generator_loss(generator_loss: Callable | None) -> bool:
    """``generator_loss(ab_true, ab_pred, fake_logits, weight) -> (total, l1, adversarial)``."""
    if generator_loss is None:
        return not_attempted("generator_loss")
    rng = np.random.default_rng(11)
    ab_true = rng.uniform(-0.6, 0.6, (2, 4, 4, 2)).astype(np.float32)
    ab_pred = rng.uniform(-0.6, 0.6, (2, 4, 4, 2)).astype(np.float32)
    logits = rng.normal(0, 2, (2, 2, 2, 1)).astype(np.float32)
    for weight in (0.01, 0.0, 1.0):
        ok, got = learner_answer(generator_loss, "generator_loss", ab_true.copy(), ab_pred.copy(), logits.copy(),
                                 weight)
        if not ok:
            return False
        try:
            got = [_number(v) for v in got]
        except TypeError:
            return hint("return three numbers: (total, l1, adversarial).")
        if len(got) != 3 or any(v is None for v in got):
            return hint("return three numbers: (total, l1, adversarial).")
        want = [float(v) for v in adversarial.generator_loss(ab_true, ab_pred, logits, weight)]
        if np.allclose(got, want, rtol=1e-3, atol=1e-5):
            continue
        total, l1, adv = got
        if not np.isclose(l1, want[1], rtol=1e-3):
            mse = float(np.mean((ab_true - ab_pred) ** 2))
            if np.isclose(l1, mse, rtol=1e-3):
                return hint("l1 is the mean squared error: pix2pix uses the mean ABSOLUTE error, which averages the "
                            "modes less than the squared error does.")
            return hint(f"l1 = {l1:.5f}, expected {want[1]:.5f}: the mean of |ab_true - ab_pred| over every value.")
        if not np.isclose(adv, want[2], rtol=1e-3):
            fooled_wrongly = float(np.mean(np.logaddexp(0, logits)))
            if np.isclose(adv, fooled_wrongly, rtol=1e-3):
                return hint("the adversarial term uses the label 'fake': the generator wants the critic to say REAL "
                            "(label 1) to its colorized patches, so it is mean softplus(-fake_logits).")
            if np.isclose(adv, -float(adversarial.discriminator_loss(logits, logits)), rtol=1e-3):
                return hint("the adversarial term is minus the critic's loss (the minimax form): its gradient "
                            "vanishes when the critic wins. Use the non-saturating form, mean softplus(-fake_logits).")
            return hint(f"adversarial = {adv:.4f}, expected {want[2]:.4f}: the mean binary cross-entropy of the "
                        "critic's logits on the colorized photo against the label 'real'.")
        return hint(f"with weight {weight}: total = {total:.5f}, expected l1 + weight * adversarial = {want[0]:.5f}.")
    return accept("L1 keeps the colours close to the photo's, λ times the adversarial term pushes them to look "
                  "real; with λ = 0 it is the plain L1 model.")


# ----------------------------------------------- exercise 4: PSNR after the fine-tune
#: Within this many dB the two PSNRs count as "about the same".
PSNR_SAME_DB = 0.3


def psnr_change(mse_psnr: float, adversarial_psnr: float) -> str:
    """``"higher"``, ``"about the same"`` (within :data:`PSNR_SAME_DB`) or ``"lower"``: the adversarial
    model's PSNR against the MSE model's it started from."""
    difference = adversarial_psnr - mse_psnr
    return "about the same" if abs(difference) <= PSNR_SAME_DB else ("higher" if difference > 0 else "lower")


def explain_psnr_change(predicted, mse_psnr: float, adversarial_psnr: float) -> bool:
    """Prediction: how the adversarial fine-tune moves test PSNR, against this kernel's measurement."""
    shows = psnr_change(mse_psnr, adversarial_psnr)
    why = {"lower": "the critic rewards colours that look real, and a vivid wrong guess costs more squared error "
                    "than a dull one: the usual price of an adversarial loss in PSNR",
           "about the same": "L1 still dominates the generator's loss (λ is small), so the fine-tune moves the "
                             "colours only a little on average, while it can change how vivid they look",
           "higher": "the generator's L1 term alone already moves it from the MSE optimum (the mean) towards the "
                     "median, and the short, gentle fine-tune costs little: PSNR does not always fall"}[shows]
    return prediction_vs_measurement(predicted, shows, f"MSE {mse_psnr:.2f} dB, adversarial {adversarial_psnr:.2f} "
                                     f"dB, a change of {adversarial_psnr - mse_psnr:+.2f} dB; within "
                                     f"{PSNR_SAME_DB} dB counts as about the same", why + ".")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise, Prediction  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("09", 1, "receptive_field", check_receptive_field, hints=(
    "Walk back from one logit: it sees 1 pixel of the last layer's output. A layer of kernel k and stride s "
    "turns a field of r pixels of its output into (r - 1) * s + k pixels of its input.",
    "r = 1; for stride in reversed([2] * downsamplings + [1, 1]): r = (r - 1) * stride + kernel; return r.",
))
ex2 = Exercise("09", 2, "critic_loss", check_critic_loss, hints=(
    "Binary cross-entropy on logits: a real patch (label 1) costs -log(sigmoid(x)), a colorized one (label 0) "
    "-log(1 - sigmoid(x)). Average each over its patches, then take the mean of the two.",
    "-log(sigmoid(x)) = np.logaddexp(0, -x) and -log(1 - sigmoid(x)) = np.logaddexp(0, x): "
    "return 0.5 * (np.logaddexp(0, -real).mean() + np.logaddexp(0, fake).mean()).",
))
ex3 = Exercise("09", 3, "generator_loss", check_generator_loss, hints=(
    "Two terms: L1 between the true and the predicted ab, and the critic's cross-entropy on the colorized photo "
    "as if it were real (label 1). The total weighs the second by `weight`.",
    "l1 = np.abs(ab_true - ab_pred).mean(); adv = np.logaddexp(0, -fake_logits).mean(); "
    "return l1 + weight * adv, l1, adv.",
))
ex4 = Prediction("09", 4, "psnr_prediction", options=("higher", "about the same", "lower"),
                 explain=explain_psnr_change, hints=(
                     "What does PSNR reward: being close on average, or looking real? Which does the critic reward?",
                     "The generator's loss is L1 + λ · adversarial with a small λ: how far can a short fine-tune move "
                     "the colours on average?"))
