"""The networks' random states (e.g. of their dropout layers), saved with
a model so that a reloaded or resumed model draws what an uninterrupted
one would.

Keras keeps the state of a layer's `SeedGenerator` (dropout, Gaussian
noise, ...) in a variable that is in the layer's `variables` but not in
its `weights`, so `.keras` files and `save_weights` (and with them
`BackupAndRestore`) leave it out: a restored model would draw its
dropout masks again from the start. `GAN` and `ImageToImageGAN` save
these states under their own keys (`RANDOM_STATE` + index).
"""

import numpy as np

#: Key prefix of the networks' random states in saved files.
RANDOM_STATE = "random_state_"


def random_states(networks):
    """The variables of `networks` that are not weights (the seed
    generators' states), in a fixed order."""
    states = []
    for network in networks:
        if network is None:
            continue
        weights = {id(w) for w in network.weights}
        states += [v for v in network.variables if id(v) not in weights]
    return states


def save_random_states(store, states):
    """Adds `states` to a Keras variable store (`save_own_variables`)."""
    for index, state in enumerate(states):
        store[f"{RANDOM_STATE}{index}"] = state


def split_random_states(store):
    """`(own, saved)`: the store's entries without the random states, and
    the keys of the random states."""
    keys = list(store.keys())
    own = {key: np.asarray(store[key]) for key in keys
           if not key.startswith(RANDOM_STATE)}
    saved = [key for key in keys if key.startswith(RANDOM_STATE)]
    return own, saved


def load_random_states(store, saved, states):
    """Assigns the saved states. A file saved without them (or by a model
    with other layers) leaves the states as they are."""
    if len(saved) != len(states):
        return
    for index, state in enumerate(states):
        state.assign(np.asarray(store[f"{RANDOM_STATE}{index}"]))
