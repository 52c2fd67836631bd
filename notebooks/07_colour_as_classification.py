# ---
# jupyter:
#   course:
#     colab_gpu: T4
#     goals:
#     - see why a model trained with the squared error paints a grayish average when a pixel
#       could be one of several colours
#     - turn colour prediction into classification over ab bins (Zhang, Isola and Efros 2016) --
#       quantisation, soft-encoded targets, class rebalancing
#     - decode the predicted distribution with the annealed mean and choose its temperature
#     - compare gray, the MSE model and the classification model, metric by metric
#     needs_data: true
#     time_cpu: 45 min
#     time_gpu: 25 min
#     title: Colour as classification
# ---

# %% [markdown] id="c00"
# ## 1. Beyond the squared error
#
# Notebooks 03-06 trained a network to **regress** ab with the mean squared error (MSE). Its results are
# right on average but often washed out. This notebook follows Zhang, Isola and Efros, *Colorful Image
# Colorization* (ECCV 2016): predict, for every pixel, a **probability for each colour bin**, train it with
# a cross-entropy that gives rare colours more weight, and turn the distribution back into one colour
# with the **annealed mean**. All of it lives in `course_lib.classification` (the maths, NumPy and
# TensorFlow) and `build_colorizer(..., head="classification")` (the same VGG19 encoder and U-Net decoder,
# ending in one logit per bin instead of two tanh outputs).

# %% id="c01"
import warnings

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_lib import classification as cl
from course_lib import color, config, train
from course_lib.classification_head import model_bins
from course_lib.data import SkippedFileWarning, get_dataset, load_image, stratified_subset
from course_lib.evaluate import LOWER_IS_BETTER, evaluate_colorizer, select_records
from course_lib.inference import colorize_image, recombine
from course_lib.metrics import NEW_IMAGES_PER_CATEGORY, foreground_mask
from course_lib.model import load_colorizer, model_image_size
from course_lib.pipeline import load_images_resized
from course_lib.plots import show_images

FAST = config.fast_mode()
source = get_dataset()
warnings.simplefilter("ignore", SkippedFileWarning)  # notebook 02 lists the stray files once

# %% [markdown] id="c02"
# ## 2. Why MSE averages the modes: a toy in one dimension
#
# Take one kind of pixel, say the skin of an apple in a gray photo: NCD's Apple folder has red apples
# (a around +40) and green ones (a around -30). In this toy the pixel is green (a around -40) a little more
# often than red (a around +50): 55 to 45. The single value that minimises the squared error over these
# examples is their **mean**, about a = 0: gray, a colour **no** apple has. A model that predicts a
# *distribution* over a (here a histogram over 10-unit bins) keeps both modes, and we can decide
# afterwards how to read it out. The cell also reads out a second pixel, green 85 % of the time.

# %% id="c03"
rng = np.random.default_rng(0)
n = 4000
bins_1d = np.stack([np.arange(-110.0, 111.0, 10.0), np.zeros(23)], axis=-1)  # (23, 2): bins on the a axis


def toy_pixel(share_green):
    """a values of one kind of pixel (green, a ~ -40, with probability share_green; else red, a ~ +50),
    and the histogram over the bins that a classifier would learn for it."""
    green = rng.random(n) < share_green
    a_values = np.where(green, rng.normal(-40, 5, n), rng.normal(50, 5, n))
    return a_values, cl.empirical_distribution(np.stack([a_values, np.zeros(n)], axis=-1), bins_1d)


toys = {share: toy_pixel(share) for share in (0.55, 0.85)}
for share, (a_values, p_1d) in toys.items():
    logits_1d = np.log(p_1d + 1e-9).astype(np.float32)
    print(f"green {share:.0%} of the time: mean a = {a_values.mean():+6.1f}; annealed mean "
          + ", ".join(f"T={T:g}: {cl.annealed_mean(logits_1d, bins_1d, T)[0]:+6.1f}" for T in (0.38, 0.3))
          + f"; mode a = {cl.annealed_mean(logits_1d, bins_1d, 0.0)[0]:+6.1f}")
