"""The TensorFlow backend: `tf.GradientTape` and the package's
XLA-stable stateless draws (`utils.random`)."""

import tensorflow as tf

from keras_gan_losses.utils import random


def input_gradients(fn, inputs):
    # A nested tape works eagerly and inside `tf.function`, and its result
    # is differentiable again for an outer tape.
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        total = tf.reduce_sum(tf.cast(fn(inputs), tf.float32))
    grads = tape.gradient(total, inputs)
    if grads is None:  # the output does not depend on the input at all
        grads = tf.zeros_like(inputs)
    return grads


def _shape(like, per_example):
    shape = tf.shape(like)
    if not per_example:
        return shape
    return tf.concat(
        [shape[:1], tf.ones([len(like.shape) - 1], tf.int32)], axis=0)


def _stateless(seed):
    """A stateless seed tensor; an int seed `s` is `[s, 0]`."""
    if isinstance(seed, int):
        return tf.constant([seed, 0], tf.int64)
    return seed


def uniform(like, seed, per_example):
    shape = _shape(like, per_example)
    if seed is None:
        return tf.random.uniform(shape, dtype=like.dtype)
    return random.stateless_uniform(shape, _stateless(seed), like.dtype)


def fold_in(seed, value):
    return random.fold_in(_stateless(seed), value)
