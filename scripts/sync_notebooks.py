#!/usr/bin/env python
"""Build every course notebook and its solutions from the notebook's text source.

The source of truth of notebook ``NN_name`` is ``notebooks/NN_name.py``, a jupytext
"percent" file: cells start with ``# %%`` (``# %% [markdown]`` for text), a cell's tags and
its stable id sit on that line (``# %% tags=["exercise"] id="c06"``), and the YAML header holds
the author's text for the generated cells::

    # ---
    # jupyter:
    #   course:
    #     title: ...
    #     goals: [..., ...]
    #     time_gpu: 10 min
    #     time_cpu: 20 min
    #     needs_data: true
    #     colab_gpu: T4      # optional: Colab opens the notebook on this GPU (notebooks that train)
    # ---

An exercise is ONE code cell holding both the learner's stub and the solution, and declaring its
kind (``typing``, ``building`` or ``decision``; :mod:`course_lib.exercise_cells` owns the markers,
the tags and the kinds)::

    # %% tags=["exercise"] id="c06" exercise_kind="typing"
    ### BEGIN STUB
    def conv_param_count(kernel_size, in_channels, filters):
        # YOUR CODE HERE: replace None with the formula
        return None
    ### END STUB
    ### BEGIN SOLUTION
    # Exercise 1 -- parameters of a convolution
    def conv_param_count(kernel_size, in_channels, filters):
        return (kernel_size * kernel_size * in_channels + 1) * filters
    ### END SOLUTION

Lines outside the blocks go to both. (``### BEGIN/END SOLUTION`` are nbgrader's markers; the
stub comes first so that running the source itself, e.g. opened with jupytext, ends with the
solution defined and every check passing.) From each source this script writes

- ``notebooks/NN_name.ipynb``, the learner's copy: no SOLUTION blocks (a cell's metadata, its
  ``exercise_kind`` included, is kept as it is), and three generated
  cells in front: a markdown header tagged ``course-header`` (title, Colab and Binder badges,
  goals, times), an editable code cell tagged ``course-options`` (the learner's opt-ins:
  ``USE_GOOGLE_DRIVE``, an instructor's ``NCD_URL`` and ``NCD_SHA256``) and a locked code cell
  tagged ``course-setup`` that reads them (on Colab it clones the repository and installs only
  what is missing, never TensorFlow, Keras or NumPy; elsewhere it only makes ``import
  course_lib`` work). Badge links and the clone URL come from ``course_lib.config``
  (``REPO_URL``), so a fork changes that one line and re-runs the script. Kernelspec
  ``python3``; no outputs except in cells marked ``# NBVAL_CHECK_OUTPUT``, whose outputs are
  kept from the current ``.ipynb`` (matched by cell id; they are what ``pytest --nbval-lax``
  compares against) with an execution count fixed by position;
- ``solutions/NN_name.py``: every exercise cell without its STUB blocks, in notebook order,
  under a generated docstring (put the imports a solution needs inside its SOLUTION block).

It also regenerates the Colab and Binder badges in ``README.md`` (between
``<!-- badges:start -->`` and ``<!-- badges:end -->``).

Usage::

    python scripts/sync_notebooks.py                 # rebuild what is out of date
    python scripts/sync_notebooks.py --check         # change nothing; exit 1 naming every
                                                     # .ipynb/solutions file its source would change
    python scripts/sync_notebooks.py --execute notebooks/01_lab_color_space.py
                                                     # build, run it (COURSE_FAST=1), keep the
                                                     # NBVAL_CHECK_OUTPUT outputs
    python scripts/sync_notebooks.py --new 07_my_topic --title "My topic"
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
if str(REPO_ROOT) not in sys.path:  # run as a plain script: make course_lib importable
    sys.path.insert(0, str(REPO_ROOT))

from course_lib import config  # noqa: E402
from course_lib.exercise_cells import (BEGIN_SOLUTION, BEGIN_STUB, END_SOLUTION, END_STUB,  # noqa: E402
                                       EXERCISE_TAG, KIND_KEY, ExerciseSourceError, check_cell_kind, split_exercise)

HEADER_TAG = "course-header"
OPTIONS_TAG = "course-options"
SETUP_TAG = "course-setup"
#: The cells the build puts in front of every notebook, in order.
GENERATED_TAGS = (HEADER_TAG, OPTIONS_TAG, SETUP_TAG)
CHECK_OUTPUT_MARKER = "# NBVAL_CHECK_OUTPUT"
SOURCE_GLOB = "[0-9][0-9]_*.py"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
SOURCE_FORMAT = "py:percent"
#: Placeholder text a new notebook starts with; tests refuse notebooks that still carry it.
TODO = "TODO"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

# Import name -> what pip installs on Colab when that import is missing. TensorFlow, Keras and
# NumPy are deliberately absent: Colab's preinstalled builds match its GPU drivers.
COLAB_PACKAGES = {
    "skimage": "scikit-image>=0.21",
    "PIL": "pillow>=9.5",
    "matplotlib": "matplotlib>=3.7",
    "tqdm": "tqdm>=4.60",
    "ipywidgets": "ipywidgets>=7.6",
}


#: A text source the build cannot use (unbalanced markers, an unknown exercise kind, a repeated id);
#: the message names the cell. The markers, tags and kinds belong to course_lib.exercise_cells.
SourceError = ExerciseSourceError


# --------------------------------------------------------------------------- the files
def source_files(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """Text sources ``NN_*.py`` of the course notebooks, in order."""
    return sorted(folder.glob(SOURCE_GLOB))


def notebook_path(source: Path) -> Path:
    """The learner's notebook built from ``source``: same folder, same name, ``.ipynb``."""
    return source.with_suffix(".ipynb")