a_values, p_1d = toys[0.55]  # the 55/45 pixel, plotted
logits_1d = np.log(p_1d + 1e-9).astype(np.float32)
readouts = {"MSE optimum (the mean)": a_values.mean(),
            "annealed mean T=1": cl.annealed_mean(logits_1d, bins_1d, 1.0)[0],
            "annealed mean T=0.38": cl.annealed_mean(logits_1d, bins_1d, 0.38)[0],
            "mode (T -> 0)": cl.annealed_mean(logits_1d, bins_1d, 0.0)[0]}
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar(bins_1d[:, 0], p_1d, width=9, color="0.7", label="distribution over bins")
for (name, value), style in zip(readouts.items(), ("k-", "b--", "m-", "g:")):
    ax.axvline(value, color=style[0], linestyle=style[1:], label=f"{name}: a = {value:.1f}")
ax.set(xlabel="a", ylabel="probability", title="One pixel, two plausible colours")
ax.legend(fontsize=8, loc="upper center")
plt.show()

# %% [markdown] id="c04"
# The mean (and the annealed mean at T = 1, the same thing on bins) lands between the modes. Read the
# printed numbers: for the 55/45 pixel, T = 0.38 moves a only to about -6 and T = 0.3 to about -9, still
# almost gray; only the mode (T -> 0) picks a colour, and it picks green for every such pixel, wrong 45 %
# of the time. For the 85/15 pixel, T = 0.38 lands next to the dominant green while the mean is pulled a
# third of the way to red. That is what the annealed mean is for: it **sharpens** a distribution that is
# skewed towards one colour, or spread broadly around it, without the mode's jumps between neighbouring
# pixels (section 8). A near 50/50 ambiguity it cannot settle: that needs the mode, a cue from the whole
# photo (what fruit is this?), or a user's **hint** (notebook 08).
#
# ## 3. Quantising ab
#
# The ab plane is cut into 10 x 10 squares, centres every 10 units from -110 to 110 (23 x 23 = 529), and
# only the bins that sRGB can show are kept. Zhang et al. report **Q = 313** in-gamut bins without saying
# how they tested the gamut, and **no gamut rule tried here gives 313**: the cell below measures four, from
# 197 to 262 bins (225 keeping the bins whose centre is showable, 262 those with any showable point of
# their cell, both with L every 1 unit). Two choices change the count:
#
# * **which points of a bin** must be showable: its centre only, or any point of its cell;
# * **at which lightness**: a bin counts when it is showable at *some* L, and L can only be sampled
#   (every 10 units misses the gamut's extreme corners, which exist at a few L values only).

# %% id="c05"
for rule, count in cl.bin_counts().items():
    print(f"{rule:22s} {count:4d} bins")
bins = cl.ab_bins()  # the course's choice: any point of the cell, L every 1 unit
Q = len(bins)
print(f"\nThe course uses Q = {Q} bins (Zhang et al. report {cl.ZHANG_BIN_COUNT}, which none of these rules gives): "
      "every sRGB colour then has its own cell among the bins, so quantising moves a colour by at most "
      "5*sqrt(2) units.")


# %% id="c06"
def show_on_ab_plane(values, title, *, log=False, cmap="viridis", label=""):
    """One coloured square per bin at its (a, b) centre."""
    fig, ax = plt.subplots(figsize=(4.6, 4))
    shown = np.log10(np.maximum(values, 1e-7)) if log else values
    points = ax.scatter(bins[:, 0], bins[:, 1], c=shown, marker="s", s=30, cmap=cmap)
    fig.colorbar(points, ax=ax, label=label)
    ax.set(xlabel="a", ylabel="b", title=title, aspect="equal")
    return fig


