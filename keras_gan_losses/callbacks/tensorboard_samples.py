"""`TensorBoardSamples`: the sample grid as a TensorBoard image summary."""

import os

from keras_gan_losses.callbacks.samples import PeriodicSamples
from keras_gan_losses.utils.lazy import tf
from keras_gan_losses.visualization import encode_png

#: `DATA_CLASS_BLOB_SEQUENCE` of TensorFlow's `summary.proto`, the data class
#: of image summaries.
_DATA_CLASS_BLOB_SEQUENCE = 3


class TensorBoardSamples(PeriodicSamples):
    """Logs a grid of generated samples to TensorBoard every n epochs.

    The same grid as `SampleGrid` (one latent batch drawn once from
    `seed`; one row per class for a conditional GAN; the same value-range
    rule), written as an image summary `name` to `log_dir/train`, the
    directory where `keras.callbacks.TensorBoard` writes its training
    scalars, so that with the same `log_dir` the images appear in the same
    run. The step is the 0-based epoch, the step Keras uses for its
    `epoch_*` scalars. The record is the one `tf.summary.image` writes,
    made without the `tensorboard` package that `tf.summary.image` needs.

    Images are logged after epochs n, 2n, 3n, ... and after the last epoch
    of `fit` (and, if training stops early after an epoch without images,
    at the end of training). Only the chief of a multi-worker job (see
    `is_chief`) writes.

    Args:
        log_dir (str): The TensorBoard log directory (as given to
            `keras.callbacks.TensorBoard`).
        every_n_epochs (int): Positive int. Defaults to 1.
        num_samples (int): Positive int, images per grid. Defaults to 16.
        seed (int): Int seed of the latent batch. Defaults to 0.
        value_range (tuple[float, float] | None): Optional `(low, high)`, the
            range of the generator's outputs. Defaults to detecting it, as
            `SampleGrid` does.
        name (str): Tag of the image summary. Defaults to `"samples"`.
        use_ema (bool | None): Whether to sample from the EMA generator.
            Defaults to `True` when the GAN keeps one.
        padding (int): Pixels around each image. Defaults to 2.
        pairs (tuple | None): For an `ImageToImageGAN` (and only for one),
            `(source, target)` arrays of fixed validation pairs: the grid
            then has one row per pair (the first `num_samples`), showing
            source | generated | target, with the same value range for
            the three columns (one-channel images become RGB next to RGB
            ones; other channel counts show their first channel).

    Example:

    ```python
    gan.fit(dataset, epochs=20, callbacks=[
        keras.callbacks.TensorBoard("logs"),
        keras_gan_losses.callbacks.TensorBoardSamples("logs"),
    ])  # then: tensorboard --logdir logs
    ```
    """

    def __init__(self, log_dir, every_n_epochs=1, num_samples=16, seed=0,
                 value_range=None, name="samples", use_ema=None, padding=2,
                 pairs=None):
        super().__init__(every_n_epochs, num_samples, seed, value_range,
                         use_ema, padding, pairs=pairs)
        self.log_dir = os.fspath(log_dir)
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"`name` must be a non-empty string. Received: {name!r}"
            )
        self.name = name
        self._writer = None

    def on_train_end(self, logs=None):
        """Logs the last epoch's grid if training stopped early, and closes
        the writer."""
        super().on_train_end(logs)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def emit(self, grid, epoch):
        """Logs `grid` as the image summary at step `epoch`."""
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(
                os.path.join(self.log_dir, "train")
            )
        with self._writer.as_default():
            write_image_summary(self.name, grid, step=epoch)
        self._writer.flush()


def write_image_summary(name, grid, step):
    """Writes one `uint8` image as a TensorBoard image summary.

    The record `tf.summary.image` writes (PNG-encoded, tagged for the
    TensorBoard "images" plugin), made without the `tensorboard` package,
    which `tf.summary.image` needs and TensorFlow does not install. Call it
    under a default writer (`with writer.as_default():`).

    Args:
        name (str): Tag of the summary.
        grid (np.ndarray): `uint8` array `(height, width)` or `(height, width,
            channels)` with 1, 3 or 4 channels.
        step (int): Int step.

    Returns:
        Whether the summary was written (False without a default writer).
    """
    height, width = grid.shape[:2]
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = "images"
    # `content` is a serialized ImagePluginData(version=0): empty bytes.
    metadata.plugin_data.content = b""
    metadata.data_class = _DATA_CLASS_BLOB_SEQUENCE
    tensor = tf.constant([str(width), str(height), encode_png(grid)])
    return tf.summary.write(name, tensor, step=step, metadata=metadata)
