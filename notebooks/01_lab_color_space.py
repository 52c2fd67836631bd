# ---
# jupyter:
#   course:
#     goals:
#     - compare RGB and CIE-LAB and see what each LAB channel holds
#     - explain why a colorizer predicts the colour channels a, b from the lightness
#       L
#     - explore LAB interactively and measure the RGB -> LAB -> RGB round-trip error
#     - build a measure of how much of a photo is nearly gray
#     - normalise L and ab exactly as the course's models do
#     needs_data: false
#     time_cpu: 30 min
#     time_gpu: 30 min
#     title: The LAB colour space
# ---

# %% [markdown] id="0c9f0ac8"
# ## RGB: three channels that all carry lightness
#
# Files store colour as **R**ed, **G**reen and **B**lue intensities, `uint8` in [0, 255]. We work on a
# test photo that ships with scikit-image (no dataset needed in this notebook).

# %% id="3fe64596"
import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.transform import resize

from course_lib import color
from course_lib.metrics import psnr
from course_lib.plots import show_images

photo = data.coffee()  # uint8 (400, 600, 3)
print(photo.shape, photo.dtype, photo.min(), photo.max())

# %% id="5d92ba59"
# Each RGB channel on its own looks like a grayscale photo: the structure is in all three.
show_images([photo, photo[..., 0], photo[..., 1], photo[..., 2]], ["RGB", "R", "G", "B"], ncols=4, size=3);

# %% id="b7314baa"
# How alike are the channels? Correlation of the pixel values, pairwise.
channels = photo.reshape(-1, 3).T.astype(np.float64)  # (3, H*W)
print(np.round(np.corrcoef(channels), 2))

# %% [markdown] id="dc604379"
# The channels are strongly correlated: each mixes *how bright* a pixel is with *which colour* it has.
# A model predicting RGB from a gray image would have to reproduce the whole picture, details included.
#
# ## LAB: lightness separated from colour
#
# CIE-LAB splits a colour into
# - **L**: lightness, 0 (black) to 100 (white);
# - **a**: green (negative) to magenta-red (positive);
# - **b**: blue (negative) to yellow (positive).
#
# `course_lib.color.rgb_to_lab` uses scikit-image (D65 white, 2-degree observer). The table at the top
# of `course_lib/color.py` lists every dtype and range the course uses. The LAB values of a few pure
# colours:

# %% id="0479a6e5"
# NBVAL_CHECK_OUTPUT
pure = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
        "white": (255, 255, 255), "mid gray": (128, 128, 128), "black": (0, 0, 0)}
pure_lab = color.rgb_to_lab(np.array([list(pure.values())], dtype=np.uint8))[0]  # (7, 3)
print(f"{'colour':<9} {'L':>6} {'a':>6} {'b':>6}")
for name, (l_value, a_value, b_value) in zip(pure, np.round(pure_lab, 1) + 0.0):  # + 0.0 turns -0.0 into 0.0
    print(f"{name:<9} {l_value:6.1f} {a_value:6.1f} {b_value:6.1f}")

# %% [markdown] id="b225fa74"
# Gray, white and black have `a = b = 0`: no colour. Yellow is much lighter than blue (L 97 against 32)
# although both are "full" colours -- our eyes are more sensitive to some wavelengths, and L models that.
#
# Why is **blue** at `a = +79`, on the "red" side? The a axis runs from green to **magenta**-red, not to a
# pure red, and the screen's blue primary is a violet-blue: besides its strong blue (`b = -108`) it has a
# large magenta component, which in CIELAB is positive a. (Its hue angle, `atan2(b, a)`, is about 306
# degrees: between the -b "blue" direction at 270 and the +a "magenta-red" one at 360.) Read a and b
# together, as a direction in the ab plane, rather than each on its own.
#
# Now the photo's three LAB channels. L is shown in gray. To *see* a and b, we render each one alone:
# L fixed at 70 and the other colour channel at 0.

# %% id="75fecdf6"
lab = color.rgb_to_lab(photo)  # float32 (400, 600, 3)
l_channel, a_channel, b_channel = lab[..., 0], lab[..., 1], lab[..., 2]


def render(l_value, a_value, b_value):
    '''RGB float image of LAB channels given as arrays or constants (broadcast to the photo's shape).'''
    return color.lab_to_rgb(np.stack(np.broadcast_arrays(l_value, a_value, b_value), axis=-1))


