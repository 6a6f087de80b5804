"""What differs between Keras's backends, behind one interface.

The package computes with `keras.ops` wherever it can; the few things
`keras.ops` does not offer live here, one module per backend, as Keras
organises its own trainers (`keras/src/backend/<name>/`):

- `input_gradients(fn, inputs)`: the gradient of `sum(fn(inputs))` with
  respect to `inputs`, itself differentiable with respect to the weights
  `fn` uses (the penalties' double backpropagation);
- `uniform(like, seed=None, per_example=False)`: U[0, 1) draws shaped
  like a tensor (or one per example), from a stateless seed or Keras's
  global generator;
- `fold_in(seed, value)`: a seed derived from a seed and an int;
- what a GAN's training step needs beyond `keras.ops`: its seeds and
  draws (`step_seed`, `normal`), its gradients (`value_and_grad`), its
  conditional updates (`run_if`), moving averages (`update_averages`),
  the replicas it runs on (`num_replicas`, `replica_id`,
  `all_reduce_sum`), and how Keras's trainer of the backend calls it
  (`train_step`, `test_step`).

The backend is Keras's (`keras.backend.backend()`), read at each call so
that only the backend in use is imported.
"""

import importlib

import keras


def _module():
    name = keras.backend.backend()
    if name not in ("tensorflow", "jax", "torch"):
        raise NotImplementedError(
            f"keras_gan_losses runs on the tensorflow, jax and torch "
            f"backends of Keras; this one is {name!r}."
        )
    return importlib.import_module(f"keras_gan_losses.backend.{name}")


def input_gradients(fn, inputs):
    """The gradient of `sum(fn(inputs))` with respect to `inputs`.

    Differentiable again: inside a gradient computation with respect to
    the weights that `fn` uses (a discriminator's), the result carries
    their gradient, as the gradient penalties need. Each example's output
    must depend only on its own input (no batch statistics) for the
    gradient of the sum to be the per-example gradient.

    Args:
        fn (callable): Maps a tensor shaped like `inputs` to a tensor.
        inputs (Tensor): The point at which to differentiate.

    Returns:
        Tensor: shaped like `inputs`; zeros where `fn` does not depend on
        `inputs`.
    """
    return _module().input_gradients(fn, inputs)


def uniform(like, seed=None, per_example=False):
    """U[0, 1) draws shaped like `like` (or `(batch, 1, ..., 1)` with
    `per_example`), in `like`'s dtype.

    Args:
        like (Tensor): The tensor whose shape (and dtype) to draw.
        seed (Tensor | int | None): On TensorFlow, a stateless seed (an int
            tensor of shape `(2,)`, as `GAN` passes); on every backend an
            int seed; `None` draws from Keras's global generator
            (TensorFlow's on TensorFlow).
        per_example (bool): One draw per example, broadcastable against
            `like`.

    Returns:
        Tensor: The draws.
    """
    return _module().uniform(like, seed, per_example)


def fold_in(seed, value):
    """A new seed derived from `seed` and the int `value` (`None` stays
    `None`)."""
    if seed is None:
        return None
    return _module().fold_in(seed, value)


def name():
    """The name of Keras's backend."""
    return keras.backend.backend()


def num_replicas():
    """The number of replicas that each compute a part of the batch and
    whose results the step sums itself: `tf.distribute`'s replicas on
    TensorFlow; 1 on JAX (a sharded batch is one global program, whose
    sums the compiler reduces across devices) and on PyTorch."""
    return _module().num_replicas()


def replica_id():
    """The current replica's id (0 outside `tf.distribute`)."""
    return _module().replica_id()


def all_reduce_sum(value):
    """`value` summed over the replicas (itself with one replica)."""
    return _module().all_reduce_sum(value)


def all_gather(values):
    """`values` of every replica concatenated on axis 0, differentiably
    (itself with one replica)."""
    return _module().all_gather(values)


def apply_gradients(optimizer, grads, variables):
    """`optimizer.apply(grads, variables)`; on JAX through the optimizer's
    `stateless_apply` (whose loss scaling is written for it), the new
    values assigned in the enclosing scope."""
    return _module().apply_gradients(optimizer, grads, variables)


