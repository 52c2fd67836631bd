"""scripts/gpu_check.sh cannot pass without running: its GPU preflight (with a fake nvidia-smi on
PATH), its kill-before-finish verdict (from the run's own state) and its reading of Keras' step
times, all on a CPU. The functions are tested by sourcing the script, which then runs nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "gpu_check.sh"
H200 = "GPU 0: NVIDIA H200 (UUID: GPU-5f1c2e0a-0000-0000-0000-000000000000)\n"


def fake_nvidia_smi(folder, listing: str | None):
    """An nvidia-smi on a PATH of its own: prints ``listing`` for ``-L``, or fails like a machine
    without a driver when ``listing`` is None."""
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / "nvidia-smi"
    if listing is None:
        tool.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate with the "
                        "NVIDIA driver.' >&2\nexit 9\n")
    else:
        tool.write_text(f"#!/bin/sh\nprintf '%s' '{listing}'\n")
    tool.chmod(0o755)
    return folder


def bash(snippet: str, path_first=None, **env) -> subprocess.CompletedProcess:
    """Run ``snippet`` in bash after sourcing gpu_check.sh (the functions only)."""
    environment = {**os.environ, "PYTHON": sys.executable, **env}
    if path_first is not None:
        environment["PATH"] = f"{path_first}:{environment['PATH']}"
    return subprocess.run(["bash", "-c", f'source "{SCRIPT}"; {snippet}'], capture_output=True, text=True,
                          env=environment, timeout=600)


def run_script(path_first, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHON": sys.executable, "PATH": f"{path_first}:{os.environ['PATH']}", **env}
    environment.pop("GPU_CHECK_ON_CPU", None)
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=environment, timeout=600)


@pytest.fixture(scope="module")
def tensorflow_sees_no_gpu():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("TensorFlow sees a GPU here: the script would run the whole GPU check")


def test_nvidia_smi_counts_listed_gpus(tmp_path):
    two = fake_nvidia_smi(tmp_path / "two", H200 + H200.replace("GPU 0", "GPU 1"))
    assert bash("nvidia_smi_gpus", two).stdout.strip() == "2"
    assert bash("nvidia_smi_gpus", fake_nvidia_smi(tmp_path / "driverless", None)).stdout.strip() == "0"
    assert bash("nvidia_smi_gpus", fake_nvidia_smi(tmp_path / "empty", "")).stdout.strip() == "0"


def test_preflight_verdicts():
    assert bash("preflight_verdict 1 1").stdout.strip() == "run"
    assert bash("preflight_verdict 0 0").stdout.strip() == "skip"
    assert bash("preflight_verdict 0 2").stdout.startswith("error: nvidia-smi lists 2 GPU(s) but TensorFlow")
    assert bash("preflight_verdict '' 1").stdout.startswith("error: ") and "cannot import TensorFlow" in \
        bash("preflight_verdict '' 1").stdout


def test_a_gpu_that_tensorflow_cannot_see_fails_the_check(tmp_path, tensorflow_sees_no_gpu):
    """This machine's TensorFlow sees no GPU (tensorflow-cpu), and a fake nvidia-smi lists one."""
    result = run_script(fake_nvidia_smi(tmp_path / "bin", H200))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nvidia-smi lists 1 GPU(s) but TensorFlow" in result.stderr and "skipped" not in result.stdout


def test_no_gpu_anywhere_is_skipped(tmp_path, tensorflow_sees_no_gpu):
    result = run_script(fake_nvidia_smi(tmp_path / "bin", None))
    assert (result.returncode, result.stdout.strip()) == (0, "no GPU: skipped"), result.stderr


def test_kill_verdicts():
    def verdict(*args):
        return bash("kill_verdict " + " ".join(f"'{a}'" for a in args)).stdout.strip()

    assert verdict(1, "yes", 4, 4) == "ok|killed after epoch 1 of 4, resumed to 4 of 4"
    assert verdict(4, "no", 4, 4).startswith("FAILED|the run finished (4 of 4 epochs) before the kill")
    assert verdict(4, "yes", 4, 4).startswith("FAILED|the run finished")  # alive, but every epoch was done
    assert verdict(2, "no", 4, 4).startswith("FAILED|the run finished")  # it had exited by itself (a crash)
    assert verdict("", "yes", "", 4) == "FAILED|no epoch was checkpointed before the kill"
    assert verdict(1, "yes", 3, 4).startswith("FAILED|killed after epoch 1 of 4, but the resume ended at 3")


def test_epoch_step_ms_reads_keras_lines(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("recipe gpu: ...\nstage 1: frozen encoder\n"
                   "27/27 - 14s - 520ms/step - loss: 0.0123 - val_loss: 0.0100\n"
                   "27/27 - 3s - 1s/step - loss: 0.0100\n"
                   "14/14 - 1s - 900us/step - loss: 0.0090\n")
    assert [bash(f"epoch_step_ms '{log}' {n}").stdout.strip() for n in (1, 2, 3, 4)] == ["520.0", "1000.0", "0.9", ""]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("data") / "sample", per_category=6,
                               categories=list(CATEGORIES)[:2], min_side=40, max_side=64)


@pytest.mark.slow  # trains in the script's own child processes, where conftest's reader cannot see it
def test_kill_and_resume_reads_the_runs_state(tiny_data, tmp_path):
    """The script's own kill-and-resume step on a CPU with the fast recipe: a run of one epoch is over
    before the first checkpoint can be seen, so the step must fail; a long run is killed after an epoch
    and resumed to its end."""
    fast = f"--recipe fast --weights none --data '{tiny_data}'"
    finished = bash(f"kill_and_resume '{tmp_path / 'short'}' 1 {fast} --epochs 1").stdout.strip()
    assert finished == "FAILED|the run finished (1 of 1 epochs) before the kill: nothing was resumed"
    result = bash(f"kill_and_resume '{tmp_path / 'long'}' 12 {fast} --epochs 12").stdout.strip()
    assert result.startswith("ok|killed after epoch ") and result.endswith("resumed to 12 of 12"), result
    killed_at = int(result.split("epoch ")[1].split(" ")[0])
    assert 1 <= killed_at < 12
    assert "Traceback" not in (tmp_path / "long.resume.log").read_text()
