"""Differentiable augmentation of the discriminator's inputs (DiffAugment).

Zhao et al., "Differentiable Augmentation for Data-Efficient GAN
Training", NeurIPS 2020 (https://arxiv.org/abs/2006.10738). The same
policy of random transforms is applied to real and to generated images
before every discriminator call, in the discriminator's and in the
generator's update; every transform is differentiable in the images, so
the generator learns through it. The discriminator then cannot memorise
a small training set, and, since the generated images are augmented too,
the generator does not learn to produce augmented images.
"""

import keras

from keras_gan_losses.utils import random
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.lazy import tf

#: The transforms of each policy name, in the order they are applied.
POLICIES = {
    "color": ("brightness", "saturation", "contrast"),
    "translation": ("translation",),
    "cutout": ("cutout",),
}


def _per_example_uniform(images, seed, low, high):
    """U[low, high) draws of shape `(batch, 1, 1, 1)`."""
    shape = tf.stack([tf.shape(images)[0], 1, 1, 1])
    values = random.stateless_uniform(shape, seed)
    return tf.cast(low + (high - low) * values, images.dtype)


def _per_example_int(batch, seed, low, high):
    """Integer draws uniform in `[low, high]`, shape `(batch,)`."""
    values = random.stateless_uniform(tf.reshape(batch, [1]), seed)
    span = tf.cast(high - low + 1, tf.float32)
    drawn = tf.cast(tf.floor(values * span), tf.int32)
    return low + tf.minimum(drawn, high - low)


def brightness(images, seed):
    """Adds one U[-0.5, 0.5) draw per image to every pixel."""
    return images + _per_example_uniform(images, seed, -0.5, 0.5)


def saturation(images, seed):
    """Scales each pixel's distance to its channel mean by U[0, 2)
    (nothing changes for one channel)."""
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    factor = _per_example_uniform(images, seed, 0.0, 2.0)
    return (images - mean) * factor + mean


def contrast(images, seed):
    """Scales each image's distance to its mean by U[0.5, 1.5)."""
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    factor = _per_example_uniform(images, seed, 0.5, 1.5)
    return (images - mean) * factor + mean


def _shift_axis(images, shifts, axis, fill_value):
    """Shifts each image by `shifts[i]` pixels along `axis` (1 or 2),
    filling with `fill_value`: pixel j takes pixel j - shift."""
    size = tf.shape(images)[axis]
    index = tf.range(size)[None, :] - shifts[:, None]  # (batch, size)
    inside = tf.logical_and(index >= 0, index < size)
    index = tf.clip_by_value(index, 0, size - 1)
    if axis == 1:
        moved = tf.gather(images, index, axis=1, batch_dims=1)
        inside = inside[:, :, None, None]
    else:
        moved = tf.gather(images, index, axis=2, batch_dims=1)
        inside = inside[:, None, :, None]
    return tf.where(inside, moved, tf.cast(fill_value, images.dtype))


def translation(images, seed, ratio=0.125, fill_value=0.0):
    """Shifts each image by a whole number of pixels, uniform in
    `[-s, s]` with `s = round(ratio * size)`, per axis; uncovered pixels
    take `fill_value`."""
    batch = tf.shape(images)[0]
    for axis in (1, 2):
        size = tf.shape(images)[axis]
        shift = tf.cast(tf.cast(size, tf.float32) * ratio + 0.5, tf.int32)
        shifts = _per_example_int(batch, random.fold_in(seed, axis),
                                  -shift, shift)
        images = _shift_axis(images, shifts, axis, fill_value)
    return images


def cutout(images, seed, ratio=0.5, fill_value=0.0):
    """Sets a square of `round(ratio * size)` pixels per side, centred at
    a uniformly drawn pixel (clipped at the border), to `fill_value`."""
    batch = tf.shape(images)[0]
    masks = []
    for axis in (1, 2):
        size = tf.shape(images)[axis]
        length = tf.cast(tf.cast(size, tf.float32) * ratio + 0.5, tf.int32)
        centre = _per_example_int(batch, random.fold_in(seed, axis), 0,
                                  size - 1)
        start = centre - length // 2
        index = tf.range(size)[None, :]
        masks.append(tf.logical_and(index >= start[:, None],
                                    index < (start + length)[:, None]))
    cut = tf.logical_and(masks[0][:, :, None], masks[1][:, None, :])
    return tf.where(cut[..., None], tf.cast(fill_value, images.dtype),
                    images)


