"""Checks for the exercises of notebook 07, "Colour as classification".

Each ``check_*`` function takes the learner's function, calls it on cases it makes (hand-made
and random), and prints ``accepted`` or a hint naming the likely mistake. It returns ``True`` or
``False`` and never raises. The building checkers compare outputs with the library's
(:mod:`course_lib.classification`) and check properties, never the learner's code. Exercise 5 is
decided on this kernel's own validation table; exercise 6 is a :class:`Prediction` compared with
this kernel's measurement.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_lib import classification as cl
from course_lib.checks.exercise import Exercise, Prediction
from course_lib.checks.feedback import accept, as_float_array, checker, hint, learner_answer, not_attempted, prediction_vs_measurement

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



# ------------------------------------------------ exercise 2: the rebalanced cross-entropy (3-bin toy)
def rebalanced_cross_entropy_reference(target: np.ndarray, probs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(N, Q)`` targets and predictions, ``(Q,)`` weights -> ``(N,)``: ``w[argmax z] * -sum_q z_q log p_q``."""
    return -weights[np.argmax(target, axis=-1)] * np.sum(target * np.log(probs), axis=-1)


def _toy_batch(rng: np.random.Generator, n: int = 6, q: int = 3):
    """Soft targets (each with one clear largest bin), predictions and weights on ``q`` bins."""
    target = rng.dirichlet(np.ones(q), n)
    target[np.arange(n), rng.integers(q, size=n)] += 1.0  # a clear nearest bin, as a soft-encoded target has
    target /= target.sum(axis=-1, keepdims=True)
    probs = rng.dirichlet(np.ones(q) * 2, n)
    weights = rng.uniform(0.3, 4.0, q)
    return target, probs, weights


@checker
def check_rebalanced_cross_entropy(rebalanced_cross_entropy: Callable | None) -> bool:
    """Check ``rebalanced_cross_entropy(target (N, Q), probs (N, Q), weights (Q,)) -> (N,)``."""
    if rebalanced_cross_entropy is None:
        return not_attempted("rebalanced_cross_entropy")
    rng = np.random.default_rng(7)
    for case in range(4):
        target, probs, weights = _toy_batch(rng, q=3 if case < 3 else 5)
        ok, got = learner_answer(rebalanced_cross_entropy, "rebalanced_cross_entropy", target.copy(), probs.copy(),
                                 weights.copy())
        if not ok:
            return False
        got = as_float_array(got)
        want = rebalanced_cross_entropy_reference(target, probs, weights)
        if got is None or got.shape != want.shape:
            if got is not None and got.size == 1 and np.isclose(float(got), want.sum(), rtol=1e-4):
                return hint("that is the sum over pixels: return one loss per pixel, shape (N,); training "
                            "averages them.")
            if got is not None and got.size == 1 and np.isclose(float(got), want.mean(), rtol=1e-4):
                return hint("that is the mean over pixels: return one loss per pixel, shape (N,).")
            return hint(f"return one loss per pixel, shape {want.shape}; got "
                        f"{'not numbers' if got is None else f'shape {got.shape}'}.")
        if np.allclose(got, want, rtol=1e-4, atol=1e-6):
            continue
        plain = -np.sum(target * np.log(probs), axis=-1)
        wrong = {
            "the weights are missing: that is the plain cross-entropy. Multiply each pixel's loss by the "
            "rebalancing weight of its nearest bin, weights[argmax(target)].": plain,
            "each bin's term is weighted by its own weight (sum of w_q z_q log p_q); Zhang weights the whole "
            "pixel by the weight of its nearest bin, weights[argmax(target)].":
                -np.sum(weights * target * np.log(probs), axis=-1),
            "the weight is read at the *predicted* bin (argmax of probs); it belongs to the pixel's true colour: "
            "the target's largest bin.": plain * weights[np.argmax(probs, axis=-1)],
            "the sign: a cross-entropy is -sum z log p, a positive number that falls as p approaches z.":
                -want,
            "z and p are swapped: it is the target that weights the log of the *prediction*, -sum z log p.":
                -weights[np.argmax(target, axis=-1)] * np.sum(probs * np.log(target), axis=-1),
        }
        for message, value in wrong.items():
            if np.allclose(got, value, rtol=1e-4, atol=1e-6):
                return hint(message)
        return hint(f"pixel 0 should have loss {want[0]:.4f}, got {got[0]:.4f}: -sum_q target_q log(probs_q), "
                    "times weights[argmax(target)].")
    return accept("one loss per pixel, weighted by the rebalancing weight of the pixel's true nearest bin.")


