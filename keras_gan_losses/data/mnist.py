"""The MNIST test split, shipped with the package for offline use.

`assets/mnist_10k.npz` holds the 10,000 test images (uint8, 28×28) and
labels of MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges,
usually distributed under CC BY-SA 3.0: see `assets/MNIST_LICENSE.txt`. It
is made by `scripts/make_mnist_10k.py` from the original IDX files.
"""

import importlib.resources

import numpy as np

ASSET = "assets/mnist_10k.npz"
LICENSE = "assets/MNIST_LICENSE.txt"


def load_mnist_10k():
    """Loads the embedded MNIST test split as NumPy arrays, offline.

    The 10,000 handwritten digits of the MNIST test set (Yann LeCun,
    Corinna Cortes and Christopher J. C. Burges; usually distributed under
    CC BY-SA 3.0, see `keras_gan_losses/data/assets/MNIST_LICENSE.txt`).
    Pixels and labels are unchanged from the original files.

    Returns:
        tuple[np.ndarray, np.ndarray]: `(images, labels)`, `uint8` arrays of
        shapes `(10000, 28, 28)` (0 is background, 255 ink) and `(10000,)`
        (digits 0-9).

    Example:

    >>> images, labels = load_mnist_10k()
    >>> images.shape, images.dtype, labels[:10].tolist()
    ((10000, 28, 28), dtype('uint8'), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    """
    resource = importlib.resources.files("keras_gan_losses.data") / ASSET
    with resource.open("rb") as file, np.load(file) as arrays:
        return arrays["images"], arrays["labels"]
