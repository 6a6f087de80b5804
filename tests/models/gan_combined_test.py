"""Combined losses in `GAN.compile` and feature matching, against NumPy.

The networks are analytic, as in gan_reference_test.py: the generator
ignores its noise (zero kernel, bias FAKE), and the discriminator is
linear, h(x) = flat(x) K + A (the layer "features") and
D(x) = h(x)·V + C (the layer "head"), so every logit, feature and
gradient of one `fit` step is known in NumPy.
"""

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

import keras_gan_losses as kgl
from keras_gan_losses.models.signals import SIGNAL_KEYS

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

LATENT = 3
IMAGE = (2, 3, 1)
SIZE = 6
FAKE = np.array([0.5, -1.0, 0.25, 2.0, -0.5, 1.5])
K = np.array([[0.3, -0.2, 0.1], [0.5, 0.1, -0.4], [0.2, 0.0, 0.3],
              [-0.1, 0.4, 0.2], [0.0, -0.3, 0.1], [0.25, 0.2, -0.2]])
A = np.array([0.1, -0.2, 0.05])
V = np.array([0.7, -0.5, 0.4])
C = 0.2
CLASSES = 3
LABEL_K = np.array([[0.2, -0.1, 0.3], [-0.4, 0.5, 0.0], [0.1, 0.2, -0.3]])
TABLE = np.array([[0.5, -1.0, 0.25, 2.0, -0.5, 1.5],
                  [-1.5, 0.0, 1.0, -0.25, 0.75, 0.5],
                  [0.0, 2.0, -1.0, 0.5, 0.25, -0.75]])
FM = kgl.losses.FeatureMatchingGeneratorLoss


def constant(values):
    return keras.initializers.Constant(np.asarray(values, "float32"))


def generator():
    return keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(SIZE, kernel_initializer="zeros",
                           bias_initializer=constant(FAKE), name="fake"),
        keras.layers.Reshape(IMAGE),
    ])


def discriminator():
    """A Sequential discriminator: D(x) = (flat(x) K + A)·V + C."""
    return keras.Sequential([
        keras.Input(IMAGE),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(3, kernel_initializer=constant(K),
                           bias_initializer=constant(A), name="features"),
        keras.layers.Dense(1, kernel_initializer=constant(V.reshape(3, 1)),
                           bias_initializer=constant([C]), name="head"),
    ])


def real_images(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n,) + IMAGE).astype("float32")


def flat(images):
    return np.asarray(images, np.float64).reshape(len(images), -1)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0.0, x)


# --- one fit step against NumPy ------------------------------------------

D_WEIGHTS = [1.0, 0.3]
G_WEIGHTS = [0.5, 2.0]


def compile_combined(gan, lr=0.1, **kwargs):
    gan.compile(d_optimizer=keras.optimizers.SGD(lr),
                g_optimizer=keras.optimizers.SGD(lr),
                d_loss=["non_saturating", "wasserstein"],
                d_loss_weights=D_WEIGHTS,
                g_loss=["non_saturating", FM("features")],
                g_loss_weights=G_WEIGHTS, **kwargs)


