# ---
# jupyter:
#   course:
#     colab_gpu: T4
#     goals:
#     - see what a discriminator adds to a colorizer trained with a plain loss, and what it costs
#     - compute the receptive field of pix2pix's PatchGAN critic, and write the critic's and the
#       generator's losses
#     - fine-tune notebook 04's model with DeOldify's NoGAN schedule, and read its training curves
#     - judge gray, MSE, classification and adversarial models side by side, including by a classifier
#       (semantic accuracy) and by a two-sample test, then by your own eyes in a Turing test
#     - weigh what colorizing a historical photo claims, and where colorization research went next
#     needs_data: true
#     time_cpu: 45 min
#     time_gpu: 25 min
#     title: Adversarial colorization
# ---

# %% [markdown] id="c00"
# ## 1. What a discriminator adds
#
# The squared error of notebook 04 is minimised by the **mean** of the plausible colours, so an apple that
# could be red or green comes out a brownish compromise; notebook 07 kept the modes with a classification
# head, notebook 08 let a user settle them. Most colorizers people actually use take a third way: a second
# network, the **critic** (or discriminator), learns to tell real photos from colorized ones, and the
# colorizer (the **generator**) is trained to fool it. A gray-brown apple is easy to call fake, so the
# generator is pushed towards colours that look real, even when they are not the photo's.
#
# * **pix2pix** (Isola, Zhu, Zhou and Efros, *Image-to-Image Translation with Conditional Adversarial
#   Networks*, CVPR 2017): a U-Net generator, a **PatchGAN** critic that judges overlapping patches, and a
#   loss of L1 + λ · adversarial.
# * **DeOldify** (Jason Antic, 2018-2019, github.com/jantic/DeOldify) and its **NoGAN** schedule: pretrain
#   the generator with a plain loss, pretrain the critic on its outputs, then a *short* adversarial
#   fine-tune. GAN training is unstable; NoGAN keeps most of the work stable.
# * **ChromaGAN** (Vitoria, Raad and Ballester, WACV 2020) adds a semantic class loss to the adversarial one.
#
# The machinery is in `course_lib.adversarial` (`python -m course_lib train --adversarial`), the judges in
# `course_lib.semantic`, the Turing test in `course_lib.turing_test`.

# %% id="c01"
import csv
import warnings

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_lib import adversarial, config, course_models, judging, semantic, train
from course_lib.colorizer import Colorizer
from course_lib.data import SkippedFileWarning, get_dataset, load_image, stratified_subset
from course_lib.evaluate import select_records
from course_lib.inference import gray_baseline
from course_lib.plots import show_images
from course_lib.turing_test import TuringTest, TuringTestWidget

FAST = config.fast_mode()
source = get_dataset()
warnings.simplefilter("ignore", SkippedFileWarning)  # notebook 02 lists the stray files once
test_records = select_records(source.root, "test")
print(f"{len(test_records)} test images in {source.root}")

# %% [markdown] id="c02"
# ## 2. The critic: a PatchGAN
#
# The critic sees a photo as the colorizer's output is judged: **L and ab stacked** (3 channels), so it is
# *conditioned* on the lightness and judges whether these colours fit this photo. It is a stack of 4 x 4
# convolutions: a few with stride 2 that halve the size, then two with stride 1, the last giving one
# **logit** per position: a grid of real-or-fake verdicts, each about one patch of the input. pix2pix
# argues that L1 already gets the low frequencies right, so the critic only has to judge local texture and
# colour, patch by patch; it is also smaller and works at any image size. Here is the course's critic for
# the `cpu` recipe's 48 px images:

# %% id="c03"
critic = adversarial.build_patch_discriminator(48, width=32, downsamplings=3)
critic.summary(line_length=90)
print(f"input (1, 48, 48, 3) -> logits {critic.output_shape}: one verdict per patch")

