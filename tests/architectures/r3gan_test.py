"""R3GAN's networks: parameter counts from the reference code's formula,
the resamplers against NumPy, fix-up and variance-scaling initialisation,
shapes from 28×28 to 256×256."""

import importlib
import math

import keras
import numpy as np
import pytest

import keras_gan_losses as kgl

# The package exports the function `r3gan` under the module's name.
r3gan_module = importlib.import_module("keras_gan_losses.architectures.r3gan")

A = kgl.architectures


# --- parameter counts ---------------------------------------------------------

def block_params(channels, cardinality, expansion, kernel_size):
    """R3GAN's ResidualBlock: 1×1 conv C→E, bias, grouped k×k conv E→E
    (E / cardinality inputs per group), bias, 1×1 conv E→C; no conv
    biases (`bias=False`)."""
    expanded = channels * expansion
    return (channels * expanded + expanded
            + expanded * (expanded // cardinality) * kernel_size ** 2
            + expanded + expanded * channels)


def generator_params(noise, widths, blocks, cardinality, expansion,
                     channels=3, kernel_size=3, basis=16, classes=None):
    """R3GAN/Networks.py's Generator: a GenerativeBasis (a `width × 4 × 4`
    basis and a bias-free Linear from the noise, and the class embedding
    when conditional), per stage its blocks and, when the width changes,
    a 1×1 conv before the upsampler (which has no weights), and the 1×1
    AggregationLayer to the image channels."""
    embedding = 0 if classes is None else noise
    total = widths[0] * basis + (noise + embedding) * widths[0]
    total += 0 if classes is None else classes * embedding
    for stage, width in enumerate(widths):
        if stage and widths[stage - 1] != width:
            total += widths[stage - 1] * width
        total += blocks[stage] * block_params(width, cardinality[stage],
                                              expansion, kernel_size)
    return total + widths[-1] * channels


def discriminator_params(widths, blocks, cardinality, expansion,
                         channels=3, kernel_size=3, basis=16, classes=None):
    """Its Discriminator, in the generator's stage order: the 1×1
    ExtractionLayer, the blocks, a 1×1 conv after each downsampler when
    the width changes, the DiscriminativeBasis (a depthwise `4 × 4` conv
    and a bias-free Linear to 1, or to the embedding size when
    conditional) and the class embedding."""
    d_widths = widths[::-1]
    total = channels * d_widths[0]
    for stage, width in enumerate(d_widths):
        total += blocks[::-1][stage] * block_params(
            width, cardinality[::-1][stage], expansion, kernel_size)
        if stage + 1 < len(d_widths) and d_widths[stage + 1] != width:
            total += width * d_widths[stage + 1]
    outputs = 1 if classes is None else d_widths[-1]
    total += d_widths[-1] * basis + d_widths[-1] * outputs
    return total + (0 if classes is None else classes * outputs)


def test_parameter_counts_at_r3gans_cifar10_configuration():
    # train.py's CIFAR10 preset: widths 3·1024/4 = 768, 2 blocks and
    # cardinality 3·32 = 96 per stage, expansion 2, noise 64.
    config = {"widths": [768] * 4, "blocks": [2] * 4,
              "cardinality": [96] * 4, "expansion": 2}
    generator, discriminator = A.r3gan((32, 32, 3), latent_dim=64, **config)
    expected_g = generator_params(64, **config)
    expected_d = discriminator_params(**config)
    assert (expected_g, expected_d) == (20_732_160, 20_683_776)
    assert generator.count_params() == expected_g
    assert discriminator.count_params() == expected_d


def test_parameter_counts_with_changing_widths_and_classes():
    config = {"widths": [32, 16, 8], "blocks": [1, 2, 1],
              "cardinality": [4, 2, 1], "expansion": 2}
    generator, discriminator = A.r3gan((28, 28, 1), latent_dim=8,
                                       num_classes=10, **config)
    assert generator.count_params() == generator_params(
        8, channels=1, basis=49, classes=10, **config)
    assert discriminator.count_params() == discriminator_params(
        channels=1, basis=49, classes=10, **config)


# --- resamplers --------------------------------------------------------------

def lowpass_kernel(weights=(1, 2, 1)):
    """R3GAN's CreateLowpassKernel(weights, Inplace=False)."""
    taps = np.convolve(weights, [1, 1]).reshape(1, -1).astype("float64")
    kernel = taps.T @ taps
    return kernel / kernel.sum()


def upsample_reference(x):
    """PyTorch's conv_transpose2d(x, 4·K, stride=2, padding=1), channel by
    channel: out[o] = Σ_i x[i] · 4K[o + 1 − 2i]."""
    kernel = 4 * lowpass_kernel()
    n, h, w, c = x.shape
    out = np.zeros((n, 2 * h, 2 * w, c))
    for i in range(h):
        for j in range(w):
            for a in range(4):
                for b in range(4):
                    oi, oj = 2 * i - 1 + a, 2 * j - 1 + b
                    if 0 <= oi < 2 * h and 0 <= oj < 2 * w:
                        out[:, oi, oj] += kernel[a, b] * x[:, i, j]
    return out


def downsample_reference(x):
    """conv2d(x, K, stride=2, padding=1), channel by channel."""
    kernel = lowpass_kernel()
    n, h, w, c = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros((n, h // 2, w // 2, c))
    for i in range(h // 2):
        for j in range(w // 2):
            window = padded[:, 2 * i:2 * i + 4, 2 * j:2 * j + 4]
            out[:, i, j] = np.einsum("nabc,ab->nc", window, kernel)
    return out


def test_lowpass_kernel_is_the_separable_1_3_3_1_filter():
    taps = np.array([1, 3, 3, 1]) / 8
    np.testing.assert_allclose(lowpass_kernel(), np.outer(taps, taps))


@pytest.mark.parametrize("shape", [(2, 5, 3, 2), (1, 7, 7, 4)])
def test_upsampling_against_numpy(shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    got = keras.ops.convert_to_numpy(A.InterpolativeUpSampling2D()(x))
    np.testing.assert_allclose(got, upsample_reference(x), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("shape", [(2, 6, 4, 2), (1, 14, 14, 3)])
def test_downsampling_against_numpy(shape):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    got = keras.ops.convert_to_numpy(A.InterpolativeDownSampling2D()(x))
    np.testing.assert_allclose(got, downsample_reference(x), rtol=1e-5,
                               atol=1e-6)


# --- initialisation -----------------------------------------------------------

def one_block(channels=8, cardinality=2, total_blocks=4):
    x = keras.Input((6, 6, channels))
    y = r3gan_module.residual_block(x, cardinality, 2, 3, total_blocks,
                                    "block")
    return keras.Model(x, y)


def test_a_new_residual_block_is_the_identity():
    # Fix-up: the block's last 1×1 convolution starts at zero.
    model = one_block()
    x = np.random.default_rng(2).normal(size=(3, 6, 6, 8)).astype("float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)), x)
    kernel = model.get_layer("block_project").kernel
    kernel.assign(np.full(kernel.shape, 0.1, "float32"))
    assert not np.allclose(keras.ops.convert_to_numpy(model(x)), x)


def test_variance_scaling_initialisation():
    # gain · L^(-1/(2·3 − 2)) / √fan_in, gain = √(2 / (1 + 0.2²)), for the
    # first two convolutions; fan_in = inputs per group · k².
    total = 4
    model = one_block(channels=8, cardinality=2, total_blocks=total)
    gain = math.sqrt(2 / 1.04) * total ** -0.25
    expand = model.get_layer("block_expand").kernel_initializer
    grouped = model.get_layer("block_grouped").kernel_initializer
    assert expand.stddev == pytest.approx(gain / math.sqrt(8))
    assert grouped.stddev == pytest.approx(gain / math.sqrt(16 // 2 * 9))
    # The drawn weights have that spread (2 · 8 · 16 / 2 · 9 = 1152 of
    # them: the sample std is within 10 % with overwhelming probability).
    weights = keras.ops.convert_to_numpy(
        model.get_layer("block_grouped").kernel)
    assert np.std(weights) == pytest.approx(grouped.stddev, rel=0.1)


# --- shapes, conditioning, saving, training -----------------------------------

@pytest.mark.parametrize("size", [28, 32, 64, 256])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(size, channels):
    generator, discriminator = A.r3gan((size, size, channels), widths=8,
                                       blocks=1, latent_dim=4)
    stages = {28: 3, 32: 4, 64: 5, 256: 7}[size]
    assert len([layer for layer in generator.layers
                if isinstance(layer, A.InterpolativeUpSampling2D)]) == \
        stages - 1
    images = generator(np.zeros((2, 4), "float32"))
    assert tuple(images.shape) == (2, size, size, channels)
    assert tuple(discriminator(images).shape) == (2, 1)


def test_conditional_pair_uses_the_labels():
    generator, discriminator = A.r3gan((28, 28, 1), widths=8, blocks=1,
                                       latent_dim=4, num_classes=3)
    z = keras.ops.convert_to_tensor(
        np.random.default_rng(3).normal(size=(2, 4)).astype("float32"))
    labels = keras.ops.convert_to_tensor(np.array([0, 2], "int32"))
    other = keras.ops.convert_to_tensor(np.array([1, 1], "int32"))
    images = generator([z, labels])
    assert tuple(images.shape) == (2, 28, 28, 1)
    assert not np.allclose(images, generator([z, other]))
    logits = discriminator([images, labels])
    assert tuple(logits.shape) == (2, 1)
    assert not np.allclose(logits, discriminator([images, other]))


def test_keras_file_round_trip(tmp_path):
    generator, _ = A.r3gan((28, 28, 1), widths=[16, 8, 8], blocks=1,
                           latent_dim=4)
    generator.save(tmp_path / "g.keras")
    restored = keras.models.load_model(tmp_path / "g.keras")
    z = np.random.default_rng(4).normal(size=(2, 4)).astype("float32")
    np.testing.assert_array_equal(restored(z), generator(z))


def test_trains_with_r1_and_r2():
    # The penalties differentiate through the resamplers twice.
    generator, discriminator = A.r3gan((28, 28, 1), widths=8, blocks=1,
                                       latent_dim=4)
    gan = kgl.GAN(generator, discriminator, seed=0)
    gan.compile(d_loss="relativistic_pairing", g_loss="relativistic_pairing",
                penalties=[kgl.penalties.R1Penalty(1.0),
                           kgl.penalties.R2Penalty(1.0)])
    x = np.random.default_rng(5).uniform(-1, 1, (8, 28, 28, 1))
    before = [w.copy() for w in gan.get_weights()]
    logs = gan.fit(x.astype("float32"), batch_size=4, epochs=1,
                   verbose=0).history
    assert all(np.isfinite(v[0]) for v in logs.values())
    assert logs["r1_penalty"][0] > 0 and logs["r2_penalty"][0] > 0
    assert any(not np.allclose(a, b)
               for a, b in zip(before, gan.get_weights()))


@pytest.mark.parametrize("kwargs,match", [
    ({"widths": [8, 8]}, "one value per stage"),
    ({"cardinality": 3, "widths": 8}, "divide"),
    ({"kernel_size": 4}, "odd"),
    ({"blocks": 0}, "blocks"),
])
def test_bad_arguments_name_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        A.r3gan((28, 28, 1), **kwargs)


def test_grouped_convolution_equals_keras_grouped_conv2d():
    x = np.random.default_rng(6).normal(size=(2, 5, 5, 8)).astype("float32")
    ours = A.GroupedConv2D(12, 3, groups=4)
    theirs = keras.layers.Conv2D(12, 3, groups=4, padding="same",
                                 use_bias=False)
    ours.build(x.shape)
    theirs.build(x.shape)
    assert ours.kernel.shape == theirs.kernel.shape == (3, 3, 2, 12)
    theirs.kernel.assign(ours.kernel)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_discriminative_basis_is_a_whole_map_depthwise_convolution():
    x = np.random.default_rng(7).normal(size=(3, 4, 4, 5)).astype("float32")
    ours = A.DiscriminativeBasis()
    ours.build(x.shape)
    depthwise = keras.layers.DepthwiseConv2D(4, use_bias=False)
    depthwise.build(x.shape)
    depthwise.kernel.assign(keras.ops.reshape(ours.kernel, (4, 4, 5, 1)))
    np.testing.assert_allclose(
        ours(x), keras.ops.reshape(depthwise(x), (3, 5)), rtol=1e-5,
        atol=1e-5)
