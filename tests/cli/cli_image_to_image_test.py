"""`kgl train --task ...` (pix2pix on image pairs) and `kgl sample` /
`kgl evaluate` of such runs, in this process, with tiny settings."""

import json

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
from PIL import Image

import keras_gan_losses as kgl
import keras_gan_losses_cli as cli
from keras_gan_losses.data import load_mnist_10k
from keras_gan_losses.data import make_pairs
from keras_gan_losses.data import to_uint8

TINY = ["--width", "8", "--batch-size", "16", "--quiet"]
CELL = 28 + 2  # a grid cell: the image and its padding


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("i2i") / "run"
    assert cli.run(["train", "--task", "super_resolution", "--out",
                    str(out), "--epochs", "2", "--steps-per-epoch", "3",
                    "--fid-samples", "100", "--seed", "2", "--eval-every",
                    "1", "--perceptual-weight", "5", *TINY]) == 0
    return out


def held_out(task, count):
    """The first `count` held-out pairs of mnist_10k (the last 10 %)."""
    images, _ = load_mnist_10k()
    return make_pairs(images[9000:9000 + count], task)


def grid_cell(grid, row, column):
    top, left = 2 + row * CELL, 2 + column * CELL
    return grid[top:top + 28, left:left + 28]


def test_train_writes_the_run_directory(run_dir):
    for name in ("config.json", "history.csv", "steps.csv", "curves.png",
                 "model.keras", "metrics.json",
                 "generator_savedmodel/saved_model.pb"):
        assert (run_dir / name).exists(), name
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task"] == "super_resolution"
    # Without --loss an image-to-image run takes the classic preset.
    assert config["loss"] == "non_saturating"
    assert config["l1_weight"] == 100.0 and config["perceptual_weight"] == 5
    assert config["held_out"] == 0.1
    gan = keras.models.load_model(run_dir / "model.keras")
    assert isinstance(gan, kgl.ImageToImageGAN)
    assert int(gan.g_optimizer.iterations) == 6
    assert [name for name, _, _ in gan.reconstruction_losses] == [
        "mean_absolute_error", "perceptual_loss"]
    assert gan.generator.name == "unet"
    assert gan.discriminator.output_shape == (None, 5, 5, 1)
    rows = (run_dir / "history.csv").read_text().splitlines()
    header = rows[0].split(",")
    for key in ("d_loss", "g_loss", "mean_absolute_error",
                "perceptual_loss", "psnr", "ssim", "fid"):
        assert key in header
    # --eval-every 1: the held-out PSNR of the last epoch is metrics.json's.
    last = dict(zip(header, rows[-1].split(",")))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert float(last["psnr"]) == pytest.approx(metrics["psnr"], rel=1e-5)


def test_grids_show_held_out_source_generated_target(run_dir):
    grids = sorted(p.name for p in (run_dir / "samples").glob("*.png"))
    assert grids == ["epoch_0001.png", "epoch_0002.png"]
    grid = np.asarray(Image.open(run_dir / "samples" / grids[-1]))
    assert grid.shape == (16 * CELL + 2, 3 * CELL + 2)  # a row per pair
    source, target = held_out("super_resolution", 16)
    for example in (0, 5, 15):
        np.testing.assert_array_equal(grid_cell(grid, example, 0),
                                      to_uint8(source[example, ..., 0]))
        np.testing.assert_array_equal(grid_cell(grid, example, 2),
                                      to_uint8(target[example, ..., 0]))
        generated = grid_cell(grid, example, 1)
        assert not np.array_equal(generated, grid_cell(grid, example, 0))


