"""Loading, scanning and splitting the Natural-Color Dataset (NCD), and the ``inspect`` command.

Which folder layouts count as NCD is :mod:`course_lib.layout`'s business (:func:`find_ncd_root`
is re-exported here); where the data comes from -- an explicit path, ``$NCD_DIR``,
``data/ncd/``, a download or the offline sample set -- is :mod:`course_lib.sources`'.

The public copies contain stray one-letter files that are not images. :func:`scan_dataset`
checks every file with Pillow and lists what it skips, and why, instead of crashing
halfway through an epoch.

The ``inspect DIR [--json]`` command summarises a folder: categories, image counts,
skipped files and image sizes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import statistics
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from course_lib.errors import CourseError, DataNotFoundError, ImageLoadError, SplitRatioError
from course_lib.layout import IMAGE_SUFFIXES, find_ncd_root, is_sample_dataset, visible_subdirs

# Re-exported only because the notebooks (and evaluate.py) still say `from course_lib.data import
# get_dataset`; new code imports it from course_lib.sources, which never imports data (no cycle).
from course_lib.sources import get_dataset  # noqa: F401

#: The three splits, in the order the ratios are given.
SPLIT_NAMES = ("train", "val", "test")


class SkippedFileWarning(UserWarning):
    """A file in a category folder is not a usable image; the warning names it and says why."""


# ------------------------------------------------------------------------ records
@dataclass(frozen=True)
class ImageRecord:
    """One image of the dataset.

    Attributes
    ----------
    path : Path
        Where the file is.
    category : str
        Its category: the name of the folder it is in.
    relpath : str
        Its path relative to the dataset root, with ``/`` separators
        (``"Apple/Apple1.jpg"``). Splits hash this, so it must not depend on where
        the dataset lives on disk.
    size : (width, height) or None
        Pixel size as stored in the file (before EXIF rotation), when the scan
        opened the file. Not part of equality.
    """

    path: Path
    category: str
    relpath: str
    size: tuple[int, int] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SkippedFile:
    """A file that :func:`scan_dataset` did not use, and why."""

    path: Path
    reason: str


@dataclass
class DatasetIndex:
    """The result of :func:`scan_dataset`: usable images and skipped files."""

    root: Path
    records: list[ImageRecord]
    skipped: list[SkippedFile]

    @property
    def categories(self) -> dict[str, int]:
        """Category name -> number of usable images, sorted by name."""
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.category] = counts.get(record.category, 0) + 1
        return dict(sorted(counts.items()))

    def __len__(self) -> int:
        return len(self.records)


# ----------------------------------------------------------------------- loading
def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The smallest size Pillow may decode a JPEG at and still resize down to ``max_side``."""
    scale = max_side / max(size)
    return max(1, int(np.ceil(size[0] * scale))), max(1, int(np.ceil(size[1] * scale)))


def _sixteen_bit_to_uint8(image: Image.Image) -> np.ndarray:
    """Grayscale "I;16*" / "I" pixels (16-bit range 0..65535) -> uint8 (H, W).

    Pillow's own ``convert("L")`` clips 16-bit values at 255 (a nearly white image);
    we scale instead. Mode "I" is how Pillow holds 16-bit PNG/TIFF data too, so it is
    read as 16-bit as well.
    """
    values = np.asarray(image).astype(np.float64)
    return (np.clip(values, 0, 65535) / 257.0 + 0.5).astype(np.uint8)


def _composite_on_white(image: Image.Image) -> Image.Image:
    """RGBA -> RGB, blending transparent pixels onto white (NCD backgrounds are white)."""
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, image).convert("RGB")


