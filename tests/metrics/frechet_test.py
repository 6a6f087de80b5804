"""FID against scipy.linalg.sqrtm and closed forms."""

import numpy as np
import pytest
import scipy.linalg

from keras_gan_losses import metrics


def correlated(n, d, seed, shift=0.0):
    """Gaussian features with a random, far-from-diagonal covariance."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) + np.eye(d)
    return rng.normal(size=(n, d)) @ mixing + shift + rng.normal(size=d)


def scipy_frechet(mu1, sigma1, mu2, sigma2):
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1 + sigma2 - 2.0 * covmean)


def scipy_fid(x, y):
    return scipy_frechet(
        x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False)),
        y.mean(axis=0), np.atleast_2d(np.cov(y, rowvar=False)),
    )


@pytest.mark.parametrize("d", [1, 3, 16])
def test_matches_scipy_sqrtm(d):
    x = correlated(400, d, seed=1)
    y = correlated(300, d, seed=2, shift=0.5)
    expected = scipy_fid(x, y)
    assert expected > 1.0
    np.testing.assert_allclose(
        metrics.frechet_distance(x, y), expected, rtol=1e-8
    )


def test_from_stats_matches_scipy_sqrtm():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 6))
    b = rng.normal(size=(6, 6))
    sigma1, sigma2 = a @ a.T + 0.1 * np.eye(6), b @ b.T
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    np.testing.assert_allclose(
        metrics.frechet_distance_from_stats(mu1, sigma1, mu2, sigma2),
        scipy_frechet(mu1, sigma1, mu2, sigma2),
        rtol=1e-8,
    )


def test_diagonal_covariances_closed_form():
    # Commuting covariances: Tr sqrt(C1 C2) = sum sqrt(a_i b_i), also with
    # zero variances (singular matrices).
    a = np.array([1.0, 4.0, 0.0, 2.0])
    b = np.array([9.0, 1.0, 3.0, 0.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0, 3.0]), np.zeros(4)
    expected = 14.0 + np.sum(a + b - 2.0 * np.sqrt(a * b))
    np.testing.assert_allclose(
        metrics.frechet_distance_from_stats(
            mu1, np.diag(a), mu2, np.diag(b)
        ),
        expected,
        rtol=1e-12,
    )


def test_one_dimensional_closed_form():
    # For d = 1: (m1 - m2)^2 + (s1 - s2)^2 with unbiased standard deviations.
    x = np.array([[0.0], [1.0], [5.0], [2.0]])
    y = np.array([[3.0], [-1.0], [4.0]])
    expected = (x.mean() - y.mean()) ** 2 + (
        x.std(ddof=1) - y.std(ddof=1)
    ) ** 2
    np.testing.assert_allclose(
        metrics.frechet_distance(x, y), expected, rtol=1e-12
    )


def test_set_against_itself_is_zero():
    x = correlated(500, 32, seed=4)
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fewer_samples_than_features_is_finite():
    # Singular covariances: no complex values or NaN, and 0 for itself.
    x = correlated(20, 64, seed=5)
    y = correlated(20, 64, seed=6, shift=0.1)
    value = metrics.frechet_distance(x, y)
    assert np.isfinite(value) and value > 0.0
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)


def test_invariant_to_feature_and_sample_permutations():
    x = correlated(300, 10, seed=7)
    y = correlated(200, 10, seed=8, shift=0.3)
    rng = np.random.default_rng(0)
    dims = rng.permutation(10)
    expected = scipy_fid(x, y)
    np.testing.assert_allclose(
        metrics.frechet_distance(x[:, dims], y[:, dims]), expected, rtol=1e-8
    )
    np.testing.assert_allclose(
        metrics.frechet_distance(rng.permutation(x), rng.permutation(y)),
        expected,
        rtol=1e-8,
    )


def test_float32_and_list_inputs():
    x = correlated(100, 4, seed=9)
    y = correlated(100, 4, seed=10)
    np.testing.assert_allclose(
        metrics.frechet_distance(x.astype("float32").tolist(), y),
        scipy_fid(x.astype("float32").astype("float64"), y),
        rtol=1e-8,
    )


@pytest.mark.parametrize(
    "real,fake,match",
    [
        (np.zeros(5), np.zeros((5, 2)), "2-D"),
        (np.zeros((5, 2, 1)), np.zeros((5, 2)), "2-D"),
        (np.zeros((5, 2)), np.zeros((5, 3)), "same feature dimension"),
        (np.zeros((1, 2)), np.zeros((5, 2)), "at least 2 samples"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), "NaN"),
    ],
)
def test_bad_features(real, fake, match):
    with pytest.raises(ValueError, match=match):
        metrics.frechet_distance(real, fake)


def test_bad_stats():
    with pytest.raises(ValueError, match="covariance matrix of shape"):
        metrics.frechet_distance_from_stats(
            np.zeros(2), np.eye(3), np.zeros(2), np.eye(2)
        )
    with pytest.raises(ValueError, match="same shape"):
        metrics.frechet_distance_from_stats(
            np.zeros(2), np.eye(2), np.zeros(3), np.eye(2)
        )
    with pytest.raises(ValueError, match="1-D"):
        metrics.frechet_distance_from_stats(
            np.zeros((2, 1)), np.eye(2), np.zeros(2), np.eye(2)
        )
