"""Maximum mean discrepancy (MMD) and the MMD GAN losses.

Gretton et al., "A Kernel Two-Sample Test", 2012
(https://jmlr.org/papers/v13/gretton12a.html); Li et al., "MMD GAN:
Towards Deeper Understanding of Moment Matching Network", 2017
(https://arxiv.org/abs/1705.08584); Bińkowski et al., "Demystifying MMD
GANs", 2018 (https://arxiv.org/abs/1801.01401).
"""

import math

import keras
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss

KERNELS = ("gaussian", "rational_quadratic", "polynomial")
#: Gaussian bandwidths σ of Li et al. 2017's MMD GAN (their `sigma_list`,
#: k = Σ_σ exp(−‖x − y‖² / (2σ²))).
DEFAULT_BANDWIDTHS = (1.0, 2.0, 4.0, 8.0, 16.0)
#: Rational-quadratic α of Bińkowski et al. 2018 (k = Σ_α (1 + ‖x − y‖² /
#: (2α))^−α).
DEFAULT_ALPHAS = (0.2, 0.5, 1.0, 2.0, 5.0)


def _check_positive_list(name, values):
    try:
        values = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be a non-empty list of positive numbers. "
            f"Received: {name}={values!r}"
        ) from None
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(
            f"`{name}` must be a non-empty list of positive numbers. "
            f"Received: {name}={values!r}"
        )
    return values


def check_kernel_arguments(kernel, bandwidths, alphas, degree, gamma, coef0):
    """Validates the kernel arguments of `maximum_mean_discrepancy`.

    Returns:
        The arguments, normalised (tuples of floats, an int degree).

    Raises:
        ValueError: naming the bad argument.
    """
    if kernel not in KERNELS:
        raise ValueError(
            f"`kernel` must be one of {KERNELS}. Received: kernel={kernel!r}"
        )
    bandwidths = _check_positive_list("bandwidths", bandwidths)
    alphas = _check_positive_list("alphas", alphas)
    if isinstance(degree, bool) or int(degree) != degree or degree < 1:
        raise ValueError(
            f"`degree` must be a positive integer. Received: degree={degree!r}"
        )
    if gamma is not None:
        if isinstance(gamma, bool) or not math.isfinite(float(gamma)) or \
                gamma <= 0:
            raise ValueError(
                "`gamma` must be a positive number or None (1 / features). "
                f"Received: gamma={gamma!r}"
            )
        gamma = float(gamma)
    if isinstance(coef0, bool) or not math.isfinite(float(coef0)):
        raise ValueError(
            f"`coef0` must be a finite number. Received: coef0={coef0!r}"
        )
    return kernel, bandwidths, alphas, int(degree), gamma, float(coef0)


def _compute_dtype(values):
    # float32 at least (float16/bfloat16 inputs are promoted); float64
    # inputs keep their precision (KID's NumPy features).
    return "float64" if values.dtype == "float64" else "float32"


def _as_features(name, values):
    values = ops.convert_to_tensor(values)
    if len(values.shape) == 0:
        raise ValueError(
            f"`{name}` must have a batch axis: shape (n, d) (or (n,), or "
            "(n, ...) flattened to (n, d)). Received a scalar."
        )
    if len(values.shape) == 1:
        return ops.expand_dims(values, -1)
    if len(values.shape) > 2:
        size = math.prod(values.shape[1:]) if None not in \
            values.shape[1:] else -1
        values = ops.reshape(values, (-1, size))
    return values


def _squared_distances(x, y):
    x_norms = ops.sum(ops.square(x), axis=1)
    y_norms = ops.sum(ops.square(y), axis=1)
    distances = (
        ops.expand_dims(x_norms, 1)
        + ops.expand_dims(y_norms, 0)
        - 2.0 * ops.matmul(x, ops.transpose(y))
    )
    # Rounding can make the expansion slightly negative.
    return ops.maximum(distances, 0.0)


