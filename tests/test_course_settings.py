"""The notebooks' training settings and run folder (course_lib.config, used by notebooks 04 and 06)."""

from __future__ import annotations

from course_lib import config
from course_lib.recipes import RECIPES


def test_fast_mode_selects_the_fast_recipe_and_full_mode_the_train_command_default(monkeypatch):
    monkeypatch.setenv(config.FAST_ENV_VAR, "1")
    assert config.course_train_settings() == {"recipe": "fast"}
    assert RECIPES["fast"].epochs >= 2  # notebook 04 interrupts after the first half and resumes
    monkeypatch.setenv(config.FAST_ENV_VAR, "0")
    assert config.course_train_settings() == {}
    assert config.course_train_settings(fast=True) == {"recipe": "fast"}


def test_fast_and_full_runs_never_share_a_folder(monkeypatch):
    monkeypatch.delenv(config.FAST_ENV_VAR, raising=False)
    full = config.course_run_dir()
    assert full == config.REPO_ROOT / "runs" / "course"
    assert config.course_run_dir(fast=True) != full
    assert config.course_run_dir(fast=True).parent == full.parent  # both under the git-ignored runs/
