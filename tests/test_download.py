"""course_lib.download against a local HTTP server serving archives built here.

The archives hold generated images (never NCD's). The server runs in a thread on
127.0.0.1 with a random port and can misbehave on request: close the connection
half-way, send a web page, or answer 404.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import stat
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib import download, layout
from course_lib.errors import DownloadError, UnsafeArchiveError

CATEGORIES = {"Apple": 3, "Banana": 2}


def _jpeg_bytes(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def build_archive(wrapper: str = "ColorfulOriginal", extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> bytes:
    """A zip laid out like the public NCD archive: <wrapper>/<Category>/<Category><i>.jpg (+ a stray)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        seed = 0
        for category, n in CATEGORIES.items():
            for i in range(n):
                # STORED: JPEG does not compress further, and the archive is big enough to cut in half.
                archive.writestr(f"{wrapper}/{category}/{category}{i}.jpg", _jpeg_bytes(seed), zipfile.ZIP_STORED)
                seed += 1
        archive.writestr(f"{wrapper}/Apple/a", b"\n")
        for info, payload in extra:
            archive.writestr(info, payload)
    return buffer.getvalue()


class ArchiveServer:
    """What the handler serves, and a log of the requests it saw."""

    def __init__(self):
        self.payload = build_archive()
        self.mode = "ok"  # ok | truncate | html | html-as-zip | 404
        self.requests: list[dict] = []


