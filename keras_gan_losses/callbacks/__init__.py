"""Keras callbacks for GAN training: sample grids and quality metrics.

`SampleGrid` writes a PNG grid of samples from fixed latents every n
epochs, `TensorBoardSamples` logs the same grid to TensorBoard, and
`GANEvaluation` puts FID, KID, precision and recall into the epoch logs
(where `History`, `CSVLogger`, `TensorBoard`, `EarlyStopping` and
`ModelCheckpoint` placed after it see them), and `TrainingCurves` draws
the losses, the discriminator's outputs, the penalties and those metrics
against training steps into a PNG. `is_chief` tells which worker of a
multi-worker job writes files, and `BackupAndRestore` is Keras's callback
with only that worker writing the backup. `TrainingMonitor` names the
classic failures; with a classifier it counts the modes of the samples
(`ModeCoverage`) and sees modes dropped one by one. To draw a grid by hand, see
`keras_gan_losses.visualization`.

Example:

```python
from keras_gan_losses import callbacks

gan.fit(dataset, epochs=20, callbacks=[
    callbacks.GANEvaluation(real_images, every_n_epochs=5),
    callbacks.SampleGrid("samples"),
    callbacks.TrainingCurves("curves.png"),
    keras.callbacks.CSVLogger("history.csv"),
])
```
"""

from keras_gan_losses.callbacks.backup_and_restore import BackupAndRestore
from keras_gan_losses.callbacks.backup_and_restore import BackupWarning
from keras_gan_losses.callbacks.backup_store import BackupError
from keras_gan_losses.callbacks.gan_evaluation import GANEvaluation
from keras_gan_losses.callbacks.interruption import TrainingInterrupted
from keras_gan_losses.callbacks.mode_coverage import Coverage
from keras_gan_losses.callbacks.mode_coverage import ModeCoverage
from keras_gan_losses.callbacks.sample_grid import SampleGrid
from keras_gan_losses.callbacks.tensorboard_samples import TensorBoardSamples
from keras_gan_losses.callbacks.training_curves import TrainingCurves
from keras_gan_losses.callbacks.training_monitor import TrainingHealthWarning
from keras_gan_losses.callbacks.training_monitor import TrainingMonitor
from keras_gan_losses.utils.chief import is_chief

__all__ = [
    "SampleGrid",
    "TensorBoardSamples",
    "TrainingCurves",
    "GANEvaluation",
    "is_chief",
    "BackupAndRestore",
    "BackupWarning",
    "BackupError",
    "TrainingInterrupted",
    "TrainingMonitor",
    "TrainingHealthWarning",
    "ModeCoverage",
    "Coverage",
]
