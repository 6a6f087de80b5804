"""LeCam regularisation: the discriminator's outputs pulled towards the
moving averages of its outputs on the other kind of data.

Tseng et al., "Regularizing Generative Adversarial Networks under Limited
Data", CVPR 2021 (https://arxiv.org/abs/2104.03310).
"""

import keras
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.penalties.base import Penalty
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.conditional import call_network


def _per_example_mean(values):
    axes = tuple(range(1, len(values.shape)))
    return ops.mean(values, axis=axes) if axes else values


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class LeCamPenalty(Penalty):
    r"""LeCam penalty: D's outputs on real data pulled towards the moving
    average of its outputs on generated data, and the reverse.

    Formula:

    $$
    \begin{aligned}
    \alpha_R &\leftarrow \gamma\,\alpha_R + (1 - \gamma)\,
        \operatorname{mean} D(x), \qquad
    \alpha_F \leftarrow \gamma\,\alpha_F + (1 - \gamma)\,
        \operatorname{mean} D(G(z)) \\
    \text{penalty} &= \text{weight}\,\Big(
        \operatorname{mean}\big(\operatorname{relu}(D(x) - \alpha_F)^2\big)
      + \operatorname{mean}\big(\operatorname{relu}(\alpha_R - D(G(z)))^2
        \big)\Big)
    \end{aligned}
    $$

    $\gamma$ is `decay`; the averages are updated with the step's batch
    before the penalty uses them (as the reference implementations do),
    carry no gradient, and start at the first batch's means. The paper
    writes the squares without the ReLU (`one_sided=False`); its code
    (google/lecam-gan, BigGAN and StyleGAN2) applies it, which only
    penalises a real output above the fake average and a generated
    output below the real average; that is the default. The penalty keeps
    the discriminator's predictions from drifting apart, which helps
    most with little data (Tseng et al. use weight 0.3 for BigGAN on
    CIFAR-10 with 10–20 % of the data).

    In a `GAN`, the penalty reads the discriminator outputs that the
    loss already computed (no extra pass), the averages are model
    variables (saved in `.keras` files and by `BackupAndRestore`), they
    are updated only by steps that pass the non-finite guard, and under
    `tf.distribute` they average the global batch. Called on its own,
    `penalty(discriminator, real, fake)` runs the discriminator and uses
    the averages as they stand (the batch means before any update).

    Args:
        weight (float): Non-negative float, λ in the paper.
        decay (float): The moving averages' decay γ, in [0, 1).
        one_sided (bool): Whether to apply the ReLU of the reference code.
        name (str): Log key of the penalty.

    Example:

    >>> import numpy as np
    >>> penalty = LeCamPenalty(weight=1.0)
    >>> # Averages 0.5 (real) and -0.5 (fake): reals above -0.5 and
    >>> # fakes below 0.5 are penalised.
    >>> value = penalty.from_logits(np.array([1.0, 0.0]),
    ...                             np.array([0.0, -1.0]),
    ...                             np.array([0.5, -0.5]))
    >>> round(float(value), 4)  # ((1.5² + 0.5²) + (0.5² + 1.5²)) / 2
    2.5
    """

    #: The GAN passes the discriminator's outputs to `from_logits`.
    uses_logits = True

    def __init__(self, weight=0.3, decay=0.99, one_sided=True,
                 name="lecam_penalty"):
        super().__init__(weight=weight, name=name)
        self.decay = check_number("decay", decay, low=0.0, high=1.0,
                                  high_open=True)
        if not isinstance(one_sided, bool):
            raise TypeError(
                f"`one_sided` must be a bool. Received: {one_sided!r}"
            )
        self.one_sided = one_sided
        self.averages = None
        self.count = None

    def build(self):
        """Creates the moving averages `[α_R, α_F]` and the update count,
        non-trainable variables (in the current strategy's scope)."""
        if self.averages is not None:
            return
        self.averages = keras.Variable(
            [0.0, 0.0], dtype="float32", trainable=False,
            name=f"{self.name}_averages", aggregation="only_first_replica",
        )
        self.count = keras.Variable(
            0, dtype=backend.counter_dtype(), trainable=False,
            name=f"{self.name}_count",
            aggregation="only_first_replica",
        )

    @property
    def variables(self):
        """The state variables (empty before `build`)."""
        return [] if self.averages is None else [self.averages, self.count]

    def updated_averages(self, real_mean, fake_mean):
        """`[α_R, α_F]` after one update with the batch means (the
        first update copies them); nothing is assigned."""
        means = ops.stack([ops.cast(real_mean, "float32"),
                           ops.cast(fake_mean, "float32")])
        if self.averages is None:
            return means
        old = ops.convert_to_tensor(self.averages)
        first = ops.equal(ops.convert_to_tensor(self.count), 0)
        return ops.where(first, means,
                         self.decay * old + (1.0 - self.decay) * means)

    def assign(self, averages):
        """Stores updated averages and counts the update."""
        self.averages.assign(averages)
        self.count.assign_add(ops.convert_to_tensor(1, self.count.dtype))

    def from_logits(self, real_logits, fake_logits, averages, step=None):
        """The weighted penalty from the discriminator's outputs.

        Args:
            real_logits (Tensor): D's outputs on real data, `(batch, ...)`.
            fake_logits (Tensor): D's outputs on generated data.
            averages (Tensor): `[α_R, α_F]`, e.g. `updated_averages(...)`.
            step (Tensor | int | None): The training step, for a
                scheduled `weight`.

        Returns:
            Tensor: A float32 scalar (0 for an empty batch).
        """
        real = ops.cast(real_logits, "float32")
        fake = ops.cast(fake_logits, "float32")
        averages = ops.stop_gradient(ops.cast(averages, "float32"))
        above = real - averages[1]
        below = averages[0] - fake
        if self.one_sided:
            above, below = ops.relu(above), ops.relu(below)
        values = _per_example_mean(ops.square(above)) + _per_example_mean(
            ops.square(below)
        )
        count = ops.cast(ops.size(values), values.dtype)
        return self.weight_at(step) * ops.divide_no_nan(ops.sum(values),
                                                         count)

    def __call__(self, discriminator, real, fake, seed=None,
                 conditioning=None, step=None):
        """Runs the discriminator on both batches and applies
        `from_logits` with the averages as they stand (the batch means
        if the penalty was never built or updated)."""
        real_logits = ops.cast(call_network(
            discriminator, ops.convert_to_tensor(real), conditioning,
            training=True), "float32")
        fake_logits = ops.cast(call_network(
            discriminator, ops.convert_to_tensor(fake), conditioning,
            training=True), "float32")
        means = ops.stack([ops.mean(real_logits), ops.mean(fake_logits)])
        if self.averages is None:
            averages = means
        else:
            averages = ops.where(
                ops.equal(ops.convert_to_tensor(self.count), 0), means,
                ops.convert_to_tensor(self.averages),
            )
        return self.from_logits(real_logits, fake_logits, averages, step)

    def get_config(self):
        return {**super().get_config(), "decay": self.decay,
                "one_sided": self.one_sided}
