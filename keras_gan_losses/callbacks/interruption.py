"""Stopping training on SIGTERM and SIGINT after a backup.

Schedulers and cloud VMs send SIGTERM some time before they kill a
process; Ctrl-C sends SIGINT. `SignalWatcher` turns either into a flag
that `BackupAndRestore` reads after each training step: it then writes a
backup at that step and raises `TrainingInterrupted`. A second signal
gets the usual behaviour (a `KeyboardInterrupt` for Ctrl-C, the end of
the process for SIGTERM): the watcher puts the previous handlers back
as soon as the first signal arrives.

Under `MultiWorkerMirroredStrategy` one worker's signal must stop every
worker at the same step: `preemption_handler` builds TensorFlow's
`tf.distribute.experimental.PreemptionCheckpointHandler`, which agrees
on that step through the cluster's coordination service, with the
watcher's flag as its termination notice and the backup as its save.
"""

import contextlib
import os
import shutil
import signal
import tempfile
import threading

#: The signals a `BackupAndRestore` saves on by default.
DEFAULT_SIGNALS = ("SIGTERM", "SIGINT")


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal, after a backup at the current step.

    A `KeyboardInterrupt` (not an `Exception`), so that code catching
    errors does not swallow it.

    Attributes:
        signal_name (str): `"SIGTERM"` or `"SIGINT"`.
        epoch (int): The epoch in progress, counted from 0.
        batch (int): Batches of that epoch done.
        backup_dir (str): Where the backup is.
    """

    def __init__(self, signal_name, epoch, batch, backup_dir, wrote=True):
        self.signal_name = signal_name
        self.epoch = epoch
        self.batch = batch
        self.backup_dir = backup_dir
        where = (f"epoch {epoch + 1}" if batch == 0 else
                 f"epoch {epoch + 1}, batch {batch}")
        saved = ("a backup of that step is in" if wrote else
                 "the chief worker backs that step up in")
        super().__init__(
            f"Training interrupted by {signal_name} at {where}; {saved} "
            f"{backup_dir}. To resume, run the same fit again with "
            f"BackupAndRestore({backup_dir!r})."
        )


def signal_numbers(names):
    """Signal numbers of `names` (e.g. `("SIGTERM", "SIGINT")`)."""
    numbers = []
    for name in names or ():
        number = getattr(signal, str(name), None)
        if not isinstance(number, signal.Signals):
            raise ValueError(
                f"Unknown signal {name!r}: pass names such as 'SIGTERM' "
                "and 'SIGINT'."
            )
        numbers.append(number)
    return numbers


class SignalWatcher:
    """Records the first of `signals` that arrives while installed.

    Args:
        signals: Signal numbers.
    """

    def __init__(self, signals):
        self.signals = list(signals)
        self.received = None
        self._previous = {}

    def install(self):
        """Installs the handlers (only the main thread can)."""
        self.received = None
        if threading.current_thread() is not threading.main_thread():
            return
        for number in self.signals:
            self._previous[number] = signal.signal(number, self._handle)

    def uninstall(self):
        """Puts the previous handlers back (those still ours)."""
        previous, self._previous = self._previous, {}
        for number, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                if signal.getsignal(number) == self._handle:
                    signal.signal(number, handler)

    def _handle(self, number, frame):
        if self.received is None:
            self.received = signal.Signals(number).name
        # A second signal acts as it would without us.
        self.uninstall()

    def is_set(self):
        """Whether a signal arrived (for `TerminationConfig`)."""
        return self.received is not None


def preemption_handler(strategy, watcher, save, exit_):
    """A `PreemptionCheckpointHandler` for a multi-worker strategy.

    It polls `watcher` (every second, in a thread), agrees with the other
    workers on the step at which to stop, calls `save()` there on every
    worker, then `exit_()`. It keeps no checkpoint of its own (its
    folder is a temporary one, returned to be removed afterwards).

    Returns:
        `(handler, folder)`.
    """
    import tensorflow as tf

    folder = tempfile.mkdtemp(prefix="kgl-preemption-")
    config = tf.distribute.experimental.TerminationConfig(
        termination_watcher_fn=watcher.is_set, exit_fn=exit_,
        save_fn=save,
    )
    handler = tf.distribute.experimental.PreemptionCheckpointHandler(
        strategy.cluster_resolver, tf.train.Checkpoint(),
        checkpoint_dir=os.path.join(folder, "checkpoint"),
        termination_config=config,
    )
    return handler, folder


def close_preemption_handler(handler, folder, timeout=10.0):
    """Stops the handler's threads and removes its folder.

    The handler's own clean-up (its `__del__`) tells its peer-watching
    thread to stop through the coordination service and joins it; with
    the cluster gone (a worker died) that can block, so it runs in a
    daemon thread given `timeout` seconds.
    """
    if handler is not None:
        def close():
            with contextlib.suppress(Exception):
                handler.__del__()

        closing = threading.Thread(target=close, daemon=True)
        closing.start()
        closing.join(timeout)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
