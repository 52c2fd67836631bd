"""The ``run-notebooks`` command on small generated notebooks.

The tests that start real kernels take seconds each and are marked ``slow``.
"""

from __future__ import annotations

import argparse
import re

import nbformat
import pytest

from course_lib import sources
from course_lib.course import runner
from course_lib.errors import CourseError, DataNotFoundError, NotebookExecutionError, OutputPathError
from course_lib.sources import DatasetSource


def _write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebook_dir(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    # Writes a marker file into the working folder: proves the cwd and that it ran.
    _write_notebook(folder / "00_ok.ipynb",
                    "import os, pathlib\npathlib.Path('ran_00.txt').write_text(os.environ.get('COURSE_FAST', 'unset'))")
    _write_notebook(folder / "01_broken.ipynb", "x = 1", "raise ValueError('boom in the second cell')")
    _write_notebook(folder / "02_never.ipynb", "import pathlib\npathlib.Path('ran_02.txt').write_text('yes')")
    (folder / "notes.ipynb").write_text("{}")  # not NN_*: ignored
    return folder


def test_find_notebooks_in_order_and_filtered(notebook_dir):
    assert [p.name for p in runner.find_notebooks(folder=notebook_dir)] == [
        "00_ok.ipynb", "01_broken.ipynb", "02_never.ipynb"]
    assert [p.name for p in runner.find_notebooks(["2", "00"], folder=notebook_dir)] == [
        "00_ok.ipynb", "02_never.ipynb"]


def test_find_notebooks_unknown_number_says_what_exists(notebook_dir):
    with pytest.raises(DataNotFoundError, match="available: 00, 01, 02"):
        runner.find_notebooks(["07"], folder=notebook_dir)


@pytest.mark.slow
def test_fast_mode_reaches_the_kernel_and_cwd_is_the_notebook_folder(notebook_dir, tmp_path):
    out = tmp_path / "executed"
    runs = runner.run_notebooks(runner.find_notebooks(["00"], folder=notebook_dir), out, fast=True, timeout=60)
    assert (notebook_dir / "ran_00.txt").read_text() == "1"
    assert runs[0].executed_copy == out / "00_ok.ipynb" and runs[0].executed_copy.is_file()


@pytest.mark.slow
def test_stops_at_first_failure_naming_notebook_and_cell(notebook_dir, tmp_path):
    out = tmp_path / "executed"
    with pytest.raises(NotebookExecutionError) as info:
        runner.run_notebooks(runner.find_notebooks(folder=notebook_dir), out, timeout=60)
    message = str(info.value)
    assert "01_broken.ipynb" in message
    assert "code cell 2" in message and "ValueError" in message and "boom in the second cell" in message
    assert not (notebook_dir / "ran_02.txt").exists()  # later notebooks never started
    failed_copy = nbformat.read(out / "01_broken.ipynb", as_version=4)  # kept for reading the error
    assert failed_copy.cells[1].outputs[0]["output_type"] == "error"


@pytest.mark.slow
def test_cell_timeout_is_reported_without_a_long_wait_for_the_busy_kernel(notebook_dir, tmp_path, monkeypatch):
    # After the timeout the kernel is still in its sleep: the peak-memory question that ends every run
    # cannot be answered, so a failed run asks it briefly, not for the full 30 s.
    asked = []
    real = runner._ask_peak_memory

    async def spy(kc, km, timeout=runner.PEAK_MEMORY_QUERY_SECONDS):
        asked.append(timeout)
        return await real(kc, km, timeout=timeout)

    monkeypatch.setattr(runner, "_ask_peak_memory", spy)
    slow = _write_notebook(notebook_dir / "03_slow.ipynb", "import time\ntime.sleep(30)")
    with pytest.raises(NotebookExecutionError, match="03_slow.ipynb"):
        runner.execute_notebook(slow, timeout=2)
    assert asked == [runner.PEAK_MEMORY_AFTER_FAILURE_SECONDS]


def _parse(*argv):
    # The command's own parser, as course_lib.cli builds it (cli.main turns a CourseError
    # into one line on stderr and exit status 2).
    parser = argparse.ArgumentParser()
    runner.configure_parser(parser)
    return parser.parse_args(list(argv))


@pytest.mark.slow
def test_cli_failure_raises_course_error_naming_notebook(notebook_dir, tmp_path):
    args = _parse("--notebook-dir", str(notebook_dir), "--out", str(tmp_path / "o"), "--skip-data", "--timeout", "60")
    with pytest.raises(CourseError, match=r"^notebook 01_broken.ipynb failed at code cell 2"):
        runner.run_cli(args)


@pytest.mark.slow
def test_cli_success(notebook_dir, tmp_path, capsys):
    args = _parse("--notebook-dir", str(notebook_dir), "--only", "00", "--out", str(tmp_path / "o"), "--skip-data")
    assert runner.run_cli(args) == 0
    assert "All 1 notebook(s) ran" in capsys.readouterr().out


@pytest.mark.slow
def test_dataset_chosen_once_is_passed_to_every_kernel(notebook_dir, tmp_path, monkeypatch):
    chosen = DatasetSource(tmp_path / "some_dataset", "sample", "the download failed: no network here")
    monkeypatch.setattr(sources, "get_dataset", lambda: chosen)
    probe = _write_notebook(notebook_dir / "04_probe.ipynb",
                            "import os, pathlib\n"
                            "env = os.environ['NCD_DIR'] + '|' + os.environ['COURSE_DATA_REASON']\n"
                            "pathlib.Path('env.txt').write_text(env)")
    args = _parse("--notebook-dir", str(notebook_dir), "--only", "04", "--out", str(tmp_path / "o"))
    assert runner.run_cli(args) == 0
    assert (probe.parent / "env.txt").read_text() == f"{chosen.root}|{chosen.reason}"


def test_a_sample_fallback_says_why(tmp_path, monkeypatch, capsys):
    chosen = DatasetSource(tmp_path / "sample", "sample", "NCD was not found at data/ncd; the download failed: offline")
    monkeypatch.setattr(sources, "get_dataset", lambda: chosen)
    assert runner.announce_data() == sources.kernel_env(chosen)
    assert capsys.readouterr().out == ("The notebooks will run on the OFFLINE SAMPLE SET (generated images, not NCD) "
                                       "because NCD was not found at data/ncd; the download failed: offline.\n")


def test_ncd_needs_no_extra_words(tmp_path, monkeypatch, capsys):
    chosen = DatasetSource(tmp_path / "ncd", "ncd", "$NCD_DIR points at it")
    monkeypatch.setattr(sources, "get_dataset", lambda: chosen)
    assert runner.announce_data() == {"NCD_DIR": str(chosen.root), "COURSE_DATA_REASON": "$NCD_DIR points at it"}
    assert capsys.readouterr().out == ""  # get_dataset (replaced here) prints the one line


def test_an_output_folder_that_cannot_be_made_is_a_course_error(notebook_dir, tmp_path):
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(OutputPathError, match="cannot create the folder .* choose a writable folder with --out"):
        runner.run_notebooks(runner.find_notebooks(["00"], folder=notebook_dir), tmp_path / "taken", timeout=60)


@pytest.mark.slow
def test_kernel_process_output_goes_to_a_log_beside_the_executed_copy(notebook_dir, tmp_path):
    # os.write(2, ...) bypasses IPython's capture, like TensorFlow's C++ logging does.
    noisy = _write_notebook(notebook_dir / "05_noisy.ipynb", "import os\nos.write(2, b'C++ says hello\\n')")
    out = tmp_path / "o" / "05_noisy.ipynb"
    runner.execute_notebook(noisy, out_path=out, timeout=60)
    assert "C++ says hello" in runner.kernel_log_path(out).read_text()
    assert out.is_file()


# --------------------------------------------------------------- sliced reply waits
def test_sliced_waits_never_waits_longer_than_a_step_and_returns_the_reply():
    import asyncio
    from queue import Empty

    from course_lib.course.runner import _sliced_waits

    asked = []

    async def get_msg(timeout=None):
        asked.append(timeout)
        if len(asked) < 3:
            raise Empty  # the reply is "missed" by the first two waits
        return {"msg_type": "execute_reply"}

    reply = asyncio.run(_sliced_waits(get_msg, step=0.01)(timeout=3600))
    assert reply == {"msg_type": "execute_reply"}
    assert len(asked) == 3 and all(t is not None and t <= 0.01 for t in asked)


def test_sliced_waits_still_times_out_at_the_cell_deadline():
    import asyncio
    from queue import Empty

    from course_lib.course.runner import _sliced_waits

    async def get_msg(timeout=None):
        await asyncio.sleep(timeout)
        raise Empty

    with pytest.raises(Empty):
        asyncio.run(_sliced_waits(get_msg, step=0.01)(timeout=0.05))


# --------------------------------------------------------------- peak memory per kernel
def test_peak_rss_bytes_sees_an_allocation_and_not_the_parents_memory():
    import subprocess
    import sys

    # The parent holds 300 MB when it starts the child: the child's own peak must not include them
    # (getrusage's ru_maxrss would, on Linux).
    held = bytearray(300 * 2**20)
    held[::4096] = b"\x01" * len(held[::4096])
    code = ("from course_lib.course.runner import peak_rss_bytes\n"
            "before = peak_rss_bytes()\n"
            "block = bytearray(200 * 2**20); block[::4096] = b'\\x01' * len(block[::4096])\n"
            "print(before, peak_rss_bytes())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = (int(x) for x in done.stdout.split())
    assert before < 300 * 2**20  # the parent's 300 MB are not counted
    assert after - before >= 200 * 2**20  # the child's own 200 MB are
    del held


def test_peak_memory_from_a_kernel_reply_and_its_description():
    reply = {"user_expressions": {"peak": {"status": "ok", "data": {"text/plain": str(812 * 2**20)}}}}
    assert runner.peak_memory_from_reply(reply) == runner.PeakMemory(812 * 2**20)
    assert runner.PeakMemory(812 * 2**20).describe() == "peak memory 812 MB (kernel RSS)"
    failed = {"user_expressions": {"peak": {"status": "error", "ename": "ModuleNotFoundError",
                                            "evalue": "No module named 'resource'"}}}
    peak = runner.peak_memory_from_reply(failed)
    assert peak.kernel_bytes is None
    assert peak.describe() == ("peak memory unknown: the kernel could not measure its memory "
                               "(ModuleNotFoundError: No module named 'resource')")


@pytest.mark.slow
def test_each_kernels_peak_memory_ends_its_log_and_the_summary(notebook_dir, tmp_path, capsys):
    # 300 MB written to (so resident), then freed: only a peak, not a sample at the end, can see it.
    _write_notebook(notebook_dir / "05_big.ipynb",
                    "block = bytearray(300 * 2**20)\nblock[::4096] = b'\\x01' * len(block[::4096])\ndel block")
    _write_notebook(notebook_dir / "06_small.ipynb", "x = 1")
    args = _parse("--notebook-dir", str(notebook_dir), "--only", "05", "06", "--out", str(tmp_path / "o"),
                  "--skip-data", "--timeout", "60")
    assert runner.run_cli(args) == 0
    printed = capsys.readouterr().out
    big, small = (runner.kernel_log_path(tmp_path / "o" / name).read_text().strip().splitlines()[-1]
                  for name in ("05_big.ipynb", "06_small.ipynb"))
    megabytes = {name: int(re.search(r"peak memory (\d+) MB \(kernel RSS\)$", line).group(1))
                 for name, line in (("big", big), ("small", small))}
    assert big.startswith("[run-notebooks] 05_big.ipynb: peak memory")
    assert megabytes["big"] >= 300 > megabytes["small"] > 10
    assert f"peak memory {megabytes['big']} MB (kernel RSS)" in printed
    executed = nbformat.read(tmp_path / "o" / "05_big.ipynb", as_version=4)  # the query left no trace in it
    assert len(executed.cells) == 1 and executed.cells[0].outputs == []


@pytest.mark.slow
def test_peak_memory_is_logged_after_a_failing_cell_and_said_unknown_after_a_dead_kernel(notebook_dir, tmp_path):
    out = tmp_path / "o"
    with pytest.raises(NotebookExecutionError):
        runner.execute_notebook(notebook_dir / "01_broken.ipynb", out_path=out / "01_broken.ipynb", timeout=60)
    assert re.search(r"01_broken.ipynb: peak memory \d+ MB \(kernel RSS\)\n$",
                     runner.kernel_log_path(out / "01_broken.ipynb").read_text())
    dies = _write_notebook(notebook_dir / "07_dies.ipynb", "import os\nos._exit(1)")
    with pytest.raises(NotebookExecutionError, match="DeadKernelError"):
        runner.execute_notebook(dies, out_path=out / "07_dies.ipynb", timeout=60)
    assert runner.kernel_log_path(out / "07_dies.ipynb").read_text().endswith(
        "07_dies.ipynb: peak memory unknown: the kernel was no longer running (it died or was stopped)\n")


# ------------------------------------------------------------- the models notebooks 07 and 08 read
def _settings(recipe, **changes):
    from course_lib.recipes import resolve_settings

    return resolve_settings(recipe, **changes)


def test_the_classification_and_hint_models_copy_the_mse_models_recipe_weights_and_size():
    from course_lib import course_models

    cpu = course_models.variant_settings(_settings("cpu", weights=None), "classification")
    assert (cpu.recipe, cpu.head, cpu.weights, cpu.image_size, cpu.epochs) == ("cpu", "classification", None, 48, 75)
    hints = course_models.variant_settings(_settings("cpu", weights=None), "hints")
    assert hints.hints and hints.epochs == 90 and hints.head == "regression"
    gpu = course_models.variant_settings(_settings("gpu"), "classification")
    assert (gpu.recipe, gpu.weights, gpu.image_size) == ("gpu", "imagenet", 224)
    offline = course_models.variant_settings(_settings("gpu", weights=None), "hints")  # 04 trained it offline
    assert offline.weights is None and offline.image_size == 224
    command = course_models.train_command(cpu, "DATA", "OUT", resume=True)
    assert command[1:4] == ["-m", "course_lib", "train"] and command[-1] == "--resume"
    assert "--head" in command and command[command.index("--weights") + 1] == "none"


def test_a_pair_trained_differently_is_called_out(tmp_path):
    import json

    from course_lib import course_models

    for name, settings in (("mse", _settings("gpu")), ("cls", _settings("cpu", head="classification"))):
        (tmp_path / name / "checkpoints").mkdir(parents=True)
        (tmp_path / name / "checkpoints" / "state.json").write_text(json.dumps({"settings": settings.to_dict()}))
    text = course_models.compare_runs(tmp_path / "mse", tmp_path / "cls")
    assert "NOT LIKE FOR LIKE" in text and "recipe" in text and "image_size" in text
    assert "unknown" in course_models.compare_runs(tmp_path / "mse", tmp_path / "nothing")


def test_recorded_results_name_what_was_measured_and_when():
    from course_lib import course_models

    header = course_models.recorded_header(course_models.recorded_results("hint_curve"))
    assert header.startswith("RECORDED FULL RUN") and "stale" in header
    with pytest.raises(CourseError, match="cannot be read"):
        course_models.recorded_results("no_such_result")


@pytest.fixture(scope="module")
def full_run_07_08(tmp_path_factory):
    """``run-notebooks --only 07 08`` outside fast mode with the fast recipe, from an empty runs folder, on a
    tiny generated set: (data, runs folder, executed copies, what run_notebooks returned). Real training:
    the MSE model (missing, so trained first), the classification and hint models like it, and the real
    notebooks. Notebook 09's test goes on from a copy of its runs folder."""
    from course_lib.sample_data import make_sample_dataset

    root = tmp_path_factory.mktemp("full_run_07_08")
    data = make_sample_dataset(root / "data", per_category=14, categories=["Tomato", "Banana", "Carrot", "Lemon"],
                               min_side=64, max_side=96)
    runs = root / "runs"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("NCD_DIR", str(data))
        monkeypatch.setenv("COURSE_RUNS_DIR", str(runs))
        monkeypatch.delenv("COURSE_FAST", raising=False)
        done = runner.run_notebooks(runner.find_notebooks(["07", "08"]), root / "executed", fast=False,
                                    model_recipe="fast", timeout=1200)
    return data, runs, root / "executed", done


def test_the_full_run_trains_the_models_of_07_and_08_and_the_notebooks_use_them(full_run_07_08, monkeypatch):
    """Real training (the fast recipe, on a tiny generated set) and the real notebooks, not in fast mode."""
    from course_lib import course_models

    data, runs, executed, done = full_run_07_08
    monkeypatch.setenv("COURSE_RUNS_DIR", str(runs))
    monkeypatch.delenv("COURSE_FAST", raising=False)
    assert [run.notebook.name[:2] for run in done] == ["07", "08"]
    mse, cls, hint = (course_models.run_settings(runs / name) for name in ("course", "cls", "hints"))
    assert mse.recipe == cls.recipe == hint.recipe == "fast"  # the MSE model's recipe, copied
    assert (cls.head, hint.hints) == ("classification", True)
    assert not any((runs / name).exists() for name in ("course-fast", "cls-fast", "hints-fast"))  # no stand-ins
    for number, model in (("07", "cls"), ("08", "hints")):
        text = "".join(out.get("text", "") for cell in nbformat.read(next(executed.glob(f"{number}_*.ipynb")),
                                                                          as_version=4).cells
                       for out in cell.get("outputs", []))
        assert f"{runs / model}" in text and "trained alike" in text and "NOT LIKE FOR LIKE" not in text
        assert "TINY FAST-RECIPE" in text  # a fast-recipe model is called a toy, also outside fast mode
    before = (runs / "cls" / "model.keras").stat().st_mtime_ns
    course_models.prepare_models("07", data, recipe="fast")  # a second run reuses it
    assert (runs / "cls" / "model.keras").stat().st_mtime_ns == before


def test_the_full_run_prepares_notebook_09s_adversarial_model_and_judge_and_reuses_them(full_run_07_08, tmp_path,
                                                                                       monkeypatch):
    """prepare_models("09") after the full run of 07 and 08 (a copy of its runs folder): the MSE and
    classification models reused, the adversarial fine-tune of the MSE model with its recipe's settings and
    the judge trained; a second call reuses all. (An MSE model that is missing is trained first: the 07/08
    test, through the same code.)"""
    import json
    import shutil

    from course_lib import adversarial, course_models

    data, trained, _, _ = full_run_07_08
    runs = tmp_path / "runs"
    shutil.copytree(trained, runs)
    monkeypatch.setenv("COURSE_RUNS_DIR", str(runs))
    monkeypatch.delenv("COURSE_FAST", raising=False)
    kept = {path: path.stat().st_mtime_ns for path in (runs / "course" / "model.keras", runs / "cls" / "model.keras")}
    dirs = course_models.prepare_models("09", data, recipe="fast")
    assert dirs == [runs / "course", runs / "cls", runs / "adv", runs / "judge"]
    assert {path: path.stat().st_mtime_ns for path in kept} == kept  # reused, not trained again
    state = json.loads((runs / "adv" / "checkpoints" / "state.json").read_text())
    assert state["init_from"] == str(runs / "course")
    assert adversarial.AdversarialSettings(**state["adversarial"]) == adversarial.ADVERSARIAL_RECIPES["fast"]
    assert state["epochs_done"] == 2 and (runs / "judge" / "classifier.keras").is_file()
    from course_lib.semantic import FAST_JUDGE_SETTINGS  # fast-recipe models: the tiny stand-in judge

    judge_settings = json.loads((runs / "judge" / "classifier.json").read_text())["settings"]
    assert (judge_settings["epochs"], judge_settings["width"]) == (FAST_JUDGE_SETTINGS.epochs, FAST_JUDGE_SETTINGS.width)
    stamps = {path: path.stat().st_mtime_ns for path in (runs / "adv" / "model.keras", runs / "judge" / "classifier.keras")}
    course_models.prepare_models("09", data, recipe="fast")  # a second run reuses them
    assert {path: path.stat().st_mtime_ns for path in stamps} == stamps
