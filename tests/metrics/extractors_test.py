"""Feature extractors: the shipped MNIST classifier and InceptionV3.

Nothing here downloads: InceptionV3 is built with `weights=None`.
"""

import pathlib

import keras
import numpy as np
import pytest

from keras_gan_losses import metrics
from keras_gan_losses.data import load_mnist_10k
from keras_gan_losses.metrics import extractors


@pytest.fixture(scope="module")
def mnist_test_set():
    # The shipped mnist_10k is the MNIST test split, bit for bit (see
    # tests/data/idx_test.py), which the classifier never saw in training.
    images, labels = load_mnist_10k()
    images = images.reshape(-1, 28, 28, 1)[:2000] / 127.5 - 1.0
    return images.astype("float32"), labels[:2000]


@pytest.fixture(scope="module")
def classifier():
    return metrics.mnist_classifier()


def test_shipped_weights_are_small():
    path = pathlib.Path(extractors.__file__).parent / extractors.MNIST_WEIGHTS
    assert path.exists()
    assert path.stat().st_size <= 2_000_000


def test_mnist_extractor_loads_offline():
    extractor = metrics.mnist_extractor()
    features = keras.ops.convert_to_numpy(
        extractor(np.zeros((3, 28, 28, 1), "float32"))
    )
    assert features.shape == (3, 128)
    assert np.all(np.isfinite(features)) and np.all(features >= 0.0)


def test_mnist_classifier_accuracy(classifier, mnist_test_set):
    images, labels = mnist_test_set
    probabilities = classifier.predict(images, batch_size=500, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    accuracy = np.mean(np.argmax(probabilities, axis=1) == labels)
    assert accuracy >= 0.985


def test_features_are_the_penultimate_layer(classifier, mnist_test_set):
    # softmax(features @ W + b) with the last layer's weights, in NumPy,
    # must give the classifier's own probabilities.
    images = mnist_test_set[0][:64]
    features = metrics.compute_features(metrics.mnist_extractor(), images)
    kernel, bias = classifier.get_layer("probabilities").get_weights()
    logits = features.astype("float64") @ kernel + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        classifier.predict(images, verbose=0), expected, atol=1e-5
    )


def test_mnist_fid_separates_digits_from_noise(mnist_test_set):
    images = mnist_test_set[0]
    extractor = metrics.mnist_extractor()
    real = metrics.compute_features(extractor, images[:1000])
    other = metrics.compute_features(extractor, images[1000:])
    noise = np.random.default_rng(0).uniform(-1, 1, images[:1000].shape)
    fake = metrics.compute_features(extractor, noise)
    assert 10 * metrics.frechet_distance(real, other) < (
        metrics.frechet_distance(real, fake))


def test_mnist_classifier_weights_argument(classifier, tmp_path):
    path = pathlib.Path(extractors.__file__).parent / extractors.MNIST_WEIGHTS
    from_path = metrics.mnist_classifier(weights=path)
    for a, b in zip(classifier.get_weights(), from_path.get_weights()):
        np.testing.assert_array_equal(a, b)
    untrained = metrics.mnist_classifier(weights=None)
    assert not np.array_equal(
        untrained.get_weights()[0], classifier.get_weights()[0])
    with pytest.raises(ValueError, match="existing"):
        metrics.mnist_classifier(weights=tmp_path / "missing.weights.h5")


@pytest.fixture(scope="module")
def inception():
    return metrics.inception_v3_extractor(weights=None)


@pytest.mark.parametrize("shape", [(2, 32, 40, 3), (1, 28, 28, 1)])
def test_inception_v3_extractor_shape(inception, shape):
    images = np.random.default_rng(0).uniform(-1, 1, shape)
    features = keras.ops.convert_to_numpy(inception(images))
    assert features.shape == (shape[0], 2048)
    assert np.all(np.isfinite(features))


def test_inception_v3_resizing():
    layer = metrics.InceptionV3Resizing()
    gray = np.random.default_rng(1).uniform(-1, 1, (2, 28, 28, 1))
    rgb = keras.ops.convert_to_numpy(layer(gray))
    assert rgb.shape == (2, 299, 299, 3)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 1])
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    # Bilinear resizing keeps the value range and a constant image.
    assert rgb.min() >= gray.min() - 1e-6 and rgb.max() <= gray.max() + 1e-6
    constant = keras.ops.convert_to_numpy(layer(np.full((1, 5, 7, 3), 0.25)))
    np.testing.assert_allclose(constant, 0.25, rtol=1e-6)
    with pytest.raises(ValueError, match="RGB or grayscale"):
        layer(np.zeros((1, 8, 8, 2)))
    restored = metrics.InceptionV3Resizing.from_config(
        metrics.InceptionV3Resizing(size=64).get_config())
    assert restored.size == 64


def test_inception_v3_offline_error(monkeypatch):
    def offline_get_file(*args, **kwargs):
        raise Exception("URL fetch failure: [Errno -3] name resolution")

    monkeypatch.setattr(keras.utils, "get_file", offline_get_file)
    with pytest.raises(RuntimeError, match="weights='/path/to/") as info:
        metrics.inception_v3_extractor()
    assert extractors.INCEPTION_V3_WEIGHTS_FILE in str(info.value)
    assert "URL fetch failure" in str(info.value)


def test_inception_v3_bad_weights(tmp_path):
    with pytest.raises(ValueError, match="'imagenet', None or the path"):
        metrics.inception_v3_extractor(weights=tmp_path / "missing.h5")