# What each bin looks like at L = 60 (colours beyond the gamut at that L are fitted into it).
swatch = color.lab_to_rgb_uint8(np.concatenate([np.full((Q, 1), 60.0, np.float32), bins], axis=-1))
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(bins[:, 0], bins[:, 1], c=swatch / 255.0, marker="s", s=30)
ax.set(xlabel="a", ylabel="b", title=f"The {Q} ab bins (shown at L = 60)", aspect="equal")
plt.show()

# %% [markdown] id="c07"
# ## 4. How NCD's colours are distributed
#
# Count, over the pixels of the **train split**, how often each bin is the nearest one. NCD photos are
# fruit and vegetables on a white background, so one bin -- gray, a = b = 0 -- takes most pixels; the
# plot is in **log scale** so that the rare colours show at all.

# %% id="c08"
train_records = select_records(source.root, "train")
TRAIN_SIZE = 32 if FAST else 48  # the model's resolution; fast mode: fewer, smaller images
if FAST:
    train_records = stratified_subset(train_records, 40)
train_rgb = load_images_resized(train_records, TRAIN_SIZE)
p = cl.empirical_distribution(color.rgb_to_lab(train_rgb)[..., 1:], bins)
gray_bin = int(cl.nearest_bin([0.0, 0.0], bins))
print(f"{len(train_records)} train images, {train_rgb.shape[0] * TRAIN_SIZE**2:,} pixels; the gray bin holds "
      f"{p[gray_bin]:.1%} of them; {int((p > 0).sum())} of {Q} bins are used at all.")
show_on_ab_plane(p, "NCD train split: p(bin), log scale", log=True, label="log10 p")
plt.show()

# %% [markdown] id="c09"
# ## 5. Class rebalancing
#
# Trained on this distribution with a plain cross-entropy, every pixel weighs the same, so the gray bin
# carries most of the loss. Where the photo says little about a pixel's colour, the predicted distribution
# then leans towards gray and the decoded colour comes out dull (the cell after the exercise measures
# how much). Zhang et al. weight each pixel's loss by its bin's **rebalancing weight**: smooth the empirical distribution with a
# Gaussian (sigma = 5 ab units), mix it with the uniform distribution (lambda = 0.5), invert, and scale
# so that a pixel weighs 1 on average:
#
# $$w \propto \big((1-\lambda)\,\tilde p + \lambda / Q\big)^{-1}, \qquad \textstyle\sum_q \tilde p_q w_q = 1.$$
#
# ### Exercise 1: the rebalancing weights
#
# Write `rebalancing_weights(p, uniform_mix)`: `p` is an already smoothed distribution (a NumPy array of
# Q probabilities), `uniform_mix` is lambda. Return the Q weights.

# %% tags=["exercise"] id="c10"
### BEGIN STUB
def rebalancing_weights(p, uniform_mix):
    # YOUR CODE HERE: replace None
    return None
### END STUB
### BEGIN SOLUTION
import numpy as np


# Exercise 1 -- the rebalancing weights
def rebalancing_weights(p, uniform_mix):
    """Zhang's weights for a smoothed distribution ``p`` (Q,), lambda = ``uniform_mix``."""
    w = 1.0 / ((1 - uniform_mix) * p + uniform_mix / len(p))
    return w / np.sum(p * w)
### END SOLUTION


# %% tags=["exercise-check"] id="c11"
from course_lib.checks.classification import ex1, ex2

ex1.check(rebalancing_weights)
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% id="c12"
p_smooth = cl.smooth_distribution(p, bins)
weights = cl.rebalancing_weights(p, bins)  # course_lib: the same formula, smoothing included
answer = rebalancing_weights(p_smooth, cl.UNIFORM_MIX)
if answer is not None:
    print("your weights match course_lib's:", bool(np.allclose(answer, weights, rtol=1e-6)))
print(f"gray bin weight {weights[gray_bin]:.2f}; rarest colours {weights.max():.2f} "
      f"({weights.max() / weights[gray_bin]:.0f} times more); expected weight {np.dot(p_smooth, weights):.3f}")
