"""`BackupAndRestore` that only the chief of a multi-worker job writes."""

import keras

from keras_gan_losses.utils.chief import is_chief


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` for multi-worker training.

    Keras 3's `BackupAndRestore` is not multi-worker aware: under
    `MultiWorkerMirroredStrategy` every worker would write (and at the end
    delete) the same files. This subclass restores on every worker, so
    that all of them resume from the same epoch, but only the chief (see
    `is_chief`) writes and deletes the backup. Without `TF_CONFIG` (one
    process) it is exactly Keras's callback.

    Put `backup_dir` on a filesystem that every worker, and every
    replacement of a worker, can read. A `GAN` backup holds the weights of
    both networks (and of the EMA generator), both optimizers' state, the
    noise state and the epoch, so a restarted `fit` continues as the
    interrupted one would have. Restart all the workers with the same
    program, cluster, global batch size and `fit` arguments.

    Its constructor is Keras's, with the same arguments:

    - `backup_dir` (`str`): directory of the backup.
    - `save_freq` (`"epoch"` or `int`): back up at the end of every epoch
      (default), or every that many batches.
    - `double_checkpoint` (`bool`): whether to keep the previous backup as
      well, to fall back on if the latest one is corrupted. Defaults to
      `False`.
    - `delete_checkpoint` (`bool`): whether the chief deletes the backup
      when `fit` ends normally. Defaults to `True`.

    Example:

    ```python
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    ...
    gan.fit(dataset, epochs=50, callbacks=[
        keras_gan_losses.callbacks.BackupAndRestore("/shared/run/backup"),
    ])
    ```
    """

    def on_train_begin(self, logs=None):
        """Restores the last backup, on every worker."""
        self._chief = is_chief()
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        """Backs up at the end of an epoch (chief only)."""
        if self._writes():
            super().on_epoch_end(epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Backs up every `save_freq` batches (chief only)."""
        if self._writes():
            super().on_train_batch_end(batch, logs)

    def on_train_end(self, logs=None):
        """Deletes the backup after a completed `fit` (chief only)."""
        if self._writes():
            super().on_train_end(logs)

    def _writes(self):
        chief = getattr(self, "_chief", None)
        return is_chief() if chief is None else chief
