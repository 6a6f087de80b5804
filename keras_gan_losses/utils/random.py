"""Stateless random draws that give the same numbers with and without XLA.

TensorFlow's `stateless_uniform`/`stateless_normal` turn the same random
bits into different floats under XLA than in the CPU kernels, so a step
compiled with `jit_compile=True` would draw other noise than the same step
without it. Only the raw integer bits agree; we map them to floats
ourselves.
"""

import math
import weakref

from keras_gan_losses.utils.lazy import tf

ALG = "philox"

#: Per graph being traced: (seed tensor's name, dtype) → the name of the
#: draw that begins its fold-ins. Names, not tensors, so that nothing here
#: keeps a graph alive.
_FOLD_IN_HEADS = weakref.WeakKeyDictionary()


def fold_in(seed, value):
    """A new seed, shape `(2,)` int64, derived from `seed` and an int.

    The same as `tf.random.experimental.stateless_fold_in(seed, value)`,
    which is `[draw(seed), value]`: the draw depends on `seed` alone, so
    while a function is traced it is drawn once per seed tensor and shared
    by every value folded into that seed (a training step folds a dozen
    values into a few seeds).
    """
    value = tf.convert_to_tensor(value)
    graph = tf.compat.v1.get_default_graph()
    if not (tf.inside_function() and tf.is_symbolic_tensor(seed)
            and seed.graph is graph):
        return tf.random.experimental.stateless_fold_in(
            tf.cast(seed, tf.int64), value, alg=ALG)
    heads = _FOLD_IN_HEADS.setdefault(graph, {})
    key = (seed.name, value.dtype.name)
    if key not in heads:
        heads[key] = tf.random.stateless_uniform(
            [], seed=tf.cast(seed, tf.int64), minval=None, maxval=None,
            dtype=value.dtype, alg=ALG).name
    return tf.stack([graph.get_tensor_by_name(heads[key]), value])


def stateless_uniform(shape, seed, dtype="float32"):
    """U[0, 1) draws: the top 24 random bits of each uint32, scaled."""
    bits = tf.random.stateless_uniform(
        shape, seed=tf.cast(seed, tf.int64), minval=None, maxval=None,
        dtype=tf.uint32, alg=ALG,
    )
    values = tf.cast(tf.bitwise.right_shift(bits, 8), tf.float32)
    return tf.cast(values * (1.0 / (1 << 24)), dtype)


def stateless_normal(shape, seed, dtype="float32"):
    """N(0, 1) draws by the Box–Muller transform of two uniform draws."""
    u1 = 1.0 - stateless_uniform(shape, fold_in(seed, 1))  # in (0, 1]
    u2 = stateless_uniform(shape, fold_in(seed, 2))
    values = tf.sqrt(-2.0 * tf.math.log(u1)) * tf.cos(2.0 * math.pi * u2)
    return tf.cast(values, dtype)
