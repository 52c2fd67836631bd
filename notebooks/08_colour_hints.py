# ---
# jupyter:
#   course:
#     colab_gpu: T4
#     goals:
#     - see why a colorizer needs a user's hints when several colours are plausible (an apple can be
#       red or green)
#     - simulate hints after Zhang et al. (2017), adapted to NCD -- how many, where, which colour -- and
#       feed them to the network through extra input channels
#     - measure how PSNR grows with the number of hints, for a hint model and for the automatic one
#     - colorize an NCD photo and your own by clicking on it and picking colours
#     needs_data: true
#     time_cpu: 45 min
#     time_gpu: 25 min
#     title: 'Colour hints: user-guided colorization'
# ---

# %% [markdown] id="c00"
# ## 1. Why hints?
#
# From lightness alone a colorizer cannot know everything: an apple may be red or green (NCD's Apple folder
# has both), and the gray photo looks the same. Trained with the squared error, the model of notebooks
# 03-06 then paints the *average* of the plausible colours, a grayish compromise (notebook 07 tackles the
# same ambiguity with classification). A person who knows the scene can settle it with a click: "this one
# is red". Zhang, Zhu, Isola, Geng, Lin, Yu and Efros, *Real-Time User-Guided Image Colorization with
# Learned Deep Priors* (SIGGRAPH 2017), train a network that takes, besides L, a few such **hints** -- a
# colour at a point -- and learns to spread each hint over the object it falls on, while still colorizing
# on its own where there is none.
#
# All the machinery lives in `course_lib.hints` (simulating users, the hint channels), `build_colorizer(...,
# hints=True)` (the model), `python -m course_lib train --hints`, `colorize --hint X,Y,#RRGGBB` and
# `evaluate --hints N`; the interactive part in `course_lib.hint_widget`.

# %% id="c01"
import warnings

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_lib import color, config, course_models, hints, recipes, train
from course_lib.colorizer import Colorizer
from course_lib.data import SkippedFileWarning, get_dataset, load_image, stratified_subset
from course_lib.environment import weights_for_recipe
from course_lib.errors import CourseError
from course_lib.evaluate import evaluate_colorizer, hint_colorize_fn, select_records
from course_lib.hint_widget import HintExplorer, enable_colab_widgets, upload_explorer
from course_lib.inference import resize_rgb
from course_lib.model import build_colorizer
from course_lib.plots import show_images

FAST = config.fast_mode()
source = get_dataset()
warnings.simplefilter("ignore", SkippedFileWarning)  # notebook 02 lists the stray files once
test_records = select_records(source.root, "test")
print(f"{len(test_records)} test images in {source.root}")

# %% [markdown] id="c02"
# ## 2. Simulating a user
#
# To train on hints we need thousands of them, so a program plays the user. Following Zhang et al. 2017,
# for each training image:
#
# * **how many**: a geometric number, `P(N = k) = (1 - p)^k p` with `p = 1/8`: often none or a few, on
#   average 7 (`hints.hint_count`);
# * **where**: Zhang et al. draw each hint's position from a **2-D Gaussian centred on the image**, with a
#   standard deviation of a quarter of the side in each direction (in the authors' code,
#   `richzhang/colorization-pytorch`, `util/util.py`, `add_color_points`; a uniform draw is left there
#   commented out). It is a guess at where users click: the subject of a photo usually sits near its
#   middle. An NCD photo is one fruit or vegetable, centred, on a **white background**, so the course makes
#   the same guess sharper: the hint centres are drawn uniformly among the **object's** pixels, those that
#   `hints.object_mask` finds not near-white (the LAB form of `metrics.foreground_mask`). How much that
#   choice matters, one hint on the object against one on the background, exercise 5 asks you to predict
#   before you measure it;
# * **what**: a square patch of 1 to 9 pixels per side, revealing the **mean ab** of the true image over
#   the patch -- a user does not click on a single pixel's exact colour. Zhang et al. use the same sizes on
#   photos of 256 px (cropped to 192 in their code); here they are pixels of the image the model sees
#   (48 px for the `cpu` recipe), so a patch covers a far larger share of the photo: up to a fifth of its
#   side.
#
# Every sample takes a seed: the same seed gives the same hints. Here are 8 of them on a test photo, at the
# model's resolution (48 px for the `cpu` recipe) and enlarged:

