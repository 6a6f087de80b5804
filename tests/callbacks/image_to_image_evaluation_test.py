"""`GANEvaluation` on an `ImageToImageGAN`: the generated images are the
translations of the sources of `real_data`, the real ones its targets,
and PSNR and SSIM of each translation against its target are logged."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_losses as kgl
from keras_gan_losses.callbacks import GANEvaluation

SHAPE = (12, 12, 1)


def halving_generator():
    """G(x) = x / 2: known translations."""
    x = keras.Input(SHAPE)
    return keras.Model(x, keras.layers.Rescaling(0.5)(x))


def discriminator():
    s, y = keras.Input(SHAPE), keras.Input(SHAPE)
    h = keras.layers.Flatten()(keras.layers.Concatenate()([s, y]))
    return keras.Model([s, y], keras.layers.Dense(1)(h))


def extractor():
    x = keras.Input(SHAPE)
    h = keras.layers.AveragePooling2D(4)(x)
    return keras.Model(x, keras.layers.Flatten()(h))


def data(n=8):
    rng = np.random.default_rng(0)
    source = rng.uniform(-1, 1, (n,) + SHAPE).astype("float32")
    target = np.clip(source / 2 + rng.normal(0, 0.1, source.shape), -1, 1)
    return source, target.astype("float32")


@pytest.mark.parametrize("as_dataset", [False, True],
                         ids=["arrays", "dataset"])
def test_translations_of_the_sources_against_the_targets(as_dataset):
    gan = kgl.ImageToImageGAN(halving_generator(), discriminator(),
                              data_range=(-1, 1))
    source, target = data()
    real = (source, target)
    if as_dataset:
        real = tf.data.Dataset.from_tensor_slices(real).batch(3)
    evaluation = GANEvaluation(real, feature_extractor=extractor(),
                               metrics=("fid",), num_samples=5,
                               value_range=(-1, 1))
    results = evaluation.evaluate(gan)
    assert set(results) == {"fid", "psnr", "ssim"}
    fake = source[:5] / 2
    # PSNR from its definition, on images mapped to [0, 1].
    mse = (((fake - target[:5]) / 2) ** 2).reshape(5, -1).mean(axis=1)
    assert results["psnr"] == pytest.approx(np.mean(10 * np.log10(1 / mse)),
                                            rel=1e-4)
    expected_ssim = tf.reduce_mean(tf.image.ssim(
        (fake + 1) / 2, (target[:5] + 1) / 2, 1.0)).numpy()
    assert results["ssim"] == pytest.approx(float(expected_ssim), rel=1e-4)
    # FID: the real side is all the targets, the fake side the five
    # translations (features in [-1, 1], as the extractor receives them).
    net = extractor()
    expected_fid = kgl.metrics.frechet_distance(
        net.predict(target, verbose=0), net.predict(fake, verbose=0))
    assert results["fid"] == pytest.approx(expected_fid, rel=1e-4)


@pytest.mark.backends
def test_fit_logs_psnr_and_ssim_for_an_image_to_image_gan():
    gan = kgl.ImageToImageGAN(halving_generator(), discriminator(),
                              data_range=(-1, 1))
    gan.compile(d_loss=None, g_loss=None, reconstruction_losses=["l1"],
                jit_compile=False)
    source, target = data()
    evaluation = GANEvaluation((source, target),
                               feature_extractor=extractor(),
                               metrics=("fid",), num_samples=8,
                               skipped_value=float("nan"))
    history = gan.fit(source, target, batch_size=4, epochs=1,
                      verbose=0, callbacks=[evaluation]).history
    assert {"fid", "psnr", "ssim"} <= set(history)
    assert evaluation.log_keys == ["fid", "psnr", "ssim"]
    assert np.isfinite(history["psnr"][0]) and history["ssim"][0] < 1
