"""R3GAN's generator and discriminator: residual networks without
normalisation.

Huang et al., "The GAN is dead; long live the GAN! A Modern GAN
Baseline", NeurIPS 2024 (https://arxiv.org/abs/2501.05441), after the
reference code (brownvc/R3GAN, `R3GAN/Networks.py`).

Both networks are stacks of stages, one per resolution. A stage holds
residual blocks of an inverted bottleneck: a 1×1 convolution widening
the features `expansion` times, a grouped k×k convolution with
`cardinality` groups, a 1×1 convolution back, each of the first two
followed by a learned bias and leaky ReLU(0.2). The last convolution of
every block starts at zero (fix-up initialisation), so that a new block
is the identity, and the others are initialised with variance scaling
`gain · L^(-1/4)` (`L` the network's number of blocks, `gain` the leaky
ReLU's √(2 / (1 + 0.2²))), which keeps the residual sum's variance
bounded however deep the network is; there is no normalisation at all.
The generator starts from a learned 4×4 (or up to 7×7) basis modulated
by a linear map of the latent vector and doubles the resolution between
stages with interpolative upsampling; the discriminator mirrors it with
interpolative downsampling and ends with a depthwise convolution over
the whole last feature map. Up- and downsampling use R3GAN's low-pass
filter, `[1, 2, 1]` convolved with `[1, 1]`: `[1, 3, 3, 1] / 8` along
each axis, with zero padding.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_gan_losses.architectures.dcgan import plan
from keras_gan_losses.utils.checks import positive_int

#: The leaky ReLU's slope and its variance-preserving gain.
NEGATIVE_SLOPE = 0.2
ACTIVATION_GAIN = math.sqrt(2.0 / (1.0 + NEGATIVE_SLOPE**2))
#: Linear layers of a residual block (the `L` exponent's 2·3 − 2).
_BLOCK_LAYERS = 3
#: R3GAN's resampling filter, and the 4-tap interpolation filter it
#: gives for a factor of 2 (`CreateLowpassKernel(..., Inplace=False)`).
RESAMPLING_FILTER = (1, 2, 1)


def _normal(gain, fan_in):
    """R3GAN's `MSRInitializer`: N(0, (gain / √fan_in)²); 0 for gain 0."""
    if gain == 0:
        return keras.initializers.Zeros()
    return keras.initializers.RandomNormal(stddev=gain / math.sqrt(fan_in))


