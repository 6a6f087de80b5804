"""DCGAN generator and discriminator, sized from the image shape.

Radford et al., "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks", 2015
(https://arxiv.org/abs/1511.06434).
"""

import keras

from keras_gan_losses.utils.checks import is_int
from keras_gan_losses.utils.checks import positive_int

#: Size of the label embedding concatenated to `z` in a conditional
#: generator.
LABEL_EMBEDDING_DIM = 64
#: Side lengths of the first feature map (before the first upsampling).
_START_SIDES = range(4, 8)
KERNEL_SIZE = 4


def plan(image_shape):
    """The DCGAN layout for an image shape: start grid and upsamplings.

    A height and width of the form `s · 2ⁿ` with `s` in 4..7 and the same
    `n ≥ 1` are supported: the generator starts from an `s`-sided grid
    and doubles it `n` times, the discriminator halves the image `n`
    times. For example 28 = 7 · 2², 32 = 4 · 2³, 64 = 4 · 2⁴, 48 = 6 · 2³.

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)`.

    Returns:
        `(start_height, start_width, num_upsamplings)`.

    Raises:
        ValueError: for an unsupported or malformed shape (the message
            names it and lists supported sizes).

    Example:

    >>> plan((28, 28, 1)), plan((64, 64, 3)), plan((40, 56, 3))
    ((7, 7, 2), (4, 4, 4), (5, 7, 3))
    """
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or any(not is_int(d) or d < 1 for d in image_shape)
    ):
        raise ValueError(
            "`image_shape` must be (height, width, channels) with positive "
            f"ints, e.g. (28, 28, 1). Received: image_shape={image_shape!r}"
        )
    height, width, _ = (int(d) for d in image_shape)
    steps = 1
    while height % 2**steps == 0 and width % 2**steps == 0:
        start_h, start_w = height // 2**steps, width // 2**steps
        if start_h in _START_SIDES and start_w in _START_SIDES:
            return start_h, start_w, steps
        steps += 1
    raise ValueError(
        f"dcgan does not support image_shape={tuple(image_shape)}: height "
        "and width must be s·2ⁿ with s in 4..7 and the same n ≥ 1, e.g. "
        "16, 28, 32, 48, 56, 64, 96, 128 or 256. Resize the images, e.g. "
        "with load_images(..., image_size=32)."
    )


def _maybe_sn(layer, spectral_norm, dtype=None):
    """Wraps `layer` in spectral normalization if asked.

    The wrapper casts the layer's output back to its own compute dtype, so
    a float32 layer needs a float32 wrapper under mixed precision.
    """
    if not spectral_norm:
        return layer
    return keras.layers.SpectralNormalization(
        layer, dtype=dtype, name=f"sn_{layer.name}"
    )


