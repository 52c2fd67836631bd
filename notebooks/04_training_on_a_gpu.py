# ---
# jupyter:
#   course:
#     colab_gpu: T4
#     goals:
#     - feed the model with a tf.data pipeline that keeps a GPU busy
#     - switch Colab to a GPU runtime, and understand mixed precision and cached encoder
#       features
#     - save checkpoints and a log with Keras callbacks, write one that keeps the best model, and
#       resume an interrupted training
#     - read loss curves and the prediction grids to judge training
#     - test the loss's assumption on your model's errors, write a training step with tf.GradientTape,
#       and run a small ablation
#     needs_data: true
#     time_cpu: 40 min plus the training (19-31 min on 2 cores; see benchmarks/README.md)
#     time_gpu: 30 min
#     title: Training on a GPU
# ---

# %% [markdown] id="c00"
# ## 1. The plan
#
# Notebook 03 built the model: a VGG19 encoder and a U-Net decoder. How much of VGG19 it keeps depends on
# the recipe (section 8): all five blocks (about 20 million encoder parameters) on a GPU, the first three
# (about 2.3 million) on a CPU. Training it well needs three things this notebook walks through:
#
# 1. an **input pipeline** that keeps the GPU busy (decode every JPEG once, do the rest in TensorFlow);
# 2. a **GPU**, used well: mixed precision, and, while the encoder is frozen, its features computed
#    once and **cached** (the deepest ones, when all of them would not fit in memory), so each epoch
#    runs little more than the decoder;
# 3. **checkpoints** every epoch (every second one for the `gpu` recipe's large model), so that a lost
#    Colab runtime costs at most one or two epochs: you **resume**.
#
# All of it lives in `course_lib.train` (also available as `python -m course_lib train`); here we look
# inside, run it, interrupt it and resume it.
#
# **Fast mode.** With `COURSE_FAST=1` (as in CI) everything is shrunk: tiny images, a subset of the data
# and a couple of epochs, so this notebook runs in a minute or two on a laptop CPU. The model you get is
# correspondingly poor. Without it, the notebook trains the course's recommended recipe.

# %% id="c01"
import csv
import json
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import keras

from course_lib import config, recipes, train
from course_lib.data import get_dataset, scan_dataset_summarized, split_dataset, stratified_subset
from course_lib.environment import COLAB_GPU_HINT, in_colab, list_gpus
from course_lib.model import build_colorizer
from course_lib.pipeline import make_dataset

FAST = config.fast_mode()
print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, fast mode: {FAST}")

# %% [markdown] id="c02"
# ## 2. Is there a GPU?
#
# Training a VGG19-based model is dozens of times faster on a GPU. On **Colab**, choose
# *Runtime > Change runtime type > Hardware accelerator: GPU (T4)*, then run the notebook again from the
# top (changing the runtime restarts it). Elsewhere, TensorFlow finds an NVIDIA GPU when the CUDA build is
# installed (see `requirements.txt`). `train` picks its **recipe** from what it finds (section 8): the
# `gpu` recipe (ImageNet encoder, 224 px, all 5 VGG blocks, fine-tuning) on a GPU, the `cpu` recipe
# (48 px, 3 blocks, the whole network trained from scratch when offline) without one.

# %% id="c03"
gpus = list_gpus()
if gpus:
    print(f"GPU found: {', '.join(gpus)}. Training will use it, with mixed precision.")
else:
    print("No GPU: training runs on the CPU, with the cpu recipe.")
    if in_colab():
        print(COLAB_GPU_HINT)

# %% [markdown] id="c04"
# ## 3. The data and its split
#
# `get_dataset` finds NCD (explicit path, then `$NCD_DIR`, then `data/ncd/`, else a download), and falls
# back to the generated **offline sample set** only with a loud banner. The split is deterministic: each
# image's train / val / test assignment comes from a hash of its relative path (category folder and file
# name, e.g. `Apple/Apple1.jpg`; notebook 02 has the details), so it never changes when images are added.

# %% id="c05"
source = get_dataset()
# One summary line for the stray files that are not images (notebook 02 lists them), not a warning each.
index = scan_dataset_summarized(source.root)
print(f"{len(index.records)} images in {len(index.categories)} categories")
splits = split_dataset(index.records)
print({name: len(split) for name, split in splits.items()})

# %% [markdown] id="c06"
# ## 4. The input pipeline
#
# `course_lib.pipeline.make_dataset` turns a list of images into batches of `(L_norm, ab_norm)`:
#
# ```
# JPEG files --decode + resize once (threads, cached on disk)--> uint8 (N, S, S, 3)
#    --> shuffle --> batch --> augment (flip, random resized crop) --> RGB -> LAB in TensorFlow
#    --> (L / 50 - 1,  ab / 128) --> prefetch
# ```
#
# Decoding JPEGs is the slow part, so it happens once; everything per epoch runs inside TensorFlow on
# whole batches, and `prefetch` prepares the next batch while the GPU works on the current one.