def solutions_path(source: Path) -> Path:
    """The solutions built from ``source``: ``solutions/`` beside ``notebooks/``, same name."""
    return source.parent.parent / "solutions" / source.name


def course_metadata(meta: dict, notebook_name: str) -> dict:
    """The ``course`` metadata with every key present (placeholders for new notebooks)."""
    meta = dict(meta)
    default_title = notebook_name.removesuffix(".ipynb").split("_", 1)[-1].replace("_", " ").capitalize()
    meta.setdefault("title", default_title)
    meta.setdefault("goals", [f"{TODO}: what the learner can do after this notebook"])
    meta.setdefault("time_gpu", TODO)
    meta.setdefault("time_cpu", TODO)
    meta.setdefault("needs_data", False)
    return meta


def header_source(notebook_name: str, meta: dict) -> str:
    """Markdown of the ``course-header`` cell."""
    number = notebook_name[:2]
    goals = "\n".join(f"- {goal}" for goal in meta["goals"])
    return (
        f"<!-- Generated by scripts/sync_notebooks.py from the notebook metadata 'course': "
        f"edit that, then re-run the script. -->\n"
        f"# {number} · {meta['title']}\n"
        f"\n"
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({config.colab_url(notebook_name)})\n"
        f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({config.binder_url(notebook_name)})\n"
        f"\n"
        f"**In this notebook you will**\n"
        f"{goals}\n"
        f"\n"
        f"**Estimated time:** {meta['time_gpu']} on a Colab GPU, {meta['time_cpu']} on CPU "
        f"(`COURSE_FAST=1` runs a quick version)."
    )


def colab_metadata(meta: dict) -> dict:
    """Notebook metadata that makes Colab open the notebook on a GPU runtime, from ``colab_gpu``
    (e.g. ``T4``) in the ``course`` metadata; empty for notebooks without it."""
    gpu = meta.get("colab_gpu")
    return {"accelerator": "GPU", "colab": {"gpuType": str(gpu)}} if gpu else {}