# ------------------------------------------------ exercise 3: the soft-encoded target
def _soft_mistakes(ab: np.ndarray, bins: np.ndarray) -> dict[str, np.ndarray]:
    d2 = ((ab[:, None, :] - bins[None]) ** 2).sum(-1)
    near = np.argsort(d2, axis=-1, kind="stable")[:, :cl.SOFT_NEIGHBOURS]

    def spread(values):
        out = np.zeros(d2.shape)
        np.put_along_axis(out, near, values / values.sum(-1, keepdims=True), axis=-1)
        return out

    d2_near = np.take_along_axis(d2, near, axis=-1)
    return {
        "that is one-hot on the nearest bin: keep the 5 nearest bins, weighted by a Gaussian of the distance.":
            cl.soft_encode(ab, bins, neighbours=1),
        "the 5 nearest bins are equally weighted: weight each by exp(-d^2 / (2 sigma^2)), d its distance.":
            spread(np.ones_like(d2_near)),
        "the Gaussian uses the distance d where it needs its square: exp(-d**2 / (2 * sigma**2)).":
            spread(np.exp(-np.sqrt(d2_near) / (2 * cl.SOFT_SIGMA**2))),
        "the Gaussian's width: it is exp(-d**2 / (2 * sigma**2)) with sigma = 5, not exp(-d**2 / sigma**2).":
            spread(np.exp(-d2_near / cl.SOFT_SIGMA**2)),
        "the weights of every bin are Gaussian: keep only the 5 nearest bins, 0 for all others.":
            (lambda w: w / w.sum(-1, keepdims=True))(np.exp(-(d2 - d2.min(-1, keepdims=True)) / (2 * cl.SOFT_SIGMA**2))),
    }


def _same_up_to_ties(got: np.ndarray, want: np.ndarray, ab: np.ndarray, bins: np.ndarray) -> bool:
    """Equal weights, on bins no farther than the 5th nearest: bins at equal distance may be swapped."""
    if not np.allclose(np.sort(got, axis=-1), np.sort(want, axis=-1), atol=1e-4):
        return False
    d2 = ((ab[:, None, :] - bins[None]) ** 2).sum(-1)
    fifth = np.sort(d2, axis=-1)[:, cl.SOFT_NEIGHBOURS - 1 : cl.SOFT_NEIGHBOURS]
    return bool(np.all(d2[got > 1e-9] <= np.broadcast_to(fifth, d2.shape)[got > 1e-9] + 1e-6))


@checker
def check_soft_encode(soft_encode: Callable | None) -> bool:
    """Check ``soft_encode(ab (N, 2), bins (Q, 2)) -> (N, Q)`` on random colours: properties, then the library's."""
    if soft_encode is None:
        return not_attempted("soft_encode")
    bins = cl.ab_bins()
    rng = np.random.default_rng(3)
    ab = np.concatenate([rng.uniform(-80, 80, (20, 2)), [[0.0, 0.0], [23.0, 44.0]]])  # random, gray, between bins
    ok, got = learner_answer(soft_encode, "soft_encode", ab.copy(), bins.copy())
    if not ok:
        return False
    got = as_float_array(got)
    if got is None or got.shape != (len(ab), len(bins)):
        return hint(f"return one weight per bin for every colour, shape ({len(ab)}, {len(bins)}) for {len(ab)} "
                    f"colours and {len(bins)} bins; got {'not numbers' if got is None else f'shape {got.shape}'}.")
    want = cl.soft_encode(ab, bins)
    if np.allclose(got, want, atol=1e-4) or _same_up_to_ties(got, want, ab, bins):
        return accept("a target spread over the 5 nearest bins, closer ones weighing more; rows sum to 1, "
                      "as course_lib's does on random colours.")
    for message, wrong in _soft_mistakes(ab, bins).items():
        if np.allclose(got, wrong, atol=1e-4):
            return hint(message)
    sums = got.sum(axis=-1)
    if not np.allclose(sums, 1, atol=1e-3):
        return hint(f"each row is a distribution and must sum to 1; row sums range {sums.min():.3f}-{sums.max():.3f}.")
    if np.any(got < -1e-6):
        return hint("a target has no negative weights.")
    counts = (got > 1e-9).sum(axis=-1)
    if np.any(counts > cl.SOFT_NEIGHBOURS):
        return hint(f"only the {cl.SOFT_NEIGHBOURS} nearest bins get a weight; some rows have {counts.max()}.")
    nearest = cl.nearest_bin(ab, bins)
    if np.any(np.argmax(got, axis=-1) != nearest):
        return hint("the nearest bin must weigh most: is the distance measured to the right bins (a to a, b to b)?")
    k = int(np.argmax(np.abs(got - want).max(axis=-1)))
    return hint(f"for ab = {np.round(ab[k], 1).tolist()} the largest weights should be "
                f"{[round(float(v), 3) for v in np.sort(want[k])[::-1][:5]]}, got "
                f"{[round(float(v), 3) for v in np.sort(got[k])[::-1][:5]]}.")


