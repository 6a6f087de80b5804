"""make_pairs and load_pairs: the degradations against NumPy references,
the [-1, 1] scaling, the held-out split, and argument errors."""

import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

from keras_gan_losses.data import load_mnist_10k
from keras_gan_losses.data import load_pairs
from keras_gan_losses.data import make_pairs


def mnist(count=16, start=0):
    images, _ = load_mnist_10k()
    return images[start:start + count]


def scaled(images):
    return images[..., np.newaxis].astype(np.float64) / 127.5 - 1.0


def test_super_resolution_matches_block_average_then_bilinear():
    images = mnist()
    source, target = make_pairs(images, "super_resolution")
    np.testing.assert_allclose(target, scaled(images), atol=1e-6)
    small = reference.block_average(scaled(images), 4)
    assert small.shape == (16, 7, 7, 1)
    expected = reference.upsample_bilinear(small, 4)
    assert source.shape == (16, 28, 28, 1) and source.dtype == np.float32
    np.testing.assert_allclose(source, expected, atol=1e-5)


@pytest.mark.parametrize("factor", [2, 4, 7])
def test_super_resolution_nearest_repeats_the_block_means(factor):
    images = mnist(4)
    source, _ = make_pairs(images, "super_resolution", factor=factor,
                           interpolation="nearest")
    expected = reference.upsample_nearest(
        reference.block_average(scaled(images), factor), factor)
    np.testing.assert_allclose(source, expected, atol=1e-5)


def test_super_resolution_by_hand():
    image = np.array([[0, 255, 0, 0],
                      [255, 255, 0, 0],
                      [0, 0, 0, 0],
                      [0, 0, 0, 0]], np.uint8)[np.newaxis]
    source, _ = make_pairs(image, "super_resolution", factor=2,
                           interpolation="nearest")
    # top-left block: mean of -1, 1, 1, 1 = 0.5; the others are all -1.
    expected = np.full((4, 4), -1.0)
    expected[:2, :2] = 0.5
    np.testing.assert_allclose(source[0, :, :, 0], expected)
    bilinear, _ = make_pairs(image, "super_resolution", factor=2)
    # Row 0 samples the 2x2 means at x = -0.25 (clamped), 0.25, 0.75, 1.25.
    np.testing.assert_allclose(bilinear[0, 0, :, 0],
                               [0.5, 0.125, -0.625, -1.0])


@pytest.mark.parametrize("half,rows,cols", [
    ("bottom", slice(14, None), slice(None)),
    ("top", slice(None, 14), slice(None)),
    ("left", slice(None), slice(None, 14)),
    ("right", slice(None), slice(14, None)),
])
def test_inpainting_masks_one_half(half, rows, cols):
    images = mnist(8)
    source, target = make_pairs(images, "inpainting", masked_half=half)
    expected = scaled(images).copy()
    expected[:, rows, cols, :] = 0.0
    np.testing.assert_allclose(source, expected, atol=1e-6)
    np.testing.assert_allclose(target, scaled(images), atol=1e-6)


def test_inpainting_odd_sizes_mask_the_larger_half_and_fill_value():
    images = np.zeros((1, 5, 3), np.float32) + 0.5  # read as [0, 1]
    source, target = make_pairs(images, "inpainting", fill_value=-0.25)
    assert np.all(target == 0.0)
    np.testing.assert_array_equal(source[0, :, :, 0],
                                  [[0, 0, 0], [0, 0, 0]] + [[-0.25] * 3] * 3)
    source, _ = make_pairs(images, "inpainting", masked_half="left",
                           fill_value=-0.25)
    np.testing.assert_array_equal(source[0, 0, :, 0], [-0.25, -0.25, 0.0])


def test_value_range_and_channels():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 10, (3, 8, 8, 3))
    source, target = make_pairs(images, "super_resolution", factor=2,
                                value_range=(0, 10))
    np.testing.assert_allclose(target, images / 5 - 1, atol=1e-6)
    assert source.shape == (3, 8, 8, 3)
    expected = reference.upsample_bilinear(
        reference.block_average(images / 5 - 1, 2), 2)
    np.testing.assert_allclose(source, expected, atol=1e-5)


