"""Image grids: `make_grid` tiles images, `save_grid` writes them as a PNG.

The sample-grid callbacks (`callbacks.SampleGrid`,
`callbacks.TensorBoardSamples`) draw their grids with the same functions.

Example:

```python
from keras_gan_losses import visualization

visualization.save_grid("samples.png", gan.generate(64, seed=0),
                        value_range=(-1, 1))
```
"""

import io
import math
import os

import numpy as np
from PIL import Image

from keras_gan_losses.data.scaling import to_uint8
from keras_gan_losses.utils import atomic
from keras_gan_losses.utils.checks import non_negative_int
from keras_gan_losses.utils.checks import positive_int

#: PIL image modes by number of channels.
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def grid_shape(num_images, rows=None, cols=None):
    """`(rows, cols)` of a grid holding `num_images` images.

    With neither given, the grid is near-square: `cols = ceil(sqrt(n))`
    and `rows = ceil(n / cols)`. With one given, the other is the smallest
    that fits.

    Args:
        num_images (int): Positive int.
        rows (int | None): Optional positive int.
        cols (int | None): Optional positive int.

    Returns:
        `(rows, cols)`, two ints.

    Raises:
        ValueError: if `rows * cols < num_images`, or an argument is not
            a positive int.

    Example:

    >>> grid_shape(64), grid_shape(10), grid_shape(10, rows=1)
    ((8, 8), (3, 4), (1, 10))
    """
    positive_int("num_images", num_images)
    for name, value in (("rows", rows), ("cols", cols)):
        if value is not None:
            positive_int(name, value)
    if rows is None and cols is None:
        cols = math.ceil(math.sqrt(num_images))
    if rows is None:
        rows = math.ceil(num_images / cols)
    elif cols is None:
        cols = math.ceil(num_images / rows)
    if rows * cols < num_images:
        raise ValueError(
            f"A grid of rows={rows} x cols={cols} cannot hold {num_images} "
            "images."
        )
    return int(rows), int(cols)