def dcgan_generator(image_shape, latent_dim=128, num_classes=None,
                    width=64):
    """The DCGAN generator: latent vectors to images in [-1, 1].

    `Dense` to a small grid, then transposed convolutions (kernel 4,
    stride 2) that double the grid and halve the channels, each followed
    by batch normalization and ReLU, and a `tanh` output in float32 (so
    it also works under the `"mixed_float16"` policy). The first grid has
    `width · 2ⁿ⁻¹` channels for `n` upsamplings (see `plan`).

    With `num_classes`, the model takes `[z, labels]`: int class ids of
    shape `(batch,)` or `(batch, 1)`, embedded (size
    `LABEL_EMBEDDING_DIM`) and concatenated to `z`.

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)` of the
            images.
        latent_dim (int): Positive int, the size of `z`.
        num_classes (int | None): Optional int, the number of classes of a
            conditional generator.
        width (int): Positive int, channels of the last hidden layer; every
            layer's width scales with it.

    Returns:
        keras.Model: A functional `keras.Model` named `"dcgan_generator"` with
        input `"z"` (and `"labels"`) and output `(batch, *image_shape)`.

    Raises:
        ValueError: for an unsupported image shape or invalid arguments.
    """
    start_h, start_w, steps = plan(image_shape)
    latent_dim = positive_int("latent_dim", latent_dim)
    width = positive_int("width", width)
    layers = keras.layers
    z = layers.Input((latent_dim,), name="z")
    x = z
    inputs = z
    if num_classes is not None:
        num_classes = positive_int("num_classes", num_classes)
        labels = layers.Input((), dtype="int32", name="labels")
        embedded = layers.Embedding(
            num_classes, LABEL_EMBEDDING_DIM, name="label_embedding"
        )(labels)
        x = layers.Concatenate(name="z_and_label")([z, embedded])
        inputs = [z, labels]
    channels = width * 2 ** (steps - 1)
    x = layers.Dense(
        start_h * start_w * channels, use_bias=False, name="project"
    )(x)
    x = layers.Reshape((start_h, start_w, channels), name="grid")(x)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    for step in range(1, steps):
        x = layers.Conv2DTranspose(
            channels // 2**step, KERNEL_SIZE, strides=2, padding="same",
            use_bias=False, name=f"up{step}",
        )(x)
        x = layers.BatchNormalization(name=f"up{step}_bn")(x)
        x = layers.ReLU(name=f"up{step}_relu")(x)
    x = layers.Conv2DTranspose(
        image_shape[-1], KERNEL_SIZE, strides=2, padding="same",
        name=f"up{steps}",
    )(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name="dcgan_generator")


def dcgan_discriminator(image_shape, num_classes=None, spectral_norm=False,
                        width=64, outputs=1):
    """The DCGAN discriminator: images to one raw logit each.

    Strided convolutions (kernel 4, stride 2) that halve the image and
    double the channels (`width`, `2·width`, ...), each followed by
    LeakyReLU(0.2), then a `Dense(1)` logit in float32. There is no batch
    normalization, so per-example gradient penalties (WGAN-GP, R1, DRAGAN)
    are valid.

    With `num_classes`, the model takes `[images, labels]` and adds a
    projection term ⟨embed(label), φ(images)⟩ to the logit, φ being the
    flattened features (Miyato & Koyama 2018,
    https://arxiv.org/abs/1802.05637). The penalties differentiate with
    respect to the images, the first input.

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)` of the
            images.
        num_classes (int | None): Optional int, the number of classes of a
            conditional discriminator.
        spectral_norm (bool): Whether to wrap every convolution and dense layer
            (and the label projection) in
            `keras.layers.SpectralNormalization` (Miyato et al. 2018,
            https://arxiv.org/abs/1802.05957).
        width (int): Positive int, channels of the first convolution.
        outputs (int): Positive int, the size of the last `Dense` layer: 1
            (default) for a logit, or e.g. 16 for the feature vectors of an
            MMD GAN critic (`losses.MMDDiscriminatorLoss`). Unconditional
            only.

    Returns:
        keras.Model: A functional `keras.Model` named `"dcgan_discriminator"`
        with input `"images"` (and `"labels"`) and output `(batch, outputs)`,
        float32.

    Raises:
        ValueError: for an unsupported image shape or invalid arguments.
    """
    _, _, steps = plan(image_shape)
    width = positive_int("width", width)
    outputs = positive_int("outputs", outputs)
    if outputs != 1 and num_classes is not None:
        raise ValueError(
            "A conditional (projection) discriminator outputs one logit: "
            f"`outputs` must be 1 with `num_classes`. Received: "
            f"outputs={outputs}, num_classes={num_classes}"
        )
    if not isinstance(spectral_norm, bool):
        raise TypeError(
            f"`spectral_norm` must be a bool. Received: {spectral_norm!r}"
        )
    layers = keras.layers
    images = layers.Input(tuple(int(d) for d in image_shape), name="images")
    x = images
    for step in range(steps):
        conv = layers.Conv2D(
            width * 2**step, KERNEL_SIZE, strides=2, padding="same",
            name=f"down{step + 1}",
        )
        x = _maybe_sn(conv, spectral_norm)(x)
        x = layers.LeakyReLU(0.2, name=f"down{step + 1}_lrelu")(x)
    features = layers.Flatten(name="features")(x)
    logit = _maybe_sn(
        layers.Dense(outputs, dtype="float32", name="logit"), spectral_norm,
        dtype="float32",
    )(features)
    inputs = images
    if num_classes is not None:
        num_classes = positive_int("num_classes", num_classes)
        labels = layers.Input((), dtype="int32", name="labels")
        one_hot = layers.CategoryEncoding(
            num_classes, output_mode="one_hot", name="label_one_hot"
        )(labels)
        # A bias-free Dense on one-hot labels is an embedding; unlike
        # `Embedding`, it can be spectrally normalized.
        embedded = _maybe_sn(
            layers.Dense(
                features.shape[-1], use_bias=False, dtype="float32",
                name="label_projection",
            ),
            spectral_norm, dtype="float32",
        )(one_hot)
        projection = layers.Dot(axes=1, dtype="float32", name="projection")(
            [features, embedded]
        )
        logit = layers.Add(dtype="float32", name="conditional_logit")(
            [logit, projection]
        )
        inputs = [images, labels]
    return keras.Model(inputs, logit, name="dcgan_discriminator")


