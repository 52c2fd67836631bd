"""The ``run-notebooks`` command on small generated notebooks.

The tests that start real kernels take seconds each and are marked ``slow``.
"""

from __future__ import annotations

import argparse

import nbformat
import pytest

from course_lib import runner, sources
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
def test_cell_timeout_is_reported(notebook_dir, tmp_path):
    slow = _write_notebook(notebook_dir / "03_slow.ipynb", "import time\ntime.sleep(30)")
    with pytest.raises(NotebookExecutionError, match="03_slow.ipynb"):
        runner.execute_notebook(slow, timeout=2)


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

    from course_lib.runner import _sliced_waits

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

    from course_lib.runner import _sliced_waits

    async def get_msg(timeout=None):
        await asyncio.sleep(timeout)
        raise Empty

    with pytest.raises(Empty):
        asyncio.run(_sliced_waits(get_msg, step=0.01)(timeout=0.05))
