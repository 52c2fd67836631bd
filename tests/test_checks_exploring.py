"""The checks of notebook 02 accept the instructors' solutions and catch typical mistakes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from course_lib.checks import exploring as checks
from conftest import load_solutions


solutions = load_solutions("02_exploring_ncd")


@pytest.mark.parametrize("check, solution", [
    (checks.check_count_per_category, solutions.count_per_category),
    (checks.check_ab_histogram, solutions.ab_histogram),
    (checks.check_colourfulness, solutions.colourfulness),
])
def test_solution_accepted(capsys, check, solution):
    assert check(solution) is True
    assert "accepted" in capsys.readouterr().out


@pytest.mark.parametrize("check", [checks.check_count_per_category, checks.check_ab_histogram,
                                   checks.check_colourfulness])
def test_stub_and_none_get_a_reminder(capsys, check):
    assert check(None) is False
    assert check(lambda *args: None) is False
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda records: dict(Counter(r.category for r in records)), "sort the categories"),
    (lambda records: {r.relpath: 1 for r in records}, "the keys are files"),
    (lambda records: {c: 1 for c in sorted({r.category for r in records})}, "every count is 1"),
    (lambda records: [r.category for r in records], "return a dict"),
])
def test_count_per_category_typical_mistakes(capsys, wrong, hint):
    assert checks.check_count_per_category(wrong) is False
    assert hint in capsys.readouterr().out


def _hist(normalise=True, transpose=False, fixed_range=True):
    def ab_histogram(ab, bins=32):
        ab = np.asarray(ab).reshape(-1, 2)
        rng = [(-128, 128), (-128, 128)] if fixed_range else None
        counts, _, _ = np.histogram2d(ab[:, 0], ab[:, 1], bins=bins, range=rng)
        counts = counts.T if transpose else counts
        return counts / counts.sum() if normalise else counts
    return ab_histogram


@pytest.mark.parametrize("wrong, hint", [
    (_hist(normalise=False), "raw counts"),
    (_hist(transpose=True), "swapped"),
    (_hist(fixed_range=False), "same range"),
])
def test_ab_histogram_typical_mistakes(capsys, wrong, hint):
    assert checks.check_ab_histogram(wrong) is False
    assert hint in capsys.readouterr().out


def test_ab_histogram_reference_is_normalised_and_puts_a_on_rows():
    ab = np.array([[100.0, -100.0]] * 5)  # a high, b low: bottom-left of a (rows) x b (columns)
    hist = checks.ab_histogram_reference(ab, bins=4)
    assert hist.sum() == pytest.approx(1.0) and hist[3, 0] == pytest.approx(1.0)


def _chroma(ab):
    ab = np.asarray(ab, dtype=np.float64).reshape(-1, 2)
    return np.sqrt(ab[:, 0] ** 2 + ab[:, 1] ** 2)


@pytest.mark.parametrize("other", [
    lambda ab: np.median(_chroma(ab)),                      # a robust summary
    lambda ab: float(np.sqrt((np.asarray(ab) ** 2).sum(axis=-1).mean())),  # root mean square chroma
    lambda ab: np.percentile(_chroma(ab), 90),              # the vivid end
    lambda ab: _chroma(ab).mean() / 128,                    # another scale
])
def test_colourfulness_accepts_any_statistic_with_the_properties(capsys, other):
    assert checks.check_colourfulness(other) is True
    assert "accepted" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda ab: float(np.hypot(*np.asarray(ab).reshape(-1, 2).mean(axis=0))), "red and green"),
    (lambda ab: float(np.asarray(ab)[..., 0].mean()), "must not prefer"),
    (lambda ab: float(np.asarray(ab).sum(axis=-1).mean()), "must not prefer"),
    (lambda ab: _chroma(ab).mean() + 10, "should score 0"),
    (lambda ab: -_chroma(ab).mean(), "score clearly higher"),
    (lambda ab: "vivid", "one finite number"),
    (lambda ab: ab[0, 5], "raised IndexError"),
])
def test_colourfulness_typical_mistakes(capsys, wrong, hint):
    assert checks.check_colourfulness(wrong) is False
    assert hint in capsys.readouterr().out


def test_gray_share_prediction_is_judged_against_the_measurement(capsys):
    prediction = checks.Prediction("99", 1, "my_prediction", checks.GRAY_SHARE_OPTIONS, checks.explain_gray_share)
    assert prediction.predict("half to three quarters") is True
    assert prediction.reveal(0.61, 0.48) is True
    assert ("you predicted 'half to three quarters' and the measurement shows 'half to three quarters' (61%"
            in capsys.readouterr().out)
    other = checks.Prediction("99", 2, "my_prediction", checks.GRAY_SHARE_OPTIONS, checks.explain_gray_share)
    assert other.predict("under a quarter") is True  # the point: committed before measuring
    assert other.reveal(0.61, 0.48) is False
    out = capsys.readouterr().out
    assert "shows 'half to three quarters' (61%" in out and "because" in out and "white background" in out
    assert [checks.gray_share_bucket(x) for x in (0.0, 0.3, 0.5, 0.99, 1.0)] == [
        "under a quarter", "a quarter to a half", "half to three quarters", "over three quarters",
        "over three quarters"]


def test_example_object_is_orange():
    a, b = checks.mean_object_ab_reference(checks.example_object_image())
    assert a > 10 and b > 40  # red-ish and strongly yellow


def test_ab_histogram_density_is_told_counts_not_density(capsys):
    def density(ab, bins=32):
        ab = np.asarray(ab).reshape(-1, 2)
        return np.histogram2d(ab[:, 0], ab[:, 1], bins=bins, range=[(-128, 128), (-128, 128)], density=True)[0]

    assert checks.check_ab_histogram(density) is False
    out = capsys.readouterr().out
    assert "density=True" in out and "counts" in out
