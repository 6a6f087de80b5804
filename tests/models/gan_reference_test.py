"""One `evaluate` (and one `fit`) step of the GAN against NumPy references.

The networks are deterministic and tiny: the generator ignores its noise
(zero kernel, known bias), so the fake images are known, and the
discriminator is analytic, D(x) = s · ½‖x‖² + w·x + b, so every
per-example logit and input gradient is known in NumPy (see
`reference.quadratic_critic`). Every logged value, `d_loss`, `g_loss`,
`d_real`, `d_fake` and each penalty, must equal its reference.
"""

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path

import keras_gan_losses as kgl
from keras_gan_losses.models import signals

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

LATENT = 3
IMAGE = (2, 3, 1)
SIZE = 6
FAKE = np.array([0.5, -1.0, 0.25, 2.0, -0.5, 1.5])
W = np.array([0.3, -0.2, 0.5, 0.1, -0.4, 0.2])
B = 0.1
CLASSES = 3
# Per-class fake images (rows) and per-class discriminator biases.
TABLE = np.array([[0.5, -1.0, 0.25, 2.0, -0.5, 1.5],
                  [-1.5, 0.0, 1.0, -0.25, 0.75, 0.5],
                  [0.0, 2.0, -1.0, 0.5, 0.25, -0.75]])
CLASS_BIAS = np.array([0.2, -0.6, 1.1])


def constant(values):
    return keras.initializers.Constant(np.asarray(values, "float32"))


def generator():
    """G(z) = FAKE for every z: a zero kernel and the bias FAKE."""
    return keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(SIZE, kernel_initializer="zeros",
                           bias_initializer=constant(FAKE), name="fake"),
        keras.layers.Reshape(IMAGE),
    ])


def half_squared_norm(scale):
    return keras.layers.Lambda(
        lambda t: scale * 0.5 * keras.ops.sum(t * t, axis=1, keepdims=True))


def discriminator(scale):
    """D(x) = scale · ½‖x‖² + W·x + B."""
    image = keras.Input(IMAGE)
    flat = keras.layers.Flatten()(image)
    linear = keras.layers.Dense(
        1, kernel_initializer=constant(W.reshape(SIZE, 1)),
        bias_initializer=constant([B]), name="linear")(flat)
    out = keras.layers.Add()([half_squared_norm(scale)(flat), linear])
    return keras.Model(image, out)


def real_images(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n,) + IMAGE).astype("float32")


def logits(images, scale):
    return reference.quadratic_critic(images, scale, W, B)


def mean_bce_d(r, f):
    # BCE(1, σ(r)) + BCE(0, σ(f)), written with log σ directly.
    sig_r, sig_f = 1 / (1 + np.exp(-r)), 1 / (1 + np.exp(-f))
    return np.mean(-np.log(sig_r)) + np.mean(-np.log(1 - sig_f))


def mean_bce_g(r, f):
    return np.mean(-np.log(1 / (1 + np.exp(-f))))


def mean_mse_d(r, f):
    return np.mean((r - 1) ** 2) + np.mean(f ** 2)


def mean_mse_g(r, f):
    return np.mean((f - 1) ** 2)


def mean_of(fn, **kwargs):
    return lambda r, f: fn(r, f, **kwargs).mean()


