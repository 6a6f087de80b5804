"""Precision/recall and density/coverage against brute-force k-NN."""

import numpy as np
import pytest
import scipy.spatial.distance

from keras_gan_losses import metrics
from keras_gan_losses.metrics import nearest_neighbors


def kth_radii(x, k):
    # Column 0 of the sorted distances is each point's distance to itself.
    return np.sort(scipy.spatial.distance.cdist(x, x), axis=1)[:, k]


def reference_precision_recall(real, fake, k):
    real_radii, fake_radii = kth_radii(real, k), kth_radii(fake, k)
    distances = scipy.spatial.distance.cdist(fake, real)
    precision = np.mean(np.any(distances <= real_radii[None, :], axis=1))
    recall = np.mean(np.any(distances <= fake_radii[:, None], axis=0))
    return precision, recall


def reference_density_coverage(real, fake, k):
    radii = kth_radii(real, k)
    distances = scipy.spatial.distance.cdist(real, fake)
    density = np.sum(distances < radii[:, None]) / (k * len(fake))
    coverage = np.mean(distances.min(axis=1) < radii)
    return density, coverage


@pytest.fixture
def overlapping():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 5))
    fake = rng.normal(size=(250, 5)) + 1.0
    return real, fake


@pytest.fixture(params=[False, True], ids=["one_block", "many_blocks"])
def block_size(request, monkeypatch):
    if request.param:
        # Blocks of a few rows, and a last block that is not full.
        monkeypatch.setattr(nearest_neighbors, "_BLOCK_SIZE", 7 * 300)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_precision_recall_matches_brute_force(overlapping, k, block_size):
    real, fake = overlapping
    result = metrics.precision_recall(real, fake, k=k)
    precision, recall = reference_precision_recall(real, fake, k)
    assert 0.05 < precision < 0.95 and 0.05 < recall < 0.95
    assert result == {"precision": precision, "recall": recall}


@pytest.mark.parametrize("k", [1, 5])
def test_density_coverage_matches_brute_force(overlapping, k, block_size):
    real, fake = overlapping
    result = metrics.density_coverage(real, fake, k=k)
    density, coverage = reference_density_coverage(real, fake, k)
    assert 0.05 < coverage < 0.95
    np.testing.assert_allclose(result["density"], density, rtol=1e-12)
    assert result["coverage"] == coverage


def test_identical_sets():
    real = np.random.default_rng(1).normal(size=(100, 8))
    assert metrics.precision_recall(real, real) == {
        "precision": 1.0, "recall": 1.0}
    assert metrics.density_coverage(real, real)["coverage"] == 1.0


def test_far_away_fakes():
    real = np.random.default_rng(2).normal(size=(100, 8))
    assert metrics.precision_recall(real, real + 50.0) == {
        "precision": 0.0, "recall": 0.0}
    assert metrics.density_coverage(real, real + 50.0) == {
        "density": 0.0, "coverage": 0.0}


def test_constructed_line():
    # Reals at 0, 1, ..., 9: with k=1 every real ball has radius 1. Of the
    # fakes 0.5 and 100 only the first is inside; the two fakes are each
    # other's nearest neighbour, so both fake balls have radius 99.5 and
    # the one around 0.5 contains every real.
    real = np.arange(10.0)[:, None]
    fake = np.array([[0.5], [100.0]])
    assert metrics.precision_recall(real, fake, k=1) == {
        "precision": 0.5, "recall": 1.0}
    # Density: 0.5 is strictly inside the balls of 0 and 1; coverage: the
    # reals 0 and 1 have a fake strictly closer than 1.
    assert metrics.density_coverage(real, fake, k=1) == {
        "density": 1.0, "coverage": 0.2}


def test_mode_collapse():
    # All fakes at or within 1e-3 of the first real sample: perfect
    # precision, but their tiny balls contain only that one real sample.
    rng = np.random.default_rng(3)
    real = rng.normal(size=(200, 4))
    fake = real[0] + 1e-3 * rng.normal(size=(50, 4))
    fake[0] = real[0]
    result = metrics.precision_recall(real, fake)
    assert result == {"precision": 1.0, "recall": 1 / 200}


def test_invariant_to_permutations(overlapping):
    real, fake = overlapping
    rng = np.random.default_rng(4)
    dims = rng.permutation(5)
    expected = metrics.precision_recall(real, fake)
    assert metrics.precision_recall(real[:, dims], fake[:, dims]) == expected
    assert metrics.precision_recall(
        rng.permutation(real), rng.permutation(fake)) == expected


@pytest.mark.parametrize(
    "fn", [metrics.precision_recall, metrics.density_coverage]
)
def test_bad_inputs(fn):
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="k"):
        fn(x, x, k=0)
    with pytest.raises(ValueError, match="more than k=10"):
        fn(x, x, k=10)
    with pytest.raises(ValueError, match="same feature dimension"):
        fn(x, np.zeros((10, 2)), k=2)
    with pytest.raises(ValueError, match="2-D"):
        fn(np.zeros(10), x, k=2)


def test_precision_recall_needs_enough_fakes():
    with pytest.raises(ValueError, match="`fake_features` needs more"):
        metrics.precision_recall(np.zeros((10, 3)), np.zeros((3, 3)), k=3)
