r"""k-means cluster labels for unlabelled images (self-conditioning).

A GAN conditioned on classes draws each class as its own mode, which is
why the class-conditional MNIST default recognises 96 % of its samples
and the same networks trained without labels 70 %. Unlabelled data can
lend the generator the same structure from clusters of the images
themselves: the *self-conditioned GAN* of Liu et al., "Diverse Image
Generation via Self-Conditioned GANs" (CVPR 2020, arXiv 2006.10728),
conditions both networks on cluster ids and samples the clusters in
proportion to their sizes. They cluster the discriminator's features
and re-cluster during training; `kmeans_labels` clusters the pixels once,
before training, which needs no schedule and costs seconds.
"""

import numpy as np

from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import positive_int

#: Rows of the distance matrix computed at a time (bounds the memory).
_CHUNK = 4096


def kmeans_labels(images, num_clusters, seed=0, max_iterations=100):
    r"""Cluster ids of images by k-means on their pixels.

    Lloyd's algorithm on the flattened images $x_i$ (as float32): starting
    from $k$ centres drawn by k-means++ (Arthur and Vassilvitskii, 2007:
    each next centre drawn with probability proportional to the squared
    distance to the nearest centre so far), it alternates

    $$c(i) = \arg\min_j \lVert x_i - \mu_j \rVert^2, \qquad
    \mu_j = \frac{1}{|\{i : c(i) = j\}|} \sum_{i : c(i) = j} x_i$$

    until no assignment changes or `max_iterations` is reached, which never
    increases $\sum_i \lVert x_i - \mu_{c(i)} \rVert^2$. A cluster left
    empty by an assignment takes the image farthest from its own centre
    (of a cluster with more than one), so every id from 0 to
    `num_clusters - 1` labels at least one image. The result is the same
    for the same images and seed.

    Args:
        images (array-like): `(n, ...)` images (any shape per image, any
            numeric dtype), e.g. uint8 pixels or floats in [-1, 1]. Large
            images cluster as well after downsampling (e.g. to 32×32),
            at a fraction of the cost.
        num_clusters (int): Number of clusters $k$, from 1 to `n`.
        seed (int): Seed of the k-means++ draws. Defaults to 0.
        max_iterations (int): Most Lloyd iterations. Defaults to 100.

    Returns:
        np.ndarray: `int32` cluster ids of shape `(n,)`, in
        `[0, num_clusters)`.

    Raises:
        ValueError: for fewer images than clusters, no images, or
            non-finite values.

    Example:

    >>> points = np.array([[0.0], [0.1], [10.0], [10.2]])
    >>> labels = kmeans_labels(points, 2)
    >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
    True
    """
    num_clusters = positive_int("num_clusters", num_clusters)
    max_iterations = positive_int("max_iterations", max_iterations)
    seed = check_seed(seed)
    points = np.asarray(images)
    if points.ndim < 1 or len(points) == 0:
        raise ValueError("kmeans_labels needs at least one image; received "
                         f"an array of shape {points.shape}.")
    points = points.reshape(len(points), -1).astype(np.float32)
    if len(points) < num_clusters:
        raise ValueError(
            f"num_clusters={num_clusters}, but there are only "
            f"{len(points)} images: use at most {len(points)} clusters.")
    if not np.all(np.isfinite(points)):
        raise ValueError("The images contain NaN or infinite values; "
                         "k-means cannot cluster them.")
    rng = np.random.default_rng(0 if seed is None else seed)
    norms = np.einsum("ij,ij->i", points, points)
    centres = _kmeans_plus_plus(points, norms, num_clusters, rng)
    labels = None
    for _ in range(max_iterations):
        new = _assign(points, norms, centres)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        centres = _means(points, labels, num_clusters)
    return labels.astype(np.int32)


def _squared_distances(points, norms, centres):
    """`(n, k)` squared distances, in chunks of rows, never negative."""
    centre_norms = np.einsum("ij,ij->i", centres, centres)
    out = np.empty((len(points), len(centres)), np.float32)
    for start in range(0, len(points), _CHUNK):
        stop = start + _CHUNK
        out[start:stop] = (norms[start:stop, None] + centre_norms[None]
                           - 2.0 * points[start:stop] @ centres.T)
    return np.maximum(out, 0.0)


def _kmeans_plus_plus(points, norms, num_clusters, rng):
    centres = [points[rng.integers(len(points))]]
    nearest = _squared_distances(points, norms, np.stack(centres))[:, 0]
    for _ in range(num_clusters - 1):
        total = float(nearest.sum(dtype=np.float64))
        if total > 0:
            index = rng.choice(len(points), p=nearest / total)
        else:  # fewer distinct images than clusters
            index = rng.integers(len(points))
        centres.append(points[index])
        nearest = np.minimum(nearest, _squared_distances(
            points, norms, points[index][None])[:, 0])
    return np.stack(centres)


def _assign(points, norms, centres):
    """Each point's nearest centre; a cluster left empty takes the point
    farthest from its centre among those of clusters with more than one."""
    distances = _squared_distances(points, norms, centres)
    labels = distances.argmin(axis=1)
    counts = np.bincount(labels, minlength=len(centres))
    empty = list(np.flatnonzero(counts == 0))
    if empty:
        own = distances[np.arange(len(points)), labels]
        for index in np.argsort(-own, kind="stable"):
            if not empty:
                break
            if counts[labels[index]] > 1:
                counts[labels[index]] -= 1
                labels[index] = empty.pop(0)
    return labels


def _means(points, labels, num_clusters):
    """The clusters' means (one matrix product over a one-hot matrix)."""
    one_hot = np.zeros((num_clusters, len(points)), np.float32)
    one_hot[labels, np.arange(len(points))] = 1.0
    counts = one_hot.sum(axis=1)
    return (one_hot @ points) / np.maximum(counts, 1.0)[:, None]