L = kgl.losses
CASES = [
    ("minimax", "minimax", mean_of(reference.minimax_d),
     mean_of(reference.minimax_g)),
    ("non_saturating", "non_saturating", mean_of(reference.minimax_d),
     mean_of(reference.non_saturating_g)),
    (L.MinimaxDiscriminatorLoss(label_smoothing=0.2), "non_saturating",
     mean_of(reference.minimax_d, label_smoothing=0.2),
     mean_of(reference.non_saturating_g)),
    ("least_squares", "least_squares", mean_of(reference.least_squares_d),
     mean_of(reference.least_squares_g)),
    (L.LeastSquaresDiscriminatorLoss(a=-1.0, b=1.0),
     L.LeastSquaresGeneratorLoss(c=0.0),
     mean_of(reference.least_squares_d, a=-1.0, b=1.0),
     mean_of(reference.least_squares_g, c=0.0)),
    ("wasserstein", "wasserstein", mean_of(reference.wasserstein_d),
     mean_of(reference.wasserstein_g)),
    ("hinge", "hinge", mean_of(reference.hinge_d),
     mean_of(reference.hinge_g)),
    ("relativistic_average", "relativistic_average",
     mean_of(reference.relativistic_d), mean_of(reference.relativistic_g)),
    ("relativistic_pairing", "relativistic_pairing",
     mean_of(reference.relativistic_pairing_d),
     mean_of(reference.relativistic_pairing_g)),
    (keras.losses.BinaryCrossentropy(from_logits=True),
     keras.losses.BinaryCrossentropy(from_logits=True), mean_bce_d,
     mean_bce_g),
    (keras.losses.MeanSquaredError(), keras.losses.MeanSquaredError(),
     mean_mse_d, mean_mse_g),
]
IDS = ["minimax", "non_saturating", "label_smoothing", "least_squares",
       "least_squares_a_b_c", "wasserstein", "hinge", "relativistic_average",
       "relativistic_pairing", "keras_bce", "keras_mse"]


def signal_reference(d_loss, r, f):
    """The discriminator's accuracies (or logit gap) from its logits, with
    the decision rule of `d_loss` (see `models.signals.decision_rule`)."""
    rule = signals.decision_rule(d_loss)
    if rule is None:
        return {"d_gap": r.mean() - f.mean()}
    threshold, sign = rule
    if threshold == signals.RELATIVISTIC:
        return {"d_acc_real": np.mean(r > f.mean()),
                "d_acc_fake": np.mean(f < r.mean())}
    if threshold == signals.PAIRED:
        # The share of pairs (real i, generated i) ordered correctly.
        return {"d_acc_real": np.mean(r > f), "d_acc_fake": np.mean(r > f)}
    return {"d_acc_real": np.mean(sign * (r - threshold) > 0),
            "d_acc_fake": np.mean(sign * (f - threshold) < 0)}


@pytest.mark.parametrize("d_loss,g_loss,ref_d,ref_g", CASES, ids=IDS)
def test_evaluate_logs_equal_the_reference(d_loss, g_loss, ref_d, ref_g):
    scale = 0.5
    gan = kgl.GAN(generator(), discriminator(scale), seed=0)
    gan.compile(d_loss=d_loss, g_loss=g_loss, penalties=[
        kgl.penalties.R1Penalty(3.0), kgl.penalties.R2Penalty(0.5)])
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    r, real_grads = logits(x, scale)
    fakes = np.broadcast_to(FAKE.reshape((1,) + IMAGE), x.shape)
    f, fake_grads = logits(fakes, scale)
    expected = {
        "d_real": r.mean(),
        "d_fake": f.mean(),
        "d_loss": ref_d(r, f),
        "g_loss": ref_g(r, f),
        "r1_penalty": reference.r1_penalty(real_grads, 3.0),
        "r2_penalty": reference.r1_penalty(fake_grads, 0.5),
        "nonfinite_steps": 0.0,
        # Every generated image is FAKE: no spread at all.
        "diversity": 0.0,
        **signal_reference(gan.d_loss, r, f),
    }
    assert set(logs) == set(expected)
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


def test_relativistic_generator_loss_reads_real_and_fake_logits():
    # Its value is not symmetric: swapping r and f, or using f for r,
    # changes it. The references of the wrong calls must differ from the
    # right one for this test to mean anything.
    gan = kgl.GAN(generator(), discriminator(0.5), seed=0)
    gan.compile(d_loss="relativistic_average", g_loss="relativistic_average")
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    r, _ = logits(x, 0.5)
    f, _ = logits(np.broadcast_to(FAKE.reshape((1,) + IMAGE), x.shape), 0.5)
    right = reference.relativistic_g(r, f).mean()
    for wrong in (reference.relativistic_g(f, r).mean(),
                  reference.relativistic_g(f, f).mean()):
        assert abs(wrong - right) > 0.1
    assert logs["g_loss"] == pytest.approx(right, rel=1e-5)


