"""Where each penalty is evaluated, pinned with a nonlinear critic.

A linear critic has the same input gradient everywhere, so it cannot tell
real data from fakes or interpolates. The critic here is D(x) = ½‖x‖²,
whose input gradient is x itself: the penalty's value then depends on the
points where it is evaluated, and the critic also records those points
(it runs eagerly), so each test checks both the points (real data, fakes,
interpolates, perturbed reals) and the value against `tests/reference.py`.
"""

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

from keras_gan_losses import penalties

SEED = tf.constant([11, 12])


class RecordingQuadraticCritic(keras.layers.Layer):
    """D(x) = ½‖x‖² per example; keeps every input it is called on."""

    def __init__(self):
        super().__init__()
        self.points = []

    def call(self, x):
        self.points.append(keras.ops.convert_to_numpy(x))
        axes = tuple(range(1, len(x.shape)))
        return 0.5 * keras.ops.sum(x * x, axis=axes)[:, None]


def data(n=6, shape=(4,)):
    # Reals around 0, fakes around 3: the two never get close.
    rng = np.random.default_rng(0)
    real = rng.normal(size=(n,) + shape).astype("float32")
    fake = (3.0 + rng.normal(size=(n,) + shape)).astype("float32")
    return real, fake


def evaluate(penalty, real, fake, seed=SEED):
    critic = RecordingQuadraticCritic()
    value = float(penalty(critic, real, fake, seed=seed))
    assert len(critic.points) == 1, "one discriminator call per penalty"
    return value, critic.points[0].astype("float64")


def test_r1_is_evaluated_on_real_data():
    real, fake = data(shape=(3, 2, 1))
    value, points = evaluate(penalties.R1Penalty(3.0), real, fake)
    np.testing.assert_array_equal(points, real)
    # ∇D(x) = x: the value is (γ / 2) mean ‖x‖² over the reals.
    assert value == pytest.approx(reference.r1_penalty(real, 3.0), rel=1e-5)
    assert value != pytest.approx(reference.r1_penalty(fake, 3.0), rel=0.1)


def test_r2_is_evaluated_on_fakes():
    real, fake = data(shape=(3, 2, 1))
    value, points = evaluate(penalties.R2Penalty(0.5), real, fake)
    np.testing.assert_array_equal(points, fake)
    assert value == pytest.approx(reference.r1_penalty(fake, 0.5), rel=1e-5)
    assert value != pytest.approx(reference.r1_penalty(real, 0.5), rel=0.1)


def segment_position(points, real, fake):
    """α with points = real + α (fake − real), by least squares per example,
    and the distance of each point from that segment point."""
    direction = (fake - real).reshape(len(real), -1)
    offset = (points - real).reshape(len(real), -1)
    alpha = (offset * direction).sum(1) / (direction * direction).sum(1)
    residual = np.abs(offset - alpha[:, None] * direction).max(axis=1)
    return alpha, residual


@pytest.mark.parametrize("kwargs", [
    {}, {"target": 2.0}, {"target": 6.0, "one_sided": True},
], ids=["default", "target_2", "one_sided"])
def test_gradient_penalty_is_evaluated_on_interpolates(kwargs):
    real, fake = data(n=2000)
    penalty = penalties.GradientPenalty(2.0, **kwargs)
    value, points = evaluate(penalty, real, fake)
    alpha, residual = segment_position(points, real, fake)
    # Each point lies on its own real-fake segment, one α per example...
    assert residual.max() < 1e-5
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    # ... with α ~ U(0, 1): mean 1/2, variance 1/12, no two alike.
    assert alpha.mean() == pytest.approx(0.5, abs=0.03)
    assert alpha.var() == pytest.approx(1 / 12, abs=0.01)
    assert len(np.unique(np.round(alpha, 5))) > 1900
    # ∇D(x̂) = x̂: the value is the reference at the interpolates.
    expected = reference.gradient_penalty(points, 2.0, **kwargs)
    assert value == pytest.approx(expected, rel=1e-5)


def test_one_sided_gradient_penalty_ignores_small_norms():
    real, fake = data(n=200)
    # ‖x̂‖ ranges over about [0, 8]: one-sided at 4 drops about half.
    one_sided, points = evaluate(
        penalties.GradientPenalty(1.0, target=4.0, one_sided=True), real,
        fake)
    two_sided, _ = evaluate(penalties.GradientPenalty(1.0, target=4.0),
                            real, fake)
    norms = reference.gradient_norms(points)
    assert 0.1 < np.mean(norms < 4.0) < 0.9
    assert one_sided == pytest.approx(
        np.mean(np.maximum(norms - 4.0, 0.0) ** 2), rel=1e-5)
    assert 0.0 < one_sided < two_sided


def test_dragan_is_evaluated_near_perturbed_reals():
    real, fake = data(n=2000)
    c = 0.5
    value, points = evaluate(penalties.DRAGANPenalty(3.0, k=1.5, c=c),
                             real, fake)
    # x̂ = x + α · c · std(x) · u, α per example, u elementwise, both U(0, 1):
    # (x̂ − x) / (c · std(x)) = α · u lies in [0, 1) with mean 1/4 and
    # second moment 1/9, and varies within an example.
    scaled = (points - real) / (c * real.std())
    assert scaled.min() >= -1e-5 and scaled.max() < 1.0 + 1e-5
    assert scaled.mean() == pytest.approx(0.25, abs=0.02)
    assert np.mean(scaled ** 2) == pytest.approx(1 / 9, abs=0.02)
    within = scaled.std(axis=1).mean()
    assert within > 0.05
    # It never looks at the fakes: other fakes, the same points.
    _, again = evaluate(penalties.DRAGANPenalty(3.0, k=1.5, c=c), real,
                        -fake)
    np.testing.assert_array_equal(points, again)
    assert value == pytest.approx(reference.dragan_penalty(points, 3.0, 1.5),
                                  rel=1e-5)


def test_dragan_scale_c_sets_the_size_of_the_ball():
    real, fake = data(n=500)
    _, small = evaluate(penalties.DRAGANPenalty(1.0, c=0.1), real, fake)
    _, large = evaluate(penalties.DRAGANPenalty(1.0, c=2.0), real, fake)
    # The same seed, so the same α · u: the offsets scale with c.
    np.testing.assert_allclose(large - real, 20.0 * (small - real),
                               rtol=1e-3, atol=1e-5)
    assert np.abs(large - real).max() > 0.5 * real.std()


@pytest.mark.parametrize("penalty", [
    penalties.GradientPenalty(1.0), penalties.DRAGANPenalty(1.0),
], ids=lambda p: p.name)
def test_random_points_follow_the_seed(penalty):
    real, fake = data(n=50)
    _, first = evaluate(penalty, real, fake, seed=tf.constant([1, 2]))
    _, again = evaluate(penalty, real, fake, seed=tf.constant([1, 2]))
    _, other = evaluate(penalty, real, fake, seed=tf.constant([3, 4]))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_zero_centred_penalties_weight_the_squared_norm_by_half():
    # R1 and R2 are (γ / 2) E‖∇D‖², the GP with target 0 is λ E‖∇D‖²
    # (no 1/2): on the same points the two differ by a factor 2.
    real, fake = data()
    r1, _ = evaluate(penalties.R1Penalty(4.0), real, real)
    gp0, _ = evaluate(penalties.GradientPenalty(4.0, target=0.0), real, real)
    assert gp0 == pytest.approx(2.0 * r1, rel=1e-5)
    assert r1 == pytest.approx(2.0 * np.mean(np.sum(real.astype(
        "float64") ** 2, axis=1)), rel=1e-5)
