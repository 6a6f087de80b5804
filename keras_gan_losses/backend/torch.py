"""The PyTorch backend: `torch.autograd.grad(create_graph=True)` (so the
result is differentiable again) and `keras.random` draws from int seeds."""

import keras
import torch

from keras_gan_losses.backend import _seeds


def input_gradients(fn, inputs):
    if not inputs.requires_grad:
        inputs = inputs.detach().requires_grad_(True)
    total = fn(inputs).to(torch.float32).sum()
    if not total.requires_grad:  # the output does not depend on anything
        return torch.zeros_like(inputs)
    (grads,) = torch.autograd.grad(total, inputs, create_graph=True,
                                   allow_unused=True)
    return torch.zeros_like(inputs) if grads is None else grads


def uniform(like, seed, per_example):
    return keras.random.uniform(_seeds.shape(like, per_example),
                                dtype=str(like.dtype).split(".")[-1],
                                seed=_seeds.check(seed))


def fold_in(seed, value):
    return _seeds.fold_in(seed, value)
