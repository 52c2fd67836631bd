"""Help on demand for every exercise, Kaggle Learn style: ``check()``, ``hint()``, ``solution()``.

A checks module declares its notebook's exercises at its end, wrapping its checkers::

    ex1 = Exercise("01", 1, "split_l_ab", check_split_l_ab, hints=("a first nudge", "a more specific one"))

and the notebook's check cell reads ``ex1.check(split_l_ab)``. ``ex1.hint()`` prints the first
hint, each further call a more specific one; ``ex1.solution()`` prints the reference answer: the
``### BEGIN SOLUTION`` block of the notebook's text source (``notebooks/NN_name.py``) that
defines ``name``.

Two environment variables, read here and nowhere else:

``COURSE_HIDE_SOLUTIONS=1``
    the instructor's switch for graded work: ``solution()`` says solutions are off (hints stay).
``COURSE_GRADE_FILE=path``
    every ``check()`` appends its verdict to ``path`` as one JSON line (notebook, exercise, name,
    passed, answered, prediction, the checker's message, hints used, solution viewed).
    ``python -m course_lib grade`` sets it for each kernel and reads it back (:mod:`course_lib.course.grading`).

A *prediction* (or decision) exercise -- its checker's docstring starts ``Prediction:`` or
``Decision:`` -- counts once: its grade is the verdict on the learner's *first* answer
(:attr:`Exercise.credited`); later checks still print their feedback. Checks of an untouched stub
(``None``, "not attempted") are no answer and do not use that one chance.

A prediction whose answer depends on what this kernel measures (a model's colourfulness, which
recipe wins) is a :class:`Prediction`: the learner commits to an answer *before* the measuring
cell runs (``ex3.predict(my_prediction)``), and after it ``ex3.reveal(measured)`` compares the
answer with the measurement: "you predicted X and the measurement shows X", or "... shows Y,
because ...". It is never checked against a fixed answer that a fast run or a toy model could
contradict: the point is earned by predicting before looking; being right is the feedback.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Callable

from course_lib import config
from course_lib.exercise_cells import solution_defining

HIDE_SOLUTIONS_ENV_VAR = "COURSE_HIDE_SOLUTIONS"
GRADE_FILE_ENV_VAR = "COURSE_GRADE_FILE"
#: notebook number -> the module of course_lib.checks that declares its exercises
CHECK_MODULES = {"00": "welcome", "01": "lab_color", "02": "exploring", "03": "autoencoder",
                 "04": "training", "05": "metrics", "06": "results",
                 "07": "classification", "08": "colour_hints", "09": "adversarial"}
_REGISTRY: dict[str, dict[int, "Exercise"]] = {}
#: How a checker's docstring starts when its exercise is a prediction or a decision (it counts once).
PREDICTION_PREFIXES = ("Prediction:", "Decision:")
#: How :func:`course_lib.checks.feedback.not_attempted` starts: such a check is no answer yet.
NOT_ATTEMPTED_MARK = "⏳ not attempted"


class _Tee(io.TextIOBase):
    """Write to the real output and keep a copy (the checker's message, for the verdict record)."""

    def __init__(self, out):
        self.out, self.copy = out, io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


def solutions_hidden() -> bool:
    """True when the instructor switched solutions off (``COURSE_HIDE_SOLUTIONS=1``)."""
    return os.environ.get(HIDE_SOLUTIONS_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def exercises(notebook: str) -> list["Exercise"]:
    """The exercises of notebook ``notebook`` (``"01"``), in order."""
    module = CHECK_MODULES.get(notebook)
    if module is not None:
        importlib.import_module(f"course_lib.checks.{module}")  # declaring them registers them
    return [ex for _, ex in sorted(_REGISTRY.get(notebook, {}).items())]


def solution_source(notebook: str, name: str, folder: Path | None = None) -> str | None:
    """The SOLUTION block of ``notebooks/<notebook>_*.py`` that defines ``name``, or None."""
    folder = Path(folder) if folder is not None else config.REPO_ROOT / "notebooks"
    for source in sorted(folder.glob(f"{notebook}_*.py")):
        block = solution_defining(source.read_text(encoding="utf-8"), name)
        if block is not None:
            return block
    return None


class Exercise:
    """One exercise: its checker, graded hints, the reference solution, and the verdict record."""

    def __init__(self, notebook: str, number: int, name: str, check: Callable[..., bool],
                 hints: tuple[str, ...] = (), prediction: bool | None = None):
        self.notebook, self.number, self.name = notebook, number, name
        self._check, self.hints = check, tuple(hints)
        #: True: graded on the first answer (default: the checker's docstring says Prediction:/Decision:)
        self.prediction = (prediction if prediction is not None
                           else (check.__doc__ or "").lstrip().startswith(PREDICTION_PREFIXES))
        self.hints_used = 0
        self.solution_viewed = False
        self.passed: bool | None = None  # None until checked: the last verdict
        self.first_answer_passed: bool | None = None  # the verdict on the first answer (not a stub)
        _REGISTRY.setdefault(notebook, {})[number] = self

    def __repr__(self) -> str:
        return f"<exercise {self.number} of notebook {self.notebook}: {self.name}>"

    @property
    def credited(self) -> bool:
        """Whether this exercise earns its point: the first answer's verdict for a prediction, else the last."""
        return bool(self.first_answer_passed if self.prediction else self.passed)

    def check(self, *answer) -> bool:
        """Run the checker on the learner's answer; print and record the verdict; never raises."""
        tee = _Tee(sys.stdout)
        with contextlib.redirect_stdout(tee):
            self.passed = bool(self._check(*answer))
        message = tee.copy.getvalue().strip()
        answered = not message.startswith(NOT_ATTEMPTED_MARK)
        if answered and self.first_answer_passed is None:
            self.first_answer_passed = self.passed
        elif answered and self.prediction:
            print(f"(a prediction counts once: your first answer was "
                  f"{'accepted' if self.first_answer_passed else 'not accepted'}, and that is what a grade uses; "
                  "this check is feedback.)")
        self._record(message, answered)
        return self.passed

    def hint(self) -> None:
        """Print the next hint: each call is more specific than the one before."""
        if not self.hints:
            print(f"💡 no hint for this one; ex{self.number}.solution() shows an answer.")
            return
        index = min(self.hints_used, len(self.hints) - 1)
        self.hints_used = min(self.hints_used + 1, len(self.hints))
        last = index == len(self.hints) - 1
        more = ("that was the last hint; " + ("ask your instructor." if solutions_hidden()
                                              else f"ex{self.number}.solution() shows an answer.")
                if last else f"call ex{self.number}.hint() again for a more specific one.")
        print(f"💡 hint {index + 1}/{len(self.hints)}: {self.hints[index]}\n   ({more})")

    def solution(self) -> None:
        """Print the reference answer, unless the instructor switched solutions off."""
        if solutions_hidden():
            print(f"🔒 solutions are switched off for this course ({HIDE_SOLUTIONS_ENV_VAR}=1): this work is "
                  f"graded. ex{self.number}.hint() still gives hints.")
            return
        code = solution_source(self.notebook, self.name)
        if code is None:
            print(f"the solution of `{self.name}` is not available here (it lives in the course's "
                  f"notebooks/{self.notebook}_*.py).")
            return
        self.solution_viewed = True
        print(f"One way to write it (run it, then ex{self.number}.check(...) again):\n\n{code}")

    def _record(self, message: str, answered: bool) -> None:
        path = os.environ.get(GRADE_FILE_ENV_VAR)
        if not path:
            return
        verdict = {"notebook": self.notebook, "exercise": self.number, "name": self.name, "passed": self.passed,
                   "answered": answered, "prediction": self.prediction, "message": message,
                   "hints": self.hints_used, "solution_viewed": self.solution_viewed}
        try:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(verdict) + "\n")
        except OSError as exc:  # grading still goes on; this exercise then counts as not passed
            print(f"note: could not record the verdict in {path} ({exc})")


class Prediction(Exercise):
    """A prediction checked against what this kernel measures, not against a fixed answer.

    ``predict(answer)`` records the learner's first valid answer, made before the measurement;
    ``reveal(*measured)`` runs ``explain(predicted, *measured)``, which prints what the measurement
    shows and why, and returns whether the prediction matched. The exercise earns its point when a
    valid prediction was recorded before the first reveal (graded on the first answer, like every
    prediction). A prediction made after a reveal is feedback only.

    Parameters
    ----------
    options : tuple of str
        The answers a learner can give (``predict`` refuses anything else, without using the chance).
    explain : callable
        ``explain(predicted, *measured) -> bool``: prints the comparison, returns whether they agree
        (``predicted`` is None when the learner revealed without predicting).
    """

    def __init__(self, notebook: str, number: int, name: str, options: tuple[str, ...],
                 explain: Callable[..., bool], hints: tuple[str, ...] = ()):
        self.options, self.explain = tuple(options), explain
        self.predicted: str | None = None
        self.revealed = False
        self.matched: bool | None = None
        super().__init__(notebook, number, name, self._check_prediction, hints=hints, prediction=True)

    def _check_prediction(self, answer) -> bool:
        choices = ", ".join(map(repr, self.options))
        if answer is None or answer not in self.options:  # no answer yet: the one chance is not used
            given = "still None" if answer is None else f"{answer!r}, which is not one of the answers"
            print(f"{NOT_ATTEMPTED_MARK} yet: `{self.name}` is {given}. Set it to one of {choices} and run this "
                  "cell again, before the measurement.")
            return False
        if self.predicted is None and not self.revealed:
            self.predicted = answer
            print(f"📌 prediction recorded: {answer!r}. Now run the measurement below; ex{self.number}.reveal(...) "
                  "then compares it with what you measured.")
            return True
        if self.predicted is None:
            self.predicted = answer
            print(f"📌 recorded {answer!r}, after the measurement was revealed: that is feedback, not a prediction "
                  "(it earns no point).")
            return False
        print(f"📌 your prediction stays {self.predicted!r}: a prediction is made once, before measuring.")
        return self.predicted == answer

    def predict(self, answer) -> bool:
        """Record the learner's prediction (the first valid one made before a reveal counts)."""
        return self.check(answer)

    def reveal(self, *measured) -> bool | None:
        """Compare the recorded prediction with ``measured``; print what the measurement shows and why."""
        self.revealed = True
        if self.predicted is None:
            print(f"⏳ no prediction recorded yet: set `{self.name}` and run ex{self.number}.predict({self.name}) "
                  "first. Here is what you measured:")
        self.matched = bool(self.explain(self.predicted, *measured))
        return self.matched
