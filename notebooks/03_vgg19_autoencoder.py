# ---
# jupyter:
#   course:
#     goals:
#     - explain transfer learning and why a pretrained VGG19 makes a good encoder for
#       colorization
#     - see what VGG19's feature maps respond to, block by block
#     - compare the seed decoder with the U-Net decoder and its skip connections
#     - build one level of the U-Net decoder yourself
#     - count each VGG block's parameters, read model.summary() and decide what to fine-tune
#     needs_data: false
#     time_cpu: 25 min
#     time_gpu: 20 min
#     title: The VGG19 autoencoder
# ---

# %% [markdown] id="c00"
# ## 1. Colorization as an encoder-decoder problem
#
# In notebook 01 we split every colour photo into **L** (lightness: the black-and-white picture) and
# **ab** (the colour). Colorization is then a function
#
# $$ f_\theta:\ L \in \mathbb{R}^{S\times S\times 1} \ \longrightarrow\ ab \in \mathbb{R}^{S\times S\times 2} $$
#
# that we learn from examples. The network shape that fits is an **encoder-decoder** (the family that
# autoencoders belong to):
#
# * the **encoder** shrinks the image step by step into a stack of small, deep *feature maps*: what is in
#   the picture (a banana, a leaf, a white background), not where every pixel is;
# * the **decoder** grows those features back to full size and paints two numbers, a and b, per pixel.
#
# A classic *autoencoder* reconstructs its own input; ours reconstructs something it never sees (the
# colour), so it must recognise objects. Recognising objects is a job someone has already paid for:
# **VGG19** was trained on 1.2 million ImageNet photos to tell 1000 classes apart. Reusing its convolutional
# layers as our encoder is **transfer learning**: we keep the knowledge, and train only the decoder
# (at first) on our small dataset.

# %% id="c01"
import numpy as np
import matplotlib.pyplot as plt
import keras
from skimage import data as skimage_data
from skimage.transform import resize

from course_lib import color, config
from course_lib.errors import WeightsUnavailableError
from course_lib.model import (VGG_BLOCK_OUTPUTS, build_colorizer, set_encoder_trainable)

FAST = config.fast_mode()
# 224 px is the size VGG19 was trained at; building the model costs nothing, so even fast mode uses it here.
IMAGE_SIZE = 224
print(f"fast mode: {FAST}, image size: {IMAGE_SIZE}, Keras {keras.__version__}")

# %% [markdown] id="c02"
# ## 2. Getting VGG19 and its ImageNet weights
#
# `course_lib.model.build_colorizer` puts the pieces together. Its `weights` argument is always explicit:
#
# | `weights=` | what you get |
# |---|---|
# | `"imagenet"` | the pretrained VGG19 (Keras downloads about 80 MB once, to `~/.keras/models/`) |
# | a path | the same weights from a file you downloaded yourself |
# | `None` | random weights: **offline mode**, where the whole network has to be trained from scratch |
#
# The next cell asks for ImageNet weights. Without internet (some CI machines, a laptop on a train) the
# download fails and the cell says so loudly, then carries on with `weights=None`. Everything below still
# runs. An untrained VGG19 is not blind: random 3x3 convolutions followed by ReLU already respond to local
# brightness and to edges and textures, in arbitrary directions and mixtures. What it lacks is what
# ImageNet training adds: filters tuned to the edges and textures that matter, and, in the deeper blocks,
# responses to object parts and objects.
#
# **What an ImageNet encoder is expected to add -- not measured here.** The machines this course was
# written on had no internet, so no run with ImageNet weights is recorded in this course: every figure
# the text quotes (and `benchmarks/README.md`) comes from a random-weight encoder trained on NCD alone.
# (Your own run, on a machine that can download the weights, uses them.) From published work:
#
# * Colorization benefits from knowing *what* is in the picture. Iizuka et al. (2016, "Let there be
#   Color!") fuse local features with a global, scene-level branch, trained also to classify the scene,
#   and show that the global information improves the colours;
#   Zhang et al. (2016, "Colorful Image Colorization") trained on 1.3 million ImageNet photos and fooled
#   people in a colour-or-fake test on 32 % of the trials. Both trained on far more images than NCD's
#   few hundred; an ImageNet encoder brings that kind of knowledge of objects and textures for free.
# * On NCD itself, the survey that introduced it (Anwar et al.; `course_lib.published`) ran six such
#   methods, all trained on ImageNet-scale data and never on NCD: mean PSNR over the 20 categories
#   from 18.3 dB (ColorCapsNet) to 21.9 dB (Real-Time Colorization), 20.9 dB for Zhang et al. 2016
#   (notebooks 05 and 06 put these beside ours).
# * No published figure that we know of measures exactly *this* model with and without ImageNet weights
#   on NCD, so none is given. Expect the gain to be largest where L alone says little about the object
#   (round, smooth produce of different colours, notebook 02) and on photos unlike NCD's (your own, in
#   notebook 06), smaller on NCD's test split, whose white backgrounds and per-category colours a model
#   trained on NCD learns from the data itself.

