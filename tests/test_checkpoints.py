"""Checkpoints are small and local first (issue 22): one resumable checkpoint per epoch, a
``model.keras`` without optimizer, and for a run folder on a remote disk (Drive) a local folder
copied there every few epochs, atomically, never deleting a learner's file."""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from course_lib.train import RunFolderCopy, read_checkpoint, train

TINY = dict(image_size=32, encoder_blocks=2, decoder_width=8, batch_size=4, verbose=0)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    """A pretrained-encoder stand-in: stage 1 then trains the decoder only, as the gpu recipe does."""
    keras.utils.set_random_seed(5)
    path = tmp_path_factory.mktemp("vgg") / "vgg19_notop.weights.h5"
    keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3)).save_weights(path)
    return path


class BytesPerEpoch(keras.callbacks.Callback):
    """After each epoch (and every callback of train before it), the bytes of the files in
    ``folder`` that are new or were replaced since the previous epoch."""

    def __init__(self, folder):
        super().__init__()
        self.folder, self.seen, self.epochs = Path(folder), {}, []

    def on_epoch_end(self, epoch, logs=None):
        changed = {}
        for path in self.folder.rglob("*"):
            if path.is_file():
                stat = path.stat()
                stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
                if self.seen.get(path) != stamp:
                    changed[str(path.relative_to(self.folder))] = stat.st_size
                self.seen[path] = stamp
        self.epochs.append(changed)


def _weights_bytes(model_path) -> int:
    model = keras.models.load_model(model_path, compile=False)
    return sum(int(np.prod(w.shape)) * 4 for w in model.weights)


def _h5_groups(keras_file) -> set[str]:
    with zipfile.ZipFile(keras_file) as archive, archive.open("model.weights.h5") as raw:
        with h5py.File(raw, "r") as h5:
            return set(h5.keys())


def test_each_epoch_writes_one_checkpoint_and_the_kept_model_has_no_optimizer(tiny_data, vgg_file, tmp_path):
    run = tmp_path / "run"
    meter = BytesPerEpoch(run)
    result = train(tiny_data, run, weights=str(vgg_file), epochs=3, callbacks=[meter], **TINY)
    weights = _weights_bytes(result.model_path)
    assert "optimizer" not in _h5_groups(result.model_path)
    assert os.path.getsize(result.model_path) < weights * 1.1 + 100_000  # the weights and a little config
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "skipping variable loading for optimizer": there is none, nor a compile
        keras.models.load_model(result.model_path)
    arrays, state = read_checkpoint(result.last_checkpoint)
    optimizer_bytes = sum(a.nbytes for a in arrays.values())
    assert state["epochs_done"] == 3 and optimizer_bytes > 0
    checkpoint_bound = weights + optimizer_bytes + 150_000
    for changed in meter.epochs:
        # One resumable checkpoint per epoch; no other weights file but the best model.
        assert set(changed) <= {"checkpoints/last.keras", "checkpoints/state.json", "model.keras", "log.csv"} | {
            name for name in changed if name.startswith("grids/")}, changed
        assert changed["checkpoints/last.keras"] <= checkpoint_bound
        assert sum(changed.values()) <= checkpoint_bound + weights * 1.1 + 200_000


def test_a_run_on_a_remote_disk_is_written_locally_and_copied_every_few_epochs(tiny_data, vgg_file, tmp_path):
    drive, local = tmp_path / "drive" / "run", tmp_path / "local"
    drive.mkdir(parents=True)
    meter = BytesPerEpoch(drive)
    result = train(tiny_data, drive, weights=str(vgg_file), epochs=4, local_dir=local, copy_every=2,
                   callbacks=[meter], **TINY)
    assert [bool(changed) for changed in meter.epochs] == [False, True, False, True]  # epochs 2 and 4 only
    weights = _weights_bytes(result.model_path)
    per_epoch = sum(sum(changed.values()) for changed in meter.epochs) / len(meter.epochs)
    assert per_epoch <= 2 * weights, (per_epoch, weights)  # the bound, on Drive
    assert read_checkpoint(drive / "checkpoints" / "last.keras")[1]["epochs_done"] == 4
    assert json.loads((drive / "checkpoints" / "state.json").read_text())["epochs_done"] == 4
    assert len(list((drive / "grids").glob("*.png"))) == 4 and (drive / "log.csv").is_file()
    assert not list(drive.rglob("*.partial")) and not list(drive.rglob("*.tmp.keras"))


