"""One `fit` step of `ImageToImageGAN` against a hand-written NumPy update.

The networks are linear, so every gradient is written out by hand:
G(x) = x K + c on flattened images, and the discriminator
D(s, y) = s·u + y·w + b + q·½‖y‖² + p·(s·y), which reads its source
input (through u) and its image input (through w and the fixed quadratic
term), and whose gradient with respect to the image, q y + w + p s,
depends on the source, so that an image given in the wrong slot, or a
source left out, changes the numbers. The step: the non-saturating
discriminator loss plus R1 (the gradient with respect to the target
image, at its source), one SGD update; then the non-saturating generator
loss on the updated discriminator plus λ·L1, one SGD update.
"""

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path

import keras_gan_losses as kgl

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

SHAPE = (2, 3, 1)
SIZE = 6
K = np.linspace(-0.5, 0.5, SIZE * SIZE).reshape(SIZE, SIZE)
C = np.array([0.1, -0.2, 0.3, 0.0, 0.2, -0.1])
U = np.array([0.4, -0.3, 0.2, 0.5, -0.1, 0.3])
W = np.array([0.3, -0.2, 0.5, 0.1, -0.4, 0.2])
B = 0.1
Q = 0.5
P = 0.7


def constant(values):
    return keras.initializers.Constant(np.asarray(values, "float32"))


def generator():
    x = keras.Input(SHAPE)
    flat = keras.layers.Flatten()(x)
    out = keras.layers.Dense(SIZE, kernel_initializer=constant(K),
                             bias_initializer=constant(C),
                             name="translate")(flat)
    return keras.Model(x, keras.layers.Reshape(SHAPE)(out))


class Calls(keras.layers.Layer):
    """Identity that counts its calls (at trace time in graph mode)."""

    count = 0

    def call(self, x):
        Calls.count += 1
        return x


def discriminator():
    s, y = keras.Input(SHAPE), keras.Input(SHAPE)
    flat_s = keras.layers.Flatten()(s)
    flat_y = keras.layers.Flatten()(Calls()(y))
    on_source = keras.layers.Dense(
        1, use_bias=False, kernel_initializer=constant(U.reshape(SIZE, 1)),
        name="on_source")(flat_s)
    on_image = keras.layers.Dense(
        1, kernel_initializer=constant(W.reshape(SIZE, 1)),
        bias_initializer=constant([B]), name="on_image")(flat_y)
    quadratic = keras.layers.Lambda(
        lambda t: Q * 0.5 * keras.ops.sum(t * t, axis=1, keepdims=True)
    )(flat_y)
    cross = keras.layers.Lambda(
        lambda t: P * keras.ops.sum(t[0] * t[1], axis=1, keepdims=True)
    )([flat_s, flat_y])
    return keras.Model([s, y], keras.layers.Add()(
        [on_source, on_image, quadratic, cross]))


def data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    source = rng.uniform(-1, 1, size=(n,) + SHAPE).astype("float32")
    target = rng.uniform(-1, 1, size=(n,) + SHAPE).astype("float32")
    return source, target


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def logits(s, y, u, w, b):
    return (s @ u + y @ w + b + Q * 0.5 * (y ** 2).sum(axis=1)
            + P * (s * y).sum(axis=1))


def reference_step(source, target, lr, gamma, lam, adversarial=True):
    """The weights after one step and the logged values, in float64."""
    n = len(source)
    s = source.reshape(n, -1).astype("float64")
    y = target.reshape(n, -1).astype("float64")
    f_img = s @ K + C
    u, w, b = U.copy(), W.copy(), B
    logs = {}
    if adversarial:
        r, f = logits(s, y, u, w, b), logits(s, f_img, u, w, b)
        logs["d_loss"] = reference.minimax_d(r, f).mean()
        logs["d_real"], logs["d_fake"] = r.mean(), f.mean()
        # R1 at the real pair: ∇_y D = q y + w + p s.
        logs["r1_penalty"] = reference.r1_penalty(Q * y + w + P * s, gamma)
        dr, df = -sigmoid(-r) / n, sigmoid(f) / n
        grad_r1 = gamma * (Q * y + w + P * s).mean(axis=0)
        grad_w = y.T @ dr + f_img.T @ df + grad_r1
        grad_u = s.T @ dr + s.T @ df
        grad_b = dr.sum() + df.sum()
        u, w, b = u - lr * grad_u, w - lr * grad_w, b - lr * grad_b
        f_new = logits(s, f_img, u, w, b)
        logs["g_loss"] = reference.non_saturating_g(r, f_new).mean()
        d_fake = (-sigmoid(-f_new) / n)[:, None] * (w + Q * f_img + P * s)
    else:
        d_fake = np.zeros_like(f_img)
    logs["mean_absolute_error"] = lam * np.abs(f_img - y).mean()
    d_fake = d_fake + lam * np.sign(f_img - y) / y.size
    kernel = K - lr * s.T @ d_fake
    bias = C - lr * d_fake.sum(axis=0)
    return {"kernel": kernel, "bias": bias, "u": u, "w": w, "b": b}, logs


