"""The layers contract (.importlinter) can fail: it sees imports inside functions, new modules and heavy imports.

scripts/lint.sh runs ``lint-imports`` on the real package in CI. These tests run it on a copy of
course_lib with one bad import planted, to show that each rule the contract states is really checked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is pinned in requirements.txt (scripts/lint.sh uses it)")

REPO = Path(__file__).resolve().parent.parent


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """Run lint-imports with ``root``'s .importlinter on ``root``'s course_lib."""
    # root first, so that the copy's course_lib is the one analysed, not the checkout's
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def copy_of_package(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "course_lib", tmp_path / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def _append(path: Path, source: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + source, encoding="utf-8")


def test_the_package_as_it_is_keeps_every_contract(copy_of_package):
    result = _lint_imports(copy_of_package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_inside_a_function_breaks_the_layers(copy_of_package):
    # The ML library (color) reaching up into the course tooling (grading), hidden in a function.
    _append(copy_of_package / "course_lib" / "color.py",
            "def _late():\n    from course_lib.course import grading\n    return grading\n")
    result = _lint_imports(copy_of_package)
    assert result.returncode == 1
    # the layers contract names the layer (the sub-package) and the import; the learner-side contract breaks too
    assert "course_lib.color is not allowed to import course_lib.course:" in result.stdout
    assert "course_lib.color -> course_lib.course.grading" in result.stdout
    assert "never imports the course tooling BROKEN" in " ".join(result.stdout.split())


def test_a_module_without_a_layer_breaks_the_layers(copy_of_package):
    (copy_of_package / "course_lib" / "new_concern.py").write_text("from course_lib import errors\n")
    result = _lint_imports(copy_of_package)
    assert result.returncode == 1
    assert "course_lib.new_concern" in result.stdout and "not listed as layers" in result.stdout


def test_the_base_importing_numpy_even_lazily_breaks_its_contract(copy_of_package):
    _append(copy_of_package / "course_lib" / "layout.py", "def _late():\n    import numpy\n    return numpy\n")
    result = _lint_imports(copy_of_package)
    assert result.returncode == 1
    assert "course_lib.layout is not allowed to import numpy" in result.stdout
