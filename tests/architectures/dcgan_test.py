"""The DCGAN builders: shapes, layers, conditioning, spectral norm, errors,
and a short GAN fit on the embedded MNIST to show they plug in."""

import inspect
import pathlib

import keras
import numpy as np
import pytest

import keras_gan_losses as kgl
import keras_gan_losses.architectures as architectures_module
from keras_gan_losses.architectures import dcgan
from keras_gan_losses.architectures import dcgan_discriminator
from keras_gan_losses.architectures import dcgan_generator
from keras_gan_losses.data import load_images

ROOT = pathlib.Path(__file__).parents[2]


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize("shape,grid", [
    ((28, 28, 1), (7, 7, 32)),
    ((32, 32, 1), (4, 4, 64)),
    ((32, 32, 3), (4, 4, 64)),
    ((64, 64, 3), (4, 4, 128)),
    ((16, 16, 4), (4, 4, 32)),
    ((40, 56, 2), (5, 7, 64)),
])
def test_output_shapes_and_first_grid(shape, grid):
    generator, discriminator = dcgan(shape, latent_dim=16, width=16)
    assert generator.input_shape == (None, 16)
    assert generator.get_layer("grid").output.shape[1:] == grid
    assert generator.output_shape == (None,) + shape
    assert discriminator.input_shape == (None,) + shape
    assert discriminator.output_shape == (None, 1)
    z = np.random.default_rng(0).normal(size=(3, 16)).astype("float32")
    images = generator(z)
    assert tuple(images.shape) == (3,) + shape
    assert tuple(discriminator(images).shape) == (3, 1)


def test_generator_output_is_tanh_bounded():
    generator = dcgan_generator((28, 28, 1), latent_dim=8, width=8)
    assert generator.get_layer("images").activation is keras.activations.tanh
    # Huge latents saturate the tanh (in inference mode, where batch norm
    # does not rescale them): values reach ±1 but never beyond.
    z = 1e4 * np.random.default_rng(1).normal(size=(4, 8)).astype("float32")
    images = keras.ops.convert_to_numpy(generator(z, training=False))
    assert np.abs(images).max() <= 1.0
    assert np.abs(images).max() > 0.99


def test_layers_follow_dcgan():
    generator, discriminator = dcgan((64, 64, 3), width=8)
    assert layer_types(generator).count("Conv2DTranspose") == 4
    assert layer_types(generator).count("BatchNormalization") == 4
    assert layer_types(generator).count("ReLU") == 4
    assert layer_types(discriminator).count("Conv2D") == 4
    assert "BatchNormalization" not in layer_types(discriminator)
    for layer in discriminator.layers:
        if isinstance(layer, keras.layers.LeakyReLU):
            assert layer.negative_slope == pytest.approx(0.2)
    assert [layer.strides for layer in discriminator.layers
            if isinstance(layer, keras.layers.Conv2D)] == [(2, 2)] * 4


def test_default_sizes_and_width_scaling():
    generator, discriminator = dcgan((28, 28, 1))
    assert generator.count_params() == 935_681
    assert discriminator.count_params() == 138_561
    small_g, small_d = dcgan((28, 28, 1), width=32)
    assert small_g.count_params() < generator.count_params() / 1.9
    assert small_d.count_params() < discriminator.count_params() / 3


def test_mixed_precision_outputs_are_float32():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        for sn in (False, True):
            generator, discriminator = dcgan((32, 32, 3), num_classes=3,
                                             spectral_norm=sn, width=8)
            labels = keras.ops.convert_to_tensor([0, 2])
            images = generator([keras.random.normal((2, 128)), labels])
            logits = discriminator([images, labels], training=True)
            assert images.dtype == "float32" and logits.dtype == "float32"
            first = discriminator.get_layer("sn_down1" if sn else "down1")
            assert first.compute_dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_conditional_signatures_and_label_dependence():
    generator, discriminator = dcgan((28, 28, 1), latent_dim=8,
                                     num_classes=10, width=8)
    assert [t.name for t in generator.inputs] == ["z", "labels"]
    assert [t.name for t in discriminator.inputs] == ["images", "labels"]
    z = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    flat = keras.ops.convert_to_tensor(np.array([1, 7], "int32"))
    column = keras.ops.convert_to_tensor(np.array([[1], [7]], "int32"))
    other = keras.ops.convert_to_tensor(np.array([2, 3], "int32"))
    z = keras.ops.convert_to_tensor(z)
    images = generator([z, flat])
    assert tuple(images.shape) == (2, 28, 28, 1)
    np.testing.assert_allclose(images, generator([z, column]), atol=1e-6)
    assert not np.allclose(images, generator([z, other]))
    logits = discriminator([images, flat])
    assert tuple(logits.shape) == (2, 1)
    np.testing.assert_allclose(logits, discriminator([images, column]),
                               atol=1e-6)
    # Give each class a distinct projection: the labels change the logits.
    projection = discriminator.get_layer("label_projection")
    projection.kernel.assign(np.random.default_rng(2).normal(
        size=projection.kernel.shape).astype("float32"))
    assert not np.allclose(discriminator([images, flat]),
                           discriminator([images, other]))


