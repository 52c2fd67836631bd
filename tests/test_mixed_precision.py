"""Mixed precision on a CPU (``mixed_precision="on"``): the GPU's float16 path, runnable anywhere.

Issue 22: ``train`` used to leave Keras' global policy at ``mixed_float16``, so every model built
later in the kernel, the checkers' reference models included, was float16. Here one process
trains with float16, then checks that the policy is back, that notebook 04's exercise 5 and 6
checks accept their solutions, and that the float16 model loads as a float32 one that agrees
with it.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from conftest import load_solutions
from course_lib.checks import training as checks
from course_lib.errors import CourseError
from course_lib.model import load_colorizer
from course_lib.train import train

TINY = dict(image_size=32, encoder_blocks=2, decoder_width=8, batch_size=4, epochs=2, verbose=0)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


@pytest.fixture(scope="module")
def float16_run(tiny_data, tmp_path_factory):
    assert keras.config.dtype_policy().name == "float32"
    run = tmp_path_factory.mktemp("mp") / "run"
    return train(tiny_data, run, recipe="fast", mixed_precision="on", **TINY)


def _policies(model) -> set[str]:
    from course_lib.train import _models_in

    return {layer.dtype_policy.name for m in _models_in(model) for layer in m.layers}


def test_training_in_float16_leaves_float32_and_notebook_04s_checks_accept_their_solutions(float16_run, capsys):
    # The run really computed in float16: its layers carry the mixed policy (the head stays float32).
    assert float16_run.settings["mixed_precision"] == "on"
    assert "mixed_float16" in _policies(load_colorizer(float16_run.model_path, float32=False))
    assert keras.config.dtype_policy().name == "float32"  # the policy train() found is back

    solutions = load_solutions("04")
    assert checks.check_train_step(solutions.train_step)
    # Even under a policy left at float16 by other code, the checkers build float32 references.
    keras.config.set_dtype_policy("mixed_float16")
    try:
        assert checks.check_train_step(solutions.train_step)
        assert keras.config.dtype_policy().name == "mixed_float16"  # and they leave it as they found it
    finally:
        keras.config.set_dtype_policy("float32")
    out = capsys.readouterr().out
    assert out.count("accepted") == 2 and "not yet" not in out


def test_the_policy_is_restored_when_training_fails(tiny_data, tmp_path):
    class Crash(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            assert keras.config.dtype_policy().name == "mixed_float16"  # it did train in float16
            raise RuntimeError("lost runtime")

    with pytest.raises(RuntimeError, match="lost runtime"):
        train(tiny_data, tmp_path / "crash", recipe="fast", mixed_precision="on", callbacks=[Crash()], **TINY)
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(CourseError):  # a failure before any model is built
        train(tmp_path / "no-such-folder", tmp_path / "bad", recipe="fast", mixed_precision="on", **TINY)
    assert keras.config.dtype_policy().name == "float32"


def test_a_float16_model_loads_for_inference_in_float32_and_agrees_with_itself(float16_run, tiny_data):
    from course_lib.recipes import TrainSettings
    from course_lib.train import prepare_data

    model16 = load_colorizer(float16_run.model_path, float32=False)
    model32 = load_colorizer(float16_run.model_path)  # the default: float32 for inference
    assert _policies(model32) == {"float32"} and "mixed_float16" in _policies(model16)
    for a, b in zip(model16.weights, model32.weights, strict=True):  # the same (float32) weights
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    val_l = prepare_data(tiny_data, TrainSettings.from_dict(float16_run.settings)).val_l
    ab16 = np.asarray(model16.predict_on_batch(val_l), np.float64)
    ab32 = np.asarray(model32.predict_on_batch(val_l), np.float64)
    # float16 rounds every intermediate to 11 significant bits (relative 2**-11 = 4.9e-4); over the
    # ~10 layers the outputs differ by about 1e-3. 1e-2 in ab_norm is 1.3 LAB units, below the
    # just-noticeable colour difference (deltaE about 2.3): the same colours.
    np.testing.assert_allclose(ab32, ab16, atol=1e-2, rtol=0)
    assert np.mean(np.abs(ab32 - ab16)) < 2e-3
    assert not np.array_equal(ab32, ab16)  # they are two computations, not one


def test_the_command_takes_mixed_precision(tmp_path, capsys):
    from course_lib import cli

    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "--mixed-precision" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--mixed-precision", "half"])
    assert info.value.code == 2


def test_a_float16_run_resumes_with_its_loss_scale_and_adams_state(tiny_data, tmp_path):
    from course_lib.train import read_checkpoint

    class FirstState(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            optimizer = self.model.optimizer
            self.loss_scaled = hasattr(optimizer, "inner_optimizer")
            self.values = [keras.ops.convert_to_numpy(v) for v in optimizer.variables]

    run = tmp_path / "run"
    settings = {**TINY, "epochs": 2, "mixed_precision": "on"}
    train(tiny_data, run, recipe="fast", stop_after=1, **settings)
    arrays, state = read_checkpoint(run / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 1 and any(key.startswith("loss_scale/") for key in arrays)
    first = FirstState()
    result = train(tiny_data, run, recipe="fast", resume=True, callbacks=[first], **settings)
    assert result.epochs_done == 2 and first.loss_scaled
    # LossScaleOptimizer.variables: its own (scale, counter), then Adam's (step count, moments).
    scale = [arrays[f"loss_scale/{i}"] for i in range(sum(key.startswith("loss_scale/") for key in arrays))]
    adam = [arrays[f"adam/{i}"] for i in range(sum(key.startswith("adam/") for key in arrays))]
    for got, want in zip(first.values, scale + adam, strict=True):
        np.testing.assert_array_equal(got, want)
    assert int(adam[0]) > 0  # Adam's step count came back, so the schedule goes on where it stopped
    with pytest.raises(CourseError, match="mixed_precision"):  # float32 cannot continue a float16 run's plan
        train(tiny_data, run, recipe="fast", resume=True, **{**settings, "mixed_precision": "off"})
