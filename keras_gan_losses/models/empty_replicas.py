"""Empty replicas: a partial last batch split over more replicas than it
holds examples leaves some replicas with none.

TensorFlow's (2.21) CPU convolutions (oneDNN) return a tensor of the
wrong shape for an empty batch (`input depth must be evenly divisible by
filter depth`), which breaks convolutional networks on such a replica.
The networks are therefore called on at least one example: an empty
input gets one example of zeros, and the outputs are cut back to the
real examples. Everything around the call (losses, penalties, the
batch statistics that are all-reduced or all-gathered: LeCam's means,
MMD's kernel, feature matching's means, the signals) sees the real,
empty batch, and the replica's share of the global batch stays 0
(`guard.share_of_batch` counts the real examples).

What the placeholder example still touches is inside the network: a
`BatchNormalization` in training mode computes that replica's batch
statistics from it (its output is cut away) and moves that replica's
copy of the moving statistics, which Keras (3.15) under
`MirroredStrategy` keeps per replica and never reads back from the
other replicas (`get_weights` and saved files read the first
replica's). With `BatchNormalization(synchronized=True)` the
placeholder would count in the synchronized statistics of that step.
"""

import keras
from keras import ops

from keras_gan_losses.backend import num_replicas


def _pad(tensor, rows):
    zeros = ops.zeros((rows, *ops.shape(tensor)[1:]), tensor.dtype)
    return ops.concatenate([tensor, zeros], axis=0)


def at_least_one_example(*tensors):
    """The tensors (of the same batch size), with one example of zeros
    appended when the batch is empty; unchanged with one replica."""
    if num_replicas() == 1:
        return tensors
    rows = ops.maximum(1 - ops.shape(tensors[0])[0], 0)
    return tuple(_pad(t, rows) for t in tensors)


def call_on_at_least_one(network, inputs, training):
    """`network(inputs, training=training)` for a batch that may be empty
    on this replica: called on at least one example, the outputs cut back
    to the batch's size (an empty batch gives empty outputs, whose
    gradients flow back to the empty inputs)."""
    many = isinstance(inputs, (list, tuple))
    parts = list(inputs) if many else [inputs]
    static = parts[0].shape[0] if len(parts[0].shape) else None
    if num_replicas() == 1 or (static is not None and static > 0):
        return network(inputs, training=training)
    count = ops.shape(parts[0])[0]
    padded = at_least_one_example(*parts)
    outputs = network(list(padded) if many else padded[0],
                      training=training)
    return keras.tree.map_structure(lambda t: t[:count], outputs)


class OnAtLeastOneExample:
    """A network called through `call_on_at_least_one`: what `GAN` calls
    its generator, discriminator and feature networks through (and hands
    its penalties as the discriminator)."""

    def __init__(self, network):
        self.network = network

    def __call__(self, inputs, training=False):
        return call_on_at_least_one(self.network, inputs, training)
