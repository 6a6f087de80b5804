"""JAX data parallelism: one `GAN.fit` update on two devices equals the
single-device update on the same global batch (`keras.distribution.
DataParallel`, two host CPU devices, in a process of its own)."""

import functools
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

SCRIPT = pathlib.Path(__file__).with_name("data_parallel_script.py")


@functools.cache
def run(devices=2):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    args = [] if devices > 1 else ["--single"]
    done = subprocess.run([sys.executable, str(SCRIPT), *args], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_batch_is_split_over_two_devices():
    result = run()
    assert result["devices"] == 2
    # The weights live on both devices (replicated); the batch axis of the
    # data is sharded over them.
    assert result["weight_devices"] == 2
    assert result["batch_axis"] == "batch"


def test_two_device_update_equals_the_single_device_update():
    result = run()
    assert len(result["one"]) == len(result["two"]) > 10
    # Float32 sums of 8 examples split 4 + 4 instead of 8: the same
    # values up to rounding (float32's eps is 1.2e-7); a step that
    # counted the batch twice, or half of it, moves them by ~1e-2.
    for a, b in zip(result["one"], result["two"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert result["one_logs"].keys() == result["two_logs"].keys()
    for key, values in result["one_logs"].items():
        np.testing.assert_allclose(values, result["two_logs"][key],
                                   rtol=1e-5, atol=1e-6, err_msg=key)


def test_a_batch_the_devices_cannot_split_is_a_clear_error():
    message = run()["odd_batch_error"]
    assert "does not split evenly over the 2 devices" in message


def test_the_single_device_update_does_not_depend_on_the_devices_present():
    # The same single-device fit in a process with one device: a step
    # that counted the host's devices as replicas would scale its losses
    # in the two-device process only.
    one_device, two_devices = run(1), run()
    for a, b in zip(one_device["one"], two_devices["one"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key, values in one_device["one_logs"].items():
        np.testing.assert_allclose(values, two_devices["one_logs"][key],
                                   rtol=1e-5, atol=1e-6, err_msg=key)
