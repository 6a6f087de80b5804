"""Name scopes that tell the parts of a training step apart in a profile.

The ops a step builds inside `name_scoped("guard")` functions are named
`.../guard/...` in the graph, so a TensorFlow profile (see
`benchmarks/step_profile.py`) can add up what the non-finite guard, the
training signals, the logged values and the noise draws cost. Name
scopes cost nothing at run time. (On the other backends they are
Keras's name scopes.)
"""

import functools
import importlib

import keras

#: The parts of a step with a scope of their own.
GUARD, SIGNALS, LOGS, NOISE = "guard", "signals", "logs", "noise"


def name_scoped(name):
    """Decorates a function so that the ops it builds are in `name`'s
    name scope."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _name_scope(name):
                return fn(*args, **kwargs)

        return wrapper

    return decorate


def _name_scope(name):
    if keras.backend.backend() == "tensorflow":
        return importlib.import_module("tensorflow").name_scope(name)
    return keras.name_scope(name)
