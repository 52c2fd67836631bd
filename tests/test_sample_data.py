"""course_lib.sample_data: the offline sample set of generated NCD-like images."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from course_lib import data, layout, sample_data
from course_lib.errors import CourseError, OutputPathError


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    return sample_data.make_sample_dataset(tmp_path_factory.mktemp("sample") / "s", per_category=3)


def test_layout_marker_and_scan(small_set):
    assert sample_data.is_sample_dataset(small_set)
    marker = (small_set / layout.SAMPLE_MARKER_NAME).read_text()
    assert "NOT the Natural-Color Dataset" in marker
    with warnings.catch_warnings():
        warnings.simplefilter("error", data.SkippedFileWarning)  # nothing may be skipped
        index = data.scan_dataset(small_set)
    assert index.categories == {name: 3 for name in sorted(sample_data.CATEGORIES)}
    assert len(sample_data.CATEGORIES) >= 6


def test_deterministic_from_the_seed(tmp_path):
    a = sample_data.make_sample_dataset(tmp_path / "a", per_category=1, categories=["Tomato", "Carrot"])
    b = sample_data.make_sample_dataset(tmp_path / "b", per_category=1, categories=["Tomato", "Carrot"])
    c = sample_data.make_sample_dataset(tmp_path / "c", per_category=1, categories=["Tomato", "Carrot"], seed=1)
    same = data.load_image(a / "Tomato" / "Tomato1.jpg"), data.load_image(b / "Tomato" / "Tomato1.jpg")
    np.testing.assert_array_equal(*same)
    other = data.load_image(c / "Tomato" / "Tomato1.jpg")
    assert other.shape != same[0].shape or np.abs(other.astype(int) - same[0]).mean() > 1


def test_images_vary_in_size_and_position(small_set):
    images = [data.load_image(p) for p in sorted((small_set / "Banana").glob("*.jpg"))]
    assert len({im.shape for im in images}) > 1


def _object_mean(image: np.ndarray) -> np.ndarray:
    """Mean RGB of the pixels that are clearly not the white background."""
    mask = image.astype(int).min(axis=-1) < 200
    return image[mask].mean(axis=0)


@pytest.mark.parametrize(
    "category, check",
    [
        ("Tomato", lambda r, g, b: r > 1.8 * g and r > 1.8 * b),  # red
        ("Lemon", lambda r, g, b: r > 1.5 * b and g > 1.5 * b),  # yellow
        ("Cucumber", lambda r, g, b: g > 1.3 * r and g > 1.3 * b),  # green
        ("Carrot", lambda r, g, b: r > g > b),  # orange
        ("Brinjal", lambda r, g, b: b > g and r > g),  # purple
    ],
)
def test_objects_have_their_characteristic_colour_on_white(small_set, category, check):
    for path in sorted((small_set / category).glob("*.jpg")):
        image = data.load_image(path)
        corners = np.concatenate([image[:5, :5], image[:5, -5:], image[-5:, :5], image[-5:, -5:]]).reshape(-1, 3)
        assert corners.mean() > 235, "background should be white"
        object_fraction = (image.astype(int).min(axis=-1) < 200).mean()
        assert 0.02 < object_fraction < 0.7
        assert check(*_object_mean(image)), f"{path.name}: mean colour {_object_mean(image)}"


def test_textured_not_flat(small_set):
    image = data.load_image(sorted((small_set / "Orange").glob("*.jpg"))[0]).astype(float)
    mask = image.min(axis=-1) < 200
    assert image[mask].std(axis=0).mean() > 5  # shading and texture, not a flat disc


def test_reuses_a_matching_set_and_regenerates_on_change(tmp_path):
    root = sample_data.make_sample_dataset(tmp_path / "s", per_category=1, categories=["Lemon"])
    stamp = (root / "Lemon" / "Lemon1.jpg").stat().st_mtime_ns
    sample_data.make_sample_dataset(tmp_path / "s", per_category=1, categories=["Lemon"])
    assert (root / "Lemon" / "Lemon1.jpg").stat().st_mtime_ns == stamp  # reused, not rewritten
    sample_data.make_sample_dataset(tmp_path / "s", per_category=2, categories=["Lemon"])
    assert sorted(p.name for p in (root / "Lemon").iterdir()) == ["Lemon1.jpg", "Lemon2.jpg"]


def test_never_writes_into_a_folder_that_is_not_a_sample_set(tmp_path):
    real = tmp_path / "ncd" / "Apple"
    real.mkdir(parents=True)
    (real / "Apple1.jpg").write_bytes(b"pretend NCD")
    with pytest.raises(OutputPathError, match="not the offline sample set"):
        sample_data.make_sample_dataset(tmp_path / "ncd", per_category=1)
    assert sorted(p.name for p in (tmp_path / "ncd").rglob("*")) == ["Apple", "Apple1.jpg"]


def test_bad_arguments(tmp_path):
    with pytest.raises(CourseError, match="unknown sample categor"):
        sample_data.make_sample_dataset(tmp_path / "x", categories=["Durian"])
    with pytest.raises(CourseError, match="at least 1"):
        sample_data.make_sample_dataset(tmp_path / "x", per_category=0)
    with pytest.raises(CourseError):
        sample_data.make_sample_image("Durian")


def test_make_sample_image_shape():
    image = sample_data.make_sample_image("Banana", size=(50, 70))
    assert image.shape == (50, 70, 3) and image.dtype == np.uint8


def test_a_file_in_the_way_is_a_course_error(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(OutputPathError, match="is a file, not a folder; choose a folder .* with --dest"):
        sample_data.make_sample_dataset(tmp_path / "taken", per_category=1)
    with pytest.raises(OutputPathError, match="cannot create the folder .* choose a writable folder with --dest"):
        sample_data.make_sample_dataset(tmp_path / "taken" / "inside", per_category=1)
