"""Tiny networks shared by the model tests."""

import keras
import numpy as np

LATENT = 8
IMAGE = (4, 4, 1)


def generator(latent=LATENT, image=IMAGE):
    return keras.Sequential([
        keras.Input((latent,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(int(np.prod(image)), activation="tanh"),
        keras.layers.Reshape(image),
    ])


def discriminator(image=IMAGE):
    return keras.Sequential([
        keras.Input(image),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])


def images(n=32, image=IMAGE, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(n,) + image).astype("float32")
