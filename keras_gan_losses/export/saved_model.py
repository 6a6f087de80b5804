"""Export a generator as a SavedModel that runs without this package."""

import os
import shutil

import keras

from keras_gan_losses.data.scaling import to_uint8
from keras_gan_losses.utils import random
from keras_gan_losses.utils.checks import check_value_range
from keras_gan_losses.utils.lazy import tf


def export_generator(generator, path, latent_dim, num_classes=None,
                     value_range=(-1.0, 1.0), sample_signature=True,
                     verbose=False, overwrite=False, label_frequencies=None):
    """Writes `generator` as a TensorFlow SavedModel.

    The SavedModel loads with plain `tf.saved_model.load(path)` in a process
    that never imports keras_gan_losses (or Keras). Signatures:

    - `serving_default(z)` → `{"images": float images}`, `z` of shape
      `(batch, latent_dim)`; a conditional generator takes
      `serving_default(z, labels)` with int32 class ids `(batch,)`.
    - `sample(batch_size, seed)` (if `sample_signature`) → `{"images":
      uint8 images in [0, 255]}` from `N(0, 1)` noise drawn with the int64
      `seed`; a conditional generator cycles through the classes, or
      draws them with `label_frequencies` (from the same seed).

    Args:
        generator (keras.Model): The Keras generator to export.
        path (str): Directory to write.
        latent_dim (int): Size of the latent vectors.
        num_classes (int | None): Number of classes of a conditional generator,
            or None.
        value_range (tuple[float, float]): The generator's output range, mapped
            to [0, 255] by `sample` (`(-1, 1)` for tanh, `(0, 1)` for sigmoid).
        sample_signature (bool): Whether to add the `sample` signature.
        verbose (bool): Whether to print the endpoints.
        overwrite (bool): Whether to replace a SavedModel already at `path`.
            A folder that holds anything else is never written into.
        label_frequencies (Sequence[float] | None): The classes' shares
            that `sample` draws a conditional generator's labels from
            (`GAN.label_frequencies`); None cycles through the classes.

    Returns:
        str: `path`.

    Raises:
        FileExistsError: if `path` exists and is not an empty folder,
            unless `overwrite` is set and it holds a SavedModel.
    """
    value_range = check_value_range(value_range)
    _make_room(path, overwrite)
    archive = keras.export.ExportArchive()
    archive.track(generator)
    z_spec = tf.TensorSpec((None, latent_dim), tf.float32, name="z")

    def noise(batch_size, seed):
        return random.stateless_normal(
            (batch_size, latent_dim),
            tf.stack([seed, tf.constant(0, tf.int64)]),
        )

    if num_classes is None:
        def serve(z):
            return {"images": generator(z, training=False)}

        def sample(batch_size, seed):
            images = generator(noise(batch_size, seed), training=False)
            return {"images": to_uint8(images, value_range)}

        archive.add_endpoint("serving_default", serve, [z_spec])
    else:
        labels_spec = tf.TensorSpec((None,), tf.int32, name="labels")

        def serve(z, labels):
            return {"images": generator([z, labels], training=False)}

        def sample(batch_size, seed):
            if label_frequencies is None:
                labels = tf.range(batch_size, dtype=tf.int32) % num_classes
            else:
                labels = tf.random.stateless_categorical(
                    tf.math.log(tf.constant([label_frequencies],
                                            tf.float32)),
                    batch_size, tf.stack([seed, tf.constant(1, tf.int64)]),
                    dtype=tf.int32)[0]
            images = generator([noise(batch_size, seed), labels],
                               training=False)
            return {"images": to_uint8(images, value_range)}

        archive.add_endpoint("serving_default", serve, [z_spec, labels_spec])
    if sample_signature:
        archive.add_endpoint("sample", sample, [
            tf.TensorSpec((), tf.int32, name="batch_size"),
            tf.TensorSpec((), tf.int64, name="seed"),
        ])
    archive.write_out(str(path), verbose=verbose)
    return path


def _make_room(path, overwrite):
    """Checks that `path` can take a SavedModel; removes an old one if
    `overwrite`. Never deletes or mixes with a folder of other files."""
    path = os.fspath(path)
    if not os.path.exists(path):
        return
    if os.path.isdir(path) and not os.listdir(path):
        return
    is_saved_model = os.path.isfile(os.path.join(path, "saved_model.pb"))
    if overwrite and is_saved_model:
        shutil.rmtree(path)
        return
    if is_saved_model:
        raise FileExistsError(
            f"{path} already holds a SavedModel. Pass `overwrite=True` to "
            "replace it, or choose another path."
        )
    raise FileExistsError(
        f"{path} exists and is not an empty folder (nor a SavedModel): "
        "choose a new or empty folder, so that the export does not mix "
        "with other files."
    )