def _to_rgb(image: Image.Image) -> Image.Image | np.ndarray:
    """Any Pillow mode -> an RGB image (or a uint8 (H, W, 3) array for 16-bit gray)."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in {"I", "I;16", "I;16L", "I;16B", "I;16N"}:
        gray = _sixteen_bit_to_uint8(image)  # (H, W) uint8
        return np.repeat(gray[..., None], 3, axis=-1)
    if mode == "P":
        # Palette images may mark one index (or several, via an alpha palette) transparent.
        has_alpha = "transparency" in image.info or image.palette.mode == "RGBA"
        return _composite_on_white(image.convert("RGBA")) if has_alpha else image.convert("RGB")
    if mode in {"RGBA", "LA", "PA", "La", "RGBa"}:
        return _composite_on_white(image.convert("RGBA"))
    if "transparency" in image.info:  # "L" or "RGB" with a transparent colour key
        return _composite_on_white(image.convert("RGBA"))
    try:
        # "L", "1", "CMYK", "YCbCr", "F" (Pillow clips floats to 0..255), ...
        return image.convert("RGB")
    except ValueError as exc:
        raise ImageLoadError(f"cannot convert Pillow mode {mode!r} to RGB: {exc}") from exc


def open_rgb(
    path: str | os.PathLike, *, max_side: int | None = None, min_size: tuple[int, int] | None = None
) -> Image.Image:
    """Open any image Pillow can read as a loaded RGB ``PIL.Image`` (see :func:`load_image`).

    Big JPEGs that are about to be shrunk anyway are decoded directly at 1/2, 1/4 or
    1/8 scale (Pillow's ``draft``), which is several times faster; the result is still
    at least as large as what the caller asked for, so quality does not suffer.

    Parameters
    ----------
    path : path-like
    max_side : int, optional
        The caller will shrink the longer side to this; decode no smaller.
    min_size : (width, height), optional
        The caller will resize to this; decode no smaller in either direction.

    Raises
    ------
    ImageLoadError
        Missing, not an image, corrupt or truncated, or a possible decompression bomb.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            draft_size = _draft_size(image.size, max_side) if max_side else min_size
            if draft_size is not None and image.format == "JPEG":
                # Decode at reduced scale straight from the DCT coefficients; draft()
                # never goes below draft_size, and does nothing for small images.
                image.draft(None, draft_size)
            image = ImageOps.exif_transpose(image)  # also loads the pixels
            rgb = _to_rgb(image)
    except FileNotFoundError:
        raise ImageLoadError(f"{path} does not exist; check the path") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(
            f"{path} is too large to load safely ({exc}); shrink it with an image editor first"
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path} is not an image file Pillow can read; remove it or replace it") from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Truncated or corrupt data surfaces as OSError (sometimes SyntaxError) on load.
        raise ImageLoadError(f"{path} is corrupt or truncated ({exc}); re-download or remove it") from None
    return Image.fromarray(rgb) if isinstance(rgb, np.ndarray) else rgb


def load_image(path: str | os.PathLike, max_side: int | None = None) -> np.ndarray:
    """Load any image Pillow can read as RGB.

    Handles EXIF orientation (phones store portrait photos sideways), grayscale
    (8- and 16-bit, scaled rather than clipped), palette images (with transparency),
    CMYK, 16-bit PNG/TIFF, and alpha (composited onto white).

    Parameters
    ----------
    path : path-like
        The image file.
    max_side : int, optional
        When given, images whose longer side exceeds it are shrunk (aspect ratio kept)
        so the longer side is ``max_side``. JPEGs are then decoded directly at a
        reduced scale (Pillow's ``draft``), which makes huge photos fast to load.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3), range [0, 255]

    Raises
    ------
    ImageLoadError
        The file is missing, not an image, corrupt or truncated, or so large that
        Pillow refuses it as a possible decompression bomb.
    """
    if max_side is not None and max_side < 1:
        raise CourseError(f"max_side must be a positive number of pixels (or None: full size), got {max_side}")
    rgb = open_rgb(path, max_side=max_side)
    if max_side is not None and max(rgb.size) > max_side:
        scale = max_side / max(rgb.size)
        new_size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        # reducing_gap: shrink by an integer factor with reduce() first (fast), then
        # finish with Lanczos (sharp, no aliasing).
        rgb = rgb.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.array(rgb, dtype=np.uint8)  # (H, W, 3)


def _check_image(path: Path) -> tuple[int, int]:
    """Open and decode ``path`` (JPEGs at 1/8 scale: enough to find truncation); return its size.

    Raises ImageLoadError with the reason when it is not a usable image. The answer is remembered
    for the file as it is now (its size, time of change and inode): a notebook scans the same
    folder for every training and evaluation, and decoding is most of a scan's time.
    """
    try:
        stat = path.stat()
    except OSError:  # a broken link, no permission: the decoder says why, uncached
        return _decoded_size(path)
    verdict = _checked_image(str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if isinstance(verdict, str):
        raise ImageLoadError(verdict)
    return verdict


@functools.lru_cache(maxsize=65536)
def _checked_image(path: str, size_bytes: int, mtime_ns: int, inode: int) -> tuple[int, int] | str:
    """:func:`_check_image`'s answer for one version of a file: its size, or why it is unusable."""
    try:
        return _decoded_size(Path(path))
    except ImageLoadError as exc:
        return str(exc)


def _decoded_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            size = image.size
            if image.format == "JPEG":
                image.draft(None, (max(1, size[0] // 8), max(1, size[1] // 8)))
            image.load()
            _to_rgb(image)
    except Image.DecompressionBombError:
        raise ImageLoadError("too large to load safely (possible decompression bomb)") from None
    except UnidentifiedImageError:
        raise ImageLoadError("not an image file") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"corrupt or truncated image ({exc})") from None
    if min(size) < 1:
        raise ImageLoadError("image has no pixels")
    return size


# ---------------------------------------------------------------------- scanning
def _record_or_skip(file: Path, root: Path, verify: bool) -> ImageRecord | SkippedFile:
    relpath = file.relative_to(root).as_posix()
    category = file.parent.name
    if file.is_dir():
        return SkippedFile(file, "folder inside a category folder (not scanned)")
    if not verify:
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            return SkippedFile(file, f"not an image file name ending ({file.suffix or 'no ending'})")
        return ImageRecord(file, category, relpath)
    try:
        size = _check_image(file)
    except ImageLoadError as exc:
        return SkippedFile(file, str(exc))
    return ImageRecord(file, category, relpath, size=size)


def scan_dataset(path: str | os.PathLike, verify: bool = True) -> DatasetIndex:
    """Index every image of an NCD-style folder.

    Parameters
    ----------
    path : path-like
        The dataset folder, in either layout :func:`find_ncd_root` accepts.
    verify : bool
        Open and decode every file with Pillow (JPEGs at 1/8 scale) so that stray,
        corrupt and truncated files are skipped now rather than during training.
        With ``verify=False`` only the file name ending is checked (fast).

    Returns
    -------
    DatasetIndex
        ``records`` sorted by category then file name; ``skipped`` lists every other
        file in a category folder with the reason. Each skipped file also raises a
        :class:`SkippedFileWarning` naming it.

    Raises
    ------
    DataNotFoundError
        The folder is missing, has no category folders, or no usable image at all.
    """
    from tqdm.auto import tqdm

    root = find_ncd_root(path)
    files = [file for category_dir in visible_subdirs(root) for file in sorted(category_dir.iterdir())]
    records: list[ImageRecord] = []
    skipped: list[SkippedFile] = []
    for file in tqdm(files, desc=f"scanning {root.name}", unit="file", disable=len(files) < 200, leave=False):
        entry = _record_or_skip(file, root, verify)
        if isinstance(entry, SkippedFile):
            skipped.append(entry)
            warnings.warn(f"skipping {entry.path}: {entry.reason}", SkippedFileWarning, stacklevel=2)
        else:
            records.append(entry)
    if not records:
        raise DataNotFoundError(
            f"no usable images in {root} ({len(skipped)} files skipped); point to a folder of NCD images"
        )
    return DatasetIndex(root=root, records=records, skipped=skipped)


def skipped_summary(index: DatasetIndex, data_dir=None) -> str | None:
    """One line about the files :func:`scan_dataset` skipped, or ``None`` when there are none.

    Names the first five and points to the ``inspect`` command, which lists them all
    with the reason.
    """
    if not index.skipped:
        return None
    names = ", ".join(skipped.path.name for skipped in index.skipped[:5])
    more = f" and {len(index.skipped) - 5} more" if len(index.skipped) > 5 else ""
    return (f"skipped {len(index.skipped)} files that are not images ({names}{more}); "
            f"'python -m course_lib inspect {data_dir if data_dir is not None else index.root}' lists them")


def scan_dataset_summarized(path: str | os.PathLike, verify: bool = True) -> DatasetIndex:
    """:func:`scan_dataset`, reporting skipped files in one printed line instead of a warning each.

    For commands and notebooks that use the images rather than inspect the folder (NCD has
    18 stray files: 18 warnings would bury the output). ``inspect`` lists them all.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFileWarning)
        index = scan_dataset(path, verify=verify)
    line = skipped_summary(index, path)
    if line:
        print(line)
    return index


# --------------------------------------------------------------------- splitting
def hash_fraction(relpath: str) -> float:
    """A number in [0, 1) fixed by ``relpath`` alone (SHA-256), the same on every machine."""
    digest = hashlib.sha256(relpath.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def _validate_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    ratios = tuple(float(r) for r in ratios)
    if len(ratios) != 3:
        raise SplitRatioError(f"give three split ratios (train, val, test), got {len(ratios)}: {ratios}")
    if not all(np.isfinite(r) and r >= 0 for r in ratios):
        raise SplitRatioError(f"split ratios must be finite and >= 0, got {ratios}")
    if ratios[0] <= 0:
        raise SplitRatioError(f"the train ratio must be > 0, got {ratios}")
    if abs(sum(ratios) - 1.0) > 1e-6:
        raise SplitRatioError(f"split ratios must add up to 1, got {ratios} (sum {sum(ratios):g})")
    return ratios  # type: ignore[return-value]


def _ranges(ratios: tuple[float, float, float]) -> list[tuple[float, float]]:
    """The [low, high) slice of [0, 1) that each split owns."""
    edges = np.concatenate([[0.0], np.cumsum(ratios)])
    edges[-1] = 1.0  # guard against 0.7 + 0.15 + 0.15 = 0.9999999999999999
    return [(edges[i], edges[i + 1]) for i in range(3)]


def split_of(relpath: str, ratios: Sequence[float] = (0.7, 0.15, 0.15)) -> str:
    """The split ``relpath`` belongs to by its hash alone: ``"train"``, ``"val"`` or ``"test"``."""
    u = hash_fraction(relpath)
    for name, (low, high) in zip(SPLIT_NAMES, _ranges(_validate_ratios(ratios)), strict=True):
        if low <= u < high:
            return name
    return SPLIT_NAMES[-1]  # unreachable: the ranges cover [0, 1)


def _distance_to_range(u: float, low: float, high: float) -> float:
    return 0.0 if low <= u < high else min(abs(u - low), abs(u - high))


def _split_category(records: list[ImageRecord], ratios: tuple[float, float, float]) -> dict[str, list[ImageRecord]]:
    """Hash-assign one category's records, then fill any empty split (only in small categories)."""
    ranges = _ranges(ratios)
    u = {record.relpath: hash_fraction(record.relpath) for record in records}
    assigned = {name: [] for name in SPLIT_NAMES}
    for record in records:
        assigned[split_of(record.relpath, ratios)].append(record)

    wanted = [name for name, ratio in zip(SPLIT_NAMES, ratios, strict=True) if ratio > 0]
    if len(records) < len(wanted):
        return assigned  # too few images to give every split one
    for name in wanted:
        if assigned[name]:
            continue
        low, high = ranges[SPLIT_NAMES.index(name)]
        # Borrow, from a split that can spare one, the image whose hash lies nearest this
        # split's range: the choice depends only on hashes, so it is deterministic too.
        donors = [record for donor in SPLIT_NAMES if len(assigned[donor]) > 1 for record in assigned[donor]]
        moved = min(donors, key=lambda r: (_distance_to_range(u[r.relpath], low, high), r.relpath))
        for donor in SPLIT_NAMES:
            if moved in assigned[donor]:
                assigned[donor].remove(moved)
        assigned[name].append(moved)
    return assigned


def split_dataset(
    records: Sequence[ImageRecord], ratios: Sequence[float] = (0.7, 0.15, 0.15)
) -> dict[str, list[ImageRecord]]:
    """Deterministic train / val / test split by a hash of each image's path (not stratified).

    Each image goes to the split that the SHA-256 hash of its relative path falls in
    (:func:`split_of`), so the split does not depend on the order of files, the machine,
    or the other images: adding or removing files never moves an existing image. A
    category's images are thus shared out *about* in the ``ratios``, by chance, not exactly:
    with 0.15, a category's validation part is about 15 % of it, more or less.
    One exception keeps small categories usable: when hashing leaves a split of a
    category with three or more images empty, the image whose hash is nearest that
    split's range moves into it. Only such borrowed images can move when files change.

    Parameters
    ----------
    records : sequence of ImageRecord
    ratios : (train, val, test)
        Non-negative fractions adding up to 1; train must be positive.

    Returns
    -------
    dict
        ``"train"``, ``"val"``, ``"test"`` -> lists of records, in the input order.

    Raises
    ------
    SplitRatioError
        The ratios are not three non-negative numbers adding up to 1.
    """
    ratios = _validate_ratios(ratios)
    by_category: dict[str, list[ImageRecord]] = {}
    for record in records:
        by_category.setdefault(record.category, []).append(record)

    split_by_relpath: dict[str, str] = {}
    for category_records in by_category.values():
        for name, members in _split_category(category_records, ratios).items():
            split_by_relpath.update((record.relpath, name) for record in members)

    result: dict[str, list[ImageRecord]] = {name: [] for name in SPLIT_NAMES}
    for record in records:
        result[split_by_relpath[record.relpath]].append(record)
    return result


def stratified_subset(records: Sequence[ImageRecord], n: int) -> list[ImageRecord]:
    """At most ``n`` records drawn evenly from every category, deterministically.

    Round-robin over the categories in sorted order, taking each category's records in
    their given order: the first image of every category, then the second, and so on.
    A quick experiment on a subset thus sees every category (as far as ``n`` allows),
    not just the first one or two. The result keeps the input order.
    """
    by_category: dict[str, list[ImageRecord]] = {}
    for record in records:
        by_category.setdefault(record.category, []).append(record)
    queues = [by_category[name] for name in sorted(by_category)]
    chosen: list[ImageRecord] = []
    depth = 0
    while len(chosen) < n and any(depth < len(queue) for queue in queues):
        for queue in queues:
            if depth < len(queue) and len(chosen) < n:
                chosen.append(queue[depth])
        depth += 1
    kept = {id(record) for record in chosen}
    return [record for record in records if id(record) in kept]


# -------------------------------------------------------------- inspect command
def _size_stats(values: list[int]) -> dict[str, float]:
    return {
        "min": int(min(values)),
        "median": float(statistics.median(values)),
        "mean": round(float(statistics.fmean(values)), 1),
        "max": int(max(values)),
    }


def summarize(index: DatasetIndex) -> dict:
    """A JSON-ready summary of a scanned dataset (what ``inspect --json`` prints).

    Keys: ``root``, ``kind``, ``n_categories``, ``n_images``, ``categories``
    (name -> count), ``skipped`` (list of ``{path, relpath, reason}``) and ``sizes``
    (min / median / mean / max of ``width``, ``height`` and the longer side, in pixels).
    """
    sizes = [record.size for record in index.records if record.size is not None]
    summary = {
        "root": str(index.root),
        "kind": "sample" if is_sample_dataset(index.root) else "ncd",
        "n_categories": len(index.categories),
        "n_images": len(index.records),
        "categories": index.categories,
        "skipped": [
            {"path": str(s.path), "relpath": s.path.relative_to(index.root).as_posix(), "reason": s.reason}
            for s in index.skipped
        ],
        "sizes": {},
    }
    if sizes:
        summary["sizes"] = {
            "width": _size_stats([w for w, _ in sizes]),
            "height": _size_stats([h for _, h in sizes]),
            "longer_side": _size_stats([max(w, h) for w, h in sizes]),
        }
    return summary


def format_summary(summary: dict) -> str:
    """The human-readable table that ``inspect`` prints without ``--json``."""
    lines = [f"Dataset: {summary['root']}" + ("   [OFFLINE SAMPLE SET, not NCD]" if summary["kind"] == "sample" else "")]
    width = max(len("category"), *(len(name) for name in summary["categories"]))
    lines.append(f"{'category':<{width}}  images")
    lines.append(f"{'-' * width}  ------")
    for name, count in summary["categories"].items():
        lines.append(f"{name:<{width}}  {count:>6}")
    lines.append(f"{'-' * width}  ------")
    lines.append(f"{'total':<{width}}  {summary['n_images']:>6}   ({summary['n_categories']} categories)")
    if summary["sizes"]:
        lines.append("")
        lines.append("image size (pixels)   min   median     mean     max")
        for key in ("width", "height", "longer_side"):
            s = summary["sizes"][key]
            lines.append(f"  {key:<18}{s['min']:>5} {s['median']:>8.0f} {s['mean']:>8.1f} {s['max']:>7}")
    lines.append("")
    lines.append(f"skipped files: {len(summary['skipped'])}")
    for entry in summary["skipped"]:
        lines.append(f"  {entry['relpath']}: {entry['reason']}")
    return "\n".join(lines)


def configure_parser(parser) -> None:
    parser.add_argument("dir", help="dataset folder (<dir>/<Category>/*.jpg, or the same one level down)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def run_cli(args) -> int:
    # The summary lists every skipped file with its reason, so the per-file warnings
    # would only say the same thing twice.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFileWarning)
        index = scan_dataset(args.dir)
    summary = summarize(index)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0