# %% id="c07"
PIPELINE_SIZE, PIPELINE_BATCH = (32, 8) if FAST else (128, 32)
demo_records = stratified_subset(splits["train"], 64) if FAST else splits["train"]  # fast mode: every category, fewer images
train_ds = make_dataset(demo_records, PIPELINE_SIZE, PIPELINE_BATCH, augment=True, shuffle=True, seed=0)
l_batch, ab_batch = next(iter(train_ds))
print(f"L_norm  {l_batch.shape} {l_batch.dtype.name} in [{float(tf.reduce_min(l_batch)):.2f}, {float(tf.reduce_max(l_batch)):.2f}]")
print(f"ab_norm {ab_batch.shape} {ab_batch.dtype.name} in [{float(tf.reduce_min(ab_batch)):.2f}, {float(tf.reduce_max(ab_batch)):.2f}]")

start = time.perf_counter()
n_images = sum(int(l.shape[0]) for l, _ in train_ds)       # one full epoch through the pipeline
print(f"one epoch of the pipeline: {n_images} images at {n_images / (time.perf_counter() - start):.0f} images/s")


# %% [markdown] id="c08"
# ### Exercise 1: batches per epoch
#
# Keras reports progress in *steps*, one per batch. Write `steps_per_epoch(n_images, batch_size)`: how
# many batches one pass over `n_images` images takes, when the last batch may be smaller than the others
# (our pipeline keeps it: `drop_remainder=False`).

# %% tags=["exercise"] id="c09" exercise_kind="building"
### BEGIN STUB
def steps_per_epoch(n_images, batch_size):
    # YOUR CODE HERE
    return None
### END STUB
### BEGIN SOLUTION
import math
from pathlib import Path


# Exercise 1 -- batches per epoch
def steps_per_epoch(n_images: int, batch_size: int) -> int:
    """Batches in one epoch over ``n_images`` images."""
    # Round up: the last batch is smaller but still has to be seen.
    return math.ceil(n_images / batch_size)
### END SOLUTION


# %% tags=["exercise-check"] id="c10"
from course_lib.checks.training import ex1, ex2, ex3

ex1.check(steps_per_epoch)
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% [markdown] id="c11"
# ## 5. Mixed precision
#
# A GPU computes much faster in 16-bit floats (float16) than in 32-bit, and a T4's Tensor Cores only
# engage in float16. **Mixed precision** computes in float16 but keeps the weights in float32 (tiny
# gradient updates would vanish in float16), and scales the loss so small gradients do not underflow:
# below float16's smallest *normal* number (about 6.1e-5) values survive only as *subnormals*, with ever
# fewer significant digits, and below about 6e-8 they become exactly 0.
# Keras does all of it with one policy; `course_lib.train` turns it on automatically when it finds a GPU,
# and leaves it off on a CPU, where float16 is slower. Our model's last layer stays float32 because `tanh`
# saturates in float16 (see `course_lib.model`).

# %% id="c12"
# NBVAL_CHECK_OUTPUT
policy = keras.mixed_precision.Policy("mixed_float16")
print(f"{policy.name}: computations in {policy.compute_dtype}, weights kept in {policy.variable_dtype}")
for dtype in (np.float16, np.float32):
    info = np.finfo(dtype)
    print(f"{info.dtype}: smallest normal number {info.tiny:.1e}; subnormals (fewer significant digits) "
          f"down to {info.smallest_subnormal:.1e}; anything smaller becomes 0")

# %% [markdown] id="c13"
# ## 6. Cached encoder features
#
# While the VGG19 encoder is frozen, its output for a given image never changes, yet computing it is a
# large part of every forward pass (the next cell measures how large). So `course_lib.train` computes the encoder's features for every training image
# **once**, keeps them, and trains the decoder on them: each epoch then costs only the decoder. (This is
# what makes the course's pipeline many times faster than the original project's image-by-image loop; see
# `benchmarks/README.md`.) The price: no random crops during that stage, since every new crop would need
# fresh features; the mirror image of every photo is cached too, which doubles the data for free.
#
# The cache has to fit in memory (`train.FEATURE_CACHE_LIMIT`, 3 GiB). At the `gpu` recipe's 224 px the
# five feature maps of NCD's training photos and their mirrors take over 10 GB, mostly in the large,
# shallow maps of blocks 1-2, which are cheap to compute (a quarter of the encoder's work). So there
# `course_lib.train` caches only the deepest maps that fit (blocks 3-5, under 3 GB) and lets blocks 1-2
# recompute the shallow ones at every step; the training log says which plan it took
# (`train.plan_feature_cache`).
#
# In **offline mode** (no ImageNet weights) there is nothing useful to freeze: a random encoder must
# learn too, so the whole network trains on augmented images, and the cache is not used.

# %% id="c14"
# How much of a forward pass is the encoder? Time both halves on a batch (weights do not matter here).
DEMO_BATCH = 8 if FAST else 32  # fast mode: a smaller batch, the same comparison
demo = build_colorizer(64, decoder="unet", weights=None)
demo_encoder, demo_decoder = demo.get_layer("encoder"), demo.get_layer("decoder")
demo_l = np.random.default_rng(0).uniform(-1, 1, (DEMO_BATCH, 64, 64, 1)).astype(np.float32)
demo_features = demo_encoder.predict(demo_l, verbose=0)             # warm-up, and the cached features


def seconds(fn, repeats=3):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


