"""`TrainingCurves`: a PNG of the losses, logits and metrics against steps."""

import csv
import io
import math
import os

import keras
import numpy as np

from keras_gan_losses.callbacks.step_values import COUNT_KEYS
from keras_gan_losses.callbacks.step_values import StepValues
from keras_gan_losses.callbacks.step_values import as_float
from keras_gan_losses.utils import atomic
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.chief import is_chief

#: Log keys drawn in the "losses" panel.
LOSS_KEYS = ("d_loss", "g_loss")
#: Log keys drawn in the "discriminator outputs" panel.
LOGIT_KEYS = ("d_real", "d_fake")
#: The training signals of `GAN.compile(training_signals=True)` and the
#: panel each goes to (gradient norms on a log scale).
SIGNAL_PANELS = {
    "d_acc_real": "discriminator accuracy",
    "d_acc_fake": "discriminator accuracy",
    "d_gap": "logit gap (real - generated)",
    "d_grad_norm": "gradient norms (log scale)",
    "g_grad_norm": "gradient norms (log scale)",
    "diversity": "diversity (generated / real)",
}
#: Per-step keys that Keras logs as counts since the epoch began, not as
#: running means (`GAN`'s steps skipped by its non-finite guard).
#: Epoch-level keys and the panel each goes to (other epoch-level keys get
#: a panel of their own).
METRIC_PANELS = {
    "fid": "FID",
    "kid": "KID",
    "precision": "precision / recall",
    "recall": "precision / recall",
    "density": "density / coverage",
    "coverage": "density / coverage",
}


