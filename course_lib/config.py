"""Where things live: the repository's public URL and ref, the data and runs folders, and fast mode.

The repository URL and ref are written here and nowhere else: badges, the Colab setup cell and
the README's links derive from them, so a fork changes one line (and a class pins a term's tag
in another), then runs ``scripts/sync_notebooks.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The one line a fork changes.
REPO_URL = "https://github.com/colorize-course/colorize-course"
#: What badges open and the Colab setup cell clones: a branch, a tag or a commit. "main" follows
#: the latest course; for a term, set the tag you taught from (e.g. "v0.2"), so every learner
#: gets the same notebooks all term, then run scripts/sync_notebooks.py.
REPO_REF = "main"

#: Root of the repository (the folder holding ``course_lib/``).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Environment variable selecting the fast mode that CI uses.
FAST_ENV_VAR = "COURSE_FAST"
#: Environment variable naming the folder that holds every run (trained models, executed notebooks).
RUNS_ENV_VAR = "COURSE_RUNS_DIR"
#: Environment variable naming a local folder where training writes runs whose folder is on a slow,
#: remote disk (Google Drive), copying them there every few epochs (``course_lib.train``).
LOCAL_CHECKPOINT_ENV_VAR = "COURSE_LOCAL_CHECKPOINT_DIR"
#: Set by ``run-notebooks`` for its kernels when it fell back to the offline sample set: why NCD
#: could not be used (not found, download failed), so each notebook's banner can say so.
SAMPLE_REASON_ENV_VAR = "COURSE_SAMPLE_REASON"


def repo_slug() -> str:
    """``owner/name`` of :data:`REPO_URL`."""
    return REPO_URL.rstrip("/").split("github.com/")[-1]


def colab_url(notebook: str) -> str:
    """Open-in-Colab link for ``notebooks/<notebook>``."""
    return f"https://colab.research.google.com/github/{repo_slug()}/blob/{REPO_REF}/notebooks/{notebook}"


def binder_url(notebook: str | None = None) -> str:
    """Launch-on-Binder link, opening ``notebooks/<notebook>`` in JupyterLab when given."""
    url = f"https://mybinder.org/v2/gh/{repo_slug()}/{REPO_REF}"
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


def is_commit(ref: str) -> bool:
    """True when ``ref`` looks like a commit hash (7 to 40 hex digits) rather than a branch or tag."""
    return 7 <= len(ref) <= 40 and all(c in "0123456789abcdef" for c in ref.lower())


def runs_dir() -> Path:
    """Folder holding every run: ``$COURSE_RUNS_DIR``, else ``runs/`` in the repository (git ignores it).

    Read here and only here. On Colab, :func:`course_lib.environment.use_google_drive` points it
    at Google Drive, so a new runtime still finds the model notebook 04 trained.
    """
    env = os.environ.get(RUNS_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else REPO_ROOT / "runs"


def local_checkpoint_dir() -> Path | None:
    """``$COURSE_LOCAL_CHECKPOINT_DIR`` (read here and only here), or None when unset.

    :func:`course_lib.environment.use_google_drive` sets it: a run in a folder on Drive is then
    written to this local folder and copied to Drive every few epochs and at the end.
    """
    env = os.environ.get(LOCAL_CHECKPOINT_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else None


def course_run_dir(fast: bool | None = None) -> Path:
    """Run folder that notebook 04 trains into and notebooks 05 and 06 read.

    ``course`` under :func:`runs_dir`, or ``course-fast`` in fast mode, so that a tiny CI model
    never stands in for a properly trained one.
    """
    fast = fast_mode() if fast is None else fast
    return runs_dir() / ("course-fast" if fast else "course")


def missing_model_message(model_path: Path) -> str:
    """The loud banner notebooks 05 and 06 print when notebook 04's model is not there."""
    bar = "#" * 78
    return "\n".join([
        bar,
        f"##  NO TRAINED MODEL at {model_path}",
        "##  Notebook 04 trains it (about 20-30 min); its run folder is chosen by $COURSE_RUNS_DIR.",
        "##  On Colab every notebook gets a new runtime: keep runs on Google Drive with",
        "##    USE_GOOGLE_DRIVE = True",
        "##  in the options cell at the top of notebook 04 and of this one (it calls use_google_drive()).",
        bar,
    ])
