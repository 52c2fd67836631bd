"""The notebooks' training settings (recipes.resolve_settings) and run folders (course_lib.config, used by notebooks
04-06 and run-notebooks)."""

from __future__ import annotations

from course_lib import config
from course_lib.recipes import RECIPES


def test_fast_mode_selects_the_fast_recipe_and_full_mode_the_train_command_default(monkeypatch):
    from course_lib.recipes import resolve_settings

    monkeypatch.setenv(config.FAST_ENV_VAR, "1")
    assert resolve_settings().recipe == "fast"
    assert RECIPES["fast"].epochs >= 2  # notebook 04 interrupts after the first half and resumes
    monkeypatch.setenv(config.FAST_ENV_VAR, "0")
    assert resolve_settings(gpu=False).recipe == "cpu" and resolve_settings(gpu=True).recipe == "gpu"
    assert resolve_settings(fast=True).recipe == "fast"


def test_fast_and_full_runs_never_share_a_folder(monkeypatch):
    monkeypatch.delenv(config.FAST_ENV_VAR, raising=False)
    full = config.course_run_dir()
    assert full == config.REPO_ROOT / "runs" / "course"
    assert config.course_run_dir(fast=True) != full
    assert config.course_run_dir(fast=True).parent == full.parent  # both under the git-ignored runs/


def test_course_runs_dir_moves_every_run_folder(monkeypatch, tmp_path):
    from course_lib.course import runner

    monkeypatch.delenv(config.RUNS_ENV_VAR, raising=False)
    assert config.runs_dir() == config.REPO_ROOT / "runs"
    monkeypatch.setenv(config.RUNS_ENV_VAR, str(tmp_path / "drive-runs"))
    assert config.runs_dir() == tmp_path / "drive-runs"
    assert config.course_run_dir(fast=False) == tmp_path / "drive-runs" / "course"
    assert config.course_run_dir(fast=True) == tmp_path / "drive-runs" / "course-fast"
    assert runner.default_out_dir() == tmp_path / "drive-runs" / "executed"


def test_missing_model_message_names_the_path_and_the_drive_helper(tmp_path):
    message = config.missing_model_message(tmp_path / "model.keras")
    assert str(tmp_path / "model.keras") in message and "USE_GOOGLE_DRIVE = True" in message


def test_a_commit_ref_is_told_from_a_branch_or_tag():
    assert config.is_commit("0f4870d") and config.is_commit("0f4870d" * 5 + "abcde")
    assert not config.is_commit("main") and not config.is_commit("v0.2") and not config.is_commit("abc")
