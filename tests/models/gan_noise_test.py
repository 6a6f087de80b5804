"""The latent noise the GAN draws: fresh for every discriminator step and
for the generator step, new at every batch, N(0, 1), and the same at every
`evaluate`. The generator records its inputs (the steps run eagerly)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import images

import keras_gan_losses as kgl

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

LATENT = 8
IMAGE = (4, 4, 1)


class RecordNoise(keras.layers.Layer):
    """The identity; keeps every concrete input it sees."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, z):
        if tf.executing_eagerly():
            self.seen.append(keras.ops.convert_to_numpy(z))
        return z

    def compute_output_shape(self, input_shape):
        return input_shape


def make_gan(d_steps=1):
    record = RecordNoise()
    z = keras.Input((LATENT,))
    h = keras.layers.Dense(16, activation="tanh")(record(z))
    generator = keras.Model(z, keras.layers.Reshape(IMAGE)(h))
    discriminator = keras.Sequential([
        keras.Input(IMAGE), keras.layers.Flatten(), keras.layers.Dense(1),
    ])
    gan = kgl.GAN(generator, discriminator, d_steps=d_steps, seed=0)
    gan.compile(d_loss="wasserstein", g_loss="wasserstein",
                run_eagerly=True)
    return gan, record


def all_different(arrays):
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            if np.allclose(a, b):
                return False
    return True


@pytest.mark.backends("tensorflow", "torch")
def test_every_step_of_every_batch_draws_fresh_noise():
    gan, record = make_gan(d_steps=2)
    record.seen.clear()
    gan.fit(images(16), batch_size=8, epochs=1, verbose=0, shuffle=False)
    # Two batches, each with two discriminator steps and one generator step.
    assert len(record.seen) == 6
    assert all(z.shape == (8, LATENT) for z in record.seen)
    assert all_different(record.seen)
    values = np.concatenate(record.seen).ravel()
    assert abs(values.mean()) < 0.2
    assert 0.85 < values.std() < 1.15


def test_evaluate_draws_the_same_noise_each_time_and_not_the_training_one():
    gan, record = make_gan()
    gan.fit(images(8), batch_size=8, epochs=1, verbose=0)
    training = list(record.seen)
    record.seen.clear()
    gan.evaluate(images(8), batch_size=8, verbose=0)
    first = list(record.seen)
    record.seen.clear()
    gan.evaluate(images(8), batch_size=8, verbose=0)
    # The discriminator's and the generator's losses draw their own noise.
    assert len(first) == 2 and all_different(first)
    for a, b in zip(first, record.seen):
        np.testing.assert_array_equal(a, b)
    assert all_different(training + first)
