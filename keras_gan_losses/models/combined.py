"""The losses of a GAN slot (`d_loss` or `g_loss`): one loss or a weighted
list of them, each checked for its role and given its own log key, and the
discriminator features that `FeatureMatchingGeneratorLoss` compares."""

import collections
import inspect
import math
import numbers

import keras

from keras_gan_losses import losses as losses_module
from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.feature_matching import (
    FeatureMatchingGeneratorLoss,
)
from keras_gan_losses.models.adversarial import check_from_logits

#: One loss of a slot: its log key (`None` for a slot's only loss), the
#: loss object and its weight.
LossTerm = collections.namedtuple("LossTerm", ["key", "loss", "weight"])

_ROLES = {"d_loss": DISCRIMINATOR, "g_loss": GENERATOR}
_SUFFIXES = {"d_loss": "_discriminator_loss", "g_loss": "_generator_loss"}


def needs_features(loss):
    """Whether the loss compares discriminator features, not logits."""
    return isinstance(loss, FeatureMatchingGeneratorLoss)


def component_key(slot, loss):
    """The log key of a loss in a combined slot: `<slot>_<name>`, the
    loss's `name` without a trailing `_discriminator_loss`,
    `_generator_loss` or `_loss` (e.g. `d_loss_wasserstein`,
    `g_loss_feature_matching`, `d_loss_binary_crossentropy`)."""
    name = loss.name
    for suffix in (_SUFFIXES[slot], "_loss"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return f"{slot}_{name}"


def _weights(slot, weights, count):
    """The weights as floats, one per loss, 1.0 each by default."""
    name = f"{slot}_weights"
    if weights is None:
        return [1.0] * count
    if not isinstance(weights, (list, tuple)):
        raise TypeError(
            f"`{name}` must be a list of numbers, one per loss in `{slot}`. "
            f"Received: {name}={weights!r}"
        )
    if len(weights) != count:
        raise ValueError(
            f"`{name}` must have one weight per loss in `{slot}`: {count} "
            f"loss(es), {len(weights)} weight(s). Received: {name}={weights!r}"
        )
    checked = []
    for index, weight in enumerate(weights):
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(
                f"`{name}[{index}]` must be a number. Received: {weight!r} "
                f"(of type {type(weight).__name__})"
            )
        if not math.isfinite(float(weight)):
            raise ValueError(
                f"`{name}[{index}]` must be a finite number. Received: "
                f"{weight!r}"
            )
        checked.append(float(weight))
    return checked


def resolve_slot(slot, identifiers, weights, discriminator_activation):
    """Resolves a slot's loss (or list of losses) and weights.

    Args:
        slot (str): `"d_loss"` or `"g_loss"`.
        identifiers: A loss identifier (see `losses.get`) or a list of them.
        weights (list | None): One number per loss, or `None` (1.0 each).
        discriminator_activation (str | None): The discriminator's output
            activation, for the `from_logits` check of each loss.

    Returns:
        tuple: `(losses, terms)`: the loss objects, in the structure given
        (one object, or a list), and the list of `LossTerm`s.

    Raises:
        TypeError: for a loss of the other role, or weights that are not
            numbers.
        ValueError: for an empty list, a count of weights that does not
            match, a non-finite weight, a loss that does not reduce to a
            scalar, a probability loss on logits, or two losses with the
            same log key.
    """
    role = _ROLES[slot]
    is_list = isinstance(identifiers, (list, tuple))
    items = list(identifiers) if is_list else [identifiers]
    if not items:
        raise ValueError(f"`{slot}` is an empty list: give at least one loss.")
    weights = _weights(slot, weights, len(items))
    resolved = []
    for index, identifier in enumerate(items):
        label = f"{slot}[{index}]" if is_list else slot
        loss = losses_module.get(identifier, role=role)
        check_from_logits(loss, label, discriminator_activation)
        if getattr(loss, "reduction", "sum_over_batch_size") in (
            None, "none"
        ):
            raise ValueError(
                f"`{label}` must reduce to a scalar, but it has "
                f"reduction={loss.reduction!r}. Use the default "
                "'sum_over_batch_size'."
            )
        resolved.append(loss)
    if len(resolved) == 1:
        terms = [LossTerm(None, resolved[0], weights[0])]
    else:
        terms = [LossTerm(component_key(slot, loss), loss, weight)
                 for loss, weight in zip(resolved, weights, strict=True)]
        keys = [term.key for term in terms]
        for term in terms:
            if keys.count(term.key) > 1:
                raise ValueError(
                    f"Each loss in `{slot}` needs its own log key, but "
                    f"{term.key!r} is used twice. Pass `name=` to tell them "
                    f"apart, e.g. {type(term.loss).__name__}(name="
                    f"'{term.loss.name}_2')."
                )
    return (resolved if is_list else resolved[0]), terms


def _layer_names(discriminator):
    return [layer.name for layer in getattr(discriminator, "layers", [])]


def feature_network(discriminator, layer):
    """A network `f(inputs, training=False)` giving the features of
    `inputs` (images, or `[images, labels]`) at the discriminator's layer
    `layer`, sharing the discriminator's weights.

    A discriminator with a `features(inputs, layer, training=False)`
    method is asked through it; a Sequential or functional one gets a
    feature model `keras.Model(discriminator.inputs,
    discriminator.get_layer(layer).output)`.

    Raises:
        TypeError: for a subclassed discriminator without `features`.
        ValueError: if the discriminator has no layer `layer` (the message
            lists its layers), or the layer has no single output.
    """
    features = getattr(discriminator, "features", None)
    if inspect.ismethod(features):

        def network(inputs, training=False):
            return features(inputs, layer, training=training)

        return network
    try:
        inputs = discriminator.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise TypeError(
            f"FeatureMatchingGeneratorLoss(layer={layer!r}) needs the "
            "discriminator's intermediate outputs, but "
            f"{type(discriminator).__name__} is a subclassed model. Build it "
            "as a Sequential or functional model, or give it a method "
            "`features(self, inputs, layer, training=False)` returning the "
            "features of `inputs` at `layer`."
        )
    try:
        target = discriminator.get_layer(layer)
    except ValueError:
        raise ValueError(
            f"FeatureMatchingGeneratorLoss(layer={layer!r}): the "
            f"discriminator has no layer {layer!r}. Its layers are: "
            f"{_layer_names(discriminator)}"
        ) from None
    try:
        output = target.output
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"FeatureMatchingGeneratorLoss(layer={layer!r}): the layer has "
            f"no single output in the discriminator ({error})."
        ) from None
    if len(inputs) == 1:
        # Called with a tensor, not a list of one (as the discriminator).
        inputs = inputs[0]
    return keras.Model(inputs, output, name=f"{layer}_features")