def test_gradient_penalties_at_any_point_with_a_linear_critic():
    # With scale 0, ∇D = W everywhere: both penalties are λ (‖W‖ − k)²
    # whatever α and the perturbation draw.
    gan = kgl.GAN(generator(), discriminator(0.0), seed=0)
    gan.compile(d_loss="wasserstein", g_loss="wasserstein", penalties=[
        kgl.penalties.GradientPenalty(10.0),
        kgl.penalties.DRAGANPenalty(2.0, k=0.5)])
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    grads = np.tile(W, (len(x), 1))
    assert logs["gradient_penalty"] == pytest.approx(
        reference.gradient_penalty(grads, 10.0), rel=1e-5)
    assert logs["dragan_penalty"] == pytest.approx(
        reference.dragan_penalty(grads, 2.0, 0.5), rel=1e-5)


def test_dragan_in_the_model_is_evaluated_on_real_data():
    # A real batch with one value everywhere has std 0: DRAGAN's
    # perturbation vanishes and x̂ = x exactly, ∇D(x) = s·x + W.
    scale = 1.0
    gan = kgl.GAN(generator(), discriminator(scale), seed=0)
    gan.compile(d_loss="wasserstein", g_loss="wasserstein",
                penalties=[kgl.penalties.DRAGANPenalty(2.0)])
    x = np.full((4,) + IMAGE, -0.75, "float32")
    logs = gan.evaluate(x, batch_size=4, verbose=0, return_dict=True)
    _, real_grads = logits(x, scale)
    fakes = np.broadcast_to(FAKE.reshape((1,) + IMAGE), x.shape)
    _, fake_grads = logits(fakes, scale)
    expected = reference.dragan_penalty(real_grads, 2.0)
    assert logs["dragan_penalty"] == pytest.approx(expected, rel=1e-5)
    assert abs(reference.dragan_penalty(fake_grads, 2.0) - expected) > 1.0


# --- conditional -------------------------------------------------------------

def conditional_nets(scale):
    """G([z, y]) = TABLE[y]; D([x, y]) = scale · ½‖x‖² + W·x + B +
    CLASS_BIAS[y]."""
    def onehot():
        return keras.layers.Lambda(
            lambda t: keras.ops.one_hot(t, CLASSES), output_shape=(CLASSES,))

    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    from_z = keras.layers.Dense(SIZE, kernel_initializer="zeros",
                                bias_initializer="zeros", name="from_z")(z)
    from_label = keras.layers.Dense(
        SIZE, use_bias=False, kernel_initializer=constant(TABLE),
        name="from_label")(onehot()(label))
    image = keras.layers.Reshape(IMAGE)(
        keras.layers.Add()([from_z, from_label]))
    g = keras.Model([z, label], image)

    x = keras.Input(IMAGE)
    label_d = keras.Input((), dtype="int32")
    flat = keras.layers.Flatten()(x)
    linear = keras.layers.Dense(
        1, kernel_initializer=constant(W.reshape(SIZE, 1)),
        bias_initializer=constant([B]), name="linear")(flat)
    by_class = keras.layers.Dense(
        1, use_bias=False,
        kernel_initializer=constant(CLASS_BIAS.reshape(CLASSES, 1)),
        name="by_class")(onehot()(label_d))
    out = keras.layers.Add()([half_squared_norm(scale)(flat), linear,
                              by_class])
    return g, keras.Model([x, label_d], out)


def conditional_logits(x, y, fake_labels, scale):
    fakes = TABLE[fake_labels].reshape(x.shape)
    r, real_grads = logits(x, scale)
    f, fake_grads = logits(fakes, scale)
    return r + CLASS_BIAS[y], f + CLASS_BIAS[y], real_grads, fake_grads


