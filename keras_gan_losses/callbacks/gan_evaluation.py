"""`GANEvaluation`: FID, KID, precision/recall in the epoch logs."""

import os

import keras
import numpy as np

from keras_gan_losses.callbacks.samples import check_gan
from keras_gan_losses.callbacks.samples import epoch_due
from keras_gan_losses.callbacks.samples import is_image_to_image
from keras_gan_losses.data.scaling import affine_for_range
from keras_gan_losses.metrics.classifier import CLASSIFIER_SCORE_KEYS
from keras_gan_losses.metrics.classifier import classifier_probabilities
from keras_gan_losses.metrics.classifier import classifier_scores
from keras_gan_losses.metrics.evaluation import check_metric_names
from keras_gan_losses.metrics.evaluation import evaluate_features
from keras_gan_losses.metrics.evaluation import metric_keys
from keras_gan_losses.metrics.extractors import inception_v3_extractor
from keras_gan_losses.metrics.extractors import mnist_classifier
from keras_gan_losses.metrics.extractors import mnist_extractor
from keras_gan_losses.metrics.reconstruction import psnr
from keras_gan_losses.metrics.reconstruction import ssim
from keras_gan_losses.metrics.statistics import FeatureStatistics
from keras_gan_losses.metrics.statistics import compute_features
from keras_gan_losses.metrics.statistics import load_feature_cache
from keras_gan_losses.metrics.statistics import save_feature_cache
from keras_gan_losses.utils import atomic
from keras_gan_losses.utils import lazy
from keras_gan_losses.utils.activations import activation_value_range
from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import check_value_range
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.chief import is_chief
from keras_gan_losses.utils.lazy import tf

#: The keys added for an image-to-image GAN.
PAIR_KEYS = ("psnr", "ssim")

#: Feature extractors known by name.
EXTRACTORS = {
    "mnist": mnist_extractor,
    "inception_v3": inception_v3_extractor,
}