def test_spectral_norm_wraps_every_discriminator_weight_layer():
    plain = dcgan_discriminator((32, 32, 3), num_classes=4, width=8)
    assert "SpectralNormalization" not in layer_types(plain)
    normed = dcgan_discriminator((32, 32, 3), num_classes=4, width=8,
                                 spectral_norm=True)
    wrapped = [layer.layer for layer in normed.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    assert sorted(type(w).__name__ for w in wrapped) == \
        ["Conv2D"] * 3 + ["Dense"] * 2
    unwrapped = [layer for layer in normed.layers
                 if isinstance(layer, (keras.layers.Conv2D,
                                       keras.layers.Dense))]
    assert unwrapped == []
    # A training call normalizes the kernels: the logit's kernel is a
    # vector, so one power iteration gives a unit norm exactly.
    images = keras.random.uniform((2, 32, 32, 3), -1, 1)
    labels = keras.ops.convert_to_tensor([0, 3])
    normed([images, labels], training=True)
    logit = normed.get_layer("sn_logit").layer
    assert np.linalg.norm(logit.kernel.numpy()) == \
        pytest.approx(1.0, rel=1e-4)


def test_models_round_trip_through_keras_files(tmp_path):
    generator, discriminator = dcgan((16, 16, 3), latent_dim=8,
                                     num_classes=5, spectral_norm=True,
                                     width=4)
    z = keras.random.normal((2, 8))
    labels = keras.ops.convert_to_tensor([4, 0])
    for model, inputs in ((generator, [z, labels]),
                          (discriminator, [generator([z, labels]), labels])):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_allclose(loaded(inputs).numpy(),
                                   model(inputs).numpy(), atol=1e-6)


@pytest.mark.parametrize("shape", [
    (30, 30, 1), (28, 32, 1), (4, 4, 1), (8, 20, 3), (36, 36, 3),
])
def test_unsupported_sizes_name_the_shape(shape):
    with pytest.raises(ValueError, match=rf"image_shape={shape}".replace(
            "(", r"\(").replace(")", r"\)")):
        dcgan(shape)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"image_shape": (28, 28)}, ValueError, r"\(height, width, channels\)"),
    ({"image_shape": 28}, ValueError, r"\(height, width, channels\)"),
    ({"latent_dim": 0}, ValueError, "latent_dim"),
    ({"width": 0}, ValueError, "width"),
    ({"num_classes": 0}, ValueError, "num_classes"),
    ({"spectral_norm": "yes"}, TypeError, "spectral_norm"),
    ({"outputs": 0}, ValueError, "outputs"),
    ({"outputs": 16, "num_classes": 10}, ValueError,
     "`outputs` must be 1 with `num_classes`"),
])
def test_argument_errors(kwargs, error, match):
    kwargs = {"image_shape": (28, 28, 1), **kwargs}
    with pytest.raises(error, match=match):
        dcgan(**kwargs)


def _fit(gan, dataset):
    g_before = [w.copy() for w in gan.generator.get_weights()]
    d_before = [w.copy() for w in gan.discriminator.get_weights()]
    history = gan.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0)
    for values in history.history.values():
        assert np.all(np.isfinite(values))
    for net, before in ((gan.generator, g_before),
                        (gan.discriminator, d_before)):
        assert any(not np.allclose(a, b)
                   for a, b in zip(before, net.get_weights()))
    return history


def test_gan_fits_on_the_embedded_mnist():
    generator, discriminator = dcgan((28, 28, 1), latent_dim=16, width=8)
    gan = kgl.GAN(generator, discriminator, seed=0)
    gan.compile(penalties=[kgl.penalties.GradientPenalty(1.0)])
    history = _fit(gan, load_images("mnist_10k", batch_size=16, seed=0))
    assert {"d_loss", "g_loss", "gradient_penalty"} <= set(history.history)
    assert gan.generate(2, seed=0).shape == (2, 28, 28, 1)


def test_conditional_spectral_norm_gan_fits_with_labels():
    generator, discriminator = dcgan((28, 28, 1), latent_dim=16,
                                     num_classes=10, spectral_norm=True,
                                     width=8)
    gan = kgl.GAN(generator, discriminator, num_classes=10, seed=0)
    gan.compile(d_loss="hinge", g_loss="hinge",
                penalties=[kgl.penalties.R1Penalty(1.0)])
    _fit(gan, load_images("mnist_10k", batch_size=16, with_labels=True,
                          seed=0))
    assert gan.generate(3, labels=[0, 1, 2], seed=0).shape == (3, 28, 28, 1)


@pytest.mark.parametrize("name", architectures_module.__all__)
def test_public_names_are_documented(name):
    assert inspect.getdoc(getattr(architectures_module, name))
    assert f"- {name}" in (
        ROOT / "docs" / "api" / "architectures.md"
    ).read_text()


def test_feature_outputs_for_an_mmd_critic():
    _, critic = dcgan((32, 32, 3), outputs=16, width=8)
    features = critic(np.zeros((3, 32, 32, 3), "float32"))
    assert tuple(features.shape) == (3, 16)
    assert features.dtype == "float32"
    assert critic.get_layer("logit").units == 16
