"""Pins come from pyproject.toml; requirements.txt is their lock.

- every library import of course_lib is declared with a floor, in the core or in the extra that
  course_lib.extras names for it (so a missing one's error says what to install);
- the lock and pyproject agree both ways: every package of requirements.txt is declared (core or an
  extra) and its pinned version lies inside pyproject's range; every declared package is pinned;
- the few pins written elsewhere (what notebook 08 installs on Colab) are the lock's.

scripts/check_lower_bounds.sh tests the floors themselves.
"""

from __future__ import annotations

import ast
import sys
import tomllib

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO_ROOT
from course_lib import extras

#: Import name -> the distribution that provides it, where the two differ.
DISTRIBUTION_OF = {"PIL": "pillow", "skimage": "scikit-image", "IPython": "ipython"}
#: Imported only where they exist by themselves (Colab's own package), never installed by pip.
PROVIDED_BY_THE_PLATFORM = {"google"}
#: The same TensorFlow under another name: requirements.txt installs tensorflow-cpu on Linux.
SAME_AS = {"tensorflow-cpu": "tensorflow"}
CORE = "core"


def _project() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


def declared(project: dict | None = None) -> dict[str, tuple[str, Requirement]]:
    """Canonical name -> (``"core"`` or the extra, requirement) of every package pyproject declares."""
    project = project or _project()
    groups = {CORE: project["dependencies"], **project.get("optional-dependencies", {})}
    found: dict[str, tuple[str, Requirement]] = {}
    for group, specs in groups.items():
        for requirement in map(Requirement, specs):
            name = canonicalize_name(requirement.name)
            assert name not in found, f"pyproject.toml declares {name} twice ({found[name][0]} and {group})"
            found[name] = (group, requirement)
    return found


def pinned(text: str | None = None) -> list[Requirement]:
    """The requirements of requirements.txt (or of ``text``), comments dropped."""
    lines = (text if text is not None else (REPO_ROOT / "requirements.txt").read_text()).splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


def lock_problems(requirements: dict[str, tuple[str, Requirement]], pins: list[Requirement]) -> list[str]:
    """What keeps ``pins`` (the lock) from locking exactly ``requirements`` (pyproject's): each problem a sentence."""
    environment = default_environment()
    problems, locked = [], set()
    for platform in ("linux", "darwin"):  # both branches of the tensorflow / tensorflow-cpu markers
        environment["sys_platform"] = platform
        for pin in pins:
            if pin.marker and not pin.marker.evaluate(environment):
                continue
            name = canonicalize_name(SAME_AS.get(canonicalize_name(pin.name), pin.name))
            versions = [s.version for s in pin.specifier if s.operator == "=="]
            if name not in requirements:
                problems.append(f"requirements.txt: {pin.name} is not declared in pyproject.toml (core or an extra)")
            elif len(versions) != 1 or len(pin.specifier) != 1:
                problems.append(f"requirements.txt: {pin} is not pinned to one version with ==")
            elif not requirements[name][1].specifier.contains(versions[0], prereleases=True):
                problems.append(f"requirements.txt: {pin} ({platform}) is outside pyproject's {requirements[name][1]}")
            locked.add(name)
    problems += [f"pyproject.toml: {name} ({group}) is not pinned in requirements.txt"
                 for name, (group, _) in requirements.items() if name not in locked]
    return sorted(set(problems))


def imported_top_level_modules() -> dict[str, str]:
    """Third-party top-level modules imported anywhere in course_lib (also inside functions),
    each with one file that imports it."""
    found = {}
    for path in sorted((REPO_ROOT / "course_lib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_optional"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names = [node.args[0].value]  # course_lib.extras.import_optional("ipywidgets", ...)
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "course_lib" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(REPO_ROOT)))
    return found


def _group_of_module(module: str, requirements) -> str | None:
    entry = requirements.get(canonicalize_name(DISTRIBUTION_OF.get(module, module)))
    return entry[0] if entry else None


