"""`BackupAndRestore`: exact resumes (mid-epoch too), damaged backups, a
full disk, SIGTERM and Ctrl-C, and multi-worker roles (every worker
restores, only the chief writes).

An interruption is an exception raised by a callback after a chosen
step, before any backup of that step; the resumed `fit` builds the model
and the dataset again, as a new process would.
"""

import errno
import json
import os
import pathlib
import signal

import keras
import numpy as np
import pytest
from nets import discriminator
from nets import gan
from nets import images

import keras_gan_losses as kgl
from keras_gan_losses.callbacks import BackupAndRestore
from keras_gan_losses.callbacks import BackupError
from keras_gan_losses.callbacks import BackupWarning
from keras_gan_losses.callbacks import TrainingInterrupted
from keras_gan_losses.callbacks import interruption
from keras_gan_losses.callbacks.backup_store import BackupStore

WORKERS = {"worker": ["a:1", "b:1"]}
EPOCHS = 3
#: 40 images in batches of 8: 5 steps per epoch, 15 in all.
STEPS = 5


def _as_worker(monkeypatch, index):
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": WORKERS, "task": {"type": "worker", "index": index}}))


class Kill(Exception):
    """Stands for a process killed after a training step."""


class KillAfterStep(keras.callbacks.Callback):
    """Raises `Kill` after the `step`-th training step of this `fit`
    (before any backup of that step: `GAN.fit` runs the backup last)."""

    def __init__(self, step):
        super().__init__()
        self.step = step
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            raise Kill(self.step)


def exact_gan():
    """A GAN with every kind of training state: dropout in the generator,
    an EMA generator, LeCam's moving averages, Adam's moments, the noise
    state."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(16, activation="tanh"),
        keras.layers.Reshape((4, 4, 1)),
    ])
    model = kgl.GAN(generator, discriminator(), seed=0, ema_decay=0.9)
    model.compile(jit_compile=False,
                  penalties=[kgl.penalties.LeCamPenalty(0.1)])
    return model


def shuffled(repeat=False):
    """A `load_images` pipeline reshuffled every epoch (seeded)."""
    dataset = kgl.data.load_images(images(40), batch_size=8, seed=3)
    return dataset.repeat() if repeat else dataset


def fit(model, callbacks=(), repeat=False):
    steps = STEPS if repeat else None
    return model.fit(shuffled(repeat), epochs=EPOCHS, verbose=0,
                     steps_per_epoch=steps, callbacks=list(callbacks))


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted run: its weights and epoch logs."""
    model = exact_gan()
    history = fit(model)
    return model.get_weights(), history.history


def assert_bit_identical(model, weights):
    got = model.get_weights()
    assert len(got) == len(weights)
    for a, b in zip(got, weights):
        np.testing.assert_array_equal(a, b)


def run_until_killed(backup_dir, step, repeat=False, **kwargs):
    model = exact_gan()
    with pytest.raises(Kill):
        fit(model, [BackupAndRestore(backup_dir, **kwargs),
                    KillAfterStep(step)], repeat)


def resume(backup_dir, repeat=False, **kwargs):
    model = exact_gan()
    callback = BackupAndRestore(backup_dir, **kwargs)
    history = fit(model, [callback], repeat)
    return model, history.history, callback


def test_resume_mid_epoch_is_bit_exact(tmp_path, reference):
    backup = str(tmp_path / "backup")
    # Killed after step 7 (epoch 2, batch 2): backups after steps 3 and 6.
    run_until_killed(backup, 7, save_freq=3)
    assert BackupStore(backup).names() == [
        "step-000000000006-epoch-000001", "step-000000000003-epoch-000000"]
    # Resumed at step 6 and killed again 4 steps later: the backup of step
    # 9 is in epoch 2 (Keras's own callback would write epoch 0 there).
    run_until_killed(backup, 4, save_freq=3)
    state = BackupStore(backup).read(BackupStore(backup).names()[0]).state
    assert (state["step"], state["epoch"], state["batch"]) == (9, 1, 4)
    model, history, callback = resume(backup, save_freq=3)
    assert callback.restored == {
        "name": "step-000000000009-epoch-000001", "epoch": 1, "batch": 4,
        "step": 9}
    assert_bit_identical(model, reference[0])
    # The resumed epoch's logs are the whole epoch's means, as
    # uninterrupted: the running means of its first 4 steps came back.
    for key, values in history.items():
        assert values == reference[1][key][1:], key
    assert not os.path.exists(backup)


