"""Ready-made generator and discriminator networks.

`dcgan` builds a DCGAN pair (optionally conditional, optionally with
spectral normalization) sized from the image shape, to pass to
`keras_gan_losses.GAN`.
"""

from keras_gan_losses.architectures.dcgan import dcgan
from keras_gan_losses.architectures.dcgan import dcgan_discriminator
from keras_gan_losses.architectures.dcgan import dcgan_generator

__all__ = [
    "dcgan",
    "dcgan_generator",
    "dcgan_discriminator",
]
