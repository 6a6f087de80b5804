"""What the sample callbacks share: a fixed latent batch, the generator's
output range, which epochs to run on, and the callback base class."""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_losses.utils import random
from keras_gan_losses.utils.activations import activation_value_range
from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import check_value_range
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.chief import is_chief
from keras_gan_losses.visualization import make_grid
from keras_gan_losses.visualization import to_pixels
from keras_gan_losses.visualization import value_range_from_values


def epoch_due(epoch, every_n_epochs, params):
    """Whether a callback running every n epochs runs after `epoch`
    (0-based): after epochs n, 2n, ... (1-based) and after the last epoch of
    `fit`."""
    if (epoch + 1) % every_n_epochs == 0:
        return True
    total = (params or {}).get("epochs")
    return total is not None and epoch + 1 == total


def check_gan(model, owner):
    """Raises a TypeError unless `model` is a `keras_gan_losses.GAN`."""
    for name in ("latent_dim", "num_classes", "generate", "pick_generator"):
        if not hasattr(model, name):
            raise TypeError(
                f"{owner} works with a keras_gan_losses.GAN; it was given "
                f"{model!r} (of type {type(model).__name__})."
            )
    return model


class FixedSamples:
    """Samples of a GAN from one latent batch drawn once, as a grid.

    Unconditional GANs get `num_samples` images in a near-square grid,
    from the latent batch of `gan.generate(num_samples, seed=seed)`.
    Conditional GANs get one row per class with
    `max(1, num_samples // num_classes)` columns; column `j` uses the same
    latent vector in every row, so a column shows one latent code across
    the classes.

    The value range (`value_range=None`) is resolved once, at the first
    grid, from the generator's last activation or else from the sample
    values (`value_range_from_values`), and kept afterwards so that all
    grids of a run use the same mapping; `value_range` holds the result.
    """

    def __init__(self, num_samples, seed, value_range, use_ema,
                 padding=2):
        self.num_samples = positive_int("num_samples", num_samples)
        self.seed = check_seed(seed)
        if self.seed is None:
            raise TypeError("`seed` must be an int, so that the latent "
                            "batch is the same at every epoch.")
        self.value_range = (
            None if value_range is None else check_value_range(value_range)
        )
        self.use_ema = use_ema
        self.padding = padding
        self._latent = None

    def layout(self, gan):
        """`(rows, cols, labels)`; labels is None for unconditional GANs."""
        if gan.num_classes is None:
            return None, None, None
        cols = max(1, self.num_samples // gan.num_classes)
        labels = np.repeat(np.arange(gan.num_classes), cols).astype("int32")
        return gan.num_classes, cols, labels

    def _latents(self, gan, count, cols):
        key = (gan.latent_dim, count, cols)
        if self._latent is None or self._latent[0] != key:
            draw = cols if cols is not None else count
            # The latent draw of gan.generate(draw, seed=self.seed).
            latent = random.stateless_normal(
                (draw, gan.latent_dim),
                tf.constant([self.seed, 0], tf.int64),
            ).numpy()
            if cols is not None:
                latent = np.tile(latent, (count // cols, 1))
            self._latent = (key, latent)
        return self._latent[1]

    def images(self, gan):
        """The samples, a NumPy array `(n, *image_shape)` as generated."""
        rows, cols, labels = self.layout(gan)
        count = self.num_samples if rows is None else rows * cols
        latent = self._latents(gan, count, cols)
        images = gan.generate(latent=latent, labels=labels,
                              use_ema=self.use_ema)
        return images.astype(np.float32)

    def grid(self, gan):
        """The samples as a `uint8` grid, `(H, W, channels)`."""
        images = self.images(gan)
        if self.value_range is None:
            self.value_range = (
                activation_value_range(gan.pick_generator(self.use_ema))
                or value_range_from_values(images)
            )
        rows, cols, _ = self.layout(gan)
        return make_grid(to_pixels(images, self.value_range), rows=rows,
                         cols=cols, padding=self.padding)


class PeriodicSamples(keras.callbacks.Callback):
    """Base of the callbacks that emit a `FixedSamples` grid every n epochs.

    Runs after epochs n, 2n, ... and after the last epoch of `fit`; if
    training stops early after an epoch without a grid, that epoch's grid
    is emitted at the end of training. Only the chief of a multi-worker job
    generates. Subclasses implement `emit(grid, epoch)`.
    """

    def __init__(self, every_n_epochs, num_samples, seed, value_range,
                 use_ema, padding):
        super().__init__()
        self.every_n_epochs = positive_int("every_n_epochs", every_n_epochs)
        self.samples = FixedSamples(num_samples, seed, value_range, use_ema,
                                    padding=padding)
        self._last_epoch = None
        self._last_written = None

    @property
    def value_range(self):
        """The `(low, high)` range mapped to pixels, once known."""
        return self.samples.value_range

    def on_train_begin(self, logs=None):
        check_gan(self.model, type(self).__name__)
        self._last_epoch = None
        self._last_written = None

    def on_epoch_end(self, epoch, logs=None):
        """Writes the grid if `epoch` is due."""
        self._last_epoch = epoch
        if epoch_due(epoch, self.every_n_epochs, self.params):
            self.write(epoch)

    def on_train_end(self, logs=None):
        """Writes the last epoch's grid if training stopped early."""
        if self._last_epoch is not None and (
            self._last_written != self._last_epoch
        ):
            self.write(self._last_epoch)

    def write(self, epoch):
        """Emits the grid of the model's current weights for `epoch`.

        Args:
            epoch (int): 0-based epoch index.

        Returns:
            Any: What `emit` returns, or `None` on a worker that is not the
            chief.
        """
        self._last_written = epoch
        if not is_chief():
            return None
        grid = self.samples.grid(check_gan(self.model, type(self).__name__))
        return self.emit(grid, epoch)

    def emit(self, grid, epoch):
        """Writes `grid` (a `uint8` array) for `epoch` (0-based)."""
        raise NotImplementedError
