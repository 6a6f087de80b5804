"""Partial mode dropping: `ModeCoverage`'s counts against NumPy and SciPy,
and `TrainingMonitor(classifier=...)` on generators that never draw some
classes (found) or draw them all (no false alarm)."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import keras_gan_losses as kgl
from keras_gan_losses.callbacks import ModeCoverage

LATENT = 16
DIGITS, LABELS = kgl.data.load_mnist_10k()


def digit_bank(classes, per_class=20):
    """Real digits of the given classes, in [-1, 1], 28×28×1."""
    picks = np.concatenate([np.flatnonzero(c == LABELS)[:per_class]
                            for c in classes])
    return (DIGITS[picks, :, :, None] / 127.5 - 1.0).astype("float32")


class BankGenerator(keras.layers.Layer):
    """Draws one of a bank of images: the one whose fixed random
    direction is closest to the latent vector, among those `mask` (a
    variable of 0s and 1s) lets in. A zero trainable weight gives the
    GAN something to update."""

    def __init__(self, bank, mask, **kwargs):
        super().__init__(**kwargs)
        self.bank = tf.constant(bank)
        self.mask = mask
        self.directions = tf.constant(np.random.default_rng(0).normal(
            size=(LATENT, len(bank))).astype("float32"))

    def build(self, input_shape):
        self.zero = self.add_weight(shape=(), initializer="zeros")

    def call(self, z):
        scores = tf.matmul(z, self.directions) + tf.math.log(self.mask)
        return tf.gather(self.bank, tf.argmax(scores, axis=1)) + self.zero


def bank_gan(classes, mask=None):
    bank = digit_bank(classes)
    mask = mask if mask is not None else tf.Variable(
        np.ones(len(bank), "float32"), trainable=False)
    generator = keras.Sequential([keras.Input((LATENT,)),
                                  BankGenerator(bank, mask)])
    discriminator = keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Flatten(),
        keras.layers.Dense(1)])
    gan = kgl.GAN(generator, discriminator, seed=0, data_range=None)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0),
                g_optimizer=keras.optimizers.SGD(0.0), jit_compile=False)
    return gan, bank, mask


def fit_with_monitor(gan, epochs=2, callbacks=(), **monitor_kwargs):
    monitor = kgl.callbacks.TrainingMonitor(warmup=0, classifier="mnist",
                                            **monitor_kwargs)
    real = digit_bank(range(10), per_class=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan.fit(real, batch_size=16, epochs=epochs, verbose=0,
                callbacks=[monitor, *callbacks])
    monitor.caught = [w for w in caught if issubclass(
        w.category, kgl.callbacks.TrainingHealthWarning)]
    return monitor


def test_a_generator_that_never_draws_three_classes_is_found():
    gan, _, _ = bank_gan(range(7))
    monitor = fit_with_monitor(gan, reference=LABELS)
    assert [f.name for f in monitor.findings] == ["mode_dropping"]
    finding = monitor.findings[0]
    # Two epochs, fewer than the patience of 3: found at the end.
    assert finding.epoch == 2 and not finding.recovered
    assert finding.evidence["dropped"] == 3
    assert finding.evidence["covered"] == 7
    assert "(modes 7, 8, 9;" in finding.message
    assert len(monitor.caught) == 1
    assert [h["epoch"] for h in monitor.coverage_history] == [1, 2]
    assert sorted(monitor.coverage_history[-1]["dropped"]) == [7, 8, 9]
    assert monitor.summary().endswith(
        "Modes at the end: 7 of 10 drawn, 3 dropped (drawn less than a "
        "quarter as often as in the data, or never).")
    assert monitor.report()["coverage"][0]["num_modes"] == 10


def test_a_generator_that_draws_every_class_raises_nothing():
    gan, _, _ = bank_gan(range(10))
    monitor = fit_with_monitor(gan, reference=digit_bank(range(10), 40))
    assert monitor.findings == [] and monitor.caught == []
    last = monitor.coverage_history[-1]
    assert last["covered"] == 10 and last["dropped"] == []
    assert monitor.summary().startswith("Health: no problem found")


@pytest.mark.parametrize("patience,open_after", [(1, 1), (3, 1), (3, 3)])
def test_modes_dropped_then_drawn_again(patience, open_after):
    # The first `open_after` epochs draw only classes 0-4; a callback
    # after the monitor then lets the rest in for one last epoch. A
    # dropping that lasts `patience` measurements is a finding training
    # recovered from; a shorter one is the under-drawing of a generator
    # that is still learning: no finding.
    gan, bank, mask = bank_gan(range(10))
    first_half = np.arange(len(bank)) < len(bank) // 2
    mask.assign(first_half.astype("float32"))

    class Open(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == open_after:
                mask.assign(np.ones(len(bank), "float32"))

    monitor = fit_with_monitor(gan, epochs=open_after + 1,
                               callbacks=[Open()], window=4,
                               coverage_patience=patience)
    assert [len(h["dropped"]) for h in monitor.coverage_history] == \
        [5] * open_after + [0]
    assert monitor.report()["healthy"]
    if open_after < patience:
        assert monitor.findings == [] and monitor.caught == []
        return
    (finding,) = monitor.findings
    assert finding.name == "mode_dropping" and finding.epoch == open_after
    assert finding.recovered


def test_without_a_classifier_the_summary_says_what_it_cannot_see():
    gan, _, _ = bank_gan(range(7))
    monitor = kgl.callbacks.TrainingMonitor(warmup=0)
    gan.fit(digit_bank(range(10), 8), batch_size=16, epochs=1, verbose=0,
            callbacks=[monitor])
    assert monitor.findings == []
    assert "Without a classifier it sees total collapse only" in \
        monitor.summary()
    assert monitor.report()["coverage"] == []


# --- the counts ------------------------------------------------------------

def test_stacked_channels_read_as_one_three_digit_mode():
    rng = np.random.default_rng(0)
    picks = rng.integers(len(DIGITS), size=(300, 3))
    images = np.stack([DIGITS[picks[:, c]] for c in range(3)], -1)
    truth = LABELS[picks] @ np.array([100, 10, 1])
    modes = ModeCoverage("mnist").modes(images / 127.5 - 1.0)
    # The shipped classifier is 99.4 % accurate per digit.
    assert np.mean(modes == truth) > 0.95


def test_counts_against_numpy_and_scipy():
    shares = np.array([0.4, 0.3, 0.2, 0.1, 0.0])
    counts = np.array([700, 280, 19, 1, 0])
    modes = np.repeat(np.arange(5), counts)
    coverage = ModeCoverage("mnist", reference=np.repeat(
        np.arange(5), (shares * 1000).astype(int)))
    result = coverage.measure_modes(modes, num_modes=5)
    assert result.samples == 1000 and result.num_modes == 4
    assert result.covered == 4
    p, q = counts[:4] / 1000, shares[:4]
    assert result.kl == pytest.approx(np.sum(p * np.log(p / q)), rel=1e-9)
    # Expected 200 and 100: 19 < 50 and 1 < 25 are dropped, rarest first.
    assert result.dropped == [3, 2]
    chance = sum(stats.poisson.cdf(np.ceil(0.25 * lam) - 1, lam)
                 for lam in (400, 300, 200, 100))
    assert result.expected_dropped == pytest.approx(chance, abs=1e-12)
    assert result.dropping


def test_sampling_noise_alone_is_not_dropping():
    # 1,000 equally likely modes, 10,000 samples: some modes are drawn
    # fewer than 2.5 times by chance (about 2.8 expected), not enough.
    coverage = ModeCoverage("mnist", reference=None)
    for seed in range(5):
        modes = np.random.default_rng(seed).integers(1000, size=10_000)
        result = coverage.measure_modes(modes, num_modes=1000)
        assert result.expected_dropped == pytest.approx(
            1000 * stats.poisson.cdf(2, 10.0), rel=1e-9)
        assert not result.dropping, result.dropped
    # 100 modes never drawn is.
    modes = np.random.default_rng(0).integers(100, 1000, size=10_000)
    result = coverage.measure_modes(modes, num_modes=1000)
    assert result.dropping and set(range(100)) <= set(result.dropped)
