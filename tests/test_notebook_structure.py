"""Every course notebook follows the house rules (static checks: no kernel is started).

- every ``notebooks/NN_*.ipynb`` and ``solutions/NN_*.py`` is exactly what its text source
  ``notebooks/NN_*.py`` builds (``scripts/sync_notebooks.py --check``), header and setup cells
  included, and the author filled in goals and times;
- at least two ``exercise`` cells and two ``exercise-check`` cells; in the source, every
  exercise cell holds its solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
- no stored errors, no stored images (they could show NCD photos) unless a cell is
  tagged ``image-output-ok``;
- no solution leaks into the learner's copy;
- the notebook imports ``course_lib`` instead of redefining its public functions or copying
  its code (runs of normalised lines shared with a ``course_lib`` module).

The sync script and the copy detector are tested at the bottom on notebooks and code built here.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import json
import os
import re
import subprocess
import sys

import jupytext
import nbformat
import pytest

from course_lib import config
from conftest import REPO_ROOT, SOLUTION_DIR, load_module

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
COURSE_LIB = REPO_ROOT / "course_lib"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
#: The course's notebooks, from their text sources (notebooks/NN_name.py): never a fixed list.
SOURCE_STEMS = sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
IMAGE_MIME_PREFIX = "image/"
IMAGE_OK_TAG = "image-output-ok"
#: This many consecutive normalised lines shared with a course_lib module count as copied code.
#: (Today no notebook shares even 3 with the library, with every variable renamed.)
COPY_RUN = 4


sync = load_module(REPO_ROOT / "scripts" / "sync_notebooks.py", "sync_notebooks")
SOURCES = sync.source_files()


def _read(path):
    return nbformat.read(path, as_version=4)


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _python_source(source: str) -> str:
    """Cell source with IPython magics and shell escapes commented out, so ``ast`` can parse it."""
    return "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _parse_cell(cell, path):
    try:
        return ast.parse(_python_source(cell.source))
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


# ------------------------------------------------------------ copied library code
def _normalised_lines(tree: ast.AST) -> list[str]:
    """``tree`` as ``ast.unparse`` writes it, one stripped line per entry, without docstrings,
    imports and the names of variables and arguments: comments, quoting, line wrapping,
    indentation and renamed variables then no longer hide a copy."""
    tree = copy.deepcopy(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.body = _without_docstring(node.body) or [ast.Pass()]
        elif isinstance(node, ast.Name):
            node.id = "_"
        elif isinstance(node, ast.arg):
            node.arg = "_"
    lines = (line.strip() for line in ast.unparse(tree).splitlines())
    return [line for line in lines if line and not line.startswith(("import ", "from "))]


def _runs(lines: list[str]) -> list[tuple[str, ...]]:
    return [tuple(lines[i:i + COPY_RUN]) for i in range(len(lines) - COPY_RUN + 1)]


@functools.lru_cache(maxsize=1)
def _course_lib_runs() -> dict[tuple[str, ...], str]:
    """Every run of COPY_RUN normalised lines in course_lib -> the module it comes from."""
    runs = {}
    for module in sorted(COURSE_LIB.rglob("*.py")):
        for run in _runs(_normalised_lines(ast.parse(module.read_text(encoding="utf-8")))):
            runs.setdefault(run, str(module.relative_to(REPO_ROOT)))
    return runs


def copied_from_course_lib(code: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(module, normalised lines)`` for every run of ``code`` that also occurs in course_lib."""
    library = _course_lib_runs()
    return [(library[run], run) for run in _runs(_normalised_lines(ast.parse(_python_source(code)))) if run in library]


# ---------------------------------------------------------------------- the course
def test_the_notebooks_are_numbered_from_00_without_gaps_and_all_on_the_course_map():
    numbers = [stem[:2] for stem in SOURCE_STEMS]
    assert len(numbers) >= 9, SOURCE_STEMS  # 00-08 today; new notebooks only add to the list
    assert numbers == [f"{n:02d}" for n in range(len(numbers))], f"numbers with a gap or shared: {numbers}"
    assert [p.stem for p in NOTEBOOKS] == SOURCE_STEMS, "every notebooks/NN_*.py has its .ipynb"
    readme = (REPO_ROOT / "README.md").read_text()
    course_map = readme[readme.index("## Course map"):readme.index("\n## ", readme.index("## Course map") + 1)]
    missing = [stem for stem in SOURCE_STEMS if f"(notebooks/{stem}.ipynb)" not in course_map]
    assert not missing, f"notebooks missing from the README's course map: {missing}"


