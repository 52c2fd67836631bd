"""Downloading NCD safely.

:func:`download_ncd` fetches the Natural-Color Dataset archive (or takes a local zip),
checks it, and unpacks it into ``dest``. Which folder that is (``$NCD_DIR``, else
``data/ncd/``, never the package folder) is :mod:`course_lib.sources`' decision, and the
``download`` command lives there. Every step is defensive, because a half-finished or hostile download must
not end up looking like a dataset:

1. **Transfer** into ``<dest>/ncd.zip.part`` with a progress bar. When a
   previous attempt was interrupted, the transfer resumes with an HTTP ``Range``
   request (or starts over when the server does not support that). The file is
   renamed to ``ncd.zip`` only once it is complete.
2. **Check**: the byte count matches ``Content-Length``; size and SHA-256 match when
   they are known (:data:`KNOWN_ARCHIVE_SHA256`, ``--sha256`` or ``$NCD_SHA256``); the file really is a zip whose members pass their CRC checks. A
   server that answers with a web page (an error or a "confirm download" page) is
   reported as such.
3. **Extract safely**: members with absolute paths, ``..`` components or symbolic
   links are refused *before anything is written*; everything is unpacked into a
   temporary folder inside ``dest`` and moved into place only when complete.

A second call when the data is already there does nothing.

On Google Drive the archive is **kept whole** (:func:`keep_ncd_archive`) and unpacked onto the
runtime's local disk (:func:`unpack_checked`): reading one zip through Drive takes seconds, where
hundreds of small files take minutes. Its SHA-256 is recorded the first time it passes every check,
and compared on every later use, so a damaged or replaced archive fails loudly and unpacks nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import os
import re
import shutil
import socket
import stat
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from course_lib.errors import DownloadError, UnsafeArchiveError, describe_exception
from course_lib.layout import dataset_in


@dataclass(frozen=True)
class NcdSource:
    """One place NCD can be downloaded from.

    ``size`` (bytes) and ``sha256`` are checked when given; they are left ``None``
    where nobody has published them, rather than guessed.
    """

    name: str
    url: str
    info_page: str
    size: int | None = None
    sha256: str | None = None


#: Google Drive id of the "Color Groundtruth" archive linked from the survey authors'
#: repository, https://github.com/saeed-anwar/ColorSurvey (README, "Datasets").
_AUTHORS_DRIVE_ID = "1k_UvYzdrHbphW4UcbDb9jWB0ZQIAGEAo"

#: Where :func:`download_ncd` looks, in order. ``$NCD_URL``, when set, is tried first.
NCD_SOURCES: tuple[NcdSource, ...] = (
    NcdSource(
        name="survey authors' archive (Google Drive, linked from github.com/saeed-anwar/ColorSurvey)",
        # drive.usercontent.google.com with confirm=t skips the "file too large to scan" page.
        url=f"https://drive.usercontent.google.com/download?id={_AUTHORS_DRIVE_ID}&export=download&confirm=t",
        info_page=f"https://drive.google.com/file/d/{_AUTHORS_DRIVE_ID}/view",
    ),
)

#: Environment variable with an extra URL (a mirror, a GitHub release asset) or a local .zip
#: (e.g. on a shared Google Drive) to try first.
NCD_URL_ENV_VAR = "NCD_URL"
#: Environment variable with the SHA-256 of the archive at ``$NCD_URL`` (or ``--source``), so an
#: instructor's mirror is checked too.
NCD_SHA256_ENV_VAR = "NCD_SHA256"

#: SHA-256 of the NCD archives the course knows, by URL. ``None``: nobody has published it
#: yet (then only the zip's own CRCs are checked); fill it in once measured from a good copy.
KNOWN_ARCHIVE_SHA256: dict[str, str | None] = {source.url: source.sha256 for source in NCD_SOURCES}

#: Refuse archives that would unpack to more than this (NCD is ~0.1 GB; a zip bomb is not).
MAX_UNPACKED_BYTES = 8 * 1024**3

_ARCHIVE_NAME = "ncd.zip"
_CHUNK = 1 << 16


# ------------------------------------------------------------------------ helpers
def _make_folder(folder: Path) -> None:
    """``folder`` and its parents, or a DownloadError that says what to do."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission, read-only disk
        raise DownloadError(
            f"cannot create the folder {folder} ({describe_exception(exc)}); choose a writable folder with --dest"
        ) from None