encoder_s = seconds(lambda: demo_encoder.predict(demo_l, verbose=0))
decoder_s = seconds(lambda: demo_decoder.predict(demo_features, verbose=0))
encoder_share = encoder_s / (encoder_s + decoder_s)
print(f"encoder {encoder_s * 1000:.0f} ms, decoder {decoder_s * 1000:.0f} ms per batch of {DEMO_BATCH} at 64 px: "
      f"the encoder is {encoder_share:.0%} of the forward pass")
print(f"with cached features a forward pass skips that {encoder_share:.0%}: it runs "
      f"{1 / (1 - encoder_share):.1f}x faster. A training step also runs the decoder backwards (the frozen "
      f"encoder needs no gradients), so an epoch speeds up by less than that.")

# %% [markdown] id="c15"
# The share depends on the image size, how many VGG blocks the encoder keeps, the decoder's width and the
# hardware; whatever it is here, it is the part of each forward pass that caching removes during stage 1.
#
# Which case applies here? Each recipe owns its weights, the ones it was measured with: `gpu` uses
# ImageNet's, while `cpu` and `fast` were chosen and measured with none (a random encoder that trains
# with the decoder). ImageNet weights with the `cpu` recipe are allowed (`weights="imagenet"`), but
# nobody measured that setup, and the run says so in its printout and in `state.json` ("unmeasured").
# When the recipe wants ImageNet, the next cell checks that the weights can be had (the same check as
# notebook 00); if not, the course runs in offline mode, and says so loudly.

# %% id="c16"
from course_lib.environment import weights_for_recipe

RECIPE_WEIGHTS = recipes.resolve_settings().weights  # gpu: "imagenet"; cpu, fast: None
WEIGHTS = weights_for_recipe(RECIPE_WEIGHTS)  # None instead of "imagenet" when offline, said loudly


# %% [markdown] id="c17"
# ## 7. Callbacks and checkpoints
#
# Keras *callbacks* run code at the end of every epoch. Training on Colab needs at least two: a
# **checkpoint** that keeps the best model seen so far (judged on the validation set), and a **log** of
# every epoch's losses. `course_lib.train` uses its own versions of both, plus two more:
#
# * `Checkpoint`: after every epoch (the `gpu` recipe: every second one, `checkpoint_every=2`, as its
#   checkpoint with Adam's moments is nearly 3 times its weights; and always after the last),
#   `checkpoints/last.keras` with the optimizer's state and the epoch count (what resuming needs), and
#   `model.keras`, the best model so far by validation PSNR (without optimizer: the file you keep);
# * `keras.callbacks.CSVLogger(..., append=True)`: `log.csv`, one row per epoch; `append=True` makes a
#   resumed run add its rows to the log instead of starting it over;
# * `ValidationPSNR`: colorizes the validation images once and adds both the validation loss and the
#   validation PSNR (in RGB, what notebook 05 measures) to the log;
# * `PredictionGrid`: saves the same few validation images, colorized, after every epoch.
#
# ### Exercise 2: a callback that keeps the best model
#
# Keras has a callback for the first job, `keras.callbacks.ModelCheckpoint(..., save_best_only=True)`; here
# you build one yourself, to see what such a callback has to get right. Write the class
# `KeepBest(path, best=math.inf)`, a subclass of `keras.callbacks.Callback`, that saves the model being
# trained (`self.model`) to `path` at the end of every epoch whose validation loss (`logs["val_loss"]`) is
# lower than every one before it, and leaves the file alone otherwise. Two cases decide whether it can be
# trusted on Colab:
#
# * **a resume.** After a disconnect, training starts again with a *new* callback, while `path` still holds
#   the best model of before the interruption. The argument `best` is the best validation loss so far
#   (`course_lib.train`'s `Checkpoint` keeps its own best score, the validation PSNR, in the run's
#   `state.json` for this reason); without it, the first epoch after the resume would overwrite the best
#   model with whatever it scores;
# * **a diverged epoch.** A too-large learning rate can turn the loss into NaN for an epoch; that must never
#   replace a good model.
#
# The check plays several trainings to your callback (random validation losses, a NaN epoch, a resume) and
# compares, after every epoch, which epoch's model the file holds with what Keras' `ModelCheckpoint` keeps.

# %% tags=["exercise"] id="c18" exercise_kind="building"
import math

### BEGIN STUB
# YOUR CODE HERE: replace None by your class, for example
#     class KeepBest(keras.callbacks.Callback):
#         def __init__(self, path, best=math.inf): ...
#         def on_epoch_end(self, epoch, logs=None): ...
KeepBest = None
### END STUB
### BEGIN SOLUTION
import keras


# Exercise 2 -- a callback that keeps the best model
class KeepBest(keras.callbacks.Callback):
    """Save the model to ``path`` after every epoch whose val_loss beats every earlier one (and ``best``)."""

    def __init__(self, path, best=math.inf):
        super().__init__()
        self.path, self.best = path, best     # best: the best val_loss before a resume, else infinity

    def on_epoch_end(self, epoch, logs=None):
        val_loss = (logs or {}).get("val_loss")
        if val_loss is not None and val_loss < self.best:   # NaN < anything is False: a NaN never wins
            self.best = val_loss
            self.model.save(self.path)
### END SOLUTION


# %% tags=["exercise-check"] id="c19"
ex2.check(KeepBest)
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.

