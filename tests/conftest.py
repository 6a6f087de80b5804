"""Test set-up: two logical CPU devices, for the tf.distribute tests.

The logical devices must be configured before TensorFlow initialises its
runtime, so this runs at import time, before any test module.
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
