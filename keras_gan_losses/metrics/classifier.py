"""Classifier scores of generated images: recognisable rate, class coverage
and Inception Score, from a classifier's class probabilities."""

import numpy as np

from keras_gan_losses.metrics.extractors import mnist_classifier
from keras_gan_losses.metrics.statistics import compute_features

#: The keys of `classifier_scores`, in order.
CLASSIFIER_SCORE_KEYS = ("recognisable_rate", "class_coverage",
                         "inception_score")

#: How far a row of probabilities may sum from 1.
_SUM_TOLERANCE = 1e-3


def classifier_scores(probabilities, threshold=0.9, splits=1):
    r"""Recognisable rate, class coverage and Inception Score.

    From the class probabilities $p(y \mid x_i)$ that a classifier assigns
    to $n$ images over $K$ classes, with $\hat y_i = \arg\max_y
    p(y \mid x_i)$:

    - **recognisable rate**: the share of images classified with
      confidence above `threshold`,
      $\frac{1}{n} \sum_i [\max_y p(y \mid x_i) > t]$;
    - **class coverage**: the exponential of the entropy of the histogram
      $h_y = \frac{1}{n} \#\{i : \hat y_i = y\}$ of predicted classes,
      divided by $K$: $\exp(-\sum_y h_y \log h_y) / K$. It is 1 when every
      class is predicted equally often and $1/K$ when one class is;
    - **Inception Score** (Salimans et al., 2016):
      $\exp\big(\frac{1}{n} \sum_i \mathrm{KL}(p(y \mid x_i) \,\|\,
      p(y))\big)$ with the marginal $p(y) = \frac{1}{n} \sum_i
      p(y \mid x_i)$, natural logarithms; between 1 and $K$. With
      `splits` > 1 it is the mean of the scores of `splits` equal,
      consecutive parts (the usual protocol uses 10 parts of 5,000).

    All three are computed in float64. Use the same classifier and number
    of images for every value you compare, and report the scores of real
    images next to them: they are the ceiling.

    Args:
        probabilities (array-like): Class probabilities of shape
            `(n, num_classes)`, e.g. from `classifier_probabilities`:
            non-negative rows that sum to 1 (within 1e-3).
        threshold (float): Confidence above which an image counts as
            recognisable, in [0, 1). Defaults to 0.9.
        splits (int): Number of parts the Inception Score is averaged
            over, at most `n`. Defaults to 1 (the whole sample), which
            suits small samples.

    Returns:
        dict[str, float]: `{"recognisable_rate", "class_coverage",
        "inception_score"}` as Python floats.

    Raises:
        ValueError: if `probabilities` is not 2-D, is empty, contains NaN,
            negative values or rows that do not sum to 1, or if
            `threshold` or `splits` is out of range.

    Example:

    >>> import numpy as np
    >>> probabilities = np.eye(10)[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]
    >>> scores = classifier_scores(probabilities)
    >>> {key: round(value, 6) for key, value in scores.items()}
    {'recognisable_rate': 1.0, 'class_coverage': 1.0, 'inception_score': 10.0}
    """
    probabilities = _check_probabilities(probabilities)
    if not 0.0 <= threshold < 1.0:
        raise ValueError(
            f"`threshold` must be in [0, 1). Received: threshold={threshold!r}"
        )
    n, num_classes = probabilities.shape
    if int(splits) != splits or not 1 <= splits <= n:
        raise ValueError(
            f"`splits` must be an integer from 1 to the number of images "
            f"({n}). Received: splits={splits!r}"
        )
    recognisable = np.mean(probabilities.max(axis=1) > threshold)
    counts = np.bincount(probabilities.argmax(axis=1), minlength=num_classes)
    histogram = counts[counts > 0] / n
    coverage = np.exp(-np.sum(histogram * np.log(histogram))) / num_classes
    scores = [
        _inception_score(part)
        for part in np.array_split(probabilities, int(splits))
    ]
    return {
        "recognisable_rate": float(recognisable),
        "class_coverage": float(coverage),
        "inception_score": float(np.mean(scores)),
    }


def classifier_probabilities(images, classifier=None, batch_size=256):
    """Class probabilities of images from a Keras classifier.

    Runs the classifier batch by batch with `compute_features`, so images
    are taken as they are: in the range the classifier expects ([-1, 1]
    for `mnist_classifier`), as a NumPy array or a `tf.data.Dataset`.

    Args:
        images (np.ndarray | tf.data.Dataset): Images, as in
            `compute_features`.
        classifier (keras.Model | Callable | None): A model mapping a batch
            of images to class probabilities `(batch, num_classes)` (a
            softmax output, not logits). Defaults to `None`: the shipped
            `mnist_classifier()`, for 28×28×1 images in [-1, 1].
        batch_size (int): Batch size for NumPy arrays and unbatched
            datasets. Defaults to 256.

    Returns:
        np.ndarray: Probabilities of shape `(n, num_classes)`.

    Raises:
        ValueError: as `compute_features`.

    Example:

    >>> import numpy as np
    >>> images = np.zeros((3, 28, 28, 1), "float32")
    >>> classifier_probabilities(images).shape
    (3, 10)
    """
    if classifier is None:
        classifier = mnist_classifier()
    return compute_features(classifier, images, batch_size=batch_size)


def _inception_score(probabilities):
    marginal = probabilities.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = probabilities * (
            np.log(probabilities) - np.log(marginal)
        )
    # 0 log 0 = 0: a class with p(y|x) = 0 adds nothing to the KL.
    terms = np.where(probabilities > 0, terms, 0.0)
    return np.exp(np.mean(np.sum(terms, axis=1)))


def _check_probabilities(probabilities):
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape[1] == 0:
        raise ValueError(
            "`probabilities` must be a 2-D array of shape (num_images, "
            f"num_classes). Received shape {probabilities.shape}"
        )
    if probabilities.shape[0] == 0:
        raise ValueError("`probabilities` is empty: no images.")
    if not np.all(np.isfinite(probabilities)):
        raise ValueError("`probabilities` contains NaN or infinite values")
    if np.any(probabilities < 0):
        raise ValueError(
            "`probabilities` contains negative values: pass class "
            "probabilities (a softmax output), not logits."
        )
    sums = probabilities.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _SUM_TOLERANCE)
    if len(bad):
        raise ValueError(
            f"Each row of `probabilities` must sum to 1: {len(bad)} rows "
            f"do not (row {bad[0]} sums to {sums[bad[0]]:.6g}). Pass class "
            "probabilities (a softmax output), not logits."
        )
    return probabilities
