"""keras_gan_losses: GAN losses, penalties and a compile()/fit() GAN model."""

from keras_gan_losses import architectures
from keras_gan_losses import augmentation
from keras_gan_losses import callbacks
from keras_gan_losses import data
from keras_gan_losses import export
from keras_gan_losses import losses
from keras_gan_losses import metrics
from keras_gan_losses import optimizers
from keras_gan_losses import penalties
from keras_gan_losses import presets
from keras_gan_losses import schedules
from keras_gan_losses import visualization
from keras_gan_losses.models.gan import GAN
from keras_gan_losses.models.image_to_image import ImageToImageGAN
from keras_gan_losses.version import __version__

__all__ = [
    "GAN",
    "ImageToImageGAN",
    "architectures",
    "augmentation",
    "callbacks",
    "data",
    "export",
    "losses",
    "metrics",
    "optimizers",
    "penalties",
    "presets",
    "schedules",
    "visualization",
    "__version__",
]
