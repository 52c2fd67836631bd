"""course_lib.data: finding, loading, scanning and splitting NCD-style folders.

Every awkward image type is generated here with Pillow / tifffile; the real NCD
development copy is used through the ``ncd_dir`` fixture (skipped without it). Folder layouts
are tested in test_layout.py, where the data comes from in test_sources.py.
"""

from __future__ import annotations

import collections
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib import data
from course_lib.errors import CourseError, DataNotFoundError, ImageLoadError, SplitRatioError


# ------------------------------------------------------------------ helpers
def _save(array: np.ndarray, path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kwargs)
    return path


def _write_png_rgb16(path: Path, rgb16: np.ndarray) -> Path:
    """A 16-bit-per-channel RGB PNG, written by hand (Pillow cannot write one)."""
    height, width, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)  # bit depth 16, colour type 2 (RGB)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))
    return path


def _make_tree(root: Path, counts: dict[str, int], size=(24, 16)) -> Path:
    """<root>/<Category>/<Category><i>.jpg with solid-colour images."""
    rng = np.random.default_rng(0)
    for category, n in counts.items():
        for i in range(n):
            _save(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), root / category / f"{category}{i}.jpg")
    return root


# ---------------------------------------------------------------- load_image
def test_load_rgb_jpeg_gives_uint8_hw3(tmp_path, rng):
    path = _save(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), tmp_path / "a.jpg")
    image = data.load_image(path)
    assert image.dtype == np.uint8 and image.shape == (20, 30, 3)


def test_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 high
    stored[:, :20] = (255, 0, 0)  # left half red
    stored[:, 20:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.png"
    Image.fromarray(stored).save(path, exif=exif)

    image = data.load_image(path)
    assert image.shape == (40, 20, 3)  # displayed upright: 20 wide, 40 high
    np.testing.assert_array_equal(image[5, 10], (255, 0, 0))  # the left half went to the top
    np.testing.assert_array_equal(image[35, 10], (0, 0, 255))


def test_exif_orientation_with_reduced_scale_jpeg_decoding(tmp_path):
    stored = np.zeros((200, 400, 3), np.uint8)
    stored[:, :200] = (255, 0, 0)
    stored[:, 200:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(stored).save(path, exif=exif, progressive=True, quality=95)
    image = data.load_image(path, max_side=100)  # draft() decode, then rotation, then resize
    assert image.shape == (100, 50, 3)
    assert image[10, 25, 0] > 240 and image[10, 25, 2] < 15  # red on top
    assert image[90, 25, 2] > 240 and image[90, 25, 0] < 15  # blue below


def test_grayscale_l_becomes_three_equal_channels(tmp_path):
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    image = data.load_image(_save(gray, tmp_path / "gray.png"))
    assert image.shape == (16, 16, 3)
    for channel in range(3):
        np.testing.assert_array_equal(image[..., channel], gray)


def test_sixteen_bit_grayscale_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257 * 100, 257 * 200, 65535]], dtype=np.uint16)
    path = _save(values, tmp_path / "g16.png")
    assert Image.open(path).mode.startswith("I")  # really stored as 16-bit
    image = data.load_image(path)
    np.testing.assert_array_equal(image[0, :, 0], [0, 100, 200, 255])


def test_mode_i_tiff_is_read_as_sixteen_bit(tmp_path):
    values = np.array([[0, 257 * 50, 65535]], dtype=np.int32)
    path = tmp_path / "i32.tif"
    Image.fromarray(values, mode="I").save(path)
    assert Image.open(path).mode == "I"
    np.testing.assert_array_equal(data.load_image(path)[0, :, 1], [0, 50, 255])


def test_sixteen_bit_rgb_png_and_tiff(tmp_path, rng):
    import tifffile

    rgb16 = rng.integers(0, 65536, (6, 5, 3), dtype=np.uint16)
    expected = rgb16 / 257.0
    png = data.load_image(_write_png_rgb16(tmp_path / "rgb16.png", rgb16))
    tifffile.imwrite(tmp_path / "rgb16.tif", rgb16)
    tif = data.load_image(tmp_path / "rgb16.tif")
    for image in (png, tif):
        assert image.dtype == np.uint8 and image.shape == (6, 5, 3)
        assert np.abs(image - expected).max() <= 1.0  # high byte vs /257: at most one level apart


