# ---
# jupyter:
#   course:
#     goals:
#     - compute RMSE and PSNR, implement SSIM and a PSNR of the object alone yourself, checked against
#       the course library
#     - explain why PSNR and SSIM flatter colorization on NCD (white background, preserved
#       L)
#     - recognise the seed project's 4095 data-range mistake behind its 38 dB
#     - measure colour with CIEDE2000, colorfulness, AuC and foreground-masked metrics
#     - 'evaluate the gray baseline with the course protocol: per image, per category,
#       dataset'
#     needs_data: true
#     time_cpu: 35 min
#     time_gpu: 30 min
#     title: Evaluation metrics
# ---

# %% [markdown] id="c4b7d707"
# ## 1. How good is a colorization?
#
# A colorizer gets the lightness **L** of a photo and predicts its colour **ab**. To score it we compare its
# output with the original colour photo, the *ground truth*. Image restoration has three classic numbers
# for that (you will write SSIM yourself, and in section 7 a PSNR of the object alone):
#
# | metric | question it answers | unit | better |
# |---|---|---|---|
# | **RMSE** | how far off is a typical pixel value? | uint8 levels (0-255) | lower |
# | **PSNR** | the same error on a log scale, relative to the largest possible value | dB | higher |
# | **SSIM** | do local patterns (edges, textures, contrast) match? | -1 to 1 | higher |
#
# They were designed for noise and blur, not for colour. On NCD -- one fruit or vegetable on a **white
# background** -- they can look good for a picture that has no colour at all. So we add metrics that look at
# colour: CIEDE2000 colour difference, colorfulness, Zhang et al.'s AuC, and versions restricted to the
# object (the *foreground*).
#
# **The evaluation protocol** (written once, in `course_lib/metrics.py`, and used by every table in the course):
#
# 1. compare **RGB uint8** images (the photo as loaded, and the colorized result), so `data_range = 255`;
# 2. at the photo's **native resolution** (the colorizer upsamples its ab to the full size; nothing is resized);
# 3. each metric **per image**, then the **mean per category**, then two dataset rows: `ALL (images)`,
#    the mean over all images (every image weighs the same), and `ALL (categories)`, the mean of the
#    category rows (every category weighs the same -- how the NCD survey computes its dataset row);
# 4. the **gray baseline** (keep L, set ab = 0) measured on the same images, and the **gain over gray**
#    (ours - gray) for every row: a colorizer is worth what it adds to doing nothing.
#
# **Which split, and when** (the selection protocol, also in `course_lib/metrics.py`): every choice --
# learning rate, epochs, decoder, loss, saturation -- is made on the **validation** split, and the **test**
# split is looked at **once per finished recipe**, its number reported even if it disappoints: picking
# whatever scores best on test would turn it into a second validation split and make the reported number
# optimistic. With only a few validation photos per category, and a training run that is itself a random
# draw, leave a margin before calling one choice better (`docs/recipe_history.md` shows how the course did).

# %% id="2849f8ab"
import numpy as np

from course_lib import color, config, metrics, plots
from course_lib.inference import gray_baseline
from course_lib.sample_data import make_sample_image

FAST = config.fast_mode()
print(f"fast mode: {FAST}")

# %% [markdown] id="2fbb56e3"
# ## 2. A ground truth and three "colorizations"
#
# We start with a generated tomato on a white background (generated, so the numbers below are the same on
# every machine) and three candidate colorizations of it:
#
# * **gray**: keep L, set ab = 0 -- the *do-nothing baseline*, the floor any colorizer must beat;
# * **washed out**: the right colours at half strength, as an unsure regression model tends to produce;
# * **perfect**: the ground truth itself.

# %% id="5aac7640"
truth = make_sample_image("Tomato", seed=0, size=(120, 160))  # (120, 160, 3) uint8, not an NCD photo
gray = gray_baseline(truth)                                   # same L, ab = 0

lab = color.rgb_to_lab(truth)                                 # (120, 160, 3) float32
lab[..., 1:] *= 0.5                                           # half the colour, same L
washed_out = color.to_uint8_rgb(color.lab_to_rgb(lab))

candidates = {"gray": gray, "washed out": washed_out, "perfect": truth}
plots.show_images([truth, gray, washed_out], ["ground truth", "gray (ab = 0)", "washed out (ab x 0.5)"], ncols=3);

