"""MMD² and the MMD GAN losses against pair-by-pair NumPy references; the
witness gradient penalty against central differences."""

import functools
import json

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

from keras_gan_losses import losses
from keras_gan_losses import penalties
from keras_gan_losses.losses import maximum_mean_discrepancy
from keras_gan_losses.penalties.base import uniform_per_example


def sample(n, d, seed, shift=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)) * scale + shift).astype("float32")


KERNELS = [
    ("gaussian", {}, reference.gaussian_kernel),
    ("gaussian", {"bandwidths": [0.5, 3.0]},
     functools.partial(reference.gaussian_kernel, bandwidths=(0.5, 3.0))),
    ("rational_quadratic", {}, reference.rational_quadratic_kernel),
    ("rational_quadratic", {"alphas": [0.1, 10.0]},
     functools.partial(reference.rational_quadratic_kernel,
                       alphas=(0.1, 10.0))),
    ("polynomial", {}, reference.polynomial_kernel),
    ("polynomial", {"degree": 2, "gamma": 0.3, "coef0": -0.5},
     functools.partial(reference.polynomial_kernel, degree=2, gamma=0.3,
                       coef0=-0.5)),
]
KERNEL_IDS = ["gaussian", "gaussian_bw", "rq", "rq_alphas", "poly_kid",
              "poly_2"]


@pytest.mark.parametrize("unbiased", [True, False],
                         ids=["unbiased", "biased"])
@pytest.mark.parametrize("kernel,kwargs,ref_kernel", KERNELS, ids=KERNEL_IDS)
def test_matches_pairwise_reference(kernel, kwargs, ref_kernel, unbiased):
    x = sample(7, 3, seed=0)
    y = sample(5, 3, seed=1, shift=0.7, scale=1.5)
    got = maximum_mean_discrepancy(x, y, kernel=kernel, unbiased=unbiased,
                                   **kwargs)
    want = reference.mmd2(x, y, ref_kernel, unbiased=unbiased)
    assert got.dtype == "float32"
    assert float(got) == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_estimators_differ_and_unbiased_can_be_negative():
    x, y = sample(6, 2, seed=2), sample(6, 2, seed=3)
    unbiased = float(maximum_mean_discrepancy(x, y))
    biased = float(maximum_mean_discrepancy(x, y, unbiased=False))
    assert biased > 0 and abs(biased - unbiased) > 0.05
    # Same distribution: the U-statistic straddles 0, here below it.
    assert unbiased == pytest.approx(
        reference.mmd2(x, y, reference.gaussian_kernel), rel=1e-5)


def test_float16_inputs_are_computed_in_float32():
    x = sample(6, 4, seed=4).astype("float16")
    y = sample(6, 4, seed=5, shift=0.3).astype("float16")
    got = maximum_mean_discrepancy(x, y, kernel="rational_quadratic")
    assert got.dtype == "float32"
    # The same float16 values in float64: only float32 arithmetic (the
    # kernel matrices) separates the two, ~1e-6 relative at most; float16
    # arithmetic would be off by ~1e-3.
    want = reference.mmd2(x.astype("float64"), y.astype("float64"),
                          reference.rational_quadratic_kernel)
    assert float(got) == pytest.approx(want, rel=1e-5)


def test_float64_inputs_keep_float64():
    x, y = sample(9, 3, seed=6).astype("float64"), sample(8, 3, seed=7)
    got = maximum_mean_discrepancy(x, y.astype("float64"), "polynomial")
    assert got.dtype == "float64"
    assert float(got) == pytest.approx(
        reference.mmd2(x, y, reference.polynomial_kernel), rel=1e-10)


def test_patch_features_are_flattened():
    x, y = sample(4, 6, seed=8), sample(4, 6, seed=9)
    np.testing.assert_allclose(
        maximum_mean_discrepancy(x.reshape(4, 2, 3, 1),
                                 y.reshape(4, 2, 3, 1)),
        maximum_mean_discrepancy(x, y), rtol=1e-6)