def test_conditional_evaluate_logs_equal_the_reference():
    scale = 0.5
    g, d = conditional_nets(scale)
    gan = kgl.GAN(g, d, num_classes=CLASSES, seed=0)
    gan.compile(d_loss="least_squares", g_loss="relativistic_average",
                penalties=[kgl.penalties.R1Penalty(2.0),
                           kgl.penalties.R2Penalty(1.0)],
                training_signals=False)
    x = real_images(9)
    y = np.array([0, 1, 2, 2, 1, 0, 1, 1, 2], "int32")
    logs = gan.evaluate(x, y, batch_size=9, verbose=0, return_dict=True)
    # The fakes take the labels of the real batch.
    r, f, real_grads, fake_grads = conditional_logits(x, y, y, scale)
    expected = {
        "d_real": r.mean(),
        "d_fake": f.mean(),
        "d_loss": reference.least_squares_d(r, f).mean(),
        "g_loss": reference.relativistic_g(r, f).mean(),
        "r1_penalty": reference.r1_penalty(real_grads, 2.0),
        "r2_penalty": reference.r1_penalty(fake_grads, 1.0),
        "nonfinite_steps": 0.0,
    }
    assert set(logs) == set(expected)
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    # Fakes drawn for other labels (here the batch's labels reversed) keep
    # the means of linear terms, but not the least-squares loss: the
    # test can tell the two apart.
    _, wrong, _, _ = conditional_logits(x, y, y[::-1], scale)
    assert abs(reference.least_squares_d(r, wrong).mean()
               - expected["d_loss"]) > 0.05


# --- one training step -------------------------------------------------------

@pytest.mark.parametrize("d_steps", [1, 3])
def test_fit_step_equals_closed_form_sgd(d_steps):
    # Wasserstein + R1 with SGD, D(x) = s·½‖x‖² + w·x + b (s fixed):
    #   d_loss = mean f − mean r, R1 = γ/2 mean ‖s·x + w‖², so
    #   ∂/∂w = (FAKE − mean x) + γ (s · mean x + w),  ∂/∂b = 0,
    # applied d_steps times; then the generator, on the updated w,
    #   g_loss = −mean f,  ∂/∂(G's bias) = −(s · FAKE + w).
    scale, gamma, lr = 0.5, 2.0, 0.1
    gan = kgl.GAN(generator(), discriminator(scale), d_steps=d_steps, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                d_loss="wasserstein", g_loss="wasserstein",
                penalties=[kgl.penalties.R1Penalty(gamma)])
    x = real_images()
    history = gan.fit(x, batch_size=len(x), epochs=1, verbose=0,
                      shuffle=False).history
    mean_x = x.reshape(len(x), -1).astype("float64").mean(axis=0)
    w = W.copy()
    r1_logs = []
    for _ in range(d_steps):
        r1_logs.append(reference.r1_penalty(
            scale * x.reshape(len(x), -1) + w, gamma))
        w = w - lr * ((FAKE - mean_x) + gamma * (scale * mean_x + w))
    bias = FAKE + lr * (scale * FAKE + w)
    kernel, d_bias = gan.discriminator.get_layer("linear").get_weights()
    np.testing.assert_allclose(kernel.ravel(), w, rtol=1e-5, atol=1e-6)
    assert float(d_bias[0]) == pytest.approx(B, abs=1e-6)
    g_bias = gan.generator.get_layer("fake").get_weights()[1]
    np.testing.assert_allclose(g_bias, bias, rtol=1e-5, atol=1e-6)
    # The logged R1 is the mean over the d_steps updates.
    assert history["r1_penalty"][0] == pytest.approx(np.mean(r1_logs),
                                                     rel=1e-5)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_relativistic_pairing_r1_r2_fit_step_equals_closed_form_sgd():
    # RpGAN + R1 + R2 with one γ (R3GAN's objective) and SGD, with
    # D(x) = s·½‖x‖² + w·x + b and every generated image G = FAKE:
    #   d_loss = mean_i softplus(f − r_i), r_i = D(x_i), f = D(G), so
    #   ∂/∂w = mean_i σ(f − r_i) (G − x_i) and ∂/∂b = 0 (b cancels);
    #   R1 = γ/2 mean_i ‖s·x_i + w‖²: ∂/∂w = γ (s·mean x + w);
    #   R2 = γ/2 ‖s·G + w‖²:          ∂/∂w = γ (s·G + w).
    # Then the generator, on the updated w (r_i and f recomputed):
    #   g_loss = mean_i softplus(r_i − f),
    #   ∂/∂(G's bias) = −mean_i σ(r_i − f) · (s·G + w).
    scale, gamma, lr = 0.5, 2.0, 0.1
    gan = kgl.GAN(generator(), discriminator(scale), seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                d_loss="relativistic_pairing", g_loss="relativistic_pairing",
                penalties=[kgl.penalties.R1Penalty(gamma),
                           kgl.penalties.R2Penalty(gamma)])
    x = real_images()
    history = gan.fit(x, batch_size=len(x), epochs=1, verbose=0,
                      shuffle=False).history
    flat = x.reshape(len(x), -1).astype("float64")
    r, _ = logits(x, scale)
    f = scale * 0.5 * FAKE @ FAKE + FAKE @ W + B
    grad_w = (sigmoid(f - r)[:, None] * (FAKE - flat)).mean(axis=0)
    grad_w += gamma * (scale * flat.mean(axis=0) + W)
    grad_w += gamma * (scale * FAKE + W)
    w = W - lr * grad_w
    r_new = scale * 0.5 * (flat ** 2).sum(axis=1) + flat @ w + B
    f_new = scale * 0.5 * FAKE @ FAKE + FAKE @ w + B
    bias = FAKE + lr * sigmoid(r_new - f_new).mean() * (scale * FAKE + w)
    kernel, d_bias = gan.discriminator.get_layer("linear").get_weights()
    np.testing.assert_allclose(kernel.ravel(), w, rtol=1e-5, atol=1e-6)
    assert float(d_bias[0]) == pytest.approx(B, abs=1e-6)
    g_bias = gan.generator.get_layer("fake").get_weights()[1]
    np.testing.assert_allclose(g_bias, bias, rtol=1e-5, atol=1e-6)
    assert history["d_loss"][0] == pytest.approx(
        np.mean(np.logaddexp(0.0, f - r)), rel=1e-5)
    assert history["g_loss"][0] == pytest.approx(
        np.mean(np.logaddexp(0.0, r_new - f_new)), rel=1e-5)
    assert history["d_acc_real"][0] == pytest.approx(np.mean(r > f))