# %% [markdown] id="999db55c"
# ## 3. RMSE, and a trap in uint8 arithmetic
#
# The **root mean squared error** over all pixels and channels:
#
# $$ \mathrm{RMSE}(x, y) = \sqrt{\frac{1}{N}\sum_{i=1}^{N} (x_i - y_i)^2} $$
#
# Images are stored as `uint8`, and NumPy keeps that type when you subtract: the result wraps around
# instead of going negative. Always convert to float *before* subtracting.

# %% id="26870398"
# NBVAL_CHECK_OUTPUT
a = np.array([3], dtype=np.uint8)
b = np.array([5], dtype=np.uint8)
print("uint8 :  3 - 5 =", (a - b)[0])
print("float :  3 - 5 =", (a.astype(np.float64) - b.astype(np.float64))[0])


# %% [markdown] id="74dba19e"
# ## 4. PSNR: the error in decibels
#
# The **peak signal-to-noise ratio** compares the error with the largest possible pixel difference,
# `data_range` (255 for uint8 images, 1.0 for float images in [0, 1]):
#
# $$ \mathrm{PSNR} = 10 \log_{10} \frac{\mathrm{data\_range}^2}{\mathrm{MSE}} = 20 \log_{10} \frac{\mathrm{data\_range}}{\mathrm{RMSE}} \quad \text{dB} $$
#
# Every +6 dB halves the RMSE. Identical images have an infinite PSNR. `data_range` must describe how the
# pixels are *stored*; section 5 shows what happens otherwise.
#
# `metrics.rmse` and `metrics.psnr` compute both, in float, and refuse what would give a wrong number
# silently: different shapes or dtypes, NaN, and float images without an explicit `data_range`. Here are
# our three candidates:

# %% id="c9d4ac02"
# NBVAL_CHECK_OUTPUT
for name, prediction in candidates.items():
    print(f"{name:<11} RMSE {metrics.rmse(prediction, truth):6.2f}   PSNR {metrics.psnr(prediction, truth):6.2f} dB")

# %% [markdown] id="p05q"
# ### Exercise 1 (predict first): what does a 4095 data range do to PSNR?
#
# The seed project computed PSNR with `data_range=4095` (12-bit camera data) on 8-bit images. Before
# reading on: how many dB does that add to every PSNR? Answer with a number (one decimal is enough).

# %% tags=["exercise"] id="p05a" exercise_kind="decision"
### BEGIN STUB
inflation_db = None  # YOUR ANSWER: a number, in dB
### END STUB
### BEGIN SOLUTION
import math

# Exercise 1 -- prediction
inflation_db = 20 * math.log10(4095 / 255)  # about 24.1 dB
### END SOLUTION

# %% tags=["exercise-check"] id="p05c"
from course_lib.checks.metrics import ex1

ex1.check(inflation_db)
# Stuck? ex1.hint() gives a hint (again: a more specific one); ex1.solution() shows an answer.

# %% [markdown] tags=["reflection"] id="r05"
# **Reflection** (write two or three sentences in this cell; nothing checks them). A difference in how
# PSNR is computed moved a result by more than 20 dB. Before you put your model's number next to a
# paper's, which details of the measurement would you check, and where would you look for them?
#
# *Your answer:*

# %% [markdown] id="8d9c65af"
# The gray image -- no colour at all -- is only a few dB behind the washed-out one. Keep that in mind.
#
# ## 5. Where the seed project's 38 dB came from
#
# The project this course grew out of reported **38 dB** PSNR. It computed PSNR with `data_range=4095`, the
# range of 12-bit camera data, on 8-bit images. Since PSNR is `20 log10(data_range / RMSE)`, the wrong range
# adds the same `20 log10(4095 / 255) = 24.1 dB` to *every* result, whatever the model does:

# %% id="c7344912"
# NBVAL_CHECK_OUTPUT
honest = metrics.psnr(gray, truth, data_range=255)
inflated = metrics.psnr(gray, truth, data_range=4095)   # the seed's call
print(f"gray baseline, data_range=255 : {honest:6.2f} dB")
print(f"gray baseline, data_range=4095: {inflated:6.2f} dB  (+{inflated - honest:.2f} dB)")
print(f"20*log10(4095/255)            : {metrics.data_range_inflation_db(4095):6.2f} dB")
print(f"the seed's 38 dB, corrected   : {38 - metrics.data_range_inflation_db(4095):6.2f} dB")


