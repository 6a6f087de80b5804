"""Checks of the data's values and labels before training, with errors
that say what is wrong and how to fix it.

Shapes are checked in `shape_checks`; the same checks also run on every
batch, in graph, through the non-finite guard (`guard.py`), which covers
Python generators and `tf.data` pipelines.
"""

import keras
import numpy as np

from keras_gan_losses.utils.activations import activation_value_range
from keras_gan_losses.utils.checks import check_value_range


def resolve_data_range(data_range, generator):
    """`GAN(data_range=...)` as a `(low, high)` pair of floats, or None.

    `"auto"` takes the range of the generator's output activation: tanh
    gives `(-1, 1)`, sigmoid `(0, 1)`; anything else (linear, a custom
    layer) checks nothing (see `utils.activations`).
    """
    if data_range is None:
        return None
    if isinstance(data_range, str):
        if data_range != "auto":
            raise ValueError(
                "`data_range` must be 'auto', a (low, high) pair or None. "
                f"Received: data_range={data_range!r}"
            )
        return activation_value_range(generator)
    return check_value_range(data_range, "data_range")


#: How far, as a share of its width, data may stray outside `data_range`.
RANGE_SLACK = 0.05


def values_outside(values, data_range):
    """`(min, max)` of an array if it strays outside `data_range` by more
    than `RANGE_SLACK` of the range's width, else None (also for no
    range or an empty array)."""
    if data_range is None or values.size == 0:
        return None
    low, high = data_range
    slack = RANGE_SLACK * (high - low)
    lo, hi = float(values.min()), float(values.max())
    if lo < low - slack or hi > high + slack:
        return lo, hi
    return None


def check_values(images, data_range):
    """Checks an array of images before training: not empty, finite and
    inside `data_range` (give or take 5 % of its width).

    Raises:
        ValueError: naming what is wrong and the fix.
    """
    if images.shape[0] == 0:
        raise ValueError(
            "The training data is empty (0 images): nothing to train on."
        )
    if not np.isfinite(images).all():
        bad = int(np.size(images) - np.isfinite(images).sum())
        raise ValueError(
            f"The images contain {bad} NaN or Inf values: training on them "
            "would make every weight NaN. Clean the data first (e.g. find "
            "them with `~np.isfinite(images)`)."
        )
    outside = values_outside(images, data_range)
    if outside is not None:
        (lo, hi), (low, high) = outside, data_range
        raise ValueError(
            f"The images have values in [{lo:g}, {hi:g}], outside the "
            f"generator's output range [{low:g}, {high:g}]. Scale them to "
            "that range (`keras_gan_losses.data.load_images` does, or e.g. "
            "`x / 127.5 - 1` for [0, 255] images and a tanh generator), or "
            "pass `data_range=` to GAN() (None turns the check off)."
        )


def check_labels(labels, num_classes):
    """Checks class labels (a NumPy array, or a tensor's static dtype and
    shape): int ids, one per image, not one-hot.

    Raises:
        TypeError: for float labels.
        ValueError: for one-hot or multi-column labels.
    """
    dtype = keras.backend.standardize_dtype(labels.dtype)
    shape = tuple(labels.shape)
    if len(shape) == 2 and shape[1] not in (None, 1):
        raise ValueError(
            f"Class labels must be int ids of shape (batch,), but they have "
            f"shape {shape}: one-hot labels? Convert them with "
            "`labels.argmax(axis=-1)` (or `tf.argmax(labels, axis=-1)` in a "
            "tf.data pipeline)."
        )
    if len(shape) > 2:
        raise ValueError(
            f"Class labels must be int ids of shape (batch,). Received "
            f"shape {shape}."
        )
    if "int" not in dtype:
        raise TypeError(
            f"Class labels must be int class ids in [0, {num_classes}); "
            f"received dtype {dtype}. Convert them with "
            "`labels.astype('int32')` (or `tf.cast(labels, tf.int32)`) "
            "if they hold whole numbers."
        )
