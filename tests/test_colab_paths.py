"""Colab opens right: GPU metadata, GPU memory growth, and NCD kept on Drive as one checked zip.

Download code runs against local files and a local HTTP server (``test_download``'s), never the
internet; Colab and its Drive are stand-ins (``google.colab`` in sys.modules, a folder as Drive).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import types
from pathlib import Path

import jupytext
import nbformat
import pytest

from course_lib import config, download, environment, sources
from course_lib.errors import DownloadError
from conftest import REPO_ROOT
from test_download import build_archive, server  # noqa: F401 (server is a fixture)

SOURCES = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


# ------------------------------------------------------------- Colab's GPU runtime
def _trains(source: Path) -> bool:
    return any("train.train(" in cell.source for cell in jupytext.read(source).cells if cell.cell_type == "code")


def test_notebooks_that_train_open_on_a_colab_gpu():
    training = [source.stem for source in SOURCES if _trains(source)]
    assert {"04_training_on_a_gpu", "06_results", "07_colour_as_classification", "08_colour_hints",
            "09_adversarial_colorization"} <= set(training)
    for source in SOURCES:
        metadata = nbformat.read(source.with_suffix(".ipynb"), as_version=4).metadata
        if source.stem in training:
            assert metadata.get("accelerator") == "GPU", f"{source.stem} trains, but Colab would open it on a CPU"
            assert metadata["colab"]["gpuType"] == "T4"
        else:
            assert "accelerator" not in metadata, f"{source.stem} does not train: it needs no GPU runtime"


# ---------------------------------------------------------------- GPU memory growth
class _FakeGpu:
    def __init__(self, name, initialised=False):
        self.name, self.initialised, self.growth = name, initialised, False


def _fake_tensorflow(gpus):
    """Just what enable_gpu_memory_growth uses; a GPU TensorFlow has set up already refuses the change."""
    def set_memory_growth(gpu, value):
        if gpu.initialised:
            raise RuntimeError("Physical devices cannot be modified after being initialized")
        gpu.growth = value

    experimental = types.SimpleNamespace(get_memory_growth=lambda gpu: gpu.growth, set_memory_growth=set_memory_growth)
    config_module = types.SimpleNamespace(list_physical_devices=lambda kind: list(gpus) if kind == "GPU" else [],
                                          experimental=experimental)
    return types.SimpleNamespace(config=config_module)


@pytest.fixture
def growth_env(monkeypatch):
    monkeypatch.setenv(environment.GPU_MEMORY_GROWTH_ENV_VAR, "")  # recorded, so the call's value is undone
    monkeypatch.delenv(environment.GPU_MEMORY_GROWTH_ENV_VAR)


def test_memory_growth_before_tensorflow_starts_is_the_environment_variable(growth_env, monkeypatch):
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    assert environment.enable_gpu_memory_growth() == []
    assert os.environ[environment.GPU_MEMORY_GROWTH_ENV_VAR] == "true"  # TensorFlow and child processes read it
    assert "tensorflow" not in sys.modules  # never imported for this


def test_memory_growth_is_set_on_every_gpu(growth_env, monkeypatch, capsys):
    gpus = [_FakeGpu("/physical_device:GPU:0"), _FakeGpu("/physical_device:GPU:1")]
    monkeypatch.setitem(sys.modules, "tensorflow", _fake_tensorflow(gpus))
    assert environment.enable_gpu_memory_growth() == [gpu.name for gpu in gpus]
    assert all(gpu.growth for gpu in gpus) and capsys.readouterr().out == ""
    assert environment.enable_gpu_memory_growth() == [gpu.name for gpu in gpus]  # again: harmless


def test_memory_growth_too_late_is_said_loudly(growth_env, monkeypatch, capsys):
    late = _FakeGpu("/physical_device:GPU:0", initialised=True)
    monkeypatch.setitem(sys.modules, "tensorflow", _fake_tensorflow([late]))
    assert environment.enable_gpu_memory_growth() == []
    assert "could not be turned on" in capsys.readouterr().out


def test_memory_growth_with_real_tensorflow_on_a_cpu_does_not_raise(growth_env):
    import tensorflow as tf

    assert environment.enable_gpu_memory_growth() == [g.name for g in tf.config.list_physical_devices("GPU")]
    assert os.environ[environment.GPU_MEMORY_GROWTH_ENV_VAR] == "true"


# ------------------------------------------------------ NCD on Drive: one checked zip
def _hash_record(folder: Path) -> Path:
    return folder / ("ncd.zip" + download.HASH_RECORD_SUFFIX)


def _unpacked(local: Path) -> list[str]:
    return sorted(p.name for p in local.iterdir()) if local.is_dir() else []


def test_kept_zip_is_downloaded_once_then_unpacked_locally_on_every_runtime(server, tmp_path, monkeypatch):  # noqa: F811
    drive, local = tmp_path / "drive", tmp_path / "runtime1"
    monkeypatch.setattr(download, "NCD_SOURCES", ())
    monkeypatch.setenv("NCD_URL", server.url)
    archive = download.keep_ncd_archive(drive)
    assert archive == drive / "ncd.zip" and archive.read_bytes() == server.payload and len(server.requests) == 1
    assert not (drive / "ncd").exists() and sorted(p.name for p in drive.iterdir()) == ["ncd.zip"]  # one file on Drive

    root = download.unpack_checked(archive, local, _hash_record(drive))
    digest = hashlib.sha256(server.payload).hexdigest()
    assert root == local / f"ncd-{digest[:16]}" / "ColorfulOriginal" and (root / "Apple" / "Apple0.jpg").is_file()
    assert _hash_record(drive).read_text().split() == [digest, str(archive)]
    assert download.unpack_checked(archive, local, _hash_record(drive)) == root  # same runtime: reused

    # A new runtime: Drive still has the zip, the local disk is empty; nothing is downloaded again.
    monkeypatch.delenv("NCD_URL")
    assert download.keep_ncd_archive(drive) == archive and len(server.requests) == 1
    assert download.unpack_checked(archive, tmp_path / "runtime2", _hash_record(drive)).is_dir()


def test_a_changed_zip_fails_loudly_and_unpacks_nothing(tmp_path):
    drive, local = tmp_path / "drive", tmp_path / "runtime"
    drive.mkdir()
    archive = drive / "ncd.zip"
    archive.write_bytes(build_archive())
    download.unpack_checked(archive, local, _hash_record(drive))
    before = _unpacked(local)

    damaged = bytearray(archive.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte inside a member
    archive.write_bytes(bytes(damaged))
    for runtime in (local, tmp_path / "new-runtime"):
        with pytest.raises(DownloadError, match="has changed since it was first checked.*nothing was unpacked"):
            download.unpack_checked(archive, runtime, _hash_record(drive))
    assert _unpacked(local) == before and not (tmp_path / "new-runtime").exists()

    archive.write_bytes(build_archive(wrapper="Other"))  # replaced by another (intact) zip: refused too
    with pytest.raises(DownloadError, match="has changed"):
        download.unpack_checked(archive, tmp_path / "third", _hash_record(drive))


def test_a_damaged_zip_fails_its_first_check_and_records_nothing(tmp_path):
    archive = tmp_path / "ncd.zip"
    damaged = bytearray(build_archive())
    damaged[len(damaged) // 2] ^= 0xFF
    archive.write_bytes(bytes(damaged))
    with pytest.raises(DownloadError, match="CRC|damaged"):
        download.unpack_checked(archive, tmp_path / "runtime", _hash_record(tmp_path))
    assert not _hash_record(tmp_path).exists() and not (tmp_path / "runtime").exists()


def test_an_instructors_sha256_is_checked_every_time(tmp_path):
    archive = tmp_path / "ncd.zip"
    archive.write_bytes(build_archive())
    with pytest.raises(DownloadError, match="expected " + "0" * 64 + ".*nothing was unpacked"):
        download.unpack_checked(archive, tmp_path / "runtime", _hash_record(tmp_path), sha256="0" * 64)
    assert not (tmp_path / "runtime").exists() and not _hash_record(tmp_path).exists()
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert download.unpack_checked(archive, tmp_path / "runtime", _hash_record(tmp_path), sha256=digest.upper()).is_dir()


def test_a_zip_without_ncd_is_refused(tmp_path):
    archive = tmp_path / "ncd.zip"
    import zipfile

    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("readme.txt", "no images here")
    with pytest.raises(DownloadError, match="no category folders"):
        download.unpack_checked(archive, tmp_path / "runtime", _hash_record(tmp_path))


def test_use_google_drive_keeps_the_zip_on_drive_and_unpacks_it_locally(fake_colab, server, tmp_path,  # noqa: F811
                                                                       monkeypatch, capsys):
    mount, local = tmp_path / "drive", tmp_path / "content" / "data"
    monkeypatch.setenv("NCD_URL", server.url)
    home = environment.use_google_drive(mount_point=str(mount), local_dir=local)
    assert sorted(p.name for p in home.iterdir()) == ["ncd.zip", "ncd.zip.sha256", "runs"]  # no unpacked files on Drive
    root = Path(os.environ["NCD_DIR"])
    assert root.is_relative_to(local) and sources.get_dataset().root == root
    assert "SHA-256 checked" in capsys.readouterr().out

    # A new runtime: the environment and the local disk are gone, Drive is not.
    monkeypatch.delenv("NCD_DIR")
    monkeypatch.delenv("NCD_URL")
    fresh = tmp_path / "content2" / "data"
    environment.use_google_drive(mount_point=str(mount), local_dir=fresh)
    assert Path(os.environ["NCD_DIR"]).is_relative_to(fresh) and len(server.requests) == 1

    (home / "ncd.zip").write_bytes(build_archive(wrapper="Swapped"))  # changed on Drive: stop, unpack nothing
    with pytest.raises(DownloadError, match="has changed"):
        environment.use_google_drive(mount_point=str(mount), local_dir=tmp_path / "content3")
    assert not (tmp_path / "content3").exists()


def test_use_google_drive_uses_an_instructors_shared_zip_where_it_is(fake_colab, tmp_path, monkeypatch):
    shared = tmp_path / "drive" / "MyDrive" / "shared" / "ncd.zip"
    shared.parent.mkdir(parents=True)
    shared.write_bytes(build_archive())
    monkeypatch.setenv("NCD_URL", str(shared))
    monkeypatch.setenv("NCD_SHA256", hashlib.sha256(shared.read_bytes()).hexdigest())
    home = environment.use_google_drive(mount_point=str(tmp_path / "drive"), local_dir=tmp_path / "local")
    assert not (home / "ncd.zip").exists()  # not copied: no second copy in the learner's quota
    assert Path(os.environ["NCD_DIR"]).is_relative_to(tmp_path / "local")


def test_use_google_drive_keeps_using_ncd_unpacked_there_by_an_earlier_version(fake_colab, tmp_path, capsys):
    old = tmp_path / "drive" / "MyDrive" / "colorize-course" / "ncd" / "Apple"
    old.mkdir(parents=True)
    (old / "Apple0.jpg").write_bytes(b"not decoded here")
    environment.use_google_drive(mount_point=str(tmp_path / "drive"), local_dir=tmp_path / "local")
    assert os.environ["NCD_DIR"] == str(old.parent)
    assert "slow" in capsys.readouterr().out and old.is_dir()  # said, and nothing moved or deleted


def test_use_google_drive_without_any_ncd_still_keeps_the_runs(fake_colab, tmp_path, capsys):
    home = environment.use_google_drive(mount_point=str(tmp_path / "drive"), local_dir=tmp_path / "local")
    assert config.runs_dir() == home / "runs" and "NCD_DIR" not in os.environ
    assert "could not be downloaded" in capsys.readouterr().out


# ------------------------------------------- the commands the notebooks suggest or print
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
#: A command names its paths; ``train --hints`` in a sentence names an option, and is not one.
PATH_FLAGS = ("--data", "--out", "--model")
_COMMAND = re.compile(r"!?python -m course_lib [^\n`]*")
_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def _texts(cell) -> list[str]:
    """The text a cell shows or prints: a markdown cell's source (fenced blocks' continued lines
    joined), or every string literal of a code cell (f-strings' literal parts)."""
    if cell.cell_type == "markdown":
        return [re.sub(r"\\\n#?\s*", " ", cell.source)]
    tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith(("!", "%"))))
    texts = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return texts + ["".join(part.value for part in node.values if isinstance(part, ast.Constant))
                    for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)]


