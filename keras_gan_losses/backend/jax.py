"""The JAX backend: `jax.grad` (nested, so differentiable again) and
`keras.random` draws from int seeds."""

import jax
import jax.numpy as jnp
import keras

from keras_gan_losses.backend import _seeds


def input_gradients(fn, inputs):
    return jax.grad(lambda x: jnp.sum(fn(x).astype("float32")))(inputs)


def uniform(like, seed, per_example):
    return keras.random.uniform(_seeds.shape(like, per_example),
                                dtype=like.dtype, seed=_seeds.check(seed))


def fold_in(seed, value):
    return _seeds.fold_in(seed, value)
