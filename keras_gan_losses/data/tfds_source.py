"""Images from TensorFlow Datasets, with a clear error when offline."""

from keras_gan_losses.data.errors import NoLabelsError
from keras_gan_losses.utils.lazy import tf


class DatasetUnavailableError(OSError):
    """A TensorFlow Datasets dataset is not on disk and cannot be downloaded.

    Raised by `load_images` when `tfds` fails to download or prepare a
    dataset, typically because the machine is offline. The message names
    `data_dir` and the offline alternatives; the original error is chained
    as `__cause__`.

    Example:

    >>> issubclass(DatasetUnavailableError, OSError)
    True
    """


def _image_and_label_keys(name, features, with_labels):
    import tensorflow_datasets as tfds

    top = dict(features.items()) if hasattr(features, "items") else {}
    images = [k for k, f in top.items() if isinstance(f, tfds.features.Image)]
    if not images:
        raise ValueError(
            f"The TFDS dataset {name!r} has no image feature (its features "
            f"are {sorted(top) or features}); `load_images` needs one."
        )
    image_key = "image" if "image" in images else images[0]
    label_key = None
    if with_labels:
        labels = [
            k for k, f in top.items()
            if isinstance(f, tfds.features.ClassLabel)
        ]
        if not labels:
            raise NoLabelsError(
                f"with_labels=True, but the TFDS dataset {name!r} has no "
                f"class label feature (its features are {sorted(top)})."
            )
        label_key = "label" if "label" in labels else labels[0]
    return image_key, label_key


def _missing_module_message(name, error):
    return (
        f"Cannot prepare the TensorFlow Datasets dataset {name!r}: the "
        f"Python module {error.name!r} that TFDS needs is not installed "
        f"({type(error).__name__}: {error}). Install it (`pip install "
        f"{error.name}`) and try again; reinstalling keras_gan_losses "
        "installs the modules it declares."
    )


def _offline_message(name, data_dir, error):
    where = (
        f"data_dir={str(data_dir)!r}" if data_dir is not None
        else "the default data_dir (~/tensorflow_datasets, or "
        "$TFDS_DATA_DIR)"
    )
    cause = f"{type(error).__name__}: {error}".strip()
    if len(cause) > 300:
        cause = cause[:300] + "..."
    return (
        f"Could not download or prepare the TensorFlow Datasets dataset "
        f"{name!r} in {where} ({cause}). TFDS needs network access the "
        "first time; once prepared, the dataset loads offline from that "
        "data_dir. To work offline now, pass `data_dir=` pointing to a "
        "folder where the dataset was already prepared, or use another "
        "source: \"mnist_10k\" (the MNIST test split embedded in this "
        "package), a folder of images, MNIST-format IDX files, or a NumPy "
        "array."
    )


def tfds_examples(name, split, data_dir, with_labels, shuffle, seed):
    """Prepares a TFDS dataset and returns its unbatched examples.

    Args:
        name (str): A TFDS dataset name, e.g. `"mnist"` or `"cifar10"`.
        split (str): A TFDS split, slicing allowed (`"train[:10%]"`).
        data_dir (str | None): Where TFDS keeps its data, or None for its
            default.
        with_labels (bool): Whether to return the class labels too.
        shuffle (bool): Whether to shuffle the files (and set a shuffle seed).
        seed (int | None): Optional int, the file shuffle seed.

    Returns:
        tuple[tf.data.Dataset, dict]: `(dataset, info)`, a dataset of images
        (or `(image, label)` pairs) and a dict with `shape`, `dtype` (of the
        image feature), `count` (examples in the split, or None if unknown)
        and `class_names`.

    Raises:
        ValueError: for an unknown name or split, a dataset without an
            image feature, or without a class label when `with_labels`.
        DatasetUnavailableError: if the data cannot be downloaded, or a
            module TFDS needs to download it is missing (the message
            then names the module, not the network).
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(
            f"Unknown image source {name!r}: not \"mnist_10k\", not an "
            "existing file or folder, and not a TensorFlow Datasets name "
            "(e.g. \"mnist\", \"fashion_mnist\", \"cifar10\", \"celeb_a\")."
        ) from None
    features = builder.info.features
    image_key, label_key = _image_and_label_keys(name, features, with_labels)
    try:
        builder.download_and_prepare()
    except ImportError as error:
        raise DatasetUnavailableError(
            _missing_module_message(name, error)
        ) from error
    except Exception as error:
        raise DatasetUnavailableError(
            _offline_message(name, data_dir, error)
        ) from error
    read_config = tfds.ReadConfig(
        shuffle_seed=seed if shuffle and seed is not None else None
    )
    try:
        dataset = builder.as_dataset(
            split=split, shuffle_files=shuffle, read_config=read_config
        )
    except (KeyError, ValueError) as error:
        known = sorted(builder.info.splits) or "unknown"
        raise ValueError(
            f"Cannot read split={split!r} of the TFDS dataset {name!r} "
            f"(splits: {known}): {error}"
        ) from error
    try:
        count = builder.info.splits[split].num_examples or None
    except Exception:  # noqa: BLE001 - the count is optional
        count = None
    if label_key is None:
        dataset = dataset.map(lambda example: example[image_key])
        class_names = None
    else:
        dataset = dataset.map(
            lambda example: (
                example[image_key], tf.cast(example[label_key], tf.int32)
            )
        )
        class_names = list(features[label_key].names)
    image_feature = features[image_key]
    return dataset, {
        "shape": tuple(image_feature.shape),
        "dtype": tf.as_dtype(
            getattr(image_feature, "tf_dtype", None) or image_feature.dtype
        ),
        "count": count,
        "class_names": class_names,
    }
