"""Where the course's data comes from: decided here, once, and said out loud.

:func:`get_dataset` tries, in order: an explicit path, ``$NCD_DIR``, ``data/ncd/``; when none
of those holds NCD it downloads NCD into ``data/ncd/``, and when that fails the offline sample
set (``data/sample/``) stands in, announced by a loud banner. The two are never mixed. An
explicit path or ``$NCD_DIR`` that holds no dataset is an error: a typo must not quietly
switch datasets.

This is the only module that reads the data's environment variables: ``$NCD_DIR`` and
``$COURSE_DATA_REASON``. ``run-notebooks`` chooses the data once and hands the choice to each
notebook's kernel (another process) through both (:func:`kernel_env`), so every notebook uses
the same folder and gives the same reason for it.

The ``download`` command lives here too: its default folder (``$NCD_DIR``, else ``data/ncd/``)
is this module's decision; :mod:`course_lib.download` only does the downloading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from course_lib import config
from course_lib.errors import DataNotFoundError, DownloadError
from course_lib.layout import find_ncd_root, is_sample_dataset

#: The NCD folder a learner chooses.
NCD_DIR_ENV_VAR = "NCD_DIR"
#: Set by ``run-notebooks`` for its kernels beside ``$NCD_DIR``: the reason it chose that folder
#: (e.g. "NCD was not found ...; the download failed: ..."), so the kernels do not claim that the
#: learner set ``$NCD_DIR``.
REASON_ENV_VAR = "COURSE_DATA_REASON"

KINDS = ("ncd", "sample")


@dataclass(frozen=True)
class DatasetSource:
    """The dataset :func:`get_dataset` chose, and why.

    Attributes
    ----------
    root : Path
        Folder holding the category folders.
    kind : str
        ``"ncd"`` for the real Natural-Color Dataset, ``"sample"`` for the offline
        sample set of generated images.
    reason : str
        Why this one, as a clause that reads after "because": ``"$NCD_DIR points at it"``,
        ``"NCD was not found at data/ncd ...; the download failed: ..."``.
    """

    root: Path
    kind: str
    reason: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def is_sample(self) -> bool:
        return self.kind == "sample"

    @property
    def message(self) -> str:
        """What was chosen and why, for printing: one line for NCD, a loud banner for the sample set."""
        if not self.is_sample:
            return f"Using NCD at {self.root} ({self.reason})."
        bar = "!" * 78
        return "\n".join([
            bar,
            "!!  OFFLINE SAMPLE SET -- NOT THE NATURAL-COLOR DATASET (NCD)",
            f"!!  Using generated images from {self.root},",
            f"!!  because {self.reason.rstrip('.')}.",
            "!!  Every number and picture below comes from these generated images, not NCD.",
            "!!  To use NCD: set NCD_DIR, pass a path, or run 'python -m course_lib download'.",
            bar,
        ])


def ncd_dir(path: str | os.PathLike | None = None) -> Path:
    """The folder the course reads NCD from: ``path`` when given, then ``$NCD_DIR``, then ``data/ncd/``."""
    chosen = path or os.environ.get(NCD_DIR_ENV_VAR)
    return Path(chosen).expanduser() if chosen else config.data_dir() / "ncd"


def _source_at(folder: Path, reason: str) -> DatasetSource:
    """The dataset in an existing folder; the sample set is recognised by its marker file."""
    root = find_ncd_root(folder)
    return DatasetSource(root, "sample" if is_sample_dataset(root) else "ncd", reason)


def _choose(path, download: bool, allow_sample: bool) -> DatasetSource:
    if path is not None:
        return _source_at(ncd_dir(path), "it was given as the path")
    if os.environ.get(NCD_DIR_ENV_VAR):
        # Inside a kernel of run-notebooks, $NCD_DIR is the runner's choice, and it says why.
        reason = os.environ.get(REASON_ENV_VAR, "").strip() or f"${NCD_DIR_ENV_VAR} points at it"
        return _source_at(ncd_dir(), reason)

    default = ncd_dir()
    if default.is_dir():
        try:
            return _source_at(default, "it is in the default data folder")
        except DataNotFoundError as exc:
            problem = f"{default} holds no dataset ({exc})"
    else:
        problem = f"NCD was not found at {default} and ${NCD_DIR_ENV_VAR} is not set"

    if download:
        from course_lib import download as downloading

        try:
            return _source_at(downloading.download_ncd(default), "it was just downloaded")
        except DownloadError as exc:
            problem = f"{problem}; the download failed: {exc}"
    else:
        problem = f"{problem}; downloading was not allowed"

    if not allow_sample:
        raise DataNotFoundError(f"{problem}. Set NCD_DIR to your NCD folder or run 'python -m course_lib download'")

    from course_lib import sample_data

    return _source_at(sample_data.make_sample_dataset(), problem)


def get_dataset(
    path: str | os.PathLike | None = None, download: bool = True, allow_sample: bool = True
) -> DatasetSource:
    """Choose the dataset to use, print which and why (a loud banner for the sample set), return it.

    Parameters
    ----------
    path : path-like, optional
        The dataset folder; wins over ``$NCD_DIR`` and ``data/ncd/``.
    download : bool
        When nothing is found, download NCD into ``data/ncd/``.
    allow_sample : bool
        When NCD cannot be had, fall back to the offline sample set (``data/sample/``).

    Returns
    -------
    DatasetSource
        ``root``, ``kind`` (``"ncd"`` or ``"sample"``), ``reason``; ``message`` is what was printed.

    Raises
    ------
    DataNotFoundError
        An explicit path or ``$NCD_DIR`` holds no dataset, or nothing could be found,
        downloaded or (with ``allow_sample``) generated.
    """
    source = _choose(path, download, allow_sample)
    print(source.message)
    return source


def kernel_env(source: DatasetSource) -> dict[str, str]:
    """Environment variables that make :func:`get_dataset` in another process choose ``source`` again."""
    return {NCD_DIR_ENV_VAR: str(source.root), REASON_ENV_VAR: source.reason}


# ------------------------------------------------------------------------ command
def configure_parser(parser) -> None:
    parser.add_argument("--dest", default=None, help="folder to unpack into (default: $NCD_DIR, else data/ncd/)")
    parser.add_argument("--source", default=None,
                        help="URL or local .zip, e.g. an instructor's mirror (default: $NCD_URL, then the public sources)")
    parser.add_argument("--sha256", default=None,
                        help="expected SHA-256 of that archive (default: $NCD_SHA256); a mismatch unpacks nothing")


def run_cli(args) -> int:
    from course_lib.download import download_ncd

    print(download_ncd(ncd_dir(args.dest), args.source, sha256=args.sha256))
    return 0
