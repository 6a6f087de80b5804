"""psnr and ssim against NumPy formulas (and scipy's Gaussian filter), the
value-range mapping, the batch mean, and input errors."""

import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

from keras_gan_losses.data import load_mnist_10k
from keras_gan_losses.metrics import psnr
from keras_gan_losses.metrics import ssim


@pytest.fixture(scope="module")
def digits():
    images, _ = load_mnist_10k()
    target = images[:8, :, :, np.newaxis] / 127.5 - 1.0
    noisy = np.clip(target + np.random.default_rng(0).normal(
        0, 0.3, target.shape), -1, 1)
    return noisy, target


def test_psnr_matches_the_formula(digits):
    images, target = digits
    expected = reference.psnr(images, target).mean()
    assert psnr(images, target) == pytest.approx(expected, rel=1e-5)


def test_psnr_closed_form_and_range_mapping():
    # A constant error of 0.2 on [-1, 1] is 0.1 on [0, 1]: MSE 0.01, 20 dB;
    # 25.5 on [0, 255] is 0.1 as well.
    target = np.zeros((3, 4, 4, 2))
    assert psnr(target + 0.2, target) == pytest.approx(20.0, abs=1e-4)
    assert psnr(np.full((4, 4, 1), 25.5), np.zeros((4, 4, 1)),
                value_range=(0, 255)) == pytest.approx(20.0, abs=1e-4)


def test_psnr_is_the_mean_of_the_per_image_values():
    target = np.zeros((2, 4, 4, 1))
    images = target.copy()
    images[0] += 0.2   # 20 dB
    images[1] += 0.02  # 40 dB
    assert psnr(images, target) == pytest.approx(30.0, abs=1e-3)
    assert psnr(target, target) == float("inf")


def test_ssim_matches_an_independent_numpy_ssim(digits):
    images, target = digits
    expected = reference.ssim(images, target)
    assert expected.shape == (8,)
    assert ssim(images, target) == pytest.approx(expected.mean(), abs=1e-5)
    blurred = (target + np.roll(target, 1, axis=2)) / 2
    assert ssim(blurred, target) == pytest.approx(
        reference.ssim(blurred, target).mean(), abs=1e-5)


def test_reference_ssim_statistics_match_scipy_gaussian_filter(digits):
    # The NumPy reference's weighted means equal scipy's Gaussian filter
    # (truncated to the same 11x11 window) at the valid positions.
    ndimage = pytest.importorskip(
        "scipy.ndimage", reason="scipy cross-checks the reference window")
    x = (digits[1][0, :, :, 0] + 1) / 2
    window = reference.gaussian_window()
    view = np.lib.stride_tricks.sliding_window_view(x, (11, 11))
    means = (view * window).sum(axis=(-2, -1))
    filtered = ndimage.gaussian_filter(x, 1.5, truncate=5 / 1.5)
    np.testing.assert_allclose(means, filtered[5:-5, 5:-5], atol=1e-12)


def test_ssim_of_channels_and_options():
    rng = np.random.default_rng(1)
    target = rng.uniform(0, 1, (2, 16, 16, 3))
    images = np.clip(target + rng.normal(0, 0.1, target.shape), 0, 1)
    assert ssim(images, target, value_range=(0, 1), filter_size=7,
                filter_sigma=1.0) == pytest.approx(
        reference.ssim(images, target, low=0, high=1, size=7,
                       sigma=1.0).mean(), abs=1e-5)
    assert ssim(target, target, value_range=(0, 1)) == pytest.approx(1.0)


def test_single_images_and_tensors_are_accepted(digits):
    images, target = digits
    value = psnr(tf.constant(images[0], tf.float32), target[0])
    assert value == pytest.approx(reference.psnr(images[:1], target[:1])[0],
                                  rel=1e-5)
    assert ssim(images[0], tf.constant(target[0])) == pytest.approx(
        reference.ssim(images[:1], target[:1])[0], abs=1e-5)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_bad_inputs(metric):
    target = np.zeros((2, 16, 16, 1))
    with pytest.raises(ValueError, match="same shape"):
        metric(target[:1], target)
    with pytest.raises(ValueError, match="outside value_range"):
        metric(target + 1.5, target)
    with pytest.raises(ValueError, match="outside value_range"):
        metric(np.full_like(target, 200.0), target)
    with pytest.raises(ValueError, match="NaN"):
        metric(target * np.nan, target)
    with pytest.raises(ValueError, match="shape"):
        metric(np.zeros((16, 16)), np.zeros((16, 16)))
    with pytest.raises(ValueError, match="value_range"):
        metric(target, target, value_range=(1, -1))


def test_ssim_window_errors():
    small = np.zeros((1, 8, 8, 1))
    with pytest.raises(ValueError, match="smaller than the 11×11"):
        ssim(small, small)
    assert ssim(small, small, filter_size=5) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="filter_sigma"):
        ssim(small, small, filter_sigma=0)
    with pytest.raises(ValueError, match="filter_size"):
        ssim(small, small, filter_size=0)