show_on_ab_plane(weights, "Rebalancing weight of each bin", label="w")
plt.show()

# %% [markdown] id="c12a"
# What the weights change, measured on the train split's distribution. Take a pixel the network cannot
# read at all. With the plain cross-entropy its best prediction is the train split's distribution `p`
# itself; with the weighted one it is (for one-bin targets exactly, for the soft ones nearly) `p * w`,
# renormalised. Decode both at Zhang's T = 0.38:

# %% id="c12b"
p_weighted = p * weights / np.sum(p * weights)  # what the weighted loss asks of a pixel it cannot read
for name, distribution in (("plain cross-entropy", p), ("rebalanced", p_weighted)):
    ab_blind = cl.annealed_mean(np.log(distribution + 1e-12).astype(np.float32), bins, cl.ZHANG_TEMPERATURE)
    print(f"{name:20s}: the gray bin carries {distribution[gray_bin]:6.1%} of the loss; the blind "
          f"prediction decodes to ab = ({ab_blind[0]:+5.1f}, {ab_blind[1]:+5.1f}), chroma {np.hypot(*ab_blind):4.1f}")

# %% [markdown] id="c12c"
# Without rebalancing, a pixel the network is unsure of is pulled to gray; with it, away from gray, to the
# chroma printed above.
# That is the point of the weights, and also their risk: NCD's **white background** is the gray bin's
# main source, so the weights also tell the network that getting the background exactly white matters
# little. Section 9 measures what colour each model paints there.

# %% [markdown] id="c13"
# ## 6. Soft-encoded targets
#
# A pixel's target is not one bin but its **5 nearest bins**, weighted by a Gaussian of the distance
# (sigma = 5): a colour between two bin centres says so. The loss is the cross-entropy between this
# target and the predicted distribution, times the rebalancing weight of the pixel's nearest bin
# (`course_lib.classification.tf_rebalanced_cross_entropy`; it runs inside the training step, in
# TensorFlow, and the tests check it against the NumPy version below).

# %% id="c14"
example = np.array([23.0, 47.0])  # an orange-ish colour, between bin centres
target = cl.soft_encode(example, bins)
for q in np.flatnonzero(target)[np.argsort(-target[np.flatnonzero(target)])]:
    print(f"bin {q:3d} at ab = {bins[q].astype(int).tolist()}: distance {np.hypot(*(bins[q] - example)):5.2f}, "
          f"weight {target[q]:.3f}")
fig, ax = plt.subplots(figsize=(4, 4))
near = np.abs(bins - example).max(axis=1) <= 25
ax.scatter(bins[near, 0], bins[near, 1], s=20 + 600 * target[near], c=swatch[near] / 255.0, marker="s",
           edgecolors="k")
ax.plot(*example, "k+", markersize=14)
ax.set(xlabel="a", ylabel="b", title="Soft target of ab = (23, 47): area = weight", aspect="equal")
plt.show()

# %% [markdown] id="c15"
# ## 7. The classification head, trained
#
# This command (run from `notebooks/`; in a cell, start it with `!`) trains it with the CPU recipe, 75 epochs
# (the rebalancing weights come from the train split):
#
# ```bash
# python -m course_lib train --head classification --weights none --data "${NCD_DIR:-../data/ncd}" \
#     --out "${COURSE_RUNS_DIR:-../runs}/cls"
# ```
#
# At the end it
# chooses the model's default **decoding** -- the temperature T and how ab is upsampled to the photo -- on
# the validation photos, colorized as `colorize` does them (ab upsampled to the photo, which smooths
# colour; photos shrunk to 256 px to keep this quick), and keeps it in `runs/cls/run.json`. The rule: the
# highest validation PSNR among the decodings whose colourfulness ratio stays inside 0.98-1.30 (vivid, not
# garish) over its whole 95 % prediction interval for a new set of 5 photos per category
# (`metrics.category_mean_interval`): a validation split has only a few photos per category (the split
# gives each category's validation part about 15 % of its photos, at least one), and so a decoding that
# only just reaches 0.98 there would miss it on new photos about half the time. The colourfulness ratio is
# taken over the whole photo, white background included: a decoding can reach the band by tinting the
# background as well as by colouring the fruit (section 9 measures the background). This notebook reads
# that run from the runs folder. In fast mode, or when it is missing and
# `IF_NO_MODEL = "fast"`, it trains the **tiny fast recipe** instead: a minute, and not a result.

