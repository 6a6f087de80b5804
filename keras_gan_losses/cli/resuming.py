"""How `kgl train` keeps a run's progress: its backup, resuming, and
stopping on signals.

The backup (`RUN_DIR/backup/`, `kgl.callbacks.BackupAndRestore`) is kept
until everything the run must produce is on disk (`model.keras`, the
SavedModel, `metrics.json`, ...), then removed last, atomically (renamed
aside, then deleted). So a run killed at any moment either still has its
backup, and `kgl train --resume RUN_DIR` continues it (training on from
the backed-up step, or, when training had finished, only finishing), or
is complete.

SIGTERM and SIGINT during training back up the step under way (see
`BackupAndRestore`); afterwards, while the run finishes, they stop it
with the same message: how to resume.
"""

import contextlib
import os
import shutil
import signal

import keras_gan_losses as kgl
from keras_gan_losses.callbacks.backup_and_restore import describe
from keras_gan_losses.callbacks.backup_store import BackupStore
from keras_gan_losses.utils import atomic

BACKUP = "backup"


def backup_callback(run_dir):
    """The run's `BackupAndRestore`: kept at the end of training (the
    finishing phase removes it, last)."""
    return kgl.callbacks.BackupAndRestore(str(run_dir / BACKUP),
                                          delete_checkpoint=False)


def last_position(run_dir):
    """Where the newest readable backup of the run was taken (`epoch`,
    `batch`), or None. (The restore itself checks and falls back again,
    with warnings.)"""
    store = BackupStore(run_dir / BACKUP)
    for name in store.names():
        try:
            state = store.read(name).state
        except ValueError:
            continue
        return {"epoch": state["epoch"], "batch": state["batch"]}
    return None


def resume_line(run_dir, epochs):
    """What `kgl train --resume` says it does, in one line."""
    position = last_position(run_dir)
    if position is None:
        if (run_dir / BACKUP).exists():
            return (f"Resuming the run in {run_dir}/: its backup holds no "
                    "usable step (see below)")
        return (f"Resuming the run in {run_dir}/: no backup was completed, "
                "so training starts from the beginning.")
    if position["epoch"] >= epochs and position["batch"] == 0:
        return (f"Resuming the run in {run_dir}/: its training had finished "
                f"({epochs} of {epochs} epochs in its backup); finishing it "
                "(model, export, metrics) without training again.")
    return (f"Resuming the run in {run_dir}/ from its backup "
            f"({describe(position, epochs)}).")


def resume_command(run_dir):
    return f"kgl train --resume {run_dir}"


def interrupted_message(error, run_dir, epochs):
    """The line for a run stopped by a signal: where, and how to resume."""
    name = getattr(error, "signal_name", None) or "Ctrl-C"
    position = None
    if hasattr(error, "epoch"):
        position = {"epoch": error.epoch, "batch": error.batch}
    where = ""
    if position:
        where = describe(position, epochs)
        where = f" at {where}" if where.startswith("epoch") else f" {where}"
    if (run_dir / BACKUP).exists():
        kept = f"the backup is in {run_dir}/{BACKUP}/"
    else:
        kept = "no backup was completed"
    return (f"interrupted by {name}{where}; {kept}. Resume with: "
            f"{resume_command(run_dir)}")


def remove_backup(run_dir):
    """Removes the backup atomically: renamed aside (so that a kill leaves
    either the whole backup or none), then deleted."""
    backup = run_dir / BACKUP
    if not backup.exists():
        return
    aside = atomic.temporary_name(backup)
    os.rename(backup, aside)
    atomic.fsync_directory(run_dir)
    shutil.rmtree(aside, ignore_errors=True)


def remove_stale(run_dir):
    """Deletes what interrupted atomic writes left in the run directory
    (`.name.tmp-...` files and folders)."""
    for entry in run_dir.iterdir():
        if atomic.is_temporary(entry.name):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM outside training (`kgl train` then stops as on Ctrl-C)."""

    signal_name = "SIGTERM"


@contextlib.contextmanager
def sigterm_as_interrupt():
    """SIGTERM raises `Terminated` (training's own handler, that backs up
    first, takes over during `fit`)."""
    def handle(number, frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handle)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