def test_resume_mid_epoch_under_mirrored_strategy(tmp_path,
                                                 mirrored_strategy):
    # Two replicas: the epoch means under way are per-replica sums that
    # the restore splits again.
    def make():
        with mirrored_strategy.scope():
            return exact_gan()

    model = make()
    expected = fit(model).history
    backup = str(tmp_path / "backup")
    killed = make()
    with pytest.raises(Kill):
        fit(killed, [BackupAndRestore(backup, save_freq=3), KillAfterStep(7)])
    resumed = make()
    history = fit(resumed, [BackupAndRestore(backup, save_freq=3)]).history
    assert_bit_identical(resumed, model.get_weights())
    for key, values in history.items():
        assert values == pytest.approx(expected[key][1:], rel=1e-6), key


def test_resume_of_a_repeated_stream_is_bit_exact(tmp_path):
    model = exact_gan()
    fit(model, repeat=True)
    backup = str(tmp_path / "backup")
    run_until_killed(backup, 8, repeat=True)  # after epoch 1's backup
    resumed, _, callback = resume(backup, repeat=True)
    assert callback.restored["epoch"] == 1
    assert_bit_identical(resumed, model.get_weights())


def test_resume_with_arrays_shuffled_by_keras_is_bit_exact(tmp_path):
    # Keras shuffles arrays from TensorFlow's global seed, which
    # `exact_gan` sets (keras.utils.set_random_seed), as a new process
    # would.
    def fit_arrays(model, callbacks=()):
        model.fit(images(40), batch_size=8, epochs=EPOCHS, verbose=0,
                  shuffle=True, callbacks=list(callbacks))

    model = exact_gan()
    fit_arrays(model)
    backup = str(tmp_path / "backup")
    killed = exact_gan()
    with pytest.raises(Kill):
        fit_arrays(killed, [BackupAndRestore(backup, save_freq=3),
                            KillAfterStep(8)])
    resumed = exact_gan()
    fit_arrays(resumed, [BackupAndRestore(backup, save_freq=3)])
    assert_bit_identical(resumed, model.get_weights())


def test_backup_holds_the_dropout_seed_states(tmp_path):
    model = exact_gan()
    states = model._random_states()
    assert states, "the generator's dropout has a seed generator"
    before = [s.numpy().copy() for s in states]
    fit(model)
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    other = exact_gan()
    assert any(not np.array_equal(s.numpy(), b)
               for s, b in zip(states, before))
    other.load_weights(path)
    for a, b in zip(other._random_states(), states):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _damage(path, how):
    path = pathlib.Path(path)
    data = bytearray(path.read_bytes())
    if how == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_damaged_last_backup_falls_back_with_a_warning(tmp_path, reference):
    backup = str(tmp_path / "backup")
    run_until_killed(backup, 7, save_freq=2)
    newest, previous = BackupStore(backup).names()
    _damage(os.path.join(backup, newest, "model.weights.h5"), "truncate")
    with pytest.warns(BackupWarning) as caught:
        model, _, callback = resume(backup, save_freq=2)
    message = str(caught[0].message)
    assert newest in message and "truncated" in message
    assert f"restored the previous one, {previous}" in message
    assert callback.restored["name"] == previous
    # The older backup resumes exactly too.
    assert_bit_identical(model, reference[0])


def test_no_usable_backup_stops_with_one_line(tmp_path):
    backup = str(tmp_path / "backup")
    run_until_killed(backup, 7, save_freq=2)
    newest, previous = BackupStore(backup).names()
    _damage(os.path.join(backup, newest, "arrays.npz"), "flip")
    with open(os.path.join(backup, previous, "state.json"), "w") as file:
        file.write('{"format": 1, "epoch": ')
    files = sorted(os.listdir(backup))
    model = exact_gan()
    before = model.get_weights()
    with pytest.raises(BackupError) as error:
        fit(model, [BackupAndRestore(backup)])
    text = str(error.value)
    assert "\n" not in text
    assert f"{newest} (arrays.npz is damaged" in text
    assert f"{previous} (state.json is damaged" in text
    # Nothing was trained or restored, nothing deleted.
    assert_bit_identical(model, before)
    assert sorted(os.listdir(backup)) == files


def test_interrupted_first_backup_starts_over_with_a_warning(tmp_path,
                                                             reference):
    backup = tmp_path / "backup"
    (backup / ".step-000000000005-epoch-000001.tmp-1a2b").mkdir(
        parents=True)
    with pytest.warns(BackupWarning, match="only an interrupted write"):
        model, _, callback = resume(str(backup))
    assert callback.restored is None
    assert_bit_identical(model, reference[0])