# %% id="c16"
IF_NO_MODEL = "fast"  # no classification run: "fast" (tiny, a minute), "full" (the CPU recipe, 25-33 min), None (stop)
CLS_DIR = config.runs_dir() / ("cls-fast" if FAST else "cls")
TINY_CLS = FAST
if not (CLS_DIR / "model.keras").is_file():
    if not FAST:
        print("#" * 78 + f"\n##  NO CLASSIFICATION MODEL at {CLS_DIR / 'model.keras'}\n##  Train it with (in a cell):\n"
              '##  !python -m course_lib train --head classification --weights none --data "${NCD_DIR:-../data/ncd}" '
              '--out "${COURSE_RUNS_DIR:-../runs}/cls"\n' + "#" * 78)
    if IF_NO_MODEL not in ("fast", "full"):
        raise RuntimeError(f"no classification model in {CLS_DIR}; train it first, or set IF_NO_MODEL = 'fast'")
    TINY_CLS = FAST or IF_NO_MODEL == "fast"
    CLS_DIR = config.runs_dir() / ("cls-fast" if TINY_CLS else "cls")
    if not (CLS_DIR / "model.keras").is_file():
        print(f"Training the classification head into {CLS_DIR} ...")
        train.train(source.root, CLS_DIR, recipe="fast" if TINY_CLS else "cpu", head="classification", weights=None,
                    resume="auto", verbose=0)  # an interrupted run is continued, never started over
if TINY_CLS:
    print("!" * 78 + "\n!!  TINY FAST-RECIPE CLASSIFICATION MODEL: it proves the notebook runs; the numbers and\n"
          "!!  pictures below judge this toy, NOT the method.\n" + "!" * 78)
cls_model = load_colorizer(CLS_DIR / "model.keras")
T_RUN, T_SOURCE = cl.run_temperature(CLS_DIR / "model.keras")
UPSAMPLING_RUN = cl.run_upsampling(CLS_DIR / "model.keras")
print(f"{CLS_DIR / 'model.keras'}: {model_image_size(cls_model)} px, {len(model_bins(cls_model))} logits per pixel; "
      f"default T = {T_RUN:g} ({T_SOURCE}), {UPSAMPLING_RUN} upsampling")
info = cl.read_run_file(CLS_DIR)
if info and "colorfulness_low" in info["temperature_candidates"][0]:
    print("validation (category means), colourfulness ratio with its prediction interval for "
          f"{NEW_IMAGES_PER_CATEGORY} new photos a category:")
    for row in info["temperature_candidates"]:
        print(f"  T = {row['temperature']:4.2f}, {row['upsampling']:8s}: PSNR {row['psnr']:.2f} dB, colourfulness "
              f"{row['colorfulness_ratio']:.2f} [{row['colorfulness_low']:.2f}, {row['colorfulness_high']:.2f}]")

# %% [markdown] id="c17"
# ## 8. The annealed mean
#
# The head outputs, per pixel, a distribution z over the Q bins. The **annealed mean** re-tempers it,
# $f_T(z) = \exp(\log z / T) / \sum_q \exp(\log z_q / T)$, and averages the bin centres with these
# weights. T = 1 is the mean (back to MSE's compromise), T -> 0 the mode (vivid, but neighbouring pixels
# may jump between modes). Zhang et al. chose T = 0.38; this run chose its own on the validation split.
#
# ### Exercise 2: the annealed mean
#
# Write `annealed_mean(probs, bins, T)`: `probs` has shape `(..., Q)` (each row sums to 1), `bins` shape
# `(Q, 2)`; return the `(..., 2)` ab colours.
#
# Yours takes **probabilities**; the library's `cl.annealed_mean(logits, bins, T)`, used in the rest of
# this notebook, takes the head's **logits** (unnormalised log-probabilities) and computes
# `softmax(logits / T)`, the same re-tempered distribution without ever taking the log of a zero.

