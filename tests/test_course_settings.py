"""The notebooks' training settings and run folder (course_lib.config, used by notebooks 04 and 06)."""

from __future__ import annotations

import inspect

from course_lib import config


def test_fast_settings_are_train_arguments():
    from course_lib.train import train

    accepted = inspect.signature(train).parameters
    unknown = [key for key in config.FAST_TRAIN_SETTINGS if key not in accepted]
    assert not unknown, f"course_lib.train.train does not accept {unknown}"


def test_fast_settings_are_small_and_full_mode_uses_train_defaults(monkeypatch):
    monkeypatch.setenv(config.FAST_ENV_VAR, "1")
    fast = config.course_train_settings()
    assert fast == config.FAST_TRAIN_SETTINGS and fast is not config.FAST_TRAIN_SETTINGS  # a copy
    assert fast["epochs"] >= 2  # notebook 04 interrupts after the first half and resumes
    monkeypatch.setenv(config.FAST_ENV_VAR, "0")
    assert config.course_train_settings() == {}
    assert config.course_train_settings(fast=True) == config.FAST_TRAIN_SETTINGS


def test_fast_and_full_runs_never_share_a_folder(monkeypatch):
    monkeypatch.delenv(config.FAST_ENV_VAR, raising=False)
    full = config.course_run_dir()
    assert full == config.REPO_ROOT / "runs" / "course"
    assert config.course_run_dir(fast=True) != full
    assert config.course_run_dir(fast=True).parent == full.parent  # both under the git-ignored runs/
