"""`save_comparison_grid`: groups of images side by side, by pixel."""

import numpy as np
import pytest
from PIL import Image

from keras_gan_losses.visualization import save_comparison_grid


def test_groups_are_laid_out_side_by_side(tmp_path):
    # Three 2x2 "images" per column, each filled with its own value.
    values = np.arange(9).reshape(3, 3) * 10  # [example, column]
    columns = [np.ones((3, 2, 2, 1)) * values[:, c, None, None, None]
               for c in range(3)]
    path = save_comparison_grid(tmp_path / "g.png", columns,
                                value_range=(0, 255), per_row=2, padding=1,
                                pad_value=200)
    grid = np.asarray(Image.open(path))
    # 2 rows (3 groups, 2 per row) of 6 columns of 2x2 cells, padding 1.
    assert grid.shape == (2 * 3 + 1, 6 * 3 + 1)
    for example in range(3):
        row, group = divmod(example, 2)
        for column in range(3):
            top = 1 + row * 3
            left = 1 + (group * 3 + column) * 3
            cell = grid[top:top + 2, left:left + 2]
            assert np.all(cell == values[example, column])
    assert grid[0, 0] == 200
    assert np.all(grid[4:6, 10:12] == 200)  # no 4th group: padding


def test_default_range_and_errors(tmp_path):
    source = -np.ones((2, 4, 4, 1))
    target = np.ones((2, 4, 4, 1))
    grid = np.asarray(Image.open(save_comparison_grid(
        tmp_path / "p.png", [source, target], padding=0)))
    assert grid.shape == (8, 8)
    assert np.all(grid[:, :4] == 0) and np.all(grid[:, 4:] == 255)
    with pytest.raises(ValueError, match="same shape"):
        save_comparison_grid(tmp_path / "x.png", [source, target[:1]])
    with pytest.raises(ValueError, match="no image"):
        save_comparison_grid(tmp_path / "x.png", [])
    with pytest.raises(ValueError, match="per_row"):
        save_comparison_grid(tmp_path / "x.png", [source], per_row=0)
