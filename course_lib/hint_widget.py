"""Notebook 08's interactive colour hints: click a point on a photo, pick a colour, see the result.

Built from standard, maintained widget libraries only -- no hand-written JavaScript:

- ``ipywidgets``: an ``Image`` for the photo and one for the result, a ``ColorPicker``, buttons,
  a ``FileUpload`` for your own photo;
- ``ipyevents`` (pinned in ``requirements.txt``): turns a click on the photo's ``Image`` into a
  Python event with ``dataX`` / ``dataY``, the clicked pixel *of the image itself* (whatever size
  the browser shows it at).

Both work in JupyterLab and in Colab; Colab needs its custom widget manager for ``ipyevents``,
which :func:`enable_colab_widgets` switches on (only when running in Colab).

Every click adds a hint ``(x, y, colour)`` in the photo's pixels; the hint model
(:mod:`course_lib.hints`) colorizes the photo again with all hints so far. The hints are drawn
on the gray input as small squares of their colour with a black and white outline.
"""

from __future__ import annotations

import io
from typing import Callable

import numpy as np
from PIL import Image

from course_lib import color
from course_lib.extras import import_optional
from course_lib.hints import hex_to_rgb, user_hint_map

#: Photos are shrunk to this longer side first, so every click gets an answer within a second.
DISPLAY_MAX_SIDE = 320
#: CSS classes, for the browser test and for styling.
INPUT_CLASS, OUTPUT_CLASS, PICKER_CLASS = "hint-input", "hint-output", "hint-colour"
#: Half the side (display pixels) of the square drawn at each hint.
MARKER_RADIUS = 4


def png_bytes(rgb: np.ndarray) -> bytes:
    """RGB uint8 ``(H, W, 3)`` -> PNG file bytes (what an ``ipywidgets.Image`` shows)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def shrink(photo: np.ndarray, max_side: int = DISPLAY_MAX_SIDE) -> np.ndarray:
    """``photo`` (RGB uint8) with its longer side at most ``max_side`` (aspect kept)."""
    height, width = photo.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return photo
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.LANCZOS))


def draw_hints(rgb: np.ndarray, points, radius: int = MARKER_RADIUS) -> np.ndarray:
    """A copy of ``rgb`` with a square of each point's colour, outlined black then white, at ``(x, y)``."""
    out = rgb.copy()
    height, width = out.shape[:2]
    for x, y, colour in points:
        for r, fill in ((radius + 2, (255, 255, 255)), (radius + 1, (0, 0, 0)), (radius, colour)):
            out[max(y - r, 0) : min(y + r + 1, height), max(x - r, 0) : min(x + r + 1, width)] = fill
    return out


def gray_of(photo: np.ndarray) -> np.ndarray:
    """What the model sees: the photo's L as a gray RGB uint8 image (ab = 0, the same L)."""
    return color.lab_to_rgb_uint8(np.concatenate(
        [color.rgb_to_lab(photo)[..., :1], np.zeros((*photo.shape[:2], 2), np.float32)], axis=-1))


#: What pip installs on Colab, which does not ship ipyevents (the version requirements.txt pins).
IPYEVENTS_REQUIREMENT = "ipyevents==2.0.4"


def enable_colab_widgets() -> bool:
    """On Colab, install ipyevents if missing and switch on Colab's custom widget manager (which
    third-party widgets need); elsewhere do nothing.

    Returns True when it was switched on.
    """
    import importlib.util

    from course_lib.environment import in_colab

    if not in_colab():
        return False
    if importlib.util.find_spec("ipyevents") is None:
        import subprocess
        import sys

        subprocess.run([sys.executable, "-m", "pip", "install", "-q", IPYEVENTS_REQUIREMENT], check=True)
    from google.colab import output  # only exists on Colab

    output.enable_custom_widget_manager()
    return True


