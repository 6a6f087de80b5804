"""What `GAN.fit` does for an exact resume from a backup.

A resumed `fit` must see the batches that the interrupted one would have
seen next. Keras (3.15) restarts the data from its beginning: a
`steps_per_epoch` run reads a repeated stream from its start again, and
a dataset that reshuffles every epoch (`shuffle(...,
reshuffle_each_iteration=True)`) draws, at the first epoch of the new
process, the order of the first epoch, not of the epoch being resumed.

`replay` makes Keras's own epoch iterator of the resumed `fit` read the
data exactly as the interrupted run had (the same iterators created in
the same order, each read as far), dropping the batches instead of
training on them, so that training continues with the next unseen batch
of the same stream. That is exact whenever reading the dataset again in a
new process yields the same batches in the same order: a seeded shuffle
(`kgl.data.load_images(seed=...)`, `Dataset.shuffle(..., seed=...)`),
no randomness from outside the pipeline, no files that change. The cost
is reading (not training on) the batches already trained on.

`GAN.fit` hands Keras's epoch iterator over through its
`_maybe_symbolic_build` hook (`capture_epoch_iterator`), and runs the
callbacks that back up training (`BackupAndRestore`) after the others
(`backups_last`), so that a backup holds the state the other callbacks
reached at that step.
"""

import warnings

import keras

from keras_gan_losses.utils.lazy import tf

#: The attribute of a callback that backs up training (runs last).
BACKS_UP = "backs_up_training"


def backups_last(callbacks):
    """`callbacks` (None, a list or a `CallbackList`) with the callbacks
    that back up training moved to the end, keeping the order otherwise;
    each is told the others (`set_peers`), whose states it backs up."""
    if callbacks is None:
        return callbacks
    items = list(callbacks.callbacks) if isinstance(
        callbacks, keras.callbacks.CallbackList) else list(callbacks)
    others = [c for c in items if not getattr(c, BACKS_UP, False)]
    backups = [c for c in items if getattr(c, BACKS_UP, False)]
    for backup in backups:
        if hasattr(backup, "set_peers"):
            backup.set_peers(others)
    ordered = others + backups
    if isinstance(callbacks, keras.callbacks.CallbackList):
        callbacks.callbacks[:] = ordered
        return callbacks
    return ordered


def capture_epoch_iterator(model, iterator):
    """Keeps the epoch iterator of the `fit` under way (the first one the
    hook sees: validation's come later) for `replay`."""
    if getattr(model, "_resume_fit_active", False) and getattr(
            model, "_resume_epoch_iterator", None) is None:
        object.__setattr__(model, "_resume_epoch_iterator", iterator)


def epoch_iterator_of(model):
    """The epoch iterator of the model's `fit` under way, or None (not a
    `GAN`, or not in `fit`)."""
    return getattr(model, "_resume_epoch_iterator", None)


def _drop(iterator, steps):
    """Reads `steps` batches and drops them; False if the data ran out."""
    for _ in range(steps):
        try:
            iterator.get_next()
        except (StopIteration, tf.errors.OutOfRangeError):
            return False
    return True


def replay(epoch_iterator, epochs, batches):
    """Makes the next epoch of `epoch_iterator` (Keras's, of one `fit`)
    first read and drop what `epochs` whole epochs and then `batches`
    batches of the next one read, then yield that epoch's remaining
    steps, numbered as in the interrupted run (from `batches`).

    Args:
        epoch_iterator: Keras's `EpochIterator` of the `fit` under way.
        epochs: Whole epochs to read and drop.
        batches: Batches of the following epoch to read and drop.
    """
    if epochs == 0 and batches == 0:
        return
    original = epoch_iterator._enumerate_iterator
    per_call = epoch_iterator.steps_per_execution

    def resumed():
        # One use: later epochs enumerate as Keras does.
        epoch_iterator._enumerate_iterator = original
        for _ in range(epochs):
            _drop_epoch(epoch_iterator, original, per_call)
        steps = original()
        for begin, end, iterator in steps:
            if begin < batches:
                if not _drop(iterator, per_call):
                    # Caught by Keras's loop, which ends the epoch.
                    raise tf.errors.OutOfRangeError(
                        None, None, "The data ran out while it was being "
                        "read to the backed-up position.")
                continue
            yield begin, end, iterator
            yield from steps
            return

    epoch_iterator._enumerate_iterator = resumed


def _drop_epoch(epoch_iterator, enumerate_epoch, per_call):
    """Reads one epoch as Keras's training loop would, dropping it."""
    with warnings.catch_warnings():
        # Keras warns when data of unknown length runs out, which ends
        # every epoch of such data; the real run warns on its own.
        warnings.simplefilter("ignore")
        with epoch_iterator.catch_stop_iteration():
            for _, _, iterator in enumerate_epoch():
                if not _drop(iterator, per_call):
                    raise StopIteration


def finished_before(callbacks, epochs):
    """Whether a backup restored by one of `callbacks` says that the
    `epochs` epochs were all trained (a `fit` that then runs none)."""
    for callback in getattr(callbacks, "callbacks", callbacks) or ():
        position = getattr(callback, "restored", None)
        if getattr(callback, BACKS_UP, False) and position is not None \
                and position["epoch"] >= epochs:
            return True
    return False


def stop_watching(callbacks):
    """Lets the backing-up callbacks put their signal handlers back, however
    `fit` ended (an exception skips Keras's `on_train_end`)."""
    for callback in getattr(callbacks, "callbacks", callbacks) or ():
        if getattr(callback, BACKS_UP, False) and hasattr(
                callback, "stop_watching"):
            callback.stop_watching()


def set_means_restored(model, restored):
    """Marks the epoch under way as resumed with its epoch means restored
    (set by `BackupAndRestore` at its start, cleared at its end), so that
    `GAN` logs them even if the epoch runs no step in this process."""
    object.__setattr__(model, "_resume_means_restored", bool(restored))


def means_restored(model):
    return getattr(model, "_resume_means_restored", False)