# %% [markdown] id="c20"
# ## 8. Train, interrupt, resume
#
# Every training setting lives in one frozen dataclass, `TrainSettings`, and the course names three
# complete sets of them, the **recipes** (`course_lib.recipes.RECIPES`):
#
# | recipe | for | what it does |
# | --- | --- | --- |
# | `gpu` | a Colab T4 | ImageNet VGG19, 224 px, all 5 blocks; stage 1 trains the decoder on cached encoder features (blocks 3-5; blocks 1-2 recomputed each step), stage 2 fine-tunes blocks 4-5 at a tenth of the learning rate; mixed precision, batch 32 |
# | `cpu` | 2 laptop cores | 48 px, VGG blocks 1-3, U-Net decoder of width 32, 150 epochs (the classification head of notebook 07: 75, the hint model of notebook 08: 90, as each of their epochs costs more), batch 16; offline the encoder starts random, so the whole network trains; 19-31 minutes, by machine and hour |
# | `fast` | CI, `COURSE_FAST=1` | 32 px, 2 blocks, 3 epochs on a subset: proves everything runs, never a result |
#
# Both real recipes use the **MSE loss** on the normalised *ab* channels, **Adam** with a **cosine decay**
# of the learning rate over the whole run down to 1 % of its start (large steps early, small ones to
# settle), flips and random crops. PSNR, the figure we report, is not a function of this loss: it is
# computed per image from the error of the final RGB picture at the photo's full resolution (notebook
# 05), so a lower loss usually, not always, means a higher PSNR. Why 48 px and three blocks on a CPU: each
# halving of the image size makes an epoch four times cheaper, and at 48 px a fourth block would see 6x6
# maps. Every choice, 150 epochs among them, was made on the *validation* split, with the test split looked
# at once per finished recipe. Three seeds of the same recipe differ by up to 0.64 dB in gain over gray on
# validation (benchmarks/README.md), so smaller differences are not reliably measured;
# `docs/recipe_history.md` tells the trials.
# `image_size` is the side of the square the model sees (colour is predicted at that size and
# recombined with the photo's full-resolution lightness), `encoder_blocks` how many VGG blocks it keeps,
# and `decoder_width` the number of filters of the decoder's top level. `train` picks `gpu` or `cpu` by
# itself (`recipe="auto"`); any field can be overridden (`train.train(..., epochs=10)`, or
# `--epochs 10` on the command line). The model ends up in a run folder that notebook 06 reads.

# %% id="c21"
RUN_DIR = config.course_run_dir()          # runs/course ($COURSE_RUNS_DIR/course if set; course-fast in fast mode)
RETRAIN = False  # True: set the run in RUN_DIR aside (renamed, nothing is deleted) and train a new one from scratch
RECIPE = recipes.resolve_settings(weights=WEIGHTS)  # the fast recipe in fast mode, else "auto": gpu or cpu
TOTAL_EPOCHS = RECIPE.epochs + (RECIPE.fine_tune_epochs if RECIPE.pretrained else 0)
print(f"run folder: {RUN_DIR}, {TOTAL_EPOCHS} epochs")
print(RECIPE)

# %% [markdown] id="c22"
# First, what an interruption does, on a small run of its own (the `fast` recipe, four epochs, in a fresh
# temporary folder, so that your run is never touched): we train only its first two epochs, as if Colab
# had disconnected us halfway. `stop_after` stops the run after that many epochs, keeping the plan of the
# whole run (a real interruption kills the kernel mid-epoch; what it leaves on disk is the same: the
# checkpoint of the last finished epoch).

# %% id="c23"
demo_folder = tempfile.TemporaryDirectory(prefix="interruption_demo_")  # the course's own scratch folder
DEMO_DIR = Path(demo_folder.name) / "run"
DEMO_EPOCHS, demo_first_part = 4, 2
demo = train.train(source.root, DEMO_DIR, recipe="fast", weights=WEIGHTS, epochs=DEMO_EPOCHS,
                   stop_after=demo_first_part, verbose=0)
print(f"stopped after epoch {demo.epochs_done} of {DEMO_EPOCHS}. The run folder holds:")
for path in sorted(DEMO_DIR.rglob("*")):
    if path.is_file():
        print("   ", path.relative_to(DEMO_DIR))

# %% [markdown] id="c24"
# Now we **resume**: the same call with `resume=True` (or `--resume` on the command line). Training
# reloads `checkpoints/last.keras` and the optimizer's state (Adam's moments and its step count, so the
# learning-rate schedule continues exactly where it was) and carries on from the next epoch: the log's
# epoch counter does not start from 1 again, and the rows of the first two epochs are still there.

# %% id="c25"
demo = train.train(source.root, DEMO_DIR, recipe="fast", weights=WEIGHTS, epochs=DEMO_EPOCHS, resume=True, verbose=0)
with open(DEMO_DIR / "log.csv", newline="") as handle:
    for row in csv.DictReader(handle):
        resumed = "   <- after the resume" if int(row["epoch"]) + 1 > demo_first_part else ""
        print(f"epoch {int(row['epoch']) + 1}: loss {float(row['loss']):.4f}, "
              f"val_loss {float(row['val_loss']):.4f}{resumed}")
demo_folder.cleanup()  # the demonstration's temporary folder only; your runs are elsewhere