# %% [markdown] id="c04"
# ### Exercise 1: how much of the photo does one verdict see?
#
# Each logit depends on a square of input pixels, its **receptive field**. Going back from one output
# pixel, a convolution with kernel `k` and stride `s` turns a field of `r` pixels of its output into
# `(r - 1) * s + k` pixels of its input. Build `receptive_field(downsamplings, kernel)` for the critic
# above: `downsamplings` convolutions of stride 2, then two of stride 1, all with the same `kernel`. The
# check tries your function on many depths and kernel sizes; pix2pix's "70 x 70 PatchGAN" is one of them.

# %% tags=["exercise"] id="c05" exercise_kind="building"
### BEGIN STUB
def receptive_field(downsamplings, kernel):
    # YOUR CODE HERE: replace None with the side of the input patch, in pixels
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 1 -- the receptive field of one logit
def receptive_field(downsamplings, kernel):
    field = 1  # one logit
    for stride in reversed([2] * downsamplings + [1, 1]):  # from the last layer back to the input
        field = (field - 1) * stride + kernel
    return field
### END SOLUTION


# %% tags=["exercise-check"] id="c06"
from course_lib.checks.adversarial import ex1, ex2, ex3, ex4

ex1.check(receptive_field)
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% [markdown] id="c07"
# Measure it instead of trusting the formula: the gradient of one logit with respect to the input is
# non-zero exactly on the pixels that logit sees. (On a 96 px input, so that the field fits.)

# %% id="c08"
import tensorflow as tf  # noqa: E402  (only here: the gradient of one logit)

