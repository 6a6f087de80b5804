"""MMD GAN steps against NumPy references: a linear feature critic
D(x) = A·x (k = 2 features) and a generator that always draws the same
image, so the MMD² of the critic's features and its gradients are known
in NumPy (pair-by-pair MMD², gradients by central differences)."""

import functools

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path

import keras_gan_losses as kgl
from keras_gan_losses.models.signals import SIGNAL_KEYS

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

LATENT = 3
SIZE = 4
FAKE = np.array([0.5, -1.0, 0.25, 2.0])
A = np.array([[0.3, -0.2, 0.5, 0.1], [-0.4, 0.2, 0.6, -0.3]])


def generator():
    return keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(SIZE, kernel_initializer="zeros",
                           bias_initializer=keras.initializers.Constant(
                               FAKE.astype("float32")), name="fake"),
    ])


def critic():
    return keras.Sequential([
        keras.Input((SIZE,)),
        keras.layers.Dense(2, use_bias=False, name="features",
                           kernel_initializer=keras.initializers.Constant(
                               A.T.astype("float32"))),
    ])


def real_images(n=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, SIZE)).astype(
        "float32")


CASES = [
    ({}, reference.gaussian_kernel, True),
    ({"kernel": "rational_quadratic", "unbiased": False},
     reference.rational_quadratic_kernel, False),
    ({"kernel": "polynomial", "degree": 2, "gamma": 0.5},
     functools.partial(reference.polynomial_kernel, degree=2, gamma=0.5),
     True),
]
IDS = ["gaussian_unbiased", "rq_biased", "poly2"]


def mmd2_of(matrix, real, fake, kernel, unbiased):
    matrix = np.asarray(matrix, np.float64)
    return reference.mmd2(real @ matrix.T, fake @ matrix.T, kernel,
                          unbiased=unbiased)


@pytest.mark.parametrize("kwargs,kernel,unbiased", CASES, ids=IDS)
def test_evaluate_logs_equal_the_reference(kwargs, kernel, unbiased):
    gan = kgl.GAN(generator(), critic(), latent_dim=LATENT, seed=0)
    gan.compile(
        d_loss=kgl.losses.MMDDiscriminatorLoss(**kwargs),
        g_loss=kgl.losses.MMDGeneratorLoss(**kwargs),
        penalties=[kgl.penalties.WitnessGradientPenalty(
            weight=3.0, kernel="polynomial", degree=1, gamma=1.0)])
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    fakes = np.tile(FAKE, (len(x), 1))
    value = mmd2_of(A, x, fakes, kernel, unbiased)
    # Linear kernel: ∇f = Aᵀ (mean A·x − A·FAKE) at every point.
    grad = A.T @ (A @ x.astype("float64").mean(axis=0) - A @ FAKE)
    expected = {
        "d_loss": -value,
        "g_loss": value,
        "witness_gradient_penalty": 3.0 * (np.linalg.norm(grad) - 1) ** 2,
        "d_real": (x @ A.T).mean(),
        "d_fake": (fakes @ A.T).mean(),
        "nonfinite_steps": 0.0,
    }
    # The training signals are checked in gan_reference_test.py.
    assert set(logs) - set(SIGNAL_KEYS) == set(expected)
    for key, want in expected.items():
        assert logs[key] == pytest.approx(want, rel=1e-5, abs=1e-6), key


@pytest.mark.parametrize("kwargs,kernel,unbiased", CASES, ids=IDS)
def test_fit_step_equals_sgd_on_the_reference(kwargs, kernel, unbiased):
    # SGD: the critic ascends MMD² (descends −MMD²), then the generator,
    # through its bias (every fake is the bias), descends MMD² on the
    # updated critic.
    lr = 0.1
    gan = kgl.GAN(generator(), critic(), latent_dim=LATENT, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                d_loss=kgl.losses.MMDDiscriminatorLoss(**kwargs),
                g_loss=kgl.losses.MMDGeneratorLoss(**kwargs))
    x = real_images(seed=1)
    history = gan.fit(x, batch_size=len(x), epochs=1, verbose=0,
                      shuffle=False).history
    n = len(x)
    d_grad = reference.numerical_gradient(
        lambda m: -mmd2_of(m, x, np.tile(FAKE, (n, 1)), kernel, unbiased), A)
    matrix = A - lr * d_grad
    g_grad = reference.numerical_gradient(
        lambda b: mmd2_of(matrix, x, np.tile(b, (n, 1)), kernel, unbiased),
        FAKE)
    bias = FAKE - lr * g_grad
    assert np.abs(d_grad).max() > 1e-3 and np.abs(g_grad).max() > 1e-3
    kernel_weights = gan.discriminator.get_layer("features").get_weights()[0]
    np.testing.assert_allclose(kernel_weights.T, matrix, rtol=1e-4,
                               atol=1e-6)
    g_bias = gan.generator.get_layer("fake").get_weights()[1]
    np.testing.assert_allclose(g_bias, bias, rtol=1e-4, atol=1e-6)
    assert history["d_loss"][0] == pytest.approx(
        -mmd2_of(A, x, np.tile(FAKE, (n, 1)), kernel, unbiased), rel=1e-5)
    assert history["g_loss"][0] == pytest.approx(
        mmd2_of(matrix, x, np.tile(FAKE, (n, 1)), kernel, unbiased),
        rel=1e-4)


