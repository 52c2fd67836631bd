"""A colorization Turing test for one learner (notebook 09): real or colorized?

Zhang, Isola and Efros (ECCV 2016, §3.1) showed people a real photo and a colorized one and asked
which was real; their colorizations were picked on 32 % of trials. Here a photo is shown alone, real
or colorized in random order, and the learner answers "real" or "colorized". The **fooling rate** is
the share of colorized photos the learner called real, with Wilson's 95 % interval
(:func:`course_lib.semantic.wilson_interval`): with a handful of photos it is wide, and saying so is
the point. The share of real photos called real is reported beside it: a learner who answers "real"
to everything is fooled every time, and that second number shows it.

:class:`TuringTest` is the bookkeeping (plain Python, tested alone); :class:`TuringTestWidget` shows
it with standard ipywidgets (an ``Image``, two buttons, a result line marked ``.turing-result``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from course_lib.errors import CourseError
from course_lib.semantic import wilson_interval

#: The two answers, as the buttons read.
ANSWERS = ("real", "colorized")


@dataclass(frozen=True)
class Trial:
    """One photo of the test: its pixels, whether it is the real one, and its category (for the record)."""

    image: np.ndarray
    is_real: bool
    label: str = ""


class TuringTest:
    """A shuffled deck of real and colorized photos, and the learner's answers.

    Parameters
    ----------
    real, colorized : sequence of ndarray
        RGB uint8 photos; ``colorized[i]`` is the colorization of ``real[i]``. Each pair contributes
        ONE trial, the real or the colorized photo (chosen at random): the same scene twice would let a
        learner answer by comparing.
    labels : sequence of str, optional
        A name per pair (e.g. its category).
    seed : int

    Raises
    ------
    CourseError
        No photos, or the two lists of different lengths.
    """

    def __init__(self, real, colorized, labels=None, seed: int = 0):
        if len(real) != len(colorized):
            raise CourseError(f"{len(real)} real and {len(colorized)} colorized photos: give the colorization of "
                              "every real photo")
        if not len(real):
            raise CourseError("a Turing test needs at least one photo")
        labels = list(labels) if labels is not None else [""] * len(real)
        rng = np.random.default_rng(seed)
        show_real = rng.random(len(real)) < 0.5
        order = rng.permutation(len(real))
        self.trials = [Trial(np.asarray(real[i] if show_real[i] else colorized[i]), bool(show_real[i]), labels[i])
                       for i in order]
        self.answers: list[str] = []

    @property
    def done(self) -> bool:
        return len(self.answers) == len(self.trials)

    @property
    def current(self) -> Trial | None:
        """The trial waiting for an answer (None when all are answered)."""
        return None if self.done else self.trials[len(self.answers)]

    def answer(self, guess: str) -> bool:
        """Record the answer to the current trial; True when it was right.

        Raises
        ------
        CourseError
            An answer other than ``"real"`` or ``"colorized"``, or none left to answer.
        """
        if guess not in ANSWERS:
            raise CourseError(f"answer {guess!r}: use 'real' or 'colorized'")
        if self.done:
            raise CourseError("every photo is answered already: make a new TuringTest to play again")
        self.answers.append(guess)
        return (guess == "real") == self.trials[len(self.answers) - 1].is_real

    def _called_real(self, is_real: bool) -> tuple[int, int]:
        pairs = [(t, a) for t, a in zip(self.trials, self.answers) if t.is_real == is_real]
        return sum(a == "real" for _, a in pairs), len(pairs)

    def fooling_rate(self) -> tuple[float, float, float, int]:
        """``(rate, low, high, n)``: colorized photos called real, of the ``n`` answered, with Wilson's 95 %
        interval. NaN while no colorized photo is answered."""
        fooled, n = self._called_real(False)
        if n == 0:
            return float("nan"), float("nan"), float("nan"), 0
        low, high = wilson_interval(fooled, n)
        return fooled / n, low, high, n

    def real_called_real(self) -> tuple[float, int]:
        """``(share, n)``: real photos called real (NaN while none is answered)."""
        called, n = self._called_real(True)
        return (called / n if n else float("nan")), n

    def summary(self) -> str:
        """One line: answers so far, the fooling rate with its interval, and the real photos called real."""
        rate, low, high, n = self.fooling_rate()
        share, n_real = self.real_called_real()
        text = f"{len(self.answers)} of {len(self.trials)} answered. "
        if n:
            text += (f"Fooling rate: {rate:.0%} of {n} colorized photos called real (95% interval "
                     f"{low:.0%}-{high:.0%}; Zhang et al. 2016: 32%). ")
        else:
            text += "Fooling rate: no colorized photo answered yet. "
        if n_real:
            text += f"Real photos called real: {share:.0%} of {n_real}."
        return text


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


class TuringTestWidget:
    """The test on screen: the current photo, "real" and "colorized" buttons, and the running result.

    ``display(widget.box)`` shows it. Each click records an answer and shows the next photo; the
    result line (``.turing-result``) gives :meth:`TuringTest.summary`, and at the end what each photo
    was.
    """

    def __init__(self, test: TuringTest, size: int = 256):
        import ipywidgets as widgets

        self.test = test
        # Every photo the same width, its height from its own shape (a fixed square would stretch it).
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{size}px", height="auto"))
        self.image.add_class("turing-photo")
        self.buttons = []
        for answer in ANSWERS:
            button = widgets.Button(description=answer, tooltip=f"this photo is {answer}")
            button.add_class(f"turing-{answer}")
            button.on_click(lambda _button, answer=answer: self.click(answer))
            self.buttons.append(button)
        self.result = widgets.HTML()
        self.result.add_class("turing-result")
        self.box = widgets.VBox([self.image, widgets.HBox(self.buttons), self.result])
        self._show()

    def click(self, answer: str) -> None:
        """What a click on a button does (also callable from code)."""
        if self.test.done:
            return
        self.test.answer(answer)
        self._show()

    def _show(self) -> None:
        trial = self.test.current
        if trial is not None:
            self.image.value = _png(trial.image)
        else:
            for button in self.buttons:
                button.disabled = True
        text = self.test.summary()
        if self.test.done:
            truth = ", ".join(f"{t.label or i + 1}: {'real' if t.is_real else 'colorized'}"
                              for i, t in enumerate(self.test.trials))
            text += f" Done. The photos were: {truth}."
        self.result.value = f"<b>{text}</b>"


__all__ = ["ANSWERS", "Trial", "TuringTest", "TuringTestWidget"]