# %% [markdown] id="10ae63fa"
# Even the do-nothing gray image scores far above 38 dB with the wrong range. Corrected, the seed's 38 dB is
# about **13.9 dB**, which is *below* the gray floor on NCD: doing nothing scores about 17.6 dB over all
# the images of the course's copy of NCD (section 8 measures the floor on the test split). A metric is only
# as honest as its `data_range`; the test
# `tests/test_metrics.py::test_seed_38_db_is_the_4095_data_range_mistake` keeps this explanation checked.
#
# ## 6. SSIM: do the structures match?
#
# The **structural similarity** index (Wang et al., 2004) compares *local* statistics in a sliding window:
# means $\mu$ (luminance), standard deviations $\sigma$ (contrast) and the covariance $\sigma_{xy}$ (structure):
#
# $$ \mathrm{SSIM}(x, y) = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}{(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
# \qquad C_1 = (0.01\,R)^2,\ C_2 = (0.03\,R)^2 $$
#
# with $R$ = `data_range`. The window is an 11x11 Gaussian with $\sigma = 1.5$ (`metrics.gaussian_window()`),
# and `metrics.local_mean(image, window)` gives the weighted mean around every pixel, so
# $\mu_x$ = `local_mean(x, w)` and $\sigma_x^2$ = `local_mean(x * x, w) - mu_x**2`. The formula gives an SSIM
# *map*; the score is its mean over the pixels where the whole window fits inside the image (5 pixels away
# from every border). Colour images: one SSIM per channel, then the average.
#
# ### Exercise 2: SSIM of one channel
#
# Write `my_ssim(x, y, data_range)` for two 2-D images `(H, W)`.

# %% tags=["exercise"] id="83c6bbdd" exercise_kind="building"
### BEGIN STUB
def my_ssim(x, y, data_range):
    window = metrics.gaussian_window()  # (11, 11), sums to 1
    # YOUR CODE HERE: float images, mu_x and mu_y, variances, covariance, C1 and C2,
    # the SSIM map, and the mean of its interior (drop 5 pixels on every side)
    return None
### END STUB
### BEGIN SOLUTION
import numpy as np

from course_lib import metrics


# Exercise 2 -- SSIM of one channel
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
### END SOLUTION


# %% tags=["exercise-check"] id="46d9c5e7"
from course_lib.checks.metrics import ex2

ex2.check(my_ssim)
# Stuck? ex2.hint() gives a hint (again: a more specific one); ex2.solution() shows an answer.

# %% [markdown] id="90496ebc"
# ### Why SSIM barely moves on NCD
#
# Compare the SSIM of the three candidates, and the SSIM of their **L** channel alone:

# %% id="a1aed919"
# NBVAL_CHECK_OUTPUT
truth_l = color.rgb_to_lab(truth)[..., 0]
for name, prediction in candidates.items():
    rgb_ssim = metrics.ssim(prediction, truth)
    l_ssim = metrics.ssim(color.rgb_to_lab(prediction)[..., 0], truth_l, data_range=100.0)
    print(f"{name:<11} SSIM on RGB {rgb_ssim:.4f}   SSIM on L {l_ssim:.4f}")

# %% [markdown] id="49452900"
# Two reasons make SSIM nearly blind to colour here:
#
# * **the colorizer keeps L.** Edges and textures -- what SSIM's covariance term measures -- live almost
#   entirely in the lightness, and every candidate has the ground truth's L (SSIM on L is 1 up to rounding);
# * **the white background.** Most of an NCD photo is white, and white has ab = 0, so every colorizer gets
#   it right. Those windows score SSIM = 1 and dominate the mean.
#
# PSNR has the second problem too: the background adds many perfect pixels to the average.
#
# ## 7. Metrics that look at colour
#
# * **CIEDE2000 (ΔE00)**: the perceptual colour difference per pixel, averaged (`skimage.color.deltaE_ciede2000`);
#   about 1 is just noticeable, above 10 a different colour.
# * **Colorfulness** (Hasler and Süsstrunk, 2003): spread and strength of the opponent colours
#   $rg = R - G$ and $yb = (R + G)/2 - B$. We report *prediction / ground truth*: 0 is gray, 1 is as
#   colourful as the photo, below 1 washed out.
# * **AuC** (Zhang et al., 2016): for every threshold $t = 0..150$, the fraction of pixels whose ab error is at
#   most $t$; the area under that curve, normalised to [0, 1].
# * **Foreground-masked PSNR and ΔE**: computed only on the object. The foreground is every pixel of the
#   ground truth that is not white: a pixel is background when R, G and B are all at least
#   `metrics.WHITE_THRESHOLD` = 240 (NCD's white is JPEG-compressed, so exact 255 would miss it).

