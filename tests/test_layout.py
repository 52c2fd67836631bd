"""course_lib.layout: which folders are an NCD-style dataset (file names only, no image decoding)."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_lib import layout
from course_lib.errors import DataNotFoundError


def _tree(root: Path, counts: dict[str, int]) -> Path:
    """<root>/<Category>/<Category><i>.jpg; layout looks at names only, so the files may be empty."""
    for category, n in counts.items():
        (root / category).mkdir(parents=True)
        for i in range(n):
            (root / category / f"{category}{i}.jpg").write_bytes(b"")
    return root


def test_find_root_flat_layout(tmp_path):
    root = _tree(tmp_path / "ncd", {"Apple": 1, "Banana": 1})
    assert layout.find_ncd_root(root) == root


@pytest.mark.parametrize("wrapper", ["Colour Images Dataset", "ColorfulOriginal"])
def test_find_root_one_level_down(tmp_path, wrapper):
    inner = _tree(tmp_path / "ncd" / wrapper, {"Apple": 1})
    (tmp_path / "ncd" / "README.txt").write_text("wrapper folder with a readme beside it")
    (tmp_path / "ncd" / "__MACOSX" / "Apple").mkdir(parents=True)  # archive litter is ignored
    (tmp_path / "ncd" / "__MACOSX" / "Apple" / "._Apple0.jpg").write_bytes(b"")
    assert layout.find_ncd_root(tmp_path / "ncd") == inner


def test_find_root_refuses_two_candidate_datasets(tmp_path):
    _tree(tmp_path / "ncd" / "Colour", {"Apple": 1})
    _tree(tmp_path / "ncd" / "Gray", {"Apple": 1})
    with pytest.raises(DataNotFoundError, match="several datasets"):
        layout.find_ncd_root(tmp_path / "ncd")


def test_find_root_errors_say_what_to_do(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist; check the path"):
        layout.find_ncd_root(tmp_path / "missing")
    (tmp_path / "empty" / "Apple").mkdir(parents=True)
    (tmp_path / "empty" / "Apple" / "notes.txt").write_text("not an image name")
    with pytest.raises(DataNotFoundError, match="no category folders"):
        layout.find_ncd_root(tmp_path / "empty")
    (tmp_path / "file.jpg").write_bytes(b"x")
    with pytest.raises(DataNotFoundError, match="not a folder"):
        layout.find_ncd_root(tmp_path / "file.jpg")


def test_an_unreadable_folder_is_a_course_error_not_an_os_error(tmp_path, monkeypatch):
    def refuse(folder):
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(layout, "is_layout_root", refuse)  # tests run as root: chmod would not stop them
    with pytest.raises(DataNotFoundError, match="cannot read .*Permission denied.*check its permissions"):
        layout.find_ncd_root(tmp_path)


def test_dataset_in_never_raises(tmp_path):
    root = _tree(tmp_path / "ncd" / "ColorfulOriginal", {"Apple": 1})
    assert layout.dataset_in(tmp_path / "ncd") == root
    assert layout.dataset_in(tmp_path / "missing") is None
    assert layout.dataset_in(root / "Apple" / "Apple0.jpg") is None  # a file
    (tmp_path / "empty").mkdir()
    assert layout.dataset_in(tmp_path / "empty") is None


def test_sample_set_is_recognised_by_its_marker(tmp_path):
    root = _tree(tmp_path / "s", {"Tomato": 1})
    assert not layout.is_sample_dataset(root)
    (root / layout.SAMPLE_MARKER_NAME).write_text("generated")
    assert layout.is_sample_dataset(root)
