"""KID against a direct, pair-by-pair NumPy unbiased MMD² estimate."""

import itertools

import numpy as np
import pytest

from keras_gan_losses import metrics


def features(n, d, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d) + shift


def reference_mmd2(x, y):
    """Unbiased MMD² (Gretton et al. 2012, eq. 3), one pair at a time."""
    d = x.shape[1]

    def kernel(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    m, n = len(x), len(y)
    xx = sum(kernel(x[i], x[j])
             for i, j in itertools.permutations(range(m), 2))
    yy = sum(kernel(y[i], y[j])
             for i, j in itertools.permutations(range(n), 2))
    xy = sum(kernel(a, b) for a in x for b in y)
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2.0 * xy / (m * n)


def test_single_full_subset_matches_reference():
    x, y = features(30, 5, seed=0), features(30, 5, seed=1, shift=0.4)
    mean, std = metrics.kernel_inception_distance(
        x, y, num_subsets=1, subset_size=30
    )
    np.testing.assert_allclose(mean, reference_mmd2(x, y), rtol=1e-10)
    assert mean > 0.0
    assert std == 0.0


def test_subset_size_is_clipped_to_the_smaller_set():
    # Every subset is then a permutation of all samples: same estimate.
    x, y = features(25, 4, seed=2), features(25, 4, seed=3, shift=-0.3)
    mean, std = metrics.kernel_inception_distance(
        x, y, num_subsets=5, subset_size=1000
    )
    np.testing.assert_allclose(mean, reference_mmd2(x, y), rtol=1e-10)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_unequal_set_sizes_use_equal_subsets():
    x, y = features(60, 4, seed=4), features(25, 4, seed=5)
    mean, std = metrics.kernel_inception_distance(
        x, y, num_subsets=20, subset_size=1000
    )
    assert np.isfinite(mean) and std > 0.0


def test_same_distribution_near_zero_and_shift_positive():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(2, 400, 16))
    near, _ = metrics.kernel_inception_distance(
        x, y, num_subsets=10, subset_size=200
    )
    far, far_std = metrics.kernel_inception_distance(
        x, y + 1.0, num_subsets=10, subset_size=200
    )
    assert abs(near) < 0.05
    assert far > 10 * far_std > 0.0


def test_invariant_to_feature_permutation():
    x, y = features(80, 6, seed=7), features(70, 6, seed=8, shift=0.2)
    dims = np.random.default_rng(0).permutation(6)
    expected = metrics.kernel_inception_distance(
        x, y, num_subsets=7, subset_size=40, seed=3
    )
    np.testing.assert_allclose(
        metrics.kernel_inception_distance(
            x[:, dims], y[:, dims], num_subsets=7, subset_size=40, seed=3
        ),
        expected,
        rtol=1e-10,
    )


def test_invariant_to_sample_order_with_full_subsets():
    x, y = features(20, 3, seed=9), features(20, 3, seed=10, shift=0.5)
    rng = np.random.default_rng(1)
    mean, _ = metrics.kernel_inception_distance(
        rng.permutation(x), rng.permutation(y), num_subsets=2, subset_size=20
    )
    np.testing.assert_allclose(mean, reference_mmd2(x, y), rtol=1e-10)


def test_seed_is_reproducible():
    x, y = features(100, 4, seed=11), features(100, 4, seed=12)
    first = metrics.kernel_inception_distance(x, y, 5, 30, seed=4)
    assert first == metrics.kernel_inception_distance(x, y, 5, 30, seed=4)
    assert first != metrics.kernel_inception_distance(x, y, 5, 30, seed=5)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"num_subsets": 0}, "num_subsets"),
        ({"num_subsets": 1.5}, "num_subsets"),
        ({"subset_size": 1}, "subset_size"),
    ],
)
def test_bad_arguments(kwargs, match):
    x = features(10, 2, seed=0)
    with pytest.raises(ValueError, match=match):
        metrics.kernel_inception_distance(x, x, **kwargs)


def test_bad_features():
    with pytest.raises(ValueError, match="same feature dimension"):
        metrics.kernel_inception_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.kernel_inception_distance(np.zeros((5, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="2-D"):
        metrics.kernel_inception_distance(np.zeros(5), np.zeros(5))
