"""GAN(augment=...) (DiffAugment) and the LeCam penalty inside the GAN:
what the discriminator and the penalties see, against NumPy references."""

import keras
import nets
import numpy as np
import pytest
import reference
import tensorflow as tf

import keras_gan_losses as kgl
from keras_gan_losses.augmentation import DiffAugment


def max_pixel_critic(image=nets.IMAGE):
    """D(x) = max over the pixels of x (a frozen 1x1 Dense after the max)."""
    return keras.Sequential([
        keras.Input(image),
        keras.layers.GlobalMaxPooling2D(),
        keras.layers.Dense(1, kernel_initializer="ones",
                           bias_initializer="zeros"),
    ])


def frozen_compile(gan, **kwargs):
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0),
                g_optimizer=keras.optimizers.SGD(0.0), **kwargs)


def images(n=8, seed=0):
    return np.random.default_rng(seed).uniform(
        -1, 1, size=(n,) + nets.IMAGE).astype("float32")


@pytest.mark.backends
def test_discriminator_sees_augmented_images_in_fit_only():
    # Cut-outs filled with 7, outside the data range: the max-pixel
    # critic outputs 7 for every augmented image, real or generated, in
    # the discriminator's and in the generator's update.
    augment = DiffAugment("cutout", cutout_ratio=0.5, fill_value=7.0)
    gan = kgl.GAN(nets.generator(), max_pixel_critic(), seed=0,
                  augment=augment)
    frozen_compile(gan)
    logs = gan.fit(images(), batch_size=8, epochs=1, verbose=0).history
    assert logs["d_real"][0] == pytest.approx(7.0)
    assert logs["d_fake"][0] == pytest.approx(7.0)
    assert logs["g_loss"][0] == pytest.approx(
        float(reference.softplus(-7.0)), rel=1e-4)
    # evaluate does not augment: the images' own maxima, below 1.
    logs = gan.evaluate(images(), batch_size=8, verbose=0,
                        return_dict=True)
    assert logs["d_real"] <= 1.0 and logs["d_fake"] <= 1.0


@pytest.mark.backends
def test_penalties_see_the_augmented_discriminator():
    # A linear critic D(x) = sum(x): ∇D = 1 at every pixel, R1 = γ/2 · 16
    # on 4x4 images. Behind a cut-out, the gradient with respect to the
    # un-augmented image is 0 on the cut pixels: R1 = γ/2 · (16 - cut).
    critic = keras.Sequential([
        keras.Input(nets.IMAGE), keras.layers.Flatten(),
        keras.layers.Dense(1, kernel_initializer="ones")])
    plain = kgl.GAN(nets.generator(), critic, seed=0)
    frozen_compile(plain, penalties=[kgl.penalties.R1Penalty(2.0)])
    value = plain.fit(images(), batch_size=8, epochs=1,
                      verbose=0).history["r1_penalty"][0]
    assert value == pytest.approx(16.0)
    critic = keras.models.clone_model(critic)
    augmented = kgl.GAN(nets.generator(), critic, seed=0,
                        augment=DiffAugment("cutout", cutout_ratio=0.5))
    frozen_compile(augmented, penalties=[kgl.penalties.R1Penalty(2.0)])
    value = augmented.fit(images(), batch_size=8, epochs=1,
                          verbose=0).history["r1_penalty"][0]
    # A 2x2 square at a random centre, clipped at the border: 1 to 4
    # pixels cut per image.
    assert 12.0 <= value <= 15.0


