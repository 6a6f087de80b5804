"""load_images on the embedded MNIST and NumPy arrays; argument errors;
the embedded asset and its licence; the public names are documented."""

import inspect
import pathlib
import socket

import numpy as np
import pytest
import tensorflow as tf
from batches import collect

import keras_gan_losses.data as data_module
from keras_gan_losses.data import load_images
from keras_gan_losses.data import load_mnist_10k

ROOT = pathlib.Path(__file__).parents[2]
ASSETS = ROOT / "keras_gan_losses" / "data" / "assets"
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
#: Images per digit in the MNIST test set.
TEST_DIGIT_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# ----------------------------------------------------------------------
# the embedded MNIST test split


def test_embedded_mnist_loads_offline_with_counts_range_and_labels(
        no_network):
    dataset = load_images("mnist_10k", batch_size=1000, with_labels=True,
                          shuffle=False)
    assert tuple(dataset.element_spec[0].shape) == (1000, 28, 28, 1)
    assert dataset.class_names == [str(d) for d in range(10)]
    images, labels = collect(dataset)
    assert images.shape == (10000, 28, 28, 1) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert labels.dtype == np.int32
    assert labels[:10].tolist() == FIRST_TEST_LABELS
    assert np.bincount(labels).tolist() == TEST_DIGIT_COUNTS
    raw, raw_labels = load_mnist_10k()
    np.testing.assert_allclose(images[..., 0], raw / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(labels, raw_labels)
    # Background is -1: the MNIST mean ink (0.1325 on [0, 1]) maps here.
    assert images.mean() == pytest.approx(2 * 0.1325 - 1, abs=2e-3)


def test_shuffle_is_seeded_reshuffled_each_epoch_and_a_permutation():
    def epoch_labels(dataset):
        return np.concatenate([y for _, y in dataset])

    dataset = load_images("mnist_10k", batch_size=2500, with_labels=True,
                          seed=1)
    first, second = epoch_labels(dataset), epoch_labels(dataset)
    assert first[:10].tolist() != FIRST_TEST_LABELS
    assert not np.array_equal(first, second)  # a new order every epoch
    np.testing.assert_array_equal(np.sort(first), np.sort(second))
    again = load_images("mnist_10k", batch_size=2500, with_labels=True,
                        seed=1)
    np.testing.assert_array_equal(epoch_labels(again), first)


def test_drop_remainder_and_static_batch_size():
    kept = load_images("mnist_10k", batch_size=3000, drop_remainder=True)
    assert kept.element_spec.shape[0] == 3000
    assert [b.shape[0] for b in kept] == [3000] * 3
    every = load_images("mnist_10k", batch_size=3000, drop_remainder=False,
                        shuffle=False)
    assert [b.shape[0] for b in every] == [3000, 3000, 3000, 1000]


def test_embedded_mnist_resized():
    dataset = load_images("mnist_10k", image_size=(32, 24), batch_size=8)
    assert tuple(dataset.element_spec.shape) == (8, 32, 24, 1)
    images = next(iter(dataset)).numpy()
    assert images.shape == (8, 32, 24, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.max() > 0.5  # still digits, not a blur of background


def test_embedded_asset_size_and_licence():
    archive = ASSETS / "mnist_10k.npz"
    assert 1_000_000 < archive.stat().st_size < 2_000_000
    licence = (ASSETS / "MNIST_LICENSE.txt").read_text()
    for needle in ("Yann LeCun", "Corinna Cortes", "Burges",
                   "CC BY-SA 3.0"):
        assert needle in licence


# ----------------------------------------------------------------------
# NumPy arrays


def test_uint8_array_is_scaled_and_gets_a_channel():
    images = np.arange(4 * 2 * 3, dtype=np.uint8).reshape(4, 2, 3) * 10
    result, _ = collect(load_images(images, batch_size=4, shuffle=False))
    assert result.shape == (4, 2, 3, 1)
    np.testing.assert_allclose(result[..., 0], images / 127.5 - 1,
                               atol=1e-6)


@pytest.mark.parametrize("values,value_range,expected", [
    ([0.0, 0.5, 1.0], None, [-1.0, 0.0, 1.0]),  # inferred [0, 1]
    ([-1.0, 0.2, 1.0], None, [-1.0, 0.2, 1.0]),  # inferred [-1, 1]
    ([0.0, 51.0, 255.0], None, [-1.0, -0.6, 1.0]),  # inferred [0, 255]
    ([0.0, 0.5, 1.0], (-1, 1), [0.0, 0.5, 1.0]),  # explicit range
    ([0, 1000, 2000], (0, 2000), [-1.0, 0.0, 1.0]),  # 16-bit style ints
])
def test_array_value_ranges(values, value_range, expected):
    images = np.array(values, np.float32)[:, None, None, None]
    if value_range == (0, 2000):
        images = images.astype(np.uint16)
    result, _ = collect(load_images(images, batch_size=3, shuffle=False,
                                    value_range=value_range))
    np.testing.assert_allclose(result.ravel(), expected, atol=1e-6)


def test_array_with_labels_tuple():
    images = np.zeros((6, 4, 4, 3), np.uint8)
    images[:, 0, 0, 0] = np.arange(6) * 50
    labels = np.array([[0], [1], [2], [3], [4], [5]])  # (n, 1) accepted
    result, got = collect(load_images((images, labels), batch_size=2,
                                      with_labels=True, seed=0))
    assert result.shape == (6, 4, 4, 3) and got.dtype == np.int32
    np.testing.assert_allclose(result[:, 0, 0, 0], got * 50 / 127.5 - 1,
                               atol=1e-6)
    # Labels are dropped unless asked for.
    assert load_images((images, labels), batch_size=2).element_spec.shape \
        == (2, 4, 4, 3)


@pytest.mark.parametrize("source,kwargs,match", [
    (np.zeros((4, 3, 3), np.uint8), {"with_labels": True}, "no labels"),
    ((np.zeros((4, 3, 3), np.uint8), np.zeros(3, int)),
     {"with_labels": True}, r"shape \(4,\)"),
    ((np.zeros((4, 3, 3), np.uint8), np.zeros(4)),
     {"with_labels": True}, "int class ids"),
    ((np.zeros((4, 3, 3), np.uint8), -np.ones(4, int)),
     {"with_labels": True}, "non-negative"),
    ((np.zeros((4, 3, 3)),), {}, r"\(images, labels\)"),
    (np.zeros((4, 3), np.uint8), {}, r"received shape \(4, 3\)"),
    (np.zeros((2, 3, 3), np.uint8), {"batch_size": 4}, "fewer than"),
    (np.zeros((0, 3, 3), np.uint8), {}, "holds no images"),
    (np.full((4, 3, 3), 300.0), {}, "Cannot tell"),
    (np.zeros((4, 3, 3), np.uint8), {"split": "train[:50%]"},
     "single split"),
])
def test_array_errors(source, kwargs, match):
    kwargs = {"batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        load_images(source, **kwargs)


# ----------------------------------------------------------------------
# arguments and source resolution


@pytest.mark.parametrize("kwargs,error,match", [
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 2.0}, ValueError, "batch_size"),
    ({"image_size": (28,)}, ValueError, "image_size"),
    ({"image_size": (0, 28)}, ValueError, "image_size"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"shuffle": "yes"}, TypeError, "shuffle"),
    ({"crop_to_aspect_ratio": True}, ValueError, "needs an `image_size`"),
    ({"value_range": (0, 255)}, ValueError, "value_range"),
    ({"split": "validation"}, ValueError, "single split"),
])
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_images("mnist_10k", **kwargs)


def test_source_errors(tmp_path):
    with pytest.raises(TypeError, match="`source` must be"):
        load_images(3.5)
    with pytest.raises(FileNotFoundError, match="missing"):
        load_images(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="missing"):
        load_images(str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="images.png"):
        load_images("images.png")


def test_the_dataset_trains_with_keras():
    # The pipeline's element_spec is what fit/distribute need: static
    # float32 batches.
    dataset = load_images("mnist_10k", batch_size=16)
    spec = dataset.element_spec
    assert spec.dtype == tf.float32 and spec.shape.is_fully_defined()


# ----------------------------------------------------------------------
# public API


@pytest.mark.parametrize("name", data_module.__all__)
def test_public_names_are_documented(name):
    assert inspect.getdoc(getattr(data_module, name))
    assert f"- {name}" in (ROOT / "docs" / "api" / "data.md").read_text()