def test_palette_image_without_transparency(tmp_path):
    indices = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette([10, 200, 30, 250, 120, 0] + [0] * (256 * 3 - 6))
    image.save(tmp_path / "p.png")
    loaded = data.load_image(tmp_path / "p.png")
    np.testing.assert_array_equal(loaded[0, 0], (10, 200, 30))
    np.testing.assert_array_equal(loaded[0, 1], (250, 120, 0))


def test_palette_transparency_becomes_white(tmp_path):
    indices = np.array([[0, 1]], dtype=np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * (256 * 3 - 6))
    image.save(tmp_path / "pt.png", transparency=0)  # index 0 (black) is transparent
    loaded = data.load_image(tmp_path / "pt.png")
    np.testing.assert_array_equal(loaded[0, 0], (255, 255, 255))
    np.testing.assert_array_equal(loaded[0, 1], (200, 0, 0))


def test_gif_with_transparency(tmp_path):
    indices = np.array([[0, 1]], dtype=np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette([0, 0, 0, 0, 0, 200] + [0] * (256 * 3 - 6))
    image.save(tmp_path / "t.gif", transparency=0)
    loaded = data.load_image(tmp_path / "t.gif")
    np.testing.assert_array_equal(loaded[0, 0], (255, 255, 255))
    np.testing.assert_array_equal(loaded[0, 1], (0, 0, 200))


def _transparent_red_opaque_red_half_black() -> Image.Image:
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0, 0] = (200, 0, 0, 0)  # fully transparent red -> white
    rgba[0, 1] = (200, 0, 0, 255)  # opaque red stays red (LA: red's luminance, 60)
    rgba[0, 2] = (0, 0, 0, 128)  # half-transparent black -> mid grey
    return Image.fromarray(rgba, mode="RGBA")


@pytest.mark.parametrize("mode, opaque", [("RGBA", (200, 0, 0)), ("LA", (60, 60, 60))])
def test_alpha_is_composited_onto_white(tmp_path, mode, opaque):
    path = tmp_path / f"{mode}.png"
    _transparent_red_opaque_red_half_black().convert(mode).save(path)
    assert Image.open(path).mode == mode
    loaded = data.load_image(path).astype(int)
    np.testing.assert_array_equal(loaded[0, 0], (255, 255, 255))
    assert np.abs(loaded[0, 1] - opaque).max() <= 2
    assert np.abs(loaded[0, 2] - 127).max() <= 2


def test_palette_alpha_is_composited_onto_white():
    """PA, which Pillow cannot write to a file, through the same conversion."""
    rgba = _transparent_red_opaque_red_half_black()
    # Built from its bands: Pillow keeps the alpha in convert("PA") only from version 12 on.
    indices = rgba.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    palette_alpha = Image.merge("PA", (indices, rgba.getchannel("A")))
    palette_alpha.putpalette(indices.getpalette())
    loaded = np.asarray(data._to_rgb(palette_alpha)).astype(int)
    np.testing.assert_array_equal(loaded[0, 0], (255, 255, 255))
    assert np.abs(loaded[0, 1] - (200, 0, 0)).max() <= 2
    assert np.abs(loaded[0, 2] - 127).max() <= 2


def test_cmyk_is_converted(tmp_path):
    cmyk = np.zeros((2, 2, 4), np.uint8)
    cmyk[0, 0] = (255, 0, 0, 0)  # cyan
    cmyk[0, 1] = (0, 0, 0, 255)  # black via K
    Image.fromarray(cmyk, mode="CMYK").save(tmp_path / "cmyk.tif")
    Image.fromarray(cmyk, mode="CMYK").save(tmp_path / "cmyk.jpg", quality=100)
    tif = data.load_image(tmp_path / "cmyk.tif")
    np.testing.assert_array_equal(tif[0, 0], (0, 255, 255))
    np.testing.assert_array_equal(tif[0, 1], (0, 0, 0))
    np.testing.assert_array_equal(tif[1, 1], (255, 255, 255))  # no ink is white
    jpg = data.load_image(tmp_path / "cmyk.jpg")
    assert jpg.shape == (2, 2, 3) and jpg.dtype == np.uint8


