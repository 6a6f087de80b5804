"""Runs `kgl train` in this process and kills it at a chosen point (not
collected by pytest; run by `kill_resume_test.py` and
`benchmarks/kill_resume.py`).

    python kill_driver.py POINT [kgl train arguments...]

POINT is one of:

- `none`: no kill;
- `batch:E:B`: SIGKILL after batch B of epoch E (both 0-based);
- `sigterm:E:B`: SIGTERM to this process after batch B of epoch E;
- `backup-write:N`: SIGKILL inside the N-th backup write of this process
  (1-based), once its weights file is in the temporary folder;
- `finish:model`: SIGKILL after `model.keras` is written to its temporary
  name, before it is renamed into place;
- `finish:backup`: SIGKILL while the backup is being removed, after it
  was renamed aside.
"""

import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _kill():
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _after_batch(epoch, batch, action):
    from keras_gan_losses.cli import history_csv

    original = history_csv.HistoryCSV.on_train_batch_end
    state = {"epoch": None}
    original_begin = history_csv.HistoryCSV.on_epoch_begin

    def on_epoch_begin(self, index, logs=None):
        state["epoch"] = index
        return original_begin(self, index, logs)

    def on_train_batch_end(self, index, logs=None):
        original(self, index, logs)
        if state["epoch"] == epoch and index == batch:
            action()

    history_csv.HistoryCSV.on_epoch_begin = on_epoch_begin
    history_csv.HistoryCSV.on_train_batch_end = on_train_batch_end


def _in_backup_write(count):
    from keras_gan_losses.callbacks import backup_store

    original = backup_store.BackupStore.write
    calls = []

    def write(self, step, epoch, save_weights, *args, **kwargs):
        calls.append(step)

        def save_then_die(path):
            save_weights(path)
            if len(calls) == count:
                _kill()

        return original(self, step, epoch, save_then_die, *args, **kwargs)

    backup_store.BackupStore.write = write


def _in_model_save():
    import keras_gan_losses as kgl

    original = kgl.GAN.save

    def save(self, filepath, *args, **kwargs):
        original(self, filepath, *args, **kwargs)
        if str(filepath).endswith(".keras") and \
                os.path.basename(filepath) != "model.keras":
            _kill()

    kgl.GAN.save = save


def _in_backup_removal():
    import shutil

    original = shutil.rmtree

    def rmtree(path, *args, **kwargs):
        if ".backup.tmp-" in str(path):
            _kill()
        return original(path, *args, **kwargs)

    shutil.rmtree = rmtree


def arm(point):
    kind, _, rest = point.partition(":")
    if kind == "none":
        return
    if kind in ("batch", "sigterm"):
        epoch, batch = (int(v) for v in rest.split(":"))
        action = _kill if kind == "batch" else (
            lambda: os.kill(os.getpid(), signal.SIGTERM))
        _after_batch(epoch, batch, action)
    elif kind == "backup-write":
        _in_backup_write(int(rest))
    elif point == "finish:model":
        _in_model_save()
    elif point == "finish:backup":
        _in_backup_removal()
    else:
        raise SystemExit(f"unknown point {point!r}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    import keras_gan_losses_cli as cli

    arm(sys.argv[1])
    sys.exit(cli.run(sys.argv[2:]))
