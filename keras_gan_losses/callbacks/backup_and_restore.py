"""`BackupAndRestore`: back up training so that a killed run resumes
exactly where it was, whatever the moment it was killed."""

import os
import warnings

import keras
import numpy as np

from keras_gan_losses.callbacks import interruption
from keras_gan_losses.callbacks.backup_store import BackupError
from keras_gan_losses.callbacks.backup_store import BackupStore
from keras_gan_losses.callbacks.backup_store import decode
from keras_gan_losses.callbacks.backup_store import encode
from keras_gan_losses.models import resume
from keras_gan_losses.utils.chief import is_chief
from keras_gan_losses.utils.distribute import is_multi_worker


class BackupWarning(UserWarning):
    """A `BackupAndRestore` notice: a damaged backup skipped, or a backup
    folder without a complete backup."""


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Backs up training, and resumes an interrupted `fit` exactly.

    A subclass of `keras.callbacks.BackupAndRestore` with the same
    arguments, used the same way: pass it to `fit`, and after an
    interruption call the same `fit` again with the same callback (same
    `backup_dir`); it restores the last backup and training continues
    from there. What it adds to Keras's:

    - **Exact resume, at epoch ends and mid-epoch.** With `GAN.fit`, the
      resumed run ends with the same weights, bit for bit, as the
      uninterrupted one. A backup holds the weights of both networks and
      of the EMA generator, both optimizers' states, the noise state,
      LeCam's averages, the networks' random states (dropout), the epoch
      means under way, the states of the callbacks that keep one
      (`TrainingMonitor`, `TrainingCurves`, `kgl train`'s `history.csv`)
      and where in the data training was: the resumed `fit` reads the
      data again up to that batch, without training on it, and goes on
      from the next one (see below). `save_freq=N` backs up every `N`
      batches and resumes at that batch (Keras restarts the epoch).
    - **No half-written backup.** Each backup is written to a temporary
      folder, flushed to the disk and renamed into place; a kill at any
      moment leaves the previous backups as they were. The last two are
      kept (`double_checkpoint=True`, the default here). Each file's
      checksum is checked when it is read: a damaged backup (a truncated
      or corrupted file) is skipped with a `BackupWarning` naming it and
      what is wrong, and the previous one is restored. With no usable
      backup, `fit` stops with a `BackupError` naming each backup and its
      problem: it never starts again from scratch while backups exist. A
      folder holding only a write that was interrupted before the first
      backup was complete starts from scratch, with a `BackupWarning`.
    - **Full disk.** A backup that cannot be written stops `fit` with an
      `OSError` whose one-line message names the backup (`No space left
      on device while writing the backup ...; the previous backup, ...,
      is intact`); the earlier backups are untouched.
    - **SIGTERM and Ctrl-C** (`save_on_signals`): the step under way
      finishes, a backup of that step is written, and `fit` raises
      `TrainingInterrupted`, whose message says how to resume. A second
      signal acts as usual (Ctrl-C: `KeyboardInterrupt` at once). Under
      `MultiWorkerMirroredStrategy`, TensorFlow's
      `tf.distribute.experimental.PreemptionCheckpointHandler` makes
      every worker stop at the same step, whichever worker got the
      signal (polled every second), and the chief writes the backup.
    - **Multi-worker**: every worker restores (so that all resume from
      the same step); only the chief (see `is_chief`) writes and deletes
      the backup. Put `backup_dir` on a filesystem that every worker, and
      every replacement of a worker, can read. Restart all the workers
      with the same program, cluster, global batch size and `fit`
      arguments.

    What "exact" requires of the data: reading it again from the start
    in a new process must give the same batches in the same order as in
    the interrupted one. `keras_gan_losses.data.load_images(seed=...)`
    pipelines do (reshuffled every epoch, from the seed), as does any
    `tf.data` pipeline whose randomness is seeded (`shuffle(..., seed=)`,
    `stateless_*` ops) and whose files do not change; a `.repeat()`ed
    stream with `steps_per_epoch` is read on from the same position.
    NumPy arrays given to `fit` with `shuffle=True` are shuffled by Keras
    from TensorFlow's global seed: exact when every process calls
    `keras.utils.set_random_seed(seed)` with the same seed before `fit`.
    An unseeded shuffle gives another order after a restart: training
    resumes at the right step with the right state, on other batches.
    Reading the data up to the backed-up batch costs the time to read
    (not train on) it. With a plain
    `keras.Model` (not a `GAN`), a mid-epoch backup resumes at the start
    of its epoch, as Keras's does, with a `BackupWarning`.

    `GAN.fit` runs this callback after the others, so that a backup holds
    the state they reached at its step.

    Args:
        backup_dir (str): The backup folder (used by this callback only).
        save_freq (str | int | bool): `"epoch"` (default): back up at the
            end of every epoch; an int `N`: every `N` batches; `False`:
            only on a signal.
        double_checkpoint (bool): Keep the last two backups (default), to
            fall back on the previous one if the last is damaged; `False`
            keeps one.
        delete_checkpoint (bool): Whether the backup folder is deleted
            when `fit` ends normally. Defaults to `True`.
        save_on_signals (tuple[str, ...]): Signals on which to back up and
            stop, by name. Defaults to `("SIGTERM", "SIGINT")`; `()`
            leaves the signals alone.

    Attributes:
        restored (dict | None): Where the restored backup was taken
            (`name`, `epoch`, `batch`, `step`), or None if `fit` started
            from scratch.
        store (BackupStore): The backups on disk.

    Raises:
        BackupError: at the start of `fit`, if backups exist and none can
            be restored.
        TrainingInterrupted: after a backup, on a signal.

    Example:

    ```python
    gan.fit(dataset, epochs=50, callbacks=[
        keras_gan_losses.callbacks.BackupAndRestore("run/backup",
                                                    save_freq=200),
    ])
    # Killed? Run the same lines again: training resumes at the last
    # backup and ends as the uninterrupted run would have.
    ```
    """

    #: `GAN.fit` runs the callbacks that back up training last.
    backs_up_training = True

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=True,
                 delete_checkpoint=True,
                 save_on_signals=interruption.DEFAULT_SIGNALS):
        backup_dir = os.fspath(backup_dir) if backup_dir else backup_dir
        super().__init__(backup_dir, save_freq=save_freq,
                         double_checkpoint=double_checkpoint,
                         delete_checkpoint=delete_checkpoint)
        if save_freq is not False and isinstance(save_freq, int) and (
            save_freq < 1
        ):
            raise ValueError(
                "`save_freq` must be 'epoch', a positive int or False. "
                f"Received: save_freq={save_freq}"
            )
        self.save_on_signals = tuple(save_on_signals or ())
        self._watcher = interruption.SignalWatcher(
            interruption.signal_numbers(self.save_on_signals))
        self.store = BackupStore(self.backup_dir,
                                 keep=2 if double_checkpoint else 1)
        self.restored = None
        self.peers = []
        self._preemption = None
        self._preemption_dir = None

    def set_peers(self, callbacks):
        """The other callbacks of the `fit`; those with `get_state` and
        `set_state` have their state backed up and restored (`GAN.fit`
        calls this)."""
        self.peers = [c for c in callbacks if c is not self
                      and hasattr(c, "get_state") and hasattr(c, "set_state")]

    def _writes(self):
        chief = getattr(self, "_chief", None)
        return is_chief() if chief is None else chief

    # ------------------------------------------------------------------
    # restoring

    def on_train_begin(self, logs=None):
        """Restores the last usable backup (on every worker) and starts
        watching for signals."""
        self._chief = is_chief()
        self.restored = None
        self._pending_trackers = None
        self._epoch, self._batches, self._steps = 0, 0, 0
        self._epoch_start_steps = 0
        self._data_first_epoch = None
        self._saved_at = None
        self._first_epoch = True
        backup = self._restore()
        if backup is not None:
            self._resume_from(backup)
        self._watch()

    def _restore(self):
        """The backup restored into the model, or None (from scratch)."""
        store = self.store
        names = store.names()
        if not names:
            return self._nothing_to_restore()
        skipped = []
        for name in names:
            try:
                backup = store.read(name)
                self._load_weights(backup.weights_path)
            except Exception as error:  # noqa: BLE001 - named in the message
                skipped.append(f"{name} ({_one_line(error)})")
                continue
            if skipped:
                warnings.warn(
                    f"Skipped the backup {'; '.join(skipped)} in "
                    f"{self.backup_dir}; restored the previous one, {name}.",
                    BackupWarning, stacklevel=2,
                )
            return backup
        raise BackupError(
            f"No usable backup in {self.backup_dir}: {'; '.join(skipped)}. "
            "Nothing was restored; remove the folder to train from the "
            "beginning."
        )

    def _nothing_to_restore(self):
        store = self.store
        if store.has_keras_backup():
            warnings.warn(
                f"{self.backup_dir} holds a backup in Keras's format: it "
                "resumes at the start of its epoch, not exactly.",
                BackupWarning, stacklevel=3,
            )
            super().on_train_begin()
            return None
        if not os.path.isdir(self.backup_dir):
            return None
        others = store.others()
        if others:
            raise BackupError(
                f"{self.backup_dir} holds no backup of BackupAndRestore "
                f"but other files ({', '.join(others[:3])}): give the "
                "callback a folder of its own."
            )
        leftovers = store.leftovers()
        what = (f"only an interrupted write ({leftovers[0]})" if leftovers
                else "nothing")
        warnings.warn(
            f"{self.backup_dir} holds no complete backup ({what}): the "
            "first backup was never finished, so training starts from "
            "the beginning.", BackupWarning, stacklevel=3,
        )
        return None

    def _load_weights(self, path):
        model = self.model
        if not model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, the model must be "
                f"built before you call `fit()`. Model {model} is unbuilt."
            )
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        model.load_weights(path)

    def _resume_from(self, backup):
        state = backup.state
        epoch, batch, step = state["epoch"], state["batch"], state["step"]
        self.restored = {"name": backup.name, "epoch": epoch,
                         "batch": batch, "step": step}
        self.model._initial_epoch = epoch
        self._epoch, self._batches, self._steps = epoch, batch, step
        self._epoch_start_steps = step - batch
        self._data_first_epoch = state["data_first_epoch"]
        self._saved_at = (step, epoch)
        # Keras's batch counters: the next backup comes where the
        # uninterrupted run's would (Keras never restores its epoch).
        self._current_epoch = epoch
        self._last_batch_seen = max(batch - 1, 0)
        self._batches_seen_since_last_saving = state["since_save"]
        trackers = decode(state["trackers"], backup.arrays)
        if batch > 0:
            self._pending_trackers = trackers
        states = decode(state["callbacks"], backup.arrays)
        for key, peer in self._peer_keys():
            if key in states:
                peer.set_state(states[key])
        self._replay_data(epoch - self._data_first_epoch, batch)

    def _replay_data(self, epochs, batches):
        iterator = resume.epoch_iterator_of(self.model)
        if iterator is not None:
            resume.replay(iterator, epochs, batches)
        elif batches > 0:
            which = ("not a keras_gan_losses GAN"
                     if keras.backend.backend() == "tensorflow" else
                     f"on the {keras.backend.backend()} backend, where the "
                     "data is not replayed")
            warnings.warn(
                f"The backup in {self.backup_dir} was taken after batch "
                f"{batches} of epoch {self._epoch + 1}; this model "
                f"({which}) resumes at the start of that epoch, as Keras "
                "does.", BackupWarning, stacklevel=3,
            )

    def _peer_keys(self):
        """`(key, callback)` for the callbacks with a state; the key is
        the class name (numbered from the second one of a class)."""
        seen = {}
        for peer in self.peers:
            name = type(peer).__name__
            seen[name] = seen.get(name, 0) + 1
            yield (name if seen[name] == 1 else f"{name}#{seen[name]}"), peer

    def _trackers(self):
        """The variables of the epoch means (`GAN`: its running totals and
        counts)."""
        return list(self.model.metrics_variables)

    # ------------------------------------------------------------------
    # following training

    def on_epoch_begin(self, epoch, logs=None):
        """Puts back the epoch means of a mid-epoch backup (Keras resets
        them at each epoch's start) and checks for a signal."""
        if self._data_first_epoch is None:
            self._data_first_epoch = epoch
        resumed = self._first_epoch and self.restored is not None and (
            epoch == self.restored["epoch"])
        if not resumed:
            self._batches = 0
            self._epoch_start_steps = self._steps
        self._epoch = self._current_epoch = epoch
        self._first_epoch = False
        if resumed and self._pending_trackers is not None:
            # The totals are summed over the replicas on read; assigned in
            # the cross-replica context, TensorFlow gives each replica
            # value / num_replicas_in_sync (every worker's replicas), so
            # the sum read back is the value backed up.
            for variable, value in zip(self._trackers(),
                                       self._pending_trackers):
                variable.assign(np.asarray(value, variable.dtype))
            resume.set_means_restored(self.model, True)
        self._pending_trackers = None
        if self._preemption is None:
            self._check_signal()

    def on_train_batch_end(self, batch, logs=None):
        """Backs up every `save_freq` batches, and on a signal."""
        self._batches = batch + 1
        self._steps = self._epoch_start_steps + self._batches
        if self.save_freq not in ("epoch", False) and \
                self._should_save_on_batch(batch):
            self._save()
        if self._preemption is not None:
            self._preemption.save_checkpoint_if_preempted()
        else:
            self._check_signal()

    def on_epoch_end(self, epoch, logs=None):
        """Backs up at the end of an epoch (`save_freq="epoch"`)."""
        resume.set_means_restored(self.model, False)
        self._epoch, self._batches = epoch + 1, 0
        self._epoch_start_steps = self._steps
        self._current_epoch, self._last_batch_seen = epoch + 1, 0
        if self.save_freq == "epoch":
            self._save()
        if self._preemption is None:
            self._check_signal()

    def on_train_end(self, logs=None):
        """Stops watching for signals; deletes the backup after a completed
        `fit` (chief only, with `delete_checkpoint`)."""
        self.stop_watching()
        if self.delete_checkpoint and self._writes():
            self.store.remove()

    # ------------------------------------------------------------------
    # writing

    def _save(self):
        """Writes a backup of the current step (chief only), unless the
        last backup is of this step. Every worker calls it at the same
        steps."""
        position = (self._steps, self._epoch)
        if self._saved_at == position:
            return
        # The epoch means under way (none at an epoch's end). Under a
        # multi-worker strategy reading them is a collective: every worker
        # reads them.
        trackers = [np.asarray(v.numpy()) for v in self._trackers()] \
            if self._batches else []
        self._saved_at = position
        if not self._writes():
            return
        arrays = {}
        states = {key: peer.get_state() for key, peer in self._peer_keys()}
        state = {
            "epoch": self._epoch,
            "batch": self._batches,
            "step": self._steps,
            "data_first_epoch": self._data_first_epoch or 0,
            "since_save": int(self._batches_seen_since_last_saving),
            "trackers": encode(trackers, arrays, "tracker_"),
            "callbacks": encode(states, arrays, "callback_"),
        }
        self._saved_at = None
        self.store.write(self._steps, self._epoch,
                         lambda path: self.model.save_weights(path),
                         state, arrays, self._expected_bytes())
        self._saved_at = position

    def _expected_bytes(self):
        """About the size of a backup: the variables' bytes and HDF5's
        (about 2 KB) per variable."""
        model, seen, total = self.model, set(), 0
        variables = list(model.variables)
        for name in ("optimizer", "d_optimizer", "g_optimizer"):
            optimizer = getattr(model, name, None)
            if optimizer is not None:
                variables += list(optimizer.variables)
        for variable in variables:
            if id(variable) in seen:
                continue
            seen.add(id(variable))
            total += int(np.prod(variable.shape)) * np.dtype(
                variable.dtype).itemsize + 2048
        return total

    # ------------------------------------------------------------------
    # signals

    def _watch(self):
        if not self._watcher.signals:
            return
        self._watcher.install()
        strategy = getattr(self.model, "distribute_strategy", None)
        if is_multi_worker(strategy):
            self._preemption, self._preemption_dir = (
                interruption.preemption_handler(
                    strategy, self._watcher, save=self._save_on_preemption,
                    exit_=self._interrupt,
                )
            )

    def _save_on_preemption(self, *args, **kwargs):
        self._save()

    def stop_watching(self):
        """Puts the signal handlers back (`GAN.fit` calls it however `fit`
        ends)."""
        self._watcher.uninstall()
        preemption, self._preemption = self._preemption, None
        interruption.close_preemption_handler(preemption,
                                              self._preemption_dir)
        self._preemption_dir = None

    def _check_signal(self):
        if self._watcher.received is None:
            return
        self._save()
        self._interrupt()

    def _interrupt(self):
        name = self._watcher.received or "SIGTERM"
        self._watcher.uninstall()
        raise interruption.TrainingInterrupted(
            name, self._epoch, self._batches, self.backup_dir,
            wrote=self._writes(),
        )


def _one_line(error):
    text = " ".join(str(error).split())
    if len(text) > 300:
        text = text[:300] + "..."
    return text or type(error).__name__


def describe(position, epochs=None):
    """`epoch 3 of 20, batch 12` for a backup's position (1-based)."""
    total = f" of {epochs}" if epochs else ""
    if position["batch"] == 0:
        done = position["epoch"]
        return f"after epoch {done}{total}" if done else "at the start"
    return (f"epoch {position['epoch'] + 1}{total}, after batch "
            f"{position['batch']}")

