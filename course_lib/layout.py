"""What an NCD-style folder looks like on disk, and nothing else.

NCD is one folder per category (``Apple/``, ``Banana/``, ...) of photos. The public copies
come in two layouts, and both work::

    <root>/<Category>/*.jpg                           # as the survey describes it
    <root>/ColorfulOriginal/<Category>/*.jpg          # as the archives unpack (the wrapper's
                                                      # name varies: "Colour Images Dataset", ...)

The offline sample set has the same layout plus a marker file, :data:`SAMPLE_MARKER_NAME`.

This module imports only the standard library and :mod:`course_lib.errors`, so that every
other data module (``data``, ``download``, ``sample_data``, ``sources``) can use it without
importing one another.
"""

from __future__ import annotations

import os
from pathlib import Path

from course_lib.errors import DataNotFoundError, describe_exception

#: File name endings that are worth treating as images when locating the dataset.
#: (Scanning does not trust the ending: ``data.scan_dataset`` opens every file with Pillow.)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})

#: Folders that archive tools add and that are never categories.
IGNORED_DIR_NAMES = frozenset({"__MACOSX"})

#: The file whose presence marks a folder as the offline sample set.
SAMPLE_MARKER_NAME = "OFFLINE_SAMPLE.txt"


def visible_subdirs(folder: Path) -> list[Path]:
    """Sub-folders, sorted, without hidden ones and archive-tool litter."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in IGNORED_DIR_NAMES
    )


def looks_like_category(folder: Path) -> bool:
    """True when ``folder`` directly holds at least one file with an image ending."""
    return any(p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir())


def is_layout_root(folder: Path) -> bool:
    """True when some sub-folder of ``folder`` looks like a category folder."""
    return any(looks_like_category(sub) for sub in visible_subdirs(folder))


def is_sample_dataset(root: str | os.PathLike) -> bool:
    """True when ``root`` is the offline sample set (it holds :data:`SAMPLE_MARKER_NAME`)."""
    return (Path(root) / SAMPLE_MARKER_NAME).is_file()


def find_ncd_root(path: str | os.PathLike) -> Path:
    """Locate the folder whose sub-folders are the categories.

    Parameters
    ----------
    path : path-like
        Either the category folders' parent (``<root>/<Category>/*.jpg``) or a folder
        that wraps it one level down (``<path>/Colour Images Dataset/<Category>/``).

    Returns
    -------
    Path
        The folder holding the category folders.

    Raises
    ------
    DataNotFoundError
        ``path`` does not exist, cannot be read, holds no category folders, or wraps
        several candidate datasets (then pass the one you mean).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DataNotFoundError(
            f"dataset folder {path} does not exist; check the path, set $NCD_DIR, "
            "or run 'python -m course_lib download'"
        )
    if not path.is_dir():
        raise DataNotFoundError(f"{path} is a file, not a folder; pass the folder that holds the category folders")
    try:
        if is_layout_root(path):
            return path
        wrapped = [sub for sub in visible_subdirs(path) if is_layout_root(sub)]
    except OSError as exc:  # e.g. a folder without read permission
        raise DataNotFoundError(f"cannot read {path} ({describe_exception(exc)}); check its permissions") from None
    if len(wrapped) == 1:
        return wrapped[0]
    if len(wrapped) > 1:
        names = ", ".join(repr(sub.name) for sub in wrapped)
        raise DataNotFoundError(
            f"{path} holds several datasets ({names}); pass the one you want, e.g. {wrapped[0]}"
        )
    raise DataNotFoundError(
        f"no category folders with images found in {path} (expected <folder>/<Category>/*.jpg, "
        "or the same one level down); point to the NCD folder or run 'python -m course_lib download'"
    )


def dataset_in(folder: str | os.PathLike) -> Path | None:
    """The dataset root inside ``folder`` when there is one, else None (never raises)."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    try:
        return find_ncd_root(folder)
    except DataNotFoundError:
        return None
