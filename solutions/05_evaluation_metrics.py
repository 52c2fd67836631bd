"""Solutions to the exercises of notebooks/05_evaluation_metrics.ipynb (for instructors).

Each function is what a learner writes in the exercise cell of the same name; the
matching check in :mod:`course_lib.checks.metrics` accepts it.
"""

from __future__ import annotations

import numpy as np

from course_lib import metrics


# Exercise 1 -- RMSE
def my_rmse(a: np.ndarray, b: np.ndarray) -> float:
    """Root mean squared error of two uint8 images, in uint8 levels."""
    difference = a.astype(np.float64) - b.astype(np.float64)  # float first: uint8 would wrap
    return float(np.sqrt(np.mean(difference**2)))


# Exercise 2 -- PSNR
def my_psnr(a: np.ndarray, b: np.ndarray, data_range: float) -> float:
    """Peak signal-to-noise ratio in dB; data_range is 255 for uint8, 1.0 for floats in [0, 1]."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(data_range**2 / mse))


# Exercise 3 -- SSIM of one channel
def my_ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    """Mean SSIM of two 2-D images (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    window = metrics.gaussian_window()                       # (11, 11), sums to 1
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_x, mu_y = metrics.local_mean(x, window), metrics.local_mean(y, window)
    var_x = metrics.local_mean(x * x, window) - mu_x**2
    var_y = metrics.local_mean(y * y, window) - mu_y**2
    cov_xy = metrics.local_mean(x * y, window) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(ssim_map[5:-5, 5:-5].mean())                # only where the whole window fits
