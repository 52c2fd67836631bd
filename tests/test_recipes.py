"""Training settings as data (course_lib.recipes): overrides, checks, storage, resume rules."""

from __future__ import annotations

import json

import pytest

from course_lib.errors import CourseError
from course_lib.recipes import RECIPES, TrainSettings, resolve_settings


def test_overrides_change_single_fields_and_none_keeps_the_recipe():
    gpu = RECIPES["gpu"]
    changed = gpu.override(epochs=1, image_size=None, max_images_per_split=8)
    assert (changed.epochs, changed.image_size, changed.max_images_per_split) == (1, gpu.image_size, 8)
    assert changed.recipe == "gpu" and gpu.epochs != 1  # the recipe itself is untouched (frozen)
    with pytest.raises(AttributeError):
        gpu.epochs = 3


def test_weights_none_means_a_random_encoder_not_the_recipes_weights():
    assert RECIPES["gpu"].weights == "imagenet"
    assert RECIPES["gpu"].override(weights=None).weights is None
    assert RECIPES["gpu"].override(weights="NONE").weights is None
    assert RECIPES["cpu"].override(weights="ImageNet").weights == "imagenet"


@pytest.mark.parametrize("changes, message", [
    ({"decoder": "vae"}, "decoder"),
    ({"loss": "l2"}, "loss"),
    ({"encoder_blocks": 6}, "encoder_blocks"),
    ({"image_size": 40, "encoder_blocks": 4}, "multiple of 16"),
    ({"epochs": -1}, "epochs"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"batch_size": 0}, "batch_size"),
    ({"checkpoint_every": 0}, "checkpoint_every"),
    ({"colour": "red"}, "unknown training setting"),
])
def test_bad_settings_are_refused_with_the_reason(changes, message):
    with pytest.raises(CourseError, match=message):
        RECIPES["cpu"].override(**changes)


def test_settings_survive_a_round_trip_through_json():
    settings = RECIPES["gpu"].override(fine_tune_blocks=[4, 5], weights="/tmp/vgg.h5")
    stored = json.loads(json.dumps(settings.to_dict()))
    assert stored["recipe"] == "gpu" and stored["fine_tune_blocks"] == [4, 5]
    assert TrainSettings.from_dict(stored) == settings


def test_resume_may_lengthen_a_run_but_not_change_what_it_trains():
    saved = RECIPES["cpu"]
    assert saved.override(epochs=90, fine_tune_epochs=2).differences_for_resume(saved) == []
    assert saved.override(checkpoint_every=3).differences_for_resume(saved) == []  # how often it saves, not what
    different = saved.override(image_size=64, loss="l1").differences_for_resume(saved)
    assert [d.split(":")[0] for d in different] == ["image_size", "loss"]


def test_auto_picks_the_gpu_recipe_only_with_a_gpu():
    assert resolve_settings("auto", gpu=True) == RECIPES["gpu"]
    assert resolve_settings("auto", gpu=False) == RECIPES["cpu"]
    with pytest.raises(CourseError, match="unknown recipe"):
        resolve_settings("tpu")


def test_the_gpu_recipe_is_the_transfer_learning_setting():
    gpu = RECIPES["gpu"]
    assert gpu.weights == "imagenet" and gpu.image_size >= 176 and gpu.encoder_blocks == 5
    assert gpu.fine_tune_epochs > 0 and gpu.mixed_precision == "auto"  # float16 on a GPU only
    assert RECIPES["cpu"].mixed_precision == "off" and RECIPES["cpu"].deterministic


def test_mixed_precision_is_auto_on_or_off_and_older_runs_booleans_still_read():
    assert RECIPES["cpu"].override(mixed_precision="ON").mixed_precision == "on"
    assert TrainSettings.from_dict({"mixed_precision": True}).mixed_precision == "auto"
    assert TrainSettings.from_dict({"mixed_precision": False}).mixed_precision == "off"
    with pytest.raises(CourseError, match="mixed_precision"):
        RECIPES["cpu"].override(mixed_precision="float16")
    # A resume must keep it: a loss-scaled float16 run is not the same computation as a float32 one.
    assert RECIPES["gpu"].override(mixed_precision="off").differences_for_resume(RECIPES["gpu"])