show_images([l_channel / 100.0, render(70.0, a_channel, 0.0), render(70.0, 0.0, b_channel)],
            ["L (lightness)", "a only: green - red", "b only: blue - yellow"], ncols=3, size=4);
print(f"L in [{l_channel.min():.1f}, {l_channel.max():.1f}], a in [{a_channel.min():.1f}, {a_channel.max():.1f}], "
      f"b in [{b_channel.min():.1f}, {b_channel.max():.1f}]")

# %% [markdown] id="f52be0ee"
# The sharp detail -- edges, texture, the rim of the cup -- is in L. The a and b images are broad patches
# with much less fine detail: the saucer is red, the crema orange, the wood brownish.
#
# ## Why predict ab from L
#
# 1. **A grayscale photo *is* the L channel** (up to how it was made). The model gets L for free and
#    only has to guess 2 numbers per pixel instead of 3.
# 2. **Errors in ab do not destroy the picture.** The final image is the *original* L plus predicted
#    ab, so every detail survives even when the colours are wrong.
# 3. **Our eyes see colour at low resolution.** JPEG and TV stored colour at reduced resolution for
#    decades. A model can predict ab on a small image and we can upsample it to the photo's full size.
#
# The experiment: shrink *either* the colour or the lightness to 1/8 of the width and 1/8 of the height,
# enlarge it back, then put the image back together.

# %% [markdown] id="p01q"
# ### Predict first (checked as exercise 4): how much of the colour survives?
#
# The next cell shrinks the ab channels to 1/8 of the width and 1/8 of the height, then enlarges them
# back. Before you run it: what fraction of the ab samples is kept? Answer with a number.

# %% tags=["exercise"] id="p01a" exercise_kind="decision"
### BEGIN STUB
kept_fraction = None  # YOUR ANSWER: a number
### END STUB
### BEGIN SOLUTION
# Exercise 4 -- prediction
kept_fraction = 1 / 64  # 1/8 of the width x 1/8 of the height
### END SOLUTION

# %% tags=["exercise-check"] id="p01c"
from course_lib.checks.lab_color import ex4

ex4.check(kept_fraction)
# Stuck? ex4.hint() gives a hint (again: a more specific one); ex4.solution() shows an answer.

# %% [markdown] tags=["reflection"] id="r01"
# **Reflection** (write two or three sentences in this cell; nothing checks them). Your eye forgives
# colour that is much blurrier than the lightness (the next cell shows it). In your own words: why does
# that make colorization easier for a model -- and in which kind of image would a blurry ab still look
# wrong?
#
# *Your answer:*

