"""The Keras pieces of the classification head (:mod:`course_lib.classification` has the maths).

* :class:`ABBinLogits`: the head's last layer, a 1x1 convolution to one logit per ab bin
  that also stores the bin centres in the model file, so a loaded model decodes itself.
* :class:`RebalancedCrossEntropy`: the loss, Zhang's soft-encoded cross-entropy weighted by
  the rebalancing weight of the target's bin; ``y_true`` is the pipeline's ``ab_norm``, so
  the data pipeline (and the cached features) stay those of the regression head.

Both are registered with Keras when this module is imported (:mod:`course_lib.model` imports
it), so ``keras.models.load_model`` needs nothing more than ``import course_lib.model``.
"""

from __future__ import annotations

import keras
import numpy as np

from course_lib import classification
from course_lib.color import AB_SCALE

#: Name of the head's last layer (in the nested model ``"decoder"``).
LOGITS_LAYER = "ab_logits"


@keras.saving.register_keras_serializable(package="course_lib")
class ABBinLogits(keras.layers.Conv2D):
    """1x1 convolution to ``Q`` logits per pixel; remembers the bin centres ``(Q, 2)``.

    Parameters
    ----------
    bins : array_like, shape (Q, 2)
        ab centres of the bins (LAB units), e.g. :func:`course_lib.classification.ab_bins`.
    **kwargs
        Passed to ``keras.layers.Conv2D`` (``name``, ``dtype`` ...).
    """

    def __init__(self, bins, **kwargs):
        bins = np.asarray(bins, dtype=np.float32)
        if bins.ndim != 2 or bins.shape[1] != 2 or len(bins) < 2:
            raise ValueError(f"bins must be (Q, 2) ab centres with Q >= 2, got shape {bins.shape}")
        kwargs.pop("filters", None)
        kwargs.pop("kernel_size", None)
        super().__init__(filters=len(bins), kernel_size=1, **kwargs)
        self.bins = bins

    def get_config(self):
        return {**super().get_config(), "bins": self.bins.tolist()}


@keras.saving.register_keras_serializable(package="course_lib")
class RebalancedCrossEntropy(keras.losses.Loss):
    """Per-pixel ``w[bin] * cross-entropy(soft target, softmax(logits))``, averaged.

    ``y_true``: ``ab_norm (B, S, S, 2)``; ``y_pred``: logits ``(B, S, S, Q)``.
    """

    def __init__(self, bins, weights, name="rebalanced_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.bins = np.asarray(bins, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)

    def call(self, y_true, y_pred):
        return classification.tf_rebalanced_cross_entropy(y_true * AB_SCALE, y_pred, self.bins, self.weights)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins.tolist(), "weights": self.weights.tolist()}


def logits_layer(model):
    """The :class:`ABBinLogits` layer of a colorizer, or None for a regression model."""
    for layer in [model, *getattr(model, "layers", [])]:
        if isinstance(layer, ABBinLogits):
            return layer
        if hasattr(layer, "layers") and layer is not model:
            found = logits_layer(layer)
            if found is not None:
                return found
    return None


def is_classification_model(model) -> bool:
    """True when ``model`` ends in logits over ab bins (the classification head)."""
    return logits_layer(model) is not None


def model_bins(model) -> np.ndarray:
    """Bin centres ``(Q, 2)`` stored in a classification model.

    Raises
    ------
    ValueError
        If ``model`` has no classification head.
    """
    layer = logits_layer(model)
    if layer is None:
        raise ValueError("this model has no classification head (it predicts ab directly)")
    return layer.bins


def decode_output(model, output: np.ndarray, temperature: float = classification.ZHANG_TEMPERATURE) -> np.ndarray:
    """A colorizer's raw output -> ``ab_norm (..., 2)`` float32: as is for a regression model,
    the annealed mean at ``temperature`` (divided by 128) for a classification model."""
    output = np.asarray(output, dtype=np.float32)
    if output.shape[-1] == 2 and not is_classification_model(model):
        return output
    return classification.annealed_mean(output, model_bins(model), temperature) / np.float32(AB_SCALE)