def test_each_recipe_owns_the_weights_it_was_measured_with():
    assert RECIPES["cpu"].weights is None and RECIPES["fast"].weights is None
    assert RECIPES["gpu"].weights == "imagenet"
    assert all(recipe.unmeasured() == [] for recipe in RECIPES.values())
    # ImageNet with the cpu recipe is allowed, and said to be unmeasured, also in what state.json stores.
    imagenet_cpu = RECIPES["cpu"].override(weights="imagenet")
    assert len(imagenet_cpu.unmeasured()) == 1 and "measured with none" in imagenet_cpu.unmeasured()[0]
    assert imagenet_cpu.to_dict()["unmeasured"] == imagenet_cpu.unmeasured()
    assert TrainSettings.from_dict(imagenet_cpu.to_dict()) == imagenet_cpu
    assert "measured with imagenet" in RECIPES["gpu"].override(weights=None).unmeasured()[0]


def test_costlier_variants_of_the_cpu_recipe_train_fewer_epochs_unless_told():
    from course_lib.recipes import VARIANT_EPOCHS, variant_of

    assert resolve_settings("cpu").epochs == RECIPES["cpu"].epochs == 150
    cls = resolve_settings("cpu", head="classification")
    assert (variant_of(cls), cls.epochs) == ("classification", VARIANT_EPOCHS["cpu"]["classification"]) == (
        "classification", 75)
    assert resolve_settings("cpu", hints=True).epochs == 90 and variant_of(resolve_settings("cpu", hints=True)) == "hints"
    assert resolve_settings("cpu", head="classification", epochs=7).epochs == 7  # given epochs win
    assert resolve_settings("gpu", gpu=True, head="classification").epochs == RECIPES["gpu"].epochs  # no variant rule
    with pytest.raises(CourseError, match="unknown training setting"):
        resolve_settings("cpu", epoch=3)


def test_explicit_settings_take_overrides_as_they_are_and_exclude_a_recipe():
    assert resolve_settings(settings=TrainSettings(epochs=12), head="classification").epochs == 12
    with pytest.raises(CourseError, match="either settings or recipe"):
        resolve_settings("cpu", settings=TrainSettings())


def test_without_a_recipe_fast_mode_decides(monkeypatch):
    from course_lib import config

    monkeypatch.setenv(config.FAST_ENV_VAR, "1")
    assert resolve_settings() == RECIPES["fast"]
    assert resolve_settings(fast=False, gpu=False) == RECIPES["cpu"]
    assert resolve_settings("cpu", fast=True) == RECIPES["cpu"]  # a named recipe wins
    monkeypatch.setenv(config.FAST_ENV_VAR, "0")
    assert resolve_settings(gpu=True) == RECIPES["gpu"]
    assert resolve_settings(fast=True) == RECIPES["fast"]


def test_the_fast_recipes_hint_model_trains_many_more_steps_than_the_fast_recipe():
    from course_lib.recipes import VARIANT_SETTINGS

    fast, hints = RECIPES["fast"], resolve_settings("fast", hints=True)
    assert resolve_settings("fast") == fast  # the automatic fast model is unchanged
    steps = lambda s: s.epochs * (s.max_images_per_split // s.batch_size)  # noqa: E731 (at most, per stage)
    assert steps(hints) >= 10 * steps(fast)  # a hint model needs a few hundred steps (tests/test_hints_fast.py)
    assert {k: getattr(hints, k) for k in VARIANT_SETTINGS["fast"]["hints"]} == VARIANT_SETTINGS["fast"]["hints"]
    given = resolve_settings("fast", hints=True, epochs=2, learning_rate=1e-3)  # given values win
    assert (given.epochs, given.learning_rate, given.max_images_per_split) == (2, 1e-3, hints.max_images_per_split)
    assert resolve_settings("cpu", hints=True).max_images_per_split is None  # the cpu recipe keeps every image
