"""The pix2pix builders: U-Net shapes, padding, skips and parameter counts;
PatchGAN shapes, parameter counts and a measured receptive field."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan_losses.architectures import patchgan
from keras_gan_losses.architectures import patchgan_output_size
from keras_gan_losses.architectures import patchgan_receptive_field
from keras_gan_losses.architectures import unet

K = 4  # every convolution is 4x4


def conv_params(cin, cout, bias):
    return K * K * cin * cout + (cout if bias else 0)


def norm_params(channels):
    return 4 * channels  # gamma, beta, moving mean, moving variance


def expected_unet_params(channels, out_channels, base, depth):
    """Counted from the pix2pix layout, independently of the builder."""
    f = [base * min(2**i, 8) for i in range(depth)]  # level 1..depth
    total = 0
    cin = channels
    for level in range(1, depth + 1):
        normed = 1 < level < depth
        total += conv_params(cin, f[level - 1], bias=not normed)
        total += norm_params(f[level - 1]) if normed else 0
        cin = f[level - 1]
    # decoder: level depth-1 .. 1, input = previous (concatenated) output
    for level in range(depth - 1, 0, -1):
        total += conv_params(cin, f[level - 1], bias=False)
        total += norm_params(f[level - 1])
        cin = 2 * f[level - 1]
    total += conv_params(cin, out_channels, bias=True)
    return total


def expected_patchgan_params(in_channels, base, num_layers):
    f = [base * min(2**i, 8) for i in range(num_layers + 1)]
    total = conv_params(in_channels, f[0], bias=True)
    for i in range(1, num_layers + 1):
        total += conv_params(f[i - 1], f[i], bias=False) + norm_params(f[i])
    return total + conv_params(f[-1], 1, bias=True)


@pytest.mark.parametrize("shape,depth,padded", [
    ((28, 28, 1), None, 32),  # default depth 5: 28 -> 32 -> ... -> 1
    ((28, 28, 1), 2, 28),     # 28 = 4 * 7: no padding, 7x7 bottleneck
    ((28, 28, 1), 3, 32),
    ((32, 32, 3), None, 32),
    ((27, 27, 2), 1, 28),
])
def test_unet_shapes_and_padding(shape, depth, padded):
    model = unet(shape, base_filters=4, depth=depth)
    assert model.input_shape == (None,) + shape
    assert model.output_shape == (None,) + shape
    names = [layer.name for layer in model.layers]
    if padded == shape[0]:
        assert "pad" not in names and "crop" not in names
    else:
        assert model.get_layer("pad").output.shape[1] == padded
    x = np.random.default_rng(0).uniform(-1, 1, (2,) + shape)
    y = keras.ops.convert_to_numpy(model(x.astype("float32")))
    assert y.shape == (2,) + shape
    assert np.abs(y).max() <= 1.0


def test_unet_padding_is_centred_and_cropped_back():
    model = unet((28, 26, 1), base_filters=4, depth=3)
    assert model.get_layer("pad").padding == ((2, 2), (3, 3))
    assert model.get_layer("crop").cropping == ((2, 2), (3, 3))
    assert model.get_layer("down3").output.shape[1:3] == (4, 4)


@pytest.mark.parametrize("shape,out,base,depth", [
    ((28, 28, 1), None, 16, None),
    ((28, 28, 1), 3, 8, 2),
    ((256, 256, 3), None, 64, None),  # pix2pix unet_256
])
def test_unet_parameter_counts(shape, out, base, depth):
    model = unet(shape, output_channels=out, base_filters=base, depth=depth)
    depth = depth or {28: 5, 256: 8}[shape[0]]
    assert model.count_params() == expected_unet_params(
        shape[-1], out or shape[-1], base, depth)


def test_pix2pix_sizes_match_the_reference_implementation():
    # pytorch-CycleGAN-and-pix2pix prints 54.414 M parameters for unet_256
    # and 2.769 M for the basic (70x70) discriminator. It omits the biases
    # of the first and the innermost encoder convolutions (64 + 512), and
    # Keras also counts the batch-norm moving statistics: compare the
    # trainable weights.
    def trainable(model):
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)

    generator = unet((256, 256, 3))
    assert round((trainable(generator) - 64 - 512) / 1e6, 3) == 54.414
    assert generator.get_layer("down8").output.shape[1:3] == (1, 1)
    discriminator = patchgan((256, 256, 3))
    assert round(trainable(discriminator) / 1e6, 3) == 2.769


def test_unet_skip_connections_join_matching_encoder_levels():
    model = unet((28, 28, 1), base_filters=4, depth=4)
    skips = [layer for layer in model.layers
             if isinstance(layer, keras.layers.Concatenate)]
    assert [layer.name for layer in skips] == ["skip3", "skip2", "skip1"]
    for level in (1, 2, 3):
        encoder = model.get_layer(
            f"down{level}_norm" if level > 1 else "down1").output
        decoder_in, skip_in = model.get_layer(f"skip{level}").input
        assert skip_in is encoder
        assert decoder_in.shape == encoder.shape


def test_unet_skip_carries_fine_detail():
    # Zeroing every encoder level but the first cuts the bottleneck path;
    # the output still depends on the input through skip1 alone.
    model = unet((28, 28, 1), base_filters=4, depth=3, dropout=0.0)
    x = tf.constant(np.random.default_rng(1).uniform(
        -1, 1, (1, 28, 28, 1)).astype("float32"))
    model.get_layer("down2").kernel.assign(
        tf.zeros_like(model.get_layer("down2").kernel))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(model(x, training=False))
    grad = tape.gradient(total, x)
    assert float(tf.reduce_max(tf.abs(grad))) > 0


def test_unet_dropout_on_the_deepest_three_decoder_levels():
    model = unet((28, 28, 1), base_filters=4, dropout=0.5)
    dropouts = [layer.name for layer in model.layers
                if isinstance(layer, keras.layers.Dropout)]
    assert dropouts == ["up5_dropout", "up4_dropout", "up3_dropout"]
    assert all(model.get_layer(n).rate == 0.5 for n in dropouts)
    no_dropout = unet((28, 28, 1), base_filters=4, dropout=0.0)
    assert not any(isinstance(layer, keras.layers.Dropout)
                   for layer in no_dropout.layers)


def test_unet_options():
    model = unet((28, 28, 1), output_channels=3, base_filters=4,
                 output_activation=None, normalization="instance")
    assert model.output_shape == (None, 28, 28, 3)
    assert model.get_layer("images").activation is \
        keras.activations.linear
    assert isinstance(model.get_layer("down2_norm"),
                      keras.layers.GroupNormalization)
    plain = unet((28, 28, 1), base_filters=4, normalization=None)
    assert not any("norm" in layer.name for layer in plain.layers)


@pytest.mark.parametrize("kwargs,message", [
    (dict(image_shape=(28, 28)), "image_shape"),
    (dict(image_shape=(28, 28, 0)), "image_shape"),
    (dict(depth=6), "at most 5"),
    (dict(depth=0), "depth"),
    (dict(base_filters=0), "base_filters"),
    (dict(output_channels=1.5), "output_channels"),
    (dict(dropout=1.0), "dropout"),
    (dict(normalization="layer"), "normalization"),
    (dict(image_shape=(1, 28, 1)), "at least 2"),
])
def test_unet_bad_arguments(kwargs, message):
    kwargs = {"image_shape": (28, 28, 1), **kwargs}
    with pytest.raises(ValueError, match=message):
        unet(**kwargs)


@pytest.mark.parametrize("shape,num_layers,side", [
    ((256, 256, 3), 3, 30),  # pix2pix: 70x70 PatchGAN, 30x30 logits
    ((28, 28, 1), 1, 12),
    ((28, 28, 1), 2, 5),
    ((28, 28, 1), 3, 2),
    ((32, 20, 2), 2, None),
])
def test_patchgan_shapes(shape, num_layers, side):
    model = patchgan(shape, base_filters=4, num_layers=num_layers)
    h = patchgan_output_size(shape[0], num_layers)
    w = patchgan_output_size(shape[1], num_layers)
    if side is not None:
        assert h == w == side
    assert model.output_shape == (None, h, w, 1)
    source = np.zeros((2,) + shape, "float32")
    out = model([source, source])
    assert tuple(out.shape) == (2, h, w, 1)
    assert out.dtype == "float32"


def test_patchgan_concatenates_source_and_images():
    model = patchgan((28, 28, 1), target_shape=(28, 28, 3), base_filters=4,
                     num_layers=2)
    assert [tuple(i.shape) for i in model.inputs] == \
        [(None, 28, 28, 1), (None, 28, 28, 3)]
    assert model.get_layer("source_and_images").output.shape[-1] == 4


@pytest.mark.parametrize("channels,base,num_layers", [
    (2, 16, 2), (6, 64, 3), (2, 8, 4),
])
def test_patchgan_parameter_counts(channels, base, num_layers):
    shape = (160, 160, channels // 2)
    model = patchgan(shape, base_filters=base, num_layers=num_layers)
    assert model.count_params() == expected_patchgan_params(
        channels, base, num_layers)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_patchgan_receptive_field_measured_by_gradients(num_layers):
    field = patchgan_receptive_field(num_layers)
    assert field == {1: 16, 2: 34, 3: 70}[num_layers]
    side = 2 * field + 2**(num_layers + 1)
    model = patchgan((side, side, 1), base_filters=4, num_layers=num_layers)
    rng = np.random.default_rng(num_layers)
    images = tf.constant(rng.normal(size=(1, side, side, 1)), "float32")
    source = tf.constant(rng.normal(size=(1, side, side, 1)), "float32")
    with tf.GradientTape() as tape:
        tape.watch(images)
        logits = model([source, images], training=False)
        centre = logits.shape[1] // 2
        logit = logits[0, centre, centre, 0]
    grad = np.abs(tape.gradient(logit, images).numpy()[0, :, :, 0])
    rows = np.flatnonzero(grad.sum(axis=1) > 0)
    cols = np.flatnonzero(grad.sum(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 == field
    assert cols[-1] - cols[0] + 1 == field
    assert rows[0] > 0 and rows[-1] < side - 1  # not clipped by the border


def test_patchgan_spectral_norm_and_no_normalization():
    model = patchgan((28, 28, 1), base_filters=4, num_layers=2,
                     spectral_norm=True, normalization=None)
    wrapped = [layer for layer in model.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 4  # 2 strided, 1 stride-1, the logits
    assert not any("norm" in layer.name and "sn_" not in layer.name
                   for layer in model.layers)
    x = np.zeros((1, 28, 28, 1), "float32")
    assert tuple(model([x, x]).shape) == (1, 5, 5, 1)


@pytest.mark.parametrize("kwargs,message", [
    (dict(target_shape=(14, 14, 1)), "same height and width"),
    (dict(source_shape=(28, 28)), "source_shape"),
    (dict(num_layers=4), "too small"),
    (dict(num_layers=0), "num_layers"),
    (dict(base_filters=-1), "base_filters"),
    (dict(normalization="group"), "normalization"),
])
def test_patchgan_bad_arguments(kwargs, message):
    kwargs = {"source_shape": (28, 28, 1), **kwargs}
    with pytest.raises(ValueError, match=message):
        patchgan(**kwargs)


def test_patchgan_spectral_norm_must_be_bool():
    with pytest.raises(TypeError, match="spectral_norm"):
        patchgan((28, 28, 1), spectral_norm="yes")
