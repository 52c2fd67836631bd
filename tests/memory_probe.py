"""Measure the peak memory of a piece of code honestly: in a fresh Python process, by the OS's count.

How: the code runs in a new interpreter (``subprocess``), which reports its peak resident memory
(``VmHWM`` of ``/proc/self/status``: the most RAM the process ever held, counted by the kernel)
once before the measured code and once after it. Why this and not the alternatives:

* resident memory is what a memory limit (Binder's 2 GB, a cgroup) counts: every allocation that
  touches memory, by NumPy, SciPy's C code, scikit-image, TensorFlow or the interpreter.
  ``tracemalloc`` sees only allocations made through Python's allocators (NumPy's arrays included)
  and misses C-level buffers and TensorFlow;
* a fresh process starts from its own imports, so nothing an earlier test allocated in pytest's
  process counts;
* not ``getrusage``'s ``ru_maxrss``: on Linux a child process inherits its parent's RSS at the
  fork as its starting peak (a child of a 500 MB pytest process reports at least 500 MB, whatever
  it does), and ``RUSAGE_CHILDREN`` in the parent is the largest of all its children so far.
  ``VmHWM`` belongs to the new program's own memory map and starts afresh at ``exec``
  (``course_lib.course.runner.peak_rss_bytes`` reads it in notebook kernels for the same reason).

``peak_bytes`` is the whole process at its worst (interpreter, imports, inputs and the code);
``before_bytes`` the RSS just before the measured code. Linux only; :func:`run_measured` skips
elsewhere, with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

_PRELUDE = '''
def _status_bytes(field):
    """A memory figure of /proc/self/status (VmRSS: now, VmHWM: the peak so far), in bytes."""
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field + ":"))

def _rss_now():
    return _status_bytes("VmRSS")

def _peak():
    return _status_bytes("VmHWM")

import json as _json
'''


def run_measured(setup: str, measured: str, *, timeout: float = 600) -> dict:
    """Run ``setup`` then ``measured`` in a fresh interpreter; return what it reports.

    ``measured`` may set a variable ``report`` (JSON-ready) that comes back as ``result``.

    Returns
    -------
    dict
        ``before_bytes`` (RSS before ``measured``), ``peak_before_bytes`` (``VmHWM`` then),
        ``peak_bytes`` (``VmHWM`` after: the whole process's peak) and ``result``.
    """
    if not Path("/proc/self/status").is_file():
        pytest.skip("the memory probe reads VmHWM in /proc/self/status: Linux only")
    code = "\n".join([
        _PRELUDE, textwrap.dedent(setup),
        "_before, _peak_before = _rss_now(), _peak()",
        "report = None", textwrap.dedent(measured),
        "print('MEMORY-PROBE ' + _json.dumps({'before_bytes': _before, 'peak_before_bytes': _peak_before, "
        "'peak_bytes': _peak(), 'result': report}))",
    ])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("MEMORY-PROBE ")]
    assert done.returncode == 0 and lines, f"the measured process failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("MEMORY-PROBE "))


def largest_photo(ncd_dir: Path):
    """The dev copy's photo with the most pixels (read from the file headers), as an ImageRecord."""
    from PIL import Image

    from course_lib.data import scan_dataset_summarized

    def pixels(record):
        with Image.open(record.path) as image:
            return image.width * image.height

    return max(scan_dataset_summarized(ncd_dir).records, key=pixels)
