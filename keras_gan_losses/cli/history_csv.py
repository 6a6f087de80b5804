"""`HistoryCSV`: the `history.csv` of `kgl train`, one row per epoch."""

import csv
import io
import math
import os

import keras

from keras_gan_losses.utils import atomic


class HistoryCSV(keras.callbacks.Callback):
    """Writes one CSV row per epoch: `epoch` (from 1), `step`, the logs.

    Unlike `keras.callbacks.CSVLogger` it adds no `val_*` columns that
    would stay empty (`kgl train` has no validation data), and it counts
    epochs from 1, as the console and the sample grids
    (`epoch_0001.png`) do. `step` is the number of training steps done at
    the end of the epoch. The columns are fixed by the first row; values
    missing in a later epoch (a metric computed every n epochs) are left
    empty. When the file exists it is appended to, with its own columns,
    after dropping the rows of epochs that are trained again (a resumed
    run repeats the epoch that was interrupted).

    Args:
        path: The CSV file.
    """

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)
        self._columns = None
        self._steps = 0
        self._batches = 0
        self._epoch = 0
        self._resumed = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._columns is None:
            self._columns, self._steps = self._keep_rows_before(epoch + 1)
        self._batches = 0
        resumed, self._resumed = self._resumed, None
        if resumed is not None and resumed["epoch"] == epoch:
            self._batches = resumed["batches"]
        self._epoch = epoch

    def get_state(self):
        """The batches of the epoch under way (for `BackupAndRestore`: an
        epoch resumed after its last batch counts them)."""
        return {"epoch": self._epoch, "batches": self._batches}

    def set_state(self, state):
        """Continues from `get_state()`'s result."""
        self._resumed = state

    def on_train_batch_end(self, batch, logs=None):
        self._batches = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        self._steps += self._batches
        values = {key: value for key, value in (logs or {}).items()
                  if not key.startswith("val_")}
        if self._columns is None:
            self._columns = ["epoch", "step", *sorted(values)]
            self._write([self._columns], "w")
        row = [epoch + 1, self._steps]
        for key in self._columns[2:]:
            row.append(_format(values.get(key)))
        self._write([row], "a")

    def _keep_rows_before(self, epoch):
        """Drops rows of epochs >= `epoch`; returns (columns, last step)."""
        if not os.path.isfile(self.path):
            return None, 0
        with open(self.path, newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
        if not rows or rows[0][:2] != ["epoch", "step"]:
            return None, 0
        kept = [row for row in rows[1:] if row and int(row[0]) < epoch]
        if not kept:
            return None, 0
        self._write([rows[0], *kept], "w")
        return rows[0], int(kept[-1][1])

    def _write(self, rows, mode):
        """Writes or appends rows, replacing the file atomically."""
        old = ""
        if mode == "a" and os.path.isfile(self.path):
            with open(self.path, newline="", encoding="utf-8") as file:
                old = file.read()
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        atomic.write_text(self.path, old + buffer.getvalue())


def _format(value):
    if value is None:
        return ""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "nan" if math.isnan(value) else repr(value)
