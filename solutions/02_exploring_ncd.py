"""Solutions to the exercises of notebooks/02_exploring_ncd.ipynb (for instructors).

Each function is what a learner writes in the exercise cell of the same name; the
matching check in :mod:`course_lib.checks.exploring` accepts it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from course_lib import color
from course_lib.metrics import foreground_mask


# Exercise 1 -- images per category
def count_per_category(records):
    """``{category: number of images}``, categories sorted by name."""
    counts = Counter(record.category for record in records)
    return {category: counts[category] for category in sorted(counts)}


# Exercise 2 -- which colours occur
def ab_histogram(ab, bins=32):
    """Normalised ``(bins, bins)`` histogram of ab values over [-128, 128] (a rows, b columns)."""
    ab = np.asarray(ab).reshape(-1, 2)
    # A fixed range: the same bins for every image and category, so histograms compare.
    counts, _, _ = np.histogram2d(ab[:, 0], ab[:, 1], bins=bins, range=[(-128, 128), (-128, 128)])
    return counts / counts.sum()


# Exercise 3 -- the object's colour, not the background's
def mean_object_ab(rgb):
    """Mean ``(a, b)`` over the pixels that are not white background, shape (2,)."""
    ab = color.rgb_to_lab(rgb)[..., 1:]
    return ab[foreground_mask(rgb)].mean(axis=0)
