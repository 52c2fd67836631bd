"""course_lib.metrics: agreement with scikit-image, refusal of bad inputs, colour metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage import color as skcolor
from skimage import data as skdata
from skimage import metrics as skmetrics

from course_lib import color, metrics
from course_lib.errors import CourseError, MetricInputError


def sk_ssim(a, b, data_range):
    """scikit-image's SSIM with the options that match Wang et al. (2004)."""
    return skmetrics.structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range,
        channel_axis=-1 if a.ndim == 3 else None,
    )


def gray_version(rgb: np.ndarray) -> np.ndarray:
    """ab = 0 (the gray baseline), built here from course_lib.color only."""
    lab = color.rgb_to_lab(rgb)
    lab[..., 1:] = 0
    return color.to_uint8_rgb(color.lab_to_rgb(lab))


def real_pair():
    """A real photograph and a plausible 'colorization' of it (hue-shifted, slightly blurred)."""
    truth = skdata.astronaut()[::2, ::2]  # (256, 256, 3) uint8
    lab = color.rgb_to_lab(truth)
    lab[..., 1:] *= 0.6  # desaturate, like an unsure colorizer
    lab[..., 1] += 5
    return color.to_uint8_rgb(color.lab_to_rgb(lab)), truth


# ------------------------------------------------------------ agreement with skimage
@pytest.mark.parametrize("shape", [(32, 40, 3), (11, 11, 3), (23, 17), (64, 48, 1)])
def test_uint8_agrees_with_skimage(rng, shape):
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    b = rng.integers(0, 256, shape, dtype=np.uint8)
    assert metrics.psnr(a, b) == pytest.approx(skmetrics.peak_signal_noise_ratio(a, b, data_range=255), abs=1e-6)
    assert metrics.rmse(a, b) == pytest.approx(math.sqrt(skmetrics.mean_squared_error(a, b)), abs=1e-6)
    assert metrics.ssim(a, b) == pytest.approx(sk_ssim(a, b, 255), abs=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_agrees_with_skimage(rng, dtype):
    a = rng.random((40, 36, 3)).astype(dtype)
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype(dtype)
    assert metrics.psnr(a, b, data_range=1.0) == pytest.approx(
        skmetrics.peak_signal_noise_ratio(a, b, data_range=1.0), abs=1e-6
    )
    assert metrics.rmse(a, b, data_range=1.0) == pytest.approx(
        math.sqrt(skmetrics.mean_squared_error(a, b)), abs=1e-6
    )
    assert metrics.ssim(a, b, data_range=1.0) == pytest.approx(sk_ssim(a, b, 1.0), abs=1e-6)


def test_real_images_agree_with_skimage():
    pred, truth = real_pair()
    for pair in [(pred, truth), (gray_version(truth), truth)]:
        assert metrics.psnr(*pair) == pytest.approx(skmetrics.peak_signal_noise_ratio(*pair, data_range=255), abs=1e-6)
        assert metrics.ssim(*pair) == pytest.approx(sk_ssim(*pair, 255), abs=1e-6)


def test_real_ncd_image_agrees_with_skimage(ncd_dir):
    # The smallest JPEG of the first category: real NCD content, quick at native size.
    from PIL import Image

    folder = sorted(p for p in ncd_dir.iterdir() if p.is_dir())[0]
    smallest = min(folder.glob("*.jp*g"), key=lambda p: p.stat().st_size)
    truth = np.asarray(Image.open(smallest).convert("RGB"))
    gray = gray_version(truth)
    assert metrics.psnr(gray, truth) == pytest.approx(skmetrics.peak_signal_noise_ratio(gray, truth, data_range=255), abs=1e-6)
    assert metrics.ssim(gray, truth) == pytest.approx(sk_ssim(gray, truth, 255), abs=1e-6)


def test_identical_images():
    image = skdata.astronaut()[:64, :64]
    assert metrics.psnr(image, image) == math.inf
    assert metrics.rmse(image, image) == 0.0
    assert metrics.ssim(image, image) == pytest.approx(1.0)


def test_uint8_subtraction_does_not_wrap():
    # 3 - 5 in uint8 is 254; the metrics must compute in float.
    a = np.full((16, 16, 3), 3, np.uint8)
    b = np.full((16, 16, 3), 5, np.uint8)
    assert metrics.rmse(a, b) == pytest.approx(2.0)
    assert metrics.psnr(a, b) == pytest.approx(20 * math.log10(255 / 2))


def test_gaussian_window_is_wang_et_al():
    window = metrics.gaussian_window()
    assert window.shape == (11, 11)
    assert window.sum() == pytest.approx(1.0)
    assert window[5, 5] == window.max()
    # Ratio centre / neighbour is exp(1 / (2 sigma^2)) with sigma = 1.5.
    assert window[5, 5] / window[5, 6] == pytest.approx(math.exp(1 / (2 * 1.5**2)))


# ------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("fn", [metrics.psnr, metrics.ssim, metrics.rmse])
def test_refuses_bad_inputs(rng, fn):
    a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    floats = a / 255.0
    with pytest.raises(MetricInputError, match="different shapes"):
        fn(a, a[:, :15])
    with pytest.raises(MetricInputError, match="different dtypes"):
        fn(a, floats, data_range=255)
    with pytest.raises(MetricInputError, match="data_range is required"):
        fn(floats, floats)
    nan = floats.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(MetricInputError, match="NaN"):
        fn(nan, floats, data_range=1.0)
    inf = floats.copy()
    inf[1, 1, 1] = np.inf
    with pytest.raises(MetricInputError, match="NaN or infinity"):
        fn(floats, inf, data_range=1.0)
    with pytest.raises(MetricInputError, match="unsupported dtype"):
        fn(a > 10, a > 20, data_range=1)
    with pytest.raises(MetricInputError, match="unsupported dtype"):
        fn(floats.astype(complex), floats.astype(complex), data_range=1)
    with pytest.raises(MetricInputError, match="positive"):
        fn(floats, floats, data_range=0)
    # Values on the 0-255 scale with data_range=1.0: the range is wrong.
    with pytest.raises(MetricInputError, match="span"):
        fn(floats * 255, floats * 255, data_range=1.0)


def test_errors_are_course_errors_and_value_errors():
    # The CLI prints CourseErrors as one line; ValueError keeps generic callers working.
    assert issubclass(MetricInputError, CourseError) and issubclass(MetricInputError, ValueError)


def test_ssim_refuses_images_smaller_than_the_window(rng):
    a = rng.integers(0, 256, (10, 30, 3), dtype=np.uint8)
    with pytest.raises(MetricInputError, match="at least 11"):
        metrics.ssim(a, a)


def test_colour_metrics_refuse_non_rgb_uint8(rng):
    a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    with pytest.raises(MetricInputError, match="RGB uint8"):
        metrics.evaluate_pair(a / 255.0, a / 255.0)
    with pytest.raises(MetricInputError, match="RGB uint8"):
        metrics.colorfulness(a[..., 0])
    with pytest.raises(MetricInputError, match="different shapes"):
        metrics.delta_e_ciede2000(a, a[:8])


# --------------------------------------------------------- the seed's 38 dB
def test_seed_38_db_is_the_4095_data_range_mistake():
    """The seed computed PSNR with data_range=4095 (12-bit) on uint8 images.

    PSNR = 20 log10(data_range / RMSE), so the wrong range adds 20 log10(4095 / 255)
    = 24.1 dB to *every* image, whatever the colorizer does. The seed's 38 dB is about
    13.9 dB at the correct range -- below the gray floor on NCD (about 17.5 dB).
    """
    pred, truth = real_pair()
    honest = metrics.psnr(pred, truth, data_range=255)
    inflated = metrics.psnr(pred, truth, data_range=4095)  # the seed's call
    assert inflated - honest == pytest.approx(20 * math.log10(4095 / 255), abs=1e-9)
    assert metrics.data_range_inflation_db(4095) == pytest.approx(24.114, abs=1e-3)
    # Even the do-nothing gray baseline scores far above 38 dB with the wrong range...
    gray = gray_version(truth)
    assert metrics.psnr(gray, truth, data_range=4095) > 38
    # ...and the seed's 38 dB, corrected, is an ordinary (poor) result.
    assert 38 - metrics.data_range_inflation_db(4095) == pytest.approx(13.9, abs=0.05)


# ----------------------------------------------------------------- colour metrics
def test_delta_e_matches_skimage_and_masks(rng):
    pred, truth = real_pair()
    expected_map = skcolor.deltaE_ciede2000(skcolor.rgb2lab(truth), skcolor.rgb2lab(pred))
    assert metrics.delta_e_ciede2000(pred, truth) == pytest.approx(expected_map.mean(), abs=1e-9)
    mask = rng.random(truth.shape[:2]) < 0.3
    assert metrics.delta_e_ciede2000(pred, truth, mask=mask) == pytest.approx(expected_map[mask].mean(), abs=1e-9)
    assert metrics.delta_e_ciede2000(truth, truth) == 0.0
    assert math.isnan(metrics.delta_e_ciede2000(pred, truth, mask=np.zeros(truth.shape[:2], bool)))


def test_colorfulness_values():
    gray = np.full((8, 8, 3), 128, np.uint8)
    assert metrics.colorfulness(gray) == 0.0
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255
    # Constant image: no spread; rg = 255, yb = 127.5 -> 0.3 * sqrt(255^2 + 127.5^2).
    assert metrics.colorfulness(red) == pytest.approx(0.3 * math.hypot(255, 127.5))
    pred, truth = real_pair()
    assert metrics.colorfulness_ratio(truth, truth) == pytest.approx(1.0)
    assert metrics.colorfulness_ratio(gray_version(truth), truth) < 0.05  # gray: almost no colour
    assert 0.3 < metrics.colorfulness_ratio(pred, truth) < 0.9  # desaturated by 0.6
    assert math.isnan(metrics.colorfulness_ratio(truth[:8, :8], gray))


def test_auc_bounds_and_a_brute_force_reference(rng):
    pred, truth = real_pair()
    assert metrics.ab_error_auc(truth, truth) == pytest.approx(1.0)
    # Reference: the fraction within each threshold by direct counting.
    errors = np.linalg.norm(skcolor.rgb2lab(pred)[..., 1:] - skcolor.rgb2lab(truth)[..., 1:], axis=-1)
    within = np.array([(errors <= t).mean() for t in range(151)])
    # The trapezoid rule on unit steps, by hand (np.trapezoid is NumPy >= 2.0 only).
    expected = (within.sum() - (within[0] + within[-1]) / 2) / 150
    assert metrics.ab_error_auc(pred, truth) == pytest.approx(expected, abs=1e-12)
    # A closer prediction scores higher than the gray baseline on a colourful photo.
    assert metrics.ab_error_auc(pred, truth) > metrics.ab_error_auc(gray_version(truth), truth)


def object_on_white(rng):
    """A red disc on a (JPEG-like, slightly noisy) white background, (48, 48, 3) uint8."""
    image = np.full((48, 48, 3), 255, np.int16) - rng.integers(0, 10, (48, 48, 3))
    yy, xx = np.mgrid[:48, :48]
    disc = (yy - 24) ** 2 + (xx - 24) ** 2 < 12**2
    image[disc] = (200, 30, 40)
    return image.astype(np.uint8), disc


def test_foreground_mask_and_masked_psnr(rng):
    truth, disc = object_on_white(rng)
    mask = metrics.foreground_mask(truth)
    assert mask.dtype == bool and mask.shape == (48, 48)
    np.testing.assert_array_equal(mask, disc)  # noise above 240 stays background
    gray = gray_version(truth)
    expected = skmetrics.peak_signal_noise_ratio(truth[disc], gray[disc], data_range=255)
    assert metrics.psnr_foreground(gray, truth) == pytest.approx(expected, abs=1e-9)
    # The white background flatters plain PSNR: the gray floor looks better than it is.
    assert metrics.psnr(gray, truth) > metrics.psnr_foreground(gray, truth) + 3
    all_white = np.full((16, 16, 3), 250, np.uint8)
    assert math.isnan(metrics.psnr_foreground(all_white, all_white))


def test_evaluate_pair_returns_every_metric(rng):
    truth, disc = object_on_white(rng)
    gray = gray_version(truth)
    result = metrics.evaluate_pair(gray, truth)
    assert tuple(result) == metrics.METRIC_KEYS
    assert result["psnr"] == pytest.approx(metrics.psnr(gray, truth, data_range=255))
    assert result["ssim"] == pytest.approx(metrics.ssim(gray, truth, data_range=255))
    assert result["deltaE"] == pytest.approx(metrics.delta_e_ciede2000(gray, truth))
    assert result["deltaE_fg"] == pytest.approx(metrics.delta_e_ciede2000(gray, truth, mask=disc))
    assert result["auc"] == pytest.approx(metrics.ab_error_auc(gray, truth))
    assert result["deltaE_fg"] > result["deltaE"]  # the error is all on the object


# ----------------------------------------------------------------------------- category_mean_interval
def test_category_mean_interval_matches_a_hand_computed_prediction_interval():
    from course_lib.metrics import category_mean_interval

    # a: 1, 3 (mean 2); b: 10, 12 (mean 11) -> category mean 6.5. Pooled variance:
    # (1 + 1 + 1 + 1) / (4 images - 2 categories) = 2. Measured here: 2 / 2**2 * (1/2 + 1/2) = 0.5;
    # a new set of 2 per category: 2 / (2 * 2) = 0.5; together 1.0 -> standard error 1.
    # Student t, 2 degrees of freedom, 95 %: 4.303 (any t table).
    mean, low, high = category_mean_interval([1.0, 3.0, 10.0, 12.0], ["a", "a", "b", "b"], per_category=2)
    assert mean == pytest.approx(6.5)
    assert (low, high) == (pytest.approx(6.5 - 4.303, abs=1e-3), pytest.approx(6.5 + 4.303, abs=1e-3))
    # 90 %: t = 2.920
    _, low, high = category_mean_interval([1.0, 3.0, 10.0, 12.0], ["a", "a", "b", "b"], per_category=2,
                                          confidence=0.90)
    assert high - low == pytest.approx(2 * 2.920, abs=1e-3)


def test_category_mean_interval_is_the_plain_mean_of_category_means_and_counts_single_image_categories():
    from course_lib.metrics import category_mean_interval

    # a: mean 2; b: a single image, 10 -> 6 (the image mean would be 4.67)
    mean, low, high = category_mean_interval([1.0, 3.0, 10.0], ["a", "a", "b"], per_category=1)
    assert mean == pytest.approx(6.0)
    # pooled variance 2 (one degree of freedom); here 2/4 * (1/2 + 1/1), new set 2/4 * 2 -> 1.75;
    # t(0.975, 1) = 12.706. Category b's one image adds its share although it shows no spread itself.
    assert high - mean == pytest.approx(12.706 * np.sqrt(1.75), abs=1e-2)


def test_category_mean_interval_narrows_with_more_images_and_widens_with_spread():
    from course_lib.metrics import category_mean_interval

    cats = ["a"] * 4 + ["b"] * 4
    assert category_mean_interval([2.0] * 8, cats) == (2.0, 2.0, 2.0)
    narrow = category_mean_interval([1.0, 1.1, 0.9, 1.0, 2.0, 2.1, 1.9, 2.0], cats)
    wide = category_mean_interval([0.0, 2.0, 0.5, 1.5, 1.0, 3.0, 1.5, 2.5], cats)
    assert narrow[0] == pytest.approx(wide[0]) == pytest.approx(1.5)
    assert wide[2] - wide[1] > 3 * (narrow[2] - narrow[1])
    big_new_set = category_mean_interval([0.0, 2.0, 0.5, 1.5, 1.0, 3.0, 1.5, 2.5], cats, per_category=50)
    assert big_new_set[2] - big_new_set[1] < wide[2] - wide[1]


def test_category_mean_interval_ignores_nan_and_refuses_bad_input():
    from course_lib.metrics import category_mean_interval

    assert category_mean_interval([1.0, np.nan, 3.0, 3.0], ["a", "a", "b", "b"])[0] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="one value per image"):
        category_mean_interval([1.0, 2.0], ["a"])
    with pytest.raises(ValueError, match="no finite value"):
        category_mean_interval([np.nan], ["a"])
    mean, low, high = category_mean_interval([1.0, 2.0, np.nan], ["a", "b", "b"])  # one value per category:
    assert mean == pytest.approx(1.5) and np.isnan(low) and np.isnan(high)  # no spread to go on
    with pytest.raises(ValueError, match="confidence"):
        category_mean_interval([1.0, 2.0], ["a", "a"], confidence=1.0)
    with pytest.raises(ValueError, match="per_category"):
        category_mean_interval([1.0, 2.0], ["a", "a"], per_category=0)