# %% [markdown] id="c25a"
# Now the course's own run, in `RUN_DIR`. The call below passes `resume="auto"`, which makes it safe to
# run again: when `RUN_DIR` already holds this run, training continues from its last checkpoint, and a
# finished run is simply reused (nothing is trained, nothing is deleted). **After a disconnect, open this
# notebook again and run it from the top (*Runtime > Run all*): this cell picks the run up at its last
# finished epoch.** To start over from scratch, set `RETRAIN = True` in the cell that defines `RUN_DIR`: the
# old run is then kept beside the new one under another name.

# %% id="c25b"
if RETRAIN:
    train.set_aside_run(RUN_DIR)
result = train.train(source.root, RUN_DIR, settings=RECIPE, resume="auto")
print(f"\n{result.epochs_done} epochs done; best validation PSNR {result.best_val_psnr:.2f} dB "
      f"(at the model's {result.settings['image_size']} px); model: {result.model_path}")

# %% [markdown] id="c26"
# ## 9. Loss curves
#
# The log is a plain CSV file, one row per epoch, which survives an interruption because the logger
# appends. Training loss usually keeps falling; the validation loss tells us when the model stops
# generalising. The first epoch's loss is often several times the later ones, so the loss axis is
# **logarithmic**: equal ratios look equal, and the small changes of the later epochs stay visible. The
# dotted line (right axis) is the **learning rate** at the end of each epoch, from the log's `lr` column:
# the cosine decay from its start to 1 % of it (in the `gpu` recipe, stage 2 restarts lower). Large steps
# early bring the loss down fast; the shrinking steps at the end let it settle.

# %% id="c27"
with open(RUN_DIR / "log.csv", newline="") as handle:
    rows = list(csv.DictReader(handle))
history = {key: [float(row[key]) for row in rows] for key in rows[0] if key != "epoch"}
epochs = [int(row["epoch"]) + 1 for row in rows]     # Keras logs epochs from 0

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(epochs, history["loss"], "o-", label="training loss")
ax.plot(epochs, history["val_loss"], "o-", label="validation loss")
ax.set_yscale("log")                                  # the first epoch would otherwise flatten the rest
ax.set_xlabel("epoch")
ax.set_ylabel("loss (log scale)")
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
handles, labels = ax.get_legend_handles_labels()
if "lr" in history:                                   # the learning rate, on a second y-axis
    lr_ax = ax.twinx()
    lr_ax.plot(epochs, history["lr"], ":", color="0.4", label="learning rate (right)")
    lr_ax.set_yscale("log")
    lr_ax.set_ylabel("learning rate (log scale)")
    lr_handles, lr_labels = lr_ax.get_legend_handles_labels()
    handles, labels = handles + lr_handles, labels + lr_labels
ax.legend(handles, labels, fontsize=8)
fig.tight_layout()
plt.show()


# %% [markdown] id="c28"
# ### Exercise 3: which epoch should we keep?
#
# Write `best_epoch(history)`: given a dict with the lists `history["loss"]` and `history["val_loss"]`
# (one value per epoch, as read from the log above), return the number of the epoch, counted from 1,
# whose weights `ModelCheckpoint(save_best_only=True)` keeps.

# %% tags=["exercise"] id="c29" exercise_kind="building"
### BEGIN STUB
def best_epoch(history):
    # YOUR CODE HERE
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 3 -- which epoch to keep
def best_epoch(history: dict) -> int:
    """1-based epoch with the lowest validation loss."""
    val_loss = history["val_loss"]
    return min(range(len(val_loss)), key=val_loss.__getitem__) + 1
### END SOLUTION


# %% tags=["exercise-check"] id="c30"
ex3.check(best_epoch)
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.

# %% [markdown] id="p04q"
# ### Exercise 4 (predict first): which epoch does the course keep?
#
# Your `best_epoch` keeps the epoch with the lowest **validation loss**. `course_lib.train` keeps, in
# `model.keras`, the epoch with the best **validation PSNR** (notebook 05 explains PSNR).
# Before the cell below reads which epoch that was from the run's state file: will it be the **same**
# epoch as the one of the lowest validation loss in your curves, or a **different** one? Set
# `kept_epoch_prediction` to `"same"` or `"different"` and run the check; the cell that reads the state
# file, just below, compares it with what your run measured. The point is earned by predicting before looking.

# %% tags=["exercise"] id="p04a" exercise_kind="decision"
### BEGIN STUB
kept_epoch_prediction = None  # YOUR PREDICTION: "same" or "different"
### END STUB
### BEGIN SOLUTION
# Exercise 4 -- prediction
kept_epoch_prediction = "same"  # on a smooth curve both criteria usually pick the last good epoch
### END SOLUTION

# %% tags=["exercise-check"] id="p04c"
from course_lib.checks.training import ex4

ex4.predict(kept_epoch_prediction)
# Stuck? ex4.hint() gives a hint (again: a more specific one); ex4.solution() shows an answer.

# %% [markdown] tags=["reflection"] id="r04"
# **Reflection** (write two or three sentences in this cell; nothing checks them). In the curves of *your*
# run above, is there a point where the validation loss stops improving while the training loss goes on
# falling? If yes, at which epoch; if not, what would you expect to see with twice as many epochs, and
# what in `course_lib.train` protects you from it?
#
# *Your answer:*

