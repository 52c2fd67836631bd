"""The LAB explorer of notebook 01, driven by setting widget values (no browser)."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import color, widgets


@pytest.mark.parametrize("rgb", [(255, 0, 0), (0, 128, 255), (200, 200, 200), (0, 0, 0)])
def test_swatch_of_an_srgb_colour_gives_it_back(rgb):
    lab = color.rgb_to_lab(np.array([[rgb]], np.uint8))[0, 0]
    got, in_gamut = widgets.lab_to_swatch_rgb(*lab)
    assert in_gamut and np.abs(np.subtract(got, rgb)).max() <= 1


def test_impossible_colour_is_flagged_out_of_gamut():
    _, in_gamut = widgets.lab_to_swatch_rgb(50.0, 0.0, -120.0)  # bluer than any screen can show
    assert not in_gamut
    assert "outside the sRGB gamut" in widgets.swatch_html(50.0, 0.0, -120.0)


def test_slider_change_updates_the_swatch():
    box = widgets.lab_explorer(np.full((20, 30, 3), 200, np.uint8), start=(50.0, 0.0, 0.0))
    before = box.swatch.value
    box.sliders["a"].value = 60.0
    assert box.swatch.value != before and "a = 60.0" in box.swatch.value
    assert "lab-swatch" in box.swatch._dom_classes


def test_pixel_picker_reports_the_pixel_and_copies_it_to_the_sliders():
    image = np.full((20, 30, 3), 255, np.uint8)
    image[5, 7] = (255, 0, 0)
    box = widgets.lab_explorer(image)
    box.picker["x"].value, box.picker["y"].value = 7, 5
    assert "RGB = (255, 0, 0)" in box.pixel_info.value
    box.use_pixel.click()
    red_lab = color.rgb_to_lab(image[5:6, 7:8])[0, 0]
    assert [box.sliders[n].value for n in "Lab"] == pytest.approx(red_lab, abs=0.5)
    assert "RGB = (255, 0, 0)" in box.swatch.value or "RGB = (254, 0, 0)" in box.swatch.value


def test_crosshair_marks_the_pixel_without_touching_the_original():
    image = np.full((10, 10, 3), 128, np.uint8)
    marked = widgets.with_crosshair(image, 9, 0)  # a corner: must not index out of bounds
    assert (marked[0, 9] == 0).all() and (image == 128).all()
