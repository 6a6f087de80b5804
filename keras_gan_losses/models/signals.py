"""Training signals: cheap in-graph measurements that tell a healthy GAN
run from the classic failures (see `callbacks.TrainingMonitor`).

`GAN.train_step` logs, per update:

- `d_grad_norm`, `g_grad_norm`: the global L2 norm of each network's
  gradient (of the loss and penalties it is updated with), the gradient
  of the mean over the global batch, i.e. after the sum over replicas;
- `d_acc_real`, `d_acc_fake`: the share of real and of generated images
  that the discriminator classifies correctly, for losses with a
  decision rule (see `decision_rule`), or `d_gap`, the mean logit on
  real minus the mean logit on generated images, for those without;
- `diversity`: the root-mean-square pairwise distance between the
  generated images of the batch divided by the same between the real
  images (1 when the generated batch is as spread out as the real one,
  0 when every generated image is the same).

All are exact under `tf.distribute`: they do not depend on how the batch
is split over replicas (see each function).
"""

import keras
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses import losses
from keras_gan_losses.utils.scopes import GUARD
from keras_gan_losses.utils.scopes import name_scoped

#: Log keys of the signals, for losses with and without a decision rule.
ACCURACY_KEYS = ("d_acc_real", "d_acc_fake")
GAP_KEYS = ("d_gap",)
GRADIENT_KEYS = ("d_grad_norm", "g_grad_norm")
DIVERSITY_KEYS = ("diversity",)
#: Every key a GAN may log as a signal.
SIGNAL_KEYS = ACCURACY_KEYS + GAP_KEYS + GRADIENT_KEYS + DIVERSITY_KEYS

#: `decision_rule` for a loss that compares the logits relativistically.
RELATIVISTIC = "relativistic"
#: `decision_rule` for a loss that compares real and generated examples
#: in pairs, by index.
PAIRED = "paired"


def decision_rule(loss):
    """Where a discriminator loss puts its real/fake decision.

    Returns `(threshold, sign)`: an output above `threshold` counts as
    "real" when `sign` is +1 (below it when -1); `(RELATIVISTIC, 1)` for
    the relativistic average loss, `(PAIRED, 1)` for the relativistic
    pairing loss; `None` for a loss without a decision rule.

    - minimax / non-saturating (`MinimaxDiscriminatorLoss`, whatever its
      label smoothing): logit 0, where D(x) = sigmoid(logit) = 1/2;
    - hinge: logit 0, the middle of its margins -1 and +1;
    - least squares with targets `a` (fake) and `b` (real): `(a + b) / 2`,
      the output closer to one target than to the other;
    - relativistic average: a real image counts as recognised when its
      logit exceeds the mean logit of the generated batch, a generated
      one when its logit is below the real batch's mean (the loss only
      sees such differences: adding a constant to every logit leaves it
      unchanged, so a fixed threshold would mean nothing);
    - relativistic pairing: a pair (real example i, generated example i)
      is ordered correctly when the real logit is above the generated
      one; both accuracies are the share of pairs ordered correctly;
    - Wasserstein: none (a critic's scores have no threshold): the GAN
      logs the logit gap instead;
    - a plain Keras loss follows the label convention real 1, fake 0:
      logit 0 for `from_logits=True` and for `Hinge`/`SquaredHinge`
      (which map 0/1 labels to -1/+1), else 0.5, the midpoint of the
      targets (e.g. `MeanSquaredError`, or a discriminator ending in a
      sigmoid);
    - any other loss: its `decision_threshold` attribute if it has one
      (a float, or `None` for no rule), else none; a list of losses (a
      combined `d_loss`) has none either.

    Args:
        loss (keras.losses.Loss): The discriminator's loss object.

    Returns:
        tuple | None: `(threshold, sign)` or `None`.
    """
    if hasattr(loss, "decision_threshold"):
        threshold = loss.decision_threshold
        return None if threshold is None else (float(threshold), 1)
    if isinstance(loss, (losses.MinimaxDiscriminatorLoss,
                         losses.HingeDiscriminatorLoss)):
        return (0.0, 1)
    if isinstance(loss, losses.LeastSquaresDiscriminatorLoss):
        a, b = float(loss.a), float(loss.b)
        return ((a + b) / 2.0, 1 if b > a else -1)
    if isinstance(loss, losses.RelativisticAverageDiscriminatorLoss):
        return (RELATIVISTIC, 1)
    if isinstance(loss, losses.RelativisticPairingDiscriminatorLoss):
        return (PAIRED, 1)
    if isinstance(loss, losses.WassersteinDiscriminatorLoss):
        return None
    if isinstance(loss, keras.losses.Loss) and not hasattr(loss, "role"):
        if getattr(loss, "from_logits", False) or isinstance(
            loss, (keras.losses.Hinge, keras.losses.SquaredHinge)
        ):
            return (0.0, 1)
        return (0.5, 1)
    return None


def signal_keys(loss):
    """The signal log keys a GAN with discriminator loss `loss` logs."""
    head = ACCURACY_KEYS if decision_rule(loss) is not None else GAP_KEYS
    return head + GRADIENT_KEYS + DIVERSITY_KEYS


def _global_mean(values):
    """The mean of `values` over the global batch (all replicas)."""
    values = ops.reshape(ops.cast(values, "float32"), (-1,))
    sums = backend.all_reduce_sum(ops.stack([
        ops.sum(values), ops.cast(ops.size(values), "float32")
    ]))
    return ops.divide_no_nan(sums[0], sums[1])


