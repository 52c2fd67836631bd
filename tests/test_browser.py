"""The course in a real browser: JupyterLab in headless Chromium, driven like a learner would.

One JupyterLab (from ``.venv``, repository as root, random token, isolated Jupyter folders) and
one Chromium (Debian's, fresh profile) serve every test in this module; both are stopped in
``finally`` blocks together with the kernels when the module is done (before nbval runs the
notebooks in the same pytest session). Each test opens a notebook in a new tab, clicks
*Run > Run All Cells*, and checks what a learner would see. Screenshots go to
``artifacts/browser/`` (gitignored).

Select or deselect with the markers: ``-m browser`` / ``-m "not browser"`` (they are also
``slow``). Without Chromium the tests are skipped -- except in CI (``CI=true``), where that is a
failure.

The tests of notebooks 01, 06, 08 and 09 are the session's one run of those learner notebooks
(``learner_notebook``, tests/conftest.py): Run All reaches every cell without an error, each check
records its verdict as under nbval, and nbval leaves those notebooks out.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from conftest import record_learner_run

from browser_helpers import (
    CHROMIUM_ARGS,
    JupyterLabServer,
    NotebookDriver,
    find_chromium,
    running_in_ci,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Screenshots (and the harness's own scratch notebooks) live here; the folder is gitignored.
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
SELFTEST_DIR = ARTIFACTS / "selftest"

NOTEBOOK_01 = "notebooks/01_lab_color_space.ipynb"
NOTEBOOK_06 = "notebooks/06_results.ipynb"
NOTEBOOK_08 = "notebooks/08_colour_hints.ipynb"
NOTEBOOK_09 = "notebooks/09_adversarial_colorization.ipynb"

#: Generous limits for a loaded 2-core machine; a healthy run is far below them.
RUN_ALL_TIMEOUT_S = 240.0


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def chromium_path() -> str:
    """Debian's Chromium; skip without it -- but fail in CI, which must run this test."""
    path = find_chromium()
    if path is None:
        reason = "Debian's Chromium is not installed (sudo apt-get install chromium)"
        if running_in_ci():
            pytest.fail(f"{reason}, and CI=true: CI must run the browser test (.ci/run installs it)")
        pytest.skip(reason)
    return path


