"""Fault injection: `kgl train` killed (SIGKILL, which nothing can catch)
at chosen points, and stopped by SIGTERM, then resumed each time with
`kgl train --resume`, ends with the files of the uninterrupted run: the
same weights bit for bit, the same history.csv, steps.csv, health.json,
curves.png and sample grids.

Each process runs `kill_driver.py`, which kills itself at its point.
`benchmarks/kill_resume.py` kills at random moments instead.
"""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_gan_losses  # noqa: F401 - registers the GAN for load_model

DRIVER = Path(__file__).with_name("kill_driver.py")
ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ["--epochs", "3", "--steps-per-epoch", "4", "--batch-size", "16",
            "--width", "4", "--latent-dim", "8", "--seed", "3",
            "--fid-samples", "0", "--quiet"]
TIMEOUT = 300


def start(point, args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, str(DRIVER), point, "train", *args], cwd=cwd,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(process):
    out, err = process.communicate(timeout=TIMEOUT)
    err = "\n".join(line for line in err.splitlines()
                    if line[:5] not in ("I0000", "W0000", "E0000")
                    and "absl::InitializeLog" not in line)
    return process.returncode, out, err


def run(point, args, cwd):
    return finish(start(point, args, cwd))


@pytest.fixture
def reference(tmp_path):
    """The uninterrupted run, training alongside the interrupted ones."""
    process = start("none", ["--out", "reference", *SETTINGS], tmp_path)
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate()


def test_killed_at_every_phase_resumes_to_the_uninterrupted_run(
        tmp_path, reference):
    run_dir = tmp_path / "run"
    resume = ["--resume", "run", "--quiet"]

    # 1. SIGKILL mid-epoch (epoch 2, after its second batch): the backup
    #    of epoch 1 is there.
    code, _, err = run("batch:1:1", ["--out", "run", *SETTINGS], tmp_path)
    assert code == -9, err
    assert sorted(os.listdir(run_dir / "backup")) == [
        "step-000000000004-epoch-000001"]

    # 2. SIGKILL inside the next backup's write: a temporary folder is
    #    left, the complete backup untouched.
    code, out, err = run("backup-write:1", resume, tmp_path)
    assert code == -9, err
    assert "from its backup (after epoch 1 of 3)" in out
    names = sorted(os.listdir(run_dir / "backup"))
    assert names[1] == "step-000000000004-epoch-000001"
    assert names[0].startswith(".step-000000000008-epoch-000002.tmp-")

    # 3. SIGTERM mid-epoch (epoch 3, after its second batch): that step is
    #    backed up, and the run says how to resume.
    code, out, err = run("sigterm:2:1", resume, tmp_path)
    assert code == 143, err
    assert err.strip().splitlines()[-1] == (
        "kgl: interrupted by SIGTERM at epoch 3 of 3, after batch 2; the "
        "backup is in run/backup/. Resume with: kgl train --resume run")
    assert sorted(os.listdir(run_dir / "backup")) == [
        "step-000000000008-epoch-000002", "step-000000000010-epoch-000002"]

    # 4. SIGKILL after training, while model.keras is being written.
    code, out, err = run("finish:model", resume, tmp_path)
    assert code == -9, err
    assert "(epoch 3 of 3, after batch 2)" in out
    assert "over 12 training steps" in out
    assert not (run_dir / "model.keras").exists()
    assert (run_dir / "backup").is_dir()

    # 5. Resumed by finishing, not by training again.
    code, out, err = run("none", resume, tmp_path)
    assert code == 0, err
    assert ("its training had finished (3 of 3 epochs in its backup); "
            "finishing it") in out
    assert "Health: no problem found over 12 training steps." in out
    assert not (run_dir / "backup").exists()
    assert not [p for p in os.listdir(run_dir) if ".tmp-" in p]

    code, _, err = finish(reference)
    assert code == 0, err
    expected = tmp_path / "reference"
    got = keras.models.load_model(run_dir / "model.keras").get_weights()
    want = keras.models.load_model(expected / "model.keras").get_weights()
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(got, want)) \
        == 0.0
    for name in ("history.csv", "steps.csv", "health.json", "curves.png",
                 "samples/epoch_0001.png", "samples/epoch_0003.png"):
        assert (run_dir / name).read_bytes() == \
            (expected / name).read_bytes(), name
