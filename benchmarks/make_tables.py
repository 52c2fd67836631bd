"""Render the result tables of benchmarks/README.md and benchmarks/DETAILS.md from benchmarks/results/.

Each ``results/NAME.json`` holds one measured thing: what was measured, the command, the date, the
commit that first recorded the figures, the machine, an optional ``stale`` note, and its ``rows``.
README.md (the current results) and DETAILS.md (per-category breakdowns and the tables each choice
was made from) mark where each table goes, every table on exactly one of the two pages::

    <!-- results:NAME -->
    ...generated; edit results/NAME.json instead...
    <!-- /results:NAME -->

::

    python benchmarks/make_tables.py          # rewrite the tables in README.md and DETAILS.md
    python benchmarks/make_tables.py --check  # exit 1 if a page differs from what the JSON renders

``tests/test_benchmark_tables.py`` runs the check, so a table cannot drift from its results.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
README = BENCH_DIR / "README.md"
DETAILS = BENCH_DIR / "DETAILS.md"
#: The pages that hold the tables.
PAGES = (README, DETAILS)
#: Every results file must say these.
REQUIRED_KEYS = ("what", "command", "measured", "commit", "machine", "rows")
MARKER = re.compile(r"<!-- results:(?P<name>[\w-]+) -->\n.*?<!-- /results:(?P=name) -->", re.S)


def number(digits: int, sign: bool = False):
    """A formatter for a number with ``digits`` decimals (``+`` for gains); None becomes an empty cell."""
    def fmt(value):
        if value is None or value == "":
            return ""
        return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return fmt


def text(value) -> str:
    return "" if value is None else str(value)


def interval(row: dict, key: str = "colourfulness") -> str:
    """``0.945 [0.864, 1.026]``: a value with its interval when the row has one."""
    if row.get("interval_low") is None:
        return number(3)(row[key])
    return f"{row[key]:.3f} [{row['interval_low']:.3f}, {row['interval_high']:.3f}]"


# For each table: its results file, the key of its rows, and (header, cell) columns, where a cell is a
# row key with its formatter, or a function of the whole row.
TABLES: dict[str, tuple[str, str, list]] = {
    "training_speed": ("training_speed", "rows", [
        ("", "part", text), ("s/epoch", "seconds_per_epoch", number(2)), ("images/s", "images_per_second", number(1))]),
    "cpu_recipe_validation": ("cpu_recipe_validation", "rows", [
        ("seed", "seed", text), ("PSNR, images", "psnr_images", number(2)),
        ("PSNR, categories", "psnr_categories", number(2)), ("gain over gray, images", "gain_images", number(2, True)),
        ("**gain over gray, categories**", "gain_categories", number(2, True)), ("SSIM (cat.)", "ssim", number(3)),
        ("colourfulness (cat.) [90 % prediction interval]", interval, None)]),
    "cpu_recipe_test": ("cpu_recipe_test", "rows", [
        ("test split", "model", text), ("PSNR", "psnr", number(2)), ("SSIM", "ssim", number(3)),
        ("ΔE00", "deltaE00", number(2)), ("colourfulness ratio", "colourfulness", number(3)), ("AuC", "auc", number(3)),
        ("PSNR fg", "psnr_fg", number(2)), ("gain over gray", "gain", number(2, True))]),
    "cpu_recipe_per_category": ("cpu_recipe_per_category", "rows", [
        ("category", "category", text), ("val PSNR", "val_psnr", number(2)), ("val gain over gray", "val_gain", number(2, True)),
        ("test images", "test_images", text), ("test PSNR", "test_psnr", number(2)),
        ("test gain over gray", "test_gain", number(2, True)), ("test colourfulness", "test_colourfulness", number(3))]),
    "classification_decoding": ("classification_decoding", "rows", [
        ("T", "temperature", text), ("upsampling", "upsampling", text), ("PSNR", "psnr", number(2)),
        ("colourfulness [95 % prediction interval]", interval, None), ("inside 0.98-1.30?", "inside", text)]),
    "classification_test": ("classification_test", "rows", [
        ("model", "model", text), ("PSNR", "psnr", text), ("SSIM", "ssim", text), ("ΔE00", "deltaE00", text),
        ("colourfulness ratio", "colourfulness", text), ("AuC", "auc", text), ("gain over gray", "gain", text)]),
    "classification_per_category": ("classification_test", "per_category", [
        ("category", "category", text), ("test PSNR", "psnr", number(2)), ("colourfulness", "colourfulness", number(2))]),
    "hint_curve": ("hint_curve", "rows", [
        ("hints per image", "hints", text), ("PSNR (images)", "psnr_images", number(2)),
        ("PSNR (categories)", "psnr_categories", number(2)), ("fg PSNR", "psnr_fg", number(2)), ("SSIM", "ssim", number(3)),
        ("ΔE00", "deltaE00", number(2)), ("automatic model PSNR", "automatic_psnr", number(2))]),
    "peak_memory": ("peak_memory", "rows", [
        ("notebook", "notebook", text), ("fast mode (MB)", "fast_mb", text), ("course run, not fast (MB)", "full_mb", text)]),
    "evaluation_and_checkpoints": ("evaluation_and_checkpoints", "rows", [
        ("what", "what", text), ("before", "before", text), ("after", "after", text), ("target", "target", text)]),
    "adversarial_validation": ("adversarial_validation", "rows", [
        ("λ", "weight", text), ("adversarial epochs", "adversarial_epochs", text), ("PSNR (cat.)", "psnr", number(2)),
        ("PSNR (images)", "psnr_images", number(2)), ("colourfulness (cat.) [95 % prediction interval]", interval, None),
        ("colourfulness (images)", "colourfulness_images", number(3)), ("inside 0.98-1.30?", "inside", text),
        ("", "chosen", text)]),
    "adversarial_choice": ("adversarial_choice", "rows", [
        ("run", "run", text), ("λ", "weight", text), ("adversarial epochs", "adversarial_epochs", text),
        ("generator lr", "generator_lr", text), ("upsampling", "upsampling", text), ("PSNR (cat.)", "psnr", number(2)), ("PSNR (images)", "psnr_images", number(2)),
        ("colourfulness (cat.) [95 % prediction interval]", interval, None),
        ("colourfulness (images)", "colourfulness_images", number(3)), ("semantic (cat.)", "semantic", number(3)),
        ("semantic (images)", "semantic_images", number(3)), ("qualifies?", "qualifies", text),
        ("distance to 1.11", "distance", number(3)), ("", "chosen", text)]),
    "adversarial_test": ("adversarial_test", "rows", [
        ("model", "model", text), ("PSNR", "psnr", text), ("SSIM", "ssim", text), ("ΔE00", "deltaE00", text),
        ("colourfulness ratio", "colourfulness", text), ("semantic accuracy", "semantic_accuracy", text),
        ("two-sample accuracy [95 % interval]", "two_sample", text)]),
    "adversarial_per_category": ("adversarial_test", "per_category", [
        ("category", "category", text), ("semantic: truth", "semantic_truth", number(2)),
        ("gray", "semantic_gray", number(2)), ("MSE", "semantic_mse", number(2)), ("cls.", "semantic_cls", number(2)),
        ("adv.", "semantic_adv", number(2)), ("colourfulness: MSE", "colourfulness_mse", number(2)),
        ("cls.", "colourfulness_cls", number(2)), ("adv.", "colourfulness_adv", number(2))]),
    "judge_validation": ("judge_validation", "rows", [
        ("epochs", "epochs", text), ("width", "width", text), ("best epoch", "best_epoch", text),
        ("validation accuracy", "val_accuracy", text), ("", "chosen", text)]),
    "training_times": ("training_times", "rows", [
        ("model", "model", text), ("machine", "machine", text), ("when", "when", text), ("wall (min:s)", "wall", text),
        ("CPU min", "cpu_minutes", number(1)), ("stale?", "stale", text)]),
}
#: Tables of many short rows are laid out this many rows side by side.
SIDE_BY_SIDE = {"classification_per_category": 4, "cpu_recipe_per_category": 2, "peak_memory": 3,
                "adversarial_per_category": 2}


def load(name: str) -> dict:
    """``results/NAME.json``, checked for the keys every result must carry."""
    data = json.loads((RESULTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise ValueError(f"results/{name}.json lacks {missing}: every result says what, how, when, where")
    return data


def write_result(name: str, what: str, command: str, rows: list, **extra) -> Path:
    """Write ``results/NAME.json`` as a benchmark script records it: today's date, the commit checked out
    and this machine's cores filled in (edit ``machine`` by hand to name the CPU). Returns the path."""
    import os
    import platform
    import subprocess
    import time

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=BENCH_DIR).stdout.strip()
    result = {"what": what, "command": command, "measured": time.strftime("%Y-%m-%d"), "commit": commit,
              "machine": f"{os.cpu_count()} CPU cores ({platform.machine()}), no GPU, TensorFlow on the CPU",
              "rows": rows, **extra}
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _cell(row: dict, key, fmt) -> str:
    return key(row) if callable(key) else fmt(row.get(key))


