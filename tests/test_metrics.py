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
    # Identical photos differ by nothing; older scikit-image (0.21) leaves ~1e-15 of rounding on some CPUs.
    assert metrics.delta_e_ciede2000(truth, truth) == pytest.approx(0.0, abs=1e-12)
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


# ------------------------------------------------- evaluate_pair in strips == the whole-image reference
#: How close the strip-wise evaluate_pair must come to the whole-image reference (issue 22): 1e-6 on
#: PSNR and SSIM, 1e-4 on ΔE and colourfulness; the others as tight as PSNR.
STRIP_TOLERANCE = {"psnr": 1e-6, "ssim": 1e-6, "rmse": 1e-6, "deltaE": 1e-4, "colorfulness_ratio": 1e-4,
                   "auc": 1e-6, "psnr_fg": 1e-6, "deltaE_fg": 1e-4}


def assert_same_scores(strips: dict, whole: dict) -> None:
    assert tuple(strips) == tuple(whole) == metrics.METRIC_KEYS
    for key in metrics.METRIC_KEYS:
        if math.isfinite(whole[key]):
            assert strips[key] == pytest.approx(whole[key], abs=STRIP_TOLERANCE[key], rel=0), key
        else:  # inf (a perfect match) or NaN (undefined) must stay what they are
            assert strips[key] == whole[key] or (math.isnan(strips[key]) and math.isnan(whole[key])), key


def colorized_pairs(height, width):
    """(prediction, truth) pairs of one size: a desaturated, hue-shifted photo; the gray baseline; a
    noisy object on white; the truth itself (PSNR inf); all white (no foreground); a colourless truth."""
    prediction, truth = real_pair()
    prediction, truth = prediction[:height, :width], truth[:height, :width]
    rng = np.random.default_rng(height * 1000 + width)
    noisy = np.clip(truth.astype(np.int16) + rng.integers(-20, 21, truth.shape), 0, 255).astype(np.uint8)
    white = np.full((height, width, 3), 250, np.uint8)
    return [(prediction, truth), (gray_version(truth), truth), (noisy, truth), (truth, truth),
            (white, white.copy()), (prediction, gray_version(truth))]


# Odd sizes, the smallest SSIM allows, and heights that are no multiple of the strips (37 = 5 * 7 + 2).
@pytest.mark.parametrize("height, width", [(11, 11), (12, 40), (37, 53), (130, 97), (256, 256), (201, 13)])
@pytest.mark.parametrize("strip_rows", [None, 1, 7, 64])
def test_strip_wise_evaluate_pair_equals_the_whole_image_reference(height, width, strip_rows):
    for prediction, truth in colorized_pairs(height, width):
        assert_same_scores(metrics.evaluate_pair(prediction, truth, strip_rows=strip_rows),
                           metrics.evaluate_pair_whole_image(prediction, truth))


def test_default_strips_split_a_large_photo(monkeypatch):
    """The default strip size really splits a photo larger than a strip (here one of 4096 pixels)."""
    prediction, truth = real_pair()  # 256 x 256: 16 strips of 16 rows
    seen = []
    original = metrics._strip_sums
    monkeypatch.setattr(metrics, "EVALUATION_STRIP_PIXELS", 4096)
    monkeypatch.setattr(metrics, "_strip_sums", lambda p, g, top, bottom: seen.append((top, bottom)) or
                        original(p, g, top, bottom))
    assert_same_scores(metrics.evaluate_pair(prediction, truth), metrics.evaluate_pair_whole_image(prediction, truth))
    assert seen == [(top, top + 16) for top in range(0, 256, 16)]


def test_strip_wise_evaluate_pair_on_real_ncd_photos(ncd_dir):
    """Real photos at their native size: three of different sizes (odd ones among them), each against
    its gray baseline and a plausible colorization."""
    from PIL import Image

    from course_lib.data import load_image, scan_dataset_summarized
    from course_lib.inference import gray_baseline

    def pixels(record):
        with Image.open(record.path) as image:
            return image.width * image.height

    records = sorted(scan_dataset_summarized(ncd_dir).records, key=pixels)
    records = [record for record in records if pixels(record) <= 1_000_000]  # the reference needs ~0.3 KB/px
    for record in (records[0], records[len(records) // 2], records[-1]):
        truth = load_image(record.path)
        lab = color.rgb_to_lab(truth)
        lab[..., 1:] *= 0.6
        plausible = color.to_uint8_rgb(color.lab_to_rgb(lab))
        for prediction in (gray_baseline(truth), plausible):
            assert_same_scores(metrics.evaluate_pair(prediction, truth),
                               metrics.evaluate_pair_whole_image(prediction, truth))


def test_evaluate_pair_refuses_bad_strips_and_tiny_images(rng):
    a = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    with pytest.raises(MetricInputError, match="strip_rows"):
        metrics.evaluate_pair(a, a, strip_rows=0)
    with pytest.raises(MetricInputError, match="at least 11"):
        metrics.evaluate_pair(a[:10], a[:10])
    with pytest.raises(MetricInputError, match="at least 11"):
        metrics.evaluate_pair_whole_image(a[:, :10], a[:, :10])


@pytest.mark.slow
def test_scoring_the_largest_ncd_photo_peaks_under_1_gb(ncd_dir, tmp_path):
    """Issue 22: scoring a photo at native size fits in Binder's memory. The largest photo of the dev
    copy (by pixel count; 12.8 MP) is scored in a fresh process, whose peak resident memory -- the
    OS's own count, interpreter, imports and both images included -- must stay under 1.0 GB. (The
    whole-image path peaked at 3.7 GB on it.) How and why it is measured so: tests/memory_probe.py."""
    from course_lib.data import load_image
    from course_lib.inference import gray_baseline
    from memory_probe import largest_photo, run_measured

    record = largest_photo(ncd_dir)
    truth = load_image(record.path)
    assert truth.shape[0] * truth.shape[1] > 5_000_000, f"the largest photo {record.relpath} is small: {truth.shape}"
    np.save(tmp_path / "truth.npy", truth)
    np.save(tmp_path / "prediction.npy", gray_baseline(truth))
    measured = run_measured(
        f"""
        import numpy as np
        from course_lib import metrics
        metrics._skcolor()  # imported here, so that the figure before scoring includes it
        truth, prediction = np.load({str(tmp_path / 'truth.npy')!r}), np.load({str(tmp_path / 'prediction.npy')!r})
        """,
        "report = metrics.evaluate_pair(prediction, truth)",
    )
    peak_mb, before_mb = measured["peak_bytes"] / 2**20, measured["before_bytes"] / 2**20
    print(f"{record.relpath} {truth.shape}: peak {peak_mb:.0f} MB, {before_mb:.0f} MB before scoring")
    assert measured["peak_bytes"] < 1.0e9, f"scoring {record.relpath} peaked at {peak_mb:.0f} MB"
    # The probe sees the scoring: the peak is above what the process held before it, by the strips' temporaries.
    assert measured["peak_bytes"] > measured["before_bytes"] + 20 * 2**20
    assert set(measured["result"]) == set(metrics.METRIC_KEYS) and 0 < measured["result"]["ssim"] <= 1


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