def notebook_commands() -> list[str]:
    """Every ``python -m course_lib`` command of the notebooks' text and output, once each, in order."""
    commands = []
    for source in SOURCES:
        for cell in jupytext.read(source).cells:
            for text in _texts(cell):
                for found in _COMMAND.findall(text):
                    command = re.sub(r" {2,}", " ", found.lstrip("!").split("  #")[0].strip())  # after a "\\"
                    if any(flag in command.split() for flag in PATH_FLAGS) and command not in commands:
                        commands.append(command)
    return commands


def _as_written_without_the_variables(command: str) -> list[str]:
    """The command's words as the shell gives them when ``$NCD_DIR`` and ``$COURSE_RUNS_DIR`` are unset."""
    return shlex.split(_DEFAULT.sub(lambda m: m.group(2), command))


def test_the_notebooks_suggest_commands_and_each_parses():
    commands = notebook_commands()
    assert {c.split()[3] for c in commands} >= {"train", "evaluate", "colorize"}, commands
    from course_lib import cli

    for command in commands:
        words = _as_written_without_the_variables(command)[3:]
        cli.build_parser(words[0]).parse_args(words)  # a missing --data or a typo exits here


def test_the_commands_paths_are_the_courses_folders_from_the_notebooks_folder():
    """Run from ``notebooks/`` (every notebook's working folder), with the variables unset, the
    data is ``data/ncd`` and everything written or read goes in the runs folder."""
    from course_lib import cli

    data, runs = (config.data_dir() / "ncd").resolve(), (REPO_ROOT / "runs").resolve()  # config's defaults
    for command in notebook_commands():
        words = _as_written_without_the_variables(command)[3:]
        args = cli.build_parser(words[0]).parse_args(words)
        if getattr(args, "data", None):
            assert (NOTEBOOK_DIR / args.data).resolve() == data, command
        for name in ("out", "model", "json", "csv"):
            value = getattr(args, name, None)
            if value and value != "gray":
                assert (NOTEBOOK_DIR / value).resolve().is_relative_to(runs), f"{command}: --{name} {value}"


