"""course_lib.pipeline: decode + resize once, then (L_norm, ab_norm) batches from tf.data."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from course_lib import color, pipeline
from course_lib.data import ImageRecord


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Ten generated JPEGs/PNGs of different sizes and modes (never NCD images)."""
    folder = tmp_path_factory.mktemp("images") / "Fruit"
    folder.mkdir()
    rng = np.random.default_rng(7)
    out = []
    for i in range(10):
        height, width = int(rng.integers(20, 90)), int(rng.integers(20, 90))
        y, x = np.mgrid[0:height, 0:width]
        rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                        np.full_like(x, 40 * (i % 6))], -1).astype(np.uint8)
        path = folder / (f"f{i}.jpg" if i % 3 else f"f{i}.png")
        Image.fromarray(rgb if i != 4 else rgb[..., 0]).save(path)  # one grayscale file
        out.append(ImageRecord(path, "Fruit", f"Fruit/{path.name}"))
    return out


def test_load_images_resized_shape_order_and_content(records):
    images = pipeline.load_images_resized(records, 32, progress=False)
    assert images.shape == (10, 32, 32, 3) and images.dtype == np.uint8
    for i, record in enumerate(records):
        expected = np.asarray(Image.open(record.path).convert("RGB").resize((32, 32), Image.Resampling.LANCZOS))
        assert np.abs(images[i].astype(int) - expected).mean() < 2.0  # same picture, same order


def test_disk_cache_is_reused_and_invalidated(records, tmp_path, monkeypatch):
    first = pipeline.load_images_resized(records[:4], 16, cache=tmp_path, progress=False)
    assert len(list(tmp_path.glob("*.npy"))) == 1

    def must_not_decode(path, size):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(pipeline, "load_resized", must_not_decode)
    np.testing.assert_array_equal(pipeline.load_images_resized(records[:4], 16, cache=tmp_path), first)
    monkeypatch.undo()

    # A different size or file list is a different cache entry.
    pipeline.load_images_resized(records[:4], 8, cache=tmp_path, progress=False)
    pipeline.load_images_resized(records[:3], 16, cache=tmp_path, progress=False)
    assert len(list(tmp_path.glob("*.npy"))) == 3


def test_batches_shapes_dtypes_and_values(records):
    images = pipeline.load_images_resized(records, 32, progress=False)
    dataset = pipeline.make_dataset_from_images(images, batch_size=4)
    batches = list(dataset.as_numpy_iterator())
    assert [l.shape[0] for l, _ in batches] == [4, 4, 2]
    l_norm, ab_norm = batches[0]
    assert l_norm.shape == (4, 32, 32, 1) and ab_norm.shape == (4, 32, 32, 2)
    assert l_norm.dtype == np.float32 and ab_norm.dtype == np.float32
    # Without augmentation or shuffling, batches are exactly the NumPy conversion of the images.
    expected_l, expected_ab = color.rgb_to_model_io(images[:4])
    np.testing.assert_allclose(l_norm, expected_l, atol=0.5 / 50)  # 0.5 LAB units
    np.testing.assert_allclose(ab_norm, expected_ab, atol=0.5 / 128)
    assert -1.0 <= l_norm.min() and l_norm.max() <= 1.0 + 1e-5


def test_drop_remainder(records):
    images = pipeline.load_images_resized(records, 16, progress=False)
    dataset = pipeline.make_dataset_from_images(images, batch_size=4, drop_remainder=True)
    assert [l.shape[0] for l, _ in dataset.as_numpy_iterator()] == [4, 4]
    assert dataset.element_spec[0].shape.as_list() == [4, 16, 16, 1]


def _epoch(dataset):
    return np.concatenate([l for l, _ in dataset.as_numpy_iterator()])


