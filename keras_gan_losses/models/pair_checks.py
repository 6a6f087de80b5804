"""Checks of an image-to-image GAN's networks and of its `(source,
target)` data, with errors that name the shapes and the fix.

The same checks run on every batch, in graph, through the non-finite
guard (`guard.py`), which covers `tf.data` pipelines.
"""

import keras
import numpy as np
from keras import ops

from keras_gan_losses.models.data_checks import check_values
from keras_gan_losses.models.data_checks import values_outside
from keras_gan_losses.models.shape_checks import _fmt
from keras_gan_losses.models.shape_checks import _input_shape
from keras_gan_losses.models.shape_checks import _num_inputs
from keras_gan_losses.models.shape_checks import _output_shape
from keras_gan_losses.utils import lazy
from keras_gan_losses.utils.shapes import compatible

PAIRS_NEEDED = (
    "An ImageToImageGAN trains on (source, target) pairs: call "
    "fit(source, target) with two arrays of images, or pass a "
    "tf.data.Dataset of (source, target) batches."
)


def _input_shapes(model):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    return [tuple(t.shape) for t in inputs] if inputs else None


def check_networks(generator, discriminator):
    """Checks that the generator maps source images to images that the
    discriminator takes with the source, as `[source, image]`.

    Returns:
        `(source_shape, image_shape)`, without the batch axis.

    Raises:
        ValueError: naming the shapes, if the networks do not fit.
    """
    count = _num_inputs(generator)
    if count is None:
        raise ValueError(
            "Cannot tell the source image shape: the generator has no "
            "declared input. Build it on keras.Input(source_shape) (a "
            "functional or Sequential model)."
        )
    if count != 1:
        raise ValueError(
            f"The generator of an ImageToImageGAN takes one input, the "
            f"source image (no latent vector: pix2pix's noise is dropout); "
            f"this generator has {count}."
        )
    in_shape = _input_shape(generator)
    out_shape = _output_shape(generator)
    if out_shape is None:
        try:
            sample = generator(ops.zeros((1,) + tuple(
                1 if d is None else d for d in in_shape[1:])),
                training=False)
        except Exception as error:  # noqa: BLE001 - re-raised with context
            raise ValueError(
                "The generator could not be called on source images of "
                f"shape {_fmt(in_shape)}: {error}"
            ) from error
        out_shape = (None,) + tuple(sample.shape[1:])
    source_shape, image_shape = tuple(in_shape[1:]), tuple(out_shape[1:])
    if len(source_shape) != 3 or len(image_shape) != 3:
        raise ValueError(
            "An ImageToImageGAN maps images (batch, height, width, "
            f"channels) to images; its generator maps {_fmt(in_shape)} to "
            f"{_fmt(out_shape)}."
        )
    shapes = _input_shapes(discriminator)
    if shapes is None:
        _call_discriminator(discriminator, source_shape, image_shape)
        return source_shape, image_shape
    if len(shapes) != 2:
        raise ValueError(
            "The discriminator of an ImageToImageGAN takes two inputs, "
            f"[source, image] (pix2pix's conditional discriminator); this "
            f"one has {len(shapes)}."
        )
    for name, shape, expected in (("source", shapes[0], source_shape),
                                  ("image", shapes[1], image_shape)):
        if not compatible(shape[1:], expected):
            raise ValueError(
                f"The discriminator's {name} input does not fit: "
                f"discriminator inputs [{_fmt(shapes[0])}, "
                f"{_fmt(shapes[1])}] vs [source, image] of shapes "
                f"[{_fmt((None,) + source_shape)}, "
                f"{_fmt((None,) + image_shape)}] (the generator's input "
                "and output)."
            )
    return source_shape, image_shape


def _call_discriminator(discriminator, source_shape, image_shape):
    if any(d is None for d in source_shape + image_shape):
        return
    try:
        discriminator([ops.zeros((1,) + source_shape),
                       ops.zeros((1,) + image_shape)], training=False)
    except Exception as error:  # noqa: BLE001 - re-raised with context
        raise ValueError(
            "The discriminator could not be called on [source, image] of "
            f"shapes [{_fmt((None,) + source_shape)}, "
            f"{_fmt((None,) + image_shape)}]: {error}"
        ) from error


def _spec(value):
    """`(shape, dtype)` of an array, tensor or `tf.TensorSpec`, or None."""
    if (isinstance(value, np.ndarray) or ops.is_tensor(value)
            or lazy.is_tf_tensor(value) or lazy.is_tensor_spec(value)):
        return tuple(value.shape), keras.backend.standardize_dtype(
            value.dtype)
    return None