def test_fit_step_equals_numpy():
    # d_loss = w1 · mean[softplus(−r) + softplus(f)] + w2 · (mean f − mean r)
    # with r = (x K + A)·V + C, then SGD on K, A, V, C; the generator, on
    # the updated D, minimises
    # g_loss = u1 · softplus(−f) + u2 · mean_j (mean_i h(x_i) − h(F))_j².
    lr = 0.1
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    compile_combined(gan, lr)
    x = real_images()
    logs = {k: v[0] for k, v in gan.fit(x, batch_size=len(x), epochs=1,
                                        verbose=0, shuffle=False)
            .history.items()}
    n, w1, w2 = len(x), *D_WEIGHTS
    u1, u2 = G_WEIGHTS
    X = flat(x)
    h_r, h_f = X @ K + A, FAKE @ K + A
    r, f = h_r @ V + C, np.full(n, h_f @ V + C)
    d_minimax = w1 * reference.minimax_d(r, f).mean()
    d_wasserstein = w2 * reference.wasserstein_d(r, f).mean()
    g_r = (w1 * (sigmoid(r) - 1.0) - w2) / n   # dL/dr_i
    g_f = (w1 * sigmoid(f) + w2) / n           # dL/df_i
    grad_v = h_r.T @ g_r + h_f * g_f.sum()
    grad_c = g_r.sum() + g_f.sum()
    grad_a = V * grad_c
    grad_k = np.outer(X.T @ g_r + FAKE * g_f.sum(), V)
    k2, a2 = K - lr * grad_k, A - lr * grad_a
    v2, c2 = V - lr * grad_v, C - lr * grad_c
    h_r2, h_f2 = X @ k2 + a2, FAKE @ k2 + a2
    f2 = h_f2 @ v2 + c2
    g_ns = u1 * softplus(-f2)
    g_fm = u2 * reference.feature_matching(h_r2, h_f2[None, :])
    grad_fake = (u1 * -sigmoid(-f2) * (k2 @ v2)
                 + u2 * k2 @ (-2.0 / 3 * (h_r2.mean(axis=0) - h_f2)))
    expected = {
        "d_loss": d_minimax + d_wasserstein,
        "d_loss_minimax": d_minimax,
        "d_loss_wasserstein": d_wasserstein,
        "d_real": r.mean(),
        "d_fake": f.mean(),
        "g_loss": g_ns + g_fm,
        "g_loss_non_saturating": g_ns,
        "g_loss_feature_matching": g_fm,
        "nonfinite_steps": 0.0,
    }
    # The training signals are checked in gan_reference_test.py.
    assert set(logs) - set(SIGNAL_KEYS) == set(expected)
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    d = gan.discriminator
    for name, kernel, bias in (("features", k2, a2),
                               ("head", v2.reshape(3, 1), [c2])):
        got_kernel, got_bias = d.get_layer(name).get_weights()
        np.testing.assert_allclose(got_kernel, kernel, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_bias, bias, rtol=1e-5, atol=1e-6)
    g_bias = gan.generator.get_layer("fake").get_weights()[1]
    np.testing.assert_allclose(g_bias, FAKE - lr * grad_fake, rtol=1e-5,
                               atol=1e-6)


@pytest.mark.backends("tensorflow", "torch")
def test_feature_matching_alone_as_g_loss():
    # g_loss = mean_j (mean_i h(x_i) − h(F))_j²; the generator's bias moves
    # by −lr · K (−2/3) (mean h(x) − h(F)), K unchanged by a D update
    # with lr 0 (the SGD learning rate of D).
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0),
                g_optimizer=keras.optimizers.SGD(0.1),
                g_loss=FM("features"))
    x = real_images()
    history = gan.fit(x, batch_size=len(x), epochs=1, verbose=0).history
    h_r, h_f = flat(x) @ K + A, FAKE @ K + A
    assert set(history) - set(SIGNAL_KEYS) == {
        "d_loss", "g_loss", "d_real", "d_fake", "nonfinite_steps"}
    assert history["g_loss"][0] == pytest.approx(
        reference.feature_matching(h_r, h_f[None, :]), rel=1e-5)
    # The output layer's features (the logits) would give another value.
    r, f = h_r @ V + C, h_f @ V + C
    assert abs(reference.feature_matching(r[:, None], [[f]])
               - history["g_loss"][0]) > 0.01
    grad = K @ (-2.0 / 3 * (h_r.mean(axis=0) - h_f))
    np.testing.assert_allclose(
        gan.generator.get_layer("fake").get_weights()[1],
        FAKE - 0.1 * grad, rtol=1e-5, atol=1e-6)


@pytest.mark.backends("tensorflow", "torch")
def test_single_loss_with_a_weight_logs_only_the_weighted_loss():
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(d_loss="wasserstein", d_loss_weights=[2.5],
                g_loss=["wasserstein"])
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    assert set(logs) - set(SIGNAL_KEYS) == {
        "d_loss", "g_loss", "d_real", "d_fake", "nonfinite_steps"}
    r = flat(x) @ K @ V + A @ V + C
    f = FAKE @ K @ V + A @ V + C
    assert logs["d_loss"] == pytest.approx(2.5 * (f - r.mean()), rel=1e-5)
    assert logs["g_loss"] == pytest.approx(-f, rel=1e-5)