def make_grid(images, rows=None, cols=None, padding: int = 2,
              pad_value: int = 0):
    """Tiles a batch of `uint8` images into one image, row by row.

    Image `i` goes to row `i // cols`, column `i % cols`. Every image is
    surrounded by `padding` pixels of `pad_value` (torchvision's
    convention), so the grid is `rows * (height + padding) + padding`
    pixels high and `cols * (width + padding) + padding` wide. Cells past
    the last image are left at `pad_value`.

    Args:
        images (np.ndarray): `uint8` array of shape `(n, height, width)` or
            `(n, height, width, channels)`; convert generator outputs with
            `keras_gan_losses.data.to_uint8` first (or use `save_grid`).
        rows (int | None): Number of rows. Defaults to a near-square grid (see
            `grid_shape`).
        cols (int | None): Number of columns. Defaults likewise.
        padding (int): Non-negative int, pixels around each image. Defaults to
            2.
        pad_value (int): Int in [0, 255], the value of the padding pixels
            (every channel). Defaults to 0 (black).

    Returns:
        np.ndarray: A `uint8` array of shape `(grid_height, grid_width)` for 3-D
        input, `(grid_height, grid_width, channels)` for 4-D input.

    Raises:
        TypeError: if `images` is not `uint8`.
        ValueError: for a wrong rank, no images, or a grid too small.

    Example:

    >>> import numpy as np
    >>> make_grid(np.full((2, 1, 1), 255, "uint8"), padding=1)
    array([[  0,   0,   0,   0,   0],
           [  0, 255,   0, 255,   0],
           [  0,   0,   0,   0,   0]], dtype=uint8)
    >>> make_grid(np.zeros((10, 28, 28, 3), "uint8")).shape
    (92, 122, 3)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(
            f"`images` must be uint8 pixels; received dtype {images.dtype}. "
            "Convert them with keras_gan_losses.data.to_uint8(images, "
            "value_range), or call save_grid(path, images, value_range)."
        )
    if images.ndim not in (3, 4):
        raise ValueError(
            "`images` must have shape (n, height, width) or (n, height, "
            f"width, channels). Received shape {images.shape}"
        )
    if len(images) == 0:
        raise ValueError("`images` is empty.")
    non_negative_int("padding", padding)
    if not 0 <= pad_value <= 255:
        raise ValueError(
            f"`pad_value` must be in [0, 255]. Received: {pad_value!r}"
        )
    rows, cols = grid_shape(len(images), rows, cols)
    height, width = images.shape[1:3]
    grid = np.full(
        (rows * (height + padding) + padding,
         cols * (width + padding) + padding) + images.shape[3:],
        pad_value,
        dtype=np.uint8,
    )
    for index, image in enumerate(images):
        row, col = divmod(index, cols)
        top = padding + row * (height + padding)
        left = padding + col * (width + padding)
        grid[top:top + height, left:left + width] = image
    return grid


def value_range_from_values(images):
    """Guesses the value range of generated images from their values.

    Integer images are taken as pixels in `(0, 255)`. Float images are
    taken as `(0, 1)` (a sigmoid output) when none is negative, else as
    `(-1, 1)` (a tanh output); values outside the range get clipped when
    converted to pixels. The rule cannot tell a tanh generator whose
    samples happen to be all non-negative from a sigmoid one, so pass the
    range explicitly when you know it.

    Args:
        images (np.ndarray): Array of images.

    Returns:
        `(low, high)`.

    Example:

    >>> import numpy as np
    >>> value_range_from_values(np.array([-0.2, 0.9]))
    (-1.0, 1.0)
    >>> value_range_from_values(np.array([0.0, 0.5]))
    (0.0, 1.0)
    """
    images = np.asarray(images)
    if np.issubdtype(images.dtype, np.integer):
        return (0.0, 255.0)
    if images.size and np.nanmin(images) < 0:
        return (-1.0, 1.0)
    return (0.0, 1.0)


def to_pixels(images, value_range=None):
    """Converts images to `uint8` pixels, from `value_range` to [0, 255].

    `value_range=None` keeps `uint8` images as they are and guesses the
    range of others with `value_range_from_values`.
    """
    images = np.asarray(images)
    if value_range is None:
        if images.dtype == np.uint8:
            return images
        value_range = value_range_from_values(images)
    return to_uint8(images.astype(np.float32), value_range)


def encode_png(grid):
    """PNG bytes of a `uint8` grid: mode `L` for one channel (or none),
    `RGB` for 3 and `RGBA` for 4."""
    if grid.ndim == 3:
        channels = grid.shape[-1]
        if channels not in _MODES:
            raise ValueError(
                "PNG images need 1, 3 or 4 channels. Received images with "
                f"{channels} channels."
            )
        if channels == 1:
            grid = grid[..., 0]
    mode = "L" if grid.ndim == 2 else _MODES[grid.shape[-1]]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(grid), mode=mode).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def write_png(path, grid):
    """Writes a `uint8` grid as a PNG file, creating its directory.

    The file is replaced atomically (see `keras_gan_losses.utils.atomic`);
    `path` may also be a `gs://` URL (written through `tf.io.gfile`).
    """
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        atomic.makedirs(directory)
    atomic.write_bytes(path, encode_png(grid))
    return path


def save_grid(path, images, value_range=None, rows=None, cols=None,
              padding: int = 2, pad_value: int = 0):
    """Writes a batch of images as one PNG grid.

    Converts the images to `uint8` pixels (`value_range[0]` → 0,
    `value_range[1]` → 255, clipped), tiles them with `make_grid` and
    writes a PNG: grayscale (mode `L`) for one channel, RGB for three,
    RGBA for four. Missing parent directories are created.

    Args:
        path (str): Path of the PNG file (a `gs://` URL works too).
        images (np.ndarray): Array of shape `(n, height, width, channels)` or
            `(n, height, width)`, e.g. `gan.generate(64)`.
        value_range (tuple[float, float] | None): `(low, high)`, the range of
            `images`: `(-1, 1)` for a tanh generator, `(0, 1)` for a sigmoid
            one, `(0, 255)` for pixels. Defaults to `None`: `uint8` images are
            written as they are and the range of other images is guessed with
            `value_range_from_values`.
        rows (int | None): Rows of the grid. Defaults to a near-square grid.
        cols (int | None): Columns of the grid. Defaults likewise.
        padding (int): Pixels around each image. Defaults to 2.
        pad_value (int): Value of the padding pixels. Defaults to 0 (black).

    Returns:
        str: `path`, as a string.

    Example:

    ```python
    images = gan.generate(64, seed=0)
    save_grid("samples.png", images, value_range=(-1, 1))  # 8 x 8 grid
    ```
    """
    grid = make_grid(to_pixels(images, value_range), rows=rows, cols=cols,
                     padding=padding, pad_value=pad_value)
    return write_png(path, grid)


def save_comparison_grid(path, columns, value_range=(-1, 1), per_row=1,
                         padding: int = 2, pad_value: int = 128):
    """Writes images side by side, e.g. source | generated | target, as a PNG.

    `columns` holds batches of the same shape; example `i` of every batch
    goes into one group, in the order of `columns`, and the groups are
    tiled `per_row` to a row. With `columns=[source, generated, target]`
    each group is one image-to-image translation. The padding is grey by
    default, so that dark images stay apart.

    Args:
        path (str): Path of the PNG file.
        columns (list[np.ndarray]): Batches of images `(n, height, width,
            channels)` (or `(n, height, width)`), all of the same shape.
        value_range (tuple[float, float] | None): The range of the images,
            as for `save_grid`. Defaults to `(-1, 1)`.
        per_row (int): Positive int, groups per row of the grid.
        padding (int): Pixels around each image.
        pad_value (int): Value of the padding pixels. Defaults to 128 (grey).

    Returns:
        str: `path`, as a string.

    Raises:
        ValueError: for no columns or columns of different shapes.

    Example:

    ```python
    generated = i2i.generate(source[:16])
    save_comparison_grid("pairs.png", [source[:16], generated, target[:16]],
                         per_row=4)   # 4 rows of 4 (source, generated,
                                      # target) triplets
    ```
    """
    per_row = positive_int("per_row", per_row)
    columns = [np.asarray(column) for column in columns]
    if not columns:
        raise ValueError("`columns` holds no image batches.")
    shapes = {column.shape for column in columns}
    if len(shapes) != 1:
        raise ValueError(
            "Every batch of `columns` must have the same shape. Received "
            f"shapes {[column.shape for column in columns]}."
        )
    count = len(columns[0])
    groups = np.stack(columns, axis=1)  # (n, len(columns), ...)
    images = groups.reshape((count * len(columns),) + groups.shape[2:])
    per_row = min(per_row, count)
    grid = make_grid(
        to_pixels(images, value_range), rows=math.ceil(count / per_row),
        cols=per_row * len(columns), padding=padding, pad_value=pad_value,
    )
    return write_png(path, grid)


__all__ = ["make_grid", "save_grid", "save_comparison_grid"]