def test_one_pixel_image(tmp_path):
    image = data.load_image(_save(np.full((1, 1, 3), 7, np.uint8), tmp_path / "one.png"), max_side=64)
    np.testing.assert_array_equal(image, np.full((1, 1, 3), 7, np.uint8))


def test_max_side_shrinks_keeping_aspect_and_matches_full_decode(tmp_path):
    y, x = np.mgrid[0:500, 0:1000]
    smooth = np.stack([x * 255 // 999, y * 255 // 499, np.full_like(x, 128)], -1).astype(np.uint8)
    path = _save(smooth, tmp_path / "big.jpg", quality=95)
    small = data.load_image(path, max_side=100)
    assert small.shape == (50, 100, 3)
    # The draft (reduced-scale) decode must not change the picture: compare with a full decode.
    reference = np.asarray(Image.open(path).convert("RGB").resize((100, 50), Image.Resampling.LANCZOS))
    assert np.abs(small.astype(int) - reference).mean() < 2.0
    assert data.load_image(path, max_side=2000).shape == (500, 1000, 3)  # never enlarged


def test_decompression_bomb_is_a_clear_error(tmp_path, monkeypatch):
    path = _save(np.zeros((100, 100, 3), np.uint8), tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 10 000 pixels > 2 x limit: Pillow refuses
    with pytest.raises(ImageLoadError, match="too large"):
        data.load_image(path)


@pytest.mark.parametrize("content", [b"\n", b"not an image at all", b""])
def test_non_image_file_raises_image_load_error(tmp_path, content):
    path = tmp_path / "a"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match="not an image"):
        data.load_image(path)


def test_truncated_jpeg_raises_image_load_error(tmp_path, rng):
    path = _save(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), tmp_path / "t.jpg")
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(ImageLoadError, match="corrupt or truncated"):
        data.load_image(path)


def test_missing_file_raises_image_load_error(tmp_path):
    with pytest.raises(ImageLoadError, match="does not exist"):
        data.load_image(tmp_path / "nope.jpg")


def test_max_side_must_be_positive(tmp_path):
    with pytest.raises(CourseError, match="max_side must be a positive number"):
        data.load_image(tmp_path / "x.jpg", max_side=0)


# -------------------------------------------------------------- scan_dataset
def test_a_scan_sees_a_file_changed_since_the_last_scan(tmp_path, rng):
    """Scans remember each file's check by its size, time of change and inode: a file cut, fixed or
    replaced afterwards is checked again."""
    root = _make_tree(tmp_path / "ncd", {"Banana": 2, "Apple": 2})
    photo = sorted((root / "Banana").glob("*.jpg"))[0]
    good = photo.read_bytes()
    assert len(data.scan_dataset(root).records) == 4
    photo.write_bytes(good[:300])
    assert [s.path for s in data.scan_dataset(root).skipped] == [photo]
    photo.write_bytes(good)
    assert len(data.scan_dataset(root).records) == 4 and not data.scan_dataset(root).skipped
    replacement = _save(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8), tmp_path / "other.jpg")
    replacement.replace(photo)  # another file under the same name
    assert {r.path: r.size for r in data.scan_dataset(root).records}[photo] == (30, 40)


def test_scan_lists_images_and_skips_strays_with_warnings(tmp_path, rng):
    root = _make_tree(tmp_path / "wrap" / "Colour Images Dataset", {"Banana": 3, "Apple": 2})
    (root / "Apple" / "a").write_bytes(b"\n")  # the one-letter strays of the public copies
    (root / "Banana" / "we").write_bytes(b"\n")
    truncated = _save(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), root / "Banana" / "cut.jpg")
    truncated.write_bytes(truncated.read_bytes()[:300])
    _save(np.zeros((4, 4, 4), np.uint8), root / "Apple" / "alpha.png")  # a PNG counts too
    (root / "Apple" / "nested").mkdir()

    with pytest.warns(data.SkippedFileWarning) as caught:
        index = data.scan_dataset(tmp_path / "wrap")

    assert index.root == root
    assert index.categories == {"Apple": 3, "Banana": 3}
    assert list(index.categories) == ["Apple", "Banana"]  # sorted by name
    assert [r.relpath for r in index.records][:3] == ["Apple/Apple0.jpg", "Apple/Apple1.jpg", "Apple/alpha.png"]
    assert all(r.size is not None for r in index.records)
    reasons = {s.path.relative_to(root).as_posix(): s.reason for s in index.skipped}
    assert set(reasons) == {"Apple/a", "Banana/we", "Banana/cut.jpg", "Apple/nested"}
    assert reasons["Apple/a"] == "not an image file"
    assert "truncated" in reasons["Banana/cut.jpg"]
    messages = [str(w.message) for w in caught]
    assert any("Banana/we" in m or str(root / "Banana" / "we") in m for m in messages)
    assert len(messages) == len(index.skipped)


