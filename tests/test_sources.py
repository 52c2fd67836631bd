"""course_lib.sources: where the data comes from, said once, and handed to other processes intact."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from course_lib import cli, config, download, sample_data, sources
from course_lib.errors import DataNotFoundError, DownloadError
from course_lib.sources import DatasetSource

REPO_ROOT = Path(__file__).resolve().parent.parent


def _tree(root: Path, counts: dict[str, int]) -> Path:
    """<root>/<Category>/<Category><i>.jpg, tiny real JPEGs."""
    for category, n in counts.items():
        (root / category).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (8, 6), (200, 30, 30)).save(root / category / f"{category}{i}.jpg")
    return root


@pytest.fixture
def isolated_data_dir(tmp_path, monkeypatch):
    """config.data_dir() is an empty folder; no data variable is set; downloading is an error."""
    monkeypatch.setattr(config, "data_dir", lambda: tmp_path / "data")
    for name in (sources.NCD_DIR_ENV_VAR, sources.REASON_ENV_VAR, "NCD_URL"):
        monkeypatch.delenv(name, raising=False)

    def no_network(dest):
        raise AssertionError("this test must not download")

    monkeypatch.setattr(download, "download_ncd", no_network)
    return tmp_path / "data"


@pytest.fixture
def no_download_then_small_sample(isolated_data_dir, monkeypatch):
    def failing_download(dest):
        raise DownloadError("no network here")

    monkeypatch.setattr(download, "download_ncd", failing_download)
    small = sample_data.make_sample_dataset
    monkeypatch.setattr(sample_data, "make_sample_dataset", lambda: small(per_category=1))
    return isolated_data_dir


# ------------------------------------------------------------------------ the order
def test_explicit_path_wins(isolated_data_dir, tmp_path, monkeypatch, capsys):
    explicit = _tree(tmp_path / "mine", {"Apple": 1})
    monkeypatch.setenv("NCD_DIR", str(_tree(tmp_path / "env", {"Pear": 1})))
    source = sources.get_dataset(explicit)
    assert source == DatasetSource(explicit, "ncd", "it was given as the path")
    assert capsys.readouterr().out == f"Using NCD at {explicit} (it was given as the path).\n"


def test_env_var_then_default_folder(isolated_data_dir, tmp_path, monkeypatch):
    env = _tree(tmp_path / "env", {"Pear": 1})
    default = _tree(isolated_data_dir / "ncd", {"Plum": 1})
    monkeypatch.setenv("NCD_DIR", str(env))
    assert sources.get_dataset() == DatasetSource(env, "ncd", "$NCD_DIR points at it")
    monkeypatch.delenv("NCD_DIR")
    assert sources.get_dataset() == DatasetSource(default, "ncd", "it is in the default data folder")


@pytest.mark.parametrize("named_by", ["path", "NCD_DIR"])
def test_a_wrong_named_folder_is_an_error_not_a_fallback(isolated_data_dir, tmp_path, monkeypatch, named_by):
    typo = tmp_path / "typo"
    if named_by == "NCD_DIR":
        monkeypatch.setenv("NCD_DIR", str(typo))
    with pytest.raises(DataNotFoundError, match="typo does not exist"):
        sources.get_dataset(typo if named_by == "path" else None)
    assert not (isolated_data_dir / "sample").exists()


def test_download_is_tried_when_nothing_is_there(isolated_data_dir, monkeypatch):
    asked = []

    def fake_download(dest):
        asked.append(dest)
        return _tree(Path(dest) / "ColorfulOriginal", {"Apple": 1})

    monkeypatch.setattr(download, "download_ncd", fake_download)
    source = sources.get_dataset()
    assert asked == [isolated_data_dir / "ncd"]
    assert source == DatasetSource(isolated_data_dir / "ncd" / "ColorfulOriginal", "ncd", "it was just downloaded")


def test_falls_back_to_the_sample_set_loudly(no_download_then_small_sample, capsys):
    data_dir = no_download_then_small_sample
    source = sources.get_dataset()
    assert source.kind == "sample" and source.is_sample and source.root == data_dir / "sample"
    assert source.reason == (f"NCD was not found at {data_dir / 'ncd'} and $NCD_DIR is not set; "
                             "the download failed: no network here")
    out = capsys.readouterr().out
    assert out == source.message + "\n"
    assert "OFFLINE SAMPLE SET" in out and f"because {source.reason}." in out
    assert not (data_dir / "ncd").exists()  # never mixed into the NCD folder


def test_a_default_folder_without_a_dataset_is_named_in_the_reason(no_download_then_small_sample):
    (no_download_then_small_sample / "ncd" / "empty").mkdir(parents=True)
    source = sources.get_dataset()
    assert source.is_sample and source.reason.startswith(f"{no_download_then_small_sample / 'ncd'} holds no dataset")


def test_no_download_and_no_sample_when_not_allowed(isolated_data_dir):
    with pytest.raises(DataNotFoundError, match="downloading was not allowed. Set NCD_DIR"):
        sources.get_dataset(download=False, allow_sample=False)


def test_a_sample_set_given_as_path_is_reported_as_sample(isolated_data_dir, tmp_path, capsys):
    root = sample_data.make_sample_dataset(tmp_path / "s", per_category=1, categories=["Tomato"])
    source = sources.get_dataset(root)
    assert source == DatasetSource(root, "sample", "it was given as the path")
    assert "OFFLINE SAMPLE SET" in capsys.readouterr().out


# ------------------------------------------------------------- handing it to kernels
def test_kernel_env_makes_another_process_choose_the_same_source(no_download_then_small_sample, monkeypatch):
    chosen = sources.get_dataset()
    env = sources.kernel_env(chosen)
    assert env == {"NCD_DIR": str(chosen.root), "COURSE_DATA_REASON": chosen.reason}
    # The kernel is another process: only the environment travels.
    probe = ("from course_lib import sources\n"
             "s = sources.get_dataset(download=False, allow_sample=False)\n"
             "print(repr((str(s.root), s.kind, s.reason)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT,
                            env={**os.environ, **env}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(chosen.message)  # the same banner, the same reason
    assert result.stdout.strip().endswith(repr((str(chosen.root), "sample", chosen.reason)))


def test_the_runners_reason_is_not_used_for_a_path_given_explicitly(isolated_data_dir, tmp_path, monkeypatch):
    root = sample_data.make_sample_dataset(tmp_path / "s", per_category=1, categories=["Lemon"])
    monkeypatch.setenv("NCD_DIR", str(root))
    monkeypatch.setenv("COURSE_DATA_REASON", "the runner's reason")
    assert sources.get_dataset().reason == "the runner's reason"
    assert sources.get_dataset(root).reason == "it was given as the path"


# --------------------------------------------------------------------- the object
def test_messages():
    ncd = DatasetSource(Path("/data/ncd"), "ncd", "$NCD_DIR points at it")
    assert ncd.message == "Using NCD at /data/ncd ($NCD_DIR points at it)." and not ncd.is_sample
    sample = DatasetSource(Path("/data/sample"), "sample", "the download failed: offline.")
    lines = sample.message.splitlines()
    assert lines[0] == lines[-1] == "!" * 78
    assert "NOT THE NATURAL-COLOR DATASET" in lines[1]
    assert "!!  because the download failed: offline." in lines  # one full stop, not two
    assert "To use NCD: set NCD_DIR" in sample.message


def test_kind_is_checked():
    with pytest.raises(ValueError, match="kind must be one of"):
        DatasetSource(Path("x"), "NCD", "typo in the kind")


def test_ncd_dir_order(isolated_data_dir, tmp_path, monkeypatch):
    assert sources.ncd_dir() == isolated_data_dir / "ncd"
    monkeypatch.setenv("NCD_DIR", str(tmp_path / "env"))
    assert sources.ncd_dir() == tmp_path / "env"
    assert sources.ncd_dir(tmp_path / "given") == tmp_path / "given"


# -------------------------------------------------------------- the download command
def _local_zip(path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        image = io.BytesIO()
        Image.new("RGB", (8, 8), (200, 10, 10)).save(image, "JPEG")
        archive.writestr("ColorfulOriginal/Tomato/Tomato1.jpg", image.getvalue())
    path.write_bytes(buffer.getvalue())
    return path


def test_download_command_unpacks_into_ncd_dir_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config, "data_dir", lambda: tmp_path / "data")
    monkeypatch.setenv("NCD_DIR", str(tmp_path / "mine"))
    assert cli.main(["download", "--source", str(_local_zip(tmp_path / "ncd.zip"))]) == 0
    assert capsys.readouterr().out.strip().endswith(str(tmp_path / "mine" / "ColorfulOriginal"))
    assert (tmp_path / "mine" / "ColorfulOriginal" / "Tomato" / "Tomato1.jpg").is_file()
    assert not (tmp_path / "data").exists()
