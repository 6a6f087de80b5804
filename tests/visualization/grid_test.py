"""`make_grid`, `save_grid` and the pixel mapping of generator outputs."""

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gan_losses.utils.activations import activation_value_range
from keras_gan_losses.visualization import grid_shape
from keras_gan_losses.visualization import make_grid
from keras_gan_losses.visualization import save_grid
from keras_gan_losses.visualization import to_pixels
from keras_gan_losses.visualization import value_range_from_values


@pytest.mark.parametrize("n,rows,cols,expected", [
    (64, None, None, (8, 8)),
    (16, None, None, (4, 4)),
    (10, None, None, (3, 4)),
    (5, None, None, (2, 3)),
    (1, None, None, (1, 1)),
    (10, 2, None, (2, 5)),
    (10, None, 3, (4, 3)),
    (6, 3, 3, (3, 3)),
])
def test_grid_shape(n, rows, cols, expected):
    assert grid_shape(n, rows, cols) == expected


def test_grid_shape_errors():
    with pytest.raises(ValueError, match="cannot hold 10"):
        grid_shape(10, 3, 3)
    with pytest.raises(ValueError, match="`rows` must be a positive int"):
        grid_shape(4, rows=0)


def test_make_grid_places_images_row_by_row():
    h, w, pad = 2, 3, 1
    images = np.stack([np.full((h, w, 1), 10 * (i + 1), "uint8")
                       for i in range(5)])
    grid = make_grid(images, padding=pad, pad_value=7)
    rows, cols = 2, 3
    assert grid.shape == (rows * (h + pad) + pad, cols * (w + pad) + pad, 1)
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        cell = grid[top:top + h, left:left + w]
        expected = 10 * (i + 1) if i < 5 else 7  # the sixth cell is empty
        assert np.all(cell == expected), (i, cell)
    # Padding rows and columns keep pad_value.
    assert np.all(grid[0] == 7) and np.all(grid[:, 0] == 7)
    assert np.all(grid[h + pad] == 7)
    assert np.sum(grid == 7) == grid.size - 5 * h * w


def test_make_grid_rgb_and_no_padding():
    images = np.random.default_rng(0).integers(
        0, 256, (4, 2, 2, 3), dtype=np.uint8)
    grid = make_grid(images, rows=1, padding=0)
    assert grid.shape == (2, 8, 3)
    np.testing.assert_array_equal(grid[:, 4:6], images[2])


def test_make_grid_errors():
    with pytest.raises(TypeError, match="to_uint8"):
        make_grid(np.zeros((2, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="shape"):
        make_grid(np.zeros((4, 4), "uint8"))
    with pytest.raises(ValueError, match="empty"):
        make_grid(np.zeros((0, 4, 4), "uint8"))
    with pytest.raises(ValueError, match="cannot hold"):
        make_grid(np.zeros((5, 4, 4), "uint8"), rows=2, cols=2)
    with pytest.raises(ValueError, match="padding"):
        make_grid(np.zeros((1, 4, 4), "uint8"), padding=-1)


@pytest.mark.parametrize("value_range,values,expected", [
    ((-1, 1), [-1.0, 0.0, 1.0, -3.0, 2.0], [0, 128, 255, 0, 255]),
    ((0, 1), [0.0, 0.5, 1.0, -0.5, 1.5], [0, 128, 255, 0, 255]),
    ((0, 255), [0.0, 100.0, 255.0, -1.0, 300.0], [0, 100, 255, 0, 255]),
])
def test_to_pixels_maps_the_range_to_0_255(value_range, values, expected):
    pixels = to_pixels(np.array(values, "float32"), value_range)
    assert pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, expected)


def test_to_pixels_guesses_the_range():
    # tanh-like values map from [-1, 1], sigmoid-like ones from [0, 1].
    np.testing.assert_array_equal(
        to_pixels(np.array([-1.0, 0.0, 1.0])), [0, 128, 255])
    np.testing.assert_array_equal(
        to_pixels(np.array([0.0, 0.5, 1.0])), [0, 128, 255])
    uint8 = np.array([3, 200], "uint8")
    assert to_pixels(uint8) is uint8
    assert value_range_from_values(np.array([-0.1, 0.2])) == (-1.0, 1.0)
    assert value_range_from_values(np.array([0.1, 0.2])) == (0.0, 1.0)
    assert value_range_from_values(np.array([1, 9])) == (0.0, 255.0)


def test_save_grid_grayscale_png(tmp_path):
    images = np.linspace(-1, 1, 6 * 5 * 4).reshape(6, 5, 4, 1)
    path = save_grid(tmp_path / "sub" / "grid.png", images,
                     value_range=(-1, 1), padding=2)
    assert path == str(tmp_path / "sub" / "grid.png")
    with Image.open(path) as png:
        assert png.mode == "L"
        # 6 images -> 2 rows x 3 cols; PIL sizes are (width, height).
        assert png.size == (3 * (4 + 2) + 2, 2 * (5 + 2) + 2)
        pixels = np.asarray(png)
    expected = make_grid(
        np.clip(np.round((images + 1) * 127.5), 0, 255).astype("uint8"))
    np.testing.assert_array_equal(pixels, expected[..., 0])
    assert pixels[2, 2] == 0 and pixels.max() == 255


def test_save_grid_rgb_sigmoid_png(tmp_path):
    images = np.zeros((4, 3, 3, 3), "float32")
    images[..., 0] = 1.0   # red channel at the top of the sigmoid range
    images[..., 2] = 0.5
    path = save_grid(tmp_path / "rgb.png", images, value_range=(0, 1),
                     padding=1)
    with Image.open(path) as png:
        assert png.mode == "RGB"
        assert png.size == (2 * 4 + 1, 2 * 4 + 1)
        np.testing.assert_array_equal(np.asarray(png)[1, 1], [255, 0, 128])


def test_save_grid_rejects_two_channels(tmp_path):
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        save_grid(tmp_path / "x.png", np.zeros((1, 2, 2, 2), "uint8"))


def _dense_model(activation, *extra_layers):
    return keras.Sequential([keras.Input((4,)),
                             keras.layers.Dense(4, activation=activation),
                             *extra_layers])


def test_activation_value_range():
    reshape = keras.layers.Reshape((2, 2, 1))
    assert activation_value_range(_dense_model("tanh", reshape)) == (-1, 1)
    assert activation_value_range(_dense_model("sigmoid")) == (0, 1)
    assert activation_value_range(_dense_model(None)) is None
    assert activation_value_range(_dense_model("relu")) is None
    # An Activation layer, and a generator nested in a functional model.
    inner = _dense_model(None, keras.layers.Activation("tanh"))
    z = keras.Input((4,))
    outer = keras.Model(z, keras.layers.Reshape((2, 2))(inner(z)))
    assert activation_value_range(outer) == (-1, 1)
    # A layer that changes values stops the search.
    scaled = _dense_model("tanh", keras.layers.Rescaling(0.5, 0.5))
    assert activation_value_range(scaled) is None