# %% tags=["exercise"] id="c18"
### BEGIN STUB
def annealed_mean(probs, bins, T):
    # YOUR CODE HERE: replace None
    return None
### END STUB
### BEGIN SOLUTION
import numpy as np


# Exercise 2 -- the annealed mean
def annealed_mean(probs, bins, T):
    """``sum_q f_T(z)_q c_q`` with ``f_T(z) = z ** (1 / T)``, renormalised."""
    tempered = np.power(probs, 1.0 / T)
    tempered = tempered / tempered.sum(axis=-1, keepdims=True)
    return tempered @ bins
### END SOLUTION


# %% tags=["exercise-check"] id="c19"
ex2.check(annealed_mean)
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.

# %% [markdown] id="c20"
# On a few test images (at the model's resolution): the logits are computed once, then decoded at
# several temperatures. Move the slider to see the colours go from the mode to the mean.

# %% id="c21"
test_records = select_records(source.root, "test")
few = stratified_subset(test_records, 4)
size = model_image_size(cls_model)
few_rgb = load_images_resized(few, size, progress=False)
few_l, _ = color.rgb_to_model_io(few_rgb)
few_logits = cls_model.predict_on_batch(few_l)  # (4, S, S, Q), computed once
cls_bins = model_bins(cls_model)


def decode(T):
    return color.model_io_to_rgb_uint8(few_l, cl.annealed_mean(few_logits, cls_bins, T) / color.AB_SCALE)


temperatures = (0.0, 0.1, T_RUN, 1.0)
rows = [decode(T) for T in temperatures]
row_titles = [f"T = {T:g}" + (" (mode)" if T == 0 else " (run's)" if T == T_RUN else "") for T in temperatures]
show_images([image for row in zip(*rows, few_rgb) for image in row], (row_titles + ["truth"]) * len(few),
            ncols=len(temperatures) + 1, size=1.8)
plt.show()

# %% id="c22"
slider = widgets.FloatSlider(value=T_RUN, min=0.02, max=1.0, step=0.02, description="T", continuous_update=False)


def show_temperature(T):
    show_images(list(decode(T)) + list(few_rgb), [f"T = {T:.2f}"] * len(few) + ["truth"] * len(few),
                ncols=len(few), size=1.8)
    plt.show()


display(widgets.VBox([slider, widgets.interactive_output(show_temperature, {"T": slider})]))

# %% [markdown] id="p07q"
# ### Exercise 3 (predict first): which model paints more colour?
#
# Section 9 below evaluates notebook 04's MSE model and the classification head (decoded at the run's
# temperature `T_RUN`, printed above) on the test images. Which of the two will have the higher
# **colourfulness ratio** (predicted / true colourfulness, notebook 05)? Answer `"mse"` or
# `"classification"` before running the comparison.

# %% tags=["exercise"] id="p07a"
### BEGIN STUB
more_colourful = None  # YOUR ANSWER: "mse" or "classification"
### END STUB
### BEGIN SOLUTION
# Exercise 3 -- prediction
more_colourful = "classification"  # MSE predicts the mean of the plausible colours: washed out
### END SOLUTION

# %% tags=["exercise-check"] id="p07c"
from course_lib.checks.classification import ex3

ex3.check(more_colourful)
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.

# %% [markdown] tags=["reflection"] id="r07"
# **Reflection** (write one paragraph in this cell; nothing checks it). Explain in your own words why one
# model should be more colourful than the other: what does each loss make the model predict for a pixel
# that could be red or green (section 2's toy)? Then, after running section 9, say whether the table
# agreed with you, and what the extra colour costs in PSNR.
#
# *Your answer:*

