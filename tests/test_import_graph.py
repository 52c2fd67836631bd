"""No module of course_lib imports another in a circle, not even from inside a function.

A circle works by accident (whoever imports first wins) and ties two concerns together; the
old data <-> download pair was one. The graph is read from the source (the AST), so a lazy
import inside a function counts as much as one at the top of the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "course_lib"


def _module_name(path: Path, package_dir: Path) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package_dir: Path = PACKAGE_DIR) -> dict[str, set[str]]:
    """Module name -> the package's modules it imports anywhere in its source (module level or not)."""
    package = package_dir.name
    files = {_module_name(path, package_dir): path for path in sorted(package_dir.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x / from .x import y
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    # `from pkg import sub` imports the module pkg.sub; `from mod import func`, mod.
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in files else base)
        graph[name] = {t for t in targets if t in files and t != name and t.split(".")[0] == package}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of nodes that starts and ends with the same node, or None."""
    done: set[str] = set()
    path: list[str] = []  # the depth-first path from the current root

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


# ------------------------------------------------------------------ the checks check
def test_cycle_finder_finds_a_cycle_in_a_tiny_graph():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None  # a diamond is no cycle


def test_graph_counts_imports_inside_functions(tmp_path):
    fake = tmp_path / "fakepkg"
    (fake / "sub").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "sub" / "__init__.py").write_text("")
    (fake / "a.py").write_text("import os\nfrom fakepkg.b import thing\n")
    (fake / "b.py").write_text("def late():\n    from fakepkg import a\n    return a\nthing = 1\n")
    (fake / "sub" / "c.py").write_text("from .. import b\nfrom . import d\n")
    (fake / "sub" / "d.py").write_text("def f():\n    import fakepkg.sub.c\n")
    graph = import_graph(fake)
    assert graph["fakepkg.a"] == {"fakepkg.b"} and graph["fakepkg.b"] == {"fakepkg.a"}
    assert graph["fakepkg.sub.c"] == {"fakepkg.b", "fakepkg.sub.d"}
    assert find_cycle(graph) == ["fakepkg.a", "fakepkg.b", "fakepkg.a"]


# ------------------------------------------------------------------------ the library
def test_course_lib_has_no_import_cycle():
    graph = import_graph()
    assert {"course_lib.data", "course_lib.layout", "course_lib.sources", "course_lib.checks.feedback"} <= set(graph)
    assert "course_lib.layout" in graph["course_lib.data"]  # the graph really holds the imports
    cycle = find_cycle(graph)
    assert cycle is None, "course_lib imports in a circle: " + " -> ".join(cycle)


def test_layout_imports_no_other_course_module_than_errors():
    assert import_graph()["course_lib.layout"] == {"course_lib.errors"}
