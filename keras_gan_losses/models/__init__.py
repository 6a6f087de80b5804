"""The GAN model."""

from keras_gan_losses.models.gan import GAN

__all__ = ["GAN"]