#: The colour transforms, by name.
COLOR_TRANSFORMS = {
    "brightness": brightness,
    "saturation": saturation,
    "contrast": contrast,
}


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class DiffAugment:
    r"""Differentiable augmentation (Zhao et al. 2020) for `GAN(augment=)`.

    Applies the transforms of `policy`, each with fresh random draws per
    image, to a batch of images `(batch, height, width, channels)`:

    - `"color"`: brightness ($x + b$, $b \sim U[-0.5, 0.5)$), saturation
      ($\bar x_c + s\,(x - \bar x_c)$ around the mean over channels,
      $s \sim U[0, 2)$), contrast ($\bar x + c\,(x - \bar x)$ around the
      image mean, $c \sim U[0.5, 1.5)$);
    - `"translation"`: a shift by a whole number of pixels in
      $[-r h, r h]$ and $[-r w, r w]$, $r$ = `translation_ratio`;
    - `"cutout"`: a square of side `cutout_ratio` times the image size at
      a random position set to `fill_value`.

    These are the reference implementation's transforms and magnitudes
    (`DiffAugment_tf.py`, for images in [-1, 1]; it fills with 0). Every
    output pixel is a differentiable function of the input pixels, so
    gradients flow to the generator. The draws are stateless: the same
    `seed` gives the same transforms, with and without XLA.

    Args:
        policy (str): Comma-separated names among `"color"`,
            `"translation"` and `"cutout"`; the paper recommends all three
            with little data, `"translation,cutout"` with more.
        translation_ratio (float): Largest shift as a fraction of the
            image size, in [0, 1).
        cutout_ratio (float): Side of the cut-out square as a fraction of
            the image size, in [0, 1].
        fill_value (float): The value of pixels shifted in or cut out.

    Example:

    >>> import tensorflow as tf
    >>> augment = DiffAugment("translation,cutout")
    >>> images = tf.ones((2, 8, 8, 1))
    >>> out = augment(images, seed=tf.constant([0, 1], tf.int64))
    >>> tuple(out.shape), float(tf.reduce_min(out))
    ((2, 8, 8, 1), 0.0)

    References:
        Zhao et al., 2020, https://arxiv.org/abs/2006.10738
    """

    def __init__(self, policy="color,translation,cutout",
                 translation_ratio=0.125, cutout_ratio=0.5,
                 fill_value=0.0):
        if not isinstance(policy, str):
            raise TypeError(
                f"`policy` must be a string such as 'color,translation,"
                f"cutout'. Received: {policy!r}"
            )
        names = [name.strip() for name in policy.split(",") if name.strip()]
        unknown = [name for name in names if name not in POLICIES]
        if unknown or not names:
            raise ValueError(
                f"Unknown DiffAugment policy {unknown or policy!r}: use a "
                f"comma-separated subset of {sorted(POLICIES)}."
            )
        self.policy = ",".join(names)
        self.translation_ratio = check_number(
            "translation_ratio", translation_ratio, low=0.0, high=1.0,
            high_open=True,
        )
        self.cutout_ratio = check_number("cutout_ratio", cutout_ratio,
                                         low=0.0, high=1.0)
        self.fill_value = check_number("fill_value", fill_value)

    @property
    def transforms(self):
        """The transform names, in the order they are applied."""
        return [t for name in self.policy.split(",") for t in POLICIES[name]]

    def __call__(self, images, seed):
        """Augments a batch of images.

        Args:
            images (Tensor): Images, shape `(batch, height, width,
                channels)`.
            seed (Tensor): Stateless seed, an int tensor of shape `(2,)`.

        Returns:
            Tensor: The augmented images, same shape and dtype.
        """
        images = tf.convert_to_tensor(images)
        if images.shape.rank != 4:
            raise ValueError(
                "DiffAugment works on image batches of shape (batch, "
                f"height, width, channels). Received shape "
                f"{tuple(images.shape)}"
            )
        for index, name in enumerate(self.transforms):
            step_seed = random.fold_in(seed, index)
            if name == "translation":
                images = translation(images, step_seed,
                                     self.translation_ratio,
                                     self.fill_value)
            elif name == "cutout":
                images = cutout(images, step_seed, self.cutout_ratio,
                                self.fill_value)
            else:
                images = COLOR_TRANSFORMS[name](images, step_seed)
        return images

    def get_config(self):
        """The constructor arguments."""
        return {
            "policy": self.policy,
            "translation_ratio": self.translation_ratio,
            "cutout_ratio": self.cutout_ratio,
            "fill_value": self.fill_value,
        }

    @classmethod
    def from_config(cls, config):
        """Creates a `DiffAugment` from `get_config()`'s result."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"DiffAugment({args})"


__all__ = ["DiffAugment", "POLICIES"]
