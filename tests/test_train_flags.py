"""The ``train`` command's flags are generated from TrainSettings' fields: every setting has one, and its value
reaches the resolved settings (course_lib.train.add_setting_arguments / setting_overrides)."""

from __future__ import annotations

import dataclasses

import pytest

from course_lib import cli
from course_lib.recipes import RECIPES, TrainSettings, resolve_settings
from course_lib.train import setting_overrides

#: For every field: the flags that set it, and the value they must give (none of them the cpu recipe's).
GIVEN = {
    "recipe": (["--recipe", "fast"], "fast"),
    "weights": (["--weights", "imagenet"], "imagenet"),
    "decoder": (["--decoder", "seed"], "seed"),
    "image_size": (["--image-size", "64"], 64),
    "encoder_blocks": (["--encoder-blocks", "4"], 4),
    "decoder_width": (["--decoder-width", "16"], 16),
    "epochs": (["--epochs", "7"], 7),
    "fine_tune_epochs": (["--fine-tune-epochs", "2"], 2),
    "fine_tune_blocks": (["--fine-tune-blocks", "3", "4"], (3, 4)),
    "batch_size": (["--batch-size", "8"], 8),
    "learning_rate": (["--learning-rate", "1e-4"], 1e-4),
    "loss": (["--loss", "l1"], "l1"),
    "head": (["--head", "classification"], "classification"),
    "hints": (["--hints"], True),
    "augment": (["--no-augment"], False),
    "class_balanced": (["--class-balanced"], True),
    "seed": (["--seed", "5"], 5),
    "max_images_per_split": (["--max-images-per-split", "10"], 10),
    "mixed_precision": (["--mixed-precision", "on"], "on"),
    "deterministic": (["--no-deterministic"], False),
    "checkpoint_every": (["--checkpoint-every", "3"], 3),
}


def parse(*flags: str):
    return cli.build_parser("train").parse_args(["train", "--data", "d", "--out", "o", *flags])


def resolved(args) -> TrainSettings:
    return resolve_settings(args.recipe, gpu=False, **setting_overrides(args))


def test_every_setting_has_a_flag_and_a_value_here():
    assert set(GIVEN) == {f.name for f in dataclasses.fields(TrainSettings)}
    for name, (flags, _) in GIVEN.items():
        assert flags[0].lstrip("-").removeprefix("no-").replace("-", "_") == name  # the flag is named after it


@pytest.mark.parametrize("name", list(GIVEN))
def test_a_flags_value_reaches_the_resolved_settings(name):
    flags, value = GIVEN[name]
    assert getattr(RECIPES["cpu"], name) != value  # else the test could not tell the flag worked
    settings = resolved(parse(*flags))
    assert getattr(settings, name) == value


def test_all_flags_at_once_and_none_at_all():
    settings = resolved(parse(*[flag for flags, _ in GIVEN.values() for flag in flags]))
    assert {name: getattr(settings, name) for name in GIVEN} == {name: value for name, (_, value) in GIVEN.items()}
    assert resolved(parse()) == RECIPES["cpu"]  # no flag: the recipe's values (auto, no GPU: cpu)
    assert resolved(parse("--recipe", "gpu")) == RECIPES["gpu"]


def test_the_older_flag_spellings_still_work():
    assert resolved(parse("--recipe", "gpu", "--weights", "none")).weights is None  # a random encoder
    assert resolved(parse("--recipe", "gpu", "--deterministic")).deterministic is True
    assert resolved(parse("--head", "classification")).epochs == 75  # the variant's epochs, untold
    assert resolved(parse("--head", "classification", "--epochs", "9")).epochs == 9  # a given value wins


def test_a_bad_choice_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        parse("--decoder", "resnet")
    assert "invalid choice" in capsys.readouterr().err


def test_a_setting_the_docstring_does_not_describe_is_refused(monkeypatch):
    from course_lib.errors import CourseError
    from course_lib.recipes import setting_descriptions

    assert "1 % of it" in setting_descriptions()["learning_rate"]
    monkeypatch.setattr(TrainSettings, "__doc__", TrainSettings.__doc__.replace("    batch_size : int\n", ""))
    with pytest.raises(CourseError, match="describes no batch_size"):
        setting_descriptions()
