"""The backups of `BackupAndRestore` on disk: written atomically, checked
when read, the last ones kept.

Each backup is a folder of the backup directory named after where it
was taken, `step-000000000045-epoch-000003` (training steps done, then
the epoch in progress), so that names sort in training order. It holds:

- `model.weights.h5`: `model.save_weights` (both networks, the EMA
  generator, both optimizers, the noise state, LeCam's averages, the
  networks' random states);
- `arrays.npz`: the arrays of the state (the epoch means under way, the
  callbacks' arrays);
- `state.json`: where the backup was taken, the callbacks' states, and
  the size and SHA-256 of the other two files. It is written last.

A backup is written into a temporary folder (`.step-...tmp-...`), every
file flushed to the disk, then renamed into place: a backup folder is
complete, or it is not there. A damaged one (a truncated or corrupted
file, a disk error) is found by its checksums when it is read.
"""

import dataclasses
import hashlib
import json
import os
import re
import shutil

import numpy as np

from keras_gan_losses.utils import atomic

WEIGHTS = "model.weights.h5"
ARRAYS = "arrays.npz"
STATE = "state.json"
#: The format of `state.json`.
FORMAT = 1
_NAME = re.compile(r"^step-(\d{12})-epoch-(\d{6})$")
#: The files of a backup written by `keras.callbacks.BackupAndRestore`.
KERAS_FILES = ("latest.weights.h5", "training_metadata.json")


class BackupError(RuntimeError):
    """No backup in a backup folder can be restored."""


def backup_name(step, epoch):
    """The folder name of a backup after `step` steps, in epoch `epoch`."""
    return f"step-{int(step):012d}-epoch-{int(epoch):06d}"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_record(path):
    return {"bytes": os.path.getsize(path), "sha256": _sha256(path)}


def encode(value, arrays, prefix):
    """`value` with its NumPy arrays replaced by `{"__array__": key}`,
    the arrays put into `arrays` under new keys starting with `prefix`."""
    if isinstance(value, np.ndarray):
        key = f"{prefix}{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, dict):
        return {str(k): encode(v, arrays, prefix) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v, arrays, prefix) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode(value, arrays):
    """The inverse of `encode`."""
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return np.asarray(arrays[value["__array__"]])
        return {k: decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v, arrays) for v in value]
    return value


@dataclasses.dataclass
class Backup:
    """A backup read from disk: its folder name, its `state.json`, its
    arrays and the path of its weights file."""

    name: str
    state: dict
    arrays: dict
    weights_path: str