# %% id="aca68efd"
mask = metrics.foreground_mask(truth)  # (120, 160) bool, True on the object
print(f"foreground: {mask.mean():.0%} of the pixels")
plots.show_images([truth, mask], ["ground truth", "foreground mask"], ncols=2);

# %% [markdown] id="72d81055"
# ### Exercise 3: PSNR on the object only
#
# Build `my_psnr_fg(pred, truth)`: the PSNR (data range 255) of two RGB uint8 images `(H, W, 3)` computed
# over the **foreground** only, with all three channels of every foreground pixel. The foreground is
# defined above: the pixels of the **ground truth** that are not white. Decide for yourself how to select
# those pixels and how to compute the PSNR over them (the formula of section 4 still holds); two edge cases
# need an answer of their own:
#
# * a prediction exact on every object pixel, however wrong the background: the PSNR is infinite,
#   `float("inf")`;
# * a ground truth with no foreground pixel at all: there is nothing to measure, `float("nan")`.
#
# Why it matters: the whole-image PSNR of section 4 averages the object's errors with a white background that
# every colorizer gets almost right; the foreground PSNR reports the object alone. The check compares your
# function with the course library's foreground PSNR on photos it generates each time (a random object on
# white, pixels right at the threshold, a prediction that paints the background or leaves out the object, a
# photo without an object) and names the likely mistake when they differ.

# %% tags=["exercise"] id="3c69ce3e" exercise_kind="building"
### BEGIN STUB
def my_psnr_fg(pred, truth):
    # YOUR CODE HERE: the ground truth's foreground, the PSNR over those pixels, and the two edge cases
    return None