#: The ``course-options`` cell: what a learner may set, read by the ``course-setup`` cell below it.
OPTIONS_SOURCE = """\
# Your options (edit, then run this cell and the next). The next cell reads them.
USE_GOOGLE_DRIVE = False  # Colab: True keeps your runs and NCD on Google Drive, so a new runtime finds them
NCD_URL = ""     # only if your instructor gives one: the URL (or Drive path) of their copy of the NCD zip
NCD_SHA256 = ""  # ... and its SHA-256, if given"""


def setup_source(meta: dict) -> str:
    """Python source of the ``course-setup`` cell.

    The repository URL is written in as a literal (from ``config.REPO_URL``): on Colab the
    cell runs before ``course_lib`` exists, so it cannot import it.
    """
    repo_dir = config.repo_slug().split("/")[-1]
    packages = ",\n".join(f"        {name!r}: {spec!r}" for name, spec in COLAB_PACKAGES.items())
    data_step = ""
    if meta.get("needs_data"):
        data_step = (
            "if IN_COLAB:\n"
            "    # Fetch NCD into data/ncd (or fall back, loudly, to the offline sample set).\n"
            "    from course_lib.data import get_dataset\n"
            "    get_dataset()  # prints which dataset it chose\n"
        )
    if config.is_commit(config.REPO_REF):  # a commit: clone, then check it out
        clone = ('        subprocess.run(["git", "clone", "--quiet", REPO_URL, str(repo_root)], check=True)\n'
                 '        subprocess.run(["git", "-C", str(repo_root), "checkout", "--quiet", REPO_REF], check=True)')
    else:  # a branch or a tag
        clone = '        subprocess.run(["git", "clone", "--depth", "1", "--branch", REPO_REF, REPO_URL, str(repo_root)], check=True)'
    return f'''# Course setup -- generated by scripts/sync_notebooks.py; edit the script, not this cell.
# On Colab: clone the course, install only what is missing (never TensorFlow). Elsewhere:
# only make `import course_lib` work, whichever folder Jupyter was started from.
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO_URL = "{config.REPO_URL}"
REPO_REF = "{config.REPO_REF}"  # a branch, a tag or a commit (course_lib/config.py)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter
for name, value in (("NCD_URL", NCD_URL), ("NCD_SHA256", NCD_SHA256)):  # from the options cell above
    if value.strip():
        os.environ[name] = value.strip()
try:
    import google.colab  # noqa: F401  (present only on Colab)
    IN_COLAB = True
except ImportError:
    IN_COLAB = False

if IN_COLAB:
    repo_root = Path("/content/{repo_dir}")
    if not (repo_root / "course_lib").is_dir():
{clone}
    wanted = {{
{packages},
    }}
    missing = [spec for name, spec in wanted.items() if importlib.util.find_spec(name) is None]
    # --no-deps: course_lib's own requirements must not touch Colab's TensorFlow/Keras/NumPy.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(repo_root)], check=True)
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)
    os.chdir(repo_root / "notebooks")
else:
    # Walk up from the working folder to the checkout that holds course_lib/.
    here = Path.cwd().resolve()
    repo_root = next((p for p in [here, *here.parents] if (p / "course_lib" / "__init__.py").is_file()), here)
if (repo_root / "course_lib").is_dir() and str(repo_root) not in sys.path:
    sys.path.insert(0, str(repo_root))  # this checkout's course_lib, even if another copy is installed
import course_lib
from course_lib.environment import enable_gpu_memory_growth, use_google_drive

enable_gpu_memory_growth()  # before TensorFlow starts: it then takes GPU memory as needed, not all of it
if USE_GOOGLE_DRIVE:  # from the options cell above
    use_google_drive()
{data_step}
print(f"course_lib {{course_lib.__version__}} from {{Path(course_lib.__file__).parent}}" + (" (Colab)" if IN_COLAB else ""))'''


