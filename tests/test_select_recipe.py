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


def test_a_candidates_figures_are_the_mean_over_its_seeds():
    figures = {key: 0.0 for key in select.AVERAGED}
    per_seed = [{**figures, "seed": 0, "n": 86, "gain_categories": 5.96, "colorfulness_low": 0.864},
                {**figures, "seed": 1, "n": 86, "gain_categories": 6.35, "colorfulness_low": 0.841}]
    row = select.average_over_seeds("base", {}, per_seed)
    assert row["gain_categories"] == pytest.approx(6.155) and row["colorfulness_low"] == pytest.approx(0.8525)
    assert row["per_seed"] == per_seed and row["n"] == 86
    assert "0: +5.96, 1: +6.35" in select.markdown([{**row, "colorfulness_high": 1.0}], "val")
    assert [select.run_name("base", seed) for seed in range(3)] == ["base", "base-seed1", "base-seed2"]


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
    assert [run["seed"] for run in rows[0]["per_seed"]] == list(range(select.SEEDS))
    assert (out / "a" / "model.keras").is_file() and (out / "a-seed1" / "model.keras").is_file()
    gains = [run["gain_categories"] for run in rows[0]["per_seed"]]
    assert rows[0]["gain_categories"] == pytest.approx(sum(gains) / len(gains))
    with pytest.raises(SystemExit):  # a seed in the settings would be overridden silently
        select.main(["--data", str(data), "--out", str(out), "--candidate", f"b:{tiny},seed=3"])
    assert rows[0]["n"] >= 2 and all(rows[0][key] == rows[0][key] for key in ("gain_categories", "gain_images"))
    assert rows[0]["colorfulness_low"] <= rows[0]["colorfulness_categories"] <= rows[0]["colorfulness_high"]
    assert not list(out.glob("test_*.json"))  # the test split is never looked at while choosing
    assert select.main(["--data", str(data), "--out", str(out), "--test-once", "a"]) == 0
    assert json.loads((out / "test_a.json").read_text())["n"] >= 1
