"""Checks for the exercises of notebook 02, "Exploring NCD".

The checks run the learner's function on small generated inputs (fake records, generated
images), never on NCD itself, so they give the same verdict with NCD or the offline
sample set. Each prints ``accepted`` or a hint, returns ``True``/``False``, never raises.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from course_lib import color
from course_lib.checks.feedback import accept, as_float_array, checker, hint, judge_number, learner_answer, not_attempted
from course_lib.data import ImageRecord
from course_lib.metrics import foreground_mask

#: a and b both lie within this range for every sRGB colour; the histograms use it on both axes.
AB_RANGE = (-128.0, 128.0)


# ------------------------------------------------------ exercise 1: images per category
def example_records() -> list[ImageRecord]:
    """Fake records of three categories with 3, 1 and 2 images (no files are read)."""
    layout = {"Lemon": 3, "Apple": 1, "Carrot": 2}
    return [ImageRecord(Path(f"/ncd/{cat}/{cat}{i}.jpg"), cat, f"{cat}/{cat}{i}.jpg")
            for cat, n in layout.items() for i in range(1, n + 1)]


@checker
def check_count_per_category(count_per_category: Callable | None) -> bool:
    """Check ``count_per_category(records) -> {category: number of images}``."""
    if count_per_category is None:
        return not_attempted("count_per_category")
    records = example_records()
    ok, got = learner_answer(count_per_category, "count_per_category", list(records))
    if not ok:
        return False
    want = dict(Counter(r.category for r in records))
    if not isinstance(got, dict):
        return hint(f"return a dict {{category: count}}, got {type(got).__name__}")
    if got == want:
        if list(got) != sorted(got):
            return hint("the counts are right; now sort the categories by name (sorted(...)) so tables "
                        "and plots list them in a stable order")
        return accept("images per category -- the first thing to know about any dataset.")
    if set(got) == {r.relpath for r in records} or set(got) == {r.path for r in records}:
        return hint("the keys are files; use record.category as the key")
    if set(got) != set(want):
        return hint(f"categories {sorted(map(str, got))} but the records have {sorted(want)}")
    if all(v == 1 for v in got.values()):
        return hint("every count is 1: count the records of each category (collections.Counter helps)")
    return hint(f"counts {got} but expected {want}")


# ---------------------------------------------------------- exercise 2: ab histogram
def ab_histogram_reference(ab: np.ndarray, bins: int = 32) -> np.ndarray:
    """Normalised 2-D histogram of ab values: a along rows, b along columns, sums to 1."""
    ab = np.asarray(ab, dtype=np.float64).reshape(-1, 2)
    counts, _, _ = np.histogram2d(ab[:, 0], ab[:, 1], bins=bins, range=[AB_RANGE, AB_RANGE])
    return counts / max(counts.sum(), 1)


def _example_ab(seed: int = 0) -> np.ndarray:
    """ab values ``(16, 20, 2)`` clustered off-centre, like a category with a dominant colour."""
    rng = np.random.default_rng(seed)
    a = rng.normal(30.0, 12.0, size=(16, 20))
    b = rng.normal(-45.0, 20.0, size=(16, 20))
    return np.stack([a, b], axis=-1)


@checker
def check_ab_histogram(ab_histogram: Callable | None) -> bool:
    """Check ``ab_histogram(ab, bins) -> (bins, bins)`` normalised histogram over [-128, 128]^2."""
    if ab_histogram is None:
        return not_attempted("ab_histogram")
    ab = _example_ab()
    bins = 16
    ok, got = learner_answer(ab_histogram, "ab_histogram", ab.copy(), bins)
    if not ok:
        return False
    got = as_float_array(got)
    if got is None:
        return hint("return a NumPy array of numbers (the histogram)")
    want = ab_histogram_reference(ab, bins)
    if got.shape != (bins, bins):
        return hint(f"expected a ({bins}, {bins}) array for bins={bins}, got shape {got.shape}. "
                    "np.histogram2d returns (counts, a_edges, b_edges): keep only counts")
    if np.allclose(got, want):
        return accept("a normalised ab histogram on a fixed grid: categories can now be compared.")
    if np.isclose(got.sum(), ab[..., 0].size) and np.allclose(got / got.sum(), want):
        return hint("these are raw counts: divide by the total so the histogram sums to 1 "
                    "(images of different sizes then weigh the same)")
    if got.sum() > 0 and not np.isclose(got.sum(), 1.0) and np.allclose(got / got.sum(), want):
        return hint(f"the shape of the histogram is right but it sums to {got.sum():.3g}, not 1: "
                    "np.histogram2d(..., density=True) divides by the bin *area*, not by the number of "
                    "pixels. Take the counts (density=False) and divide them by counts.sum()")
    if np.allclose(got, want.T):
        return hint("rows and columns are swapped: pass a first, then b, to np.histogram2d")
    if np.isclose(got.sum(), 1.0):
        return hint("the histogram sums to 1 but its bins differ: use the same range for every image, "
                    "range=[(-128, 128), (-128, 128)], otherwise the bins move with the data")
    return hint("compare with np.histogram2d(a.ravel(), b.ravel(), bins=bins, range=[(-128, 128), (-128, 128)])")


# ------------------------------------------------------ exercise 3: an object's colour
def mean_object_ab_reference(rgb: np.ndarray) -> np.ndarray:
    """Mean ``(a, b)`` over the object's pixels (not the white background), shape (2,)."""
    ab = color.rgb_to_lab(rgb)[..., 1:]
    return ab[foreground_mask(rgb)].mean(axis=0)


