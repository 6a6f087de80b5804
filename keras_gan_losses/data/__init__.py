"""Image data for GANs: `tf.data` pipelines in [-1, 1], and pixel helpers.

`load_images` reads the embedded MNIST test split (`"mnist_10k"`, works
offline), TensorFlow Datasets, folders of images, MNIST-format IDX files
and NumPy arrays, and returns a batched dataset ready for `GAN.fit`.
`scale_images` and `to_uint8` convert between 8-bit pixels and [-1, 1].
`load_pairs` and `make_pairs` make `(source, target)` pairs for
image-to-image translation (super-resolution, inpainting).
`kmeans_labels` clusters unlabelled images, for a GAN conditioned on the
clusters (self-conditioning).
"""

from keras_gan_losses.data.clusters import kmeans_labels
from keras_gan_losses.data.errors import NoLabelsError
from keras_gan_losses.data.idx import read_idx
from keras_gan_losses.data.images import load_images
from keras_gan_losses.data.mnist import load_mnist_10k
from keras_gan_losses.data.pairs import load_pairs
from keras_gan_losses.data.pairs import make_pairs
from keras_gan_losses.data.scaling import infer_value_range
from keras_gan_losses.data.scaling import scale_images
from keras_gan_losses.data.scaling import to_uint8
from keras_gan_losses.data.tfds_source import DatasetUnavailableError

__all__ = [
    "load_images",
    "scale_images",
    "to_uint8",
    "load_mnist_10k",
    "read_idx",
    "infer_value_range",
    "DatasetUnavailableError",
    "NoLabelsError",
    "load_pairs",
    "make_pairs",
    "kmeans_labels",
]
