"""LeCamPenalty against NumPy references of Tseng et al. 2021 (and of the
authors' code, which takes the ReLU of each difference)."""

import keras
import numpy as np
import pytest
import reference
import tensorflow as tf

from keras_gan_losses import penalties
from keras_gan_losses.penalties import LeCamPenalty

RNG = np.random.default_rng(0)
REAL = RNG.normal(0.5, 1.0, size=(6, 1)).astype("float32")
FAKE = RNG.normal(-0.5, 1.0, size=(6, 1)).astype("float32")


@pytest.mark.parametrize("one_sided", [True, False])
@pytest.mark.parametrize("shape", [(6, 1), (6, 3, 3, 1)])
def test_from_logits_matches_the_formula(one_sided, shape):
    real = RNG.normal(0.5, 1.0, size=shape).astype("float32")
    fake = RNG.normal(-0.5, 1.0, size=shape).astype("float32")
    penalty = LeCamPenalty(weight=0.3, one_sided=one_sided)
    value = penalty.from_logits(real, fake, np.array([0.4, -0.2]))
    expected = reference.lecam_penalty(real, fake, 0.4, -0.2, 0.3,
                                       one_sided=one_sided)
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)


def test_one_sided_ignores_reals_below_and_fakes_above_the_averages():
    penalty = LeCamPenalty(weight=1.0)
    # Reals below α_F and fakes above α_R: nothing to penalise.
    value = penalty.from_logits(np.array([-1.0, -2.0]),
                                np.array([1.0, 2.0]),
                                np.array([0.0, 0.0]))
    assert float(value) == 0.0
    two_sided = LeCamPenalty(weight=1.0, one_sided=False)
    assert float(two_sided.from_logits(np.array([-1.0, -2.0]),
                                       np.array([1.0, 2.0]),
                                       np.array([0.0, 0.0]))) == 5.0


def test_averages_copy_first_then_decay():
    penalty = LeCamPenalty(decay=0.9)
    with tf.distribute.get_strategy().scope():
        penalty.build()
    previous = np.zeros(2)
    for count in range(3):
        real = RNG.normal(size=(4, 1)).astype("float32")
        fake = RNG.normal(size=(4, 1)).astype("float32")
        averages = penalty.updated_averages(np.mean(real), np.mean(fake))
        previous = reference.lecam_averages(previous, count, real, fake, 0.9)
        np.testing.assert_allclose(averages.numpy(), previous, rtol=1e-5)
        penalty.assign(averages)
    assert int(penalty.count.numpy()) == 3


def test_averages_carry_no_gradient():
    penalty = LeCamPenalty(weight=1.0, one_sided=False)
    real = tf.Variable([[1.0], [2.0]])
    fake = tf.Variable([[-1.0], [0.0]])
    with tf.GradientTape() as tape:
        averages = penalty.updated_averages(tf.reduce_mean(real),
                                            tf.reduce_mean(fake))
        value = penalty.from_logits(real, fake, averages)
    grad_real, grad_fake = tape.gradient(value, [real, fake])
    # d/dr mean((r - α_F)²) = 2 (r - α_F) / n with α_F = -0.5 held fixed.
    np.testing.assert_allclose(grad_real.numpy(), [[1.5], [2.5]])
    # d/df mean((α_R - f)²) = -2 (α_R - f) / n with α_R = 1.5 held fixed.
    np.testing.assert_allclose(grad_fake.numpy(), [[-2.5], [-1.5]])


def test_standalone_call_runs_the_discriminator():
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant([[1.0], [2.0]]))])
    real = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")  # D: 1, 2
    fake = np.array([[0.0, 0.0], [-1.0, 0.0]], "float32")  # D: 0, -1
    value = LeCamPenalty(weight=2.0)(critic, real, fake)
    # Never updated: the averages are the batch means, 1.5 and -0.5.
    expected = reference.lecam_penalty([[1.0], [2.0]], [[0.0], [-1.0]],
                                       1.5, -0.5, 2.0)
    np.testing.assert_allclose(float(value), expected, rtol=1e-6)


def test_config_round_trip_and_names():
    penalty = LeCamPenalty(weight=0.1, decay=0.9, one_sided=False, name="lc")
    again = penalties.deserialize(penalties.serialize(penalty))
    assert isinstance(again, LeCamPenalty)
    assert again.get_config() == {"weight": 0.1, "name": "lc", "decay": 0.9,
                                  "one_sided": False}
    assert isinstance(penalties.get("lecam"), LeCamPenalty)


@pytest.mark.parametrize("kwargs, error", [
    ({"decay": 1.0}, ValueError), ({"decay": -0.1}, ValueError),
    ({"weight": -1.0}, ValueError), ({"one_sided": 1}, TypeError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        LeCamPenalty(**kwargs)