@pytest.mark.backends("tensorflow", "torch")
def test_mmd_preset_trains_a_dcgan_critic_with_features():
    preset = kgl.presets.get("mmd")
    assert preset.d_outputs == 16
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=16, width=4, outputs=preset.d_outputs)
    assert tuple(discriminator.output.shape) == (None, 16)
    # One critic step (the preset's 3 only lengthen the graph's tracing).
    gan = kgl.GAN(generator, discriminator, latent_dim=16, d_steps=1, seed=0)
    kwargs = preset.compile_kwargs()
    assert kwargs["d_loss"].kernel == "rational_quadratic"
    assert kwargs["g_loss"].kernel == "rational_quadratic"
    assert kwargs["penalties"][0].kernel == "rational_quadratic"
    gan.compile(**kwargs, run_eagerly=True)
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(
        "float32")
    logs = gan.fit(x, batch_size=8, epochs=1, verbose=0, steps_per_epoch=1,
                   ).history
    assert set(logs) >= {"d_loss", "g_loss", "witness_gradient_penalty"}
    assert all(np.isfinite(v[0]) for v in logs.values())


def witness_penalty_of(matrix, real, weight):
    """The witness gradient penalty with the linear kernel k(a, b) = a·b + 1
    on the features A·x: ∇f = Aᵀ(A·mean(x) − A·FAKE) at every point."""
    matrix = np.asarray(matrix, np.float64)
    grad = matrix.T @ (matrix @ real.astype("float64").mean(axis=0)
                       - matrix @ FAKE)
    return weight * (np.linalg.norm(grad) - 1.0) ** 2


@pytest.mark.backends("tensorflow", "torch")
@pytest.mark.parametrize("kwargs,kernel,unbiased", CASES[:1], ids=IDS[:1])
def test_fit_step_with_the_witness_penalty_equals_sgd(kwargs, kernel,
                                                      unbiased):
    # The penalty reads the critic features the loss computed; its
    # gradient must reach the critic through them (∂P/∂A goes through
    # A·x and A·FAKE as well as through the interpolates).
    lr, weight = 0.1, 3.0
    gan = kgl.GAN(generator(), critic(), latent_dim=LATENT, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                d_loss=kgl.losses.MMDDiscriminatorLoss(**kwargs),
                g_loss=kgl.losses.MMDGeneratorLoss(**kwargs),
                penalties=[kgl.penalties.WitnessGradientPenalty(
                    weight=weight, kernel="polynomial", degree=1,
                    gamma=1.0)])
    x = real_images(seed=2)
    history = gan.fit(x, batch_size=len(x), epochs=1, verbose=0,
                      shuffle=False).history
    n = len(x)
    fakes = np.tile(FAKE, (n, 1))
    d_grad = reference.numerical_gradient(
        lambda m: -mmd2_of(m, x, fakes, kernel, unbiased)
        + witness_penalty_of(m, x, weight), A)
    penalty_grad = reference.numerical_gradient(
        lambda m: witness_penalty_of(m, x, weight), A)
    assert np.abs(penalty_grad).max() > 1e-2
    matrix = A - lr * d_grad
    kernel_weights = gan.discriminator.get_layer("features").get_weights()[0]
    np.testing.assert_allclose(kernel_weights.T, matrix, rtol=1e-4,
                               atol=1e-6)
    assert history["witness_gradient_penalty"][0] == pytest.approx(
        witness_penalty_of(A, x, weight), rel=1e-5)


class CountingIdentity(keras.layers.Layer):
    """Counts the critic's calls (run eagerly: one per call)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def call(self, inputs):
        self.calls += 1
        return inputs


@pytest.mark.backends("tensorflow", "torch")
def test_the_witness_penalty_reuses_the_loss_features():
    counter = CountingIdentity()
    counted = keras.Sequential([keras.Input((SIZE,)), counter,
                                *critic().layers])
    gan = kgl.GAN(generator(), counted, latent_dim=LATENT, seed=0)
    gan.compile(d_loss="mmd", g_loss="mmd", run_eagerly=True,
                penalties=[kgl.penalties.WitnessGradientPenalty()])
    x = real_images()
    counter.calls = 0
    gan.fit(x, batch_size=len(x), epochs=1, verbose=0)
    # Critic update: real, generated, interpolates (the penalty's real
    # and generated features are the loss's); generator update: generated,
    # and real for the MMD. Recomputing them would make 7.
    assert counter.calls == 5
