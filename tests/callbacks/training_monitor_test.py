"""TrainingMonitor: each classic GAN failure, reproduced on purpose on tiny
networks, gives its finding and no other; healthy runs give none. The
signals it reads are checked against NumPy references."""

import json
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import keras_gan_losses as kgl
from keras_gan_losses.callbacks.training_monitor import FINDINGS
from keras_gan_losses.models import signals

LATENT = 16
SIZE = 8


def digits(n=1024):
    """The shipped MNIST digits, shrunk to 8×8, in [-1, 1]."""
    images = kgl.data.load_mnist_10k()[0][:n, :, :, None]
    small = tf.image.resize(images.astype("float32"), (SIZE, SIZE)).numpy()
    return np.clip(small / 127.5 - 1.0, -1.0, 1.0)


def generator(ignore_input=False, gate=None):
    z = keras.Input((LATENT,))
    h = layers.Lambda(lambda t: t * 0.0)(z) if ignore_input else z
    if gate is not None:
        h = layers.Lambda(lambda t: t * gate)(h)
    h = layers.Dense(64, activation="relu")(h)
    h = layers.Dense(64, activation="relu")(h)
    h = layers.Dense(SIZE * SIZE, activation="tanh")(h)
    return keras.Model(z, layers.Reshape((SIZE, SIZE, 1))(h))


def discriminator(width=64, dead=False):
    x = keras.Input((SIZE, SIZE, 1))
    h = layers.Flatten()(x)
    for _ in range(2):
        h = layers.LeakyReLU(0.2)(layers.Dense(width)(h))
    if dead:
        # A ReLU output stuck below 0: the logit is 0 whatever the input.
        out = layers.Dense(1, activation="relu",
                           bias_initializer=keras.initializers.Constant(-1e2))(h)
    else:
        out = layers.Dense(1)(h)
    return keras.Model(x, out)


