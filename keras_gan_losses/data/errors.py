"""Errors of the data loaders that callers may want to tell apart."""


class NoLabelsError(ValueError):
    """`with_labels=True` on a source that has no class labels.

    Raised by `load_images` for a folder without class sub-folders, an IDX
    file without its labels file, a NumPy array without labels or a TFDS
    dataset without a class-label feature. It is a `ValueError`; catch it
    to fall back to unlabelled images, as `kgl train` does when it decides
    whether to train a conditional GAN.

    Example:

    >>> import numpy as np
    >>> from keras_gan_losses.data import load_images
    >>> images = np.zeros((8, 28, 28), "uint8")
    >>> try:
    ...     load_images(images, batch_size=4, with_labels=True)
    ... except NoLabelsError as error:
    ...     print(type(error).__name__)
    NoLabelsError
    """