# %% id="c03"
photo = load_image(test_records[0].path, max_side=512)
small = resize_rgb(photo, 48)
lab = color.rgb_to_lab(small)
simulated = hints.sample_hints(lab, n=8, seed=0)
for h in simulated:
    print(f"row {h.y:2d}, column {h.x:2d}: {h.size} x {h.size} px patch, mean ab = ({h.a:6.1f}, {h.b:6.1f})")
revealed = color.lab_to_rgb_uint8(np.concatenate(
    [np.full((48, 48, 1), 75.0, np.float32), color.denormalize_ab(hints.hint_map(simulated, 48, 48)[..., :2])], -1))
revealed[hints.hint_map(simulated, 48, 48)[..., 2] == 0] = 255
fig = show_images([small, hints.object_mask(lab).astype(np.float32), revealed],
                  ["truth (48 px)", "object mask: where hints may fall", "the hints (their ab at L = 75)"],
                  ncols=3, size=3)
plt.show()

# %% [markdown] id="c04"
# ### Exercise 1: what a simulated user reveals
#
# Write `patch_mean(ab, y, x, size)`: `ab` is an `(H, W, 2)` array; return the pair `(mean a, mean b)` over the
# `size` x `size` square around row `y`, column `x`. The square's top-left corner is
# `(y - (size - 1) // 2, x - (size - 1) // 2)` (so an odd size is centred exactly), and near the border it is
# cut to the part inside the image.

# %% tags=["exercise"] id="c05" exercise_kind="building"
### BEGIN STUB
def patch_mean(ab, y, x, size):
    # YOUR CODE HERE: replace None with (mean a, mean b)
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 1 -- the mean ab of a hint's patch
def patch_mean(ab, y, x, size):
    first_row = y - (size - 1) // 2
    first_col = x - (size - 1) // 2
    window = ab[max(first_row, 0) : first_row + size, max(first_col, 0) : first_col + size]
    return float(window[..., 0].mean()), float(window[..., 1].mean())
### END SOLUTION


# %% tags=["exercise-check"] id="c06"
from course_lib.checks.colour_hints import ex1, ex2, ex3, ex4, ex5

ex1.check(patch_mean)
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% [markdown] id="c07"
# ### Exercise 2: the colour you pick
#
# A real user picks a colour in a colour picker, as `#RRGGBB`. The hint carries only its **ab**: the photo
# keeps its own lightness, so a light red picked on a dark fruit becomes a dark red. Write `picked_ab(text)`:
# `"#d02020"` -> `(a, b)` in LAB units (`color.rgb_to_lab` converts an RGB uint8 array).

# %% tags=["exercise"] id="c08" exercise_kind="building"
### BEGIN STUB
def picked_ab(text):
    # YOUR CODE HERE: replace None with (a, b)
    return None
### END STUB
### BEGIN SOLUTION
import numpy as np

from course_lib import color


# Exercise 2 -- a picked colour's ab
def picked_ab(text):
    digits = text.lstrip("#")
    pixel = np.array([[[int(digits[k : k + 2], 16) for k in (0, 2, 4)]]], dtype=np.uint8)
    a, b = color.rgb_to_lab(pixel)[0, 0, 1:]
    return float(a), float(b)
### END SOLUTION


# %% tags=["exercise-check"] id="c09"
ex2.check(picked_ab)
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.

