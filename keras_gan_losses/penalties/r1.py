"""Zero-centred gradient penalties R1 (on real data) and R2 (on fakes).

Mescheder et al., "Which Training Methods for GANs do actually Converge?",
2018 (https://arxiv.org/abs/1801.04406).
"""

import keras

from keras_gan_losses.penalties.base import Penalty
from keras_gan_losses.penalties.base import input_gradients
from keras_gan_losses.penalties.base import squared_norm_per_example


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class R1Penalty(Penalty):
    r"""R1 penalty: the squared input-gradient norm of D on real data.

    Formula:

    $$
    \text{penalty} = \frac{\text{weight}}{2}
    \operatorname{mean}\big(\lVert \nabla D(x) \rVert_2^2\big),
    \quad x \text{ real}
    $$

    The squared norm is summed over every non-batch axis (all the pixels
    and channels of an image), then averaged over the batch. `weight` is
    γ both in Mescheder et al. 2018 and in R3GAN (Huang et al. 2024),
    whose regulariser γ/2 · (‖∇D(x)‖² + ‖∇D(G(z))‖²) is exactly
    `R1Penalty(γ)` plus `R2Penalty(γ)`.

    Args:
        weight (float): Non-negative float, γ in the paper (10 is a common
            choice).
        name (str): Log key of the penalty.

    Example:

    >>> import keras
    >>> critic = keras.Sequential([keras.Input((4,)),
    ...     keras.layers.Dense(1, kernel_initializer="ones")])
    >>> # ‖∇D‖² = 4 everywhere: (10 / 2) · 4 = 20.
    >>> float(R1Penalty(10.0)(critic, keras.ops.zeros((3, 4)),
    ...                       keras.ops.ones((3, 4))))
    20.0
    """

    def __init__(self, weight=10.0, name="r1_penalty"):
        super().__init__(weight=weight, name=name)

    def __call__(self, discriminator, real, fake, seed=None,
                 conditioning=None, step=None):
        # The 1/2 of the paper's (γ/2)·‖∇D‖².
        return 0.5 * super().__call__(
            discriminator, real, fake, seed, conditioning, step=step
        )

    def call(self, discriminator, real, fake, seed=None, conditioning=None):
        return squared_norm_per_example(
            input_gradients(discriminator, self._images(real, fake),
                            conditioning)
        )

    def _images(self, real, fake):
        return real


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class R2Penalty(R1Penalty):
    r"""R2 penalty: the squared input-gradient norm of D on generated data.

    Formula:

    $$
    \text{penalty} = \frac{\text{weight}}{2}
    \operatorname{mean}\big(\lVert \nabla D(G(z)) \rVert_2^2\big)
    $$

    Summed over the pixels of each example, averaged over the batch, as
    `R1Penalty`; `R1Penalty(γ)` and `R2Penalty(γ)` together are R3GAN's
    regulariser with its γ.

    Args:
        weight (float): Non-negative float, γ in the paper.
        name (str): Log key of the penalty.
    """

    def __init__(self, weight=10.0, name="r2_penalty"):
        super().__init__(weight=weight, name=name)

    def _images(self, real, fake):
        return fake
