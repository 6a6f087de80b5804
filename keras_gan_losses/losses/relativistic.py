"""Relativistic average GAN losses.

Jolicoeur-Martineau, "The relativistic discriminator: a key element missing
from standard GAN", 2018 (https://arxiv.org/abs/1807.00734).
"""

import keras
from keras import ops

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.utils.shapes import check_logits
from keras_gan_losses.utils.shapes import mean_per_example


def _relativistic(first, second):
    # softplus(-(x - mean(y))) pushes `first` above the average of `second`;
    # softplus(y - mean(x)) pushes `second` below the average of `first`.
    return mean_per_example(
        ops.softplus(-(first - ops.mean(second)))
    ) + mean_per_example(ops.softplus(second - ops.mean(first)))


def relativistic_average_discriminator_loss(real_logits, fake_logits):
    r"""Per-example relativistic average discriminator loss (RaSGAN).

    Formula:

    $$
    \text{loss} = \operatorname{softplus}\big(-(r - \operatorname{mean}(f))\big)
    + \operatorname{softplus}\big(f - \operatorname{mean}(r)\big)
    $$

    `mean` is over the whole batch (and patch positions): the discriminator
    estimates how much more realistic real data is than the average fake.
    Under `tf.distribute` the means are over each replica's batch, so
    the update differs slightly from the single-device one (the batch
    statistic is noisier); every other loss is exact.

    Args:
        real_logits (Tensor): Discriminator logits on real data, shape `(batch,
            ...)`.
        fake_logits (Tensor): Discriminator logits on generated data, same
            shape.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    real_logits, fake_logits = check_logits(real_logits, fake_logits)
    return _relativistic(real_logits, fake_logits)


def relativistic_average_generator_loss(real_logits, fake_logits):
    r"""Per-example relativistic average generator loss (RaSGAN).

    Formula:

    $$
    \text{loss} = \operatorname{softplus}\big(-(f - \operatorname{mean}(r))\big)
    + \operatorname{softplus}\big(r - \operatorname{mean}(f)\big)
    $$

    Unlike the other generator losses it depends on `real_logits`: the
    generator also lowers the realism of real data relative to fakes.

    Args:
        real_logits (Tensor): Discriminator logits on real data, shape `(batch,
            ...)`.
        fake_logits (Tensor): Discriminator logits on generated data, same
            shape.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    real_logits, fake_logits = check_logits(real_logits, fake_logits)
    return _relativistic(fake_logits, real_logits)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class RelativisticAverageDiscriminatorLoss(GANLoss):
    r"""Relativistic average discriminator loss (RaSGAN).

    Formula:

    $$
    \text{loss} = \operatorname{softplus}\big(-(r - \operatorname{mean}(f))\big)
    + \operatorname{softplus}\big(f - \operatorname{mean}(r)\big)
    $$

    Args:
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = RelativisticAverageDiscriminatorLoss()
    >>> round(float(loss([1.0, 1.0], [1.0, 1.0])), 4)
    1.3863
    """

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "relativistic_average_discriminator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            relativistic_average_discriminator_loss,
            DISCRIMINATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class RelativisticAverageGeneratorLoss(GANLoss):
    r"""Relativistic average generator loss (RaSGAN).

    Formula:

    $$
    \text{loss} = \operatorname{softplus}\big(-(f - \operatorname{mean}(r))\big)
    + \operatorname{softplus}\big(r - \operatorname{mean}(f)\big)
    $$

    Args:
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = RelativisticAverageGeneratorLoss()
    >>> round(float(loss([1.0, 1.0], [1.0, 1.0])), 4)
    1.3863
    """

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "relativistic_average_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            relativistic_average_generator_loss,
            GENERATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
