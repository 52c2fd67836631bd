"""What pyproject.toml promises: every library import declared with a floor, and requirements.txt's
pins (the lock CI, Binder and local installs use) inside its ranges. scripts/check_lower_bounds.sh
tests the floors themselves."""

from __future__ import annotations

import ast
import sys
import tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO_ROOT

#: Import name -> the distribution that provides it, where the two differ.
DISTRIBUTION_OF = {"PIL": "pillow", "skimage": "scikit-image", "IPython": "ipython"}
#: Imported only where they exist by themselves (Colab's own package), never installed by pip.
PROVIDED_BY_THE_PLATFORM = {"google"}
#: The same TensorFlow under another name: requirements.txt installs tensorflow-cpu on Linux.
SAME_AS = {"tensorflow-cpu": "tensorflow"}


def declared() -> dict[str, Requirement]:
    """pyproject's runtime requirements (dependencies and the tf extra) by canonical name."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["tf"]
    return {canonicalize_name(r.name): r for r in map(Requirement, specs)}


def pinned() -> list[Requirement]:
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


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
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "course_lib" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(REPO_ROOT)))
    return found


def test_every_imported_package_is_declared_with_a_floor():
    requirements = declared()
    missing = {module: where for module, where in imported_top_level_modules().items()
               if module not in PROVIDED_BY_THE_PLATFORM
               and canonicalize_name(DISTRIBUTION_OF.get(module, module)) not in requirements}
    assert not missing, f"imported but not in pyproject.toml's dependencies (or the tf extra): {missing}"
    no_floor = [str(r) for r in requirements.values() if not any(s.operator == ">=" for s in r.specifier)]
    assert not no_floor, f"declared without a '>=' floor: {no_floor}"


def test_requirements_pins_lie_inside_pyprojects_ranges():
    requirements = declared()
    environment = default_environment() | {"sys_platform": "linux"}
    outside, checked = [], set()
    for platform in ("linux", "darwin"):  # both branches of the tensorflow / tensorflow-cpu markers
        environment["sys_platform"] = platform
        for pin in pinned():
            if pin.marker and not pin.marker.evaluate(environment):
                continue
            name = canonicalize_name(SAME_AS.get(canonicalize_name(pin.name), pin.name))
            if name not in requirements:
                continue  # tools (Jupyter, pytest ...): not a runtime dependency of the library
            versions = [s.version for s in pin.specifier if s.operator == "=="]
            assert versions, f"requirements.txt: {pin} is not pinned with =="
            checked.add(name)
            if not requirements[name].specifier.contains(versions[0], prereleases=True):
                outside.append(f"{pin} ({platform}) outside pyproject's {requirements[name]}")
    assert not outside, outside
    assert checked == set(requirements), f"not pinned in requirements.txt: {sorted(set(requirements) - checked)}"


def test_the_checks_above_catch_a_pin_outside_a_range():
    """The range check itself: a pin below a floor is outside, the floor itself inside."""
    requirement = Requirement("numpy>=1.26")
    assert not requirement.specifier.contains("1.24.4") and requirement.specifier.contains("1.26.0")
    assert "numpy" in imported_top_level_modules() and "os" not in imported_top_level_modules()
