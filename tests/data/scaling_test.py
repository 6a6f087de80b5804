"""Pixel conversions: scale_images, to_uint8 and the value-range rule."""

import numpy as np
import pytest
import tensorflow as tf

from keras_gan_losses.data import infer_value_range
from keras_gan_losses.data import scale_images
from keras_gan_losses.data import to_uint8

ALL_PIXELS = np.arange(256, dtype=np.uint8)


def test_scale_images_maps_0_255_linearly_onto_minus_1_1():
    scaled = scale_images(ALL_PIXELS)
    assert isinstance(scaled, np.ndarray) and scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, ALL_PIXELS / 127.5 - 1.0, atol=1e-6)
    assert scaled[0] == -1.0 and scaled[-1] == 1.0


def test_scale_images_keeps_tensors_as_tensors():
    scaled = scale_images(tf.constant(ALL_PIXELS))
    assert tf.is_tensor(scaled) and scaled.dtype == tf.float32
    np.testing.assert_allclose(scaled.numpy(), scale_images(ALL_PIXELS))


@pytest.mark.parametrize("to_tensor", [False, True])
def test_to_uint8_inverts_scale_images_for_every_pixel_value(to_tensor):
    scaled = scale_images(ALL_PIXELS)
    if to_tensor:
        scaled = tf.constant(scaled)
    back = to_uint8(scaled)
    assert tf.is_tensor(back) == to_tensor
    back = np.asarray(back)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, ALL_PIXELS)


def test_to_uint8_rounds_clips_and_takes_a_value_range():
    np.testing.assert_array_equal(
        to_uint8(np.array([-3.0, -1.0, 1.0, 3.0])), [0, 0, 255, 255]
    )
    np.testing.assert_array_equal(
        to_uint8(np.array([0.0, 0.25, 1.0]), value_range=(0, 1)),
        [0, 64, 255],
    )
    # Tensor path: same rounding as NumPy.
    np.testing.assert_array_equal(
        to_uint8(tf.constant([0.0, 0.25, 1.0]), value_range=(0, 1)).numpy(),
        [0, 64, 255],
    )


@pytest.mark.parametrize("value_range", [(1, 1), (1, 0), (0,), "ab", None])
def test_to_uint8_rejects_a_bad_value_range(value_range):
    with pytest.raises(ValueError, match="value_range"):
        to_uint8(np.zeros(3), value_range=value_range)


@pytest.mark.parametrize("array,expected", [
    (np.array([0, 255], np.uint8), (0, 255)),
    (np.array([3, 200], np.int64), (0, 255)),
    (np.array([0.0, 1.0], np.float32), (0, 1)),
    (np.array([-0.5, 1.0], np.float64), (-1, 1)),
    (np.array([0.0, 37.0, 255.0], np.float32), (0, 255)),
])
def test_infer_value_range(array, expected):
    assert infer_value_range(array) == expected


@pytest.mark.parametrize("array,match", [
    (np.array([-1, 5], np.int16), r"\[0, 255\]"),
    (np.array([0, 300], np.int32), r"\[0, 255\]"),
    (np.array([0.0, np.nan], np.float32), "NaN"),
    (np.array([-2.0, 1.0], np.float32), "Cannot tell"),
    (np.array([0.0, 256.0], np.float32), "Cannot tell"),
    (np.array([True, False]), "integers or floats"),
    (np.zeros((0, 4, 4), np.uint8), "empty"),
])
def test_infer_value_range_errors(array, match):
    with pytest.raises(ValueError, match=match):
        infer_value_range(array)
