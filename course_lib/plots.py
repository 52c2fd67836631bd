"""Figures reused by several notebooks: an image grid and the evaluation plots.

Every function returns the Matplotlib ``Figure`` (notebooks display it; scripts can
``fig.savefig``). Images are RGB uint8 ``(H, W, 3)`` or grayscale ``(H, W)``.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from course_lib import color


def show_images(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, *, ncols: int = 4,
                size: float = 2.5, suptitle: str | None = None):
    """Show images in a grid, without axes.

    Parameters
    ----------
    images : sequence of ndarray
        RGB ``(H, W, 3)`` uint8 or float in [0, 1], or grayscale ``(H, W)`` / ``(H, W, 1)``
        uint8 or float in [0, 1] (gray colour map, black = 0; show LAB's L as ``L / 100``).
    titles : sequence of str, optional
        One per image.
    ncols : int
        Images per row.
    size : float
        Inches per grid cell.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not len(images):
        raise ValueError("show_images needs at least one image")
    ncols = min(ncols, len(images))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.flat, images)):
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim == 2:
            # Fixed limits so a dark image looks dark (imshow would stretch it).
            ax.imshow(image, cmap="gray", vmin=0, vmax=255 if image.dtype == np.uint8 else 1)
        else:
            ax.imshow(image)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_category_psnr(comparison, *, metric: str = "psnr"):
    """Per-category bars: ours, the survey's best method, and the gray floor.

    Parameters
    ----------
    comparison : course_lib.published.Comparison
        From :func:`course_lib.published.compare_with_survey`. Its last row is the mean
        over categories, ours beside the survey's. Missing numbers (e.g. a category the
        survey does not have, or no gray baseline) are left out, and the legend says so.
    metric : "psnr" or "ssim"

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    rows = comparison.rows
    labels = [row["category"] for row in rows]
    series = [
        ("ours", [row[f"ours_{metric}"] for row in rows], "tab:blue"),
        ("survey best", [row[f"survey_best_{metric}"] for row in rows], "tab:orange"),
        ("gray floor (ab = 0)", [row[f"gray_{metric}"] for row in rows], "tab:gray"),
    ]
    x = np.arange(len(labels))
    width = 0.27
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels) + 2), 4))
    for offset, (name, values, colour) in zip((-width, 0, width), series):
        present = [v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values]
        if not any(present):
            name += " (not available)"
        heights = [v if ok else np.nan for v, ok in zip(values, present)]  # NaN: no bar drawn
        ax.bar(x + offset, heights, width, label=name, color=colour)
    ax.set_xticks(x, labels, rotation=60, ha="right")
    ax.set_ylabel(f"{metric.upper()}" + (" (dB)" if metric == "psnr" else ""))
    finite = [v for _, values, _ in series for v in values if v is not None and math.isfinite(v)]
    # Bars start at 0: a bar's length is its value, so a cut axis would make a 2 dB gap look like a
    # factor of several. The gaps are read from the table (and the gain over gray), not from the bars.
    if finite:
        ax.set_ylim(min(0.0, *finite), max(finite) * 1.08)
    else:
        ax.set_ylim(bottom=0.0)
    ax.legend(fontsize=8)
    ax.set_title(f"{metric.upper()} per category (last bar group: mean over categories)")
    fig.tight_layout()
    return fig


def plot_best_worst(result, colorize_fn: Callable[[np.ndarray], np.ndarray], *, category: str | None = None,
                    k: int = 2, metric: str = "psnr", max_side: int | None = 256):
    """Gallery of the ``k`` best and ``k`` worst images: input L, prediction, ground truth.

    Parameters
    ----------
    result : course_lib.evaluate.EvaluationResult
        Its ``per_image`` rows give the ranking (and the files' paths).
    colorize_fn : callable
        The colorizer that was evaluated (RGB uint8 -> RGB uint8); the predictions are
        recomputed for display.
    category : str, optional
        Restrict to one category.
    metric : str
        Ranking metric (for rmse/deltaE lower is better).
    max_side : int, optional
        Shrink photos for display (the ranking itself came from the evaluation).

    Returns
    -------
    matplotlib.figure.Figure
        One row per image: L, prediction, ground truth, titled with the metric.
    """
    from course_lib.data import load_image

    ranked = result.ranked(metric, category=category)
    if not ranked:
        raise ValueError(f"no evaluated images{' in ' + category if category else ''} to show")
    chosen = [("best", row) for row in ranked[:k]] + [("worst", row) for row in ranked[-k:][::-1]]
    chosen = list({row["relpath"]: (tag, row) for tag, row in chosen}.values())  # no duplicates if few
    images, titles = [], []
    for tag, row in chosen:
        truth = load_image(row["path"], max_side=max_side)
        lightness = color.rgb_to_lab(truth)[..., 0] / 100.0  # (H, W) in [0, 1]: what the model sees
        images += [lightness, colorize_fn(truth), truth]
        titles += [f"{tag}: {row['relpath']}", f"prediction ({metric} {row[metric]:.2f})", "ground truth"]
    return show_images(images, titles, ncols=3, size=2.6)
