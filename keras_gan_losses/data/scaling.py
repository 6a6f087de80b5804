"""Conversions between stored pixel values and the model range [-1, 1]."""

import numpy as np

from keras_gan_losses.utils import lazy
from keras_gan_losses.utils.checks import check_value_range
from keras_gan_losses.utils.lazy import tf


def _is_tensor(x):
    return lazy.is_tf_tensor(x) and not isinstance(x, np.ndarray)


def affine_for_range(value_range):
    """Returns `(scale, offset)` mapping `value_range` linearly onto [-1, 1].

    Args:
        value_range (tuple[float, float]): `(low, high)`, the range of the
            stored values.

    Returns:
        Two floats with `low * scale + offset == -1` and
        `high * scale + offset == 1`.

    Example:

    >>> affine_for_range((0, 255))
    (0.00784313725490196, -1.0)
    """
    low, high = check_value_range(value_range)
    scale = 2.0 / (high - low)
    return scale, -1.0 - low * scale


def infer_value_range(images):
    """Guesses the value range of an image array from its dtype and values.

    The rule, in order:

    - `uint8`, and any integer array with values in [0, 255]: `(0, 255)`;
    - floats with all values in [0, 1]: `(0, 1)`;
    - floats with all values in [-1, 1] (some negative): `(-1, 1)`;
    - floats with all values in [0, 255] (some above 1): `(0, 255)`.

    Anything else (other integers, NaN or infinity, floats outside
    [-1, 255], booleans) is an error. The rule cannot tell [-1, 1] data
    whose values are all non-negative from [0, 1] data: pass the range
    explicitly in that case.

    Args:
        images (np.ndarray): A NumPy array of images.

    Returns:
        tuple[float, float]: `(low, high)`.

    Raises:
        ValueError: if the range cannot be inferred.

    Example:

    >>> infer_value_range(np.zeros((2, 4, 4), "uint8"))
    (0, 255)
    >>> infer_value_range(np.array([-0.5, 0.5], "float32"))
    (-1, 1)
    >>> infer_value_range(np.array([0.0, 0.5], "float32"))
    (0, 1)
    """
    images = np.asarray(images)
    if images.size == 0:
        raise ValueError("The image array is empty.")
    if images.dtype == np.uint8:
        return (0, 255)
    if images.dtype == np.bool_ or not (
        np.issubdtype(images.dtype, np.integer)
        or np.issubdtype(images.dtype, np.floating)
    ):
        raise ValueError(
            f"Images must be integers or floats; received dtype "
            f"{images.dtype}."
        )
    low, high = images.min(), images.max()
    if np.issubdtype(images.dtype, np.integer):
        if low >= 0 and high <= 255:
            return (0, 255)
        raise ValueError(
            f"Integer images must be in [0, 255]; these ({images.dtype}) "
            f"range over [{low}, {high}]. Pass `value_range=(low, high)` "
            "for another range (e.g. (0, 65535) for 16-bit images)."
        )
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("The images contain NaN or infinite values.")
    if low >= 0.0 and high <= 1.0:
        return (0, 1)
    if low >= -1.0 and high <= 1.0:
        return (-1, 1)
    if low >= 0.0 and high <= 255.0:
        return (0, 255)
    raise ValueError(
        f"Cannot tell the value range of float images ranging over "
        f"[{low:g}, {high:g}]: expected [0, 1], [-1, 1] or [0, 255]. Pass "
        "`value_range=(low, high)`."
    )


def scale_images(images):
    """Scales 8-bit pixel values in [0, 255] to floats in [-1, 1].

    Computes `images / 127.5 - 1`, the input range of a generator with a
    `tanh` output. NumPy input gives a NumPy array, a tensor a tensor.

    Args:
        images (np.ndarray | Tensor): Pixel values in [0, 255], any shape, any
            integer or float dtype (e.g. `uint8` images as loaded from files).

    Returns:
        np.ndarray | Tensor: float32 values in [-1, 1], of the same shape.

    Example:

    >>> scale_images(np.array([0, 51, 255], "uint8"))
    array([-1. , -0.6,  1. ], dtype=float32)
    """
    if _is_tensor(images):
        return tf.cast(images, tf.float32) / 127.5 - 1.0
    images = np.asarray(images, dtype=np.float32)
    return images / np.float32(127.5) - np.float32(1.0)


def to_uint8(images, value_range=(-1, 1)):
    """Converts images from `value_range` to `uint8` pixels in [0, 255].

    The inverse of `scale_images`: values are mapped linearly so that
    `value_range[0]` becomes 0 and `value_range[1]` becomes 255, then
    rounded and clipped. Use it to save or show generated images. NumPy
    (or list) input gives a NumPy array, a tensor a tensor.

    Args:
        images (np.ndarray | Tensor): Images of any shape, e.g. generator
            outputs in [-1, 1].
        value_range (tuple[float, float]): `(low, high)`, the range of `images`.
            Defaults to `(-1, 1)`.

    Returns:
        np.ndarray | Tensor: `uint8` values in [0, 255], of the same shape.

    Raises:
        ValueError: if `value_range` is not a pair with low < high.

    Example:

    >>> to_uint8(np.array([-1.0, 0.0, 1.0, 2.0]))
    array([  0, 128, 255, 255], dtype=uint8)
    >>> to_uint8(np.array([0.0, 0.5, 1.0]), value_range=(0, 1))
    array([  0, 128, 255], dtype=uint8)
    """
    low, high = check_value_range(value_range)
    factor = 255.0 / (high - low)
    if _is_tensor(images):
        values = (tf.cast(images, tf.float32) - low) * factor
        return tf.cast(tf.clip_by_value(tf.round(values), 0, 255), tf.uint8)
    values = (np.asarray(images, dtype=np.float32) - low) * factor
    return np.clip(np.round(values), 0, 255).astype(np.uint8)