# %% [markdown] id="c10"
# ## 3. How the hints enter the network
#
# The model's input becomes four channels, `(S, S, 4)`: L (`L/50 - 1`), the hint's a and b (`ab/128` inside
# each patch, 0 elsewhere) and a **mask** (1 inside a patch). The mask matters: without it, "a hint of gray"
# (ab = 0) and "no hint" would look the same.
#
# ### Exercise 3: the 4-channel input
#
# Build `four_channel_input(l_norm, hint_list)`: `l_norm` is an `(H, W, 1)` array, `hint_list` a list of
# `hints.Hint` (fields `y`, `x`, `size`, `a`, `b`, as printed in section 2). Return the `(H, W, 4)` input:
# channel 0 is `l_norm`; channels 1-2 hold each hint's `a / 128` and `b / 128` over its patch (the square
# of exercise 1, cut to the image: `hints.patch_bounds(y, x, size, H, W)` gives `(top, bottom, left,
# right)`), channel 3 is 1 over each patch; everything else is 0. Where two patches overlap, the later hint
# wins (the user's last click). The check compares yours with `course_lib`'s on hand-made cases.

# %% tags=["exercise"] id="c10a" exercise_kind="building"
### BEGIN STUB
def four_channel_input(l_norm, hint_list):
    # YOUR CODE HERE: replace None with the (H, W, 4) array
    return None
### END STUB
### BEGIN SOLUTION
import numpy as np

from course_lib import hints


# Exercise 3 -- L and the hint channels
def four_channel_input(l_norm, hint_list):
    height, width = l_norm.shape[:2]
    channels = np.zeros((height, width, 3), np.float32)
    for h in hint_list:  # in order: a later hint overwrites an earlier one
        top, bottom, left, right = hints.patch_bounds(h.y, h.x, h.size, height, width)
        channels[top:bottom, left:right] = (h.a / 128, h.b / 128, 1.0)
    return np.concatenate([l_norm, channels], axis=-1)
### END SOLUTION


# %% tags=["exercise-check"] id="c10b"
ex3.check(four_channel_input)
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.

# %% [markdown] id="c10c"
# But VGG19's first convolution expects 3 channels -- the gray L repeated, in Caffe's BGR 0-255 form. Two
# ways out:
#
# 1. a **hint branch** of its own, fused into the decoder;
# 2. an **extended first convolution**: `block1_conv1` gets 3 more input channels, with new weights.
#
# The course takes the second (`build_colorizer(..., hints=True)`), like Zhang et al., whose hints enter at
# the first layer:
#
# * **A hint reaches the whole object.** Entering at the first layer, it travels through every VGG block
#   and every skip connection; its influence spans the deepest block's receptive field (with 3 blocks, the
#   whole 48 px image). A branch fused into the decoder at **full resolution** would reach only as far as
#   the few convolutions after it. A branch could reach as far by fusing at a coarse level of the decoder,
#   but then it needs a downsampling path of its own (a second encoder) to carry a 1-9 px hint there; the
#   first convolution gets that path for free.
# * **The start ignores the hints.** The new weights start at **zero**, so at step 0 the model's output
#   does not depend on the hints at all (the cell below checks it), and `block1_conv1` responds to L
#   exactly as before: with ImageNet weights, the pretrained features are intact when training starts,
#   and no random hint weights scramble them. That is all the zero start keeps. The hint model is **not**
#   notebook 04's model: its decoder (and, offline, its whole encoder) starts from random weights and
#   learns to colorize at the same time as it learns to use hints. The hint channels are scaled to the
#   range of VGG's own input (ab in LAB units, the mask times 100), so the new weights learn at the pace
#   of the old ones.
# * **Plain layers**: a wider `Conv2D`; the model saves and loads with `keras.models.load_model`.
#
# The price: the encoder's features now change with every hint, so a frozen ImageNet encoder's features
# cannot be computed once and cached (notebook 04's trick), and its first convolution must stay trainable.
#
# ### Exercise 4: extend the first convolution
#
# Build `extend_first_conv(kernel)`: `kernel` is `block1_conv1`'s weights, shape `(3, 3, 3, F)` (rows,
# columns, input channels, filters: Keras' order). Return the kernel of the wider layer, `(3, 3, 6, F)`,
# such that the layer responds to the photo exactly as before when no hint is given, and such that, before
# any training, a hint changes nothing either. The check convolves a random input with yours and with the
# original kernel, with and without a hint, and compares the outputs.

