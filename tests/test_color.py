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


# --------------------------------------------------------- gamut-fitted LAB -> RGB uint8
def _every_fifth_uint8_colour():
    """A 52**3 grid of RGB uint8 colours plus the corners of the cube: (N, 3)."""
    v = np.arange(0, 256, 5, dtype=np.uint8)
    grid = np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(-1, 3)
    corners = np.array([[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)], np.uint8)
    return np.concatenate([grid, corners])


def test_lab_to_rgb_uint8_matches_skimage_inside_the_gamut():
    """In-gamut colours: exactly scikit-image's lab2rgb (an independent implementation), rounded."""
    rgb = _every_fifth_uint8_colour()
    lab = skcolor.rgb2lab(rgb)  # (N, 3) float64: every one inside the gamut, corners on its edge
    assert color.in_gamut(lab).all()
    expected = (skcolor.lab2rgb(lab) * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(expected, rgb)  # the reference itself round-trips
    np.testing.assert_array_equal(color.lab_to_rgb_uint8(lab), expected)
    # Batched (N, H, W, 3) and single images alike.
    batch = lab[: 4 * 8 * 8].reshape(4, 8, 8, 3)
    np.testing.assert_array_equal(color.lab_to_rgb_uint8(batch), rgb[: 4 * 8 * 8].reshape(4, 8, 8, 3))


def test_lab_to_rgb_uint8_hand_checked_values():
    # L = 50 gray: Y = (66/116)**3 = 0.1842, sRGB 1.055 * Y**(1/2.4) - 0.055 = 0.4664 -> 118.9 -> 119.
    lab = [[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [50.0, 0.0, 0.0], [53.2408, 80.0925, 67.2032]]  # black, white, gray, red
    np.testing.assert_array_equal(color.lab_to_rgb_uint8(lab),
                                  [[0, 0, 0], [255, 255, 255], [119, 119, 119], [255, 0, 0]])
    assert color.lab_to_linear_rgb([50.0, 0.0, 0.0]) == pytest.approx([0.1842] * 3, abs=1e-4)
    np.testing.assert_array_equal(color.in_gamut([[50, 0, 0], [50, 127, -127], [90, 0, 90], [30, 0, 60]]),
                                  [True, False, False, False])


def test_out_of_gamut_colours_are_fitted_keeping_lightness_and_hue_not_clipped():
    lab = np.array([[50.0, 120.0, -120.0], [90.0, 0.0, 90.0], [30.0, -120.0, 120.0], [40.0, 10.0, 5.0]])
    fitted = color.fit_to_gamut(lab)
    np.testing.assert_array_equal(fitted[:, 0], lab[:, 0])
    np.testing.assert_array_equal(fitted[3], lab[3])  # already in gamut: untouched
    for before, after in zip(lab[:3], fitted[:3], strict=True):
        assert np.hypot(*after[1:]) < np.hypot(*before[1:])  # chroma reduced...
        assert np.isclose(np.arctan2(after[2], after[1]), np.arctan2(before[2], before[1]))  # ...hue kept
    assert color.in_gamut(fitted).all()
    # Within one bisection step (1/128 of the original chroma) of the edge of the gamut.
    assert not color.in_gamut(fitted[:3] + lab[:3] * [0, 1 / 128, 1 / 128]).any()

    rgb = color.lab_to_rgb_uint8(lab)
    lightness = skcolor.rgb2lab(rgb)[:, 0]
    np.testing.assert_allclose(lightness, lab[:, 0], atol=0.5)  # L kept (uint8 rounding)
    clipped_lightness = skcolor.rgb2lab(color.to_uint8_rgb(color.lab_to_rgb(lab)))[:, 0]
    assert np.abs(clipped_lightness - lab[:, 0])[:3].max() > 4  # what clipping would have done


@pytest.mark.parametrize("function", [color.lab_to_rgb_uint8, color.fit_to_gamut, color.lab_to_linear_rgb,
                                      color.in_gamut])
def test_gamut_functions_answer_each_pixel_alike_alone_in_an_image_and_in_a_batch(function, rng):
    """They work on one contiguous plane per channel inside: the layout must not change any pixel's answer."""
    lab = np.stack([rng.uniform(0, 100, (2, 5, 6)), *rng.normal(0, 60, (2, 2, 5, 6))], axis=-1).astype(np.float32)
    lab[0, 0, :3, 1:] = 0  # gray: inside at any L
    batch = function(lab)
    assert 0 < color.in_gamut(lab).mean() < 1  # both kinds of pixel
    assert batch.shape[:3] == (2, 5, 6)
    np.testing.assert_array_equal(function(lab[1]), batch[1])
    np.testing.assert_array_equal(function(lab[1, 2, 3]), batch[1, 2, 3])  # one colour, shape (3,)
    assert function(np.zeros((0, 3), np.float32)).shape[0] == 0


def test_model_io_to_rgb_uint8_is_the_gamut_fitted_path_batched_and_not(rng):
    rgb = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    l_norm, ab_norm = color.rgb_to_model_io(rgb)  # (3, 16, 16, 1), (3, 16, 16, 2)
    out = color.model_io_to_rgb_uint8(l_norm, ab_norm)
    assert out.shape == (3, 16, 16, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - rgb).max() <= 1  # in-gamut: the photo back (float32 rounding)
    np.testing.assert_array_equal(color.model_io_to_rgb_uint8(l_norm[1], ab_norm[1]), out[1])
    # A prediction far outside the gamut: fitted, so L stays (clipping would change it).
    loud = np.clip(ab_norm * 4, -1, 1)
    fitted = color.model_io_to_rgb_uint8(l_norm, loud)
    np.testing.assert_array_equal(fitted, color.lab_to_rgb_uint8(
        np.concatenate([color.denormalize_l(l_norm), color.denormalize_ab(loud)], -1)))
    assert np.abs(color.rgb_to_lab(fitted)[..., 0] - color.denormalize_l(l_norm)[..., 0]).max() < 1.0


def test_rgb_uint8_to_lightness_matches_skimage(rng):
    rgb = np.concatenate([_every_fifth_uint8_colour()[None], rng.integers(0, 256, (1, 100, 3), dtype=np.uint8)], 1)
    np.testing.assert_allclose(color.rgb_uint8_to_lightness(rgb), skcolor.rgb2lab(rgb)[..., :1], atol=1e-3)


@pytest.mark.parametrize("function", [color.lab_to_rgb_uint8, color.fit_to_gamut, color.lab_to_linear_rgb,
                                      color.in_gamut])
def test_gamut_functions_raise_on_bad_lab(function):
    with pytest.raises(ValueError, match="3 channels"):
        function(np.zeros((4, 4, 2)))
    with pytest.raises(TypeError, match="float or integer"):
        function(np.zeros((4, 3), bool))
    with pytest.raises(ValueError, match="diverged"):
        function([[50.0, np.nan, 0.0]])
    with pytest.raises(ValueError, match=r"L must lie in \[0, 100\].*denormalize_l"):
        function([[-0.5, 0.0, 0.0]])  # e.g. L_norm passed where L was expected


def test_model_io_to_rgb_uint8_raises_on_mismatched_shapes():
    with pytest.raises(ValueError, match=r"L_norm \(\.\.\., 1\) and ab_norm \(\.\.\., 2\)"):
        color.model_io_to_rgb_uint8(np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 3)))
    with pytest.raises(ValueError, match="same leading shape"):
        color.model_io_to_rgb_uint8(np.zeros((2, 8, 8, 1)), np.zeros((3, 8, 8, 2)))
    with pytest.raises(ValueError, match="diverged"):
        color.model_io_to_rgb_uint8(np.zeros((8, 8, 1)), np.full((8, 8, 2), np.inf))
    with pytest.raises(TypeError, match="uint8"):
        color.rgb_uint8_to_lightness(np.zeros((4, 4, 3), np.float32))


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="3 channels"):
        color.rgb_to_lab(np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match="uint8 or float"):
        color.rgb_to_lab(np.zeros((4, 4, 3), np.int64))
    assert color.gray_to_rgb(np.zeros((4, 5, 1))).shape == (4, 5, 3)