# %% id="bd4f2fb9"
def blur_by_resizing(channels, factor=8):
    '''Downsample (H, W, C) by `factor` and resize back: the detail finer than `factor` pixels is lost.'''
    h, w = channels.shape[:2]
    small = resize(channels, (h // factor, w // factor), order=1, anti_aliasing=True)
    return resize(small, (h, w), order=1)


l_only, ab_only = color.split_lab(lab)
coarse_colour = color.to_uint8_rgb(color.lab_to_rgb(color.merge_lab(l_only, blur_by_resizing(ab_only))))
coarse_light = color.to_uint8_rgb(color.lab_to_rgb(color.merge_lab(blur_by_resizing(l_only), ab_only)))
show_images([photo, coarse_colour, coarse_light],
            ["original", f"ab at 1/8 size: PSNR {psnr(coarse_colour, photo, data_range=255):.1f} dB",
             f"L at 1/8 size: PSNR {psnr(coarse_light, photo, data_range=255):.1f} dB"], ncols=3, size=4);


# %% [markdown] id="431ddfdd"
# With coarse colour -- rebuilt from only 1/64 of the ab samples -- the photo looks almost untouched (and
# PSNR stays high); with coarse lightness, shrunk just as much, it is visibly blurred. That is why the model works on L and ab, and why `course_lib.inference` predicts ab
# on a small square and recombines it with the **full-resolution** L.
#
# ## Exercise 1 -- split an image into what the model sees and what it predicts
#
# Write `split_l_ab(rgb)`: a `uint8` RGB image `(H, W, 3)` goes in; `(L, ab)` comes out with shapes
# `(H, W, 1)` and `(H, W, 2)`, in LAB units. Use `color.rgb_to_lab`. Keep the channel axis on L.

# %% tags=["exercise"] id="d605b98b" exercise_kind="typing"
### BEGIN STUB
def split_l_ab(rgb):
    '''uint8 RGB (H, W, 3) -> (L (H, W, 1), ab (H, W, 2)), float, in LAB units.'''
    # YOUR CODE HERE: replace the two None
    l_channel = None
    ab = None
    return l_channel, ab
### END STUB
### BEGIN SOLUTION
from course_lib import color


# Exercise 1 -- split an image into what the model sees and what it predicts
def split_l_ab(rgb):
    """uint8 RGB ``(H, W, 3)`` -> ``(L (H, W, 1), ab (H, W, 2))`` in LAB units."""
    lab = color.rgb_to_lab(rgb)
    # Slices (not indices) keep the channel axis: (H, W, 1), the shape the model takes.
    return lab[..., :1], lab[..., 1:]
### END SOLUTION


# %% tags=["exercise-check"] id="ae981ccc"
from course_lib.checks.lab_color import ex1, ex2, ex3

ex1.check(split_l_ab);
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% [markdown] id="8a5446af"
# ## The ab plane
#
# Every colour of a given lightness sits on a plane: a horizontally, b vertically, gray in the middle.
# Only part of each plane is displayable: LAB describes colours that no screen (no sRGB colour) can show.
# Below, those out-of-gamut places are left in neutral gray. Note how the shape of the displayable region
# changes with L: dark colours cannot be very yellow, light colours cannot be very blue or very red.

# %% id="87664700"
ab_values = np.linspace(-128, 127, 256, dtype=np.float32)
b_grid, a_grid = np.meshgrid(ab_values[::-1], ab_values, indexing="ij")  # rows: b from +127 down; columns: a


def ab_plane(l_value):
    '''RGB float (256, 256, 3) of the ab plane at lightness `l_value`; out-of-gamut colours in gray.'''
    plane_lab = np.stack([np.full_like(a_grid, l_value), a_grid, b_grid], axis=-1)
    rgb = color.lab_to_rgb(plane_lab)  # clipped into [0, 1]
    out_of_gamut = np.abs(color.rgb_to_lab(rgb) - plane_lab).max(axis=-1) > 1.0
    rgb[out_of_gamut] = 0.5
    return rgb


fig, axes = plt.subplots(1, 3, figsize=(12, 4))
for ax, l_value in zip(axes, (30, 60, 90)):
    ax.imshow(ab_plane(l_value), extent=(-128, 127, -128, 127))
    ax.set(title=f"L = {l_value}", xlabel="a  (green - red)", ylabel="b  (blue - yellow)")
fig.tight_layout()

# %% [markdown] id="51540ef4"
# ## Explore LAB yourself
#
# Move the **L, a, b** sliders: the swatch shows the colour and says when it is outside the sRGB gamut.
# Move **x, y** to pick a pixel of the photo and read its RGB and LAB values; *Use this pixel* copies
# its LAB values into the sliders. Try: how far can you push *b* at L = 30 before leaving the gamut?
# (The explorer is built from standard ipywidgets in `course_lib/widgets.py`.)

# %% id="bb43cba3"
from course_lib.widgets import lab_explorer

lab_explorer(photo)


# %% [markdown] id="eb096692"
# ## Exercise 2 -- how much of a photo is (nearly) gray?
#
# Gray sits at the centre of every ab plane. A pixel is *nearly gray* when its colour lies close to that
# centre, whatever its lightness: within `radius` LAB units of `a = b = 0`. How many such pixels a photo
# (or a whole dataset) has matters for training: later in this notebook, and in notebooks 02 and 07,
# we ask how much of the data is nearly gray, because a model learns most from what is most common.
#
# Build `gray_share(rgb, radius)`: a `uint8` RGB image `(H, W, 3)` goes in; the **fraction of its pixels**
# (a number between 0 and 1) whose colour lies within `radius` LAB units of gray comes out. Decide yourself
# how to measure a pixel's distance from gray in the ab plane. The check runs your function on images it
# makes (random pixels, a gray ramp, a saturated red, pastel colours) at several radii.

# %% tags=["exercise"] id="e26f11c7" exercise_kind="building"
### BEGIN STUB
def gray_share(rgb, radius):
    '''Fraction of the pixels of uint8 RGB (H, W, 3) whose colour lies within `radius` LAB units of gray.'''
    # YOUR CODE HERE: replace None
    return None
### END STUB
### BEGIN SOLUTION
import numpy as np

from course_lib import color


# Exercise 2 -- the share of nearly gray pixels
def gray_share(rgb, radius):
    """Fraction of the pixels whose ab point lies within ``radius`` of gray (a = b = 0)."""
    lab = color.rgb_to_lab(rgb)
    # The distance from gray is the length of the ab vector (the chroma), in every direction alike.
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    return float(np.mean(chroma <= radius))
### END SOLUTION


# %% tags=["exercise-check"] id="783c234e"
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.
if ex2.check(gray_share):
    for radius in (5, 10, 20):
        print(f"coffee photo: {gray_share(photo, radius):.1%} of the pixels within {radius} units of gray")

# %% [markdown] id="4d4c4a2f"
# The opposite extreme is a photo with *every* pixel gray: keep L and set `a = b = 0`. That is the **gray
# baseline**, what a colorizer that predicts "no colour" outputs; every model in the course is compared
# against it. Is it the same as averaging R, G and B? No: L weights green much more than blue, as our
# eyes do. Compare the two on the pure colours from above:

# %% id="47066655"
# NBVAL_CHECK_OUTPUT
swatches = np.array([list(pure.values())], dtype=np.uint8)  # (1, 7, 3)
zero_ab = color.rgb_to_lab(swatches) * np.array([1.0, 0.0, 0.0], dtype=np.float32)  # keep L, a = b = 0
gray_from_l = color.to_uint8_rgb(color.lab_to_rgb(zero_ab))[0, :, 0]
gray_from_mean = swatches[0].mean(axis=-1).round().astype(int)
print(f"{'colour':<9} {'gray from L':>12} {'mean of RGB':>12}")
for name, from_l, from_mean in zip(pure, gray_from_l, gray_from_mean):
    print(f"{name:<9} {from_l:12d} {from_mean:12d}")

# %% [markdown] id="58d8354f"
# ## The round trip: RGB -> LAB -> RGB
#
# Training turns RGB into LAB, the model predicts in LAB, and results are turned back into RGB. Does the
# conversion itself lose anything? We convert a grid of 140,608 colours spanning the whole RGB cube
# (every 5th level of each channel) there and back.

# %% id="53307b96"
# NBVAL_CHECK_OUTPUT
levels = np.unique(np.r_[np.arange(0, 256, 5), 255]).astype(np.uint8)  # 53 levels per channel
cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 1, 3)  # (N, 1, 3)
cube_lab = color.rgb_to_lab(cube)
back = color.to_uint8_rgb(color.lab_to_rgb(cube_lab))
print(f"{len(cube):,} colours; largest round-trip error: {np.abs(back.astype(int) - cube.astype(int)).max()} levels of 255")
for name, channel in zip("Lab", np.moveaxis(cube_lab[:, 0], -1, 0)):
    print(f"{name} over all sRGB colours: [{channel.min():7.1f}, {channel.max():6.1f}]")

# %% id="2caa7deb"
float_error = np.abs(color.lab_to_rgb(cube_lab) - color.to_float_rgb(cube)).max()
print(f"in float32 the round trip is off by at most {float_error:.1e} (of 1.0)")


# %% [markdown] id="cce094b8"
# The conversion is lossless at `uint8` precision. The only loss in a colorized image comes from the
# model -- and from bringing predictions that fall outside the gamut back inside it. The course does
# **not** clip those (clipping R, G and B separately changes the colour's lightness and hue, as
# `color.lab_to_rgb` does above): `color.lab_to_rgb_uint8` first lowers the chroma of each out-of-gamut
# pixel (its distance from gray) just enough for sRGB to show it, keeping its L and hue
# (`color.fit_to_gamut`). Every colorization the course shows or scores is made this way.
#
# The ranges matter for the next step: over **every** displayable colour, a stays within about
# [-86, 98] and b within [-108, 94].
#
# ## The normalisation the models use
#
# Neural networks train best on inputs centred on 0 with a spread of about 1, and our model's last layer
# is a `tanh`, whose outputs lie in [-1, 1]. So (see `course_lib/color.py`):
#
# | | formula | range |
# |---|---|---|
# | model input | `L_norm = L / 50 - 1` | [-1, 1] |
# | model output | `ab_norm = ab / 128` | about [-0.85, 0.77] for every sRGB colour |
#
# Dividing ab by 128 (not by the largest value seen) keeps the target comfortably inside tanh's range:
# reaching exactly +-1 would need infinite pre-activations.
#
# ## Exercise 3 -- what the model reads and writes
#
# Write `to_model_input(rgb)` returning `(L_norm, ab_norm)` as `float32`, shapes `(H, W, 1)` and `(H, W, 2)`.

# %% tags=["exercise"] id="f5616c82" exercise_kind="typing"
### BEGIN STUB
def to_model_input(rgb):
    '''uint8 RGB (H, W, 3) -> (L_norm (H, W, 1), ab_norm (H, W, 2)), float32, both in [-1, 1].'''
    # YOUR CODE HERE: replace the two None
    l_norm = None
    ab_norm = None
    return l_norm, ab_norm
### END STUB
### BEGIN SOLUTION
# Exercise 3 -- what the model reads and writes
def to_model_input(rgb):
    """uint8 RGB -> ``(L / 50 - 1, ab / 128)``, both float32 in [-1, 1]."""
    lab = color.rgb_to_lab(rgb)
    l_norm = lab[..., :1] / 50.0 - 1.0
    ab_norm = lab[..., 1:] / 128.0
    return l_norm.astype("float32"), ab_norm.astype("float32")
### END SOLUTION


# %% tags=["exercise-check"] id="8393a16d"
ex3.check(to_model_input);
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.

# %% id="c3576e46"
# The library's version, used by the input pipeline. Where do the photo's values fall?
l_norm, ab_norm = color.rgb_to_model_io(photo)  # float32 (400, 600, 1), (400, 600, 2)
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].hist(l_norm.ravel(), bins=100, range=(-1, 1), color="gray")
axes[0].set(title="model input L / 50 - 1", xlabel="value")
axes[1].hist(ab_norm[..., 0].ravel(), bins=100, range=(-1, 1), alpha=0.6, color="tab:red", label="a / 128")
axes[1].hist(ab_norm[..., 1].ravel(), bins=100, range=(-1, 1), alpha=0.6, color="tab:olive", label="b / 128")
axes[1].set(title="model target ab / 128", xlabel="value")
axes[1].legend()
fig.tight_layout()