def _notebook_env() -> dict[str, str]:
    """Environment of the kernels: fast mode, and the NCD copy when one is around."""
    env = {"COURSE_FAST": os.environ.get("COURSE_FAST", "1"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    ncd = os.environ.get("NCD_DIR")
    if not ncd and (REPO_ROOT.parent / "shared" / "ncd").is_dir():
        ncd = str(REPO_ROOT.parent / "shared" / "ncd")  # as scripts/test.sh does
    if ncd:
        env["NCD_DIR"] = ncd
    return env


@pytest.fixture(scope="module")
def browser_context(chromium_path, tmp_path_factory):
    """A headless Chromium with a fresh profile directory (Playwright's persistent context).

    Its config and cache homes are scratch folders too: Chromium keeps its crash-report
    database in ``$XDG_CONFIG_HOME/chromium`` whatever the profile.
    """
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    browser_env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            env=browser_env,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


def _exit_on_sigterm(signum, frame):
    raise SystemExit(f"terminated by signal {signum}")


@pytest.fixture(scope="module")
def verdict_file(tmp_path_factory) -> Path:
    """Where every kernel of the server records its checks' verdicts, as grade's kernels do (each line
    names its notebook)."""
    return tmp_path_factory.mktemp("browser-verdicts") / "all.verdicts.jsonl"


@pytest.fixture(scope="module")
def lab_server(browser_context, tmp_path_factory, verdict_file):
    """JupyterLab serving the repository; stopped with all its kernels, even on failure.

    While it runs, SIGTERM (a CI timeout, ``kill``) becomes SystemExit so that the ``finally``
    blocks still stop the server and the kernels, which live in process groups of their own.
    """
    from course_lib.checks.exercise import GRADE_FILE_ENV_VAR

    previous_handler = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    server = JupyterLabServer.start(REPO_ROOT, tmp_path_factory.mktemp("jupyterlab"),
                                    env={**_notebook_env(), GRADE_FILE_ENV_VAR: str(verdict_file)})
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous_handler)


@pytest.fixture
def open_notebook(browser_context, lab_server):
    """``open_notebook(relpath) -> NotebookDriver`` in a new tab; tabs and kernels closed afterwards."""
    pages = []

    def _open(relpath: str) -> NotebookDriver:
        page = browser_context.new_page()
        pages.append(page)
        driver = NotebookDriver(page, lab_server, relpath)
        driver.open()
        return driver

    try:
        yield _open
    finally:
        for page in pages:
            with contextlib.suppress(Exception):
                page.close()
        lab_server.shutdown_all_kernels()


def _notebook_of(verdict_line: str) -> str | None:
    try:
        return json.loads(verdict_line).get("notebook")
    except (ValueError, AttributeError):
        return None  # a torn line: that check counts as not made, as grade counts it


@pytest.fixture
def ran_top_to_bottom(request, verdict_file):
    """``ran_top_to_bottom(driver, number)``: Run All of learner notebook ``number`` reached every code cell
    without an error; its verdicts become the session's run of it (conftest's record_learner_run)."""

    def _check(driver: NotebookDriver, number: str) -> None:
        driver.assert_no_cell_errors()
        assert driver.unexecuted_code_cells() == [], "Run All did not reach every code cell"
        marker = request.node.get_closest_marker("learner_notebook")
        assert marker is not None and marker.args[0] == number, f"mark the test learner_notebook({number!r})"
        lines = verdict_file.read_text(encoding="utf-8").splitlines() if verdict_file.is_file() else []
        own = verdict_file.with_name(f"{number}.verdicts.jsonl")
        own.write_text("".join(f"{line}\n" for line in lines if _notebook_of(line) == number), encoding="utf-8")
        record_learner_run(request.config, number, own)

    return _check


@contextlib.contextmanager
def screenshot_on_failure(driver: NotebookDriver, name: str):
    """On any failure, save ``artifacts/browser/<name>-failure.png`` before re-raising."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            driver.screenshot(ARTIFACTS / f"{name}-failure.png")
        raise


# --------------------------------------------------------------------------- the harness itself
def _write_selftest_notebook(path: Path) -> str:
    """A small notebook exercising every check of the harness; returns its path from the root."""
    import nbformat

    cells = [
        nbformat.v4.new_markdown_cell("# Browser harness self-test (generated by tests/test_browser.py)"),
        # 1: a working explorer -- moving the slider changes what the cell shows.
        nbformat.v4.new_code_cell(
            "import ipywidgets as widgets\n\n"
            "@widgets.interact(level=widgets.IntSlider(min=0, max=10, value=3, description='level'))\n"
            "def square(level):\n"
            "    print('level squared:', level * level)"
        ),
        # 2: an explorer that breaks when moved: the traceback lands in a widget Output area.
        nbformat.v4.new_code_cell(
            "# fragile explorer\n"
            "@widgets.interact(level=widgets.IntSlider(min=0, max=10, value=3, description='fragile'))\n"
            "def fragile(level):\n"
            "    if level > 5:\n"
            "        raise ValueError('broken explorer')\n"
            "    print('fine at', level)"
        ),
        # 3: a slider wired to nothing: moving it must NOT count as "the output changed".
        nbformat.v4.new_code_cell("widgets.IntSlider(description='inert')"),
        # 4: a cell that raises; Run All stops here.
        nbformat.v4.new_code_cell("# deliberately broken cell\nraise RuntimeError('deliberately broken')"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path.relative_to(REPO_ROOT).as_posix()


def test_harness_reports_broken_cells_by_index_and_first_line(open_notebook):
    """The checks fail when they should: a raising cell and a breaking widget are named."""
    relpath = _write_selftest_notebook(SELFTEST_DIR / "harness_selftest.ipynb")
    driver = open_notebook(relpath)
    with screenshot_on_failure(driver, "harness_selftest"):
        driver.run_all_cells(timeout_s=RUN_ALL_TIMEOUT_S)

        # The raising cell is reported with its index and first source line; Run All stopped there.
        with pytest.raises(AssertionError) as raised:
            driver.assert_no_cell_errors()
        message = str(raised.value)
        assert "cell 4 ('# deliberately broken cell')" in message
        assert "RuntimeError: deliberately broken" in message
        assert "cell 1" not in message and "cell 2" not in message  # healthy so far
        assert driver.unexecuted_code_cells() == [5]

        handles = driver.slider_handles()
        assert handles.count() == 3

        # A working slider: moving it changes the cell's displayed output.
        square_cell = driver.cell_index_of(handles.nth(0))
        assert square_cell == 1
        before = driver.output_signature(square_cell)
        assert "level squared: 9" in before
        old_value, new_value = driver.nudge_slider(handles.nth(0))
        assert (old_value, new_value) == ("3.0", "8.0")
        driver.wait_for_output_change(square_cell, before, containing="level squared: 64")

        # An inert slider: its own readout moves, but the harness must not call that a change.
        inert_cell = driver.cell_index_of(handles.nth(2))
        inert_before = driver.output_signature(inert_cell)
        driver.nudge_slider(handles.nth(2))
        with pytest.raises(AssertionError, match=f"cell {inert_cell}'s displayed output did not change"):
            driver.wait_for_output_change(inert_cell, inert_before, timeout_s=3.0)

        # Breaking a widget: its callback's traceback is reported against its cell.
        driver.nudge_slider(handles.nth(1))
        driver.wait_until_idle(timeout_s=60.0)
        problems = {(p.index, p.where, p.summary) for p in driver.cell_problems()}
        assert (2, "widget output", "ValueError: broken explorer") in problems
        assert (4, "cell output", "RuntimeError: deliberately broken") in problems
        with pytest.raises(AssertionError, match=r"cell 2 \('# fragile explorer'\): widget output"):
            driver.assert_no_cell_errors(context="after moving the sliders")

        # Nothing was saved so far; a save (Ctrl+S) with outputs is caught.
        driver.assert_not_saved()
        notebook_file = REPO_ROOT / relpath
        unsaved = notebook_file.read_bytes()
        driver.page.keyboard.press("Control+s")
        for _ in range(240):  # up to 60 s: a loaded machine (the suite's other worker) can take more than 10 s
            if notebook_file.read_bytes() != unsaved:
                break
            driver.page.wait_for_timeout(250)
        with pytest.raises(AssertionError, match="was saved with the browser test's outputs"):
            driver.assert_not_saved()


# --------------------------------------------------------------------------- notebook 01
@pytest.mark.learner_notebook("01")
def test_notebook_01_runs_and_its_lab_explorer_responds(open_notebook, ran_top_to_bottom):
    """01: Run All without errors; the LAB explorer is real sliders; moving one updates the swatch."""
    driver = open_notebook(NOTEBOOK_01)
    with screenshot_on_failure(driver, "01_lab_color_space"):
        driver.run_all_cells(timeout_s=RUN_ALL_TIMEOUT_S)
        ran_top_to_bottom(driver, "01")

        handles = driver.slider_handles()
        assert handles.count() >= 1, "the explorer rendered no slider: is the widgets extension installed?"
        explorer_cell = driver.cell_index_of(handles.first)
        explorer_sliders = driver.cell(explorer_cell).locator(".widget-slider .noUi-handle")
        # The swatch (marked .lab-swatch by course_lib.widgets) answers the first slider.
        swatch = driver.cell(explorer_cell).locator(".lab-swatch")
        assert swatch.count() >= 1, "the explorer shows no colour swatch (.lab-swatch)"
        swatch_before = swatch.first.inner_text()

        # The first slider (the colour) changes the swatch...
        before = driver.output_signature(explorer_cell)
        old_value, new_value = driver.nudge_slider(explorer_sliders.first)
        assert old_value != new_value
        driver.wait_for_output_change(explorer_cell, before)
        driver.wait_until_idle(timeout_s=60.0)
        assert swatch.first.inner_text() != swatch_before, "moving the first slider left the swatch as it was"
        # ...and the last one (the pixel picker) changes the output too.
        before = driver.output_signature(explorer_cell)
        old_value, new_value = driver.nudge_slider(explorer_sliders.last)
        assert old_value != new_value
        driver.wait_for_output_change(explorer_cell, before)
        driver.wait_until_idle(timeout_s=60.0)
        driver.assert_no_cell_errors(context="after moving the sliders")

        shot = driver.screenshot(ARTIFACTS / "01_lab_color_space.png", focus=explorer_sliders.first)
        assert shot.stat().st_size > 0
        driver.assert_not_saved()


# --------------------------------------------------------------------------- notebook 06
def _write_gray_photo(path: Path) -> Path:
    """A small grayscale PNG (R = G = B) made from scikit-image's coffee photo: 150 x 100 px.

    Gray on purpose: every colour in the result must then come from the model.
    """
    from PIL import Image
    from skimage import data

    gray = Image.fromarray(data.coffee()).convert("L").resize((150, 100), Image.BILINEAR)
    gray.convert("RGB").save(path)
    return path


def _coloured_fraction(png_bytes: bytes, min_chroma: float = 4.0) -> float:
    """Fraction of a screenshot's pixels whose LAB chroma sqrt(a^2 + b^2) exceeds ``min_chroma``.

    A chroma of a few LAB units is a visible tint (a just-noticeable difference is about 2.3);
    gray pixels, white background and black text are all near 0.
    """
    from PIL import Image

    from course_lib import color

    rgb = np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"))  # uint8 (H, W, 3)
    lab = color.rgb_to_lab(rgb)
    chroma = np.hypot(lab[..., 1], lab[..., 2])  # (H, W)
    return float((chroma > min_chroma).mean())


@pytest.mark.learner_notebook("06")
def test_notebook_06_colorizes_an_uploaded_photo(open_notebook, ran_top_to_bottom, tmp_path):
    """06: Run All without errors; uploading a gray photo through the widget shows a coloured result."""
    driver = open_notebook(NOTEBOOK_06)
    with screenshot_on_failure(driver, "06_results"):
        driver.run_all_cells(timeout_s=RUN_ALL_TIMEOUT_S)
        ran_top_to_bottom(driver, "06")

        # The saturation knob answers when moved.
        sliders = driver.slider_handles()
        assert sliders.count() >= 1, "06 shows no slider: the saturation knob did not render"
        knob_cell = driver.cell_index_of(sliders.first)
        before = driver.output_signature(knob_cell)
        driver.nudge_slider(sliders.first, presses=2)
        driver.wait_for_output_change(knob_cell, before, timeout_s=60.0)
        driver.wait_until_idle(timeout_s=60.0)

        upload_button = driver.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) button.widget-upload")
        assert upload_button.count() == 1, "the upload widget did not render as a control (no upload button)"
        upload_cell = driver.cell_index_of(upload_button)
        known_images = driver.image_sources(upload_cell)

        photo = _write_gray_photo(tmp_path / "gray_coffee.png")
        assert _coloured_fraction(photo.read_bytes()) == 0.0  # the input really has no colour
        # As a learner does: click the button, pick the file in the chooser it opens
        # (ipywidgets' <input type=file> is never attached to the page, so the chooser is the way in).
        with driver.page.expect_file_chooser(timeout=15_000) as chooser:
            upload_button.click()
        chooser.value.set_files(str(photo))
        result = driver.wait_for_new_image(upload_cell, known_images, timeout_s=120.0)
        driver.wait_until_idle(timeout_s=60.0)
        driver.assert_no_cell_errors(context="after uploading a photo")

        fraction = _coloured_fraction(result.screenshot())
        print(f"coloured fraction of the upload result: {fraction:.3f}")
        assert fraction > 0.05, (
            f"the result of colorizing a gray photo is (almost) gray: only {fraction:.1%} of its pixels "
            "have a visible colour"
        )
        driver.screenshot(ARTIFACTS / "06_results.png", focus=result)
        driver.assert_not_saved()


# --------------------------------------------------------------------------- notebook 08
#: Mean RGB of the (2 r + 1)^2 window of an <img> around (x, y), in the image's own pixels, read from a canvas.
_JS_IMAGE_WINDOW_MEAN = """(img, [x, y, r]) => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const left = Math.max(x - r, 0), top = Math.max(y - r, 0);
  const data = context.getImageData(left, top, 2 * r + 1, 2 * r + 1).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) { sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2]; }
  const n = data.length / 4;
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}"""


def _window_ab(image_locator, x: int, y: int, r: int = 6):
    """Mean ab (LAB units) of an <img>'s pixels around (x, y): what the learner sees there."""
    from course_lib import color

    rgb = image_locator.evaluate(_JS_IMAGE_WINDOW_MEAN, [x, y, r])
    return color.rgb_to_lab(np.array([[rgb]], np.float32) / 255.0)[0, 0, 1:]