def train(steps=200, loss="non_saturating", d_lr=2e-4, g_lr=2e-4,
          d_width=64, d_steps=1, ignore_input=False, dead=False,
          nan_from=None, penalties=None, callbacks=(), gate=None,
          steps_per_execution=1, **monitor_kwargs):
    """Trains a tiny GAN with a monitor; returns the monitor."""
    keras.utils.set_random_seed(0)
    data = tf.data.Dataset.from_tensor_slices(digits()).shuffle(
        1024, seed=0).repeat().batch(32, drop_remainder=True)
    if nan_from is not None:
        data = data.enumerate().map(
            lambda i, b: tf.where(i >= nan_from, b * np.nan, b))
    gan = kgl.GAN(generator(ignore_input, gate), discriminator(d_width, dead),
                  seed=0, d_steps=d_steps)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_lr, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(g_lr, beta_1=0.5),
                d_loss=loss, g_loss=loss, penalties=penalties,
                jit_compile=False, nonfinite_patience=None,
                steps_per_execution=steps_per_execution)
    monitor = kgl.callbacks.TrainingMonitor(**monitor_kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan.fit(data, steps_per_epoch=steps // 2, epochs=2, verbose=0,
                callbacks=[monitor, *callbacks])
    monitor.caught = [w for w in caught
                      if issubclass(w.category,
                                    kgl.callbacks.TrainingHealthWarning)]
    monitor.gan = gan
    return monitor


def names(monitor):
    return [finding.name for finding in monitor.findings]


# --- each failure, on purpose ----------------------------------------------

def test_saturating_minimax_with_a_strong_discriminator_overpowers():
    # A 4x wider discriminator, 100x the generator's learning rate, two
    # updates per step: it wins, and the minimax generator loss saturates.
    monitor = train(loss="minimax", d_lr=2e-3, g_lr=2e-5, d_width=256,
                    d_steps=2)
    assert names(monitor) == ["discriminator_overpowers"]
    finding = monitor.findings[0]
    assert finding.evidence["d_acc_real"] >= 0.95
    assert finding.evidence["d_acc_fake"] >= 0.95
    assert finding.evidence["g_grad_norm"] < (
        0.1 * finding.evidence["peak_g_grad_norm"])
    assert "non_saturating" in finding.text()
    # Once, as a warning that says what to do.
    assert len(monitor.caught) == 1
    assert "overpowering" in str(monitor.caught[0].message)


def test_the_same_setup_with_the_non_saturating_loss_is_not_flagged():
    # The remedy the finding suggests: the generator's gradient survives.
    monitor = train(loss="non_saturating", d_lr=2e-3, g_lr=2e-5,
                    d_width=256, d_steps=2)
    assert "discriminator_overpowers" not in names(monitor)


def test_a_far_too_high_learning_rate_diverges():
    monitor = train(d_lr=1.0, g_lr=1.0)
    assert names(monitor) == ["diverging"]
    assert monitor.findings[0].step < 20
    assert "learning rate" in monitor.findings[0].text()


@pytest.mark.parametrize("steps_per_execution", [
    # (On JAX the monitor's runs take minutes, not yet understood.)
    pytest.param(1, marks=pytest.mark.backends("tensorflow", "torch")),
    # (Keras runs PyTorch steps one by one.)
    pytest.param(8, marks=pytest.mark.backends("tensorflow")),
])
def test_a_generator_that_ignores_its_input_collapses(steps_per_execution):
    # With 8 steps per execution the monitor sees the logs of every 8th
    # step, and its windows still span steps: it finds the collapse at
    # its first look after the warm-up (100 steps; its stride, 5, is a
    # multiple of 8 only every 40 steps).
    monitor = train(steps=192, ignore_input=True,
                    steps_per_execution=steps_per_execution)
    assert monitor.steps == 192
    assert names(monitor) == ["mode_collapse"]
    assert monitor.findings[0].step == {1: 100, 8: 104}[steps_per_execution]
    assert monitor.findings[0].evidence["diversity"] < 1e-3
    # Not before the warm-up.
    assert monitor.findings[0].step >= monitor.warmup


def test_a_collapse_that_lasts_is_the_run_s_state():
    monitor = train(ignore_input=True)
    assert not monitor.findings[0].recovered
    assert not monitor.report()["healthy"]
    assert monitor.summary().startswith("Health: 1 problem(s) found: "
                                        "mode_collapse")


def test_a_collapse_training_grows_out_of_is_reported_as_recovered():
    # The generator ignores its input until step 120, then uses it: the
    # collapse is found after the warm-up and has passed by the last
    # window (steps 151-200).
    gate = tf.Variable(0.0, trainable=False)

    class OpenAt120(keras.callbacks.Callback):
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == 120:
                gate.assign(1.0)

    monitor = train(gate=gate, callbacks=[OpenAt120()])
    (finding,) = monitor.findings
    assert finding.name == "mode_collapse" and finding.step < 120
    assert finding.recovered and monitor.report()["healthy"]
    assert monitor.summary() == (
        "Health: no problem at the end of 200 training steps (recovered "
        f"from: mode_collapse at epoch 1, step {finding.step}). Without a "
        "classifier it sees total collapse only, not modes dropped one by "
        "one.")
    assert monitor.median("diversity") > monitor.collapse


def test_nan_data_is_reported_and_kept_from_the_weights():
    monitor = train(nan_from=150)
    assert names(monitor) == ["nonfinite"]
    finding = monitor.findings[0]
    assert finding.step == 151
    assert "training data" in finding.message
    for weight in monitor.gan.get_weights():
        assert np.isfinite(weight).all()


def test_a_dead_discriminator_stalls():
    monitor = train(dead=True)
    assert names(monitor) == ["stalled"]


def test_class_coverage_from_an_evaluation_reports_collapse():
    class Coverage(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["class_coverage"] = 0.12

    # Callbacks run in order: the evaluation comes before the monitor.
    keras.utils.set_random_seed(0)
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(jit_compile=False)
    monitor = kgl.callbacks.TrainingMonitor(warmup=0)
    with pytest.warns(kgl.callbacks.TrainingHealthWarning, match="0.12"):
        gan.fit(digits(64), batch_size=32, epochs=1, verbose=0,
                callbacks=[Coverage(), monitor])
    assert names(monitor) == ["mode_collapse"]


# --- no false alarm ----------------------------------------------------------

@pytest.mark.parametrize("loss,kwargs", [
    ("non_saturating", {}),
    ("minimax", {}),
    ("least_squares", {}),
    ("hinge", {}),
    ("relativistic_average", {}),
    ("wasserstein", {"penalties": [kgl.penalties.GradientPenalty(10.0)],
                     "d_steps": 3, "d_lr": 1e-4, "g_lr": 1e-4}),
])
def test_healthy_runs_raise_nothing(loss, kwargs):
    # The cheap subset: tiny networks. benchmarks/monitor_false_alarms.py
    # runs every preset's DCGAN set-up over 400 steps.
    monitor = train(steps=250, loss=loss, **kwargs)
    assert monitor.findings == []
    assert monitor.caught == []
    assert monitor.steps == 250
    assert monitor.summary() == (
        "Health: no problem found over 250 training steps. Without a "
        "classifier it sees total collapse only, not modes dropped one by "
        "one.")


# --- actions and files -------------------------------------------------------

class _RaiseLearningRate(keras.callbacks.Callback):
    """Turns a healthy run into a diverging one at step `at`, and keeps
    the weights it had at every step."""

    def __init__(self, at):
        super().__init__()
        self.at = at
        self.step = 0
        self.weights = {}

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self.weights[self.step] = self.model.generator.get_weights()
        if self.step == self.at:
            self.model.d_optimizer.learning_rate.assign(1.0)
            self.model.g_optimizer.learning_rate.assign(1.0)


def test_restore_on_divergence_puts_back_earlier_weights():
    spoiler = _RaiseLearningRate(at=220)
    # The monitor comes first: the learning rate changes after it looked.
    monitor = train(steps=400, restore_on=("diverging",),
                    callbacks=(spoiler,))
    assert names(monitor) == ["diverging"]
    finding = monitor.findings[0]
    assert finding.step > 220
    restored_step = int(finding.action.split("step ")[1].split()[0])
    assert restored_step <= 220 - monitor.window
    for now, then in zip(monitor.gan.generator.get_weights(),
                         spoiler.weights[restored_step]):
        np.testing.assert_array_equal(now, then)
    # ...and training stopped there.
    assert spoiler.step == finding.step


def test_stop_on_stops_training():
    monitor = train(ignore_input=True, stop_on="all")
    assert names(monitor) == ["mode_collapse"]
    assert monitor.findings[0].action == "stopped training"
    assert monitor.steps == monitor.findings[0].step


def test_health_json_is_written_by_the_chief_only(tmp_path, monkeypatch):
    path = tmp_path / "run" / "health.json"
    monitor = train(steps=200, ignore_input=True, path=path)
    report = json.loads(path.read_text())
    assert report["healthy"] is False
    assert [f["name"] for f in report["findings"]] == ["mode_collapse"]
    assert report["findings"][0]["remedies"]
    assert report["steps"] == 200
    assert report["summary"] == monitor.summary()
    assert report["summary"].startswith("Health: 1 problem(s) found: "
                                        "mode_collapse (epoch ")
    other = tmp_path / "worker1.json"
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"worker": ["a:1", "b:1"]},
        "task": {"type": "worker", "index": 1},
    }))
    monitor = kgl.callbacks.TrainingMonitor(path=other)
    monitor.write()
    assert not other.exists()


