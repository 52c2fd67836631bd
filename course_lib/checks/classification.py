"""Checks for the exercises of notebook 07, "Colour as classification".

Each ``check_*`` function takes the learner's function, calls it on small hand-made cases, and
prints ``accepted`` or a hint naming the likely mistake. It returns ``True`` or ``False`` and
never raises.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_lib.checks.exercise import Exercise
from course_lib.checks.feedback import (accept, as_float_array, checker, hint, judge_choice, learner_answer,
                                        not_attempted)

#: Three bins on the a axis and one pixel's distribution over them: a bimodal "green or red".
_BINS = np.array([[-40.0, 10.0], [0.0, 0.0], [40.0, 30.0]])
_PROBS = np.array([0.5, 0.1, 0.4])


# ------------------------------------------------ exercise 2: the annealed mean
def annealed_mean_reference(probs: np.ndarray, bins: np.ndarray, temperature: float) -> np.ndarray:
    """``(..., Q)`` probabilities -> ``(..., 2)``: ``sum_q f_T(z)_q c_q``, ``f_T(z) = z**(1/T) / sum z**(1/T)``."""
    tempered = np.power(probs, 1.0 / temperature)
    tempered = tempered / tempered.sum(axis=-1, keepdims=True)
    return tempered @ bins


def _wrong_annealed_means(probs, bins, temperature) -> dict[str, np.ndarray]:
    """What typical mistakes return, with the hint each deserves."""
    mean = probs @ bins
    wrong_power = np.power(probs, temperature)
    return {
        "that is the plain mean (T = 1), MSE's grayish compromise: T is ignored, or the probabilities were "
        "divided by T, which renormalising undoes. T divides the *log*-probabilities: "
        "exp(log(z) / T) = z ** (1 / T), then renormalise.": mean,
        "it uses z ** T instead of z ** (1 / T): a small T then flattens the distribution instead of "
        "sharpening it.": (wrong_power / wrong_power.sum(axis=-1, keepdims=True)) @ bins,
        "the tempered weights must be renormalised to sum to 1 before weighting the bin centres.":
            np.power(probs, 1.0 / temperature) @ bins,
        "that is the mode (the most probable bin) whatever T: the annealed mean only tends to it as T -> 0.":
            bins[np.argmax(probs, axis=-1)],
    }


@checker
def check_annealed_mean(annealed_mean: Callable | None) -> bool:
    """Check ``annealed_mean(probs (..., Q), bins (Q, 2), T) -> ab (..., 2)``."""
    if annealed_mean is None:
        return not_attempted("annealed_mean")
    batch = np.stack([_PROBS, [0.2, 0.7, 0.1]])  # (2, 3): two pixels
    for temperature in (1.0, 0.38, 0.1):
        ok, got = learner_answer(annealed_mean, "annealed_mean", batch.copy(), _BINS.copy(), temperature)
        if not ok:
            return False
        got = as_float_array(got)
        if got is None or got.shape != (2, 2):
            return hint(f"return one (a, b) per pixel, shape (2, 2) for probabilities of shape (2, 3); got "
                        f"{'not numbers' if got is None else f'shape {got.shape}'}.")
        want = annealed_mean_reference(batch, _BINS, temperature)
        if np.allclose(got, want, atol=1e-3):
            continue
        for message, wrong in _wrong_annealed_means(batch, _BINS, temperature).items():
            if np.allclose(got, wrong, atol=1e-3):
                return hint(f"at T = {temperature}: {message}")
        return hint(f"at T = {temperature} the first pixel should be {np.round(want[0], 2).tolist()}, got "
                    f"{np.round(got[0], 2).tolist()}. Temper, renormalise, then weight the bin centres.")
    return accept("T = 1 gives the mean, small T moves towards the most probable colour.")


# ------------------------------------------------ exercise 1: the rebalancing weights
_P = np.array([0.7, 0.2, 0.08, 0.02])  # a smoothed distribution over 4 bins: gray dominates


def rebalancing_weights_reference(p: np.ndarray, uniform_mix: float) -> np.ndarray:
    """``w = 1 / ((1 - lambda) p + lambda / Q)``, scaled so ``sum(p * w) = 1``."""
    w = 1.0 / ((1 - uniform_mix) * p + uniform_mix / len(p))
    return w / np.sum(p * w)


def _wrong_weights(p, uniform_mix) -> dict[str, np.ndarray]:
    raw = 1.0 / ((1 - uniform_mix) * p + uniform_mix / len(p))
    swapped = 1.0 / (uniform_mix * p + (1 - uniform_mix) / len(p))
    mixture = (1 - uniform_mix) * p + uniform_mix / len(p)
    return {
        "the weights are not normalised: scale them so that the expected weight sum(p * w) is 1.": raw,
        "normalised so that the weights average 1 over the bins; the expectation is over pixels: "
        "sum(p * w) = 1.": raw / raw.mean(),
        "normalised so that the weights sum to 1; it is the expected weight sum(p * w) that must be 1.":
            raw / raw.sum(),
        "lambda and 1 - lambda are swapped: lambda is the weight of the *uniform* distribution.":
            swapped / np.sum(p * swapped),
        "the mixture must be inverted: a rare colour gets a *large* weight, 1 / ((1 - lambda) p + lambda / Q).":
            mixture / np.sum(p * mixture),
    }


@checker
def check_rebalancing_weights(rebalancing_weights: Callable | None) -> bool:
    """Check ``rebalancing_weights(p (Q,), uniform_mix) -> w (Q,)``."""
    if rebalancing_weights is None:
        return not_attempted("rebalancing_weights")
    for uniform_mix in (0.5, 0.3):
        ok, got = learner_answer(rebalancing_weights, "rebalancing_weights", _P.copy(), uniform_mix)
        if not ok:
            return False
        got = as_float_array(got)
        if got is None or got.shape != _P.shape:
            return hint(f"return one weight per bin, shape {_P.shape}; got "
                        f"{'not numbers' if got is None else f'shape {got.shape}'}.")
        want = rebalancing_weights_reference(_P, uniform_mix)
        if np.allclose(got, want, rtol=1e-4):
            continue
        for message, wrong in _wrong_weights(_P, uniform_mix).items():
            if np.allclose(got, wrong, rtol=1e-4):
                return hint(f"with lambda = {uniform_mix}: {message}")
        return hint(f"with lambda = {uniform_mix} expected {np.round(want, 3).tolist()}, got "
                    f"{np.round(got, 3).tolist()}.")
    return accept("the rarest bin now weighs most, and a pixel weighs 1 on average.")


ex2 = Exercise("07", 2, "annealed_mean", check_annealed_mean, hints=(
    "Temper the distribution: raise every probability to the power 1 / T, renormalise so it sums to 1, "
    "then average the bin centres with those weights.",
    "w = probs ** (1 / T); w = w / w.sum(axis=-1, keepdims=True); return w @ bins.",
))
ex1 = Exercise("07", 1, "rebalancing_weights", check_rebalancing_weights, hints=(
    "Mix p with the uniform distribution (weight lambda for the uniform one), invert, then rescale so that "
    "a pixel weighs 1 on average: sum(p * w) = 1.",
    "w = 1 / ((1 - uniform_mix) * p + uniform_mix / len(p)); return w / np.sum(p * w).",
))


# ------------------------------------------------ exercise 3: predict before you run
@checker
def check_more_colourful(more_colourful) -> bool:
    """Prediction: which model is more colourful on the test images, "mse" or "classification"?"""
    if more_colourful is not None and not isinstance(more_colourful, str):
        return hint(f'answer with one word, "mse" or "classification"; got {more_colourful!r}')
    return judge_choice(more_colourful, "more_colourful", ["classification", "cls", "classifier"], mistakes={
        "mse": "a model trained on the squared error predicts the conditional *mean*: where a pixel could be "
               "red or green it paints the dull average (section 2's toy), so it is the washed-out one.",
        "same": "the two losses answer different questions: the mean of the plausible colours (MSE) or a "
                "sharpened distribution close to its mode (classification, T < 1). Which averages colours away?",
    }, accepted="classification: the annealed mean at T < 1 leans towards the most likely colour, while MSE "
                "averages the plausible colours towards gray.",
       otherwise='Answer "mse" or "classification".')


ex3 = Exercise("07", 3, "more_colourful", check_more_colourful, hints=(
    "The MSE model predicts the average of all plausible colours of a pixel; the classification head's "
    "annealed mean at T < 1 leans towards the most likely one. What does averaging red and green give?",
    'Averaging pulls colours towards gray, so the answer is "classification".',
))
