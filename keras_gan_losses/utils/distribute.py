"""Replica-aware helpers for the GAN's steps under `tf.distribute`.

Keras loss objects (Keras >= 3.8) divide mean-type reductions by the number
of replicas in sync, so that summing the per-replica gradients, which is what
`tf.distribute` does, gives the gradient of the mean over the global batch.
The GAN weights each replica's terms by its share of the batch instead
(`models.guard.share_of_batch`), which is exact for uneven partial batches
too, and un-scales logged values. Keras keeps its helpers private, so we
keep our own.
"""

from keras_gan_losses.utils import lazy
from keras_gan_losses.utils.lazy import tf


def num_replicas():
    """Number of replicas in sync in the current strategy (1 by default)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_id():
    """The id of the current replica as a scalar int tensor (0 outside)."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return tf.constant(0, tf.int32)
    return tf.cast(context.replica_id_in_sync_group, tf.int32)


def is_multi_worker(strategy=None):
    """Whether `strategy` (default: the current one) spans several workers."""
    if strategy is None and not lazy.tf_imported():
        return False  # no strategy without TensorFlow
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


def all_reduce_sum(value):
    """Sums `value` over the replicas in sync (the value itself outside a
    strategy, or with a single replica)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce("SUM", value)


def run_if(condition, fn, *args):
    """Runs `fn(*args)` in each replica if the scalar bool `condition` holds.

    `condition` must be the same on every replica (e.g. all-reduced).
    `fn` may synchronise the replicas (an optimizer's `apply`), so under a
    strategy the `cond` runs in the cross-replica context, through
    `merge_call`, as `keras.optimizers.LossScaleOptimizer` does: a `cond`
    in the replica context may not contain a `merge_call`.
    """

    def skip():
        return tf.constant(False)

    if not tf.distribute.has_strategy():

        def run():
            fn(*args)
            return tf.constant(True)

        tf.cond(condition, run, skip)
        return

    def merge_fn(strategy, condition, *args):
        condition = strategy.experimental_local_results(condition)[0]

        def run():
            strategy.extended.call_for_each_replica(fn, args=args)
            return tf.constant(True)

        tf.cond(condition, run, skip)

    tf.distribute.get_replica_context().merge_call(
        merge_fn, args=(condition,) + tuple(args)
    )