def _looks_like_html(first_bytes: bytes) -> bool:
    head = first_bytes[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")) or b"<html" in head


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_zip(path: Path, size: int | None = None, sha256: str | None = None) -> None:
    """Check that ``path`` is a complete, intact zip (and matches size / SHA-256 when given).

    Raises
    ------
    DownloadError
        With what is wrong and what to do.
    """
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise DownloadError(f"{path} has {actual_size} bytes, expected {size}; delete it and download again")
    with open(path, "rb") as f:
        head = f.read(512)
    if _looks_like_html(head):
        raise DownloadError(
            f"{path} is a web page, not a zip archive (the server sent an error or a confirmation page); "
            "download the archive in a browser and pass it with --source FILE.zip"
        )
    if not zipfile.is_zipfile(path):
        raise DownloadError(f"{path} is not a zip archive (it starts with {head[:8]!r}); pass the NCD zip file")
    if sha256 is not None:
        actual = _sha256_of(path)
        if actual != sha256.strip().lower():
            raise DownloadError(
                f"{path} has SHA-256 {actual}, expected {sha256.strip().lower()}: it is not the archive the course "
                f"knows (damaged, or another file); nothing was unpacked. Download it again, or fix --sha256 / "
                f"${NCD_SHA256_ENV_VAR} if the mirror changed"
            )
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()  # reads every member and checks its CRC
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DownloadError(f"{path} is a damaged zip ({exc}); delete it and download again") from None
    if bad is not None:
        raise DownloadError(f"{path} is damaged: member {bad!r} fails its CRC check; delete it and download again")


# ------------------------------------------------------------------ transferring
def _open(url: str, offset: int, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": "colorize-course/0.1 (+course_lib.download)"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http/https/file only, below)


def fetch(url: str, target: Path, *, timeout: float = 60.0, expected_size: int | None = None) -> Path:
    """Download ``url`` to ``target``, through ``<target>.part``, resuming an earlier attempt.

    Parameters
    ----------
    url : str
        ``http://``, ``https://`` or ``file://``.
    target : Path
        Final file; it appears only when the transfer is complete.
    expected_size : int, optional
        Known size in bytes, checked at the end.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    DownloadError
        Network failure, an interrupted transfer (the partial file is kept, so running
        again resumes), or an HTML page instead of a file.
    """
    from tqdm.auto import tqdm

    if not url.lower().startswith(("http://", "https://", "file://")):
        raise DownloadError(f"unsupported URL {url!r}; use http(s):// or a local .zip file")
    part = target.with_name(target.name + ".part")
    offset = part.stat().st_size if part.exists() else 0

    try:
        response = _open(url, offset, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # our partial file is already whole (or stale): start again
            part.unlink()
            return fetch(url, target, timeout=timeout, expected_size=expected_size)
        raise DownloadError(f"{url} answered HTTP {exc.code} {exc.reason}; try again later or use --source") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {url} ({reason}); check your connection or use --source FILE.zip") from None

    with response:
        status = getattr(response, "status", 200)
        if offset and status != 206:
            offset = 0  # the server ignored our Range request: start over
        content_type = response.headers.get("Content-Type", "")
        length = response.headers.get("Content-Length")
        remaining = int(length) if length is not None and length.isdigit() else None
        total = offset + remaining if remaining is not None else None
        if content_type.lower().startswith("text/html"):
            raise DownloadError(
                f"{url} sent a web page (Content-Type {content_type!r}), not the zip archive: the link may have "
                "expired or need a confirmation click; download it in a browser and pass --source FILE.zip"
            )

        received = 0
        mode = "ab" if offset else "wb"
        _make_folder(target.parent)  # only now: a failed attempt leaves no empty folder
        try:
            out = open(part, mode)
        except OSError as exc:  # the folder exists but is not writable
            raise DownloadError(
                f"cannot write {part} ({describe_exception(exc)}); choose a writable folder with --dest"
            ) from None
        with out, tqdm(
            total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
            desc=f"downloading {target.name}", leave=False,
        ) as bar:
            try:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    if offset == 0 and received == 0 and _looks_like_html(chunk):
                        out.close()
                        part.unlink()
                        raise DownloadError(
                            f"{url} sent a web page instead of the zip archive; download it in a browser "
                            "and pass --source FILE.zip"
                        )
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except (http.client.IncompleteRead, ConnectionError, socket.timeout, OSError) as exc:
                raise DownloadError(
                    f"download of {url} was interrupted after {offset + received} bytes ({exc}); "
                    "run the same command again to resume"
                ) from None

    if remaining is not None and received < remaining:
        raise DownloadError(
            f"download of {url} stopped after {offset + received} of {total} bytes; "
            "run the same command again to resume"
        )
    if expected_size is not None and part.stat().st_size != expected_size:
        size = part.stat().st_size
        part.unlink()
        raise DownloadError(f"{url} gave {size} bytes, expected {expected_size}; the file was deleted, try again")
    os.replace(part, target)  # atomic: target never exists half-written
    return target


# -------------------------------------------------------------------- extracting
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


def _safe_member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's relative path, or None for directories; raises for anything unsafe."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE_LETTER.match(name):
        raise UnsafeArchiveError(f"archive member {info.filename!r} has an absolute path; refusing to extract")
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise UnsafeArchiveError(f"archive member {info.filename!r} contains '..'; refusing to extract")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(f"archive member {info.filename!r} is a symbolic link; refusing to extract")
    # Zips made on Windows (or by zipfile.writestr) carry no file type at all: that is fine.
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UnsafeArchiveError(f"archive member {info.filename!r} is not a regular file; refusing to extract")
    if info.is_dir() or not parts:
        return None
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def safe_extract(archive_path: Path, dest: Path, max_bytes: int = MAX_UNPACKED_BYTES) -> None:
    """Unpack a zip into ``dest``, refusing unsafe members before writing anything.

    Members are checked first (absolute paths, ``..``, symbolic links and other
    special files, total size); then all files are written into a temporary folder
    inside ``dest`` and moved into ``dest`` when every one is out. Permissions stored
    in the archive are ignored. Nothing is ever written outside ``dest``.

    Raises
    ------
    UnsafeArchiveError
        A member would escape ``dest`` or is a link; nothing was written.
    DownloadError
        The archive is damaged or would unpack to more than ``max_bytes``.
    """
    dest = Path(dest)
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DownloadError(f"{archive_path} is not a readable zip archive ({exc})") from None
    with archive:
        members = [(info, _safe_member_path(info)) for info in archive.infolist()]
        total = sum(info.file_size for info, _ in members)
        if total > max_bytes:
            raise DownloadError(f"{archive_path} would unpack to {total} bytes (limit {max_bytes}); refusing")
        _make_folder(dest)
        staging = Path(tempfile.mkdtemp(prefix=".extracting-", dir=dest))
        try:
            root = staging.resolve()
            for info, relative in members:
                if relative is None:
                    continue
                target = staging / relative
                if not target.resolve().is_relative_to(root):  # belt and braces after the checks above
                    raise UnsafeArchiveError(f"archive member {info.filename!r} escapes the destination")
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
            for entry in sorted(staging.iterdir()):
                final = dest / entry.name
                if final.exists():
                    raise DownloadError(f"{final} already exists; remove it and run the download again")
                entry.rename(final)
        except (zipfile.BadZipFile, EOFError) as exc:
            raise DownloadError(f"{archive_path} is damaged ({exc}); delete it and download again") from None
        except OSError as exc:  # disk full, permissions
            raise DownloadError(
                f"could not unpack into {dest} ({describe_exception(exc)}); free some disk space "
                "or choose another folder with --dest"
            ) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)


# ------------------------------------------------------------------ download_ncd
def _sources(source: str | os.PathLike | None, sha256: str | None = None) -> list[NcdSource]:
    """Where to look, each with the SHA-256 to check: ``sha256``, else ``$NCD_SHA256`` for the given
    source or ``$NCD_URL``, else the course's :data:`KNOWN_ARCHIVE_SHA256`."""
    mirror_sha256 = sha256 or os.environ.get(NCD_SHA256_ENV_VAR, "").strip() or None
    if source is not None:
        return [NcdSource(name=str(source), url=str(source), info_page=str(source),
                          sha256=mirror_sha256 or KNOWN_ARCHIVE_SHA256.get(str(source)))]
    extra = os.environ.get(NCD_URL_ENV_VAR)
    mirror = [NcdSource(name=f"${NCD_URL_ENV_VAR}", url=extra, info_page=extra,
                        sha256=mirror_sha256 or KNOWN_ARCHIVE_SHA256.get(extra))] if extra else []
    known = [dataclasses.replace(s, sha256=s.sha256 or KNOWN_ARCHIVE_SHA256.get(s.url)) for s in NCD_SOURCES]
    return mirror + known


def download_ncd(
    dest: str | os.PathLike,
    source: str | os.PathLike | None = None,
    *,
    sha256: str | None = None,
    size: int | None = None,
    timeout: float = 60.0,
    keep_archive: bool = False,
) -> Path:
    """Download (or unpack a local copy of) NCD into ``dest`` and return the dataset root.

    Parameters
    ----------
    dest : path-like
        Target folder (``sources.ncd_dir()`` gives the course's: ``$NCD_DIR``, else ``data/ncd``).
    source : str or path-like, optional
        A URL (``http(s)://``, ``file://``) or a local ``.zip``. Default: ``$NCD_URL`` if
        set, then each of :data:`NCD_SOURCES` until one works.
    sha256 : str, optional
        Expected SHA-256 of ``source``'s (or ``$NCD_URL``'s) archive; default ``$NCD_SHA256``.
        The built-in sources are checked against :data:`KNOWN_ARCHIVE_SHA256` where it has a
        value. A mismatch deletes the download and unpacks nothing.
    size : int, optional
        Expected size of ``source``'s archive in bytes.
    timeout : float
        Seconds to wait for the server before giving up on a source.
    keep_archive : bool
        Keep ``<dest>/ncd.zip`` after unpacking (default: delete it).

    Returns
    -------
    Path
        The folder holding the category folders (``dest`` or one level below it).

    Raises
    ------
    DownloadError
        Every source failed; the message lists why, and how to download by hand.
    UnsafeArchiveError
        The archive tries to write outside ``dest``; nothing was written.
    """
    dest = Path(dest).expanduser()
    if dest.exists() and not dest.is_dir():
        raise DownloadError(f"{dest} is a file, not a folder; choose a folder to unpack NCD into with --dest")
    existing = dataset_in(dest)
    if existing is not None:
        print(f"NCD is already in {existing}; nothing to download.")
        return existing

    failures = []
    for candidate in _sources(source, sha256):
        archive = None
        try:
            archive = _obtain_archive(candidate, dest, timeout,
                                      size if source is not None else candidate.size, candidate.sha256)
            safe_extract(archive, dest)
        except UnsafeArchiveError:
            if archive is not None and archive.parent == dest:
                archive.unlink()  # a hostile download is not kept around
            raise
        except DownloadError as exc:
            failures.append(f"{candidate.name}: {exc}")
            continue
        if archive.name == _ARCHIVE_NAME and archive.parent == dest and not keep_archive:
            archive.unlink()
        root = dataset_in(dest)
        if root is None:
            raise DownloadError(
                f"the archive from {candidate.name} unpacked into {dest} but holds no category folders of images; "
                "check that it is the NCD colour archive"
            )
        print(f"NCD unpacked into {root}.")
        return root

    manual = "; ".join(s.info_page for s in NCD_SOURCES)
    raise DownloadError(
        "could not download NCD (" + " | ".join(failures) + f"). Download the archive by hand ({manual}) "
        "and run 'python -m course_lib download --source FILE.zip', or set NCD_DIR to an unpacked copy"
    )


def _obtain_archive(candidate: NcdSource, dest: Path, timeout: float, size, sha256) -> Path:
    """A verified zip on disk for ``candidate``: the local file itself, or a download into ``dest``."""
    location = candidate.url
    if "://" not in location:
        path = Path(location).expanduser()
        if not path.is_file():
            raise DownloadError(f"{path} does not exist; pass an existing .zip file or a URL")
        try:
            verify_zip(path, size=size, sha256=sha256)
        except OSError as exc:  # e.g. no permission to read it
            raise DownloadError(f"cannot read {path} ({describe_exception(exc)}); check its permissions") from None
        return path
    archive = dest / _ARCHIVE_NAME
    if not archive.exists():
        fetch(location, archive, timeout=timeout, expected_size=size)
    try:
        verify_zip(archive, size=size, sha256=sha256)
    except DownloadError:
        archive.unlink()  # a bad complete file must not be reused by the next attempt
        raise
    return archive


# --------------------------------------------------------- an archive kept whole
#: Suffix of the file beside a kept archive's record: ``<sha256>  <archive path>``.
HASH_RECORD_SUFFIX = ".sha256"


def keep_ncd_archive(folder: str | os.PathLike, *, timeout: float = 60.0) -> Path:
    """The NCD zip to keep in ``folder`` (e.g. on Google Drive), obtained once.

    ``folder/ncd.zip`` when it is there already (not checked here: :func:`unpack_checked` does
    that on every use); else ``$NCD_URL`` when it names a local zip (a shared Drive folder: it is
    used where it is, not copied); else a download (``$NCD_URL``, then :data:`NCD_SOURCES`) into
    ``folder/ncd.zip``, through ``ncd.zip.part``, so an interrupted download resumes.

    Raises
    ------
    DownloadError
        Every source failed; the message lists why.
    """
    folder = Path(folder).expanduser()
    kept = folder / _ARCHIVE_NAME
    if kept.is_file():
        return kept
    failures = []
    for candidate in _sources(None):
        try:
            return _obtain_archive(candidate, folder, timeout, candidate.size, candidate.sha256)
        except DownloadError as exc:
            failures.append(f"{candidate.name}: {exc}")
    manual = "; ".join(s.info_page for s in NCD_SOURCES)
    raise DownloadError("could not get the NCD archive (" + " | ".join(failures) + f"). Download it by hand "
                        f"({manual}) and put it at {kept}")


def _read_record(record: Path) -> tuple[str, str] | None:
    """``(sha256, archive path)`` from a hash record, or None when there is none."""
    if not record.is_file():
        return None
    digest, _, path = record.read_text(encoding="utf-8").strip().partition("  ")
    return digest.lower(), path


def unpack_checked(archive: str | os.PathLike, local_parent: str | os.PathLike, record: str | os.PathLike,
                   sha256: str | None = None) -> Path:
    """Check ``archive``'s SHA-256, then unpack it into a folder of its own under ``local_parent``.

    The first time (no ``record`` for this archive), the archive passes every check of
    :func:`verify_zip` (a zip, whole, each member's CRC; ``sha256`` when given) and its SHA-256 is
    written to ``record``. Every later call compares the archive's SHA-256 with ``record`` (and
    ``sha256``) before anything else. The archive unpacks into ``local_parent/ncd-<hash>``, through
    a temporary folder renamed when complete; a call that finds that folder already unpacked
    returns it.

    Parameters
    ----------
    archive : path-like
        The zip (e.g. on Google Drive).
    local_parent : path-like
        Where to unpack (the runtime's local disk).
    record : path-like
        The file that keeps the archive's SHA-256 (beside the archive, or where it is writable).
    sha256 : str, optional
        The SHA-256 the archive must have (an instructor's ``$NCD_SHA256``).

    Returns
    -------
    Path
        The folder holding the category folders.

    Raises
    ------
    DownloadError
        The archive's SHA-256 differs from the recorded (or given) one, or it is damaged or no
        NCD; nothing was unpacked.
    UnsafeArchiveError
        A member would escape the destination; nothing was written.
    """
    archive, local_parent, record = Path(archive), Path(local_parent), Path(record)
    if not archive.is_file():
        raise DownloadError(f"{archive} does not exist; pass an existing .zip file")
    digest = _sha256_of(archive)
    recorded = _read_record(record)
    nothing = "nothing was unpacked"
    if sha256 is not None and digest != sha256.strip().lower():
        raise DownloadError(f"{archive} has SHA-256 {digest}, expected {sha256.strip().lower()}: it is not the "
                            f"archive you were given (damaged, or another file); {nothing}. Fix ${NCD_SHA256_ENV_VAR}, "
                            f"or replace the archive")
    if recorded is not None and recorded[1] == str(archive):
        if recorded[0] != digest:
            raise DownloadError(
                f"{archive} has changed since it was first checked (SHA-256 {digest}, recorded {recorded[0]} in "
                f"{record}): it is damaged, or was replaced; {nothing}. Put the original archive back, or, if you "
                f"replaced it on purpose, delete {record} and run again")
    else:  # first use of this archive: every check, then record its hash
        verify_zip(archive, sha256=sha256)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(f"{digest}  {archive}\n", encoding="utf-8")

    local = local_parent / f"ncd-{digest[:16]}"
    root = dataset_in(local)
    if root is not None:
        return root
    _make_folder(local_parent)
    staging = Path(tempfile.mkdtemp(prefix=".ncd-unpacking-", dir=local_parent))
    safe_extract(archive, staging)
    if dataset_in(staging) is None:
        raise DownloadError(f"{archive} holds no category folders of images; check that it is the NCD colour archive")
    os.replace(staging, local)  # appears whole or not at all
    return dataset_in(local)