# ------------------------------------------------ exercise 5: choose the decoding on validation
def _row_name(row: dict) -> str:
    return f"T = {row['temperature']:g}, {row['upsampling']}"


def _decoding_tables(rng: np.random.Generator) -> list[tuple[str, list]]:
    """(what the table tests, its rows): several qualify; one qualifies; none does; an interval unknown."""
    def row(t, up, psnr, low, high):
        return {"temperature": t, "upsampling": up, "psnr": psnr, "colorfulness_ratio": (low + high) / 2
                if np.isfinite(low) else 1.1, "colorfulness_low": low, "colorfulness_high": high}

    random_rows = [row(t, up, float(rng.uniform(21, 24)), *sorted(rng.uniform(0.85, 1.4, 2)))
                   for t in (0.0, 0.2, 0.38, 1.0) for up in ("bilinear", "guided")]
    return [
        ("a table where several decodings qualify", [row(0.0, "bilinear", 22.7, 1.04, 1.29),
                                                     row(0.3, "bilinear", 23.3, 0.99, 1.22),
                                                     row(0.38, "guided", 23.6, 0.93, 1.16)]),
        ("a table where the best PSNR's interval leaves the band", [row(0.2, "bilinear", 23.0, 1.0, 1.25),
                                                                    row(1.0, "guided", 23.9, 0.97, 1.05)]),
        ("a table where no interval fits (the fallback)", [row(0.0, "bilinear", 19.0, 0.6, 1.6),
                                                          row(1.0, "guided", 18.5, 0.5, 0.97)]),
        ("a random table", random_rows),
        ("a table with an unknown interval (too few photos)", [row(0.1, "guided", 24.0, float("nan"), float("nan")),
                                                             row(0.3, "bilinear", 23.0, 1.0, 1.2)]),
    ]


def _row_name(row: dict) -> str:
    return f"(T = {row['temperature']:g}, {row['upsampling']})"


@checker
def check_choose_decoding(choose_decoding: Callable | None, run_table=None) -> bool:
    """Check ``choose_decoding(rows) -> (T, upsampling)`` on made-up tables and on this run's own."""
    if choose_decoding is None:
        return not_attempted("choose_decoding")
    tables = _decoding_tables(np.random.default_rng(4))
    if run_table and "colorfulness_low" in run_table[0]:
        tables.append(("this run's validation table", [dict(row) for row in run_table]))
    low, high = cl.COLOURFULNESS_BAND
    for what, rows in tables:
        ok, got = learner_answer(choose_decoding, "choose_decoding", [dict(row) for row in rows])
        if not ok:
            return False
        try:
            temperature, upsampling = got
            temperature = float(temperature)
        except (TypeError, ValueError):
            return hint(f'return a pair (T, upsampling), e.g. (0.3, "bilinear"); got {got!r}.')
        best, met = cl.choose_decoding(rows)
        if np.isclose(temperature, best["temperature"]) and upsampling == best["upsampling"]:
            continue
        mine = next((row for row in rows if np.isclose(row["temperature"], temperature)
                     and row["upsampling"] == upsampling), None)
        if mine is None:
            return hint(f"for {what} you returned ({temperature:g}, {upsampling!r}), which is not one of its rows.")
        if not met:
            return hint(f"for {what} no interval lies inside {low:.2f}-{high:.2f}; the rule then takes the row whose "
                        f"interval sticks out of the band least, {_row_name(best)} (a row without an interval counts "
                        "by its mean ratio); you took {_row_name(mine)}.")
        inside = low <= mine["colorfulness_low"] and mine["colorfulness_high"] <= high
        if not inside:
            return hint(f"for {what} you took {_row_name(mine)}, whose interval [{mine['colorfulness_low']:.2f}, "
                        f"{mine['colorfulness_high']:.2f}] leaves {low:.2f}-{high:.2f}: the *whole* interval must be "
                        "inside (a NaN bound never is), not just the mean ratio.")
        return hint(f"for {what} you took {_row_name(mine)}; {_row_name(best)} qualifies too and has the higher PSNR "
                    f"({best['psnr']:.2f} against {mine['psnr']:.2f} dB).")
    found = ("; on this run's own table it picks " + _row_name(cl.choose_decoding(tables[-1][1])[0])
             if tables[-1][0].startswith("this run") else "")
    return accept(f"the course's rule, on every table tried{found}.")


