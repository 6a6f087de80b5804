"""Fidelity and diversity from k-nearest-neighbor balls in feature space.

Improved precision and recall: Kynkäänniemi et al., "Improved Precision and
Recall Metric for Assessing Generative Models", 2019
(https://arxiv.org/abs/1904.06991). Density and coverage: Naeem et al.,
"Reliable Fidelity and Diversity Metrics for Generative Models", 2020
(https://arxiv.org/abs/2002.09797).
"""

import numpy as np

from keras_gan_losses.metrics.checks import check_feature_pair

# Float64 values per block of a distance matrix (32 MB), so that 10k x 10k
# and larger comparisons never hold a full n1 x n2 matrix.
_BLOCK_SIZE = 2**22


def precision_recall(real_features, fake_features, k: int = 3) -> dict:
    r"""Improved precision and recall (Kynkäänniemi et al. 2019).

    Each real sample gets a ball whose radius is the distance to its k-th
    nearest other real sample; their union estimates the real manifold.
    Precision is the fraction of generated samples inside that manifold
    (fidelity); recall is the fraction of real samples inside the manifold
    estimated the same way from the generated samples (diversity).

    Formula:

    $$
    \begin{aligned}
    r_k(x) &= \text{distance from } x \text{ to its } k\text{-th nearest
    neighbour in its own set} \\
    \text{precision} &= \operatorname{mean}_{y \in \text{fake}}
    \big[\exists\, x \in \text{real}: \lVert y - x \rVert \le r_k(x)\big] \\
    \text{recall} &= \operatorname{mean}_{x \in \text{real}}
    \big[\exists\, y \in \text{fake}: \lVert x - y \rVert \le r_k(y)\big]
    \end{aligned}
    $$

    Distances are Euclidean, computed in float64 in blocks, so memory stays
    bounded (about 32 MB per block) for sets of 10,000 samples and more.
    Both metrics depend on `k`, on the number of samples (use the same
    number of real and generated samples, e.g. 10,000, when comparing) and
    on the feature extractor; outliers inflate the balls.

    Args:
        real_features (np.ndarray): Features of real data, shape `(n1, d)`,
            `n1 > k`.
        fake_features (np.ndarray): Features of generated data, shape `(n2, d)`,
            `n2 > k`.
        k (int): The neighbor defining each ball's radius. Defaults to 3, the
            paper's choice.

    Returns:
        dict[str, float]: A dict `{"precision": float, "recall": float}`, both
        in [0, 1].

    Raises:
        ValueError: for inputs that are not 2-D, have different feature
            dimensions or non-finite values, for `k < 1`, or if a set has
            `k` samples or fewer.

    Example:

    >>> import numpy as np
    >>> real = np.random.default_rng(0).normal(size=(50, 4))
    >>> precision_recall(real, real)
    {'precision': 1.0, 'recall': 1.0}
    >>> precision_recall(real, real + 100.0)
    {'precision': 0.0, 'recall': 0.0}

    References:
        Kynkäänniemi et al., 2019, https://arxiv.org/abs/1904.06991
    """
    real_features, fake_features = _check(real_features, fake_features, k)
    if len(fake_features) <= k:
        raise ValueError(
            f"`fake_features` needs more than k={k} samples for the k-th "
            f"nearest neighbor, received {len(fake_features)}"
        )
    real_radii = _kth_neighbor_sq_distances(real_features, k)
    fake_radii = _kth_neighbor_sq_distances(fake_features, k)
    # One pass over blocks of real rows x all fake columns gives both.
    fake_inside = np.zeros(len(fake_features), dtype=bool)
    real_inside = np.zeros(len(real_features), dtype=bool)
    blocks = _sq_distance_blocks(real_features, fake_features)
    for start, stop, block in blocks:
        fake_inside |= np.any(block <= real_radii[start:stop, None], axis=0)
        real_inside[start:stop] = np.any(block <= fake_radii, axis=1)
    return {
        "precision": float(np.mean(fake_inside)),
        "recall": float(np.mean(real_inside)),
    }