def test_a_lost_runtime_resumes_from_the_run_folder_and_keeps_the_learners_files(tiny_data, vgg_file, tmp_path,
                                                                                   monkeypatch, capsys):
    from course_lib import config

    drive, local = tmp_path / "drive" / "run", tmp_path / "local"
    monkeypatch.setenv(config.LOCAL_CHECKPOINT_ENV_VAR, str(local))  # what use_google_drive() sets on Colab
    train(tiny_data, drive, weights=str(vgg_file), epochs=4, stop_after=2, copy_every=2, **TINY)
    assert f"copied to {drive} every 2 epochs" in capsys.readouterr().out
    assert len(list(local.glob("run-*/checkpoints/last.keras"))) == 1  # written locally first
    (drive / "my notes.txt").write_text("mine")
    shutil.rmtree(local)  # a new runtime: its local disk is empty, Drive is not
    result = train(tiny_data, drive, weights=str(vgg_file), epochs=4, resume=True, copy_every=2, **TINY)
    assert result.epochs_done == 4 and len(result.history["loss"]) == 4
    assert (drive / "my notes.txt").read_text() == "mine"


def test_a_copy_cut_short_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    work, run = tmp_path / "work", tmp_path / "run"
    (work / "checkpoints").mkdir(parents=True)
    copier = RunFolderCopy(work, run)
    checkpoint = work / "checkpoints" / "last.keras"
    checkpoint.write_bytes(b"epoch 5" * 1000)
    assert copier.copy_changed() == 7000 and copier.copy_changed() == 0  # only what changed
    checkpoint.write_bytes(b"epoch 10" * 1000)

    def cut_short(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:100])  # the runtime dies mid-copy
        raise KeyboardInterrupt

    monkeypatch.setattr(shutil, "copyfile", cut_short)
    with pytest.raises(KeyboardInterrupt):
        copier.copy_changed()
    assert (run / "checkpoints" / "last.keras").read_bytes() == b"epoch 5" * 1000


