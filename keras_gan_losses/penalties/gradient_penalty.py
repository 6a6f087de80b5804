"""The WGAN-GP gradient penalty.

Gulrajani et al., "Improved Training of Wasserstein GANs", 2017
(https://arxiv.org/abs/1704.00028).
"""

import keras
from keras import ops

from keras_gan_losses.penalties.base import Penalty
from keras_gan_losses.penalties.base import input_gradients
from keras_gan_losses.penalties.base import squared_norm_per_example
from keras_gan_losses.penalties.base import uniform_per_example
from keras_gan_losses.utils.checks import check_number

#: Added to the squared norm before the square root: the derivative of
#: sqrt at 0 is infinite, so a zero gradient would otherwise give NaN.
EPSILON = 1e-12


def gradient_norm_penalty(grads, target=1.0, one_sided=False):
    """Per-example `(‖grads‖₂ − target)²`, the norm over non-batch axes.

    Args:
        grads (Tensor): Input gradients of the discriminator, shape `(batch,
            ...)`.
        target (float): The target norm.
        one_sided (bool): If `True`, only norms above `target` are penalised.

    Returns:
        Tensor: Per-example penalty values, shape `(batch,)`.
    """
    norm = ops.sqrt(squared_norm_per_example(grads) + EPSILON)
    excess = norm - target
    if one_sided:
        excess = ops.relu(excess)
    return ops.square(excess)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class GradientPenalty(Penalty):
    r"""WGAN-GP gradient penalty on random interpolates of real and fake.

    Formula:

    $$
    \begin{aligned}
    \hat x &= x + \alpha\,(G(z) - x),
    \quad \alpha \sim U(0, 1) \text{ per example} \\
    \text{penalty} &= \text{weight} \cdot \operatorname{mean}\big(
    (\lVert \nabla D(\hat x) \rVert_2 - \text{target})^2\big)
    \end{aligned}
    $$

    The norm is over all non-batch axes, with a small epsilon inside the
    square root so that a zero gradient gives no NaN. With
    `one_sided=True` the term is `max(0, ‖∇D(x̂)‖₂ − target)²` (Petzka et
    al. 2018, https://arxiv.org/abs/1709.08894).

    Args:
        weight (float): Non-negative float, the coefficient λ (10 in the paper).
        target (float): Non-negative float, the target norm (1 in the paper; 0
            gives the zero-centred GP-0 of Thanh-Tung et al. 2019).
        one_sided (bool): Whether to penalise only norms above `target`.
        name (str): Log key of the penalty.

    Example:

    >>> import keras
    >>> critic = keras.Sequential([keras.Input((4,)),
    ...     keras.layers.Dense(1, kernel_initializer="ones")])
    >>> gp = GradientPenalty(weight=10.0)
    >>> # ∇D = (1, 1, 1, 1) everywhere, ‖∇D‖ = 2: 10 · (2 − 1)² = 10.
    >>> round(float(gp(critic, keras.ops.zeros((3, 4)),
    ...                keras.ops.ones((3, 4)))), 4)
    10.0
    """

    def __init__(self, weight=10.0, target=1.0, one_sided=False,
                 name="gradient_penalty"):
        super().__init__(weight=weight, name=name)
        self.target = check_number("target", target, low=0.0)
        if not isinstance(one_sided, bool):
            raise TypeError(
                f"`one_sided` must be a bool. Received: one_sided={one_sided!r}"
            )
        self.one_sided = one_sided

    def call(self, discriminator, real, fake, seed=None, conditioning=None):
        alpha = uniform_per_example(real, seed)
        mixed = real + alpha * (fake - real)
        grads = input_gradients(discriminator, mixed, conditioning)
        return gradient_norm_penalty(grads, self.target, self.one_sided)

    def get_config(self):
        return {
            **super().get_config(),
            "target": self.target,
            "one_sided": self.one_sided,
        }
