"""benchmarks/select_adversarial.py's rule: semantic accuracy at least the MSE model's, then the colourfulness
ratio with the most margin inside issue 26's band."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import load_module

select = load_module(Path(__file__).resolve().parent.parent / "benchmarks" / "select_adversarial.py",
                     "select_adversarial")

REFERENCE = {"psnr": 23.4, "semantic": 0.40, "semantic_images": 0.42}


def row(name, psnr=23.0, semantic=0.45, semantic_images=0.45, colourfulness=1.1, colourfulness_images=1.1):
    return {"run": name, "psnr": psnr, "semantic": semantic, "semantic_images": semantic_images,
            "colourfulness": colourfulness, "colourfulness_images": colourfulness_images}


def test_the_ratio_nearest_the_bands_middle_wins_among_those_that_qualify():
    rows = [row("dull", colourfulness=0.97, colourfulness_images=0.96), row("middle", colourfulness=1.10),
            row("garish", colourfulness=1.28, colourfulness_images=1.29)]
    chosen, qualified = select.choose(rows, REFERENCE)
    assert chosen["run"] == "middle" and qualified


def test_the_farther_of_the_two_means_counts():
    # over categories right in the middle, but over photos at the band's edge: the other one is safer
    rows = [row("split", colourfulness=1.11, colourfulness_images=0.95),
            row("even", colourfulness=1.02, colourfulness_images=1.03)]
    assert select.choose(rows, REFERENCE)[0]["run"] == "even"


@pytest.mark.parametrize("failing", [{"psnr": 21.9}, {"semantic": 0.39}, {"semantic_images": 0.41}])
def test_a_run_below_a_bar_does_not_qualify(failing):
    rows = [row("vivid but failing", colourfulness=1.11, **failing),
            row("qualifies", colourfulness=0.99, colourfulness_images=0.99)]
    chosen, qualified = select.choose(rows, REFERENCE)
    assert chosen["run"] == "qualifies" and qualified


def test_when_none_qualifies_the_closest_is_chosen_and_said_so():
    rows = [row("a", semantic=0.1, colourfulness=0.9, colourfulness_images=0.9),
            row("b", semantic=0.1, colourfulness=1.0, colourfulness_images=1.0)]
    chosen, qualified = select.choose(rows, REFERENCE)
    assert chosen["run"] == "b" and not qualified
    with pytest.raises(ValueError):
        select.choose([], REFERENCE)