def test_differentiable_with_the_reference_gradient():
    x, y = sample(5, 2, seed=10), sample(4, 2, seed=11, shift=1.0)
    variable = tf.Variable(y)
    with tf.GradientTape() as tape:
        value = maximum_mean_discrepancy(x, variable)
    grad = tape.gradient(value, variable).numpy()
    want = reference.numerical_gradient(
        lambda v: reference.mmd2(x, v, reference.gaussian_kernel), y)
    np.testing.assert_allclose(grad, want, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("x,y,kwargs,match", [
    ((4, 3), (4, 2), {}, "same number of features"),
    ((1, 3), (4, 3), {}, "at least 2 samples in `x`"),
    ((4, 3), (0, 3), {"unbiased": False}, "at least 1 sample in `y`"),
    ((4, 3), (4, 3), {"kernel": "laplace"}, "`kernel` must be one of"),
    ((4, 3), (4, 3), {"bandwidths": []}, "`bandwidths` must be"),
    ((4, 3), (4, 3), {"bandwidths": [1.0, -2.0]}, "`bandwidths` must be"),
    ((4, 3), (4, 3), {"alphas": [0.0]}, "`alphas` must be"),
    ((4, 3), (4, 3), {"degree": 1.5}, "`degree` must be"),
    ((4, 3), (4, 3), {"gamma": -1.0}, "`gamma` must be"),
])
def test_bad_arguments(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        maximum_mean_discrepancy(np.zeros(x), np.ones(y), **kwargs)


def test_scalar_refused():
    with pytest.raises(ValueError, match="batch axis"):
        maximum_mean_discrepancy(1.0, np.zeros((3, 1)))


# --- the loss objects ------------------------------------------------------


@pytest.mark.parametrize("kwargs,ref_kernel,unbiased", [
    ({}, reference.gaussian_kernel, True),
    ({"kernel": "rational_quadratic", "unbiased": False},
     reference.rational_quadratic_kernel, False),
])
def test_losses_are_minus_and_plus_mmd2(kwargs, ref_kernel, unbiased):
    real, fake = sample(6, 4, seed=12), sample(6, 4, seed=13, shift=0.5)
    want = reference.mmd2(real, fake, ref_kernel, unbiased=unbiased)
    d_loss = losses.MMDDiscriminatorLoss(**kwargs)
    g_loss = losses.MMDGeneratorLoss(**kwargs)
    assert float(d_loss(real, fake)) == pytest.approx(-want, rel=1e-5)
    assert float(g_loss(real, fake)) == pytest.approx(want, rel=1e-5)
    per_example = losses.MMDGeneratorLoss(reduction=None, **kwargs)(
        real, fake)
    assert tuple(per_example.shape) == (6,)
    np.testing.assert_allclose(per_example, np.full(6, want), rtol=1e-5)
    np.testing.assert_allclose(
        losses.mmd_discriminator_loss(real, fake, **{
            k: v for k, v in d_loss.hyperparameters.items()}),
        np.full(6, -want), rtol=1e-5)


def test_float16_features_give_a_float32_loss():
    real = sample(5, 3, seed=14).astype("float16")
    fake = sample(5, 3, seed=15, shift=1.0).astype("float16")
    value = losses.MMDGeneratorLoss()(real, fake)
    assert value.dtype == "float32"
    # As above: float32 arithmetic on float16 values, against float64.
    assert float(value) == pytest.approx(reference.mmd2(
        real.astype("float64"), fake.astype("float64"),
        reference.gaussian_kernel), rel=1e-5)


def test_registered_names_and_roles():
    assert isinstance(losses.get("mmd", "discriminator"),
                      losses.MMDDiscriminatorLoss)
    assert isinstance(losses.get("mmd", "generator"),
                      losses.MMDGeneratorLoss)
    assert isinstance(losses.get(losses.mmd_generator_loss, "generator"),
                      losses.MMDGeneratorLoss)
    with pytest.raises(TypeError, match="swap"):
        losses.get(losses.MMDGeneratorLoss(), "discriminator")
    for cls in (losses.MMDDiscriminatorLoss, losses.MMDGeneratorLoss):
        assert cls in losses.ALL_OBJECTS
        assert keras.saving.get_registered_name(cls) == \
            f"keras_gan_losses>{cls.__name__}"


@pytest.mark.parametrize("cls", [losses.MMDDiscriminatorLoss,
                                 losses.MMDGeneratorLoss])
def test_config_round_trip(cls):
    loss = cls(kernel="polynomial", degree=2, gamma=0.5, coef0=0.25,
               unbiased=False, bandwidths=[3.0], alphas=[1.0], name="m")
    config = json.loads(json.dumps(loss.get_config()))
    again = cls.from_config(config)
    assert again.get_config() == loss.get_config()
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss))
    real, fake = sample(4, 3, seed=16), sample(4, 3, seed=17)
    assert float(restored(real, fake)) == pytest.approx(
        float(loss(real, fake)), rel=1e-6)
    assert (restored.kernel, restored.degree, restored.unbiased) == (
        "polynomial", 2, False)


