"""`TensorBoardSamples`: the sample grid as an image summary."""

import glob
import io
import os

import numpy as np
import pytest
import tensorflow as tf
from nets import gan
from nets import images
from PIL import Image

from keras_gan_losses.callbacks import TensorBoardSamples
from keras_gan_losses.data import to_uint8
from keras_gan_losses.visualization import make_grid


def _image_summaries(log_dir, tag):
    """`{step: PNG array}` of the image summaries `tag` in log_dir/train."""
    found = {}
    for path in glob.glob(os.path.join(log_dir, "train", "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag != tag:
                    continue
                assert value.metadata.plugin_data.plugin_name == "images"
                assert value.metadata.data_class == 3  # blob sequence
                width, height, png = value.tensor.string_val
                with Image.open(io.BytesIO(png)) as image:
                    pixels = np.asarray(image)
                assert (int(width), int(height)) == image.size
                found[event.step] = pixels
    return found


def test_fit_logs_one_image_per_epoch(tmp_path):
    model = gan()
    callback = TensorBoardSamples(tmp_path, num_samples=4, seed=1,
                                  name="grid")
    model.fit(images(16), batch_size=8, epochs=2, verbose=0,
              callbacks=[callback])
    summaries = _image_summaries(tmp_path, "grid")
    assert sorted(summaries) == [0, 1]
    # 4 samples -> 2 x 2 cells of 4 x 4 pixels plus 2 pixels of padding.
    for pixels in summaries.values():
        assert pixels.shape[:2] == (14, 14)
        assert pixels.std() > 0
    expected = make_grid(to_uint8(model.generate(4, seed=1), (-1, 1)))
    np.testing.assert_array_equal(
        summaries[1].reshape(14, 14, -1)[..., 0], expected[..., 0])
    assert not np.array_equal(summaries[0], summaries[1])


def test_every_n_epochs(tmp_path):
    callback = TensorBoardSamples(tmp_path, every_n_epochs=2, num_samples=1)
    callback.set_model(gan())
    callback.set_params({"epochs": 3})
    callback.on_train_begin()
    for epoch in range(3):
        callback.on_epoch_end(epoch)
    callback.on_train_end()
    assert sorted(_image_summaries(tmp_path, "samples")) == [1, 2]


def test_only_the_chief_writes(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "TF_CONFIG",
        '{"cluster": {"worker": ["a:1", "b:1"]}, '
        '"task": {"type": "worker", "index": 1}}')
    callback = TensorBoardSamples(tmp_path / "logs", num_samples=1)
    callback.set_model(gan())
    callback.on_train_begin()
    callback.on_epoch_end(0)
    callback.on_train_end()
    assert not (tmp_path / "logs").exists()


def test_name_must_be_a_string():
    with pytest.raises(ValueError, match="name"):
        TensorBoardSamples("logs", name="")
