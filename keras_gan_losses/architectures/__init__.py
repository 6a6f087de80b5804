"""Ready-made generator and discriminator networks.

`dcgan` builds a DCGAN pair (optionally conditional, optionally with
spectral normalization) sized from the image shape, to pass to
`keras_gan_losses.GAN`. `unet` and `patchgan` build the pix2pix
generator and discriminator of an image-to-image GAN.
"""

from keras_gan_losses.architectures.dcgan import dcgan
from keras_gan_losses.architectures.dcgan import dcgan_discriminator
from keras_gan_losses.architectures.dcgan import dcgan_generator
from keras_gan_losses.architectures.pix2pix import patchgan
from keras_gan_losses.architectures.pix2pix import patchgan_output_size
from keras_gan_losses.architectures.pix2pix import patchgan_receptive_field
from keras_gan_losses.architectures.pix2pix import unet

__all__ = [
    "dcgan",
    "dcgan_generator",
    "dcgan_discriminator",
    "unet",
    "patchgan",
    "patchgan_receptive_field",
    "patchgan_output_size",
]
