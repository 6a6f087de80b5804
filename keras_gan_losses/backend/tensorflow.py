"""The TensorFlow backend: `tf.GradientTape`, `tf.distribute`'s replicas
(`utils.distribute`) and the package's XLA-stable stateless draws
(`utils.random`)."""

import contextlib

import tensorflow as tf

from keras_gan_losses.utils import distribute
from keras_gan_losses.utils import random

num_replicas = distribute.num_replicas
replica_id = distribute.replica_id
all_reduce_sum = distribute.all_reduce_sum
run_if = distribute.run_if


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


def normal(shape, seed, dtype):
    if seed is None:
        return tf.random.normal(shape, dtype=dtype)
    return random.stateless_normal(shape, _stateless(seed), dtype)


def step_seed(state):
    # The state is the same on every replica; fold in the replica id so
    # that each replica draws its own noise.
    value = tf.identity(state.value)
    state.assign_add(tf.constant([0, 1], tf.int64))
    return random.fold_in(value, replica_id()), value[1]


#: The tapes of the `value_and_grad` calls being run (innermost last).
_TAPES = []


def value_and_grad(fn, variables):
    with tf.GradientTape() as tape:
        _TAPES.append(tape)
        try:
            value, aux = fn()
        finally:
            _TAPES.pop()
    return value, aux, tape.gradient(value, variables)


def without_gradients():
    return contextlib.nullcontext()


def paused():
    if not _TAPES:
        return contextlib.nullcontext()
    return _TAPES[-1].stop_recording()


def update_averages(pairs, rates):
    def merge_fn(strategy):
        for (average, variable), rate in zip(pairs, rates):

            def assign(target, value, rate=rate):
                value = tf.cast(value, target.dtype)
                return target.assign_sub(
                    tf.cast(rate, target.dtype) * (target - value)
                )

            strategy.extended.update(
                average.value, assign, args=(variable.value,), group=False
            )

    tf.distribute.get_replica_context().merge_call(merge_fn)



def train_step(model, logic, args):
    return logic(*args)


test_step = train_step


def dense(gradient):
    return tf.convert_to_tensor(gradient)


def optimizer_view(d_optimizer, g_optimizer):
    return None


def strategy_scope(model):
    return model.distribute_strategy.scope()


def all_gather(values):
    if not tf.distribute.has_strategy() or \
            tf.distribute.in_cross_replica_context():
        return values
    if tf.distribute.get_strategy().num_replicas_in_sync == 1:
        return values
    return tf.distribute.get_replica_context().all_gather(values, axis=0)


def apply_gradients(optimizer, grads, variables):
    optimizer.apply(grads, variables)
