"""Plain Keras losses in a GAN slot, with the usual label convention."""

from keras import ops

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GANLoss


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
