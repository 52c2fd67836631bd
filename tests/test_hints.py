"""Colour hints (course_lib.hints): hand-computed patch means, placement, reproducibility, parsing."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import color, hints
from course_lib.errors import CourseError


def _object_on_white(size: int = 20, box=(5, 15, 6, 14), lab_object=(50.0, 40.0, 20.0)) -> np.ndarray:
    """A LAB image: white background (L = 100, ab = 0) with one coloured rectangle (rows, cols of ``box``)."""
    lab = np.zeros((size, size, 3), np.float32)
    lab[..., 0] = 100.0
    top, bottom, left, right = box
    lab[top:bottom, left:right] = lab_object
    return lab


def test_patch_mean_is_the_mean_ab_of_the_patch_by_hand():
    ab = np.zeros((5, 5, 2), np.float32)
    ab[..., 0] = np.arange(25, dtype=np.float32).reshape(5, 5)  # a = 5 * row + column
    ab[..., 1] = -2.0
    # 1 px: the pixel itself.
    assert hints.patch_mean_ab(ab, 2, 3, 1) == (13.0, -2.0)
    # 3 px around (2, 2): rows 1-3, columns 1-3: mean of 6, 7, 8, 11, 12, 13, 16, 17, 18 = 12.
    assert hints.patch_mean_ab(ab, 2, 2, 3) == (12.0, -2.0)
    # 2 px: top-left at (y - 0, x - 0): pixels (2, 2), (2, 3), (3, 2), (3, 3) = 12, 13, 17, 18 -> 15.
    assert hints.patch_mean_ab(ab, 2, 2, 2) == (15.0, -2.0)
    # Clipped at the corner: 3 px around (0, 0) keeps rows 0-1, columns 0-1: 0, 1, 5, 6 -> 3.
    assert hints.patch_mean_ab(ab, 0, 0, 3) == (3.0, -2.0)
    assert hints.patch_bounds(0, 0, 3, 5, 5) == (0, 2, 0, 2)


def test_hint_map_fills_the_patch_with_normalised_ab_and_the_mask():
    out = hints.hint_map([hints.Hint(y=2, x=3, size=3, a=64.0, b=-32.0)], 6, 7)
    assert out.shape == (6, 7, 3) and out.dtype == np.float32
    inside = out[1:4, 2:5]
    np.testing.assert_array_equal(inside[..., 0], 0.5)  # 64 / 128
    np.testing.assert_array_equal(inside[..., 1], -0.25)
    np.testing.assert_array_equal(inside[..., 2], 1.0)
    assert out[..., 2].sum() == 9 and np.abs(out[..., :2]).sum() == pytest.approx(9 * 0.75)


def test_hints_fall_on_the_object_never_on_the_white_background():
    lab = _object_on_white()
    mask = hints.object_mask(lab)
    assert mask.sum() == 10 * 8 and mask[5:15, 6:14].all()
    for seed in range(20):
        for hint in hints.sample_hints(lab, n=12, seed=seed):
            assert 5 <= hint.y < 15 and 6 <= hint.x < 14, hint
            assert 1 <= hint.size <= 9
    # A 1-px hint inside the object reveals exactly the object's colour.
    one = hints.sample_hints(lab, n=5, seed=0, patch_sizes=(1,))
    assert all((h.a, h.b) == (40.0, 20.0) for h in one)


def test_a_patch_straddling_the_edge_averages_object_and_background():
    lab = _object_on_white()
    # The object starts at column 6: a 3-px patch centred on column 6 holds columns 5 (white) to 7.
    a, b = hints.patch_mean_ab(lab[..., 1:], 10, 6, 3)
    assert (a, b) == pytest.approx((40.0 * 2 / 3, 20.0 * 2 / 3))


def test_sampling_is_reproducible_and_the_seed_matters():
    lab = _object_on_white()
    assert hints.sample_hints(lab, seed=3) == hints.sample_hints(lab, seed=3)
    assert hints.sample_hints(lab, n=6, seed=3) != hints.sample_hints(lab, n=6, seed=4)
    assert hints.sample_hints(lab, n=0, seed=1) == []


def test_hint_count_is_geometric_with_mean_seven():
    rng = np.random.default_rng(0)
    counts = np.array([hints.hint_count(rng) for _ in range(4000)])
    assert counts.min() == 0 and counts.max() <= hints.MAX_HINTS
    assert counts.mean() == pytest.approx(7.0, abs=0.5)
    assert (counts == 0).mean() == pytest.approx(1 / 8, abs=0.03)


def test_an_image_without_object_still_gets_its_hints():
    lab = _object_on_white(box=(0, 0, 0, 0))  # all white
    got = hints.sample_hints(lab, n=3, seed=0)
    assert len(got) == 3 and all((h.a, h.b) == (0.0, 0.0) for h in got)


def test_training_batches_hold_hints_on_the_object_or_none_and_are_reproducible():
    lab = np.stack([_object_on_white()] * 4)
    l_norm, ab_norm = color.normalize_l(lab[..., :1]), color.normalize_ab(lab[..., 1:])
    batches = [hints.sample_hint_maps(l_norm, ab_norm, np.array([7, seed])) for seed in range(40)]
    np.testing.assert_array_equal(batches[0], hints.sample_hint_maps(l_norm, ab_norm, np.array([7, 0])))
    empty = [b for b in batches if not b.any()]
    assert 0 < len(empty) < len(batches)  # some batches carry no hint (NO_HINT_SHARE)
    for batch in batches:
        assert batch.shape == (4, 20, 20, 3)
        # Patches may spill at most 4 px beyond the object, never further into the background.
        assert not batch[:, :1].any() and not batch[:, :, :2].any() and not batch[:, 19:].any()
        assert np.all(batch[..., 2][batch[..., 2] > 0] == 1.0)
    for batch in batches:  # a 1-px hint on the object carries the object's colour exactly
        assert np.all(np.abs(batch[..., 0]) <= 40.0 / 128 + 1e-6)


def test_model_input_stacks_l_and_hint_channels():
    l_norm = np.full((2, 4, 4, 1), 0.5, np.float32)
    x = hints.model_input(l_norm)
    assert x.shape == (2, 4, 4, 4) and np.all(x[..., 0] == 0.5) and not x[..., 1:].any()


def test_simulated_hint_map_is_seeded_by_the_image():
    rgb = color.lab_to_rgb_uint8(_object_on_white())
    first = hints.simulated_hint_map(rgb, 5, seed=0)
    np.testing.assert_array_equal(first, hints.simulated_hint_map(rgb.copy(), 5, seed=0))
    assert first[..., 2].any()
    assert not np.array_equal(first, hints.simulated_hint_map(rgb, 5, seed=1))


def test_a_users_hint_is_parsed_and_placed_at_the_matching_model_pixel():
    assert hints.parse_hint("120,80,#d02020") == (120, 80, (208, 32, 32))
    assert hints.parse_hint(" 3 , 4 , 00ff00 ") == (3, 4, (0, 255, 0))
    for bad in ("120,80", "1,2,#zzzzzz", "-1,2,#000000", "1,2,red"):
        with pytest.raises(CourseError, match="X,Y,#RRGGBB"):
            hints.parse_hint(bad)
    # A 200 x 100 photo (W x H) squashed to 10 x 10: x = 150 -> column 7, y = 30 -> row 3.
    red = (208, 32, 32)
    out = hints.user_hint_map([(150, 30, red)], (100, 200, 3), 10, patch=1)
    assert np.argwhere(out[..., 2]).tolist() == [[3, 7]]
    a, b = hints.rgb_to_ab(red)
    assert a > 40 and b > 20  # red: +a (magenta side), +b (yellow side)
    assert out[3, 7, :2] == pytest.approx((a / 128, b / 128))
    with pytest.raises(CourseError, match="outside the photo"):
        hints.user_hint_map([(200, 0, red)], (100, 200, 3), 10)