@pytest.mark.backends
def test_augmentation_is_reproducible_from_the_seed():
    def trained(seed):
        keras.utils.set_random_seed(0)
        gan = kgl.GAN(nets.generator(), nets.discriminator(), seed=seed,
                      augment="color,translation,cutout")
        gan.compile()
        gan.fit(images(8), batch_size=8, epochs=1, verbose=0)
        return gan.get_weights()

    first, again = trained(1), trained(1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    other = trained(2)
    assert any(not np.allclose(a, b) for a, b in zip(first, other))


def test_xla_step_equals_the_graph_step():
    def trained(jit):
        keras.utils.set_random_seed(0)
        gan = kgl.GAN(nets.generator(), nets.discriminator(), seed=4,
                      augment="translation,cutout")
        gan.compile(jit_compile=jit)
        gan.fit(images(8), batch_size=8, epochs=1, verbose=0)
        return gan.get_weights()

    for a, b in zip(trained(False), trained(True)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.backends
def test_conditional_gan_with_augmentation_and_a_penalty():
    generator = nets.label_generator(z_weight=0.1)
    labels = keras.Input((), dtype="int32")
    image = keras.Input(nets.IMAGE)
    flat = keras.layers.Flatten()(image)
    embedded = keras.layers.Embedding(nets.CLASSES, 16)(labels)
    logit = keras.layers.Dense(1)(keras.layers.Concatenate()([flat,
                                                              embedded]))
    critic = keras.Model([image, labels], logit)
    gan = kgl.GAN(generator, critic, num_classes=nets.CLASSES, seed=0,
                  data_range=None, augment="translation,cutout")
    gan.compile(penalties=["r1"])
    x = images(9)
    y = np.arange(9) % nets.CLASSES
    logs = gan.fit(x, y, batch_size=3, epochs=1, verbose=0).history
    assert all(np.isfinite(v[0]) for v in logs.values())
    assert logs["r1_penalty"][0] > 0


def test_each_replica_draws_its_own_augmentation(mirrored_strategy):
    with mirrored_strategy.scope():
        gan = kgl.GAN(nets.generator(), nets.discriminator(), seed=0,
                      augment="translation")

    @tf.function
    def draw():
        def replica():
            seed = gan._step_seed()[0]
            return gan.augment(tf.ones((4,) + nets.IMAGE),
                               gan._augment_seeds(seed, True)[0])
        return mirrored_strategy.run(replica)

    first, second = mirrored_strategy.experimental_local_results(draw())
    assert not np.allclose(first.numpy(), second.numpy())


def test_config_round_trip_keeps_the_augmentation(tmp_path):
    gan = kgl.GAN(nets.generator(), nets.discriminator(), seed=0,
                  augment=DiffAugment("translation", translation_ratio=0.25))
    gan.compile(penalties=[kgl.penalties.LeCamPenalty(0.5)])
    gan.fit(images(), batch_size=4, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.augment.get_config() == gan.augment.get_config()
    # LeCam's moving averages are saved with the weights.
    for a, b in zip(gan._penalty_variables, loaded._penalty_variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(np.asarray(loaded._penalty_variables[1])) == 2


@pytest.mark.parametrize("augment, error", [
    (3, TypeError), ("rotate", ValueError)])
def test_bad_augment(augment, error):
    with pytest.raises(error, match="augment|policy"):
        kgl.GAN(nets.generator(), nets.discriminator(), augment=augment)


# --- LeCam in the GAN ----------------------------------------------------


class FixedImage(keras.layers.Layer):
    """A generator that ignores the noise: always the same image."""

    def call(self, z):
        return keras.ops.zeros_like(z[:, :1]) + keras.ops.linspace(
            -0.5, 0.5, 6)[None, :]


W = np.arange(6, dtype="float32").reshape(6, 1) / 10


def lecam_gan(d_steps=1):
    generator = keras.Sequential([keras.Input((3,)), FixedImage()])
    critic = keras.Sequential([keras.Input((6,)), keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(W))])
    gan = kgl.GAN(generator, critic, seed=0, d_steps=d_steps,
                  data_range=None)
    frozen_compile(gan, penalties=[
        kgl.penalties.LeCamPenalty(weight=0.5, decay=0.9)])
    return gan


@pytest.mark.parametrize("d_steps", [1, 2])
def test_lecam_step_by_step_matches_numpy(d_steps):
    rng = np.random.default_rng(3)
    batches = [rng.normal(size=(4, 6)).astype("float32") for _ in range(3)]
    gan = lecam_gan(d_steps)
    logs = gan.fit(tf.data.Dataset.from_tensor_slices(
        np.concatenate(batches)).batch(4), epochs=3, steps_per_epoch=1,
        verbose=0).history
    fake = np.tile(np.linspace(-0.5, 0.5, 6), (4, 1)) @ W
    averages, count, expected = np.zeros(2), 0, []
    for x in batches:
        values = []
        for _ in range(d_steps):
            real = x @ W
            averages = reference.lecam_averages(averages, count, real,
                                                fake, 0.9)
            count += 1
            values.append(reference.lecam_penalty(real, fake, *averages,
                                                  weight=0.5))
        expected.append(np.mean(values))
    np.testing.assert_allclose(logs["lecam_penalty"], expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(gan._penalty_variables[0]),
                               averages, rtol=1e-5)
    assert int(np.asarray(gan._penalty_variables[1])) == 3 * d_steps


def test_lecam_averages_skip_bad_steps():
    rng = np.random.default_rng(4)
    batches = [rng.normal(size=(4, 6)).astype("float32") for _ in range(3)]
    batches[1][0, 0] = np.nan
    gan = lecam_gan()
    with pytest.warns(RuntimeWarning, match="Non-finite data"):
        gan.fit(tf.data.Dataset.from_tensor_slices(
            np.concatenate(batches)).batch(4), epochs=3, steps_per_epoch=1,
            verbose=0)
    fake = np.tile(np.linspace(-0.5, 0.5, 6), (4, 1)) @ W
    averages = reference.lecam_averages(np.zeros(2), 0, batches[0] @ W,
                                        fake, 0.9)
    averages = reference.lecam_averages(averages, 1, batches[2] @ W, fake,
                                        0.9)
    np.testing.assert_allclose(np.asarray(gan._penalty_variables[0]),
                               averages, rtol=1e-5)
    assert int(np.asarray(gan._penalty_variables[1])) == 2