probe = adversarial.build_patch_discriminator(96, width=4, downsamplings=3, name="probe")
image = tf.Variable(np.random.default_rng(0).normal(size=(1, 96, 96, 3)).astype(np.float32))
with tf.GradientTape() as tape:
    logits = probe(image)
    middle = logits[0, logits.shape[1] // 2, logits.shape[2] // 2, 0]
rows, cols = np.nonzero(np.abs(tape.gradient(middle, image).numpy()[0]).sum(-1))
print(f"one logit of the middle sees rows {rows.min()}-{rows.max()} and columns {cols.min()}-{cols.max()}: "
      f"{rows.max() - rows.min() + 1} x {cols.max() - cols.min() + 1} px "
      f"(the formula: {adversarial.patchgan_receptive_field(3, 4)} px)")

# %% [markdown] id="c09"
# So at the `cpu` recipe's 48 px, pix2pix's 70 px patches are larger than the photo: every verdict sees
# the whole photo (padding fills the rest). The critic of this notebook judges the photo as a whole, as
# DeOldify's does; at the `gpu` recipe's 224 px it is a true patch critic again.
#
# ## 3. Two losses, one game
#
# Both losses are **binary cross-entropy on logits**: a logit `x` says "real" with probability
# `sigmoid(x)`; the cost of the label "real" is `-log(sigmoid(x))`, of the label "fake"
# `-log(1 - sigmoid(x))`.
#
# * The **critic** learns to say "real" to real photos and "fake" to colorized ones: its loss is the
#   mean of the two, over every patch (pix2pix halves it, so the critic learns at half the pace).
# * The **generator** wants the critic to say "real" to its colorized photos. Not "minimise the critic's
#   loss": when the critic is sure, that gradient vanishes; the *non-saturating* form, the cross-entropy of
#   the label "real" on the colorized photo, keeps it (Goodfellow et al., 2014). Added to it, weighed by
#   a small λ, is **L1**, which keeps the colours near the photo's.
#
# ### Exercise 2: the critic's loss
#
# Write `critic_loss(real_logits, fake_logits)`: NumPy arrays of any shape, one logit per patch. Return
# one number. It must stay finite for a critic that is very sure and very wrong (logits of ±100):
# `-log(sigmoid(x))` is `softplus(-x)`, which `np.logaddexp(0, -x)` computes without overflow.

# %% tags=["exercise"] id="c10" exercise_kind="building"
### BEGIN STUB
def critic_loss(real_logits, fake_logits):
    # YOUR CODE HERE: replace None with the critic's loss (one number)
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 2 -- the critic's loss
import numpy as np


def critic_loss(real_logits, fake_logits):
    real_term = np.logaddexp(0, -np.asarray(real_logits, np.float64)).mean()  # label 1: -log(sigmoid(x))
    fake_term = np.logaddexp(0, np.asarray(fake_logits, np.float64)).mean()  # label 0: -log(1 - sigmoid(x))
    return 0.5 * (real_term + fake_term)
### END SOLUTION


# %% tags=["exercise-check"] id="c11"
ex2.check(critic_loss)
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.

# %% [markdown] id="c12"
# ### Exercise 3: the generator's loss
#
# Write `generator_loss(ab_true, ab_pred, fake_logits, weight)`, returning the three numbers
# `(total, l1, adversarial)`: `l1` the mean absolute difference of the true and predicted ab, `adversarial`
# the cross-entropy of the label "real" on the critic's logits for the colorized photo, and
# `total = l1 + weight * adversarial`. The check compares all three with the library's on random inputs,
# for λ = 0.01, 0 and 1.

# %% tags=["exercise"] id="c13" exercise_kind="building"
### BEGIN STUB
def generator_loss(ab_true, ab_pred, fake_logits, weight):
    # YOUR CODE HERE: replace None with (total, l1, adversarial)
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 3 -- the generator's loss
import numpy as np


def generator_loss(ab_true, ab_pred, fake_logits, weight):
    l1 = np.abs(np.asarray(ab_true, np.float64) - np.asarray(ab_pred, np.float64)).mean()
    adversarial_term = np.logaddexp(0, -np.asarray(fake_logits, np.float64)).mean()  # "real" on fakes
    return l1 + weight * adversarial_term, l1, adversarial_term
### END SOLUTION


# %% tags=["exercise-check"] id="c14"
ex3.check(generator_loss)
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.

# %% [markdown] id="c15"
# ## 4. The NoGAN schedule, trained
#
# The adversarial model starts from **notebook 04's MSE model** (`--init-from`): that is DeOldify's
# NoGAN. First the critic alone learns for an epoch on the generator's outputs (the generator does not
# change); then each batch takes one critic step and one generator step, both `GradientTape` steps like
# notebook 04's. The settings belong to the MSE model's recipe (`adversarial.ADVERSARIAL_RECIPES`: for the
# `cpu` recipe λ, the number of epochs and the generator's learning rate were chosen on the validation
# split; see `benchmarks/DETAILS.md`). The run keeps the generator of its **last** epoch: choosing the
# epoch with the best validation PSNR would pick the least adversarial one, since PSNR rewards the
# averaged colours the critic is there to undo. When it finishes, the run chooses how its ab is upsampled
# to the photo (guided by L, or bilinear) on the validation photos with notebook 07's decoding rule, and
# writes the choice to `run.json` (for the `cpu` recipe's run: bilinear, which kept about 4 % more of the
# colour than guided upsampling for 0.16 dB of PSNR). Both models and both optimizers are checkpointed, so `--resume` continues an
# interrupted run. The course's full run (`python -m course_lib run-notebooks`) trains it before this
# notebook starts, or reuses it; by hand (from `notebooks/`; in a cell, start it with `!`):
#
# ```bash
# python -m course_lib train --adversarial --init-from "${COURSE_RUNS_DIR:-../runs}/course" \
#     --data "${NCD_DIR:-../data/ncd}" --out "${COURSE_RUNS_DIR:-../runs}/adv"
# ```
#
# In fast mode, or when it is missing and `IF_NO_MODEL = "fast"`, this cell trains a **tiny** stand-in
# from the fast recipe's MSE model: a minute, and not a result. Nothing is ever deleted: a run already in
# the folder is reused or continued.

# %% id="c16"
IF_NO_MODEL = "fast"  # no adversarial run: "fast" (tiny, a minute), None (stop and say so)
MSE_DIR = config.course_run_dir()
ADV_DIR = course_models.variant_run_dir("adversarial", fast=FAST)
TINY = FAST
if not (ADV_DIR / "model.keras").is_file() or not (MSE_DIR / "model.keras").is_file():
    if not FAST:
        print("#" * 78 + f"\n##  NO ADVERSARIAL MODEL at {ADV_DIR} (or no MSE model at {MSE_DIR})\n##  The course's full "
              "run trains it (python -m course_lib run-notebooks); by hand, see the command above.\n" + "#" * 78)
    if IF_NO_MODEL != "fast":
        raise RuntimeError(f"no adversarial model in {ADV_DIR}; train it first, or set IF_NO_MODEL = 'fast'")
    TINY = True
    MSE_DIR, ADV_DIR = config.course_run_dir(fast=True), course_models.variant_run_dir("adversarial", fast=True)
    if not (MSE_DIR / "model.keras").is_file():
        print(f"Training the tiny fast-recipe MSE model into {MSE_DIR} ...")
        train.train(source.root, MSE_DIR, recipe="fast", weights=None, resume="auto", verbose=0)
    mse_settings = course_models.run_settings(MSE_DIR)
    settings = adversarial.recipe_adversarial_settings(mse_settings.recipe)
    print(f"The tiny adversarial model in {ADV_DIR} ({settings}): trained, continued or reused ...")
    adversarial.train_adversarial(source.root, ADV_DIR, MSE_DIR, settings,
                                  resume=(ADV_DIR / "checkpoints" / "state.json").is_file())
if TINY:
    print("!" * 78 + "\n!!  TINY FAST-RECIPE MODELS: they prove the notebook runs; the numbers and pictures\n"
          "!!  below judge these toys, NOT the method.\n" + "!" * 78)
mse_colorizer, adv_colorizer = Colorizer.load(MSE_DIR), Colorizer.load(ADV_DIR)
print(f"MSE model:         {MSE_DIR}\nadversarial model: {ADV_DIR} (its generator started from the MSE model)")
print(course_models.compare_runs(MSE_DIR, ADV_DIR))

# %% [markdown] id="c17"
# The run's log, one row per epoch. Epoch 1 is the critic's alone; afterwards both learn. Watch the
# critic's loss: near `log 2 ≈ 0.69` it cannot tell real from colorized, far below it wins, and the
# generator's adversarial loss then rises. The validation colourfulness ratio (colorized / real, mean
# over the categories, at the model's resolution) shows what the critic pushes for.

# %% id="c18"
with open(ADV_DIR / "log.csv") as f:
    log = list(csv.DictReader(f))


def column(name):
    return np.array([float(row[name]) if row.get(name) not in (None, "") else np.nan for row in log])


epochs = np.arange(1, len(log) + 1)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
axes[0].plot(epochs, column("critic_loss"), "o-", label="critic")
axes[0].plot(epochs, column("adversarial_loss"), "s-", label="generator (adversarial term)")
axes[0].axhline(np.log(2), color="gray", ls=":", label="log 2: a coin toss")
axes[0].set(xlabel="epoch", ylabel="cross-entropy", title="the game")
axes[0].legend(fontsize=8)
axes[1].plot(epochs, column("val_psnr"), "o-")
axes[1].set(xlabel="epoch", ylabel="dB", title="validation PSNR")
axes[2].plot(epochs, column("val_colorfulness_ratio"), "o-")
axes[2].axhline(1, color="gray", ls=":")
axes[2].set(xlabel="epoch", ylabel="colorized / real", title="validation colourfulness ratio")
plt.tight_layout()
plt.show()

# %% [markdown] id="c19"
# ### Exercise 4: predict, then measure
#
# The adversarial model starts from the MSE model and fine-tunes with `L1 + λ · adversarial`. On the test
# photos, will its **PSNR** be `"higher"`, `"about the same"` (within 0.3 dB) or `"lower"` than the MSE
# model's? Commit to an answer before the next section measures it.

# %% tags=["exercise"] id="c20" exercise_kind="decision"
### BEGIN STUB
psnr_prediction = None  # one of "higher", "about the same", "lower"
### END STUB
### BEGIN SOLUTION
# Exercise 4 -- a prediction, made before the measurement
psnr_prediction = "about the same"
### END SOLUTION

# %% tags=["exercise-check"] id="c21"
ex4.predict(psnr_prediction)
# Stuck? ex4.hint() gives a hint (again: a more specific one); ex4.solution() shows an answer.

# %% [markdown] id="c22"
# ## 5. Four models side by side, and two judges
#
# PSNR and SSIM reward being close on average; the colourfulness ratio says how vivid; none says whether
# the colours look *right*. Two judges that are models:
#
# * **Semantic accuracy** (Zhang, Isola and Efros 2016, §3.1, there with a VGG classifier): a small CNN
#   trained on the **real** colour photos of NCD's train split (`python -m course_lib train-classifier`,
#   the epoch chosen on validation) names the category of each colorized photo. If the colours are
#   plausible, it still recognises a red pepper; the real photos give the ceiling, gray the floor.
# * **A classifier two-sample test** (Lopez-Paz and Oquab, *Revisiting Classifier Two-Sample Tests*,
#   ICLR 2017): a fresh small CNN learns to tell real from colorized photos on half of the test photos
#   and is scored on the other half. 50 % means it cannot tell them apart; the interval is Wilson's
#   95 % interval for a proportion. No person is needed, but it judges what a small CNN can see at 32 px.
#
# All models are scored on the **test split** with the course's protocol (in fast mode: one photo per
# category, shrunk to 128 px, with tiny models and a tiny judge: not the protocol). The classification
# model is notebook 07's. This takes a few minutes outside fast mode. The course's full run trains the
# judge; by hand (from `notebooks/`):
#
# ```bash
# python -m course_lib train-classifier --data "${NCD_DIR:-../data/ncd}" --out "${COURSE_RUNS_DIR:-../runs}/judge"
# ```

# %% id="c23"
JUDGE_DIR = course_models.judge_run_dir(fast=TINY)
if not (JUDGE_DIR / semantic.CLASSIFIER_FILE).is_file():
    if not TINY:
        raise RuntimeError(f"no judge in {JUDGE_DIR}: the full run trains it; by hand, see the command above")
    print(f"Training a tiny judge into {JUDGE_DIR} ({semantic.FAST_JUDGE_SETTINGS.epochs} epochs: a stand-in, "
          "not a judge) ...")
    semantic.train_classifier(source.root, JUDGE_DIR, semantic.FAST_JUDGE_SETTINGS)
judge = semantic.CategoryClassifier.load(JUDGE_DIR)

CLS_DIR = course_models.variant_run_dir("classification", fast=TINY)
colorizers = {"MSE (notebook 04)": mse_colorizer}
if (CLS_DIR / "model.keras").is_file():
    colorizers["classification (notebook 07)"] = Colorizer.load(CLS_DIR)
else:
    print(f"!! no classification model in {CLS_DIR}: run notebook 07 first to see it here")
colorizers["adversarial (NoGAN)"] = adv_colorizer

records, max_side = test_records, None
if FAST:
    records, max_side = stratified_subset(test_records, len({r.category for r in test_records})), 128
table = judging.side_by_side(colorizers, records, judge, max_side=max_side, progress=not FAST)
print(f"{len(records)} test photos" + (f", shrunk to {max_side} px (fast mode: not the protocol)" if FAST else "")
      + "; mean over photos")
print(judging.format_side_by_side(table))
print("\nmean over categories (how the NCD survey averages)")
print(judging.format_side_by_side(table, mean="category_mean"))
if TINY:  # the toys' figures above; the full run's recorded ones here, so the finding shows
    recorded = course_models.recorded_results("adversarial_test")
    print("\n" + course_models.recorded_header(recorded))
    for row in recorded["rows"]:
        print(f"  {row['model']:30s} " + ", ".join(f"{key} {value}" for key, value in row.items() if key != "model"))

# %% id="c24"
ex4.reveal(table["MSE (notebook 04)"]["image_mean"]["psnr"], table["adversarial (NoGAN)"]["image_mean"]["psnr"])

# %% [markdown] id="c25"
# Per category: the semantic accuracy of each model, and the colourfulness ratio. A category the judge
# misses even on the real photos (the ceiling row) says little about the colorizers.

# %% id="c26"
categories = sorted(table[judging.TRUTH]["categories"])
names = [judging.TRUTH, judging.GRAY, *colorizers]
print(f"{'semantic accuracy':22s}" + "".join(f"{name.split(' (')[0][:12]:>13s}" for name in names))
for category in categories:
    print(f"{category:22s}" + "".join(f"{table[name]['categories'][category]['semantic_accuracy']:13.2f}"
                                      for name in names))
print(f"\n{'colourfulness ratio':22s}" + "".join(f"{name.split(' (')[0][:12]:>13s}" for name in names[1:]))
for category in categories:
    print(f"{category:22s}" + "".join(f"{table[name]['categories'][category]['colorfulness_ratio']:13.2f}"
                                      for name in names[1:]))

# %% [markdown] id="c27"
# Reading the tables. What follows held in the course's recorded full run (`benchmarks/README.md`,
# "Adversarial colorization"); with fast mode's toys none of it need hold:
#
# * The critic's push shows in the **colourfulness ratio**: the MSE model's is below 1 (washed out), the
#   adversarial fine-tune moves it most of the way to the real photos', and the classification model
#   reaches them.
# * **PSNR** barely moves: L1 still dominates the generator's loss. In the validation sweep that chose λ,
#   larger weights cost more PSNR without more colour (`benchmarks/DETAILS.md`).
# * **Semantic accuracy**: the judge names most real photos (the ceiling) and almost no gray ones (near
#   chance, 1 in 20): colour carries much of a fruit's identity here (a green and a red capsicum differ
#   mostly by colour). The three models land in between, close together: with 100 photos one photo is
#   one percentage point, so differences of a few points are noise.
# * The **two-sample test** tells gray from real almost every time, but not the three models: their
#   accuracies stay near 50 %, each interval includes it. A small CNN at 32 px, trained on 50 pairs,
#   is a weak discriminator; "cannot tell them apart" is a statement about this judge, not a proof of
#   realism. Your eyes, in section 7, are another judge.
#
# ## 6. What goes wrong: the worst cases
#
# Adversarial training has its own failures. **Mode collapse**: the generator finds one colour that fools
# the critic and paints it everywhere (every apple the same red). **Artifacts**: blotches, colour that
# bleeds over edges, a tinted background, where the critic's verdict rewards texture that is not there.
# The photos where the adversarial model's colour error (ΔE00) grew most over the MSE model's show them
# best:

# %% id="c28"
mse_rows = {row["relpath"]: row for row in table["MSE (notebook 04)"]["per_image"]}
adv_rows = table["adversarial (NoGAN)"]["per_image"]
worst = sorted(adv_rows, key=lambda row: row["deltaE"] - mse_rows[row["relpath"]]["deltaE"], reverse=True)[:4]
by_relpath = {record.relpath: record for record in records}
tiles, titles = [], []
for row in worst:
    truth = load_image(by_relpath[row["relpath"]].path, max_side=256)
    tiles += [gray_baseline(truth), mse_colorizer.colorize(truth), adv_colorizer.colorize(truth), truth]
    titles += [f"gray: {row['category']}", f"MSE, dE {mse_rows[row['relpath']]['deltaE']:.1f}",
               f"adversarial, dE {row['deltaE']:.1f}", "truth"]
show_images(tiles, titles, ncols=4, size=2.4)
plt.show()

# %% [markdown] id="c29"
# ## 7. A colorization Turing test: you are the judge
#
# Zhang et al. (2016) showed people a real photo and its colorization and asked which was real: their
# colorizations were chosen on **32 %** of trials (50 % would be perfect). Here, one photo at a time, real
# or colorized by the adversarial model (at random), you click **real** or **colorized**. The widget counts
# your **fooling rate**, the share of colorized photos you called real, with its 95 % interval: with a dozen
# photos it is wide, and that is worth seeing. The share of real photos you called real sits beside it
# (answering "real" to everything fools you every time). Look at the colours, not at the sharpness:
# every photo is shown at the same size.

# %% id="c30"
turing_records = stratified_subset(test_records, 6 if FAST else 16)
real_photos = [load_image(r.path, max_side=192) for r in turing_records]
turing = TuringTest(real_photos, [adv_colorizer.colorize(photo) for photo in real_photos],
                    labels=[r.category for r in turing_records], seed=np.random.SeedSequence().entropy % 2**32)
turing_widget = TuringTestWidget(turing, size=256)
display(turing_widget.box)

# %% [markdown] id="c31"
# ## 8. What a colorized photo claims
#
# A colorization is a **guess** at colours the photo never recorded, and the more vivid the guess, the more
# convincing it looks: this notebook trained a model to be convincing, not to be right. That matters when
# the photo is history.
#
# * In April 2021 *Vice* published portraits of prisoners of the Khmer Rouge's S-21 prison (Tuol Sleng),
#   colorized by Matt Loughrey, some of them retouched to smile. After protests, among them from Cambodia's
#   Ministry of Culture and Fine Arts, *Vice* took the article down. Colour, and the edits that came with
#   it, rewrote victims' last photographs.
# * Peter Jackson's *They Shall Not Grow Old* (2018) colorized and restored First World War film; it was
#   widely praised, and some historians and archivists objected that a reconstruction is presented as
#   what the past looked like.
# * Careful colourists research the colours they can (uniforms, paint catalogues, written accounts) and
#   say which they guessed: Marina Amaral and Dan Jones, *The Colour of Time* (2018), is one example.
#
# What to do with a model like this one: label a colorized photo as colorized, keep the original beside it,
# never present a colour as a fact, and be most careful with people, whose skin and clothes a model
# guesses from what was common in its training photos.
#
# ## 9. Where to go next
#
# * **ColTran** (Kumar, Weissenborn and Kalchbrenner, *Colorization Transformer*, ICLR 2021): an
#   autoregressive transformer paints a coarse, low-resolution colouring, two more networks upsample it;
#   it samples several different colourings of one photo.
# * **Palette** (Saharia et al., *Palette: Image-to-Image Diffusion Models*, SIGGRAPH 2022): one conditional
#   diffusion model for colorization, inpainting and more; diverse and realistic samples, at the cost of
#   many network evaluations per image.
# * **DDColor** (Kang et al., *DDColor: Towards Photo-Realistic Image Colorization via Dual Decoders*, ICCV
#   2023): a pixel decoder and a colour decoder whose learnt colour queries attend to the image's features;
#   vivid colours with less bleeding over edges.
#
# All three are trained on ImageNet-scale data with far more compute than this course; the ideas of notebooks
# 04-09 (LAB, a pretrained encoder, the mode problem, hints, an adversarial or likelihood objective, and
# judging by more than PSNR) are what they build on.
#
# ## 10. What to take away
#
# * A critic turns "close on average" into "looks real": the colours get more vivid, and PSNR is no longer
#   the whole story.
# * A PatchGAN judges patches of a size you can compute; at 48 px, pix2pix's critic sees the whole photo.
# * The generator's adversarial loss is the non-saturating one, plus L1 to stay near the photo; NoGAN makes
#   the game short and stable by starting from a trained colorizer and a pretrained critic.
# * Judge colorizers by several measures: PSNR, colourfulness, a classifier's semantic accuracy, a
#   two-sample test, and people; and say how many photos each rests on.
# * A convincing colour is still a guess. Say so.