def kernel_matrix(x, y, kernel="gaussian", bandwidths=DEFAULT_BANDWIDTHS,
                  alphas=DEFAULT_ALPHAS, degree=3, gamma=None, coef0=1.0):
    r"""The kernel matrix `K[i, j] = k(x[i], y[j])`, in float32.

    Formula:

    $$
    \begin{aligned}
    k_{\text{gaussian}}(x, y) &= \textstyle\sum_\sigma
        \exp\big(-\lVert x - y \rVert^2 / (2\sigma^2)\big) \\
    k_{\text{rq}}(x, y) &= \textstyle\sum_\alpha
        \big(1 + \lVert x - y \rVert^2 / (2\alpha)\big)^{-\alpha} \\
    k_{\text{poly}}(x, y) &= (\gamma\, x \cdot y + c_0)^{\text{degree}}
    \end{aligned}
    $$

    Args:
        x (Tensor): Shape `(n, d)`.
        y (Tensor): Shape `(m, d)`.
        kernel (str): `"gaussian"`, `"rational_quadratic"` or
            `"polynomial"`.
        bandwidths (list[float]): Gaussian bandwidths σ (summed).
        alphas (list[float]): Rational-quadratic α (summed).
        degree (int): Polynomial degree.
        gamma (float | None): Polynomial scale; `None` for `1 / d`.
        coef0 (float): Polynomial offset `c₀`.

    Returns:
        Tensor: Shape `(n, m)`, float32 (float64 for float64 inputs).
    """
    x = ops.convert_to_tensor(x)
    y = ops.convert_to_tensor(y)
    dtype = _compute_dtype(x)
    x = ops.cast(x, dtype)
    y = ops.cast(y, dtype)
    if kernel == "polynomial":
        if gamma is None:
            gamma = 1.0 / x.shape[-1]
        return (gamma * ops.matmul(x, ops.transpose(y)) + coef0) ** degree
    distances = _squared_distances(x, y)
    total = 0.0
    if kernel == "gaussian":
        for sigma in bandwidths:
            total = total + ops.exp(-distances / (2.0 * sigma**2))
    else:
        for alpha in alphas:
            # (1 + t/(2α))^−α = exp(−α log1p(t/(2α))), stable for large α.
            total = total + ops.exp(-alpha * ops.log1p(
                distances / (2.0 * alpha)))
    return total


