"""Colour as classification (course_lib.classification): each piece on small hand-computed cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from course_lib import classification as cl

E2, E4 = math.exp(-2), math.exp(-4)  # Gaussian weights at distance 10 and 10*sqrt(2) for sigma 5


# ----------------------------------------------------------------------------- quantisation
def test_grid_has_23_by_23_centres_every_10_units():
    grid = cl.ab_grid()
    assert grid.shape == (23 * 23, 2) and grid.dtype == np.float32
    assert tuple(grid[0]) == (-110, -110) and tuple(grid[-1]) == (110, 110)
    assert np.all(grid % 10 == 0)


def test_bins_are_grid_centres_inside_the_gamut():
    from course_lib.color import in_gamut

    grid = {tuple(c) for c in cl.ab_grid()}
    centre, cell = cl.ab_bins(test="centre"), cl.ab_bins(test="cell")
    assert {tuple(c) for c in cell} <= grid and {tuple(c) for c in centre} <= {tuple(c) for c in cell}
    assert (0, 0) in {tuple(c) for c in centre}
    # A centre-test bin really is showable at some L; a far corner is not a bin.
    lightness = np.arange(0, 101, dtype=np.float32)
    for a, b in centre[::37]:
        lab = np.stack([lightness, np.full(101, a), np.full(101, b)], axis=-1)
        assert in_gamut(lab).any()
    assert (-110, -110) not in {tuple(c) for c in cell}
    # Coarser L sampling finds fewer bins; the cell test more than the centre test.
    counts = cl.bin_counts()
    assert counts["centre, L every 10"] <= counts["centre, L every 1"] < counts["cell, L every 1"]
    assert len(cl.ab_bins()) == counts["cell, L every 1"]  # the default


def test_every_srgb_colour_has_its_own_cell_among_the_bins():
    from course_lib.color import rgb_to_lab

    levels = np.linspace(0, 255, 16).astype(np.uint8)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 1, 3)
    ab = rgb_to_lab(rgb)[..., 1:].reshape(-1, 2)
    bins = cl.ab_bins()
    nearest = bins[cl.nearest_bin(ab, bins)]
    assert np.abs(nearest - ab).max() <= 5 + 1e-3  # the colour's own 10 x 10 cell


def test_bins_reject_bad_arguments():
    with pytest.raises(ValueError, match="test must be one of"):
        cl.ab_bins(test="corner")
    with pytest.raises(ValueError, match="l_step must be a positive"):
        cl.ab_bins(l_step=0)


# ----------------------------------------------------------------------------- soft encoding
BINS = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [20, 0], [-10, 0]], np.float32)


def test_soft_encoding_of_a_pixel_on_a_bin_centre():
    # Distances from (0, 0): 0, 10, 10, 10*sqrt(2), 20, 10 -> the 5 nearest leave out (20, 0).
    z = cl.soft_encode([[0.0, 0.0]], BINS)[0]
    total = 1 + 3 * E2 + E4
    np.testing.assert_allclose(z, [1 / total, E2 / total, E2 / total, E4 / total, 0, E2 / total], rtol=1e-5)
    assert z.dtype == np.float32 and math.isclose(z.sum(), 1, rel_tol=1e-6)


def test_soft_encoding_with_one_neighbour_is_one_hot_and_ties_go_to_the_lower_bin():
    z = cl.soft_encode(np.array([[5.0, 0.0], [19.0, 1.0]]), BINS, neighbours=1)
    np.testing.assert_array_equal(z, np.eye(6, dtype=np.float32)[[0, 4]])  # (5, 0): bins 0 and 1 tie
    two = cl.soft_encode([[5.0, 0.0]], BINS, neighbours=2)[0]
    np.testing.assert_allclose(two[:2], [0.5, 0.5])  # equidistant: equal weights


def test_soft_encoding_keeps_leading_shape_and_validates_once():
    ab = np.zeros((2, 3, 4, 2), np.float32)
    assert cl.soft_encode(ab, BINS).shape == (2, 3, 4, 6)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        cl.soft_encode(np.zeros((3, 3)), BINS)
    with pytest.raises(ValueError, match="neighbours must be an integer from 1"):
        cl.soft_encode(ab, BINS, neighbours=7)
    with pytest.raises(ValueError, match="sigma must be a positive"):
        cl.soft_encode(ab, BINS, sigma=0)
    with pytest.raises(ValueError, match="NaN"):
        cl.soft_encode([[np.nan, 0]], BINS)


def _realistic_ab(n=600, seed=0):
    from course_lib.color import rgb_to_lab

    rgb = np.random.default_rng(seed).integers(0, 256, (n, 1, 3), dtype=np.uint8)
    return rgb_to_lab(rgb)[..., 1:].reshape(-1, 2)


def test_tf_soft_encoding_matches_numpy_eagerly_and_in_a_tf_data_pipeline():
    import tensorflow as tf

    bins = cl.ab_bins()
    ab = np.concatenate([_realistic_ab(), [[0.0, 0.0], [5.0, 5.0], [123.0, -127.0]]]).astype(np.float32)
    want = cl.soft_encode(ab, bins)
    np.testing.assert_allclose(cl.tf_soft_encode(ab, bins).numpy(), want, atol=1e-6)
    # What the pipeline sees: batches of ab_norm images (B, S, S, 2), encoded inside a tf.data map.
    images = (ab[:600].reshape(6, 10, 10, 2) / 128.0).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(4).map(lambda x: cl.tf_soft_encode(x * 128.0, bins))
    got = np.concatenate([batch.numpy() for batch in dataset])
    np.testing.assert_allclose(got, cl.soft_encode(images * 128.0, bins), atol=1e-6)
    assert got.shape == (6, 10, 10, len(bins))


# ----------------------------------------------------------------------------- rebalancing
def test_empirical_distribution_counts_nearest_bins():
    bins = BINS[:3]
    p = cl.empirical_distribution([[1, 1], [9, 0], [0, 11], [2, -1]], bins)
    np.testing.assert_allclose(p, [0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match="empty"):
        cl.empirical_distribution(np.zeros((0, 2)), bins)


def test_smoothing_spreads_each_bins_mass_with_a_gaussian():
    bins = np.array([[0, 0], [10, 0]], np.float32)
    np.testing.assert_allclose(cl.smooth_distribution([1, 0], bins), [1 / (1 + E2), E2 / (1 + E2)])
    far = np.array([[0, 0], [1000, 0]], np.float32)
    np.testing.assert_allclose(cl.smooth_distribution([0.75, 0.25], far), [0.75, 0.25])


def test_rebalancing_weights_by_hand():
    far = np.array([[0, 0], [1000, 0]], np.float32)  # too far apart for the smoothing to matter
    # 1 / (0.5 * 0.75 + 0.5 / 2) = 1.6 and 1 / (0.5 * 0.25 + 0.25) = 8/3; E = 0.75 * 1.6 + 0.25 * 8/3 = 28/15.
    w = cl.rebalancing_weights([0.75, 0.25], far)
    np.testing.assert_allclose(w, [6 / 7, 10 / 7])
    np.testing.assert_allclose(np.dot([0.75, 0.25], w), 1.0)  # the expected weight is 1
    np.testing.assert_allclose(cl.rebalancing_weights([3, 1], far), w)  # counts are normalised
    np.testing.assert_allclose(cl.rebalancing_weights([0.75, 0.25], far, uniform_mix=1.0), [1, 1])
    with pytest.raises(ValueError, match=r"uniform_mix \(lambda\) must be in \(0, 1\]"):
        cl.rebalancing_weights([0.75, 0.25], far, uniform_mix=0)
    with pytest.raises(ValueError, match="one probability per bin"):
        cl.rebalancing_weights([1.0], far)


def test_rebalancing_makes_rare_colours_weigh_more_on_real_bins():
    bins = cl.ab_bins()
    p = cl.empirical_distribution(np.concatenate([np.zeros((900, 2)), _realistic_ab(100)]), bins)
    w = cl.rebalancing_weights(p, bins)
    gray = cl.nearest_bin([0, 0], bins)
    assert w[gray] == w.min() and w.max() / w.min() > 5
    np.testing.assert_allclose(np.dot(cl.smooth_distribution(p, bins), w), 1.0)


# ----------------------------------------------------------------------------- annealed mean
def test_annealed_mean_by_hand():
    bins = np.array([[0, 0], [10, 0]], np.float32)
    logits = np.log([[0.75, 0.25]]).astype(np.float32)
    np.testing.assert_allclose(cl.annealed_mean(logits, bins, 1.0), [[2.5, 0]], atol=1e-5)  # the mean
    # T = 0.5 squares the probabilities: 0.5625 : 0.0625 -> 0.9 : 0.1 -> a = 1.
    np.testing.assert_allclose(cl.annealed_mean(logits, bins, 0.5), [[1.0, 0]], atol=1e-5)
    np.testing.assert_array_equal(cl.annealed_mean(logits, bins, 0.0), [[0, 0]])  # the mode
    np.testing.assert_allclose(cl.annealed_mean(logits, bins, 0.01), [[0, 0]], atol=1e-4)
    np.testing.assert_allclose(cl.annealed_mean(logits + 7.0, bins, 1.0), [[2.5, 0]], atol=1e-5)  # logits, any shift


def test_annealed_mean_of_a_bimodal_distribution():
    # Red or green, never in between: the mean (T = 1) is a gray that neither mode is.
    bins = np.array([[-50, 0], [0, 0], [50, 0]], np.float32)
    logits = np.log(np.array([[0.55, 1e-6, 0.45]], np.float32))
    assert abs(cl.annealed_mean(logits, bins, 1.0)[0, 0]) < 6
    assert cl.annealed_mean(logits, bins, 0.05)[0, 0] < -45  # (0.55 / 0.45) ** 20 = 55 : 1 for the mode


def test_tf_annealed_mean_matches_numpy():
    bins = cl.ab_bins()
    logits = np.random.default_rng(3).normal(0, 3, (4, 5, len(bins))).astype(np.float32)
    for t in (1.0, 0.38, 0.1):
        np.testing.assert_allclose(cl.tf_annealed_mean(logits, bins, t).numpy(), cl.annealed_mean(logits, bins, t),
                                   atol=1e-3)


def test_annealed_mean_validates():
    bins = BINS
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 6\)"):
        cl.annealed_mean(np.zeros((2, 5), np.float32), bins)
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        cl.annealed_mean(np.zeros((2, 6), np.float32), bins, -1)
    with pytest.raises(TypeError, match="floats"):
        cl.annealed_mean(np.zeros((2, 6), np.int64), bins)


# ----------------------------------------------------------------------------- loss and run file
def test_rebalanced_cross_entropy_by_hand():
    bins = BINS
    weights = np.array([2.0, 1, 1, 1, 1, 1], np.float32)
    ab = np.array([[0.0, 0.0]], np.float32)
    uniform = np.zeros((1, 6), np.float32)  # softmax: 1/6 everywhere -> cross-entropy log 6
    loss = cl.tf_rebalanced_cross_entropy(ab, uniform, bins, weights).numpy()
    np.testing.assert_allclose(loss, [2.0 * math.log(6)], rtol=1e-5)  # weight of the nearest bin, 0
    z = cl.soft_encode(ab, bins)
    logits = np.array([[3.0, 0, 1, 0, -2, 0.5]], np.float32)
    log_p = logits - np.log(np.exp(logits).sum())
    np.testing.assert_allclose(cl.tf_rebalanced_cross_entropy(ab, logits, bins, weights).numpy(),
                               [-2.0 * (z * log_p).sum()], rtol=1e-5)
    with pytest.raises(ValueError, match="weights must be 6"):
        cl.tf_rebalanced_cross_entropy(ab, uniform, bins, weights[:3])


def test_run_temperature_reads_run_json(tmp_path):
    model = tmp_path / "model.keras"
    assert cl.run_temperature(model)[0] == cl.ZHANG_TEMPERATURE
    (tmp_path / cl.RUN_FILE).write_text(json.dumps({"temperature": 0.2}))
    assert cl.run_temperature(model)[0] == 0.2 and cl.run_temperature(tmp_path)[0] == 0.2
    assert cl.run_temperature(model, 0.7) == (0.7, "given")


def _decoding(t, upsampling, psnr, low, high):
    return {"temperature": t, "upsampling": upsampling, "psnr": psnr, "colorfulness_ratio": (low + high) / 2,
            "colorfulness_low": low, "colorfulness_high": high}


def test_choose_decoding_wants_the_whole_interval_inside_the_band():
    table = [_decoding(1.0, "guided", 24.0, 0.90, 1.00),  # best PSNR, but its interval dips below 0.98
             _decoding(0.2, "guided", 23.5, 0.99, 1.10),
             _decoding(0.0, "bilinear", 23.0, 1.05, 1.20),
             _decoding(0.0, "guided", 23.8, 1.20, 1.35)]  # garish end sticks out of the band
    row, inside = cl.choose_decoding(table)
    assert inside and (row["temperature"], row["upsampling"]) == (0.2, "guided")
    assert cl.choose_decoding(table, band=(1.04, 1.30))[0]["upsampling"] == "bilinear"


def test_choose_decoding_says_when_nothing_qualifies():
    table = [_decoding(1.0, "guided", 24.0, 0.80, 0.90), _decoding(0.0, "guided", 22.0, 0.93, 1.02)]
    row, inside = cl.choose_decoding(table)
    assert not inside and row["temperature"] == 0.0  # sticks out by 0.05, the other by 0.18
    with pytest.raises(ValueError, match="no decoding"):
        cl.choose_decoding([])
    with pytest.raises(ValueError, match="low < high"):
        cl.choose_decoding(table, band=(1.3, 0.98))


def test_choose_decoding_never_takes_a_row_without_an_interval():
    table = [_decoding(0.2, "guided", 24.0, float("nan"), float("nan")),  # too few photos for an interval
             _decoding(0.0, "guided", 22.0, 1.00, 1.20)]
    table[0]["colorfulness_ratio"] = 1.10
    row, inside = cl.choose_decoding(table)
    assert inside and row["temperature"] == 0.0
    row, inside = cl.choose_decoding(table[:1] + [_decoding(0.0, "guided", 22.0, 0.70, 0.90)])
    assert not inside and row["temperature"] == 0.2  # its mean is inside the band: closest


def test_decoding_table_scores_every_candidate_at_native_resolution():
    from course_lib.colorizer import Colorizer
    from course_lib.errors import CourseError
    from course_lib.evaluate import decoding_table
    from course_lib.metrics import psnr
    from course_lib.model import build_colorizer

    model = build_colorizer(32, weights=None, encoder_blocks=2, decoder_width=4, head="classification")
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 256, (40 + 7 * i, 50, 3), dtype=np.uint8) for i in range(3)]
    table = decoding_table(model, photos, ["a", "a", "b"], temperatures=(0.0, 1.0), upsamplings=("guided", "bilinear"),
                           batch_size=2)
    assert [(row["temperature"], row["upsampling"]) for row in table] == [
        (0.0, "guided"), (0.0, "bilinear"), (1.0, "guided"), (1.0, "bilinear")]
    for row in table:
        assert row["colorfulness_low"] <= row["colorfulness_ratio"] <= row["colorfulness_high"]
        assert row["psnr_low"] <= row["psnr"] <= row["psnr_high"] and np.isfinite(row["psnr_images"])
    # a regression model has only its upsamplings to choose from, each scored as colorize decodes it
    regression = build_colorizer(32, weights=None, encoder_blocks=2, decoder_width=4)
    rows = decoding_table(regression, photos, ["a"] * 3)
    assert [(row["temperature"], row["upsampling"]) for row in rows] == [(None, "guided"), (None, "bilinear")]
    for row in rows:
        want = np.mean([psnr(Colorizer.from_model(regression, upsampling=row["upsampling"]).colorize(p), p,
                             data_range=255) for p in photos])
        assert row["psnr_images"] == pytest.approx(want, abs=1e-4)
    with pytest.raises(CourseError, match="one category each"):
        decoding_table(model, photos, ["a"])


def test_run_upsampling_reads_run_json(tmp_path):
    assert cl.run_upsampling(tmp_path / "model.keras") == "guided"
    (tmp_path / cl.RUN_FILE).write_text(json.dumps({"temperature": 0.2, "upsampling": "bilinear"}))
    assert cl.run_upsampling(tmp_path / "model.keras") == "bilinear"


def test_train_cli_classification_head_writes_run_json_and_colorizes(tmp_path):
    from course_lib import cli
    from course_lib.classification_head import is_classification_model
    from course_lib.colorizer import Colorizer
    from course_lib.model import load_colorizer
    from course_lib.sample_data import CATEGORIES, make_sample_dataset

    data = make_sample_dataset(tmp_path / "sample", per_category=6, categories=list(CATEGORIES)[:2], min_side=40,
                               max_side=64)
    out = tmp_path / "run"
    code = cli.main(["train", "--data", str(data), "--out", str(out), "--recipe", "fast", "--weights", "none",
                     "--head", "classification", "--epochs", "1"])
    assert code == 0
    info = json.loads((out / cl.RUN_FILE).read_text())
    assert info["head"] == "classification" and info["temperature"] in cl.TEMPERATURE_CANDIDATES
    assert info["upsampling"] in cl.UPSAMPLING_CANDIDATES and isinstance(info["rule_met"], bool)
    assert len(info["temperature_candidates"]) == len(cl.TEMPERATURE_CANDIDATES) * len(cl.UPSAMPLING_CANDIDATES)
    assert info["n_bins"] == len(cl.ab_bins()) == len(info["rebalancing_weights"])
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert state["settings"]["head"] == "classification"
    assert is_classification_model(load_colorizer(out / "model.keras"))
    colorizer = Colorizer.load(out / "model.keras")
    assert (colorizer.temperature, colorizer.upsampling) == (info["temperature"], info["upsampling"])
    image = np.full((40, 50, 3), 120, np.uint8)
    assert colorizer(image).shape == (40, 50, 3)
    assert Colorizer.load(out, temperature=1.0).temperature == 1.0


def test_record_temperature_updates_run_json_and_keeps_history(tmp_path):
    (tmp_path / cl.RUN_FILE).write_text(json.dumps({"temperature": 0.7, "temperature_rule": "model resolution"}))
    info = cl.record_temperature(tmp_path / "model.keras", 0.38, "val split, protocol", {"0.38": {"psnr": 23.0}})
    assert cl.run_temperature(tmp_path / "model.keras")[0] == 0.38
    assert info["temperature_history"][0]["temperature"] == 0.7
    with pytest.raises(ValueError, match="no run.json"):
        cl.record_temperature(tmp_path / "elsewhere" / "model.keras", 0.5, "x")
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        cl.record_temperature(tmp_path, -1, "x")
