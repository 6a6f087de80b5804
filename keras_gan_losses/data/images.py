"""`load_images`: batched `tf.data` pipelines of images in [-1, 1]."""

import os
import pathlib
import types

import numpy as np

from keras_gan_losses.data import folder as folder_lib
from keras_gan_losses.data import idx as idx_lib
from keras_gan_losses.data.errors import NoLabelsError
from keras_gan_losses.data.mnist import load_mnist_10k
from keras_gan_losses.data.scaling import affine_for_range
from keras_gan_losses.data.scaling import infer_value_range
from keras_gan_losses.data.tfds_source import tfds_examples
from keras_gan_losses.utils.checks import check_bool
from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import is_int
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.lazy import tf

#: The source name of the MNIST test split embedded in the package.
EMBEDDED = "mnist_10k"
#: `split` values accepted by sources that have a single split.
SINGLE_SPLITS = ("train", "test", "all")
#: Memory budget of the shuffle buffer of streamed sources (TFDS).
SHUFFLE_BUFFER_BYTES = 2**27
MAX_SHUFFLE_BUFFER = 10_000
AUTOTUNE = -1  # tf.data.AUTOTUNE, without importing TensorFlow


def load_images(
    source,
    split="train",
    image_size=None,
    batch_size=64,
    with_labels=False,
    shuffle=True,
    seed=None,
    data_dir=None,
    drop_remainder=True,
    value_range=None,
    crop_to_aspect_ratio=False,
):
    """Loads images as a batched `tf.data.Dataset` in [-1, 1] for a GAN.

    The dataset yields float32 batches of shape `(batch_size, height,
    width, channels)` with static height, width and channels, scaled to
    [-1, 1] (the range of a `tanh` generator), or `(images, labels)` pairs
    with int32 labels of shape `(batch_size,)` when `with_labels=True`. It
    is shuffled (reshuffled every epoch) and prefetched, ready for
    `GAN.fit`. Grayscale images keep one channel.

    `source` is one of:

    - `"mnist_10k"`: the MNIST test split (10,000 28×28 digits, labels
      0-9) embedded in this package. Works offline; see
      `load_mnist_10k` for its licence.
    - A TensorFlow Datasets name with an image feature, e.g. `"mnist"`,
      `"fashion_mnist"`, `"cifar10"` or `"celeb_a"`, loaded with
      `split` from `data_dir`. TFDS downloads it the first time, which
      needs network access.
    - A folder of `.png`, `.jpg`, `.jpeg`, `.bmp` or `.gif` files. With
      one sub-folder per class the labels are the class indices in the
      sorted order of the sub-folder names (kept as
      `dataset.class_names`); images directly in the folder have no
      labels.
    - MNIST-format IDX files: the path of an images file such as
      `t10k-images-idx3-ubyte.gz` (the labels are read from
      `t10k-labels-idx1-ubyte(.gz)` beside it), or a folder holding them,
      where `split` picks `"train"` (`train-*` files), `"test"`
      (`t10k-*`) or `"all"`.
    - A NumPy array of images `(n, height, width[, channels])`, or an
      `(images, labels)` tuple of arrays.

    A string naming an existing file or folder is read as a path, any
    other string as a TFDS name.

    Value ranges: `uint8` (and other integer) images are read as [0, 255]
    and scaled with `(x / 127.5) - 1`. For float arrays the range is
    inferred from the values: all in [0, 1] → [0, 1]; else all in [-1, 1]
    → kept as they are; else all in [0, 255] → scaled like `uint8`;
    anything else is an error. [-1, 1] data that happens to have no
    negative value would be read as [0, 1]: pass `value_range=(-1, 1)` to
    say so. Values are clipped to [-1, 1] after scaling.

    Args:
        source (str | np.ndarray | tuple): Where the images come from (see
            above).
        split (str): For TFDS, the split (slicing allowed, e.g.
            `"train[:10%]"`); for a folder of IDX files, `"train"`,
            `"test"` or `"all"`. Other sources have a single split and
            accept `"train"`, `"test"` or `"all"` for it.
        image_size (int | tuple[int, int] | None): Optional `(height, width)` or
            an int for square images: resize every image (bilinear,
            antialiased). Needed when a folder's or dataset's images differ in
            size.
        batch_size (int): Positive int, images per batch.
        with_labels (bool): Whether to yield `(images, labels)`.
        shuffle (bool): Whether to shuffle (each epoch anew).
        seed (int | None): Optional int seed of the shuffling.
        data_dir (str | None): For TFDS names, the TFDS data folder (default
            `~/tensorflow_datasets`).
        drop_remainder (bool): Whether to drop the last, smaller batch, so that
            every batch has `batch_size` images (a static batch size).
        value_range (tuple[float, float] | None): For arrays and IDX files, an
            optional explicit `(low, high)` range of the values, mapped linearly
            onto [-1, 1], instead of the inferred one.
        crop_to_aspect_ratio (bool): With `image_size`, first crop each image
            centrally to the target aspect ratio, so that resizing does
            not distort it.

    Returns:
        tf.data.Dataset: A `tf.data.Dataset`. When the class names are known
        (class sub-folders, TFDS class labels, MNIST digits) and `with_labels`
        is set, they are in its `class_names` attribute.

    Raises:
        ValueError: for an unknown source, empty or unreadable data
            (naming the files), mixed image sizes without `image_size`,
            `with_labels=True` on a source without labels, fewer images
            than `batch_size` with `drop_remainder`, or invalid arguments.
        FileNotFoundError: for a `pathlib.Path` that does not exist.
        DatasetUnavailableError: if a TFDS dataset is not on disk and
            cannot be downloaded (e.g. offline). It is an `OSError`.

    Example:

    >>> dataset = load_images("mnist_10k", batch_size=32, seed=0)
    >>> images = next(iter(dataset))
    >>> images.shape, images.dtype.name
    (TensorShape([32, 28, 28, 1]), 'float32')
    >>> -1.0 <= float(tf.reduce_min(images)) < float(tf.reduce_max(images))
    True
    >>> float(tf.reduce_max(images)) <= 1.0
    True
    >>> labelled = load_images("mnist_10k", with_labels=True, shuffle=False,
    ...                        image_size=32, batch_size=10)
    >>> images, labels = next(iter(labelled))
    >>> images.shape, labels.numpy().tolist()
    (TensorShape([10, 32, 32, 1]), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    """
    options = _check_options(
        split, image_size, batch_size, with_labels, shuffle, seed,
        drop_remainder, crop_to_aspect_ratio,
    )
    if isinstance(source, (np.ndarray, tuple, list)) or tf.is_tensor(source):
        _check_single_split(split, "An array")
        images, labels = _split_array_source(source)
        return _from_arrays(images, labels, value_range, options, "array")
    _check_source_type(source)
    if isinstance(source, str) and source == EMBEDDED:
        return _from_embedded(value_range, options)
    path = pathlib.Path(source).expanduser()
    if path.is_dir() or path.is_file():
        return _from_path(path, value_range, options)
    if not isinstance(source, str) or _looks_like_path(source):
        raise FileNotFoundError(f"No such file or folder: {str(source)!r}")
    _no_value_range(value_range, "a TFDS dataset")
    return _from_tfds(source, data_dir, options)


