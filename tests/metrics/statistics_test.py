"""Streaming statistics and batch-by-batch feature extraction."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan_losses import metrics


def features(n, d, seed, offset=0.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + offset


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_streaming_matches_numpy(offset):
    x = features(103, 6, seed=0, offset=offset)
    stats = metrics.FeatureStatistics()
    for start, stop in [(0, 1), (1, 40), (40, 41), (41, 100), (100, 103)]:
        stats.update_state(x[start:stop])
    assert stats.count == 103
    np.testing.assert_allclose(stats.mean, np.mean(x, axis=0), rtol=1e-12)
    # A large common offset must not cost precision (no raw sums of
    # squares): the covariance does not depend on it.
    np.testing.assert_allclose(
        stats.covariance, np.cov(x - offset, rowvar=False), rtol=1e-7,
        atol=1e-7,
    )
    assert stats.mean.dtype == np.float64
    assert stats.covariance.dtype == np.float64


def test_float32_batches_accumulate_in_float64():
    x = features(50, 3, seed=1).astype("float32")
    stats = metrics.FeatureStatistics()
    stats.update_state(x[:25])
    stats.update_state(x[25:])
    np.testing.assert_allclose(
        stats.covariance, np.cov(x.astype("float64"), rowvar=False),
        rtol=1e-12,
    )


def test_save_load_round_trip(tmp_path):
    x = features(60, 4, seed=2)
    stats = metrics.FeatureStatistics()
    stats.update_state(x[:30])
    stats.save(tmp_path / "real_stats.npz")
    loaded = metrics.FeatureStatistics.load(tmp_path / "real_stats.npz")
    assert loaded.count == 30
    np.testing.assert_allclose(loaded.mean, np.mean(x[:30], axis=0))
    np.testing.assert_allclose(
        loaded.covariance, np.cov(x[:30], rowvar=False), rtol=1e-12
    )
    # Loaded statistics keep accumulating correctly.
    loaded.update_state(x[30:])
    np.testing.assert_allclose(
        loaded.covariance, np.cov(x, rowvar=False), rtol=1e-12
    )
    with np.load(tmp_path / "real_stats.npz") as arrays:
        assert sorted(arrays.files) == ["count", "covariance", "mean"]


def test_load_rejects_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", mu=np.zeros(2))
    with pytest.raises(ValueError, match="missing"):
        metrics.FeatureStatistics.load(tmp_path / "other.npz")


def test_feature_cache_round_trip(tmp_path):
    from keras_gan_losses.metrics.statistics import load_feature_cache
    from keras_gan_losses.metrics.statistics import save_feature_cache

    x = features(30, 4, seed=2).astype(np.float32)
    labels = np.arange(30) % 3
    stats = metrics.FeatureStatistics()
    stats.update_state(x)
    path = str(tmp_path / "new" / "folder" / "cache.npz")
    save_feature_cache(path, x, stats, labels)
    loaded, loaded_stats, loaded_labels = load_feature_cache(path)
    assert loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded, x)
    np.testing.assert_array_equal(loaded_labels, labels)
    assert loaded_stats.count == 30
    np.testing.assert_allclose(loaded_stats.covariance,
                               np.cov(x.astype(np.float64), rowvar=False),
                               rtol=1e-12)
    # FeatureStatistics.load reads the same file.
    np.testing.assert_allclose(metrics.FeatureStatistics.load(path).mean,
                               x.astype(np.float64).mean(axis=0),
                               rtol=1e-12)
    save_feature_cache(path, x, stats)
    assert load_feature_cache(path)[2] is None
    # A file of FeatureStatistics.save holds statistics only.
    stats_path = tmp_path / "stats.npz"
    stats.save(stats_path)
    none, only, no_labels = load_feature_cache(str(stats_path))
    assert none is None and no_labels is None and only.count == 30
    np.testing.assert_allclose(only.mean, stats.mean, rtol=1e-12)


def test_errors_and_reset():
    stats = metrics.FeatureStatistics()
    with pytest.raises(ValueError, match="update_state"):
        _ = stats.mean
    stats.update_state(np.ones((1, 3)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        _ = stats.covariance
    with pytest.raises(ValueError, match="dimension 3"):
        stats.update_state(np.ones((2, 4)))
    with pytest.raises(ValueError, match="2-D"):
        stats.update_state(np.ones(3))
    stats.reset_state()
    assert stats.count == 0
    stats.update_state(np.ones((2, 4)))
    assert stats.mean.shape == (4,)


def test_fid_from_statistics_matches_fid_of_features():
    x, y = features(80, 5, seed=3), features(70, 5, seed=4, offset=1.0)
    real, fake = metrics.FeatureStatistics(), metrics.FeatureStatistics()
    for i in range(0, 80, 32):
        real.update_state(x[i:i + 32])
    fake.update_state(y)
    np.testing.assert_allclose(
        metrics.fid_from_statistics(real, fake),
        metrics.frechet_distance(x, y),
        rtol=1e-9,
    )


@pytest.fixture(scope="module")
def linear_extractor():
    """A Keras model whose features are a NumPy matmul: x.reshape(n, -1) @ W."""
    weights = np.random.default_rng(5).normal(size=(16, 3)).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(4, 4, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(3, use_bias=False),
    ])
    model.layers[-1].set_weights([weights])
    return model, weights


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(6)
    return rng.uniform(-1, 1, size=(23, 4, 4, 1)).astype("float32")


def expected_features(images, weights):
    return images.reshape(len(images), -1).astype("float64") @ weights


@pytest.mark.parametrize(
    "make",
    [
        lambda x, y: x,
        lambda x, y: x[..., 0],  # grayscale without the channel axis
        lambda x, y: tf.data.Dataset.from_tensor_slices(x),
        lambda x, y: tf.data.Dataset.from_tensor_slices(x).batch(5),
        lambda x, y: tf.data.Dataset.from_tensor_slices((x, y)),
        lambda x, y: tf.data.Dataset.from_tensor_slices((x, y)).batch(7),
        lambda x, y: tf.data.Dataset.from_tensor_slices(
            {"image": x, "label": y}).batch(4),
    ],
    ids=["array", "array_no_channel", "dataset", "batched", "labelled",
         "labelled_batched", "dict_batched"],
)
def test_compute_features(linear_extractor, images, make):
    model, weights = linear_extractor
    labels = np.arange(len(images))
    result = metrics.compute_features(model, make(images, labels),
                                      batch_size=10)
    assert result.shape == (23, 3)
    np.testing.assert_allclose(
        result, expected_features(images, weights), rtol=1e-5, atol=1e-5
    )


def test_compute_statistics(linear_extractor, images):
    model, weights = linear_extractor
    stats = metrics.compute_statistics(model, images, batch_size=4)
    expected = expected_features(images, weights)
    assert stats.count == 23
    np.testing.assert_allclose(
        stats.mean, expected.mean(axis=0), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        stats.covariance, np.cov(expected, rowvar=False), rtol=1e-5,
        atol=1e-6,
    )


def test_plain_callable_extractor(images):
    result = metrics.compute_features(
        lambda batch: np.asarray(batch).reshape(len(batch), -1)[:, :2],
        images, batch_size=8,
    )
    np.testing.assert_array_equal(result, images.reshape(23, -1)[:, :2])


def test_compute_features_errors(linear_extractor, images):
    model, _ = linear_extractor
    with pytest.raises(ValueError, match="empty"):
        metrics.compute_features(model, images[:0])
    with pytest.raises(ValueError, match="rank 3"):
        metrics.compute_features(
            model, tf.data.Dataset.from_tensor_slices(images[:, :, 0, 0]))
    with pytest.raises(ValueError, match=r"\(batch, d\)"):
        metrics.compute_features(lambda batch: batch, images)
    with pytest.raises(ValueError, match="batch_size"):
        metrics.compute_features(model, images, batch_size=0)
    with pytest.raises(ValueError, match="'image' key"):
        metrics.compute_features(
            model, tf.data.Dataset.from_tensor_slices({"x": images}))
