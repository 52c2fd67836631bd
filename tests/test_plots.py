"""course_lib.plots: figures build from generated data (Agg backend, nothing shown)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from PIL import Image

from course_lib import evaluate, plots, published
from course_lib.published import SurveyResult


def test_show_images_grid_shapes_and_titles(rng):
    images = [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), rng.random((20, 30)), rng.random((20, 30, 1))]
    fig = plots.show_images(images, ["rgb", "gray", "gray 1-channel"], ncols=2)
    axes = fig.axes
    assert len(axes) == 4  # 2 x 2 grid, the last cell empty
    assert [ax.get_title() for ax in axes[:3]] == ["rgb", "gray", "gray 1-channel"]
    assert axes[1].images[0].get_clim() == (0, 1)  # fixed limits: a dark image stays dark
    with pytest.raises(ValueError):
        plots.show_images([])


def test_category_bars_skip_missing_numbers():
    ours = {"dataset_category_mean": {"n": 3, "psnr": 19.0, "ssim": 0.9},
            "categories": {"Apple": {"n": 1, "psnr": 18.0, "ssim": 0.9}, "Lemon": {"n": 2, "psnr": 20.0, "ssim": 0.9}}}
    gray = {"dataset_category_mean": {"n": 3, "psnr": 17.0, "ssim": 0.9},
            "categories": {"Apple": {"n": 1, "psnr": 16.0, "ssim": 0.9}, "Lemon": {"n": 2, "psnr": 18.0, "ssim": 0.9}}}
    survey = [SurveyResult("A", published.DATASET_ROW, 21.0, 0.88)]
    fig = plots.plot_category_psnr(published.compare_with_survey(ours, gray, survey=survey))
    ax = fig.axes[0]
    heights = [[bar.get_height() for bar in container] for container in ax.containers]
    assert heights[0] == [18.0, 20.0, 19.0] and heights[2] == [16.0, 18.0, 17.0]
    assert np.isnan(heights[1][:2]).all() and heights[1][2] == 21.0  # survey: dataset row only
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Apple", "Lemon", "ALL (categories)"]
    assert ax.get_ylim()[0] == 0  # bars from 0: their lengths are the values


def test_best_worst_gallery(tmp_path, rng):
    root = tmp_path / "ncd" / "Apple"
    root.mkdir(parents=True)
    for i in range(3):
        image = np.full((24, 24, 3), 250, np.uint8)
        image[6:18, 6:18] = (200 - 40 * i, 30, 40)
        Image.fromarray(image).save(root / f"Apple{i}.png")

    def gray(rgb):
        return np.repeat(rgb.mean(axis=-1, keepdims=True).astype(np.uint8), 3, axis=-1)

    result = evaluate.evaluate_colorizer(gray, evaluate.select_records(tmp_path / "ncd", "all"), progress=False)
    fig = plots.plot_best_worst(result, gray, k=1)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith("best: ") and titles[3].startswith("worst: ") and len(titles) == 6
