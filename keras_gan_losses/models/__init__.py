"""The GAN models."""

from keras_gan_losses.models.gan import GAN
from keras_gan_losses.models.image_to_image import ImageToImageGAN

__all__ = ["GAN", "ImageToImageGAN"]
