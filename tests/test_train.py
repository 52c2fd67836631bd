"""Training: the run folder, resume after a crash, reproducibility, the two stages, the CLI.

Every run here is tiny (a generated dataset of a dozen 32 px images, two VGG blocks) so
the whole file takes about a minute on two CPU cores.
"""

from __future__ import annotations

import csv
import json

import keras
import numpy as np
import pytest

from course_lib import cli
from course_lib.errors import CourseError
from course_lib.train import read_checkpoint, train

TINY = dict(image_size=32, encoder_blocks=2, decoder_width=8, batch_size=4, epochs=3, verbose=0)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


class SimulatedCrash(Exception):
    pass


class CrashAfter(keras.callbacks.Callback):
    """Dies at the end of epoch ``n`` (after the checkpoint is written), like a lost runtime."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.n:
            raise SimulatedCrash(f"killed after epoch {self.n}")


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs, self.start_iterations, self.start_optimizer = [], None, None

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        self.start_iterations = int(keras.ops.convert_to_numpy(optimizer.iterations))
        self.start_optimizer = [keras.ops.convert_to_numpy(v) for v in optimizer.variables]

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def _log_epochs(run):
    with open(run / "log.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_crash_then_resume_continues_with_optimizer_state(tiny_data, tmp_path):
    run = tmp_path / "run"
    with pytest.raises(SimulatedCrash):
        train(tiny_data, run, weights=None, callbacks=[CrashAfter(2)], **TINY)
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert state["epochs_done"] == 2 and _log_epochs(run) == [0, 1]
    for name in ("model.keras", "checkpoints/last.keras", "grids/epoch_002.png"):
        assert (run / name).is_file(), name
    arrays, saved_state = read_checkpoint(run / "checkpoints" / "last.keras")  # one file: model, optimizer, state
    assert saved_state["epochs_done"] == 2 and not (run / "checkpoints" / "last_optimizer.npz").exists()
    saved_optimizer = [arrays[f"adam/{k}"] for k in sorted((key[len("adam/"):] for key in arrays), key=int)]

    recorder = Recorder()
    result = train(tiny_data, run, weights=None, resume=True, callbacks=[recorder], **TINY)
    assert recorder.epochs == [2]  # only the missing epoch runs
    steps_per_epoch = saved_optimizer[0].item() // 2
    assert steps_per_epoch > 0 and recorder.start_iterations == 2 * steps_per_epoch
    for got, want in zip(recorder.start_optimizer, saved_optimizer, strict=True):  # Adam's moments are back
        np.testing.assert_array_equal(got, want)
    assert result.epochs_done == 3 and _log_epochs(run) == [0, 1, 2]
    assert all(len(values) == 3 for values in result.history.values())
    assert {"loss", "val_loss", "val_psnr"} <= set(result.history)
    assert np.isfinite(result.history["val_psnr"]).all() and result.best_val_psnr == max(result.history["val_psnr"])
    # The cosine decay ends at 1% of the initial rate, not at 0 (which reads as "nothing trains").
    assert result.history["lr"][-1] == pytest.approx(0.01 * result.settings["learning_rate"], rel=1e-3)

    # A finished run is not silently restarted or overwritten.
    with pytest.raises(CourseError, match="--resume"):
        train(tiny_data, run, weights=None, **TINY)
    with pytest.raises(CourseError, match="nothing to resume"):
        train(tiny_data, tmp_path / "empty", weights=None, resume=True, **TINY)
    with pytest.raises(CourseError, match="image_size"):
        train(tiny_data, run, weights=None, resume=True, **{**TINY, "image_size": 64})


def test_same_arguments_give_the_same_model(tiny_data, tmp_path, capfd):
    settings = {**TINY, "epochs": 1}
    models = []
    for name in ("a", "b"):
        result = train(tiny_data, tmp_path / name, weights=None, seed=3, **settings)
        models.append(keras.models.load_model(result.last_checkpoint))
    # Keras' own wrapping of NumPy arrays (as validation_data, before the callback took over the
    # validation) made TensorFlow log "E0000 ... use_unbounded_threadpool" at every fit.
    captured = capfd.readouterr()
    assert "use_unbounded_threadpool" not in captured.err + captured.out
    for wa, wb in zip(models[0].weights, models[1].weights, strict=True):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy())
    # ... and training did change the (equally seeded) initial weights.
    from course_lib.model import build_colorizer

    keras.utils.set_random_seed(3)
    initial = build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8)
    assert any(not np.array_equal(a.numpy(), b.numpy()) for a, b in zip(models[0].weights, initial.weights, strict=True))


def test_pretrained_encoder_frozen_in_stage_1_fine_tuned_in_stage_2(tiny_data, tmp_path):
    keras.utils.set_random_seed(11)
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
    weights = tmp_path / "vgg19_notop.weights.h5"
    vgg.save_weights(weights)

    snapshots = {}

    class EncoderSnapshot(keras.callbacks.Callback):
        def __init__(self, colorizer_path):
            super().__init__()
            self.path = colorizer_path

        def on_epoch_end(self, epoch, logs=None):
            snapshots[epoch] = keras.models.load_model(self.path).get_layer("encoder")

    run = tmp_path / "run"
    result = train(tiny_data, run, weights=str(weights), fine_tune_epochs=1, fine_tune_blocks=(2,),
                   callbacks=[EncoderSnapshot(run / "checkpoints" / "last.keras")], **{**TINY, "epochs": 1})
    assert result.epochs_done == 2 and result.settings["weights"] == str(weights)

    def same_as_file(encoder, layer):
        return all(np.array_equal(a, b) for a, b in zip(encoder.get_layer(layer).get_weights(),
                                                         vgg.get_layer(layer).get_weights(), strict=True))

    # Stage 1 (decoder on cached features): the encoder is exactly the loaded file.
    assert same_as_file(snapshots[0], "block1_conv1") and same_as_file(snapshots[0], "block2_conv2")
    # Stage 2 fine-tunes block 2 only.
    assert same_as_file(snapshots[1], "block1_conv1") and not same_as_file(snapshots[1], "block2_conv2")


def test_train_command_flags_and_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    help_text = capsys.readouterr().out
    for flag in ("--data", "--out", "--weights", "--decoder", "--image-size", "--epochs", "--batch-size", "--resume"):
        assert flag in help_text
    assert cli.main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "run"),
                     "--weights", "none"]) == 2
    assert capsys.readouterr().err.startswith("error:")
    with pytest.raises(SystemExit) as info:  # argparse refuses an unknown loss before anything runs
        cli.main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--loss", "l2"])
    assert info.value.code == 2


def test_subset_is_spread_over_categories_and_stray_files_are_one_line(tmp_path, capsys):
    import warnings

    from course_lib.sample_data import CATEGORIES, make_sample_dataset
    from course_lib.train import _load_split

    root = make_sample_dataset(tmp_path / "sample", per_category=8, categories=list(CATEGORIES)[:4],
                               min_side=24, max_side=32)
    for category in list(CATEGORIES)[:4]:
        (root / category / "x").write_bytes(b"\n")  # NCD's one-letter strays
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        splits = _load_split(root, max_images_per_split=4)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("skipped 4 files that are not images")
    for name in ("train", "val"):
        # The first 4 records would all be from one category; the subset has one of each.
        assert len({r.category for r in splits[name]}) == 4, [r.relpath for r in splits[name]]
    assert _load_split(root, max_images_per_split=4) == splits  # deterministic


def test_fixed_batch_predictor_traces_once():
    from course_lib.model import build_colorizer
    from course_lib.train import FixedBatchPredictor

    model = build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8)
    predictor = FixedBatchPredictor(model, 32, batch_size=8)
    l_norm = np.random.default_rng(0).uniform(-1, 1, (19, 32, 32, 1)).astype(np.float32)
    full = predictor(l_norm)  # batches of 8, 8 and a padded 3
    assert full.shape == (19, 32, 32, 2) and full.dtype == np.float32
    np.testing.assert_allclose(predictor(l_norm[:6]), full[:6], atol=1e-5)  # padding changes nothing
    np.testing.assert_allclose(full, model.predict_on_batch(l_norm), atol=1e-5)
    assert predictor._predict.experimental_get_tracing_count() == 1



def test_stopped_run_resumes_on_the_same_learning_rate_schedule(tiny_data, tmp_path):
    """stop_after keeps the plan: the resumed half continues the cosine decay where it stopped."""
    straight = train(tiny_data, tmp_path / "straight", weights=None, **{**TINY, "epochs": 4})
    first = train(tiny_data, tmp_path / "split", weights=None, stop_after=2, **{**TINY, "epochs": 4})
    assert first.epochs_done == 2 and len(first.history["lr"]) == 2
    state = json.loads((tmp_path / "split" / "checkpoints" / "state.json").read_text())
    assert state["settings"]["epochs"] == 4  # the plan, not the part done so far
    second = train(tiny_data, tmp_path / "split", weights=None, resume=True, **{**TINY, "epochs": 4})
    assert second.epochs_done == 4
    np.testing.assert_allclose(second.history["lr"], straight.history["lr"], rtol=1e-6)
    assert second.history["lr"][0] > second.history["lr"][2] > second.history["lr"][3]


def test_a_log_file_gets_one_line_per_epoch(tiny_data, tmp_path, capfd):
    # Under pytest stdout is not a terminal, as when `train ... > log.txt`.
    train(tiny_data, tmp_path / "run", weights=None, **{**TINY, "epochs": 2, "verbose": "auto"})
    out = capfd.readouterr().out
    epoch_lines = [line for line in out.splitlines() if " - loss: " in line]
    assert len(epoch_lines) == 2, out
    assert "\r" not in out and "\b" not in out  # no progress-bar redraws


def test_recorded_settings_name_the_recipe(tiny_data, tmp_path):
    result = train(tiny_data, tmp_path / "run", recipe="fast", weights=None, **{**TINY, "epochs": 1})
    state = json.loads((tmp_path / "run" / "checkpoints" / "state.json").read_text())
    assert state["settings"] == result.settings
    assert state["settings"]["recipe"] == "fast" and state["settings"]["image_size"] == 32
    assert state["settings"]["weights"] is None


@pytest.mark.slow
def test_gpu_recipe_runs_on_a_cpu_and_its_model_colorizes(tiny_data, tmp_path):
    """The issue's command: --recipe gpu on a CPU, one epoch on 8 images per split."""
    from PIL import Image

    run = tmp_path / "run"
    assert cli.main(["train", "--recipe", "gpu", "--weights", "none", "--data", str(tiny_data), "--out", str(run),
                     "--epochs", "1", "--max-images-per-split", "8"]) == 0
    settings = json.loads((run / "checkpoints" / "state.json").read_text())["settings"]
    assert settings["recipe"] == "gpu" and settings["image_size"] >= 176 and settings["encoder_blocks"] == 5
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((50, 70, 3), 128, np.uint8)).save(photo)
    assert cli.main(["colorize", "--model", str(run / "model.keras"), str(photo), "--out", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").iterdir())) == 1


def test_grid_shows_several_categories_with_named_rows(tmp_path):
    from PIL import Image

    from course_lib.train import grid_choice, save_prediction_grid

    categories = ["Apple"] * 5 + ["Banana"] * 3 + ["Cherry"] * 4
    assert grid_choice(categories, 3) == [0, 5, 8]
    assert grid_choice(categories, 4) == [0, 1, 5, 8]  # fewer categories than tiles: filled in order
    l_norm = np.zeros((3, 8, 8, 1), np.float32)
    path = save_prediction_grid(tmp_path / "g.png", l_norm, np.zeros((3, 8, 8, 2), np.float32),
                                np.zeros((3, 8, 8, 3), np.uint8), labels=["Apple", "Banana", "Cherry"])
    image = np.asarray(Image.open(path))
    assert image.shape[0] > 3 * 8 * 3 and image.shape[1] > 3 * 8 * 3  # tiles plus the label margins
    assert (image[:, :70] < 128).any()  # the row names are drawn in the left margin


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(tiny_data, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).with_name("distributed_run.py")
    done = subprocess.run([sys.executable, str(script), str(tiny_data), str(tmp_path)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = json.loads(done.stdout.strip().splitlines()[-1])
    assert losses["replicas"] == 2
    assert "MirroredStrategy over 2 devices" in done.stdout
    assert losses["mirrored"] == pytest.approx(losses["one"], rel=1e-3)


def test_no_tpu_is_a_clear_error():
    from course_lib.train import make_strategy

    with pytest.raises(CourseError, match="no TPU could be reached"):
        make_strategy("tpu")


def test_val_loss_is_the_training_loss_of_the_epochs_model_on_the_validation_images(tiny_data, tmp_path):
    from course_lib.recipes import TrainSettings
    from course_lib.train import prepare_data

    result = train(tiny_data, tmp_path / "run", weights=None, **{**TINY, "epochs": 2, "loss": "l1"})
    data = prepare_data(tiny_data, TrainSettings.from_dict(result.settings))
    model = keras.models.load_model(result.last_checkpoint)
    expected = np.mean(np.abs(model.predict_on_batch(data.val_l) - data.val_ab))
    assert result.history["val_loss"][-1] == pytest.approx(float(expected), rel=1e-4)


def test_the_command_uses_the_recipes_weights_and_marks_others_unmeasured(tiny_data, tmp_path, capsys):
    """cpu and fast were measured with no pretrained weights: the command's default is the recipe's,
    and other weights are allowed but said to be unmeasured (printout and state.json)."""
    args = ["train", "--recipe", "fast", "--data", str(tiny_data), "--epochs", "1", "--max-images-per-split", "4"]
    assert cli.main([*args, "--out", str(tmp_path / "default")]) == 0
    settings = json.loads((tmp_path / "default" / "checkpoints" / "state.json").read_text())["settings"]
    assert settings["weights"] is None and settings["unmeasured"] == []
    assert "UNMEASURED" not in capsys.readouterr().out

    keras.utils.set_random_seed(2)
    vgg = tmp_path / "vgg19_notop.weights.h5"
    keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3)).save_weights(vgg)
    assert cli.main([*args, "--out", str(tmp_path / "other"), "--weights", str(vgg)]) == 0
    settings = json.loads((tmp_path / "other" / "checkpoints" / "state.json").read_text())["settings"]
    assert settings["weights"] == str(vgg) and "measured with none" in settings["unmeasured"][0]
    assert "UNMEASURED: weights" in capsys.readouterr().out
