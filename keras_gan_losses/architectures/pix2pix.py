"""The pix2pix networks: a U-Net generator and a PatchGAN discriminator.

Isola et al., "Image-to-Image Translation with Conditional Adversarial
Networks", 2017 (https://arxiv.org/abs/1611.07004), as written in
`junyanz/pytorch-CycleGAN-and-pix2pix` (`UnetGenerator`,
`NLayerDiscriminator`) and the TensorFlow pix2pix tutorial: 4×4
convolutions, stride 2 down and up, LeakyReLU(0.2) in the encoder and
the discriminator, ReLU in the decoder, weights drawn from N(0, 0.02).
"""

import math

import keras

from keras_gan_losses.utils.checks import check_bool
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.checks import is_int
from keras_gan_losses.utils.checks import positive_int

KERNEL_SIZE = 4
#: Channels stop doubling at `MAX_FILTER_MULTIPLIER · base_filters` (pix2pix).
MAX_FILTER_MULTIPLIER = 8
#: Decoder levels (the deepest ones) that get dropout, as in pix2pix.
DROPOUT_LEVELS = 3
MAX_DEPTH = 8
NORMALIZATIONS = ("batch", "instance", None)


def _check_shape(name, shape):
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 3
        or any(not is_int(d) or d < 1 for d in shape)
    ):
        raise ValueError(
            f"`{name}` must be (height, width, channels) with positive ints, "
            f"e.g. (28, 28, 1). Received: {name}={shape!r}"
        )
    return tuple(int(d) for d in shape)


def _check_normalization(normalization):
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            "`normalization` must be \"batch\", \"instance\" or None. "
            f"Received: normalization={normalization!r}"
        )
    return normalization


def _init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _norm(normalization, name):
    if normalization == "batch":
        return keras.layers.BatchNormalization(name=name)
    # GroupNormalization with one group per channel is instance norm.
    return keras.layers.GroupNormalization(groups=-1, name=name)


def unet_padding(size, depth):
    """The zero padding that makes a side a multiple of `2**depth`.

    Args:
        size (int): Positive int, the height or width of the images.
        depth (int): Positive int, the number of halvings of the U-Net.

    Returns:
        tuple[int, int]: `(before, after)`, with `after - before` 0 or 1.

    Example:

    >>> unet_padding(28, 2), unet_padding(28, 5), unet_padding(27, 1)
    ((0, 0), (2, 2), (0, 1))
    """
    total = -size % 2**depth
    return total // 2, total - total // 2


def default_unet_depth(image_shape):
    """The `depth` of `unet(image_shape)`: halvings down to a 1×1 grid.

    `ceil(log2(min(height, width)))`, at most 8 (a 256×256 image, as in
    pix2pix's `unet_256`). A side that is not a multiple of `2**depth` is
    zero-padded up to one (28 → 32 for depth 5).

    Example:

    >>> default_unet_depth((28, 28, 1)), default_unet_depth((256, 256, 3))
    (5, 8)
    """
    height, width, _ = _check_shape("image_shape", image_shape)
    smallest = min(height, width)
    if smallest < 2:
        raise ValueError(
            f"unet needs images of at least 2×2. Received: "
            f"image_shape={tuple(image_shape)}"
        )
    return min(MAX_DEPTH, math.ceil(math.log2(smallest)))