def _check_options(split, image_size, batch_size, with_labels, shuffle,
                   seed, drop_remainder, crop_to_aspect_ratio):
    """The source-independent arguments of `load_images`, checked."""
    options = types.SimpleNamespace(
        split=split,
        image_size=_check_image_size(image_size),
        batch_size=positive_int("batch_size", batch_size),
        with_labels=check_bool("with_labels", with_labels),
        shuffle=check_bool("shuffle", shuffle),
        seed=check_seed(seed),
        drop_remainder=check_bool("drop_remainder", drop_remainder),
        crop=check_bool("crop_to_aspect_ratio", crop_to_aspect_ratio),
    )
    if crop_to_aspect_ratio and options.image_size is None:
        raise ValueError("crop_to_aspect_ratio=True needs an `image_size`.")
    return options


def _check_source_type(source):
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "`source` must be a name (\"mnist_10k\" or a TFDS name), a path, "
            "a NumPy array or an (images, labels) tuple. Received: "
            f"{source!r} (of type {type(source).__name__})"
        )


def _from_embedded(value_range, options):
    """The MNIST test split embedded in the package."""
    _check_single_split(options.split, "\"mnist_10k\"")
    _no_value_range(value_range, "\"mnist_10k\"")
    images, labels = load_mnist_10k()
    return _from_arrays(
        images, labels, None, options, "mnist_10k",
        class_names=[str(digit) for digit in range(10)],
    )


