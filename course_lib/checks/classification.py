"""Checks for the exercises of notebook 07, "Colour as classification".

Each ``check_*`` function takes the learner's function, calls it on cases it makes (hand-made
and random), and prints ``accepted`` or a hint naming the likely mistake. It returns ``True`` or
``False`` and never raises. The building checkers compare outputs with the library's
(:mod:`course_lib.classification`) and check properties, never the learner's code: exercise 1
(the weights, smoothing included) against ``cl.rebalancing_weights`` on random distributions,
exercise 4 (an annealed mean that never fails) against ``cl.annealed_mean`` down to T = 0 and on
distributions whose naive tempering underflows. Exercise 5 is decided on this kernel's own
validation table; exercise 6 is a :class:`Prediction` compared with this kernel's measurement.
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


# ------------------------------------------------ exercise 4: an annealed mean that never fails
def annealed_mean_reference(probs: np.ndarray, bins: np.ndarray, temperature: float) -> np.ndarray:
    """``(..., Q)`` probabilities (zeros allowed) -> ``(..., 2)``: the library's annealed mean of ``log(probs)``.

    A bin of probability 0 gets a logit far below every other bin's, so it weighs nothing at any T.
    """
    probs = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logits = np.log(probs)
    lowest = np.where(np.isfinite(logits), logits, np.inf).min(axis=-1, keepdims=True)
    logits = np.where(np.isfinite(logits), logits, lowest - 1e4)
    return cl.annealed_mean(logits, bins, temperature).astype(np.float64)


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


def _broad(rng: np.random.Generator, bins: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    """Broad distributions over all the bins (a barely trained head's): no bin above about 1 %."""
    probs = rng.uniform(0.8, 1.2, (*shape, len(bins)))
    return (probs / probs.sum(axis=-1, keepdims=True)).astype(dtype)


def _annealed_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(what, probs, bins, T): the formula's own cases first, then the ones a naive version fails."""
    batch = np.stack([_PROBS, [0.2, 0.7, 0.1]])  # (2, 3): two pixels
    bins = cl.ab_bins()
    with_zeros = np.array([[0.6, 0.0, 0.4], [0.0, 1.0, 0.0]])
    broad32 = _broad(rng, bins, (2, 3), np.float32)
    return [
        *[(f"two pixels over 3 bins at T = {t}", batch, _BINS, t) for t in (1.0, 0.38, 0.1)],
        ("pixels with bins of probability exactly 0, at T = 0.38", with_zeros, _BINS, 0.38),
        ("T = 0 (the limit: the mode)", batch, _BINS, 0.0),
        (f"broad float32 distributions over the {len(bins)} bins, shape (2, 3, {len(bins)}), at T = 0.05",
         broad32, bins, 0.05),
        (f"broad float64 distributions over the {len(bins)} bins at T = 0.001", _broad(rng, bins, (4,), np.float64),
         bins, 0.001),
        ("random sharper distributions (float32) at T = 0.2", rng.dirichlet(np.full(len(bins), 0.05), 5)
         .astype(np.float32), bins, 0.2),
    ]


@checker
def check_annealed_mean(annealed_mean: Callable | None) -> bool:
    """Check ``annealed_mean(probs (..., Q), bins (Q, 2), T) -> ab (..., 2)``: the library's, finite, for every T in [0, 1]."""
    if annealed_mean is None:
        return not_attempted("annealed_mean")
    for what, probs, bins, temperature in _annealed_cases(np.random.default_rng(5)):
        with np.errstate(all="ignore"):  # the learner's overflows are judged by the result, not by warnings
            ok, got = learner_answer(annealed_mean, "annealed_mean", probs.copy(), bins.copy(), temperature)
        if not ok:
            if temperature == 0:
                print("   (at T = 0 the formula divides by zero; the annealed mean's limit there is the mode: "
                      "the most probable bin, np.argmax. Treat T = 0 on its own.)")
            return False
        got = as_float_array(got)
        want_shape = (*probs.shape[:-1], 2)
        if got is None or got.shape != want_shape:
            return hint(f"for {what}: return one (a, b) per pixel, shape {want_shape} for probabilities of shape "
                        f"{probs.shape}; got {'not numbers' if got is None else f'shape {got.shape}'}.")
        want = annealed_mean_reference(probs, bins, temperature)
        if np.allclose(got, want, atol=1e-2):
            continue
        if temperature == 0 and not np.isfinite(got).all():
            return hint(f"for {what} your colours are NaN or infinite: 1 / T is infinite at T = 0. The annealed "
                        "mean's limit there is the mode, the most probable bin: treat T = 0 on its own.")
        if what.startswith("broad"):
            bad = float(np.mean(~np.isfinite(got).all(axis=-1)))
            return hint(f"for {what}, {bad:.0%} of your colours are NaN and the others are off. With every probability "
                        f"near {1 / probs.shape[-1]:.4f}, z ** (1 / T) falls below the smallest number "
                        f"{np.dtype(probs.dtype).name} holds: every bin becomes 0 and the renormalisation divides 0 by 0 "
                        "(NaN), or a few bins survive as badly rounded tiny numbers (a wrong colour). Only the ratios "
                        "between bins matter: work with log(z) / T and subtract each row's largest value before exp "
                        "(the most probable bin then weighs exp(0) = 1), or divide z by its row's largest value before "
                        "raising it to 1 / T.")
        if probs.shape[-1] == 3:
            for message, wrong in _wrong_annealed_means(probs, bins, temperature).items():
                if temperature > 0 and np.allclose(got, wrong, atol=1e-3):
                    return hint(f"at T = {temperature}: {message}")
        if temperature == 0:
            return hint(f"at T = 0 the answer is the mode: each pixel's most probable bin, {want[0].tolist()} for the "
                        f"first pixel; got {np.round(got[0], 2).tolist()}.")
        if np.isclose(probs, 0).any() and probs.shape[-1] == 3:
            return hint(f"for {what} the first pixel should be {np.round(want[0], 2).tolist()}, got "
                        f"{np.round(got[0], 2).tolist()}: a bin of probability 0 must weigh 0 at every T (log(0) is "
                        "-inf; exp(-inf) = 0 is right, but replacing it by a large finite number is not).")
        worst = np.unravel_index(int(np.argmax(np.abs(got - want).max(axis=-1))), want.shape[:-1])
        return hint(f"for {what} pixel {tuple(int(i) for i in worst)} should be {np.round(want[worst], 2).tolist()}, "
                    f"got {np.round(got[worst], 2).tolist()}. Temper (z ** (1 / T), computed so that it cannot "
                    "underflow), renormalise, then weight the bin centres.")
    return accept("T = 1 gives the mean, small T the most probable colour, T = 0 the mode; and no pixel turns NaN, "
                  "not even for a broad float32 distribution at T = 0.05 or zeros in the distribution.")


# ------------------------------------------------ exercise 1: the rebalancing weights, smoothing included
def _smoothing_kernel(bins: np.ndarray, sigma: float) -> np.ndarray:
    d2 = ((bins[:, None, :] - bins[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * sigma**2))  # (Q, Q), K[q, j]: how much of bin j's mass goes to bin q, unnormalised


def _weights_of(p_smooth: np.ndarray, uniform_mix: float) -> np.ndarray:
    w = 1.0 / ((1 - uniform_mix) * p_smooth + uniform_mix / len(p_smooth))
    return w / np.sum(p_smooth * w)


def _wrong_weights(p, bins, uniform_mix) -> list[tuple[str, np.ndarray]]:
    """What typical mistakes return, with the hint each deserves (``p`` normalised)."""
    kernel = _smoothing_kernel(bins, cl.SMOOTH_SIGMA)
    p_smooth = cl.smooth_distribution(p, bins)
    raw = 1.0 / ((1 - uniform_mix) * p_smooth + uniform_mix / len(p))
    swapped = 1.0 / (uniform_mix * p_smooth + (1 - uniform_mix) / len(p))
    mixture = (1 - uniform_mix) * p_smooth + uniform_mix / len(p)
    by_rows = (kernel / kernel.sum(axis=1, keepdims=True)) @ p
    blurred_then_rescaled = kernel @ p / np.sum(kernel @ p)
    rows_message = ("the blur's normalisation: each *row* of your kernel sums to 1, so a bin takes a weighted average "
                    "of its neighbours and mass is created or lost where bins have few neighbours (the gamut's edge). "
                    "Spread each bin's mass instead: normalise each column j (where bin j's mass goes) to sum 1.")
    return [(rows_message, _weights_of(by_rows, uniform_mix)), *{
        "no smoothing: these are the weights of p itself. Blur p over the ab plane first (a Gaussian of the "
        "distance between bin centres, sigma = 5), so that a rare colour next to a common one is not treated "
        "as unseen.": _weights_of(p, uniform_mix),
        rows_message: _weights_of(by_rows / by_rows.sum(), uniform_mix),
        "the blur's normalisation: rescaling the blurred distribution to sum 1 afterwards moves mass between bins "
        "(a bin at the gamut's edge shares its mass with fewer neighbours). Normalise each column j of the kernel "
        "(where bin j's mass goes) to sum 1, and the result sums to 1 by itself.":
            _weights_of(blurred_then_rescaled, uniform_mix),
        "the Gaussian's width: it is exp(-d**2 / (2 * sigma**2)) with sigma = 5, not exp(-d**2 / sigma**2).":
            _weights_of((lambda k: k / k.sum(axis=0, keepdims=True))(kernel**2) @ p, uniform_mix),  # exp(-d2 / sigma**2)
        "the weights are not normalised: scale them so that the expected weight sum(p_smooth * w) is 1.": raw,
        "normalised so that the weights average 1 over the bins; the expectation is over pixels: "
        "sum(p_smooth * w) = 1.": raw / raw.mean(),
        "normalised with the raw p; the expected weight is taken under the distribution the weights were made "
        "from, the smoothed one: sum(p_smooth * w) = 1.": raw / np.sum(p * raw),
        "lambda and 1 - lambda are swapped: lambda is the weight of the *uniform* distribution.":
            swapped / np.sum(p_smooth * swapped),
        "the mixture must be inverted: a rare colour gets a *large* weight, 1 / ((1 - lambda) p + lambda / Q).":
            mixture / np.sum(p_smooth * mixture),
    }.items()]


def _weight_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(what, p, bins, lambda): random, an L-shaped patch of bins (edges), counts, one bin only, lambda = 1."""
    bins = cl.ab_bins()
    patch = np.array([[a, b] for a in range(-20, 21, 10) for b in range(-20, 21, 10) if a <= 0 or b <= 0], float)
    counts = np.zeros(len(bins))
    counts[rng.choice(len(bins), 25, replace=False)] = rng.integers(1, 500, 25)
    gray = np.zeros(len(patch))
    gray[int(np.argmin(np.abs(patch).sum(axis=1)))] = 1.0
    return [
        ("a random distribution over an L-shaped patch of 21 bins", rng.dirichlet(np.ones(len(patch)), 1)[0], patch, 0.5),
        (f"pixel counts (not yet a distribution) on 25 of the {len(bins)} course bins", counts, bins, 0.5),
        ("every pixel in the gray bin of the patch", gray, patch, 0.3),
        (f"a random distribution over the {len(bins)} course bins", rng.dirichlet(np.full(len(bins), 0.3), 1)[0],
         bins, 0.5),
        ("lambda = 1 (the uniform distribution only: every weight 1)", rng.dirichlet(np.ones(len(patch)), 1)[0],
         patch, 1.0),
    ]


def _signature_hint(exc: Exception) -> str | None:
    if isinstance(exc, TypeError) and "positional argument" in str(exc):
        return (f"{exc}: the function takes three arguments, rebalancing_weights(p, bins, uniform_mix): the raw "
                "distribution, the bin centres (the blur needs their distances) and lambda.")
    return None


@checker
def check_rebalancing_weights(rebalancing_weights: Callable | None) -> bool:
    """Check ``rebalancing_weights(p (Q,), bins (Q, 2), uniform_mix) -> w (Q,)`` against ``cl.rebalancing_weights``."""
    if rebalancing_weights is None:
        return not_attempted("rebalancing_weights")
    for what, p, bins, uniform_mix in _weight_cases(np.random.default_rng(8)):
        ok, got = learner_answer(rebalancing_weights, "rebalancing_weights", p.copy(), bins.copy(), uniform_mix,
                                 explain=_signature_hint)
        if not ok:
            return False
        got = as_float_array(got)
        if got is None or got.shape != p.shape:
            return hint(f"for {what}: return one weight per bin, shape {p.shape}; got "
                        f"{'not numbers' if got is None else f'shape {got.shape}'}.")
        want = cl.rebalancing_weights(p, bins, uniform_mix=uniform_mix)
        if np.allclose(got, want, rtol=1e-4, atol=1e-9):
            continue
        normalised = p / p.sum()
        if not np.isclose(p.sum(), 1):
            spread = _smoothing_kernel(bins, cl.SMOOTH_SIGMA)
            spread /= spread.sum(axis=0, keepdims=True)
            if np.allclose(got, _weights_of(spread @ p, uniform_mix), rtol=1e-4):
                return hint(f"for {what}: p holds counts; divide it by its sum first, so that it is a distribution "
                            "(the mix with the uniform distribution, lambda / Q, assumes one).")
        for message, wrong in _wrong_weights(normalised, bins, uniform_mix):
            if np.allclose(got, wrong, rtol=1e-4, atol=1e-9):
                return hint(f"for {what}, lambda = {uniform_mix}: {message}")
        worst = int(np.argmax(np.abs(got - want) / want))
        return hint(f"for {what}, lambda = {uniform_mix}: the weight of the bin at ab = {bins[worst].tolist()} should "
                    f"be {want[worst]:.4g}, got {got[worst]:.4g}. Blur p (each bin's mass shared among the bins by a "
                    "Gaussian of their distance, none lost), mix with the uniform distribution, invert, then scale so "
                    "that sum(p_smooth * w) = 1.")
    return accept("smoothing that keeps every bin's mass, then Zhang's weights, as course_lib's on every distribution "
                  "tried: the rarest bins weigh most, and a pixel weighs 1 on average.")


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
    "Four steps: normalise p; blur it over the ab plane; mix the blurred p with the uniform distribution and "
    "invert; scale so that sum(p_smooth * w) = 1. The bins are a list of centres, not an image: the blur is a "
    "(Q, Q) matrix built from the distances between centres.",
    "K[q, j] = exp(-|c_q - c_j|**2 / (2 * 5**2)) says how much of bin j's mass goes to bin q. For no mass to be "
    "lost or created, each column must sum to 1: K / K.sum(axis=0, keepdims=True); then p_smooth = K @ p.",
    "d2 = ((bins[:, None] - bins[None]) ** 2).sum(-1); K = np.exp(-d2 / 50); K /= K.sum(axis=0); "
    "p_s = K @ (p / p.sum()); w = 1 / ((1 - uniform_mix) * p_s + uniform_mix / len(p)); return w / (p_s * w).sum().",
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
    "Try the formula as printed on a broad float32 distribution (every probability about 1/262) at T = 0.05: "
    "z ** 20 is smaller than float32's smallest number, every bin becomes 0, and 0 / 0 is NaN. Only the ratios "
    "between bins matter, since the weights are renormalised: find a way to compute them that cannot underflow.",
    "Work with logarithms: s = log(z) / T; subtract each row's largest s (s - s.max(axis=-1, keepdims=True)); "
    "exp, renormalise, weight the bin centres. A zero probability gives log 0 = -inf and exp(-inf) = 0, which is "
    "right (silence the warning with np.errstate(divide='ignore')). T = 0: the mode, bins[np.argmax(z, -1)].",
    "if T == 0: return bins[np.argmax(probs, axis=-1)]; with np.errstate(divide='ignore'): "
    "s = np.log(np.asarray(probs, np.float64)) / T; w = np.exp(s - s.max(axis=-1, keepdims=True)); "
    "return (w / w.sum(axis=-1, keepdims=True)) @ bins.",
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
