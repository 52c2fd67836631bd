"""Is this machine ready for the course? The environment check of notebook 00.

:func:`check_environment` looks at four things and prints a short summary:

1. **versions** of Python, TensorFlow, Keras and scikit-image;
2. **a GPU** (training in notebook 04 wants one; on Colab, switch the runtime);
3. **the data**: NCD found or downloaded, or the offline sample set (via
   :func:`course_lib.sources.get_dataset`, which announces the sample set loudly);
4. **the ImageNet VGG19 weights**: already cached by Keras, reachable for download
   (a quick ``HEAD`` request with a short timeout), or neither -- then the course runs
   in *offline mode* with ``--weights none`` and this is said loudly.

Nothing here raises for a missing piece: the point is to report what is missing and what
to do about it.

:func:`use_google_drive` (Colab only) keeps the runs folder and NCD on Google Drive, so that a
new runtime finds the trained model and the data.
"""

from __future__ import annotations

import os
import platform
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

#: Weights states reported by :func:`check_weights`.
WEIGHTS_CACHED, WEIGHTS_REACHABLE, WEIGHTS_UNREACHABLE = "cached", "reachable", "unreachable"
#: Seconds the HEAD request may take: long enough for a slow link, short enough not to stall.
DEFAULT_TIMEOUT = 3.0

COLAB_GPU_HINT = "On Colab: Runtime > Change runtime type > Hardware accelerator: GPU (T4), then re-run."


@dataclass
class WeightsStatus:
    """Where the ImageNet VGG19 weights would come from.

    Attributes
    ----------
    state : str
        ``"cached"`` (file on disk), ``"reachable"`` (the download URL answers) or
        ``"unreachable"`` (offline: use ``weights=None`` / ``--weights none``).
    detail : str
        The file or URL checked, and the error when unreachable.
    """

    state: str
    detail: str

    @property
    def weights_option(self) -> str | None:
        """The ``weights`` argument the course should use here: ``"imagenet"`` or ``None``."""
        return None if self.state == WEIGHTS_UNREACHABLE else "imagenet"


@dataclass
class EnvironmentReport:
    """What :func:`check_environment` found. ``None`` means "not checked" or "not installed"."""

    python: str
    tensorflow: str | None
    keras: str | None
    skimage: str | None
    in_colab: bool
    gpus: list[str] = field(default_factory=list)
    data_kind: str | None = None  # "ncd" | "sample" | None (not checked or not found)
    data_root: Path | None = None
    data_message: str = ""
    weights: WeightsStatus | None = None

    @property
    def has_gpu(self) -> bool:
        return bool(self.gpus)

    @property
    def offline(self) -> bool:
        """True when the ImageNet weights cannot be had: the course then uses ``weights=None``."""
        return self.weights is not None and self.weights.state == WEIGHTS_UNREACHABLE

    def summary(self) -> str:
        """A few lines a learner can read at a glance, with what to do for each problem."""
        def version(v):
            return v or "NOT INSTALLED (run scripts/setup_env.sh, or the setup cell on Colab)"

        lines = [
            "Environment check",
            f"  Python        {self.python}{'  (Colab)' if self.in_colab else ''}",
            f"  TensorFlow    {version(self.tensorflow)}",
            f"  Keras         {version(self.keras)}",
            f"  scikit-image  {version(self.skimage)}",
        ]
        if self.has_gpu:
            lines.append(f"  GPU           yes: {', '.join(self.gpus)}")
        else:
            hint = COLAB_GPU_HINT if self.in_colab else "training uses the CPU fast path (slow but works)."
            lines.append(f"  GPU           none. {hint}")
        if self.data_kind == "ncd":
            lines.append(f"  Data          NCD at {self.data_root}")
        elif self.data_kind == "sample":
            lines.append(f"  Data          OFFLINE SAMPLE SET at {self.data_root} (generated images, NOT NCD)")
        elif self.data_message:
            lines.append(f"  Data          NOT FOUND: {self.data_message}")
        if self.weights is not None:
            lines.append(f"  VGG19 weights {self.weights.state}: {self.weights.detail}")
        if self.offline:
            bar = "!" * 78
            lines += [
                bar,
                "!!  OFFLINE MODE: the ImageNet VGG19 weights cannot be downloaded here.",
                "!!  The course runs with weights=None (--weights none): the encoder starts from random",
                "!!  weights and trains with the decoder. Results are weaker than with ImageNet weights.",
                bar,
            ]
        return "\n".join(lines)


