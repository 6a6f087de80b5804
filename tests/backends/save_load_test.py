"""A `.keras` file saved on one Keras backend loads on the others, with
the same weights, optimizer state and images (each backend in a process
of its own)."""

import itertools
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = pathlib.Path(__file__).with_name("save_load_script.py")
BACKENDS = ["tensorflow", "jax", "torch"]


def run(backend, out, *sources):
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(SCRIPT), str(out),
                           *map(str, sources)],
                          env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """`(saved, loaded)`: each backend's report of the model it saved, and
    each backend's reports of the models the two others saved. Five
    processes: each backend loads what the ones before it saved, then
    saves its own; then each backend but the last loads what the ones
    after it saved."""
    root = tmp_path_factory.mktemp("save_load")
    saved, loaded = {}, {}
    for index, backend in enumerate(BACKENDS):
        (root / backend).mkdir()
        before = BACKENDS[:index]
        result = run(backend, root / backend, *(root / b for b in before))
        saved[backend] = result["saved"]
        loaded.update(((s, backend), r)
                      for s, r in zip(before, result["loaded"]))
    for index, backend in enumerate(BACKENDS[:-1]):
        after = BACKENDS[index + 1:]
        result = run(backend, "-", *(root / b for b in after))
        loaded.update(((s, backend), r)
                      for s, r in zip(after, result["loaded"]))
    return saved, loaded


@pytest.mark.parametrize("source,target", list(
    itertools.permutations(BACKENDS, 2)))
def test_a_model_saved_on_one_backend_loads_on_another(source, target,
                                                       reports):
    saved, loaded = reports
    before, after = saved[source], loaded[source, target]
    assert after["backend"] == target
    assert after["iterations"] == before["iterations"] == [2, 2]
    assert len(after["weights"]) == len(before["weights"])
    for a, b in zip(after["weights"], before["weights"]):
        np.testing.assert_array_equal(a, b)
    # The same conditional generator (and its EMA copy) on the same
    # latents and labels: the same images up to float32 rounding, which
    # differs between the backends' kernels.
    for key in ("ema", "raw"):
        np.testing.assert_allclose(after["images"][key],
                                   before["images"][key],
                                   rtol=1e-5, atol=1e-6, err_msg=key)
    assert not np.allclose(after["images"]["ema"], after["images"]["raw"])
