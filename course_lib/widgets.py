"""The interactive LAB explorer of notebook 01, built from standard ipywidgets.

Two linked parts:

- **swatch**: three sliders ``L``, ``a``, ``b`` and a colour patch that shows the colour, its
  RGB value, and whether it lies outside what a screen can show (the sRGB gamut);
- **pixel picker**: ``x``/``y`` sliders over an image, a crosshair on it and the picked
  pixel's RGB and LAB values; "Use this pixel" copies its LAB into the swatch sliders.

The logic (what the swatch says for a LAB value) is plain functions, tested without a browser;
``tests/test_widgets.py`` drives the widgets by setting slider values, and the browser test
does the same in JupyterLab. CSS classes ``lab-swatch`` and ``lab-pixel-info`` mark the two
outputs for it.
"""

from __future__ import annotations

import io

import numpy as np

from course_lib import color
from course_lib.extras import import_optional

#: A LAB colour whose clipped RGB converts back more than this far (in LAB units) is out of gamut.
GAMUT_TOLERANCE = 1.0


def lab_to_swatch_rgb(l_value: float, a_value: float, b_value: float) -> tuple[tuple[int, int, int], bool]:
    """The displayable colour of one LAB value.

    Returns
    -------
    rgb : tuple of 3 int in [0, 255]
        The colour, clipped into the sRGB gamut.
    in_gamut : bool
        False when clipping changed the colour by more than :data:`GAMUT_TOLERANCE`.
    """
    lab = np.array([[[l_value, a_value, b_value]]], dtype=np.float32)  # (1, 1, 3)
    rgb = color.to_uint8_rgb(color.lab_to_rgb(lab))
    back = color.rgb_to_lab(color.lab_to_rgb(lab))  # through the clipped float colour, not uint8
    in_gamut = bool(np.abs(back - lab).max() <= GAMUT_TOLERANCE)
    return tuple(int(v) for v in rgb[0, 0]), in_gamut


def swatch_html(l_value: float, a_value: float, b_value: float) -> str:
    """HTML of the colour patch and its caption for one LAB value."""
    (r, g, b), in_gamut = lab_to_swatch_rgb(l_value, a_value, b_value)
    gamut = "" if in_gamut else "<br><b>outside the sRGB gamut</b>: the screen shows the nearest colour it can"
    return (
        f'<div style="display:flex;align-items:center;gap:12px">'
        f'<div style="width:96px;height:96px;border:1px solid #888;background:rgb({r},{g},{b})"></div>'
        f"<div>L = {l_value:.1f}, a = {a_value:.1f}, b = {b_value:.1f}<br>"
        f"RGB = ({r}, {g}, {b}){gamut}</div></div>"
    )


def pixel_info_html(image: np.ndarray, x: int, y: int) -> str:
    """HTML describing pixel ``(x, y)`` of a uint8 RGB image: its RGB and LAB values."""
    r, g, b = (int(v) for v in image[y, x])
    l_value, a_value, b_value = color.rgb_to_lab(image[y : y + 1, x : x + 1])[0, 0]
    return (
        f'<div style="display:flex;align-items:center;gap:12px">'
        f'<div style="width:48px;height:48px;border:1px solid #888;background:rgb({r},{g},{b})"></div>'
        f"<div>pixel (x={x}, y={y})<br>RGB = ({r}, {g}, {b})<br>"
        f"L = {l_value:.1f}, a = {a_value:.1f}, b = {b_value:.1f}</div></div>"
    )


def with_crosshair(image: np.ndarray, x: int, y: int, half: int = 6) -> np.ndarray:
    """A copy of a uint8 RGB image with a black-and-white crosshair at ``(x, y)``."""
    marked = image.copy()
    h, w = image.shape[:2]
    xs = slice(max(x - half, 0), min(x + half + 1, w))
    ys = slice(max(y - half, 0), min(y + half + 1, h))
    marked[y, xs] = (0, 0, 0)
    marked[ys, x] = (0, 0, 0)
    if y + 1 < h:
        marked[y + 1, xs] = (255, 255, 255)  # a white edge keeps it visible on dark areas
    if x + 1 < w:
        marked[ys, x + 1] = (255, 255, 255)
    return marked