def test_scan_without_verify_trusts_file_endings(tmp_path):
    root = _make_tree(tmp_path, {"Apple": 2})
    (root / "Apple" / "b").write_bytes(b"\n")
    (root / "Apple" / "fake.jpg").write_bytes(b"not really")  # not opened without verify
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.SkippedFileWarning)
        index = data.scan_dataset(root, verify=False)
    assert index.categories == {"Apple": 3}
    assert [s.path.name for s in index.skipped] == ["b"]


def test_scan_with_no_usable_image_is_an_error(tmp_path):
    (tmp_path / "Apple").mkdir()
    (tmp_path / "Apple" / "x.jpg").write_bytes(b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.SkippedFileWarning)
        with pytest.raises(DataNotFoundError, match="no usable images"):
            data.scan_dataset(tmp_path)


def test_summarized_scan_prints_one_line_instead_of_a_warning_per_file(tmp_path, capsys):
    root = _make_tree(tmp_path, {"Apple": 2, "Banana": 1})
    for i, category in enumerate(["Apple", "Apple", "Banana", "Banana", "Banana", "Apple", "Banana"]):
        (root / category / f"s{i}").write_bytes(b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not a single warning
        index = data.scan_dataset_summarized(root)
    assert index.categories == {"Apple": 2, "Banana": 1} and len(index.skipped) == 7
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("skipped 7 files that are not images (") and "and 2 more" in lines[0]
    assert f"inspect {root}" in lines[0]

    clean = _make_tree(tmp_path / "clean", {"Apple": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.scan_dataset_summarized(clean)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------- split_dataset
def _records(counts: dict[str, int], prefix: str = "") -> list[data.ImageRecord]:
    return [
        data.ImageRecord(Path(f"/x/{c}/{prefix}{i}.jpg"), c, f"{c}/{prefix}{i}.jpg")
        for c, n in counts.items() for i in range(n)
    ]


def _assignment(splits) -> dict[str, str]:
    return {r.relpath: name for name, members in splits.items() for r in members}


def test_split_is_deterministic_and_independent_of_order():
    records = _records({"Apple": 40, "Banana": 25})
    first = data.split_dataset(records)
    shuffled = list(records)
    np.random.default_rng(0).shuffle(shuffled)
    assert _assignment(data.split_dataset(shuffled)) == _assignment(first)
    assert sorted(r.relpath for m in first.values() for r in m) == sorted(r.relpath for r in records)
    # Output keeps the input order within each split.
    assert first["train"] == [r for r in records if r in first["train"]]


def test_split_proportions_follow_ratios():
    records = _records({"Apple": 3000})
    splits = data.split_dataset(records, ratios=(0.6, 0.3, 0.1))
    fractions = [len(splits[name]) / 3000 for name in ("train", "val", "test")]
    np.testing.assert_allclose(fractions, (0.6, 0.3, 0.1), atol=0.03)


def test_split_is_stratified_every_category_gets_every_split():
    counts = {f"Cat{k}": n for k, n in enumerate([3, 3, 4, 5, 6, 7, 8, 10, 3, 3, 4, 3])}
    splits = data.split_dataset(_records(counts))
    for name in ("train", "val", "test"):
        assert collections.Counter(r.category for r in splits[name]).keys() == counts.keys()


def test_tiny_categories_are_left_to_the_hash():
    splits = data.split_dataset(_records({"Pair": 2, "Single": 1}))
    assert sum(len(m) for m in splits.values()) == 3


def test_adding_or_removing_files_never_moves_existing_images():
    base = _records({"Apple": 60, "Banana": 45})
    before = _assignment(data.split_dataset(base))
    # Every split of these categories is populated by hashing alone, so nothing is borrowed.
    assert before == {r.relpath: data.split_of(r.relpath) for r in base}

    grown = base + _records({"Apple": 30, "Banana": 10, "Cherry": 12}, prefix="new")
    after_growth = _assignment(data.split_dataset(grown))
    assert {k: after_growth[k] for k in before} == before

    shrunk = base[::2]
    after_removal = _assignment(data.split_dataset(shrunk))
    assert after_removal == {k: before[k] for k in after_removal}


def test_zero_ratio_leaves_that_split_empty():
    splits = data.split_dataset(_records({"Apple": 50}), ratios=(0.8, 0.2, 0.0))
    assert splits["test"] == [] and splits["val"]


@pytest.mark.parametrize("ratios", [(0.7, 0.3), (0.5, 0.5, 0.5), (1.2, -0.1, -0.1), (0.0, 0.5, 0.5),
                                    (float("nan"), 0.5, 0.5)])
def test_bad_ratios_are_refused(ratios):
    with pytest.raises(SplitRatioError):
        data.split_dataset(_records({"Apple": 5}), ratios=ratios)


def test_split_of_is_a_pure_function_of_the_relative_path():
    assert data.split_of("Apple/Apple1.jpg") == data.split_of("Apple/Apple1.jpg")
    assert 0.0 <= data.hash_fraction("Apple/Apple1.jpg") < 1.0
    assert data.hash_fraction("Apple/Apple1.jpg") != data.hash_fraction("Apple/Apple2.jpg")


# ------------------------------------------------------------ the real NCD copy
def _valid_images_by_folder(root: Path) -> tuple[dict[str, int], set[str]]:
    """Count images independently of course_lib: Pillow's verify() on every file."""
    counts, strays = {}, set()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for file in folder.iterdir():
            try:
                with Image.open(file) as image:
                    image.verify()
                counts[folder.name] = counts.get(folder.name, 0) + 1
            except Exception:  # noqa: BLE001 -- anything Pillow rejects is a stray
                strays.add(file.relative_to(root).as_posix())
    return counts, strays


@pytest.mark.slow  # decodes every image of the copy
def test_scan_real_ncd_copy(ncd_dir):
    expected_counts, strays = _valid_images_by_folder(ncd_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.SkippedFileWarning)
        index = data.scan_dataset(ncd_dir)
    assert len(index.categories) == 20
    assert index.categories == expected_counts
    assert {s.path.relative_to(index.root).as_posix() for s in index.skipped} == strays
    assert strays, "the development copy is known to contain stray non-image files"

    splits = data.split_dataset(index.records)
    for name in ("train", "val", "test"):
        assert {r.category for r in splits[name]} == set(expected_counts)
    # A few real images load, each RGB uint8.
    for record in index.records[:: max(1, len(index.records) // 5)]:
        image = data.load_image(record.path, max_side=128)
        assert image.dtype == np.uint8 and image.ndim == 3 and max(image.shape[:2]) <= 128


# ------------------------------------------------------------ stratified_subset
def test_stratified_subset_covers_every_category_deterministically():
    records = _records({"Apple": 10, "Banana": 4, "Cherry": 1, "Date": 6})
    subset = data.stratified_subset(records, 9)
    counts = collections.Counter(r.category for r in subset)
    # Round-robin in sorted category order: A B C D, A B D (Cherry has run out), A B.
    assert counts == {"Apple": 3, "Banana": 3, "Cherry": 1, "Date": 2}
    assert len(subset) == 9
    assert subset == data.stratified_subset(list(records), 9)  # deterministic
    assert subset == [r for r in records if r in subset]  # input order kept
    # Within a category the first images are taken.
    assert [r.relpath for r in subset if r.category == "Apple"] == ["Apple/0.jpg", "Apple/1.jpg", "Apple/2.jpg"]
    assert data.stratified_subset(records, 100) == records
    assert data.stratified_subset(records, 0) == []

