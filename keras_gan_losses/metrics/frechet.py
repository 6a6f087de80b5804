"""Fréchet distance between Gaussians fitted to two sets of features (FID).

Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a
Local Nash Equilibrium", 2017 (https://arxiv.org/abs/1706.08500).
"""

import numpy as np

from keras_gan_losses.metrics.checks import check_feature_pair


def frechet_distance(real_features, fake_features) -> float:
    r"""Fréchet distance between Gaussian fits of two feature sets (FID).

    Fits a Gaussian (mean, unbiased covariance) to each set of features and
    returns the squared Fréchet (2-Wasserstein) distance between the two.
    With InceptionV3 pool features (`inception_v3_extractor`) this is the
    Fréchet Inception Distance; with `mnist_extractor` features it is an
    "MNIST FID", comparable only with itself.

    Formula:

    $$
    \text{fid} = \lVert \mu_1 - \mu_2 \rVert^2
    + \operatorname{Tr}\big(C_1 + C_2 - 2\,(C_1 C_2)^{1/2}\big)
    $$

    FID is biased: its expected value decreases as the number of samples
    grows, so compare values computed with the same number of real and of
    generated samples (e.g. 10,000 or 50,000).

    Args:
        real_features (np.ndarray): Features of real data, shape `(n1, d)`,
            `n1 >= 2`.
        fake_features (np.ndarray): Features of generated data, shape `(n2, d)`,
            `n2 >= 2`.

    Returns:
        float: The distance, a Python float `>= 0`, computed in float64.

    Raises:
        ValueError: if the inputs are not 2-D, have different feature
            dimensions, fewer than 2 samples, or non-finite values.

    Example:

    >>> import numpy as np
    >>> real = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    >>> round(frechet_distance(real, real + 1.0), 6)
    2.0
    >>> round(frechet_distance(real, real), 6)
    0.0

    References:
        Heusel et al., 2017, https://arxiv.org/abs/1706.08500
    """
    real_features, fake_features = check_feature_pair(
        real_features, fake_features, min_samples=2
    )
    return frechet_distance_from_stats(
        real_features.mean(axis=0),
        _covariance(real_features),
        fake_features.mean(axis=0),
        _covariance(fake_features),
    )


def frechet_distance_from_stats(mu1, sigma1, mu2, sigma2) -> float:
    r"""Fréchet distance between two Gaussians given by mean and covariance.

    Formula:

    $$
    d = \lVert \mu_1 - \mu_2 \rVert^2
    + \operatorname{Tr}\big(\Sigma_1 + \Sigma_2
    - 2\,(\Sigma_1 \Sigma_2)^{1/2}\big)
    $$

    The trace of the matrix square root is computed without `sqrtm`, from
    symmetric eigendecompositions: `Tr (sigma1 sigma2)^(1/2)` is the sum of
    the square roots of the eigenvalues of the symmetric positive
    semi-definite matrix `sigma1^(1/2) sigma2 sigma1^(1/2)`, which has the
    same eigenvalues as `sigma1 sigma2`. Eigenvalues that rounding makes
    slightly negative are clipped to 0, so singular covariances (fewer
    samples than features) give a finite, real result.

    Args:
        mu1 (np.ndarray): Mean of the first Gaussian, shape `(d,)`.
        sigma1 (np.ndarray): Covariance of the first Gaussian, shape `(d, d)`,
            symmetric positive semi-definite.
        mu2 (np.ndarray): Mean of the second Gaussian, shape `(d,)`.
        sigma2 (np.ndarray): Covariance of the second Gaussian, shape `(d, d)`.

    Returns:
        float: The distance, a Python float `>= 0` (tiny negative values from
        rounding are returned as 0.0), computed in float64.

    Raises:
        ValueError: if the shapes do not match or values are not finite.

    Example:

    >>> import numpy as np
    >>> d = frechet_distance_from_stats(
    ...     np.zeros(2), np.eye(2), np.ones(2), 4.0 * np.eye(2))
    >>> round(d, 6)  # |mu1 - mu2|^2 = 2, Tr(I + 4I - 2 * 2I) = 2
    4.0
    """
    mu1, mu2 = _vector(mu1, "mu1"), _vector(mu2, "mu2")
    sigma1 = _matrix(sigma1, "sigma1", mu1.shape[0])
    sigma2 = _matrix(sigma2, "sigma2", mu1.shape[0])
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"`mu1` and `mu2` must have the same shape. Received {mu1.shape} "
            f"and {mu2.shape}"
        )
    diff = mu1 - mu2
    distance = (
        diff @ diff
        + np.trace(sigma1)
        + np.trace(sigma2)
        - 2.0 * _trace_sqrt_product(sigma1, sigma2)
    )
    return max(float(distance), 0.0)


def _covariance(features):
    # Unbiased (n - 1) covariance, as np.cov and every FID implementation.
    centered = features - features.mean(axis=0)
    return centered.T @ centered / (features.shape[0] - 1)


def _trace_sqrt_product(sigma1, sigma2):
    """`Tr sqrtm(sigma1 @ sigma2)` for symmetric PSD matrices."""
    eigenvalues, eigenvectors = np.linalg.eigh(sigma1)
    root = np.sqrt(np.clip(eigenvalues, 0.0, None))
    sqrt_sigma1 = (eigenvectors * root) @ eigenvectors.T
    product = sqrt_sigma1 @ sigma2 @ sqrt_sigma1
    # Symmetrise away rounding so that eigvalsh sees an exact symmetric input.
    product = 0.5 * (product + product.T)
    eigenvalues = np.clip(np.linalg.eigvalsh(product), 0.0, None)
    return float(np.sum(np.sqrt(eigenvalues)))


def _vector(value, name):
    value = np.asarray(value, dtype=np.float64)
    if value.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1-D mean vector. Received shape {value.shape}"
        )
    if not np.all(np.isfinite(value)):
        raise ValueError(f"`{name}` contains NaN or infinite values")
    return value


def _matrix(value, name, dim):
    value = np.asarray(value, dtype=np.float64)
    if value.shape != (dim, dim):
        raise ValueError(
            f"`{name}` must be a covariance matrix of shape ({dim}, {dim}) to "
            f"match `mu1`. Received shape {value.shape}"
        )
    if not np.all(np.isfinite(value)):
        raise ValueError(f"`{name}` contains NaN or infinite values")
    return 0.5 * (value + value.T)