def _from_path(path, value_range, options):
    """An existing folder (of IDX or image files) or IDX file."""
    if path.is_dir():
        if idx_lib.has_idx_images(path):
            return _from_idx(
                idx_lib.find_idx_images(path, options.split), value_range,
                options,
            )
        _check_single_split(options.split, "A folder of images")
        _no_value_range(value_range, "a folder of images")
        return _from_folder(path, options)
    if path.suffix.lower() in folder_lib.IMAGE_EXTENSIONS + (".npy", ".npz"):
        raise ValueError(
            f"{path} is a single {path.suffix} file. A file `source` "
            "must be an MNIST-format IDX file; pass the folder holding "
            "image files, or a NumPy array (e.g. from np.load)."
        )
    _check_single_split(options.split, "An IDX file")
    return _from_idx([path], value_range, options)


def _looks_like_path(name):
    """Whether a missing `source` string is a path rather than a TFDS name.

    TFDS names may hold a "/" (`"cifar10_corrupted/brightness_1"`), so only
    absolute paths, "./", "../" and "~" paths, names with an image or IDX
    file extension and paths under an existing folder count.
    """
    path = pathlib.Path(name)
    return (
        path.is_absolute()
        or name.startswith((".", "~"))
        or path.suffix.lower() in folder_lib.IMAGE_EXTENSIONS + (".gz",)
        or "ubyte" in path.name
        or (len(path.parts) > 1 and path.parent.is_dir())
    )


# ----------------------------------------------------------------------
# argument checks


def _check_image_size(image_size):
    if image_size is None:
        return None
    if is_int(image_size):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or any(not is_int(v) or v < 1 for v in image_size)
    ):
        raise ValueError(
            "`image_size` must be None, a positive int or a pair of "
            f"positive ints (height, width). Received: {image_size!r}"
        )
    return int(image_size[0]), int(image_size[1])


def _check_single_split(split, what):
    if split not in SINGLE_SPLITS:
        raise ValueError(
            f"{what} has a single split, selected by split='train' (or "
            f"'test' or 'all'). Received: split={split!r}. Splits and "
            "slicing apply to TFDS names and folders of IDX files."
        )


def _no_value_range(value_range, what):
    if value_range is not None:
        raise ValueError(
            f"`value_range` applies to arrays and IDX files; the range of "
            f"{what} is known. Received: value_range={value_range!r}"
        )


def _check_count(count, options, what):
    if count == 0:
        raise ValueError(f"{what} holds no images.")
    if options.drop_remainder and count is not None and \
            count < options.batch_size:
        raise ValueError(
            f"{what} holds {count} images, fewer than batch_size="
            f"{options.batch_size}: with drop_remainder=True every batch "
            "would be dropped. Lower `batch_size` or pass "
            "drop_remainder=False."
        )


# ----------------------------------------------------------------------
# shared pipeline pieces


def _resize(images, size, crop):
    """Resizes `(..., h, w, c)` float images, optionally cropping first."""
    if crop:
        shape = tf.shape(images)
        height, width = shape[-3], shape[-2]
        ratio = size[1] / size[0]
        crop_h = tf.minimum(height, tf.cast(
            tf.round(tf.cast(width, tf.float32) / ratio), tf.int32))
        crop_w = tf.minimum(width, tf.cast(
            tf.round(tf.cast(height, tf.float32) * ratio), tf.int32))
        top = (height - crop_h) // 2
        left = (width - crop_w) // 2
        images = images[..., top:top + crop_h, left:left + crop_w, :]
    return tf.image.resize(images, size, method="bilinear", antialias=True)