def _filter(channels, gain, dtype):
    """R3GAN's 4×4 interpolation filter times `gain`, as a depthwise
    kernel `(4, 4, channels, 1)` (each channel filtered on its own)."""
    taps = np.convolve(RESAMPLING_FILTER, [1, 1]).astype("float64")
    kernel = np.outer(taps, taps) / np.sum(taps) ** 2 * gain
    kernel = np.broadcast_to(kernel[:, :, None, None], (4, 4, channels, 1))
    return ops.cast(np.ascontiguousarray(kernel), dtype)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class InterpolativeUpSampling2D(keras.layers.Layer):
    """Doubles the height and width with R3GAN's interpolation filter.

    A transposed convolution of stride 2 with the filter
    `[1, 3, 3, 1] / 4` along each axis (R3GAN's `[1, 2, 1]` low-pass
    filter convolved with `[1, 1]`, times the factor 2) and one zero of
    padding: along an axis,

    ```
    y[2i] = (x[i - 1] + 3 x[i]) / 4,   y[2i + 1] = (3 x[i] + x[i + 1]) / 4
    ```

    with `x[-1] = x[n] = 0`: bilinear interpolation with half-pixel
    centres, inside the image. Every channel is filtered on its own; the
    layer has no weights. Input `(batch, h, w, c)` with `h`, `w` and `c`
    known, output `(batch, 2h, 2w, c)`.

    Args:
        **kwargs (Any): Keras layer arguments (`name`, `dtype`).

    Example:

    >>> import numpy as np
    >>> x = np.arange(2.0).reshape(1, 1, 2, 1)
    >>> y = InterpolativeUpSampling2D()(x)
    >>> keras.ops.convert_to_numpy(y)[0, :, :, 0].round(4).tolist()
    [[0.0, 0.1875, 0.5625, 0.5625], [0.0, 0.1875, 0.5625, 0.5625]]
    """

    def call(self, x):
        # The transposed convolution as a convolution: zeros between the
        # pixels, then the filter (which is symmetric) at stride 1.
        _, height, width, channels = x.shape
        x = ops.reshape(ops.stack([x, ops.zeros_like(x)], axis=2),
                        (-1, 2 * height, width, channels))
        x = ops.reshape(ops.stack([x, ops.zeros_like(x)], axis=3),
                        (-1, 2 * height, 2 * width, channels))
        x = ops.pad(x, [[0, 0], [2, 1], [2, 1], [0, 0]])
        return ops.depthwise_conv(x, _filter(channels, 4.0, x.dtype),
                                  strides=1, padding="valid")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, None if height is None else 2 * height,
                None if width is None else 2 * width, channels)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class InterpolativeDownSampling2D(keras.layers.Layer):
    """Halves the height and width with R3GAN's interpolation filter.

    A convolution of stride 2 with the filter `[1, 3, 3, 1] / 8` along
    each axis and one zero of padding: along an axis,

    ```
    y[i] = (x[2i - 1] + 3 x[2i] + 3 x[2i + 1] + x[2i + 2]) / 8
    ```

    with zeros outside the image. Every channel is filtered on its own;
    the layer has no weights. Input `(batch, h, w, c)` with even `h` and
    `w`, output `(batch, h/2, w/2, c)`.

    Args:
        **kwargs (Any): Keras layer arguments (`name`, `dtype`).

    Example:

    >>> import numpy as np
    >>> y = InterpolativeDownSampling2D()(np.ones((1, 4, 4, 1)))
    >>> keras.ops.convert_to_numpy(y)[0, :, :, 0].tolist()
    [[0.765625, 0.765625], [0.765625, 0.765625]]
    """

    def call(self, x):
        x = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        return ops.depthwise_conv(x, _filter(x.shape[-1], 1.0, x.dtype),
                                  strides=2, padding="valid")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, None if height is None else height // 2,
                None if width is None else width // 2, channels)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class BiasedLeakyReLU(keras.layers.Layer):
    """A learned per-channel bias (starting at 0), then leaky ReLU(0.2):
    R3GAN's `BiasedActivation`.

    Args:
        **kwargs (Any): Keras layer arguments (`name`, `dtype`).
    """

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],),
                                    initializer="zeros")

    def call(self, x):
        return ops.leaky_relu(x + ops.cast(self.bias, x.dtype),
                              negative_slope=NEGATIVE_SLOPE)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class GenerativeBasis(keras.layers.Layer):
    """R3GAN's first generator layer: a learned `h × w × units` basis,
    each channel scaled by a linear map (no bias) of the input vector.

    Args:
        units (int): Positive int, the channels of the output.
        size (tuple[int, int]): `(h, w)` of the basis, e.g. `(4, 4)`.
        **kwargs (Any): Keras layer arguments (`name`, `dtype`).
    """

    def __init__(self, units, size=(4, 4), **kwargs):
        super().__init__(**kwargs)
        self.units = positive_int("units", units)
        self.size = tuple(positive_int("size", s) for s in size)

    def build(self, input_shape):
        self.basis = self.add_weight(
            name="basis", shape=(*self.size, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units),
            initializer=_normal(1.0, input_shape[-1]))

    def call(self, x):
        scale = ops.matmul(x, ops.cast(self.kernel, x.dtype))
        return ops.cast(self.basis, x.dtype)[None] * scale[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.size, self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "size": list(self.size)}


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class GroupedConv2D(keras.layers.Layer):
    """A grouped convolution (stride 1, same padding, no bias) computed
    group by group.

    The same weights and outputs as `keras.layers.Conv2D(filters,
    kernel_size, groups=groups, padding="same", use_bias=False)` (kernel
    `(k, k, channels / groups, filters)`, output group `g` from input
    group `g`), but each group is its own convolution: TensorFlow's
    grouped kernel on CPUs is slow, and its second derivative, which the
    R1 and R2 penalties take, about 70 times slower than this.

    Args:
        filters (int): Positive int, output channels (divisible by
            `groups`).
        kernel_size (int): Positive odd int.
        groups (int): Positive int dividing the input channels.
        kernel_initializer (str | keras.Initializer): The kernel's
            initializer.
        **kwargs (Any): Keras layer arguments (`name`, `dtype`).
    """

    def __init__(self, filters, kernel_size, groups=1,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int("filters", filters)
        self.kernel_size = positive_int("kernel_size", kernel_size)
        self.groups = positive_int("groups", groups)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels % self.groups or self.filters % self.groups:
            raise ValueError(
                f"`groups` ({self.groups}) must divide the input channels "
                f"({channels}) and `filters` ({self.filters})."
            )
        self.kernel = self.add_weight(
            name="kernel", initializer=self.kernel_initializer,
            shape=(self.kernel_size, self.kernel_size,
                   channels // self.groups, self.filters))

    def call(self, x):
        kernel = ops.cast(self.kernel, x.dtype)
        if self.groups == 1:
            return ops.conv(x, kernel, padding="same")
        inputs = ops.split(x, self.groups, axis=-1)
        kernels = ops.split(kernel, self.groups, axis=-1)
        return ops.concatenate(
            [ops.conv(a, k, padding="same") for a, k in zip(inputs, kernels)],
            axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "groups": self.groups,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer)}


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class DiscriminativeBasis(keras.layers.Layer):
    """R3GAN's last discriminator layer: a depthwise convolution whose
    kernel covers the whole `h × w` feature map (one weight per position
    and channel, no bias), so each channel becomes one feature.

    Written as `sum(x · kernel)` over the positions, which is what that
    convolution computes (and cheap to differentiate twice).

    Args:
        **kwargs (Any): Keras layer arguments (`name`, `dtype`).
    """

    def build(self, input_shape):
        height, width, channels = input_shape[1:]
        self.kernel = self.add_weight(
            name="kernel", shape=(height, width, channels),
            initializer=_normal(1.0, height * width))

    def call(self, x):
        return ops.sum(x * ops.cast(self.kernel, x.dtype)[None], axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def _conv(x, filters, kernel_size, gain, name, groups=1):
    fan_in = x.shape[-1] // groups * kernel_size * kernel_size
    if groups > 1:
        return GroupedConv2D(filters, kernel_size, groups,
                             kernel_initializer=_normal(gain, fan_in),
                             name=name)(x)
    return keras.layers.Conv2D(
        filters, kernel_size, padding="same", use_bias=False,
        kernel_initializer=_normal(gain, fan_in), name=name,
    )(x)


def residual_block(x, cardinality, expansion, kernel_size, total_blocks,
                   name):
    """One R3GAN residual block on `x` (functional API): 1×1 conv to
    `expansion` times the channels, bias + leaky ReLU, grouped k×k conv,
    bias + leaky ReLU, 1×1 conv back (zero-initialised), plus `x`."""
    channels = x.shape[-1]
    expanded = channels * expansion
    gain = ACTIVATION_GAIN * total_blocks ** (-1.0 / (2 * _BLOCK_LAYERS - 2))
    y = _conv(x, expanded, 1, gain, f"{name}_expand")
    y = BiasedLeakyReLU(name=f"{name}_act1")(y)
    y = _conv(y, expanded, kernel_size, gain, f"{name}_grouped",
              groups=cardinality)
    y = BiasedLeakyReLU(name=f"{name}_act2")(y)
    y = _conv(y, channels, 1, 0.0, f"{name}_project")
    return keras.layers.Add(name=f"{name}_add")([x, y])


def _per_stage(name, value, stages):
    """An int or a sequence, as one positive int per stage."""
    if isinstance(value, (list, tuple)):
        values = [positive_int(name, v) for v in value]
        if len(values) != stages:
            raise ValueError(
                f"`{name}` must have one value per stage ({stages} for this "
                f"image size). Received: {name}={list(value)}"
            )
        return values
    return [positive_int(name, value)] * stages


def _stages(image_shape, widths, blocks, cardinality, expansion):
    """`(start size, widths, blocks, cardinality)` per generator stage,
    lowest resolution first, checked."""
    start_h, start_w, steps = plan(image_shape)
    stages = steps + 1
    if widths is None:
        widths = default_widths(image_shape)
    widths = _per_stage("widths", widths, stages)
    blocks = _per_stage("blocks", blocks, stages)
    if cardinality is None:
        cardinality = [max(1, w * expansion // 16) for w in widths]
    cardinality = _per_stage("cardinality", cardinality, stages)
    for width, groups in zip(widths, cardinality):
        if (width * expansion) % groups:
            raise ValueError(
                f"`cardinality` must divide the expanded width "
                f"(width × expansion = {width * expansion}). Received: "
                f"cardinality={groups}"
            )
    return (start_h, start_w), widths, blocks, cardinality


def default_widths(image_shape):
    """Widths that train on a CPU: 32 channels at the lowest resolution,
    halved at each doubling down to 8 (R3GAN's own are 768 and up).

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)`.

    Returns:
        list[int]: One width per generator stage, lowest resolution first.

    Example:

    >>> default_widths((28, 28, 1)), default_widths((64, 64, 3))
    ([32, 16, 8], [32, 16, 8, 8, 8])
    """
    _, _, steps = plan(image_shape)
    return [max(8, 32 // 2**i) for i in range(steps + 1)]


def r3gan_generator(image_shape, latent_dim=64, widths=None, blocks=2,
                    cardinality=None, expansion=2, kernel_size=3,
                    num_classes=None, embedding_dim=None):
    """R3GAN's generator: latent vectors to images.

    A `GenerativeBasis` at the lowest resolution, then for each stage an
    `InterpolativeUpSampling2D` (after a 1×1 convolution when the width
    changes) and `blocks` residual blocks (see the module docstring), and
    a 1×1 convolution to the image's channels. The output is linear (no
    tanh), as in R3GAN; train on images in [-1, 1].

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)`;
            height and width `s · 2ⁿ` with `s` in 4..7 (the basis size),
            e.g. 28 (7 · 2²), 32, 64 or 256 (4 · 2⁶).
        latent_dim (int): Positive int, the size of `z`.
        widths (int | list[int] | None): Channels per stage, lowest
            resolution first (`n + 1` stages); one int for all. Defaults
            to `default_widths(image_shape)`.
        blocks (int | list[int]): Residual blocks per stage.
        cardinality (int | list[int] | None): Groups of each stage's
            grouped convolution; must divide `width · expansion`.
            Defaults to groups of 16 channels.
        expansion (int): Positive int, the inverted bottleneck's widening.
        kernel_size (int): Positive odd int, the grouped convolution's
            kernel.
        num_classes (int | None): Optional int: a conditional generator,
            called as `generator([z, labels])`, whose class embedding
            (R3GAN's bias-free linear map of the one-hot class) is
            concatenated to `z`.
        embedding_dim (int | None): Size of the class embedding. Defaults
            to `latent_dim`, as in R3GAN.

    Returns:
        keras.Model: A functional model named `"r3gan_generator"` with
        input `"z"` (and `"labels"`), output `(batch, *image_shape)`.
    """
    (start_h, start_w), widths, blocks, cardinality = _stages(
        image_shape, widths, blocks, cardinality, expansion)
    expansion = positive_int("expansion", expansion)
    kernel_size = _kernel_size(kernel_size)
    latent_dim = positive_int("latent_dim", latent_dim)
    total = sum(blocks)
    layers = keras.layers
    z = layers.Input((latent_dim,), name="z")
    x, inputs = z, z
    if num_classes is not None:
        num_classes = positive_int("num_classes", num_classes)
        embedding_dim = positive_int(
            "embedding_dim", embedding_dim or latent_dim)
        labels = layers.Input((), dtype="int32", name="labels")
        embedded = layers.Embedding(
            num_classes, embedding_dim,
            embeddings_initializer=_normal(1.0, num_classes),
            name="label_embedding")(labels)
        x = layers.Concatenate(name="z_and_label")([z, embedded])
        inputs = [z, labels]
    x = GenerativeBasis(widths[0], (start_h, start_w), name="basis")(x)
    for stage, width in enumerate(widths):
        if stage:
            if x.shape[-1] != width:
                x = _conv(x, width, 1, 1.0, f"stage{stage}_transition")
            x = InterpolativeUpSampling2D(name=f"stage{stage}_up")(x)
        for block in range(blocks[stage]):
            x = residual_block(x, cardinality[stage], expansion,
                               kernel_size, total,
                               f"stage{stage}_block{block}")
    x = _conv(x, int(image_shape[-1]), 1, 1.0, "to_image")
    images = layers.Activation("linear", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name="r3gan_generator")


def r3gan_discriminator(image_shape, widths=None, blocks=2, cardinality=None,
                        expansion=2, kernel_size=3, num_classes=None,
                        embedding_dim=None):
    """R3GAN's discriminator: images to one logit each.

    A 1×1 convolution from the image's channels, then for each stage
    (highest resolution first) `blocks` residual blocks and an
    `InterpolativeDownSampling2D` (then a 1×1 convolution when the width
    changes); the last stage ends with a depthwise convolution over the
    whole feature map (R3GAN's discriminative basis) and a linear map to
    the logit. No normalisation: per-example penalties (R1, R2) are
    valid.

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)`,
            as for `r3gan_generator`.
        widths (int | list[int] | None): The *generator's* widths, lowest
            resolution first: the discriminator uses them in reverse, as
            R3GAN does. Defaults to `default_widths(image_shape)`.
        blocks (int | list[int]): Residual blocks per stage (generator
            order).
        cardinality (int | list[int] | None): Groups per stage (generator
            order). Defaults to groups of 16 channels.
        expansion (int): Positive int, the inverted bottleneck's widening.
        kernel_size (int): Positive odd int.
        num_classes (int | None): Optional int: a conditional
            discriminator, called as `discriminator([images, labels])`,
            whose basis outputs `embedding_dim` features projected on a
            class embedding (R3GAN's form).
        embedding_dim (int | None): Size of that embedding. Defaults to
            the lowest-resolution width, as in R3GAN.

    Returns:
        keras.Model: A functional model named `"r3gan_discriminator"` with
        input `"images"` (and `"labels"`), output `(batch, 1)`, float32.
    """
    (start_h, start_w), widths, blocks, cardinality = _stages(
        image_shape, widths, blocks, cardinality, expansion)
    expansion = positive_int("expansion", expansion)
    kernel_size = _kernel_size(kernel_size)
    widths, blocks, cardinality = (widths[::-1], blocks[::-1],
                                   cardinality[::-1])
    total = sum(blocks)
    layers = keras.layers
    images = layers.Input(tuple(int(d) for d in image_shape), name="images")
    x = _conv(images, widths[0], 1, 1.0, "from_image")
    last = len(widths) - 1
    for stage, width in enumerate(widths):
        for block in range(blocks[stage]):
            x = residual_block(x, cardinality[stage], expansion,
                               kernel_size, total,
                               f"stage{stage}_block{block}")
        if stage < last:
            x = InterpolativeDownSampling2D(name=f"stage{stage}_down")(x)
            if widths[stage + 1] != width:
                x = _conv(x, widths[stage + 1], 1, 1.0,
                          f"stage{stage}_transition")
    outputs = 1
    if num_classes is not None:
        num_classes = positive_int("num_classes", num_classes)
        outputs = positive_int("embedding_dim", embedding_dim or widths[-1])
    x = DiscriminativeBasis(name="basis")(x)
    logit = layers.Dense(outputs, use_bias=False, dtype="float32",
                         kernel_initializer=_normal(1.0, widths[-1]),
                         name="logit")(x)
    inputs = images
    if num_classes is not None:
        labels = layers.Input((), dtype="int32", name="labels")
        embedded = layers.Embedding(
            num_classes, outputs, dtype="float32",
            embeddings_initializer=_normal(1.0 / math.sqrt(outputs),
                                           num_classes),
            name="label_embedding")(labels)
        logit = layers.Dot(axes=1, dtype="float32", name="projection")(
            [logit, embedded])
        inputs = [images, labels]
    return keras.Model(inputs, logit, name="r3gan_discriminator")


def r3gan(image_shape, latent_dim=64, widths=None, blocks=2,
          cardinality=None, expansion=2, kernel_size=3, num_classes=None):
    """R3GAN's generator and discriminator for images of a given shape.

    See the module docstring for the blocks, `r3gan_generator` and
    `r3gan_discriminator` for the networks. R3GAN's CIFAR-10 networks
    are `r3gan((32, 32, 3), latent_dim=64, widths=768, blocks=2,
    cardinality=96)` (40 M parameters); the defaults are sized to train
    on a CPU.

    Sizes from 28×28 (a 7×7 basis, two doublings: no padding) to
    256×256 (a 4×4 basis, six doublings), any number of channels.

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)`.
        latent_dim (int): Positive int, the size of `z`.
        widths (int | list[int] | None): Generator channels per stage,
            lowest resolution first (the discriminator's in reverse).
        blocks (int | list[int]): Residual blocks per stage.
        cardinality (int | list[int] | None): Groups of the grouped
            convolutions per stage.
        expansion (int): The inverted bottleneck's widening.
        kernel_size (int): The grouped convolutions' kernel.
        num_classes (int | None): Optional int: a conditional pair (pass
            the same `num_classes` to `GAN`).

    Returns:
        tuple[keras.Model, keras.Model]: `(generator, discriminator)`.

    Raises:
        ValueError: for an unsupported image shape or arguments that do
            not fit it (naming them).

    Example:

    >>> generator, discriminator = r3gan((28, 28, 1), widths=16,
    ...                                  blocks=1)
    >>> images = generator(keras.random.normal((2, 64)))
    >>> tuple(images.shape), tuple(discriminator(images).shape)
    ((2, 28, 28, 1), (2, 1))
    """
    kwargs = {"widths": widths, "blocks": blocks, "cardinality": cardinality,
              "expansion": expansion, "kernel_size": kernel_size,
              "num_classes": num_classes}
    return (r3gan_generator(image_shape, latent_dim=latent_dim, **kwargs),
            r3gan_discriminator(image_shape, **kwargs))


def _kernel_size(kernel_size):
    kernel_size = positive_int("kernel_size", kernel_size)
    if kernel_size % 2 == 0:
        raise ValueError(
            "`kernel_size` must be odd (same padding, as in R3GAN). "
            f"Received: kernel_size={kernel_size}"
        )
    return kernel_size
