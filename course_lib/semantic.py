"""Judging colorizations by what they look like to a model: a category classifier and a two-sample test.

* **Semantic accuracy** (Zhang et al. 2016, §3.1): a small CNN trained on *real* colour photos of NCD's
  categories (train split only, the epoch chosen on the validation split: ``train-classifier``);
  its accuracy on colorized photos says whether their colours still look like the object.
  ``evaluate --classifier RUN`` reports it per category and in both dataset means; ``--model
  truth`` gives the ceiling, ``--model gray`` the floor.
* **Classifier two-sample test** (Lopez-Paz & Oquab, ICLR 2017): a fresh small CNN learns to tell
  real from colorized photos on one half of the photos and is scored on the other half. An
  accuracy near 50 % means the two cannot be told apart. The interval is **Wilson's** score
  interval for a binomial proportion (:func:`wilson_interval`).

Classifier run folder: ``classifier.keras`` (the best epoch by validation accuracy) and
``classifier.json`` (categories in output order, image size, settings, history, best epoch).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from course_lib.errors import CourseError

CLASSIFIER_FILE = "classifier.keras"
CLASSIFIER_SETTINGS_FILE = "classifier.json"


class ClassifierError(CourseError):
    """A category classifier cannot be trained, found or used as asked."""


@dataclass(frozen=True)
class ClassifierSettings:
    """``train-classifier``'s settings. The defaults were chosen on the validation split
    (benchmarks/results/judge_validation.json): about a minute on 2 CPU cores at 64 px."""

    image_size: int = 64
    width: int = 32
    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 0
    max_images_per_split: int | None = None

    def __post_init__(self):
        for name in ("image_size", "width", "epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ClassifierError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.image_size % 8:
            raise ClassifierError(f"image_size {self.image_size}: use a multiple of 8 (the CNN halves it 3 times)")


#: The stand-in judge of tiny fast-recipe runs (notebook 09 in fast mode, ``run-notebooks --model-recipe fast``):
#: a few seconds of training, which proves the code runs and judges nothing.
FAST_JUDGE_SETTINGS = ClassifierSettings(epochs=3, width=8)


# ----------------------------------------------------------------------------- the CNN
def build_small_cnn(image_size: int, n_outputs: int, width: int = 16, name: str = "small_cnn"):
    """RGB uint8-range ``(N, S, S, 3)`` -> ``n_outputs`` logits: three conv blocks (3x3, ReLU, 2x2 max
    pooling; width, 2·width, 4·width filters), global average pooling, dropout, a dense layer."""
    import keras

    inputs = keras.Input((image_size, image_size, 3), name="rgb")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    for i in range(3):
        x = keras.layers.Conv2D(width * 2**i, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(inputs, keras.layers.Dense(n_outputs, dtype="float32")(x), name=name)


def resize_square(images: Sequence[np.ndarray], size: int) -> np.ndarray:
    """``(N, size, size, 3)`` uint8: every RGB photo resized (bilinear) to a square, whatever its shape."""
    from PIL import Image

    out = np.empty((len(images), size, size, 3), np.uint8)
    for i, image in enumerate(images):
        out[i] = np.asarray(Image.fromarray(np.asarray(image, np.uint8)).resize((size, size), Image.BILINEAR))
    return out


def _fit_small_cnn(model, x, y, x_val, y_val, epochs, batch_size, learning_rate, best_path=None, verbose=0):
    """Adam + sparse cross-entropy with random horizontal flips; with ``best_path``, the epoch with the
    best validation accuracy is saved there (and loaded back at the end)."""
    import keras

    augment = keras.Sequential([keras.layers.RandomFlip("horizontal")])
    inputs = keras.Input(model.input_shape[1:])
    trainer = keras.Model(inputs, model(augment(inputs)))
    trainer.compile(keras.optimizers.Adam(learning_rate),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    callbacks = []
    if best_path is not None:
        callbacks.append(_SaveBest(model, best_path))
    history = trainer.fit(x, y, validation_data=(x_val, y_val) if x_val is not None else None, epochs=epochs,
                          batch_size=batch_size, shuffle=True, callbacks=callbacks, verbose=verbose)
    return history.history


def _SaveBest(model, path):  # noqa: N802 -- a Keras callback, defined on first use (no Keras at import)
    import keras

    class SaveBest(keras.callbacks.Callback):
        """Saves ``model`` (not the augmenting wrapper) when the validation accuracy is the best so far."""

        def __init__(self):
            super().__init__()
            self.best, self.best_epoch = -1.0, 0

        def on_epoch_end(self, epoch, logs=None):
            if logs["val_accuracy"] > self.best:
                self.best, self.best_epoch = float(logs["val_accuracy"]), epoch + 1
                model.save(path)

    return SaveBest()


# ----------------------------------------------------------------------------- train-classifier
def _split_images(data_dir, settings: ClassifierSettings):
    from course_lib.data import scan_dataset_summarized, split_dataset, stratified_subset
    from course_lib.layout import find_ncd_root
    from course_lib.pipeline import load_images_resized

    splits = split_dataset(scan_dataset_summarized(find_ncd_root(data_dir)).records)
    if settings.max_images_per_split:
        splits = {k: stratified_subset(v, settings.max_images_per_split) for k, v in splits.items()}
    if not splits["train"] or not splits["val"]:
        raise ClassifierError(f"{data_dir} has too few images for a train and a validation split; use the full "
                              "NCD folder")
    categories = sorted({r.category for r in splits["train"]})
    loaded = {}
    for name in ("train", "val"):
        records = [r for r in splits[name] if r.category in categories]
        loaded[name] = (load_images_resized(records, settings.image_size, progress=False),
                        np.array([categories.index(r.category) for r in records]))
    return categories, loaded


def train_classifier(data_dir, out_dir, settings: ClassifierSettings | None = None, verbose: int = 0) -> dict:
    """Train the category classifier on the train split's real photos; keep the epoch with the best
    validation accuracy. Writes ``classifier.keras`` and ``classifier.json`` in ``out_dir``.

    Returns
    -------
    dict
        What ``classifier.json`` holds.

    Raises
    ------
    ClassifierError
        ``out_dir`` already holds a classifier, or too few images.
    """
    import keras

    settings = settings or ClassifierSettings()
    out = Path(out_dir).expanduser()
    if (out / CLASSIFIER_FILE).exists():
        raise ClassifierError(f"{out} already holds a classifier: choose another --out folder (nothing is overwritten)")
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(settings.seed)
    categories, data = _split_images(data_dir, settings)
    model = build_small_cnn(settings.image_size, len(categories), settings.width, name="category_classifier")
    (x, y), (x_val, y_val) = data["train"], data["val"]
    history = _fit_small_cnn(model, x, y, x_val, y_val, settings.epochs, settings.batch_size,
                             settings.learning_rate, best_path=out / CLASSIFIER_FILE, verbose=verbose)
    best = int(np.argmax(history["val_accuracy"]))
    info = {"categories": categories, "image_size": settings.image_size, "settings": dataclasses.asdict(settings),
            "best_epoch": best + 1, "best_val_accuracy": float(history["val_accuracy"][best]),
            "n_train": len(x), "n_val": len(x_val),
            "history": {k: [float(v) for v in values] for k, values in history.items()}}
    (out / CLASSIFIER_SETTINGS_FILE).write_text(json.dumps(info, indent=1))
    return info


class CategoryClassifier:
    """A trained category classifier: :meth:`predict` names the category of RGB photos of any size."""

    def __init__(self, model, categories: Sequence[str], image_size: int):
        self.model, self.categories, self.image_size = model, list(categories), int(image_size)

    @classmethod
    def load(cls, path) -> "CategoryClassifier":
        """From a ``train-classifier`` run folder (or its ``classifier.keras``).

        Raises
        ------
        ClassifierError
            No classifier there, or an unreadable one.
        """
        import keras

        path = Path(path).expanduser()
        folder = path if path.is_dir() else path.parent
        model_path, info_path = folder / CLASSIFIER_FILE, folder / CLASSIFIER_SETTINGS_FILE
        if not model_path.is_file() or not info_path.is_file():
            raise ClassifierError(f"no classifier in {folder} ({CLASSIFIER_FILE} and {CLASSIFIER_SETTINGS_FILE}): "
                                  "train one with 'python -m course_lib train-classifier --data NCD --out DIR'")
        try:
            info = json.loads(info_path.read_text())
            model = keras.models.load_model(model_path, compile=False)
        except Exception as exc:  # Keras raises many types for a damaged file
            raise ClassifierError(f"cannot read the classifier in {folder} ({type(exc).__name__}: {exc}); train it "
                                  "again into a new folder") from exc
        return cls(model, info["categories"], info["image_size"])

    def predict(self, images: Sequence[np.ndarray]) -> list[str]:
        """The category of each RGB uint8 photo."""
        if not len(images):
            return []
        logits = self.model.predict(resize_square(images, self.image_size), verbose=0, batch_size=64)
        return [self.categories[i] for i in np.argmax(logits, axis=-1)]


def semantic_accuracy_rows(classifier: CategoryClassifier, images: Sequence[np.ndarray],
                           categories: Sequence[str]) -> list[dict]:
    """One ``{"category", "semantic_accuracy"}`` per photo: 1.0 when the classifier names its category.

    Raises
    ------
    ClassifierError
        A category the classifier was not trained on.
    """
    unknown = sorted(set(categories) - set(classifier.categories))
    if unknown:
        raise ClassifierError(f"the classifier does not know {', '.join(unknown)}: train it on a dataset with "
                              "these categories")
    predicted = classifier.predict(images)
    return [{"category": c, "semantic_accuracy": float(p == c)} for p, c in zip(predicted, categories)]


def semantic_means(rows: Sequence[dict]) -> dict:
    """``{"image_mean", "category_mean", "categories": {category: mean}}`` of :func:`semantic_accuracy_rows`'
    rows: the mean over photos, the mean of the category means, and each category's mean."""
    by_category: dict[str, list[float]] = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row["semantic_accuracy"])
    return {"image_mean": float(np.mean([r["semantic_accuracy"] for r in rows])),
            "category_mean": float(np.mean([np.mean(v) for v in by_category.values()])),
            "categories": {name: float(np.mean(values)) for name, values in by_category.items()}}


