"""`SampleGrid`: a PNG grid of samples from fixed latents every n epochs."""

import os

from keras_gan_losses.callbacks.samples import PeriodicSamples
from keras_gan_losses.visualization import write_png


class SampleGrid(PeriodicSamples):
    """Writes a PNG grid of generated samples every n epochs.

    The samples come from one latent batch drawn once from `seed` (the
    latents of `gan.generate(num_samples, seed=seed)`), so the grids of
    successive epochs show the same latent codes and can be compared
    side by side. Unconditional GANs get a near-square grid of
    `num_samples` images; conditional GANs (`gan.num_classes` set) get one
    row per class, class `c` in row `c`, with
    `max(1, num_samples // num_classes)` columns, column `j` using the same
    latent vector in every row.

    A grid is written after epochs n, 2n, 3n, ... and after the last epoch
    of `fit`. If training stops early (e.g. `EarlyStopping`) after an epoch
    without a grid, that epoch's grid is written at the end of training.
    Files are named `epoch_0001.png`, `epoch_0002.png`, ... with the
    1-based epoch number (wider when `fit` runs 10,000 epochs or more), so
    they sort by epoch.

    Pixels: `value_range[0]` becomes 0 and `value_range[1]` 255 (clipped).
    With `value_range=None` the range is detected once, at the first grid:
    from the generator's last activation (`tanh` → `(-1, 1)`, `sigmoid` →
    `(0, 1)`), or else from the sample values (`(0, 1)` if none is
    negative, `(-1, 1)` otherwise); the `value_range` attribute then holds
    it. One-channel images are written as grayscale PNGs, three-channel
    ones as RGB.

    Under multi-worker training only the chief (see `is_chief`) generates
    and writes; the other workers do nothing.

    Args:
        directory (str): Directory of the PNG files, created if needed.
        every_n_epochs (int): Positive int. Defaults to 1.
        num_samples (int): Positive int, images per grid. Defaults to 64.
        seed (int): Int seed of the latent batch. Defaults to 0.
        value_range (tuple[float, float] | None): Optional `(low, high)`, the
            range of the generator's outputs. Defaults to detecting it (see
            above).
        use_ema (bool | None): Whether to sample from the EMA generator.
            Defaults to `True` when the GAN keeps one (as `gan.generate` does).
        padding (int): Pixels around each image. Defaults to 2.
        pairs (tuple | None): For an `ImageToImageGAN` (and only for one),
            `(source, target)` arrays of fixed validation pairs: the grid
            then has one row per pair (the first `num_samples`), showing
            source | generated | target, with the same value range for
            the three columns (one-channel images become RGB next to RGB
            ones; other channel counts show their first channel).

    Attributes:
        paths (list[str]): The paths written so far, in order.

    Example:

    ```python
    gan.fit(dataset, epochs=20, callbacks=[
        keras_gan_losses.callbacks.SampleGrid("samples", every_n_epochs=5),
    ])  # writes samples/epoch_0005.png, ..., samples/epoch_0020.png
    # An ImageToImageGAN: rows of source | generated | target.
    i2i.fit(pairs_dataset, epochs=20, callbacks=[
        keras_gan_losses.callbacks.SampleGrid(
            "samples", pairs=(val_source[:8], val_target[:8])),
    ])
    ```
    """

    def __init__(self, directory, every_n_epochs=1, num_samples=64, seed=0,
                 value_range=None, use_ema=None, padding=2, pairs=None):
        super().__init__(every_n_epochs, num_samples, seed, value_range,
                         use_ema, padding, pairs=pairs)
        self.directory = os.fspath(directory)
        self.paths = []

    def filename(self, epoch):
        """The file name of the grid after `epoch` (0-based)."""
        total = (self.params or {}).get("epochs") or 0
        width = max(4, len(str(total)))
        return f"epoch_{epoch + 1:0{width}d}.png"

    def emit(self, grid, epoch):
        """Writes `grid` as the PNG of `epoch`; returns its path."""
        path = write_png(os.path.join(self.directory, self.filename(epoch)),
                         grid)
        self.paths.append(path)
        return path
