"""benchmarks/select_recipe.py: candidates are scored on the validation split, the test split only on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import load_module

select = load_module(Path(__file__).resolve().parent.parent / "benchmarks" / "select_recipe.py", "select_recipe")


def test_candidates_are_names_with_settings():
    assert select.parse_candidate("base") == ("base", {})
    assert select.parse_candidate("s64:image_size=64,class_balanced=true,loss=l1") == (
        "s64", {"image_size": 64, "class_balanced": True, "loss": "l1"})


def test_candidates_that_lose_colour_rank_last_whatever_their_gain():
    rows = [{"name": "grey", "gain_categories": 6.0, "colorfulness_low": 0.80},
            {"name": "ok", "gain_categories": 5.5, "colorfulness_low": 0.86},
            {"name": "better", "gain_categories": 5.7, "colorfulness_low": 0.90}]
    assert [row["name"] for row in sorted(rows, key=select.rank)] == ["better", "ok", "grey"]


@pytest.mark.slow
def test_trials_are_scored_on_validation_and_test_only_once_asked(tmp_path):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    data = make_sample_dataset(tmp_path / "data", per_category=8, categories=list(CATEGORIES)[:2], min_side=40,
                               max_side=64)
    tiny = "image_size=32,encoder_blocks=2,decoder_width=8,epochs=1,batch_size=4"
    out = tmp_path / "select"
    assert select.main(["--data", str(data), "--out", str(out), "--candidate", f"a:{tiny}"]) == 0
    rows = json.loads((out / "trials.json").read_text())
    assert [row["name"] for row in rows] == ["a"] and rows[0]["changes"]["epochs"] == 1
    assert rows[0]["n"] >= 2 and all(rows[0][key] == rows[0][key] for key in ("gain_categories", "gain_images"))
    assert rows[0]["colorfulness_low"] <= rows[0]["colorfulness_categories"] <= rows[0]["colorfulness_high"]
    assert not list(out.glob("test_*.json"))  # the test split is never looked at while choosing
    assert select.main(["--data", str(data), "--out", str(out), "--test-once", "a"]) == 0
    assert json.loads((out / "test_a.json").read_text())["n"] >= 1