#: Appended to each command so that it runs in seconds on a CPU: the fast recipe, tiny evaluations.
TINY_FLAGS = {"train": "--recipe fast --weights none --epochs 1 --max-images-per-split 8",
              "evaluate": "--max-images 2 --max-side 48", "colorize": "",
              # the generator's run (a tiny fast one, above) sets the adversarial run's recipe and size
              "train --adversarial": "",
              "train-classifier": "--epochs 1 --width 4 --max-images-per-split 8"}


def _kind(command: str) -> str:
    """The command's key in TINY_FLAGS: its name, ``train --adversarial`` apart."""
    name = command.split()[3]
    return "train --adversarial" if name == "train" and "--adversarial" in command.split() else name
#: The one word of a command that stands for the learner's own file.
PHOTO_PLACEHOLDER = "photo.jpg"


#: Runs each command's words (JSON on stdin) through the command line's own entry point, in one process:
#: ten fresh Pythons would each load TensorFlow again, about half of this test's time.
_ONE_PROCESS = """
import json, sys
from course_lib.cli import main
for words in json.load(sys.stdin):
    print("$ python -m course_lib", *words, flush=True)
    status = main(words)
    if status:
        sys.exit(f"exit status {status}: python -m course_lib {' '.join(words)}")
"""


def _shell_words(line: str, env: dict, cwd: Path) -> list[str]:
    """The words after ``python -m course_lib`` as sh expands them: its quoting and ${VAR:-default}."""
    assert line.startswith("python -m course_lib "), line
    printed = subprocess.run(["sh", "-c", "printf '%s\\0' " + line.removeprefix("python -m course_lib ")],
                             cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout
    return printed.split("\0")[:-1]


@pytest.mark.slow
def test_every_notebook_command_runs_as_written_from_the_notebooks_folder(ncd_dir, tmp_path):
    """In a notebook's working folder, as a Colab learner with Drive has it ($NCD_DIR and
    $COURSE_RUNS_DIR set): trainings first, so that the evaluations and colorizations find models.
    sh expands each line as written; the commands then run one after another in one Python."""
    photo = next(iter(sorted(ncd_dir.rglob("*.jpg"))))
    env = {**os.environ, "NCD_DIR": str(ncd_dir), config.RUNS_ENV_VAR: str(tmp_path / "runs"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop(config.FAST_ENV_VAR, None)
    from course_lib import cli

    order = {"train": 0, "train --adversarial": 1, "train-classifier": 1, "evaluate": 2, "colorize": 3}
    commands, seen = [], set()
    for command in sorted(notebook_commands(), key=lambda c: order[_kind(c)]):
        line = command.replace(PHOTO_PLACEHOLDER, shlex.quote(str(photo))) + " " + TINY_FLAGS[_kind(command)]
        words = _shell_words(line, env, NOTEBOOK_DIR)
        parsed = vars(cli.build_parser(words[0]).parse_args(words))
        key = tuple(sorted((k, repr(v)) for k, v in parsed.items() if k != "_module"))
        if key not in seen:  # with the tiny flags, "train --hints" and "train --hints --weights none" are one
            seen.add(key)
            commands.append(words)
    assert len(commands) >= 7
    result = subprocess.run([sys.executable, "-c", _ONE_PROCESS], input=json.dumps(commands), cwd=NOTEBOOK_DIR,
                            env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.stdout.count("$ python -m course_lib") == len(commands)
    assert (tmp_path / "runs" / "course" / "model.keras").is_file()
    assert (tmp_path / "runs" / "adv" / "model.keras").is_file() and (tmp_path / "runs" / "judge" / "classifier.keras").is_file()
    assert sorted(p.name for p in (tmp_path / "runs" / "colorized").iterdir())
    assert not [p for p in NOTEBOOK_DIR.iterdir() if p.suffix not in (".py", ".ipynb") and p.name != "__pycache__"
                and p.stat().st_mtime > tmp_path.stat().st_mtime]  # nothing written beside the notebooks
