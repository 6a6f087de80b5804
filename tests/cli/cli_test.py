"""The `kgl` command line: train, sample, evaluate, resume and clear errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_gan_losses.cli import main as cli

TINY = ["--epochs", "1", "--steps-per-epoch", "3", "--width", "8",
        "--batch-size", "16", "--latent-dim", "8", "--fid-samples", "300",
        "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    assert cli.main(["train", "--out", str(out), *TINY]) == 0
    return out


def test_train_writes_the_run_directory(run_dir, capsys):
    for name in ("config.json", "history.csv", "model.keras",
                 "metrics.json", "generator_savedmodel/saved_model.pb"):
        assert (run_dir / name).exists(), name
    grids = sorted((run_dir / "samples").glob("*.png"))
    assert len(grids) == 1
    grid = np.asarray(Image.open(grids[0]))
    assert grid.ndim == 2 and grid.shape[0] >= 8 * 28 and grid.std() > 0
    history = (run_dir / "history.csv").read_text().splitlines()
    assert history[0].split(",")[0] == "epoch" and "d_loss" in history[0]
    assert len(history) == 2
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["fid_samples"] == 300 and metrics["fid_mnist"] > 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["loss"] == "non_saturating" and config["width"] == 8


@pytest.mark.parametrize("source", ["run", "savedmodel"])
def test_sample_writes_a_grid(run_dir, tmp_path, source):
    path = run_dir if source == "run" else run_dir / "generator_savedmodel"
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(path), "-n", "16", "--out",
                     str(out)]) == 0
    grid = np.asarray(Image.open(out))
    assert grid.shape[0] >= 4 * 28 and grid.shape[1] >= 4 * 28
    assert grid.std() > 0


def test_evaluate_prints_and_saves_metrics(run_dir, capsys):
    assert cli.main(["evaluate", str(run_dir), "--num-samples", "300"]) == 0
    printed = capsys.readouterr().out
    for key in ("fid", "kid", "precision", "recall"):
        assert key in printed
    results = json.loads((run_dir / "evaluation.json").read_text())
    assert results["num_samples"] == 300 and results["extractor"] == "mnist"
    assert 0.0 <= results["precision"] <= 1.0 and results["fid"] > 0


def test_resume_continues_an_interrupted_run(tmp_path, monkeypatch):
    import keras_gan_losses as kgl

    out = tmp_path / "run"
    args = ["train", "--out", str(out), *TINY]
    args[args.index("--epochs") + 1] = "3"
    args[args.index("--fid-samples") + 1] = "0"
    original = kgl.callbacks.SampleGrid.on_epoch_end

    def interrupt_in_epoch_two(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt
        return original(self, epoch, logs)

    monkeypatch.setattr(kgl.callbacks.SampleGrid, "on_epoch_end",
                        interrupt_in_epoch_two)
    assert cli.main(args) == 130
    assert not (out / "model.keras").exists()
    assert (out / "backup").is_dir()
    monkeypatch.setattr(kgl.callbacks.SampleGrid, "on_epoch_end", original)
    # A new run may not reuse the directory; --resume takes its settings.
    assert cli.main(args) == 2
    assert cli.main(["train", "--resume", str(out), "--quiet"]) == 0
    rows = (out / "history.csv").read_text().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == [0, 1, 2]
    assert (out / "model.keras").is_file()
    # A finished run cannot be resumed.
    assert cli.main(["train", "--resume", str(out)]) == 2


def run_kgl(*args):
    return subprocess.run(
        [sys.executable, "-m", "keras_gan_losses.cli.main", *args],
        capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("args,message", [
    (["train", "--data", "./no/such/folder"], "No such file or folder"),
    (["sample", "/no/such/run"], "neither a run directory"),
    (["train", "--resume", "/no/such/run"], "no config.json"),
])
def test_bad_paths_give_one_clear_line(args, message):
    result = run_kgl(*args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines()
             if line.startswith("kgl:")]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_flags_are_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--loss", "nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["train", "--epochs", "0"])
    assert "expected a positive int" in capsys.readouterr().err


def test_help_lists_every_flag(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    for flag in ("--data", "--loss", "--epochs", "--batch-size",
                 "--latent-dim", "--image-size", "--d-steps", "--ema",
                 "--conditional", "--mixed-precision", "--jit", "--out",
                 "--resume", "--seed", "--strategy"):
        assert flag in text
