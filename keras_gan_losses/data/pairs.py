"""Paired images for image-to-image translation: degraded source, target.

`make_pairs` turns images into `(source, target)` arrays for a task;
`load_pairs` does it batch by batch in a `tf.data` pipeline, for
`ImageToImageGAN.fit`. The target is the image itself in [-1, 1]; the
source is a degraded copy:

- `"super_resolution"`: the image averaged over `factor × factor` blocks
  (28×28 → 7×7 for `factor=4`), then upsampled back to the full size
  (bilinear with half-pixel centres, or nearest), so that a generator maps
  images to images of the same size.
- `"inpainting"`: one half of the image (`masked_half`) replaced by
  `fill_value` (0, mid-grey, which the [-1, 1] MNIST background (-1) and
  ink (1) never are in bulk).
"""

import numpy as np

from keras_gan_losses.data.images import EMBEDDED
from keras_gan_losses.data.mnist import load_mnist_10k
from keras_gan_losses.data.scaling import affine_for_range
from keras_gan_losses.data.scaling import infer_value_range
from keras_gan_losses.utils.checks import check_bool
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.lazy import tf

#: The pairing tasks of `make_pairs` and `load_pairs`.
TASKS = ("super_resolution", "inpainting")
INTERPOLATIONS = ("bilinear", "nearest")
HALVES = ("bottom", "top", "left", "right")
SUBSETS = ("training", "validation", "both")
AUTOTUNE = -1  # tf.data.AUTOTUNE, without importing TensorFlow


def _check_task(task, factor, interpolation, masked_half, fill_value):
    if task not in TASKS:
        raise ValueError(
            f"`task` must be one of {', '.join(map(repr, TASKS))}. "
            f"Received: task={task!r}"
        )
    factor = positive_int("factor", factor)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            "`interpolation` must be \"bilinear\" or \"nearest\". Received: "
            f"interpolation={interpolation!r}"
        )
    if masked_half not in HALVES:
        raise ValueError(
            f"`masked_half` must be one of {', '.join(map(repr, HALVES))}. "
            f"Received: masked_half={masked_half!r}"
        )
    fill_value = check_number("fill_value", fill_value, low=-1.0, high=1.0)
    return task, factor, interpolation, masked_half, fill_value


def _check_sizes(shape, task, factor):
    height, width = int(shape[0]), int(shape[1])
    if task == "super_resolution" and (height % factor or width % factor):
        raise ValueError(
            f"super_resolution with factor={factor} needs a height and "
            f"width divisible by {factor}; the images are {height}×{width}."
        )
    if task == "inpainting" and min(height, width) < 2:
        raise ValueError(
            f"inpainting masks half of each image; the images are "
            f"{height}×{width}."
        )


def degrade(images, task, factor=4, interpolation="bilinear",
            masked_half="bottom", fill_value=0.0):
    """The source images of a task: `images` degraded, as a tensor.

    Args:
        images (Tensor): float32 images `(batch, height, width, channels)`
            in [-1, 1].
        task (str): `"super_resolution"` or `"inpainting"`.
        factor (int): The downsampling factor of super-resolution.
        interpolation (str): `"bilinear"` or `"nearest"`.
        masked_half (str): The masked half of inpainting.
        fill_value (float): The value of the masked pixels.

    Returns:
        Tensor: float32 sources of the same shape as `images`.
    """
    task, factor, interpolation, masked_half, fill_value = _check_task(
        task, factor, interpolation, masked_half, fill_value
    )
    images = tf.convert_to_tensor(images, tf.float32)
    _check_sizes(images.shape[1:3], task, factor)
    height, width = int(images.shape[1]), int(images.shape[2])
    if task == "super_resolution":
        small = tf.nn.avg_pool2d(images, factor, factor, "VALID")
        return tf.image.resize(small, (height, width), method=interpolation)
    rows = tf.range(height)[:, None] + tf.zeros((1, width), tf.int32)
    cols = tf.range(width)[None, :] + tf.zeros((height, 1), tf.int32)
    masked = {
        "bottom": rows >= height // 2,
        "top": rows < height - height // 2,
        "left": cols < width - width // 2,
        "right": cols >= width // 2,
    }[masked_half]
    masked = tf.reshape(masked, (1, height, width, 1))
    return tf.where(masked, tf.constant(fill_value, tf.float32), images)


