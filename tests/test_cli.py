"""``python -m course_lib``: help without heavy imports, and which errors become one line."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib import cli
from course_lib.errors import CourseError

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Packages that take seconds to import; help must not wait for them.
HEAVY = {"tensorflow", "keras", "skimage"}


@functools.lru_cache(maxsize=None)  # each command's help runs once
def _imported_packages(*args: str) -> frozenset[str]:
    """Top-level packages imported while running ``python -X importtime -m course_lib ARGS``."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "course_lib", *args],
                            capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage: python -m course_lib" in result.stdout
    # stderr lines: "import time:   self [us] | cumulative | imported package" (nested ones indented)
    names = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "course_lib.cli" in names  # the probe sees our own imports, so it would see heavy ones too
    return frozenset(name.split(".")[0] for name in names)


def test_top_level_help_imports_nothing_heavy():
    assert _imported_packages("--help") & HEAVY == set()


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_command_help_imports_nothing_heavy(command):
    assert _imported_packages(command, "--help") & HEAVY == set()


def test_build_parser_imports_only_the_named_command(monkeypatch):
    imported = []
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: imported.append(name) or _FakeCommand)
    help_text = cli.build_parser().format_help()
    assert imported == []
    assert all(name in help_text for name in cli.COMMANDS)
    cli.build_parser("inspect")
    assert imported == ["course_lib.data"]


# ------------------------------------------------------------------------- errors
class _FakeCommand:
    """A command module whose run_cli raises what the test puts in ``error``."""

    error: BaseException | None = None

    @staticmethod
    def configure_parser(parser):
        pass

    @classmethod
    def run_cli(cls, args):
        raise cls.error


@pytest.fixture
def fake_command(monkeypatch):
    monkeypatch.setitem(cli.COMMANDS, "fake", ("fake_module", "a stand-in command"))
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: _FakeCommand)
    yield _FakeCommand
    _FakeCommand.error = None


def test_a_course_error_is_one_line_and_exit_2(fake_command, capsys):
    fake_command.error = CourseError("the folder is missing; run 'python -m course_lib download'")
    assert cli.main(["fake"]) == 2
    assert capsys.readouterr().err == "error: the folder is missing; run 'python -m course_lib download'\n"


@pytest.mark.parametrize("error", [FileNotFoundError("no such file"), ValueError("bad value"), KeyError("bug")])
def test_any_other_exception_keeps_its_traceback(fake_command, error):
    # A bug in the library must not be dressed up as a user mistake.
    fake_command.error = error
    with pytest.raises(type(error)):
        cli.main(["fake"])


def test_an_unknown_command_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2 and "invalid choice: 'frobnicate'" in capsys.readouterr().err