### END STUB
### BEGIN SOLUTION
# Exercise 3 -- PSNR on the object only
def my_psnr_fg(pred: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB over the ground truth's non-white pixels (all three channels); inf if exact there, NaN if none."""
    mask = ~np.all(truth >= metrics.WHITE_THRESHOLD, axis=-1)   # (H, W): True on the object, from the truth
    if not mask.any():
        return float("nan")                                    # no object: nothing to measure
    errors = pred[mask].astype(np.float64) - truth[mask].astype(np.float64)   # (n, 3), float before subtracting
    mse = np.mean(errors**2)
    return float("inf") if mse == 0 else float(10 * np.log10(255**2 / mse))
### END SOLUTION


# %% tags=["exercise-check"] id="d21704bf"
from course_lib.checks.metrics import ex3

ex3.check(my_psnr_fg)
# Stuck? ex3.hint() gives a hint (again: a more specific one); ex3.solution() shows an answer.

# %% [markdown] id="d90e7eab"
# The library's `metrics.evaluate_pair` computes every metric of the protocol for one photo, the foreground
# ones among them:

# %% id="d90e7eaa"
# NBVAL_CHECK_OUTPUT
keys = ["psnr", "psnr_fg", "ssim", "deltaE", "deltaE_fg", "colorfulness_ratio", "auc"]
print(f"{'':<11}" + "".join(f"{key:>19}" for key in keys))
for name, prediction in candidates.items():
    scores = metrics.evaluate_pair(prediction, truth)
    print(f"{name:<11}" + "".join(f"{scores[key]:>19.3f}" for key in keys))

# %% [markdown] id="846a4f63"
# Now the gray image is exposed: its colorfulness ratio is 0, its foreground PSNR is far below its overall
# PSNR, and its ΔE on the object is several times its ΔE over the whole picture.
#
# ## 8. The gray floor on NCD, with the course protocol
#
# `course_lib.evaluate.evaluate_colorizer` applies the protocol to any colorizer -- a function from an RGB
# uint8 photo to an RGB uint8 colorization of the same size. The same runs from the command line:
#
# ```bash
# python -m course_lib evaluate --model gray --data "${NCD_DIR:-../data/ncd}" --split all --json "${COURSE_RUNS_DIR:-../runs}/gray.json"
# python -m course_lib evaluate --model "${COURSE_RUNS_DIR:-../runs}/course/model.keras" --data "${NCD_DIR:-../data/ncd}" --split test --csv "${COURSE_RUNS_DIR:-../runs}/ours.csv"
# ```
#
# (From this notebook's folder, `notebooks/`: in a cell, start each line with `!`.)
#
# Here we evaluate the gray baseline on the **test split**. In fast mode (CI) we take one photo per category
# and shrink it, which is *not* the protocol -- the table says so underneath.

# %% id="aa9bb03b"
from course_lib.data import get_dataset, stratified_subset
from course_lib.evaluate import evaluate_colorizer, format_table, select_records

source = get_dataset()
test_records = select_records(source.root, "test")
if FAST:  # the first test image of every category
    n_categories = len({record.category for record in test_records})
    chosen, max_side = stratified_subset(test_records, n_categories), 192
else:
    chosen, max_side = test_records, None
print(f"{source.kind}: the gray baseline will be evaluated on {len(chosen)} of {len(test_records)} test images")
print("their categories:", ", ".join(sorted({record.category for record in chosen})))

# %% [markdown] id="w05q"
# ### Exercise 4 (predict first): where does doing nothing do worst?
#
# Before the next cells measure it: on which of the categories just printed will the gray baseline have the
# **lowest PSNR**? Think of what gray gets wrong (the colour, and only the colour) and of what the
# photos of each category look like. Set `worst_category_prediction` to one category name, exactly as
# printed. The point is earned by predicting before the measurement; the measurement then shows where
# your category ranks, and why the worst one is the worst.

# %% tags=["exercise"] id="0197ff30" exercise_kind="decision"
### BEGIN STUB
worst_category_prediction = None  # YOUR PREDICTION: one category name as printed above, in quotes
### END STUB
### BEGIN SOLUTION
# Exercise 4 -- prediction
# A large object of strong colour that fills much of the frame: a lot of colour for gray to lose. (The full test
# split agrees: gray scores 13.2 dB on Lemon, the lowest of all categories; benchmarks/results/
# cpu_recipe_per_category.json, test_psnr - test_gain.)
worst_category_prediction = "Lemon"
### END SOLUTION

# %% tags=["exercise-check"] id="b6b0bb4a"
from course_lib.checks.metrics import ex4

ex4.predict(worst_category_prediction)
# Stuck? ex4.hint() gives a hint (again: a more specific one); ex4.solution() shows an answer.

# %% id="w05eval"
gray_result = evaluate_colorizer(gray_baseline, chosen, max_side=max_side, model="gray", split="test")
print(format_table(gray_result))
floor = gray_result.dataset_image_mean
print(f"\nthe gray floor on these {floor['n']} images: PSNR {floor['psnr']:.2f} dB (ALL (images)), "
      f"{gray_result.dataset_category_mean['psnr']:.2f} dB (ALL (categories)); SSIM {floor['ssim']:.3f}; "
      f"AuC {floor['auc']:.3f}" + ("  -- fast mode: shrunk subset, not the protocol" if FAST else ""))
print(f"gray's AuC {floor['auc']:.3f} = a mean ab error of about {(1 - floor['auc']) * 150:.0f} units over all pixels "
      f"(1 - AuC, times 150); on the object alone its ΔE00 is {floor['deltaE_fg']:.1f}, against {floor['deltaE']:.1f} overall")
ex4.reveal(gray_result)                        # your prediction against the table above

# %% [markdown] id="m05model"
# And notebook 04's model, when it is in the course's run folder (`config.course_run_dir()`, under
# `$COURSE_RUNS_DIR`), on the same images: read its row against the gray floor above. Without it, this
# notebook carries on with the gray floor alone; notebook 06 evaluates the model properly.
#
# `Colorizer.load(RUN_DIR)` loads a trained run: its model together with how the run decodes it (the
# same object the `colorize` and `evaluate` commands use). A colorizer is itself a function from a
# photo to its colorization, so `evaluate_colorizer` takes it as it takes `gray_baseline`.

# %% id="m05model-eval"
from course_lib.colorizer import Colorizer

MODEL_PATH = config.course_run_dir() / "model.keras"
if MODEL_PATH.is_file():
    print(f"notebook 04's model: {MODEL_PATH}" + (" (fast mode: a tiny model, not a result)" if FAST else ""))
    colorizer = Colorizer.load(MODEL_PATH.parent)
    print(colorizer)
    model_result = evaluate_colorizer(colorizer, chosen, max_side=max_side,
                                      model=MODEL_PATH.parent.name, split="test")
    print(format_table(model_result))
else:
    print(config.missing_model_message(MODEL_PATH))
    print("Fast path: notebook 06 trains the tiny fast-recipe model in about a minute when it finds no model "
          "(a smoke test, NOT a result). Nothing is trained here.")

# %% [markdown] id="20e4f44e"
# Read the two dataset rows -- `ALL (images)`, every image weighing the same, and `ALL (categories)`,
# every category weighing the same -- of the gray baseline's table with sections 5-7 in mind: the PSNR on
# the line "the gray floor on these ... images" (18.33 dB over the 100 test images of the course's copy of
# NCD with the full protocol; fast mode's shrunk subset gives another figure) and an SSIM near 0.9, for a
# picture with no colour at all, while the foreground PSNR is
# much lower, ΔE on the object is large and the colorfulness ratio is about 0.
#
# **Why not 17.6 dB, the floor quoted in section 5?** That figure is the gray floor over *all* the images
# of the course's copy of NCD (`python -m course_lib evaluate --model gray --split all`). The test split
# is a sample of about 15 % of them, a few per category (notebook 02 prints how many), and gray's score
# varies a lot from one photo to the next, so its floor comes out differently. A floor belongs to the
# images it was measured on: that is why every evaluation measures gray on its own images and reports the gain over it, and why
# a floor measured on other images should never be subtracted.
#
# **Why is gray's AuC so high** (0.87 on the full test split of the course's copy of NCD, for a picture
# with no colour)? AuC counts, for every threshold from 0 to 150, the share of
# pixels whose ab error is within it; the area works out as 1 minus the mean ab error (each capped at 150)
# divided by 150 -- the line printed above turns it back into that mean error. Gray's ab error at a pixel
# is that pixel's own chroma, and most NCD pixels are white background with chroma about 0: gray gets
# them exactly right, and only the object's pixels cost it anything. The generous scale (errors up to 150,
# while the objects' own chroma is mostly below about 70) does the rest. Like PSNR and SSIM, AuC is
# therefore read against the floor, as a gain over gray.
#
# A colorizer is worth something when it beats this row -- above all on the colour metrics.
#
# ## 9. The gray floor next to the published methods
#
# The NCD survey (Anwar et al., *Image Colorization: A Survey and Dataset*, Information Fusion 2024) ran six
# published colorizers on NCD; `course_lib.published` holds its whole table, with the citation. Below,
# each method's PSNR per category sits beside the gray floor just measured, and the last column counts the
# methods that score *below* doing nothing. Two settings differ, and they limit what the table can show:
#
# * the survey's methods were trained on ImageNet-scale data and **never on NCD** (zero-shot), and were
#   scored on **every** NCD image; the floor here comes from our test split, a few images per category
#   (fewer, shrunk, in fast mode), and the survey's exact PSNR settings may differ from ours;
# * so the table **can** show where the floor lies against published methods -- that on NCD gray is a
#   hard floor, which some zero-shot methods do not clear in some categories -- and gaps of several dB
#   that hold across most categories. It **cannot** rank two methods, or a method and the floor, that are
#   within a dB or two in one category: that much comes from which images were measured.
#
# Notebook 06 adds the trained model, with its own gray floor and gain over gray.

# %% id="b7e7dc9e"
from course_lib import published

survey = published.load_survey()
methods = published.survey_methods(survey)
floor_rows = {**dict(sorted(gray_result.categories.items())), published.DATASET_ROW: gray_result.dataset_category_mean}
print(f"{'PSNR (dB)':<18}{'n':>4}{'gray':>7}  |" + "".join(f"{published.SHORT_NAMES.get(m, m[:9]):>10}" for m in methods)
      + "  below gray")
for category, gray_row in floor_rows.items():
    theirs = {row.method: row.psnr for row in survey if row.category == category}
    cells = "".join(f"{theirs[m]:>10.2f}" if m in theirs else f"{'-':>10}" for m in methods)
    below = sum(value < gray_row["psnr"] for value in theirs.values())
    print(f"{category:<18}{gray_row['n']:>4}{gray_row['psnr']:>7.2f}  |{cells}  {below} of {len(theirs)}")
print(f"\ngray: measured here on the {gray_result.split} split; {published.DATASET_ROW} is a mean over categories, "
      "as the survey's 'Dataset-level' row is.")
print(published.SURVEY_SETTING + ".")

# %% [markdown] id="0a591a9c"
# ## Summary
#
# * RMSE, PSNR and SSIM compare RGB uint8 images with `data_range = 255`; compute in float, never in uint8.
# * A wrong `data_range` shifts every PSNR by the same amount: 4095 on 8-bit images adds 24.1 dB (the seed's 38 dB).
# * On NCD, PSNR and SSIM flatter any colorizer: the white background is free, and L (where structure lives)
#   is copied from the input. ΔE, colorfulness, AuC and the foreground-masked metrics measure the colour.
# * Every table has its floor: the gray baseline.
#
# Next, notebook 06 evaluates the trained model with `python -m course_lib evaluate` and compares it with the
# gray floor and the survey.
