"""Under MultiWorkerMirroredStrategy, two worker processes on localhost
train like one process on the global batch, and `BackupAndRestore` brings a
killed cluster back to the uninterrupted result.

The workers run `multi_worker_script.py` as subprocesses, each with its own
`TF_CONFIG` and without the two logical CPUs that `tests/conftest.py` sets
up; the single-process reference runs the same code in the test process.
"""

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from keras_gan_losses.callbacks.backup_store import BackupStore

SCRIPT = Path(__file__).with_name("multi_worker_script.py")
ROOT = Path(__file__).resolve().parents[2]
# Seconds one attempt of the workers may take. About 15 s on an idle
# 2-core machine; the margin is for a loaded one.
TIMEOUT = 100


def _load_script():
    spec = importlib.util.spec_from_file_location("multi_worker_script",
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()


def free_ports(count):
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Worker:
    """One worker process, its log and its JSON output."""

    def __init__(self, tmp_path, name, index, addresses, args):
        self.name = f"{name}_worker{index}"
        self.out = tmp_path / f"{self.name}.json"
        self.log = tmp_path / f"{self.name}.log"
        tf_config = {
            "cluster": {"worker": addresses},
            "task": {"type": "worker", "index": index},
        }
        env = dict(os.environ)
        env.update({
            "TF_CONFIG": json.dumps(tf_config),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
            ),
        })
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(SCRIPT), str(self.out), *args],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )

    def wait(self, deadline):
        """The exit code; fails the test if `deadline` passes first."""
        try:
            return self.process.wait(timeout=max(deadline - time.monotonic(),
                                                 0.1))
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} timed out.\n{self.tail()}")

    def result(self, deadline):
        code = self.wait(deadline)
        assert code == 0, f"{self.name} exited with {code}.\n{self.tail()}"
        return json.loads(self.out.read_text())

    def tail(self, lines=40):
        text = self.log.read_text(errors="replace").splitlines()
        # Drop TensorFlow's start-up chatter (I0000/W0000 lines).
        text = [t for t in text if t[:5] not in ("I0000", "W0000")]
        return "\n".join(text[-lines:])

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


