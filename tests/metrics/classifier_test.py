"""Classifier scores: recognisable rate, class coverage, Inception Score."""

import numpy as np
import pytest

from keras_gan_losses import metrics
from keras_gan_losses.data import load_mnist_10k


def reference_scores(p, threshold=0.9, splits=1):
    """Independent NumPy formulas, written out from the definitions."""
    n, k = p.shape
    recognisable = sum(row.max() > threshold for row in p) / n
    labels = [int(np.argmax(row)) for row in p]
    histogram = np.array([labels.count(c) / n for c in range(k)])
    entropy = -sum(h * np.log(h) for h in histogram if h > 0)
    coverage = np.exp(entropy) / k
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0)
        kls = [
            sum(q * np.log(q / m) for q, m in zip(row, marginal) if q > 0)
            for row in part
        ]
        scores.append(np.exp(np.mean(kls)))
    return recognisable, coverage, np.mean(scores)


def test_uniform_one_hot_over_ten_classes():
    scores = metrics.classifier_scores(np.eye(10)[np.arange(50) % 10])
    assert scores == pytest.approx(
        {"recognisable_rate": 1.0, "class_coverage": 1.0,
         "inception_score": 10.0}
    )


def test_a_single_class():
    p = np.full((20, 10), 0.005)
    p[:, 3] = 0.955
    scores = metrics.classifier_scores(p)
    assert scores["class_coverage"] == pytest.approx(0.1)
    assert scores["inception_score"] == pytest.approx(1.0)
    assert scores["recognisable_rate"] == 1.0


def test_all_uniform_probabilities():
    scores = metrics.classifier_scores(np.full((7, 10), 0.1))
    assert scores["recognisable_rate"] == 0.0
    assert scores["inception_score"] == pytest.approx(1.0)


def test_threshold_is_strict():
    p = np.array([[0.9, 0.1], [0.95, 0.05], [0.2, 0.8]])
    assert metrics.classifier_scores(p)["recognisable_rate"] == \
        pytest.approx(1 / 3)
    assert metrics.classifier_scores(p, threshold=0.5)[
        "recognisable_rate"] == pytest.approx(1.0)


def test_two_of_four_classes_equally():
    # h = (1/2, 1/2, 0, 0): exp(log 2) / 4 = 0.5; IS = 2 for one-hot rows.
    p = np.eye(4)[[0, 1, 0, 1]]
    scores = metrics.classifier_scores(p)
    assert scores["class_coverage"] == pytest.approx(0.5)
    assert scores["inception_score"] == pytest.approx(2.0)


@pytest.mark.parametrize("splits", [1, 3])
def test_against_reference_on_random_probabilities(splits):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(90, 10))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p[0] = np.eye(10)[2]  # exact zeros: 0 log 0 = 0
    scores = metrics.classifier_scores(p, threshold=0.7, splits=splits)
    recognisable, coverage, inception = reference_scores(p, 0.7, splits)
    assert 0 < recognisable < 1 and coverage < 1
    assert scores["recognisable_rate"] == pytest.approx(recognisable)
    assert scores["class_coverage"] == pytest.approx(coverage, rel=1e-12)
    assert scores["inception_score"] == pytest.approx(inception, rel=1e-12)


def test_splits_average_the_parts():
    # First half all class 0 (IS 1), second half two classes (IS 2).
    p = np.eye(2)[[0, 0, 0, 0, 0, 1, 0, 1]]
    assert metrics.classifier_scores(p, splits=2)["inception_score"] == \
        pytest.approx(1.5)
    assert metrics.classifier_scores(p)["inception_score"] == \
        pytest.approx(reference_scores(p)[2])


@pytest.mark.parametrize(
    "probabilities, match",
    [
        (np.full(10, 0.1), "2-D"),
        (np.zeros((0, 10)), "empty"),
        (np.full((2, 2), np.nan), "NaN"),
        (np.array([[1.5, -0.5]]), "negative"),
        (np.array([[2.0, 3.0]]), "sum to 1"),
    ],
)
def test_bad_probabilities(probabilities, match):
    with pytest.raises(ValueError, match=match):
        metrics.classifier_scores(probabilities)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"threshold": 1.0}, "threshold"), ({"threshold": -0.1}, "threshold"),
     ({"splits": 0}, "splits"), ({"splits": 5}, "splits"),
     ({"splits": 1.5}, "splits")],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.classifier_scores(np.eye(4), **kwargs)


def test_real_mnist_digits_are_the_ceiling():
    # mnist_10k is the MNIST test split, unseen by the shipped classifier.
    images, labels = load_mnist_10k()
    images = (images.reshape(-1, 28, 28, 1)[:2000] / 127.5 - 1.0)
    p = metrics.classifier_probabilities(images.astype("float32"))
    assert p.shape == (2000, 10)
    assert np.mean(p.argmax(axis=1) == labels[:2000]) > 0.98
    scores = metrics.classifier_scores(p)
    assert scores["recognisable_rate"] > 0.95
    assert scores["class_coverage"] > 0.99
    assert scores["inception_score"] > 9.0
    # Blank images are all one class: far below the ceiling.
    blank = metrics.classifier_scores(
        metrics.classifier_probabilities(np.zeros((50, 28, 28, 1)))
    )
    assert blank["class_coverage"] == pytest.approx(0.1)
    assert blank["inception_score"] == pytest.approx(1.0)