# %% tags=["exercise"] id="c10d" exercise_kind="building"
### BEGIN STUB
def extend_first_conv(kernel):
    # YOUR CODE HERE: replace None with the (3, 3, 6, F) kernel
    return None
### END STUB
### BEGIN SOLUTION
import numpy as np


# Exercise 4 -- the old kernel for the photo's 3 channels, zeros for the 3 hint channels
def extend_first_conv(kernel):
    extra = np.zeros((*kernel.shape[:2], 3, kernel.shape[3]), kernel.dtype)
    return np.concatenate([kernel, extra], axis=2)
### END SOLUTION


# %% tags=["exercise-check"] id="c10e"
ex4.check(extend_first_conv)
# Stuck? ex4.hint() gives a hint (again: a more specific one); ex4.solution() shows an answer.

# %% [markdown] id="c10f"
# `build_colorizer(..., hints=True)` does the same to VGG's layer. Check the zero start on a fresh model:

# %% id="c11"
fresh = build_colorizer(32, "unet", weights=None, encoder_blocks=2, decoder_width=8, hints=True)
kernel = fresh.get_layer("encoder").get_layer("block1_conv1").get_weights()[0]
print(f"input {fresh.input_shape}; block1_conv1 kernel {kernel.shape} (3 x 3 window, 6 input channels, "
      f"64 filters)")
print(f"largest weight on the 3 VGG channels: {np.abs(kernel[:, :, :3]).max():.3f}; "
      f"on the 3 hint channels: {np.abs(kernel[:, :, 3:]).max():.3f}")
l_norm = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 1)).astype(np.float32)
some_hints = hints.hint_map([hints.Hint(16, 16, 5, 60.0, 40.0)], 32, 32)[None]
difference = np.abs(fresh.predict_on_batch(hints.model_input(l_norm, some_hints))
                    - fresh.predict_on_batch(hints.model_input(l_norm))).max()
print(f"largest change a hint makes before training: {difference:.1e}")

# %% [markdown] id="c12"
# ## 4. The hint model
#
# `python -m course_lib train --hints` trains it with notebook 04's recipe, but not quite the same run: the
# `cpu` recipe gives it 90 epochs instead of 150 (each epoch costs about 1.2 times as much:
# `recipes.VARIANT_EPOCHS`), and the pipeline samples **new hints for every image in every epoch** (after the flips and crops, on the augmented
# image), and a quarter of the batches carry **no hint at all**, so that the model still colorizes on its
# own. Validation, and so the choice of the best epoch, is without hints.
#
# The loss is the MSE of notebooks 03-06, not notebook 07's classification, and Zhang et al. 2017 do the
# same: their network first learns automatic colorization with the classification loss, then is fine-tuned
# with hints and a **regression** loss (a Huber loss; `richzhang/colorization-pytorch`,
# `scripts/train_siggraph.sh`). Notebook 07 needed classification because a gray pixel can be one of several
# colours and the mean of them is gray. A hint settles which one, and where the colour is known, the mean
# that a regression loss predicts is that colour, not a compromise.
#
# This notebook uses the run in `hints` under the runs folder (`config.runs_dir()`). The course's full run
# (`python -m course_lib run-notebooks`) trains it, or reuses it, before this notebook starts, **like notebook
# 04's automatic model** (the same recipe, encoder weights, resolution and network, the recipe's own epochs
# for the hint model: `course_lib.course_models`), and section 4's cell prints both recipes. On the course's
# machine it was trained with this command (run from `notebooks/`; `benchmarks/README.md`, "Colour hints", has
# the time and figures of an earlier run of it with 60 epochs, not the recipe's 90):
#
# ```bash
# python -m course_lib train --hints --weights none --data "${NCD_DIR:-../data/ncd}" \
#     --out "${COURSE_RUNS_DIR:-../runs}/hints"
# ```
#
# Without it, by default, the cell trains a **tiny fast-recipe hint model** in about half a minute: good to
# try everything out, **not a result**. Set `IF_NO_MODEL = "full"` to train the real one here (the `cpu`
# recipe; 21.5 min measured for 60 epochs on 2 cores, and it now trains 90, not re-measured), or `None` to stop.
# The automatic model is notebook 04's (or, likewise, a tiny one).

