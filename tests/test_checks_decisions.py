"""The prediction/decision exercises with a fixed right answer (arithmetic, or a rule): the answer is accepted,
typical wrong answers get the hint that names them, and nothing raises. Predictions compared with the
kernel's measurement (course_lib.checks.exercise.Prediction) are tested with their notebooks' checks
(notebooks 02, 04 and 06-08)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.checks import autoencoder, exploring, lab_color, metrics, welcome

CASES = [  # (checker, right answers, [(wrong answer, words of its hint)])
    (lab_color.check_kept_fraction, [1 / 64, 0.0156], [(1 / 8, "one* side"), (63 / 64, "thrown away")]),
    (exploring.check_whole_image_mean_b, [10, 10.0], [(40, "background counts too"), (30, "25%")]),
    (autoencoder.check_blocks_to_unfreeze, [[5], (4, 5), [5, 4], []],
     [([1, 2, 3, 4, 5], "memorise"), ([3, 4, 5], "at most"), ([1], "generic")]),
    (metrics.check_range_inflation_db, [24.1, 20 * math.log10(4095 / 255)],
     [(12.04, "20 log10"), (16.06, "ratio"), (-24.1, "sign")]),
    (welcome.check_predicted_fraction, [0.01, 1 / 100],
     [(0.1, "one* side"), (2 * 48 * 48 / (3 * 480 * 480), "L channel too"), (0.99, "fills in")]),
]


@pytest.mark.parametrize("check, rights, wrongs", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_decisions(check, rights, wrongs, capsys):
    for right in rights:
        assert check(right) is True, right
    assert "accepted" in capsys.readouterr().out
    for wrong, words in wrongs:
        assert check(wrong) is False
        assert words in capsys.readouterr().out
    assert check(None) is False and "not attempted" in capsys.readouterr().out
    for odd in ("text", np.zeros(3), {"a": 1}, float("nan"), object()):
        assert check(odd) is False
        assert "not yet" in capsys.readouterr().out
