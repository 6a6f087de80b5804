"""FeatureMatchingGeneratorLoss against the NumPy reference: value, gradient,
float16 inputs, config, and the global batch means under tf.distribute."""

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

import keras_gan_losses as kgl

FM = kgl.losses.FeatureMatchingGeneratorLoss


def features(shape, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) + shift).astype("float32")


@pytest.mark.parametrize("real_shape,fake_shape", [
    ((8, 5), (8, 5)),
    ((6, 4, 4, 3), (10, 4, 4, 3)),
], ids=["dense", "conv_other_batch_size"])
def test_value_equals_the_reference(real_shape, fake_shape):
    real, fake = features(real_shape, 0), features(fake_shape, 1, shift=0.7)
    expected = reference.feature_matching(real, fake)
    assert float(FM("f")(real, fake)) == pytest.approx(expected, rel=1e-5)
    assert float(kgl.losses.feature_matching_generator_loss(real, fake)) \
        == pytest.approx(expected, rel=1e-5)
    # Not the mean of per-example squared distances, which is larger.
    per_example = np.mean((real.reshape(len(real), -1).mean(0)
                           - fake.reshape(len(fake), -1)) ** 2)
    assert per_example > expected + 0.1


def test_gradient_flows_into_the_fake_features_only():
    # d/d fake_i of mean_j (m_r − m_f)_j² is −2 (m_r − m_f) / (J n_fake).
    real, fake = features((6, 4), 2), features((5, 4), 3, shift=1.0)
    real_t, fake_t = tf.constant(real), tf.constant(fake)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([real_t, fake_t])
        value = FM("f")(real_t, fake_t)
    diff = real.astype("float64").mean(0) - fake.astype("float64").mean(0)
    expected = np.tile(-2.0 * diff / (4 * 5), (5, 1))
    np.testing.assert_allclose(tape.gradient(value, fake_t), expected,
                               rtol=1e-5, atol=1e-7)
    real_grad = tape.gradient(value, real_t)
    assert real_grad is None or not np.any(real_grad.numpy())


def test_float16_inputs_computed_in_float32():
    # A mean difference of 300 squares to 90000, beyond float16's 65504.
    real = np.full((4, 3), 300.0, "float16")
    fake = np.zeros((4, 3), "float16")
    value = FM("f")(real, fake)
    assert value.dtype == tf.float32
    assert float(value) == pytest.approx(90000.0)
    # The same formula in float16 overflows.
    in_float16 = tf.reduce_mean(tf.square(
        tf.reduce_mean(real, 0) - tf.reduce_mean(fake, 0)))
    assert in_float16.dtype == tf.float16
    assert not np.isfinite(in_float16.numpy())


def test_config_round_trip_and_registration():
    loss = FM("conv2", name="fm")
    config = keras.losses.serialize(loss)
    assert config["registered_name"] == \
        "keras_gan_losses>FeatureMatchingGeneratorLoss"
    assert config["config"] == {"name": "fm", "layer": "conv2"}
    restored = keras.losses.deserialize(config)
    assert type(restored) is FM
    assert restored.layer == "conv2" and restored.name == "fm"
    assert restored.role == "generator"
    assert FM in kgl.losses.ALL_OBJECTS


@pytest.mark.parametrize("call,error,match", [
    (lambda: FM(3), TypeError, "name of a discriminator layer"),
    (lambda: FM(""), TypeError, "name of a discriminator layer"),
    (lambda: FM("f")(np.zeros(3), np.zeros(3)), ValueError,
     "at least one feature axis"),
    (lambda: FM("f")(np.zeros((2, 3)), np.zeros((2, 4))), ValueError,
     "same feature shape"),
    (lambda: FM("f")(np.zeros((2, 3)), np.zeros((2, 3)),
                     sample_weight=np.ones(2)), ValueError,
     "no `sample_weight`"),
    (lambda: kgl.losses.get("FeatureMatchingGeneratorLoss", role="generator"),
     ValueError, r"FeatureMatchingGeneratorLoss\(layer="),
    (lambda: kgl.losses.get(FM, role="generator"), ValueError,
     "needs arguments"),
    (lambda: kgl.losses.get(FM("f"), role="discriminator"), TypeError,
     "swap"),
], ids=["layer_int", "layer_empty", "no_feature_axis", "feature_shapes",
        "sample_weight", "by_name", "by_class", "discriminator_slot"])
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("n_real,n_fake", [(8, 8), (5, 3), (1, 3)],
                         ids=["even", "uneven", "one_replica_empty"])
def test_batch_means_are_global_under_mirrored_strategy(
        mirrored_strategy, n_real, n_fake):
    # Every replica returns the loss L of the global batch; the gradient
    # of L / 2 (each replica's share, as the GAN weights it) in each
    # replica is the global gradient's rows of its own examples.
    strategy = mirrored_strategy
    real, fake = features((n_real, 4), 4), features((n_fake, 4), 5, 1.0)
    splits = {"real": np.array_split(real, 2), "fake": np.array_split(fake, 2)}
    loss = FM("f")

    def per_replica(name):
        return strategy.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(splits[name][ctx.replica_id_in_sync_group]))

    @tf.function
    def step(real_part, fake_part):
        with tf.GradientTape() as tape:
            tape.watch(fake_part)
            value = loss(real_part, fake_part)
            share = value / 2.0
        return value, tape.gradient(share, fake_part)

    result = strategy.run(step, args=(per_replica("real"),
                                      per_replica("fake")))
    parts = strategy.experimental_local_results(result[0])
    grads = strategy.experimental_local_results(result[1])
    expected = reference.feature_matching(real, fake)
    for value in parts:
        assert float(value) == pytest.approx(expected, rel=1e-5)
    diff = real.astype("float64").mean(0) - fake.astype("float64").mean(0)
    expected_grad = np.tile(-2.0 * diff / (4 * n_fake), (n_fake, 1))
    np.testing.assert_allclose(np.concatenate([g.numpy() for g in grads]),
                               expected_grad, rtol=1e-5, atol=1e-7)
