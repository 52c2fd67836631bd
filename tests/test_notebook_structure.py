"""Every course notebook follows the house rules (static checks: no kernel is started).

- the generated header and setup cells are in sync with ``config.REPO_URL``
  (``scripts/sync_notebooks.py --check``), and the author filled in goals and times;
- at least two ``exercise`` cells and two ``exercise-check`` cells;
- no stored errors, no stored images (they could show NCD photos) unless a cell is
  tagged ``image-output-ok``;
- no solution leaks into the learner's copy;
- the notebook imports ``course_lib`` instead of redefining its public functions.

The sync script itself is tested at the bottom on notebooks built here.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import nbformat
import pytest

from course_lib import config
from conftest import REPO_ROOT, SOLUTION_DIR, load_module

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
COURSE_LIB = REPO_ROOT / "course_lib"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
#: The course map in the README: notebooks 00 to 06.
COURSE_NUMBERS = [f"{n:02d}" for n in range(7)]
IMAGE_MIME_PREFIX = "image/"
IMAGE_OK_TAG = "image-output-ok"


sync = load_module(REPO_ROOT / "scripts" / "sync_notebooks.py", "sync_notebooks")


def _read(path):
    return nbformat.read(path, as_version=4)


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _python_source(cell) -> str:
    """Cell source with IPython magics and shell escapes commented out, so ``ast`` can parse it."""
    return "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())


def _parse_cell(cell, path):
    try:
        return ast.parse(_python_source(cell))
    except SyntaxError as exc:
        pytest.fail(f"{path.name}: a code cell is not valid Python ({exc}):\n{cell.source[:200]}")


def _statement_lists(tree) -> list[list[ast.stmt]]:
    """Every block of statements in ``tree``: module body, function bodies, loop bodies..."""
    blocks = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                blocks.append(block)
    return blocks


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def _contains_block(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def _public_course_lib_names() -> set[str]:
    """Top-level public functions and classes of every ``course_lib`` module (parsed, not imported)."""
    names = set()
    for module in COURSE_LIB.rglob("*.py"):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                names.add(node.name)
    # Generic names any script may define without shadowing the library.
    return names - {"main", "configure_parser", "run_cli"}


# ---------------------------------------------------------------------- the course
def test_the_course_has_every_notebook_of_the_map():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    missing = [n for n in COURSE_NUMBERS if n not in numbers]
    assert not missing, f"notebooks missing from notebooks/: {missing}"
    assert len(numbers) == len(set(numbers)), f"two notebooks share a number: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebook:
    def test_header_and_setup_in_sync(self, path):
        assert sync.is_in_sync(path), f"run: python scripts/sync_notebooks.py {path.relative_to(REPO_ROOT)}"
        nb = _read(path)
        header, setup = nb.cells[0], nb.cells[1]
        assert sync.HEADER_TAG in _tags(header) and sync.SETUP_TAG in _tags(setup)
        assert config.colab_url(path.name) in header.source
        assert config.binder_url(path.name) in header.source
        assert f'REPO_URL = "{config.REPO_URL}"' in setup.source

    def test_author_filled_goals_and_times(self, path):
        meta = _read(path).metadata["course"]
        assert sync.TODO not in json.dumps(meta), f"{path.name}: fill in metadata.course (goals, time_gpu, time_cpu)"
        assert len(meta["goals"]) >= 2

    def test_kernelspec_is_python3(self, path):
        assert _read(path).metadata["kernelspec"]["name"] == "python3"

    def test_has_exercises_with_checks(self, path):
        cells = _read(path).cells
        n_exercises = sum("exercise" in _tags(c) for c in cells)
        n_checks = sum("exercise-check" in _tags(c) for c in cells)
        assert n_exercises >= 2, f"{path.name}: {n_exercises} cells tagged 'exercise'"
        assert n_checks >= 2, f"{path.name}: {n_checks} cells tagged 'exercise-check'"

    def test_checks_come_after_their_exercises(self, path):
        tags = [_tags(c) for c in _read(path).cells]
        first_exercise = next(i for i, t in enumerate(tags) if "exercise" in t)
        assert all(i > first_exercise for i, t in enumerate(tags) if "exercise-check" in t)

    def test_no_stored_errors_or_images(self, path):
        for index, cell in enumerate(_read(path).cells):
            for output in cell.get("outputs", []):
                assert output["output_type"] != "error", f"{path.name} cell {index}: stored error output"
                if IMAGE_OK_TAG in _tags(cell):
                    continue
                images = [m for m in output.get("data", {}) if m.startswith(IMAGE_MIME_PREFIX)]
                assert not images, (f"{path.name} cell {index}: stored image output {images} "
                                    f"(could show NCD photos; strip it or tag the cell '{IMAGE_OK_TAG}')")

    def test_no_solution_leaks(self, path):
        solution_file = next(SOLUTION_DIR.glob(f"{path.name[:2]}_*.py"), None)
        assert solution_file is not None, f"solutions/{path.name[:2]}_*.py is missing"
        solution_bodies = {
            node.name: [ast.dump(s) for s in _without_docstring(node.body)]
            for node in ast.walk(ast.parse(solution_file.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef)
        }
        blocks = [[ast.dump(s) for s in block]
                  for cell in _read(path).cells if cell.cell_type == "code"
                  for block in _statement_lists(_parse_cell(cell, path))]
        for name, body in solution_bodies.items():
            leaked = body and any(_contains_block(block, body) for block in blocks)
            assert not leaked, f"{path.name}: the solution of {name}() from {solution_file.name} appears in the notebook"

    def test_uses_course_lib_instead_of_redefining_it(self, path):
        public = _public_course_lib_names()
        cells = [c for c in _read(path).cells if c.cell_type == "code"]
        assert any(re.search(r"^\s*(from|import) course_lib", c.source, re.M) for c in cells[2:]), \
            f"{path.name} never imports course_lib"
        for cell in cells:
            if "exercise" in _tags(cell):
                continue  # a stub may share a name with the library's reference
            for node in ast.walk(_parse_cell(cell, path)):
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    assert node.name not in public, (f"{path.name} redefines course_lib's {node.name}: "
                                                     "import it from course_lib instead")


# ------------------------------------------------------------- the sync script
@pytest.fixture
def toy_notebook(tmp_path):
    return sync.new_notebook("07_toy_topic", "A toy topic", folder=tmp_path)


def test_new_notebook_is_in_sync_and_carries_placeholders(toy_notebook):
    assert sync.is_in_sync(toy_notebook)
    nb = _read(toy_notebook)
    assert "07 · A toy topic" in nb.cells[0].source and sync.TODO in nb.cells[0].source
    assert nb.cells[1].metadata["tags"] == [sync.SETUP_TAG]


def test_setup_cell_is_valid_python_and_finds_the_repo_from_notebooks_folder(toy_notebook, tmp_path):
    source = _read(toy_notebook).cells[1].source
    ast.parse(source)
    # Run it the way nbval does (cwd = notebooks/) in an interpreter without site-packages (-S),
    # so course_lib is importable only if the cell finds the checkout itself.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", source], cwd=NOTEBOOK_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert str(COURSE_LIB) in result.stdout


def test_check_detects_stale_repo_url_and_stray_outputs(toy_notebook, monkeypatch):
    nb = _read(toy_notebook)
    nb.cells.append(nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")]))
    nbformat.write(nb, toy_notebook)
    assert not sync.is_in_sync(toy_notebook)  # a stored output that is not pinned
    assert sync.main([str(toy_notebook), "--check"]) == 1
    assert sync.main([str(toy_notebook)]) == 0 and sync.is_in_sync(toy_notebook)
    assert _read(toy_notebook).cells[-1].outputs == []

    monkeypatch.setattr(config, "REPO_URL", "https://github.com/someone/a-fork")  # a fork edits one line
    assert not sync.is_in_sync(toy_notebook)
    sync.sync_file(toy_notebook)
    synced = _read(toy_notebook)
    assert 'REPO_URL = "https://github.com/someone/a-fork"' in synced.cells[1].source
    assert "github/someone/a-fork/blob/" in synced.cells[0].source


def test_sync_keeps_author_text_and_pinned_outputs(toy_notebook):
    nb = _read(toy_notebook)
    nb.metadata["course"].update(goals=["see LAB", "convert"], time_gpu="5 min", time_cpu="8 min")
    nb.cells[0].source = "edited by hand"  # regenerated from metadata
    pinned = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2)", execution_count=3,
                                       outputs=[nbformat.v4.new_output("stream", text="2\n")])
    nb.cells.append(pinned)
    nbformat.write(nb, toy_notebook)
    sync.sync_file(toy_notebook)
    synced = _read(toy_notebook)
    assert "- see LAB\n- convert" in synced.cells[0].source and "5 min on a Colab GPU, 8 min on CPU" in synced.cells[0].source
    assert synced.cells[-1].outputs[0]["text"] == "2\n"
    code_cells = [c for c in synced.cells if c.cell_type == "code"]
    assert synced.cells[-1].execution_count == len(code_cells)  # nbval needs a count; position keeps it stable
    assert [c.metadata.get("tags") for c in synced.cells].count([sync.HEADER_TAG]) == 1


def _run_setup_cell_as_on_colab(source, monkeypatch, missing=()):
    """Execute the setup cell with a fake ``google.colab`` and recorded (not run) commands."""
    import importlib.util
    import os
    import types

    calls = []
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kwargs: calls.append([str(c) for c in cmd]))
    monkeypatch.setattr(os, "chdir", lambda path: calls.append(["chdir", str(path)]))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name in missing else real_find_spec(name, *args))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the cell may prepend the (absent) clone
    namespace = {}
    exec(compile(source, "<setup cell>", "exec"), namespace)
    return calls, namespace


def test_setup_cell_on_colab_clones_and_installs_only_what_is_missing(toy_notebook, monkeypatch, capsys):
    source = _read(toy_notebook).cells[1].source
    calls, namespace = _run_setup_cell_as_on_colab(source, monkeypatch, missing={"skimage"})
    assert namespace["IN_COLAB"] is True
    clone, install_course, install_missing, chdir = calls
    assert clone[:2] == ["git", "clone"] and config.REPO_URL in clone and config.REPO_BRANCH in clone
    assert install_course[-4:-1] == ["--quiet", "--no-deps", "-e"]
    assert install_missing[-1].startswith("scikit-image")
    assert chdir[0] == "chdir" and chdir[1].endswith("notebooks")
    for command in calls:  # Colab's TensorFlow/Keras/NumPy builds must never be replaced
        assert not any(word.split(">")[0].split("=")[0] in {"tensorflow", "keras", "numpy"} for word in command)
    assert "(Colab)" in capsys.readouterr().out


def test_setup_cell_on_colab_with_nothing_missing_installs_only_the_course(toy_notebook, monkeypatch):
    calls, _ = _run_setup_cell_as_on_colab(_read(toy_notebook).cells[1].source, monkeypatch)
    assert [c[:2] for c in calls] == [["git", "clone"], [sys.executable, "-m"], ["chdir", f"/content/{config.repo_slug().split('/')[-1]}/notebooks"]]


def test_readme_badges_in_sync_and_follow_a_fork(tmp_path, monkeypatch):
    readme = REPO_ROOT / "README.md"
    assert not sync.sync_readme(readme, check=True), "run: python scripts/sync_notebooks.py"
    copy = tmp_path / "README.md"
    copy.write_text(readme.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(config, "REPO_URL", "https://github.com/someone/a-fork")
    assert sync.sync_readme(copy, check=True)
    assert sync.sync_readme(copy) and not sync.sync_readme(copy, check=True)
    text = copy.read_text(encoding="utf-8")
    assert "github/someone/a-fork/blob/main/notebooks/00_welcome_and_setup.ipynb" in text
    assert "colorize-course/colorize-course" not in text.split("<!-- badges:end -->")[0]
