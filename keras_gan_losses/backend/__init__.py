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
- `fold_in(seed, value)`: a seed derived from a seed and an int.

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