def _prepare(images, affine, options):
    """Casts to float32, resizes if asked, maps onto [-1, 1] and clips."""
    images = tf.cast(images, tf.float32)
    size = options.image_size
    if size is not None and tuple(images.shape[-3:-1]) != size:
        images = _resize(images, size, options.crop)
    scale, offset = affine
    return tf.clip_by_value(images * scale + offset, -1.0, 1.0)


def _final_shape(shape, options):
    height, width, channels = shape
    if options.image_size is not None:
        height, width = options.image_size
    return (height, width, channels)


def _finish(dataset, class_names, options):
    dataset = dataset.prefetch(AUTOTUNE)
    if class_names is not None and options.with_labels:
        dataset.class_names = list(class_names)
    return dataset


# ----------------------------------------------------------------------
# in-memory sources: the embedded MNIST, NumPy arrays, IDX files


def _split_array_source(source):
    if isinstance(source, tuple):
        if len(source) != 2:
            raise ValueError(
                "A tuple source must be (images, labels). Received a "
                f"{type(source).__name__} of length {len(source)}."
            )
        return np.asarray(source[0]), np.asarray(source[1])
    return np.asarray(source), None


def _check_labels(labels, count, what):
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != count:
        raise ValueError(
            f"The labels of {what} must have shape ({count},) (one per "
            f"image); received shape {labels.shape}."
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"The labels of {what} must be int class ids; received dtype "
            f"{labels.dtype}."
        )
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"The labels of {what} must be non-negative class ids; found "
            f"{int(labels.min())}."
        )
    return labels.astype(np.int32)


def _from_arrays(images, labels, value_range, options, what,
                 class_names=None):
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(
            f"The images of {what} must have shape (n, height, width) or "
            f"(n, height, width, channels); received shape {images.shape}."
        )
    count = len(images)
    _check_count(count, options, f"The {what}")
    labels = _array_labels(labels, count, options, what)
    if value_range is None:
        value_range = infer_value_range(images)
    affine = affine_for_range(value_range)
    images = tf.convert_to_tensor(_compact(images, value_range))
    if labels is not None:
        labels = tf.convert_to_tensor(labels)

    # Shuffle and batch indices, then gather each batch: the images stay in
    # one tensor instead of being copied into a shuffle buffer.
    dataset = tf.data.Dataset.range(count)
    if options.shuffle:
        dataset = dataset.shuffle(
            count, seed=options.seed, reshuffle_each_iteration=True
        )
    dataset = dataset.batch(
        options.batch_size, drop_remainder=options.drop_remainder
    )

    def take(indices):
        batch = _prepare(tf.gather(images, indices), affine, options)
        if labels is None:
            return batch
        return batch, tf.gather(labels, indices)

    dataset = dataset.map(take, num_parallel_calls=AUTOTUNE)
    return _finish(dataset, class_names, options)


def _array_labels(labels, count, options, what):
    """The checked labels with `with_labels`, else None."""
    if not options.with_labels:
        return None
    if labels is None:
        raise NoLabelsError(
            f"with_labels=True, but the {what} has no labels: pass an "
            "(images, labels) tuple."
        )
    return _check_labels(labels, count, f"the {what}")


def _compact(images, value_range):
    """8-bit data as uint8 (4x less memory), anything else as float32."""
    if images.dtype == np.uint8:
        return images
    if tuple(value_range) == (0, 255) and np.issubdtype(
        images.dtype, np.integer
    ):
        return images.astype(np.uint8)
    return images.astype(np.float32)


