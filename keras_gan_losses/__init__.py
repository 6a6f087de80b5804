"""keras_gan_losses: GAN losses, penalties and a compile()/fit() GAN model."""

from keras_gan_losses import losses
from keras_gan_losses import penalties
from keras_gan_losses.models.gan import GAN
from keras_gan_losses.version import __version__

__all__ = [
    "GAN",
    "losses",
    "penalties",
    "__version__",
]
