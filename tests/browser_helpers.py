"""Drive JupyterLab in headless Chromium the way a learner does: the harness of ``test_browser.py``.

Three pieces, each usable on its own:

- :func:`find_chromium` and :data:`CHROMIUM_ARGS`: Debian's Chromium (never a browser download),
  started headless with a fresh profile;
- :class:`JupyterLabServer`: JupyterLab from the project's ``.venv`` on a free localhost port,
  with a random token, isolated config/runtime/data/settings folders (the installed widgets
  extension and kernel stay visible: they live in ``sys.prefix``), and a :meth:`~JupyterLabServer.stop`
  that ends the server *and* its kernels, which jupyter_client starts in sessions of their own;
- :class:`NotebookDriver`: one notebook tab. Actions go through the UI (menu *Run > Run All Cells*,
  keyboard on slider handles, the upload button's ``<input type=file>``); state is *read* from
  JupyterLab's own objects (``window.jupyterapp``) and the DOM.

Nothing here is a pytest fixture: ``test_browser.py`` owns the lifecycle, so every process
started here is stopped in a ``finally``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: Where Debian's ``chromium`` package puts the browser.
DEBIAN_CHROMIUM = "/usr/bin/chromium"

#: Headless, no sandbox (containers run as root), nothing talking to the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: JupyterLab user settings written into the isolated settings folder. Autosave is off so that
#: running a course notebook never writes its outputs (possibly NCD images) back into the
#: repository; windowing is off so every cell is in the DOM, not only the visible ones.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

#: Text that IPython puts in every rendered traceback (also inside widget Output areas).
TRACEBACK_MARKER = "Traceback (most recent call last)"


def find_chromium() -> str | None:
    """Path of Debian's Chromium, or None when it is not installed.

    ``/usr/bin/chromium`` first (what ``apt-get install chromium`` provides), then
    ``chromium`` on ``PATH``. Playwright's own browser downloads are never used.
    """
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    return shutil.which("chromium")


def running_in_ci() -> bool:
    """True when ``$CI`` is set to a true value (what ``.ci/run`` and CI services export)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def free_localhost_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- processes
