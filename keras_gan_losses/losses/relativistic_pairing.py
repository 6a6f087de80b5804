"""Relativistic pairing GAN losses (RpGAN, the paired form of RSGAN).

Jolicoeur-Martineau, "The relativistic discriminator: a key element missing
from standard GAN", 2018 (https://arxiv.org/abs/1807.00734), RSGAN; the
loss of R3GAN: Huang et al., "The GAN is dead; long live the GAN! A
Modern GAN Baseline", NeurIPS 2024 (https://arxiv.org/abs/2501.05441).
"""

import keras
from keras import ops

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.utils.shapes import check_logits
from keras_gan_losses.utils.shapes import mean_per_example


def _check_pairs(real_logits, fake_logits):
    """The logits, checked to pair up by index: the same batch size.

    `check_logits` compares the static shapes; a batch size known only
    when the step runs is checked then (a size-1 batch would otherwise
    broadcast against the other one and pair every example with it).
    """
    real_logits, fake_logits = check_logits(real_logits, fake_logits)
    if real_logits.shape[0] is None or fake_logits.shape[0] is None:
        import tensorflow as tf  # only TensorFlow has unknown batch sizes

        tf.debugging.assert_equal(
            tf.shape(real_logits)[0], tf.shape(fake_logits)[0],
            message=(
                "relativistic_pairing: the real and generated batches "
                "pair up by index and must have the same size"
            ),
        )
    return real_logits, fake_logits


def _pairing(first, second):
    # softplus(-(x - y)) = -log sigmoid(x - y): pushes each `first` above
    # its partner in `second`.
    return mean_per_example(ops.softplus(second - first))


def relativistic_pairing_discriminator_loss(real_logits, fake_logits):
    r"""Per-pair relativistic pairing discriminator loss (RpGAN).

    Formula:

    $$
    \text{loss}_i = \operatorname{softplus}\big(-(r_i - f_i)\big)
    = -\log \sigma(r_i - f_i)
    $$

    The discriminator is asked how much more realistic the real example
    `i` is than the generated example `i` of the same batch: pairs are by
    index, so both batches must have the same size. (For patch outputs,
    position by position, averaged over the positions.)

    Args:
        real_logits (Tensor): Discriminator logits on real data, shape
            `(batch, ...)`.
        fake_logits (Tensor): Discriminator logits on generated data, same
            shape.

    Returns:
        Tensor: Per-pair loss values, shape `(batch,)`.

    Raises:
        ValueError: if the shapes differ (or, once the step runs, the
            batch sizes).
    """
    real_logits, fake_logits = _check_pairs(real_logits, fake_logits)
    return _pairing(real_logits, fake_logits)


def relativistic_pairing_generator_loss(real_logits, fake_logits):
    r"""Per-pair relativistic pairing generator loss (RpGAN).

    Formula:

    $$
    \text{loss}_i = \operatorname{softplus}\big(-(f_i - r_i)\big)
    $$

    The discriminator loss with real and generated data swapped: the
    generator pushes each generated example above its real partner.

    Args:
        real_logits (Tensor): Discriminator logits on real data, shape
            `(batch, ...)`.
        fake_logits (Tensor): Discriminator logits on generated data, same
            shape.

    Returns:
        Tensor: Per-pair loss values, shape `(batch,)`.

    Raises:
        ValueError: if the shapes differ (or, once the step runs, the
            batch sizes).
    """
    real_logits, fake_logits = _check_pairs(real_logits, fake_logits)
    return _pairing(fake_logits, real_logits)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class RelativisticPairingDiscriminatorLoss(GANLoss):
    r"""Relativistic pairing discriminator loss (RpGAN, RSGAN).

    Formula:

    $$
    \text{loss} = \operatorname{mean}_i
    \operatorname{softplus}\big(-(r_i - f_i)\big)
    $$

    Each real example $r_i$ is paired with the generated example $f_i$ of
    the same index, so both batches must have the same size. Unlike the
    relativistic *average* loss (RaSGAN), no example's value depends on
    the rest of its batch, so under `tf.distribute` the loss is exact:
    each pair stays on one replica (a replica's real and generated
    batches are the same slice of the global batch), and the replicas'
    means, weighted by their shares of the batch, sum to the global
    batch's mean. With the R1 and R2 penalties it is R3GAN's objective
    (Huang et al. 2024), which covers every mode of StackedMNIST where
    the non-saturating loss drops some.

    Args:
        reduction (str): Type of reduction to apply to the per-pair values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = RelativisticPairingDiscriminatorLoss()
    >>> # softplus(-(2 - 0)) and softplus(-(0 - 2)), averaged:
    >>> round(float(loss([2.0, 0.0], [0.0, 2.0])), 4)
    1.1269
    """

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "relativistic_pairing_discriminator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            relativistic_pairing_discriminator_loss,
            DISCRIMINATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class RelativisticPairingGeneratorLoss(GANLoss):
    r"""Relativistic pairing generator loss (RpGAN, RSGAN).

    Formula:

    $$
    \text{loss} = \operatorname{mean}_i
    \operatorname{softplus}\big(-(f_i - r_i)\big)
    $$

    The discriminator loss with real and generated data swapped: the
    generator pushes each generated example above its real partner. Pairs
    are by index, and the loss is exact under `tf.distribute` (see
    `RelativisticPairingDiscriminatorLoss`).

    Args:
        reduction (str): Type of reduction to apply to the per-pair values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = RelativisticPairingGeneratorLoss()
    >>> round(float(loss([2.0, 2.0], [0.0, 0.0])), 4)
    2.1269
    """

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "relativistic_pairing_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            relativistic_pairing_generator_loss,
            GENERATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