def add_semantic_accuracy(result, rows: Sequence[dict]) -> None:
    """Put ``semantic_accuracy`` into an :class:`~course_lib.evaluate.EvaluationResult`'s per-category rows
    and both dataset means (mean over images, mean of the category means), as for every other figure."""
    means = semantic_means(rows)
    for name, value in means["categories"].items():
        result.categories[name]["semantic_accuracy"] = value
    result.dataset_image_mean["semantic_accuracy"] = means["image_mean"]
    result.dataset_category_mean["semantic_accuracy"] = means["category_mean"]
    for per_image, row in zip(result.per_image, rows, strict=True):
        per_image["semantic_accuracy"] = row["semantic_accuracy"]


# ----------------------------------------------------------------------------- two-sample test
def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion ``successes / n``.

    Raises
    ------
    ClassifierError
        ``n < 1`` or ``successes`` outside ``[0, n]``.
    """
    from scipy.stats import norm

    if n < 1 or not 0 <= successes <= n:
        raise ClassifierError(f"a binomial interval needs 0 <= successes <= n and n >= 1, got {successes} of {n}")
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class TwoSampleResult:
    """A classifier two-sample test: ``accuracy`` of the fresh discriminator on ``n_test`` held-out photos
    (real and colorized), with its Wilson ``confidence`` interval ``[low, high]``."""

    accuracy: float
    n_test: int
    low: float
    high: float
    confidence: float
    n_train: int
    method: str = "Wilson score interval"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        return (f"two-sample test: discriminator accuracy {self.accuracy:.1%} on {self.n_test} held-out photos, "
                f"{self.confidence:.0%} {self.method} [{self.low:.1%}, {self.high:.1%}] (50% = indistinguishable)")


def two_sample_test(real: Sequence[np.ndarray], colorized: Sequence[np.ndarray], *, image_size: int = 32,
                    width: int = 8, epochs: int = 30, batch_size: int = 32, seed: int = 0,
                    confidence: float = 0.95) -> TwoSampleResult:
    """Lopez-Paz & Oquab's classifier two-sample test of real versus colorized photos.

    Photo ``i``'s real and colorized versions go to the same half (chosen at random, seeded), so the
    discriminator cannot pass by recognising a photo it saw in training. A fresh
    :func:`build_small_cnn` trains on one half and is scored on the other.

    Raises
    ------
    ClassifierError
        Fewer than 4 photos, or the two samples of different lengths.
    """
    import keras

    if len(real) != len(colorized):
        raise ClassifierError(f"{len(real)} real and {len(colorized)} colorized photos: give the colorized version "
                              "of every real photo")
    if len(real) < 4:
        raise ClassifierError(f"{len(real)} photos are too few for a two-sample test: use at least 4 (and many more "
                              "for a narrow interval)")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(real))
    train_ids, test_ids = order[: len(order) // 2], order[len(order) // 2:]
    real_x, fake_x = resize_square(real, image_size), resize_square(colorized, image_size)

    def half(ids):
        x = np.concatenate([real_x[ids], fake_x[ids]])
        y = np.concatenate([np.ones(len(ids), np.int64), np.zeros(len(ids), np.int64)])
        return x, y

    keras.utils.set_random_seed(seed)
    model = build_small_cnn(image_size, 2, width, name="two_sample_discriminator")
    x, y = half(train_ids)
    _fit_small_cnn(model, x, y, None, None, epochs, batch_size, 1e-3)
    x_test, y_test = half(test_ids)
    correct = int(np.sum(np.argmax(model.predict(x_test, verbose=0), axis=-1) == y_test))
    low, high = wilson_interval(correct, len(y_test), confidence)
    return TwoSampleResult(correct / len(y_test), len(y_test), low, high, confidence, len(y))


# ----------------------------------------------------------------------------- CLI
def configure_parser(parser) -> None:
    d = ClassifierSettings()
    parser.add_argument("--data", required=True, help="NCD folder (<root>/<Category>/*.jpg)")
    parser.add_argument("--out", required=True, help=f"run folder: {CLASSIFIER_FILE} and {CLASSIFIER_SETTINGS_FILE}")
    parser.add_argument("--image-size", type=int, default=d.image_size)
    parser.add_argument("--width", type=int, default=d.width, help="filters of the first convolution")
    parser.add_argument("--epochs", type=int, default=d.epochs)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--max-images-per-split", type=int, default=None, help="quick runs only")


def run_cli(args) -> int:
    settings = ClassifierSettings(image_size=args.image_size, width=args.width, epochs=args.epochs,
                                  batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed,
                                  max_images_per_split=args.max_images_per_split)
    info = train_classifier(args.data, args.out, settings, verbose=2)
    print(f"best epoch {info['best_epoch']}: validation accuracy {info['best_val_accuracy']:.1%} over "
          f"{len(info['categories'])} categories ({info['n_val']} photos); saved in {args.out}")
    return 0


class Judges:
    """What ``evaluate --classifier / --two-sample`` adds: :meth:`keep` is ``evaluate_colorizer``'s
    ``on_image`` (it keeps small copies of each real and colorized photo), :meth:`report` measures."""

    #: Side of the copies kept for the two-sample test (its discriminator works at this size).
    TWO_SAMPLE_SIZE = 32

    def __init__(self, classifier: CategoryClassifier | None = None, two_sample: bool = False):
        self.classifier, self.two_sample = classifier, bool(two_sample)
        self.categories, self.judged, self.truth_judged, self.real, self.fake = [], [], [], [], []

    def keep(self, record, truth: np.ndarray, prediction: np.ndarray) -> None:
        self.categories.append(record.category)
        if self.classifier is not None:  # the classifier resizes to its size anyway: keep only that
            self.judged.append(resize_square([prediction], self.classifier.image_size)[0])
            self.truth_judged.append(resize_square([truth], self.classifier.image_size)[0])
        if self.two_sample:
            self.real.append(resize_square([truth], self.TWO_SAMPLE_SIZE)[0])
            self.fake.append(resize_square([prediction], self.TWO_SAMPLE_SIZE)[0])

    def truth_semantic_means(self) -> dict:
        """:func:`semantic_means` of the real photos seen by :meth:`keep` (the ceiling), with no second pass
        over the photos."""
        if self.classifier is None:
            raise ClassifierError("these judges have no classifier: give one to judge the real photos")
        return semantic_means(semantic_accuracy_rows(self.classifier, self.truth_judged, self.categories))

    def report(self, result, verbose: bool = True) -> None:
        """Adds ``semantic_accuracy`` to ``result`` and/or ``result.settings["two_sample"]``, and prints them
        (``verbose=False``: nothing printed)."""
        if self.classifier is not None:
            add_semantic_accuracy(result, semantic_accuracy_rows(self.classifier, self.judged, self.categories))
        if self.two_sample:
            result.settings["two_sample"] = two_sample_test(self.real, self.fake, image_size=self.TWO_SAMPLE_SIZE).to_dict()
        if not verbose:
            return
        if self.classifier is not None:
            print("semantic accuracy (the classifier's accuracy on these photos):")
            for name, row in result.categories.items():
                print(f"  {name:24s} {row['semantic_accuracy']:.3f}")
            print(f"  ALL (images)             {result.dataset_image_mean['semantic_accuracy']:.3f}")
            print(f"  ALL (categories)         {result.dataset_category_mean['semantic_accuracy']:.3f}")
        if self.two_sample:
            print(TwoSampleResult(**result.settings["two_sample"]).describe())

