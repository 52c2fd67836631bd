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
from course_lib.checks.feedback import accept, as_float_array, checker, hint, judge_number, learner_answer, not_attempted, prediction_vs_measurement
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


def colourfulness_reference(ab: np.ndarray) -> float:
    """Mean chroma (distance from gray, sqrt(a**2 + b**2)) of ab values ``(N, 2)``: one course choice of many."""
    ab = np.asarray(ab, dtype=np.float64).reshape(-1, 2)
    return float(np.hypot(ab[:, 0], ab[:, 1]).mean())


def _rotate(ab: np.ndarray, degrees: float) -> np.ndarray:
    """ab values turned by ``degrees`` around gray: the same saturation, another hue."""
    t = np.deg2rad(degrees)
    return ab @ np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])


def _colour_cluster(chroma: float, hue_degrees: float, n: int = 400, seed: int = 0) -> np.ndarray:
    """``(n, 2)`` ab values around one colour of the given chroma and hue, with a little spread."""
    rng = np.random.default_rng(seed)
    t = np.deg2rad(hue_degrees)
    return np.array([chroma * np.cos(t), chroma * np.sin(t)]) + rng.normal(0.0, 3.0, size=(n, 2))


@checker
def check_colourfulness(colourfulness: Callable | None) -> bool:
    """Check ``colourfulness(ab) -> number``: 0 for gray, larger for more saturated colour, any hue alike."""
    if colourfulness is None:
        return not_attempted("colourfulness")

    def measure(ab: np.ndarray, what: str) -> float | None:
        ok, got = learner_answer(colourfulness, "colourfulness", ab.copy(), explain=lambda exc: (
            f"calling colourfulness on {what} (ab values of shape {ab.shape}) raised {type(exc).__name__}: {exc}"))
        if not ok:
            return None
        value = as_float_array(got)
        if value is None or value.size != 1 or not np.isfinite(value):
            hint(f"return one finite number for {what}; got {got!r}")
            return None
        return float(value)

    faint, vivid = _colour_cluster(15.0, 40.0), _colour_cluster(60.0, 40.0, seed=1)
    values = {}
    for what, ab in (("a gray object", np.zeros((300, 2))), ("a faint orange", faint),
                     ("a vivid orange", vivid), ("the vivid orange turned to green", _rotate(vivid, 150.0)),
                     ("the vivid orange turned to blue", _rotate(vivid, 230.0)),
                     ("half vivid red, half vivid green",
                      np.concatenate([_colour_cluster(60.0, 0.0, 200, 2), _colour_cluster(60.0, 180.0, 200, 3)]))):
        value = measure(ab, what)
        if value is None:
            return False
        values[what] = value
    gray, scale = values["a gray object"], abs(values["a vivid orange"]) + 1e-12
    if abs(gray) > 0.02 * scale:
        return hint(f"a gray object (every a = b = 0) scores {gray:.3g}, a vivid orange {values['a vivid orange']:.3g}: "
                    "gray has no colour, so it should score 0")
    if not values["a vivid orange"] > 1.2 * values["a faint orange"] > 0:
        return hint(f"a faint orange scores {values['a faint orange']:.3g} and a vivid one "
                    f"{values['a vivid orange']:.3g}: the more saturated colour (farther from gray) must score "
                    "clearly higher")
    for turned in ("the vivid orange turned to green", "the vivid orange turned to blue"):
        if abs(values[turned] - values["a vivid orange"]) > 0.05 * scale:
            return hint(f"a vivid orange scores {values['a vivid orange']:.3g} but {turned} {values[turned]:.3g}: "
                        "same saturation, another hue. Colourfulness must not prefer red or yellow (a or b on "
                        "its own, or their sum, does): measure how far each colour is from gray")
    mixed = values["half vivid red, half vivid green"]
    if mixed < 0.5 * values["a vivid orange"]:
        return hint(f"half vivid red and half vivid green scores {mixed:.3g}, almost like gray: the mean "
                    "colour of red and green is gray, but every pixel is vivid. Measure each pixel's distance "
                    "from gray first, then summarise (mean, median...)")
    return accept(f"gray scores {gray:.2g}, faint orange {values['a faint orange']:.3g}, vivid orange "
                  f"{values['a vivid orange']:.3g}, whatever the hue, and red mixed with green stays vivid: "
                  "a colourfulness you can rank categories with.")