def example_object_image() -> np.ndarray:
    """A uint8 ``(40, 40, 3)`` orange disc with some shading on a white background."""
    yy, xx = np.mgrid[:40, :40]
    disc = (yy - 20) ** 2 + (xx - 18) ** 2 < 12 ** 2
    image = np.full((40, 40, 3), 255, np.uint8)
    shade = (1.0 - 0.3 * (yy / 40.0))[..., None]
    image[disc] = (np.array([235, 140, 30]) * shade)[disc].astype(np.uint8)
    return image


@checker
def check_mean_object_ab(mean_object_ab: Callable | None) -> bool:
    """Check ``mean_object_ab(rgb) -> array (2,)``: mean a and b over the object, background excluded."""
    if mean_object_ab is None:
        return not_attempted("mean_object_ab")
    image = example_object_image()
    ok, got = learner_answer(mean_object_ab, "mean_object_ab", image.copy())
    if not ok:
        return False
    got = as_float_array(got)
    if got is None:
        return hint("return two numbers, e.g. a NumPy array of shape (2,)")
    got = got.ravel()
    want = mean_object_ab_reference(image)
    if got.shape == (3,):
        return hint("return only a and b (two numbers); L is not colour")
    if got.shape != (2,):
        return hint(f"return two numbers (mean a, mean b), got shape {got.shape}")
    if np.allclose(got, want, atol=0.1):
        return accept(f"the object's mean colour is a={want[0]:.1f}, b={want[1]:.1f} (orange: red-ish and yellow).")
    whole = color.rgb_to_lab(image)[..., 1:].reshape(-1, 2).mean(axis=0)
    if np.allclose(got, whole, atol=0.1):
        return hint("this is the mean over the whole image: the white background (a = b = 0) pulls it to "
                    "gray. Average only where metrics.foreground_mask(rgb) is True")
    if np.allclose(got, want[::-1], atol=0.1):
        return hint("a and b are swapped")
    return hint(f"expected about ({want[0]:.1f}, {want[1]:.1f}), got ({got[0]:.1f}, {got[1]:.1f})")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("02", 1, "count_per_category", check_count_per_category, hints=(
    "Every record has a .category; count how often each one occurs.",
    "collections.Counter(r.category for r in records) counts them; return dict(sorted(counter.items())).",
))
ex2 = Exercise("02", 2, "ab_histogram", check_ab_histogram, hints=(
    "np.histogram2d(a, b, bins=bins, range=...) counts pairs of values; flatten ab to (N, 2) first.",
    "Use range=[(-128, 128), (-128, 128)] so every image gets the same bins, keep the counts "
    "(the first of the three results) and divide them by counts.sum().",
))
ex3 = Exercise("02", 3, "mean_object_ab", check_mean_object_ab, hints=(
    "The white background has a = b = 0 and would pull the mean towards gray: average over the object only.",
    "mask = metrics.foreground_mask(rgb); ab = color.rgb_to_lab(rgb)[..., 1:]; return ab[mask].mean(axis=0).",
))


# ------------------------------------------------ exercise 4: predict before you run
@checker
def check_whole_image_mean_b(whole_image_mean_b) -> bool:
    """Prediction: an object covering 25% of a white photo has mean b = 40; the whole image's mean b?"""
    return judge_number(whole_image_mean_b, "whole_image_mean_b", 10.0, tolerance=0.05, mistakes=(
        (40.0, "the white background counts too, with b = 0, and it covers 75% of the pixels."),
        (30.0, "the object covers 25% of the pixels, not 75%: 0.25 * 40."),
        (20.0, "not the average of 40 and 0: weight each by how many pixels it covers."),
    ), accepted="0.25 * 40 + 0.75 * 0 = 10: the background drags the colour towards gray -- hence the mask.",
       otherwise="Average over all pixels: 25% of them have b = 40, the rest (white) b = 0.")


ex4 = Exercise("02", 4, "whole_image_mean_b", check_whole_image_mean_b, hints=(
    "White has a = b = 0. A mean over all pixels weights each part by its share of the pixels.",
    "0.25 * 40 + 0.75 * 0.",
))
