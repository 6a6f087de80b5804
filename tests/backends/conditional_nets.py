"""The small conditional networks that the backend scripts (run in
processes of their own) train: a generator `[z, label] -> image` and a
discriminator `[image, label] -> logit`, each with a label embedding."""

import math

import keras


def conditional_nets(latent, classes, image_shape, width):
    """`(generator, discriminator)` for `image_shape` images of `classes`
    classes, with hidden layers of `width` units."""
    z = keras.Input((latent,))
    label = keras.Input((), dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(classes, 4)(
        label))
    h = keras.layers.Dense(width, activation="relu")(
        keras.layers.Concatenate()([z, embedded]))
    image = keras.layers.Reshape(image_shape)(keras.layers.Dense(
        math.prod(image_shape), activation="tanh")(h))
    x = keras.Input(image_shape)
    label_d = keras.Input((), dtype="int32")
    flat = keras.layers.Concatenate()([
        keras.layers.Flatten()(x),
        keras.layers.Flatten()(keras.layers.Embedding(classes, 4)(label_d))])
    logit = keras.layers.Dense(1)(keras.layers.Dense(
        width, activation="relu")(flat))
    return keras.Model([z, label], image), keras.Model([x, label_d], logit)
