"""The adversarial loss of a GAN slot: a GAN loss, or a plain Keras loss
with the usual label convention (real 1, fake 0)."""

import warnings

from keras import ops

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.utils.activations import output_activation


def adversarial_loss(loss, role, real_logits, fake_logits):
    """Applies a loss in a role, whatever its kind.

    A `GANLoss` is called as `loss(real_logits, fake_logits)`. Any other
    `keras.losses.Loss` is applied with the usual label convention: for
    the discriminator `loss(1, real) + loss(0, fake)`, for the generator
    `loss(1, fake)`. `BinaryCrossentropy(from_logits=True)` thus gives the
    non-saturating GAN and `MeanSquaredError()` the least-squares GAN.

    Returns:
        The reduced loss, a scalar (already divided by the number of
        replicas, as Keras's loss objects are).
    """
    if isinstance(loss, GANLoss):
        return loss(real_logits, fake_logits)
    if role == DISCRIMINATOR:
        return loss(ops.ones_like(real_logits), real_logits) + loss(
            ops.zeros_like(fake_logits), fake_logits
        )
    return loss(ops.ones_like(fake_logits), fake_logits)


def graph_output_activation(model):
    """`utils.activations.output_activation` for a Sequential or
    functional model; None for a subclassed one, whose `call` may apply
    an activation that its layers do not show."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    return output_activation(model) if outputs else None


def check_from_logits(loss, slot, discriminator_activation):
    """Refuses a plain Keras probability loss that expects probabilities
    while the discriminator outputs logits.

    `BinaryCrossentropy()` (and the other Keras losses with a
    `from_logits` argument) defaults to `from_logits=False`: applied to
    logits it clips them into (0, 1) and trains on nonsense, silently.
    It is right only for a discriminator that ends in a sigmoid.

    Args:
        loss: The resolved loss object.
        slot: `"d_loss"` or `"g_loss"`, for the message.
        discriminator_activation: Name of the discriminator's output
            activation, or None if it cannot be told (see
            `graph_output_activation`).

    Raises:
        ValueError: if `loss.from_logits` is False and the discriminator
            ends in another activation (a warning if it cannot be told).
    """
    if isinstance(loss, GANLoss) or getattr(loss, "from_logits", None) \
            is not False:
        return
    if discriminator_activation in ("sigmoid", "softmax"):
        return
    name = type(loss).__name__
    message = (
        f"`{slot}` is {name}(from_logits=False), which expects "
        "probabilities, but GAN discriminators output logits. Use "
        f"`keras.losses.{name}(from_logits=True)`"
    )
    if discriminator_activation is None:
        # A subclassed discriminator: it may end in a sigmoid.
        warnings.warn(
            message + ", unless the discriminator ends in a sigmoid.",
            UserWarning, stacklevel=3,
        )
        return
    raise ValueError(
        message + f" (the discriminator's last activation is "
        f"{discriminator_activation!r}), or end it in a sigmoid."
    )
