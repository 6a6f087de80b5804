"""Features of image sets, batch by batch, and their streaming statistics."""

import io
import os

import keras
import numpy as np

from keras_gan_losses.metrics.checks import check_features
from keras_gan_losses.metrics.frechet import frechet_distance_from_stats
from keras_gan_losses.utils import atomic
from keras_gan_losses.utils import lazy
from keras_gan_losses.utils.lazy import tf


class FeatureStatistics:
    """Streaming float64 mean and covariance of features, e.g. for FID.

    Call `update_state(features)` once per batch, then read `mean` and
    `covariance`; the result equals `np.mean(all_features, axis=0)` and
    `np.cov(all_features, rowvar=False)` (unbiased) without keeping the
    features in memory. Batches are merged with the pairwise update of Chan
    et al., which stays accurate when the mean is large compared with the
    spread (unlike accumulating raw sums of squares).

    Cache the statistics of the real data once with `save(path)` and
    reload them with `FeatureStatistics.load(path)`.

    Example:

    >>> import numpy as np
    >>> features = np.arange(12.0).reshape(6, 2) ** 2
    >>> stats = FeatureStatistics()
    >>> stats.update_state(features[:4])
    >>> stats.update_state(features[4:])
    >>> stats.count
    6
    >>> np.allclose(stats.covariance, np.cov(features, rowvar=False))
    True
    """

    def __init__(self):
        self.reset_state()

    def reset_state(self):
        """Forgets every batch seen so far."""
        self.count = 0
        self._mean = None
        self._m2 = None

    def update_state(self, features):
        """Adds a batch of features.

        Args:
            features (array-like): Array-like of shape `(batch, d)`; `d` must be
                the same for every batch.

        Raises:
            ValueError: if `features` is not 2-D, has non-finite values or
                a feature dimension different from earlier batches.
        """
        features = check_features(features, "features")
        if self._mean is not None and features.shape[1] != len(self._mean):
            raise ValueError(
                f"Expected features of dimension {len(self._mean)}, as in "
                f"earlier batches. Received shape {features.shape}"
            )
        count = features.shape[0]
        mean = features.mean(axis=0)
        centered = features - mean
        m2 = centered.T @ centered
        if self.count == 0:
            self.count, self._mean, self._m2 = count, mean, m2
            return
        total = self.count + count
        delta = mean - self._mean
        self._mean = self._mean + delta * (count / total)
        self._m2 = self._m2 + m2 + np.outer(delta, delta) * (
            self.count * count / total
        )
        self.count = total

    @property
    def mean(self):
        """The mean feature vector, float64 of shape `(d,)`."""
        if self.count == 0:
            raise ValueError("No features yet: call `update_state` first.")
        return self._mean.copy()

    @property
    def covariance(self):
        """The unbiased covariance, float64 of shape `(d, d)` (`np.cov`)."""
        if self.count < 2:
            raise ValueError(
                "The covariance needs at least 2 samples, received "
                f"{self.count}."
            )
        return self._m2 / (self.count - 1)

    def save(self, path):
        """Writes `count`, `mean` and `covariance` to an `.npz` file.

        Args:
            path (str): File path; NumPy appends `.npz` if it is missing.
        """
        if self.count < 2:
            raise ValueError(
                "Nothing to save: the statistics need at least 2 samples, "
                f"received {self.count}."
            )
        np.savez(
            os.fspath(path),
            count=np.int64(self.count),
            mean=self.mean,
            covariance=self.covariance,
        )

    @classmethod
    def load(cls, path):
        """Reads statistics written by `save`; they can be updated further.

        Args:
            path (str): Path of the `.npz` file.

        Returns:
            FeatureStatistics: A `FeatureStatistics`.
        """
        with np.load(os.fspath(path), allow_pickle=False) as arrays:
            missing = {"count", "mean", "covariance"} - set(arrays.files)
            if missing:
                raise ValueError(
                    f"{path} is not a FeatureStatistics file: missing "
                    f"{sorted(missing)}"
                )
            count = int(arrays["count"])
            mean = np.array(arrays["mean"], dtype=np.float64)
            covariance = np.array(arrays["covariance"], dtype=np.float64)
        stats = cls()
        stats.count = count
        stats._mean = mean
        stats._m2 = covariance * (count - 1)
        return stats

    def __repr__(self):
        dim = None if self._mean is None else len(self._mean)
        return f"FeatureStatistics(count={self.count}, dim={dim})"