def density_coverage(real_features, fake_features, k: int = 5) -> dict:
    r"""Density and coverage (Naeem et al. 2020).

    Robust alternatives to precision and recall that only build balls
    around real samples (radius: distance to the k-th nearest other real
    sample), so outliers among the generated samples cannot inflate them.
    Density counts how many real balls contain each generated sample,
    divided by `k` (about 1 when the two distributions match, and not
    bounded by 1); coverage is the fraction of real samples whose ball
    contains at least one generated sample.

    Formula:

    $$
    \begin{aligned}
    B(x) &= \{\, y : \lVert y - x \rVert < r_k(x) \,\}
    \quad \text{for real } x \\
    \text{density} &= \frac{1}{k\, n_2} \sum_{y \in \text{fake}}
    \#\{\, x \in \text{real} : y \in B(x) \,\} \\
    \text{coverage} &= \operatorname{mean}_{x \in \text{real}}
    \big[\exists\, y \in \text{fake}: y \in B(x)\big]
    \end{aligned}
    $$

    Like the reference implementation (`prdc`), membership uses a strict
    inequality `|y - x| < r_k(x)`. Distances are Euclidean, in float64 and
    in blocks of bounded memory.

    Args:
        real_features (np.ndarray): Features of real data, shape `(n1, d)`,
            `n1 > k`.
        fake_features (np.ndarray): Features of generated data, shape `(n2, d)`.
        k (int): The neighbor defining each ball's radius. Defaults to 5, the
            paper's choice.

    Returns:
        dict[str, float]: A dict `{"density": float, "coverage": float}`;
        density is `>= 0`, coverage in [0, 1].

    Raises:
        ValueError: for inputs that are not 2-D, have different feature
            dimensions or non-finite values, for `k < 1`, or if the real
            set has `k` samples or fewer.

    Example:

    >>> import numpy as np
    >>> real = np.random.default_rng(0).normal(size=(50, 4))
    >>> density_coverage(real, real + 100.0)
    {'density': 0.0, 'coverage': 0.0}
    >>> density_coverage(real, real)["coverage"]
    1.0

    References:
        Naeem et al., 2020, https://arxiv.org/abs/2002.09797
    """
    real_features, fake_features = _check(real_features, fake_features, k)
    real_radii = _kth_neighbor_sq_distances(real_features, k)
    inside = 0
    covered = np.zeros(len(real_features), dtype=bool)
    blocks = _sq_distance_blocks(real_features, fake_features)
    for start, stop, block in blocks:
        within = block < real_radii[start:stop, None]
        inside += np.count_nonzero(within)
        covered[start:stop] = np.any(within, axis=1)
    return {
        "density": float(inside / (k * len(fake_features))),
        "coverage": float(np.mean(covered)),
    }


def _check(real_features, fake_features, k):
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"`k` must be a positive integer. Received: k={k!r}")
    real_features, fake_features = check_feature_pair(
        real_features, fake_features
    )
    if len(real_features) <= k:
        raise ValueError(
            f"`real_features` needs more than k={k} samples for the k-th "
            f"nearest neighbor, received {len(real_features)}"
        )
    return real_features, fake_features


def _sq_distance_blocks(queries, points):
    """Yields `(start, stop, block)`, squared distances of rows to `points`.

    `block[i, j] = |queries[start + i] - points[j]|^2`, for consecutive row
    ranges of `queries` sized so that a block has about `_BLOCK_SIZE`
    values.
    """
    query_norms = np.einsum("ij,ij->i", queries, queries)
    point_norms = np.einsum("ij,ij->i", points, points)
    rows = max(1, _BLOCK_SIZE // len(points))
    for start in range(0, len(queries), rows):
        stop = min(start + rows, len(queries))
        block = queries[start:stop] @ points.T
        block *= -2.0
        block += query_norms[start:stop, None]
        block += point_norms[None, :]
        # The expansion |a|^2 + |b|^2 - 2 a.b can round below zero.
        np.maximum(block, 0.0, out=block)
        yield start, stop, block


def _kth_neighbor_sq_distances(features, k):
    """Squared distance of every row to its k-th nearest other row."""
    radii = np.empty(len(features))
    for start, stop, block in _sq_distance_blocks(features, features):
        rows = np.arange(stop - start)
        # Each row's distance to itself is exactly 0, the 0-th neighbor.
        block[rows, rows + start] = 0.0
        radii[start:stop] = np.partition(block, k, axis=1)[:, k]
    return radii