# %% id="c03"
try:
    unet_model = build_colorizer(IMAGE_SIZE, decoder="unet", weights="imagenet")
    WEIGHTS = "imagenet"
    print("Loaded VGG19 with its ImageNet weights.")
except WeightsUnavailableError as exc:
    WEIGHTS = None
    print("!" * 78)
    print("!!  OFFLINE MODE: the ImageNet weights of VGG19 could not be downloaded.")
    print("!!  The encoder below starts from RANDOM weights (weights=None): feature maps")
    print("!!  show no learned edges or textures, and training must update the whole network.")
    print(f"!!  Reason: {exc}")
    print("!" * 78)
    unet_model = build_colorizer(IMAGE_SIZE, decoder="unet", weights=None)
WEIGHTS_LABEL = "ImageNet weights" if WEIGHTS == "imagenet" else "random weights (offline mode)"


# %% [markdown] id="c04"
# ## 3. Inside VGG19: five blocks of 3x3 convolutions
#
# VGG19 is deliberately simple: 16 convolutions of size 3x3 in five **blocks**, each block ending with a
# 2x2 max-pooling that halves the image side. Deeper blocks see a larger part of the image (a larger
# *receptive field*) through more filters:
#
# | block | convolutions | filters | side at 224 px input |
# |---|---|---|---|
# | 1 | 2 | 64 | 224 |
# | 2 | 2 | 128 | 112 |
# | 3 | 4 | 256 | 56 |
# | 4 | 4 | 512 | 28 |
# | 5 | 4 | 512 | 14 |
#
# VGG19 has about 20 million parameters. Where do they sit, and which of them should we train? The next
# three exercises answer that, from a single convolution up to the whole encoder.

# %% [markdown] id="c05"
# ### Exercise 1: how many parameters does a convolution have?
#
# Write `conv_param_count(kernel_size, in_channels, filters)`, the number of parameters of a Keras
# `Conv2D(filters, kernel_size)` layer (with its bias) applied to an input with `in_channels` channels.
# Work it out from what one filter does at one position of the image: which input values does it weigh,
# and what does it add? One data point to test your reasoning: VGG19's very first layer, `block1_conv1`,
# maps 3 channels to 64 with 3x3 kernels and has 1,792 parameters. The check compares your function with
# Keras' own count on kernel sizes and channel numbers it picks.

# %% tags=["exercise"] id="c06" exercise_kind="building"
### BEGIN STUB
def conv_param_count(kernel_size, in_channels, filters):
    # YOUR CODE HERE: replace None with your count
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 1 -- parameters of a convolution
def conv_param_count(kernel_size: int, in_channels: int, filters: int) -> int:
    """Parameters of ``Conv2D(filters, kernel_size)`` (with bias) on ``in_channels`` inputs."""
    # Every filter is a kernel_size x kernel_size x in_channels block of weights, plus one bias.
    return (kernel_size * kernel_size * in_channels + 1) * filters
### END SOLUTION


# %% tags=["exercise-check"] id="c07"
from course_lib.checks.autoencoder import ex1, ex2, ex3

ex1.check(conv_param_count)
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% [markdown] id="c08"
# ### Exercise 2: the shape of each block's feature map
#
# The U-Net decoder (section 5) takes the output of the *last convolution* of every block, for example
# `block3_conv4`. Write `vgg_feature_shape(image_size, block)` returning its shape `(side, side, channels)`
# for a square input of side `image_size` and a block number 1 to 5. Remember where the pooling sits.