def test_a_folder_of_other_files_is_refused(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    with pytest.raises(BackupError, match="notes.txt"):
        fit(exact_gan(), [BackupAndRestore(str(backup))])
    assert (backup / "notes.txt").read_text() == "mine"


def test_full_disk_stops_with_the_backup_named_and_keeps_the_last(
        tmp_path, monkeypatch, reference):
    backup = str(tmp_path / "backup")
    original = kgl.GAN.save_weights
    calls = []

    def disk_fills_up(self, filepath, *args, **kwargs):
        calls.append(filepath)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, filepath, *args, **kwargs)

    monkeypatch.setattr(kgl.GAN, "save_weights", disk_fills_up)
    with pytest.raises(OSError) as error:
        fit(exact_gan(), [BackupAndRestore(backup, save_freq=2)])
    text = str(error.value)
    assert error.value.errno == errno.ENOSPC
    assert "\n" not in text
    assert text.startswith("No space left on device while writing the "
                           "backup " + os.path.join(
                               backup, "step-000000000006-epoch-000001"))
    assert "the previous backup, step-000000000004-epoch-000000, is intact" \
        in text
    # The earlier backups are whole; nothing half-written is left.
    store = BackupStore(backup)
    assert store.names() == ["step-000000000004-epoch-000000",
                             "step-000000000002-epoch-000000"]
    assert store.leftovers() == []
    monkeypatch.setattr(kgl.GAN, "save_weights", original)
    model, _, _ = resume(backup, save_freq=2)
    assert_bit_identical(model, reference[0])


class SendSignal(keras.callbacks.Callback):
    def __init__(self, step, number, times=1):
        super().__init__()
        self.step, self.number, self.times = step, number, times
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            for _ in range(self.times):
                # Runs the handler before returning (os.kill may not).
                signal.raise_signal(self.number)


@pytest.mark.parametrize("name,step,where", [
    ("SIGINT", 7, (1, 2)),
    # After the last batch of epoch 1: the resumed epoch runs no step, its
    # logs are the restored means.
    ("SIGTERM", 5, (0, 5)),
])
def test_signal_backs_up_the_step_and_stops(tmp_path, reference, name,
                                            step, where):
    number = getattr(signal, name)
    handler = signal.getsignal(number)
    backup = str(tmp_path / "backup")
    with pytest.raises(TrainingInterrupted) as error:
        fit(exact_gan(), [BackupAndRestore(backup),
                          SendSignal(step, number)])
    epoch, batch = where
    assert str(error.value) == (
        f"Training interrupted by {name} at epoch {epoch + 1}, batch "
        f"{batch}; a backup of that step is in {backup}. To resume, run the "
        f"same fit again with BackupAndRestore({backup!r}).")
    assert signal.getsignal(number) == handler
    assert BackupStore(backup).names()[0] == (
        f"step-{step:012d}-epoch-{epoch:06d}")
    model, history, _ = resume(backup)
    assert_bit_identical(model, reference[0])
    for key, values in history.items():
        assert values == reference[1][key][epoch:], key


@pytest.fixture
def default_ctrl_c():
    """Python's own SIGINT handler (a process started in the background by
    a shell ignores SIGINT instead)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_second_ctrl_c_stops_at_once(tmp_path, default_ctrl_c):
    backup = str(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt) as error:
        fit(exact_gan(), [BackupAndRestore(backup),
                          SendSignal(2, signal.SIGINT, times=2)])
    assert not isinstance(error.value, TrainingInterrupted)
    assert not os.path.exists(backup)


def test_signal_watcher_hands_a_second_signal_back(default_ctrl_c):
    handler = signal.getsignal(signal.SIGINT)
    watcher = interruption.SignalWatcher([signal.SIGINT])
    watcher.install()
    try:
        assert signal.getsignal(signal.SIGINT) != handler
        signal.raise_signal(signal.SIGINT)
        assert watcher.received == "SIGINT" and watcher.is_set()
        # The first signal put the previous handler back.
        assert signal.getsignal(signal.SIGINT) == handler
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    finally:
        watcher.uninstall()


def test_save_on_signals_can_be_turned_off(tmp_path):
    handler = signal.getsignal(signal.SIGTERM)
    seen = []

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(signal.getsignal(signal.SIGTERM))

    fit(exact_gan(), [BackupAndRestore(str(tmp_path / "b"),
                                       save_on_signals=()), Probe()])
    assert seen == [handler]
    with pytest.raises(ValueError, match="Unknown signal 'SIGNOPE'"):
        BackupAndRestore("somewhere", save_on_signals=("SIGNOPE",))


# --- multi-worker roles ----------------------------------------------------


class _StopAfterEpoch(keras.callbacks.Callback):
    """Interrupts `fit` after `epoch` (0-based) and its backup, as a
    preemption would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch + 1:
            raise Kill(epoch)