# %% [markdown] id="333c5404"
# For this photo the targets are **not** centred on 0: a and b sit mostly between about 0 and 0.4 (a up to
# about 50, b up to about 50 in LAB units) and are almost all positive -- the warm reds, oranges and browns
# of coffee, saucer and wood. Few pixels are nearly gray: exercise 2 measured the share within 10 units of
# gray (0.08 on this scale), under a tenth of the photo. Note also how small
# the range is: the targets use well under half of tanh's [-1, 1].
#
# Colorizers are known for **dull, desaturated** colours. Two separate causes lie behind that:
#
# 1. **The squared error's conditional mean.** When the same gray patch could be red (positive a) or green
#    (negative a), the prediction that minimises the mean squared error is the *average* of the
#    possibilities: a grayish colour between them. This happens even with perfectly balanced data; it
#    comes from the loss (MSE predicts the mean of what is plausible, not one plausible colour).
# 2. **The pile-up of unsaturated pixels in the data.** In most photo collections far more pixels are
#    near-gray than strongly coloured. NCD (notebook 02) photographs produce on a white background: in
#    notebook 02 you predict, then measure with exercise 2's measure, how much of NCD lies within
#    10 units of gray, and notebook 07 counts the training pixels in its one ab bin around gray (|a| and
#    |b| below 5). Both print the share for the data you run on. Each pixel counts once in the loss, so
#    getting the many gray ones right
#    outweighs the few saturated ones, and wherever the model is unsure it leans to the common
#    answer -- little colour. *Class rebalancing* (Zhang et al., 2016, "Colorful Image Colorization")
#    fights this cause by giving rare, saturated colours more weight in the loss; notebook 07 is about it.
#
# You will meet the desaturated look in notebooks 05 and 06.
#
# ## Summary
# - LAB separates lightness (L) from colour (a, b); the detail lives in L.
# - A colorizer predicts ab from L and recombines with the original L: details survive, two channels
#   instead of three, and ab can be predicted at low resolution.
# - RGB -> LAB -> RGB is lossless at `uint8` precision.
# - The models read `L / 50 - 1` and write `ab / 128`, both in [-1, 1].
#
# Next: **02 Exploring NCD**, the dataset we train on.