# %% id="c13"
IF_NO_MODEL = "fast"  # no hint model: "fast" (tiny, half a minute), "full" (like notebook 04's model; cpu recipe + hints, 90 epochs; 60 took 21.5 min), None (stop)
HINT_RUN_DIR = course_models.variant_run_dir("hints", fast=FAST)
TINY_MODELS = FAST
if not (HINT_RUN_DIR / "model.keras").is_file():
    if IF_NO_MODEL not in ("fast", "full"):
        raise CourseError(f"no hint model in {HINT_RUN_DIR}: train one in a cell with `!python -m course_lib train "
                          '--hints --data "${NCD_DIR:-../data/ncd}" --out "${COURSE_RUNS_DIR:-../runs}/hints"`, '
                          'or set IF_NO_MODEL = "fast"')
    TINY_MODELS = FAST or IF_NO_MODEL == "fast"
    HINT_RUN_DIR = course_models.variant_run_dir("hints", fast=TINY_MODELS)
weights = None
if not (HINT_RUN_DIR / "model.keras").is_file() or not (config.course_run_dir(fast=TINY_MODELS) / "model.keras").is_file():
    print("Training what is missing, with the recipe's own encoder weights:")
    # cpu, fast: none (as measured); gpu: ImageNet, or none offline, said loudly.
    weights = weights_for_recipe(recipes.resolve_settings(fast=TINY_MODELS).weights)
AUTO_RUN_DIR = config.course_run_dir(fast=TINY_MODELS)
if not (AUTO_RUN_DIR / "model.keras").is_file():
    print(config.missing_model_message(AUTO_RUN_DIR / "model.keras"))
    train.train(source.root, AUTO_RUN_DIR, settings=recipes.resolve_settings(fast=TINY_MODELS, weights=weights),
                resume="auto")
if not (HINT_RUN_DIR / "model.keras").is_file():
    # Like the automatic model (its recipe, weights and size). The fast recipe's hint variant trains longer
    # than its 3 epochs (recipes.VARIANT_SETTINGS): a model that never saw enough hints would ignore them.
    # resume="auto": an interrupted run is continued.
    auto_settings = course_models.run_settings(AUTO_RUN_DIR)
    hint_settings = (course_models.variant_settings(auto_settings, "hints") if auto_settings is not None
                     else recipes.resolve_settings(fast=TINY_MODELS, weights=weights, hints=True))
    train.train(source.root, HINT_RUN_DIR, settings=hint_settings, resume="auto")
# Colorizer.load: each run's model with what it takes to use it (input size, hints or not, decoding).
hint_colorizer = Colorizer.load(HINT_RUN_DIR)
auto_colorizer = Colorizer.load(AUTO_RUN_DIR)
HINT_SETTINGS = course_models.run_settings(HINT_RUN_DIR)
TINY_MODELS = TINY_MODELS or (HINT_SETTINGS is not None and HINT_SETTINGS.recipe == "fast")
if TINY_MODELS:
    print("!" * 78)
    print("!!  TINY FAST-RECIPE MODELS (tiny images, a few epochs on a subset): they prove the notebook runs.")
    print("!!  Every number and picture below judges these toys, NOT the method.")
    print("!" * 78)
print(f"hint model: {hint_colorizer}\nautomatic model: {auto_colorizer}")
print(course_models.compare_runs(AUTO_RUN_DIR, HINT_RUN_DIR))

# %% [markdown] id="c14"
# ## 5. How much do hints help?
#
# The protocol of Zhang et al.: give the model `N` simulated hints per test image, sampled on the true image
# (on the object, seeded by the image, so every model sees the same hints), and measure PSNR against the
# truth, for `N` = 0, 1, 2, 5, 10, 20. The automatic model takes no hints: its line is flat, and it is the
# reference. (`evaluate --hints N` does the same from the command line.) In fast mode only a few test images,
# shrunk to 256 px, are measured: not the protocol's figures.