# ------------------------------------------------------------------ the exercises
from course_lib.checks.exercise import Exercise  # noqa: E402  (declared after the checkers they wrap)

ex1 = Exercise("02", 1, "count_per_category", check_count_per_category, hints=(
    "Every record has a .category; count how often each one occurs.",
    "collections.Counter(r.category for r in records) counts them; return dict(sorted(counter.items())).",
))
ex2 = Exercise("02", 2, "ab_histogram", check_ab_histogram, hints=(
    "Flatten ab to (N, 2) pairs first. NumPy has a function that counts pairs of values on a 2-D grid of bins: "
    "np.histogram2d.",
    "np.histogram2d(a, b, bins=bins, range=...) returns (counts, a_edges, b_edges). Use the same range for every "
    "image, range=[(-128, 128), (-128, 128)], so the bins do not move with the data.",
    "counts, _, _ = np.histogram2d(ab[:, 0], ab[:, 1], bins=bins, range=[(-128, 128), (-128, 128)]); "
    "return counts / counts.sum().",
))
ex3 = Exercise("02", 3, "colourfulness", check_colourfulness, hints=(
    "Saturation is how far a colour is from gray, the centre (0, 0) of the ab plane, in whatever direction.",
    "Take each pixel's distance from gray first (np.hypot(a, b), its chroma), then summarise the pixels with "
    "one number. Averaging a and b first would let red and green cancel out.",
    "return float(np.hypot(ab[:, 0], ab[:, 1]).mean())  (the median or another percentile works as well).",
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


# ------------------------------------- exercise 5: predict, then measure, how much of NCD is gray
#: The answers of exercise 5, as shares of all pixels within GRAY_RADIUS of gray (upper bounds of each).
GRAY_SHARE_OPTIONS = ("under a quarter", "a quarter to a half", "half to three quarters", "over three quarters")
#: LAB units from gray (a = b = 0) within which a pixel counts as nearly gray (exercise 2 of notebook 01).
GRAY_RADIUS = 10.0


def gray_share_bucket(share: float) -> str:
    """The answer of :data:`GRAY_SHARE_OPTIONS` that a measured share in [0, 1] falls in."""
    return GRAY_SHARE_OPTIONS[min(int(float(share) * 4), 3)]


def explain_gray_share(predicted: str | None, share: float, background_share: float) -> bool:
    """Compare the prediction with the measured shares of nearly gray pixels and of background pixels."""
    measured = gray_share_bucket(share)
    shown = (f"{share:.0%} of the pixels lie within {GRAY_RADIUS:g} units of gray; "
             f"{background_share:.0%} are white background")
    why = ("the white background alone covers that much, and many objects (a pale potato, a dark aubergine, a "
           "white cauliflower) are nearly gray too" if share >= 0.5 else
           "on these images the objects fill more of the frame than on a typical NCD photo")
    return prediction_vs_measurement(predicted, measured, shown, f"{why}. A model trained on every pixel meets "
                                     "nearly gray far more often than any colour.")


from course_lib.checks.exercise import Prediction  # noqa: E402

ex5 = Prediction("02", 5, "my_prediction", GRAY_SHARE_OPTIONS, explain_gray_share, hints=(
    "Look at the photos above: how much of each frame is white background? White is gray (a = b = 0).",
    "Add the nearly gray parts of the objects to the background. Any of the four answers earns the point if you "
    "commit before measuring; the measurement tells you how close you were.",
))
