"""Wasserstein GAN losses.

Arjovsky et al., "Wasserstein GAN", 2017 (https://arxiv.org/abs/1701.07875).
The critic must be kept 1-Lipschitz, usually with
`keras_gan_losses.penalties.GradientPenalty` (Gulrajani et al. 2017).
"""

import keras

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.utils.shapes import check_logits
from keras_gan_losses.utils.shapes import mean_per_example


def wasserstein_discriminator_loss(real_logits, fake_logits):
    r"""Per-example Wasserstein critic loss.

    Formula:

    $$
    \text{loss} = f - r
    $$

    Its batch mean is minus the critic's estimate of the Wasserstein-1
    distance between the real and generated distributions.

    Args:
        real_logits (Tensor): Critic outputs on real data, shape `(batch, ...)`.
        fake_logits (Tensor): Critic outputs on generated data, same shape.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    real_logits, fake_logits = check_logits(real_logits, fake_logits)
    return mean_per_example(fake_logits) - mean_per_example(real_logits)


def wasserstein_generator_loss(real_logits, fake_logits):
    r"""Per-example Wasserstein generator loss.

    Formula:

    $$
    \text{loss} = -f
    $$

    Args:
        real_logits (Tensor): Critic outputs on real data (ignored).
        fake_logits (Tensor): Critic outputs on generated data.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    _, fake_logits = check_logits(real_logits, fake_logits)
    return -mean_per_example(fake_logits)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class WassersteinDiscriminatorLoss(GANLoss):
    r"""Wasserstein critic loss: `f - r`.

    Formula:

    $$
    \text{loss} = f - r
    $$

    Use with a penalty that keeps the critic Lipschitz, typically
    `GradientPenalty(10.0)` and `d_steps=5` (WGAN-GP).

    Args:
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = WassersteinDiscriminatorLoss()
    >>> float(loss([3.0, 1.0], [0.0, -2.0]))
    -3.0
    """

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "wasserstein_discriminator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            wasserstein_discriminator_loss,
            DISCRIMINATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class WassersteinGeneratorLoss(GANLoss):
    r"""Wasserstein generator loss: `-f`.

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

    >>> loss = WassersteinGeneratorLoss()
    >>> float(loss([0.0, 0.0], [0.0, -2.0]))
    1.0
    """

    needs_real_logits = False

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "wasserstein_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            wasserstein_generator_loss,
            GENERATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
