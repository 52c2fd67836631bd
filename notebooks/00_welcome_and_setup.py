# ---
# jupyter:
#   course:
#     goals:
#     - say what image colorization is and where it is used
#     - 'know the course map: nine notebooks from colour spaces to colour hints'
#     - 'check your environment: versions, GPU, data, pretrained weights (or offline
#       mode)'
#     needs_data: true
#     time_cpu: 10 min
#     time_gpu: 10 min
#     title: Welcome and setup
# ---

# %% [markdown] id="87700e98"
# ## What is colorization?
#
# A grayscale photograph records only how **light** each point is. Colorization puts back the
# **colour**: given the lightness of every pixel, guess a plausible hue and saturation for it.
#
# The guess is genuinely ambiguous: a gray T-shirt may have been red, green or blue. A model learns
# which colours are *plausible* from many colour photos -- bananas are yellow, broccoli is green,
# the sky is blue. In this course you build such a model: a **VGG19 network pretrained on ImageNet**
# (transfer learning) as the encoder of an **autoencoder** whose decoder paints the colours.
#
# ### Where it is used
# - **Old photographs and film**: family albums, newsreels and documentaries are colorized to make
#   the past feel closer (always as an interpretation, never as a record of the true colours).
# - **Historical archives**: libraries and museums digitise millions of black-and-white plates;
#   automatic colorization helps browsing and outreach, with the original kept alongside.
# - **Astronomy**: telescope cameras record one filter at a time in grayscale; colour images are
#   *composed* by assigning colours to filters -- "representative colour" rather than true colour.
# - **Science and medicine**: false colour for microscopy stains, infrared and radar imaging,
#   where colour makes structure visible to the eye.
#
# Here is the task in one picture: the model gets the left image and must produce the right one.

# %% id="dfb2d11f"
from skimage import data

from course_lib import color
from course_lib.plots import show_images

photo = data.coffee()                        # uint8 (400, 600, 3), a test photo shipped with scikit-image
lightness = color.rgb_to_lab(photo)[..., 0]  # float32 (400, 600), L in [0, 100]
show_images([lightness / 100.0, photo], ["what the model gets: lightness L", "what it must produce"], ncols=2, size=4);

# %% [markdown] id="f8ab2a24"
# ## The course map
#
# | notebook | what you do |
# |---|---|
# | **00 Welcome and setup** | this notebook: the task, the map, the environment check |
# | **01 The LAB colour space** | why we predict the colour channels *a, b* from the lightness *L* |
# | **02 Exploring NCD** | the Natural-Color Dataset: 20 categories of fruit and vegetables |
# | **03 The VGG19 autoencoder** | transfer learning, VGG19's feature maps, the seed and U-Net decoders |
# | **04 Training on a GPU** | the input pipeline, mixed precision, checkpoints, loss curves |
# | **05 Evaluation metrics** | RMSE, PSNR, SSIM built by you; why some numbers barely move |
# | **06 Results** | the per-category table, galleries, failure modes, colorizing your own photo |
# | **07 Colour as classification** | beyond MSE: a distribution over colours, rebalancing, the annealed mean |
# | **08 Colour hints** | user-guided colorization (Zhang et al. 2017): click a point, pick a colour |
#
# ### How the notebooks work
# - The first code cell of every notebook holds your **options**: on Colab, set `USE_GOOGLE_DRIVE = True`
#   to keep your runs and NCD on Google Drive (a new runtime then finds them); `NCD_URL` is for a copy of
#   NCD your instructor gives you. The next cell, locked, is the **setup cell**. On Colab it downloads the
#   course and installs what is missing (never TensorFlow: Colab's own build matches its GPU). Elsewhere it
#   only makes `import course_lib` work. Always run both first.
# - The heavy lifting lives in the tested library `course_lib`; the notebooks tell the story.
# - **Exercises** are cells tagged `exercise`: replace the `None` with your code, run the cell, then run
#   the **check** cell below it. The check says *accepted* or gives a hint; it never stops the notebook,
#   so every notebook also runs top to bottom before you solve anything. Stuck? `ex1.hint()` gives a
#   hint (call it again for a more specific one), `ex1.solution()` shows an answer -- unless your
#   instructor switched solutions off for graded work.
# - `COURSE_FAST=1` (environment variable) selects a quick version with small images and few epochs.
# - Data: the course uses the folder in `$NCD_DIR`, else `data/ncd/` (downloaded when possible). When
#   the dataset cannot be had, a generated **offline sample set** stands in -- and every notebook that
#   uses it says so in capital letters.

# %% [markdown] id="cd455104"
# ## Environment check
#
# `check_environment()` looks at the versions, the GPU, the data and the ImageNet weights, and prints
# a summary. Read the lines that say what to do.

# %% id="56fd6fe3"
from course_lib.environment import check_environment

report = check_environment()