def _from_idx(paths, value_range, options):
    parts, label_parts = [], []
    for path in paths:
        if options.with_labels:
            # Before the images are read: a missing labels file is cheap
            # to find, and callers may fall back to the images alone.
            labels_path = idx_lib.labels_path_for(path)
            if labels_path is None:
                names = idx_lib.expected_labels_names(path) or [
                    "<prefix>-labels-idx1-ubyte(.gz)"
                ]
                raise NoLabelsError(
                    f"with_labels=True, but there is no labels file beside "
                    f"{path} (looked for {' or '.join(names)})."
                )
        images = idx_lib.read_idx(path)
        if images.ndim not in (3, 4):
            raise ValueError(
                f"{path} holds an array of shape {images.shape}, not images "
                "(n, height, width)."
            )
        parts.append(images)
        if options.with_labels:
            labels = idx_lib.read_idx(labels_path)
            if labels.shape != (len(images),):
                raise ValueError(
                    f"{labels_path} holds labels of shape {labels.shape}, "
                    f"but {path} holds {len(images)} images."
                )
            label_parts.append(labels)
    if len({part.shape[1:] for part in parts}) > 1:
        raise ValueError(
            f"The IDX files {[str(p) for p in paths]} hold images of "
            f"different shapes: {[part.shape[1:] for part in parts]}."
        )
    images = np.concatenate(parts) if len(parts) > 1 else parts[0]
    labels = None
    if label_parts:
        labels = (
            np.concatenate(label_parts) if len(label_parts) > 1
            else label_parts[0]
        )
    what = "IDX file" if len(paths) == 1 else "IDX files"
    return _from_arrays(images, labels, value_range, options, what)


# ----------------------------------------------------------------------
# streamed sources: folders and TFDS


def _from_folder(directory, options):
    scan = folder_lib.scan_image_folder(
        directory, same_size=options.image_size is None,
        with_labels=options.with_labels,
    )
    count = len(scan.paths)
    _check_count(count, options, f"The folder {directory}")
    channels = scan.channels
    decoded = (None, None, channels)
    if options.image_size is None:
        decoded = scan.size + (channels,)
    shape = _final_shape(decoded, options)
    affine = affine_for_range((0, 255))
    paths = tf.constant(scan.paths)
    if options.with_labels:
        dataset = tf.data.Dataset.from_tensor_slices(
            (paths, tf.constant(scan.labels, tf.int32))
        )
    else:
        dataset = tf.data.Dataset.from_tensor_slices(paths)
    if options.shuffle:
        dataset = dataset.shuffle(
            count, seed=options.seed, reshuffle_each_iteration=True
        )

    def load(path, label=None):
        image = folder_lib.decode_image(path, channels)
        image = tf.ensure_shape(image, decoded)
        image = tf.ensure_shape(_prepare(image, affine, options), shape)
        return image if label is None else (image, label)

    dataset = dataset.map(load, num_parallel_calls=AUTOTUNE)
    dataset = dataset.batch(
        options.batch_size, drop_remainder=options.drop_remainder
    )
    return _finish(dataset, scan.class_names, options)


def _range_of_dtype(dtype):
    if dtype.is_integer:
        return (0, dtype.max)
    return (0, 1)


def _from_tfds(name, data_dir, options):
    dataset, info = tfds_examples(
        name, options.split, data_dir, options.with_labels, options.shuffle,
        options.seed,
    )
    shape = info["shape"]
    if len(shape) != 3 or shape[2] is None:
        raise ValueError(
            f"The image feature of the TFDS dataset {name!r} has shape "
            f"{shape}; expected (height, width, channels)."
        )
    if options.image_size is None and None in shape[:2]:
        raise ValueError(
            f"The images of the TFDS dataset {name!r} differ in size (shape "
            f"{shape}): pass `image_size=(height, width)` to resize them."
        )
    _check_count(info["count"], options, f"The TFDS split {name}/"
                 f"{options.split}")
    final = _final_shape(shape, options)
    affine = affine_for_range(_range_of_dtype(info["dtype"]))
    if options.shuffle:
        # A buffer of the stored (pre-resize) examples within a memory
        # budget: all of a small dataset, a few hundred large images.
        raw = shape if None not in shape else final
        example_bytes = int(np.prod(raw)) * info["dtype"].size
        buffer = min(MAX_SHUFFLE_BUFFER, SHUFFLE_BUFFER_BYTES // example_bytes)
        dataset = dataset.shuffle(
            max(buffer, options.batch_size), seed=options.seed,
            reshuffle_each_iteration=True,
        )

    def prepare(image, label=None):
        image = tf.ensure_shape(_prepare(image, affine, options), final)
        return image if label is None else (image, label)

    dataset = dataset.map(prepare, num_parallel_calls=AUTOTUNE)
    dataset = dataset.batch(
        options.batch_size, drop_remainder=options.drop_remainder
    )
    return _finish(dataset, info["class_names"], options)