class TrainingCurves(keras.callbacks.Callback):
    """Draws the training curves of a GAN into a PNG, updated as it trains.

    One panel each for the losses (`d_loss`, `g_loss`), the discriminator's
    mean logits on real and generated images (`d_real`, `d_fake`), every
    other per-step value in the logs (the penalties, e.g. `gp` or `r1`),
    and the metrics that appear only in epoch logs, such as the `fid`,
    `kid` (with `kid_std` as error bars), `precision` and `recall` of a
    `GANEvaluation` placed before this callback. The x axis counts training
    steps (batches) over all epochs.

    Keras reports per-step values as running means since the start of the
    epoch; the callback recovers the mean of each step (or of each group of
    `steps_per_execution` steps) from two consecutive running means, draws
    it as a thin line and a moving average over it as a thick one. The
    file is rewritten (atomically) every `every_n_epochs` epochs and at the
    end of training, by the chief worker only.

    With `log_path`, its state is backed up by `BackupAndRestore` (placed
    in the same `GAN.fit`): a run resumed mid-epoch draws the same curves
    as an uninterrupted one. Needs matplotlib; it uses
    the Agg canvas directly and leaves pyplot's backend alone.

    Args:
        path: The PNG to write, e.g. `"run/curves.png"`.
        every_n_epochs: Positive int, how often to redraw. Defaults to 1.
        log_path: Optional CSV path. If given, every recorded value is
            appended to it (columns `epoch,step,level,name,value,extra`;
            epochs counted from 1, `level` is `step` or `epoch`, `extra`
            holds `kid_std`), and the rows already there are read at the
            start of training, so that the curves continue when training
            resumes (e.g. after `keras.callbacks.BackupAndRestore`); rows
            of epochs that are trained again are dropped.
        title: Optional figure title.

    Attributes:
        records: Dict from log key to a list of `(step, value, extra)`
            triples (`extra`: `kid_std` for `kid`, else None).
        epoch_keys: The keys that come from epoch logs only.

    Example:

    ```python
    gan.fit(dataset, epochs=20, callbacks=[
        keras_gan_losses.callbacks.GANEvaluation(real, every_n_epochs=5),
        keras_gan_losses.callbacks.TrainingCurves("curves.png"),
    ])
    ```
    """

    def __init__(self, path, every_n_epochs=1, log_path=None, title=None):
        super().__init__()
        self.path = os.fspath(path)
        self.every_n_epochs = positive_int("every_n_epochs", every_n_epochs)
        self.log_path = None if log_path is None else os.fspath(log_path)
        self.title = title
        self.records = {}
        self.epoch_keys = set()
        self._rows = []
        self._steps_done = 0
        self._epoch = 0
        self._step_values = StepValues()
        self._loaded = False

    # ------------------------------------------------------------------
    # recording

    def on_train_begin(self, logs=None):
        self.records = {}
        self.epoch_keys = set()
        self._rows = []
        self._steps_done = 0
        self._loaded = False
        self._resumed_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        if not self._loaded:
            self._load(first_epoch=epoch)
            self._loaded = True
        self._epoch = epoch
        self._step_values.reset()
        resumed, self._resumed_epoch = self._resumed_epoch, None
        if resumed is not None and resumed["epoch"] == epoch:
            # The steps of this epoch recorded before the backup: not in
            # the CSV yet (it is written at each epoch's end).
            self._step_values.set_state(resumed["step_values"])
            for row in resumed["rows"]:
                self._record_row(row)
            self._rows = [list(row) for row in resumed["rows"]]

    def get_state(self):
        """What a mid-epoch resume needs beyond the CSV log: the epoch's
        steps recorded so far and the running means (for
        `BackupAndRestore`)."""
        return {"epoch": self._epoch, "rows": [list(r) for r in self._rows],
                "step_values": self._step_values.get_state()}

    def set_state(self, state):
        """Continues from `get_state()`'s result (called after
        `on_train_begin`; needs `log_path`, from which the earlier epochs
        are read back)."""
        self._resumed_epoch = state

    def on_train_batch_end(self, batch, logs=None):
        update = self._step_values.update(batch, logs)
        if update is None:
            return
        done = self._step_values.done
        for key, value in update[1].items():
            self._record(key, self._steps_done + done, value, "step")

    def on_epoch_end(self, epoch, logs=None):
        done, step_keys = self._step_values.done, self._step_values.means
        self._steps_done += done
        for key, value in (logs or {}).items():
            if key in step_keys or key.startswith("val_") or key == "kid_std":
                continue
            value = as_float(value)
            if value is None or math.isnan(value):
                continue
            extra = None
            if key == "kid":
                extra = as_float((logs or {}).get("kid_std"))
            self._record(key, self._steps_done, value, "epoch", extra)
        self._flush_rows()
        if (epoch + 1) % self.every_n_epochs == 0:
            self.draw()

    def on_train_end(self, logs=None):
        self._flush_rows()
        self.draw()

    def _record(self, key, step, value, level, extra=None):
        self.records.setdefault(key, []).append((step, value, extra))
        if level == "epoch":
            self.epoch_keys.add(key)
        self._rows.append(
            [self._epoch + 1, step, level, key, repr(value),
             "" if extra is None else repr(extra)]
        )

    # ------------------------------------------------------------------
    # the CSV log

    def _load(self, first_epoch):
        """Reads the rows of epochs before `first_epoch` (0-based) back."""
        if self.log_path is None or not os.path.isfile(self.log_path):
            return
        with open(self.log_path, newline="", encoding="utf-8") as file:
            rows = [row for row in csv.reader(file)][1:]
        kept = [row for row in rows if len(row) == 6
                and int(row[0]) <= first_epoch]
        for row in kept:
            self._steps_done = max(self._steps_done, self._record_row(row))
        if len(kept) < len(rows) and is_chief():
            self._write_rows(kept, mode="w")

    def _record_row(self, row):
        """Adds a CSV row to `records`; returns its step."""
        _epoch, step, level, key, value, extra = row
        step = int(step)
        self.records.setdefault(key, []).append(
            (step, float(value), float(extra) if extra else None)
        )
        if level == "epoch":
            self.epoch_keys.add(key)
        return step

    def _flush_rows(self):
        if self.log_path is not None and self._rows and is_chief():
            self._write_rows(self._rows, mode="a")
        self._rows = []

    def _write_rows(self, rows, mode):
        """Writes (`"w"`) or appends (`"a"`) rows; the file is replaced
        atomically, so that a kill leaves the previous version whole."""
        old = ""
        if mode == "a" and os.path.isfile(self.log_path):
            with open(self.log_path, newline="", encoding="utf-8") as file:
                old = file.read()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if not old:
            writer.writerow(["epoch", "step", "level", "name", "value",
                             "extra"])
        writer.writerows(rows)
        atomic.write_text(self.log_path, old + buffer.getvalue())

    # ------------------------------------------------------------------
    # drawing

    def panels(self):
        """The panels to draw: a list of `(title, [log keys])`."""
        keys = list(self.records)
        epoch_keys = [k for k in keys if k in self.epoch_keys]
        step_keys = [k for k in keys if k not in epoch_keys]
        panels = []
        losses = [k for k in LOSS_KEYS if k in step_keys]
        if losses:
            panels.append(("losses", losses))
        logits = [k for k in LOGIT_KEYS if k in step_keys]
        if logits:
            panels.append(("discriminator outputs (mean logits)", logits))
        for key in step_keys:
            if key in COUNT_KEYS:
                # Drawn only when there is something to see.
                if any(p[1] > 0 for p in self.records[key]):
                    panels.append(("steps skipped as non-finite "
                                   "(cumulative)", [key]))
            elif key in SIGNAL_PANELS:
                title = SIGNAL_PANELS[key]
                grouped = [p for p in panels if p[0] == title]
                if grouped:
                    grouped[0][1].append(key)
                else:
                    panels.append((title, [key]))
            elif key not in LOSS_KEYS and key not in LOGIT_KEYS:
                panels.append((f"{key} (penalty / other)", [key]))
        grouped = {}
        for key in epoch_keys:
            grouped.setdefault(METRIC_PANELS.get(key, key), []).append(key)
        panels.extend(grouped.items())
        return panels

    def draw(self):
        """Writes the PNG now (chief only); does nothing without data."""
        if not self.records or not is_chief():
            return
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        panels = self.panels()
        columns = 1 if len(panels) == 1 else 2
        rows = math.ceil(len(panels) / columns)
        figure = Figure(figsize=(6 * columns, 3.2 * rows), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.subplots(rows, columns, squeeze=False).ravel()
        for ax, (title, keys) in zip(axes, panels):
            for key in keys:
                self._plot(ax, key)
            ax.set_title(title, fontsize=10)
            if "log scale" in title and any(
                p[1] > 0 for key in keys for p in self.records[key]
            ):
                # Steps with a norm of 0 are left out of the drawing.
                ax.set_yscale("log", nonpositive="mask")
            ax.set_xlabel("step", fontsize=9)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
            ax.legend(fontsize=8, loc="best")
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        if self.title:
            figure.suptitle(self.title, fontsize=11)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        atomic.write_bytes(self.path, buffer.getvalue())

    def _plot(self, ax, key):
        points = self.records[key]
        steps = np.array([p[0] for p in points], dtype=np.float64)
        values = np.array([p[1] for p in points], dtype=np.float64)
        if key in self.epoch_keys:
            errors = [p[2] for p in points]
            if any(e is not None for e in errors):
                errors = np.array([0.0 if e is None else e for e in errors])
                ax.errorbar(steps, values, yerr=errors, marker="o",
                            markersize=4, capsize=3, label=key)
            else:
                ax.plot(steps, values, marker="o", markersize=4, label=key)
            return
        if key in COUNT_KEYS:
            ax.step(steps, np.cumsum(values), where="post", color="tab:red",
                    label=key)
            return
        line = ax.plot(steps, values, linewidth=0.6, alpha=0.35)[0]
        smooth = _moving_average(values, max(1, len(values) // 40))
        ax.plot(steps, smooth, linewidth=1.6, color=line.get_color(),
                label=key)


def _moving_average(values, window):
    """Trailing mean over up to `window` values (shorter at the start)."""
    if window <= 1:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


