"""A model's output activation, read from its layers, and the value range
it bounds: the range of a generator's images (`GAN(data_range="auto")`,
the sample grids) and whether a discriminator outputs logits."""

import keras

#: Output ranges of the bounded activations, by function name.
ACTIVATION_RANGES = {
    "tanh": (-1.0, 1.0),
    "hard_tanh": (-1.0, 1.0),
    "soft_sign": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
}

#: Layers that move or copy values without changing their range, skipped
#: when looking for a model's last activation.
_PASS_THROUGH = (
    keras.layers.InputLayer,
    keras.layers.Reshape,
    keras.layers.Flatten,
    keras.layers.Permute,
    keras.layers.RepeatVector,
    keras.layers.Cropping1D,
    keras.layers.Cropping2D,
    keras.layers.Cropping3D,
    keras.layers.UpSampling1D,
    keras.layers.UpSampling2D,
    keras.layers.UpSampling3D,
    keras.layers.Identity,
    keras.layers.Dropout,
)


def output_activation(model):
    """The name of the activation that produces `model`'s output.

    Walks back from the model's last layer over layers that do not change
    values (`Reshape`, `Flatten`, `Cropping2D`, `UpSampling2D`, ...), into
    nested models, to the first layer with an `activation`.

    Args:
        model (keras.Model): A Keras model or layer.

    Returns:
        str | None: The activation's function name (e.g. `"tanh"`,
            `"linear"`), or `None` if the layer found has none (a custom
            layer).
    """
    layers = getattr(model, "layers", None)
    if not layers:
        activation = getattr(model, "activation", None)
        return getattr(activation, "__name__", None)
    for layer in reversed(layers):
        if isinstance(layer, _PASS_THROUGH):
            continue
        return output_activation(layer)
    return None


def activation_value_range(model):
    """The output range of a model that ends in a bounded activation.

    `tanh` gives `(-1.0, 1.0)`, `sigmoid` `(0.0, 1.0)` (also `hard_tanh`,
    `soft_sign`, `hard_sigmoid`); anything else (a linear output, a custom
    layer) gives `None`. See `output_activation`.

    Args:
        model (keras.Model): A Keras model or layer, e.g. a generator.

    Returns:
        tuple | None: `(low, high)` or `None`.

    Example:

    >>> import keras
    >>> generator = keras.Sequential([
    ...     keras.Input((8,)),
    ...     keras.layers.Dense(16, activation="tanh"),
    ...     keras.layers.Reshape((4, 4, 1)),
    ... ])
    >>> activation_value_range(generator)
    (-1.0, 1.0)
    """
    return ACTIVATION_RANGES.get(output_activation(model))
