"""Shape checks that catch a mismatched generator, discriminator or data
before training, with errors that name both shapes."""

import keras
import numpy as np
from keras import ops

from keras_gan_losses.utils import lazy
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.shapes import compatible


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _input_shape(model):
    """The static input shape of a functional or Sequential model, or None.

    For a model with several inputs (a conditional discriminator) the
    first input is the image.
    """
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return tuple(inputs[0].shape)


def _num_inputs(model):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    return len(inputs) if inputs else None


def _output_shape(model):
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    if not outputs:
        return None
    return tuple(outputs[0].shape)


def latent_dim_of(generator, latent_dim):
    """Resolves `latent_dim` against the generator's input size.

    Raises:
        ValueError: if they disagree, or neither is known.
    """
    if latent_dim is not None:
        positive_int("latent_dim", latent_dim)
    shape = _input_shape(generator)
    if shape is None:
        if latent_dim is None:
            raise ValueError(
                "Cannot infer `latent_dim`: the generator has no declared "
                "input (start it with keras.Input((latent_dim,))). Pass "
                "`latent_dim=` to GAN()."
            )
        return int(latent_dim)
    if len(shape) != 2 or shape[1] is None:
        raise ValueError(
            "The generator must take latent vectors of shape "
            f"(batch, latent_dim). Its input has shape {_fmt(shape)}."
        )
    if latent_dim is not None and int(latent_dim) != shape[1]:
        raise ValueError(
            f"`latent_dim`={latent_dim} does not match the generator's "
            f"input shape {_fmt(shape)}: latent vectors of shape "
            f"(batch, {latent_dim}) vs generator input {_fmt(shape)}."
        )
    return int(shape[1])


def check_generator_and_discriminator(generator, discriminator, latent_dim,
                                      num_classes=None):
    """Checks that the generator's output fits the discriminator's input.

    Builds either network that has no declared input by calling it once.
    For a conditional GAN both networks must take two inputs, the second
    being the labels.

    Returns:
        The image shape, without the batch axis.

    Raises:
        ValueError: naming both shapes, if they do not fit.
    """
    _check_input_counts(generator, discriminator, num_classes)
    labels = ops.zeros((1,), "int32") if num_classes is not None else None

    def with_labels(x):
        return x if labels is None else [x, labels]

    out_shape = _generator_output_shape(generator, latent_dim, with_labels)
    image_shape = tuple(out_shape[1:])
    in_shape = _input_shape(discriminator)
    if in_shape is not None:
        if not compatible(in_shape[1:], image_shape):
            raise ValueError(
                "The generator's output shape does not match the "
                f"discriminator's input shape: generator output "
                f"{_fmt(out_shape)} vs discriminator input {_fmt(in_shape)}."
            )
        return image_shape
    if any(d is None for d in image_shape):
        return image_shape
    try:
        discriminator(
            with_labels(ops.zeros((1,) + image_shape)), training=False
        )
    except Exception as error:  # noqa: BLE001 - re-raised with context
        raise ValueError(
            "The discriminator could not be called on the generator's "
            f"output shape {_fmt(out_shape)}: {error}"
        ) from error
    return image_shape


def _check_input_counts(generator, discriminator, num_classes):
    """Two inputs per network for a conditional GAN, else one (networks
    without a declared input are not checked)."""
    conditional = num_classes is not None
    for name, net in (("generator", generator),
                      ("discriminator", discriminator)):
        count = _num_inputs(net)
        if count is None:
            continue
        if conditional and count != 2:
            first = "z" if name == "generator" else "images"
            raise ValueError(
                f"A conditional GAN (num_classes={num_classes}) needs a "
                f"{name} with two inputs, [{first}, labels]; this {name} "
                f"has {count}."
            )
        if not conditional and count != 1:
            raise ValueError(
                f"The {name} has {count} inputs. For a conditional GAN pass "
                "`num_classes=` to GAN()."
            )