def _png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def lab_explorer(image: np.ndarray | None = None, start=(60.0, 40.0, 30.0)):
    """The explorer: LAB sliders with a live swatch, and a pixel picker on ``image``.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3), optional
        Image for the pixel picker; default ``skimage.data.coffee()``. Do not pass NCD
        images in notebooks whose outputs are saved.
    start : tuple of 3 float
        Initial L, a, b.

    Returns
    -------
    ipywidgets.VBox
        With attributes ``sliders`` (dict ``"L"``, ``"a"``, ``"b"`` -> FloatSlider),
        ``swatch`` (HTML), ``picker`` (dict ``"x"``, ``"y"`` -> IntSlider), ``pixel_info``
        (HTML), ``picture`` (Image) and ``use_pixel`` (Button), for tests and notebooks.

    Raises
    ------
    MissingDependencyError
        ipywidgets is not installed (the ``widgets`` extra).
    """
    widgets = import_optional("ipywidgets", "the LAB explorer")

    if image is None:
        from skimage import data

        image = data.coffee()
    image = color.to_uint8_rgb(np.asarray(image))
    h, w = image.shape[:2]

    layout = widgets.Layout(width="420px")
    sliders = {
        "L": widgets.FloatSlider(value=start[0], min=0.0, max=100.0, step=0.5, description="L", layout=layout),
        "a": widgets.FloatSlider(value=start[1], min=-128.0, max=127.0, step=0.5, description="a", layout=layout),
        "b": widgets.FloatSlider(value=start[2], min=-128.0, max=127.0, step=0.5, description="b", layout=layout),
    }
    swatch = widgets.HTML(swatch_html(*start))
    swatch.add_class("lab-swatch")

    def update_swatch(_change=None):
        swatch.value = swatch_html(sliders["L"].value, sliders["a"].value, sliders["b"].value)

    for slider in sliders.values():
        slider.observe(update_swatch, names="value")

    picker = {
        "x": widgets.IntSlider(value=w // 2, min=0, max=w - 1, description="x", layout=layout),
        "y": widgets.IntSlider(value=h // 2, min=0, max=h - 1, description="y", layout=layout),
    }
    picture = widgets.Image(value=_png_bytes(with_crosshair(image, w // 2, h // 2)), format="png",
                            layout=widgets.Layout(max_width="420px"))
    pixel_info = widgets.HTML(pixel_info_html(image, w // 2, h // 2))
    pixel_info.add_class("lab-pixel-info")
    use_pixel = widgets.Button(description="Use this pixel", tooltip="copy the pixel's L, a, b into the sliders")

    def update_pixel(_change=None):
        x, y = picker["x"].value, picker["y"].value
        picture.value = _png_bytes(with_crosshair(image, x, y))
        pixel_info.value = pixel_info_html(image, x, y)

    def copy_pixel_to_sliders(_button=None):
        x, y = picker["x"].value, picker["y"].value
        lab = color.rgb_to_lab(image[y : y + 1, x : x + 1])[0, 0]
        for name, value in zip("Lab", lab):
            sliders[name].value = round(float(value) * 2) / 2  # the sliders' 0.5 step

    for slider in picker.values():
        slider.observe(update_pixel, names="value")
    use_pixel.on_click(copy_pixel_to_sliders)

    box = widgets.VBox([
        widgets.HTML("<b>Choose a colour in LAB</b>"),
        *sliders.values(), swatch,
        widgets.HTML("<b>Pick a pixel</b>"),
        widgets.HBox([picture, widgets.VBox([*picker.values(), pixel_info, use_pixel])]),
    ])
    box.sliders, box.swatch, box.picker = sliders, swatch, picker
    box.pixel_info, box.picture, box.use_pixel = pixel_info, picture, use_pixel
    return box