def save_feature_cache(path, features, stats, labels=None):
    """Writes features, their statistics and optional labels to `.npz`.

    The file holds `features` (float32), `count`, `mean` and `covariance`
    (so that `FeatureStatistics.load` reads it) and, if given, `labels`.
    Any `tf.io.gfile` path works (local or e.g. `gs://`); missing folders
    are created.

    Args:
        path (str): File path, ending in `.npz`.
        features (np.ndarray): Features `(n, d)`.
        stats (FeatureStatistics): The `FeatureStatistics` of `features`.
        labels (np.ndarray | None): Optional labels, one per feature row.
    """
    arrays = {
        "features": features.astype(np.float32),
        "count": np.int64(stats.count),
        "mean": stats.mean,
        "covariance": stats.covariance,
    }
    if labels is not None:
        arrays["labels"] = labels
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    directory = os.path.dirname(path)
    if directory:
        atomic.makedirs(directory)
    atomic.write_bytes(path, buffer.getvalue())


def load_feature_cache(path):
    """Reads a file of `save_feature_cache` or of `FeatureStatistics.save`.

    Args:
        path (str): Path of the `.npz` file (any `tf.io.gfile` path).

    Returns:
        tuple: `(features, stats, labels)`: float64 features `(n, d)` or
        `None` for a file holding statistics only, their
        `FeatureStatistics`, and the labels or `None`.
    """
    arrays = np.load(io.BytesIO(atomic.read_bytes(path)),
                     allow_pickle=False)
    files = set(arrays.files)
    if "features" in files:
        features = np.array(arrays["features"], dtype=np.float64)
        stats = FeatureStatistics()
        stats.update_state(features)
        labels = np.array(arrays["labels"]) if "labels" in files else None
        return features, stats, labels
    return None, FeatureStatistics.load(path), None


def compute_features(extractor, images, batch_size: int = 256):
    """Runs a feature extractor over images, batch by batch.

    Args:
        extractor (keras.Model | Callable): A Keras model (or any callable)
            mapping a batch of images to features of shape `(batch, d)`, e.g.
            `mnist_extractor()` or `inception_v3_extractor()`.
        images (np.ndarray | tf.data.Dataset): Images in the range the extractor
            expects ([-1, 1] for this package's extractors), either a NumPy
            array of shape `(n, height, width, channels)` (or `(n, height,
            width)` for grayscale, when the extractor takes 4-D input), or a
            `tf.data.Dataset`, batched or not, of images, of `(images, labels)`
            tuples or of dicts with an `"image"` key.
        batch_size (int): Batch size for NumPy arrays and unbatched datasets;
            batched datasets keep their own batches. Defaults to 256.

    Returns:
        np.ndarray: A NumPy array of features, shape `(n, d)`.

    Raises:
        ValueError: if there are no images, the dataset's element shapes do
            not fit the extractor, or the extractor does not return 2-D
            features.

    Example:

    >>> import numpy as np
    >>> from keras_gan_losses.metrics import mnist_extractor
    >>> images = np.zeros((5, 28, 28, 1), "float32")
    >>> compute_features(mnist_extractor(), images, batch_size=2).shape
    (5, 128)
    """
    batches = list(_feature_batches(extractor, images, batch_size))
    if not batches:
        raise ValueError("No images: `images` is empty.")
    return np.concatenate(batches, axis=0)