class HintExplorer:
    """Click on the gray photo to add a hint of the picked colour; the result updates at once.

    Parameters
    ----------
    colorizer : course_lib.colorizer.Colorizer
        A hint model's (``train --hints``): ``Colorizer.load(RUN_DIR)``, decoding as its run chose.
    photo : ndarray (H, W, 3) uint8
        Shrunk to :data:`DISPLAY_MAX_SIDE` first; hints are in the pixels of the shrunk photo.
    colour : str
        The picker's first colour, ``#RRGGBB``.
    colorize : callable, optional
        ``colorize(photo, hint_map) -> RGB uint8``; default ``colorizer.colorize(photo, hint_map=hint_map)``.

    Raises
    ------
    CourseError
        ``colorizer`` is not a :class:`~course_lib.colorizer.Colorizer` (a bare Keras model would
        lose its run's decoding).

    Attributes
    ----------
    widget : ipywidgets.VBox
        What to display.
    points : list of (x, y, (r, g, b))
        The hints so far, in the photo's (shrunk) pixels.
    result : ndarray
        The latest colorization, RGB uint8 of the photo's (shrunk) size.

    Raises
    ------
    MissingDependencyError
        ipywidgets or ipyevents is not installed (the ``widgets`` extra).
    """

    def __init__(self, colorizer, photo: np.ndarray, colour: str = "#d02020", colorize: Callable | None = None,
                 title: str = ""):
        widgets = import_optional("ipywidgets", "the hint explorer")
        Event = import_optional("ipyevents", "the hint explorer").Event

        from course_lib.colorizer import as_colorizer

        self.colorizer = as_colorizer(colorizer, "HintExplorer")
        self.photo = shrink(np.asarray(photo, dtype=np.uint8))
        self.size = self.colorizer.image_size
        self._colorize = colorize or (lambda image, hint_map: self.colorizer.colorize(image, hint_map=hint_map))
        self.points: list[tuple[int, int, tuple[int, int, int]]] = []
        self._gray = gray_of(self.photo)
        height, width = self.photo.shape[:2]
        layout = widgets.Layout(width=f"{width}px", height=f"{height}px")
        self.input_image = widgets.Image(format="png", layout=layout)
        self.output_image = widgets.Image(format="png", layout=layout)
        self.input_image.add_class(INPUT_CLASS)
        self.output_image.add_class(OUTPUT_CLASS)
        self.picker = widgets.ColorPicker(value=colour, description="hint colour", concise=False)
        self.picker.add_class(PICKER_CLASS)
        self.undo_button = widgets.Button(description="undo last hint", icon="undo")
        self.clear_button = widgets.Button(description="clear hints", icon="trash")
        self.status = widgets.HTML()
        self.undo_button.on_click(lambda _: self.undo())
        self.clear_button.on_click(lambda _: self.clear())
        # ipyevents: a click on the photo -> self.on_event({"type": "click", "dataX": ..., "dataY": ...}).
        self.events = Event(source=self.input_image, watched_events=["click"], prevent_default_action=True)
        self.events.on_dom_event(self.on_event)
        caption = lambda text: widgets.HTML(f"<b>{text}</b>")  # noqa: E731
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>{title}</b>") if title else widgets.HTML(""),
            widgets.HBox([self.picker, self.undo_button, self.clear_button]),
            widgets.HBox([widgets.VBox([caption("click here: gray input + your hints"), self.input_image]),
                          widgets.VBox([caption("colorized with your hints"), self.output_image])]),
            self.status,
        ])
        self.update()

    # -- actions
    def on_event(self, event: dict) -> None:
        """A click from ipyevents: add a hint at the clicked pixel (``dataX``, ``dataY``) with the picked colour."""
        if event.get("type") != "click" or "dataX" not in event:
            return
        self.add_hint(int(event["dataX"]), int(event["dataY"]))

    def add_hint(self, x: int, y: int, colour: str | None = None) -> None:
        """Add a hint at column ``x``, row ``y`` of the (shrunk) photo; ``colour`` default: the picker's."""
        height, width = self.photo.shape[:2]
        x, y = min(max(int(x), 0), width - 1), min(max(int(y), 0), height - 1)
        self.points.append((x, y, hex_to_rgb(colour or self.picker.value)))
        self.update()

    def undo(self) -> None:
        if self.points:
            self.points.pop()
            self.update()

    def clear(self) -> None:
        self.points.clear()
        self.update()

    def update(self) -> None:
        """Colorize with the hints so far and redraw both images."""
        hint_map = user_hint_map(self.points, self.photo.shape, self.size) if self.points else None
        self.result = self._colorize(self.photo, hint_map)
        self.input_image.value = png_bytes(draw_hints(self._gray, self.points))
        self.output_image.value = png_bytes(self.result)
        listed = ", ".join(f"({x}, {y}) #{r:02x}{g:02x}{b:02x}" for x, y, (r, g, b) in self.points)
        self.status.value = f"{len(self.points)} hint(s){': ' + listed if listed else ' (the model on its own)'}"


def _upload_items(value) -> list[tuple[str, bytes]]:
    """``(name, content)`` pairs of a ``FileUpload`` value, ipywidgets 8 (tuple of dicts) or 7 (dict by name)."""
    items = value.values() if isinstance(value, dict) else value
    names = value.keys() if isinstance(value, dict) else [item["name"] for item in value]
    return [(name, bytes(item["content"])) for name, item in zip(names, items)]


def _read_upload(name: str, content: bytes, max_side: int = 2048):
    """The uploaded image as RGB uint8 (any mode :func:`course_lib.data.load_image` reads), or None with a message."""
    import tempfile
    from pathlib import Path

    from course_lib.data import load_image
    from course_lib.errors import CourseError

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / Path(name).name
        target.write_bytes(content)
        try:
            return load_image(target, max_side=max_side)
        except CourseError as exc:
            print(f"{name} is not an image this course can read: {exc}")
            return None


def upload_explorer(colorizer, colorize: Callable | None = None):
    """A ``FileUpload`` button; each uploaded photo opens in a :class:`HintExplorer` of ``colorizer`` below it.

    A colour photo is shown gray (the model sees only L). Returns the ``VBox`` to display; its
    ``explorers`` attribute lists the explorers opened so far.
    """
    widgets = import_optional("ipywidgets", "the photo upload")
    display = import_optional("IPython.display", "the photo upload").display

    from course_lib.colorizer import as_colorizer

    colorizer = as_colorizer(colorizer, "upload_explorer")  # refused now, not at the first upload
    button = widgets.FileUpload(accept="image/*", multiple=False, description="Upload a photo")
    area = widgets.Output()
    box = widgets.VBox([button, area])
    box.explorers = []

    def show(change):
        area.clear_output()
        with area:  # messages and explorers appear below the button
            for name, content in _upload_items(change["new"]):
                photo = _read_upload(name, content)
                if photo is not None:
                    box.explorers.append(HintExplorer(colorizer, photo, colorize=colorize, title=name))
                    display(box.explorers[-1].widget)

    button.observe(show, names="value")
    return box