@pytest.mark.parametrize("kwargs,match", [
    ({"stop_on": ("collapse",)}, "stop_on"),
    ({"restore_on": ("nonfinite",)}, "restore_on"),
    ({"accuracy": 1.5}, "accuracy"),
    ({"growth": 0.5}, "growth"),
    ({"window": 0}, "window"),
    ({"warmup": -1}, "warmup"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kgl.callbacks.TrainingMonitor(**kwargs)


def test_findings_names_are_the_documented_ones():
    assert FINDINGS == ("nonfinite", "diverging", "discriminator_overpowers",
                        "mode_collapse", "mode_dropping", "stalled")


# --- the signals against NumPy ---------------------------------------------

def test_diversity_is_the_ratio_of_rms_pairwise_distances():
    rng = np.random.default_rng(0)
    fake = rng.normal(size=(7, 3, 2, 1)).astype("float32")
    real = rng.normal(scale=2.0, size=(9, 3, 2, 1)).astype("float32")

    def rms_pairwise(x):
        x = x.reshape(len(x), -1).astype(np.float64)
        d = [np.sum((x[i] - x[j]) ** 2) for i in range(len(x))
             for j in range(len(x)) if i != j]
        return np.sqrt(np.mean(d))

    expected = rms_pairwise(fake) / rms_pairwise(real)
    assert float(signals.diversity(fake, real)) == pytest.approx(
        expected, rel=1e-5)
    same = np.repeat(fake[:1], 5, axis=0)
    assert float(signals.diversity(same, real)) == pytest.approx(0.0,
                                                                abs=1e-6)
    # Real images that do not vary: 0, not a ratio of rounding errors.
    assert float(signals.diversity(fake, np.repeat(real[:1], 4, 0))) == 0.0


@pytest.mark.backends("tensorflow")
def test_diversity_is_exact_under_a_strategy(mirrored_strategy):
    rng = np.random.default_rng(1)
    fake = rng.normal(size=(8, 5)).astype("float32")
    real = rng.normal(size=(8, 5)).astype("float32")
    single = float(signals.diversity(fake, real))
    # An uneven split: 5 images on one replica, 3 on the other.
    parts = {0: slice(0, 5), 1: slice(5, 8)}

    def per_replica(context):
        return (fake[parts[context.replica_id_in_sync_group]],
                real[parts[context.replica_id_in_sync_group]])

    values = mirrored_strategy.experimental_distribute_values_from_function(
        per_replica)

    @tf.function
    def run(values):
        return mirrored_strategy.run(
            lambda v: signals.diversity(v[0], v[1]), args=(values,))

    for value in mirrored_strategy.experimental_local_results(run(values)):
        assert float(value) == pytest.approx(single, rel=1e-5)


@pytest.mark.parametrize("loss,rule", [
    ("non_saturating", (0.0, 1)),
    ("minimax", (0.0, 1)),
    ("hinge", (0.0, 1)),
    ("wasserstein", None),
    ("relativistic_average", (signals.RELATIVISTIC, 1)),
    ("relativistic_pairing", (signals.PAIRED, 1)),
    (kgl.losses.LeastSquaresDiscriminatorLoss(a=-1.0, b=1.0), (0.0, 1)),
    (kgl.losses.LeastSquaresDiscriminatorLoss(a=1.0, b=0.0), (0.5, -1)),
    ("least_squares", (0.5, 1)),
    (keras.losses.BinaryCrossentropy(from_logits=True), (0.0, 1)),
    (keras.losses.MeanSquaredError(), (0.5, 1)),
    (keras.losses.Hinge(), (0.0, 1)),
])
def test_decision_rules(loss, rule):
    from keras_gan_losses.losses.base import DISCRIMINATOR

    loss = kgl.losses.get(loss, role=DISCRIMINATOR)
    assert signals.decision_rule(loss) == rule


def test_correct_decisions_against_numpy():
    real = np.array([2.0, -1.0, 0.2, 0.7], "float32")
    fake = np.array([-3.0, 0.1, 0.6, 0.4], "float32")
    r, f = signals.correct_decisions((0.0, 1), real, fake)
    np.testing.assert_array_equal(r, real > 0)
    np.testing.assert_array_equal(f, fake < 0)
    r, f = signals.correct_decisions((0.5, -1), real, fake)
    np.testing.assert_array_equal(r, real < 0.5)
    np.testing.assert_array_equal(f, fake > 0.5)
    r, f = signals.correct_decisions((signals.RELATIVISTIC, 1), real, fake)
    np.testing.assert_array_equal(r, real > fake.mean())
    np.testing.assert_array_equal(f, fake < real.mean())
    # Paired: pair i is ordered correctly when real_i > fake_i.
    r, f = signals.correct_decisions((signals.PAIRED, 1), real, fake)
    np.testing.assert_array_equal(r, real > fake)
    np.testing.assert_array_equal(f, real > fake)


def test_logged_accuracy_uses_the_loss_threshold():
    # D(x) = mean pixel; real images 0.9 everywhere, generated 0.3: at
    # logit 0 (non-saturating) the generated ones pass as real, at the
    # least-squares midpoint 0.5 they do not.
    size = 4
    g = keras.Sequential([
        keras.Input((LATENT,)),
        layers.Dense(size, kernel_initializer="zeros",
                     bias_initializer=keras.initializers.Constant(0.3)),
    ])
    d = keras.Sequential([
        keras.Input((size,)),
        layers.Dense(1, kernel_initializer=keras.initializers.Constant(
            1 / size), bias_initializer="zeros"),
    ])
    real = np.random.default_rng(0).uniform(0.85, 0.95, (16, size)).astype(
        "float32")
    for loss, acc_fake in (("non_saturating", 0.0), ("least_squares", 1.0)):
        gan = kgl.GAN(g, d, seed=0, data_range=None)
        gan.compile(d_loss=loss, g_loss=loss, jit_compile=False)
        logs = gan.evaluate(real, batch_size=8, return_dict=True,
                            verbose=0)
        assert logs["d_acc_real"] == 1.0
        assert logs["d_acc_fake"] == acc_fake
        assert logs["diversity"] == pytest.approx(0.0, abs=1e-4)
        assert "d_grad_norm" not in logs


def test_logged_gradient_norms_match_closed_forms():
    # D(x) = w·x + c, a generator whose only effective weight is a bias b
    # (its input is zeroed): with the non-saturating loss and learning
    # rate 0, dL_D/dw = mean(-σ(-w·x) x) + σ(w·b + c) b, and
    # dL_G/db = -σ(-(w·b + c)) w.
    size = 3
    w = np.array([0.5, -0.2, 0.3])
    c, b = 0.1, np.array([0.2, 0.4, -0.6])
    z = keras.Input((LATENT,))
    zero = layers.Lambda(lambda t: t * 0.0)(z)
    g = keras.Model(z, layers.Dense(
        size, bias_initializer=keras.initializers.Constant(b))(zero))
    d = keras.Sequential([keras.Input((size,)), layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(w.reshape(3, 1)),
        bias_initializer=keras.initializers.Constant(c))])
    x = np.random.default_rng(0).uniform(-1, 1, (8, size)).astype("float32")
    gan = kgl.GAN(g, d, seed=0, data_range=None)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0),
                g_optimizer=keras.optimizers.SGD(0.0), jit_compile=False)
    logs = gan.fit(x, batch_size=8, epochs=1, verbose=0).history

    def sigmoid(t):
        return 1 / (1 + np.exp(-t))

    r, f = x @ w + c, b @ w + c
    dw = np.mean(-sigmoid(-r)[:, None] * x, axis=0) + sigmoid(f) * b
    dc = np.mean(-sigmoid(-r)) + sigmoid(f)
    d_norm = np.sqrt(np.sum(dw ** 2) + dc ** 2)
    g_norm = sigmoid(-f) * np.linalg.norm(w)
    assert logs["d_grad_norm"][0] == pytest.approx(d_norm, rel=1e-5)
    assert logs["g_grad_norm"][0] == pytest.approx(g_norm, rel=1e-5)


