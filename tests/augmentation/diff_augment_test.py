"""DiffAugment's transforms against NumPy references of the paper's
definitions (Zhao et al. 2020, DiffAugment_tf.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan_losses import augmentation
from keras_gan_losses.augmentation import DiffAugment


def seed(i):
    return tf.constant([i, 7], tf.int64)


def ramp(batch=16, height=8, width=8, channels=1):
    """Images whose pixels are all different and nonzero."""
    size = batch * height * width * channels
    return np.arange(1, size + 1, dtype=np.float32).reshape(
        batch, height, width, channels) / size


def shift_reference(image, dy, dx, fill):
    """Pixel (i, j) of the result is pixel (i - dy, j - dx) of `image`,
    `fill` where that is outside."""
    out = np.full_like(image, fill)
    h, w = image.shape[:2]
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = image[i - dy, j - dx]
    return out


def test_translation_is_a_whole_pixel_shift_within_the_ratio():
    images = ramp()
    out = augmentation.translation(tf.constant(images), seed(0)).numpy()
    limit = int(8 * 0.125 + 0.5)  # 1 pixel at size 8
    seen = set()
    for image, moved in zip(images, out):
        matches = [
            (dy, dx)
            for dy in range(-limit, limit + 1)
            for dx in range(-limit, limit + 1)
            if np.array_equal(shift_reference(image, dy, dx, 0.0), moved)
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    # 16 images: several different shifts, including non-zero ones.
    assert len(seen) > 3


def test_translation_shifts_cover_the_whole_range():
    images = ramp(batch=256, height=16, width=16)
    out = augmentation.translation(tf.constant(images), seed(1)).numpy()
    shifts = set()
    for image, moved in zip(images, out):
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                if np.array_equal(shift_reference(image, dy, dx, 0.0), moved):
                    shifts.add((dy, dx))
    assert shifts == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}


def test_cutout_sets_one_square_to_the_fill_value():
    images = ramp(batch=64, height=10, width=10)
    out = augmentation.cutout(tf.constant(images), seed(2),
                              ratio=0.4, fill_value=-1.0).numpy()
    side = int(10 * 0.4 + 0.5)
    for image, cut in zip(images, out):
        mask = cut[..., 0] == -1.0
        rows, cols = np.nonzero(mask)
        # A rectangle, clipped at the border, at most side x side, and
        # the full square when it lies inside.
        assert mask.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)
        assert np.ptp(rows) + 1 <= side and np.ptp(cols) + 1 <= side
        if min(rows.min(), cols.min()) > 0 and max(rows.max(),
                                                   cols.max()) < 9:
            assert mask.sum() == side * side
        np.testing.assert_array_equal(cut[~mask], image[~mask])


def test_colour_transforms_follow_their_formulas():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(32, 4, 4, 3)).astype(np.float32)
    x = tf.constant(images)
    bright = augmentation.brightness(x, seed(3)).numpy()
    offset = (bright - images).reshape(32, -1)
    np.testing.assert_allclose(offset, offset[:, :1].repeat(48, 1),
                               atol=1e-6)
    assert offset.min() >= -0.5 and offset.max() < 0.5
    assert offset[:, 0].std() > 0.1

    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    contrast = augmentation.contrast(x, seed(4)).numpy()
    factor = ((contrast - mean) / (images - mean)).reshape(32, -1)
    np.testing.assert_allclose(factor, factor[:, :1].repeat(48, 1),
                               rtol=1e-4)
    assert factor.min() >= 0.5 and factor.max() < 1.5

    channel_mean = images.mean(axis=3, keepdims=True)
    saturated = augmentation.saturation(x, seed(5)).numpy()
    factor = ((saturated - channel_mean) / (images - channel_mean))
    factor = factor.reshape(32, -1)
    np.testing.assert_allclose(factor, factor[:, :1].repeat(48, 1),
                               rtol=1e-3)
    assert factor.min() >= 0.0 and factor.max() < 2.0
    # One channel: its own mean, nothing changes.
    gray = images[..., :1]
    np.testing.assert_allclose(
        augmentation.saturation(tf.constant(gray), seed(5)).numpy(), gray,
        atol=1e-6)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout",
                                    "color,translation,cutout"])
def test_gradients_are_those_of_the_transform(policy):
    # Each transform is affine in the images for fixed draws, so
    # <f(x + d) - f(x), w> equals <d, grad of <f(x), w>> exactly.
    rng = np.random.default_rng(1)
    augment = DiffAugment(policy)
    x = tf.constant(rng.normal(size=(4, 8, 8, 3)).astype(np.float64))
    d = tf.constant(rng.normal(size=(4, 8, 8, 3)))
    w = tf.constant(rng.normal(size=(4, 8, 8, 3)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = tf.reduce_sum(augment(x, seed(6)) * w)
    grad = tape.gradient(value, x)
    change = tf.reduce_sum((augment(x + d, seed(6)) - augment(x, seed(6)))
                           * w)
    np.testing.assert_allclose(float(change),
                               float(tf.reduce_sum(d * grad)), rtol=1e-9)
    assert float(tf.reduce_sum(tf.abs(grad))) > 0


def test_draws_are_reproducible_and_equal_under_xla():
    augment = DiffAugment()
    x = tf.constant(ramp(batch=8, channels=3))
    first = augment(x, seed(8)).numpy()
    np.testing.assert_array_equal(first, augment(x, seed(8)).numpy())
    assert not np.array_equal(first, augment(x, seed(9)).numpy())
    compiled = tf.function(lambda images, s: augment(images, s),
                           jit_compile=True)
    np.testing.assert_allclose(compiled(x, seed(8)).numpy(), first,
                               rtol=1e-6, atol=1e-6)


def test_policy_order_and_config_round_trip():
    augment = DiffAugment(" cutout, color ", translation_ratio=0.25,
                          cutout_ratio=0.3, fill_value=-1.0)
    assert augment.transforms == ["cutout", "brightness", "saturation",
                                  "contrast"]
    config = keras.saving.serialize_keras_object(augment)
    again = keras.saving.deserialize_keras_object(config)
    assert isinstance(again, DiffAugment)
    assert again.get_config() == augment.get_config() == {
        "policy": "cutout,color", "translation_ratio": 0.25,
        "cutout_ratio": 0.3, "fill_value": -1.0}


@pytest.mark.parametrize("kwargs, error, match", [
    ({"policy": "rotation"}, ValueError, "rotation"),
    ({"policy": ""}, ValueError, "comma-separated"),
    ({"policy": ["color"]}, TypeError, "policy"),
    ({"translation_ratio": 1.0}, ValueError, "translation_ratio"),
    ({"cutout_ratio": -0.1}, ValueError, "cutout_ratio"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        DiffAugment(**kwargs)


def test_refuses_non_image_batches():
    with pytest.raises(ValueError, match="height, width, channels"):
        DiffAugment()(tf.zeros((4, 8)), seed(0))
