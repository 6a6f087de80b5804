"""Test set-up: two logical CPU devices, for the tf.distribute tests, and
the tests that run on each Keras backend.

The logical devices must be configured before TensorFlow initialises its
runtime, so this runs at import time, before any test module.

Under `KERAS_BACKEND=tensorflow` (the default) every test runs but
those marked for other backends only (e.g. an error that only they
raise). Under `jax` or `torch`, only the tests marked
`@pytest.mark.backends` (with no names, or with that backend's) are
collected; the others are deselected, not skipped: they test
TensorFlow-only features (`tf.distribute`, XLA against graph mode,
SavedModel export) or TensorFlow's own numbers.
`make test` runs the suite once, then the marked tests under each of the
other backends (on JAX, only the files the Makefile's `JAX_TESTS` names).
Tests marked `backends("tensorflow", "torch")` leave JAX out to keep
`make test` within its time: each new GAN compiles its step under JAX (a
second or more), so JAX runs the closed-form tests and one test of each
feature.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One MirroredStrategy over the two logical CPUs for the whole session.

    Each MirroredStrategy numbers its collective operations from the same
    start, so two of them in one process can collide ("Shape mismatch in
    the collective instance"); the tests share this one.
    """
    assert len(tf.config.list_logical_devices("CPU")) >= 2
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")


def _runs_here(item):
    marker = item.get_closest_marker("backends")
    if marker is None:
        return BACKEND == "tensorflow"
    return not marker.args or BACKEND in marker.args


def pytest_collection_modifyitems(config, items):
    selected = [item for item in items if _runs_here(item)]
    deselected = [item for item in items if not _runs_here(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