def _standard_cell(kind: str, source: str, tag: str, editable: bool = False):
    maker = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = maker(source)
    cell.id = tag  # stable ids keep diffs small
    cell.metadata["tags"] = [tag]
    if kind == "code" and not editable:
        cell.metadata["editable"] = False  # JupyterLab: the learner runs it, never edits it
    return cell


def _pinned_outputs(stored) -> dict:
    """Cell id -> outputs of the ``# NBVAL_CHECK_OUTPUT`` cells of a built notebook (or {})."""
    if stored is None:
        return {}
    return {cell.id: copy.deepcopy(cell.outputs) for cell in stored.cells
            if cell.cell_type == "code" and CHECK_OUTPUT_MARKER in cell.source}


def _fallback_id(source: str, taken: set[str]) -> str:
    """A deterministic id for a cell written without ``id=`` (it changes when the cell does)."""
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()
    return next(digest[i:i + 8] for i in range(0, 33) if digest[i:i + 8] not in taken)


def _solutions_source(notebook_name: str, source_name: str, parts: list[str], checks_module: str | None) -> str:
    accepted = (f"; the\nmatching check in :mod:`course_lib.checks.{checks_module}` accepts it" if checks_module else "")
    head = (
        f'"""Solutions to the exercises of notebooks/{notebook_name} (for instructors).\n'
        f"\n"
        f"Each function is what a learner writes in the exercise cell of the same name{accepted}.\n"
        f"\n"
        f"Generated by scripts/sync_notebooks.py from the exercise cells of\n"
        f"notebooks/{source_name}: edit those, then re-run the script.\n"
        f'"""\n'
        f"\n"
        f"from __future__ import annotations\n"
    )
    if not parts:
        return head
    # PEP 8 spacing: one blank line before more imports, two before a function.
    first_gap = "\n" if re.match(r"(import|from) ", parts[0]) else "\n\n"
    return head + first_gap + "\n\n\n".join(parts) + "\n"


def build(source: Path, stored=None):
    """``(learner notebook, solutions text)`` built from the text source ``source``.

    ``stored``, a notebook built before (default: the current ``.ipynb``, if any), supplies
    the outputs of the ``# NBVAL_CHECK_OUTPUT`` cells.
    """
    name = notebook_path(source).name
    if stored is None and notebook_path(source).is_file():
        try:
            stored = nbformat.read(notebook_path(source), as_version=4)
        except ValueError as exc:  # e.g. a merge conflict in the generated file: rebuild it anyway
            print(f"warning: {notebook_path(source)} is unreadable ({exc}); its NBVAL_CHECK_OUTPUT outputs "
                  f"are lost: record them again with --execute", file=sys.stderr)
    pinned = _pinned_outputs(stored)
    text = jupytext.read(source, fmt=SOURCE_FORMAT)
    makers = {"markdown": nbformat.v4.new_markdown_cell, "raw": nbformat.v4.new_raw_cell, "code": nbformat.v4.new_code_cell}
    cells, solutions, taken = [], [], set()
    for index, text_cell in enumerate(text.cells):
        metadata = dict(text_cell.metadata)
        cell_id = metadata.pop("id", None) or _fallback_id(text_cell.source, taken)
        if cell_id in taken:  # typically a copied cell, id line included
            raise SourceError(f"{source.name}, cell {index}: id {cell_id!r} is used twice; "
                              f"remove id=... from the copy's # %% line (the build makes one up)")
        taken.add(cell_id)
        cell_source = text_cell.source
        where = f"{source.name}, cell {index} (id {cell_id})"
        check_cell_kind(text_cell, where)  # carried into the .ipynb's cell metadata as it is
        if text_cell.cell_type == "code":
            cell_source, solution = split_exercise(cell_source, where)
            if solution is not None:
                solutions.append(solution)
        cell = makers[text_cell.cell_type](cell_source, metadata=metadata)
        cell.id = cell_id
        if cell.cell_type == "code" and CHECK_OUTPUT_MARKER in cell.source:
            cell.outputs = pinned.get(cell_id, [])
        cells.append(cell)

    meta = course_metadata(text.metadata.get("course", {}), name)
    nb = nbformat.v4.new_notebook(metadata={"course": meta, "kernelspec": dict(KERNELSPEC), **colab_metadata(meta)})
    # Which course notebook this is, whatever a learner's copy is called ("Copy of 05_...", an LMS's
    # "alice_123_05_..."): `grade` recognises hand-ins by it (Colab and Jupyter keep metadata).
    nb.metadata["colorize_course"] = {"notebook": name[:2]}
    nb.cells = [_standard_cell("markdown", header_source(name, meta), HEADER_TAG),
                _standard_cell("code", OPTIONS_SOURCE, OPTIONS_TAG, editable=True),
                _standard_cell("code", setup_source(meta), SETUP_TAG), *cells]
    # nbval refuses stored outputs without an execution count; one fixed by the cell's
    # position among the code cells (the options cell is number 1) does not change between runs.
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if cell.outputs:
            cell.execution_count = number
            for output in cell.outputs:
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = number
    checks = re.search(r"course_lib\.checks\.(\w+)", "\n".join(c.source for c in code_cells))
    return nb, _solutions_source(name, source.name, solutions, checks and checks.group(1))