# ------------------------------------------------------------------------- checks
def _version(module_name: str) -> str | None:
    """``module.__version__``, or None when it cannot be imported."""
    try:
        module = __import__(module_name)
    except Exception:  # a broken install counts as missing; the summary says how to fix it
        return None
    return getattr(module, "__version__", "unknown")


def in_colab() -> bool:
    """True inside a Google Colab runtime."""
    return "google.colab" in sys.modules


#: Where Colab mounts Google Drive, and the folder of "My Drive" inside the mount.
COLAB_DRIVE_MOUNT = "/content/drive"
MY_DRIVE = "MyDrive"
#: The runtime's own (fast, local) disk, where training writes before copying to Drive.
COLAB_LOCAL_RUNS = "/content/course-local-runs"


def use_google_drive(folder: str = "colorize-course", mount_point: str = COLAB_DRIVE_MOUNT,
                     local_dir: str | os.PathLike | None = None) -> Path:
    """On Colab: mount Google Drive and keep the course's runs and NCD there; return the Drive folder.

    A Colab runtime forgets everything when it is recycled, and every notebook gets its own
    runtime. After this call, ``$COURSE_RUNS_DIR`` is ``<My Drive>/<folder>/runs`` (the model
    notebook 04 trains, executed notebooks). NCD is kept on Drive as **one zip**,
    ``<My Drive>/<folder>/ncd.zip`` (downloaded there once; or an instructor's zip named by
    ``$NCD_URL``, used where it is), and unpacked onto the runtime's local disk (``local_dir``,
    default the repository's ``data/``), where ``$NCD_DIR`` then points: one file read through
    Drive instead of hundreds. The zip's SHA-256 is recorded beside it (``ncd.zip.sha256``) the
    first time it passes every check, and compared each time (:func:`course_lib.download.unpack_checked`).
    ``$COURSE_LOCAL_CHECKPOINT_DIR`` is :data:`COLAB_LOCAL_RUNS`: training writes there and copies to
    Drive every few epochs and at the end (:class:`course_lib.train.RunFolderCopy`).
    The setup cell calls it when the learner sets ``USE_GOOGLE_DRIVE = True``.

    Raises
    ------
    CourseError
        Outside Colab (set ``COURSE_RUNS_DIR`` and ``NCD_DIR`` yourself there).
    DownloadError
        The zip on Drive is damaged or not the one recorded (or ``$NCD_SHA256``); nothing was unpacked.
    """
    from course_lib import config, download, sources
    from course_lib.errors import CourseError, DownloadError
    from course_lib.layout import dataset_in

    if not in_colab():
        raise CourseError(
            "use_google_drive() is for Google Colab; elsewhere your files persist already "
            f"(to move them, set {config.RUNS_ENV_VAR} and {sources.NCD_DIR_ENV_VAR} to folders of your choice)"
        )
    from google.colab import drive

    drive.mount(mount_point)
    home = Path(mount_point) / MY_DRIVE / folder
    runs = home / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    os.environ[config.RUNS_ENV_VAR] = str(runs)
    os.environ[config.LOCAL_CHECKPOINT_ENV_VAR] = COLAB_LOCAL_RUNS
    print(f"Runs are kept on Google Drive: {runs} (training writes to {COLAB_LOCAL_RUNS} on this runtime's disk "
          "and copies to Drive every few epochs and at the end)")

    unpacked_on_drive = dataset_in(home / "ncd")  # what earlier versions of the course did
    if unpacked_on_drive is not None and not (home / "ncd.zip").is_file():
        os.environ[sources.NCD_DIR_ENV_VAR] = str(unpacked_on_drive)
        print(f"NCD is unpacked on Google Drive ({unpacked_on_drive}), as earlier versions of the course left it; "
              f"reading its many small files through Drive is slow. To keep it as one zip instead, put the NCD zip "
              f"at {home / 'ncd.zip'} (or move {home / 'ncd'} away) and run this again.")
        return home
    try:
        archive = download.keep_ncd_archive(home)
    except DownloadError as exc:
        print(f"!! NCD could not be downloaded into Drive ({exc}); this runtime looks for it as usual.")
        return home
    sha256 = os.environ.get(download.NCD_SHA256_ENV_VAR, "").strip() or None
    local = Path(local_dir) if local_dir is not None else config.data_dir()
    root = download.unpack_checked(archive, local, home / ("ncd.zip" + download.HASH_RECORD_SUFFIX), sha256=sha256)
    os.environ[sources.NCD_DIR_ENV_VAR] = str(root)
    print(f"NCD is kept on Google Drive as {archive} (SHA-256 checked) and unpacked on this runtime's disk: {root}")
    return home