def unet(image_shape, output_channels=None, base_filters=64, depth=None,
         dropout=0.5, output_activation="tanh", normalization="batch"):
    """The pix2pix U-Net generator: an encoder–decoder with skip connections.

    The encoder halves the image `depth` times with 4×4 stride-2
    convolutions (`base_filters`, `2·base_filters`, ... channels, at most
    `8·base_filters`), each after a LeakyReLU(0.2) and (except the first
    and the innermost) followed by normalization. The decoder doubles it
    back with 4×4 stride-2 transposed convolutions after a ReLU; the input
    of each decoder level is the previous decoder output concatenated on
    channels with the encoder output of the same size (the skip
    connection, layers `skip1` ... `skip{depth-1}`). The deepest
    `min(3, depth - 1)` decoder levels apply dropout, as pix2pix does, and
    only in training. The last layer maps to `output_channels` with
    `output_activation`, in float32.

    Sizes that are not a multiple of `2**depth`: the input is zero-padded
    (layer `"pad"`, split as evenly as possible between the two sides,
    see `unet_padding`) to the next multiple, and the output is cropped
    back (layer `"crop"`) to `(height, width)`. A 28×28 MNIST digit with
    the default depth 5 is padded to 32×32 and has a 1×1 bottleneck; with
    `depth=2` (28 = 4·7) no padding is needed and the bottleneck is 7×7.

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)` of
            the source images.
        output_channels (int | None): Channels of the output images; by
            default those of the source.
        base_filters (int): Positive int, channels of the first encoder
            convolution (`ngf`, 64 in pix2pix; 16 or 32 train fast on a
            CPU).
        depth (int | None): Number of halvings (encoder levels), from 1 to
            `ceil(log2(min(height, width)))`; by default that maximum,
            capped at 8 (see `default_unet_depth`).
        dropout (float): Dropout rate in [0, 1) of the deepest decoder
            levels (0.5 in pix2pix; 0 turns it off).
        output_activation (str | None): Activation of the output, `"tanh"`
            for images in [-1, 1].
        normalization (str | None): `"batch"` (pix2pix), `"instance"` or
            None.

    Returns:
        keras.Model: A functional `keras.Model` named `"unet"` with input
        `"source"` and output `(batch, height, width, output_channels)`.

    Raises:
        ValueError: for a malformed shape, a depth out of range, or invalid
            arguments (the message names the argument).

    Example:

    >>> generator = unet((28, 28, 1), base_filters=8)
    >>> tuple(generator.output_shape), generator.get_layer("pad").padding
    ((None, 28, 28, 1), ((2, 2), (2, 2)))
    >>> generator = unet((28, 28, 1), base_filters=8, depth=2)
    >>> [layer.name for layer in generator.layers if "skip" in layer.name]
    ['skip1']
    """
    image_shape = _check_shape("image_shape", image_shape)
    height, width, channels = image_shape
    if output_channels is None:
        output_channels = channels
    output_channels = positive_int("output_channels", output_channels)
    base_filters = positive_int("base_filters", base_filters)
    max_depth = default_unet_depth(image_shape)
    if depth is None:
        depth = max_depth
    depth = positive_int("depth", depth)
    largest = math.ceil(math.log2(min(height, width)))
    if depth > largest:
        raise ValueError(
            f"`depth` must be at most {largest} for {height}×{width} images "
            f"(ceil(log2({min(height, width)})): deeper, the padding would "
            f"more than double the image). Received: depth={depth}"
        )
    dropout = check_number("dropout", dropout, low=0.0, high=1.0,
                           high_open=True)
    normalization = _check_normalization(normalization)

    layers = keras.layers
    source = layers.Input(image_shape, name="source")
    pad_h, pad_w = unet_padding(height, depth), unet_padding(width, depth)
    x = source
    if pad_h != (0, 0) or pad_w != (0, 0):
        x = layers.ZeroPadding2D((pad_h, pad_w), name="pad")(x)

    def filters(level):
        return base_filters * min(2 ** (level - 1), MAX_FILTER_MULTIPLIER)

    skips = []
    for level in range(1, depth + 1):
        if level > 1:
            x = layers.LeakyReLU(0.2, name=f"down{level}_lrelu")(x)
        use_norm = normalization is not None and 1 < level < depth
        x = layers.Conv2D(
            filters(level), KERNEL_SIZE, strides=2, padding="same",
            use_bias=not use_norm, kernel_initializer=_init(),
            name=f"down{level}",
        )(x)
        if use_norm:
            x = _norm(normalization, f"down{level}_norm")(x)
        skips.append(x)
    dropout_levels = range(depth - 1, max(depth - 1 - DROPOUT_LEVELS, 0), -1)
    for level in range(depth - 1, 0, -1):
        x = layers.ReLU(name=f"up{level + 1}_relu")(x)
        use_norm = normalization is not None
        x = layers.Conv2DTranspose(
            filters(level), KERNEL_SIZE, strides=2, padding="same",
            use_bias=not use_norm, kernel_initializer=_init(),
            name=f"up{level + 1}",
        )(x)
        if use_norm:
            x = _norm(normalization, f"up{level + 1}_norm")(x)
        if dropout > 0 and level in dropout_levels:
            x = layers.Dropout(dropout, name=f"up{level + 1}_dropout")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level - 1]])
    x = layers.ReLU(name="up1_relu")(x)
    x = layers.Conv2DTranspose(
        output_channels, KERNEL_SIZE, strides=2, padding="same",
        kernel_initializer=_init(), name="up1",
    )(x)
    if pad_h != (0, 0) or pad_w != (0, 0):
        x = layers.Cropping2D((pad_h, pad_w), name="crop")(x)
    images = layers.Activation(
        output_activation, dtype="float32", name="images"
    )(x)
    return keras.Model(source, images, name="unet")


