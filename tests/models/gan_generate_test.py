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


def label_echo_gan(num_classes=4, **kwargs):
    """A conditional GAN whose image is its label: `generate` shows the
    labels it drew."""
    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    value = keras.layers.Lambda(
        lambda t: keras.ops.cast(t[1], "float32")[:, None] + 0.0 * t[0][:, :1],
        output_shape=(1,))([z, label])
    image_in = keras.Input((1, 1, 1))
    label_in = keras.Input((), dtype="int32")
    critic = keras.Model([image_in, label_in],
                         keras.layers.Flatten()(image_in))
    return kgl.GAN(keras.Model([z, label],
                               keras.layers.Reshape((1, 1, 1))(value)),
                   critic, latent_dim=LATENT, num_classes=num_classes,
                   data_range=None, **kwargs)


def test_generate_draws_classes_with_the_label_frequencies():
    frequencies = np.array([6.0, 0.0, 3.0, 1.0])  # any scale; one class 0
    gan = label_echo_gan(label_frequencies=frequencies)
    assert gan.label_frequencies == pytest.approx((0.6, 0.0, 0.3, 0.1))
    n = 20000
    drawn = gan.generate(n, seed=7).reshape(-1).astype(int)
    shares = np.bincount(drawn, minlength=4) / n
    # Within 5 binomial standard deviations of the frequencies.
    p = frequencies / frequencies.sum()
    tolerance = 5 * np.sqrt(p * (1 - p) / n) + 1e-12
    assert np.all(np.abs(shares - p) <= tolerance), shares
    assert shares[1] == 0.0
    np.testing.assert_array_equal(gan.generate(n, seed=7).reshape(-1),
                                  drawn)  # the seed repeats the draws
    assert not np.array_equal(gan.generate(n, seed=8).reshape(-1), drawn)
    # Given labels win; without frequencies the classes cycle.
    np.testing.assert_array_equal(
        gan.generate(3, labels=[1, 1, 3]).reshape(-1), [1, 1, 3])
    np.testing.assert_array_equal(
        label_echo_gan().generate(6, seed=7).reshape(-1), [0, 1, 2, 3, 0, 1])


def embedding_gan(num_classes=4, **kwargs):
    """A conditional GAN of serializable layers (no Python lambdas)."""
    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    image = keras.layers.Reshape((1, 1, 1))(keras.layers.Add()([
        keras.layers.Dense(1)(z), keras.layers.Embedding(num_classes, 1)(
            label)]))
    image_in = keras.Input((1, 1, 1))
    label_in = keras.Input((), dtype="int32")
    critic = keras.Model([image_in, label_in], keras.layers.Dense(1)(
        keras.layers.Flatten()(image_in)))
    return kgl.GAN(keras.Model([z, label], image), critic,
                   latent_dim=LATENT, num_classes=num_classes, **kwargs)


def test_label_frequencies_round_trip_and_errors(tmp_path):
    gan = embedding_gan(label_frequencies=[1, 1, 2, 0])
    config = gan.get_config()
    assert config["label_frequencies"] == [0.25, 0.25, 0.5, 0.0]
    gan.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras")
    assert loaded.label_frequencies == (0.25, 0.25, 0.5, 0.0)
    np.testing.assert_allclose(loaded.generate(8, seed=3),
                               gan.generate(8, seed=3), rtol=1e-6)
    with pytest.raises(ValueError, match="one share per class"):
        label_echo_gan(label_frequencies=[1, 1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        label_echo_gan(label_frequencies=[1, -1, 2, 0])
    with pytest.raises(ValueError, match="not all zero"):
        label_echo_gan(label_frequencies=[0, 0, 0, 0])
    generator, _ = linear_generator(0)
    with pytest.raises(ValueError, match="conditional GAN"):
        kgl.GAN(generator, discriminator(), latent_dim=LATENT,
                label_frequencies=[1.0])


def test_sample_grid_of_clusters_is_square_and_cycles_them():
    gan = label_echo_gan(num_classes=40, label_frequencies=[1.0] * 40)
    samples = kgl.callbacks.SampleGrid("unused", num_samples=64).samples
    rows, cols, labels = samples.layout(gan)
    assert (rows, cols) == (None, None)
    np.testing.assert_array_equal(labels, np.arange(64) % 40)
    np.testing.assert_array_equal(samples.images(gan).reshape(-1),
                                  np.arange(64) % 40)
