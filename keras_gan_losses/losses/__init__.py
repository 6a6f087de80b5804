"""GAN loss objects and their per-example functional twins.

Every class is a `keras.losses.Loss` called as `loss(real_logits,
fake_logits)`; every function returns per-example values.
"""

import keras

from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.losses.feature_matching import (
    FeatureMatchingGeneratorLoss,
)
from keras_gan_losses.losses.feature_matching import (
    feature_matching_generator_loss,
)
from keras_gan_losses.losses.hinge import HingeDiscriminatorLoss
from keras_gan_losses.losses.hinge import HingeGeneratorLoss
from keras_gan_losses.losses.hinge import hinge_discriminator_loss
from keras_gan_losses.losses.hinge import hinge_generator_loss
from keras_gan_losses.losses.least_squares import LeastSquaresDiscriminatorLoss
from keras_gan_losses.losses.least_squares import LeastSquaresGeneratorLoss
from keras_gan_losses.losses.least_squares import (
    least_squares_discriminator_loss,
)
from keras_gan_losses.losses.least_squares import least_squares_generator_loss
from keras_gan_losses.losses.minimax import MinimaxDiscriminatorLoss
from keras_gan_losses.losses.minimax import MinimaxGeneratorLoss
from keras_gan_losses.losses.minimax import NonSaturatingGeneratorLoss
from keras_gan_losses.losses.minimax import minimax_discriminator_loss
from keras_gan_losses.losses.minimax import minimax_generator_loss
from keras_gan_losses.losses.minimax import non_saturating_generator_loss
from keras_gan_losses.losses.mmd import MMDDiscriminatorLoss
from keras_gan_losses.losses.mmd import MMDGeneratorLoss
from keras_gan_losses.losses.mmd import maximum_mean_discrepancy
from keras_gan_losses.losses.mmd import mmd_discriminator_loss
from keras_gan_losses.losses.mmd import mmd_generator_loss
from keras_gan_losses.losses.perceptual import PerceptualLoss
from keras_gan_losses.losses.relativistic import (
    RelativisticAverageDiscriminatorLoss,
)
from keras_gan_losses.losses.relativistic import (
    RelativisticAverageGeneratorLoss,
)
from keras_gan_losses.losses.relativistic import (
    relativistic_average_discriminator_loss,
)
from keras_gan_losses.losses.relativistic import (
    relativistic_average_generator_loss,
)
from keras_gan_losses.losses.relativistic_pairing import (
    RelativisticPairingDiscriminatorLoss,
)
from keras_gan_losses.losses.relativistic_pairing import (
    RelativisticPairingGeneratorLoss,
)
from keras_gan_losses.losses.relativistic_pairing import (
    relativistic_pairing_discriminator_loss,
)
from keras_gan_losses.losses.relativistic_pairing import (
    relativistic_pairing_generator_loss,
)
from keras_gan_losses.losses.wasserstein import WassersteinDiscriminatorLoss
from keras_gan_losses.losses.wasserstein import WassersteinGeneratorLoss
from keras_gan_losses.losses.wasserstein import wasserstein_discriminator_loss
from keras_gan_losses.losses.wasserstein import wasserstein_generator_loss

ALL_OBJECTS = {
    # Minimax and non-saturating (Goodfellow et al. 2014)
    MinimaxDiscriminatorLoss,
    MinimaxGeneratorLoss,
    NonSaturatingGeneratorLoss,
    # Least squares (Mao et al. 2017)
    LeastSquaresDiscriminatorLoss,
    LeastSquaresGeneratorLoss,
    # Wasserstein (Arjovsky et al. 2017)
    WassersteinDiscriminatorLoss,
    WassersteinGeneratorLoss,
    # Hinge (Lim & Ye 2017)
    HingeDiscriminatorLoss,
    HingeGeneratorLoss,
    # Relativistic average (Jolicoeur-Martineau 2018)
    RelativisticAverageDiscriminatorLoss,
    RelativisticAverageGeneratorLoss,
    # Relativistic pairing (Jolicoeur-Martineau 2018; R3GAN, Huang et al.
    # 2024)
    RelativisticPairingDiscriminatorLoss,
    RelativisticPairingGeneratorLoss,
    # Feature matching (Salimans et al. 2016), on discriminator features
    FeatureMatchingGeneratorLoss,
    # Maximum mean discrepancy (Li et al. 2017, Bińkowski et al. 2018)
    MMDDiscriminatorLoss,
    MMDGeneratorLoss,
}

