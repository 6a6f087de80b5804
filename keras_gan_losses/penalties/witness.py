"""The MMD GAN gradient penalty on the witness function.

Bińkowski et al., "Demystifying MMD GANs", 2018
(https://arxiv.org/abs/1801.01401).
"""

import keras
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.losses.mmd import DEFAULT_ALPHAS
from keras_gan_losses.losses.mmd import DEFAULT_BANDWIDTHS
from keras_gan_losses.losses.mmd import check_kernel_arguments
from keras_gan_losses.losses.mmd import gather_replicas
from keras_gan_losses.losses.mmd import kernel_matrix
from keras_gan_losses.penalties.base import Penalty
from keras_gan_losses.penalties.base import uniform_per_example
from keras_gan_losses.penalties.gradient_penalty import gradient_norm_penalty
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.conditional import call_network


def _flat(features):
    features = ops.cast(features, "float32")
    return ops.reshape(features, (ops.shape(features)[0], -1))


def _features(discriminator, images, conditioning):
    return _flat(
        call_network(discriminator, images, conditioning, training=True)
    )


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class WitnessGradientPenalty(Penalty):
    r"""Gradient penalty on the MMD witness function (MMD GAN).

    With `D` the critic mapping images to features and `k` the MMD
    kernel, the witness function of the real and fake batches is the
    difference of the mean kernel values to each batch; its input gradient
    is pushed to norm `target` at random interpolates of real and fake
    images, as WGAN-GP does for a scalar critic (Bińkowski et al. 2018,
    section 4 and their `add_gradient_penalty`).

    Formula:

    $$
    \begin{aligned}
    f(u) &= \frac{1}{n} \sum_j k\big(D(u), D(x_j)\big)
         - \frac{1}{n} \sum_j k\big(D(u), D(G(z_j))\big) \\
    \hat x &= x + \alpha\,(G(z) - x), \quad \alpha \sim U(0, 1) \\
    \text{penalty} &= \text{weight} \cdot \operatorname{mean}
        \big((\lVert \nabla_{\hat x} f(\hat x) \rVert_2 - \text{target})^2
        \big)
    \end{aligned}
    $$

    The gradient is with respect to the interpolate only; the features of
    the real and fake batches are held fixed in it, but the penalty's own
    gradient (for the critic update) flows through all three feature
    batches, as in the reference code. The norm is over every non-batch
    axis (the formula of the paper; the reference code reduces over axis 1
    only). Use the same kernel arguments as the MMD losses. Under
    `tf.distribute` the real and fake features of all replicas are
    gathered, so the witness is the global batch's.

    The penalty reads the critic's features of the real and fake batches
    (`uses_outputs`): `GAN` passes those its MMD loss computed in the same
    update, so a critic update runs the critic on three batches (real,
    fake, interpolates) rather than five, and the penalty's gradient
    reaches the critic's weights through the loss's forward pass. Called
    without them, it computes them itself.

    A scalar `GradientPenalty` on an MMD critic would penalise the
    gradient of the sum of its `k` features instead, which is not a
    function the MMD depends on: use this penalty with the MMD losses.

    Args:
        weight (float): Non-negative float, the coefficient λ. Defaults to 1.
        target (float): Non-negative float, the target norm. Defaults to 1.
        kernel (str): `"gaussian"` (default), `"rational_quadratic"` or
            `"polynomial"`; see `losses.maximum_mean_discrepancy`.
        bandwidths (list[float]): Gaussian bandwidths σ.
        alphas (list[float]): Rational-quadratic α.
        degree (int): Polynomial degree.
        gamma (float | None): Polynomial scale; `None` for 1 / features.
        coef0 (float): Polynomial offset.
        name (str): Log key of the penalty.

    Example:

    >>> import keras
    >>> critic = keras.Sequential([keras.Input((2,)),
    ...     keras.layers.Dense(2, kernel_initializer="identity")])
    >>> penalty = WitnessGradientPenalty(kernel="polynomial", degree=1,
    ...                                  gamma=1.0)
    >>> # Linear kernel: f(u) = u · (mean(real) − mean(fake)) = u · (−2, 0),
    >>> # ‖∇f‖ = 2 everywhere: 1 · (2 − 1)² = 1.
    >>> round(float(penalty(critic, keras.ops.zeros((3, 2)),
    ...                     keras.ops.ones((3, 2)) * [[2.0, 0.0]])), 4)
    1.0

    References:
        Bińkowski et al., 2018, https://arxiv.org/abs/1801.01401
    """

    def __init__(self, weight=1.0, target=1.0, kernel="gaussian",
                 bandwidths=DEFAULT_BANDWIDTHS, alphas=DEFAULT_ALPHAS,
                 degree=3, gamma=None, coef0=1.0,
                 name="witness_gradient_penalty"):
        super().__init__(weight=weight, name=name)
        self.target = check_number("target", target, low=0.0)
        (self.kernel, bandwidths, alphas, self.degree, self.gamma,
         self.coef0) = check_kernel_arguments(
            kernel, bandwidths, alphas, degree, gamma, coef0)
        self.bandwidths = list(bandwidths)
        self.alphas = list(alphas)

    def _kernel(self, x, y):
        return kernel_matrix(
            x, y, self.kernel, tuple(self.bandwidths), tuple(self.alphas),
            self.degree, self.gamma, self.coef0)

    def witness(self, points, real_features, fake_features):
        """The witness function `f` at feature vectors `points`, shape
        `(batch,)`, given the real and fake feature batches."""
        return ops.mean(self._kernel(points, real_features), axis=1) - \
            ops.mean(self._kernel(points, fake_features), axis=1)

    uses_outputs = True

    def call(self, discriminator, real, fake, seed=None, conditioning=None,
             outputs=None):
        if outputs is None:
            outputs = (_features(discriminator, real, conditioning),
                       _features(discriminator, fake, conditioning))
        real_features, fake_features = (
            gather_replicas(_flat(features)) for features in outputs
        )
        alpha = uniform_per_example(real, seed)
        mixed = real + alpha * (fake - real)
        # Each witness value depends on its own interpolate only.
        grads = backend.input_gradients(
            lambda x: self.witness(_features(discriminator, x, conditioning),
                                   real_features, fake_features),
            mixed,
        )
        return gradient_norm_penalty(
            ops.cast(grads, "float32"), self.target)

    def get_config(self):
        return {
            **super().get_config(),
            "target": self.target,
            "kernel": self.kernel,
            "bandwidths": list(self.bandwidths),
            "alphas": list(self.alphas),
            "degree": self.degree,
            "gamma": self.gamma,
            "coef0": self.coef0,
        }
