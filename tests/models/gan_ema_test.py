"""The EMA generator copies batch-norm statistics instead of averaging them.

`update_ema` averages the trainable weights only; the moving mean and
variance of batch normalisation are the generator's own statistics and
are copied (the recurrence of the trainable weights is tested in
gan_features_test.py)."""

import keras
import numpy as np
import pytest
from nets import IMAGE
from nets import LATENT
from nets import discriminator
from nets import images

import keras_gan_losses as kgl

# Runs on TensorFlow and PyTorch (see tests/conftest.py; JAX runs the EMA
# recurrence test of gan_features_test.py).
pytestmark = pytest.mark.backends("tensorflow", "torch")


def batch_norm_generator():
    z = keras.Input((LATENT,))
    h = keras.layers.Dense(16)(z)
    h = keras.layers.BatchNormalization(momentum=0.5)(h)
    h = keras.layers.Dense(int(np.prod(IMAGE)), activation="tanh")(h)
    return keras.Model(z, keras.layers.Reshape(IMAGE)(h))


def test_ema_copies_batch_norm_statistics_and_averages_weights():
    gan = kgl.GAN(batch_norm_generator(), discriminator(), ema_decay=0.9,
                  seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.5))
    gan.fit(images(24), batch_size=8, epochs=1, verbose=0)
    pairs = list(zip(gan.ema_generator.weights, gan.generator.weights))
    statistics = [(e, w) for e, w in pairs if not w.trainable]
    trainable = [(e, w) for e, w in pairs if w.trainable]
    assert len(statistics) == 2  # moving mean and variance
    for ema_var, var in statistics:
        # Moved away from their initial values (0 and 1) by three steps...
        assert not np.allclose(var.numpy(), np.round(var.numpy()))
        # ... and copied, not averaged (the copy is `e - 1·(e - w)`: equal
        # up to round-off).
        np.testing.assert_allclose(ema_var.numpy(), var.numpy(), rtol=1e-6,
                                   atol=1e-7)
    assert any(not np.allclose(e.numpy(), w.numpy()) for e, w in trainable)
