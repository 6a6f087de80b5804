"""Argument checks shared by the package, with messages that name the
argument and the value received."""

import numpy as np


def is_int(value):
    """Whether `value` is a Python or NumPy int (bools excluded)."""
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def positive_int(name, value):
    """Returns `value` as an int, or raises a ValueError naming `name`."""
    if not is_int(value) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive int. Received: {name}={value!r}"
        )
    return int(value)


def check_bool(name, value):
    """Returns `value` as a bool, or raises a TypeError naming `name`."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool. Received: {value!r}")
    return bool(value)


def check_seed(seed):
    """Returns an int seed or None.

    Raises:
        TypeError: for anything but an int or None (a float is not
            truncated: seed 1.7 would silently be seed 1).
        ValueError: for an int outside the int64 range the seeds live in.
    """
    if seed is None:
        return None
    if not is_int(seed):
        raise TypeError(f"`seed` must be an int or None. Received: {seed!r}")
    if not -(2**63) <= int(seed) < 2**63:
        raise ValueError(
            f"`seed` must fit in 64 bits, in [-2**63, 2**63). Received: "
            f"{seed!r}"
        )
    return int(seed)
