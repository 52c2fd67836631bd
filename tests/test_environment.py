"""The environment check, with the network replaced by a local HTTP server or a stand-in opener."""

from __future__ import annotations

import http.server
import os
import socket
import sys
import threading
import urllib.error
import zipfile
from pathlib import Path

import pytest

from course_lib import config, download, environment, sources
from course_lib.errors import CourseError
from course_lib.environment import WEIGHTS_CACHED, WEIGHTS_REACHABLE, WEIGHTS_UNREACHABLE


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802 (http.server's naming)
        self.send_response(200 if self.path.endswith("notop.h5") else 404)
        self.send_header("Content-Length", "80134624")
        self.end_headers()

    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture
def weights_server():
    """A local server that has ``.../notop.h5`` and nothing else."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port_url():
    with socket.socket() as sock:  # bind, then release: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/vgg19_notop.h5"


def _refuse_network(*args, **kwargs):
    raise AssertionError("the network must not be used when the weights are cached")


def test_weights_reachable_with_head_request(weights_server, tmp_path):
    status = environment.check_weights(f"{weights_server}/vgg19_notop.h5", cache_path=tmp_path / "missing.h5")
    assert status.state == WEIGHTS_REACHABLE and status.weights_option == "imagenet"


def test_weights_http_error_is_unreachable(weights_server, tmp_path):
    status = environment.check_weights(f"{weights_server}/moved.h5", cache_path=tmp_path / "missing.h5")
    assert status.state == WEIGHTS_UNREACHABLE and "404" in status.detail
    assert status.weights_option is None


def test_weights_refused_connection_is_unreachable(closed_port_url, tmp_path):
    status = environment.check_weights(closed_port_url, cache_path=tmp_path / "missing.h5", timeout=1.0)
    assert status.state == WEIGHTS_UNREACHABLE


def test_weights_timeout_is_unreachable(tmp_path):
    def slow_opener(request, timeout):
        assert request.get_method() == "HEAD" and timeout == 0.5
        raise urllib.error.URLError(TimeoutError("timed out"))

    status = environment.check_weights("https://example.invalid/w.h5", cache_path=tmp_path / "m.h5",
                                       timeout=0.5, opener=slow_opener)
    assert status.state == WEIGHTS_UNREACHABLE and "timed out" in status.detail


def test_cached_weights_need_no_network(tmp_path):
    cached = tmp_path / "models" / "vgg19_notop.h5"
    cached.parent.mkdir()
    cached.write_bytes(b"\x89HDF")
    status = environment.check_weights("https://example.invalid/w.h5", cache_path=cached, opener=_refuse_network)
    assert status.state == WEIGHTS_CACHED and str(cached) in status.detail


def test_default_cache_path_follows_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    from course_lib import model

    cached = tmp_path / "models" / model.IMAGENET_NOTOP_FILENAME
    cached.parent.mkdir()
    cached.write_bytes(b"weights")
    assert environment.check_weights(opener=_refuse_network).state == WEIGHTS_CACHED


def test_offline_summary_is_loud(tmp_path, monkeypatch, capsys, closed_port_url):
    monkeypatch.setattr(environment, "check_weights",
                        lambda timeout: environment.WeightsStatus(WEIGHTS_UNREACHABLE, closed_port_url))
    report = environment.check_environment(data=False, gpu=False)
    assert report.offline
    out = capsys.readouterr().out
    assert "OFFLINE MODE" in out and "--weights none" in out
    assert f"TensorFlow    {report.tensorflow}" in out and report.python in out


def test_no_gpu_on_colab_says_how_to_switch_runtime(monkeypatch):
    monkeypatch.setattr(environment, "in_colab", lambda: True)
    monkeypatch.setattr(environment, "list_gpus", lambda: [])
    report = environment.check_environment(data=False, weights=False, verbose=False)
    assert not report.has_gpu and "Change runtime type" in report.summary()
    assert "OFFLINE MODE" not in report.summary()  # weights not checked: no claim either way


def test_gpu_list_is_a_list_of_names():
    gpus = environment.list_gpus()  # real TensorFlow; CPU-only machines give []
    assert isinstance(gpus, list) and all(isinstance(name, str) for name in gpus)


def test_data_found_is_reported(ncd_dir, monkeypatch):
    monkeypatch.setenv("NCD_DIR", str(ncd_dir))
    report = environment.check_environment(gpu=False, weights=False, verbose=False)
    assert report.data_kind == "ncd" and report.data_root is not None
    assert "NCD at" in report.summary()


def test_sample_set_is_reported_as_not_ncd(tmp_path, monkeypatch):
    from course_lib.sample_data import make_sample_dataset

    root = make_sample_dataset(tmp_path / "sample", per_category=1, categories=["Lemon", "Tomato"],
                               min_side=32, max_side=40)
    monkeypatch.setenv("NCD_DIR", str(root))
    report = environment.check_environment(gpu=False, weights=False, verbose=False)
    assert report.data_kind == "sample"
    assert "OFFLINE SAMPLE SET" in report.summary() and "NOT NCD" in report.summary()


def test_missing_data_is_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("NCD_DIR", str(tmp_path / "no-such-folder"))
    report = environment.check_environment(gpu=False, weights=False, verbose=False)
    assert report.data_kind is None and "NOT FOUND" in report.summary()


# ------------------------------------------------------------------ use_google_drive
def _tiny_ncd_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for category in ("Apple", "Banana"):
            archive.writestr(f"ColorfulOriginal/{category}/{category}0.jpg", b"not decoded here")
    return path


def test_use_google_drive_outside_colab_says_it_is_for_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(CourseError, match="for Google Colab"):
        environment.use_google_drive()


def test_use_google_drive_mounts_and_keeps_runs_and_ncd_on_drive(fake_colab, tmp_path, monkeypatch):
    mount, local = tmp_path / "drive", tmp_path / "local"
    mirror = _tiny_ncd_zip(tmp_path / "mirror.zip")
    monkeypatch.setenv("NCD_URL", str(mirror))  # an instructor's mirror: a zip, used where it is
    home = environment.use_google_drive(folder="my-course", mount_point=str(mount), local_dir=local)
    assert fake_colab.mounts == [str(mount)]
    assert home == mount / "MyDrive" / "my-course"
    assert os.environ[config.RUNS_ENV_VAR] == str(home / "runs") and (home / "runs").is_dir()
    assert config.course_run_dir(fast=False) == home / "runs" / "course"
    # Training writes on the runtime's disk and copies to Drive (course_lib.train.RunFolderCopy).
    assert config.local_checkpoint_dir() == Path(environment.COLAB_LOCAL_RUNS)
    ncd = Path(os.environ["NCD_DIR"])  # unpacked on the runtime's disk, not on Drive
    assert ncd.parent.parent == local and ncd.name == "ColorfulOriginal" and not (home / "ncd").exists()
    assert sources.get_dataset().root == ncd

    # A new runtime: the environment and the local disk are gone, Drive and the mirror are not.
    monkeypatch.delenv(config.RUNS_ENV_VAR)
    monkeypatch.delenv("NCD_DIR")
    environment.use_google_drive(folder="my-course", mount_point=str(mount), local_dir=tmp_path / "local2")
    assert Path(os.environ["NCD_DIR"]).is_relative_to(tmp_path / "local2")
    assert config.runs_dir() == home / "runs"


def test_use_google_drive_without_ncd_still_keeps_the_runs(fake_colab, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NCD_URL", str(tmp_path / "missing.zip"))
    monkeypatch.setattr(download, "NCD_SOURCES", ())
    home = environment.use_google_drive(mount_point=str(tmp_path / "drive"), local_dir=tmp_path / "local")
    assert config.runs_dir() == home / "runs"
    assert "NCD_DIR" not in os.environ  # get_dataset then looks for it as usual
    assert "could not be downloaded" in capsys.readouterr().out


def test_notebooks_train_with_the_recipes_own_weights_and_say_so_loudly_when_offline(capsys):
    reachable = environment.WeightsStatus(WEIGHTS_REACHABLE, "https://example.invalid/w.h5")
    offline = environment.WeightsStatus(WEIGHTS_UNREACHABLE, "https://example.invalid/w.h5 (URLError)")
    # cpu and fast were measured without pretrained weights: online or not, none it is (nothing is asked).
    assert environment.weights_for_recipe(None, status=reachable) is None
    assert "as this recipe was measured" in capsys.readouterr().out
    assert environment.weights_for_recipe("imagenet", status=reachable) == "imagenet"
    assert environment.weights_for_recipe("imagenet", status=offline) is None
    out = capsys.readouterr().out
    assert "OFFLINE MODE" in out and "URLError" in out