@pytest.fixture
def server():
    state = ArchiveServer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def do_GET(self):  # noqa: N802 (http.server's naming)
            state.requests.append({"path": self.path, "range": self.headers.get("Range")})
            body = state.payload
            if state.mode == "404":
                self.send_error(404, "Not Found")
                return
            if state.mode in ("html", "html-as-zip"):
                page = b"<!DOCTYPE html><html><body>Quota exceeded, try later</body></html>"
                self.send_response(200)
                kind = "text/html; charset=utf-8" if state.mode == "html" else "application/zip"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            start = 0
            requested = self.headers.get("Range")
            if requested and requested.startswith("bytes="):
                start = int(requested[len("bytes="):].split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body) - start))  # promises the full rest
            self.end_headers()
            if state.mode == "truncate":
                self.wfile.write(body[start: start + (len(body) - start) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body[start:])

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/ncd.zip"
    yield state
    httpd.shutdown()
    httpd.server_close()


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")} if folder.exists() else set()


# ------------------------------------------------------------------- success
def test_download_and_extract(server, tmp_path):
    dest = tmp_path / "ncd"
    root = download.download_ncd(dest, server.url)
    assert root == dest / "ColorfulOriginal"
    assert sorted(p.name for p in root.iterdir()) == ["Apple", "Banana"]
    assert len(list((root / "Apple").glob("*.jpg"))) == 3
    assert not {"ncd.zip", "ncd.zip.part"} & _tree(dest)  # archive removed, no partial file left
    assert not any(p.name.startswith(".extracting-") for p in dest.iterdir())


def test_second_call_is_a_no_op(server, tmp_path):
    dest = tmp_path / "ncd"
    download.download_ncd(dest, server.url)
    before = len(server.requests)
    assert download.download_ncd(dest, server.url) == dest / "ColorfulOriginal"
    assert len(server.requests) == before  # the server was not contacted again
    # Even an unreachable source is fine when the data is already there.
    assert download.download_ncd(dest, "http://127.0.0.1:9/never") == dest / "ColorfulOriginal"


def test_sha256_and_size_are_checked_when_known(server, tmp_path):
    digest = hashlib.sha256(server.payload).hexdigest()
    root = download.download_ncd(tmp_path / "ok", server.url, sha256=digest, size=len(server.payload))
    assert (root / "Banana").is_dir()
    with pytest.raises(DownloadError, match="SHA-256"):
        download.download_ncd(tmp_path / "bad", server.url, sha256="0" * 64)
    assert not (tmp_path / "bad" / "ncd.zip").exists()  # a bad file is not kept for reuse


# -------------------------------------------------------------- interruptions
def test_interrupted_transfer_is_reported_then_resumed(server, tmp_path):
    dest = tmp_path / "ncd"
    server.mode = "truncate"
    with pytest.raises(DownloadError, match="run the same command again to resume"):
        download.download_ncd(dest, server.url)
    part = dest / "ncd.zip.part"
    assert part.exists() and 0 < part.stat().st_size < len(server.payload)
    assert not (dest / "ncd.zip").exists()  # never renamed while incomplete
    assert layout.dataset_in(dest) is None

    server.mode = "ok"
    root = download.download_ncd(dest, server.url)
    assert server.requests[-1]["range"] == f"bytes={len(server.payload) // 2}-"  # resumed, not restarted
    assert len(list((root / "Apple").glob("*.jpg"))) == 3
    assert not part.exists()


def test_server_ignoring_range_restarts_cleanly(server, tmp_path, monkeypatch):
    dest = tmp_path / "ncd"
    dest.mkdir()
    (dest / "ncd.zip.part").write_bytes(b"stale bytes from an older attempt")
    original_open = download._open
    # As if the server ignored Range: it answers 200 with the whole file.
    monkeypatch.setattr(download, "_open", lambda url, offset, timeout: original_open(url, 0, timeout))
    root = download.download_ncd(dest, server.url)
    assert (root / "Banana").is_dir()


# --------------------------------------------------------- wrong content
def test_html_error_page_is_refused(server, tmp_path):
    dest = tmp_path / "ncd"
    server.mode = "html"
    with pytest.raises(DownloadError, match="web page"):
        download.download_ncd(dest, server.url)
    assert not dest.exists()  # refused before anything was written


def test_html_page_labelled_as_zip_is_refused(server, tmp_path):
    server.mode = "html-as-zip"
    with pytest.raises(DownloadError, match="web page"):
        download.download_ncd(tmp_path / "ncd", server.url)
    assert layout.dataset_in(tmp_path / "ncd") is None


def test_http_error_is_reported(server, tmp_path):
    server.mode = "404"
    with pytest.raises(DownloadError, match="404"):
        download.download_ncd(tmp_path / "ncd", server.url)


def test_unreachable_default_sources_say_what_to_do(tmp_path, monkeypatch):
    dead = download.NcdSource(name="dead mirror", url="http://127.0.0.1:9/ncd.zip", info_page="https://example")
    monkeypatch.setattr(download, "NCD_SOURCES", (dead,))
    monkeypatch.delenv("NCD_URL", raising=False)
    with pytest.raises(DownloadError, match="--source FILE.zip"):
        download.download_ncd(tmp_path / "ncd", timeout=5)


def test_ncd_url_env_var_is_tried_first(server, tmp_path, monkeypatch):
    dead = download.NcdSource(name="dead mirror", url="http://127.0.0.1:9/ncd.zip", info_page="https://example")
    monkeypatch.setattr(download, "NCD_SOURCES", (dead,))
    monkeypatch.setenv("NCD_URL", server.url)
    assert (download.download_ncd(tmp_path / "ncd") / "Apple").is_dir()


# ------------------------------------------------------------- local archives
def test_local_zip_source(tmp_path):
    archive = tmp_path / "NCD.zip"
    archive.write_bytes(build_archive(wrapper="Colour Images Dataset"))
    root = download.download_ncd(tmp_path / "ncd", archive)
    assert root == tmp_path / "ncd" / "Colour Images Dataset"
    assert archive.exists()  # the user's own file is left alone


def test_local_non_zip_and_missing_file(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"this is text")
    with pytest.raises(DownloadError, match="not a zip"):
        download.download_ncd(tmp_path / "ncd", tmp_path / "fake.zip")
    with pytest.raises(DownloadError, match="does not exist"):
        download.download_ncd(tmp_path / "ncd", tmp_path / "missing.zip")


def test_damaged_zip_is_refused(tmp_path):
    payload = bytearray(build_archive())
    payload[200:260] = b"\x00" * 60  # corrupt a member's data: its CRC no longer matches
    (tmp_path / "bad.zip").write_bytes(bytes(payload))
    with pytest.raises(DownloadError):
        download.download_ncd(tmp_path / "ncd", tmp_path / "bad.zip")
    assert layout.dataset_in(tmp_path / "ncd") is None


# ------------------------------------------------------------ hostile archives
def _symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


HOSTILE = {
    "dot-dot": [("ColorfulOriginal/../../escaped.txt", b"owned")],
    "absolute": [("/tmp/colorize-course-escaped.txt", b"owned")],
    "drive-letter": [("C:/escaped.txt", b"owned")],
    "backslash-dot-dot": [("ColorfulOriginal\\..\\..\\escaped.txt", b"owned")],
    "symlink": [_symlink_member("ColorfulOriginal/Apple/link.jpg", "../../../../etc/passwd")],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archive_is_refused_and_nothing_is_written(tmp_path, server, kind):
    server.payload = build_archive(extra=HOSTILE[kind])
    sandbox = tmp_path / "sandbox"
    dest = sandbox / "inner" / "ncd"
    dest.mkdir(parents=True)
    (sandbox / "keep.txt").write_text("untouched")
    before = _tree(sandbox)

    with pytest.raises(UnsafeArchiveError):
        download.download_ncd(dest, server.url)

    assert _tree(sandbox) == before  # nothing extracted, and the hostile download deleted
    assert not Path("/tmp/colorize-course-escaped.txt").exists()
    assert layout.dataset_in(dest) is None


def test_zip_bomb_limit(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(build_archive())
    with pytest.raises(DownloadError, match="would unpack"):
        download.safe_extract(archive, tmp_path / "out", max_bytes=100)
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_extraction_never_overwrites(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(build_archive())
    (tmp_path / "out" / "ColorfulOriginal").mkdir(parents=True)
    with pytest.raises(DownloadError, match="already exists"):
        download.safe_extract(archive, tmp_path / "out")
    assert _tree(tmp_path / "out") == {"ColorfulOriginal"}


# ------------------------------------------------------- folders the user got wrong
def test_a_file_as_destination_says_what_to_do(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(build_archive())
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(DownloadError, match="is a file, not a folder; choose a folder .* with --dest"):
        download.download_ncd(tmp_path / "taken", archive)
    with pytest.raises(DownloadError, match="cannot create the folder .* choose a writable folder with --dest"):
        download.download_ncd(tmp_path / "taken" / "ncd", archive)


def test_an_unreadable_local_zip_says_what_to_do(tmp_path, monkeypatch):
    archive = tmp_path / "a.zip"
    archive.write_bytes(build_archive())

    def refuse(path, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(download, "verify_zip", refuse)  # tests run as root: chmod would not stop them
    with pytest.raises(DownloadError, match="cannot read .*a.zip .*check its permissions"):
        download.download_ncd(tmp_path / "ncd", archive)


def test_a_full_disk_while_unpacking_says_what_to_do(tmp_path, monkeypatch):
    archive = tmp_path / "a.zip"
    archive.write_bytes(build_archive())

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(download.shutil, "copyfileobj", disk_full)
    with pytest.raises(DownloadError, match="No space left on device.*free some disk space"):
        download.safe_extract(archive, tmp_path / "out")
    assert _tree(tmp_path / "out") == set()  # the staging folder is gone too


# ------------------------------------------------------------ an instructor's mirror
def _no_public_sources(monkeypatch):
    dead = download.NcdSource(name="dead mirror", url="http://127.0.0.1:9/ncd.zip", info_page="https://example")
    monkeypatch.setattr(download, "NCD_SOURCES", (dead,))


def test_instructor_mirror_url_with_its_sha256(server, tmp_path, monkeypatch):
    _no_public_sources(monkeypatch)
    monkeypatch.setenv("NCD_URL", server.url)
    monkeypatch.setenv("NCD_SHA256", hashlib.sha256(server.payload).hexdigest().upper())
    root = download.download_ncd(tmp_path / "ncd")
    assert (root / "Apple").is_dir() and server.requests


def test_instructor_mirror_with_the_wrong_sha256_unpacks_nothing(server, tmp_path, monkeypatch):
    _no_public_sources(monkeypatch)
    monkeypatch.setenv("NCD_URL", server.url)
    monkeypatch.setenv("NCD_SHA256", "0" * 64)
    dest = tmp_path / "ncd"
    with pytest.raises(DownloadError, match=r"has SHA-256 [0-9a-f]{64}, expected 0{64}.*nothing was unpacked"):
        download.download_ncd(dest, timeout=5)
    assert _tree(dest) == set()  # no archive, no partial file, no half-extracted folder


def test_known_archive_sha256_is_checked(server, tmp_path, monkeypatch):
    monkeypatch.delenv("NCD_SHA256", raising=False)
    monkeypatch.setitem(download.KNOWN_ARCHIVE_SHA256, server.url, "f" * 64)
    with pytest.raises(DownloadError, match="expected f{64}"):
        download.download_ncd(tmp_path / "bad", server.url)
    assert layout.dataset_in(tmp_path / "bad") is None
    monkeypatch.setitem(download.KNOWN_ARCHIVE_SHA256, server.url, hashlib.sha256(server.payload).hexdigest())
    assert (download.download_ncd(tmp_path / "ok", server.url) / "Banana").is_dir()


def test_sha256_option_wins_over_the_environment_and_checks_a_local_zip(tmp_path, monkeypatch):
    archive = tmp_path / "shared-drive" / "NCD.zip"  # e.g. a zip on a shared Google Drive
    archive.parent.mkdir()
    archive.write_bytes(build_archive())
    monkeypatch.setenv("NCD_SHA256", "0" * 64)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (download.download_ncd(tmp_path / "ncd", archive, sha256=digest) / "Apple").is_dir()
    with pytest.raises(DownloadError, match="SHA-256"):
        download.download_ncd(tmp_path / "other", archive)  # $NCD_SHA256 applies to --source too
    assert archive.is_file()  # the instructor's own file is never deleted
