"""Helpers shared by the data tests."""

import numpy as np


def collect(dataset):
    """All of a batched dataset's images (and labels, or None), each
    concatenated into one array."""
    batches = list(dataset)
    if isinstance(batches[0], tuple):
        return (np.concatenate([b[0] for b in batches]),
                np.concatenate([b[1] for b in batches]))
    return np.concatenate(batches), None