# ------------------------------------------------ exercise 6: predict, then measure
def explain_more_colourful(predicted, mse_ratio: float, classification_ratio: float) -> bool:
    """Print what this kernel measured and why; True when ``predicted`` matches it."""
    shows = "classification" if classification_ratio > mse_ratio else "mse"
    reason = ("the annealed mean at T < 1 leans towards the most likely bin, while the MSE model paints the mean of "
              "the plausible colours, pulled towards gray" if shows == "classification" else
              "here the classification model is the duller one; with the tiny models of fast mode (or a weak run) "
              "that can happen: a barely trained head spreads its probability over many bins, and its annealed mean "
              "is close to gray. The recorded full run (benchmarks/README.md) measured MSE 0.877, classification 1.003")
    return prediction_vs_measurement(predicted, shows, f"colourfulness ratio MSE {mse_ratio:.3f}, classification "
                                     f"{classification_ratio:.3f}", reason + ".")


ex1 = Exercise("07", 1, "rebalancing_weights", check_rebalancing_weights, hints=(
    "Mix p with the uniform distribution (weight lambda for the uniform one), invert, then rescale so that "
    "a pixel weighs 1 on average: sum(p * w) = 1.",
    "w = 1 / ((1 - uniform_mix) * p + uniform_mix / len(p)); return w / np.sum(p * w).",
))
ex2 = Exercise("07", 2, "rebalanced_cross_entropy", check_rebalanced_cross_entropy, hints=(
    "Per pixel: the cross-entropy between the target row z and the prediction row p, -sum_q z_q log p_q, then "
    "times one weight: the rebalancing weight of the pixel's nearest bin, the largest entry of z.",
    "np.argmax(target, axis=-1) gives each pixel's nearest bin; weights[that] * -(target * np.log(probs)).sum(-1).",
    "return -weights[np.argmax(target, axis=-1)] * np.sum(target * np.log(probs), axis=-1)",
))
ex3 = Exercise("07", 3, "soft_encode", check_soft_encode, hints=(
    "Three steps per colour: squared distances to every bin centre, the 5 smallest of them, and Gaussian weights "
    "exp(-d**2 / (2 * 5**2)) on those 5, normalised to sum 1; 0 for every other bin.",
    "d2 = ((ab[:, None, :] - bins[None, :, :]) ** 2).sum(-1) is (N, Q); np.argsort(d2, axis=-1)[:, :5] gives the "
    "5 nearest; np.take_along_axis and np.put_along_axis read and write them.",
    "w = np.exp(-d2_near / (2 * 5.0**2)); w /= w.sum(-1, keepdims=True); target = np.zeros_like(d2); "
    "np.put_along_axis(target, near, w, axis=-1).",
))
ex4 = Exercise("07", 4, "annealed_mean", check_annealed_mean, hints=(
    "Temper the distribution: raise every probability to the power 1 / T, renormalise so it sums to 1, "
    "then average the bin centres with those weights.",
    "w = probs ** (1 / T); w = w / w.sum(axis=-1, keepdims=True); return w @ bins.",
))
ex5 = Exercise("07", 5, "choose_decoding", check_choose_decoding, hints=(
    "First keep only the rows whose whole interval [colorfulness_low, colorfulness_high] lies inside 0.98-1.30; "
    "among those, the highest psnr wins.",
    "If no row qualifies, take the row whose interval sticks out of the band least: max(low_band - low, 0) + "
    "max(high - high_band, 0); a row whose bounds are NaN counts by its colorfulness_ratio for both.",
))
ex6 = Prediction("07", 6, "more_colourful", options=("mse", "classification"), explain=explain_more_colourful,
                 hints=("Section 2's toy: what does each loss make a model predict for a pixel that could be red or "
                        "green, and which readout keeps more colour?",
                        "MSE's best answer for a red-or-green pixel is their mean, near gray; the annealed mean at "
                        "T < 1 moves towards the most probable bin. Which lands further from gray, on average?"))
