"""Adversarial colorization: the PatchGAN critic, the losses, the NoGAN schedule, resume, the policy."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from course_lib import cli
from course_lib.adversarial import (ADVERSARIAL_RECIPES, AdversarialRunError, AdversarialSettings, build_patch_discriminator,
                                    discriminator_loss, generator_loss, patchgan_receptive_field,
                                    recipe_adversarial_settings, train_adversarial)
from course_lib.classification import choose_decoding
from course_lib.colorizer import Colorizer
from course_lib.train import read_checkpoint, train

TINY = dict(image_size=32, encoder_blocks=2, decoder_width=8, batch_size=4, epochs=1, verbose=0, weights=None)
SMALL_GAN = dict(critic_width=4, critic_downsamplings=2)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


@pytest.fixture(scope="module")
def tiny_run(tiny_data, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "mse"
    train(tiny_data, run, **TINY)
    return run


def test_receptive_field_is_pix2pix_70_and_matches_the_gradient_support():
    assert patchgan_receptive_field(3) == 70  # pix2pix's PatchGAN
    assert patchgan_receptive_field(1) == 16 and patchgan_receptive_field(2) == 34
    for downsamplings, size in ((1, 64), (2, 96)):
        critic = build_patch_discriminator(size, width=4, downsamplings=downsamplings)
        x = keras.ops.convert_to_tensor(np.random.default_rng(0).normal(size=(1, size, size, 3)).astype("float32"))
        grid = size // 2**downsamplings
        assert tuple(critic(x).shape) == (1, grid, grid, 1)
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            centre = critic(x)[0, grid // 2, grid // 2, 0]
        support = np.abs(tape.gradient(centre, x).numpy()[0]).sum(axis=-1) > 0
        rows, cols = np.nonzero(support.any(axis=1))[0], np.nonzero(support.any(axis=0))[0]
        field = patchgan_receptive_field(downsamplings)
        assert rows.max() - rows.min() + 1 == field and cols.max() - cols.min() + 1 == field


def test_critic_rejects_a_size_it_cannot_halve():
    with pytest.raises(AdversarialRunError, match="multiple of 8"):
        build_patch_discriminator(36, downsamplings=3)


def test_generator_loss_is_l1_plus_weighted_adversarial_on_hand_made_inputs():
    ab_true = np.zeros((1, 2, 2, 2), np.float32)
    ab_pred = np.full((1, 2, 2, 2), 0.5, np.float32)  # L1 = 0.5
    logits = np.zeros((1, 1, 1, 1), np.float32)  # critic unsure: BCE(1, sigmoid 0) = ln 2
    total, l1, adversarial = (float(v) for v in generator_loss(ab_true, ab_pred, logits, 0.1))
    assert l1 == pytest.approx(0.5) and adversarial == pytest.approx(np.log(2), rel=1e-5)
    assert total == pytest.approx(0.5 + 0.1 * np.log(2), rel=1e-5)
    confident = np.full((1, 1, 1, 1), 20.0, np.float32)  # the critic calls it real: almost no adversarial loss
    assert float(generator_loss(ab_true, ab_pred, confident, 0.1)[1 + 1]) < 1e-6
    real, fake = np.full((1, 2, 2, 1), 20.0, np.float32), np.full((1, 2, 2, 1), -20.0, np.float32)
    assert float(discriminator_loss(real, fake)) < 1e-6  # a perfect critic
    assert float(discriminator_loss(fake, real)) > 10  # a critic that has it backwards


def test_bad_settings_say_what_to_use():
    with pytest.raises(AdversarialRunError, match=">= 0"):
        AdversarialSettings(adversarial_weight=-1)
    with pytest.raises(AdversarialRunError, match="whole number"):
        AdversarialSettings(critic_epochs=1.5)


def _weights(path):
    return [np.array(w) for w in keras.models.load_model(path, compile=False).get_weights()]


def test_critic_pretraining_leaves_the_generator_and_the_fine_tune_changes_it(tiny_data, tiny_run, tmp_path):
    start = _weights(tiny_run / "model.keras")
    run = tmp_path / "gan"
    settings = AdversarialSettings(critic_epochs=1, adversarial_epochs=1, **SMALL_GAN)
    state = train_adversarial(tiny_data, run, tiny_run, settings, stop_after=1)
    assert state["epochs_done"] == 1 and "generator_loss" not in state["history"]
    after_critic = _weights(run / "checkpoints" / "generator.keras")
    for a, b in zip(start, after_critic, strict=True):
        np.testing.assert_array_equal(a, b)
    critic_before = build_patch_discriminator(32, 4, 2).get_weights()  # shapes only
    assert [w.shape for w in critic_before] == [w.shape for w in _weights(run / "critic.keras")]

    state = train_adversarial(tiny_data, run, tiny_run, settings, resume=True)
    assert state["epochs_done"] == 2 and len(state["history"]["generator_loss"]) == 1
    after_gan = _weights(run / "checkpoints" / "generator.keras")
    assert any(not np.array_equal(a, b) for a, b in zip(start, after_gan, strict=True))
    assert np.isfinite(state["history"]["val_psnr"]).all()
    assert (run / "model.keras").is_file() and (run / "log.csv").read_text().count("\n") == 3
    # log.csv: one header for both phases (a critic epoch leaves the generator's columns empty)
    import csv

    rows = list(csv.DictReader((run / "log.csv").open()))
    assert [r["phase"] for r in rows] == ["critic", "adversarial"]
    assert rows[0]["generator_loss"] == "" and float(rows[1]["generator_loss"]) > 0
    assert all(0 < float(r["val_colorfulness_ratio"]) < 5 for r in rows)
    # model.keras is the generator after the last adversarial epoch
    for a, b in zip(_weights(run / "model.keras"), after_gan, strict=True):
        np.testing.assert_array_equal(a, b)
    # finished: run.json holds the upsampling chosen on validation (not written after the critic phase)
    info = json.loads((run / "run.json").read_text())
    scored = {row["upsampling"]: row for row in info["decoding_candidates"]}
    assert info["head"] == "regression" and set(scored) == {"guided", "bilinear"}
    assert all(row["temperature"] is None and np.isfinite(row["psnr"]) for row in scored.values())
    chosen, _ = choose_decoding(info["decoding_candidates"])
    assert info["upsampling"] == chosen["upsampling"]
    assert Colorizer.load(run).upsampling == info["upsampling"]
    # a run finished before run.json existed gets it when resumed, and trains nothing more
    (run / "run.json").unlink()
    assert train_adversarial(tiny_data, run, tiny_run, settings, resume=True)["epochs_done"] == 2
    assert json.loads((run / "run.json").read_text())["upsampling"] == info["upsampling"]
    for a, b in zip(_weights(run / "model.keras"), after_gan, strict=True):
        np.testing.assert_array_equal(a, b)


class _Stop(Exception):
    pass


def test_resume_restores_both_optimizers(tiny_data, tiny_run, tmp_path, monkeypatch):
    from course_lib import adversarial as module

    run = tmp_path / "gan"
    settings = AdversarialSettings(critic_epochs=1, adversarial_epochs=2, **SMALL_GAN)
    train_adversarial(tiny_data, run, tiny_run, settings, stop_after=2)
    saved = {name: read_checkpoint(run / "checkpoints" / f"{name}.keras")[0] for name in ("generator", "critic")}
    assert int(saved["generator"]["adam/0"]) > 0 and int(saved["critic"]["adam/0"]) > int(saved["generator"]["adam/0"])

    seen = {}
    real_init = module.AdversarialSteps.__init__

    def spy(self, generator, critic, g_opt, d_opt, weight):
        for name, optimizer in (("generator", g_opt), ("critic", d_opt)):
            seen[name] = [keras.ops.convert_to_numpy(v) for v in optimizer.variables]
        real_init(self, generator, critic, g_opt, d_opt, weight)

    monkeypatch.setattr(module.AdversarialSteps, "__init__", spy)
    state = train_adversarial(tiny_data, run, tiny_run, settings, resume=True)
    assert state["epochs_done"] == 3
    for name in ("generator", "critic"):
        want = [saved[name][f"adam/{k}"] for k in range(len(seen[name]))]
        for got, expected in zip(seen[name], want, strict=True):
            np.testing.assert_array_equal(got, expected)

    with pytest.raises(AdversarialRunError, match="--resume"):
        train_adversarial(tiny_data, run, tiny_run, settings)
    with pytest.raises(AdversarialRunError, match="nothing to resume"):
        train_adversarial(tiny_data, tmp_path / "empty", tiny_run, settings, resume=True)
    with pytest.raises(AdversarialRunError, match="other adversarial settings"):
        train_adversarial(tiny_data, run, tiny_run, AdversarialSettings(adversarial_weight=0.5, **SMALL_GAN),
                          resume=True)


def test_checkpoints_follow_the_generators_recipe_and_a_lost_epoch_is_trained_again(tiny_data, tmp_path, monkeypatch):
    import csv

    from course_lib import adversarial as module
    from course_lib import train as train_module

    init = tmp_path / "mse"
    train(tiny_data, init, **{**TINY, "checkpoint_every": 2})
    written = []
    real_write, real_row = train_module.write_checkpoint, module._history_row
    monkeypatch.setattr(train_module, "write_checkpoint",
                        lambda model, opt, state, path: (written.append((path.name, state["epochs_done"])),
                                                         real_write(model, opt, state, path))[1])

    class _Lost(Exception):
        pass

    lost = []

    def lost_after_epoch_3(path, row):  # the runtime goes once, after epoch 3's row (no checkpoint of it)
        real_row(path, row)
        if row["epoch"] == 2 and not lost:
            lost.append(row["epoch"])
            raise _Lost

    monkeypatch.setattr(module, "_history_row", lost_after_epoch_3)
    run, settings = tmp_path / "gan", AdversarialSettings(critic_epochs=1, adversarial_epochs=4, **SMALL_GAN)
    with pytest.raises(_Lost):
        train_adversarial(tiny_data, run, init, settings)
    # every 2 epochs, and at the critic phase's end (epoch 1)
    assert written == [(name, n) for n in (1, 2) for name in ("critic.keras", "generator.keras")]
    assert json.loads((run / "checkpoints" / "state.json").read_text())["epochs_done"] == 2
    state = train_adversarial(tiny_data, run, init, settings, resume=True)
    assert state["epochs_done"] == 5
    assert [n for _, n in written[4:]] == [4, 4, 5, 5]  # epoch 4 (every 2) and the run's last
    with open(run / "log.csv", newline="") as handle:
        assert [int(row["epoch"]) for row in csv.DictReader(handle)] == [0, 1, 2, 3, 4]  # epoch 3's row once


def test_policy_is_restored_after_a_failure(tiny_data, tiny_run, tmp_path, monkeypatch):
    from course_lib import adversarial as module

    state = json.loads((tiny_run / "checkpoints" / "state.json").read_text())
    mixed = tmp_path / "mixed"
    (mixed / "checkpoints").mkdir(parents=True)
    state["settings"]["mixed_precision"] = "on"
    (mixed / "checkpoints" / "state.json").write_text(json.dumps(state))
    (mixed / "model.keras").write_bytes((tiny_run / "model.keras").read_bytes())
    seen = []

    def fail(*args, **kwargs):
        seen.append(keras.config.dtype_policy().name)
        raise _Stop("killed in the first step")

    monkeypatch.setattr(module.AdversarialSteps, "critic_step", fail)
    before = keras.config.dtype_policy().name
    with pytest.raises(_Stop):
        train_adversarial(tiny_data, tmp_path / "gan", mixed, AdversarialSettings(**SMALL_GAN))
    assert seen == ["mixed_float16"] and keras.config.dtype_policy().name == before == "float32"


def test_init_from_must_be_a_regression_run(tiny_data, tmp_path):
    with pytest.raises(AdversarialRunError, match="--init-from"):
        train_adversarial(tiny_data, tmp_path / "gan", tmp_path / "nothing", AdversarialSettings(**SMALL_GAN))


def test_cli_train_adversarial_and_plain_train_still_works(tiny_data, tiny_run, tmp_path, capsys):
    parser = cli.build_parser("train")
    args = parser.parse_args(["train", "--data", "x", "--out", "y", "--adversarial", "--init-from", "z"])
    assert args.adversarial and args.init_from == "z" and args.adversarial_weight is None  # the recipe's
    assert not parser.parse_args(["train", "--data", "x", "--out", "y"]).adversarial
    code = cli.main(["train", "--data", str(tiny_data), "--out", str(tmp_path / "gan"), "--adversarial",
                     "--init-from", str(tiny_run), "--critic-epochs", "0", "--adversarial-epochs", "1"])
    assert code == 0 and (tmp_path / "gan" / "model.keras").is_file()
    # the generator's recipe gives what no flag set: here the generator is a fast-recipe run
    saved = json.loads((tmp_path / "gan" / "checkpoints" / "state.json").read_text())["adversarial"]
    recipe = json.loads((tiny_run / "checkpoints" / "state.json").read_text())["settings"]["recipe"]
    want = recipe_adversarial_settings(recipe, critic_epochs=0, adversarial_epochs=1)
    assert AdversarialSettings(**saved) == want and f"({recipe} recipe's, with your flags)" in capsys.readouterr().out
    # Reusing a finished run loads no TensorFlow (run-notebooks asks train --resume for every model it reads).
    for words in (["--out", str(tiny_run), "--recipe", "cpu", "--image-size", "32", "--encoder-blocks", "2",
                   "--decoder-width", "8", "--batch-size", "4", "--epochs", "1", "--weights", "none"],  # TINY
                  ["--out", str(tmp_path / "gan"), "--adversarial", "--init-from", str(tiny_run),
                   "--critic-epochs", "0", "--adversarial-epochs", "1"]):
        reuse = subprocess.run([sys.executable, "-c", "import sys; from course_lib.cli import main; "
                                "code = main(sys.argv[1:]); print('loaded:', 'keras' in sys.modules, "
                                "'tensorflow' in sys.modules); sys.exit(code)",
                                "train", "--data", str(tiny_data), "--resume", *words],
                               capture_output=True, text=True, timeout=120)
        assert reuse.returncode == 0, reuse.stdout + reuse.stderr
        assert "nothing left to train" in reuse.stdout and "loaded: False False" in reuse.stdout, reuse.stdout
    code = cli.main(["train", "--data", str(tiny_data), "--out", str(tmp_path / "gan2"), "--adversarial",
                     "--init-from", str(tiny_run), "--epochs", "2"])
    assert code == 2 and "leave out --epochs" in capsys.readouterr().err


def test_every_adversarial_setting_has_a_flag_that_reaches_the_settings():
    from course_lib.adversarial import adversarial_overrides

    parser = cli.build_parser("train")
    given = {"adversarial_weight": 0.7, "critic_width": 5, "critic_downsamplings": 2, "critic_epochs": 3,
             "adversarial_epochs": 7, "generator_learning_rate": 3e-4, "critic_learning_rate": 5e-3}
    assert set(given) == {f.name for f in dataclasses.fields(AdversarialSettings)}  # a new field needs a case here
    argv = ["train", "--data", "x", "--out", "y", "--adversarial"]
    for name, value in given.items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    overrides = adversarial_overrides(parser.parse_args(argv))
    assert recipe_adversarial_settings("cpu", **overrides) == AdversarialSettings(**given)
    # no flag: the recipe's settings, untouched
    none = adversarial_overrides(parser.parse_args(["train", "--data", "x", "--out", "y", "--adversarial"]))
    assert none == {} and recipe_adversarial_settings("cpu", **none) == ADVERSARIAL_RECIPES["cpu"]


def test_without_init_from_the_generator_is_pretrained_first(tiny_data, tmp_path):
    run = tmp_path / "gan"
    state = train_adversarial(tiny_data, run, None, AdversarialSettings(critic_epochs=0, adversarial_epochs=1,
                                                                         **SMALL_GAN), **TINY)
    pretrain = json.loads((run / "generator_pretrain" / "checkpoints" / "state.json").read_text())
    assert pretrain["epochs_done"] == 1 and pretrain["settings"]["image_size"] == 32
    assert state["init_from"] == str(run / "generator_pretrain") and state["epochs_done"] == 1


def test_a_mixed_precision_run_trains_resumes_and_restores_the_policy(tiny_data, tmp_path):
    mixed = tmp_path / "mixed"
    train(tiny_data, mixed, **{**TINY, "mixed_precision": "on"})
    settings = AdversarialSettings(critic_epochs=1, adversarial_epochs=1, **SMALL_GAN)
    train_adversarial(tiny_data, tmp_path / "gan", mixed, settings, stop_after=1)
    arrays = read_checkpoint(tmp_path / "gan" / "checkpoints" / "critic.keras")[0]
    assert any(key.startswith("loss_scale/") for key in arrays)  # the loss scaler's state is checkpointed
    state = train_adversarial(tiny_data, tmp_path / "gan", mixed, settings, resume=True)
    assert state["epochs_done"] == 2 and np.isfinite(state["history"]["generator_loss"]).all()
    assert keras.config.dtype_policy().name == "float32"
