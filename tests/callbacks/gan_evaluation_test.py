"""`GANEvaluation`: sample-quality metrics in the epoch logs."""

import csv
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import CLASSES
from nets import IMAGE
from nets import conditional_discriminator
from nets import gan
from nets import generator
from nets import images
from nets import label_generator

from keras_gan_losses.callbacks import GANEvaluation
from keras_gan_losses.data import to_uint8
from keras_gan_losses.metrics import FeatureStatistics
from keras_gan_losses.metrics import classifier_scores
from keras_gan_losses.metrics import density_coverage
from keras_gan_losses.metrics import frechet_distance
from keras_gan_losses.metrics import kernel_inception_distance
from keras_gan_losses.metrics import precision_recall

REAL = images(40, seed=1)


def flatten():
    """A cheap feature extractor: the pixels themselves."""
    return keras.Sequential([keras.Input(IMAGE), keras.layers.Flatten()])


def flat(array):
    return np.asarray(array, np.float64).reshape(len(array), -1)


def evaluation(real=REAL, **kwargs):
    kwargs.setdefault("num_samples", 32)
    return GANEvaluation(real, feature_extractor=flatten(), **kwargs)


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


@pytest.mark.backends
def test_values_reach_history_csv_logger_and_later_callbacks(tmp_path):
    model = gan()
    callback = evaluation(metrics=("fid", "kid", "precision", "recall",
                                   "density", "coverage"))
    before, after = Recorder(), Recorder()
    csv_path = tmp_path / "history.csv"
    history = model.fit(
        images(16), batch_size=8, epochs=2, verbose=0,
        callbacks=[before, callback, keras.callbacks.CSVLogger(csv_path),
                   after],
    )
    keys = ["fid", "kid", "kid_std", "precision", "recall", "density",
            "coverage"]
    assert callback.log_keys == keys
    for key in keys:
        assert len(history.history[key]) == 2
        assert history.history[key] == callback.history[key]
        assert all(math.isfinite(v) for v in history.history[key])
        assert key in after.logs[1] and key not in before.logs[1]
    assert callback.epoch == [0, 1]
    with open(csv_path) as file:
        rows = list(csv.DictReader(file))
    assert [float(row["fid"]) for row in rows] == history.history["fid"]
    assert [float(row["kid"]) for row in rows] == history.history["kid"]

    # The last values are the metrics of the final weights, by hand.
    real = flat(REAL)
    fake = flat(model.generate(32, seed=0))
    assert history.history["fid"][-1] == pytest.approx(
        frechet_distance(real, fake), rel=1e-9)
    kid, kid_std = kernel_inception_distance(real, fake, num_subsets=10,
                                             seed=0)
    assert history.history["kid"][-1] == pytest.approx(kid, rel=1e-6)
    assert history.history["kid_std"][-1] == pytest.approx(kid_std,
                                                           rel=1e-6)
    pr = precision_recall(real, fake)
    dc = density_coverage(real, fake)
    for key, value in {**pr, **dc}.items():
        assert history.history[key][-1] == pytest.approx(value)
    # Training moved the generator, so the FID changed.
    assert history.history["fid"][0] != history.history["fid"][1]


def _simulate_fit(model, callbacks, epochs):
    """Calls the hooks as `fit` does (History last), without training;
    returns the History."""
    callbacks = keras.callbacks.CallbackList(
        callbacks, add_history=True, model=model, epochs=epochs, steps=1,
        verbose=0,
    )
    model.stop_training = False
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, {"d_loss": 1.0})
        if model.stop_training:
            break
    callbacks.on_train_end()
    return model.history


def _csv_rows(path):
    with open(path) as file:
        return list(csv.DictReader(file))


def test_skipped_epochs_leave_the_keys_out(tmp_path):
    callback = evaluation(every_n_epochs=3, metrics=("fid",))
    history = _simulate_fit(gan(), [
        callback, keras.callbacks.CSVLogger(tmp_path / "log.csv")], 5)
    # The first epoch, epoch 3 and the last epoch (0-based 0, 2, 4).
    assert callback.epoch == [0, 2, 4]
    assert len(history.history["fid"]) == 3
    assert len(history.history["d_loss"]) == 5
    rows = _csv_rows(tmp_path / "log.csv")
    assert [row["fid"] != "NA" for row in rows] == [
        True, False, True, False, True]


