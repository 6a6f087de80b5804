"""Schedules of the training step, for what R3GAN schedules.

Huang et al. 2024 (R3GAN, https://arxiv.org/abs/2501.05441) change five
things over training: the learning rate, Adam's β₂, the penalty weight γ,
the EMA's half-life and the augmentation probability, each on a cosine
from a start to an end value. The schedules here follow Keras's
`keras.optimizers.schedules.LearningRateSchedule` pattern (they are such
schedules: callable on a step, serializable with `get_config`), so each
works wherever Keras takes a learning-rate schedule, and:

- `penalties.R1Penalty(weight=schedule)` (any penalty's `weight`);
- `GAN(ema_decay=schedule)`, e.g. `HalfLifeDecay`, R3GAN's EMA given as
  a half-life in images;
- `keras_gan_losses.optimizers.Adam(beta_2=schedule)`.

The penalties and the EMA read the GAN's step: the number of generator
updates so far (`g_optimizer.iterations`); an optimizer's schedules
read its own `iterations`, as Keras does. Both counters are optimizer
variables, saved in `.keras` files and by `BackupAndRestore`, so a
resumed run continues the schedules where they were.
"""

import math

import keras
from keras import ops

from keras_gan_losses.utils.checks import positive_int

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class CosineSchedule(LearningRateSchedule):
    r"""From `initial_value` to `final_value` on a half cosine, then flat.

    Formula:

    $$
    v(t) = v_0 + (v_1 - v_0)\,\frac{1 - \cos(\pi \min(t, T) / T)}{2}
    $$

    R3GAN's `cosine_decay_with_warmup` without warm-up or hold (which its
    presets do not use), in steps rather than images (R3GAN's
    `total_nimg` divided by its batch size). The value may rise as well
    as fall (Adam's β₂ goes from 0.9 to 0.99) and may start at 0 (the
    EMA's half-life does). For `initial_value` ≠ 0 it equals
    `keras.optimizers.schedules.CosineDecay(initial_value, decay_steps,
    alpha=final_value / initial_value)`, which cannot start at 0.

    Args:
        initial_value (float): The value at step 0.
        final_value (float): The value from step `decay_steps` on.
        decay_steps (int): Positive int, the steps the cosine takes.
        name (str | None): Optional name.

    Example:

    >>> gamma = CosineSchedule(1.0, 0.1, decay_steps=1000)
    >>> [round(float(gamma(step)), 4) for step in (0, 500, 1000, 5000)]
    [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(self, initial_value, final_value, decay_steps, name=None):
        super().__init__()
        self.initial_value = _finite("initial_value", initial_value)
        self.final_value = _finite("final_value", final_value)
        self.decay_steps = positive_int("decay_steps", decay_steps)
        self.name = name

    def __call__(self, step):
        step = ops.minimum(ops.cast(step, "float32"),
                           float(self.decay_steps))
        cosine = 0.5 * (1.0 + ops.cos(math.pi * step / self.decay_steps))
        return self.initial_value + (1.0 - cosine) * (
            self.final_value - self.initial_value
        )

    def get_config(self):
        return {"initial_value": self.initial_value,
                "final_value": self.final_value,
                "decay_steps": self.decay_steps, "name": self.name}


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class HalfLifeDecay(LearningRateSchedule):
    r"""An EMA decay given as a half-life in images, as R3GAN gives it.

    Formula:

    $$
    \beta(t) = 0.5^{\,b / \max(h(t),\, 10^{-8})}
    $$

    with `b` the batch size and `h(t)` the half-life in images at step
    `t`: after `h` images (`h / b` steps) a weight's old value counts for
    half. A half-life of 0 gives β = 0 (the average copies the weights),
    as R3GAN's schedule from 0 does at the start. Pass it as
    `GAN(ema_decay=HalfLifeDecay(...))`.

    Args:
        half_life (float | LearningRateSchedule): Non-negative float, the
            half-life in images, or a schedule of it (e.g.
            `CosineSchedule(0, 500_000, decay_steps)`).
        batch_size (int): Positive int, images per step (the global
            batch).
        name (str | None): Optional name.

    Example:

    >>> ema = HalfLifeDecay(640.0, batch_size=64)   # 10 steps
    >>> round(float(ema(0)) ** 10, 6)
    0.5
    """

    def __init__(self, half_life, batch_size, name=None):
        super().__init__()
        if isinstance(half_life, dict):
            half_life = keras.saving.deserialize_keras_object(half_life)
        if not isinstance(half_life, LearningRateSchedule):
            half_life = _finite("half_life", half_life)
            if half_life < 0:
                raise ValueError(
                    "`half_life` must be non-negative (images). Received: "
                    f"half_life={half_life}"
                )
        self.half_life = half_life
        self.batch_size = positive_int("batch_size", batch_size)
        self.name = name

    def __call__(self, step):
        half_life = ops.cast(value_at(self.half_life, step), "float32")
        return ops.power(0.5, self.batch_size / ops.maximum(half_life, 1e-8))

    def get_config(self):
        half_life = self.half_life
        if isinstance(half_life, LearningRateSchedule):
            half_life = keras.saving.serialize_keras_object(half_life)
        return {"half_life": half_life, "batch_size": self.batch_size,
                "name": self.name}


def is_schedule(value):
    """Whether `value` is a schedule of the step (a Keras
    `LearningRateSchedule`, as every schedule of this module is)."""
    return isinstance(value, LearningRateSchedule)


def value_at(value, step):
    """`value(step)` for a schedule, `value` itself for a number."""
    if is_schedule(value):
        return value(step)
    return value


def deserialize_value(value):
    """A number as is, a serialized schedule rebuilt (for `from_config`)."""
    if isinstance(value, dict):
        return keras.saving.deserialize_keras_object(value)
    return value


def serialize_value(value):
    """A number as is, a schedule serialized (for `get_config`)."""
    if is_schedule(value):
        return keras.saving.serialize_keras_object(value)
    return value


def _finite(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise ValueError(
            f"`{name}` must be a finite number. Received: {name}={value!r}"
        )
    return float(value)


__all__ = [
    "CosineSchedule",
    "HalfLifeDecay",
    "is_schedule",
    "value_at",
]