# --- conditional and subclassed discriminators ----------------------------

def conditional_nets():
    """G([z, y]) = TABLE[y]; the features h([x, y]) = relu(flat(x) K +
    onehot(y) LABEL_K + A) and D = h·V + C."""
    def onehot():
        return keras.layers.Lambda(lambda t: keras.ops.one_hot(t, CLASSES),
                                   output_shape=(CLASSES,))

    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    from_z = keras.layers.Dense(SIZE, kernel_initializer="zeros",
                                use_bias=False)(z)
    from_label = keras.layers.Dense(SIZE, use_bias=False,
                                    kernel_initializer=constant(TABLE))(
        onehot()(label))
    g = keras.Model([z, label], keras.layers.Reshape(IMAGE)(
        keras.layers.Add()([from_z, from_label])))
    x = keras.Input(IMAGE)
    label_d = keras.Input((), dtype="int32")
    both = keras.layers.Concatenate()([keras.layers.Flatten()(x),
                                       onehot()(label_d)])
    h = keras.layers.Dense(3, kernel_initializer=constant(
        np.concatenate([K, LABEL_K])), bias_initializer=constant(A))(both)
    h = keras.layers.ReLU(name="features")(h)
    out = keras.layers.Dense(1, kernel_initializer=constant(V.reshape(3, 1)),
                             bias_initializer=constant([C]))(h)
    return g, keras.Model([x, label_d], out)


def conditional_features(images, labels):
    return np.maximum(
        flat(images) @ K + np.eye(CLASSES)[labels] @ LABEL_K + A, 0.0)


@pytest.mark.backends("tensorflow", "torch")
def test_conditional_feature_matching_uses_the_labels():
    g, d = conditional_nets()
    gan = kgl.GAN(g, d, num_classes=CLASSES, seed=0)
    gan.compile(g_loss=["hinge", FM("features")])
    x = real_images(9)
    y = np.array([0, 1, 2, 2, 1, 0, 1, 1, 2], "int32")
    logs = gan.evaluate(x, y, batch_size=9, verbose=0, return_dict=True)
    h_r = conditional_features(x, y)
    h_f = conditional_features(TABLE[y], y)   # the fakes take y too
    f = h_f @ V + C
    assert logs["g_loss_feature_matching"] == pytest.approx(
        reference.feature_matching(h_r, h_f), rel=1e-5)
    assert logs["g_loss_hinge"] == pytest.approx(-f.mean(), rel=1e-5)
    assert logs["g_loss"] == pytest.approx(
        logs["g_loss_feature_matching"] + logs["g_loss_hinge"], rel=1e-6)
    # Fakes of other labels (reversed) than D is given would give another
    # value.
    for other in (conditional_features(TABLE[y[::-1]], y),
                  conditional_features(TABLE[y], y[::-1])):
        assert abs(reference.feature_matching(h_r, other)
                   - logs["g_loss_feature_matching"]) > 1e-3