# ----------------------------------------------------------------------------- tests
def test_every_imported_package_is_declared_with_a_floor_in_the_extra_that_errors_name():
    requirements = declared()
    imported = {m: where for m, where in imported_top_level_modules().items() if m not in PROVIDED_BY_THE_PLATFORM}
    missing = {m: where for m, where in imported.items() if _group_of_module(m, requirements) is None}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    # course_lib.extras tells a user which extra installs a missing import: it must be that package's extra.
    group = {m: _group_of_module(m, requirements) for m in imported}
    wrong = {m: (extras.EXTRA_OF.get(m), group[m]) for m in imported
             if group[m] != CORE and extras.EXTRA_OF.get(m) != group[m]}
    assert not wrong, f"course_lib.extras.EXTRA_OF disagrees with pyproject (module: (EXTRA_OF, pyproject)): {wrong}"
    unused = set(extras.EXTRA_OF) - set(imported)
    assert not unused, f"course_lib.extras.EXTRA_OF names modules course_lib never imports: {unused}"
    no_floor = [str(r) for _, r in requirements.values() if not any(s.operator == ">=" for s in r.specifier)]
    assert not no_floor, f"declared without a '>=' floor: {no_floor}"


def test_the_lock_pins_exactly_pyprojects_packages_inside_their_ranges():
    assert lock_problems(declared(), pinned()) == []


def test_the_lock_check_finds_each_kind_of_drift():
    requirements = declared({"dependencies": ["numpy>=1.26"], "optional-dependencies": {"tf": ["tensorflow>=2.17"]}})
    good = 'numpy==2.0.0\ntensorflow-cpu==2.21.0; sys_platform == "linux"\ntensorflow==2.21.0; sys_platform != "linux"'
    assert lock_problems(requirements, pinned(good)) == []
    assert lock_problems(requirements, pinned(good.replace("numpy==2.0.0", "numpy==1.24.4"))) == [
        "requirements.txt: numpy==1.24.4 (darwin) is outside pyproject's numpy>=1.26",
        "requirements.txt: numpy==1.24.4 (linux) is outside pyproject's numpy>=1.26"]
    assert lock_problems(requirements, pinned(good + "\nruff==0.17.6")) == [
        "requirements.txt: ruff is not declared in pyproject.toml (core or an extra)"]
    assert lock_problems(requirements, pinned(good.replace("numpy==2.0.0", "numpy>=2.0"))) == [
        "requirements.txt: numpy>=2.0 is not pinned to one version with =="]
    assert lock_problems(requirements, pinned(good.split("\n", 1)[1])) == [
        "pyproject.toml: numpy (core) is not pinned in requirements.txt"]
    with pytest.raises(AssertionError, match="declares numpy twice"):
        declared({"dependencies": ["numpy>=1.26"], "optional-dependencies": {"x": ["NumPy>=2"]}})


def test_what_notebook_08_installs_on_colab_is_the_locked_ipyevents():
    from course_lib import hint_widget

    locked = {canonicalize_name(p.name): p for p in pinned()}
    assert Requirement(hint_widget.IPYEVENTS_REQUIREMENT) == locked["ipyevents"]


def test_a_missing_optional_package_names_its_extra(monkeypatch, capsys):
    from course_lib import widgets

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # what `import ipywidgets` meets when it is not installed
    with pytest.raises(extras.MissingDependencyError,
                       match=r'the LAB explorer needs ipywidgets, which is not installed: pip install "colorize-course\[widgets\]"'):
        widgets.lab_explorer()
    with pytest.raises(ModuleNotFoundError) as raised:  # not a module of an extra: the plain error, a bug
        extras.import_optional("no_such_package_anywhere", "a test")
    assert not isinstance(raised.value, extras.MissingDependencyError)
    assert "numpy" not in extras.EXTRA_OF and extras.install_hint("numpy") is None
    # the command line turns it into one line and status 2
    from course_lib import cli
    from course_lib.course import exercise_table

    def missing(args):
        raise ModuleNotFoundError("No module named 'jupytext'", name="jupytext")

    monkeypatch.setattr(exercise_table, "run_cli", missing)
    assert cli.main(["exercises"]) == 2
    assert 'python -m course_lib exercises needs jupytext, which is not installed: pip install "colorize-course[instructor]"' \
        in capsys.readouterr().err


def test_imported_modules_are_found_also_through_import_optional():
    imported = imported_top_level_modules()
    assert "numpy" in imported and "os" not in imported
    assert imported.get("ipyevents") == "course_lib/hint_widget.py"