# %% [markdown] id="5e87489a"
# **Reading the report**
#
# - **Lines before the report** (`WARNING: All log messages before absl::InitializeLog() ...` and
#   `oneDNN custom operations are on ...`, on stderr, possibly twice): TensorFlow's C++ core writes
#   them while it loads, before the notebook's or the course's settings take effect, so nothing here
#   can silence them. They are harmless: the first only says that TensorFlow's logging library is not
#   set up yet; the second that TensorFlow uses Intel's oneDNN kernels on the CPU, which may change the
#   last digits of results (floating-point round-off). Ignore them here and in later notebooks.
# - **GPU none**: everything still runs; notebook 04 trains with the `cpu` recipe (48 px images, 3 VGG
#   blocks, 19-31 minutes on 2 cores as measured in benchmarks/README.md) instead of the `gpu` recipe (224 px,
#   all 5 blocks, ImageNet weights and fine-tuning; its time on a T4 has not been measured yet). On Colab, switch the runtime to a GPU
#   (*Runtime > Change runtime type*) and run the notebook again.
# - **Data**: *NCD* means the real dataset; *OFFLINE SAMPLE SET* means generated images that only
#   imitate it -- fine for learning the mechanics, meaningless for comparing with published numbers.
# - **VGG19 weights**: *cached* or *reachable* means the encoder starts from ImageNet; *unreachable*
#   means **offline mode**: the encoder starts from random weights (`weights=None`, `--weights none`).

# %% [markdown] id="0dbd39ff"
# ## Exercise 1 -- what goes in, what comes out
#
# The model reads the lightness of an image and predicts its two colour channels. For an image of
# `height` x `width` pixels, return the shape of the model's input and of its output, channels last,
# as NumPy writes image shapes: `(height, width, channels)`.

# %% tags=["exercise"] id="8511460f" exercise_kind="typing"
### BEGIN STUB
def io_shapes(height, width):
    '''Return (input_shape, output_shape) for a height x width image, e.g. ((H, W, ?), (H, W, ?)).'''
    # YOUR CODE HERE: replace None
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 1 -- what goes into the model and what comes out
def io_shapes(height, width):
    """``(input_shape, output_shape)`` of the colorizer for an image of ``height`` x ``width``."""
    # L is given (one channel); the model only has to guess the two colour channels a and b.
    return (height, width, 1), (height, width, 2)
### END SOLUTION


# %% tags=["exercise-check"] id="227cbcaf"
from course_lib.checks.welcome import ex1, ex2

ex1.check(io_shapes);
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% [markdown] id="a4e213b8"
# ## Exercise 2 -- pretrained weights or offline mode
#
# Later notebooks build the model with `weights="imagenet"` when the ImageNet VGG19 weights can be had,
# and with `weights=None` (random initialisation) in offline mode. Write `choose_weights(report)` that
# returns the right one for an environment report like `report` above. Which of the report's fields
# tells you? `help(type(report))` lists them.

# %% tags=["exercise"] id="d714c7b3" exercise_kind="typing"
### BEGIN STUB
def choose_weights(report):
    '''"imagenet" when the VGG19 weights are cached or downloadable, None in offline mode.'''
    # YOUR CODE HERE: replace None
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 2 -- pretrained or not
def choose_weights(report):
    """``"imagenet"`` when the VGG19 weights can be had, else ``None`` (offline mode)."""
    if report.offline:
        return None
    return "imagenet"
### END SOLUTION


# %% tags=["exercise-check"] id="a3a01547"
ex2.check(choose_weights);
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.

# %% id="d811672b"
# What the rest of the course will use on this machine (the library's own answer):
weights = report.weights.weights_option
print(f"weights for the VGG19 encoder here: {weights!r}" + ("   (offline mode)" if report.offline else ""))

# %% [markdown] id="p00q"
# ## Exercise 3 (predict first): how much colour does the model paint?
#
# On a CPU the course's model works on small images: it predicts the colour channels a and b on a
# 48 x 48 grid, which is then resized to the photo's size and recombined with the photo's **own**
# full-resolution lightness L (notebook 06 colorizes your photos this way). For a 480 x 480 photo, what
# fraction of the output's colour values (a and b, not L) did the model predict itself? Answer with a
# number between 0 and 1 before running the cell after the reflection.

# %% tags=["exercise"] id="p00a" exercise_kind="decision"
### BEGIN STUB
predicted_fraction = None  # YOUR ANSWER: a number between 0 and 1
### END STUB
### BEGIN SOLUTION
# Exercise 3 -- prediction
predicted_fraction = (48 * 48) / (480 * 480)  # 0.01: each side of the colour grid is 10 times coarser
### END SOLUTION

# %% tags=["exercise-check"] id="p00c"
from course_lib.checks.welcome import ex3

ex3.check(predicted_fraction);
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.

# %% [markdown] tags=["reflection"] id="r00"
# **Reflection** (write one paragraph in this cell; nothing checks it). The model predicts only a tiny
# fraction of the colour values, yet the result below still looks sharp. Explain in your own words why:
# which channel carries the edges and the fine detail, and why can the colour afford to be so coarse?
# What would go wrong if the model had to predict all three RGB channels at 48 x 48 instead?
#
# *Your answer:*

# %% id="p00d"
# The answer: the coffee photo's colour squeezed through a 48 x 48 grid, recombined with its full-resolution L.
from course_lib.inference import resize_ab

lab = color.rgb_to_lab(photo)  # float32 (400, 600, 3)
small_ab = resize_ab(lab[..., 1:], 48, 48)  # (48, 48, 2): all the colour the model would paint
coarse = color.merge_lab(lab[..., :1], resize_ab(small_ab, *photo.shape[:2]))
print(f"colour values predicted: {small_ab.size} of {lab[..., 1:].size} ({small_ab.size / lab[..., 1:].size:.4f})")
show_images([photo, color.to_uint8_rgb(color.lab_to_rgb(coarse))], ["original", "colour from a 48 x 48 grid"],
            ncols=2, size=4);

# %% [markdown] id="64e06494"
# ## Next
#
# Open **01 The LAB colour space** to see why a colorizer predicts two channels, not three.
