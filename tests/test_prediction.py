"""A Prediction is committed before the measurement and compared with it, never with a fixed answer."""

from __future__ import annotations

import json

import pytest

from course_lib.checks.exercise import GRADE_FILE_ENV_VAR, Prediction


def _explain(predicted, measured_ratio):
    shows = "below" if measured_ratio < 1 else "above"
    print(f"you predicted {predicted!r} and the measurement shows {shows!r} ({measured_ratio:.2f})")
    return predicted == shows


@pytest.fixture
def exercise(tmp_path, monkeypatch):
    monkeypatch.setenv(GRADE_FILE_ENV_VAR, str(tmp_path / "grades.jsonl"))
    return Prediction("99", 1, "my_prediction", options=("below", "above"), explain=_explain)


def _verdicts(tmp_path):
    return [json.loads(line) for line in (tmp_path / "grades.jsonl").read_text().splitlines()]


def test_the_first_valid_prediction_before_the_measurement_earns_the_point(exercise, tmp_path, capsys):
    assert exercise.predict(None) is False  # the stub: no answer, the chance is not used
    assert exercise.predict("sideways") is False  # not an option: no answer either
    assert exercise.predict("above") is True
    assert exercise.predict("below") is False  # a second prediction does not replace the first
    assert exercise.predicted == "above" and exercise.credited
    out = capsys.readouterr().out
    assert "not one of the answers" in out and "stays 'above'" in out
    assert [v["answered"] for v in _verdicts(tmp_path)] == [False, False, True, True]


def test_reveal_compares_with_what_was_measured_and_a_wrong_prediction_keeps_its_point(exercise, capsys):
    exercise.predict("above")
    assert exercise.reveal(0.8) is False  # the measurement decides what is right, not a fixed answer
    assert "you predicted 'above' and the measurement shows 'below' (0.80)" in capsys.readouterr().out
    assert exercise.credited  # predicting before looking is the exercise; being right is the feedback
    other = Prediction("99", 2, "other", options=("below", "above"), explain=_explain)
    other.predict("above")
    assert other.reveal(1.1) is True


def test_a_prediction_after_the_reveal_earns_nothing(exercise, capsys):
    exercise.reveal(0.8)
    assert "no prediction recorded yet" in capsys.readouterr().out
    assert exercise.predict("below") is False
    assert not exercise.credited
    assert "after the measurement was revealed" in capsys.readouterr().out
