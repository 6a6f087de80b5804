"""Runs `backend_values.py` on a Keras backend, once per test session."""

import functools
import json
import os
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).with_name("backend_values.py")
BACKENDS = ["tensorflow", "jax", "torch"]


@functools.cache
def values(backend):
    """The JSON that `backend_values.py` prints under `KERAS_BACKEND`."""
    env = {**os.environ, "KERAS_BACKEND": backend,
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == backend
    return result