def _to_model_range(images, value_range):
    """`(n, h, w, c)` float32 images in [-1, 1] from an array."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(
            "`images` must have shape (n, height, width) or (n, height, "
            f"width, channels). Received shape {images.shape}."
        )
    if len(images) == 0:
        raise ValueError("`images` holds no images.")
    if value_range is None:
        value_range = infer_value_range(images)
    scale, offset = affine_for_range(value_range)
    scaled = images.astype(np.float32) * np.float32(scale) + np.float32(
        offset)
    return np.clip(scaled, -1.0, 1.0)


def make_pairs(images, task, factor=4, interpolation="bilinear",
               masked_half="bottom", fill_value=0.0, value_range=None):
    """Makes `(source, target)` image pairs for an image-to-image task.

    The target is the image scaled to [-1, 1] (the range of a `tanh`
    generator); the source is a degraded copy of it:

    - `task="super_resolution"`: each `factor × factor` block averaged
      (e.g. 28×28 → 7×7 for `factor=4`, height and width must be
      divisible by `factor`), then resized back to the full size with
      `interpolation`: `"bilinear"` (`tf.image.resize`, half-pixel
      centres, edges clamped, no antialiasing) or `"nearest"` (each small
      pixel repeated `factor × factor` times).
    - `task="inpainting"`: the `masked_half` (`"bottom"`, `"top"`,
      `"left"` or `"right"`; the larger half for an odd side) set to
      `fill_value`, mid-grey 0 by default.

    Args:
        images (np.ndarray): Images `(n, height, width[, channels])`. Their
            range is inferred as in `load_images` (`uint8` → [0, 255]) unless
            `value_range` is given.
        task (str): `"super_resolution"` or `"inpainting"`.
        factor (int): Positive int, the downsampling factor of
            super-resolution.
        interpolation (str): `"bilinear"` or `"nearest"`, the upsampling of
            super-resolution.
        masked_half (str): The masked half of inpainting.
        fill_value (float): The value in [-1, 1] of the masked pixels.
        value_range (tuple[float, float] | None): Optional `(low, high)` range
            of `images`, mapped onto [-1, 1].

    Returns:
        tuple[np.ndarray, np.ndarray]: `(source, target)`, float32 arrays of
        shape `(n, height, width, channels)` in [-1, 1].

    Raises:
        ValueError: for an unknown task or option, a size that `factor`
            does not divide, or malformed images (the message says which).

    Example:

    >>> images = np.array([[[0, 255], [255, 255]]], "uint8")  # 1×2×2
    >>> source, target = make_pairs(images, "super_resolution", factor=2)
    >>> target[0, :, :, 0].tolist(), source[0, :, :, 0].tolist()
    ([[-1.0, 1.0], [1.0, 1.0]], [[0.5, 0.5], [0.5, 0.5]])
    >>> source, _ = make_pairs(images, "inpainting", masked_half="right")
    >>> source[0, :, :, 0].tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    target = _to_model_range(images, value_range)
    source = degrade(target, task, factor=factor, interpolation=interpolation,
                     masked_half=masked_half, fill_value=fill_value)
    return source.numpy(), target


def _split_indices(count, validation_split, subset):
    if validation_split is None:
        if subset is not None:
            raise ValueError(
                "`subset` needs a `validation_split`. Received: "
                f"subset={subset!r}, validation_split=None"
            )
        return {"training": np.arange(count)}
    validation_split = check_number(
        "validation_split", validation_split, low=0.0, high=1.0,
        low_open=True, high_open=True,
    )
    if subset not in SUBSETS:
        raise ValueError(
            "With a `validation_split`, `subset` must be \"training\", "
            f"\"validation\" or \"both\". Received: subset={subset!r}"
        )
    held_out = int(round(count * validation_split))
    if not 0 < held_out < count:
        raise ValueError(
            f"validation_split={validation_split} of {count} images leaves "
            "an empty subset."
        )
    return {
        "training": np.arange(count - held_out),
        "validation": np.arange(count - held_out, count),
    }