def patchgan_receptive_field(num_layers):
    """The receptive field (side, in pixels) of one `patchgan` logit.

    Going back from a logit: the two stride-1 4×4 convolutions see 7
    pixels, and each stride-2 4×4 convolution maps a field `r` to
    `2r + 2`, so `num_layers` of them give `9 · 2**num_layers - 2`:
    16, 34, 70 (pix2pix's "70×70 PatchGAN"), 142 for 1, 2, 3, 4.

    Args:
        num_layers (int): Positive int, the stride-2 convolutions.

    Returns:
        int: The side of the square of input pixels a logit depends on.

    Example:

    >>> [patchgan_receptive_field(n) for n in (1, 2, 3, 4)]
    [16, 34, 70, 142]
    """
    num_layers = positive_int("num_layers", num_layers)
    return 9 * 2**num_layers - 2


def patchgan_output_size(size, num_layers):
    """The side of `patchgan`'s logit map for an input side `size`.

    `ceil(size / 2**num_layers) - 2`: the stride-2 convolutions use "same"
    padding, the two stride-1 convolutions pad by 1 and lose one pixel
    each (as pix2pix's 256 → 30).

    Example:

    >>> patchgan_output_size(256, 3), patchgan_output_size(28, 2)
    (30, 5)
    """
    return math.ceil(size / 2**num_layers) - 2


