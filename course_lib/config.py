"""Where things live: the repository's public URL, the data folder, and fast mode.

The repository URL is written here and nowhere else: badges, the Colab setup cell and
the README's links derive from it, so a fork changes one line.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The one line a fork changes.
REPO_URL = "https://github.com/colorize-course/colorize-course"
#: Branch that badges and the Colab setup cell point at.
REPO_BRANCH = "main"

#: Root of the repository (the folder holding ``course_lib/``).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Environment variable naming the NCD folder.
NCD_ENV_VAR = "NCD_DIR"
#: Environment variable selecting the fast mode that CI uses.
FAST_ENV_VAR = "COURSE_FAST"
#: Set by ``run-notebooks`` for its kernels when it fell back to the offline sample set: why NCD
#: could not be used (not found, download failed), so each notebook's banner can say so.
SAMPLE_REASON_ENV_VAR = "COURSE_SAMPLE_REASON"


def repo_slug() -> str:
    """``owner/name`` of :data:`REPO_URL`."""
    return REPO_URL.rstrip("/").split("github.com/")[-1]


def colab_url(notebook: str) -> str:
    """Open-in-Colab link for ``notebooks/<notebook>``."""
    return f"https://colab.research.google.com/github/{repo_slug()}/blob/{REPO_BRANCH}/notebooks/{notebook}"


def binder_url(notebook: str | None = None) -> str:
    """Launch-on-Binder link, opening ``notebooks/<notebook>`` in JupyterLab when given."""
    url = f"https://mybinder.org/v2/gh/{repo_slug()}/{REPO_BRANCH}"
    if notebook:
        url += f"?urlpath=lab/tree/notebooks/{notebook}"
    return url


def fast_mode() -> bool:
    """True when ``COURSE_FAST`` is set to a true value (CI's small, quick settings)."""
    return os.environ.get(FAST_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def data_dir() -> Path:
    """Folder for downloaded and generated data: ``data/`` in the repository.

    Never the package directory: on Colab the repository is cloned and ``data/`` is
    writable; an installed package may not be.
    """
    return REPO_ROOT / "data"


def default_ncd_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The NCD folder to use: an explicit argument wins, then ``$NCD_DIR``, then ``data/ncd``."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(NCD_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return data_dir() / "ncd"


def course_train_settings(fast: bool | None = None) -> dict:
    """Keyword arguments for ``course_lib.train.train`` in the notebooks.

    ``fast`` defaults to :func:`fast_mode`. Fast mode gives ``{"recipe": "fast"}`` (a tiny
    model trained on a subset in about a minute: it proves that everything runs and is never a
    result); otherwise ``{}``, i.e. the ``train`` command's recipe (``auto``: ``gpu`` on a GPU,
    else ``cpu``). The recipes themselves are in :mod:`course_lib.recipes`.
    """
    fast = fast_mode() if fast is None else fast
    return {"recipe": "fast"} if fast else {}


def course_run_dir(fast: bool | None = None) -> Path:
    """Run folder that notebook 04 trains into and notebook 06 reads (git ignores ``runs/``).

    ``runs/course``, or ``runs/course-fast`` in fast mode, so that a tiny CI model never
    stands in for a properly trained one.
    """
    fast = fast_mode() if fast is None else fast
    return REPO_ROOT / "runs" / ("course-fast" if fast else "course")