def test_metrics_json_holds_psnr_ssim_and_fid_of_held_out_pairs(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["pairs"] == 100
    source, target = held_out("super_resolution", 100)
    assert metrics["input_psnr"] == pytest.approx(
        reference.psnr(source, target).mean(), rel=1e-5)
    assert metrics["input_ssim"] == pytest.approx(
        reference.ssim(source, target).mean(), abs=1e-5)
    gan = keras.models.load_model(run_dir / "model.keras")
    generated = gan.generate(source)
    assert metrics["psnr"] == pytest.approx(
        reference.psnr(generated, target).mean(), rel=1e-4)
    assert metrics["ssim"] == pytest.approx(
        reference.ssim(generated, target).mean(), abs=1e-4)
    assert metrics["fid_mnist"] > 0


def test_evaluate_reports_psnr_and_ssim_next_to_fid(run_dir, capsys):
    assert cli.run(["evaluate", str(run_dir), "--num-samples", "50"]) == 0
    out = capsys.readouterr().out
    for key in ("psnr", "ssim", "fid_mnist"):
        assert f"  {key} " in out
    results = json.loads((run_dir / "evaluation.json").read_text())
    assert results["pairs"] == 50 and results["task"] == "super_resolution"
    source, target = held_out("super_resolution", 50)
    assert results["input_psnr"] == pytest.approx(
        reference.psnr(source, target).mean(), rel=1e-5)
    assert f"{results['psnr']:.3f} dB" in out
    assert f"({results['input_ssim']:.4f})" in out


def test_sample_writes_held_out_triplets(run_dir, tmp_path, capsys):
    out = tmp_path / "pairs.png"
    assert cli.run(["sample", str(run_dir), "-n", "6", "--out",
                    str(out)]) == 0
    assert "6 held-out (source, generated, target)" in capsys.readouterr().out
    grid = np.asarray(Image.open(out))
    assert grid.shape == (2 * CELL + 2, 12 * CELL + 2)
    _, target = held_out("super_resolution", 6)
    np.testing.assert_array_equal(grid_cell(grid, 1, 5),
                                  to_uint8(target[5, ..., 0]))


def test_inpainting_from_npy_without_adversarial_loss(tmp_path):
    images, _ = load_mnist_10k()
    np.save(tmp_path / "digits.npy", images[:200])
    out = tmp_path / "l1"
    assert cli.run(["train", "--task", "inpainting", "--data",
                    str(tmp_path / "digits.npy"), "--loss", "none",
                    "--held-out", "0.2", "--epochs", "1",
                    "--fid-samples", "0", "--out", str(out), *TINY]) == 0
    gan = keras.models.load_model(out / "model.keras")
    assert not gan.adversarial
    assert int(gan.g_optimizer.iterations) == 160 // 16  # one pass
    header = (out / "history.csv").read_text().splitlines()[0].split(",")
    assert "mean_absolute_error" in header and "d_loss" not in header
    assert json.loads((out / "metrics.json").read_text()) == {}
    grid = np.asarray(Image.open(out / "samples" / "epoch_0001.png"))
    source, _ = make_pairs(images[160:176], "inpainting")
    np.testing.assert_array_equal(grid_cell(grid, 0, 0),
                                  to_uint8(source[0, ..., 0]))


def test_wasserstein_gp_uses_a_patchgan_without_batch_norm(tmp_path):
    out = tmp_path / "wgan"
    assert cli.run(["train", "--task", "inpainting", "--loss",
                    "wasserstein_gp", "--epochs", "1", "--steps-per-epoch",
                    "1", "--fid-samples", "0", "--out", str(out),
                    *TINY]) == 0
    gan = keras.models.load_model(out / "model.keras")
    assert gan.d_steps == 3 and int(gan.d_optimizer.iterations) == 3
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in gan.discriminator.layers)
    assert [p.name for p in gan.penalties] == ["gradient_penalty"]


def one_error_line(capsys):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("kgl:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("args,message", [
    (["--task", "inpainting", "--conditional"], "--conditional does not"),
    (["--task", "inpainting", "--eval-every", "1", "--fid-samples", "0"],
     "--eval-every needs --fid-samples"),
    (["--task", "inpainting", "--image-size", "32"], "--image-size does not"),
    (["--task", "inpainting", "--loss", "mmd"], "--loss mmd"),
    (["--task", "inpainting", "--data", "fashion_mnist"], "mnist_10k or a"),
    (["--task", "inpainting", "--loss", "none", "--l1-weight", "0"],
     "Nothing to train"),
    (["--loss", "none"], "--loss none (no adversarial loss) needs --task"),
    (["--task", "super_resolution", "--held-out", "0.999"], "fewer than"),
])
def test_bad_combinations_give_one_line(args, message, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.run(["train", "--out", str(out), "--epochs", "1", *args,
                    *TINY]) == 2
    assert message in one_error_line(capsys)
    assert not out.exists()


def test_perceptual_loss_needs_mnist_sized_images(tmp_path, capsys):
    np.save(tmp_path / "big.npy", np.zeros((40, 32, 32), np.uint8))
    assert cli.run(["train", "--task", "inpainting", "--data",
                    str(tmp_path / "big.npy"), "--perceptual-weight", "1",
                    "--out", str(tmp_path / "run"), *TINY]) == 2
    assert "28×28×1" in one_error_line(capsys)


def test_bad_task_flags_are_rejected_by_argparse(capsys):
    for args, message in [
        (["train", "--task", "colorization"], "invalid choice"),
        (["train", "--l1-weight", "-1"], "expected a finite number >= 0"),
        (["train", "--held-out", "1.5"], "expected a fraction in (0, 1)"),
        (["train", "--held-out", "x"], "expected a fraction in (0, 1)"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            cli.run(args)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_task_choices_are_the_pairing_tasks():
    assert cli.TASKS == kgl.data.pairs.TASKS
