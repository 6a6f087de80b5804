"""Under MirroredStrategy over two logical CPUs, one update equals the
single-device update on the global batch and the logs do not change."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_losses as kgl


class ConstantGenerator(keras.layers.Layer):
    """A deterministic generator: a trainable image, ignoring the noise."""

    def build(self, input_shape):
        self.image = self.add_weight(
            shape=(6,),
            initializer=keras.initializers.Constant(np.linspace(-1, 1, 6)),
        )

    def call(self, z):
        return keras.ops.zeros_like(z[:, :1]) + self.image[None, :]


def make_gan(d_loss, g_loss, penalties):
    generator = keras.Sequential([keras.Input((3,)), ConstantGenerator()])
    discriminator = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(
            np.arange(6).reshape(6, 1) / 10),
            bias_initializer="zeros"),
    ])
    gan = kgl.GAN(generator, discriminator, seed=3)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1),
                g_optimizer=keras.optimizers.SGD(0.1),
                d_loss=d_loss, g_loss=g_loss, penalties=penalties)
    return gan


@pytest.fixture
def strategy(mirrored_strategy):
    return mirrored_strategy


def fit_single_and_multi(strategy, x, d_loss, g_loss, penalties,
                         make=make_gan):
    """One epoch on `x` in batches of 8, by a GAN on one device and by one
    under `strategy`; returns `(single, its logs, multi, its logs)`."""
    single = make(d_loss, g_loss, penalties())
    single_logs = single.fit(x, batch_size=8, epochs=1, verbose=0,
                             shuffle=False).history
    with strategy.scope():
        multi = make(d_loss, g_loss, penalties())
    multi_logs = multi.fit(tf.data.Dataset.from_tensor_slices(x).batch(8),
                           epochs=1, verbose=0).history
    return single, single_logs, multi, multi_logs


@pytest.mark.parametrize("d_loss,g_loss,penalties", [
    ("non_saturating", "non_saturating", lambda: []),
    ("wasserstein", "wasserstein",
     lambda: [kgl.penalties.GradientPenalty(1.0)]),
    ("hinge", "hinge", lambda: [kgl.penalties.R1Penalty(2.0)]),
    ("least_squares", "least_squares",
     lambda: [kgl.penalties.DRAGANPenalty(1.0), kgl.penalties.R2Penalty()]),
    (keras.losses.BinaryCrossentropy(from_logits=True),
     keras.losses.BinaryCrossentropy(from_logits=True), lambda: []),
    ("hinge", "hinge", lambda: [kgl.penalties.LeCamPenalty(0.5)]),
    ("relativistic_pairing", "relativistic_pairing",
     lambda: [kgl.penalties.R1Penalty(1.0), kgl.penalties.R2Penalty(1.0)]),
], ids=["non_saturating", "wgan_gp", "hinge_r1", "lsgan_dragan_r2",
        "keras_bce", "hinge_lecam", "rpgan_r1_r2"])
def test_one_update_equals_single_device(strategy, d_loss, g_loss,
                                         penalties):
    x = np.random.default_rng(0).normal(size=(8, 6)).astype("float32")
    single, single_logs, multi, multi_logs = fit_single_and_multi(
        strategy, x, d_loss, g_loss, penalties)
    # The update moved the weights, and identically on both set-ups.
    initial = make_gan(d_loss, g_loss, penalties()).get_weights()
    assert any(not np.allclose(a, b)
               for a, b in zip(initial, single.get_weights()))
    for a, b in zip(single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(single_logs) == set(multi_logs)
    for key in single_logs:
        assert multi_logs[key][0] == pytest.approx(single_logs[key][0],
                                                   rel=1e-5, abs=1e-6)


def test_each_replica_draws_its_own_noise(strategy):
    with strategy.scope():
        gan = make_gan("wasserstein", "wasserstein", [])

    @tf.function
    def draw():
        return strategy.run(lambda: gan._latent(4, gan._step_seed()[0]))

    first = strategy.experimental_local_results(draw())
    assert len(first) == 2
    assert not np.allclose(first[0].numpy(), first[1].numpy())
    second = strategy.experimental_local_results(draw())
    assert not np.allclose(first[0].numpy(), second[0].numpy())


@pytest.mark.parametrize("n", [9, 13], ids=["last_batch_1", "last_batch_5"])
@pytest.mark.parametrize("d_loss,penalties", [
    ("non_saturating", lambda: [kgl.penalties.GradientPenalty(1.0)]),
    ("least_squares", lambda: [kgl.penalties.R1Penalty(2.0)]),
    ("non_saturating", lambda: [kgl.penalties.LeCamPenalty(0.5, decay=0.5)]),
    ("relativistic_pairing", lambda: [kgl.penalties.R2Penalty(1.0)]),
], ids=["ns_gp", "lsgan_r1", "ns_lecam", "rpgan_r2"])
def test_partial_last_batch_equals_single_device(strategy, n, d_loss,
                                                 penalties):
    # A last batch of 1 leaves one replica empty, of 5 splits it 3/2:
    # each replica's mean must count for its share of the batch.
    x = np.random.default_rng(1).normal(size=(n, 6)).astype("float32")
    single, single_logs, multi, multi_logs = fit_single_and_multi(
        strategy, x, d_loss, d_loss, penalties)
    for a, b in zip(single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert multi_logs["nonfinite_steps"] == [0.0]
    for key in single_logs:
        assert np.isfinite(multi_logs[key][0]), key
        assert multi_logs[key][0] == pytest.approx(single_logs[key][0],
                                                   rel=1e-5, abs=1e-6)


# --- MMD: a batch statistic, exact through the replicas' all-gather ---------


def make_mmd_gan(d_loss, g_loss, penalties):
    """The same GAN with a critic of 3 output features."""
    generator = keras.Sequential([keras.Input((3,)), ConstantGenerator()])
    discriminator = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(3, kernel_initializer=keras.initializers.Constant(
            np.arange(18).reshape(6, 3) / 20 - 0.4),
            bias_initializer="zeros"),
    ])
    gan = kgl.GAN(generator, discriminator, seed=3)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1),
                g_optimizer=keras.optimizers.SGD(0.1),
                d_loss=d_loss, g_loss=g_loss, penalties=penalties)
    return gan


@pytest.mark.parametrize("n,unbiased,kernel,penalties", [
    # Batches of 8 then 5, split 4/4 then 3/2.
    (13, True, "gaussian", lambda: []),
    # Batches of 8 then 1, the last leaving a replica empty (a batch of one
    # needs the biased estimator). With a linear witness kernel the penalty
    # does not depend on the interpolation draws (which differ per
    # replica), only on the means of the gathered features.
    (9, False, "rational_quadratic",
     lambda: [kgl.penalties.WitnessGradientPenalty(
         1.0, kernel="polynomial", degree=1, gamma=1.0)]),
], ids=["gaussian-last_batch_5", "rq_witness_gp-last_batch_1"])
def test_mmd_update_equals_single_device(strategy, n, unbiased, kernel,
                                         penalties):
    # Each replica gathers every replica's features and computes the
    # global batch's MMD²: the update is the single-device one, also when
    # the last batch splits unevenly or leaves a replica empty.
    x = np.random.default_rng(2).normal(size=(n, 6)).astype("float32")
    single, single_logs, multi, multi_logs = fit_single_and_multi(
        strategy, x,
        kgl.losses.MMDDiscriminatorLoss(kernel=kernel, unbiased=unbiased),
        kgl.losses.MMDGeneratorLoss(kernel=kernel, unbiased=unbiased),
        penalties,
        make=make_mmd_gan)
    initial = make_mmd_gan("mmd", "mmd", []).get_weights()
    assert any(not np.allclose(a, b)
               for a, b in zip(initial, single.get_weights()))
    for a, b in zip(single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(single_logs) == set(multi_logs)
    for key in single_logs:
        assert np.isfinite(multi_logs[key][0]), key
        assert multi_logs[key][0] == pytest.approx(single_logs[key][0],
                                                   rel=1e-5, abs=1e-6), key
