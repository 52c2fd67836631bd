"""The data commands: ``inspect``, ``download`` and ``sample`` through ``python -m course_lib``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib import cli, layout, sample_data

REPO_ROOT = Path(__file__).resolve().parent.parent


def _dataset(root: Path) -> Path:
    rng = np.random.default_rng(3)
    for category, sizes in {"Apple": [(30, 20), (60, 40)], "Banana": [(50, 50)]}.items():
        (root / category).mkdir(parents=True)
        for i, (w, h) in enumerate(sizes):
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / category / f"{i}.jpg")
    (root / "Banana" / "q").write_bytes(b"\n")
    return root


def test_inspect_json(tmp_path, capsys):
    root = _dataset(tmp_path / "ncd")
    assert cli.main(["inspect", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["categories"] == {"Apple": 2, "Banana": 1}
    assert report["n_images"] == 3 and report["n_categories"] == 2 and report["kind"] == "ncd"
    assert report["skipped"] == [{"path": str(root / "Banana" / "q"), "relpath": "Banana/q",
                                  "reason": "not an image file"}]
    assert report["sizes"]["width"] == {"min": 30, "median": 50.0, "mean": 46.7, "max": 60}
    assert report["sizes"]["longer_side"]["max"] == 60


def test_inspect_table(tmp_path, capsys):
    root = _dataset(tmp_path / "ncd")
    assert cli.main(["inspect", str(root)]) == 0
    out = capsys.readouterr().out
    assert "Apple" in out and "Banana/q: not an image file" in out and "(2 categories)" in out


@pytest.mark.parametrize("make", ["missing", "empty", "no-images"])
def test_inspect_errors_are_one_line_and_exit_2(tmp_path, capsys, make):
    target = tmp_path / "data"
    if make == "empty":
        target.mkdir()
    elif make == "no-images":
        (target / "Apple").mkdir(parents=True)
        (target / "Apple" / "notes.txt").write_text("no pictures here")
    assert cli.main(["inspect", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_sample_command(tmp_path, capsys):
    dest = tmp_path / "sample"
    assert cli.main(["sample", "--dest", str(dest), "--per-category", "1"]) == 0
    assert "NOT NCD" in capsys.readouterr().out
    assert layout.is_sample_dataset(dest)
    assert cli.main(["inspect", str(dest), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "sample" and report["n_images"] == len(sample_data.CATEGORIES)


def test_download_command_with_local_zip(tmp_path, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        image = io.BytesIO()
        Image.new("RGB", (8, 8), (200, 10, 10)).save(image, "JPEG")
        archive.writestr("Colour Images Dataset/Tomato/Tomato1.jpg", image.getvalue())
    (tmp_path / "ncd.zip").write_bytes(buffer.getvalue())
    dest = tmp_path / "out"
    assert cli.main(["download", "--dest", str(dest), "--source", str(tmp_path / "ncd.zip")]) == 0
    assert (dest / "Colour Images Dataset" / "Tomato" / "Tomato1.jpg").is_file()
    assert cli.main(["download", "--dest", str(dest), "--source", str(tmp_path / "ncd.zip")]) == 0
    assert "already" in capsys.readouterr().out


def test_download_command_error_exit_2(tmp_path, capsys):
    (tmp_path / "not.zip").write_text("hello")
    assert cli.main(["download", "--dest", str(tmp_path / "o"), "--source", str(tmp_path / "not.zip")]) == 2
    assert "not a zip" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["download", "--source", "unused.zip", "--dest"], ["sample", "--dest"]])
def test_a_file_where_a_folder_belongs_is_one_line_and_exit_2(tmp_path, capsys, command):
    (tmp_path / "taken").write_text("a file, not a folder")
    assert cli.main([*command, str(tmp_path / "taken")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "is a file, not a folder; choose a folder" in err and "--dest" in err


@pytest.mark.slow  # decodes every image of the copy, twice
def test_inspect_real_ncd_copy_acceptance(ncd_dir):
    """The acceptance check: 20 categories, counts of valid images, every stray file skipped."""
    result = subprocess.run(
        [sys.executable, "-m", "course_lib", "inspect", str(ncd_dir), "--json"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    valid, strays = {}, set()
    for folder in sorted(p for p in ncd_dir.iterdir() if p.is_dir()):
        for file in folder.iterdir():
            try:
                with Image.open(file) as im:
                    im.load()
                valid[folder.name] = valid.get(folder.name, 0) + 1
            except Exception:  # noqa: BLE001 -- whatever Pillow cannot decode is a stray
                strays.add(f"{folder.name}/{file.name}")
    assert len(report["categories"]) == 20
    assert report["categories"] == valid
    assert report["n_images"] == sum(valid.values())
    assert {entry["relpath"] for entry in report["skipped"]} == strays
    assert all(entry["reason"] for entry in report["skipped"])