@pytest.mark.learner_notebook("08")
def test_notebook_08_a_click_with_a_picked_colour_pulls_the_result_towards_it(open_notebook, ran_top_to_bottom):
    """08: Run All without errors; pick a colour, click on the photo in the explorer (ipyevents on an
    ipywidgets Image): the hint is drawn there, and the colorized result near the click moves towards it."""
    from course_lib.hints import hex_to_rgb, rgb_to_ab

    driver = open_notebook(NOTEBOOK_08)
    with screenshot_on_failure(driver, "08_colour_hints"):
        driver.run_all_cells(timeout_s=RUN_ALL_TIMEOUT_S)
        ran_top_to_bottom(driver, "08")

        panel = ".jp-NotebookPanel:not(.lm-mod-hidden) "
        photo = driver.page.locator(panel + "img.hint-input")
        result = driver.page.locator(panel + "img.hint-output")
        assert photo.count() == 1 and result.count() == 1, "the hint explorer did not render its two images"
        photo.scroll_into_view_if_needed()
        explorer_cell = driver.cell_index_of(photo)

        # Choose a colour, as a learner does in the picker (red: far from the test photo's own colours).
        colour = "#d02020"
        driver.page.locator(panel + ".hint-colour input[type='color']").fill(colour)
        driver.page.wait_for_function(
            "([sel, v]) => document.querySelector(sel).value.toLowerCase() === v",
            arg=[panel + ".hint-colour input[type='text']", colour], timeout=10_000)

        box = photo.bounding_box()
        natural = photo.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert abs(box["width"] - natural[0]) <= 1, "the photo is not shown at its own size"
        x, y = natural[0] // 2, natural[1] // 2
        target = np.array(rgb_to_ab(hex_to_rgb(colour)))
        before = _window_ab(result, x, y)
        known = driver.image_sources(explorer_cell)
        for dx in (-6, 0, 6):  # three clicks around the centre, like a learner insisting
            photo.click(position={"x": x + dx, "y": y})
            driver.wait_until_idle(timeout_s=60.0)
        driver.wait_for_new_image(explorer_cell, known, timeout_s=60.0)
        driver.wait_until_idle(timeout_s=60.0)
        driver.assert_no_cell_errors(context="after clicking on the photo")
        assert "3 hint(s)" in driver.cell(explorer_cell).inner_text(), "the three clicks did not all arrive"

        # The last hint is drawn where its click landed, in the picked colour...
        marker = np.array(photo.evaluate(_JS_IMAGE_WINDOW_MEAN, [x + 6, y, 0]))
        np.testing.assert_allclose(marker, hex_to_rgb(colour), atol=2)
        # ... and the result near it moved towards that colour.
        after = _window_ab(result, x, y)
        moved = np.linalg.norm(before - target) - np.linalg.norm(after - target)
        print(f"ab near the click: {before.round(1)} -> {after.round(1)}; target {target.round(1)}; "
              f"{moved:.2f} LAB units closer")
        assert moved > 0.5, (f"the result near the click did not move towards the hint's colour: ab {before.round(1)} "
                             f"-> {after.round(1)}, target {target.round(1)}")
        driver.screenshot(ARTIFACTS / "08_colour_hints.png", focus=result)
        driver.assert_not_saved()


