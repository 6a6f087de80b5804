"""`evaluate_features`: the chosen metrics of real and generated features."""

from keras_gan_losses.metrics.frechet import frechet_distance
from keras_gan_losses.metrics.kid import kernel_inception_distance
from keras_gan_losses.metrics.nearest_neighbors import density_coverage
from keras_gan_losses.metrics.nearest_neighbors import precision_recall
from keras_gan_losses.metrics.statistics import FeatureStatistics
from keras_gan_losses.metrics.statistics import fid_from_statistics

#: The metrics `evaluate_features` computes, and the result keys of each.
METRIC_KEYS = {
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "precision": ("precision",),
    "recall": ("recall",),
    "density": ("density",),
    "coverage": ("coverage",),
}

def check_metric_names(metrics):
    """`metrics` as a tuple of known names without repeats.

    Args:
        metrics (str | Iterable[str]): A name or names among `METRIC_KEYS`.

    Returns:
        tuple[str, ...]: The names, in order, each once.

    Raises:
        ValueError: if `metrics` is empty or holds an unknown name.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = tuple(metrics)
    unknown = [name for name in metrics if name not in METRIC_KEYS]
    if unknown or not metrics:
        raise ValueError(
            f"`metrics` must be names among {list(METRIC_KEYS)}. "
            f"Received: {metrics!r}"
        )
    return tuple(dict.fromkeys(metrics))


def metric_keys(metrics):
    """The result keys of `metrics` (checked names), in order."""
    return [key for name in metrics for key in METRIC_KEYS[name]]


def evaluate_features(
    real,
    fake_features,
    metrics=("fid", "kid", "precision", "recall"),
    kid_subset_size=1000,
    kid_num_subsets=100,
    seed=0,
):
    """Computes the chosen sample-quality metrics from features.

    The one place where FID, KID, precision/recall and density/coverage
    are computed together: `GANEvaluation`, `kgl evaluate` and the
    benchmarks call it. Each metric is the function of this package
    (`frechet_distance`, `kernel_inception_distance`, `precision_recall`
    with k = 3, `density_coverage` with k = 5) with its defaults, except
    for the KID subsets and seed given here.

    Args:
        real (np.ndarray | FeatureStatistics): Features of the real images,
            shape `(n, d)`, or, when `metrics` is `("fid",)`, their
            `FeatureStatistics` (e.g. a cached file).
        fake_features (np.ndarray): Features of the generated images, shape
            `(m, d)`, from the same extractor.
        metrics (str | tuple[str, ...]): Names among `"fid"`, `"kid"`,
            `"precision"`, `"recall"`, `"density"` and `"coverage"`.
            Defaults to `("fid", "kid", "precision", "recall")`.
        kid_subset_size (int): Samples per KID subset, clipped to the number
            of samples. Defaults to 1000.
        kid_num_subsets (int): Number of KID subsets. Defaults to 100.
        seed (int): Seed of the KID subsets. Defaults to 0.

    Returns:
        dict[str, float]: A dict from key to Python float, in the order of
        `metrics`: `fid`; `kid` and `kid_std` (mean and standard deviation
        over the KID subsets); `precision`; `recall`; `density`;
        `coverage`.

    Raises:
        ValueError: for an unknown metric name, for `FeatureStatistics`
            with a metric other than FID, or for features the metric
            functions reject (not 2-D, different dimensions, non-finite).

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(size=(500, 4))
    >>> fake = rng.normal(size=(500, 4)) + 1.0
    >>> results = evaluate_features(real, fake, metrics=("fid", "kid"),
    ...                             kid_subset_size=100, kid_num_subsets=5)
    >>> list(results)
    ['fid', 'kid', 'kid_std']
    >>> 3.5 < results["fid"] < 4.5  # |mean shift|² = 4
    True
    """
    metrics = check_metric_names(metrics)
    results = {}
    if isinstance(real, FeatureStatistics):
        if metrics != ("fid",):
            raise ValueError(
                f"Real `FeatureStatistics` suffice for FID only; metrics "
                f"{metrics} need the real features."
            )
        fake_stats = FeatureStatistics()
        fake_stats.update_state(fake_features)
        results["fid"] = fid_from_statistics(real, fake_stats)
    elif "fid" in metrics:
        results["fid"] = frechet_distance(real, fake_features)
    if "kid" in metrics:
        results["kid"], results["kid_std"] = kernel_inception_distance(
            real, fake_features, num_subsets=kid_num_subsets,
            subset_size=kid_subset_size, seed=seed,
        )
    if {"precision", "recall"} & set(metrics):
        results.update(precision_recall(real, fake_features))
    if {"density", "coverage"} & set(metrics):
        results.update(density_coverage(real, fake_features))
    return {key: float(results[key]) for key in metric_keys(metrics)}