def weights(gan):
    kernel, bias = gan.generator.get_layer("translate").get_weights()
    w, b = gan.discriminator.get_layer("on_image").get_weights()
    (u,) = gan.discriminator.get_layer("on_source").get_weights()
    return {"kernel": kernel, "bias": bias, "u": u.ravel(), "w": w.ravel(),
            "b": b[0]}


def assert_weights(gan, expected):
    got = weights(gan)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-6,
                                   err_msg=key)


@pytest.mark.parametrize("jit_compile", [
    pytest.param(False, id="graph"),
    # (`torch.compile` on the torch backend: not the XLA path this checks.)
    pytest.param(True, id="xla",
                 marks=pytest.mark.backends("tensorflow", "jax")),
])
def test_fit_step_equals_the_hand_written_update(jit_compile):
    lr, gamma, lam = 0.1, 2.0, 3.0
    gan = kgl.ImageToImageGAN(generator(), discriminator(), seed=0,
                              data_range=None)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                d_loss="non_saturating", g_loss="non_saturating",
                penalties=[kgl.penalties.R1Penalty(gamma)],
                reconstruction_losses=[
                    (keras.losses.MeanAbsoluteError(), lam)],
                jit_compile=jit_compile)
    source, target = data()
    history = gan.fit(source, target, batch_size=len(source), epochs=1,
                      verbose=0, shuffle=False).history
    expected, logs = reference_step(source, target, lr, gamma, lam)
    assert_weights(gan, expected)
    assert set(history) == set(logs) | {"nonfinite_steps"}
    for key, value in logs.items():
        assert history[key][0] == pytest.approx(value, rel=1e-5,
                                                abs=1e-6), key
    # The test can tell wrong inputs apart: the penalty's gradient in the
    # source slot is u + p y, and without the source q y + w.
    y = target.reshape(len(target), -1)
    for wrong in (U + P * y, Q * y + W):
        assert abs(reference.r1_penalty(wrong, gamma)
                   - logs["r1_penalty"]) > 0.1


def test_evaluate_logs_equal_the_reference():
    gamma, lam = 2.0, 3.0
    gan = kgl.ImageToImageGAN(generator(), discriminator(), seed=0,
                              data_range=None)
    gan.compile(penalties=[kgl.penalties.R1Penalty(gamma)],
                reconstruction_losses=[("l1", lam)])
    source, target = data()
    logs = gan.evaluate(source, target, batch_size=len(source), verbose=0,
                        return_dict=True)
    n = len(source)
    s, y = source.reshape(n, -1), target.reshape(n, -1)
    f_img = s @ K + C
    r, f = logits(s, y, U, W, B), logits(s, f_img, U, W, B)
    expected = {
        "d_loss": reference.minimax_d(r, f).mean(),
        "g_loss": reference.non_saturating_g(r, f).mean(),
        "d_real": r.mean(), "d_fake": f.mean(),
        "r1_penalty": reference.r1_penalty(Q * y + W + P * s, gamma),
        "mean_absolute_error": lam * np.abs(f_img - y).mean(),
        "nonfinite_steps": 0.0,
    }
    assert set(logs) == set(expected)
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


def test_reconstruction_only_training_never_touches_the_discriminator():
    lr, lam = 0.1, 3.0
    gan = kgl.ImageToImageGAN(generator(), discriminator(), seed=0,
                              data_range=None)
    gan.compile(g_optimizer=keras.optimizers.SGD(lr), d_loss=None,
                g_loss=None, reconstruction_losses=[("l1", lam)])
    before = gan.discriminator.get_weights()
    Calls.count = 0
    source, target = data()
    history = gan.fit(source, target, batch_size=len(source), epochs=1,
                      verbose=0, shuffle=False).history
    logs = gan.evaluate(source, target, batch_size=len(source), verbose=0,
                        return_dict=True)
    # Never called, not even traced, in fit or evaluate; nothing built.
    assert Calls.count == 0
    assert int(gan.d_optimizer.iterations.numpy()) == 0
    assert not gan.d_optimizer.built
    for a, b in zip(before, gan.discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
    expected, ref_logs = reference_step(source, target, lr, 0.0, lam,
                                        adversarial=False)
    assert_weights(gan, expected)
    assert set(history) == {"mean_absolute_error", "nonfinite_steps"}
    assert set(logs) == set(history)
    assert history["mean_absolute_error"][0] == pytest.approx(
        ref_logs["mean_absolute_error"], rel=1e-5)


def test_reconstruction_weight_zero_leaves_the_adversarial_update():
    # With λ = 0 the generator's update is the adversarial one alone.
    lr, gamma = 0.1, 2.0
    gan = kgl.ImageToImageGAN(generator(), discriminator(), seed=0,
                              data_range=None)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                penalties=[kgl.penalties.R1Penalty(gamma)],
                reconstruction_losses=[("l1", 0.0)])
    source, target = data()
    history = gan.fit(source, target, batch_size=len(source), epochs=1,
                      verbose=0, shuffle=False).history
    expected, _ = reference_step(source, target, lr, gamma, 0.0)
    assert_weights(gan, expected)
    assert history["mean_absolute_error"] == [0.0]
