"""Full-reference image quality: PSNR and SSIM of images against targets.

Both wrap TensorFlow's implementations (`tf.image.psnr`, `tf.image.ssim`)
on images mapped from `value_range` to [0, 1] with `max_val=1`, and
average over the batch.
"""

import numpy as np

from keras_gan_losses.utils.checks import check_value_range
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.lazy import tf

#: Values this far (as a fraction of the range) outside `value_range` are
#: rounding, not an error.
RANGE_TOLERANCE = 1e-4


def _check_pair(images, reference, value_range, min_side=1):
    """Both arrays as float32 `(n, h, w, c)` in [0, 1], checked."""
    low, high = check_value_range(value_range)
    arrays = []
    for name, value in (("images", images), ("reference", reference)):
        array = np.asarray(
            value.numpy() if tf.is_tensor(value) else value, np.float64)
        if array.ndim == 3:
            array = array[np.newaxis]
        if array.ndim != 4 or array.shape[0] == 0:
            raise ValueError(
                f"`{name}` must be an image (height, width, channels) or a "
                f"non-empty batch (n, height, width, channels). Received "
                f"shape {array.shape}."
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(f"`{name}` contains NaN or infinite values.")
        slack = RANGE_TOLERANCE * (high - low)
        if array.min() < low - slack or array.max() > high + slack:
            raise ValueError(
                f"`{name}` has values in [{array.min():g}, {array.max():g}], "
                f"outside value_range=({low:g}, {high:g}). Pass the range "
                "of the images, e.g. value_range=(0, 255) for 8-bit pixels."
            )
        array = np.clip((array - low) / (high - low), 0.0, 1.0)
        arrays.append(array.astype(np.float32))
    images, reference = arrays
    if images.shape != reference.shape:
        raise ValueError(
            "`images` and `reference` must have the same shape. Received "
            f"{images.shape} and {reference.shape}."
        )
    if min(images.shape[1:3]) < min_side:
        raise ValueError(
            f"The images are {images.shape[1]}×{images.shape[2]}, smaller "
            f"than the {min_side}×{min_side} SSIM window: pass a smaller "
            "`filter_size`."
        )
    return tf.constant(images), tf.constant(reference)


def psnr(images, reference, value_range=(-1, 1)):
    """Peak signal-to-noise ratio of images against reference images, in dB.

    Formula (per image, after mapping both to [0, 1]):

    ```
    psnr = 10 · log10(1 / mean((images - reference)²))
    ```

    then averaged over the batch. Higher is better; identical images give
    `inf` (and so does a batch holding any identical pair).

    Args:
        images (np.ndarray | Tensor): An image `(height, width, channels)` or
            a batch `(n, height, width, channels)`, e.g. generator outputs.
        reference (np.ndarray | Tensor): The target images, of the same shape.
        value_range (tuple[float, float]): `(low, high)`, the range of both
            (default [-1, 1], the range of a `tanh` generator).

    Returns:
        float: The mean PSNR over the batch, in decibels.

    Raises:
        ValueError: for different shapes, a wrong rank, NaN, or values
            outside `value_range`.

    Example:

    >>> reference = np.full((2, 8, 8, 1), -1.0)
    >>> round(psnr(reference + 0.2, reference), 4)  # MSE 0.1² = 0.01
    20.0
    """
    images, reference = _check_pair(images, reference, value_range)
    return float(tf.reduce_mean(tf.image.psnr(images, reference, 1.0)))


def ssim(images, reference, value_range=(-1, 1), filter_size=11,
         filter_sigma=1.5):
    """Structural similarity (SSIM) of images against reference images.

    Wang et al., "Image Quality Assessment: From Error Visibility to
    Structural Similarity", 2004. With both mapped to [0, 1], local means
    `μ`, variances `σ²` and covariance `σxy` weighted by a Gaussian window
    (`filter_size`, `filter_sigma`) at every position where it fits:

    ```
    ssim = (2 μx μy + c1)(2 σxy + c2) / ((μx² + μy² + c1)(σx² + σy² + c2))
    c1 = 0.01², c2 = 0.03²
    ```

    averaged over the positions and channels of an image
    (`tf.image.ssim`), then over the batch. 1 for identical images.

    Args:
        images (np.ndarray | Tensor): An image `(height, width, channels)` or
            a batch `(n, height, width, channels)`; height and width at least
            `filter_size`.
        reference (np.ndarray | Tensor): The target images, of the same shape.
        value_range (tuple[float, float]): `(low, high)`, the range of both.
        filter_size (int): Positive int, the side of the Gaussian window
            (11 as in the paper; a 28×28 image has 18×18 positions).
        filter_sigma (float): Positive float, its standard deviation.

    Returns:
        float: The mean SSIM over the batch, at most 1.

    Raises:
        ValueError: as `psnr`, or for images smaller than the window.

    Example:

    >>> reference = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1))
    >>> ssim(reference, reference)
    1.0
    >>> ssim(-reference, reference) < 0
    True
    """
    filter_size = positive_int("filter_size", filter_size)
    if isinstance(filter_sigma, bool) or not isinstance(
            filter_sigma, (int, float)) or not filter_sigma > 0:
        raise ValueError(
            f"`filter_sigma` must be a positive number. Received: "
            f"filter_sigma={filter_sigma!r}"
        )
    images, reference = _check_pair(
        images, reference, value_range, min_side=filter_size)
    values = tf.image.ssim(
        images, reference, 1.0, filter_size=filter_size,
        filter_sigma=float(filter_sigma),
    )
    return float(tf.reduce_mean(values))