def notebook_text(nb) -> str:
    """The file content of ``nb``, exactly as written (what ``--check`` compares)."""
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def generated_files(source: Path, stored=None) -> dict[Path, str]:
    """Path -> expected content of every file built from ``source``."""
    nb, solutions = build(source, stored)
    return {notebook_path(source): notebook_text(nb), solutions_path(source): solutions}


def stale_files(source: Path) -> list[Path]:
    """The files built from ``source`` whose content differs from what it would build now."""
    return [path for path, text in generated_files(source).items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def sync_source(source: Path, stored=None) -> list[Path]:
    """Write the files built from ``source``; return those that changed."""
    changed = []
    for path, text in generated_files(source, stored).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def orphan_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """Course notebooks without a text source (they would never be rebuilt)."""
    return [path for path in sorted(folder.glob(NOTEBOOK_GLOB)) if not path.with_suffix(".py").is_file()]


# ------------------------------------------------------------------------ README badges
README = REPO_ROOT / "README.md"
FIRST_NOTEBOOK = "00_welcome_and_setup.ipynb"
_BADGE_BLOCK = re.compile(r"(<!-- badges:start[^>]*-->\n)(.*?)(<!-- badges:end -->)", re.S)


def readme_badges() -> str:
    """The README's badge lines: Colab and Binder, opening the first notebook."""
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({config.colab_url(FIRST_NOTEBOOK)})\n"
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({config.binder_url(FIRST_NOTEBOOK)})\n"
    )


def synced_readme(text: str) -> str:
    """``text`` with the block between ``<!-- badges:start -->`` and ``<!-- badges:end -->`` regenerated."""
    return _BADGE_BLOCK.sub(lambda m: m.group(1) + readme_badges() + m.group(3), text, count=1)


def sync_readme(path: Path = README, check: bool = False) -> bool:
    """Regenerate the README's badges (unless ``check``); return True when they were out of sync."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    if not _BADGE_BLOCK.search(text):
        print(f"note: {path} has no <!-- badges:start --> ... <!-- badges:end --> block", file=sys.stderr)
        return False
    new = synced_readme(text)
    if new == text:
        return False
    if not check:
        path.write_text(new, encoding="utf-8")
    return True


# ------------------------------------------------------------------------ extra modes
def write_source(nb, path: Path) -> None:
    """Write ``nb`` as a text source: the ``course`` metadata, each cell's id and tags."""
    nb = copy.deepcopy(nb)
    nb.metadata = {"course": nb.metadata.get("course", {}),
                   "jupytext": {"notebook_metadata_filter": "course,-all"}}  # no kernelspec/version noise
    for cell in nb.cells:
        cell.metadata["id"] = cell.id  # the .py keeps ids in the cell's metadata
    path.write_text(jupytext.writes(nb, fmt=SOURCE_FORMAT), encoding="utf-8")


