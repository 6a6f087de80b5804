"""Penalties against known gradients: a linear critic D(x) = w·x + b has
∇D = w everywhere, so every penalty has a closed form."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan_losses import penalties

W = np.array([2.0, -1.0, 0.5, 1.5], "float32")  # ‖w‖² = 7.5


def linear_critic(w=W, shape=(4,)):
    size = int(np.prod(shape))
    weights = np.resize(w, size).reshape(size, 1)
    return keras.Sequential([
        keras.Input(shape),
        keras.layers.Flatten(),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(
            weights), bias_initializer="ones"),
    ])


def constant_critic(shape=(4,)):
    # Output independent of the input: the input gradient is exactly zero.
    return keras.Sequential([
        keras.Input(shape),
        keras.layers.Flatten(),
        keras.layers.Dense(1, kernel_initializer="zeros"),
    ])


def batch(shape=(4,), seed=0, n=5):
    return np.random.default_rng(seed).normal(size=(n,) + shape).astype(
        "float32")


NORM = float(np.sqrt(np.sum(W ** 2)))


@pytest.mark.parametrize("penalty,expected", [
    (penalties.GradientPenalty(10.0), 10.0 * (NORM - 1.0) ** 2),
    (penalties.GradientPenalty(2.0, target=3.0), 2.0 * (NORM - 3.0) ** 2),
    (penalties.GradientPenalty(2.0, target=3.0, one_sided=True), 0.0),
    (penalties.GradientPenalty(2.0, target=1.0, one_sided=True),
     2.0 * (NORM - 1.0) ** 2),
    (penalties.R1Penalty(10.0), 5.0 * 7.5),
    (penalties.R2Penalty(4.0), 2.0 * 7.5),
    (penalties.DRAGANPenalty(3.0, k=1.0), 3.0 * (NORM - 1.0) ** 2),
], ids=["gp", "gp_target", "gp_one_sided_below", "gp_one_sided_above", "r1",
        "r2", "dragan"])
def test_linear_critic_closed_form(penalty, expected):
    got = penalty(linear_critic(), batch(seed=0), batch(seed=1),
                  seed=tf.constant([1, 2]))
    assert float(got) == pytest.approx(expected, rel=1e-5)


def test_norm_over_all_non_batch_axes_for_images():
    shape = (3, 3, 2)
    critic = linear_critic(shape=shape)
    w = np.resize(W, 18)
    expected = 10.0 * (np.sqrt(np.sum(w ** 2)) - 1.0) ** 2
    got = penalties.GradientPenalty(10.0)(critic, batch(shape, 0),
                                          batch(shape, 1))
    assert float(got) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("penalty", [
    penalties.GradientPenalty(), penalties.R1Penalty(), penalties.R2Penalty(),
    penalties.DRAGANPenalty(),
], ids=lambda p: p.name)
def test_zero_gradient_gives_finite_penalty_and_gradient(penalty):
    critic = constant_critic()
    with tf.GradientTape() as tape:
        value = penalty(critic, batch(seed=0), batch(seed=1))
    grads = tape.gradient(value, critic.trainable_variables)
    assert np.isfinite(float(value))
    for grad in grads:
        if grad is not None:
            assert np.all(np.isfinite(grad.numpy()))
    if isinstance(penalty, (penalties.R1Penalty,)):
        assert float(value) == 0.0
    else:
        # (‖0‖ − 1)² = 1, times the weight.
        assert float(value) == pytest.approx(penalty.weight, rel=1e-5)


def test_gradient_penalty_on_the_segment_between_real_and_fake():
    # D(x) = ‖x‖² / 2 has ∇D(x) = x, so the penalty reveals x̂ itself:
    # with real = 0 and fake = 1, x̂ = α·1 and ‖∇D‖ = 2α for 4 features.
    critic = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Lambda(
            lambda x: 0.5 * keras.ops.sum(x * x, axis=1, keepdims=True)),
    ])
    gp = penalties.GradientPenalty(1.0, target=0.0)
    real, fake = np.zeros((2000, 4), "float32"), np.ones((2000, 4), "float32")
    values = gp.call(critic, tf.constant(real), tf.constant(fake),
                     seed=tf.constant([3, 4]))
    alpha = np.sqrt(values.numpy()) / 2.0
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    # U(0, 1): mean 1/2, variance 1/12, and many distinct values.
    assert alpha.mean() == pytest.approx(0.5, abs=0.03)
    assert alpha.var() == pytest.approx(1 / 12, abs=0.01)
    assert len(np.unique(np.round(alpha, 4))) > 1000


def test_gradient_penalty_gradient_matches_closed_form():
    # For D(x) = w·x, GP = λ(‖w‖ − 1)², so dGP/dw = 2λ(‖w‖ − 1) w / ‖w‖.
    critic = linear_critic()
    with tf.GradientTape() as tape:
        value = penalties.GradientPenalty(10.0)(critic, batch(seed=0),
                                                batch(seed=1))
    kernel, bias = critic.trainable_variables
    grad_kernel, grad_bias = tape.gradient(value, [kernel, bias])
    expected = 2 * 10.0 * (NORM - 1.0) * W / NORM
    np.testing.assert_allclose(grad_kernel.numpy().ravel(), expected,
                               rtol=1e-5)
    assert grad_bias is None or float(tf.reduce_sum(grad_bias)) == 0.0


def test_works_in_tf_function_and_is_seed_deterministic():
    # Seeded weights, and a tolerance above float32 round-off: graph and
    # eager kernels may sum in another order.
    critic = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="tanh", kernel_initializer=keras
                           .initializers.GlorotUniform(seed=0)),
        keras.layers.Dense(1, kernel_initializer=keras.initializers
                           .GlorotUniform(seed=1)),
    ])
    gp = penalties.GradientPenalty()
    fn = tf.function(lambda r, f, s: gp(critic, r, f, seed=s))
    r, f = batch(seed=0), batch(seed=1)
    first = fn(r, f, tf.constant([5, 6]))
    again = gp(critic, r, f, seed=tf.constant([5, 6]))
    other = fn(r, f, tf.constant([7, 8]))
    assert float(first) == pytest.approx(float(again), rel=1e-5)
    assert float(first) != pytest.approx(float(other), rel=1e-3)


def test_conditional_critic_gradient_is_wrt_image_only():
    image = keras.Input((4,))
    label = keras.Input((3,))
    out = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(
        np.concatenate([W, [10.0, 10.0, 10.0]]).reshape(7, 1)))(
        keras.layers.Concatenate()([image, label]))
    critic = keras.Model([image, label], out)
    labels = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1]]
    got = penalties.R1Penalty(2.0)(critic, batch(seed=0), batch(seed=1),
                                   conditioning=labels)
    assert float(got) == pytest.approx(7.5, rel=1e-5)


@pytest.mark.parametrize("penalty", [
    penalties.GradientPenalty(5.0, target=2.0, one_sided=True, name="gp"),
    penalties.R1Penalty(0.1), penalties.R2Penalty(3.0),
    penalties.DRAGANPenalty(1.0, k=2.0, c=0.25),
], ids=lambda p: type(p).__name__)
def test_config_round_trip(penalty):
    config = penalties.serialize(penalty)
    assert config["registered_name"] == \
        f"keras_gan_losses>{type(penalty).__name__}"
    restored = penalties.deserialize(config)
    assert type(restored) is type(penalty)
    assert restored.get_config() == penalty.get_config()


def test_get_by_name():
    assert isinstance(penalties.get("r1"), penalties.R1Penalty)
    assert isinstance(penalties.get("GradientPenalty"),
                      penalties.GradientPenalty)
    with pytest.raises(ValueError, match="Unknown penalty 'r3'"):
        penalties.get("r3")
    with pytest.raises(TypeError, match="must be a"):
        penalties.get(10.0)


@pytest.mark.parametrize("make,match", [
    (lambda: penalties.GradientPenalty(-1.0), "weight"),
    (lambda: penalties.GradientPenalty(target=-1.0), "target"),
    (lambda: penalties.GradientPenalty(one_sided="yes"), "one_sided"),
    (lambda: penalties.DRAGANPenalty(c=-1.0), "`c`"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_mismatched_real_and_fake_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(5, 3\)"):
        penalties.GradientPenalty()(linear_critic(), batch(), batch()[:, :3])


def test_r1_plus_r2_with_one_weight_is_r3gans_regulariser():
    # R3GAN's Trainer: γ/2 · (‖∇D(x)‖² + ‖∇D(G(z))‖²), each squared norm
    # summed over the pixels of an example, then the mean over the batch.
    # With D(x) = s·½‖x‖² + w·x (a critic that is not linear: its input
    # gradient s·x + w differs from image to image), R1Penalty(γ) +
    # R2Penalty(γ) must equal it: `weight` is R3GAN's γ.
    shape, scale, gamma = (3, 3, 2), 0.7, 0.05
    w = np.resize(W, 18).astype("float32")
    images = keras.Input(shape)
    flat = keras.layers.Flatten()(images)
    linear = keras.layers.Dense(1, use_bias=False,
                                kernel_initializer=keras.initializers.Constant(
                                    w.reshape(18, 1)))(flat)
    square = keras.layers.Lambda(lambda t: scale * 0.5 * keras.ops.sum(
        t * t, axis=1, keepdims=True))(flat)
    critic = keras.Model(images, keras.layers.Add()([linear, square]))
    real, fake = batch(shape, 0, n=6), batch(shape, 1, n=6)
    got = (penalties.R1Penalty(gamma)(critic, real, fake)
           + penalties.R2Penalty(gamma)(critic, real, fake))

    def summed_over_pixels(x):
        grads = scale * x.reshape(len(x), -1).astype("float64") + w
        return (grads ** 2).sum(axis=1)

    expected = np.mean(gamma / 2 * (summed_over_pixels(real)
                                    + summed_over_pixels(fake)))
    assert float(got) == pytest.approx(expected, rel=1e-5)