def test_skipped_value_nan(tmp_path):
    callback = evaluation(every_n_epochs=3, metrics=("fid",),
                          skipped_value=float("nan"))
    history = _simulate_fit(gan(), [
        callback, keras.callbacks.CSVLogger(tmp_path / "log.csv")], 4)
    fid = history.history["fid"]
    assert [math.isnan(v) for v in fid] == [False, True, False, False]
    assert _csv_rows(tmp_path / "log.csv")[1]["fid"] == "nan"


def test_early_stopping_patience_counts_evaluations():
    # Without training the FID stays the same: no improvement after the
    # first evaluation (epoch 0); the second is after epoch 4 (index 3).
    stopper = keras.callbacks.EarlyStopping(monitor="fid", mode="min",
                                            patience=1)
    callback = evaluation(every_n_epochs=4, metrics=("fid",))
    with pytest.warns(UserWarning, match="`fid` which is not available"):
        history = _simulate_fit(gan(), [callback, stopper], 10)
    assert len(history.history["d_loss"]) == 4
    assert callback.epoch == [0, 3]
    assert stopper.best == callback.history["fid"][0]


def test_early_stopping_counts_nan_epochs():
    stopper = keras.callbacks.EarlyStopping(monitor="fid", mode="min",
                                            patience=1)
    callback = evaluation(every_n_epochs=4, metrics=("fid",),
                          skipped_value=float("nan"))
    history = _simulate_fit(gan(), [callback, stopper], 10)
    # The NaN of epoch index 1 counts as an epoch without improvement.
    assert len(history.history["d_loss"]) == 2
    assert stopper.best == callback.history["fid"][0]


def test_real_data_forms_give_the_same_values():
    model = gan()
    expected = evaluation().evaluate(model)
    labels = np.arange(len(REAL)) % 3
    datasets = [
        tf.data.Dataset.from_tensor_slices(REAL).batch(7),
        tf.data.Dataset.from_tensor_slices(REAL),
        tf.data.Dataset.from_tensor_slices((REAL, labels)).batch(16),
        tf.data.Dataset.from_tensor_slices({"image": REAL}),
        tf.data.Dataset.from_tensor_slices(REAL).repeat(),
    ]
    for dataset in datasets:
        got = evaluation(dataset, num_real_samples=len(REAL),
                         batch_size=5).evaluate(model)
        assert got == pytest.approx(expected, rel=1e-6), dataset
    assert evaluation((REAL, labels)).evaluate(model) == pytest.approx(
        expected, rel=1e-9)
    # The first 20 images only.
    subset = evaluation(REAL[:20]).evaluate(model)
    assert evaluation(REAL, num_real_samples=20).evaluate(model) == \
        pytest.approx(subset, rel=1e-9)
    assert subset["fid"] != pytest.approx(expected["fid"])


def test_uint8_real_images_are_mapped_from_0_255():
    model = gan()
    floats = evaluation(metrics=("fid",)).evaluate(model)["fid"]
    pixels = evaluation(to_uint8(REAL), metrics=("fid",)).evaluate(model)
    # Equal up to the rounding to 8 bits (a wrong scale would be far off).
    assert pixels["fid"] == pytest.approx(floats, abs=0.05)


def test_real_statistics_cache(tmp_path):
    model = gan()
    path = tmp_path / "real_stats"
    first = evaluation(real_statistics_cache=path).evaluate(model)
    stored = tmp_path / "real_stats.npz"
    assert stored.exists()
    stats = FeatureStatistics.load(stored)
    assert stats.count == len(REAL)
    np.testing.assert_allclose(stats.mean, flat(REAL).mean(axis=0),
                               rtol=1e-6)
    # Later runs read the cache, not the (here different) real data.
    other = np.zeros_like(REAL)
    again = evaluation(other, real_statistics_cache=stored).evaluate(model)
    assert again == pytest.approx(first, rel=1e-6)
    assert evaluation(other).evaluate(model)["fid"] != pytest.approx(
        first["fid"])


def test_statistics_file_as_cache_for_fid_only(tmp_path):
    model = gan()
    path = tmp_path / "stats.npz"
    stats = FeatureStatistics()
    stats.update_state(flat(REAL))
    stats.save(path)
    fid = evaluation(np.zeros_like(REAL), metrics="fid",
                     real_statistics_cache=path).evaluate(model)["fid"]
    assert fid == pytest.approx(
        evaluation(metrics="fid").evaluate(model)["fid"], rel=1e-6)
    with pytest.raises(ValueError, match="no features"):
        evaluation(real_statistics_cache=path).evaluate(model)


