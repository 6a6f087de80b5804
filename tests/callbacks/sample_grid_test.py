"""`SampleGrid`: PNG grids of fixed-latent samples written during fit."""

import os

import keras
import numpy as np
import pytest
from nets import CLASSES
from nets import conditional_discriminator
from nets import constant_generator
from nets import discriminator
from nets import gan
from nets import generator
from nets import images
from nets import label_generator
from PIL import Image

from keras_gan_losses.callbacks import SampleGrid
from keras_gan_losses.data import to_uint8
from keras_gan_losses.visualization import make_grid


def _read(path):
    with Image.open(path) as png:
        return png.mode, png.size, np.asarray(png)


def _cells(pixels, rows, cols, h=4, w=4, pad=2):
    """The images of a grid, shape (rows, cols, h, w)."""
    return np.stack([np.stack([
        pixels[pad + r * (h + pad):pad + r * (h + pad) + h,
               pad + c * (w + pad):pad + c * (w + pad) + w]
        for c in range(cols)]) for r in range(rows)])


@pytest.mark.backends
def test_fit_writes_one_png_per_epoch(tmp_path):
    model = gan()
    callback = SampleGrid(tmp_path / "samples", num_samples=9, seed=3)
    model.fit(images(), batch_size=8, epochs=2, verbose=0,
              callbacks=[callback])
    names = sorted(os.listdir(tmp_path / "samples"))
    assert names == ["epoch_0001.png", "epoch_0002.png"]
    assert callback.paths == [str(tmp_path / "samples" / n) for n in names]
    mode, size, pixels = _read(callback.paths[-1])
    assert mode == "L"
    # 9 samples -> 3 x 3 cells of 4 x 4 pixels, 2 pixels of padding.
    assert size == (3 * (4 + 2) + 2, 3 * (4 + 2) + 2)
    cells = _cells(pixels, 3, 3)
    assert cells.std() > 0 and len(np.unique(cells)) > 9
    # The grid shows gan.generate(9, seed=3), mapped from tanh's [-1, 1].
    assert callback.value_range == (-1.0, 1.0)
    expected = make_grid(to_uint8(model.generate(9, seed=3), (-1, 1)))
    np.testing.assert_array_equal(pixels, expected[..., 0])


def test_latents_are_fixed_across_epochs(tmp_path):
    model = gan()
    callback = SampleGrid(tmp_path, num_samples=4)
    callback.set_model(model)
    first = _read(callback.write(0))[2]
    again = _read(callback.write(1))[2]
    np.testing.assert_array_equal(first, again)
    model.fit(images(), batch_size=8, epochs=1, verbose=0)
    trained = _read(callback.write(2))[2]
    assert not np.array_equal(first, trained)
    assert sorted(os.listdir(tmp_path)) == [
        "epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]


def _simulate_fit(callback, model, epochs, stop_after=None):
    """Calls the hooks in the order `fit` does, without training."""
    callback.set_model(model)
    callback.set_params({"epochs": epochs, "steps": 1, "verbose": 0})
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {})
        if epoch == stop_after:
            break
    callback.on_train_end()


def test_every_n_epochs_and_last_epoch(tmp_path):
    callback = SampleGrid(tmp_path, every_n_epochs=2, num_samples=4)
    _simulate_fit(callback, gan(), epochs=5)
    assert sorted(os.listdir(tmp_path)) == [
        "epoch_0002.png", "epoch_0004.png", "epoch_0005.png"]


def test_early_stop_writes_the_last_epoch(tmp_path):
    callback = SampleGrid(tmp_path, every_n_epochs=5, num_samples=4)
    _simulate_fit(callback, gan(), epochs=10, stop_after=1)
    assert os.listdir(tmp_path) == ["epoch_0002.png"]


def test_file_names_widen_for_long_runs(tmp_path):
    callback = SampleGrid(tmp_path)
    callback.set_params({"epochs": 20000})
    assert callback.filename(41) == "epoch_00042.png"
    assert sorted([callback.filename(9998), callback.filename(10000)]) == [
        callback.filename(9998), callback.filename(10000)]


