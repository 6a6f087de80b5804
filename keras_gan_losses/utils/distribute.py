"""Replica-aware scaling of hand-written loss terms.

Keras loss objects (Keras >= 3.8) divide mean-type reductions by the number
of replicas in sync, so that summing the per-replica gradients, which is what
`tf.distribute` does, gives the gradient of the mean over the global batch.
Terms we write by hand (penalties) must be scaled the same way, and logged
values un-scaled. Keras keeps these helpers private, so we keep our own.
"""

import tensorflow as tf


def num_replicas():
    """Number of replicas in sync in the current strategy (1 by default)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def scale_for_replicas(value):
    """Divides `value` by the number of replicas in sync."""
    replicas = num_replicas()
    if replicas > 1:
        value = value * tf.cast(1.0 / replicas, value.dtype)
    return value


def unscale_for_replicas(value):
    """Multiplies `value` by the number of replicas in sync."""
    replicas = num_replicas()
    if replicas > 1:
        value = value * tf.cast(replicas, value.dtype)
    return value


def replica_id():
    """The id of the current replica as a scalar int tensor (0 outside)."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return tf.constant(0, tf.int32)
    return tf.cast(context.replica_id_in_sync_group, tf.int32)


def is_multi_worker(strategy=None):
    """Whether `strategy` (default: the current one) spans several workers."""
    strategy = strategy or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    local_replicas = len(strategy.extended.worker_devices)
    return strategy.num_replicas_in_sync > local_replicas


def logs_for_reduction(logs):
    """Gives the scalar logs of a step the shape Keras's reduction expects.

    Under a multi-worker `MultiWorkerMirroredStrategy`, Keras (seen in
    3.15) reduces the step outputs with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on scalars
    ("Invalid reduction dimension 0 for input with 0 dimensions"). A
    shape-`(1,)` value reduces to the scalar mean over the replicas;
    elsewhere the logs are returned unchanged.
    """
    if not is_multi_worker():
        return logs
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}