class GANEvaluation(keras.callbacks.Callback):
    """Computes FID, KID, precision and recall, and adds them to the logs.

    After the first epoch, every `every_n_epochs`-th epoch and the last
    one, generates `num_samples` images from one fixed latent batch, runs
    them and the real images (features computed once) through a feature
    extractor, and adds the chosen metrics of
    `keras_gan_losses.metrics.evaluate_features` to the epoch's `logs`:
    `fid`, `kid` and `kid_std`, `precision`, `recall`, `density`,
    `coverage`. Place it *before* `CSVLogger`, `TensorBoard`,
    `ModelCheckpoint` and `EarlyStopping` in `callbacks=[...]` so that they
    see the values. The extractor receives images in [-1, 1].
    [The metrics guide](../guides/metrics.md#during-training-ganevaluation)
    explains the epochs, the logs on skipped epochs, the real data,
    conditional labels and the cache.

    On an `ImageToImageGAN`, `real_data` holds `(source, target)` pairs
    (a tuple of arrays or a dataset of pairs): the targets are the real
    images, and the generated ones are the translations of the first
    `num_samples` sources (all of them if there are fewer). Then `psnr`
    and `ssim` (`keras_gan_losses.metrics.psnr`/`ssim` of each translation
    against its target, both mapped to [0, 1], mean over the samples; SSIM
    with an 11-pixel window, smaller for images under 11 pixels) are
    logged next to the feature metrics.

    Args:
        real_data (np.ndarray | tuple | tf.data.Dataset): Real images: a NumPy
            array `(n, height, width, channels)`, a tuple `(images, labels)` of
            arrays, or a `tf.data.Dataset`, batched or not, of images, `(images,
            labels)` or dicts with `"image"` (and `"label"`) keys. Use a few
            thousand images.
        feature_extractor (str | keras.Model): `"mnist"` (default,
            `mnist_extractor()`, for 28×28×1 images), `"inception_v3"`
            (`inception_v3_extractor()`, downloads weights once), or a Keras
            model mapping images in [-1, 1] to features `(batch, d)`.
        every_n_epochs (int): Positive int. Defaults to 1.
        metrics (tuple[str, ...]): Names among `"fid"`, `"kid"`, `"precision"`,
            `"recall"`, `"density"` and `"coverage"`. Defaults to `("fid",
            "kid", "precision", "recall")`.
        num_samples (int): Positive int, generated images per evaluation.
            Defaults to 1000.
        batch_size (int): Images per generator and extractor call. Defaults to
            256.
        seed (int): Int seed of the latent batch, the conditional labels and the
            KID subsets. Defaults to 0.
        real_statistics_cache (str | None): Optional `.npz` path: read the
            real features from it if it exists, else write them to it
            (`save_feature_cache`). A `FeatureStatistics.save` file serves
            when `metrics` is `("fid",)`. Delete it when the real data or
            the extractor changes.
        kid_subset_size (int): Samples per KID subset, clipped to the number of
            samples. Defaults to 1000.
        kid_num_subsets (int): KID subsets per evaluation. Defaults to 10 (100
            in the reference implementation; `kid_std` shows the spread).
        num_real_samples (int | None): Optional positive int: use only the first
            this many real images. Required for an infinite (repeated) dataset.
        value_range (tuple[float, float] | None): Optional `(low, high)`, the
            range of the generator's outputs (and of float real images).
            Defaults to the range of the generator's last activation (`tanh` →
            `(-1, 1)`, `sigmoid` → `(0, 1)`), else `(-1, 1)`.
        use_ema (bool | None): Whether to evaluate the EMA generator. Defaults
            to `True` when the GAN keeps one.
        skipped_value (float | None): What to log on epochs without evaluation:
            `None` (default) leaves the keys out; a float (e.g. `float("nan")`)
            is logged under every key.
        classifier (str | keras.Model | None): Opt-in classifier scores
            (`keras_gan_losses.metrics.classifier_scores`): `"mnist"` for
            the shipped `mnist_classifier()` (28×28×1 images), or a Keras
            model mapping images in [-1, 1] to class probabilities `(batch,
            num_classes)`. Adds `recognisable_rate`, `class_coverage` and
            `inception_score` to the logs; the real images' scores, the
            ceiling, are in `real_classifier_scores`. Defaults to `None`
            (off).

    Attributes:
        epoch (list[int]): 0-based indices of the evaluated epochs.
        history (dict[str, list[float]]): Dict from log key to the list of its
            values, one per evaluated epoch.
        real_classifier_scores (dict[str, float] | None): With `classifier`,
            the classifier scores of the real images (the ceiling of the
            logged ones), set at the first evaluation; else `None`.

    Example:

    ```python
    real = keras_gan_losses.data.load_mnist_10k()  # or any real images
    evaluation = keras_gan_losses.callbacks.GANEvaluation(
        real, every_n_epochs=5, num_samples=2000)
    history = gan.fit(dataset, epochs=50, callbacks=[
        evaluation,  # first: the callbacks below read its values
        keras.callbacks.CSVLogger("history.csv"),
        keras.callbacks.ModelCheckpoint("best.keras", monitor="fid",
                                        mode="min", save_best_only=True),
    ])
    history.history["fid"]
    ```
    """

    def __init__(
        self,
        real_data,
        feature_extractor="mnist",
        every_n_epochs=1,
        metrics=("fid", "kid", "precision", "recall"),
        num_samples=1000,
        batch_size=256,
        seed=0,
        real_statistics_cache=None,
        kid_subset_size=1000,
        kid_num_subsets=10,
        num_real_samples=None,
        value_range=None,
        use_ema=None,
        skipped_value=None,
        classifier=None,
    ):
        super().__init__()
        if isinstance(classifier, str):
            if classifier != "mnist":
                raise ValueError(
                    "`classifier` must be 'mnist', a Keras model or None. "
                    f"Received: {classifier!r}"
                )
        elif classifier is not None and not callable(classifier):
            raise TypeError(
                "`classifier` must be 'mnist', a Keras model or None. "
                f"Received: {classifier!r}"
            )
        self.classifier = classifier
        self.real_classifier_scores = None
        self._classifier = None
        if isinstance(feature_extractor, str):
            if feature_extractor not in EXTRACTORS:
                raise ValueError(
                    "`feature_extractor` must be one of "
                    f"{sorted(EXTRACTORS)} or a Keras model. Received: "
                    f"{feature_extractor!r}"
                )
        elif not callable(feature_extractor):
            raise TypeError(
                "`feature_extractor` must be a name or a Keras model. "
                f"Received: {feature_extractor!r}"
            )
        metrics = check_metric_names(metrics)
        self.real_data = _check_real_data(real_data)
        self.feature_extractor = feature_extractor
        self.every_n_epochs = positive_int("every_n_epochs", every_n_epochs)
        self.metrics = metrics
        self.num_samples = positive_int("num_samples", num_samples)
        self.batch_size = positive_int("batch_size", batch_size)
        self.seed = check_seed(seed)
        if self.seed is None:
            raise TypeError("`seed` must be an int.")
        self.real_statistics_cache = _npz_path(real_statistics_cache)
        self.kid_subset_size = positive_int("kid_subset_size",
                                            kid_subset_size)
        self.kid_num_subsets = positive_int("kid_num_subsets",
                                            kid_num_subsets)
        self.num_real_samples = (
            None if num_real_samples is None
            else positive_int("num_real_samples", num_real_samples)
        )
        self.value_range = (
            None if value_range is None else check_value_range(value_range)
        )
        self.use_ema = use_ema
        self.skipped_value = (
            None if skipped_value is None else float(skipped_value)
        )
        self.epoch = []
        self.history = {}
        self._extractor = None
        self._real = None
        self._pairs = None
        self._translating = False
        self._first_epoch = True

    @property
    def log_keys(self):
        """The keys this callback adds to the logs, in order."""
        keys = metric_keys(self.metrics)
        if self.classifier is not None:
            keys += list(CLASSIFIER_SCORE_KEYS)
        if self._translating:
            keys += list(PAIR_KEYS)
        return keys

    def on_train_begin(self, logs=None):
        check_gan(self.model, type(self).__name__)
        self._translating = is_image_to_image(self.model)
        self._first_epoch = True
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        """Computes the metrics if `epoch` is due and adds them to `logs`."""
        due = self._first_epoch or epoch_due(
            epoch, self.every_n_epochs, self.params
        )
        self._first_epoch = False
        if due:
            results = self.evaluate()
            self.epoch.append(epoch)
            for key, value in results.items():
                self.history.setdefault(key, []).append(value)
        elif self.skipped_value is not None:
            results = dict.fromkeys(self.log_keys, self.skipped_value)
        else:
            return
        if logs is not None:
            logs.update(results)

    def evaluate(self, gan=None):
        """Computes the metrics for the current weights of a GAN.

        Args:
            gan (GAN | None): A `keras_gan_losses.GAN`. Defaults to the model
                the callback is attached to.

        Returns:
            dict[str, float]: A dict from log key to a Python float.
        """
        gan = check_gan(gan if gan is not None else self.model,
                        type(self).__name__)
        extractor = self._get_extractor()
        real_features, real_stats, real_labels = self._real_side(gan)
        fake_range = self._generator_range(gan)
        if is_image_to_image(gan):
            source, target = self._source_target(gan)
            images = gan.generate(source, use_ema=self.use_ema,
                                  batch_size=self.batch_size)
            pair_scores = _pair_scores(images, target, fake_range)
        else:
            images = gan.generate(
                self.num_samples,
                labels=self._fake_labels(gan, real_labels),
                seed=self.seed,
                use_ema=self.use_ema,
                batch_size=self.batch_size,
            )
            pair_scores = {}
        images = _to_unit_range(
            np.clip(images.astype(np.float32), *fake_range), fake_range
        )
        fake = compute_features(extractor, images, self.batch_size)
        results = evaluate_features(
            real_features if real_features is not None else real_stats,
            fake, self.metrics, kid_subset_size=self.kid_subset_size,
            kid_num_subsets=self.kid_num_subsets, seed=self.seed,
        )
        if self.classifier is not None:
            classifier = self._get_classifier()
            if self.real_classifier_scores is None:
                real = np.concatenate([
                    classifier_probabilities(batch, classifier,
                                             self.batch_size)
                    for batch, _ in self._real_unit_batches(gan)
                ])
                self.real_classifier_scores = classifier_scores(real)
            results.update(classifier_scores(classifier_probabilities(
                images, classifier, self.batch_size)))
        results.update(pair_scores)
        return results

    def _source_target(self, gan):
        """The first `num_samples` `(source, target)` pairs of `real_data`,
        NumPy arrays, read once."""
        if self._pairs is None:
            sources, targets, taken = [], [], 0
            for source, target in self._real_batches(gan):
                if target is None:
                    raise ValueError(
                        "On an ImageToImageGAN, `real_data` holds (source, "
                        "target) pairs: a tuple of arrays or a dataset of "
                        "pairs."
                    )
                sources.append(source[:self.num_samples - taken])
                targets.append(target[:self.num_samples - taken])
                taken += len(sources[-1])
                if taken >= self.num_samples:
                    break
            self._pairs = (np.concatenate(sources), np.concatenate(targets))
        return self._pairs

    # ------------------------------------------------------------------

    def _get_extractor(self):
        if self._extractor is None:
            extractor = self.feature_extractor
            if isinstance(extractor, str):
                extractor = EXTRACTORS[extractor]()
            self._extractor = extractor
        return self._extractor

    def _get_classifier(self):
        if self._classifier is None:
            self._classifier = (
                mnist_classifier() if self.classifier == "mnist"
                else self.classifier
            )
        return self._classifier

    def _generator_range(self, gan):
        if self.value_range is None:
            self.value_range = (
                activation_value_range(gan.pick_generator(self.use_ema))
                or (-1.0, 1.0)
            )
        return self.value_range

    def _real_side(self, gan):
        """`(features, statistics, labels)`; features is None for a cache
        holding statistics only, labels None without real labels."""
        if self._real is None:
            path = self.real_statistics_cache
            if path is not None and atomic.exists(path):
                self._real = self._load_cache(path)
            else:
                self._real = self._compute_real(gan)
                if path is not None and is_chief():
                    save_feature_cache(path, *self._real)
        return self._real

    def _compute_real(self, gan):
        extractor = self._get_extractor()
        features, labels = [], []
        for images, batch_labels in self._real_unit_batches(gan):
            features.append(
                compute_features(extractor, images, self.batch_size)
            )
            if batch_labels is not None:
                labels.append(np.asarray(batch_labels).reshape(-1))
        if not features:
            raise ValueError("`real_data` holds no images.")
        features = np.concatenate(features, axis=0)
        stats = FeatureStatistics()
        stats.update_state(features)
        labels = np.concatenate(labels) if labels else None
        return features, stats, labels

    def _real_unit_batches(self, gan):
        """The real `(images in [-1, 1], labels or None)` batches, up to
        `num_real_samples` images."""
        fake_range = self._generator_range(gan)
        taken = 0
        for images, batch_labels in self._real_batches(gan):
            if is_image_to_image(gan):
                # (source, target) pairs: the targets are the real images.
                images, batch_labels = batch_labels, None
            if self.num_real_samples is not None:
                images = images[:self.num_real_samples - taken]
                if batch_labels is not None:
                    batch_labels = batch_labels[:len(images)]
            if len(images) == 0:
                break
            real_range = (
                (0.0, 255.0) if np.issubdtype(images.dtype, np.integer)
                else fake_range
            )
            yield _to_unit_range(images, real_range), batch_labels
            taken += len(images)
            if self.num_real_samples is not None and (
                taken >= self.num_real_samples
            ):
                break

    def _real_batches(self, gan):
        data = self.real_data
        if not lazy.is_dataset(data):
            images, labels = data
            for start in range(0, len(images), self.batch_size):
                stop = start + self.batch_size
                yield images[start:stop], (
                    None if labels is None else labels[start:stop]
                )
            return
        if (data.cardinality() == tf.data.INFINITE_CARDINALITY
                and self.num_real_samples is None):
            raise ValueError(
                "`real_data` is an infinite dataset: pass "
                "`num_real_samples=` to take that many images from it."
            )
        image_spec, _ = _split(data.element_spec)
        rank = len(gan.image_shape) + 1
        if image_spec.shape.rank == rank - 1:
            data = data.batch(self.batch_size)
        elif image_spec.shape.rank != rank:
            raise ValueError(
                f"`real_data` yields images of shape {image_spec.shape}; "
                f"the GAN makes images of shape {gan.image_shape}."
            )
        for element in data:
            images, labels = _split(element)
            yield images.numpy(), (
                None if labels is None else labels.numpy()
            )

    def _fake_labels(self, gan, real_labels):
        if gan.num_classes is None or real_labels is None:
            return None
        if real_labels.ndim != 1 or not np.issubdtype(
            real_labels.dtype, np.integer
        ):
            return None
        shuffled = np.random.default_rng(self.seed).permutation(real_labels)
        return np.resize(shuffled, self.num_samples).astype(np.int32)

    def _load_cache(self, path):
        features, stats, labels = load_feature_cache(path)
        if features is None and self.metrics != ("fid",):
            raise ValueError(
                f"{path} holds feature statistics but no features; "
                f"metrics {self.metrics} other than FID need the features. "
                "Delete the file to recompute them."
            )
        return features, stats, labels


