"""The sample callbacks on an `ImageToImageGAN`: one row per fixed pair,
source | generated | target."""

import numpy as np
import pytest
import tensorflow as tf
from nets import gan
from nets import images
from nets import pair_discriminator
from nets import pair_generator
from nets import pairs
from PIL import Image

import keras_gan_losses as kgl
from keras_gan_losses.callbacks import SampleGrid
from keras_gan_losses.callbacks import TensorBoardSamples
from keras_gan_losses.data import to_uint8


def i2i(image=(4, 4, 1), source=(4, 4, 2)):
    model = kgl.ImageToImageGAN(pair_generator(source, image),
                                pair_discriminator(source, image), seed=0)
    model.compile(reconstruction_losses=["l1"], jit_compile=False)
    return model


def cells(pixels, rows, cols, h=4, w=4, pad=2):
    """The cells of a grid, shape (rows, cols, h, w[, channels])."""
    return np.stack([np.stack([
        pixels[pad + r * (h + pad):pad + r * (h + pad) + h,
               pad + c * (w + pad):pad + c * (w + pad) + w]
        for c in range(cols)]) for r in range(rows)])


def test_grid_rows_show_source_generated_target(tmp_path):
    model = i2i()
    source, target = pairs(16)
    callback = SampleGrid(tmp_path, num_samples=3,
                          pairs=(source[:5], target[:5]))
    model.fit(source, target, batch_size=8, epochs=1, verbose=0,
              callbacks=[callback])
    with Image.open(callback.paths[-1]) as png:
        mode, size, pixels = png.mode, png.size, np.asarray(png)
    # 3 pairs (num_samples) -> 3 rows of 3 cells of 4 x 4, one channel.
    assert mode == "L" and size == (3 * 6 + 2, 3 * 6 + 2)
    grid = cells(pixels, 3, 3)
    generated = model.generate(source[:3])
    # Column 0 is the source's first channel (a 2-channel source),
    # column 1 the translation, column 2 the target, all from [-1, 1].
    for column, expected in enumerate(
            [source[:3, ..., :1], generated, target[:3]]):
        np.testing.assert_array_equal(
            grid[:, column], to_uint8(expected, (-1, 1))[..., 0])
    assert callback.value_range == (-1.0, 1.0)


def test_gray_source_next_to_rgb_images_is_shown_in_rgb(tmp_path):
    model = i2i(image=(4, 4, 3), source=(4, 4, 1))
    source, target = pairs(2, source=(4, 4, 1), image=(4, 4, 3))
    callback = SampleGrid(tmp_path, pairs=(source, target))
    callback.set_model(model)
    with Image.open(callback.write(0)) as png:
        mode, pixels = png.mode, np.asarray(png)
    assert mode == "RGB"
    grid = cells(pixels, 2, 3)
    gray = to_uint8(source, (-1, 1))
    np.testing.assert_array_equal(grid[:, 0], np.repeat(gray, 3, axis=-1))
    np.testing.assert_array_equal(grid[:, 2], to_uint8(target, (-1, 1)))


def test_tensorboard_samples_log_the_pair_grid(tmp_path):
    model = i2i()
    source, target = pairs(4)
    callback = TensorBoardSamples(tmp_path, pairs=(source, target))
    model.fit(source, target, batch_size=4, epochs=1, verbose=0,
              callbacks=[callback])
    files = list((tmp_path / "train").iterdir())
    assert len(files) == 1
    records = [e for e in tf.compat.v1.train.summary_iterator(str(files[0]))
               if e.summary.value]
    (value,) = records[0].summary.value
    width, height = (int(v) for v in value.tensor.string_val[:2])
    assert (width, height) == (3 * 6 + 2, 4 * 6 + 2)


def test_pairs_are_required_for_and_only_for_an_image_to_image_gan(
        tmp_path):
    with pytest.raises(ValueError, match=r"needs fixed pairs to translate: "
                                         r"pass `pairs=\(source, target\)`"):
        i2i().fit(*pairs(8), batch_size=8, verbose=0,
                  callbacks=[SampleGrid(tmp_path)])
    with pytest.raises(ValueError, match="`pairs` is for an ImageToImageGAN"):
        gan().fit(images(8), batch_size=8, verbose=0, callbacks=[
            SampleGrid(tmp_path, pairs=pairs(2))])
    with pytest.raises(ValueError, match="as many and of the same height"):
        SampleGrid(tmp_path, pairs=(pairs(2)[0], pairs(3)[1]))
    with pytest.raises(ValueError, match=r"tuple \(source, target\)"):
        SampleGrid(tmp_path, pairs=pairs(2)[0])