def maximum_mean_discrepancy(
    x,
    y,
    kernel: str = "gaussian",
    bandwidths=DEFAULT_BANDWIDTHS,
    unbiased: bool = True,
    *,
    alphas=DEFAULT_ALPHAS,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
):
    r"""The squared maximum mean discrepancy MMD² between two samples.

    Differentiable (Keras ops), and computed in float32 for float16,
    bfloat16 or float32 inputs (float64 for float64 inputs, as KID's).

    Formula:

    $$
    \begin{aligned}
    \widehat{\text{MMD}}^2_u &=
    \frac{\sum_{i \ne i'} k(x_i, x_{i'})}{n(n - 1)}
    + \frac{\sum_{j \ne j'} k(y_j, y_{j'})}{m(m - 1)}
    - \frac{2}{nm} \sum_{i, j} k(x_i, y_j) \\
    \widehat{\text{MMD}}^2_b &=
    \frac{1}{n^2} \sum_{i, i'} k(x_i, x_{i'})
    + \frac{1}{m^2} \sum_{j, j'} k(y_j, y_{j'})
    - \frac{2}{nm} \sum_{i, j} k(x_i, y_j)
    \end{aligned}
    $$

    The unbiased estimator (the U-statistic, Gretton et al. 2012, Lemma 6)
    leaves out the diagonal terms `k(x_i, x_i)`; it can be slightly
    negative when the distributions are close. The biased one (the
    V-statistic) keeps them and is never negative. See `kernel_matrix`
    for the kernels: a sum of Gaussians over `bandwidths` (Li et al.
    2017's default σ = 1, 2, 4, 8, 16), a sum of rational quadratics over
    `alphas` (Bińkowski et al. 2018's α = 0.2, 0.5, 1, 2, 5), or the
    polynomial `(γ x·y + c₀)^degree` (degree 3, γ = 1/d, c₀ = 1 is KID's
    kernel).

    Args:
        x (Tensor): First sample, shape `(n, d)`; `(n,)` is read as `(n, 1)`
            and `(n, ...)` is flattened to `(n, d)`.
        y (Tensor): Second sample, shape `(m, d)` (same `d`).
        kernel (str): `"gaussian"` (default), `"rational_quadratic"` or
            `"polynomial"`.
        bandwidths (list[float]): Gaussian bandwidths σ. Defaults to
            `(1, 2, 4, 8, 16)`.
        unbiased (bool): The unbiased estimator (default) or the biased one.
        alphas (list[float]): Rational-quadratic α. Defaults to
            `(0.2, 0.5, 1, 2, 5)`.
        degree (int): Polynomial degree. Defaults to 3.
        gamma (float | None): Polynomial scale; `None` (default) for `1 / d`.
        coef0 (float): Polynomial offset. Defaults to 1.

    Returns:
        Tensor: A float32 scalar (float64 for float64 inputs).

    Raises:
        ValueError: for inputs of different feature sizes, fewer than two
            samples in either (one for the biased estimator), an unknown
            kernel or bad kernel arguments.

    Example:

    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0]])
    >>> y = np.array([[2.0], [5.0]])
    >>> round(float(maximum_mean_discrepancy(x, y, bandwidths=[1.0])), 4)
    0.2465
    >>> round(float(maximum_mean_discrepancy(x, y, bandwidths=[1.0],
    ...                                      unbiased=False)), 4)
    0.9377

    References:
        Gretton et al., 2012, https://jmlr.org/papers/v13/gretton12a.html
        Bińkowski et al., 2018, https://arxiv.org/abs/1801.01401
    """
    kernel, bandwidths, alphas, degree, gamma, coef0 = check_kernel_arguments(
        kernel, bandwidths, alphas, degree, gamma, coef0
    )
    x = _as_features("x", x)
    y = _as_features("y", y)
    dtype = "float64" if "float64" in (x.dtype, y.dtype) else "float32"
    x = ops.cast(x, dtype)
    y = ops.cast(y, dtype)
    if x.shape[1] is not None and y.shape[1] is not None and \
            x.shape[1] != y.shape[1]:
        raise ValueError(
            "`x` and `y` must have the same number of features. Received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    least = 2 if unbiased else 1
    for name, values in (("x", x), ("y", y)):
        if values.shape[0] is not None and values.shape[0] < least:
            raise ValueError(
                f"The {'un' if unbiased else ''}biased MMD² needs at least "
                f"{least} sample{'s' if least > 1 else ''} in `{name}`. "
                f"Received: {name}.shape={tuple(values.shape)}"
            )
    if x.shape[0] is None or y.shape[0] is None:
        # Known only when the graph runs (e.g. a short last batch in fit).
        import tensorflow as tf  # only TensorFlow has unknown batch sizes

        for name, values in (("x", x), ("y", y)):
            tf.debugging.assert_greater_equal(
                tf.shape(values)[0], least, message=(
                    f"The {'un' if unbiased else ''}biased MMD² needs at "
                    f"least {least} sample{'s' if least > 1 else ''} in "
                    f"`{name}` (a batch of one? use drop_remainder=True)"))
    args = dict(kernel=kernel, bandwidths=bandwidths, alphas=alphas,
                degree=degree, gamma=gamma, coef0=coef0)
    k_xx = kernel_matrix(x, x, **args)
    k_yy = kernel_matrix(y, y, **args)
    k_xy = kernel_matrix(x, y, **args)
    n = ops.cast(ops.shape(x)[0], dtype)
    m = ops.cast(ops.shape(y)[0], dtype)
    if unbiased:
        within_x = (ops.sum(k_xx) - ops.trace(k_xx)) / (n * (n - 1.0))
        within_y = (ops.sum(k_yy) - ops.trace(k_yy)) / (m * (m - 1.0))
    else:
        within_x = ops.sum(k_xx) / (n * n)
        within_y = ops.sum(k_yy) / (m * m)
    return within_x + within_y - 2.0 * ops.sum(k_xy) / (n * m)


def gather_replicas(values):
    """`values` of every replica, concatenated on axis 0 (differentiably):
    `backend.all_gather` (under `tf.distribute` with several replicas,
    `ReplicaContext.all_gather`, whose gradient sums the upstream gradients
    of every replica and takes this replica's slice; elsewhere `values`
    unchanged)."""
    return backend.all_gather(values)


def _batch_statistic(value, like):
    # One copy of the batch statistic per example: any mean-type reduction
    # returns `value` itself (see `_MMDLoss`).
    return ops.broadcast_to(value, ops.shape(like)[:1])


def mmd_discriminator_loss(real_features, fake_features, kernel="gaussian",
                           bandwidths=DEFAULT_BANDWIDTHS, unbiased=True,
                           alphas=DEFAULT_ALPHAS, degree=3, gamma=None,
                           coef0=1.0):
    r"""The MMD GAN critic loss `−MMD²(real, fake)`, once per example.

    The critic maximises the MMD² between the feature batches that the
    generator minimises. MMD² is a statistic of the whole batch, not a
    mean of per-example terms: the function returns its value repeated
    `batch` times, so that a mean over the examples is the statistic
    itself. Under `tf.distribute` the features of every replica are
    gathered first, so each replica computes the global batch's MMD².

    Formula:

    $$
    \text{loss} = -\widehat{\text{MMD}}^2\big(D(x), D(G(z))\big)
    $$

    Args:
        real_features (Tensor): Critic features of real data, `(batch, k)`.
        fake_features (Tensor): Critic features of generated data,
            `(batch, k)`.
        kernel (str): The kernel, as in `maximum_mean_discrepancy`.
        bandwidths (list[float]): Gaussian bandwidths σ.
        unbiased (bool): The unbiased estimator or the biased one.
        alphas (list[float]): Rational-quadratic α.
        degree (int): Polynomial degree.
        gamma (float | None): Polynomial scale; `None` for 1 / features.
        coef0 (float): Polynomial offset.

    Returns:
        Tensor: Shape `(batch,)`, every value `−MMD²`.
    """
    value = maximum_mean_discrepancy(
        gather_replicas(real_features), gather_replicas(fake_features),
        kernel, bandwidths, unbiased, alphas=alphas, degree=degree,
        gamma=gamma, coef0=coef0,
    )
    return _batch_statistic(-value, ops.convert_to_tensor(fake_features))


def mmd_generator_loss(real_features, fake_features, kernel="gaussian",
                       bandwidths=DEFAULT_BANDWIDTHS, unbiased=True,
                       alphas=DEFAULT_ALPHAS, degree=3, gamma=None,
                       coef0=1.0):
    r"""The MMD GAN generator loss `MMD²(real, fake)`, once per example.

    Formula:

    $$
    \text{loss} = \widehat{\text{MMD}}^2\big(D(x), D(G(z))\big)
    $$

    See `mmd_discriminator_loss` for the batch statistic and
    `tf.distribute`.

    Args:
        real_features (Tensor): Critic features of real data, `(batch, k)`.
        fake_features (Tensor): Critic features of generated data,
            `(batch, k)`.
        kernel (str): The kernel, as in `maximum_mean_discrepancy`.
        bandwidths (list[float]): Gaussian bandwidths σ.
        unbiased (bool): The unbiased estimator or the biased one.
        alphas (list[float]): Rational-quadratic α.
        degree (int): Polynomial degree.
        gamma (float | None): Polynomial scale; `None` for 1 / features.
        coef0 (float): Polynomial offset.

    Returns:
        Tensor: Shape `(batch,)`, every value `MMD²`.
    """
    value = maximum_mean_discrepancy(
        gather_replicas(real_features), gather_replicas(fake_features),
        kernel, bandwidths, unbiased, alphas=alphas, degree=degree,
        gamma=gamma, coef0=coef0,
    )
    return _batch_statistic(value, ops.convert_to_tensor(fake_features))


_REDUCTIONS = ("sum_over_batch_size", "mean", None, "none")


class _MMDLoss(GANLoss):
    """Shared set-up of the two MMD GAN losses."""

    def __init__(self, fn, role, kernel, bandwidths, unbiased, alphas,
                 degree, gamma, coef0, reduction, name, dtype):
        if reduction not in _REDUCTIONS:
            raise ValueError(
                "MMD² is a statistic of the whole batch: `reduction` must "
                f"be one of {_REDUCTIONS} (a mean over the examples gives "
                f"the statistic itself). Received: reduction={reduction!r}"
            )
        kernel, bandwidths, alphas, degree, gamma, coef0 = (
            check_kernel_arguments(kernel, bandwidths, alphas, degree,
                                   gamma, coef0)
        )
        if not isinstance(unbiased, bool):
            raise TypeError(
                f"`unbiased` must be a bool. Received: unbiased={unbiased!r}"
            )
        super().__init__(
            fn, role, reduction=reduction, name=name, dtype=dtype,
            kernel=kernel, bandwidths=list(bandwidths), unbiased=unbiased,
            alphas=list(alphas), degree=degree, gamma=gamma, coef0=coef0,
        )

    def __call__(self, real_logits, fake_logits, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                f"{type(self).__name__} takes no `sample_weight`: MMD² is a "
                "statistic of the whole batch, not a mean of per-example "
                "terms."
            )
        return super().__call__(real_logits, fake_logits)

    def call(self, real_logits, fake_logits):
        kwargs = dict(self.hyperparameters)
        kwargs["bandwidths"] = tuple(kwargs["bandwidths"])
        kwargs["alphas"] = tuple(kwargs["alphas"])
        return self.fn(real_logits, fake_logits, **kwargs)


_ARGS_DOC = """
    Args:
        kernel (str): `"gaussian"` (default), `"rational_quadratic"` or
            `"polynomial"`; see `maximum_mean_discrepancy`.
        bandwidths (list[float]): Gaussian bandwidths σ. Defaults to
            `(1, 2, 4, 8, 16)` (Li et al. 2017).
        unbiased (bool): The unbiased estimator (default) or the biased one.
        alphas (list[float]): Rational-quadratic α. Defaults to
            `(0.2, 0.5, 1, 2, 5)` (Bińkowski et al. 2018).
        degree (int): Polynomial degree. Defaults to 3.
        gamma (float | None): Polynomial scale; `None` for 1 / features.
        coef0 (float): Polynomial offset. Defaults to 1.
        reduction (str | None): `"sum_over_batch_size"` (default) or
            `"mean"` give MMD² itself; `None` its value once per example.
            `"sum"` is refused, and so is a `sample_weight`.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's computations (float32 by
            default).
"""


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class MMDDiscriminatorLoss(_MMDLoss):
    __doc__ = r"""MMD GAN critic loss: `−MMD²` of the critic's features.

    The discriminator (critic) outputs feature vectors `(batch, k)`, e.g.
    `dcgan_discriminator(..., outputs=16)`; it is trained to maximise the
    MMD² between the features of real and generated batches, which the
    generator (`MMDGeneratorLoss`) minimises (Li et al. 2017, Bińkowski et
    al. 2018). Pair it with `WitnessGradientPenalty`, as the `mmd` preset
    does.

    Formula:

    $$
    \text{loss} = -\widehat{\text{MMD}}^2\big(D(x), D(G(z))\big)
    $$

    MMD² is a statistic of the whole batch. Under `tf.distribute` each
    replica gathers the features of all replicas
    (`ReplicaContext.all_gather`, differentiable) and computes the global
    batch's MMD², so the update equals the single-device one.
""" + _ARGS_DOC + r"""
    Example:

    >>> loss = MMDDiscriminatorLoss(bandwidths=[1.0])
    >>> round(float(loss([[0.0], [1.0]], [[2.0], [5.0]])), 4)
    -0.2465

    References:
        Li et al., 2017, https://arxiv.org/abs/1705.08584
        Bińkowski et al., 2018, https://arxiv.org/abs/1801.01401
    """

    def __init__(
        self,
        *,
        kernel: str = "gaussian",
        bandwidths=DEFAULT_BANDWIDTHS,
        unbiased: bool = True,
        alphas=DEFAULT_ALPHAS,
        degree: int = 3,
        gamma: float | None = None,
        coef0: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mmd_discriminator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(mmd_discriminator_loss, DISCRIMINATOR, kernel,
                         bandwidths, unbiased, alphas, degree, gamma, coef0,
                         reduction, name, dtype)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class MMDGeneratorLoss(_MMDLoss):
    __doc__ = r"""MMD GAN generator loss: `MMD²` of the critic's features.

    Formula:

    $$
    \text{loss} = \widehat{\text{MMD}}^2\big(D(x), D(G(z))\big)
    $$

    It reads the real batch's features too. See `MMDDiscriminatorLoss`.
""" + _ARGS_DOC + r"""
    Example:

    >>> loss = MMDGeneratorLoss(bandwidths=[1.0])
    >>> round(float(loss([[0.0], [1.0]], [[2.0], [5.0]])), 4)
    0.2465

    References:
        Li et al., 2017, https://arxiv.org/abs/1705.08584
        Bińkowski et al., 2018, https://arxiv.org/abs/1801.01401
    """

    def __init__(
        self,
        *,
        kernel: str = "gaussian",
        bandwidths=DEFAULT_BANDWIDTHS,
        unbiased: bool = True,
        alphas=DEFAULT_ALPHAS,
        degree: int = 3,
        gamma: float | None = None,
        coef0: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mmd_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(mmd_generator_loss, GENERATOR, kernel, bandwidths,
                         unbiased, alphas, degree, gamma, coef0, reduction,
                         name, dtype)
