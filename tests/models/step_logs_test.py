"""`StepLogs`: the running means (and sums) of a GAN's logged values,
against the same bookkeeping done by hand in NumPy."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import discriminator
from nets import generator
from nets import images

import keras_gan_losses as kgl
from keras_gan_losses.models.step_logs import StepLogs

KEYS = ("d_loss", "g_loss", "d_grad_norm", "nonfinite_steps")


def run_steps(logs, steps):
    """Adds each step's entries `(key, value, ok, scale, finite_only)` in
    a graph, as a GAN step does, and returns the logs as floats."""
    for entries in steps:

        @tf.function
        def step(entries=entries):
            for key, value, ok, scale, finite_only in entries:
                logs.add(key, tf.constant(value, tf.float32),
                         None if ok is None else tf.constant(ok),
                         scale=scale, finite_only=finite_only)
            logs.update()

        step()
    return {key: float(value) for key, value in logs.result().items()}


def test_means_skip_failed_values_and_sums_count():
    logs = StepLogs(KEYS, sum_keys=("nonfinite_steps",))
    steps = [
        # key, value, ok, scale, finite_only
        [("d_loss", 1.0, True, 1.0, False), ("d_loss", 3.0, True, 1.0, False),
         ("g_loss", 2.0, True, 2.0, False),
         ("d_grad_norm", np.inf, True, 1.0, True),
         ("nonfinite_steps", 0.0, None, 1.0, False)],
        [("d_loss", np.nan, False, 1.0, False),
         ("g_loss", np.inf, False, 2.0, False),
         ("d_grad_norm", 4.0, True, 1.0, True),
         ("nonfinite_steps", 1.0, None, 1.0, False)],
        [("d_loss", 8.0, True, 1.0, False), ("g_loss", -1.0, True, 2.0, False),
         ("d_grad_norm", 6.0, False, 1.0, True),
         ("nonfinite_steps", 1.0, None, 1.0, False)],
    ]
    got = run_steps(logs, steps)
    # By hand: the mean of the values with ok, times their scale; a
    # non-finite value is left out where `finite_only`; counts summed.
    assert got == {
        "d_loss": pytest.approx(np.mean([1.0, 3.0, 8.0])),
        "g_loss": pytest.approx(np.mean([2.0 * 2.0, -1.0 * 2.0])),
        "d_grad_norm": pytest.approx(4.0),
        "nonfinite_steps": 2.0,
    }
    logs.reset()
    assert all(float(v) == 0.0 for v in logs.result().values())


def test_a_key_never_added_reads_zero_and_exclude_drops_keys():
    logs = StepLogs(KEYS, sum_keys=("nonfinite_steps",))
    got = run_steps(logs, [[("d_loss", 5.0, True, 1.0, False)]])
    assert got == {"d_loss": 5.0, "g_loss": 0.0, "d_grad_norm": 0.0,
                   "nonfinite_steps": 0.0}
    assert set(logs.result(exclude=("d_grad_norm",))) == set(KEYS) - {
        "d_grad_norm"}


def test_gan_metrics_are_one_view_per_log_key_in_order():
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(penalties=["r1"])
    history = gan.fit(images(16), batch_size=8, epochs=2, verbose=0).history
    names = gan.metrics_names
    assert names[:4] == ["d_loss", "g_loss", "r1_penalty", "d_real"]
    assert set(history) == set(names)
    # The views read the logs; evaluate's list follows metrics_names.
    as_dict = gan.evaluate(images(8), batch_size=8, verbose=0,
                           return_dict=True)
    as_list = gan.evaluate(images(8), batch_size=8, verbose=0)
    expected = [as_dict[name] for name in names if name in as_dict]
    np.testing.assert_allclose(as_list, expected, rtol=1e-6)
    views = {m.name: float(m.result()) for m in gan.metrics}
    for name, value in as_dict.items():
        assert views[name] == pytest.approx(value, rel=1e-6)
    # The running means' state: two vectors, one entry per key.
    assert [tuple(v.shape) for v in gan.metrics_variables] == \
        [(len(names),)] * 2
    with pytest.raises(NotImplementedError, match="updated by the GAN"):
        gan.metrics[0].update_state(1.0)


def test_each_epoch_starts_new_means():
    # Epoch means, not running means over the whole fit: a GAN whose
    # logged d_real is the mean logit of fixed real data must log the same
    # value each epoch when nothing trains.
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0),
                g_optimizer=keras.optimizers.SGD(0.0))
    x = images(16)
    history = gan.fit(x, batch_size=8, epochs=3, verbose=0,
                      shuffle=False).history
    expected = float(np.mean(gan.discriminator(x)))
    np.testing.assert_allclose(history["d_real"], [expected] * 3,
                               rtol=1e-5, atol=1e-6)
