"""Training times (and recorded figures) stated in the notebooks and the README come from the benchmark files.

Every training time the course states lives in benchmarks/results/training_times.json (rendered into
benchmarks/README.md). This test reads it, derives the figures a learner is told (the ``cpu`` recipe's
range of wall-clock minutes over the measured runs; the hint model's one measured run), and fails when a
notebook source or the README states another figure, or states a training time this test does not know
(register the new claim below, with the benchmark row it comes from, or remove it).
"""

from __future__ import annotations

import json
import math
import re

import pytest

from conftest import REPO_ROOT

TIMES = REPO_ROOT / "benchmarks" / "results" / "training_times.json"
#: The files whose training times are checked.
FILES = ("notebooks/00_welcome_and_setup.py", "notebooks/04_training_on_a_gpu.py",
         "notebooks/05_evaluation_metrics.py", "notebooks/06_results.py", "notebooks/07_colour_as_classification.py",
         "notebooks/08_colour_hints.py", "notebooks/09_adversarial_colorization.py", "README.md")
#: A duration in minutes as the course writes it: "19-31 minutes", "21.5 min", "about 25 minutes".
DURATION = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?) ?(?:min|minutes)\b")
#: Durations that are no training time: a notebook's working time in its header, the test commands' times.
NOT_TRAINING = re.compile(r"^#\s+time_(?:cpu|gpu): \d+ min\b|scripts/test_offline\.sh")


def _wall_minutes(wall: str) -> float | None:
    """'19:29' -> 19.48, '21.5 min' -> 21.5; anything else (a range, an estimate) -> None."""
    if re.fullmatch(r"\d+:\d\d", wall):
        minutes, seconds = wall.split(":")
        return int(minutes) + int(seconds) / 60
    match = re.fullmatch(r"(\d+(?:\.\d+)?) min", wall)
    return float(match.group(1)) if match else None


def _rows(prefix: str, path=TIMES) -> list[float]:
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    values = [_wall_minutes(row["wall"]) for row in rows if row["model"].startswith(prefix)]
    return [value for value in values if value is not None]


def cpu_recipe_range(path=TIMES) -> str:
    """The cpu recipe's measured wall-clock range in whole minutes, e.g. '19-31'."""
    values = _rows("cpu recipe, 150 epochs", path)
    return f"{math.floor(min(values))}-{math.floor(max(values))}"


def hint_model_minutes() -> str:
    """The hint model's one measured run (60 epochs), e.g. '21.5'."""
    (value,) = _rows("hint model, 60 epochs")
    return f"{value:g}"


def adversarial_minutes() -> str:
    """Notebook 09's adversarial fine-tune, timed in the course run, e.g. '5.1'."""
    (value,) = _rows("adversarial fine-tune")
    return f"{value:g}"


def seed_spread_db() -> str:
    """The largest difference in gain over gray (categories) between the cpu recipe's validation seeds."""
    rows = json.loads((TIMES.parent / "cpu_recipe_validation.json").read_text(encoding="utf-8"))["rows"]
    gains = [row["gain_categories"] for row in rows if row["seed"].isdigit()]
    return f"{max(gains) - min(gains):.2f}"


#: (file, the words around the figure, which measured figure it must be). The regex's group 1 is the figure.
CLAIMS = [
    ("notebooks/00_welcome_and_setup.py", r"blocks, (\S+) minutes on 2 cores as measured", cpu_recipe_range),
    ("notebooks/04_training_on_a_gpu.py", r"plus the training \((\S+) min on 2 cores", cpu_recipe_range),
    ("notebooks/04_training_on_a_gpu.py", r"batch 16; offline .*?; (\S+) minutes, by machine", cpu_recipe_range),
    ("notebooks/04_training_on_a_gpu.py", r"differ by up to (\S+) dB in gain over gray", seed_spread_db),
    ("notebooks/06_results.py", r"04's recipe here instead \((\S+) min\)", cpu_recipe_range),
    ("notebooks/06_results.py", r"\"full\" \(04's recipe, (\S+) min\)", cpu_recipe_range),
    ("notebooks/06_results.py", r"notebook 04's recipe: (\S+) min\)", cpu_recipe_range),
    ("notebooks/08_colour_hints.py", r"recipe; (\S+) min measured for 60 epochs", hint_model_minutes),
    ("notebooks/08_colour_hints.py", r"90 epochs; 60 took (\S+) min\)", hint_model_minutes),
    ("README.md", r"a silent training of (\S+) minutes on 2 CPU cores", cpu_recipe_range),
    ("README.md", r"adversarial fine-tune, (\S+) min, included", adversarial_minutes),
]


@pytest.mark.parametrize("path, words, figure", CLAIMS, ids=[f"{c[0]}:{c[2].__name__}" for c in CLAIMS])
def test_a_stated_training_time_is_the_measured_one(path, words, figure):
    text = (REPO_ROOT / path).read_text(encoding="utf-8")
    found = re.findall(words, text)
    assert found, f"{path}: the claim /{words}/ is gone; update CLAIMS in this test"
    for stated in found:
        assert stated == figure(), (f"{path} states {stated} where the benchmark file (benchmarks/results/) "
                                    f"gives {figure()} ({figure.__name__})")


def test_every_stated_training_time_is_a_registered_claim():
    unknown = []
    for path in FILES:
        text = (REPO_ROOT / path).read_text(encoding="utf-8")
        registered = {m.start(1) for p, words, _ in CLAIMS if p == path for m in re.finditer(words, text)}
        for line_start, line in _lines(text):
            if NOT_TRAINING.search(line):
                continue
            for match in DURATION.finditer(line):
                if line_start + match.start(1) not in registered:
                    unknown.append(f"{path}: {line.strip()[:120]}")
    assert not unknown, ("a time stated without its benchmark source (add the figure to "
                         "benchmarks/results/training_times.json and a CLAIMS entry here, or remove it):\n"
                         + "\n".join(unknown))


def _lines(text: str):
    start = 0
    for line in text.splitlines(keepends=True):
        yield start, line
        start += len(line)


def test_the_figures_follow_the_file(tmp_path):
    data = json.loads(TIMES.read_text(encoding="utf-8"))
    for row in data["rows"]:
        if row["model"].startswith("cpu recipe, 150 epochs") and row["wall"] == "31:09":
            row["wall"] = "35:00"
    changed = tmp_path / "training_times.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    assert cpu_recipe_range(changed) == "19-35"  # so the notebooks' "19-31" would now fail the test above
