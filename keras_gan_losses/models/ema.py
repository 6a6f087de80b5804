"""An exponential moving average of a generator's weights."""

import keras

from keras_gan_losses import backend


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

    Under `tf.distribute` it runs in a cross-replica context, as an
    optimizer update does, so that it works inside replica functions (the
    mirrored weights are identical on every replica; see
    `backend.update_averages`).
    """
    pairs = list(zip(ema_model.weights, model.weights))
    rates = [(1.0 - decay) if var.trainable else 1.0 for _, var in pairs]
    backend.update_averages(pairs, rates)