def check_data(x, y, source_shape, image_shape, data_range):
    """Checks `fit`/`evaluate` data of an image-to-image GAN.

    Accepts `x` = source images and `y` = target images (arrays or
    tensors), or `x` = a `tf.data.Dataset` of `(source, target)` batches;
    anything else (a Python generator) is left to the in-graph checks.

    Raises:
        ValueError: for missing targets, mismatched shapes or lengths, an
            empty dataset, and (arrays) non-finite values or values
            outside `data_range`.
        TypeError: for integer images.
    """
    is_dataset = lazy.is_dataset(x)
    if is_dataset:
        spec = x.element_spec
        if not isinstance(spec, (tuple, list)) or len(spec) != 2:
            raise ValueError(f"{PAIRS_NEEDED} The dataset yields {spec}.")
        if int(x.cardinality()) == 0:
            raise ValueError(
                "The training data is an empty dataset: nothing to train on."
            )
        source, target = spec
    elif _spec(x) is not None:
        if y is None:
            raise ValueError(PAIRS_NEEDED)
        source, target = x, y
    else:
        return  # e.g. a Python generator: checked batch by batch
    source_spec, target_spec = _spec(source), _spec(target)
    if source_spec is None or target_spec is None:
        return
    for name, (shape, dtype), expected, role in (
        ("source", source_spec, source_shape, "generator's input"),
        ("target", target_spec, image_shape, "generator's output"),
    ):
        if not compatible(shape[1:], expected):
            hint = ""
            if compatible(shape, expected):
                hint = " The dataset looks unbatched: call `.batch(n)`."
            raise ValueError(
                f"The {name} images do not fit the networks: {name} "
                f"batches of shape {_fmt(shape)} vs the {role} "
                f"{_fmt((None,) + tuple(expected))}.{hint}"
            )
        if not keras.backend.is_float_dtype(dtype):
            raise TypeError(
                f"The {name} images must be floats (e.g. scaled to "
                f"[-1, 1]); received dtype {dtype}. Convert them "
                "first, e.g. `images.astype('float32') / 127.5 - 1`."
            )
    if is_dataset:
        return
    if len(source) != len(target):
        raise ValueError(
            f"`source` holds {len(source)} images but `target` "
            f"{len(target)}: one target per source image."
        )
    check_values(np.asarray(target), data_range)
    check_source_values(np.asarray(source), data_range)


def check_source_values(source, data_range):
    """Checks an array of source images: finite, inside `data_range`
    (give or take 5 % of its width), as the targets are.

    Raises:
        ValueError: naming what is wrong and the fix.
    """
    if not np.isfinite(source).all():
        bad = int(np.size(source) - np.isfinite(source).sum())
        raise ValueError(
            f"The source images contain {bad} NaN or Inf values: clean them "
            "first (e.g. find them with `~np.isfinite(source)`)."
        )
    outside = values_outside(source, data_range)
    if outside is not None:
        (lo, hi), (low, high) = outside, data_range
        raise ValueError(
            f"The source images have values in [{lo:g}, {hi:g}], outside "
            f"[{low:g}, {high:g}], the range the targets and sources are "
            "checked against (`data_range`, by default the generator's "
            "output range). Scale them as the targets (e.g. `x / 127.5 - 1` "
            "for [0, 255] images), or pass `data_range=None` to "
            "ImageToImageGAN() to turn the check off."
        )


def check_sources(source, source_shape):
    """Source images for `generate`: a float32 NumPy array, checked.

    Raises:
        ValueError: for a wrong shape, no images or non-finite values.
    """
    source = np.asarray(source)
    if not np.issubdtype(source.dtype, np.floating):
        raise TypeError(
            f"`source` must be float images (e.g. scaled to [-1, 1]); "
            f"received dtype {source.dtype}. Convert them first, e.g. "
            "`source.astype('float32') / 127.5 - 1`."
        )
    if source.ndim != len(source_shape) + 1 or not compatible(
        source.shape[1:], source_shape
    ) or len(source) == 0:
        raise ValueError(
            f"`source` must be a batch of source images of shape "
            f"{_fmt((None,) + tuple(source_shape))}, at least one. "
            f"Received shape {_fmt(source.shape)}."
        )
    if not np.isfinite(source).all():
        raise ValueError("`source` contains NaN or Inf values.")
    return source.astype(np.float32, copy=False)
