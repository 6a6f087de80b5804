"""Input checks shared by the metric functions."""

import numpy as np


def check_features(features, name, min_samples=1):
    """Converts features to a finite float64 array of shape `(n, d)`.

    Args:
        features (array-like): Array-like (NumPy array, tensor, nested lists).
        name (str): Argument name used in error messages.
        min_samples (int): The smallest number of rows accepted.

    Returns:
        A float64 NumPy array of shape `(n, d)`.

    Raises:
        ValueError: if `features` is not 2-D, has fewer than `min_samples`
            rows or no columns, or contains NaN or infinity.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array of shape (num_samples, "
            f"num_features). Received shape {features.shape}"
        )
    if features.shape[1] == 0:
        raise ValueError(f"`{name}` has no feature columns: {features.shape}")
    if features.shape[0] < min_samples:
        raise ValueError(
            f"`{name}` needs at least {min_samples} samples, received "
            f"{features.shape[0]}"
        )
    if not np.all(np.isfinite(features)):
        raise ValueError(f"`{name}` contains NaN or infinite values")
    return features


def check_feature_pair(real_features, fake_features, min_samples=1):
    """Checks two feature arrays with `check_features` and equal widths.

    Returns:
        `(real_features, fake_features)` as float64 arrays.

    Raises:
        ValueError: as `check_features`, or if the feature dimensions of
            the two arrays differ.
    """
    real_features = check_features(
        real_features, "real_features", min_samples
    )
    fake_features = check_features(
        fake_features, "fake_features", min_samples
    )
    if real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(
            "`real_features` and `fake_features` must have the same feature "
            f"dimension. Received shapes {real_features.shape} and "
            f"{fake_features.shape}"
        )
    return real_features, fake_features
