"""Colorizing at full resolution: sizes, modes, the L channel, saturation, the CLI (course_lib.colorizer's)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from course_lib import cli, color, inference
from course_lib.colorizer import Colorizer, colorize_files
from course_lib.data import load_image

SIZE = 32


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """An untrained (random) colorizer: its colours are arbitrary and often out of gamut,
    which is the hard case for keeping L."""
    import keras

    from course_lib.model import build_colorizer

    keras.utils.set_random_seed(7)
    path = tmp_path_factory.mktemp("model") / "model.keras"
    build_colorizer(SIZE, "unet", weights=None, encoder_blocks=2).save(path)
    return path


@pytest.fixture(scope="module")
def model(model_path):
    from course_lib.model import load_colorizer

    return load_colorizer(model_path)


@pytest.fixture(scope="module")
def colorizer(model_path):
    return Colorizer.load(model_path)


def _lightness(rgb):
    return color.rgb_to_lab(rgb)[..., 0]


def _assert_same_lightness(out, reference):
    """L of two RGB uint8 images agrees up to uint8 rounding (< 1 L unit anywhere)."""
    diff = np.abs(_lightness(out) - _lightness(reference))
    assert diff.max() < 1.0, diff.max()
    assert diff.mean() < 0.25, diff.mean()


def _photo(height, width, seed=0):
    """A smooth colourful picture with some texture, uint8 (H, W, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width, y / height, 0.5 + 0.4 * np.sin(x / 37.0 + y / 53.0)], axis=-1) * 230
    rgb += rng.normal(0, 6, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.mark.slow  # a 12 MP photo through the whole colorize command: 20 s, a full-suite workload
def test_large_rgb_photo_keeps_resolution_and_lightness(model_path, tmp_path):
    src = tmp_path / "photo.jpg"
    Image.fromarray(_photo(3000, 4000)).save(src, quality=90)
    out_dir = tmp_path / "out"
    assert cli.main(["colorize", "--model", str(model_path), str(src), "--out", str(out_dir)]) == 0
    out = np.asarray(Image.open(out_dir / "photo_color.png"))
    assert out.shape == (3000, 4000, 3) and out.dtype == np.uint8
    # The decoded JPEG is the input: the output keeps its L up to uint8 rounding.
    _assert_same_lightness(out, load_image(src))


def test_grayscale_scan_and_transparent_png(model_path, tmp_path):
    scan = tmp_path / "scan.png"
    Image.fromarray(_lightness(_photo(300, 200, seed=1)).astype(np.uint8) * 2, mode="L").save(scan)
    rgba = np.dstack([_photo(120, 160, seed=2), np.tile(np.linspace(0, 255, 160, dtype=np.uint8), (120, 1))])
    logo = tmp_path / "logo.png"
    Image.fromarray(rgba, mode="RGBA").save(logo)

    written = colorize_files(model_path, [scan, logo], tmp_path / "out", progress=False)
    assert [p.name for p in written] == ["scan_color.png", "logo_color.png"]
    for src, dst, shape in zip([scan, logo], written, [(300, 200, 3), (120, 160, 3)], strict=True):
        out = np.asarray(Image.open(dst))
        assert out.shape == shape
        _assert_same_lightness(out, load_image(src))  # transparency composited onto white first
    # The scan gets colour: a model output, not a copy of the gray input.
    assert np.abs(color.rgb_to_lab(np.asarray(Image.open(written[0])))[..., 1:]).mean() > 1.0


def test_colorize_many_batches_keep_each_size(model, colorizer):
    images = [_photo(50, 70), _photo(33, 33)[..., 0], _photo(64, 20) / 255.0]
    outputs = colorizer.colorize_many(images, batch_size=2, progress=False)
    assert [o.shape for o in outputs] == [(50, 70, 3), (33, 33, 3), (64, 20, 3)]
    # Batched prediction gives the same result as one image at a time.
    np.testing.assert_array_equal(outputs[0], inference.colorize_image(model, images[0]))
    np.testing.assert_array_equal(outputs[0], colorizer.colorize(images[0]))


def test_saturation_scales_ab_and_zero_is_the_gray_baseline(model):
    photo = _photo(40, 60)
    gray = inference.gray_baseline(photo)
    _assert_same_lightness(gray, photo)
    assert np.abs(color.rgb_to_lab(gray)[..., 1:]).max() < 1.0  # neutral: a = b = 0
    np.testing.assert_array_equal(inference.colorize_image(model, photo, saturation=0.0), gray)

    ab_small = inference.predict_ab(model, [photo])[0] * 0.1  # small: stays inside the gamut
    half = color.rgb_to_lab(inference.recombine(photo, ab_small, saturation=0.5))[..., 1:]
    full = color.rgb_to_lab(inference.recombine(photo, ab_small, saturation=1.0))[..., 1:]
    mid_lightness = np.abs(color.rgb_to_lab(photo)[..., 0] - 50) < 30  # far from black/white: no gamut limit
    np.testing.assert_allclose(full[mid_lightness], 2 * half[mid_lightness], atol=2.5)  # uint8 rounding
    assert np.abs(full[mid_lightness] - 2 * half[mid_lightness]).mean() < 0.5
    with pytest.raises(Exception, match="saturation"):
        inference.recombine(photo, ab_small, saturation=-1)


def test_colorize_emits_no_warnings(model, colorizer):
    """Out-of-gamut predictions (common with an untrained model) are handled silently:
    no scikit-image "negative Z values" warning, nor any other, for a notebook to show."""
    import warnings

    photo = _photo(90, 120, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = inference.colorize_image(model, photo, saturation=2.0)  # extra chroma: far out of gamut
        colorizer.colorize_many([photo, photo[:50]], progress=False)
        inference.gray_baseline(photo)
        color.lab_to_rgb(np.array([[[30.0, -120.0, 120.0], [5.0, 100.0, -127.0]]]))
    assert out.shape == photo.shape


def test_recombine_is_colors_gamut_fitted_conversion_in_strips(monkeypatch):
    """Full-resolution recombination = course_lib.color.lab_to_rgb_uint8 (one conversion for
    colorize, evaluate and training), whatever the strip size."""
    photo = _photo(70, 50, seed=4)
    ab = np.random.default_rng(5).uniform(-120, 120, (70, 50, 2)).astype(np.float32)  # mostly out of gamut
    expected = color.lab_to_rgb_uint8(np.concatenate([color.rgb_uint8_to_lightness(photo), ab], axis=-1))
    monkeypatch.setattr(inference, "STRIP_ROWS", 16)  # 5 strips, the last one short
    # bilinear: ab is already at full size, so this compares the conversion alone
    np.testing.assert_array_equal(inference.recombine(photo, ab, upsampling="bilinear"), expected)
    np.testing.assert_allclose(inference.lightness_of(photo), color.rgb_to_lab(photo)[..., :1], atol=1e-3)


def test_colorize_cli_errors_are_one_line(tmp_path, capsys, model_path):
    assert cli.main(["colorize", "--model", str(tmp_path / "none.keras"), str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "model file not found" in capsys.readouterr().err
    assert cli.main(["colorize", "--model", str(model_path), str(tmp_path / "x.jpg"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_guided_upsampling_puts_colour_edges_on_the_lightness_edges():
    from course_lib.inference import upsample_ab

    # A 64x64 photo: a dark object on the left half, white background on the right.
    lightness = np.full((64, 64, 1), 100.0, np.float32)
    lightness[:, :32] = 40.0
    # The model's 8x8 guess: colour on the left half, none on the right (a blurred edge once zoomed).
    ab_small = np.zeros((8, 8, 2), np.float32)
    ab_small[:, :4] = (30.0, 20.0)
    bilinear = upsample_ab(lightness, ab_small, "bilinear")
    guided = upsample_ab(lightness, ab_small, "guided")
    assert guided.shape == bilinear.shape == (64, 64, 2)
    edge = slice(28, 36)  # the columns where bilinear zooming smears colour across the edge
    leak_bilinear = np.abs(bilinear[:, 32:36]).mean()
    leak_guided = np.abs(guided[:, 32:36]).mean()
    assert leak_guided < 0.5 * leak_bilinear  # less colour bleeds onto the white background
    assert np.abs(guided[:, edge.start:32] - (30.0, 20.0)).mean() < np.abs(bilinear[:, edge.start:32] - (30.0, 20.0)).mean()
    # A uniform colour stays exactly that colour, and gray stays gray.
    flat = upsample_ab(lightness, np.full((8, 8, 2), 7.0, np.float32), "guided")
    np.testing.assert_allclose(flat, 7.0, atol=1e-3)
    assert not upsample_ab(lightness, np.zeros((8, 8, 2), np.float32), "guided").any()


def test_unknown_upsampling_is_refused():
    from course_lib.errors import CourseError
    from course_lib.inference import upsample_ab

    with pytest.raises(CourseError, match="upsampling"):
        upsample_ab(np.zeros((4, 4, 1), np.float32), np.zeros((2, 2, 2), np.float32), "nearest")


def test_flip_averaging_makes_a_mirrored_photo_get_the_mirrored_colours(model):
    photo = _photo(SIZE, SIZE, seed=11)
    mirrored = photo[:, ::-1].copy()
    averaged = inference.predict_ab(model, [photo, mirrored])
    np.testing.assert_allclose(averaged[1], averaged[0][:, ::-1], atol=1e-3)
    plain = inference.predict_ab(model, [photo, mirrored], flip_average=False)
    assert np.abs(plain[1] - plain[0][:, ::-1]).max() > 1e-2  # a random model alone has handedness
    np.testing.assert_allclose(averaged[0], 0.5 * (plain[0] + plain[1][:, ::-1]), atol=1e-3)
