"""`BackupAndRestore`: every worker restores, only the chief writes."""

import json

import keras
import numpy as np
import pytest
from nets import gan
from nets import images

from keras_gan_losses.callbacks import BackupAndRestore

WORKERS = {"worker": ["a:1", "b:1"]}


def _as_worker(monkeypatch, index):
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": WORKERS, "task": {"type": "worker", "index": index}}))


class _StopAfterEpoch(keras.callbacks.Callback):
    """Interrupts `fit` after `epoch` (0-based), as a preemption would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _interrupted_run(backup_dir):
    """A chief's run of 3 epochs stopped after its second epoch; returns the
    weights it had when the backup was written."""
    model = gan()
    with pytest.raises(KeyboardInterrupt):
        model.fit(images(), batch_size=8, epochs=3, verbose=0, shuffle=False,
                  callbacks=[BackupAndRestore(backup_dir),
                             _StopAfterEpoch(1)])
    return [v.numpy() for v in model.weights]


def _files(directory):
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_non_chief_restores_but_never_writes(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    backup = tmp_path / "backup"
    saved = _interrupted_run(backup)
    before = _files(backup)
    assert json.loads(before["training_metadata.json"])["epoch"] == 2

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


def test_chief_writes_resumes_and_deletes_as_keras_does(tmp_path,
                                                         monkeypatch):
    _as_worker(monkeypatch, 0)
    backup = tmp_path / "backup"
    _interrupted_run(backup)
    assert (backup / "latest.weights.h5").is_file()
    history = gan().fit(images(), batch_size=8, epochs=3, verbose=0,
                        callbacks=[BackupAndRestore(backup)])
    assert history.epoch == [2]
    assert not backup.exists()


def test_is_a_keras_backup_and_restore():
    callback = BackupAndRestore("somewhere", save_freq=5)
    assert isinstance(callback, keras.callbacks.BackupAndRestore)
    assert callback.save_freq == 5
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore("somewhere", save_freq="often")