def load_pairs(
    source="mnist_10k",
    task="super_resolution",
    batch_size=64,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    drop_remainder=True,
    factor=4,
    interpolation="bilinear",
    masked_half="bottom",
    fill_value=0.0,
    value_range=None,
):
    """Loads `(source, target)` image pairs as a batched `tf.data.Dataset`.

    Each element is a pair of float32 batches `(source, target)` of shape
    `(batch_size, height, width, channels)` in [-1, 1], made as
    `make_pairs` makes them (see it for the tasks), ready for
    `ImageToImageGAN.fit`. The pairs are made batch by batch, so the
    dataset holds only the images.

    `validation_split` holds out the *last* fraction of the images (as
    `keras.Model.fit` does; no shuffling before the split, so the held-out
    images are the same for every seed): `subset="training"` or
    `"validation"` picks one side, `"both"` returns both datasets.

    Args:
        source (str | np.ndarray): `"mnist_10k"` (the MNIST test split
            embedded in the package, offline) or a NumPy array of images
            `(n, height, width[, channels])`.
        task (str): `"super_resolution"` or `"inpainting"`.
        batch_size (int): Positive int, pairs per batch.
        shuffle (bool): Whether to shuffle (each epoch anew).
        seed (int | None): Optional int seed of the shuffling.
        validation_split (float | None): Optional fraction in (0, 1) of the
            images to hold out.
        subset (str | None): With `validation_split`, `"training"`,
            `"validation"` or `"both"`.
        drop_remainder (bool): Whether to drop the last, smaller batch.
        factor (int): Positive int, the downsampling factor of
            super-resolution (see `make_pairs`).
        interpolation (str): `"bilinear"` or `"nearest"`, the upsampling of
            super-resolution.
        masked_half (str): `"bottom"`, `"top"`, `"left"` or `"right"`, the
            masked half of inpainting.
        fill_value (float): The value in [-1, 1] of the masked pixels.
        value_range (tuple[float, float] | None): For an array, an optional
            `(low, high)` range of its values, mapped onto [-1, 1].

    Returns:
        tf.data.Dataset: A dataset of `(source, target)` batches, or a tuple
        `(training, validation)` of them for `subset="both"`.

    Raises:
        ValueError: for invalid arguments, a source other than
            `"mnist_10k"` or an array, or fewer images than `batch_size`
            with `drop_remainder`.

    Example:

    >>> dataset = load_pairs("mnist_10k", task="inpainting", batch_size=8,
    ...                      shuffle=False)
    >>> source, target = next(iter(dataset))
    >>> tuple(source.shape), tuple(target.shape)
    ((8, 28, 28, 1), (8, 28, 28, 1))
    >>> float(source[0, 27, 0, 0]), float(target[0, 0, 0, 0])
    (0.0, -1.0)
    >>> train, held_out = load_pairs(batch_size=50, validation_split=0.1,
    ...                              subset="both", seed=0)
    >>> train.cardinality().numpy(), held_out.cardinality().numpy()
    (np.int64(180), np.int64(20))
    """
    options = _check_task(task, factor, interpolation, masked_half,
                          fill_value)
    batch_size = positive_int("batch_size", batch_size)
    shuffle = check_bool("shuffle", shuffle)
    seed = check_seed(seed)
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    if isinstance(source, str):
        if source != EMBEDDED:
            raise ValueError(
                "`source` must be \"mnist_10k\" or a NumPy array of images. "
                f"Received: source={source!r}. Load other data with "
                "kgl.data.load_images or np.load first."
            )
        if value_range is not None:
            raise ValueError(
                "`value_range` applies to arrays; \"mnist_10k\" is uint8.")
        images, _ = load_mnist_10k()
    elif isinstance(source, np.ndarray):
        images = source
    else:
        raise TypeError(
            "`source` must be \"mnist_10k\" or a NumPy array of images. "
            f"Received: {type(source).__name__}"
        )
    images = _to_model_range(images, value_range)
    _check_sizes(images.shape[1:3], options[0], options[1])
    splits = _split_indices(len(images), validation_split, subset)
    images = tf.convert_to_tensor(images)

    def pipeline(indices, name):
        if drop_remainder and len(indices) < batch_size:
            raise ValueError(
                f"The {name} images number {len(indices)}, fewer than "
                f"batch_size={batch_size}: with drop_remainder=True every "
                "batch would be dropped. Lower `batch_size` or pass "
                "drop_remainder=False."
            )
        dataset = tf.data.Dataset.from_tensor_slices(indices)
        if shuffle:
            dataset = dataset.shuffle(len(indices), seed=seed,
                                      reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

        def pair(batch_indices):
            target = tf.gather(images, batch_indices)
            return degrade(target, *options), target

        return dataset.map(pair, num_parallel_calls=AUTOTUNE).prefetch(
            AUTOTUNE)

    if subset == "both":
        return (pipeline(splits["training"], "training"),
                pipeline(splits["validation"], "validation"))
    name = subset or "training"
    return pipeline(splits[name], name)