def paused():
    """A context in which the innermost `value_and_grad` does not record
    (TensorFlow's `tape.stop_recording()`): for work inside a loss
    function that its gradient does not need."""
    return _module().paused()


def without_gradients():
    """A context for values no gradient will flow through (the generated
    batch of a discriminator update): PyTorch records no graph for them
    (`torch.no_grad()`); TensorFlow and JAX record only inside
    `value_and_grad`, so there it changes nothing."""
    return _module().without_gradients()


def run_if(condition, fn, *args):
    """Runs `fn(*args)`, which updates variables, only if the scalar bool
    `condition` holds (the same on every replica): a `tf.cond` on
    TensorFlow, a Python `if` on PyTorch; on JAX `fn` runs and each
    variable it updated keeps its old value where `condition` is false."""
    return _module().run_if(condition, fn, *args)


def value_and_grad(fn, variables):
    """`(value, aux, grads)`: `fn()` returns `(value, aux)`, a scalar and
    any structure of tensors; `grads` are the gradients of `value` with
    respect to `variables` (`None` for a variable it does not use).
    Variables that `fn` assigns (e.g. a seed generator's state) keep the
    new values, on every backend."""
    return _module().value_and_grad(fn, variables)


def step_seed(state):
    """`(seed, step)` from a GAN's noise state `[base seed, step]`, which
    advances by one step: the step's seed (each replica its own under
    `tf.distribute`), for `fold_in`, `normal` and `uniform`."""
    return _module().step_seed(state)


def normal(shape, seed=None, dtype="float32"):
    """N(0, 1) draws from a seed of `step_seed` or `fold_in`, or an int
    seed (the same numbers for the same seed), or `None` (fresh draws)."""
    return _module().normal(shape, seed, dtype)


def update_averages(pairs, rates):
    """`average ← average − rate · (average − value)` for each
    `(average, value)` pair of variables: one moving-average update (a
    rate of 1 copies the value). Under `tf.distribute` it runs in the
    cross-replica context, as an optimizer's update does."""
    return _module().update_averages(pairs, rates)


def train_step(model, logic, args):
    """Runs `logic(data)`, a training step written with stateful
    variables, in the form Keras's trainer of the backend calls
    `model.train_step` with (`args`): `(data,)` on TensorFlow and
    PyTorch, `(state, data)` on JAX, where it runs in a
    `keras.StatelessScope` over the model's state and returns
    `(logs, new_state)`."""
    return _module().train_step(model, logic, args)


def test_step(model, logic, args):
    """As `train_step`, for `model.test_step`."""
    return _module().test_step(model, logic, args)


def dense(gradient):
    """A gradient as a dense tensor: TensorFlow's sparse gradients of an
    embedding (`tf.IndexedSlices`) with each row summed over its repeats,
    as the optimizer applies them; any other tensor as it is."""
    return _module().dense(gradient)


def optimizer_view(d_optimizer, g_optimizer):
    """What a GAN sets as its `optimizer` for Keras's trainer: on JAX, a
    view of both optimizers' variables (the trainer carries
    `optimizer.variables` as state); `None` elsewhere."""
    return _module().optimizer_view(d_optimizer, g_optimizer)


def strategy_scope(model):
    """The scope to create a model's variables in: its `tf.distribute`
    strategy's on TensorFlow (Keras's `distribution` is set globally on
    JAX)."""
    return _module().strategy_scope(model)


def counter_dtype():
    """The dtype of counters and steps: int64, or int32 on JAX unless
    its 64-bit types are enabled (`jax_enable_x64`)."""
    if name() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            return "int32"
    return "int64"


def batch_devices():
    """How many devices a batch is split over by Keras's own distribution
    (`keras.distribution`, JAX): 1 elsewhere (`tf.distribute` splits
    uneven batches itself)."""
    if name() != "jax":
        return 1
    distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    return mesh.shape[mesh.axis_names.index(distribution.batch_dim_name)]
