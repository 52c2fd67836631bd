"""Which optional extra of ``pyproject.toml`` installs what, and the error when one is missing.

``pip install colorize-course`` (or ``pip install -e .``) installs the ML library's numerics only.
The rest comes in extras, so that Colab's own TensorFlow and widgets are never reinstalled:

``tf``          TensorFlow and Keras (Colab ships them);
``widgets``     IPython, ipywidgets and ipyevents: the explorers of notebooks 01 and 08;
``instructor``  nbformat, nbclient and jupytext: ``run-notebooks``, ``grade``, ``solve``,
                ``export-nbgrader``, ``exercises`` and ``scripts/sync_notebooks.py`` (the first two also
                start a Jupyter kernel: Jupyter's own, or the ``jupyter`` extra's ipykernel).

``requirements.txt`` locks all of them (and the tools: JupyterLab, pytest, ruff) for CI, Binder and
``scripts/setup_env.sh``; ``tests/test_dependencies.py`` keeps :data:`EXTRA_OF` and the lock in
step with ``pyproject.toml``. Standard library only.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from course_lib.errors import CourseError

PACKAGE = "colorize-course"
#: Top-level import name -> the extra of pyproject.toml whose distribution provides it.
EXTRA_OF = {
    "tensorflow": "tf", "keras": "tf",
    "IPython": "widgets", "ipywidgets": "widgets", "ipyevents": "widgets",
    "nbformat": "instructor", "nbclient": "instructor", "jupytext": "instructor",
}


class MissingDependencyError(CourseError, ImportError):
    """A package of one of the optional extras is not installed; the message says which extra installs it."""


def install_hint(module: str) -> str | None:
    """``pip install "colorize-course[widgets]"`` for a module an extra provides (``ipywidgets``,
    ``IPython.display``), or None for a module of no extra."""
    extra = EXTRA_OF.get(module.split(".")[0])
    if extra is None:
        return None
    return f'pip install "{PACKAGE}[{extra}]" (or, in a checkout of the course, pip install -r requirements.txt)'


def missing_dependency(exc: ImportError, needed_for: str) -> MissingDependencyError | None:
    """The :class:`MissingDependencyError` that explains ``exc`` (a module of an extra is not
    installed), or None when ``exc`` is about anything else (then it is a bug, not a missing extra)."""
    name = getattr(exc, "name", None)
    hint = install_hint(name) if isinstance(exc, ModuleNotFoundError) and name else None
    if hint is None:
        return None
    return MissingDependencyError(f"{needed_for} needs {name.split('.')[0]}, which is not installed: {hint}")


def import_optional(module: str, needed_for: str) -> ModuleType:
    """``importlib.import_module(module)``, for a module of an optional extra.

    Raises
    ------
    MissingDependencyError
        The module (or one it needs from the same extra) is not installed; the message names the
        extra to install and what needed it (``needed_for``, e.g. ``"the LAB explorer"``).
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        error = missing_dependency(exc, needed_for)
        if error is None:
            raise
        raise error from exc
