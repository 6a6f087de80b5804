"""Tiny networks and data shared by the model and callback tests."""

import keras
import numpy as np

import keras_gan_losses as kgl

LATENT = 8
IMAGE = (4, 4, 1)
CLASSES = 3


def generator(image=IMAGE, activation="tanh"):
    return keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(int(np.prod(image)), activation=activation),
        keras.layers.Reshape(image),
    ])


def constant_generator(value_before_activation, activation, image=IMAGE):
    """Outputs activation(value_before_activation) everywhere."""
    return keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(
            int(np.prod(image)), activation=activation,
            kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant(
                value_before_activation),
        ),
        keras.layers.Reshape(image),
    ])


def discriminator(image=IMAGE):
    return keras.Sequential([
        keras.Input(image),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])


def label_generator(z_weight=0.0):
    """A conditional generator whose images are `label + z_weight * z[0]`
    at every pixel."""
    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    value = keras.layers.Lambda(
        lambda t: keras.ops.cast(t[1], "float32") + z_weight * t[0][:, 0]
    )([z, label])
    image = keras.layers.Lambda(
        lambda v: keras.ops.broadcast_to(
            keras.ops.reshape(v, (-1, 1, 1, 1)),
            (keras.ops.shape(v)[0],) + IMAGE)
    )(value)
    return keras.Model([z, label], image)


def conditional_discriminator():
    image = keras.Input(IMAGE)
    label = keras.Input((), dtype="int32")
    onehot = keras.layers.Lambda(
        lambda t: keras.ops.one_hot(t, CLASSES),
        output_shape=(CLASSES,))(label)
    h = keras.layers.Concatenate()([keras.layers.Flatten()(image), onehot])
    return keras.Model([image, label], keras.layers.Dense(1)(h))


def gan(g=None, d=None, **kwargs):
    model = kgl.GAN(g or generator(), d or discriminator(), seed=0, **kwargs)
    # No XLA: faster to compile for these two-epoch runs.
    model.compile(jit_compile=False)
    return model


def images(n=32, image=IMAGE, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(n,) + image).astype("float32")


# --- image-to-image ----------------------------------------------------------

SOURCE = (4, 4, 2)


def pair_generator(source=SOURCE, image=IMAGE, dropout=0.0):
    """Source images to images: a 1x1 convolution (and dropout)."""
    x = keras.Input(source)
    h = keras.layers.Conv2D(4, 1, activation="relu")(x)
    if dropout:
        h = keras.layers.Dropout(dropout)(h)
    out = keras.layers.Conv2D(image[-1], 1, activation="tanh")(h)
    return keras.Model(x, out)


def pair_discriminator(source=SOURCE, image=IMAGE):
    """[source, image] to PatchGAN-style logits (batch, 2, 2, 1)."""
    s, y = keras.Input(source), keras.Input(image)
    h = keras.layers.Concatenate()([s, y])
    h = keras.layers.Conv2D(4, 2, strides=2, activation="relu")(h)
    return keras.Model([s, y], keras.layers.Conv2D(1, 1)(h))


def pairs(n=16, source=SOURCE, image=IMAGE, seed=0):
    """`(source, target)` arrays in [-1, 1]."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, size=(n,) + source).astype("float32"),
            rng.uniform(-1, 1, size=(n,) + image).astype("float32"))


def to_numpy(tensor):
    """A tensor of any backend (PyTorch's may require grad) as NumPy."""
    return keras.ops.convert_to_numpy(tensor)
