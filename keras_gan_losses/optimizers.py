"""`Adam` whose β₁ and β₂ may be schedules of the step.

R3GAN (Huang et al. 2024) raises Adam's β₂ from 0.9 to 0.99 on a cosine
over training. Keras's `Adam` reads `beta_1` and `beta_2` as constants
when its update is traced, so changing them during `fit` has no effect;
this subclass reads them from schedules of its own `iterations` at every
update, which is exact and is saved with the optimizer (its config holds
the schedules, its `iterations` variable the step).
"""

import keras

from keras_gan_losses import schedules


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class Adam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` with optional schedules for `beta_1` and
    `beta_2`.

    A float behaves exactly as in Keras. A schedule
    (`keras.optimizers.schedules.LearningRateSchedule`, e.g.
    `keras_gan_losses.schedules.CosineSchedule(0.9, 0.99, steps)`) is
    evaluated at the optimizer's `iterations` before each update, as a
    learning-rate schedule is: update `t` (counted from 0) uses
    `beta_2(t)` both in the moving average of the squared gradients and
    in its bias correction `1 - beta_2(t) ** (t + 1)`, as PyTorch's Adam
    does when R3GAN changes its `betas` between steps. (Keras adds
    `epsilon` to the bias-corrected root as in the Adam paper's
    "epsilon hat", PyTorch to the root divided by the correction; the two
    differ by that correction's square root, which reaches 1 after a few
    hundred steps.)

    Args:
        learning_rate (float | LearningRateSchedule): As in Keras.
        beta_1 (float | LearningRateSchedule): The decay of the first
            moment, a float in [0, 1) or a schedule of the step.
        beta_2 (float | LearningRateSchedule): The decay of the second
            moment, a float in [0, 1) or a schedule of the step.
        **kwargs (Any): The other arguments of `keras.optimizers.Adam`
            (`epsilon`, `amsgrad`, `clipnorm`, `name`, ...).

    Example:

    ```python
    steps = 10_000
    optimizer = keras_gan_losses.optimizers.Adam(
        keras_gan_losses.schedules.CosineSchedule(2e-4, 5e-5, steps),
        beta_1=0.0,
        beta_2=keras_gan_losses.schedules.CosineSchedule(0.9, 0.99, steps),
    )
    ```
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                 **kwargs):
        beta_1 = schedules.deserialize_value(beta_1)
        beta_2 = schedules.deserialize_value(beta_2)
        for name, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not schedules.is_schedule(value) and not (
                isinstance(value, (int, float))
                and not isinstance(value, bool) and 0.0 <= value < 1.0
            ):
                raise ValueError(
                    f"`{name}` must be a float in [0, 1) or a "
                    "LearningRateSchedule. Received: "
                    f"{name}={value!r}"
                )
        super().__init__(learning_rate=learning_rate, beta_1=beta_1,
                         beta_2=beta_2, **kwargs)

    # Keras's update reads `self.beta_1` and `self.beta_2`: as properties
    # they give the schedules' values at the current step.
    @property
    def beta_1(self):
        return schedules.value_at(self._beta_1, self.iterations)

    @beta_1.setter
    def beta_1(self, value):
        self._beta_1 = value

    @property
    def beta_2(self):
        return schedules.value_at(self._beta_2, self.iterations)

    @beta_2.setter
    def beta_2(self, value):
        self._beta_2 = value

    def get_config(self):
        config = super().get_config()
        config["beta_1"] = schedules.serialize_value(self._beta_1)
        config["beta_2"] = schedules.serialize_value(self._beta_2)
        return config


__all__ = ["Adam"]
