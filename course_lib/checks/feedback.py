"""What every exercise checker prints, and how it calls the learner's code safely.

The checkers in :mod:`course_lib.checks` share one voice: an answer is either
*accepted*, *not yet* right (with a hint naming the likely mistake) or *not attempted*
(the stub still returns ``None``). Each of those prints one line and returns the verdict
as ``True``/``False``, so a checker can simply ``return hint("...")``.

The learner's function is only ever called through :func:`call_safely` (or
:func:`learner_answer`, which also recognises an untouched stub): a crash in the
learner's code becomes a hint, never a traceback, so a notebook always runs top to bottom.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from typing import Any, Callable

import numpy as np


def accept(message: str) -> bool:
    """Print ``✅ accepted: <message>`` and return ``True``."""
    print(f"✅ accepted: {message}")
    return True


def hint(message: str) -> bool:
    """Print ``❌ not yet: <message>`` (the likely mistake and how to fix it) and return ``False``."""
    print(f"❌ not yet: {message}")
    return False


def prediction_vs_measurement(predicted, measured, shows: str, why: str) -> bool:
    """Print how a prediction compares with what this kernel measured; True when they agree.

    One sentence for every :class:`course_lib.checks.exercise.Prediction`: "you predicted X and the
    measurement shows Y (what was measured), because ...", or the measurement alone when the learner
    made no prediction. ``shows`` says what was measured, ``why`` explains the result.
    """
    if predicted is None:
        print(f"You made no prediction. The measurement shows {measured!r} ({shows}): {why}")
    elif predicted == measured:
        print(f"✅ you predicted {predicted!r} and the measurement shows {measured!r} ({shows}): {why}")
    else:
        print(f"📏 you predicted {predicted!r} and the measurement shows {measured!r} ({shows}), because {why}")
    return predicted is not None and predicted == measured


def not_attempted(name: str) -> bool:
    """Remind the learner that the stub ``name`` still returns ``None``; return ``False``."""
    print(f"⏳ not attempted yet: `{name}` still returns None. Replace the `None` in the exercise cell "
          "with your code, run the cell, then run this check again.")
    return False


def call_safely(fn: Callable, *args, explain: Callable[[Exception], str | None] | None = None) -> tuple[bool, Any]:
    """Call the learner's ``fn(*args)``; return ``(ok, value)``.

    When ``fn`` raises, a hint naming the arguments and the exception is printed and
    ``(False, None)`` is returned: the learner's code may raise anything, and the check
    reports it instead of re-raising. ``explain(exc)``, when given, may return a better
    hint for an exception it recognises (``None``: the generic one).
    """
    try:
        return True, fn(*args)
    except Exception as exc:  # the learner's code may raise anything; report it, never re-raise
        better = explain(exc) if explain is not None else None
        hint(better or f"calling it with {args!r} raised {type(exc).__name__}: {exc}")
        return False, None


def learner_answer(fn: Callable, name: str, *args,
                   explain: Callable[[Exception], str | None] | None = None) -> tuple[bool, Any]:
    """:func:`call_safely`, and an answer of ``None`` counts as not attempted.

    Returns ``(True, value)`` when there is an answer to judge. Otherwise the reason has
    already been printed (the crash as a hint, or the not-attempted reminder for ``name``)
    and ``(False, None)`` is returned, so the checker just returns ``False``.
    """
    ok, value = call_safely(fn, *args, explain=explain)
    if not ok:
        return False, None
    if value is None:
        not_attempted(name)
        return False, None
    return True, value


def as_float_array(value) -> np.ndarray | None:
    """``value`` as a float64 array, or ``None`` when it is not numbers (a string, a dict...)."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


@contextlib.contextmanager
def float32_policy():
    """Within the block, Keras builds float32 models whatever the global dtype policy; the policy
    found is back afterwards.

    A training run with mixed precision (``mixed_float16``) in the same kernel must not turn the
    checkers' reference models into float16 ones: their values would then miss the tolerances
    that judge a correct answer. Without Keras imported the policy is float32 anyway.
    """
    keras = sys.modules.get("keras")
    if keras is None or not hasattr(keras, "config"):
        yield
        return
    found = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(found)


def checker(check: Callable[..., bool]) -> Callable[..., bool]:
    """Decorator for a ``check_*`` function: whatever answer it is given, it never raises, and it
    runs under a float32 policy (:func:`float32_policy`), so every model it builds, the reference
    included, is float32.

    Learners return surprising things (an array where a string was expected, a
    generator...). When judging such an answer trips the checker itself, the learner
    gets a hint naming what was returned instead of a traceback.
    """

    @functools.wraps(check)
    def safe_check(*args, **kwargs) -> bool:
        try:
            with float32_policy():
                return bool(check(*args, **kwargs))
        except Exception as exc:  # a checker bug must not stop the notebook; say what happened
            return hint(f"your answer could not be checked ({type(exc).__name__}: {exc}). "
                        "Compare its type and shape with what the exercise asks for.")

    return safe_check


def judge_number(answer, name: str, want: float, *, tolerance: float, mistakes: tuple = (),
                 accepted: str = "", otherwise: str = "") -> bool:
    """Judge a prediction answered with one number: ``mistakes`` is ``((wrong value, hint), ...)``."""
    if answer is None:
        return not_attempted(name)
    value = as_float_array(answer)
    if value is None or value.size != 1 or not np.isfinite(value):
        return hint(f"answer with one number, e.g. `{name} = 0.5`; got {answer!r}")
    value = float(value)
    if abs(value - want) <= tolerance:
        return accept(accepted or f"{name} = {value:g}.")
    for wrong, message in mistakes:
        if abs(value - wrong) <= tolerance:
            return hint(message)
    return hint(f"{name} = {value:g} is not it. {otherwise}".strip())


def judge_choice(answer, name: str, want, *, mistakes: dict | None = None, accepted: str = "",
                 otherwise: str = "") -> bool:
    """Judge a prediction answered with a choice (a letter, a list...); ``mistakes`` maps wrong answers to hints."""
    if answer is None:
        return not_attempted(name)
    if isinstance(answer, str):
        answer = answer.strip().lower()
    elif isinstance(answer, (list, tuple)):
        answer = tuple(v.strip().lower() if isinstance(v, str) else v for v in answer)
    wants = want if isinstance(want, list) else [want]
    if any(answer == w for w in wants):
        return accept(accepted or f"{name} = {answer!r}.")
    for wrong, message in (mistakes or {}).items():
        if answer == wrong:
            return hint(message)
    return hint(f"{name} = {answer!r} is not it. {otherwise}".strip())