def dcgan(image_shape, latent_dim=128, num_classes=None, spectral_norm=False,
          width=64, outputs=1):
    """A DCGAN generator and discriminator for images of a given shape.

    Both networks are sized from `image_shape` (see `plan`): 28×28 images
    start from a 7×7 grid and are upsampled twice, 32×32 and 64×64 (and
    other powers of two) from 4×4, with any number of channels. See
    `dcgan_generator` and `dcgan_discriminator` for the layers.

    Args:
        image_shape (tuple[int, int, int]): `(height, width, channels)`, e.g.
            `(28, 28, 1)`.
        latent_dim (int): Positive int, the size of the latent vector `z`.
        num_classes (int | None): Optional int: build a conditional pair, the
            generator called as `generator([z, labels])`, the discriminator as
            `discriminator([images, labels])`, labels being int class ids of
            shape `(batch,)` or `(batch, 1)`. Pass the same `num_classes` to
            `GAN`.
        spectral_norm (bool): Whether to spectrally normalize the
            discriminator's layers (e.g. for the hinge loss, SNGAN).
        width (int): Positive int scaling the channels of both networks (64 in
            the DCGAN paper; 16 or 32 train much faster on a CPU).
        outputs (int): Positive int, the discriminator's outputs: 1 (a
            logit) or the feature size of an MMD critic (16 in the `mmd`
            preset).

    Returns:
        tuple[keras.Model, keras.Model]: `(generator, discriminator)`, two
        functional `keras.Model`s.

    Raises:
        ValueError: for an unsupported image shape, naming it.

    Example:

    >>> generator, discriminator = dcgan((28, 28, 1), latent_dim=64)
    >>> images = generator(keras.random.normal((2, 64)))
    >>> tuple(images.shape), tuple(discriminator(images).shape)
    ((2, 28, 28, 1), (2, 1))
    >>> generator, discriminator = dcgan((32, 32, 3), num_classes=10,
    ...                                  width=16)
    >>> labels = keras.ops.convert_to_tensor([3, 7])
    >>> images = generator([keras.random.normal((2, 128)), labels])
    >>> tuple(images.shape), tuple(discriminator([images, labels]).shape)
    ((2, 32, 32, 3), (2, 1))
    >>> _, critic = dcgan((28, 28, 1), outputs=16, width=16)
    >>> tuple(critic(images[:, 2:30, 2:30, :1]).shape)
    (2, 16)
    """
    generator = dcgan_generator(
        image_shape, latent_dim=latent_dim, num_classes=num_classes,
        width=width,
    )
    discriminator = dcgan_discriminator(
        image_shape, num_classes=num_classes, spectral_norm=spectral_norm,
        width=width, outputs=outputs,
    )
    return generator, discriminator
