"""Least-squares GAN losses.

Mao et al., "Least Squares Generative Adversarial Networks", 2017
(https://arxiv.org/abs/1611.04076).
"""

import keras
from keras import ops

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.shapes import check_logits
from keras_gan_losses.utils.shapes import mean_per_example


def least_squares_discriminator_loss(
    real_logits, fake_logits, *, a: float = 0.0, b: float = 1.0
):
    r"""Per-example least-squares discriminator loss.

    Formula:

    $$
    \text{loss} = \tfrac{1}{2}(r - b)^2 + \tfrac{1}{2}(f - a)^2
    $$

    The discriminator regresses real outputs to `b` and fake ones to `a`.

    Args:
        real_logits (Tensor): Discriminator outputs on real data, shape `(batch,
            ...)`.
        fake_logits (Tensor): Discriminator outputs on generated data, same
            shape.
        a (float): Target for fakes.
        b (float): Target for reals.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    real_logits, fake_logits = check_logits(real_logits, fake_logits)
    return 0.5 * mean_per_example(ops.square(real_logits - b)) + (
        0.5 * mean_per_example(ops.square(fake_logits - a))
    )


def least_squares_generator_loss(
    real_logits, fake_logits, *, c: float = 1.0
):
    r"""Per-example least-squares generator loss.

    Formula:

    $$
    \text{loss} = \tfrac{1}{2}(f - c)^2
    $$

    Args:
        real_logits (Tensor): Discriminator outputs on real data (ignored).
        fake_logits (Tensor): Discriminator outputs on generated data.
        c (float): The value the generator wants the discriminator to give
            fakes.

    Returns:
        Tensor: Per-example loss values, shape `(batch,)`.
    """
    _, fake_logits = check_logits(real_logits, fake_logits)
    return 0.5 * mean_per_example(ops.square(fake_logits - c))


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class LeastSquaresDiscriminatorLoss(GANLoss):
    r"""Least-squares (LSGAN) discriminator loss.

    Formula:

    $$
    \text{loss} = \tfrac{1}{2}(r - b)^2 + \tfrac{1}{2}(f - a)^2
    $$

    With `a=0, b=1` (and `c=1` for the generator) this is the 0-1 coding
    of Mao et al.; `a=-1, b=1, c=0` minimises the Pearson chi-squared
    divergence.

    Args:
        a (float): Float, target for fakes. Defaults to 0.
        b (float): Float, target for reals. Defaults to 1.
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = LeastSquaresDiscriminatorLoss()
    >>> float(loss([1.0, 0.0], [0.0, 1.0]))
    0.5
    """

    def __init__(
        self,
        *,
        a: float = 0.0,
        b=1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "least_squares_discriminator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        a = check_number("a", a)
        b = check_number("b", b)
        if a == b:
            raise ValueError(
                "`a` (target for fakes) and `b` (target for reals) must "
                f"differ, or the discriminator learns nothing. Received: "
                f"a={a}, b={b}"
            )
        super().__init__(
            least_squares_discriminator_loss,
            DISCRIMINATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
            a=a,
            b=b,
        )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class LeastSquaresGeneratorLoss(GANLoss):
    r"""Least-squares (LSGAN) generator loss.

    Formula:

    $$
    \text{loss} = \tfrac{1}{2}(f - c)^2
    $$

    Args:
        c (float): Float, the output the generator wants for fakes. Defaults to
            1.
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).

    Example:

    >>> loss = LeastSquaresGeneratorLoss()
    >>> float(loss([0.0, 0.0], [0.0, 3.0]))
    1.25
    """

    needs_real_logits = False

    def __init__(
        self,
        *,
        c: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "least_squares_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        c = check_number("c", c)
        super().__init__(
            least_squares_generator_loss,
            GENERATOR,
            reduction=reduction,
            name=name,
            dtype=dtype,
            c=c,
        )