#: TensorFlow reads this when it sets up the GPUs: "true" takes memory as needed, not all at once.
GPU_MEMORY_GROWTH_ENV_VAR = "TF_FORCE_GPU_ALLOW_GROWTH"


def enable_gpu_memory_growth() -> list[str]:
    """Let TensorFlow take GPU memory as it needs it, instead of nearly all of it at start.

    Without it, the first TensorFlow process (a notebook's kernel) holds the whole GPU, and a
    second one (``!python -m course_lib train`` from that notebook) finds no memory. This sets
    ``$TF_FORCE_GPU_ALLOW_GROWTH``, which this process (when TensorFlow has not set up its GPUs
    yet) and every process it starts obey, and, when TensorFlow is already imported, asks it
    directly for each GPU. It never imports TensorFlow, and does nothing else without a GPU.

    Returns
    -------
    list of str
        The GPUs that TensorFlow was asked directly (empty without TensorFlow imported, or without a GPU).
    """
    already_set = os.environ.get(GPU_MEMORY_GROWTH_ENV_VAR, "").lower() == "true"
    os.environ.setdefault(GPU_MEMORY_GROWTH_ENV_VAR, "true")
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return []
    done = []
    for gpu in tf.config.list_physical_devices("GPU"):
        if tf.config.experimental.get_memory_growth(gpu):
            done.append(gpu.name)
            continue
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError as exc:  # TensorFlow has set up this GPU already: too late to change it
            if not already_set:  # when the variable was there before TensorFlow started, growth is on
                print(f"!! GPU memory growth could not be turned on for {gpu.name} ({exc}): this process may hold "
                      "all of the GPU's memory. Restart the runtime if another TensorFlow process runs out of it.")
            continue
        done.append(gpu.name)
    return done


def list_gpus() -> list[str]:
    """Names of the GPUs TensorFlow can use (empty without TensorFlow or a GPU)."""
    try:
        import tensorflow as tf
    except ImportError:
        return []
    return [gpu.name for gpu in tf.config.list_physical_devices("GPU")]