# %% [markdown] id="c15"
# ### Exercise 5: predict first
#
# Before measuring: where does **one** hint gain more PSNR, placed on the **object** or on the white
# **background**? Set `one_hint_where` to `"object"` or `"background"` and run the check cell: it records
# your prediction. After the measurement below, `ex5.reveal(...)` compares it with what this kernel measured.

# %% tags=["exercise"] id="c16" exercise_kind="decision"
### BEGIN STUB
one_hint_where = None  # YOUR PREDICTION: one of "object", "background"
### END STUB
### BEGIN SOLUTION
# Exercise 5 -- predict, before measuring: where does one hint help most?
one_hint_where = "object"  # the model must guess the object's colour; the white background it already knows
### END SOLUTION

# %% tags=["exercise-check"] id="c17"
ex5.predict(one_hint_where)
# Stuck? ex5.hint() gives a hint (again: a more specific one); ex5.solution() shows an answer.

# %% id="c18"
HINT_COUNTS = (0, 1, 2, 5, 10, 20)
curve_records, MAX_SIDE = test_records, None
if FAST:  # a few test images, shrunk: it runs in seconds, and the figures are not the protocol's
    curve_records, MAX_SIDE = stratified_subset(test_records, 6), 256
options = dict(max_side=MAX_SIDE, split="test", progress=False, gray=False)
curve = {n: evaluate_colorizer(hint_colorize_fn(hint_colorizer, n), curve_records, **options).dataset_image_mean["psnr"]
         for n in HINT_COUNTS}
automatic = evaluate_colorizer(hint_colorize_fn(auto_colorizer, 0), curve_records, **options).dataset_image_mean["psnr"]
print(f"PSNR on {len(curve_records)} test images" + (f" (at most {MAX_SIDE} px)" if MAX_SIDE else "") + ":")
for n, value in curve.items():
    print(f"  {n:2d} hints: hint model {value:6.2f} dB   automatic model {automatic:6.2f} dB")
if TINY_MODELS:  # the toy's curve above; the full run's recorded one here, so the finding shows
    recorded = course_models.recorded_results("hint_curve")
    print("\n" + course_models.recorded_header(recorded))
    for row in recorded["rows"]:
        print(f"  {row['hints']:2d} hints: hint model {row['psnr_images']:6.2f} dB   automatic model "
              f"{row['automatic_psnr']:6.2f} dB")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(HINT_COUNTS, [curve[n] for n in HINT_COUNTS], "o-", label="hint model")
ax.axhline(automatic, color="gray", linestyle="--", label="automatic model (ignores hints)")
ax.set_xlabel("simulated hints per image")
ax.set_ylabel("PSNR (dB)")
ax.set_title("PSNR against the number of hints" + (" (TINY models)" if TINY_MODELS else ""))
ax.legend()
plt.show()

# %% [markdown] id="c19"
# Now your prediction, measured: one hint on the object (drawn as in training) against one on the background
# (a random background pixel, revealing its true colour), on the same images. Read the curve too: the first
# few hints gain the most, since each one settles the colour of a whole object; later ones refine details.
# Mind the scale when comparing with Zhang et al.'s curve: the hints here are sampled on the image the model
# sees, 48 px for the `cpu` recipe, so a 1-9 px patch covers up to a fifth of the photo's side (3.5 % of
# its area), while theirs, on photos of 192-256 px, cover at most 0.1-0.2 % of it. One of our hints reveals
# far more colour than one of theirs, and our curve climbs faster for it.
# With the tiny models of fast mode the gains are small and may even be negative: they barely learnt to use
# hints.

# %% id="c20"
size = hint_colorizer.image_size