# %% tags=["exercise"] id="c09" exercise_kind="typing"
### BEGIN STUB
def vgg_feature_shape(image_size, block):
    # YOUR CODE HERE: return (side, side, channels)
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 2 -- shapes of VGG19's feature maps
def vgg_feature_shape(image_size: int, block: int) -> tuple[int, int, int]:
    """``(side, side, channels)`` of the last convolution of VGG19 block ``block`` (1..5)."""
    channels = (64, 128, 256, 512, 512)[block - 1]
    # Block 1 works at full size; each later block starts after a 2x2 pooling.
    side = image_size // 2 ** (block - 1)
    return (side, side, channels)
### END SOLUTION


# %% tags=["exercise-check"] id="c10"
ex2.check(vgg_feature_shape)
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.

# %% [markdown] id="c11"
# Keras agrees: these are the shapes of the encoder's five outputs, the skip connections of the U-Net.

# %% id="c12"
# NBVAL_CHECK_OUTPUT
encoder = unet_model.get_layer("encoder")
for layer_name, tensor in zip(VGG_BLOCK_OUTPUTS, encoder.outputs):
    print(f"{layer_name:13s} {tuple(tensor.shape[1:])}")

# %% [markdown] id="c12m"
# ### How the gray L becomes VGG19's input
#
# VGG19's ImageNet weights were trained on colour photos prepared the way the original (Caffe) VGG models
# were: channels in **BGR** order (not RGB), values on the **0-255** scale (not 0-1), and the **ImageNet
# mean of each channel subtracted** (B 103.9, G 116.8, R 123.7), with no division by a standard deviation.
# Keras calls this the `"caffe"` mode of `preprocess_input`. Our model's first layer, `VGGPreprocess` in
# `course_lib/model.py`, does the same for the gray input:
#
# 1. `L = (L_norm + 1) * 50` undoes the model's normalisation (L in [0, 100]);
# 2. `grey = L * 2.55` stretches it linearly onto 0-255;
# 3. the same value goes into B, G and R (a gray pixel has B = G = R), and each channel's mean is
#    subtracted, so the three channels differ slightly after all.
#
# Step 2 is an **approximation**. The sRGB grey level that really has lightness L is not `L * 2.55`:
# sRGB stores values with a gamma curve, and L is a cube-root-like function of luminance, so L = 50 is
# grey level **119**, not 127.5. `L * 2.55` shows the encoder mid-tones up to about 9 grey levels
# brighter than the photos it was trained on (darkest tones slightly darker). The exact grey would be
# `color.lab_to_rgb_uint8` of `(L, 0, 0)`; the course keeps the simple formula, a small, fixed shift
# of the input that the trained layers absorb.

# %% id="c12p"
from course_lib.model import VGGPreprocess

levels = np.array([10.0, 25.0, 50.0, 75.0, 90.0], dtype=np.float32)  # L values
vgg_input = keras.ops.convert_to_numpy(VGGPreprocess()(color.normalize_l(levels).reshape(-1, 1, 1, 1)))[:, 0, 0]  # (5, 3) BGR
true_grey = color.lab_to_rgb_uint8(np.stack([levels, 0 * levels, 0 * levels], axis=-1))[:, 0]  # sRGB grey with that L
print(f"{'L':>4} {'VGG input B, G, R (mean subtracted)':>36} {'grey used (L*2.55)':>19} {'true sRGB grey':>15}")
for l_value, bgr, grey in zip(levels, vgg_input, true_grey):
    print(f"{l_value:4.0f} {np.array2string(bgr, precision=1, floatmode='fixed'):>36} {l_value * 2.55:19.1f} {grey:15d}")

# %% [markdown] id="c13"
# ## 4. What VGG19 sees: feature maps
#
# A feature map is one filter's response over the whole image. Let us feed the encoder a photograph that
# is *not* from our dataset (a cat from `skimage.data`), reduced to its L channel exactly as the model
# will see every image, and look at a few channels of blocks 1, 3 and 5.
#
# With ImageNet weights, block 1 responds to edges and colours-of-light (remember: we only give it
# lightness), block 3 to textures such as fur, and block 5 to larger parts, coarse but meaningful. With
# random weights (offline mode) block 1 still shows the cat: each random filter mixes the local brightness
# with local differences, so its map looks like an embossed or edge-filtered copy of the input, and deeper
# blocks respond to textures in arbitrary combinations. What is missing is meaning: no filter has been
# tuned to fur, eyes or a banana's outline -- exactly what transfer learning brings.

