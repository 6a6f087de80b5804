"""The relativistic pairing loss: pairs by index, float16 bounds, its
gradient, and the batch-size check. (Values, reductions, configs and names
are in losses_test.py with the other losses.)"""

import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

from keras_gan_losses import losses

#: float16's unit roundoff: half its machine epsilon 2**-10 (9.8e-4).
FLOAT16_ROUNDOFF = 2.0**-11


PAIRS = [
    (losses.RelativisticPairingDiscriminatorLoss,
     reference.relativistic_pairing_d),
    (losses.RelativisticPairingGeneratorLoss,
     reference.relativistic_pairing_g),
]


def logits(shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * 3).astype("float32")


@pytest.mark.parametrize("cls,ref", PAIRS)
def test_pairs_are_by_index(cls, ref):
    # Shuffling the generated batch changes which real example each one
    # is compared with, and so the loss (the relativistic average loss
    # would not change: it only sees the batch means).
    r, f = logits((8,), 0), logits((8,), 1)
    shuffled = f[::-1].copy()
    assert abs(ref(r, f).mean() - ref(r, shuffled).mean()) > 0.1
    assert float(cls()(r, shuffled)) == pytest.approx(
        ref(r, shuffled).mean(), rel=1e-5)
    assert float(cls()(r, f)) == pytest.approx(ref(r, f).mean(), rel=1e-5)


def test_generator_loss_is_the_discriminator_loss_with_roles_swapped():
    r, f = logits((6, 1), 2), logits((6, 1), 3)
    np.testing.assert_allclose(
        losses.relativistic_pairing_generator_loss(r, f),
        losses.relativistic_pairing_discriminator_loss(f, r), rtol=1e-6)
    assert abs(float(losses.RelativisticPairingGeneratorLoss()(r, f))
               - float(losses.RelativisticPairingDiscriminatorLoss()(r, f))
               ) > 0.1


@pytest.mark.parametrize("cls,ref", PAIRS)
def test_float16_inputs_within_the_rounding_of_the_inputs(cls, ref):
    # Rounding to float16 moves each logit by at most u·|x| (u = 2**-11);
    # softplus is 1-Lipschitz, so each pair's value moves by at most
    # u·(|r_i| + |f_i|), and the mean by at most the mean of those. The
    # loss itself is computed in float32 (rounding ~1e-7, far below).
    r, f = logits((64,), 4) * 3, logits((64,), 5) * 3
    got = cls()(r.astype("float16"), f.astype("float16"))
    assert got.dtype == "float32"
    bound = FLOAT16_ROUNDOFF * np.mean(np.abs(r) + np.abs(f))
    assert abs(float(got) - ref(r, f).mean()) <= bound + 1e-6
    # The bound is tight enough to mean something: swapping real and
    # generated logits moves the loss far more.
    assert abs(ref(f, r).mean() - ref(r, f).mean()) > 100 * bound


def test_discriminator_gradient_is_minus_sigmoid_of_the_pair_gap():
    # d/dr_i mean_j softplus(f_j - r_j) = -sigmoid(f_i - r_i) / n, and
    # d/df_i = +sigmoid(f_i - r_i) / n.
    r = tf.constant([1.5, -0.5, 0.0, 2.0])
    f = tf.constant([0.5, 0.5, -1.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([r, f])
        value = losses.RelativisticPairingDiscriminatorLoss()(r, f)
    sigmoid = 1.0 / (1.0 + np.exp(-(f.numpy() - r.numpy())))
    np.testing.assert_allclose(tape.gradient(value, r), -sigmoid / 4,
                               rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(value, f), sigmoid / 4,
                               rtol=1e-5)


@pytest.mark.parametrize("fn", [
    losses.relativistic_pairing_discriminator_loss,
    losses.relativistic_pairing_generator_loss,
])
def test_batches_of_different_sizes_are_refused(fn):
    with pytest.raises(ValueError, match=r"same shape.*\(4,\).*\(5,\)"):
        fn(np.zeros(4, "float32"), np.zeros(5, "float32"))
    # Sizes known only at run time, and a batch of 1 that would broadcast.
    traced = tf.function(fn, input_signature=[
        tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.float32)
    ])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="pair up by index"):
        traced(np.zeros(4, "float32"), np.zeros(1, "float32"))
    assert tuple(traced(np.zeros(3, "float32"),
                        np.zeros(3, "float32")).shape) == (3,)
