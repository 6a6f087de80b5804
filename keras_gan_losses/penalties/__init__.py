"""Discriminator penalties: WGAN-GP, R1/R2, DRAGAN and the MMD GAN witness
gradient penalty.

Pass them as `GAN.compile(..., penalties=[...])`; each is added to the
discriminator's loss and logged under its `name`.
"""

import keras

from keras_gan_losses.penalties.base import Penalty
from keras_gan_losses.penalties.dragan import DRAGANPenalty
from keras_gan_losses.penalties.gradient_penalty import GradientPenalty
from keras_gan_losses.penalties.gradient_penalty import gradient_norm_penalty
from keras_gan_losses.penalties.r1 import R1Penalty
from keras_gan_losses.penalties.r1 import R2Penalty
from keras_gan_losses.penalties.witness import WitnessGradientPenalty

ALL_OBJECTS = {
    GradientPenalty,
    R1Penalty,
    R2Penalty,
    DRAGANPenalty,
    WitnessGradientPenalty,
}

#: String names accepted by `get` and `GAN.compile(penalties=[...])`.
NAMES = {
    "gradient_penalty": GradientPenalty,
    "wgan_gp": GradientPenalty,
    "r1": R1Penalty,
    "r1_penalty": R1Penalty,
    "r2": R2Penalty,
    "r2_penalty": R2Penalty,
    "dragan": DRAGANPenalty,
    "dragan_penalty": DRAGANPenalty,
    "witness_gradient_penalty": WitnessGradientPenalty,
    "mmd_gp": WitnessGradientPenalty,
}


def serialize(penalty):
    """Serializes a penalty to a config dict."""
    return keras.saving.serialize_keras_object(penalty)


def deserialize(config, custom_objects=None):
    """Rebuilds a penalty from `serialize`'s output."""
    return keras.saving.deserialize_keras_object(
        config, custom_objects=custom_objects
    )


def get(identifier):
    """Resolves a penalty identifier to a `Penalty` instance.

    Args:
        identifier (Penalty | str | dict): A `Penalty` instance, a string name
            (see `NAMES`, or a class name), a `Penalty` subclass or a config
            dict.

    Returns:
        keras.losses.Loss: A `Penalty` instance.

    Raises:
        ValueError: if a string names no known penalty.
        TypeError: if the identifier is not a penalty.
    """
    if isinstance(identifier, Penalty):
        return identifier
    if isinstance(identifier, dict):
        penalty = deserialize(identifier)
        if isinstance(penalty, Penalty):
            return penalty
    if isinstance(identifier, type) and issubclass(identifier, Penalty):
        return identifier()
    if isinstance(identifier, str):
        by_name = dict(NAMES)
        by_name.update({cls.__name__: cls for cls in ALL_OBJECTS})
        key = identifier.strip()
        cls = by_name.get(key) or by_name.get(key.lower())
        if cls is None:
            raise ValueError(
                f"Unknown penalty {identifier!r}. Known names: "
                f"{sorted(NAMES)}."
            )
        return cls()
    raise TypeError(
        "A penalty must be a keras_gan_losses.penalties.Penalty instance, a "
        f"string name or a config dict. Received: {identifier!r} (of type "
        f"{type(identifier).__name__})"
    )


__all__ = [
    "Penalty",
    "GradientPenalty",
    "R1Penalty",
    "R2Penalty",
    "DRAGANPenalty",
    "WitnessGradientPenalty",
    "gradient_norm_penalty",
    "get",
    "serialize",
    "deserialize",
    "ALL_OBJECTS",
    "NAMES",
]
