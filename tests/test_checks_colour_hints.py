"""The checks of notebook 08 accept the instructors' solutions and name typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import color, hints
from course_lib.checks import colour_hints as checks
from conftest import load_solutions

solutions = load_solutions("08_colour_hints")


def test_solutions_accepted(capsys):
    assert checks.check_patch_mean(solutions.patch_mean)
    assert checks.check_picked_ab(solutions.picked_ab)
    assert checks.check_four_channel_input(solutions.four_channel_input)
    assert checks.check_extend_first_conv(solutions.extend_first_conv)
    out = capsys.readouterr().out
    assert out.count("accepted") == 4 and "not yet" not in out
    assert solutions.one_hint_where in checks.ex5.options


def test_solutions_agree_with_course_lib():
    ab = np.random.default_rng(0).normal(0, 30, (9, 11, 2)).astype(np.float32)
    for y, x, size in [(0, 0, 1), (4, 5, 9), (8, 10, 4), (1, 9, 6)]:
        assert solutions.patch_mean(ab, y, x, size) == pytest.approx(hints.patch_mean_ab(ab, y, x, size), abs=1e-4)
    assert solutions.picked_ab("#d02020") == pytest.approx(hints.rgb_to_ab((208, 32, 32)), abs=1e-3)


def _uncentred(ab, y, x, size):
    patch = ab[y : y + size, x : x + size]
    return patch[..., 0].mean(), patch[..., 1].mean()


def _unclipped(ab, y, x, size):
    top, left = y - (size - 1) // 2, x - (size - 1) // 2
    patch = ab[top : top + size, left : left + size]  # a negative start wraps to the far end: empty
    return (patch[..., 0].mean(), patch[..., 1].mean()) if patch.size else (0.0, 0.0)


@pytest.mark.parametrize("wrong, says", [
    (_uncentred, "centred"),
    (_unclipped, "clipped"),
    (lambda ab, y, x, size: (ab[x, y, 0], ab[x, y, 1]), "row y"),
    (lambda ab, y, x, size: 3, "pair"),
])
def test_patch_mean_mistakes_are_named(wrong, says, capsys):
    assert checks.check_patch_mean(wrong) is False
    assert says in capsys.readouterr().out


def _lab_of(text):
    rgb = np.array([[[int(text[k : k + 2], 16) for k in (1, 3, 5)]]], np.uint8)
    return color.rgb_to_lab(rgb)[0, 0]


@pytest.mark.parametrize("wrong, says", [
    (lambda text: tuple(_lab_of(text)), "only a and b"),
    (lambda text: tuple(_lab_of(text)[[2, 1]]), "swapped"),
    (lambda text: tuple(_lab_of("#" + text[5:7] + text[3:5] + text[1:3])[1:]), "wrong order"),
    (lambda text: (0.0, 0.0), "expected about"),
])
def test_picked_ab_mistakes_are_named(wrong, says, capsys):
    assert checks.check_picked_ab(wrong) is False
    assert says in capsys.readouterr().out


def test_the_prediction_is_compared_with_what_was_measured(capsys):
    assert checks.explain_one_hint_where("object", 0.9, 0.1)
    assert "shows 'object'" in capsys.readouterr().out
    assert checks.explain_one_hint_where("object", -0.05, 0.02) is False  # a toy's measurement decides
    assert "shows 'background'" in capsys.readouterr().out


def _input_mask_first(l_norm, hint_list):
    good = hints.model_input(l_norm, hints.hint_map(hint_list, *l_norm.shape[:2]))
    return good[..., [0, 3, 1, 2]]


def _input_lab_units(l_norm, hint_list):
    good = hints.model_input(l_norm, hints.hint_map(hint_list, *l_norm.shape[:2]))
    good[..., 1:3] *= 128
    return good


def _input_loop(l_norm, hint_list):  # another correct way: pixel by pixel
    height, width = l_norm.shape[:2]
    out = np.zeros((height, width, 4))
    out[..., 0] = l_norm[..., 0]
    for h in hint_list:
        for y in range(height):
            for x in range(width):
                if 0 <= y - h.y + (h.size - 1) // 2 < h.size and 0 <= x - h.x + (h.size - 1) // 2 < h.size:
                    out[y, x, 1:] = h.a / 128, h.b / 128, 1
    return out


@pytest.mark.parametrize("wrong, says", [
    (_input_mask_first, "mask comes last"), (_input_lab_units, "divided by 128"),
    (lambda l_norm, hint_list: hints.model_input(l_norm, hints.hint_map(hint_list[::-1], *l_norm.shape[:2])),
     "later hint wins"),
    (lambda l_norm, hint_list: l_norm, "(H, W, 4)"),
])
def test_four_channel_mistakes_are_named_and_another_correct_version_passes(wrong, says, capsys):
    assert checks.check_four_channel_input(_input_loop)
    assert checks.check_four_channel_input(wrong) is False
    assert says in capsys.readouterr().out


def _zeros_then_kernel(kernel):
    return np.concatenate([np.zeros_like(kernel), kernel], axis=2)


@pytest.mark.parametrize("wrong, says", [
    (lambda k: np.concatenate([k, np.full_like(k, 0.01)], axis=2), "start at 0"),
    (_zeros_then_kernel, "exactly as before"),
    (lambda k: np.concatenate([k, np.zeros((3, 3, 3, 3), k.dtype)], axis=3), "axis 2"),
    (lambda k: k, "(3, 3, 6, 8)"),
])
def test_extend_first_conv_mistakes_are_named(wrong, says, capsys):
    assert checks.check_extend_first_conv(lambda k: np.pad(k, ((0, 0), (0, 0), (0, 3), (0, 0))))  # another way
    assert checks.check_extend_first_conv(wrong) is False
    assert says in capsys.readouterr().out


def test_extend_first_conv_solution_is_the_layer_build_colorizer_makes():
    """The solution's kernel is what the hint model's block1_conv1 starts from (same model, random weights)."""
    from course_lib.model import build_colorizer

    model = build_colorizer(32, "unet", weights=None, encoder_blocks=1, decoder_width=8, hints=True)
    plain = build_colorizer(32, "unet", weights=None, encoder_blocks=1, decoder_width=8)
    wide = model.get_layer("encoder").get_layer("block1_conv1").get_weights()[0]
    narrow = plain.get_layer("encoder").get_layer("block1_conv1").get_weights()[0]
    assert wide.shape == solutions.extend_first_conv(narrow).shape
    np.testing.assert_array_equal(wide[:, :, 3:], 0)


@pytest.mark.parametrize("check", [checks.check_patch_mean, checks.check_picked_ab, checks.check_four_channel_input,
                                   checks.check_extend_first_conv])
def test_stub_gets_a_reminder_not_an_error(check, capsys):
    assert check(None) is False
    assert "not attempted" in capsys.readouterr().out
