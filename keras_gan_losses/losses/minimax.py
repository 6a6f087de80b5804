"""The original GAN losses: minimax and non-saturating.

Goodfellow et al., "Generative Adversarial Networks", 2014
(https://arxiv.org/abs/1406.2661). TF-GAN calls the non-saturating
generator loss "modified".
"""

import keras
from keras import ops

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.shapes import check_logits
from keras_gan_losses.utils.shapes import mean_per_example


def minimax_discriminator_loss(
    real_logits, fake_logits, *, label_smoothing: float = 0.0
):
    r"""Per-example minimax discriminator loss (binary cross-entropy).

    Formula:

    $$
    \text{loss} = \operatorname{softplus}(-r)\,(1 - s)
    + \operatorname{softplus}(r)\,s + \operatorname{softplus}(f)
    $$

    with `r = real_logits`, `f = fake_logits` and `s = label_smoothing`,
    applied to the real targets only (one-sided smoothing, Salimans et al.
    2016). It is the cross-entropy of `sigmoid(r)` against `1 - s` plus that
    of `sigmoid(f)` against 0. Patch outputs are averaged per example.

    Args:
        real_logits (Tensor): Discriminator logits on real data, shape `(batch,
            ...)`.
        fake_logits (Tensor): Discriminator logits on generated data, same
            shape.
        label_smoothing (float): Float in `[0, 1)`; the real target is `1 - s`.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    real_logits, fake_logits = check_logits(real_logits, fake_logits)
    s = ops.cast(label_smoothing, real_logits.dtype)
    real_term = ops.softplus(-real_logits) * (1.0 - s) + ops.softplus(
        real_logits
    ) * s
    return mean_per_example(real_term) + mean_per_example(
        ops.softplus(fake_logits)
    )


def minimax_generator_loss(real_logits, fake_logits):
    r"""Per-example minimax (saturating) generator loss.

    Formula:

    $$
    \text{loss} = -\operatorname{softplus}(f) = \log\big(1 - \sigma(f)\big)
    $$

    The generator minimises the discriminator's cross-entropy on fakes. Its
    gradient vanishes when the discriminator confidently rejects fakes, which
    is why the non-saturating loss is used in practice.

    Args:
        real_logits (Tensor): Discriminator logits on real data (ignored).
        fake_logits (Tensor): Discriminator logits on generated data.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    _, fake_logits = check_logits(real_logits, fake_logits)
    return mean_per_example(-ops.softplus(fake_logits))


def non_saturating_generator_loss(real_logits, fake_logits):
    r"""Per-example non-saturating generator loss.

    Formula:

    $$
    \text{loss} = \operatorname{softplus}(-f) = -\log \sigma(f)
    $$

    Same fixed point as the minimax loss, but strong gradients early in
    training (Goodfellow et al. 2014, section 3).

    Args:
        real_logits (Tensor): Discriminator logits on real data (ignored).
        fake_logits (Tensor): Discriminator logits on generated data.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    _, fake_logits = check_logits(real_logits, fake_logits)
    return mean_per_example(ops.softplus(-fake_logits))


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class MinimaxDiscriminatorLoss(GANLoss):
    r"""Minimax discriminator loss, also the non-saturating GAN's.

    Formula:

    $$
    \text{loss} = \operatorname{softplus}(-r)\,(1 - s)
    + \operatorname{softplus}(r)\,s + \operatorname{softplus}(f)
    $$

    See `minimax_discriminator_loss`. The string names `"minimax"` and
    `"non_saturating"` both resolve to this class for the discriminator.

    Args:
        label_smoothing (float): Float in `[0, 1)`, one-sided: the real target
            becomes `1 - label_smoothing`. Default 0. TF-GAN smooths
            towards 0.5 instead (target `1 - ls / 2`), so its default
            `label_smoothing=0.25` is our 0.125.
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = MinimaxDiscriminatorLoss()
    >>> round(float(loss([[2.0], [-1.0]], [[0.5], [-3.0]])), 4)
    1.2314
    """

    def __init__(
        self,
        *,
        label_smoothing: float = 0.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "minimax_discriminator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        label_smoothing = check_number(
            "label_smoothing", label_smoothing, 0.0, 1.0, high_open=True
        )
        super().__init__(
            minimax_discriminator_loss,
            DISCRIMINATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
            label_smoothing=label_smoothing,
        )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class MinimaxGeneratorLoss(GANLoss):
    r"""Minimax (saturating) generator loss: `log(1 - sigmoid(f))`.

    Formula:

    $$
    \text{loss} = -\operatorname{softplus}(f)
    $$

    See `minimax_generator_loss`.

    Args:
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = MinimaxGeneratorLoss()
    >>> round(float(loss([0.0, 0.0], [0.0, 0.0])), 4)
    -0.6931
    """

    needs_real_logits = False

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "minimax_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            minimax_generator_loss,
            GENERATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class NonSaturatingGeneratorLoss(GANLoss):
    r"""Non-saturating generator loss: `-log(sigmoid(f))`.

    Formula:

    $$
    \text{loss} = \operatorname{softplus}(-f)
    $$

    See `non_saturating_generator_loss`. Pair it with
    `MinimaxDiscriminatorLoss`; together they are the standard GAN
    (DCGAN) objective.

    Args:
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = NonSaturatingGeneratorLoss()
    >>> round(float(loss([0.0, 0.0], [0.0, 0.0])), 4)
    0.6931
    """

    needs_real_logits = False

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "non_saturating_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(
            non_saturating_generator_loss,
            GENERATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