#: Classes that need arguments (no string name, no instance by class).
_NEED_ARGUMENTS = {FeatureMatchingGeneratorLoss: "layer='conv2'"}

#: String names, as `compile(d_loss=..., g_loss=...)` takes them, per role.
NAMES = {
    "minimax": (MinimaxDiscriminatorLoss, MinimaxGeneratorLoss),
    "non_saturating": (MinimaxDiscriminatorLoss, NonSaturatingGeneratorLoss),
    "least_squares": (
        LeastSquaresDiscriminatorLoss,
        LeastSquaresGeneratorLoss,
    ),
    "wasserstein": (WassersteinDiscriminatorLoss, WassersteinGeneratorLoss),
    "hinge": (HingeDiscriminatorLoss, HingeGeneratorLoss),
    "relativistic_average": (
        RelativisticAverageDiscriminatorLoss,
        RelativisticAverageGeneratorLoss,
    ),
    "relativistic_pairing": (
        RelativisticPairingDiscriminatorLoss,
        RelativisticPairingGeneratorLoss,
    ),
    "mmd": (MMDDiscriminatorLoss, MMDGeneratorLoss),
}

_FUNCTIONS = {
    minimax_discriminator_loss: MinimaxDiscriminatorLoss,
    minimax_generator_loss: MinimaxGeneratorLoss,
    non_saturating_generator_loss: NonSaturatingGeneratorLoss,
    least_squares_discriminator_loss: LeastSquaresDiscriminatorLoss,
    least_squares_generator_loss: LeastSquaresGeneratorLoss,
    wasserstein_discriminator_loss: WassersteinDiscriminatorLoss,
    wasserstein_generator_loss: WassersteinGeneratorLoss,
    hinge_discriminator_loss: HingeDiscriminatorLoss,
    hinge_generator_loss: HingeGeneratorLoss,
    relativistic_average_discriminator_loss: (
        RelativisticAverageDiscriminatorLoss
    ),
    relativistic_average_generator_loss: RelativisticAverageGeneratorLoss,
    relativistic_pairing_discriminator_loss: (
        RelativisticPairingDiscriminatorLoss
    ),
    relativistic_pairing_generator_loss: RelativisticPairingGeneratorLoss,
    mmd_discriminator_loss: MMDDiscriminatorLoss,
    mmd_generator_loss: MMDGeneratorLoss,
}

_ROLES = (DISCRIMINATOR, GENERATOR)


def serialize(loss: keras.losses.Loss) -> dict:
    """Serializes a loss object to a config dict (`keras.losses.serialize`)."""
    return keras.saving.serialize_keras_object(loss)


def deserialize(
    config: dict, custom_objects: dict | None = None
) -> keras.losses.Loss:
    """Rebuilds a loss object from `serialize`'s output."""
    return keras.saving.deserialize_keras_object(
        config, custom_objects=custom_objects
    )


