"""Notebook 08's hint explorer without a browser: a click event (as ipyevents sends it) adds a hint and
re-colorizes; undo, clear, uploads. (tests/test_browser.py clicks on it in JupyterLab.)"""

from __future__ import annotations

import datetime
import io

import numpy as np
import pytest
from PIL import Image

from course_lib import hint_widget


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


class FakeColorize:
    """Stands in for the model: the result is the hint channels' colour wherever a hint is, gray elsewhere."""

    def __init__(self):
        self.calls = []

    def __call__(self, photo, hint_map):
        self.calls.append(hint_map)
        out = np.full(photo.shape, 128, np.uint8)
        if hint_map is not None:
            out[..., 0] = np.where(hint_map[..., 2].max() > 0, 200, 128)
        return out


@pytest.fixture(scope="module")
def hint_model():
    from course_lib.model import build_colorizer

    return build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8, hints=True)


@pytest.fixture(scope="module")
def hint_colorizer(hint_model):
    from course_lib.colorizer import Colorizer

    return Colorizer.from_model(hint_model)


def test_a_click_adds_a_hint_of_the_picked_colour_and_updates_the_result(hint_colorizer):
    photo = np.full((60, 400, 3), 200, np.uint8)  # wider than the display limit: shrunk to 320 x 48
    fake = FakeColorize()
    explorer = hint_widget.HintExplorer(hint_colorizer, photo, colour="#2050ff", colorize=fake)
    assert explorer.photo.shape == (48, 320, 3)
    assert explorer.points == [] and fake.calls == [None]
    before = explorer.output_image.value
    explorer.on_event({"type": "click", "dataX": 100, "dataY": 20, "relativeX": 1, "relativeY": 1})
    assert explorer.points == [(100, 20, (0x20, 0x50, 0xFF))]
    hint_map = fake.calls[-1]
    assert hint_map.shape == (32, 32, 3) and hint_map[..., 2].sum() > 0
    assert explorer.output_image.value != before
    # The marker is drawn on the gray input in the picked colour.
    shown = _decode(explorer.input_image.value)
    assert tuple(shown[20, 100]) == (0x20, 0x50, 0xFF)
    explorer.picker.value = "#d02020"
    explorer.on_event({"type": "click", "dataX": 500, "dataY": -3})  # clamped into the photo
    assert explorer.points[-1] == (319, 0, (0xD0, 0x20, 0x20))
    explorer.on_event({"type": "mousemove", "dataX": 5, "dataY": 5})  # not a click: ignored
    assert len(explorer.points) == 2
    explorer.undo()
    assert len(explorer.points) == 1
    explorer.clear()
    assert explorer.points == [] and fake.calls[-1] is None
    assert "the model on its own" in explorer.status.value


def test_with_the_model_a_click_changes_the_colorization(hint_model, hint_colorizer):
    kernel, bias = hint_model.get_layer("encoder").get_layer("block1_conv1").get_weights()
    rng = np.random.default_rng(0)
    kernel = kernel.copy()
    kernel[:, :, 3:] = rng.normal(0, 0.05, kernel[:, :, 3:].shape)  # as if trained
    hint_model.get_layer("encoder").get_layer("block1_conv1").set_weights([kernel, bias])
    photo = np.asarray(Image.new("RGB", (80, 60), (150, 150, 150)))
    explorer = hint_widget.HintExplorer(hint_colorizer, photo)  # the same Keras model, now hint-trained
    plain = explorer.result.copy()
    explorer.add_hint(40, 30, "#20d040")
    assert explorer.result.shape == photo.shape and not np.array_equal(explorer.result, plain)


def test_upload_opens_an_explorer(hint_colorizer, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (50, 40), (90, 160, 60)).save(buffer, format="PNG")
    box = hint_widget.upload_explorer(hint_colorizer, colorize=FakeColorize())
    upload = box.children[0]
    upload.value = ({"name": "leaf.png", "type": "image/png", "size": len(buffer.getvalue()),
                     "content": memoryview(buffer.getvalue()),
                     "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert len(box.explorers) == 1 and box.explorers[0].photo.shape == (40, 50, 3)
    # The explorer shows the photo gray: the model sees only L.
    gray = _decode(box.explorers[0].input_image.value)
    assert np.ptp(gray.astype(int), axis=-1).max() <= 1


def test_colab_switch_is_off_elsewhere():
    assert hint_widget.enable_colab_widgets() is False
