"""TensorFlow Datasets sources, on mocked data: never a download."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_gan_losses.data import DatasetUnavailableError
from keras_gan_losses.data import NoLabelsError
from keras_gan_losses.data import load_images


def test_mnist_images_and_labels():
    with tfds.testing.mock_data(num_examples=10):
        dataset = load_images("mnist", batch_size=5, with_labels=True,
                              seed=0)
        batches = list(dataset)
    assert dataset.class_names == [str(d) for d in range(10)]
    assert len(batches) == 2
    for images, labels in batches:
        assert images.shape == (5, 28, 28, 1) and images.dtype == "float32"
        assert labels.shape == (5,) and labels.dtype == "int32"
        assert np.all((labels >= 0) & (labels < 10))
        assert -1.0 <= float(np.min(images)) < float(np.max(images)) <= 1.0


def test_values_are_the_uint8_pixels_scaled():
    with tfds.testing.mock_data(num_examples=4):
        raw = next(iter(tfds.load("fashion_mnist", split="train")))["image"]
        images = next(iter(load_images("fashion_mnist", batch_size=4,
                                       shuffle=False)))
    np.testing.assert_allclose(images[0], raw.numpy() / 127.5 - 1.0,
                               atol=1e-6)


def test_cifar10_resized_and_celeb_a_cropped():
    with tfds.testing.mock_data(num_examples=4):
        cifar = load_images("cifar10", image_size=16, batch_size=2)
        assert tuple(cifar.element_spec.shape) == (2, 16, 16, 3)
        assert next(iter(cifar)).shape == (2, 16, 16, 3)
        celeb = load_images("celeb_a", split="train[:4]", image_size=64,
                            crop_to_aspect_ratio=True, batch_size=2)
        assert next(iter(celeb)).shape == (2, 64, 64, 3)


def test_dataset_without_image_feature_or_labels():
    with tfds.testing.mock_data(num_examples=2):
        with pytest.raises(ValueError, match="'iris' has no image feature"):
            load_images("iris")
        with pytest.raises(NoLabelsError,
                           match="'celeb_a' has no class label"):
            load_images("celeb_a", with_labels=True)
        with pytest.raises(ValueError, match="not a TensorFlow Datasets"):
            load_images("no_such_dataset_anywhere")


def test_offline_download_gives_a_clear_error(tmp_path, monkeypatch):
    def offline(self, *args, **kwargs):
        raise ConnectionError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare",
                        offline)
    with pytest.raises(DatasetUnavailableError) as info:
        load_images("mnist", data_dir=tmp_path)
    error = info.value
    assert isinstance(error, OSError)
    assert isinstance(error.__cause__, ConnectionError)
    message = str(error)
    assert str(tmp_path) in message and "Network is unreachable" in message
    for option in ("mnist_10k", "folder", "IDX", "NumPy"):
        assert option in message


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connection and name lookup fails at once; records them.

    TFDS retries a failed download 10 times with exponential backoff
    (about 3 minutes per file); the test sets its retries to 0 so that it
    fails in well under a minute. An alarm stops it after 120 s if
    anything still waits.
    """
    import signal
    import socket

    from tensorflow_datasets.core.download import downloader

    attempts = []

    def unreachable(*args, **kwargs):
        attempts.append(args[1:] if args else kwargs)
        raise OSError(101, "Network is unreachable (blocked by the test)")

    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setattr(socket.socket, "connect_ex", unreachable)
    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setattr(downloader, "MAX_RETRIES", 0)
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                     "https_proxy"):
        monkeypatch.setenv(variable, "http://10.255.255.1:9")

    def too_slow(*args):
        raise TimeoutError("the offline download did not fail in 120 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(120)
    yield attempts
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_fresh_install_gets_as_far_as_the_network(tmp_path, no_network):
    # No mocked download: TFDS's real download path runs (it imports
    # importlib_resources, which nothing installed before it was declared)
    # until its first connection, which fails.
    with pytest.raises(DatasetUnavailableError) as info:
        load_images("mnist", data_dir=tmp_path)
    assert no_network, "no connection was attempted"
    message = str(info.value)
    # The failure is the (blocked) connection, and the advice is about it.
    assert "storage.googleapis.com" in message
    assert "needs network access" in message
    assert isinstance(info.value.__cause__, OSError)
    assert "ModuleNotFoundError" not in message
    for option in ("mnist_10k", "folder", "IDX", "NumPy"):
        assert option in message
    cause = info.value.__cause__
    while cause is not None:
        assert not isinstance(cause, ImportError), cause
        cause = cause.__cause__ or cause.__context__
    assert not list(tmp_path.rglob("*.tfrecord*"))


def test_a_missing_module_is_named_not_the_network(tmp_path, monkeypatch):
    def missing(self, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'importlib_resources'",
                                  name="importlib_resources")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare",
                        missing)
    with pytest.raises(DatasetUnavailableError) as info:
        load_images("mnist", data_dir=tmp_path)
    message = str(info.value)
    assert "pip install importlib_resources" in message
    assert "network" not in message.lower()