@pytest.mark.parametrize("bias,activation,expected", [
    (-20.0, "tanh", 0),       # tanh = -1 -> 0
    (20.0, "tanh", 255),      # tanh = 1 -> 255
    (0.5, "tanh", 186),       # (tanh(0.5) + 1) * 127.5; as [0, 1]: 118
    (-20.0, "sigmoid", 0),    # sigmoid = 0 -> 0
    (0.0, "sigmoid", 128),    # 0.5 * 255; as [-1, 1] it would be 191
    (20.0, "sigmoid", 255),
    (0.5, None, 128),         # linear, no negative value: [0, 1]
    (-0.5, None, 64),         # linear, negative values: [-1, 1]
])
def test_value_range_follows_the_output_activation(tmp_path, bias,
                                                   activation, expected):
    model = gan(constant_generator(bias, activation))
    callback = SampleGrid(tmp_path, num_samples=4, padding=0)
    callback.set_model(model)
    pixels = _read(callback.write(0))[2]
    assert pixels.shape == (8, 8)
    assert np.all(pixels == expected), np.unique(pixels)


def test_explicit_value_range(tmp_path):
    model = gan(constant_generator(0.0, "sigmoid"))  # outputs 0.5
    callback = SampleGrid(tmp_path, num_samples=1, padding=0,
                          value_range=(-1, 1))
    callback.set_model(model)
    assert np.all(_read(callback.write(0))[2] == 191)


def test_conditional_grid_has_one_class_per_row(tmp_path):
    model = gan(label_generator(), conditional_discriminator(),
                num_classes=CLASSES)
    callback = SampleGrid(tmp_path, num_samples=10, value_range=(0, 2))
    callback.set_model(model)
    mode, size, pixels = _read(callback.write(0))
    cols = 10 // CLASSES
    assert size == (cols * (4 + 2) + 2, CLASSES * (4 + 2) + 2)
    cells = _cells(pixels, CLASSES, cols)
    # Class c outputs the value c everywhere: 0, 1, 2 -> 0, 128, 255.
    for row, value in enumerate([0, 128, 255]):
        assert np.all(cells[row] == value), row


def test_conditional_columns_share_latents():
    model = gan(label_generator(z_weight=1.0), conditional_discriminator(),
                num_classes=CLASSES)
    callback = SampleGrid("unused", num_samples=6)
    samples = callback.samples.images(model)[:, 0, 0, 0]
    by_row = samples.reshape(CLASSES, 2)
    # Row c is c + z_j[0] for the same z_j in every row.
    np.testing.assert_allclose(by_row - np.arange(CLASSES)[:, None],
                               np.broadcast_to(by_row[0], (CLASSES, 2)),
                               atol=1e-6)
    assert by_row[0, 0] != by_row[0, 1]


def test_rgb_images_are_written_as_rgb(tmp_path):
    model = gan(generator((4, 4, 3)), discriminator((4, 4, 3)))
    callback = SampleGrid(tmp_path, num_samples=4)
    callback.set_model(model)
    mode, size, pixels = _read(callback.write(0))
    assert mode == "RGB" and pixels.shape == (14, 14, 3)


def test_only_the_chief_writes(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "TF_CONFIG",
        '{"cluster": {"worker": ["a:1", "b:1"]}, '
        '"task": {"type": "worker", "index": 1}}')
    callback = SampleGrid(tmp_path / "samples", num_samples=4)
    _simulate_fit(callback, gan(), epochs=2)
    assert not (tmp_path / "samples").exists()
    assert callback.paths == []
    # Worker 0 of the same cluster is the chief and writes.
    monkeypatch.setenv(
        "TF_CONFIG",
        '{"cluster": {"worker": ["a:1", "b:1"]}, '
        '"task": {"type": "worker", "index": 0}}')
    _simulate_fit(callback, gan(), epochs=2)
    assert sorted(os.listdir(tmp_path / "samples")) == [
        "epoch_0001.png", "epoch_0002.png"]


def test_argument_errors():
    with pytest.raises(ValueError, match="every_n_epochs"):
        SampleGrid("x", every_n_epochs=0)
    with pytest.raises(ValueError, match="num_samples"):
        SampleGrid("x", num_samples=0)
    with pytest.raises(ValueError, match="low < high"):
        SampleGrid("x", value_range=(1, -1))
    callback = SampleGrid("x")
    callback.set_model(keras.Sequential([keras.Input((2,))]))
    with pytest.raises(TypeError, match="keras_gan_losses.GAN"):
        callback.on_train_begin()