# --------------------------------------------------------------------------- notebook 09
@pytest.mark.learner_notebook("09")
def test_notebook_09_turing_test_counts_the_clicks_and_reports_a_fooling_rate(open_notebook, ran_top_to_bottom):
    """09: Run All without errors; in the Turing test a click on "real" or "colorized" shows the next photo and
    updates the count; after the last photo the buttons are disabled, the fooling rate with its interval is
    shown, and what each photo was."""
    driver = open_notebook(NOTEBOOK_09)
    with screenshot_on_failure(driver, "09_adversarial_colorization"):
        # 09 trains three tiny models and a tiny judge when they are missing: more than the others need.
        driver.run_all_cells(timeout_s=2 * RUN_ALL_TIMEOUT_S)
        ran_top_to_bottom(driver, "09")

        panel = ".jp-NotebookPanel:not(.lm-mod-hidden) "
        photo = driver.page.locator(panel + ".turing-photo img, " + panel + "img.turing-photo")
        result = driver.page.locator(panel + ".turing-result")
        real, colorized = (driver.page.locator(panel + f"button.turing-{answer}") for answer in ("real", "colorized"))
        assert photo.count() == 1 and result.count() == 1, "the Turing test did not render its photo and result"
        assert real.count() == 1 and colorized.count() == 1, "the Turing test has no real / colorized buttons"
        real.scroll_into_view_if_needed()
        cell = driver.cell_index_of(real)
        text = result.inner_text()
        total = int(text.split(" of ")[1].split(" ")[0])
        assert text.startswith("0 of ") and total >= 2, f"unexpected start: {text!r}"

        for clicks in range(1, total + 1):
            known = driver.image_sources(cell)
            (real if clicks % 2 else colorized).click()
            driver.page.wait_for_function("([sel, want]) => document.querySelector(sel).innerText.startsWith(want)",
                                          arg=[panel + ".turing-result", f"{clicks} of {total} answered"],
                                          timeout=30_000)
            if clicks < total:  # the next photo replaces this one
                driver.wait_for_new_image(cell, known, timeout_s=30.0)
        driver.wait_until_idle(timeout_s=60.0)
        driver.assert_no_cell_errors(context="after answering the Turing test")
        final = result.inner_text()
        assert "Fooling rate:" in final and "95% interval" in final and "Done. The photos were:" in final, final
        assert real.is_disabled() and colorized.is_disabled(), "the buttons still answer after the last photo"
        driver.screenshot(ARTIFACTS / "09_adversarial_colorization.png", focus=result)
        driver.assert_not_saved()
