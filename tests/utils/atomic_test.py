"""Atomic writes: the destination holds the old content or the new, and a
failed write (a full disk) names the destination in one line and leaves
it as it was."""

import builtins
import errno
import os

import pytest

from keras_gan_losses.utils import atomic


def test_temporary_names_keep_the_suffixes_keras_checks(tmp_path):
    name = atomic.temporary_name(tmp_path / "model.weights.h5")
    assert os.path.dirname(name) == str(tmp_path)
    base = os.path.basename(name)
    assert base.startswith(".model.tmp-") and base.endswith(".weights.h5")
    assert atomic.is_temporary(base)
    assert not atomic.is_temporary("model.keras")


def test_write_replaces_the_file(tmp_path):
    path = tmp_path / "sub" / "metrics.json"
    atomic.write_json(path, {"fid": 1.5})
    atomic.write_json(path, {"fid": float("nan")})
    assert path.read_text() == '{\n  "fid": NaN\n}\n'
    assert os.listdir(tmp_path / "sub") == ["metrics.json"]


def test_full_disk_names_the_file_and_keeps_the_old_one(tmp_path,
                                                        monkeypatch):
    path = tmp_path / "history.csv"
    path.write_text("old")
    real_open = builtins.open

    class FullDisk:
        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *args):
            self.file.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def fake_open(name, mode="r", *args, **kwargs):
        file = real_open(name, mode, *args, **kwargs)
        return FullDisk(file) if "w" in mode else file

    monkeypatch.setattr(builtins, "open", fake_open)
    with pytest.raises(OSError) as error:
        atomic.write_text(path, "new")
    monkeypatch.undo()
    assert error.value.errno == errno.ENOSPC
    assert str(error.value) == f"No space left on device while writing {path}"
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["history.csv"]


def test_h5py_style_disk_full_is_recognised():
    # h5py's errors carry no errno, only the text.
    error = OSError("Can't write data (file write failed: errno = 28, "
                    "error message = 'No space left on device')")
    assert atomic.is_disk_full(error)
    assert not atomic.is_disk_full(OSError(errno.EACCES, "Permission denied"))


def test_a_folder_is_replaced_whole(tmp_path):
    path = tmp_path / "generator_savedmodel"
    for content in ("first", "second"):
        with atomic.replacing(path, directory=True) as temporary:
            os.makedirs(temporary)
            with open(os.path.join(temporary, "saved_model.pb"), "w") as f:
                f.write(content)
    assert (path / "saved_model.pb").read_text() == "second"
    assert os.listdir(tmp_path) == ["generator_savedmodel"]
    with pytest.raises(RuntimeError), atomic.replacing(
            path, directory=True) as temporary:
        os.makedirs(temporary)
        raise RuntimeError("export failed")
    assert (path / "saved_model.pb").read_text() == "second"
    assert os.listdir(tmp_path) == ["generator_savedmodel"]


def test_tensorflow_disk_full_error_is_named_too(tmp_path):
    # TensorFlow's SavedModel writer reports a full disk as its own error.
    import tensorflow as tf

    path = tmp_path / "generator_savedmodel"
    with pytest.raises(OSError) as error, atomic.replacing(
            path, directory=True) as temporary:
        os.makedirs(temporary)
        raise tf.errors.ResourceExhaustedError(
            None, None, f"{temporary}/variables/x.tempstate1; No space left "
            "on device [Op:SaveV2]")
    assert error.value.errno == errno.ENOSPC
    assert str(error.value) == f"No space left on device while writing {path}"
    assert os.listdir(tmp_path) == []