def test_every_notebook_has_a_text_source():
    assert not sync.orphan_notebooks(), "every notebooks/NN_*.ipynb is built from its notebooks/NN_*.py"
    assert [s.stem for s in SOURCES] == [p.stem for p in NOTEBOOKS], "a text source was never built"


@pytest.mark.light("sync_notebooks.main executes notebooks only with --execute, which this test never passes")
def test_sync_check_passes(capsys):
    """What CI relies on: every generated file is what its source builds; so are the README badges."""
    assert sync.main(["--check"]) == 0, capsys.readouterr().err


def test_pytest_runs_the_notebooks_not_their_sources():
    """The README's command collects every .ipynb under nbval and no notebooks/*.py source."""
    result = subprocess.run([sys.executable, "-m", "pytest", "notebooks", "--nbval-lax", "-p", "no:cacheprovider",
                             "--collect-only", "-q"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    assert collected == {str(p.relative_to(REPO_ROOT)) for p in NOTEBOOKS}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_solutions_live_in_exercise_cells(source):
    for index, cell in enumerate(jupytext.read(source).cells):
        if cell.cell_type != "code":
            continue
        _, solution = sync.split_exercise(cell.source, f"{source.name} cell {index}")
        if "exercise" in _tags(cell):
            assert solution is not None, f"{source.name} cell {index}: an exercise without {sync.BEGIN_SOLUTION}"
        else:
            assert solution is None, f"{source.name} cell {index}: a solution outside a cell tagged 'exercise'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebook:
    def test_built_from_its_source(self, path):
        source = path.with_suffix(".py")
        stale = [str(p.relative_to(REPO_ROOT)) for p in sync.stale_files(source)]
        assert not stale, f"{stale} differ from what {source.name} builds: run python scripts/sync_notebooks.py"
        nb = _read(path)
        header, options, setup = nb.cells[:3]
        assert [_tags(c) for c in (header, options, setup)] == [[tag] for tag in sync.GENERATED_TAGS]
        assert options.metadata.get("editable", True) and setup.metadata["editable"] is False
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
        cells = _read(path).cells
        markers = (sync.BEGIN_SOLUTION, sync.END_SOLUTION, sync.BEGIN_STUB, sync.END_STUB)
        assert not any(marker in cell.source for cell in cells for marker in markers), f"{path.name}: a marker left in"
        blocks = [[ast.dump(s) for s in block]
                  for cell in cells if cell.cell_type == "code"
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

    def test_does_not_copy_course_lib_code(self, path):
        for cell in _read(path).cells[len(sync.GENERATED_TAGS):]:  # after the generated cells
            if cell.cell_type == "code":
                copies = copied_from_course_lib(cell.source)
                assert not copies, (f"{path.name} cell {cell.id} repeats code of {copies[0][0]} "
                                    f"(normalised: {copies[0][1]}): import the library function instead")


def _a_course_lib_function():
    """A course_lib function long enough to count as copied, found so the test outlives refactors."""
    for module in sorted(COURSE_LIB.rglob("*.py")):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and len(_normalised_lines(ast.Module(node.body, []))) >= COPY_RUN + 2:
                return node
    pytest.fail("no course_lib function long enough to copy")


def test_copy_detector_flags_a_pasted_library_function():
    function = _a_course_lib_function()
    # What an author might paste: another name, no docstring, a comment, reformatted by unparse.
    function.name = "my_own_version"
    function.body = _without_docstring(function.body)
    pasted = ast.unparse(function).replace("\n", "  # tweaked\n", 1)
    assert copied_from_course_lib(pasted), f"a copy of a course_lib function went unnoticed:\n{pasted}"
    renamed = ast.unparse(_RenameVariables().visit(function))  # every variable and parameter, not builtins or keywords
    assert "_2" in renamed and renamed != pasted
    assert copied_from_course_lib(renamed), f"renamed variables hid a copy:\n{renamed}"


class _RenameVariables(ast.NodeTransformer):
    """Rename what an author would rename: the function's variables and parameters (``x`` -> ``x_2``)."""

    def visit_Name(self, node):
        if node.id not in dir(builtins):
            node.id = f"{node.id}_2"
        return node

    def visit_arg(self, node):
        node.arg = f"{node.arg}_2"
        return node


def test_copy_detector_ignores_short_or_unrelated_code():
    assert not copied_from_course_lib("import numpy as np\nx = np.zeros(3)\nprint(x)")
    assert not copied_from_course_lib("\n".join(f"value_{i} = {i} * 7 + 3" for i in range(10)))


# ------------------------------------------------------------- the sync script
@pytest.fixture
def toy_source(tmp_path):
    """A new notebook's text source in tmp_path/notebooks, built (tmp_path/solutions too)."""
    (tmp_path / "notebooks").mkdir()
    return sync.new_notebook("07_toy_topic", "A toy topic", folder=tmp_path / "notebooks")


def _toy_notebook(source):
    return _read(sync.notebook_path(source))


def _edit_source(source, edit):
    """Read the text source as a notebook, let ``edit(nb)`` change it, write it back."""
    nb = jupytext.read(source)
    for cell in nb.cells:
        cell.id = cell.metadata.pop("id", cell.id)
    edit(nb)
    sync.write_source(nb, source)


def test_new_notebook_is_built_and_carries_placeholders(toy_source):
    assert sync.stale_files(toy_source) == []
    nb = _toy_notebook(toy_source)
    assert "07 · A toy topic" in nb.cells[0].source and sync.TODO in nb.cells[0].source
    assert nb.cells[2].metadata["tags"] == [sync.SETUP_TAG]
    exercise = next(c for c in nb.cells if "exercise" in _tags(c))
    assert "return None" in exercise.source and "2 * x" not in exercise.source
    assert load_module(sync.solutions_path(toy_source), "toy_solutions").double(3) == 6


def test_exercise_cell_splits_into_stub_and_solution():
    cell = (f"import numpy as np\n\n{sync.BEGIN_STUB}\ndef half(x):\n    # YOUR CODE HERE\n    return None\n"
            f"{sync.END_STUB}\n{sync.BEGIN_SOLUTION}\ndef half(x):\n    return x / 2\n{sync.END_SOLUTION}\n")
    assert sync.split_exercise(cell) == ("import numpy as np\n\ndef half(x):\n    # YOUR CODE HERE\n    return None",
                                         "import numpy as np\n\ndef half(x):\n    return x / 2")
    # nbgrader's style, the markers inside the function, works too.
    inline = (f"def half(x):\n    {sync.BEGIN_STUB}\n    return None\n    {sync.END_STUB}\n"
              f"    {sync.BEGIN_SOLUTION}\n    return x / 2\n    {sync.END_SOLUTION}")
    assert sync.split_exercise(inline) == ("def half(x):\n    return None", "def half(x):\n    return x / 2")
    assert sync.split_exercise("print(1)") == ("print(1)", None)


@pytest.mark.light("sync_notebooks.main executes notebooks only with --execute, which this test never passes")
@pytest.mark.parametrize("broken", [f"{sync.BEGIN_SOLUTION}\nx = 1",
                                    f"x = 1\n{sync.END_STUB}",
                                    f"{sync.BEGIN_SOLUTION}\n{sync.BEGIN_STUB}\n{sync.END_STUB}\n{sync.END_SOLUTION}"])
def test_unbalanced_markers_are_refused_naming_the_cell(broken, toy_source, capsys):
    with pytest.raises(sync.SourceError, match="cell 7"):
        sync.split_exercise(broken, "cell 7")
    _edit_source(toy_source, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(broken)))
    assert sync.main([str(toy_source)]) == 2
    assert toy_source.name in capsys.readouterr().err


def test_a_copied_cell_id_is_refused(toy_source):
    def duplicate_last_cell(nb):
        copied = copy.deepcopy(nb.cells[-1])
        nb.cells.append(copied)  # same id: what copying a cell with its "# %%" line gives

    _edit_source(toy_source, duplicate_last_cell)
    with pytest.raises(sync.SourceError, match="used twice"):
        sync.build(toy_source)


@pytest.mark.light("sync_notebooks.main executes notebooks only with --execute, which this test never passes")
def test_check_names_every_stale_file(toy_source, monkeypatch, capsys):
    notebook, solutions = sync.notebook_path(toy_source), sync.solutions_path(toy_source)
    nb = _read(notebook)
    nb.cells.append(nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")]))
    nbformat.write(nb, notebook)
    solutions.write_text(solutions.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    assert sync.stale_files(toy_source) == [notebook, solutions]
    assert sync.main([str(toy_source), "--check"]) == 1
    err = capsys.readouterr().err
    assert str(notebook) in err and str(solutions) in err
    assert sync.main([str(notebook)]) == 0 and sync.stale_files(toy_source) == []  # the .ipynb's name works too
    assert len(_read(notebook).cells) == len(nb.cells) - 1  # the hand-made cell is gone: it is not in the source

    _edit_source(toy_source, lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell("More text.")))
    assert sync.stale_files(toy_source) == [notebook]  # the solutions did not change
    sync.sync_source(toy_source)

    monkeypatch.setattr(config, "REPO_URL", "https://github.com/someone/a-fork")  # a fork edits one line
    assert sync.stale_files(toy_source) == [notebook]
    sync.sync_source(toy_source)
    synced = _read(notebook)
    assert 'REPO_URL = "https://github.com/someone/a-fork"' in synced.cells[2].source
    assert "github/someone/a-fork/blob/" in synced.cells[0].source


def test_build_is_deterministic_and_keeps_cell_ids(toy_source):
    ids = [c.metadata["id"] for c in jupytext.read(toy_source).cells]
    assert [c.id for c in _toy_notebook(toy_source).cells] == [*sync.GENERATED_TAGS, *ids]
    # A cell written without an id gets one derived from its content: the same on every build.
    with toy_source.open("a", encoding="utf-8") as text:
        text.write("\n# %%\nprint('no id')\n")
    first = sync.generated_files(toy_source)
    assert sync.generated_files(toy_source) == first
    assert sync.sync_source(toy_source) and not sync.sync_source(toy_source)


def test_sync_keeps_author_text_and_pinned_outputs(toy_source):
    def edit(nb):
        nb.metadata["course"].update(goals=["see LAB", "convert"], time_gpu="5 min", time_cpu="8 min")
        pinned = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2)")
        pinned.id = "pinned"
        nb.cells.append(pinned)

    _edit_source(toy_source, edit)
    sync.sync_source(toy_source)
    notebook = sync.notebook_path(toy_source)
    nb = _read(notebook)
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", text="2\n")]  # as --execute records it
    nbformat.write(nb, notebook)
    sync.sync_source(toy_source)
    synced = _read(notebook)
    assert "- see LAB\n- convert" in synced.cells[0].source and "5 min on a Colab GPU, 8 min on CPU" in synced.cells[0].source
    assert synced.cells[-1].id == "pinned" and synced.cells[-1].outputs[0]["text"] == "2\n"
    code_cells = [c for c in synced.cells if c.cell_type == "code"]
    assert synced.cells[-1].execution_count == len(code_cells)  # nbval needs a count; position keeps it stable
    assert [c.metadata.get("tags") for c in synced.cells].count([sync.HEADER_TAG]) == 1
    assert sync.stale_files(toy_source) == []


def _options_and_setup(nb, **options):
    """The source of the options cell (with ``options`` set, as a learner edits them) and the setup cell."""
    lines = nb.cells[1].source.splitlines()
    for name, value in options.items():
        assert sum(line.startswith(f"{name} = ") for line in lines) == 1, f"the options cell has no {name}"
        lines = [f"{name} = {value!r}" if line.startswith(f"{name} = ") else line for line in lines]
    return "\n".join(lines) + "\n" + nb.cells[2].source


def test_setup_cell_is_valid_python_and_finds_the_repo_from_notebooks_folder(toy_source):
    source = _options_and_setup(_toy_notebook(toy_source))
    ast.parse(source)
    # Run it the way nbval does (cwd = notebooks/) in an interpreter without site-packages (-S),
    # so course_lib is importable only if the cell finds the checkout itself.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", source], cwd=NOTEBOOK_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert str(COURSE_LIB) in result.stdout


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


def test_setup_cell_on_colab_clones_and_installs_only_what_is_missing(toy_source, monkeypatch, capsys):
    source = _options_and_setup(_toy_notebook(toy_source))
    calls, namespace = _run_setup_cell_as_on_colab(source, monkeypatch, missing={"skimage"})
    assert namespace["IN_COLAB"] is True
    clone, install_course, install_missing, chdir = calls
    assert clone[:2] == ["git", "clone"] and config.REPO_URL in clone and config.REPO_REF in clone
    assert install_course[-4:-1] == ["--quiet", "--no-deps", "-e"]
    assert install_missing[-1].startswith("scikit-image")
    assert chdir[0] == "chdir" and chdir[1].endswith("notebooks")
    for command in calls:  # Colab's TensorFlow/Keras/NumPy builds must never be replaced
        assert not any(word.split(">")[0].split("=")[0] in {"tensorflow", "keras", "numpy"} for word in command)
    assert "(Colab)" in capsys.readouterr().out


@pytest.mark.parametrize("ref", ["v0.2", "0f4870d"])
def test_a_term_ref_reaches_the_badges_and_the_colab_clone(ref, toy_source, monkeypatch):
    monkeypatch.setattr(config, "REPO_REF", ref)
    nb, _ = sync.build(toy_source)
    assert f"/blob/{ref}/notebooks/{toy_source.stem}.ipynb" in nb.cells[0].source
    assert f"/{ref}?urlpath=" in nb.cells[0].source
    assert f"/blob/{ref}/notebooks/" in sync.readme_badges()
    calls, _ = _run_setup_cell_as_on_colab(_options_and_setup(nb), monkeypatch)
    if config.is_commit(ref):  # a commit cannot be cloned with --branch: clone, then check it out
        assert calls[0][:2] == ["git", "clone"] and "--branch" not in calls[0]
        assert calls[1][-3:] == ["checkout", "--quiet", ref]
    else:
        assert calls[0][calls[0].index("--branch") + 1] == ref


def test_opt_ins_are_variables_of_the_editable_options_cell(toy_source):
    nb = _toy_notebook(toy_source)
    options, setup = nb.cells[1], nb.cells[2]
    assert options.metadata.get("editable", True) and setup.metadata["editable"] is False
    namespace = {}
    exec(options.source, namespace)
    assert (namespace["USE_GOOGLE_DRIVE"], namespace["NCD_URL"], namespace["NCD_SHA256"]) == (False, "", "")
    assert "use_google_drive" not in options.source  # nothing to uncomment anywhere
    assert not [line for line in setup.source.splitlines() if line.lstrip().startswith("# from course_lib")]


def test_setup_cell_on_colab_follows_the_options(toy_source, monkeypatch):
    from course_lib import environment

    drives = []
    monkeypatch.setattr(environment, "use_google_drive", lambda: drives.append("mounted"))
    for name in ("NCD_URL", "NCD_SHA256", environment.GPU_MEMORY_GROWTH_ENV_VAR):
        monkeypatch.setenv(name, "")  # recorded, so that what the cell sets is undone afterwards
        monkeypatch.delenv(name)
    nb = _toy_notebook(toy_source)
    _run_setup_cell_as_on_colab(_options_and_setup(nb), monkeypatch)
    assert drives == [] and "NCD_URL" not in os.environ and "NCD_SHA256" not in os.environ
    assert os.environ[environment.GPU_MEMORY_GROWTH_ENV_VAR] == "true"  # before any TensorFlow process starts

    source = _options_and_setup(nb, USE_GOOGLE_DRIVE=True, NCD_URL="https://example.org/ncd.zip", NCD_SHA256="ab" * 32)
    _run_setup_cell_as_on_colab(source, monkeypatch)
    assert drives == ["mounted"]
    assert os.environ["NCD_URL"] == "https://example.org/ncd.zip" and os.environ["NCD_SHA256"] == "ab" * 32


def test_setup_cell_on_colab_with_nothing_missing_installs_only_the_course(toy_source, monkeypatch):
    calls, _ = _run_setup_cell_as_on_colab(_options_and_setup(_toy_notebook(toy_source)), monkeypatch)
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
