"""Int seeds for the backends other than TensorFlow, whose `keras.random`
takes ints (or nothing) rather than stateless seed tensors."""

import keras


def check(seed):
    """An int seed as the backend's generators take it (non-negative,
    below 2**63), or None."""
    if seed is None:
        return seed
    if isinstance(seed, int):
        return seed % (1 << 63)
    raise TypeError(
        f"On the {keras.backend.backend()} backend a seed must be an int "
        f"or None (stateless seed tensors are TensorFlow's). Received: "
        f"{seed!r}"
    )


def shape(like, per_example):
    if per_example:
        return (like.shape[0],) + (1,) * (len(like.shape) - 1)
    return tuple(like.shape)


def fold_in(seed, value):
    """A different int seed for each `(seed, value)` pair, the same for
    the same pair (NumPy's `SeedSequence` mixes them)."""
    import numpy as np

    state = np.random.SeedSequence(
        [check(seed) % (1 << 64), int(value) % (1 << 64)])
    return int(state.generate_state(1)[0] >> 1)


def numpy_normal(shape, seed, dtype):
    """N(0, 1) draws of NumPy's generator from an int seed: the same on
    every backend that uses it, and the first rows of a larger draw are
    the draws of a smaller one."""
    import numpy as np

    values = np.random.default_rng(check(seed)).standard_normal(
        tuple(int(n) for n in shape), dtype=np.float32)
    return keras.ops.convert_to_tensor(values, dtype)
