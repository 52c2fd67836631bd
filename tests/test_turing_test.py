"""The Turing test's bookkeeping (fooling rate, interval, order) and its widget, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.errors import CourseError
from course_lib.semantic import wilson_interval
from course_lib.turing_test import TuringTest, TuringTestWidget


def _photos(n, value):
    return [np.full((8, 8, 3), value + i, np.uint8) for i in range(n)]


def test_each_pair_gives_one_trial_and_the_order_is_seeded():
    real, fake = _photos(12, 0), _photos(12, 100)
    a, b = TuringTest(real, fake, seed=3), TuringTest(real, fake, seed=3)
    assert len(a.trials) == 12
    assert [t.is_real for t in a.trials] == [t.is_real for t in b.trials]
    # every pair shows once, either its real or its colorized photo
    shown = sorted(int(t.image[0, 0, 0]) % 100 for t in a.trials)
    assert shown == list(range(12))
    for trial in a.trials:
        assert trial.is_real == (trial.image[0, 0, 0] < 100)
    assert 0 < sum(t.is_real for t in a.trials) < 12


def test_fooling_rate_counts_colorized_photos_called_real_with_wilson_interval():
    test = TuringTest(_photos(20, 0), _photos(20, 100), seed=1)
    fakes_seen = 0
    for trial in test.trials:
        if trial.is_real:
            test.answer("colorized")  # every real photo missed
        else:  # the first two colorized photos fool the learner, the rest do not
            test.answer("real" if fakes_seen < 2 else "colorized")
            fakes_seen += 1
    rate, low, high, n = test.fooling_rate()
    assert n == fakes_seen and rate == pytest.approx(2 / n)
    assert (low, high) == pytest.approx(wilson_interval(2, n))
    assert test.real_called_real() == (0.0, 20 - n)
    assert test.done and test.current is None
    assert f"Fooling rate: {2 / n:.0%} of {n} colorized photos called real" in test.summary()


def test_answering_real_to_everything_shows_in_the_second_number():
    test = TuringTest(_photos(10, 0), _photos(10, 100), seed=0)
    while not test.done:
        test.answer("real")
    assert test.fooling_rate()[0] == 1.0 and test.real_called_real()[0] == 1.0


def test_bad_answers_and_bad_input_say_what_to_do():
    test = TuringTest(_photos(2, 0), _photos(2, 100))
    with pytest.raises(CourseError, match="'real' or 'colorized'"):
        test.answer("fake")
    test.answer("real")
    test.answer("real")
    with pytest.raises(CourseError, match="answered already"):
        test.answer("real")
    with pytest.raises(CourseError, match="colorization of every real photo"):
        TuringTest(_photos(2, 0), _photos(3, 0))
    with pytest.raises(CourseError, match="at least one photo"):
        TuringTest([], [])


def test_no_answer_yet_is_not_a_rate():
    test = TuringTest(_photos(3, 0), _photos(3, 100))
    assert np.isnan(test.fooling_rate()[0])
    assert "no colorized photo answered yet" in test.summary()


def test_the_widget_shows_each_photo_and_ends_with_the_truth():
    test = TuringTest(_photos(4, 0), _photos(4, 100), labels=list("ABCD"), seed=2)
    widget = TuringTestWidget(test, size=64)
    assert bytes(widget.image.value).startswith(b"\x89PNG")
    widget.click("real")
    assert len(test.answers) == 1 and "1 of 4 answered" in widget.result.value
    for _ in range(3):
        widget.click("colorized")
    assert test.done and all(button.disabled for button in widget.buttons)
    assert "Done. The photos were:" in widget.result.value
    widget.click("real")  # a click after the end changes nothing
    assert len(test.answers) == 4
