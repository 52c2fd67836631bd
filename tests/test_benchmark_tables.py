"""benchmarks/README.md's and DETAILS.md's tables are what benchmarks/results/*.json render (benchmarks/make_tables.py)."""

import json
import shutil

import pytest

from conftest import REPO_ROOT, load_module

make_tables = load_module(REPO_ROOT / "benchmarks" / "make_tables.py", "make_tables")
README = REPO_ROOT / "benchmarks" / "README.md"


def _pages() -> dict:
    return {path: path.read_text(encoding="utf-8") for path in make_tables.PAGES}


def test_the_pages_tables_are_what_the_results_render():
    current = _pages()
    assert make_tables.render_pages(current) == current, "run: python benchmarks/make_tables.py"


def test_every_result_is_shown_and_says_what_how_when_and_where():
    files = {path.stem for path in make_tables.RESULTS_DIR.glob("*.json")}
    shown = {file_name for file_name, _, _ in make_tables.TABLES.values()}
    assert files == shown, f"results without a table: {sorted(files - shown)}; tables without results: {sorted(shown - files)}"
    for name in files:
        data = make_tables.load(name)
        assert data["rows"] and all(str(data[key]).strip() for key in make_tables.REQUIRED_KEYS), name


def test_a_changed_figure_changes_the_table(tmp_path, monkeypatch):
    results = tmp_path / "results"
    shutil.copytree(make_tables.RESULTS_DIR, results)
    data = json.loads((results / "cpu_recipe_test.json").read_text())
    data["rows"][2]["psnr"] = 12.34
    (results / "cpu_recipe_test.json").write_text(json.dumps(data))
    monkeypatch.setattr(make_tables, "RESULTS_DIR", results)
    rendered = make_tables.render_page(README.read_text(encoding="utf-8"))
    assert "| 12.34 |" in rendered and rendered != README.read_text(encoding="utf-8")


def test_a_result_without_its_source_is_refused(tmp_path, monkeypatch):
    (tmp_path / "bare.json").write_text(json.dumps({"rows": [{"a": 1}]}))
    monkeypatch.setattr(make_tables, "RESULTS_DIR", tmp_path)
    with pytest.raises(ValueError, match="lacks"):
        make_tables.load("bare")


def test_a_marker_without_a_table_is_refused():
    with pytest.raises(ValueError, match="without a table"):
        make_tables.render_page(README.read_text() + "\n<!-- results:nothing -->\n<!-- /results:nothing -->\n")


def test_every_table_is_on_exactly_one_page():
    pages = _pages()
    marker = "<!-- results:cpu_recipe_test -->\n<!-- /results:cpu_recipe_test -->\n"
    with pytest.raises(ValueError, match="marked twice"):
        make_tables.render_pages({**pages, make_tables.DETAILS: pages[make_tables.DETAILS] + marker})
    with pytest.raises(ValueError, match="without a marker"):
        make_tables.render_pages({make_tables.README: pages[make_tables.README]} if "cpu_recipe_per_category" not in
                                 pages[make_tables.README] else {make_tables.DETAILS: pages[make_tables.DETAILS]})


def test_the_readme_stays_short():
    assert len(README.read_text(encoding="utf-8").splitlines()) < 200