# %% [markdown] id="c23"
# ## 9. Gray, MSE and classification side by side
#
# The MSE model is notebook 04's (`config.course_run_dir()`); without it this cell says so loudly and
# trains the tiny fast-recipe MSE model instead. Both models are evaluated with the course's protocol on
# the **test split** (in fast mode: one image per category, shrunk to 128 px -- not the protocol), the gray
# baseline along the way.
#
# **What is compared.** The classification model is always the `cpu` recipe from a random encoder (48 px,
# 75 epochs, `--weights none`). Notebook 04's MSE model is whatever that notebook trained: the `gpu` recipe
# on a GPU (224 px, ImageNet encoder, fine-tuned), or the `cpu` recipe (48 px, 150 epochs), with ImageNet
# weights when they could be had. Only in the last case without ImageNet weights do the two models differ
# mainly in their loss and head (75 against 150 epochs: about the same CPU time); otherwise the table mixes
# the loss's effect with those of resolution and pretraining, and is a rough comparison only. The cell
# prints both models' resolutions. For a like-for-like pair, train the MSE model the same way (from
# `notebooks/`, as below) and set `MSE_DIR = config.runs_dir() / "mse-cpu"`:
#
# ```bash
# python -m course_lib train --recipe cpu --weights none --data "${NCD_DIR:-../data/ncd}" \
#     --out "${COURSE_RUNS_DIR:-../runs}/mse-cpu"
# ```

# %% id="c24"
MSE_DIR = config.course_run_dir()
TINY_MSE = FAST
if not (MSE_DIR / "model.keras").is_file():
    print(config.missing_model_message(MSE_DIR / "model.keras"))
    TINY_MSE = True
    MSE_DIR = config.course_run_dir(fast=True)
    if not (MSE_DIR / "model.keras").is_file():
        train.train(source.root, MSE_DIR, recipe="fast", weights=None,
                    resume="auto", verbose=0)
    print("!!  USING THE TINY FAST-RECIPE MSE MODEL: not a result.")
mse_model = load_colorizer(MSE_DIR / "model.keras")
print(f"MSE model: {MSE_DIR} ({model_image_size(mse_model)} px); classification model: {CLS_DIR} "
      f"({model_image_size(cls_model)} px)")

records, max_side = test_records, None
if FAST:
    records, max_side = stratified_subset(test_records, len({r.category for r in test_records})), 128
mse = evaluate_colorizer(lambda image: colorize_image(mse_model, image), records, max_side=max_side,
                         model=str(MSE_DIR), split="test", progress=False)
clsf = evaluate_colorizer(lambda image: colorize_image(cls_model, image, temperature=T_RUN, upsampling=UPSAMPLING_RUN),
                          records, max_side=max_side, model=f"{CLS_DIR} (T={T_RUN:g}, {UPSAMPLING_RUN})", split="test",
                          gray=False, progress=False)

METRICS = {"psnr": "PSNR dB", "ssim": "SSIM", "deltaE": "dE00", "colorfulness_ratio": "colourf. ratio", "auc": "AuC"}
table = {"gray (ab = 0)": mse.gray["dataset_image_mean"], "MSE regression": mse.dataset_image_mean,
         f"classification, T = {T_RUN:g}": clsf.dataset_image_mean}
print(f"{len(records)} test images" + (f", shrunk to {max_side} px (fast mode: not the protocol)" if FAST else "")
      + "; mean over images")
print(f"{'':26s}" + "".join(f"{title:>15s}" for title in METRICS.values()))
for name, row in table.items():
    print(f"{name:26s}" + "".join(f"{row[key]:15.3f}" for key in METRICS))
for key, title in METRICS.items():
    if key == "colorfulness_ratio":  # best = closest to 1 (as colourful as the photos)
        best = min(table, key=lambda name: abs(table[name][key] - 1))
    else:
        best = (min if key in LOWER_IS_BETTER else max)(table, key=lambda name: table[name][key])
    print(f"{title:>15s}: best {best}")