@pytest.mark.backends("tensorflow")
@pytest.mark.parametrize("replicas", [1, 2])
def test_gradient_norm_of_sparse_gradients_sums_repeated_rows(
        replicas, mirrored_strategy):
    # An embedding's gradient is an IndexedSlices with a row per use:
    # rows [0, 0, 1, 0] of a (2, 1) table each get gradient 1 (times the
    # replica's id + 1), so the dense gradient is [3, 1] per replica and
    # [3, 1] * (1 + 2) summed over two replicas.
    table = tf.Variable(tf.ones((2, 1)))
    strategy = (tf.distribute.get_strategy() if replicas == 1
                else mirrored_strategy)

    def norm():
        scale = tf.cast(
            tf.distribute.get_replica_context().replica_id_in_sync_group + 1,
            tf.float32)
        with tf.GradientTape() as tape:
            y = scale * tf.reduce_sum(tf.gather(table, [0, 0, 1, 0]))
        grads = tape.gradient(y, [table])
        assert isinstance(grads[0], tf.IndexedSlices)
        return signals.gradient_norm(grads)

    with strategy.scope():
        value = strategy.run(tf.function(norm))
    value = strategy.experimental_local_results(value)[0]
    factor = {1: 1.0, 2: 3.0}[replicas]
    assert float(value) == pytest.approx(factor * np.sqrt(10.0), rel=1e-6)


def test_signals_can_be_switched_off():
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(training_signals=False, jit_compile=False)
    logs = gan.fit(digits(64), batch_size=32, epochs=1, verbose=0).history
    assert not set(signals.SIGNAL_KEYS) & set(logs)
    assert gan.get_compile_config()["training_signals"] is False


def test_combined_and_mmd_discriminator_losses_log_the_logit_gap():
    # A weighted list of losses has no single threshold; MMD critics
    # output features, not decisions.
    combined = [kgl.losses.MinimaxDiscriminatorLoss(),
                kgl.losses.WassersteinDiscriminatorLoss()]
    assert signals.decision_rule(combined) is None
    assert signals.signal_keys(combined)[0] == "d_gap"
    assert signals.decision_rule(kgl.losses.MMDDiscriminatorLoss()) is None