@pytest.mark.parametrize("kwargs,match", [
    ({"reduction": "sum"}, "statistic of the whole batch"),
    ({"kernel": "cosine"}, "`kernel` must be one of"),
    ({"bandwidths": [0.0]}, "`bandwidths` must be"),
])
def test_bad_loss_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        losses.MMDDiscriminatorLoss(**kwargs)


def test_unbiased_must_be_a_bool():
    with pytest.raises(TypeError, match="`unbiased` must be a bool"):
        losses.MMDGeneratorLoss(unbiased="yes")


def test_sample_weight_refused():
    with pytest.raises(ValueError, match="no `sample_weight`"):
        losses.MMDGeneratorLoss()(np.zeros((3, 2)), np.ones((3, 2)),
                                  sample_weight=np.ones(3))


# --- the witness gradient penalty -------------------------------------------


def linear_critic(matrix):
    matrix = np.asarray(matrix, "float32")
    return keras.Sequential([
        keras.Input((matrix.shape[1],)),
        keras.layers.Dense(matrix.shape[0], use_bias=False,
                           kernel_initializer=keras.initializers.Constant(
                               matrix.T)),
    ])


MATRIX = np.array([[0.5, -1.0, 0.3], [0.2, 0.4, -0.6]])


@pytest.mark.parametrize("kwargs,ref_kernel", [
    ({"kernel": "gaussian", "bandwidths": [0.7, 2.0]},
     functools.partial(reference.gaussian_kernel, bandwidths=(0.7, 2.0))),
    ({"kernel": "rational_quadratic"}, reference.rational_quadratic_kernel),
])
def test_witness_penalty_matches_central_differences(kwargs, ref_kernel):
    real, fake = sample(5, 3, seed=18), sample(5, 3, seed=19, shift=0.8)
    seed = tf.constant([3, 4], tf.int32)
    penalty = penalties.WitnessGradientPenalty(weight=2.0, **kwargs)
    got = float(penalty(linear_critic(MATRIX), real, fake, seed=seed))
    alpha = uniform_per_example(tf.constant(real), seed).numpy()
    mixed = real + alpha * (fake - real)
    want = reference.witness_penalty(
        mixed, real @ MATRIX.T, fake @ MATRIX.T, ref_kernel, MATRIX, 2.0)
    assert got == pytest.approx(want, rel=1e-4)


def test_witness_penalty_round_trip_and_name():
    penalty = penalties.get("witness_gradient_penalty")
    assert isinstance(penalty, penalties.WitnessGradientPenalty)
    assert penalty.weight == 1.0
    custom = penalties.WitnessGradientPenalty(
        weight=0.5, target=0.0, kernel="polynomial", degree=1, gamma=2.0)
    again = penalties.deserialize(json.loads(json.dumps(
        penalties.serialize(custom))))
    assert again.get_config() == custom.get_config()


def test_witness_penalty_bad_kernel():
    with pytest.raises(ValueError, match="`kernel` must be one of"):
        penalties.WitnessGradientPenalty(kernel="rbf")