def test_a_run_checkpointed_by_the_previous_version_still_resumes(tiny_data, tmp_path):
    """Before issue 22 the optimizer was in checkpoints/last_optimizer.npz, beside last.keras."""
    from course_lib.train import CHECKPOINT_OPTIMIZER_ENTRY, CHECKPOINT_STATE_ENTRY

    run = tmp_path / "run"
    train(tiny_data, run, weights=None, epochs=2, stop_after=1, **TINY)
    last = run / "checkpoints" / "last.keras"
    arrays, _ = read_checkpoint(last)
    old = tmp_path / "old.keras"
    with zipfile.ZipFile(last) as new, zipfile.ZipFile(old, "w") as stripped:
        for name in new.namelist():
            if name not in (CHECKPOINT_OPTIMIZER_ENTRY, CHECKPOINT_STATE_ENTRY):
                stripped.writestr(name, new.read(name))
    os.replace(old, last)
    np.savez(run / "checkpoints" / "last_optimizer.npz", **{key[len("adam/"):]: value for key, value in arrays.items()})
    assert read_checkpoint(last)[1] is None

    class FirstState(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.values = [keras.ops.convert_to_numpy(v) for v in self.model.optimizer.variables]

    first = FirstState()
    result = train(tiny_data, run, weights=None, epochs=2, resume=True, callbacks=[first], **TINY)
    assert result.epochs_done == 2
    for got, key in zip(first.values, sorted(arrays, key=lambda k: int(k.split("/")[1])), strict=True):
        np.testing.assert_array_equal(got, arrays[key])


def _weights_of(keras_file) -> list:
    return keras.models.load_model(keras_file, compile=False).get_weights()


def _assert_same_weights(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_every_second_epoch_the_checkpoint_and_the_best_model_kept_in_memory_are_written(tmp_path):
    """checkpoint_every=2: files change at epochs 2, 4 and 5 (the end) only; model.keras is always the
    best epoch's model, also when that epoch had no checkpoint of its own; the run folder gets a copy
    at the first checkpoint at or after each multiple of copy_every."""
    from course_lib.model import build_colorizer
    from course_lib.train import _callbacks_module, make_loss, make_optimizer

    keras.utils.set_random_seed(1)
    model = build_colorizer(32, "unet", None, 2, 8)
    model.compile(make_optimizer(1e-3, 10), make_loss("mse"), jit_compile=False)
    model.optimizer.build(model.trainable_variables)
    work, run = tmp_path / "work", tmp_path / "run"
    (work / "checkpoints").mkdir(parents=True)
    copier = RunFolderCopy(work, run)
    state = dict(settings={}, epochs_done=0, best_val_psnr=-np.inf, best_epoch=0, history={})
    Checkpoint = _callbacks_module()[2]
    callback = Checkpoint(model, work, state, every=2, last_epoch=5, copier=copier, copy_every=3)
    callback.set_model(model)
    meter, copied = BytesPerEpoch(work), BytesPerEpoch(run)
    start = model.get_weights()
    epoch_weights = {}
    for epoch, psnr in enumerate([10.0, 9.0, 12.0, 11.0, 10.0]):  # best: epochs 1 and 3, neither checkpointed
        model.set_weights([w + epoch + 1 for w in start])  # what an epoch of training would change
        epoch_weights[epoch + 1] = model.get_weights()
        callback.on_epoch_end(epoch, {"loss": 1.0, "val_psnr": psnr})
        meter.on_epoch_end(epoch)
        copied.on_epoch_end(epoch)
        _assert_same_weights(model.get_weights(), epoch_weights[epoch + 1])  # training goes on with its own
        if epoch + 1 == 2:
            _assert_same_weights(_weights_of(work / "model.keras"), epoch_weights[1])
            _assert_same_weights(_weights_of(work / "checkpoints" / "last.keras"), epoch_weights[2])
    assert [sorted(changed) for changed in meter.epochs] == [
        [], ["checkpoints/last.keras", "checkpoints/state.json", "model.keras"], [],
        ["checkpoints/last.keras", "checkpoints/state.json", "model.keras"],
        ["checkpoints/last.keras", "checkpoints/state.json"]]  # epoch 5: no new best, model.keras stays
    _assert_same_weights(_weights_of(work / "model.keras"), epoch_weights[3])
    _assert_same_weights(_weights_of(work / "checkpoints" / "last.keras"), epoch_weights[5])
    saved = read_checkpoint(work / "checkpoints" / "last.keras")[1]
    assert (saved["epochs_done"], saved["best_epoch"], saved["best_val_psnr"]) == (5, 3, 12.0)
    assert [bool(changed) for changed in copied.epochs] == [False, False, False, True, False]  # 3 is passed at 4
    assert read_checkpoint(run / "checkpoints" / "last.keras")[1]["epochs_done"] == 4


class EpochWeights(keras.callbacks.Callback):
    """The model's weights at the end of each epoch (by 1-based epoch), and the epochs this fit ran,
    and the optimizer's variables when it starts."""

    def __init__(self, weights_by_epoch):
        super().__init__()
        self.by_epoch, self.epochs, self.start_optimizer = weights_by_epoch, [], None

    def on_train_begin(self, logs=None):
        self.start_optimizer = [keras.ops.convert_to_numpy(v) for v in self.model.optimizer.variables]

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch + 1)
        self.by_epoch[epoch + 1] = self.model.get_weights()


class KillAfter(keras.callbacks.Callback):
    """Raises at the end of epoch ``n``, after train's own callbacks: a runtime lost there."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.n:
            raise KeyboardInterrupt(f"killed after epoch {self.n}")


def _log_epochs(run) -> list[int]:
    import csv

    with open(run / "log.csv", newline="") as handle:
        return [int(row["epoch"]) + 1 for row in csv.DictReader(handle)]


def test_a_run_checkpointed_every_2_epochs_killed_after_an_odd_epoch_resumes_from_the_last_checkpoint(
        tiny_data, tmp_path, capsys):
    run, weights = tmp_path / "run", {}
    settings = dict(weights=None, epochs=5, checkpoint_every=2, **TINY)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_data, run, callbacks=[EpochWeights(weights), KillAfter(3)], **settings)
    arrays, state = read_checkpoint(run / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 2 and len(state["history"]["loss"]) == 2  # epoch 3 is lost with the runtime
    assert json.loads((run / "checkpoints" / "state.json").read_text())["epochs_done"] == 2
    assert _log_epochs(run) == [1, 2, 3]
    assert state["best_epoch"] in (1, 2)
    _assert_same_weights(_weights_of(run / "model.keras"), weights[state["best_epoch"]])

    # Stopped after an odd epoch: that epoch gets a checkpoint, whatever checkpoint_every says.
    recorder = EpochWeights(weights)
    part = train(tiny_data, run, resume=True, stop_after=3, callbacks=[recorder], **settings)
    assert "epoch(s) 3 are replaced" in capsys.readouterr().out
    assert recorder.epochs == [3] and part.epochs_done == 3 and _log_epochs(run) == [1, 2, 3]
    saved = [arrays[f"adam/{k}"] for k in sorted((key[len("adam/"):] for key in arrays), key=int)]
    for got, want in zip(recorder.start_optimizer, saved, strict=True):  # Adam and its step count are back
        np.testing.assert_array_equal(got, want)
    assert read_checkpoint(run / "checkpoints" / "last.keras")[1]["epochs_done"] == 3

    recorder = EpochWeights(weights)
    result = train(tiny_data, run, resume=True, callbacks=[recorder], **settings)
    assert recorder.epochs == [4, 5] and result.epochs_done == 5 and _log_epochs(run) == [1, 2, 3, 4, 5]
    assert all(len(values) == 5 for values in result.history.values())
    assert result.best_val_psnr == max(result.history["val_psnr"])
    best = int(np.argmax(result.history["val_psnr"])) + 1
    _assert_same_weights(_weights_of(result.model_path), weights[best])  # the best validation epoch's model
    assert "optimizer" not in _h5_groups(result.model_path)
    # The cosine decay spans the plan (5 epochs) across the three parts: it ends at 1 % of its start.
    assert result.history["lr"][-1] == pytest.approx(0.01 * result.settings["learning_rate"], rel=1e-3)
    assert result.history["lr"][0] > result.history["lr"][2] > result.history["lr"][4]


def test_a_lost_runtime_in_stage_2_with_a_checkpoint_every_2_epochs_resumes_from_drive(tiny_data, vgg_file,
                                                                                     tmp_path, capsys):
    """The gpu recipe's shape: stage 1 (1 epoch, checkpointed at its end), then fine-tuning (epochs 2-5,
    checkpoints at 2, 4 and 5); the runtime is lost after epoch 3. Drive then holds epoch 2's
    checkpoint with stage 2's optimizer, and a new runtime finishes the run from it."""
    drive, local = tmp_path / "drive" / "run", tmp_path / "local"
    settings = dict(weights=str(vgg_file), epochs=1, fine_tune_epochs=4, checkpoint_every=2, local_dir=local,
                    copy_every=2, **TINY)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_data, drive, callbacks=[KillAfter(3)], **settings)
    arrays, state = read_checkpoint(drive / "checkpoints" / "last.keras")  # copied at the kill (train's finally)
    assert state["epochs_done"] == 2 and _log_epochs(drive) == [1, 2, 3]
    (drive / "my notes.txt").write_text("mine")
    shutil.rmtree(local)  # a new runtime: its local disk is empty, Drive is not

    recorder = EpochWeights({})
    result = train(tiny_data, drive, resume=True, callbacks=[recorder], **settings)
    assert "epoch(s) 3 are replaced" in capsys.readouterr().out
    assert recorder.epochs == [3, 4, 5] and result.epochs_done == 5 and _log_epochs(drive) == [1, 2, 3, 4, 5]
    saved = [arrays[f"adam/{k}"] for k in sorted((key[len("adam/"):] for key in arrays), key=int)]
    for got, want in zip(recorder.start_optimizer, saved, strict=True):  # stage 2's Adam, mid-stage
        np.testing.assert_array_equal(got, want)
    assert read_checkpoint(drive / "checkpoints" / "last.keras")[1]["epochs_done"] == 5
    assert (drive / "my notes.txt").read_text() == "mine"
    assert not list(drive.rglob("*.partial")) and not list(drive.rglob("*.tmp.keras"))
