"""The base class of the discriminator penalties."""

from keras import ops

from keras_gan_losses import backend
from keras_gan_losses import schedules
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.conditional import call_network
from keras_gan_losses.utils.shapes import compatible


def input_gradients(discriminator, images, conditioning=None,
                    training=True):
    """Gradients of the summed discriminator output with respect to images.

    Each example's output depends only on its own input (no batch
    statistics in the discriminator), so the gradient of the sum is the
    per-example gradient. The result is differentiable again for the
    outer discriminator update (`backend.input_gradients`: a nested
    `tf.GradientTape`, `jax.grad` or `torch.autograd.grad` with
    `create_graph=True`).

    Returns:
        A tensor shaped like `images`, in float32.
    """
    grads = backend.input_gradients(
        # The penalties differentiate with respect to `images` only.
        lambda x: call_network(discriminator, x, conditioning,
                               training=training),
        images,
    )
    return ops.cast(grads, "float32")


def squared_norm_per_example(values):
    """Squared L2 norm over every axis but the batch axis."""
    axes = tuple(range(1, len(values.shape)))
    if not axes:
        return ops.square(values)
    return ops.sum(ops.square(values), axis=axes)


def uniform_per_example(images, seed=None):
    """One U(0, 1) draw per example, shaped `(batch, 1, ..., 1)`."""
    return backend.uniform(images, seed, per_example=True)


class Penalty:
    """Base class of the discriminator penalties.

    A penalty is a regulariser of the discriminator that needs the
    discriminator itself, not just its outputs, so it is not a
    `keras.losses.Loss`. `GAN.compile(penalties=[...])` adds each one to the
    discriminator's loss and logs it under its `name`.

    Subclasses implement `call(discriminator, real, fake, seed, conditioning)`
    returning the unweighted per-example penalty, shape `(batch,)`;
    `__call__` returns `weight` times its mean over the batch.

    A subclass that also needs the discriminator's outputs on `real` and
    `fake` sets the class attribute `uses_outputs = True`; its `call` then
    takes an `outputs` argument, the pair `(D(real), D(fake))` that the
    caller already computed, or `None` to compute them itself. `GAN`
    passes the outputs its loss computed in the same training update, so
    the discriminator does not run on the same batches twice.

    Args:
        weight (float | LearningRateSchedule): Non-negative float, the
            penalty's coefficient, or a schedule of the training step
            (e.g. `schedules.CosineSchedule(1.0, 0.1, decay_steps)`, as
            R3GAN decays its γ), which `GAN` evaluates at its step (the
            number of generator updates so far).
        name (str): The penalty's name, also its log key.
    """

    #: Whether `call` takes the discriminator's outputs on `real` and
    #: `fake` (`outputs=`), to reuse those the loss computed.
    uses_outputs = False

    def __init__(self, weight=10.0, name="penalty"):
        weight = schedules.deserialize_value(weight)
        if not schedules.is_schedule(weight):
            weight = check_number("weight", weight, low=0.0)
        self.weight = weight
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"`name` must be a non-empty string. Received: name={name!r}"
            )
        self.name = name

    def weight_at(self, step=None):
        """The weight at training step `step`: `weight` itself, or the
        schedule's value (which needs the step).

        Raises:
            ValueError: for a scheduled weight without a step.
        """
        if not schedules.is_schedule(self.weight):
            return self.weight
        if step is None:
            raise ValueError(
                f"{type(self).__name__}({self.name!r}) has a scheduled "
                "weight: call it with the training step (`step=`), as "
                "GAN does."
            )
        return ops.cast(self.weight(step), "float32")

    def __call__(self, discriminator, real, fake, seed=None,
                 conditioning=None, outputs=None, step=None):
        """Computes the weighted penalty, a scalar.

        Args:
            discriminator (keras.Model): The discriminator, a Keras model or
                layer.
            real (Tensor): A batch of real images.
            fake (Tensor): A batch of generated images, same shape as `real`.
            seed (Tensor | int | None): Optional seed of the penalty's
                random draws: on TensorFlow a stateless seed (int tensor of
                shape `(2,)`, as `GAN` passes) or an int, on JAX and
                PyTorch an int; `None` draws from the global generator.
            conditioning (Tensor | None): Optional conditioning input (e.g.
                labels) passed to a conditional discriminator as `[images,
                conditioning]`.
            outputs (tuple[Tensor, Tensor] | None): Optional `(D(real),
                D(fake))`, the discriminator's outputs on these very
                batches (in training mode), for a penalty with
                `uses_outputs`; others ignore it. They must be differentiable
                with respect to the discriminator's weights (computed under
                the same `GradientTape`).
            step (Tensor | int | None): The training step, for a
                scheduled `weight`.

        Returns:
            Tensor: `weight * mean(call(...))`, a float32 scalar (0 for an
            empty batch).
        """
        real = ops.convert_to_tensor(real)
        fake = ops.convert_to_tensor(fake)
        if not compatible(real.shape, fake.shape):
            raise ValueError(
                f"{type(self).__name__}: `real` and `fake` must have the "
                f"same shape. Received: real.shape={tuple(real.shape)}, "
                f"fake.shape={tuple(fake.shape)}"
            )
        real = ops.cast(real, "float32")
        fake = ops.cast(fake, "float32")
        if conditioning is not None:
            conditioning = ops.convert_to_tensor(conditioning)
        if self.uses_outputs:
            values = self.call(discriminator, real, fake, seed, conditioning,
                               outputs=outputs)
        else:
            values = self.call(discriminator, real, fake, seed, conditioning)
        # divide_no_nan: a replica can hold no example of a partial batch.
        count = ops.cast(ops.size(values), values.dtype)
        return self.weight_at(step) * ops.divide_no_nan(ops.sum(values),
                                                         count)

    def call(self, discriminator, real, fake, seed=None, conditioning=None):
        raise NotImplementedError

    def get_config(self):
        return {"weight": schedules.serialize_value(self.weight),
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