# %% [markdown] id="c31"
# `course_lib.train` keeps the best model by validation **PSNR** rather than validation loss (PSNR in
# RGB is what we report in the end); its choice is recorded in the run's state file. The two criteria
# need not pick the same epoch:
#
# * `val_loss` is the squared error of `ab / 128`, averaged over **all pixels** of the validation set;
#   `val_psnr` is computed **per image**, in RGB, and then averaged over images. PSNR is a logarithm of
#   each image's error, and a mean of logarithms is not the logarithm of a mean: halving the small error of
#   an easy, mostly white image adds as many dB as halving the large error of a hard one, while the
#   pixel-averaged loss barely notices the easy image.
# * The way to RGB changes the errors too: the predicted ab are recombined with L, out-of-gamut colours lose
#   chroma, and RGB is rounded to integers, so the same ab error costs more in some colours and lightnesses
#   than in others.
#
# When the curves are flat near the end, the two usually pick nearby epochs of almost equal quality; a
# large gap between them would be worth a look at the per-image figures.

# %% id="c32"
state = json.loads((RUN_DIR / "checkpoints" / "state.json").read_text())
print(f"model.keras holds epoch {state['best_epoch']} of {state['epochs_done']} "
      f"(validation PSNR {state['best_val_psnr']:.2f} dB)")
your_answer = best_epoch(history)
if your_answer is not None:
    print(f"by validation loss, your best_epoch picks epoch {your_answer}")
ex4.reveal(history, state["best_epoch"])      # your prediction against your run

# %% [markdown] id="c33"
# ## 10. Predictions over the epochs
#
# After every epoch a callback colorizes the same few validation images and saves the grid. Looking
# at them side by side shows *how* the model learns: typically a uniform brownish average first, then the
# dominant colour of each kind of object, then details. (In fast mode, three epochs on a few images show
# little more than noise settling down.)

