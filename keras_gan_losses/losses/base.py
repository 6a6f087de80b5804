"""The base class of every GAN loss object."""

from collections.abc import Callable

import keras

DISCRIMINATOR = "discriminator"
GENERATOR = "generator"


class GANLoss(keras.losses.Loss):
    """Base class of the GAN losses: `loss(real_logits, fake_logits)`.

    Both roles, discriminator and generator, take the same two arguments:
    the raw discriminator outputs (logits, never passed through a sigmoid)
    on a batch of real data and on a batch of generated data. A generator
    loss that does not depend on `real_logits` accepts and ignores them,
    so that the relativistic losses fit the same slot and `GAN.train_step`
    calls every loss the same way.

    Subclasses wrap a functional twin `fn(real_logits, fake_logits, **kwargs)`
    that returns one value per example; this class applies `sample_weight`,
    the reduction and, under `tf.distribute`, the division by the number of
    replicas, exactly as Keras's own loss objects do.

    Args:
        fn (Callable): The per-example loss function.
        role (str): `"discriminator"` or `"generator"`; `GAN.compile` refuses a
            loss in the other role's slot.
        reduction (str): Type of reduction to apply to the per-example values.
        name (str | None): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations.
        **kwargs (float): Hyperparameters passed on to `fn` as keywords,
            kept as public attributes of the same names (e.g.
            `loss.label_smoothing`) and saved in the config.
    """

    role = None
    #: Whether the loss reads `real_logits` (the generator step skips the
    #: discriminator's pass on real data when it does not).
    needs_real_logits = True

    def __init__(
        self,
        fn: Callable,
        role: str,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: "str | keras.DTypePolicy | None" = None,
        **kwargs: float,
    ) -> None:
        if role not in (DISCRIMINATOR, GENERATOR):
            raise ValueError(
                "`role` must be 'discriminator' or 'generator'. "
                f"Received: role={role!r}"
            )
        super().__init__(
            name=name or fn.__name__, reduction=reduction, dtype=dtype
        )
        self.fn = fn
        self.role = role
        self._explicit_dtype = dtype
        self._set_hyperparameters(kwargs)

    def _set_hyperparameters(self, hyperparameters):
        clashes = sorted(key for key in hyperparameters if hasattr(self, key))
        if clashes:
            raise ValueError(
                f"Hyperparameter names {clashes} clash with attributes of "
                f"{type(self).__name__}; rename the keyword argument of the "
                "loss function."
            )
        for key, value in hyperparameters.items():
            setattr(self, key, value)
        self._hyperparameter_names = tuple(hyperparameters)

    @property
    def hyperparameters(self) -> dict:
        """The hyperparameters passed on to `fn`, by name (a new dict)."""
        return {key: getattr(self, key) for key in self._hyperparameter_names}

    def __call__(self, real_logits, fake_logits, sample_weight=None):
        """Computes the reduced loss.

        Args:
            real_logits (Tensor): Discriminator outputs on real data, shape
                `(batch,)`, `(batch, 1)` or `(batch, h, w, 1)`.
            fake_logits (Tensor): Discriminator outputs on generated data, same
                shape.
            sample_weight (Tensor | None): Optional per-example weights, shape
                `(batch,)`.

        Returns:
            Tensor: The loss, reduced as `reduction` says.
        """
        return super().__call__(
            real_logits, fake_logits, sample_weight=sample_weight
        )

    def call(self, real_logits, fake_logits):
        return self.fn(real_logits, fake_logits, **self.hyperparameters)

    def get_config(self):
        config = super().get_config()
        if self._explicit_dtype is not None:
            config["dtype"] = keras.saving.serialize_keras_object(
                self._explicit_dtype
            )
        config.update(self.hyperparameters)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.saving.deserialize_keras_object(
                config["dtype"]
            )
        return cls(**config)
