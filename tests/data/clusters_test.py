"""`kgl.data.kmeans_labels` against properties any k-means must have,
checked with NumPy written here: separated groups found, Lloyd's fixed
point, every cluster used, the same labels for the same seed."""

import numpy as np
import pytest

from keras_gan_losses.data import kmeans_labels


def same_partition(a, b):
    """Whether two labelings group the points alike (ids may differ)."""
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_separated_groups_are_found_whatever_the_image_shape():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=20.0, size=(4, 2, 3, 1))
    truth = rng.permutation(np.repeat(np.arange(4), [5, 40, 12, 30]))
    images = centres[truth] + rng.normal(scale=0.5, size=(87, 2, 3, 1))
    labels = kmeans_labels(images, 4)
    assert labels.dtype == np.int32 and labels.shape == (87,)
    assert same_partition(labels, truth)


def test_result_is_a_fixed_point_of_lloyds_iteration():
    # Each image is nearest to the mean of its own cluster (ties aside).
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 255, size=(300, 6)).astype(np.uint8)
    labels = kmeans_labels(points, 7, seed=3)
    x = points.astype(np.float64)
    means = np.stack([x[labels == j].mean(axis=0) for j in range(7)])
    distances = ((x[:, None, :] - means[None]) ** 2).sum(axis=-1)
    own = distances[np.arange(len(x)), labels]
    assert np.all(own <= distances.min(axis=1) + 1e-3)
    np.testing.assert_array_equal(kmeans_labels(points, 7, seed=3), labels)


def test_every_cluster_labels_an_image_even_with_duplicates():
    images = np.concatenate([np.zeros((10, 2)), np.ones((2, 2))])
    labels = kmeans_labels(images, 3)
    assert sorted(set(labels.tolist())) == [0, 1, 2]
    assert len(set(labels[10:].tolist()) & set(labels[:10].tolist())) == 0
    assert sorted(set(kmeans_labels(np.zeros((5, 3)), 3).tolist())) == [
        0, 1, 2]


def test_one_cluster_and_one_per_image():
    points = np.random.default_rng(2).normal(size=(6, 4))
    assert kmeans_labels(points, 1).tolist() == [0] * 6
    assert sorted(kmeans_labels(points, 6).tolist()) == list(range(6))


@pytest.mark.parametrize("images, clusters, message", [
    (np.zeros((3, 2)), 4, "only 3 images"),
    (np.zeros((0, 2)), 1, "at least one image"),
    (np.array([[0.0], [np.nan]]), 1, "NaN or infinite"),
    (np.zeros((3, 2)), 0, "num_clusters"),
])
def test_bad_input_is_named(images, clusters, message):
    with pytest.raises(ValueError, match=message):
        kmeans_labels(images, clusters)
