"""Shared fixtures: the NCD development copy (when present) and generated images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parent.parent


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
