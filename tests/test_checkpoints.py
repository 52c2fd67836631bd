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
