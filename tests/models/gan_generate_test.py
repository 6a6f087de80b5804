"""`GAN.generate(latent=...)` and `GAN.pick_generator` against a linear
generator whose images are `z @ W`."""

import keras
import numpy as np
import pytest

import keras_gan_losses as kgl

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

LATENT, IMAGE = 3, (2, 2, 1)


def linear_generator(seed):
    kernel = np.random.default_rng(seed).normal(size=(LATENT, 4))
    model = keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(4, use_bias=False),
        keras.layers.Reshape(IMAGE),
    ])
    model.layers[0].set_weights([kernel.astype("float32")])
    return model, kernel


def discriminator():
    return keras.Sequential([keras.Input(IMAGE), keras.layers.Flatten(),
                             keras.layers.Dense(1)])


def test_generate_from_given_latents():
    generator, kernel = linear_generator(0)
    gan = kgl.GAN(generator, discriminator(), latent_dim=LATENT)
    z = np.random.default_rng(1).normal(size=(5, LATENT))
    images = gan.generate(latent=z, batch_size=2)
    assert images.shape == (5,) + IMAGE
    np.testing.assert_allclose(images.reshape(5, 4), z @ kernel, rtol=1e-5,
                               atol=1e-6)
    # One call of 5 against calls of 2 + 2 + 1: equal up to the float32
    # summation order of each batch size's kernel.
    np.testing.assert_allclose(gan.generate(5, latent=z), images, rtol=1e-5,
                               atol=1e-6)


def test_latent_with_ema_and_labels():
    generator, kernel = linear_generator(0)
    gan = kgl.GAN(generator, discriminator(), latent_dim=LATENT,
                  ema_decay=0.9)
    ema_kernel = np.random.default_rng(2).normal(size=(LATENT, 4))
    gan.ema_generator.layers[0].set_weights([ema_kernel.astype("float32")])
    z = np.random.default_rng(3).normal(size=(4, LATENT)).astype("float32")
    np.testing.assert_allclose(gan.generate(latent=z).reshape(4, 4),
                               z @ ema_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        gan.generate(latent=z, use_ema=False).reshape(4, 4), z @ kernel,
        rtol=1e-5, atol=1e-6)
    assert gan.pick_generator() is gan.ema_generator
    assert gan.pick_generator(use_ema=False) is gan.generator


def test_latent_for_a_conditional_gan():
    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    value = keras.layers.Lambda(
        lambda t: keras.ops.cast(t[1], "float32")[:, None] + t[0][:, :1]
    )([z, label])
    image = keras.layers.Reshape((1, 1, 1))(value)
    image_in = keras.Input((1, 1, 1))
    label_in = keras.Input((), dtype="int32")
    critic = keras.Model([image_in, label_in],
                         keras.layers.Flatten()(image_in))
    gan = kgl.GAN(keras.Model([z, label], image), critic, latent_dim=LATENT,
                  num_classes=3)
    latent = np.random.default_rng(4).normal(size=(4, LATENT))
    images = gan.generate(latent=latent, labels=[2, 0, 1, 2])
    np.testing.assert_allclose(images.reshape(-1),
                               np.array([2, 0, 1, 2]) + latent[:, 0],
                               rtol=1e-5)


def test_argument_errors():
    generator, _ = linear_generator(0)
    gan = kgl.GAN(generator, discriminator(), latent_dim=LATENT)
    z = np.zeros((4, LATENT))
    with pytest.raises(ValueError, match="not both"):
        gan.generate(latent=z, seed=1)
    with pytest.raises(ValueError, match=r"shape \(num_images, 3\)"):
        gan.generate(latent=np.zeros((4, LATENT + 1)))
    with pytest.raises(ValueError, match=r"shape \(num_images, 3\)"):
        gan.generate(latent=np.zeros((LATENT,)))
    with pytest.raises(ValueError, match="holds 4 vectors"):
        gan.generate(3, latent=z)
    with pytest.raises(ValueError, match="no EMA generator"):
        gan.pick_generator(use_ema=True)
    assert gan.pick_generator() is gan.generator
