"""The PyTorch backend: `torch.autograd.grad(create_graph=True)` (so the
result is differentiable again), `keras.random` draws from int seeds, and
the GAN's step run eagerly on one device."""

import keras
import torch
from keras import ops

from keras_gan_losses.backend import _seeds
from keras_gan_losses.backend._one_replica import all_gather  # noqa: F401
from keras_gan_losses.backend._one_replica import all_reduce_sum  # noqa: F401
from keras_gan_losses.backend._one_replica import num_replicas  # noqa: F401
from keras_gan_losses.backend._one_replica import paused  # noqa: F401
from keras_gan_losses.backend._one_replica import replica_id  # noqa: F401
from keras_gan_losses.backend._one_replica import strategy_scope  # noqa: F401


def input_gradients(fn, inputs):
    # `evaluate` runs its steps under `torch.no_grad()`: the penalties'
    # input gradients need autograd all the same.
    with torch.enable_grad():
        inputs = inputs.detach().requires_grad_(True)
        total = fn(inputs).to(torch.float32).sum()
        if not total.requires_grad:  # the output depends on nothing
            return torch.zeros_like(inputs)
        (grads,) = torch.autograd.grad(
            total, inputs, create_graph=torch.is_grad_enabled(),
            allow_unused=True)
    return torch.zeros_like(inputs) if grads is None else grads


def uniform(like, seed, per_example):
    return keras.random.uniform(_seeds.shape(like, per_example),
                                dtype=str(like.dtype).split(".")[-1],
                                seed=_seeds.check(seed))


def fold_in(seed, value):
    return _seeds.fold_in(seed, value)


def normal(shape, seed, dtype):
    if seed is None:
        return keras.random.normal(tuple(int(n) for n in shape), dtype=dtype)
    return _seeds.numpy_normal(shape, seed, dtype)


def step_seed(state):
    value = state.value.detach().clone()
    state.assign(value + torch.tensor([0, 1], dtype=value.dtype,
                                      device=value.device))
    base, step = (int(x) for x in value.tolist())
    return _seeds.fold_in(base, step), value[1]


def value_and_grad(fn, variables):
    value, aux = fn()
    tensors = [v.value for v in variables]
    if not tensors:
        return value, aux, []
    grads = torch.autograd.grad(value, tensors, allow_unused=True)
    return value, aux, list(grads)


def without_gradients():
    return torch.no_grad()


def run_if(condition, fn, *args):
    if bool(condition):
        with torch.no_grad():
            fn(*args)


def update_averages(pairs, rates):
    with torch.no_grad():
        for (average, variable), rate in zip(pairs, rates):
            value = ops.cast(variable.value, average.dtype)
            average.assign(average.value - ops.cast(rate, average.dtype)
                           * (average.value - value))



def train_step(model, logic, args):
    return logic(*args)


test_step = train_step


def dense(gradient):
    return gradient


def optimizer_view(d_optimizer, g_optimizer):
    return None


def apply_gradients(optimizer, grads, variables):
    optimizer.apply(grads, variables)
