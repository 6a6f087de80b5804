"""Ready-made generator and discriminator networks.

`dcgan` builds a DCGAN pair (optionally conditional, optionally with
spectral normalization) sized from the image shape, to pass to
`keras_gan_losses.GAN`; `r3gan` builds R3GAN's residual pair (Huang et
al. 2024). `unet` and `patchgan` build the pix2pix
generator and discriminator of an image-to-image GAN.
"""

from keras_gan_losses.architectures.dcgan import dcgan
from keras_gan_losses.architectures.dcgan import dcgan_discriminator
from keras_gan_losses.architectures.dcgan import dcgan_generator
from keras_gan_losses.architectures.pix2pix import patchgan
from keras_gan_losses.architectures.pix2pix import patchgan_output_size
from keras_gan_losses.architectures.pix2pix import patchgan_receptive_field
from keras_gan_losses.architectures.pix2pix import unet
from keras_gan_losses.architectures.r3gan import BiasedLeakyReLU
from keras_gan_losses.architectures.r3gan import DiscriminativeBasis
from keras_gan_losses.architectures.r3gan import GenerativeBasis
from keras_gan_losses.architectures.r3gan import GroupedConv2D
from keras_gan_losses.architectures.r3gan import InterpolativeDownSampling2D
from keras_gan_losses.architectures.r3gan import InterpolativeUpSampling2D
from keras_gan_losses.architectures.r3gan import r3gan
from keras_gan_losses.architectures.r3gan import r3gan_discriminator
from keras_gan_losses.architectures.r3gan import r3gan_generator

__all__ = [
    "dcgan",
    "dcgan_generator",
    "dcgan_discriminator",
    "r3gan",
    "r3gan_generator",
    "r3gan_discriminator",
    "InterpolativeUpSampling2D",
    "InterpolativeDownSampling2D",
    "BiasedLeakyReLU",
    "GenerativeBasis",
    "DiscriminativeBasis",
    "GroupedConv2D",
    "unet",
    "patchgan",
    "patchgan_receptive_field",
    "patchgan_output_size",
]
