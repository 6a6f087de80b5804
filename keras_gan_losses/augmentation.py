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
import numpy as np
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.utils.checks import check_number

#: The transforms of each policy name, in the order they are applied.
POLICIES = {
    "color": ("brightness", "saturation", "contrast"),
    "translation": ("translation",),
    "cutout": ("cutout",),
}


def _per_example_uniform(images, seed, low, high):
    """U[low, high) draws of shape `(batch, 1, 1, 1)` (drawn in float32)."""
    values = backend.uniform(ops.cast(images[:, :1, :1, :1], "float32"),
                             seed)
    return ops.cast(low + (high - low) * values, images.dtype)


def _per_example_int(images, seed, low, high):
    """Integer draws uniform in `[low, high]`, shape `(batch,)`."""
    values = backend.uniform(ops.cast(images[:, 0, 0, 0], "float32"), seed)
    drawn = ops.cast(ops.floor(values * float(high - low + 1)), "int32")
    return low + ops.minimum(drawn, high - low)


def _fraction_of(size, ratio):
    """`round(ratio * size)` as the reference computes it, in float32."""
    return int(np.float32(size) * np.float32(ratio) + np.float32(0.5))


def brightness(images, seed):
    """Adds one U[-0.5, 0.5) draw per image to every pixel."""
    return images + _per_example_uniform(images, seed, -0.5, 0.5)


def saturation(images, seed):
    """Scales each pixel's distance to its channel mean by U[0, 2)
    (nothing changes for one channel)."""
    mean = ops.mean(images, axis=3, keepdims=True)
    factor = _per_example_uniform(images, seed, 0.0, 2.0)
    return (images - mean) * factor + mean


def contrast(images, seed):
    """Scales each image's distance to its mean by U[0.5, 1.5)."""
    mean = ops.mean(images, axis=[1, 2, 3], keepdims=True)
    factor = _per_example_uniform(images, seed, 0.5, 1.5)
    return (images - mean) * factor + mean


def _shift_axis(images, shifts, axis, fill_value):
    """Shifts each image by `shifts[i]` pixels along `axis` (1 or 2),
    filling with `fill_value`: pixel j takes pixel j - shift."""
    size = images.shape[axis]
    index = ops.arange(size, dtype="int32")[None, :] - shifts[:, None]
    inside = ops.logical_and(index >= 0, index < size)
    index = ops.clip(index, 0, size - 1)  # (batch, size)
    if axis == 1:
        index, inside = index[:, :, None, None], inside[:, :, None, None]
    else:
        index, inside = index[:, None, :, None], inside[:, None, :, None]
    moved = ops.take_along_axis(
        images, ops.broadcast_to(index, ops.shape(images)), axis=axis)
    return ops.where(inside, moved, ops.cast(fill_value, images.dtype))


def translation(images, seed, ratio=0.125, fill_value=0.0):
    """Shifts each image by a whole number of pixels, uniform in
    `[-s, s]` with `s = round(ratio * size)`, per axis; uncovered pixels
    take `fill_value`."""
    for axis in (1, 2):
        shift = _fraction_of(images.shape[axis], ratio)
        shifts = _per_example_int(images, backend.fold_in(seed, axis),
                                  -shift, shift)
        images = _shift_axis(images, shifts, axis, fill_value)
    return images


def cutout(images, seed, ratio=0.5, fill_value=0.0):
    """Sets a square of `round(ratio * size)` pixels per side, centred at
    a uniformly drawn pixel (clipped at the border), to `fill_value`."""
    masks = []
    for axis in (1, 2):
        size = images.shape[axis]
        length = _fraction_of(size, ratio)
        centre = _per_example_int(images, backend.fold_in(seed, axis), 0,
                                  size - 1)
        start = centre - length // 2
        index = ops.arange(size, dtype="int32")[None, :]
        masks.append(ops.logical_and(index >= start[:, None],
                                     index < (start + length)[:, None]))
    cut = ops.logical_and(masks[0][:, :, None], masks[1][:, None, :])
    return ops.where(cut[..., None], ops.cast(fill_value, images.dtype),
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

    >>> augment = DiffAugment("translation,cutout")
    >>> out = augment(np.ones((2, 8, 8, 1), "float32"), seed=1)
    >>> tuple(out.shape), float(keras.ops.min(out))
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
            seed (Tensor | int): The seed of the draws: on TensorFlow a
                stateless seed (an int tensor of shape `(2,)`, as `GAN`
                passes) or an int; on JAX and PyTorch what `GAN` passes
                (a JAX key, an int).

        Returns:
            Tensor: The augmented images, same shape and dtype.
        """
        images = ops.convert_to_tensor(images)
        if len(images.shape) != 4 or None in images.shape[1:]:
            raise ValueError(
                "DiffAugment works on image batches of shape (batch, "
                f"height, width, channels), height and width known. "
                f"Received shape "
                f"{tuple(images.shape)}"
            )
        for index, name in enumerate(self.transforms):
            step_seed = backend.fold_in(seed, index)
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
