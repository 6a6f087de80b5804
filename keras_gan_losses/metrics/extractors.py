"""Feature extractors: Keras models mapping images to `(batch, d)` features.

Any Keras model (or callable) that maps a batch of images to a 2-D array of
features can be passed to `compute_features`; this module provides the two
usual ones: InceptionV3 for natural images (the network FID and KID are
defined with) and a small MNIST classifier shipped with the package.
"""

import importlib.resources
import os

import keras
from keras import ops

#: Where `keras.applications.InceptionV3` downloads its ImageNet weights
#: without the classification head (URL and md5 as in Keras).
INCEPTION_V3_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
INCEPTION_V3_WEIGHTS_FILE = (
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
INCEPTION_V3_WEIGHTS_MD5 = "bcbd6486424b2319ff4ef7d526e38f63"
INCEPTION_V3_SIZE = 299

#: The MNIST classifier's weights, made by `scripts/train_mnist_extractor.py`.
MNIST_WEIGHTS = "assets/mnist_classifier.weights.h5"
#: Test accuracy of the shipped MNIST classifier on the 10,000 MNIST test
#: images, as reported by `scripts/train_mnist_extractor.py`.
MNIST_TEST_ACCURACY = 0.9939


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class InceptionV3Resizing(keras.layers.Layer):
    """Tiles grayscale images to RGB and resizes them to 299×299 (bilinear).

    The input layer of `inception_v3_extractor`. Pixel values pass through
    unchanged: InceptionV3 expects them in [-1, 1] already.

    Args:
        size (int): Output height and width. Defaults to 299.
        **kwargs (dict): Base layer arguments, e.g. `name`.

    Example:

    >>> import numpy as np
    >>> layer = InceptionV3Resizing(size=4)
    >>> tuple(layer(np.zeros((2, 8, 8, 1))).shape)
    (2, 4, 4, 3)
    """

    def __init__(self, size=INCEPTION_V3_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, images):
        channels = images.shape[-1]
        if channels == 1:
            images = ops.repeat(images, 3, axis=-1)
        elif channels is not None and channels != 3:
            raise ValueError(
                "InceptionV3 takes RGB or grayscale images, shape "
                "`(batch, height, width, 3)` or `(batch, height, width, 1)`. "
                f"Received images of shape {tuple(images.shape)}"
            )
        return ops.image.resize(
            images, (self.size, self.size), interpolation="bilinear"
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, 3)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def inception_v3_extractor(weights="imagenet"):
    """InceptionV3 pool features (2048-d), the feature extractor of FID/KID.

    `keras.applications.InceptionV3(include_top=False, pooling="avg")` with
    an input layer that tiles grayscale images to three channels and resizes
    any image size to 299×299 with bilinear interpolation (no antialiasing).

    Images must be float, channels last, with pixel values in **[-1, 1]**
    (`uint8` images: `images / 127.5 - 1`), which is the input scaling of
    `keras.applications.inception_v3.preprocess_input`.

    The Keras ImageNet weights are not the TF1 "2015-12-05" Inception graph
    of the original FID code, and resizing differs from other libraries, so
    values are comparable between runs of this package, not with numbers
    published by other FID implementations.

    Args:
        weights (str | None): `"imagenet"` (default) for the Keras ImageNet
            weights, which Keras downloads once into `~/.keras/models/` when
            this function is called; a local path of that weights file (for
            offline use); or `None` for random initialisation (for tests only).

    Returns:
        keras.Model: A `keras.Model` mapping images of shape `(batch, height,
        width, 3)` or `(batch, height, width, 1)` to features of shape `(batch,
        2048)`.

    Raises:
        ValueError: if `weights` is neither `"imagenet"`, `None` nor an
            existing file.
        RuntimeError: if the ImageNet weights are needed but cannot be
            downloaded (e.g. offline); the message says how to pass a local
            weights file instead.

    Example:

    ```python
    extractor = inception_v3_extractor()  # downloads about 88 MB once
    features = compute_features(extractor, images)  # images in [-1, 1]
    ```
    """
    if weights == "imagenet":
        weights = _download_inception_v3_weights()
    elif weights is not None and not os.path.isfile(os.fspath(weights)):
        raise ValueError(
            "`weights` must be 'imagenet', None or the path of an existing "
            f"InceptionV3 weights file. Received: weights={weights!r}"
        )
    base = keras.applications.InceptionV3(
        include_top=False,
        weights=None if weights is None else os.fspath(weights),
        input_shape=(INCEPTION_V3_SIZE, INCEPTION_V3_SIZE, 3),
        pooling="avg",
    )
    images = keras.Input(shape=(None, None, None), name="images")
    features = base(InceptionV3Resizing(name="resizing")(images))
    return keras.Model(images, features, name="inception_v3_extractor")


def _download_inception_v3_weights():
    try:
        return keras.utils.get_file(
            INCEPTION_V3_WEIGHTS_FILE,
            INCEPTION_V3_WEIGHTS_URL,
            cache_subdir="models",
            file_hash=INCEPTION_V3_WEIGHTS_MD5,
        )
    except Exception as error:
        raise RuntimeError(
            "Could not download the InceptionV3 ImageNet weights "
            f"({INCEPTION_V3_WEIGHTS_URL}): {error}\n"
            "Without network access, copy that file to this machine and "
            "pass its path: inception_v3_extractor(weights='/path/to/"
            f"{INCEPTION_V3_WEIGHTS_FILE}'), or place it in "
            "~/.keras/models/."
        ) from error


def mnist_classifier(weights="mnist"):
    """A small CNN digit classifier for 28×28×1 MNIST images in [-1, 1].

    Two 3×3 convolution blocks (32 and 64 filters, ReLU, max pooling), a
    128-unit ReLU dense layer named `"features"` (what `mnist_extractor`
    returns), dropout and a 10-way softmax. The shipped weights, trained by
    `scripts/train_mnist_extractor.py` on the 60,000 MNIST training images
    (`python scripts/train_mnist_extractor.py`), reach 99.39% accuracy on
    the 10,000 test images.

    Useful to check class-conditional samples: the fraction of generated
    images of class `c` classified as `c`.

    Args:
        weights (str | None): `"mnist"` (default) for the shipped weights, the
            path of a `.weights.h5` file, or `None` for random initialisation.

    Returns:
        keras.Model: A `keras.Model` mapping images of shape `(batch, 28, 28,
        1)` with pixel values in [-1, 1] (`uint8` images: `images / 127.5 - 1`)
        to class probabilities of shape `(batch, 10)`.

    Example:

    >>> import numpy as np
    >>> classifier = mnist_classifier()
    >>> probabilities = classifier(np.zeros((2, 28, 28, 1)))
    >>> tuple(probabilities.shape)
    (2, 10)
    """
    layers = keras.layers
    images = keras.Input(shape=(28, 28, 1), name="images")
    x = layers.Conv2D(32, 3, activation="relu", name="conv1a")(images)
    x = layers.Conv2D(32, 3, activation="relu", name="conv1b")(x)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv2a")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv2b")(x)
    x = layers.MaxPooling2D(name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.25, name="dropout1")(x)
    x = layers.Dense(128, activation="relu", name="features")(x)
    x = layers.Dropout(0.5, name="dropout2")(x)
    x = layers.Dense(10, activation="softmax", name="probabilities")(x)
    model = keras.Model(images, x, name="mnist_classifier")
    if weights == "mnist":
        resource = importlib.resources.files(__package__) / MNIST_WEIGHTS
        with importlib.resources.as_file(resource) as path:
            model.load_weights(path)
    elif weights is not None:
        if not os.path.isfile(os.fspath(weights)):
            raise ValueError(
                "`weights` must be 'mnist', None or the path of an existing "
                f"`.weights.h5` file. Received: weights={weights!r}"
            )
        model.load_weights(weights)
    return model


def mnist_extractor(weights="mnist"):
    """128-d features of the shipped MNIST classifier, for FID/KID on MNIST.

    The output of the penultimate (`"features"`, 128 ReLU units) layer of
    `mnist_classifier`, whose shipped weights reach 99.39% accuracy on the
    10,000 MNIST test images (trained with
    `python scripts/train_mnist_extractor.py`).

    A FID computed with these features ("MNIST FID") is only comparable with
    other values computed with the same extractor and weights, never with
    Inception FID values.

    Args:
        weights (str | None): `"mnist"` (default) for the shipped weights, the
            path of a `.weights.h5` file of `mnist_classifier`, or `None`.

    Returns:
        keras.Model: A `keras.Model` mapping images of shape `(batch, 28, 28,
        1)` with pixel values in [-1, 1] to features of shape `(batch, 128)`.

    Example:

    >>> import numpy as np
    >>> extractor = mnist_extractor()
    >>> tuple(extractor(np.zeros((2, 28, 28, 1))).shape)
    (2, 128)
    """
    classifier = mnist_classifier(weights=weights)
    return keras.Model(
        classifier.input,
        classifier.get_layer("features").output,
        name="mnist_extractor",
    )