class Subclassed(keras.Model):
    """D(x) = (flat(x) K + A)·V + C as a subclassed model."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flat = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(3, kernel_initializer=constant(K),
                                         bias_initializer=constant(A))
        self.head = keras.layers.Dense(
            1, kernel_initializer=constant(V.reshape(3, 1)),
            bias_initializer=constant([C]))

    def call(self, x, training=False):
        return self.head(self.hidden(self.flat(x)))


class WithFeatures(Subclassed):
    def features(self, inputs, layer, training=False):
        assert layer == "hidden"
        return self.hidden(self.flat(inputs))


@pytest.mark.backends("tensorflow", "torch")
def test_subclassed_discriminator_needs_a_features_method():
    d = Subclassed()
    d(real_images(2))
    gan = kgl.GAN(generator(), d, seed=0)
    with pytest.raises(TypeError, match=r"subclassed.*features\(self, "
                                        r"inputs, layer"):
        gan.compile(g_loss=FM("hidden"))
    d = WithFeatures()
    d(real_images(2))
    gan = kgl.GAN(generator(), d, seed=0)
    gan.compile(g_loss=FM("hidden"))
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    assert logs["g_loss"] == pytest.approx(reference.feature_matching(
        flat(x) @ K + A, (FAKE @ K + A)[None, :]), rel=1e-5)


# --- errors ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,error,match", [
    ({"d_loss": ["hinge", "wasserstein"], "d_loss_weights": [1.0]},
     ValueError, r"one weight per loss in `d_loss`: 2 loss\(es\), 1 weight"),
    ({"g_loss": "hinge", "g_loss_weights": [1.0, 2.0]}, ValueError,
     "one weight per loss in `g_loss`"),
    ({"d_loss": ["hinge", "wasserstein"], "d_loss_weights": 0.5},
     TypeError, "must be a list of numbers"),
    ({"d_loss": ["hinge", "wasserstein"], "d_loss_weights": [1.0, "a"]},
     TypeError, r"`d_loss_weights\[1\]` must be a number"),
    ({"d_loss": ["hinge", "wasserstein"], "d_loss_weights": [1.0, True]},
     TypeError, r"`d_loss_weights\[1\]` must be a number"),
    ({"g_loss": ["hinge", "wasserstein"],
      "g_loss_weights": [float("nan"), 1.0]},
     ValueError, r"`g_loss_weights\[0\]` must be a finite number"),
    ({"g_loss": ["hinge", "wasserstein"],
      "g_loss_weights": [1.0, float("inf")]},
     ValueError, "finite"),
    ({"d_loss": []}, ValueError, "empty list"),
    ({"d_loss": ["hinge", kgl.losses.HingeGeneratorLoss()]}, TypeError,
     "swap"),
    ({"d_loss": ["hinge", FM("features")]}, TypeError, "swap"),
    ({"d_loss": ["hinge", keras.losses.BinaryCrossentropy()]}, ValueError,
     r"`d_loss\[1\]` is BinaryCrossentropy\(from_logits=False\)"),
    ({"g_loss": ["hinge", keras.losses.MeanSquaredError(reduction=None)]},
     ValueError, r"`g_loss\[1\]` must reduce to a scalar"),
    ({"d_loss": ["wasserstein", kgl.losses.WassersteinDiscriminatorLoss()]},
     ValueError, "'d_loss_wasserstein' is used twice. Pass `name=`"),
    ({"g_loss": ["hinge", FM("features"), FM("flat")]}, ValueError,
     "'g_loss_feature_matching' is used twice"),
    ({"d_loss": ["hinge", "wasserstein"],
      "penalties": [kgl.penalties.R1Penalty(name="d_loss_hinge")]},
     ValueError, "both a loss's and a penalty's"),
    ({"g_loss": FM("conv9")}, ValueError,
     r"no layer 'conv9'. Its layers are: \['flat', 'features', 'head'\]"),
], ids=["d_lengths", "g_lengths_single", "not_a_list", "string_weight",
        "bool_weight", "nan_weight", "inf_weight", "empty", "g_loss_in_d",
        "feature_matching_in_d", "from_logits", "reduction_none",
        "duplicate_key", "duplicate_feature_matching", "penalty_key",
        "unknown_layer"])
def test_bad_input_is_a_clear_error(kwargs, error, match):
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    with pytest.raises(error, match=match):
        gan.compile(**kwargs)


@pytest.mark.backends("tensorflow", "torch")
def test_two_feature_matching_layers_with_names():
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(g_loss=[FM("features", name="fm_hidden"),
                        FM("flat", name="fm_pixels")],
                g_loss_weights=[1.0, 0.5])
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    pixels = reference.feature_matching(flat(x), FAKE[None, :])
    hidden = reference.feature_matching(flat(x) @ K + A,
                                        (FAKE @ K + A)[None, :])
    assert logs["g_loss_fm_pixels"] == pytest.approx(0.5 * pixels, rel=1e-5)
    assert logs["g_loss_fm_hidden"] == pytest.approx(hidden, rel=1e-5)
    assert logs["g_loss"] == pytest.approx(hidden + 0.5 * pixels, rel=1e-5)


# --- the guard ---------------------------------------------------------------

def nan_generator_loss(real_logits, fake_logits):
    return keras.ops.mean(fake_logits, axis=-1) * float("nan")


@pytest.mark.backends("tensorflow", "torch")
def test_a_non_finite_component_skips_the_update_and_is_named():
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    broken = kgl.losses.GANLoss(nan_generator_loss, "generator",
                                name="broken")
    gan.compile(g_loss=["non_saturating", broken], nonfinite_patience=None)
    before = [w.copy() for w in gan.generator.get_weights()]
    with pytest.warns(RuntimeWarning, match="Non-finite g_loss_broken at "
                      "epoch 1, step 1.*generator's learning rate"):
        history = gan.fit(real_images(16), batch_size=8, epochs=1,
                          verbose=0).history
    assert history["nonfinite_steps"] == [2.0]
    for a, b in zip(before, gan.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# --- saving and resuming -----------------------------------------------------

@pytest.mark.backends("tensorflow", "torch")
def test_keras_round_trip_continues_identically(tmp_path):
    gan = kgl.GAN(generator(), discriminator(), seed=1)
    compile_combined(gan)
    x = real_images(16)
    gan.fit(x, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    restored = keras.models.load_model(path, safe_mode=True)
    assert restored.d_loss_weights == D_WEIGHTS
    assert restored.g_loss_weights == G_WEIGHTS
    assert [type(loss) for loss in restored.g_loss] == [
        kgl.losses.NonSaturatingGeneratorLoss, FM]
    assert restored.g_loss[1].layer == "features"
    # The feature model shares the restored discriminator's weights.
    assert len(restored.weights) == len(gan.weights)
    logs = [model.fit(x, batch_size=8, epochs=1, verbose=0,
                      shuffle=False).history
            for model in (gan, restored)]
    assert set(logs[0]) == set(logs[1])
    assert "g_loss_feature_matching" in logs[0]
    for key, value in logs[0].items():
        assert logs[1][key] == pytest.approx(value, rel=1e-6), key
    for a, b in zip(gan.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


@pytest.mark.backends("tensorflow", "torch")
def test_backup_and_restore_resumes_like_an_uninterrupted_run(tmp_path):
    x = real_images(16)

    def run(callbacks):
        gan = kgl.GAN(generator(), discriminator(), seed=2)
        compile_combined(gan)
        gan.fit(x, batch_size=8, epochs=2, verbose=0, shuffle=False,
                callbacks=callbacks)
        return gan.get_weights()

    full = run([])
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(KeyboardInterrupt):
        run([backup, Interrupt()])
    resumed = run([keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    for a, b in zip(full, resumed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    initial = kgl.GAN(generator(), discriminator(), seed=2).get_weights()
    assert any(not np.allclose(a, b)
               for a, b in zip(initial, full, strict=True))


# --- tf.distribute -----------------------------------------------------------

class ConstantGenerator(keras.layers.Layer):
    """A trainable image, ignoring the noise: every replica's fakes are
    the same whatever noise it draws."""

    def build(self, input_shape):
        self.image = self.add_weight(shape=(SIZE,),
                                     initializer=constant(FAKE))

    def call(self, z):
        return keras.ops.zeros_like(z[:, :1]) + self.image[None, :]


def distribute_gan():
    generator = keras.Sequential([keras.Input((LATENT,)),
                                  ConstantGenerator()])
    discriminator = keras.Sequential([
        keras.Input((SIZE,)),
        keras.layers.Dense(3, kernel_initializer=constant(K),
                           bias_initializer=constant(A), name="features"),
        keras.layers.Dense(1, kernel_initializer=constant(V.reshape(3, 1)),
                           bias_initializer=constant([C])),
    ])
    gan = kgl.GAN(generator, discriminator, seed=3)
    compile_combined(gan)
    return gan


@pytest.mark.backends("tensorflow")
def test_one_epoch_equals_single_device(mirrored_strategy):
    # A full batch of 8 splits 4/4, the last batch of 1 leaves one replica
    # empty. (Uneven splits: tests/losses/feature_matching_test.py.)
    x = np.random.default_rng(1).normal(size=(9, SIZE)).astype("float32")
    single = distribute_gan()
    single_logs = single.fit(x, batch_size=8, epochs=1, verbose=0,
                             shuffle=False).history
    with mirrored_strategy.scope():
        multi = distribute_gan()
    multi_logs = multi.fit(tf.data.Dataset.from_tensor_slices(x).batch(8),
                           epochs=1, verbose=0).history
    assert set(single_logs) == set(multi_logs)
    assert "g_loss_feature_matching" in single_logs
    for key in single_logs:
        assert multi_logs[key][0] == pytest.approx(single_logs[key][0],
                                                   rel=1e-5, abs=1e-6), key
    for a, b in zip(single.get_weights(), multi.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class SeenFeatures(FM):
    """Feature matching that keeps the features it computes on (the GAN
    must run eagerly for them to be values)."""

    def __init__(self, layer):
        super().__init__(layer)
        self.seen = []

    def call(self, real_features, fake_features):
        self.seen.append((np.asarray(real_features),
                          np.asarray(fake_features)))
        return super().call(real_features, fake_features)


#: float16's unit roundoff, 2^-11 (half its machine epsilon 9.8e-4).
FLOAT16_UNIT_ROUNDOFF = 2.0 ** -11


def float16_dense_bound(inputs):
    """Bounds |h16 - h| for the features h = flat(x) K + A computed by a
    float16 Dense layer, whatever its kernel: the inputs and K rounded to
    float16, n = 6 products and the bias summed, possibly with float16
    accumulation (CPUs with native float16 arithmetic, e.g. oneDNN on
    avx512_fp16 / AMX), and the result rounded. The standard first-order
    bound of a float sum of n + 1 terms after two input roundings,
    gamma_(n+3) * sum |terms| (Higham, Accuracy and Stability of Numerical
    Algorithms, 3.1), plus the final rounding."""
    x = flat(inputs)
    magnitude = np.abs(x) @ np.abs(K) + np.abs(A)
    exact = x @ K + A
    n = K.shape[0]
    return ((n + 3) * magnitude + np.abs(exact)) * FLOAT16_UNIT_ROUNDOFF


@pytest.mark.backends("tensorflow", "torch")
def test_mixed_float16_features_are_compared_in_float32():
    # What must hold: the features are the float16 outputs of the layer
    # (of real images for the target, of generated ones for the other
    # side), and the loss compares them in float32. The reference is
    # computed from the very features the loss saw, so its tolerance is
    # float32's (a float16 computation would be off by ~1e-3 relative);
    # the features themselves are checked against the exact NumPy
    # features within float16's error bound, which holds on every CPU.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = kgl.GAN(generator(), discriminator(), seed=0)
        fm = SeenFeatures("features")
        gan.compile(g_loss=["non_saturating", fm], run_eagerly=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert gan.discriminator.get_layer("features").compute_dtype == "float16"
    x = real_images()
    logs = gan.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    (h_r, h_f), = fm.seen
    assert h_r.dtype == h_f.dtype == np.float32
    for h in (h_r, h_f):
        # float16 values, widened: nothing was computed on them in float16
        # and then rounded differently.
        np.testing.assert_array_equal(h, h.astype(np.float16))
    fakes = np.broadcast_to(FAKE.reshape((1,) + IMAGE), (len(x),) + IMAGE)
    for h, images in ((h_r, x), (h_f, fakes)):
        exact = flat(images) @ K + A
        assert np.all(np.abs(h - exact) <= float16_dense_bound(images))
    assert logs["g_loss_feature_matching"] == pytest.approx(
        reference.feature_matching(h_r, h_f), rel=1e-6)
