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


def non_negative_int(name, value):
    """Returns `value` as an int, or raises a ValueError naming `name`."""
    if not is_int(value) or value < 0:
        raise ValueError(
            f"`{name}` must be a non-negative int. Received: {name}={value!r}"
        )
    return int(value)


def check_number(name, value, low=None, high=None, low_open=False,
                 high_open=False):
    """Checks a scalar hyperparameter and returns it as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"`{name}` must be a number. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (
        value >= high if high_open else value > high
    )
    if too_low or too_high or value != value:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        bounds = f"{lo}{'-inf' if low is None else low}, " \
                 f"{'inf' if high is None else high}{hi}"
        raise ValueError(
            f"`{name}` must be in {bounds}. Received: {name}={value}"
        )
    return value


def check_value_range(value_range, name="value_range"):
    """Returns a value range as `(low, high)`, two floats with low < high.

    Raises:
        ValueError: naming `name`, if `value_range` is not a pair of
            numbers with low < high.
    """
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be a pair of numbers (low, high). Received: "
            f"{name}={value_range!r}"
        ) from None
    if not low < high:
        raise ValueError(
            f"`{name}` must have low < high. Received: {name}={value_range!r}"
        )
    return low, high


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