def correct_decisions(rule, real_logits, fake_logits):
    """Per-output 0/1 floats: whether each real and each generated output
    falls on its side of the decision rule (see `decision_rule`).

    For the relativistic rule the other batch's mean is the global one
    (over all replicas), so the decisions do not depend on the split; for
    the paired rule each pair is on one replica, and a pair's decision
    counts for both of its outputs.

    Args:
        rule (tuple): `(threshold, sign)` from `decision_rule`.
        real_logits (Tensor): Discriminator outputs on real images.
        fake_logits (Tensor): Discriminator outputs on generated images.

    Returns:
        tuple[Tensor, Tensor]: `(real_correct, fake_correct)`, float32.
    """
    threshold, sign = rule
    real_logits = ops.cast(real_logits, "float32")
    fake_logits = ops.cast(fake_logits, "float32")
    if threshold == RELATIVISTIC:
        real_margin = real_logits - _global_mean(fake_logits)
        fake_margin = fake_logits - _global_mean(real_logits)
    elif threshold == PAIRED:
        real_margin = real_logits - fake_logits
        fake_margin = fake_logits - real_logits
    else:
        real_margin = sign * (real_logits - threshold)
        fake_margin = sign * (fake_logits - threshold)
    return (ops.cast(real_margin > 0, "float32"),
            ops.cast(fake_margin < 0, "float32"))


@name_scoped(GUARD)
def half_squared_norm(grads):
    """Half the squared L2 norm of this replica's gradients, `sum(‖g‖²)/2`
    (the first step of `tf.linalg.global_norm`): one pass over each
    tensor, shared by the non-finite guard and `gradient_norm` (and
    profiled as the guard's, which needs it whether or not the signals
    are on).

    Args:
        grads (list[Tensor | None]): One update's gradients.

    Returns:
        Tensor: A float32 scalar (0 without any gradient).
    """
    grads = [ops.cast(backend.dense(g), "float32") for g in grads
             if g is not None]
    if not grads:
        return ops.zeros(())
    return sum(ops.sum(ops.square(g)) for g in grads) * 0.5


def gradient_norm(grads, optimizer=None, local_half_squared_norm=None):
    """The global L2 norm of the gradient summed over the replicas.

    Each replica holds its share of the gradient of the global batch's
    mean loss (the optimizer sums them); the norm is taken of that sum,
    so it is the same with one replica or several (at the cost of one
    extra all-reduce of the gradients under a multi-replica strategy).
    Under a `LossScaleOptimizer` the loss scale is divided out. Sparse
    gradients (`tf.IndexedSlices`, e.g. an embedding's) count each row
    once, summed over its repeats, as the optimizer applies them.

    Args:
        grads (list[Tensor | None]): One update's gradients (`None` for
            variables without one).
        optimizer (keras.Optimizer | None): The optimizer that applies
            them, to undo its loss scaling.
        local_half_squared_norm (Tensor | None): `half_squared_norm(grads)`
            if already computed; with one replica it is the norm's only
            pass over the gradients.

    Returns:
        Tensor: A float32 scalar (0 without any gradient).
    """
    grads = [g for g in grads if g is not None]
    if not grads:
        return ops.zeros(())
    if backend.num_replicas() == 1:
        if local_half_squared_norm is None:
            local_half_squared_norm = half_squared_norm(grads)
        half_squares = local_half_squared_norm
    else:
        # Not `tf.linalg.global_norm`: it squares an `IndexedSlices`'
        # values as they are (an embedding's gradient repeats a row for
        # each use of it), where `half_squared_norm` sums them first.
        half_squares = half_squared_norm(backend.all_reduce_sum(grads))
    norm = ops.sqrt(2.0 * half_squares)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        norm = norm / ops.cast(optimizer.dynamic_scale, "float32")
    return norm


def _total_variance(images):
    """Sum over pixels of the unbiased variance over the global batch.

    Two passes (the global mean, then the centred squares), so that a
    batch of identical images gives exactly 0.
    """
    flat = ops.cast(ops.reshape(images, (ops.shape(images)[0], -1)),
                    "float32")
    n = ops.cast(ops.shape(flat)[0], "float32")
    sums = backend.all_reduce_sum(ops.concatenate(
        [ops.reshape(n, (1,)), ops.sum(flat, axis=0)], axis=0
    ))
    count = sums[0]
    mean = ops.divide_no_nan(sums[1:], count)
    squares = backend.all_reduce_sum(ops.sum(ops.square(flat - mean)))
    return ops.divide_no_nan(squares, count - 1.0)


def diversity(fake, real):
    """Spread of the generated batch relative to the real batch.

    The mean squared distance between two different images of a batch is
    twice the sum over pixels of their (unbiased) variances; this is the
    square root of that of the generated images divided by that of the
    real images: the ratio of their root-mean-square pairwise distances.
    About 1 for a generator as varied as the data, 0 for one that makes
    the same image every time. The variances are of the global batch
    (sums over the replicas), so the value does not depend on the split.

    Args:
        fake (Tensor): Generated images, `(batch, ...)`.
        real (Tensor): Real images of the same shape.

    Returns:
        Tensor: A float32 scalar (0 if the real images do not vary).
    """
    real_variance = _total_variance(real)
    # Rounding leaves ~1e-15 for identical images: count that as none.
    real_variance = ops.where(real_variance > 1e-12, real_variance, 0.0)
    return ops.sqrt(ops.divide_no_nan(_total_variance(fake),
                                      real_variance))