# %% id="c14"
photo = skimage_data.chelsea()                       # (300, 451, 3) uint8, a cat
side = min(photo.shape[:2])
top, left = (photo.shape[0] - side) // 2, (photo.shape[1] - side) // 2
square = photo[top:top + side, left:left + side]      # centre crop, (300, 300, 3)
square = color.to_uint8_rgb(resize(square, (IMAGE_SIZE, IMAGE_SIZE), anti_aliasing=True))
l_norm, _ = color.rgb_to_model_io(square)             # (224, 224, 1) float32 in [-1, 1]

features = encoder.predict(l_norm[None], verbose=0)   # 5 arrays, (1, side, side, channels)
for name, fmap in zip(VGG_BLOCK_OUTPUTS, features):
    print(f"{name:13s} {fmap.shape}  mean activation {fmap.mean():.3f}")


# %% id="c15"
def show_feature_maps(features, blocks=(1, 3, 5), n_channels=6):
    # One row per block: the input L, then the most active channels of that block.
    fig, axes = plt.subplots(len(blocks), n_channels + 1, figsize=(2 * (n_channels + 1), 2.1 * len(blocks)))
    for row, block in zip(axes, blocks):
        fmap = features[block - 1][0]                              # (side, side, channels)
        strongest = np.argsort(fmap.mean(axis=(0, 1)))[::-1][:n_channels]
        row[0].imshow(color.denormalize_l(l_norm[..., 0]), cmap="gray", vmin=0, vmax=100)
        row[0].set_title("input L", fontsize=9)
        for ax, channel in zip(row[1:], strongest):
            ax.imshow(fmap[..., channel], cmap="viridis")
            ax.set_title(f"block{block} #{channel}\n{fmap.shape[0]}x{fmap.shape[1]}", fontsize=8)
        for ax in row:
            ax.axis("off")
    fig.suptitle(f"VGG19 feature maps, {WEIGHTS_LABEL}")
    fig.tight_layout()
    plt.show()


show_feature_maps(features)

# %% [markdown] id="c16"
# ## 5. Two decoders: the seed's and the U-Net
#
# The course keeps two decoders so you can compare them:
#
# * **`seed`**, the original project's decoder: take only the deepest, pooled feature map
#   (7x7 at 224 px) and grow it back with convolutions and 2x upsamplings, ending in a `tanh` that
#   outputs `ab / 128` in [-1, 1]. Every fine detail must be re-invented from a 7x7 grid, so colours bleed
#   across edges.
# * **`unet`**, the course's model: the same upward path, but at each resolution it *concatenates* the
#   encoder's feature map of that size (the skip connections from exercise 2). Edges found at 224 px by
#   block 1 are handed straight to the layers that paint at 224 px.
#
# ```
#   L (224)  -> block1 (224) ------------------------------> concat -> conv -> ab (224)
#                  block2 (112) --------------------> concat -> conv -> up ^
#                     block3 (56) ------------> concat -> conv -> up ^
#                        block4 (28) ----> concat -> conv -> up ^
#                           block5 (14) -> conv -> up ^          (the seed decoder has only this path,
#                                                                  starting from the 7x7 pooled map)
# ```
#
# Both are built with the same weights choice as above.

# %% id="c17"
seed_model = build_colorizer(IMAGE_SIZE, decoder="seed", weights=WEIGHTS)
models = {"seed": seed_model, "unet": unet_model}
for model in models.values():
    set_encoder_trainable(model, None)   # stage 1 of training: the encoder is frozen
seed_model.summary()

# %% id="c18"
unet_model.summary()

# %% id="c19"
unet_model.get_layer("decoder").summary(line_length=110)