def render_table(name: str) -> str:
    """The Markdown for table ``name``: a line naming the source and the machine, then the table."""
    file_name, rows_key, columns = TABLES[name]
    data = load(file_name)
    if rows_key == "rows":
        lines = [f"{data['what']}. *Measured {data['measured']} on {data['machine']}; recorded in commit "
                 f"{data['commit']}:* `{data['command']}`"]
    else:  # a second table of the same measurement: its source was named with the first
        lines = [f"The same measurement (`results/{file_name}.json`)."]
    if data.get("stale"):
        lines.append(f"\n**Stale:** {data['stale']}")
    lines.append("")
    rows = [[_cell(row, key, fmt) for _, key, fmt in columns] for row in data[rows_key]]
    headers = [header for header, _, _ in columns]
    align = ["---" if i == 0 or not any(_numeric(r[i]) for r in rows) else "---:" for i in range(len(headers))]
    group = SIDE_BY_SIDE.get(name, 1)
    if group > 1:  # rows side by side: row k of the table holds rows k*group .. k*group+group-1
        headers, align = headers * group, align * group
        rows = [sum(rows[i:i + group], []) + [""] * len(columns) * (group - len(rows[i:i + group]))
                for i in range(0, len(rows), group)]
    lines += ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if data.get("notes") and rows_key == "rows":
        lines += ["", data["notes"]]
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+(\.\d+)?( [\[(].*)?", cell))


def render_page(page: str) -> str:
    """``page`` with every marked table replaced by what its results render.

    Raises
    ------
    ValueError
        If a marker names a table that TABLES lacks.
    """
    unknown = sorted({match["name"] for match in MARKER.finditer(page)} - set(TABLES))
    if unknown:
        raise ValueError(f"markers without a table: {unknown}")
    return MARKER.sub(lambda m: f"<!-- results:{m['name']} -->\n{render_table(m['name'])}\n<!-- /results:{m['name']} -->",
                      page)


def render_pages(pages: dict) -> dict:
    """``{path: text}`` with every page's tables rendered; every table must be marked on exactly one page.

    Raises
    ------
    ValueError
        A marker without a table, a table without a marker, or a table marked twice.
    """
    names = [match["name"] for text in pages.values() for match in MARKER.finditer(text)]
    unplaced = sorted(set(TABLES) - set(names))
    twice = sorted({name for name in names if names.count(name) > 1})
    if unplaced or twice:
        raise ValueError(f"tables without a marker: {unplaced}; tables marked twice: {twice}")
    return {path: render_page(text) for path, text in pages.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a page's tables differ from the results")
    args = parser.parse_args(argv)
    current = {path: path.read_text(encoding="utf-8") for path in PAGES}
    rendered = render_pages(current)
    stale = [path for path in PAGES if rendered[path] != current[path]]
    if args.check:
        if stale:
            print(f"{', '.join(str(p) for p in stale)}: tables differ from benchmarks/results/*.json: "
                  "run python benchmarks/make_tables.py", file=sys.stderr)
            return 1
        return 0
    for path in stale:
        path.write_text(rendered[path], encoding="utf-8")
        print(f"rewrote the tables in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
