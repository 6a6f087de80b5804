"""An empty replica: 9 images in batches of 8 over two replicas (two
logical CPUs) give a last batch of 1, which leaves the second replica
with no example. With convolutional networks (oneDNN's CPU convolutions
fail on an empty batch) every GAN feature must still give the
single-device update."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_losses as kgl

SHAPE = (28, 28, 1)


def conv_generator(num_classes=None):
    """Transposed convolutions without batch normalisation, whose output
    does not depend on the noise (the input is multiplied by 0), so that
    one replica's noise and the single device's give the same images."""
    z = keras.Input((8,))
    inputs, h = z, keras.layers.Lambda(lambda t: t * 0.0)(z)
    if num_classes is not None:
        labels = keras.Input((), dtype="int32")
        inputs = [z, labels]
        h = keras.layers.Concatenate()([h, keras.layers.Embedding(
            num_classes, 2)(labels)])
    h = keras.layers.Dense(7 * 7 * 4, activation="relu")(h)
    h = keras.layers.Reshape((7, 7, 4))(h)
    h = keras.layers.Conv2DTranspose(4, 4, strides=2, padding="same",
                                     activation="relu")(h)
    out = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same",
                                       activation="tanh")(h)
    return keras.Model(inputs, out)


def make(case):
    num_classes = 3 if case == "conditional" else None
    outputs = 4 if case == "mmd" else 1
    keras.utils.set_random_seed(0)
    discriminator = kgl.architectures.dcgan_discriminator(
        SHAPE, num_classes=num_classes, width=4, outputs=outputs)
    gan = kgl.GAN(conv_generator(num_classes), discriminator, seed=1,
                  num_classes=num_classes)
    compile_kwargs = {
        # Labels through the projection discriminator and the generator's
        # embedding; R1 (no random draws); LeCam's means over the batch;
        # feature matching's feature means over all replicas (all-reduced).
        "conditional": dict(
            g_loss=["non_saturating",
                    kgl.losses.FeatureMatchingGeneratorLoss("down2")],
            penalties=[kgl.penalties.R1Penalty(1.0),
                       kgl.penalties.LeCamPenalty(0.5, decay=0.5)]),
        # A kernel over all replicas' features (all-gathered); a batch of
        # one needs the biased estimator.
        "mmd": dict(d_loss=kgl.losses.MMDDiscriminatorLoss(unbiased=False),
                    g_loss=kgl.losses.MMDGeneratorLoss(unbiased=False)),
    }[case]
    gan.compile(d_optimizer=keras.optimizers.SGD(0.05),
                g_optimizer=keras.optimizers.SGD(0.05), jit_compile=False,
                **compile_kwargs)
    return gan


def data(n, labels):
    rng = np.random.default_rng(4)
    images = rng.uniform(-1, 1, (n,) + SHAPE).astype("float32")
    if not labels:
        return images, tf.data.Dataset.from_tensor_slices(images).batch(8)
    classes = (np.arange(n) % 3).astype("int32")
    return (images, classes), tf.data.Dataset.from_tensor_slices(
        (images, classes)).batch(8)


@pytest.mark.parametrize("case", ["conditional", "mmd"])
def test_conv_gan_with_an_empty_replica_equals_single_device(
        mirrored_strategy, case):
    arrays, dataset = data(9, case == "conditional")
    single = make(case)
    initial = single.get_weights()
    x, y = arrays if isinstance(arrays, tuple) else (arrays, None)
    single_logs = single.fit(x, y, batch_size=8, epochs=1, verbose=0,
                             shuffle=False).history
    with mirrored_strategy.scope():
        multi = make(case)
    multi_logs = multi.fit(dataset, epochs=1, verbose=0).history
    assert multi_logs["nonfinite_steps"] == [0.0]
    assert any(not np.allclose(a, b)
               for a, b in zip(initial, single.get_weights()))
    for a, b in zip(single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # The logs (losses, penalties, logit means and the signals: accuracy,
    # gradient norms, diversity) are those of the single device.
    assert set(single_logs) == set(multi_logs)
    for key in single_logs:
        assert multi_logs[key][0] == pytest.approx(
            single_logs[key][0], rel=1e-5, abs=1e-6), key


def dcgan(seed=0):
    keras.utils.set_random_seed(seed)
    generator, discriminator = kgl.architectures.dcgan(SHAPE, latent_dim=8,
                                                       width=4)
    gan = kgl.GAN(generator, discriminator, seed=1)
    gan.compile(jit_compile=False)
    return gan


def test_batch_norm_dcgan_with_an_empty_replica(mirrored_strategy):
    # One image: the first replica holds the whole batch and draws the
    # single device's noise, the second holds none. The update, batch
    # norm's moving statistics included, is the single device's.
    image, _ = data(1, False)
    single = dcgan()
    single.fit(image, batch_size=8, epochs=1, verbose=0, shuffle=False)
    with mirrored_strategy.scope():
        multi = dcgan()
    logs = multi.fit(tf.data.Dataset.from_tensor_slices(image).batch(8),
                     epochs=1, verbose=0).history
    assert logs["nonfinite_steps"] == [0.0]
    names = [w.path for w in single.weights]
    assert any("moving_mean" in name for name in names)
    for name, a, b in zip(names, single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_batch_norm_dcgan_trains_through_a_partial_last_batch(
        mirrored_strategy):
    # 9 images: a batch of 8 (4 per replica), then one of 1.
    images, dataset = data(9, False)
    with mirrored_strategy.scope():
        gan = dcgan()
    before = gan.get_weights()
    logs = gan.fit(dataset, epochs=1, verbose=0).history
    assert logs["nonfinite_steps"] == [0.0]
    assert all(np.isfinite(v[0]) for v in logs.values())
    after = gan.get_weights()
    assert all(np.isfinite(w).all() for w in after)
    assert any(not np.allclose(a, b) for a, b in zip(before, after))