def _check_real_data(real_data):
    """`real_data` as a dataset or as `(images, labels or None)`."""
    if lazy.is_dataset(real_data):
        return real_data
    labels = None
    if isinstance(real_data, (tuple, list)) and len(real_data) == 2:
        real_data, labels = real_data
        labels = np.asarray(labels)
    images = np.asarray(real_data)
    if images.ndim < 3 or len(images) == 0:
        raise ValueError(
            "`real_data` must be a non-empty array of images (n, height, "
            "width[, channels]), a tuple (images, labels) or a "
            f"tf.data.Dataset. Received shape {images.shape}"
        )
    if labels is not None and len(labels) != len(images):
        raise ValueError(
            f"`real_data` has {len(images)} images but {len(labels)} labels."
        )
    return images, labels


def _split(element):
    """`(images, labels)` of a dataset element (or its spec)."""
    if isinstance(element, (tuple, list)):
        return element[0], (element[1] if len(element) > 1 else None)
    if isinstance(element, dict):
        if "image" not in element:
            raise ValueError(
                "Dataset elements that are dicts need an 'image' key. "
                f"Received keys {sorted(element)}"
            )
        return element["image"], element.get("label")
    return element, None


def _pair_scores(images, target, value_range):
    """Mean PSNR and SSIM of translations against their targets, both
    clipped to `value_range` (targets may exceed it by a few percent)."""
    images, target = (
        np.clip(np.asarray(a, np.float32), *value_range)
        for a in (images, target)
    )
    window = min(11, *images.shape[1:3])
    return {
        "psnr": psnr(images, target, value_range),
        "ssim": ssim(images, target, value_range, filter_size=window),
    }


def _to_unit_range(images, value_range):
    scale, offset = affine_for_range(value_range)
    return (np.asarray(images, np.float32) * np.float32(scale)
            + np.float32(offset))


def _npz_path(path):
    if path is None:
        return None
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"