def patchgan(source_shape, target_shape=None, base_filters=64, num_layers=3,
             spectral_norm=False, normalization="batch"):
    """The pix2pix PatchGAN discriminator: one logit per image patch.

    The source image and the (real or generated) target image are
    concatenated on channels and judged by `num_layers` 4×4 stride-2
    convolutions (`base_filters`, `2·base_filters`, ... channels, at most
    `8·base_filters`), a 4×4 stride-1 convolution with twice the last
    channels (at most `8·base_filters`), and a 4×4 stride-1 convolution to
    one channel of raw logits, in float32. Every convolution but the first
    and the last is followed by normalization; every hidden one by
    LeakyReLU(0.2).

    Receptive field: each logit depends on a `9 · 2**num_layers - 2`
    pixel square of the input (`patchgan_receptive_field`): 16, 34, 70
    (the pix2pix default) or 142 for `num_layers` 1 to 4. For 28×28
    images `num_layers=2` (34×34, 5×5 logits) or `num_layers=1` (16×16
    patches, 12×12 logits) keep the discriminator local; with 3 each of
    the 2×2 logits sees the whole image. The logit map has side
    `ceil(side / 2**num_layers) - 2` (`patchgan_output_size`).

    The GAN losses of this package average over every non-batch axis, so
    the logit map can be passed to them as it is.

    Args:
        source_shape (tuple[int, int, int]): `(height, width, channels)` of
            the source images.
        target_shape (tuple[int, int, int] | None): Shape of the target
            images; by default `source_shape`. The height and width must
            match the source's.
        base_filters (int): Positive int, channels of the first convolution
            (`ndf`, 64 in pix2pix).
        num_layers (int): Positive int, the stride-2 convolutions (`n_layers`,
            3 in pix2pix).
        spectral_norm (bool): Whether to wrap every convolution in
            `keras.layers.SpectralNormalization`.
        normalization (str | None): `"batch"` (pix2pix), `"instance"` or
            None. With batch normalization the per-example gradient
            penalties (WGAN-GP, R1, DRAGAN) are not valid; use `"instance"`
            or None with them.

    Returns:
        keras.Model: A functional `keras.Model` named `"patchgan"` with inputs
        `["source", "images"]` and output `(batch, h, w, 1)`, float32.

    Raises:
        ValueError: for malformed shapes, sources and targets of different
            sizes, images too small for `num_layers`, or invalid arguments.

    Example:

    >>> discriminator = patchgan((28, 28, 1), base_filters=8, num_layers=2)
    >>> discriminator.output_shape
    (None, 5, 5, 1)
    """
    source_shape = _check_shape("source_shape", source_shape)
    if target_shape is None:
        target_shape = source_shape
    target_shape = _check_shape("target_shape", target_shape)
    if source_shape[:2] != target_shape[:2]:
        raise ValueError(
            "The source and target images must have the same height and "
            f"width. Received: source_shape={source_shape}, "
            f"target_shape={target_shape}"
        )
    base_filters = positive_int("base_filters", base_filters)
    num_layers = positive_int("num_layers", num_layers)
    spectral_norm = check_bool("spectral_norm", spectral_norm)
    normalization = _check_normalization(normalization)
    height, width, _ = source_shape
    out_h = patchgan_output_size(height, num_layers)
    out_w = patchgan_output_size(width, num_layers)
    if min(out_h, out_w) < 1:
        raise ValueError(
            f"{height}×{width} images are too small for num_layers="
            f"{num_layers}: the logit map would be {out_h}×{out_w} "
            "(ceil(side / 2**num_layers) - 2). Use fewer layers."
        )

    layers = keras.layers

    def conv(filters, strides, name, use_bias=True, dtype=None):
        layer = layers.Conv2D(
            filters, KERNEL_SIZE, strides=strides,
            padding="same" if strides == 2 else "valid", use_bias=use_bias,
            kernel_initializer=_init(), dtype=dtype, name=name,
        )
        if spectral_norm:
            layer = layers.SpectralNormalization(
                layer, dtype=dtype, name=f"sn_{name}"
            )
        return layer

    source = layers.Input(source_shape, name="source")
    images = layers.Input(target_shape, name="images")
    x = layers.Concatenate(name="source_and_images")([source, images])
    use_norm = normalization is not None
    for layer in range(1, num_layers + 2):
        strided = layer <= num_layers
        filters = base_filters * min(2 ** (layer - 1), MAX_FILTER_MULTIPLIER)
        if not strided:
            x = layers.ZeroPadding2D(1, name=f"conv{layer}_pad")(x)
        norm_here = use_norm and layer > 1
        x = conv(filters, 2 if strided else 1, f"conv{layer}",
                 use_bias=not norm_here)(x)
        if norm_here:
            x = _norm(normalization, f"conv{layer}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"conv{layer}_lrelu")(x)
    x = layers.ZeroPadding2D(1, name="logits_pad")(x)
    logits = conv(1, 1, "logits", dtype="float32")(x)
    return keras.Model([source, images], logits, name="patchgan")