def test_conditional_labels_follow_the_real_labels():
    def conditional_gan():
        return gan(label_generator(), conditional_discriminator(),
                   num_classes=CLASSES)

    # Real images of class 1 only, with value 1 everywhere.
    real = np.ones((20,) + IMAGE, "float32")
    kwargs = dict(metrics=("fid",), value_range=(0, 2), num_samples=20)
    labelled = evaluation((real, np.ones(20, "int32")), **kwargs)
    assert labelled.evaluate(conditional_gan())["fid"] == pytest.approx(
        0.0, abs=1e-9)
    # Without real labels the classes cycle: 0, 1, 2, 0, ...
    unlabelled = evaluation(real, **kwargs)
    assert unlabelled.evaluate(conditional_gan())["fid"] > 0.1


def test_mnist_extractor_by_name():
    shape = (28, 28, 1)
    model = gan(generator(shape), keras.Sequential([
        keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(1)]))
    real = images(12, image=shape)
    results = GANEvaluation(real, "mnist", num_samples=12,
                            metrics=("fid", "precision")).evaluate(model)
    assert list(results) == ["fid", "precision"]
    assert results["fid"] > 0 and 0 <= results["precision"] <= 1


def softmax_classifier():
    """A small classifier: a seeded linear map of the pixels to 3 classes."""
    keras.utils.set_random_seed(5)
    return keras.Sequential([
        keras.Input(IMAGE), keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax")])


def test_classifier_scores_of_samples_and_real_ceiling(tmp_path):
    model = gan()
    classifier = softmax_classifier()
    callback = evaluation(metrics=("fid",), classifier=classifier,
                          every_n_epochs=3, skipped_value=float("nan"))
    assert callback.log_keys == ["fid", "recognisable_rate",
                                 "class_coverage", "inception_score"]
    history = _simulate_fit(model, [callback], 3)  # evaluates 0 and 2
    # The tanh generator's images are in [-1, 1] already: scored as made.
    fake = keras.ops.convert_to_numpy(classifier(model.generate(32, seed=0)))
    expected = classifier_scores(fake)
    for key, value in expected.items():
        values = history.history[key]
        assert values[0] == pytest.approx(value, rel=1e-6)
        assert math.isnan(values[1]) and values[2] == values[0]
    assert 1.0 < expected["inception_score"] < 3.0
    real = keras.ops.convert_to_numpy(classifier(REAL))
    assert callback.real_classifier_scores == pytest.approx(
        classifier_scores(real), rel=1e-6)
    assert callback.real_classifier_scores != pytest.approx(expected)
    # Off by default.
    assert "inception_score" not in evaluation().evaluate(model)
    assert evaluation().real_classifier_scores is None


def test_mnist_classifier_by_name():
    shape = (28, 28, 1)
    model = gan(generator(shape), keras.Sequential([
        keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(1)]))
    # 12 real MNIST test digits, two of each of six classes.
    from keras_gan_losses.data import load_mnist_10k
    digits, labels = load_mnist_10k()
    picked = np.concatenate([np.flatnonzero(labels == c)[:2]
                             for c in range(6)])
    real = digits[picked].reshape(-1, 28, 28, 1)  # uint8: 0..255
    callback = GANEvaluation(real, "mnist", num_samples=12,
                             metrics=("fid",), classifier="mnist")
    results = callback.evaluate(model)
    assert 0.0 <= results["recognisable_rate"] <= 1.0
    ceiling = callback.real_classifier_scores
    assert ceiling["recognisable_rate"] > 0.9
    # Six classes equally often out of ten: exp(log 6) / 10.
    assert ceiling["class_coverage"] == pytest.approx(0.6)


def test_argument_errors():
    with pytest.raises(ValueError, match="metrics"):
        GANEvaluation(REAL, metrics=("fid", "is"))
    with pytest.raises(ValueError, match="feature_extractor"):
        GANEvaluation(REAL, feature_extractor="vgg")
    with pytest.raises(ValueError, match="classifier"):
        GANEvaluation(REAL, classifier="inception")
    with pytest.raises(TypeError, match="classifier"):
        GANEvaluation(REAL, classifier=3)
    with pytest.raises(ValueError, match="every_n_epochs"):
        GANEvaluation(REAL, every_n_epochs=0)
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        GANEvaluation((REAL[:2], [0, 1, 2]))
    with pytest.raises(ValueError, match="non-empty array of images"):
        GANEvaluation(np.zeros((0, 4, 4, 1)))
    infinite = tf.data.Dataset.from_tensor_slices(REAL).repeat()
    with pytest.raises(ValueError, match="num_real_samples"):
        evaluation(infinite).evaluate(gan())