# %% id="c34"
grids = sorted((RUN_DIR / "grids").glob("*.png"))
print(f"{len(grids)} prediction grids in {RUN_DIR / 'grids'}")
shown = grids if len(grids) <= 3 else [grids[0], grids[len(grids) // 2], grids[-1]]
fig, axes = plt.subplots(len(shown), 1, figsize=(10, 3.2 * len(shown)), squeeze=False)
for ax, path in zip(axes[:, 0], shown):
    ax.imshow(plt.imread(path))
    ax.set_title(path.stem)
    ax.axis("off")
plt.show()

# %% [markdown] id="s04m"
# ## 11. Inside a training step
#
# `model.fit` hides the loop that training is. For every batch it runs one **training step**:
#
# 1. the forward pass, in training mode, and the **loss** of the batch;
# 2. the **gradients** of the loss with respect to every *trainable* weight (backpropagation: TensorFlow
#    records the forward pass on a `tf.GradientTape` and plays it backwards);
# 3. the **optimizer** moves each weight a little against its gradient (Adam with our cosine schedule).
#
# Writing the step yourself is how custom trainings (GANs, for one) are done. Notebook 08's hint model needs
# none: its hints come from the input pipeline, and `model.fit` trains it like the others.
#
# ### The loss, and what it assumes
#
# Step 1 needs a loss. The course's recipes train with the **MSE**, the mean of the squared differences
# between the true and the predicted `ab_norm`; the **L1** loss (`train.make_loss("l1")`) takes the mean of
# the absolute differences instead. Each one is a bet on how the model's errors are distributed: minimising
# the MSE is maximum likelihood when the errors follow a **Gaussian** (a rounded bell with thin tails),
# minimising L1 when they follow a **Laplace** distribution (a sharp peak at 0 and heavier tails). So the
# errors themselves can say which bet fits.
#
# ### Exercise 5 (predict first): which loss will your model's errors support?
#
# The cell after the check measures the errors of the model you trained above on the validation images:
# every true minus predicted `ab_norm` value. Before it runs, think of what an NCD photo is made of and what
# your model gets right and wrong, and predict which distribution will fit those errors better, so which
# loss they support: set `loss_prediction` to `"mse"` (Gaussian) or `"l1"` (Laplace). The point is earned by
# predicting before looking; the measurement then tells you whether you were right, and why.

# %% tags=["exercise"] id="s04a" exercise_kind="decision"
### BEGIN STUB
loss_prediction = None  # YOUR PREDICTION: "mse" or "l1"
### END STUB
### BEGIN SOLUTION
# Exercise 5 -- prediction
loss_prediction = "l1"  # most pixels (the white background) almost exactly right, a few far off: heavy tails
### END SOLUTION

# %% tags=["exercise-check"] id="s04b"
from course_lib.checks.training import ex5, ex6

ex5.predict(loss_prediction)
# Stuck? ex5.hint() gives a hint (again: a more specific one); ex5.solution() shows an answer.

# %% [markdown] id="s04i"
# The measurement. The histogram's count axis is logarithmic, so the tails stay visible (on it, a Gaussian
# is a parabola and a Laplace a tent of two straight lines). The two curves are the Gaussian and the Laplace
# that fit the residuals best: the Gaussian with their standard deviation, the Laplace with their mean
# absolute deviation from the median.

# %% id="s04h"
from course_lib import color
from course_lib.colorizer import Colorizer
from course_lib.pipeline import load_images_resized

trained = Colorizer.load(result.model_path).model  # the Keras model inside: its raw ab_norm output
model_size = result.settings["image_size"]
val_records = splits["val"]
if result.settings.get("max_images_per_split"):  # the fast recipe validates on a subset: measure on the same
    val_records = stratified_subset(val_records, result.settings["max_images_per_split"])
val_l, val_ab = color.rgb_to_model_io(load_images_resized(val_records, model_size))
residuals = (val_ab - trained.predict(val_l, batch_size=16, verbose=0)).ravel()   # true - predicted ab_norm

sigma = residuals.std()                                          # the Gaussian's maximum-likelihood width
b = np.mean(np.abs(residuals - np.median(residuals)))            # the Laplace's
grid = np.linspace(-1, 1, 401)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(residuals, bins=100, range=(-1, 1), density=True, color="0.75", label="your model's residuals")
ax.plot(grid, np.exp(-0.5 * ((grid - residuals.mean()) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi)),
        label=f"Gaussian (MSE), sigma = {sigma:.3f}")
ax.plot(grid, np.exp(-np.abs(grid - np.median(residuals)) / b) / (2 * b), label=f"Laplace (L1), b = {b:.3f}")
ax.set_yscale("log")
ax.set_ylim(1e-3, None)
ax.set_xlabel("true - predicted ab_norm")
ax.set_ylabel("density (log scale)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print(f"{residuals.size} residuals of {len(val_records)} validation images at {model_size} px")
ex5.reveal(residuals)                          # your prediction against your model's errors

# %% [markdown] id="s04j"
# What the histogram can and cannot decide: it says which *noise model* fits the errors, not which loss
# gives the better colours. Two more facts weigh in. When a pixel's colour is ambiguous (a pepper may be red
# or green), the MSE's best guess is the *mean* of the plausible colours and L1's is their *median*: both a
# compromise, neither one of the colours, and both washed out (notebook 07 answers that with classification).
# And the MSE, squaring, weighs the few large errors, those on the objects, more than L1 does: they are the
# errors a colorizer is judged by. The course's
# recipes keep the MSE, the seed project's loss; L1 was not among the recorded recipe trials
# (`docs/recipe_history.md`), so whether it pays here is an open measurement:
# `train.train(..., loss="l1")` (or `--loss l1`) trains with it, and `python -m course_lib evaluate` scores
# both runs on validation (notebooks 05 and 06).

# %% [markdown] id="s04c"
# ### Exercise 6: one training step with `tf.GradientTape`
#
# Write `train_step(model, optimizer, l_norm, ab_norm)` that performs one step on one batch and returns
# its loss (computed before the update):
#
# * inside `with tf.GradientTape() as tape:` run the model **in training mode**
#   (`model(l_norm, training=True)`: BatchNormalization then normalises with the batch's own statistics
#   and updates its running ones) and compute the course's loss, the MSE:
#   `tf.reduce_mean(tf.square(ab_norm - ab_pred))`, one number averaged over every image, pixel and channel
#   (`train.make_loss("mse")` computes the same);
# * outside the `with` block, `tape.gradient(loss, ...)` the **trainable** variables only (a frozen
#   encoder must stay frozen);
# * `optimizer.apply_gradients(zip(gradients, variables))`.
#
# The check runs your step on a tiny fixed model (with a frozen layer and a BatchNormalization) and compares
# the loss and the weights after the step with Keras' own `model.train_on_batch`, the step `model.fit` runs.

# %% tags=["exercise"] id="s04d" exercise_kind="building"
### BEGIN STUB
def train_step(model, optimizer, l_norm, ab_norm):
    # YOUR CODE HERE: forward pass and loss on a tape, gradients, apply them; return the loss
    return None
### END STUB
### BEGIN SOLUTION
import tensorflow as tf


# Exercise 6 -- one training step
def train_step(model, optimizer, l_norm, ab_norm):
    """One optimisation step on a batch; returns the batch's loss before the update."""
    with tf.GradientTape() as tape:
        ab_pred = model(l_norm, training=True)       # training mode: BatchNormalization uses the batch
        loss = tf.reduce_mean(tf.square(ab_norm - ab_pred))   # the course's loss, MSE
    variables = model.trainable_variables             # frozen layers are not among them
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return loss
### END SOLUTION


# %% tags=["exercise-check"] id="s04e"
ex6.check(train_step)
# Stuck? ex6.hint() gives a hint (again: a more specific one); ex6.solution() shows an answer.

# %% [markdown] id="s04f"
# Your step at work: a small colorizer (2 VGG blocks, random weights) and the library's optimizer
# (`train.make_optimizer`: Adam, cosine decay), ten steps on the *same* pipeline batch as in section 4. On
# one batch the loss should fall at almost every step: the model learns that batch by heart.

# %% id="s04g"
step_model = build_colorizer(PIPELINE_SIZE, decoder="unet", weights=None, encoder_blocks=2, decoder_width=8)
step_optimizer = train.make_optimizer(1e-3, total_steps=10)
step_losses = []
for _ in range(10):
    step_loss = train_step(step_model, step_optimizer, l_batch, ab_batch)
    if step_loss is None:
        print("train_step still returns None: write it in exercise 6, then run this cell again.")
        break
    step_losses.append(float(step_loss))
if step_losses:
    print("loss at each step: " + ", ".join(f"{value:.4f}" for value in step_losses))

# %% [markdown] id="a04m"
# ## 12. A small ablation: seed or U-Net decoder?
#
# An **ablation** changes one thing and measures the effect. Here: the decoder, `seed` (no skip
# connections, notebook 03) against `unet`, everything else equal. To keep it to a minute, each model is
# trained with the `fast` recipe (32 px, 2 VGG blocks, 3 epochs on 32 training images), and each decoder
# **twice**, with two random seeds (the seed sets the initial weights and the order of the batches). We
# compare the best validation PSNR of each run.
#
# ### Exercise 7 (predict first): what will the table show?
#
# * "a": the U-Net clearly wins: both of its runs score above both runs of the seed decoder;
# * "b": the seed decoder clearly wins;
# * "c": neither clearly: two seeds of the same decoder differ about as much as the two decoders do.

# %% tags=["exercise"] id="a04a" exercise_kind="decision"
### BEGIN STUB
ablation_prediction = None  # YOUR ANSWER: "a", "b" or "c"
### END STUB
### BEGIN SOLUTION
# Exercise 7 -- prediction
ablation_prediction = "c"  # 3 epochs on 32 images: chance may decide as much as the design
### END SOLUTION

# %% tags=["exercise-check"] id="a04b"
from course_lib.checks.training import ex7

ex7.predict(ablation_prediction)
# Stuck? ex7.hint() gives a hint (again: a more specific one); ex7.solution() shows an answer.

# %% id="a04c"
import contextlib
import io
import tempfile
from pathlib import Path

ABLATION_SEEDS = (0, 1)
ablation_psnr = {}
start = time.perf_counter()
with tempfile.TemporaryDirectory(prefix="ablation_") as ablation_dir:
    for decoder in ("seed", "unet"):
        for seed in ABLATION_SEEDS:
            with contextlib.redirect_stdout(io.StringIO()):   # four training logs would drown the table
                run = train.train(source.root, Path(ablation_dir) / f"{decoder}_{seed}", recipe="fast",
                                  weights=WEIGHTS, decoder=decoder, seed=seed, verbose=0)
            ablation_psnr[decoder, seed] = run.best_val_psnr
print(f"4 fast trainings in {time.perf_counter() - start:.0f} s; best validation PSNR (dB):")
print(f"{'decoder':8s} " + " ".join(f"{'seed ' + str(seed):>8s}" for seed in ABLATION_SEEDS) + f" {'mean':>8s}")
means = {}
for decoder in ("seed", "unet"):
    values = [ablation_psnr[decoder, seed] for seed in ABLATION_SEEDS]
    means[decoder] = float(np.mean(values))
    print(f"{decoder:8s} " + " ".join(f"{value:8.2f}" for value in values) + f" {means[decoder]:8.2f}")
spread = max(abs(ablation_psnr[d, ABLATION_SEEDS[0]] - ablation_psnr[d, ABLATION_SEEDS[1]]) for d in ("seed", "unet"))
print(f"difference between the decoders' means: {means['unet'] - means['seed']:+.2f} dB; "
      f"largest difference between two seeds of one decoder: {spread:.2f} dB")
ex7.reveal(ablation_psnr)                      # your prediction against this table

# %% [markdown] tags=["reflection"] id="a04r"
# **Reflection** (write three or four sentences in this cell; nothing checks them). Read the table: is the
# difference between the decoders larger than the difference between two seeds of the same decoder? What
# can you conclude about skip connections from this run, and what can you *not*? Which change would make
# the comparison trustworthy -- more epochs, more images, more seeds, a larger image size -- and what
# would each cost in training time? (For scale, compare these PSNRs with the gray baseline of notebook
# 05, which adds no colour at all.)
#
# *Your answer:*

# %% [markdown] id="c35"
# ## 13. From the command line
#
# Everything above is one command; this is what to run for a long training outside the notebook, and what
# to run again after a disconnect. In a notebook cell, start the line with `!`; in a terminal, run it in
# the `notebooks/` folder (the notebooks' working folder, which the paths below are relative to):
#
# ```bash
# python -m course_lib train --data "${NCD_DIR:-../data/ncd}" --out "${COURSE_RUNS_DIR:-../runs}/course"            # the recommended recipe
# python -m course_lib train --data "${NCD_DIR:-../data/ncd}" --out "${COURSE_RUNS_DIR:-../runs}/course" --resume   # after an interruption
# ```
#
# `"${NCD_DIR:-../data/ncd}"` is the shell's "`$NCD_DIR` if set, else `../data/ncd`", and the same for the
# runs folder, so the commands find NCD and write the model where notebooks 05 and 06 look, also with
# Google Drive (`USE_GOOGLE_DRIVE = True` sets both variables). Offline (no ImageNet weights), add
# `--weights none`; `--help` lists every option.
#
# ## Summary
#
# * The pipeline decodes every image once and does the rest in TensorFlow, prefetching batches.
# * On a GPU: mixed precision (float16 compute, float32 weights) and cached encoder features (the deepest
#   that fit in memory) while the encoder is frozen; on a CPU the same code runs with smaller settings.
# * Checkpoints every epoch (every second one for the `gpu` recipe), a log that appends, and
#   `resume="auto"` make a lost runtime cost one or two epochs: run the notebook again from the top, and
#   training continues where it stopped.
# * The model is in the run folder printed above; **06 · Results** evaluates it.
