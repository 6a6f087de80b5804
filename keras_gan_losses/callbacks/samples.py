"""What the sample callbacks share: a fixed latent batch (or fixed
source/target pairs for an image-to-image GAN), the generator's output
range, which epochs to run on, and the callback base class."""

import keras
import numpy as np

from keras_gan_losses import backend
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
    the classes. A GAN with `label_frequencies` (classes that are clusters
    of unlabelled images, often dozens) gets the near-square grid, its
    images taking the classes 0, 1, 2, ... in turn.

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
        if getattr(gan, "label_frequencies", None) is not None:
            labels = np.arange(self.num_samples) % gan.num_classes
            return None, None, labels.astype("int32")
        cols = max(1, self.num_samples // gan.num_classes)
        labels = np.repeat(np.arange(gan.num_classes), cols).astype("int32")
        return gan.num_classes, cols, labels

    def _latents(self, gan, count, cols):
        key = (gan.latent_dim, count, cols)
        if self._latent is None or self._latent[0] != key:
            draw = cols if cols is not None else count
            # The latent draw of gan.generate(draw, seed=self.seed).
            latent = keras.ops.convert_to_numpy(backend.normal(
                (draw, gan.latent_dim), int(self.seed)))
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


def is_image_to_image(model):
    """Whether `model` translates source images (an `ImageToImageGAN`)."""
    return hasattr(model, "source_shape")


def _display_channels(pixels, channels):
    """`uint8` images `(n, h, w, c)` with 1 or 3 channels, as `channels`:
    grayscale repeated into RGB; other channel counts show channel 0."""
    if pixels.shape[-1] not in (1, 3):
        pixels = pixels[..., :1]
    if pixels.shape[-1] == 1 and channels == 3:
        pixels = np.repeat(pixels, 3, axis=-1)
    return pixels


class FixedPairs:
    """Translations of fixed `(source, target)` pairs, as a grid with one
    row per pair: source | generated | target.

    The first `num_samples` pairs are shown. Sources, generated images
    and targets are mapped to pixels with the same value range (resolved
    once, as `FixedSamples` does); one-channel images are repeated into
    RGB when another column is RGB, and images with other channel counts
    (e.g. a 2-channel source) show their first channel.
    """

    def __init__(self, pairs, num_samples, value_range, use_ema,
                 padding=2):
        if not isinstance(pairs, (tuple, list)) or len(pairs) != 2:
            raise ValueError(
                "`pairs` must be a tuple (source, target) of image arrays."
            )
        source, target = (np.asarray(a, np.float32) for a in pairs)
        if source.ndim != 4 or target.ndim != 4 or not len(source):
            raise ValueError(
                "`pairs` must hold image batches (n, height, width, "
                f"channels); received shapes {source.shape} and "
                f"{target.shape}."
            )
        if len(source) != len(target) or source.shape[1:3] != \
                target.shape[1:3]:
            raise ValueError(
                "The sources and targets of `pairs` must be as many and of "
                f"the same height and width; received shapes "
                f"{source.shape} and {target.shape}."
            )
        count = positive_int("num_samples", num_samples)
        self.source, self.target = source[:count], target[:count]
        self.value_range = (
            None if value_range is None else check_value_range(value_range)
        )
        self.use_ema = use_ema
        self.padding = padding

    def images(self, gan):
        """`(source, generated, target)`, NumPy arrays as generated."""
        generated = gan.generate(self.source, use_ema=self.use_ema)
        return self.source, generated.astype(np.float32), self.target

    def grid(self, gan):
        """The pairs and their translations as a `uint8` grid."""
        columns = self.images(gan)
        if self.value_range is None:
            self.value_range = (
                activation_value_range(gan.pick_generator(self.use_ema))
                or value_range_from_values(columns[1])
            )
        pixels = [to_pixels(c, self.value_range) for c in columns]
        pixels = [p if p.ndim == 4 else p[..., None] for p in pixels]
        channels = max(
            3 if p.shape[-1] == 3 else 1 for p in pixels
        )
        cells = np.stack(
            [_display_channels(p, channels) for p in pixels], axis=1
        )
        rows = len(cells)
        return make_grid(cells.reshape((rows * 3,) + cells.shape[2:]),
                         rows=rows, cols=3, padding=self.padding)


class PeriodicSamples(keras.callbacks.Callback):
    """Base of the callbacks that emit a `FixedSamples` grid every n epochs.

    Runs after epochs n, 2n, ... and after the last epoch of `fit`; if
    training stops early after an epoch without a grid, that epoch's grid
    is emitted at the end of training. Only the chief of a multi-worker job
    generates. Subclasses implement `emit(grid, epoch)`.
    """

    def __init__(self, every_n_epochs, num_samples, seed, value_range,
                 use_ema, padding, pairs=None):
        super().__init__()
        self.every_n_epochs = positive_int("every_n_epochs", every_n_epochs)
        if pairs is None:
            self.samples = FixedSamples(num_samples, seed, value_range,
                                        use_ema, padding=padding)
        else:
            self.samples = FixedPairs(pairs, num_samples, value_range,
                                      use_ema, padding=padding)
        self._last_epoch = None
        self._last_written = None

    @property
    def value_range(self):
        """The `(low, high)` range mapped to pixels, once known."""
        return self.samples.value_range

    def on_train_begin(self, logs=None):
        check_gan(self.model, type(self).__name__)
        self._check_pairs(self.model)
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
        self._check_pairs(check_gan(self.model, type(self).__name__))
        grid = self.samples.grid(self.model)
        return self.emit(grid, epoch)

    def _check_pairs(self, model):
        """Pairs for an image-to-image GAN, latents for the others."""
        owner = type(self).__name__
        with_pairs = isinstance(self.samples, FixedPairs)
        if is_image_to_image(model) and not with_pairs:
            raise ValueError(
                f"{owner} on an ImageToImageGAN needs fixed pairs to "
                f"translate: pass `pairs=(source, target)` to {owner}."
            )
        if with_pairs and not is_image_to_image(model):
            raise ValueError(
                f"`pairs` is for an ImageToImageGAN; this {owner} is "
                f"attached to a {type(model).__name__}, which samples from "
                "latents: leave `pairs` out."
            )

    def emit(self, grid, epoch):
        """Writes `grid` (a `uint8` array) for `epoch` (0-based)."""
        raise NotImplementedError