# %% [markdown] id="c20"
# The summaries show the encoder and decoder as single nested layers; the last one opens the U-Net
# decoder. Notice the `Concatenate` layers (the skips) and the final `ab_norm` layer: 2 channels, `tanh`,
# and kept in float32 even when training in mixed precision (notebook 04).
#
# ### Exercise 3: where do the parameters sit?
#
# Stage 1 of training freezes the whole encoder; fine-tuning unfreezes some of its blocks. To choose, you
# need each block's size. Build `params_per_block(model)`: for a Keras model whose layers are named like
# VGG19's (`block3_conv2`, `block3_pool`), return a `dict` `{block number: number of parameters}` with
# the parameters of all layers of that block, frozen or not. Layers outside the blocks (the input, the
# preprocessing) belong to no block. Every Keras layer has a `.name` and a `.count_params()`. The check
# runs your function on a small encoder it builds, with one layer frozen.

# %% tags=["exercise"] id="c21" exercise_kind="building"
### BEGIN STUB
def params_per_block(model):
    # YOUR CODE HERE: return {block number: parameters}
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 3 -- parameters per VGG block
def params_per_block(model) -> dict:
    """``{block: parameters}`` of the layers named ``block<n>_...`` (frozen ones included)."""
    counts = {}
    for layer in model.layers:
        head = layer.name.split("_")[0]  # "block3" for block3_conv2; "vgg" for vgg_preprocess
        if head.startswith("block") and head[5:].isdigit():
            counts[int(head[5:])] = counts.get(int(head[5:]), 0) + layer.count_params()
    return counts
### END SOLUTION


# %% tags=["exercise-check"] id="c22"
from course_lib.checks import autoencoder

params_per_block_ok = ex3.check(params_per_block)
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.
per_block = (params_per_block if params_per_block_ok else autoencoder.params_per_block_reference)(encoder)

# %% id="c22m"
total = sum(per_block.values())
print(f"{'block':>5} {'parameters':>12} {'share':>6}" + ("" if params_per_block_ok else "   (the course's count)"))
for block, count in per_block.items():
    print(f"{block:>5} {count:>12,} {count / total:>6.1%}")
print(f"{'all':>5} {total:>12,}")

# %% [markdown] id="p03q"
# ### Exercise 4 (decide): what to fine-tune with 400 images?
#
# Training set of about 400 images. After the decoder has trained with the encoder frozen, which VGG19
# blocks (1 to 5) would you unfreeze for fine-tuning? Weigh two things: what each block has learnt
# (section 4: early blocks generic edges and textures, late blocks ImageNet's objects) and the sizes you
# just measured, against the 400 images that must pin them down. Answer with a list of block numbers
# (an empty list keeps the encoder frozen); the check tells you how many parameters your choice trains.

# %% tags=["exercise"] id="p03a" exercise_kind="decision"
### BEGIN STUB
blocks_to_unfreeze = None  # YOUR ANSWER: a list, e.g. [2, 3]
### END STUB
### BEGIN SOLUTION
# Exercise 4 -- decision
blocks_to_unfreeze = [5]  # the most ImageNet-specific block; also the largest, so a low learning rate
### END SOLUTION

# %% tags=["exercise-check"] id="p03c"
from course_lib.checks.autoencoder import ex4

ex4.check(blocks_to_unfreeze)
# Stuck? ex4.hint() gives a hint (again: a more specific one); ex4.solution() shows an answer.

# %% [markdown] tags=["reflection"] id="r03"
# **Reflection** (write two or three sentences in this cell; nothing checks them). Your answer above
# traded what the network already knows against what 400 images can teach it. What would make you
# unfreeze *more* blocks -- more images, images unlike ImageNet's (X-rays, say), or something else --
# and what would you watch during fine-tuning to know you went too far?
#
# *Your answer:*

# %% [markdown] id="b03q"
# ### Exercise 5: build one level of the U-Net decoder
#
# `build_unet_decoder` (in `course_lib/model.py`) repeats the same **decoder block** at every level on
# the way up. Design one: `decoder_block(x, skip, filters)` takes
#
# * `x`, the decoder's current feature map, `(batch, s, s, C)`: what the deeper blocks recognised;
# * `skip`, the encoder's feature map at twice that side, `(batch, 2s, 2s, C')`: the sharper detail;
#
# and returns a Keras tensor of shape `(batch, 2s, 2s, filters)` computed from **both**, with layers that
# learn how to mix them. How you grow `x`, combine the two and mix them is your design (section 5's
# sketch shows the idea). Use Keras' functional style: call each layer on the previous output.
#
# The check builds your block on a small input and tests what it does: the output shape, trainable
# weights, and that changing `x` or `skip` changes the output. Any design with that behaviour passes; the
# check then says how yours differs from the library's block (bilinear upsampling, concatenation, and twice
# a 3x3 convolution + BatchNormalization + ReLU), and why the library chose as it did.

