"""Stateless draws: the right distributions, the same with and without XLA."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from keras_gan_losses.utils import random

SEED = tf.constant([11, 12], tf.int64)


def test_uniform_is_uniform_on_unit_interval():
    u = random.stateless_uniform((20000,), SEED).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_normal_is_standard_normal():
    x = random.stateless_normal((20000,), SEED).numpy()
    assert np.all(np.isfinite(x))
    assert stats.kstest(x, "norm").pvalue > 1e-3


def test_seed_determines_the_draw():
    a = random.stateless_normal((5,), SEED).numpy()
    b = random.stateless_normal((5,), SEED).numpy()
    c = random.stateless_normal((5,), random.fold_in(SEED, 1)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("fn", [random.stateless_uniform,
                                random.stateless_normal])
def test_same_numbers_under_xla(fn):
    eager = fn((64,), SEED).numpy()
    compiled = tf.function(lambda s: fn((64,), s), jit_compile=True)(SEED)
    np.testing.assert_allclose(compiled.numpy(), eager, rtol=1e-5,
                               atol=1e-6)


def test_fold_in_equals_tensorflows_in_and_out_of_graphs():
    values = [0, 1, 7, 1 << 20]
    expected = [tf.random.experimental.stateless_fold_in(SEED, v,
                                                         alg="philox")
                for v in values]

    @tf.function
    def traced(seed):
        # Several values folded into one seed share one draw.
        return [random.fold_in(seed, v) for v in values]

    for got in ([random.fold_in(SEED, v) for v in values], traced(SEED)):
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())

    def draws(function):
        graph = function.get_concrete_function(SEED).graph
        return sum(op.type.startswith("StatelessRandomUniform")
                   for op in graph.get_operations())

    one = tf.function(lambda seed: random.fold_in(seed, 3))
    assert draws(traced) == draws(one) > 0
