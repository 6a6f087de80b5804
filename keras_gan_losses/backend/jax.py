"""The JAX backend: `jax.grad` (nested, so differentiable again), draws
from JAX keys, and the GAN's step run statelessly under `jax.jit`.

Keras's JAX trainer calls `train_step(state, data)` with the model's
state as four lists of arrays (trainable, non-trainable, optimizer and
metrics variables) and expects the new state back. `train_step` here
runs a step written with stateful variables inside one
`keras.StatelessScope` over that whole state, as Keras's own
`_update_metrics_variables` does, and reads the new values back. Every
nested computation (a gradient, a conditional update) opens its own
scope over the same state (Keras's scopes do not chain) and hands the
updates it made back to the enclosing one.
"""

import contextlib

import jax
import jax.numpy as jnp
import keras
from keras import ops

from keras_gan_losses.backend import _seeds
from keras_gan_losses.backend._one_replica import all_gather  # noqa: F401
from keras_gan_losses.backend._one_replica import all_reduce_sum  # noqa: F401
from keras_gan_losses.backend._one_replica import num_replicas  # noqa: F401
from keras_gan_losses.backend._one_replica import paused  # noqa: F401
from keras_gan_losses.backend._one_replica import replica_id  # noqa: F401
from keras_gan_losses.backend._one_replica import strategy_scope  # noqa: F401


def without_gradients():
    return contextlib.nullcontext()


#: The flat list of variables of the step being traced (innermost last).
_STATES = []


def _key(seed):
    """A JAX key (uint32 `(2,)`) from an int seed or a key."""
    if seed is None:
        raise ValueError(
            "On the jax backend a draw inside a compiled step needs a "
            "seed; pass an int seed."
        )
    if isinstance(seed, int):
        # Any int (a key is two 32-bit words, as `PRNGKey` makes).
        seed %= 1 << 64
        return jnp.asarray([seed >> 32, seed & 0xFFFFFFFF], jnp.uint32)
    return jnp.asarray(seed, jnp.uint32)


def fold_in(seed, value):
    return jax.random.fold_in(_key(seed), value)


def uniform(like, seed, per_example):
    shape = _seeds.shape(like, per_example)
    if seed is None:
        return keras.random.uniform(shape, dtype=like.dtype)
    return jax.random.uniform(_key(seed), shape, like.dtype)


def normal(shape, seed, dtype):
    if seed is None:
        return keras.random.normal(tuple(shape), dtype=dtype)
    if isinstance(seed, int):
        return _seeds.numpy_normal(shape, seed, dtype)
    return jax.random.normal(_key(seed), tuple(shape), dtype)


def step_seed(state):
    value = state.value
    state.assign(value + jnp.asarray([0, 1], value.dtype))
    base = jnp.stack([jnp.zeros((), jnp.uint32),
                      value[0].astype(jnp.uint32)])
    key = jax.random.fold_in(base, value[1])
    return key, value[1]


def _state():
    return _STATES[-1] if _STATES else []


def _scoped(fn, overrides=()):
    """Runs `fn()` in a scope of its own over the step's state, with the
    `(variable, value)` pairs of `overrides` replacing their current
    values; returns `(result, updates)`, the `(variable, new value)`
    pairs it assigned to the step's state."""
    mapping = [(v, v.value) for v in _state()] + list(overrides)
    given = {id(v): x for v, x in mapping}
    with keras.StatelessScope(state_mapping=mapping) as scope:
        result = fn()
    updates = [(v, scope.get_current_value(v)) for v in _state()
               if scope.get_current_value(v) is not given[id(v)]]
    return result, updates


def input_gradients(fn, inputs):
    def total(x):
        return jnp.sum(fn(x).astype("float32"))

    if not _state():
        return jax.grad(total)(inputs)
    changed = []

    def pure(x):
        value, updates = _scoped(lambda: total(x))
        changed[:] = [v for v, _ in updates]
        return value, [new for _, new in updates]

    grads, values = jax.grad(pure, has_aux=True)(inputs)
    for variable, value in zip(changed, values):
        variable.assign(value)
    return grads


def value_and_grad(fn, variables):
    variables = list(variables)
    changed = []

    def pure(values):
        (value, aux), updates = _scoped(fn, zip(variables, values))
        changed[:] = [v for v, _ in updates]
        return value, (aux, [new for _, new in updates])

    (value, (aux, news)), grads = jax.value_and_grad(pure, has_aux=True)(
        [v.value for v in variables])
    for variable, new in zip(changed, news):
        variable.assign(new)
    return value, aux, grads


def run_if(condition, fn, *args):
    _, updates = _scoped(lambda: fn(*args))
    for variable, new in updates:
        variable.assign(jnp.where(condition, new, variable.value))


def update_averages(pairs, rates):
    for (average, variable), rate in zip(pairs, rates):
        value = ops.cast(variable.value, average.dtype)
        average.assign(average.value - ops.cast(rate, average.dtype)
                       * (average.value - value))



@contextlib.contextmanager
def _over(variables):
    _STATES.append(variables)
    try:
        yield
    finally:
        _STATES.pop()


def _run(groups, state, logic, data):
    flat = [v for group in groups for v in group]
    mapping = [(v, x) for group, values in zip(groups, state)
               for v, x in zip(group, values)]
    with _over(flat), keras.StatelessScope(state_mapping=mapping) as scope:
        logs = logic(data)
    return logs, tuple([scope.get_current_value(v) for v in group]
                       for group in groups)


def train_step(model, logic, args):
    state, data = args
    groups = (model.trainable_variables, model.non_trainable_variables,
              model.optimizer.variables, model.metrics_variables)
    return _run(groups, state, logic, data)


def test_step(model, logic, args):
    state, data = args
    groups = (model.trainable_variables, model.non_trainable_variables,
              model.metrics_variables)
    return _run(groups, state, logic, data)


def dense(gradient):
    return gradient


class _OptimizerPair:
    """Both optimizers' variables, in a fixed order, as Keras's JAX
    trainer reads `model.optimizer.variables` (not saved: the GAN saves
    its two optimizers itself)."""

    def __init__(self, *optimizers):
        self.optimizers = optimizers

    @property
    def variables(self):
        return [v for o in self.optimizers for v in o.variables]

    @property
    def built(self):
        # The GAN builds those it uses in `compile` (an image-to-image GAN
        # without a discriminator leaves its optimizer unbuilt): Keras
        # must not build the pair.
        return True


def optimizer_view(d_optimizer, g_optimizer):
    return _OptimizerPair(d_optimizer, g_optimizer)


def apply_gradients(optimizer, grads, variables):
    variables = list(variables)
    new_values, new_state = optimizer.stateless_apply(
        [v.value for v in optimizer.variables], list(grads),
        [v.value for v in variables])
    for variable, value in zip(variables, new_values):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, new_state):
        variable.assign(value)