def _interrupted_run(backup_dir):
    """A chief's run of 3 epochs stopped after its second epoch; returns the
    weights it had when the backup was written."""
    model = gan()
    with pytest.raises(Kill):
        model.fit(images(), batch_size=8, epochs=3, verbose=0, shuffle=False,
                  callbacks=[BackupAndRestore(backup_dir),
                             _StopAfterEpoch(1)])
    return [v.numpy() for v in model.weights]


def _files(directory):
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in directory.rglob("*") if p.is_file()}


def test_non_chief_restores_but_never_writes(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    backup = tmp_path / "backup"
    saved = _interrupted_run(backup)
    before = _files(backup)
    assert BackupStore(backup).names()[0].endswith("epoch-000002")

    _as_worker(monkeypatch, 1)
    model = gan()
    restored = []

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            restored.append([v.numpy() for v in self.model.weights])

    history = model.fit(images(), batch_size=8, epochs=3, verbose=0,
                        shuffle=False,
                        callbacks=[BackupAndRestore(backup), Probe()])
    # It resumed at the third epoch from the chief's weights ...
    assert history.epoch == [2]
    for got, want in zip(restored[0], saved):
        np.testing.assert_array_equal(got, want)
    # ... and neither rewrote nor deleted the chief's backup.
    assert _files(backup) == before


def test_non_chief_from_scratch_writes_nothing(tmp_path, monkeypatch):
    _as_worker(monkeypatch, 1)
    gan().fit(images(), batch_size=8, epochs=2, verbose=0,
              callbacks=[BackupAndRestore(tmp_path / "backup",
                                          save_freq=1,
                                          delete_checkpoint=False)])
    assert not (tmp_path / "backup").exists()


def test_chief_writes_resumes_and_deletes(tmp_path, monkeypatch):
    _as_worker(monkeypatch, 0)
    backup = tmp_path / "backup"
    _interrupted_run(backup)
    assert len(BackupStore(backup).names()) == 2
    history = gan().fit(images(), batch_size=8, epochs=3, verbose=0,
                        callbacks=[BackupAndRestore(backup)])
    assert history.epoch == [2]
    assert not backup.exists()


def test_is_a_keras_backup_and_restore():
    callback = BackupAndRestore("somewhere", save_freq=5)
    assert isinstance(callback, keras.callbacks.BackupAndRestore)
    assert callback.save_freq == 5
    assert callback.double_checkpoint
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore("somewhere", save_freq="often")
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore("somewhere", save_freq=0)


def test_short_disk_is_found_before_writing(tmp_path, monkeypatch):
    # HDF5 can crash the process on a full disk, so the free space is
    # checked first: the older backup goes if that makes room, else the
    # write stops with the sizes, before writing anything.
    from keras_gan_losses.callbacks import backup_store

    store = BackupStore(tmp_path / "backup")

    def weights(size):
        return lambda path: pathlib.Path(path).write_bytes(b"w" * size)

    store.write(1, 0, weights(100_000), {}, {})
    store.write(2, 0, weights(100_000), {}, {})
    sizes = {name: store._size(name) for name in store.names()}
    free = {"bytes": 10**9}
    monkeypatch.setattr(backup_store, "_free_bytes",
                        lambda directory: free["bytes"])
    # Room only once the older backup is gone.
    free["bytes"] = 120_000
    original_rmtree = backup_store.shutil.rmtree

    def rmtree(path, *args, **kwargs):
        if os.path.basename(path) in sizes:
            free["bytes"] += sizes[os.path.basename(path)]
        return original_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(backup_store.shutil, "rmtree", rmtree)
    store.write(3, 0, weights(100_000), {}, {})
    assert store.names() == ["step-000000000003-epoch-000000",
                             "step-000000000002-epoch-000000"]
    # Not even then: the older backup is gone (0.15 MB free), the newest
    # stays, nothing is written.
    free["bytes"] = 50_000
    written = []
    with pytest.raises(OSError) as error:
        store.write(4, 0, written.append, {}, {})
    assert written == []
    assert error.value.errno == errno.ENOSPC
    assert str(error.value) == (
        "No space left on device for the backup "
        f"{tmp_path / 'backup' / 'step-000000000004-epoch-000000'}: it needs "
        "about 0.2 MB and 0.1 MB is free; the previous backup, "
        "step-000000000003-epoch-000000, is intact. Free some space, then "
        "resume.")
    assert store.names() == ["step-000000000003-epoch-000000"]