def test_load_pairs_yields_the_same_pairs_as_make_pairs():
    dataset = load_pairs("mnist_10k", task="super_resolution",
                         batch_size=32, shuffle=False)
    source, target = next(iter(dataset))
    assert source.dtype == tf.float32
    assert tuple(source.shape) == tuple(target.shape) == (32, 28, 28, 1)
    expected_source, expected_target = make_pairs(mnist(32),
                                                  "super_resolution")
    np.testing.assert_allclose(target.numpy(), expected_target, atol=1e-6)
    np.testing.assert_allclose(source.numpy(), expected_source, atol=1e-6)
    assert dataset.cardinality().numpy() == 10_000 // 32
    spec = dataset.element_spec
    assert spec[0].shape.as_list() == [32, 28, 28, 1]


def test_load_pairs_validation_split_holds_out_the_last_images():
    train, held_out = load_pairs(
        "mnist_10k", task="inpainting", batch_size=100,
        validation_split=0.1, subset="both", seed=3)
    def as_sorted_bytes(targets):
        pixels = np.round((targets[..., 0] + 1) * 127.5).astype(np.uint8)
        return sorted(image.tobytes() for image in pixels)

    held_targets = np.concatenate([t.numpy() for _, t in held_out])
    train_targets = np.concatenate([t.numpy() for _, t in train])
    assert len(held_targets) == 1000 and len(train_targets) == 9000
    # The same images, shuffled: the last 1,000 are held out.
    assert as_sorted_bytes(held_targets) == sorted(
        image.tobytes() for image in mnist(1000, start=9000))
    assert as_sorted_bytes(train_targets) == sorted(
        image.tobytes() for image in mnist(9000))
    assert not np.allclose(train_targets[:100], scaled(mnist(100)))
    only = load_pairs(batch_size=100, validation_split=0.1,
                      subset="validation", shuffle=False)
    assert only.cardinality().numpy() == 10


def test_load_pairs_from_an_array_and_shuffling_with_a_seed():
    images = np.random.default_rng(1).uniform(-1, 1, (10, 8, 8, 1))
    first = [t.numpy() for _, t in load_pairs(
        images, batch_size=5, seed=7, factor=2, value_range=(-1, 1))]
    again = [t.numpy() for _, t in load_pairs(
        images, batch_size=5, seed=7, factor=2, value_range=(-1, 1))]
    np.testing.assert_array_equal(np.concatenate(first),
                                  np.concatenate(again))
    np.testing.assert_allclose(np.sort(np.concatenate(first).ravel()),
                               np.sort(images.ravel()), atol=1e-6)


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(task="colorization"), ValueError, "task"),
    (dict(factor=0), ValueError, "factor"),
    (dict(factor=3), ValueError, "divisible by 3"),
    (dict(interpolation="bicubic"), ValueError, "interpolation"),
    (dict(masked_half="middle"), ValueError, "masked_half"),
    (dict(fill_value=2.0), ValueError, "fill_value"),
])
def test_make_pairs_bad_arguments(kwargs, error, message):
    kwargs = {"task": "super_resolution", **kwargs}
    with pytest.raises(error, match=message):
        make_pairs(mnist(2), **kwargs)


def test_make_pairs_bad_images():
    with pytest.raises(ValueError, match="shape"):
        make_pairs(np.zeros((4, 4)), "inpainting")
    with pytest.raises(ValueError, match="no images"):
        make_pairs(np.zeros((0, 4, 4)), "inpainting")
    with pytest.raises(ValueError, match="range"):
        make_pairs(np.full((1, 4, 4), 300.0), "inpainting")


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(source="mnist"), ValueError, "mnist_10k"),
    (dict(source=[1, 2]), TypeError, "source"),
    (dict(subset="training"), ValueError, "validation_split"),
    (dict(validation_split=1.0, subset="both"), ValueError,
     "validation_split"),
    (dict(validation_split=0.1, subset="test"), ValueError, "subset"),
    (dict(validation_split=0.001, subset="both"), ValueError, "fewer than"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(value_range=(0, 1)), ValueError, "value_range"),
    (dict(seed=1.5), TypeError, "seed"),
])
def test_load_pairs_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_pairs(**kwargs)