@contextlib.contextmanager
def workers(tmp_path, name, args=(), count=2):
    """Starts `count` workers on fresh localhost ports; kills any still
    running on exit, whatever happened."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(count)]
    started = []
    try:
        for index in range(count):
            started.append(
                Worker(tmp_path, name, index, addresses, [str(a) for a in args])
            )
        yield started
    finally:
        for worker in started:
            worker.kill()


def assert_same_weights(actual, expected, exact=False):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def assert_same_logs(actual, expected):
    assert set(actual) == set(expected)
    for key in expected:
        assert np.asarray(actual[key]) == pytest.approx(
            np.asarray(expected[key]), rel=1e-5, abs=1e-6
        ), key


def test_two_workers_update_like_one_process(tmp_path):
    with workers(tmp_path, "train") as started:
        # The reference trains here while the workers start up.
        reference = script.run_cases(tf.distribute.get_strategy(),
                                     multi_worker=False)
        deadline = time.monotonic() + TIMEOUT
        outputs = [worker.result(deadline) for worker in started]

    assert reference["num_replicas_in_sync"] == 1
    assert [o["num_replicas_in_sync"] for o in outputs] == [2, 2]
    data = script.images()
    for case, mode in script.RUNS:
        single = reference[case]
        first, second = (o[case] for o in outputs)
        # The data is sharded: at each step the two workers read disjoint
        # halves that together make the global batch.
        assert len(first["rows"]) == script.STEPS
        for step, (a, b) in enumerate(zip(first["rows"], second["rows"])):
            batch = data[step * script.GLOBAL_BATCH:
                         (step + 1) * script.GLOBAL_BATCH]
            np.testing.assert_array_equal(np.concatenate([a, b]), batch,
                                          err_msg=f"{case}/{mode}")
        # Training moved the weights, identically on both workers, and as
        # one process does on the global batch.
        assert any(not np.allclose(a, b)
                   for a, b in zip(single["initial"], single["weights"]))
        assert_same_weights(first["weights"], second["weights"], exact=True)
        assert_same_weights(first["weights"], single["weights"])
        # The logs (losses, penalty, logit means) do not depend on the
        # number of workers, in fit and in evaluate.
        assert first["history"] == second["history"]
        assert_same_logs(first["history"], single["history"])
        assert_same_logs(first["evaluate"], single["evaluate"])
        assert set(single["history"]) >= {"d_loss", "g_loss"}

    # Replica ids are global across workers, so each worker draws its own
    # noise; replica 0 draws what the single process draws.
    noise = [o["noise"] for o in outputs]
    assert [n["replica_ids"] for n in noise] == [[0], [1]]
    np.testing.assert_allclose(noise[0]["latents"][0],
                               reference["noise"]["latents"][0])
    assert not np.allclose(noise[0]["latents"][0], noise[1]["latents"][0])


def test_backup_and_restore_after_a_crash_and_a_preemption(tmp_path):
    backup = tmp_path / "backup"
    epochs = 5
    args = ["--backup", backup, "--epochs", epochs]
    # 1. The non-chief worker's process ends after the first epoch, once
    #    the chief has backed it up.
    with workers(tmp_path, "crashed", [*args, "--crash-after-epoch", 0]
                 ) as started:
        reference = script.run_backup(
            tf.distribute.get_strategy(), multi_worker=False,
            backup_dir=str(tmp_path / "reference_backup"), epochs=epochs,
        )
        deadline = time.monotonic() + TIMEOUT
        code = started[1].wait(deadline)
        assert code == script.CRASH_EXIT_CODE, started[1].tail()
        # Worker 0 is now stuck in a collective of the next epoch (it fails
        # with UnavailableError once the heartbeats time out): as a cluster
        # manager would, leaving the block kills it, then all restart.
    assert BackupStore(backup).names()[0].endswith("epoch-000001")

    # 2. Restarted, the cluster resumes; then SIGTERM reaches the non-chief
    #    worker only (a preempted machine). TensorFlow's
    #    PreemptionCheckpointHandler has both workers stop after the same
    #    step, which the chief backs up.
    with workers(tmp_path, "preempted",
                 [*args, "--sigterm-after-step", 2]) as started:
        deadline = time.monotonic() + TIMEOUT
        first, second = (worker.result(deadline) for worker in started)
    where = (first["epoch"], first["batch"])
    assert (second["epoch"], second["batch"]) == where
    step = where[0] * script.STEPS + where[1]
    assert script.STEPS + 2 < step < epochs * script.STEPS
    assert "by SIGTERM" in first["interrupted"]
    assert "a backup of that step is in" in first["interrupted"]
    assert "the chief worker backs that step up" in second["interrupted"]
    assert BackupStore(backup).names()[0] == (
        f"step-{step:012d}-epoch-{where[0]:06d}")

    # 3. Restarted again, it ends as the uninterrupted run does.
    with workers(tmp_path, "resumed", args) as started:
        deadline = time.monotonic() + TIMEOUT
        first, second = (worker.result(deadline) for worker in started)
    # The chief deleted the backup at the end of the completed run.
    assert not backup.exists()
    assert_same_weights(first["weights"], second["weights"], exact=True)
    # Weights, optimizer momentum and noise state came back, and the data
    # was read on from the backed-up batch: the result is the uninterrupted
    # one, with the logs of the epochs from the one resumed.
    assert_same_weights(first["weights"], reference["weights"])
    resumed = {key: values[where[0]:]
               for key, values in reference["history"].items()}
    assert len(first["history"]["d_loss"]) == epochs - where[0]
    assert_same_logs(first["history"], resumed)
    assert first["history"] == second["history"]