# %% [markdown] id="c25"
# Reading the table (with the tiny models of fast mode, none of this need hold):
#
# * **PSNR and SSIM** reward being close on average, so they favour hedging: the gray floor is high on NCD
#   (white backgrounds) and the MSE model is trained for exactly this. A vivid colour in the wrong place
#   costs more than a dull one.
# * **Colourfulness ratio** is where the classification head is meant to win: near 1 means as colourful
#   as the photos; MSE stays below 1 (washed out), gray is 0.
# * **dE00 and AuC** judge colour differences directly, and sit in between: a plausible but wrong vivid
#   colour is a large dE00.
#
# `benchmarks/README.md` ("Colour as classification") records the figures of the full runs on the test
# split. The gallery shows what the numbers mean:

# %% id="c26"
gallery = records[:: max(1, len(records) // 5)][:5]
tiles, titles = [], []
for record in gallery:
    truth = load_image(record.path, max_side=256)
    tiles += [recombine(truth, np.zeros((1, 1, 2), np.float32)), colorize_image(mse_model, truth),
              colorize_image(cls_model, truth, temperature=T_RUN, upsampling=UPSAMPLING_RUN), truth]
    titles += [f"gray: {record.category}", "MSE", f"classification T={T_RUN:g}", "truth"]
show_images(tiles, titles, ncols=4, size=2.2)
plt.show()

# %% [markdown] id="c26a"
# **The white background.** Rebalancing gives the gray bin, and so NCD's white background, a small weight
# (section 5), and the colourfulness ratio that chose the decoding counts the background too. So measure
# it: the mean a, b and chroma each model paints on the photos' background (all of R, G, B at least 240 in
# the truth, `metrics.foreground_mask`), on up to 10 test photos shrunk to 256 px. The truth's row is
# close to 0; a model whose row is not tints the background.

# %% id="c26b"
painters = {"truth": lambda image: image, "MSE": lambda image: colorize_image(mse_model, image),
            f"classification T={T_RUN:g}": lambda image: colorize_image(cls_model, image, temperature=T_RUN,
                                                                       upsampling=UPSAMPLING_RUN)}
background_ab = {name: [] for name in painters}
for record in records[:: max(1, len(records) // 10)][:10]:
    truth = load_image(record.path, max_side=256)
    is_background = ~foreground_mask(truth)
    if not is_background.any():
        continue
    for name, paint in painters.items():
        ab = color.rgb_to_lab(paint(truth))[..., 1:][is_background]  # (pixels, 2)
        background_ab[name].append([*ab.mean(axis=0), np.hypot(ab[:, 0], ab[:, 1]).mean()])
print(f"background, mean over {len(background_ab['truth'])} photos      a        b   chroma")
for name, rows in background_ab.items():
    a_mean, b_mean, chroma = np.mean(rows, axis=0)
    print(f"{name:38s}{a_mean:+7.2f}  {b_mean:+7.2f}  {chroma:6.2f}")

# %% [markdown] id="c27"
# ## 10. What to take away
#
# * The squared error's optimum is the **mean** of the plausible colours; when they disagree, the mean is
#   a colour none of them has. Predicting a **distribution** keeps the modes.
# * Classification needs three extra pieces: the **bins** (here Q as measured above, not the paper's 313,
#   which no gamut rule tried here reproduces), **soft targets**, and **rebalancing**, without which a pixel
#   the network cannot read is pulled to gray (section 5 measured it). Rebalancing's price: the white
#   background weighs little, so check it for a tint, as section 9 did.
# * The annealed mean sharpens a skewed or broad distribution; a near 50/50 choice between two colours it
#   cannot make. That needs a cue from the whole photo or a user's hint: notebook 08.
# * The **annealed mean** is a knob between vivid (mode) and safe (mean). Choose it on the validation
#   split, never on the test split, and leave a margin (a prediction interval) for the photos you have
#   not seen.
