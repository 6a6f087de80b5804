"""Feature matching generator loss.

Salimans et al., "Improved Techniques for Training GANs", 2016
(https://arxiv.org/abs/1606.03498), section 3.1.
"""

import keras
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss


def _batch_mean(features):
    """The mean over the batch (of every replica) of the features,
    flattened to `(num_features,)`."""
    flat = ops.reshape(features, (ops.shape(features)[0], -1))
    sums = backend.all_reduce_sum(ops.sum(flat, axis=0))
    count = backend.all_reduce_sum(ops.cast(ops.shape(flat)[0], flat.dtype))
    return ops.divide_no_nan(sums, count)


def feature_matching_generator_loss(real_features, fake_features):
    r"""The feature matching loss of a batch: a scalar, not per example.

    Formula:

    $$
    \text{loss} = \frac{1}{J} \sum_{j=1}^{J}
    \big(\operatorname{mean}_i h_j(x_i)
    - \operatorname{mean}_i h_j(G(z_i))\big)^2
    $$

    the squared L2 distance between the batch means of the real and the
    generated features, divided by the number of features $J$ (every
    axis but the batch axis, flattened), as in the reference code of
    Salimans et al. (`T.mean(T.square(m1 - m2))`). The real features are
    a fixed target: no gradient flows into them. Under `tf.distribute`
    (in a replica context) the means are over the global batch: the
    per-replica sums and counts are summed over the replicas first.

    Args:
        real_features (Tensor): Features of real data, shape `(batch, ...)`.
        fake_features (Tensor): Features of generated data, shape
            `(batch, ...)` with the same feature shape. The two batches may
            differ in size.

    Returns:
        Tensor: The loss, a scalar.
    """
    real_features = ops.convert_to_tensor(real_features)
    fake_features = ops.convert_to_tensor(fake_features)
    for name, features in (("real_features", real_features),
                           ("fake_features", fake_features)):
        if len(features.shape) < 2:
            raise ValueError(
                f"`{name}` must have shape (batch, ...) with at least one "
                f"feature axis. Received shape {tuple(features.shape)}"
            )
    if tuple(real_features.shape[1:]) != tuple(fake_features.shape[1:]):
        raise ValueError(
            "`real_features` and `fake_features` must have the same feature "
            f"shape. Received: real_features.shape="
            f"{tuple(real_features.shape)}, fake_features.shape="
            f"{tuple(fake_features.shape)}"
        )
    target = _batch_mean(ops.stop_gradient(real_features))
    return ops.mean(ops.square(target - _batch_mean(fake_features)))


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class FeatureMatchingGeneratorLoss(GANLoss):
    r"""Feature matching: the generator matches the mean features of real
    data at an intermediate layer of the discriminator.

    Formula:

    $$
    \text{loss} = \frac{1}{J}\,\big\lVert \operatorname{mean}_x h(x)
    - \operatorname{mean}_z h(G(z)) \big\rVert_2^2
    $$

    where $h$ is the output of the discriminator's layer `layer`, flattened
    to $J$ features, and the means are over the batch. Instead of
    maximising the discriminator's output, the generator matches the
    statistics the discriminator finds worth computing (Salimans et al.
    2016, section 3.1). The real features are a fixed target: no gradient
    flows into them.

    The loss is called as `loss(real_features, fake_features)` on features,
    not logits. `GAN.compile(g_loss=...)` accepts it alone or combined with
    an adversarial loss, and `GAN` provides the features:

    - for a Sequential or functional discriminator (conditional ones, with
      `[images, labels]` inputs, too), it builds at `compile` a feature
      model `keras.Model(discriminator.inputs,
      discriminator.get_layer(layer).output)`, which shares the
      discriminator's weights; `layer` must name a layer of the
      discriminator itself (not of a nested model);
    - a subclassed discriminator must define a method
      `features(inputs, layer, training=False)` returning the features of
      `inputs` (images, or `[images, labels]`) at `layer`; without it,
      `compile` raises a `TypeError` that says so.

    The value is a statistic of the batch, not a mean of per-example values:
    there is no `reduction` and no `sample_weight`. Under `tf.distribute`
    the means are over the global batch (exact, partial batches included).

    Args:
        layer (str): Name of the discriminator layer whose output is matched.
        name (str): Optional name for the loss instance (its log key in a
            combined `g_loss` is `g_loss_<name>` without the trailing
            `_generator_loss`).
        dtype (str | None): The dtype of the loss's computations (float32 by
            default, also for float16 features).

    Example:

    >>> loss = FeatureMatchingGeneratorLoss(layer="features")
    >>> float(loss([[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [2.0, 2.0]]))
    2.5
    """

    needs_real_logits = False

    def __init__(
        self,
        layer: str,
        *,
        name: str = "feature_matching_generator_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        if not isinstance(layer, str) or not layer:
            raise TypeError(
                "`layer` must be the name of a discriminator layer (a "
                f"non-empty str). Received: layer={layer!r}"
            )
        super().__init__(
            feature_matching_generator_loss,
            GENERATOR,
            reduction="sum_over_batch_size",
            name=name,
            dtype=dtype,
            layer=layer,
        )

    def __call__(self, real_features, fake_features, sample_weight=None):
        """Computes the loss, in `dtype` (float32 by default).

        Args:
            real_features (Tensor): Discriminator features of real data,
                shape `(batch, ...)`.
            fake_features (Tensor): Discriminator features of generated data,
                same feature shape.
            sample_weight (None): Not supported: must be `None`.

        Returns:
            Tensor: The loss, a scalar. Under `tf.distribute`, every replica
            gets the loss of the global batch (not divided by the number of
            replicas: `GAN` weights each replica's share itself).
        """
        if sample_weight is not None:
            raise ValueError(
                "FeatureMatchingGeneratorLoss takes no `sample_weight`: it "
                "compares batch means."
            )
        real_features = ops.convert_to_tensor(real_features, self.dtype)
        fake_features = ops.convert_to_tensor(fake_features, self.dtype)
        return self.call(real_features, fake_features)

    def call(self, real_features, fake_features):
        return feature_matching_generator_loss(real_features, fake_features)

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        return config