def check_weights(url: str | None = None, cache_path: Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                  opener: Callable = urllib.request.urlopen) -> WeightsStatus:
    """Are the ImageNet VGG19 weights on disk, or downloadable right now?

    Parameters
    ----------
    url : str, optional
        Download URL; default :data:`course_lib.model.IMAGENET_NOTOP_URL`.
    cache_path : Path, optional
        Where Keras keeps the file; default :func:`course_lib.model.imagenet_cache_path`.
    timeout : float
        Seconds for the ``HEAD`` request.
    opener : callable
        ``urllib.request.urlopen`` or a stand-in (tests).

    Returns
    -------
    WeightsStatus
    """
    from course_lib import model

    url = url or model.IMAGENET_NOTOP_URL
    cache_path = Path(cache_path) if cache_path is not None else model.imagenet_cache_path()
    if cache_path.is_file() and cache_path.stat().st_size > 0:
        return WeightsStatus(WEIGHTS_CACHED, str(cache_path))
    request = urllib.request.Request(url, method="HEAD")
    try:
        with opener(request, timeout=timeout) as response:
            status = getattr(response, "status", 200)
    except urllib.error.HTTPError as exc:  # the server answered, but not with the file
        return WeightsStatus(WEIGHTS_UNREACHABLE, f"{url} (HTTP {exc.code} {exc.reason})")
    except (urllib.error.URLError, OSError, ValueError) as exc:  # offline, DNS, timeout, refused, HTTP error
        reason = getattr(exc, "reason", exc)
        return WeightsStatus(WEIGHTS_UNREACHABLE, f"{url} ({type(exc).__name__}: {reason})")
    if status >= 400:
        return WeightsStatus(WEIGHTS_UNREACHABLE, f"{url} (HTTP {status})")
    return WeightsStatus(WEIGHTS_REACHABLE, f"{url} (Keras downloads it on first use, about 80 MB)")


def weights_for_recipe(recipe_weights, status: WeightsStatus | None = None) -> str | None:
    """The encoder weights a notebook trains with, printed: the recipe's own, the ones it was
    measured with (``cpu`` and ``fast``: None; ``gpu``: ``"imagenet"``), except ImageNet's when
    they cannot be had here: then None (offline mode), said loudly.

    ``status`` is :func:`check_weights`'s answer, asked only when the recipe wants ImageNet.
    """
    if recipe_weights != "imagenet":
        what = "the encoder starts from random weights and trains with the decoder" if recipe_weights is None \
            else f"the encoder starts from {recipe_weights}"
        print(f"weights={recipe_weights!r}, as this recipe was measured: {what}")
        return recipe_weights
    status = status or check_weights()
    if status.weights_option is None:
        bar = "!" * 78
        print("\n".join([
            bar,
            "!!  OFFLINE MODE: the ImageNet VGG19 weights cannot be downloaded here.",
            "!!  Training uses weights=None: the encoder starts from random weights and is trained",
            "!!  together with the decoder. Expect weaker results than with ImageNet weights.",
            f"!!  ({status.detail})",
            bar,
        ]))
        return None
    print(f"ImageNet weights: {status.state} ({status.detail})")
    return "imagenet"


def check_data(download: bool = True) -> tuple[str | None, Path | None, str]:
    """``(kind, root, message)`` from :func:`course_lib.sources.get_dataset`; kind None when none is usable."""
    from course_lib.sources import get_dataset
    from course_lib.errors import CourseError

    try:
        source = get_dataset(download=download)
    except CourseError as exc:
        return None, None, str(exc)
    return source.kind, source.root, source.message


def check_environment(*, data: bool = True, download: bool = True, weights: bool = True,
                      gpu: bool = True, timeout: float = DEFAULT_TIMEOUT, verbose: bool = True) -> EnvironmentReport:
    """Check versions, GPU, data and ImageNet weights; print the summary when ``verbose``.

    Parameters
    ----------
    data, weights, gpu : bool
        Which of the slower checks to run (the GPU check imports TensorFlow).
    download : bool
        Let :func:`course_lib.sources.get_dataset` download NCD when it is not found.
    timeout : float
        Seconds for the weights ``HEAD`` request.

    Returns
    -------
    EnvironmentReport
    """
    report = EnvironmentReport(
        python=platform.python_version(),
        tensorflow=_version("tensorflow"),
        keras=_version("keras"),
        skimage=_version("skimage"),
        in_colab=in_colab(),
    )
    if gpu:
        report.gpus = list_gpus()
    if data:
        report.data_kind, report.data_root, report.data_message = check_data(download=download)
    if weights:
        report.weights = check_weights(timeout=timeout)
    if verbose:
        print(report.summary())
    return report