class BackupStore:
    """The backups in one folder.

    Args:
        directory: The backup folder.
        keep: How many of the newest backups to keep (at least 1).
    """

    def __init__(self, directory, keep=2):
        self.directory = os.fspath(directory)
        self.keep = max(1, int(keep))

    def names(self):
        """The complete backups, newest first."""
        if not os.path.isdir(self.directory):
            return []
        found = [n for n in os.listdir(self.directory) if _NAME.match(n)]
        return sorted(found, key=lambda n: tuple(
            int(g) for g in _NAME.match(n).groups()), reverse=True)

    def leftovers(self):
        """Temporary folders of writes that were interrupted."""
        if not os.path.isdir(self.directory):
            return []
        return sorted(n for n in os.listdir(self.directory)
                      if atomic.is_temporary(n))

    def has_keras_backup(self):
        """Whether the folder holds a backup in Keras's own format."""
        return os.path.isfile(os.path.join(self.directory, KERAS_FILES[0]))

    def others(self):
        """Entries that are neither backups nor temporary folders."""
        if not os.path.isdir(self.directory):
            return []
        ours = set(self.names()) | set(self.leftovers()) | set(KERAS_FILES)
        ours |= {f"{name}.bkp" for name in KERAS_FILES}
        return sorted(n for n in os.listdir(self.directory) if n not in ours)

    # ------------------------------------------------------------------
    # writing

    def write(self, step, epoch, save_weights, state, arrays,
              expected_bytes=0):
        """Writes a backup atomically and removes the older ones beyond
        `keep`; returns its name.

        Args:
            step, epoch: Where the backup is taken (its name).
            save_weights: A function writing the weights to the path it is
                given.
            state: A JSON-ready dict, stored in `state.json`.
            arrays: A dict of NumPy arrays, stored in `arrays.npz`.
            expected_bytes: About how large the backup will be, before
                there is an earlier one to go by (see `_make_room`).

        Raises:
            OSError: with a one-line message naming the backup, if it
                cannot be written (a full disk included); the backups
                already there are left as they were.
        """
        name = backup_name(step, epoch)
        final = os.path.join(self.directory, name)
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as error:
            raise atomic.write_error(error, final,
                                     "writing the backup") from error
        self._remove_leftovers()
        self._make_room(final, expected_bytes)
        temporary = atomic.temporary_name(final)
        try:
            os.makedirs(temporary)
            save_weights(os.path.join(temporary, WEIGHTS))
            with open(os.path.join(temporary, ARRAYS), "wb") as file:
                np.savez(file, **arrays)
            files = {f: _file_record(os.path.join(temporary, f))
                     for f in (WEIGHTS, ARRAYS)}
            with open(os.path.join(temporary, STATE), "w",
                      encoding="utf-8") as file:
                json.dump({"format": FORMAT, **state, "files": files}, file,
                          indent=1, allow_nan=True)
            atomic.fsync_tree(temporary)
            if os.path.exists(final):
                aside = atomic.temporary_name(final)
                os.rename(final, aside)
                shutil.rmtree(aside, ignore_errors=True)
            os.rename(temporary, final)
            atomic.fsync_directory(self.directory)
        except BaseException as error:
            shutil.rmtree(temporary, ignore_errors=True)
            if isinstance(error, OSError) or atomic.is_disk_full(error):
                intact = [n for n in self.names() if n != name]
                kept = (f"; the previous backup, {intact[0]}, is intact"
                        if intact else "")
                raise atomic.write_error(
                    error, final, "writing the backup",
                    f"{kept}. Free some space, then resume" if
                    atomic.is_disk_full(error) else kept) from error
            raise
        self._prune()
        return name

    def _make_room(self, final, expected_bytes):
        """Checks that the disk has room for the backup before writing it.

        HDF5 (h5py, under `save_weights`) does not fail cleanly on a full
        disk: it can crash the process. So the free space is checked
        first, against the size of the newest backup (or, for the first,
        `expected_bytes`) and a margin. When the disk is short, the
        older backups beyond the newest are removed first (the newest
        stays); if that is not enough, a one-line `OSError` (`ENOSPC`)
        names the backup, the space it needs and the space free.
        """
        names = self.names()
        needed = self._size(names[0]) if names else int(expected_bytes)
        needed = int(needed * 1.05) + (1 << 16)
        for old in names[1:]:
            if _free_bytes(self.directory) >= needed:
                break
            shutil.rmtree(os.path.join(self.directory, old),
                          ignore_errors=True)
        free = _free_bytes(self.directory)
        if free >= needed:
            return
        kept = f"; the previous backup, {names[0]}, is intact" if names \
            else ""
        raise atomic.WriteError(
            28, f"No space left on device for the backup {final}: it "
            f"needs about {_megabytes(needed)} and {_megabytes(free)} "
            f"{'is' if free < 2**20 else 'are'} free{kept}. Free some "
            "space, then resume.", final)

    def _size(self, name):
        folder = os.path.join(self.directory, name)
        return sum(os.path.getsize(os.path.join(folder, f))
                   for f in os.listdir(folder))

    def _remove_leftovers(self):
        for name in self.leftovers():
            shutil.rmtree(os.path.join(self.directory, name),
                          ignore_errors=True)

    def _prune(self):
        for name in self.names()[self.keep:]:
            shutil.rmtree(os.path.join(self.directory, name),
                          ignore_errors=True)

    def remove(self):
        """Deletes the backup folder."""
        shutil.rmtree(self.directory, ignore_errors=True)

    # ------------------------------------------------------------------
    # reading

    def read(self, name):
        """The backup `name`, checked against its checksums.

        Raises:
            ValueError: naming what is wrong (a missing, truncated or
                damaged file, unreadable JSON).
        """
        folder = os.path.join(self.directory, name)
        state_path = os.path.join(folder, STATE)
        if not os.path.isfile(state_path):
            raise ValueError(f"{STATE} is missing")
        try:
            with open(state_path, encoding="utf-8") as file:
                state = json.load(file)
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError(f"{STATE} is damaged ({_short(error)})") \
                from error
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"{STATE} is not of format {FORMAT}")
        for file_name, record in state.get("files", {}).items():
            path = os.path.join(folder, file_name)
            if not os.path.isfile(path):
                raise ValueError(f"{file_name} is missing")
            size = os.path.getsize(path)
            if size != record["bytes"]:
                raise ValueError(f"{file_name} is truncated ({size} of "
                                 f"{record['bytes']} bytes)")
            if _sha256(path) != record["sha256"]:
                raise ValueError(f"{file_name} is damaged (its SHA-256 "
                                 "does not match)")
        try:
            with np.load(os.path.join(folder, ARRAYS)) as stored:
                arrays = {key: stored[key] for key in stored.files}
        except (OSError, ValueError) as error:
            raise ValueError(f"{ARRAYS} is unreadable ({_short(error)})") \
                from error
        return Backup(name, state, arrays, os.path.join(folder, WEIGHTS))


def _short(error):
    return " ".join(str(error).split()) or type(error).__name__


def _free_bytes(directory):
    return shutil.disk_usage(directory).free


def _megabytes(count):
    return f"{count / 2**20:.1f} MB"