def _generator_output_shape(generator, latent_dim, with_labels):
    """The generator's output shape, from its declaration or, failing
    that, from calling it once on a zero latent vector."""
    out_shape = _output_shape(generator)
    if out_shape is not None:
        return out_shape
    try:
        sample = generator(
            with_labels(ops.zeros((1, latent_dim))), training=False
        )
    except Exception as error:  # noqa: BLE001 - re-raised with context
        raise ValueError(
            "The generator could not be called on latent vectors of "
            f"shape (batch, {latent_dim}): {error}"
        ) from error
    return (None,) + tuple(sample.shape[1:])


def check_label_range(labels, num_classes):
    """Raises a ValueError naming the bad ids if any is outside
    `[0, num_classes)`."""
    labels = np.asarray(labels).reshape(-1)
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise ValueError(
            f"Class labels must be in [0, {num_classes}); found "
            f"{sorted(set(bad.tolist()))[:10]}."
        )


def split_data(x, y):
    """`fit`'s `x` and `y` as `(images, labels)`.

    For a `tf.data.Dataset` of `(images, labels)` the images are the
    dataset itself and the labels its labels' `tf.TensorSpec`. Labels are
    None where there are none.
    """
    if isinstance(x, (tuple, list)) and x:
        if len(x) > 1 and y is None:
            y = x[1]
        x = x[0]
    if lazy.is_dataset(x) and y is None:
        spec = x.element_spec
        if isinstance(spec, (tuple, list)) and len(spec) > 1:
            y = spec[1]
    return x, y


def check_data(x, y, discriminator, image_shape, num_classes=None):
    """Checks the training data against the discriminator.

    Accepts a NumPy array (with labels as `y` for a conditional GAN), a
    `tf.data.Dataset` of images or of `(images, labels)`, or anything else
    (not checked).

    Raises:
        ValueError: naming both shapes, if they do not fit; for missing or
            out-of-range labels of a conditional GAN.
        TypeError: for integer images (scale them to floats first).
    """
    if isinstance(x, (tuple, list)) and x:
        if len(x) > 1 and y is None:
            y = x[1]
        x = x[0]
    has_labels = y is not None
    if isinstance(x, np.ndarray):
        shape, dtype = tuple(x.shape), x.dtype
    elif lazy.is_dataset(x):
        spec = x.element_spec
        if isinstance(spec, (tuple, list)):
            has_labels = len(spec) > 1
            spec = spec[0]
        if not lazy.is_tensor_spec(spec):
            return
        shape, dtype = tuple(spec.shape), spec.dtype
    elif ops.is_tensor(x) or lazy.is_tf_tensor(x):
        shape, dtype = tuple(x.shape), x.dtype
    else:
        return
    if num_classes is not None:
        if not has_labels:
            raise ValueError(
                f"A conditional GAN (num_classes={num_classes}) needs labels: "
                "call fit(images, labels) or pass a dataset of "
                "(images, labels)."
            )
        if isinstance(y, np.ndarray):
            check_label_range(y, num_classes)
    expected = _input_shape(discriminator)
    expected = expected[1:] if expected is not None else image_shape
    if not compatible(shape[1:], expected):
        hint = ""
        if compatible(shape, expected):
            hint = " The dataset looks unbatched: call `.batch(batch_size)`."
        raise ValueError(
            "The data's image shape does not match the discriminator's "
            f"input: data batches of shape {_fmt(shape)} vs discriminator "
            f"input {_fmt((None,) + tuple(expected))}.{hint}"
        )
    dtype = keras.backend.standardize_dtype(dtype)
    if not keras.backend.is_float_dtype(dtype):
        raise TypeError(
            f"The images must be floats (e.g. scaled to [-1, 1]); received "
            f"dtype {dtype}. Convert them first, e.g. "
            "`(images.astype('float32') - 127.5) / 127.5`."
        )