def _descendants(pid: int) -> list:
    """All live descendants of ``pid`` (psutil processes); empty when ``pid`` is gone."""
    import psutil  # pinned in requirements.txt (the browser test's process cleanup)

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _signal_group(pgid: int, signum: int) -> None:
    """Send ``signum`` to a process group, never to our own (that would kill pytest)."""
    if pgid == os.getpgid(0):
        return
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_process_tree(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started.

    Kernels run in process groups of their own, so the tree is listed *before* anything is
    signalled (once the server exits, its kernels are re-parented and can no longer be found
    from it). SIGTERM to every group, then SIGKILL to whatever is left after ``grace_s``.
    """
    import psutil

    tree = _descendants(process.pid)
    groups = {process.pid}  # the server leads its own session, so its pgid is its pid
    for child in tree:
        try:
            groups.add(os.getpgid(child.pid))
        except ProcessLookupError:
            pass
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    _, alive = psutil.wait_procs(tree, timeout=max(1.0, grace_s / 2))
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)
    for leftover in alive:
        try:
            leftover.kill()
        except psutil.NoSuchProcess:
            pass
    if process.poll() is None:
        process.kill()
    process.wait(timeout=grace_s)


# --------------------------------------------------------------------------- JupyterLab
@dataclass
class JupyterLabServer:
    """A running JupyterLab; create with :meth:`start`, always end with :meth:`stop`."""

    process: subprocess.Popen
    port: int
    token: str
    root_dir: Path
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, root_dir: Path, work_dir: Path, env: dict[str, str] | None = None) -> "JupyterLabServer":
        """Start ``python -m jupyterlab`` (this interpreter's, i.e. ``.venv``'s) serving ``root_dir``.

        Parameters
        ----------
        root_dir : Path
            Folder JupyterLab serves (the repository).
        work_dir : Path
            Empty scratch folder for the isolated Jupyter config, runtime, data, settings and
            workspaces folders and the server log.
        env : dict, optional
            Extra environment for the server and therefore the kernels (``COURSE_FAST``, ``NCD_DIR``).
        """
        token = secrets.token_hex(24)
        port = free_localhost_port()
        settings_dir = work_dir / "lab-settings"
        for relpath, settings in LAB_SETTINGS.items():
            path = settings_dir / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        server_env = {
            **os.environ,
            **(env or {}),
            # Isolated from ~/.jupyter; sys.prefix (the widgets extension, the kernel spec, the
            # server extensions' config) is still on every Jupyter search path.
            "JUPYTER_CONFIG_DIR": str(work_dir / "config"),
            "JUPYTER_RUNTIME_DIR": str(work_dir / "runtime"),
            "JUPYTER_DATA_DIR": str(work_dir / "data"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
            "JUPYTERLAB_WORKSPACES_DIR": str(work_dir / "workspaces"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        command = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root_dir}",
            "--LabApp.expose_app_in_browser=True",  # lets the test read cells' outputs
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # no PyPI queries from the extension manager
            # Opening a notebook makes a checkpoint copy; keep those out of the repository.
            f"--FileCheckpoints.checkpoint_dir={work_dir / 'checkpoints'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI containers run as root
        log_path = work_dir / "jupyterlab.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, cwd=root_dir, env=server_env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,  # one group to signal at the end
            )
        return cls(process=process, port=port, token=token, root_dir=Path(root_dir), log_path=log_path)

    def log_tail(self, n_chars: int = 3000) -> str:
        """The end of the server's log (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return "(no log)"

    def api(self, method: str, path: str, timeout: float = 10.0):
        """Call the Jupyter REST API; returns the decoded JSON (or None for an empty body)."""
        request = urllib.request.Request(
            f"{self.base_url}{path}", method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in {"POST", "PUT", "PATCH"} else None,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_until_ready(self, timeout_s: float = 90.0) -> None:
        """Block until ``/api/status`` answers; fail fast (with the log) if the server dies."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with status {self.process.returncode} before answering.\n"
                    f"Log tail:\n{self.log_tail()}"
                )
            try:
                self.api("GET", "/api/status", timeout=2.0)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer within {timeout_s:.0f} s.\nLog tail:\n{self.log_tail()}")

    def lab_url(self, relpath: str) -> str:
        """URL opening ``relpath`` (relative to the root, posix) in JupyterLab, token included."""
        # ?reset: start from an empty workspace, so tabs of earlier tests are not reopened.
        return f"{self.base_url}/lab/tree/{relpath}?reset&token={self.token}"

    def shutdown_all_kernels(self) -> None:
        """Shut down every running kernel through the REST API (frees CPU between tests)."""
        try:
            for kernel in self.api("GET", "/api/kernels") or []:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30.0)
        except (urllib.error.URLError, OSError):
            pass  # the server is gone already; stop() cleans up the processes

    def stop(self) -> None:
        """Stop the server and its kernels: REST shutdown of kernels, then signals to the tree."""
        if self.process.poll() is None:
            self.shutdown_all_kernels()
        stop_process_tree(self.process)


# --------------------------------------------------------------------------- notebook tab
def _executed_traces(notebook_bytes: bytes) -> int:
    """Outputs plus execution counts in a notebook file: how much of a run it holds."""
    try:
        cells = json.loads(notebook_bytes).get("cells", [])
    except ValueError:
        return 0
    return sum(len(cell.get("outputs", [])) + (cell.get("execution_count") is not None) for cell in cells)


@dataclass(frozen=True)
class CellProblem:
    """An error seen in a cell: in its outputs, or in a widget Output area it displays."""

    index: int  # position in the notebook, counting markdown cells, from 0
    first_line: str
    where: str  # "cell output", "widget output" or "widget display"
    summary: str  # "ValueError: ..." (the last line of the traceback)

    def describe(self) -> str:
        return f"cell {self.index} ({self.first_line!r}): {self.where}: {self.summary}"


# JavaScript run in the page. `panel` is the notebook panel in the main area (each test page
# opens exactly one, from an empty workspace).
_JS_PANEL = "const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"

_JS_KERNEL_STATUS = "() => {" + _JS_PANEL + """
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
      && panel.sessionContext.session.kernel;
  return kernel ? kernel.status : null;
}"""

_JS_CELL_PROBLEMS = """(marker) => {
""" + _JS_PANEL + """
  const problems = [];
  panel.content.widgets.forEach((cell, index) => {
    const source = cell.model.sharedModel.getSource();
    const firstLine = (source.split('\\n').find(line => line.trim()) || '').trim();
    if (cell.model.type !== 'code') return;
    for (const output of cell.model.outputs.toJSON()) {
      if (output.output_type === 'error') {
        problems.push({index, first_line: firstLine, where: 'cell output',
                       summary: `${output.ename}: ${output.evalue}`});
      }
    }
    // Widgets (interact, Output) show their callbacks' exceptions in their own output
    // areas, not in the cell's outputs: look for rendered tracebacks there.
    for (const node of cell.node.querySelectorAll('.widget-output .jp-OutputArea-output')) {
      const text = node.innerText || '';
      if (text.includes(marker)) {
        const lines = text.trim().split('\\n');
        problems.push({index, first_line: firstLine, where: 'widget output', summary: lines[lines.length - 1]});
      }
    }
    // Without a working widget manager JupyterLab prints this instead of the controls.
    for (const node of cell.node.querySelectorAll('.jp-OutputArea-output')) {
      const text = (node.innerText || '').trim();
      if (text.startsWith('Error displaying widget')) {
        problems.push({index, first_line: firstLine, where: 'widget display', summary: text.split('\\n')[0]});
      }
    }
  });
  return problems;
}"""

# Everything a cell displays except the controls themselves (a slider's own position and
# readout change when it moves; that is not "the output changed").
_JS_OUTPUT_SIGNATURE = """(cellIndex) => {
""" + _JS_PANEL + """
  const cell = panel.content.widgets[cellIndex];
  const area = cell.node.querySelector('.jp-Cell-outputArea');
  if (!area) return '';
  const copy = area.cloneNode(true);
  copy.querySelectorAll('.widget-slider, .widget-readout, .noUi-target').forEach(n => n.remove());
  return copy.innerHTML;
}"""

_JS_CELL_INDEX_OF = """(node) => {
""" + _JS_PANEL + """
  return panel.content.widgets.findIndex(cell => cell.node.contains(node));
}"""


class NotebookDriver:
    """One notebook opened in JupyterLab in a Playwright page.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A fresh page of the browser context.
    server : JupyterLabServer
    relpath : str
        Notebook path relative to the server root, posix.
    """

    def __init__(self, page, server: JupyterLabServer, relpath: str):
        self.page = page
        self.server = server
        self.relpath = relpath
        self._file = server.root_dir / relpath
        self._original_bytes = self._file.read_bytes()

    def assert_not_saved(self) -> None:
        """The test's run was not saved into the notebook file (its outputs could show NCD images).

        The file may still have changed if someone edited the notebook meanwhile (a shared
        checkout); a save by JupyterLab is recognised by outputs or execution counts appearing.
        """
        on_disk = self._file.read_bytes()
        if on_disk != self._original_bytes and _executed_traces(on_disk) > _executed_traces(self._original_bytes):
            raise AssertionError(
                f"{self.relpath} was saved with the browser test's outputs (autosave must be off); "
                "restore it with `git checkout` before committing"
            )

    # -- opening and running
    def open(self, timeout_s: float = 90.0) -> None:
        """Load JupyterLab on the notebook and wait until its kernel is ready and idle."""
        deadline = time.monotonic() + timeout_s
        self.page.goto(self.server.lab_url(self.relpath), timeout=timeout_s * 1000)
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
        # Poll rather than wait_for_function: a dialog (e.g. "Select Kernel" for an unknown
        # kernelspec) would otherwise only show up as a timeout.
        while self.kernel_status() != "idle":
            self._fail_on_dialog("opening the notebook")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.relpath}: the kernel was not ready within {timeout_s:.0f} s "
                    f"(status {self.kernel_status()!r}).\nServer log tail:\n{self.server.log_tail()}"
                )
            time.sleep(0.5)

    def _fail_on_dialog(self, doing: str) -> None:
        """A modal dialog (kernel choice, error) blocks everything; report its text."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count() and dialog.first.is_visible():
            raise AssertionError(f"JupyterLab showed a dialog while {doing}: {dialog.first.inner_text()!r}")

    def run_all_cells(self, timeout_s: float) -> None:
        """Click *Run > Run All Cells* and wait until the kernel has worked through them.

        Done means: the kernel went busy at least once since the click, is idle now, and no
        cell shows the ``[*]`` (queued/running) prompt -- twice in a row, half a second apart,
        because the kernel is briefly idle between two queued cells.
        """
        self.page.evaluate(
            "() => { " + _JS_PANEL + " window.__courseSawBusy = false;"
            " panel.sessionContext.statusChanged.connect((_, status) => {"
            " if (status === 'busy') window.__courseSawBusy = true; }); }"
        )
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            self.page.wait_for_function("() => window.__courseSawBusy === true", timeout=30_000)
        except Exception as exc:  # playwright's TimeoutError: say what it means
            raise AssertionError(f"{self.relpath}: Run All Cells did not start the kernel within 30 s") from exc
        self.wait_until_idle(timeout_s)

    def wait_until_idle(self, timeout_s: float) -> None:
        """Wait for an idle kernel and no ``[*]`` prompt, seen twice 0.5 s apart."""
        deadline = time.monotonic() + timeout_s
        settled = 0
        while time.monotonic() < deadline:
            self._fail_on_dialog("running the notebook")
            if self.kernel_status() == "idle" and not self._any_cell_running():
                settled += 1
                if settled == 2:
                    return
            else:
                settled = 0
            time.sleep(0.5)
        running = self.page.evaluate(
            "() => { " + _JS_PANEL + " return panel.content.widgets.findIndex("
            "c => (c.node.querySelector('.jp-InputPrompt') || {}).innerText === '[*]:'); }"
        )
        raise AssertionError(
            f"{self.relpath}: the kernel was still busy after {timeout_s:.0f} s "
            f"(status {self.kernel_status()!r}, cell {running} running)"
        )

    def kernel_status(self) -> str | None:
        return self.page.evaluate(_JS_KERNEL_STATUS)

    def _any_cell_running(self) -> bool:
        return self.page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt'))"
            ".some(p => p.innerText.trim() === '[*]:')"
        )

    # -- errors
    def cell_problems(self) -> list[CellProblem]:
        """Errors in any cell's outputs or in the widget Output areas it displays."""
        raw = self.page.evaluate(_JS_CELL_PROBLEMS, TRACEBACK_MARKER)
        return [CellProblem(**item) for item in raw]

    def assert_no_cell_errors(self, context: str = "after Run All") -> None:
        """Fail with one line per broken cell: its index, first source line and the error."""
        problems = self.cell_problems()
        if problems:
            lines = "\n".join("  " + problem.describe() for problem in problems)
            raise AssertionError(f"{self.relpath}: {len(problems)} error(s) {context}:\n{lines}")

    def unexecuted_code_cells(self) -> list[int]:
        """Indices of code cells with no execution count (Run All stops at the first error)."""
        return self.page.evaluate(
            "() => { " + _JS_PANEL + " return panel.content.widgets.map((c, i) => [c, i])"
            ".filter(([c]) => c.model.type === 'code' && c.model.sharedModel.getSource().trim()"
            " && c.model.executionCount === null).map(([, i]) => i); }"
        )

    # -- widgets
    def slider_handles(self):
        """Locator of every ipywidgets slider handle (noUiSlider) in the notebook."""
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-slider .noUi-handle")

    def cell_index_of(self, locator) -> int:
        """Index of the cell that contains the element ``locator`` points at."""
        return locator.evaluate(_JS_CELL_INDEX_OF)

    def output_signature(self, cell_index: int) -> str:
        """What cell ``cell_index`` displays, minus the slider controls (HTML, for comparison)."""
        return self.page.evaluate(_JS_OUTPUT_SIGNATURE, cell_index)

    def nudge_slider(self, handle, presses: int = 5) -> tuple[str, str]:
        """Move a slider with the keyboard, like a learner tabbing to it; returns (before, after) values.

        Presses ArrowRight, or ArrowLeft when the slider is at its maximum.
        """
        handle.scroll_into_view_if_needed()
        before = handle.get_attribute("aria-valuenow")
        at_max = float(before) >= float(handle.get_attribute("aria-valuemax"))
        handle.focus()
        for _ in range(presses):
            handle.press("ArrowLeft" if at_max else "ArrowRight")
        self.page.wait_for_function(
            "([h, v]) => h.getAttribute('aria-valuenow') !== v", arg=[handle.element_handle(), before],
            timeout=10_000,
        )
        return before, handle.get_attribute("aria-valuenow")

    def wait_for_output_change(
        self, cell_index: int, before: str, timeout_s: float = 30.0, containing: str | None = None
    ) -> str:
        """Wait until cell ``cell_index`` displays something other than ``before``; returns it.

        With ``containing``, keep waiting until the new output also includes that text
        (sliders update continuously, so intermediate values show first).
        """
        deadline = time.monotonic() + timeout_s
        now = before
        while time.monotonic() < deadline:
            now = self.output_signature(cell_index)
            if now != before and (containing is None or containing in now):
                return now
            time.sleep(0.25)
        if now != before:
            raise AssertionError(
                f"{self.relpath}: cell {cell_index}'s output changed but never showed {containing!r} "
                f"within {timeout_s:.0f} s"
            )
        raise AssertionError(
            f"{self.relpath}: cell {cell_index}'s displayed output did not change within "
            f"{timeout_s:.0f} s after the slider moved"
        )

    def cell(self, cell_index: int):
        """Locator of cell ``cell_index`` (counting markdown cells, from 0)."""
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-cell").nth(cell_index)

    def image_sources(self, cell_index: int) -> list[str]:
        """``src`` of every ``<img>`` cell ``cell_index`` displays, in document order."""
        return self.cell(cell_index).locator("img").evaluate_all("imgs => imgs.map(img => img.src)")

    def wait_for_new_image(self, cell_index: int, known: list[str], timeout_s: float):
        """Wait for an ``<img>`` in cell ``cell_index`` whose ``src`` is not in ``known``; its locator."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._fail_on_dialog("waiting for an image")
            for position, src in enumerate(self.image_sources(cell_index)):
                if src not in known:
                    image = self.cell(cell_index).locator("img").nth(position)
                    image.wait_for(state="visible", timeout=10_000)
                    return image
            time.sleep(0.5)
        problems = "; ".join(p.describe() for p in self.cell_problems()) or "no error shown"
        raise AssertionError(
            f"{self.relpath}: no new image appeared in cell {cell_index} within {timeout_s:.0f} s ({problems})"
        )

    def screenshot(self, path: Path, focus=None) -> Path:
        """Save a PNG of the JupyterLab window, scrolled to ``focus`` (a locator) when given."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if focus is not None:
            focus.scroll_into_view_if_needed()
        self.page.screenshot(path=str(path))
        return path