@pytest.mark.parametrize("augment", [False, True])
def test_seeded_runs_are_identical_and_epochs_differ(records, augment):
    images = pipeline.load_images_resized(records, 24, progress=False)
    make = lambda seed: pipeline.make_dataset_from_images(  # noqa: E731
        images, batch_size=4, shuffle=True, augment=augment, seed=seed
    )
    run_a, run_b = make(5), make(5)
    first_a, second_a = _epoch(run_a), _epoch(run_a)
    np.testing.assert_array_equal(first_a, _epoch(run_b))  # same seed: same batches
    np.testing.assert_array_equal(second_a, _epoch(run_b))  # ... every epoch
    assert not np.array_equal(first_a, second_a)  # reshuffled (and re-augmented) each epoch
    assert not np.array_equal(first_a, _epoch(make(6)))  # another seed, another order


def test_shuffle_without_augment_is_a_permutation(records):
    images = pipeline.load_images_resized(records, 16, progress=False)
    plain = _epoch(pipeline.make_dataset_from_images(images, 3))
    shuffled = _epoch(pipeline.make_dataset_from_images(images, 3, shuffle=True, seed=1))
    key = lambda batch: sorted(float(x.sum()) for x in batch)  # noqa: E731
    np.testing.assert_allclose(key(plain), key(shuffled), rtol=1e-6)


def test_augmentation_flips_and_crops_but_keeps_the_picture(records):
    import tensorflow as tf

    constant = tf.fill([8, 24, 24, 3], 0.25)
    out = pipeline.augment_batch(constant, tf.constant([1, 2], tf.int64))
    np.testing.assert_allclose(out.numpy(), 0.25, atol=1e-6)  # a crop of a flat image is flat

    ramp = tf.tile(tf.reshape(tf.linspace(0.0, 1.0, 24), [1, 1, 24, 1]), [8, 24, 1, 3])
    out = pipeline.augment_batch(ramp, tf.constant([3, 4], tf.int64)).numpy()
    assert out.shape == (8, 24, 24, 3)
    rising = out[:, 12, -1, 0] > out[:, 12, 0, 0]
    assert rising.any() and (~rising).any()  # some images flipped, some not
    # A crop keeps at least 65 % of the area: the horizontal range seen stays wide.
    spans = np.abs(out[:, 12, -1, 0] - out[:, 12, 0, 0])
    assert spans.min() > 0.5


def test_make_dataset_from_records(records, tmp_path):
    dataset = pipeline.make_dataset(records, image_size=32, batch_size=5, augment=True, shuffle=True,
                                    cache_dir=tmp_path)
    l_norm, ab_norm = next(iter(dataset))
    assert tuple(l_norm.shape) == (5, 32, 32, 1) and tuple(ab_norm.shape) == (5, 32, 32, 2)
    assert list(tmp_path.glob("*.npy"))  # decoded images cached on disk


def test_bad_inputs(records):
    with pytest.raises(ValueError, match="uint8"):
        pipeline.make_dataset_from_images(np.zeros((2, 8, 8, 3), np.float32), 2)
    with pytest.raises(ValueError, match="no images"):
        pipeline.make_dataset_from_images(np.zeros((0, 8, 8, 3), np.uint8), 2)
    with pytest.raises(ValueError, match="batch_size"):
        pipeline.make_dataset_from_images(np.zeros((2, 8, 8, 3), np.uint8), 0)
    with pytest.raises(ValueError, match="image_size"):
        pipeline.load_images_resized(records, 0)


def test_real_ncd_images_through_the_pipeline(ncd_dir):
    import warnings

    from course_lib.data import scan_dataset, split_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        index = scan_dataset(ncd_dir, verify=False)
    test_split = split_dataset(index.records)["test"][:12]
    images = pipeline.load_images_resized(test_split, 64, progress=False)
    assert images.shape == (len(test_split), 64, 64, 3)
    # NCD photos are objects on white: the brightest corner pixels are near white.
    assert np.median(images[:, 0, 0].astype(int).min(axis=-1)) > 180
    l_norm, ab_norm = next(iter(pipeline.make_dataset_from_images(images, 4, augment=True, seed=0)))
    assert l_norm.shape == (4, 64, 64, 1) and ab_norm.shape == (4, 64, 64, 2)