def one_hint_psnr(place):
    """Mean PSNR with one simulated hint on the object or on the background of each curve image."""
    from course_lib.metrics import psnr

    values = []
    for k, record in enumerate(curve_records):
        truth = load_image(record.path, max_side=MAX_SIDE)
        truth_lab = color.rgb_to_lab(resize_rgb(truth, size))
        where = hints.object_mask(truth_lab)
        if place == "background":
            where = ~where
        if not where.any():
            continue
        y, x = np.argwhere(where)[np.random.default_rng(k).integers(where.sum())]
        a, b = hints.patch_mean_ab(truth_lab[..., 1:], y, x, 3)
        hint_map = hints.hint_map([hints.Hint(int(y), int(x), 3, a, b)], size, size)
        values.append(psnr(hint_colorizer.colorize(truth, hint_map=hint_map), truth, data_range=255))
    return float(np.mean(values))


one_hint_gain = {place: one_hint_psnr(place) - curve[0] for place in ("object", "background")}
for place, gain in one_hint_gain.items():
    print(f"one hint on the {place:10s}: {gain:+.2f} dB over no hint")

# %% id="c20r"
ex5.reveal(one_hint_gain["object"], one_hint_gain["background"])

# %% [markdown] tags=["reflection"] id="r08"
# **Reflection** (write one paragraph in this cell; nothing checks it). Compare your prediction of
# exercise 5 with the two numbers above. Why can one point of colour change the PSNR of a whole photo, and
# what does a hint on the white background tell the model that it could not see already? Then read the curve: where does
# the next hint stop paying, and what would a user of a colorization tool conclude about where to click?
#
# *Your answer:*

# %% [markdown] id="c21"
# ## 6. Your turn: colorize by clicking
#
# Below, a test photo as the model sees it (gray). **Pick a colour**, then **click** on the photo: the hint
# appears as a small square of that colour, and the result on the right is colorized again with every hint
# so far. *undo last hint* and *clear hints* do what they say. Try a colour the automatic model would not
# choose (a blue apple) and see how far the hint spreads -- over the object, not beyond its edges, if the
# model learnt well (with fast mode's tiny model, expect a faint, local change).
#
# The clicks travel to Python through `ipyevents`, a maintained widget library that works in JupyterLab and
# Colab. On Colab the next cell switches on Colab's custom widget manager, which such widgets need.

# %% id="c22"
if enable_colab_widgets():
    print("Colab: custom widget manager on")
explorer_photo = load_image(stratified_subset(test_records, 10)[3].path, max_side=1024)
explorer = HintExplorer(hint_colorizer, explorer_photo, colour="#2050ff", title="a test photo")
display(explorer.widget)

# %% [markdown] id="c23"
# ## 7. Your own photo
#
# Click **Upload a photo** and choose an image: it opens in the same explorer (a colour photo is shown gray:
# the model sees only its L). The model knows NCD's world -- fruit and vegetables on white -- so on other
# photos its own colours are guesses; your hints tell it what you know.

# %% id="c24"
display(upload_explorer(hint_colorizer))

# %% [markdown] id="c25"
# The same from the command line, for a photo `photo.jpg` with a red hint at column 120, row 80:
#
# ```bash
# python -m course_lib colorize --model "${COURSE_RUNS_DIR:-../runs}/hints" photo.jpg --out "${COURSE_RUNS_DIR:-../runs}/colorized" \
#     --hint 120,80,#d02020
# ```
#
# ## Summary
#
# * Hints settle what lightness cannot: the colour of an object that comes in several colours.
# * Simulated users (a geometric number of patches, their mean ab, on the object) give endless training
#   hints; a share of hint-free batches keeps the model able to colorize alone.
# * The hints enter through an extended first convolution whose new weights start at zero, so at the start
#   the hints change nothing and a pretrained encoder's features are intact; everything else trains.
# * With hints, the ambiguity that notebook 07 fought with classification is settled by the user, so a
#   regression loss works again (as in Zhang et al. 2017).
# * PSNR grows with the number of hints, fastest for the first few.
#
# Where to go next: Zhang et al. 2017 also suggest colours to the user (a palette predicted per pixel), and
# combine hints with the classification head of notebook 07.