# %% tags=["exercise"] id="b03a" exercise_kind="building"
### BEGIN STUB
def decoder_block(x, skip, filters):
    # YOUR CODE HERE: grow x to the side of skip, combine the two, mix them with layers that learn
    return None
### END STUB
### BEGIN SOLUTION
import keras


# Exercise 5 -- one level of the U-Net decoder
def decoder_block(x, skip, filters: int):
    """Upsample ``x`` 2x (bilinear), concatenate ``skip``, then twice 3x3 conv (no bias) + BN + ReLU."""
    # Bilinear upsampling then convolutions: no checkerboard artefacts (a transposed conv leaves some).
    x = keras.layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = keras.layers.Concatenate()([x, skip])  # the encoder's edges at this resolution
    for _ in range(2):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)  # BN's beta is the bias
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
    return x
### END SOLUTION


# %% tags=["exercise-check"] id="b03c"
from course_lib.checks.autoencoder import ex5

ex5.check(decoder_block)
# Stuck? ex5.hint() gives a hint (again: a more specific one); ex5.solution() shows an answer.

# %% [markdown] id="c23"
# Here are the counts for our two models with the encoder frozen. The encoder is the same 20 million
# VGG19 parameters in both; the decoders differ. The frozen column is slightly larger than the encoder
# because BatchNormalization's running mean and variance are never trained by gradient descent.

# %% id="c24"
# NBVAL_CHECK_OUTPUT
def n_params(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


print(f"{'decoder':8s} {'encoder':>12s} {'decoder':>12s} {'trainable':>12s} {'frozen':>12s} {'total':>12s}")
for name, model in models.items():
    print(f"{name:8s} {model.get_layer('encoder').count_params():>12,} {model.get_layer('decoder').count_params():>12,}"
          f" {n_params(model.trainable_weights):>12,} {n_params(model.non_trainable_weights):>12,}"
          f" {model.count_params():>12,}")

# %% [markdown] id="c25"
# ## 6. One forward pass, before any training
#
# An untrained decoder paints noise, but the shapes are already right: `L_norm (1, 224, 224, 1)` in,
# `ab_norm (1, 224, 224, 2)` out, which `course_lib.color` turns back into an RGB picture. Notebook 04
# trains the U-Net; notebook 06 judges the result.

# %% id="c26"
# NBVAL_CHECK_OUTPUT
for name, model in models.items():
    ab_norm = model.predict(l_norm[None], verbose=0)            # (1, 224, 224, 2)
    print(f"{name}: input {(1, *l_norm.shape)} -> output {ab_norm.shape}, "
          f"inside [-1, 1]: {bool(np.abs(ab_norm).max() <= 1.0)}")

# %% id="c27"
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
axes[0].imshow(color.gray_to_rgb(color.denormalize_l(l_norm)[..., 0] / 100.0))
axes[0].set_title("input L")
for ax, (name, model) in zip(axes[1:], models.items()):
    ab_norm = model.predict(l_norm[None], verbose=0)[0]
    ax.imshow(color.model_io_to_rgb_uint8(l_norm, ab_norm))  # gamut-fitted, as colorize and evaluate do
    ax.set_title(f"{name}, untrained")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown] id="c28"
# ## Summary
#
# * Colorization maps L to ab; an encoder-decoder does it, and a pretrained VGG19 makes a strong encoder.
# * VGG19 has five blocks; block *n* works at `S / 2**(n-1)` with 64 to 512 filters, about 20 M parameters.
# * The `seed` decoder works from the 7x7 bottleneck only; the `unet` decoder adds skip connections so
#   colours respect edges.
# * With the encoder frozen, only the decoder's few million parameters train: that is what makes training
#   on a free Colab GPU possible (the `gpu` recipe then fine-tunes blocks 4 and 5). On a CPU the course goes
#   another way: the `cpu` recipe trains the whole network, three VGG blocks at 48 px, from random weights
#   (notebook 04).
#   Next: **04 · Training on a GPU**.
