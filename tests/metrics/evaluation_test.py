"""`evaluate_features` against NumPy/SciPy formulas written out here."""

import numpy as np
import pytest
import scipy.linalg

from keras_gan_losses import metrics

ALL = ("fid", "kid", "precision", "recall", "density", "coverage")


def features(n, seed, shift=0.0, d=6):
    return np.random.default_rng(seed).normal(size=(n, d)) + shift


def scipy_fid(x, y):
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    diff = x.mean(axis=0) - y.mean(axis=0)
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    return diff @ diff + np.trace(s1 + s2 - 2.0 * covmean)


def mmd2_unbiased(x, y):
    """Unbiased MMD² with the kernel (x·y / d + 1)³, over whole sets."""
    d = x.shape[1]
    kxx, kyy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m = len(x)
    return ((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy))
            / (m * (m - 1)) - 2 * kxy.mean())


def distances(a, b):
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def kth_radius(x, k):
    return np.sort(distances(x, x), axis=1)[:, k]  # column 0 is x itself


def nn_metrics(real, fake):
    """Precision/recall (k = 3) and density/coverage (k = 5), brute force."""
    d = distances(real, fake)  # (real, fake)
    r3, f3, r5 = kth_radius(real, 3), kth_radius(fake, 3), kth_radius(real, 5)
    return {
        "precision": np.mean((d <= r3[:, None]).any(axis=0)),
        "recall": np.mean((d <= f3[None, :]).any(axis=1)),
        # Density and coverage count strictly inside, as in prdc.
        "density": (d < r5[:, None]).sum() / (5 * len(fake)),
        "coverage": np.mean((d < r5[:, None]).any(axis=1)),
    }


def test_all_metrics_match_the_formulas():
    real, fake = features(60, seed=1), features(60, seed=2, shift=0.4)
    # One subset as large as the sets: KID is the MMD² of the whole sets.
    results = metrics.evaluate_features(
        real, fake, metrics=ALL, kid_subset_size=60, kid_num_subsets=1)
    assert list(results) == ["fid", "kid", "kid_std", "precision", "recall",
                             "density", "coverage"]
    assert all(type(value) is float for value in results.values())
    assert results["fid"] == pytest.approx(scipy_fid(real, fake), rel=1e-8)
    assert results["kid"] == pytest.approx(mmd2_unbiased(real, fake),
                                           rel=1e-9)
    assert results["kid_std"] == 0.0
    expected = nn_metrics(real, fake)
    for key, value in expected.items():
        assert results[key] == pytest.approx(value, abs=1e-12), key
    assert 0 < expected["precision"] < 1 and 0 < expected["coverage"] < 1


def test_kid_subsets_and_seed_are_passed_on():
    real, fake = features(80, seed=3), features(90, seed=4, shift=0.3)
    results = metrics.evaluate_features(
        real, fake, metrics="kid", kid_subset_size=20, kid_num_subsets=7,
        seed=11)
    # The subsets of kernel_inception_distance: indices drawn in turn.
    rng = np.random.default_rng(11)
    estimates = []
    for _ in range(7):
        x = real[rng.choice(80, 20, replace=False)]
        y = fake[rng.choice(90, 20, replace=False)]
        estimates.append(mmd2_unbiased(x, y))
    assert list(results) == ["kid", "kid_std"]
    assert results["kid"] == pytest.approx(np.mean(estimates), rel=1e-9)
    assert results["kid_std"] == pytest.approx(np.std(estimates), rel=1e-9)


def test_order_follows_metrics_and_repeats_count_once():
    real, fake = features(30, seed=5), features(30, seed=6)
    results = metrics.evaluate_features(
        real, fake, metrics=("recall", "fid", "recall"))
    assert list(results) == ["recall", "fid"]


def test_real_statistics_suffice_for_fid():
    real, fake = features(50, seed=7), features(40, seed=8, shift=1.0)
    stats = metrics.FeatureStatistics()
    stats.update_state(real[:20])
    stats.update_state(real[20:])
    from_stats = metrics.evaluate_features(stats, fake, metrics=("fid",))
    assert from_stats["fid"] == pytest.approx(scipy_fid(real, fake),
                                              rel=1e-8)
    with pytest.raises(ValueError, match="FID only"):
        metrics.evaluate_features(stats, fake, metrics=("fid", "kid"))


@pytest.mark.parametrize("names", [(), ("fid", "is"), "FID"])
def test_unknown_or_no_metric_names(names):
    real = features(10, seed=9)
    with pytest.raises(ValueError, match="must be names among"):
        metrics.evaluate_features(real, real, metrics=names)


def test_non_finite_features_are_an_error():
    real, fake = features(10, seed=10), features(10, seed=11)
    fake[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        metrics.evaluate_features(real, fake, metrics=("fid",))
