import numpy as np
import pytest
from skimage import color as skcolor

from course_lib import color


def test_rgb_to_lab_matches_skimage_for_uint8_and_float(rng):
    rgb = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    expected = skcolor.rgb2lab(rgb[0])
    np.testing.assert_allclose(color.rgb_to_lab(rgb[0]), expected, atol=1e-4)
    np.testing.assert_allclose(color.rgb_to_lab(rgb[0] / 255.0), expected, atol=1e-4)
    # Batches convert image by image.
    np.testing.assert_allclose(color.rgb_to_lab(rgb)[1], skcolor.rgb2lab(rgb[1]), atol=1e-4)


def test_lab_round_trip_is_exact_in_uint8(rng):
    rgb = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    back = color.to_uint8_rgb(color.lab_to_rgb(color.rgb_to_lab(rgb)))
    assert back.dtype == np.uint8
    assert np.abs(back.astype(int) - rgb).max() == 0


def test_lab_ranges_on_extremes():
    rgb = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]]], dtype=np.uint8)
    lab = color.rgb_to_lab(rgb)
    assert lab.dtype == np.float32
    assert lab[0, 0, 0] == pytest.approx(0, abs=1e-3) and lab[0, 1, 0] == pytest.approx(100, abs=1e-3)
    assert np.abs(lab[0, 1, 1:]).max() < 0.01  # white is neutral
    assert lab[0, 2, 1] > 70 and lab[0, 3, 2] < -100  # red is +a, blue is -b


def test_out_of_gamut_lab_is_clipped_without_warning():
    lab = np.array([[[50, 127, -127], [100, 100, 100]]], dtype=np.float32)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rgb = color.lab_to_rgb(lab)
    assert rgb.min() >= 0 and rgb.max() <= 1


def test_normalisation_round_trips_and_spans_minus_one_to_one(rng):
    rgb = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    l_norm, ab_norm = color.rgb_to_model_io(rgb)
    assert l_norm.shape == (8, 8, 1) and ab_norm.shape == (8, 8, 2)
    assert l_norm.min() >= -1 and l_norm.max() <= 1 and np.abs(ab_norm).max() <= 1
    back = color.to_uint8_rgb(color.model_io_to_rgb(l_norm, ab_norm))
    assert np.abs(back.astype(int) - rgb).max() <= 1


def test_tf_rgb_to_lab_matches_skimage_within_half_a_unit(rng):
    rgb = rng.integers(0, 256, (4, 24, 24, 3), dtype=np.uint8)
    rgb[0, 0, :3] = [[0, 0, 0], [255, 255, 255], [10, 10, 10]]  # near-black uses the linear branch
    lab_tf = color.tf_rgb_to_lab(color.to_float_rgb(rgb)).numpy()
    assert np.abs(lab_tf - skcolor.rgb2lab(rgb, channel_axis=-1)).max() < 0.5


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="3 channels"):
        color.rgb_to_lab(np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match="uint8 or float"):
        color.rgb_to_lab(np.zeros((4, 4, 3), np.int64))
    assert color.gray_to_rgb(np.zeros((4, 5, 1))).shape == (4, 5, 3)
