"""Atomic file writes: a reader sees the old file or the new one, never
half of one.

Every writer here writes to a temporary name in the destination's folder,
flushes the data to the disk (`fsync`), then renames it over the
destination (`os.replace`, atomic on POSIX file systems) and syncs the
folder, so that a process killed at any moment (SIGKILL, the OOM killer,
a power cut after the rename) leaves either the previous version or the
complete new one. A leftover temporary file (`.<name>.tmp-...`) is the
only trace of a write that was interrupted.

A full disk (`ENOSPC`, also when TensorFlow's SavedModel writer reports
it) raises an `OSError` whose one-line message names the destination,
and leaves the destination as it was.

Paths with a URL scheme (e.g. `gs://`) are written through
`tf.io.gfile` and renamed there (not atomic on object stores).
"""

import contextlib
import errno
import json
import os
import shutil
import uuid

from keras_gan_losses.utils.lazy import tf


def is_remote(path):
    """Whether `path` is a URL (`gs://...`) rather than a local path."""
    return "://" in os.fspath(path)


def temporary_name(path):
    """A temporary sibling of `path` that keeps its suffixes (Keras checks
    them: `.keras`, `.weights.h5`), e.g. `dir/.model.tmp-1a2b.keras`."""
    path = os.fspath(path)
    directory, name = os.path.split(path)
    stem, dot, suffix = name.partition(".")
    tag = uuid.uuid4().hex[:8]
    temporary = f".{stem}.tmp-{tag}" + (dot + suffix if dot else "")
    return os.path.join(directory, temporary)


def is_temporary(name):
    """Whether a file name is one of `temporary_name`'s."""
    return name.startswith(".") and ".tmp-" in name


def fsync_directory(directory):
    """Flushes a folder's entries (a rename in it) to the disk."""
    directory = os.fspath(directory) or "."
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # Some file systems do not sync folders.
    finally:
        os.close(descriptor)


def fsync_file(path):
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def fsync_tree(root):
    """Flushes every file and folder under `root` to the disk."""
    for directory, _, files in os.walk(root):
        for name in files:
            fsync_file(os.path.join(directory, name))
        fsync_directory(directory)


def is_disk_full(error):
    """Whether an exception says the disk is full (also h5py's, which
    carry no errno, only the text)."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    text = str(error)
    return "No space left on device" in text or "errno = 28" in text


class WriteError(OSError):
    """An `OSError` whose text is its one-line message alone (it names the
    path already)."""

    def __str__(self):
        return self.strerror


def write_error(error, path, what="writing", note=""):
    """A one-line `WriteError` for a failed write of `path` (the
    destination, not the temporary name), keeping the errno; `note` is
    added to the message."""
    path = os.fspath(path)
    if is_disk_full(error):
        return WriteError(errno.ENOSPC, f"No space left on device while "
                          f"{what} {path}{note}", path)
    reason = " ".join(str(getattr(error, "strerror", None) or error).split())
    number = getattr(error, "errno", None) or errno.EIO
    return WriteError(number, f"Cannot write {path}: {reason}{note}", path)


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)


@contextlib.contextmanager
def replacing(path, directory=False):
    """Yields a temporary path to write; on success it replaces `path`.

    Args:
        path: The destination.
        directory: Whether the destination is a folder (e.g. a
            SavedModel). A folder cannot be renamed over a non-empty one:
            the old folder is first renamed aside, then removed, so for a
            moment `path` does not exist (but is never half written).

    Raises:
        OSError: with a one-line message naming `path`, if writing fails
            (a full disk included); `path` is then left as it was.
    """
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if is_remote(path):
        yield from _replacing_remote(path, directory)
        return
    if parent:
        os.makedirs(parent, exist_ok=True)
    temporary = temporary_name(path)
    try:
        yield temporary
        if directory:
            fsync_tree(temporary)
            _swap_directory(temporary, path)
        else:
            fsync_file(temporary)
            os.replace(temporary, path)
        fsync_directory(parent)
    except BaseException as error:
        _remove(temporary)
        # TensorFlow's writers (a SavedModel) raise their own errors for a
        # full disk, with the errno's text.
        if isinstance(error, OSError) or (
                isinstance(error, Exception) and is_disk_full(error)):
            raise write_error(error, path) from error
        raise


def _swap_directory(new, path):
    if not os.path.exists(path):
        os.rename(new, path)
        return
    old = temporary_name(path)
    os.rename(path, old)
    os.rename(new, path)
    shutil.rmtree(old, ignore_errors=True)


def _replacing_remote(path, directory):
    import tensorflow as tf

    temporary = temporary_name(path)
    try:
        yield temporary
        if directory and tf.io.gfile.exists(path):
            tf.io.gfile.rmtree(path)
        tf.io.gfile.rename(temporary, path, overwrite=True)
    except BaseException:
        if tf.io.gfile.exists(temporary):
            if tf.io.gfile.isdir(temporary):
                tf.io.gfile.rmtree(temporary)
            else:
                tf.io.gfile.remove(temporary)
        raise


def write_bytes(path, data):
    """Writes `data` to `path` atomically (see the module docstring)."""
    with replacing(path) as temporary:
        if is_remote(path):
            with tf.io.gfile.GFile(temporary, "wb") as file:
                file.write(data)
        else:
            with open(temporary, "wb") as file:
                file.write(data)


def makedirs(directory):
    """Creates `directory` and its parents (a `gs://` URL through
    `tf.io.gfile`; TensorFlow is imported only for URLs)."""
    if is_remote(directory):
        tf.io.gfile.makedirs(directory)
    else:
        os.makedirs(directory, exist_ok=True)


def exists(path):
    """Whether `path` exists (a local path, or a URL through `tf.io.gfile`)."""
    return tf.io.gfile.exists(path) if is_remote(path) else os.path.exists(
        path)


def read_bytes(path):
    """The bytes of the file at `path` (local, or a URL through
    `tf.io.gfile`)."""
    if is_remote(path):
        with tf.io.gfile.GFile(path, "rb") as file:
            return file.read()
    with open(path, "rb") as file:
        return file.read()


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, value, indent=2):
    """Writes `value` as JSON to `path` atomically (NaN and Infinity
    allowed, as Python's `json` reads them back)."""
    write_text(path, json.dumps(value, indent=indent, allow_nan=True) + "\n")