def compute_statistics(extractor, images, batch_size: int = 256):
    """Streams the features of images into a `FeatureStatistics`.

    Like `compute_features`, but keeps only the running mean and
    covariance, so that it suits large sets such as the 60,000 MNIST
    training images or 50,000 generated images.

    Args:
        extractor (keras.Model): A Keras model mapping images to `(batch, d)`
            features.
        images (np.ndarray | tf.data.Dataset): A NumPy array or
            `tf.data.Dataset`, as in `compute_features`.
        batch_size (int): Batch size for NumPy arrays and unbatched datasets.
            Defaults to 256.

    Returns:
        FeatureStatistics: A `FeatureStatistics`.

    Example:

    >>> import numpy as np
    >>> from keras_gan_losses.metrics import mnist_extractor
    >>> images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1))
    >>> stats = compute_statistics(mnist_extractor(), images, batch_size=4)
    >>> stats.count, stats.mean.shape, stats.covariance.shape
    (8, (128,), (128, 128))
    """
    stats = FeatureStatistics()
    for features in _feature_batches(extractor, images, batch_size):
        stats.update_state(features)
    if stats.count == 0:
        raise ValueError("No images: `images` is empty.")
    return stats


def fid_from_statistics(real_stats, fake_stats) -> float:
    """FID between two `FeatureStatistics`, e.g. cached real statistics.

    Args:
        real_stats (FeatureStatistics): `FeatureStatistics` of the real data
            (e.g. loaded with `FeatureStatistics.load`).
        fake_stats (FeatureStatistics): `FeatureStatistics` of generated data,
            from the same feature extractor and, for comparable values, the same
            number of samples as in other runs.

    Returns:
        float: `frechet_distance_from_stats` of their means and covariances.

    Example:

    >>> import numpy as np
    >>> real = FeatureStatistics()
    >>> real.update_state(np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]]))
    >>> fake = FeatureStatistics()
    >>> fake.update_state(np.array([[1.0, 1.0], [3.0, 1.0], [1.0, 3.0]]))
    >>> round(fid_from_statistics(real, fake), 6)
    2.0
    """
    return frechet_distance_from_stats(
        real_stats.mean,
        real_stats.covariance,
        fake_stats.mean,
        fake_stats.covariance,
    )


def _feature_batches(extractor, images, batch_size):
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(
            "`batch_size` must be a positive integer. Received: "
            f"batch_size={batch_size!r}"
        )
    batch_size = int(batch_size)
    rank = _input_rank(extractor)
    if lazy.is_dataset(images):
        batches = _dataset_batches(images, batch_size, rank)
    else:
        images = np.asarray(images)
        if rank is not None and images.ndim == rank - 1:
            images = images[..., None]
        batches = (
            images[start:start + batch_size]
            for start in range(0, len(images), batch_size)
        )
    for batch in batches:
        if isinstance(extractor, keras.layers.Layer):
            features = extractor(batch, training=False)
        else:
            features = extractor(batch)
        features = keras.ops.convert_to_numpy(features)
        if features.ndim != 2:
            raise ValueError(
                "The feature extractor must return features of shape "
                f"(batch, d). It returned shape {features.shape}"
            )
        yield features


def _input_rank(extractor):
    try:
        shape = extractor.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, tuple) and all(
        dim is None or isinstance(dim, int) for dim in shape
    ):
        return len(shape)
    return None


def _select_images(element):
    if isinstance(element, (tuple, list)):
        return element[0]
    if isinstance(element, dict):
        if "image" not in element:
            raise ValueError(
                "Dataset elements that are dicts must have an 'image' key. "
                f"Received keys {sorted(element)}"
            )
        return element["image"]
    return element


def _dataset_batches(dataset, batch_size, rank):
    spec = _select_images(dataset.element_spec)
    dataset = dataset.map(
        lambda *element: _select_images(
            element[0] if len(element) == 1 else element
        )
    )
    element_rank = spec.shape.rank
    expected = 4 if rank is None else rank
    if element_rank == expected - 1:
        dataset = dataset.batch(batch_size)
    elif element_rank != expected:
        raise ValueError(
            f"Dataset images of shape {spec.shape} do not fit a feature "
            f"extractor taking {expected}-D batches: expected elements of "
            f"rank {expected - 1} (unbatched) or {expected} (batched)."
        )
    yield from dataset.prefetch(tf.data.AUTOTUNE)
