"""The DRAGAN gradient penalty around perturbed real data.

Kodali et al., "On Convergence and Stability of GANs", 2017
(https://arxiv.org/abs/1705.07215).
"""

import keras
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.penalties.base import Penalty
from keras_gan_losses.penalties.base import input_gradients
from keras_gan_losses.penalties.base import uniform_per_example
from keras_gan_losses.penalties.gradient_penalty import gradient_norm_penalty
from keras_gan_losses.utils.checks import check_number


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class DRAGANPenalty(Penalty):
    r"""DRAGAN penalty: a gradient penalty in a noisy ball around real data.

    Formula:

    $$
    x_p = x + c \cdot \operatorname{std}(x) \cdot u,
    \qquad u \sim U(0, 1) \text{ elementwise}
    $$

    $$
    \hat x = x + \alpha\,(x_p - x),
    \qquad \alpha \sim U(0, 1) \text{ per example}
    $$

    $$
    \text{penalty} = \text{weight} \cdot
    \operatorname{mean}\big((\lVert \nabla D(\hat x) \rVert_2 - k)^2\big)
    $$

    `std(x)` is the standard deviation of the real batch over all its
    elements (on each replica under `tf.distribute`). Generated data is
    not used.

    This perturbation, with `c = 0.5`, is the one of the authors' first
    public code (a notebook). The paper itself penalises at `x + δ` with
    `δ ~ N(0, cI)` and suggests `c ≈ 10`, without interpolation.

    Args:
        weight (float): Non-negative float, λ (10 in the paper).
        k (float): Positive float, the target norm (1 in the paper).
        c (float): Non-negative float, the perturbation scale: 0.5 as in the
            authors' notebook (not the paper's `c`, which scales a normal
            perturbation).
        name (str): Log key of the penalty.
    """

    def __init__(self, weight=10.0, k=1.0, c=0.5, name="dragan_penalty"):
        super().__init__(weight=weight, name=name)
        self.k = check_number("k", k, low=0.0, low_open=True)
        self.c = check_number("c", c, low=0.0)

    def call(self, discriminator, real, fake, seed=None, conditioning=None):
        noise = backend.uniform(real, backend.fold_in(seed, 1))
        alpha_seed = backend.fold_in(seed, 2)
        perturbed = real + self.c * ops.std(real) * noise
        alpha = uniform_per_example(real, alpha_seed)
        mixed = real + alpha * (perturbed - real)
        grads = input_gradients(discriminator, mixed, conditioning)
        return gradient_norm_penalty(grads, self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "c": self.c}
