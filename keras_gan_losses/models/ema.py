"""An exponential moving average of a generator's weights."""

import keras
import tensorflow as tf


def clone_generator(generator):
    """A copy of `generator` with its own variables and the same values."""
    try:
        clone = keras.models.clone_model(generator)
    except Exception as error:  # noqa: BLE001 - re-raised with context
        raise ValueError(
            "`ema_decay` needs a copy of the generator, but "
            f"keras.models.clone_model failed on it: {error}. Give a "
            "subclassed generator a `get_config()`."
        ) from error
    clone.set_weights(generator.get_weights())
    clone.trainable = False
    return clone


def update_ema(ema_model, model, decay):
    """`ema ← decay · ema + (1 − decay) · w` for the trainable weights;
    the non-trainable ones (e.g. batch-norm statistics) are copied.

    Runs in a cross-replica context through `merge_call`, as an optimizer
    update does, so that it works inside `tf.distribute` replica functions
    (the mirrored weights are identical on every replica).
    """
    pairs = list(zip(ema_model.weights, model.weights))

    def merge_fn(strategy):
        for ema_var, var in pairs:
            rate = (1.0 - decay) if var.trainable else 1.0

            def assign(target, value, rate=rate):
                value = tf.cast(value, target.dtype)
                return target.assign_sub(
                    tf.cast(rate, target.dtype) * (target - value)
                )

            strategy.extended.update(
                ema_var.value, assign, args=(var.value,), group=False
            )

    tf.distribute.get_replica_context().merge_call(merge_fn)
