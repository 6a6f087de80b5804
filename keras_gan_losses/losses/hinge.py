"""Hinge GAN losses.

Lim & Ye, "Geometric GAN", 2017 (https://arxiv.org/abs/1705.02894); used by
SN-GAN (Miyato et al. 2018) and BigGAN (Brock et al. 2019).
"""

import keras
from keras import ops

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.losses.wasserstein import wasserstein_generator_loss
from keras_gan_losses.utils.shapes import check_logits
from keras_gan_losses.utils.shapes import mean_per_example


def hinge_discriminator_loss(real_logits, fake_logits):
    r"""Per-example hinge discriminator loss.

    Formula:

    $$
    \text{loss} = \max(0, 1 - r) + \max(0, 1 + f)
    $$

    Args:
        real_logits (Tensor): Discriminator outputs on real data, shape `(batch,
            ...)`.
        fake_logits (Tensor): Discriminator outputs on generated data, same
            shape.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    real_logits, fake_logits = check_logits(real_logits, fake_logits)
    return mean_per_example(ops.relu(1.0 - real_logits)) + mean_per_example(
        ops.relu(1.0 + fake_logits)
    )


def hinge_generator_loss(real_logits, fake_logits):
    r"""Per-example hinge generator loss, the same as the Wasserstein one.

    Formula:

    $$
    \text{loss} = -f
    $$

    Args:
        real_logits (Tensor): Discriminator outputs on real data (ignored).
        fake_logits (Tensor): Discriminator outputs on generated data.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    return wasserstein_generator_loss(real_logits, fake_logits)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class HingeDiscriminatorLoss(GANLoss):
    r"""Hinge discriminator loss.

    Formula:

    $$
    \text{loss} = \max(0, 1 - r) + \max(0, 1 + f)
    $$

    Pair with `HingeGeneratorLoss` and, usually, spectral normalisation in
    the discriminator.

    Args:
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = HingeDiscriminatorLoss()
    >>> float(loss([2.0, 0.0], [-3.0, 0.5]))
    1.25
    """

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "hinge_discriminator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            hinge_discriminator_loss,
            DISCRIMINATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class HingeGeneratorLoss(GANLoss):
    r"""Hinge generator loss: `-f`.

    Formula:

    $$
    \text{loss} = -f
    $$

    Args:
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = HingeGeneratorLoss()
    >>> float(loss([0.0, 0.0], [1.0, 2.0]))
    -1.5
    """

    needs_real_logits = False

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "hinge_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            hinge_generator_loss,
            GENERATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
