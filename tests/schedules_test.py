"""Schedules of the step: R3GAN's cosine and EMA half-life, Adam with a
scheduled β₂, scheduled penalty weights and EMA decays in a GAN, and
exact resumption of all of them from a `.keras` file and a backup."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import discriminator
from nets import generator
from nets import images

import keras_gan_losses as kgl
from keras_gan_losses import schedules


def r3gan_cosine(cur_nimg, base_value, total_nimg, final_value):
    """R3GAN's `cosine_decay_with_warmup` without warm-up or hold, in
    images (training/training_loop.py)."""
    decay = 0.5 * (1 + np.cos(np.pi * cur_nimg / float(total_nimg)))
    value = base_value + (1 - decay) * (final_value - base_value)
    return float(np.where(cur_nimg > total_nimg, final_value, value))


@pytest.mark.parametrize("start,end", [(2e-4, 5e-5), (0.9, 0.99),
                                       (0.0, 5e6), (0.05, 0.005)])
def test_cosine_schedule_is_r3gans_in_steps(start, end):
    batch, total_steps = 64, 100
    schedule = schedules.CosineSchedule(start, end, total_steps)
    for step in (0, 1, 13, 50, 99, 100, 101, 1000):
        expected = r3gan_cosine(step * batch, start, total_steps * batch,
                                end)
        assert float(schedule(step)) == pytest.approx(
            expected, rel=1e-6, abs=1e-7 * max(abs(start), abs(end)))


def test_cosine_schedule_equals_keras_cosine_decay_when_it_can():
    # Keras's CosineDecay scales its initial value (alpha = final /
    # initial), so it cannot start from 0; from anything else they agree.
    ours = schedules.CosineSchedule(2e-4, 5e-5, 300)
    keras_decay = keras.optimizers.schedules.CosineDecay(
        2e-4, 300, alpha=5e-5 / 2e-4)
    for step in (0, 7, 150, 299, 300, 450):
        assert float(ours(step)) == pytest.approx(float(keras_decay(step)),
                                                  rel=1e-5)


def test_half_life_decay_is_r3gans_ema_beta():
    # ema_beta = 0.5 ** (batch_size / max(ema_nimg, 1e-8)).
    constant = schedules.HalfLifeDecay(500.0, batch_size=32)
    assert float(constant(7)) == pytest.approx(0.5 ** (32 / 500), rel=1e-6)
    assert float(schedules.HalfLifeDecay(0.0, batch_size=32)(0)) == 0.0
    rising = schedules.HalfLifeDecay(
        schedules.CosineSchedule(0.0, 1000.0, 10), batch_size=16)
    for step in (0, 3, 10, 20):
        nimg = r3gan_cosine(step * 16, 0.0, 160, 1000.0)
        assert float(rising(step)) == pytest.approx(
            0.5 ** (16 / max(nimg, 1e-8)), rel=1e-5, abs=1e-12)


@pytest.mark.parametrize("schedule", [
    schedules.CosineSchedule(1.0, 0.1, 20, name="gamma"),
    schedules.HalfLifeDecay(schedules.CosineSchedule(0.0, 640.0, 5), 64),
    schedules.HalfLifeDecay(320.0, 32),
], ids=["cosine", "half_life_scheduled", "half_life_constant"])
def test_schedules_round_trip(schedule):
    config = keras.saving.serialize_keras_object(schedule)
    assert config["registered_name"].startswith("keras_gan_losses>")
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    for step in (0, 2, 7, 30):
        assert float(restored(step)) == float(schedule(step))


@pytest.mark.parametrize("make,match", [
    (lambda: schedules.CosineSchedule(1.0, 0.1, 0), "decay_steps"),
    (lambda: schedules.CosineSchedule(1.0, float("nan"), 10), "final_value"),
    (lambda: schedules.HalfLifeDecay(-1.0, 64), "half_life"),
    (lambda: schedules.HalfLifeDecay(100.0, 0), "batch_size"),
    (lambda: kgl.optimizers.Adam(beta_2=1.0), "beta_2"),
    (lambda: kgl.penalties.R1Penalty(-1.0), "weight"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def adam_reference(grads, lr, beta_1, beta_2, epsilon=1e-7):
    """Keras's Adam update, in NumPy, with β's that may change per step."""
    value = np.array([1.0, -2.0])
    m = np.zeros(2)
    v = np.zeros(2)
    for t, g in enumerate(grads):
        b1, b2 = beta_1(t), beta_2(t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
        value = value - alpha * m / (np.sqrt(v) + epsilon)
    return value


def test_adam_with_a_scheduled_beta_2_against_numpy():
    grads = [np.array([0.5 * (t + 1), -0.3 + 0.1 * t]) for t in range(8)]
    beta_2 = schedules.CosineSchedule(0.9, 0.99, 5)
    variable = keras.Variable(np.array([1.0, -2.0], "float32"))
    optimizer = kgl.optimizers.Adam(0.1, beta_1=0.0, beta_2=beta_2)
    apply = tf.function(lambda g: optimizer.apply([g], [variable]))
    for g in grads:
        apply(tf.constant(g, tf.float32))
    expected = adam_reference(grads, 0.1, lambda t: 0.0,
                              lambda t: float(beta_2(t)))
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5)
    # The schedule matters: β₂ held at its start value ends elsewhere.
    held = adam_reference(grads, 0.1, lambda t: 0.0, lambda t: 0.9)
    assert np.max(np.abs(held - expected)) > 1e-3


def test_adam_with_floats_is_keras_adam():
    ours = kgl.optimizers.Adam(0.01, beta_1=0.5, beta_2=0.9)
    theirs = keras.optimizers.Adam(0.01, beta_1=0.5, beta_2=0.9)
    a = keras.Variable(np.array([1.0, 2.0], "float32"))
    b = keras.Variable(np.array([1.0, 2.0], "float32"))
    for t in range(3):
        g = tf.constant([0.3 * t - 0.1, 0.2], tf.float32)
        ours.apply([g], [a])
        theirs.apply([g], [b])
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    config = keras.optimizers.serialize(ours)
    assert config["config"]["beta_2"] == 0.9
    assert isinstance(keras.optimizers.deserialize(config),
                      kgl.optimizers.Adam)


def test_scheduled_penalty_weight_reads_the_generator_step():
    # SGD with learning rate 0 changes no weight, so ‖∇D(x)‖² is the same
    # at every step and the logged R1 follows γ(t)/2 · mean ‖∇D‖² with t
    # the number of generator updates so far: 0, 1, 2 in three epochs.
    gamma = schedules.CosineSchedule(1.0, 0.1, 2)
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0),
                g_optimizer=keras.optimizers.SGD(0.0),
                penalties=[kgl.penalties.R1Penalty(gamma)])
    x = images(8)
    history = gan.fit(x, batch_size=8, epochs=3, verbose=0,
                      shuffle=False).history
    d = gan.discriminator
    with tf.GradientTape() as tape:
        real = tf.constant(x)
        tape.watch(real)
        total = tf.reduce_sum(d(real))
    norms = tf.reduce_sum(tf.square(tape.gradient(total, real)),
                          axis=[1, 2, 3]).numpy()
    expected = [float(gamma(t)) / 2 * norms.mean() for t in range(3)]
    np.testing.assert_allclose(history["r1_penalty"], expected, rtol=1e-5)


def test_scheduled_ema_decay_follows_the_recurrence():
    # Generator update t (from 0) blends with decay(t).
    decay = schedules.HalfLifeDecay(schedules.CosineSchedule(0.0, 80.0, 4),
                                    batch_size=8)
    gan = kgl.GAN(generator(), discriminator(), ema_decay=decay, seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.5))
    ema = [w.copy() for w in gan.generator.get_weights()]
    record = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            record.append([w.copy() for w in gan.generator.get_weights()])

    gan.fit(images(40), batch_size=8, epochs=1, verbose=0, shuffle=False,
            callbacks=[Record()])
    assert len(record) == 5
    rates = [0.5 ** (8 / max(r3gan_cosine(8 * t, 0.0, 32, 80.0), 1e-8))
             for t in range(5)]
    assert rates[0] == 0.0 and 0.0 < rates[1] < rates[4] < 1.0
    for rate, weights in zip(rates, record):
        ema = [rate * e + (1 - rate) * w for e, w in zip(ema, weights)]
    for expected, got in zip(ema, gan.ema_generator.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# --- saved and resumed exactly ----------------------------------------------

STEPS = 8


def scheduled_gan():
    """Every schedule at once, in the middle of its cosine at the save."""
    keras.utils.set_random_seed(0)  # the same initial weights every time
    gan = kgl.GAN(
        generator(), discriminator(), seed=1,
        ema_decay=schedules.HalfLifeDecay(
            schedules.CosineSchedule(0.0, 64.0, STEPS), batch_size=8))
    optimizers = [kgl.optimizers.Adam(
        schedules.CosineSchedule(1e-2, 1e-3, STEPS), beta_1=0.0,
        beta_2=schedules.CosineSchedule(0.9, 0.99, STEPS)) for _ in "dg"]
    gan.compile(d_optimizer=optimizers[0], g_optimizer=optimizers[1],
                d_loss="relativistic_pairing", g_loss="relativistic_pairing",
                penalties=[
                    kgl.penalties.R1Penalty(
                        schedules.CosineSchedule(1.0, 0.1, STEPS)),
                    kgl.penalties.R2Penalty(
                        schedules.CosineSchedule(2.0, 0.2, STEPS))])
    return gan


FIT = {"batch_size": 8, "verbose": 0, "shuffle": False}


def test_keras_file_resumes_the_schedules_exactly(tmp_path):
    x = images(16)
    full = scheduled_gan()
    full_logs = full.fit(x, epochs=4, **FIT).history
    first = scheduled_gan()
    first.fit(x, epochs=2, **FIT)
    first.save(tmp_path / "gan.keras")
    restored = keras.models.load_model(tmp_path / "gan.keras")
    assert isinstance(restored.ema_decay, schedules.HalfLifeDecay)
    assert isinstance(restored.penalties[1].weight, schedules.CosineSchedule)
    assert isinstance(restored.g_optimizer, kgl.optimizers.Adam)
    assert int(restored.g_optimizer.iterations) == 4
    logs = restored.fit(x, epochs=4, initial_epoch=2, **FIT).history
    for a, b in zip(full.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for key in ("r1_penalty", "r2_penalty", "d_loss", "g_loss"):
        assert logs[key] == full_logs[key][2:], key


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt


def test_backup_and_restore_resumes_the_schedules_exactly(tmp_path):
    x = images(16)
    full = scheduled_gan()
    full.fit(x, epochs=4, **FIT)
    backup = str(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        scheduled_gan().fit(x, epochs=4, callbacks=[
            kgl.callbacks.BackupAndRestore(backup), Interrupt()], **FIT)
    resumed = scheduled_gan()
    resumed.fit(x, epochs=4, callbacks=[
        kgl.callbacks.BackupAndRestore(backup)], **FIT)
    assert int(resumed.g_optimizer.iterations) == STEPS
    for a, b in zip(full.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # A run that restarted its schedules from step 0 would differ.
    restarted = scheduled_gan()
    restarted.fit(x, epochs=2, **FIT)
    restarted.g_optimizer.iterations.assign(0)
    restarted.d_optimizer.iterations.assign(0)
    restarted.fit(x, epochs=2, **FIT)
    assert any(not np.array_equal(a, b) for a, b in
               zip(full.get_weights(), restarted.get_weights()))
