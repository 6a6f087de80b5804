"""Under JAX and PyTorch, the package works without TensorFlow installed:
importing it, training a conditional GAN with EMA, a penalty and the
callbacks (monitor, sample grids, curves, FID, backups), generating,
saving and loading (each backend in a process of its own, on a Python
path holding the virtual environment's packages except TensorFlow's)."""

import json
import os
import pathlib
import site
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("no_tensorflow_script.py")
REPO = pathlib.Path(__file__).resolve().parents[2]
#: Distributions left out: TensorFlow and what exists only to serve it.
WITHOUT = ("tensorflow", "tf_keras", "tf2onnx", "tensorboard")


def packages_without_tensorflow(folder):
    """A folder of links to every installed package but TensorFlow's."""
    folder.mkdir()
    for packages in map(pathlib.Path, site.getsitepackages()):
        for entry in packages.iterdir():
            if entry.name.lower().startswith(WITHOUT):
                continue
            if not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    return packages_without_tensorflow(
        tmp_path_factory.mktemp("site") / "packages")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_trains_saves_and_loads_without_tensorflow(backend, packages,
                                                   tmp_path):
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join([str(packages), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-S", str(SCRIPT), str(tmp_path)], env=env,
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["backend"] == backend
    assert report["tensorflow_installed"] is False  # the set-up holds
    assert report["tensorflow_after_import"] is False
    assert report["tensorflow_at_end"] is False
    assert report["g_steps"] == 8  # 2 epochs of 4 batches
    assert report["grids"] == ["epoch_0001.png", "epoch_0002.png"]
    assert report["curves"] is True
    assert len(report["fid"]) == 2 and all(f > 0 for f in report["fid"])
    assert report["max_difference_after_load"] < 1e-6
