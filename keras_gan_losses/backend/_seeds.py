"""Int seeds for the backends other than TensorFlow, whose `keras.random`
takes ints (or nothing) rather than stateless seed tensors."""

import keras


def check(seed):
    if seed is None or isinstance(seed, int):
        return seed
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
    """A different int seed for each `value`, the same for the same pair."""
    return (check(seed) * 1_000_003 + int(value) + 1) % (1 << 31)
