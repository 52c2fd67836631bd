"""Shared fixtures and helpers: the NCD development copy (when present), generated images, and
loading the instructors' solutions (``solutions/NN_*.py``) or a script as a module."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = REPO_ROOT / "solutions"


def load_module(path: Path, module_name: str) -> ModuleType:
    """Execute the Python file ``path`` (not part of a package) and return it as a module."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_solutions(name: str) -> ModuleType:
    """The instructors' solutions of one notebook, ``solutions/<name>*.py``, as a module.

    ``name`` is the notebook's number (``"03"``) or its file stem (``"03_vgg19_autoencoder"``).
    """
    matches = sorted(SOLUTION_DIR.glob(f"{name}*.py"))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one solutions/{name}*.py, found {[m.name for m in matches]}")
    return load_module(matches[0], f"solutions_{matches[0].name[:2]}")


def _ncd_dev_copy() -> Path | None:
    """$NCD_DIR when set, else ../shared/ncd beside the checkout, else None."""
    for candidate in (os.environ.get("NCD_DIR"), REPO_ROOT.parent / "shared" / "ncd"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def ncd_dir() -> Path:
    """The real NCD development copy; tests using it are skipped (with a reason) without it."""
    path = _ncd_dev_copy()
    if path is None:
        pytest.skip("NCD development copy not found: set NCD_DIR or place it at ../shared/ncd")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