def get(identifier, role: str | None = None) -> keras.losses.Loss:
    """Resolves a loss identifier to a loss object for a role.

    Args:
        identifier (str | dict | object): A loss object (one of ours or any
            `keras.losses.Loss`, which is then applied with the label convention
            real → 1, fake → 0 for the discriminator and fake → 1 for the
            generator), a string name (`"minimax"`, `"non_saturating"`,
            `"least_squares"`, `"wasserstein"`, `"hinge"`,
            `"relativistic_average"`, `"relativistic_pairing"`, `"mmd"`,
            or a class or function name of this module), a GAN loss
            class, one of this module's functions, or a config dict from
            `serialize`.
        role (str | None): `"discriminator"`, `"generator"` or `None` (no role
            check; a family name then cannot be resolved).

    Returns:
        keras.losses.Loss: A `keras.losses.Loss` instance.

    Raises:
        TypeError: if a loss of the other role is given, or the identifier
            is of a kind that cannot be a GAN loss.
        ValueError: if a string names no known loss.
    """
    if role is not None and role not in _ROLES:
        raise ValueError(
            f"`role` must be one of {_ROLES} or None. Received: role={role!r}"
        )
    loss = _resolve(identifier, role)
    if isinstance(loss, GANLoss) and role is not None and loss.role != role:
        slot = "d_loss" if role == DISCRIMINATOR else "g_loss"
        raise TypeError(
            f"`{slot}` must be a {role} loss, but "
            f"{type(loss).__name__} is a {loss.role} loss. "
            "Did you swap `d_loss` and `g_loss`?"
        )
    return loss


def _resolve(identifier, role):
    if isinstance(identifier, keras.losses.Loss):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, GANLoss):
        return _instance(identifier)
    if callable(identifier) and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    if isinstance(identifier, str):
        key = identifier.strip().lower()
        if key in NAMES:
            if role is None:
                raise ValueError(
                    f"The loss name {identifier!r} names a pair; pass "
                    "`role='discriminator'` or `role='generator'`."
                )
            return NAMES[key][_ROLES.index(role)]()
        by_name = {cls.__name__: cls for cls in ALL_OBJECTS}
        by_name.update({fn.__name__: cls for fn, cls in _FUNCTIONS.items()})
        if identifier in by_name:
            return _instance(by_name[identifier])
        raise ValueError(
            f"Unknown GAN loss {identifier!r}. Known names: "
            f"{sorted(NAMES)}, or a class name of keras_gan_losses.losses. "
            "For a plain Keras loss pass an instance, e.g. "
            "keras.losses.BinaryCrossentropy(from_logits=True)."
        )
    raise TypeError(
        "A GAN loss must be a keras.losses.Loss instance, a string name, a "
        "keras_gan_losses loss class or function, or a config dict. "
        f"Received: {identifier!r} (of type {type(identifier).__name__}). "
        "To use your own function, wrap it in "
        "keras_gan_losses.losses.GANLoss(fn, role=...)."
    )


def _instance(cls):
    if cls in _NEED_ARGUMENTS:
        raise ValueError(
            f"{cls.__name__} needs arguments: pass an instance, e.g. "
            f"{cls.__name__}({_NEED_ARGUMENTS[cls]})."
        )
    return cls()


__all__ = [
    "GANLoss",
    "MinimaxDiscriminatorLoss",
    "MinimaxGeneratorLoss",
    "NonSaturatingGeneratorLoss",
    "LeastSquaresDiscriminatorLoss",
    "LeastSquaresGeneratorLoss",
    "WassersteinDiscriminatorLoss",
    "WassersteinGeneratorLoss",
    "HingeDiscriminatorLoss",
    "HingeGeneratorLoss",
    "RelativisticAverageDiscriminatorLoss",
    "RelativisticAverageGeneratorLoss",
    "RelativisticPairingDiscriminatorLoss",
    "RelativisticPairingGeneratorLoss",
    "FeatureMatchingGeneratorLoss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "non_saturating_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "relativistic_average_discriminator_loss",
    "relativistic_average_generator_loss",
    "relativistic_pairing_discriminator_loss",
    "relativistic_pairing_generator_loss",
    "feature_matching_generator_loss",
    "MMDDiscriminatorLoss",
    "MMDGeneratorLoss",
    "mmd_discriminator_loss",
    "mmd_generator_loss",
    "maximum_mean_discrepancy",
    "PerceptualLoss",
    "get",
    "serialize",
    "deserialize",
    "ALL_OBJECTS",
    "NAMES",
]