def test_conditional_fit_step_equals_closed_form_sgd():
    # Least squares (a=0, b=1, c=1) with SGD on the conditional nets:
    #   d_loss = ½ mean (r − 1)² + ½ mean f², r and f linear in (w, b, v)
    #   with ∂r_i/∂w = x_i, ∂f_i/∂w = G_i, ∂/∂b = 1, ∂/∂v = onehot(y_i);
    # then the generator on the updated D, with G_i = TABLE[y_i]:
    #   g_loss = ½ mean (f_i − 1)²,  ∂f_i/∂G_i = s·G_i + w.
    scale, lr = 0.5, 0.1
    g, d = conditional_nets(scale)
    gan = kgl.GAN(g, d, num_classes=CLASSES, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                d_loss="least_squares", g_loss="least_squares")
    x = real_images(9)
    y = np.array([0, 1, 2, 2, 1, 0, 1, 1, 2], "int32")
    gan.fit(x, y, batch_size=9, epochs=1, verbose=0, shuffle=False)

    n = len(x)
    flat = x.reshape(n, -1).astype("float64")
    onehot = np.eye(CLASSES)[y]
    fakes = TABLE[y]
    r, f, _, _ = conditional_logits(x, y, y, scale)
    dr, df = (r - 1) / n, f / n
    w = W - lr * (flat.T @ dr + fakes.T @ df)
    b = B - lr * (dr.sum() + df.sum())
    v = CLASS_BIAS - lr * (onehot.T @ dr + onehot.T @ df)
    f_new = (scale * 0.5 * (fakes ** 2).sum(1) + fakes @ w + b + v[y])
    d_fakes = ((f_new - 1) / n)[:, None] * (scale * fakes + w)
    table = TABLE - lr * onehot.T @ d_fakes
    from_z_bias = -lr * d_fakes.sum(axis=0)

    def weights(net, name):
        return [a.astype("float64") for a in net.get_layer(name).get_weights()]

    kernel, bias = weights(gan.discriminator, "linear")
    np.testing.assert_allclose(kernel.ravel(), w, rtol=1e-5, atol=1e-6)
    assert float(bias[0]) == pytest.approx(b, abs=1e-6)
    np.testing.assert_allclose(weights(gan.discriminator, "by_class")[0]
                               .ravel(), v, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights(gan.generator, "from_label")[0],
                               table, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights(gan.generator, "from_z")[1],
                               from_z_bias, rtol=1e-5, atol=1e-6)