def new_notebook(stem: str, title: str, folder: Path = NOTEBOOK_DIR) -> Path:
    """Create the text source ``folder/<stem>.py`` (placeholders, one sample exercise) and build it."""
    if not re.fullmatch(r"\d\d_[a-z0-9_]+", stem):
        raise SystemExit(f"notebook name must look like 07_my_topic, got {stem!r}")
    path = folder / f"{stem}.py"
    if path.exists() or notebook_path(path).exists():
        raise SystemExit(f"{path} or its .ipynb already exists")
    nb = nbformat.v4.new_notebook(metadata={"course": {"title": title}})
    exercise = nbformat.v4.new_code_cell(
        f"{BEGIN_STUB}\ndef double(x):\n    # YOUR CODE HERE: replace None\n    return None\n{END_STUB}\n"
        f"{BEGIN_SOLUTION}\n# Exercise 1 -- {TODO}\ndef double(x):\n    return 2 * x\n{END_SOLUTION}",
        metadata={"tags": [EXERCISE_TAG], KIND_KEY: "typing"})
    nb.cells = [nbformat.v4.new_markdown_cell("## First section\n\nTell the story here."),
                nbformat.v4.new_markdown_cell(f"## Exercise 1 -- {TODO}"), exercise]
    write_source(nb, path)
    sync_source(path)
    return path


def execute_and_pin(source: Path, timeout: int = 600) -> None:
    """Build, execute in fast mode, and keep the ``# NBVAL_CHECK_OUTPUT`` cells' new outputs."""
    from course_lib.course.runner import execute_notebook

    sync_source(source)
    executed = execute_notebook(notebook_path(source), fast=True, timeout=timeout)
    sync_source(source, stored=executed)


def _as_source(path: Path) -> Path:
    """Accept a notebook's ``.py`` source or its ``.ipynb``."""
    return path.with_suffix(".py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", type=Path,
                        help="text sources notebooks/NN_*.py (or their .ipynb) to build (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 naming every generated file that is out of date")
    parser.add_argument("--execute", action="store_true",
                        help="also execute the notebooks (COURSE_FAST=1) to record NBVAL_CHECK_OUTPUT outputs")
    parser.add_argument("--new", metavar="NN_NAME", help="create a new notebook source with the standard cells")
    parser.add_argument("--title", help="title for --new")
    args = parser.parse_args(argv)

    if args.new:
        print(f"created {new_notebook(args.new, args.title or args.new[3:].replace('_', ' ').capitalize())}")
        return 0
    sources = [_as_source(p) for p in args.sources] or source_files()
    try:
        if args.check:
            problems = [f"{path} is not what {source.name} builds" for source in sources for path in stale_files(source)]
            if not args.sources:
                problems += [f"{path} has no text source {path.stem}.py" for path in orphan_notebooks()]
                if sync_readme(check=True):
                    problems.append(f"the badges of {README} are out of date")
            for problem in problems:
                print(f"out of date: {problem} (edit the source, never the built file; then run "
                      f"python scripts/sync_notebooks.py)", file=sys.stderr)
            return 1 if problems else 0
        if not args.sources and sync_readme():
            print(f"synced the badges in {README}")
        for source in sources:
            if args.execute:
                execute_and_pin(source)
                print(f"executed and built {notebook_path(source)}")
            for path in sync_source(source):
                print(f"wrote {path}")
        for orphan in ([] if args.sources else orphan_notebooks()):
            print(f"warning: {orphan} has no text source {orphan.with_suffix('.py').name}", file=sys.stderr)
    except (SourceError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
