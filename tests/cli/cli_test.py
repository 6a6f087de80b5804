"""`kgl train | sample | evaluate` in this process (`keras_gan_losses_cli.run`).

Every `--loss` preset and every flag runs end to end once, grouped into a
few tiny runs; the flags that change process-wide state (`--strategy`,
`--mixed-precision`) run in a subprocess in `entry_point_test.py`.
All tests run with the working directory in a temporary folder, so that
nothing is written to the source tree.
"""

import csv
import json

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_losses_cli as cli

TINY = ["--width", "8", "--batch-size", "16", "--latent-dim", "8",
        "--quiet"]


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def one_error_line(capsys):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("kgl:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    assert cli.run(["train", "--out", str(out), "--epochs", "2",
                    "--steps-per-epoch", "3", "--fid-samples", "300",
                    "--eval-every", "1", "--ema", "0.9", "--seed", "3",
                    "--loss", "non_saturating", *TINY]) == 0
    return out


def test_train_writes_the_run_directory(run_dir):
    for name in ("config.json", "history.csv", "steps.csv", "curves.png",
                 "model.keras", "metrics.json",
                 "generator_savedmodel/saved_model.pb"):
        assert (run_dir / name).exists(), name
    grids = sorted(p.name for p in (run_dir / "samples").glob("*.png"))
    assert grids == ["epoch_0001.png", "epoch_0002.png"]
    grid = np.asarray(Image.open(run_dir / "samples" / grids[0]))
    assert grid.ndim == 2 and grid.shape[0] >= 8 * 28 and grid.std() > 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["fid_samples"] == 300 and metrics["fid_mnist"] > 0
    # Classifier scores of the samples, with the real images' ceiling.
    assert metrics["real_recognisable_rate"] > 0.9
    assert metrics["real_class_coverage"] > 0.95
    assert metrics["real_inception_score"] > 8.5
    assert 0.0 <= metrics["recognisable_rate"] <= 1.0
    assert 0.1 <= metrics["class_coverage"] <= 1.0
    assert 1.0 <= metrics["inception_score"] <= 10.0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["loss"] == "non_saturating" and config["width"] == 8
    assert config["ema"] == 0.9 and config["seed"] == 3
    gan = keras.models.load_model(run_dir / "model.keras")
    assert gan.ema_generator is not None and gan.latent_dim == 8
    # mnist_10k has labels: by default the GAN is conditional on them.
    assert config["conditional"] is True and gan.num_classes == 10
    assert 0.0 <= metrics["label_accuracy"] <= 1.0


def test_train_writes_health_json_and_says_so(run_dir):
    report = json.loads((run_dir / "health.json").read_text())
    # 6 steps: too few for any finding (the monitor's warm-up is 100).
    assert report["healthy"] is True and report["findings"] == []
    assert report["steps"] == 6
    assert report["summary"].startswith(
        "Health: no problem found over 6 training steps. Modes at the end: ")
    # 28×28×1 images: the shipped MNIST classifier counts the samples'
    # digits at every epoch, against a sample of the training digits.
    assert [c["epoch"] for c in report["coverage"]] == [1, 2]
    assert all(c["num_modes"] == 10 and c["samples"] == 2000
               for c in report["coverage"])
    columns = list(read_csv(run_dir / "history.csv")[0])
    assert {"d_acc_real", "d_acc_fake", "d_grad_norm", "g_grad_norm",
            "diversity"} <= set(columns)


def test_history_numbers_epochs_like_the_grids(run_dir):
    rows = read_csv(run_dir / "history.csv")
    columns = list(rows[0])
    assert columns[:2] == ["epoch", "step"]
    assert not [c for c in columns if c.startswith("val_")]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "fid", "kid"} <= set(
        columns)
    assert [row["epoch"] for row in rows] == ["1", "2"]
    assert [row["step"] for row in rows] == ["3", "6"]
    for row in rows:  # --eval-every 1: FID in every row, no empty cell
        assert all(value != "" for value in row.values()), row


def test_curves_png_shows_the_run(run_dir):
    image = np.asarray(Image.open(run_dir / "curves.png").convert("L"))
    assert image.shape[0] > 400 and image.shape[1] > 800
    assert image.std() > 10
    names = {row["name"] for row in read_csv(run_dir / "steps.csv")}
    assert {"d_loss", "g_loss", "d_real", "d_fake", "fid", "kid"} <= names


def test_steps_per_epoch_trains_exactly_that_many_steps(tmp_path, capsys):
    # 40 images in batches of 16: 2 batches per pass; 5 steps per epoch
    # need the data to repeat. Also: a .npy source, --image-size, --d-steps
    # and the hinge preset.
    images = np.random.default_rng(0).integers(0, 256, (40, 28, 28, 1),
                                               dtype=np.uint8)
    np.save(tmp_path / "tiny.npy", images)
    out = tmp_path / "run"
    assert cli.run(["train", "--data", str(tmp_path / "tiny.npy"),
                    "--loss", "hinge", "--image-size", "32", "--d-steps",
                    "2", "--epochs", "2", "--steps-per-epoch", "5",
                    "--fid-samples", "10", "--out", str(out), *TINY]) == 0
    gan = keras.models.load_model(out / "model.keras")
    assert int(gan.g_optimizer.iterations) == 10
    assert int(gan.d_optimizer.iterations) == 20
    assert gan.image_shape == (32, 32, 1)
    assert [row["step"] for row in read_csv(out / "history.csv")] == [
        "5", "10"]
    out_text = capsys.readouterr().out
    assert "FID: skipped" in out_text
    # A .npy file of images has no labels: unconditional, silently.
    assert gan.num_classes is None and "Conditional" not in out_text
    assert json.loads((out / "config.json").read_text())[
        "conditional"] is False


def test_steps_per_execution_trains_the_same_steps_and_curves(tmp_path,
                                                             capsys):
    # 6 steps per epoch: 4 steps per execution would run past the epoch's
    # end (Keras runs whole executions), so kgl train takes 3, and says
    # so. The run trains the same 12 steps as one step per execution,
    # and each steps.csv value is the mean of its execution's 3 steps.
    common = ["train", "--loss", "non_saturating", "--epochs", "2",
              "--steps-per-epoch", "6", "--fid-samples", "0", *TINY]
    one, three = tmp_path / "one", tmp_path / "three"
    assert cli.run([*common, "--out", str(one),
                    "--steps-per-execution", "1"]) == 0
    capsys.readouterr()
    assert cli.run([*common, "--out", str(three),
                    "--steps-per-execution", "4"]) == 0
    assert "Steps per execution: 3" in capsys.readouterr().out
    gans = [keras.models.load_model(run / "model.keras")
            for run in (one, three)]
    assert [int(g.g_optimizer.iterations) for g in gans] == [12, 12]
    for a, b in zip(*(g.generator.get_weights() for g in gans)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    def d_loss(run):
        return {int(r["step"]): float(r["value"])
                for r in read_csv(run / "steps.csv")
                if r["name"] == "d_loss" and r["level"] == "step"}

    each, grouped = d_loss(one), d_loss(three)
    assert sorted(each) == list(range(1, 13))
    assert sorted(grouped) == [3, 6, 9, 12]
    for step, value in grouped.items():
        mean = np.mean([each[s] for s in range(step - 2, step + 1)])
        assert value == pytest.approx(mean, rel=1e-4, abs=1e-6)
    rows = [read_csv(run / "history.csv") for run in (one, three)]
    assert [r["step"] for r in rows[1]] == ["6", "12"]
    for a, b in zip(*rows):
        assert float(a["d_loss"]) == pytest.approx(float(b["d_loss"]),
                                                   rel=1e-4)


def test_unconditional_runs_condition_on_kmeans_clusters(tmp_path, capsys):
    # Without labels (here: --unconditional) the GAN is conditioned on 40
    # k-means clusters of the images, sampled in proportion to their sizes.
    from keras_gan_losses.data import kmeans_labels
    from keras_gan_losses.data import load_mnist_10k

    out = tmp_path / "run"
    assert cli.run(["train", "--unconditional", "--epochs", "1",
                    "--steps-per-epoch", "1", "--fid-samples", "0",
                    "--out", str(out), *TINY]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["conditional"] is False and config["clusters"] == 40
    # Without --loss an unconditional GAN takes R3GAN's objective.
    assert config["loss"] == "relativistic_pairing"
    clusters = np.load(out / "clusters.npy")
    pixels, _ = load_mnist_10k()
    np.testing.assert_array_equal(clusters, kmeans_labels(pixels, 40))
    gan = keras.models.load_model(out / "model.keras")
    assert gan.num_classes == 40
    assert [p.name for p in gan.penalties] == ["r1_penalty", "r2_penalty"]
    np.testing.assert_allclose(
        gan.label_frequencies,
        np.bincount(clusters, minlength=40) / len(clusters))
    assert "Conditional on 40 k-means clusters" in capsys.readouterr().out


def test_clusters_zero_trains_a_plain_unconditional_gan(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.run(["train", "--unconditional", "--clusters", "0",
                    "--epochs", "1", "--steps-per-epoch", "1",
                    "--fid-samples", "0", "--out", str(out), *TINY]) == 0
    gan = keras.models.load_model(out / "model.keras")
    assert gan.num_classes is None and gan.label_frequencies is None
    assert not (out / "clusters.npy").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["conditional"] is False and config["clusters"] == 0
    assert "Conditional" not in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.run(["train", "--conditional", "--unconditional"])
    assert "not allowed with" in capsys.readouterr().err


@pytest.mark.parametrize("flags, message", [
    (["--conditional", "--clusters", "5"], "drop --conditional"),
    (["--loss", "mmd", "--clusters", "5"], "no conditional form"),
])
def test_clusters_conflicts_give_one_line(flags, message, tmp_path, capsys):
    assert cli.run(["train", *flags, "--out", str(tmp_path / "run"),
                    *TINY]) == 2
    assert message in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_clustered_data_pairs_each_image_with_its_cluster(tmp_path):
    # Image i is the constant pixel value i; its cluster id is i % 3. A
    # resumed run takes the ids saved in clusters.npy over new k-means.
    from types import SimpleNamespace

    from keras_gan_losses.cli import commands

    pixels = np.broadcast_to(np.arange(48, dtype=np.uint8)[:, None, None,
                                                           None],
                             (48, 4, 4, 1)).copy()
    labels = np.arange(48) % 3
    args = SimpleNamespace(batch_size=16, seed=0)
    seen = 0
    for images, batch_labels in commands._clustered_data(args, pixels,
                                                         labels):
        index = np.rint((images.numpy()[:, 0, 0, 0] + 1) * 127.5)
        np.testing.assert_array_equal(batch_labels.numpy(), index % 3)
        seen += len(index)
    assert seen == 48
    np.save(tmp_path / "clusters.npy", labels[::-1].copy())
    np.save(tmp_path / "images.npy", pixels)
    args = SimpleNamespace(data=str(tmp_path / "images.npy"),
                           image_size=None, loss="relativistic_pairing",
                           conditional=False, clusters=3, seed=0)
    _, resumed = commands._clusters(args, tmp_path, resuming=True)
    np.testing.assert_array_equal(resumed, labels[::-1])


def test_label_accuracy_is_the_share_classified_as_asked():
    # Real digits ordered so that image i shows class i % 10 score the
    # classifier's accuracy; the same images shifted by one class score
    # about zero. The scores come from the shipped classifier, the labels
    # from the order in which a conditional GAN's `generate` asks for them.
    from types import SimpleNamespace

    from keras_gan_losses.cli import commands
    from keras_gan_losses.data import load_mnist_10k
    from keras_gan_losses.data import scale_images

    images, labels = load_mnist_10k()
    by_class = [images[labels == k][:50] for k in range(10)]
    ordered = np.stack(by_class, axis=1).reshape(500, 28, 28, 1)
    ordered = np.asarray(scale_images(ordered))
    gan = SimpleNamespace(num_classes=10)
    scores = commands._classifier_scores(ordered[:100], ordered, gan)
    assert scores["label_accuracy"] > 0.95
    shifted = np.roll(ordered, 1, axis=0)
    assert commands._classifier_scores(
        ordered[:100], shifted, gan)["label_accuracy"] < 0.05
    unconditional = SimpleNamespace(num_classes=None)
    assert "label_accuracy" not in commands._classifier_scores(
        ordered[:100], ordered, unconditional)


def test_labelled_data_keeps_the_conditional_default(tmp_path):
    import keras_gan_losses as kgl

    out = tmp_path / "run"
    assert cli.run(["train", "--epochs", "1", "--steps-per-epoch", "1",
                    "--fid-samples", "0", "--out", str(out), *TINY]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["conditional"] is True
    assert config["loss"] == kgl.presets.DEFAULT == "non_saturating_lecam"


def test_conditional_run_in_the_default_run_dir(tmp_path):
    assert cli.run(["train", "--loss", "relativistic_average",
                    "--conditional", "--jit", "--epochs", "1",
                    "--steps-per-epoch", "2", "--fid-samples", "0",
                    *TINY]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    gan = keras.models.load_model(run / "model.keras")
    assert gan.num_classes == 10
    config = json.loads((run / "config.json").read_text())
    assert config["conditional"] and config["jit"]


@pytest.mark.parametrize("source", ["run", "savedmodel", "folder"])
def test_sample_writes_a_grid(run_dir, tmp_path, source):
    path = run_dir if source == "run" else run_dir / "generator_savedmodel"
    out = tmp_path / "grid.png"
    if source == "folder":  # --out DIR writes DIR/grid.png
        out = tmp_path / "grids"
        out.mkdir()
    assert cli.run(["sample", str(path), "-n", "16", "--seed", "5",
                    "--out", str(out)]) == 0
    if source == "folder":
        out = out / "grid.png"
    grid = np.asarray(Image.open(out))
    assert grid.shape[0] >= 4 * 28 and grid.shape[1] >= 4 * 28
    assert grid.std() > 0


def test_sample_seed_picks_the_images(run_dir, tmp_path):
    grids = []
    for seed in ("1", "1", "2"):
        out = tmp_path / f"grid{len(grids)}.png"
        assert cli.run(["sample", str(run_dir), "-n", "4", "--seed", seed,
                        "--out", str(out)]) == 0
        grids.append(np.asarray(Image.open(out), np.float64))
    np.testing.assert_array_equal(grids[0], grids[1])
    assert np.abs(grids[0] - grids[2]).max() > 0


def test_evaluate_prints_saves_and_warns(run_dir, capsys):
    assert cli.run(["evaluate", str(run_dir), "--num-samples", "300",
                    "--data", "mnist_10k", "--split", "test",
                    "--extractor", "mnist", "--seed", "4"]) == 0
    captured = capsys.readouterr()
    for key in ("fid", "kid", "kid_std", "precision", "recall"):
        assert f"  {key} " in captured.out
    warning = [line for line in captured.err.splitlines()
               if line.startswith("kgl: warning:")]
    assert len(warning) == 1
    assert "only 300 samples" in warning[0]
    assert "below 2000" in warning[0] and "at least 10000" in warning[0]
    results = json.loads((run_dir / "evaluation.json").read_text())
    assert results["num_samples"] == 300 and results["extractor"] == "mnist"
    assert results["split"] == "test" and results["seed"] == 4
    assert 0.0 <= results["precision"] <= 1.0 and results["fid"] > 0
    for key in ("recognisable_rate", "class_coverage", "inception_score"):
        line = next(line for line in captured.out.splitlines()
                    if line.startswith(f"  {key} "))
        assert f"{results[key]:.4f}" in line
        assert f"(real data: {results['real_' + key]:.4f})" in line
    # The ceiling: 300 real MNIST test digits.
    assert results["real_recognisable_rate"] > 0.9
    assert results["real_class_coverage"] > 0.95


def test_evaluate_names_mode_collapse(run_dir, monkeypatch, capsys):
    import keras_gan_losses as kgl

    monkeypatch.setattr(kgl.metrics.evaluation, "precision_recall",
                        lambda real, fake: {"precision": 1.0, "recall": 0.0})
    assert cli.run(["evaluate", str(run_dir), "--num-samples", "50"]) == 0
    assert "mode collapse" in capsys.readouterr().out


def test_evaluate_with_local_inception_weights(run_dir, tmp_path, capsys):
    weights = tmp_path / "inception.weights.h5"
    keras.applications.InceptionV3(
        include_top=False, weights=None, input_shape=(299, 299, 3),
        pooling="avg").save_weights(weights)
    assert cli.run(["evaluate", str(run_dir), "--num-samples", "8",
                    "--extractor", "inception", "--inception-weights",
                    str(weights)]) == 0
    assert "8 samples vs mnist_10k (test), inception features" in (
        capsys.readouterr().out)
    results = json.loads((run_dir / "evaluation.json").read_text())
    assert results["extractor"] == "inception"


def test_resume_continues_an_interrupted_run(tmp_path, monkeypatch,
                                            capsys):
    import keras_gan_losses as kgl

    out = tmp_path / "run"
    # One step per execution: the callbacks (and steps.csv) see each step.
    args = ["train", "--out", str(out), "--loss", "minimax", "--epochs",
            "3", "--steps-per-epoch", "2", "--steps-per-execution", "1",
            "--fid-samples", "0", *TINY]
    original = kgl.callbacks.SampleGrid.on_epoch_end

    def interrupt_in_epoch_two(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt
        return original(self, epoch, logs)

    monkeypatch.setattr(kgl.callbacks.SampleGrid, "on_epoch_end",
                        interrupt_in_epoch_two)
    assert cli.run(args) == 130
    assert not (out / "model.keras").exists()
    assert (out / "backup").is_dir()
    monkeypatch.setattr(kgl.callbacks.SampleGrid, "on_epoch_end", original)
    # A new run may not reuse the directory; --resume takes its settings.
    assert cli.run(args) == 2
    capsys.readouterr()
    assert cli.run(["train", "--resume", str(out), "--quiet"]) == 0
    rows = read_csv(out / "history.csv")
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    assert [row["step"] for row in rows] == ["2", "4", "6"]
    steps = read_csv(out / "steps.csv")
    d_loss = [int(r["step"]) for r in steps if r["name"] == "d_loss"]
    assert d_loss == [1, 2, 3, 4, 5, 6]
    assert (out / "model.keras").is_file()
    # The health report covers the whole run, not the resumed part.
    printed = capsys.readouterr().out
    assert "from its backup (after epoch 1 of 3)" in printed
    assert "Health: no problem found over 6 training steps." in printed
    assert json.loads((out / "health.json").read_text())["steps"] == 6
    # A finished run cannot be resumed.
    assert cli.run(["train", "--resume", str(out)]) == 2


def test_full_disk_while_finishing_names_the_file_and_keeps_the_backup(
        tmp_path, monkeypatch, capsys):
    import errno

    import keras_gan_losses as kgl

    out = tmp_path / "run"
    original = kgl.GAN.save

    def disk_full(self, filepath, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(kgl.GAN, "save", disk_full)
    assert cli.run(["train", "--out", str(out), "--epochs", "1",
                    "--steps-per-epoch", "2", "--fid-samples", "0",
                    *TINY]) == 2
    assert one_error_line(capsys) == (
        f"kgl: error: No space left on device while writing "
        f"{out / 'model.keras'}")
    assert not (out / "model.keras").exists()
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]
    assert (out / "backup").is_dir()
    monkeypatch.setattr(kgl.GAN, "save", original)
    assert cli.run(["train", "--resume", str(out), "--quiet"]) == 0
    assert "finishing it" in capsys.readouterr().out
    assert (out / "model.keras").is_file()
    assert not (out / "backup").exists()


# ----------------------------------------------------------------------
# errors: one line, status 2, nothing left behind


@pytest.mark.parametrize("args,message", [
    (["train", "--data", "./no/such/folder"], "No such file or folder"),
    (["sample", "/no/such/run"], "neither a run directory"),
    (["train", "--resume", "/no/such/run"], "no config.json"),
    (["evaluate", "/no/such/run"], "no model.keras"),
])
def test_bad_paths_give_one_clear_line(args, message, capsys):
    assert cli.run(args) == 2
    assert message in one_error_line(capsys)


def test_failed_set_up_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "odd"
    folder.mkdir()
    for i in range(20):  # 30×30: no DCGAN for that size
        Image.new("L", (30, 30), color=i * 10).save(folder / f"{i}.png")
    out = tmp_path / "run"
    args = ["train", "--data", str(folder), "--out", str(out), *TINY]
    assert cli.run(args) == 2
    assert "--image-size" in one_error_line(capsys)
    assert not out.exists()
    assert cli.run(args) == 2  # the same error, not "already holds a run"
    assert "already holds a run" not in one_error_line(capsys)


def digit_folder(folder, count=40):
    folder.mkdir()
    for i in range(count):
        Image.fromarray(
            np.full((28, 28), i * 6, np.uint8)).save(folder / f"{i:02d}.png")
    return folder


def test_truncated_png_is_named_and_leaves_nothing(tmp_path, capsys):
    folder = digit_folder(tmp_path / "digits")
    whole = (folder / "07.png").read_bytes()
    (folder / "07.png").write_bytes(whole[:len(whole) // 2])
    out = tmp_path / "run"
    assert cli.run(["train", "--data", str(folder), "--out", str(out),
                    "--epochs", "1", "--fid-samples", "0", *TINY]) == 2
    assert "07.png" in one_error_line(capsys)
    assert not out.exists()


def png_with_bad_pixel_data(path):
    """Rewrites a PNG so that its chunks and CRCs are valid (the file opens
    and passes PIL's verify) but its compressed pixel data is garbage, so
    decoding fails only when the pixels are read (during training)."""
    import struct
    import zlib

    data = path.read_bytes()
    start = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[start:start + 4])[0]
    garbage = bytes(range(7, 7 + length))
    chunk = b"IDAT" + garbage
    path.write_bytes(data[:start] + struct.pack(">I", length) + chunk
                     + struct.pack(">I", zlib.crc32(chunk))
                     + data[start + 12 + length:])


def test_undecodable_image_during_training_is_named(tmp_path, capsys):
    folder = digit_folder(tmp_path / "digits")
    png_with_bad_pixel_data(folder / "23.png")
    out = tmp_path / "run"
    assert cli.run(["train", "--data", str(folder), "--out", str(out),
                    "--epochs", "1", "--fid-samples", "0", "--batch-size",
                    "40", "--width", "8", "--latent-dim", "8", "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "cannot decode the image" in line and "23.png" in line
    assert not out.exists()


def test_corrupt_model_file_is_named(run_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((run_dir / "config.json")
                                        .read_text())
    model = broken / "model.keras"
    model.write_bytes((run_dir / "model.keras").read_bytes()[:5000])
    for command in (["sample", str(broken), "--out",
                     str(tmp_path / "g.png")],
                    ["evaluate", str(broken), "--num-samples", "50"]):
        assert cli.run(command) == 2
        line = one_error_line(capsys)
        assert f"cannot load {model}" in line
    assert not (tmp_path / "g.png").exists()


def test_offline_inception_says_how_to_work_offline(run_dir, monkeypatch,
                                                    capsys):
    def offline(*args, **kwargs):
        raise OSError("URL fetch failure: [Errno 101] Network is unreachable")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    assert cli.run(["evaluate", str(run_dir), "--extractor", "inception",
                    "--num-samples", "50"]) == 2
    line = one_error_line(capsys)
    assert "--inception-weights" in line and "offline" in line
    assert cli.run(["evaluate", str(run_dir), "--extractor", "inception",
                    "--inception-weights", "/no/such.h5"]) == 2
    assert "no such file" in one_error_line(capsys)


def test_sample_out_in_a_missing_folder(run_dir, capsys):
    assert cli.run(["sample", str(run_dir), "--out",
                    "no/such/folder/grid.png"]) == 2
    assert "does not exist" in one_error_line(capsys)


# ----------------------------------------------------------------------
# the parser


def test_bad_flags_are_rejected_by_argparse(capsys):
    for args, message in [
        (["train", "--loss", "nonsense"], "invalid choice: 'nonsense'"),
        (["train", "--epochs", "0"], "expected a positive int"),
        (["train", "--ema", "1.5"], "expected a decay in (0, 1)"),
        (["train", "--fid-samples", "-1"], "expected an int >= 0"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            cli.run(args)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_every_flag_has_help_text():
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    assert set(commands.choices) == {"train", "sample", "evaluate"}
    for name, sub in commands.choices.items():
        for action in sub._actions:
            assert action.help, f"kgl {name} {action.option_strings}"


def test_loss_choices_are_the_preset_names_in_order():
    # keras_gan_losses_cli keeps its own copy so that `kgl --help` need
    # not import the package; it must not drift from kgl.presets.
    import keras_gan_losses as kgl

    assert tuple(kgl.presets.PRESETS) == cli.LOSSES


def test_train_mmd_preset_and_reload(tmp_path):
    # The MMD GAN: a 16-feature critic, the MMD losses and the witness
    # penalty survive the saved model's compile config.
    out = tmp_path / "mmd"
    assert cli.run(["train", "--loss", "mmd", "--epochs", "1",
                    "--steps-per-epoch", "2", "--fid-samples", "0",
                    "--d-steps", "1", "--out", str(out), *TINY]) == 0
    gan = keras.models.load_model(out / "model.keras")
    assert tuple(gan.discriminator.output.shape) == (None, 16)
    assert type(gan.d_loss).__name__ == "MMDDiscriminatorLoss"
    assert gan.d_loss.kernel == "rational_quadratic"
    assert [p.name for p in gan.penalties] == ["witness_gradient_penalty"]
    assert gan.penalties[0].kernel == "rational_quadratic"
    # mnist_10k has labels, but the MMD critic has no conditional form.
    assert gan.num_classes is None
    history = read_csv(out / "history.csv")
    assert np.isfinite(float(history[-1]["witness_gradient_penalty"]))


def test_mmd_preset_is_unconditional(capsys):
    assert cli.run(["train", "--loss", "mmd", "--conditional", "--epochs",
                    "1", *TINY]) != 0
    assert "drop --conditional" in one_error_line(capsys)


def test_health_findings_print_as_kgl_warnings(capsys):
    import warnings

    import keras_gan_losses as kgl
    from keras_gan_losses.cli import commands

    # Other warnings go on to the usual handler (here pytest's recorder).
    with pytest.warns(UserWarning, match="something else") as caught:
        warnings.simplefilter("always")
        with commands.health_warnings_as_kgl_warnings():
            warnings.warn("[mode_collapse] The generator is collapsing.",
                          kgl.callbacks.TrainingHealthWarning, stacklevel=1)
            warnings.warn("something else", UserWarning, stacklevel=1)
    assert [w.category for w in caught] == [UserWarning]
    err = capsys.readouterr().err
    assert err == ("\nkgl: warning: [mode_collapse] The generator is "
                   "collapsing.\n")


def test_train_r3gan_presets_schedule_over_the_run(tmp_path):
    # R3GAN's recipe: its schedules span the run's 2 × 3 = 6 steps, the
    # EMA's half-life among them (`r3gan`; `relativistic_pairing` on the
    # DCGAN keeps no EMA), and `r3gan` trains its networks.
    import keras_gan_losses as kgl

    for loss, network in (("relativistic_pairing", "dcgan_generator"),
                          ("r3gan", "r3gan_generator")):
        out = tmp_path / loss
        assert cli.run(["train", "--loss", loss, "--epochs", "2",
                        "--steps-per-epoch", "3", "--fid-samples", "0",
                        "--unconditional", "--clusters", "0", "--out",
                        str(out), *TINY]) == 0
        gan = keras.models.load_model(out / "model.keras")
        assert gan.generator.name == network
        assert type(gan.d_loss).__name__ == \
            "RelativisticPairingDiscriminatorLoss"
        assert [p.name for p in gan.penalties] == ["r1_penalty",
                                                   "r2_penalty"]
        gamma = gan.penalties[0].weight
        assert isinstance(gamma, kgl.schedules.CosineSchedule)
        assert (gamma.initial_value, gamma.final_value,
                gamma.decay_steps) == pytest.approx((0.1, 0.01, 6))
        beta_2 = gan.g_optimizer._beta_2
        assert (beta_2.initial_value, beta_2.final_value) == \
            pytest.approx((0.9, 0.99))
        assert int(gan.g_optimizer.iterations) == 6
        ema = gan.ema_decay
        if loss == "relativistic_pairing":
            assert ema is None
            continue
        assert isinstance(ema, kgl.schedules.HalfLifeDecay)
        assert ema.batch_size == 16
        # Half-life at the end: a tenth of the run's 6 × 16 images.
        assert ema.half_life.final_value == pytest.approx(9.6)


@pytest.mark.parametrize("flags, dtype, warned", [
    # float16 on a CPU: slower than float32, whatever the CPU.
    ({"avx512_bf16"}, "float16", "float16 runs slower"),
    # bfloat16: emulated without bfloat16 instructions, native with them.
    ({"avx2", "avx512f"}, "bfloat16", "emulated"),
    ({"avx2", "avx512_bf16"}, "bfloat16", None),
    ({"amx_bf16"}, "bfloat16", None),
])
def test_mixed_precision_policy_and_its_cpu_warning(flags, dtype, warned,
                                                    monkeypatch, capsys):
    from keras_gan_losses.cli import commands

    monkeypatch.setattr(commands, "cpu_flags", lambda: set(flags))
    monkeypatch.setattr(commands.tf.config, "list_physical_devices",
                        lambda kind=None: [])
    try:
        commands.set_precision(dtype)
        assert keras.mixed_precision.global_policy().name == f"mixed_{dtype}"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    err = capsys.readouterr().err
    if warned is None:
        assert err == ""
    else:
        assert err.startswith("kgl: warning: --mixed-precision")
        assert warned in err


def test_mixed_precision_parses_as_before_and_with_a_type():
    parse = cli.build_parser().parse_args
    assert parse(["train"]).mixed_precision is None
    assert parse(["train", "--mixed-precision"]).mixed_precision == "float16"
    assert parse(["train", "--mixed-precision",
                  "bfloat16"]).mixed_precision == "bfloat16"


@pytest.mark.parametrize("gpus, asked, epoch, expected", [
    ([], None, 100, 1),          # a CPU: one step per execution
    (["GPU:0"], None, 100, 5),   # a GPU: 8, lowered to a divisor of 100
    (["GPU:0"], None, 96, 8),
    ([], 8, 96, 8),
    ([], 8, 937, 1),             # a prime epoch: no larger divisor
    ([], 4, None, 1),            # the epoch's length unknown
])
def test_steps_per_execution_default_and_divisor(gpus, asked, epoch,
                                                 expected, monkeypatch):
    import argparse

    from keras_gan_losses.cli import commands

    monkeypatch.setattr(commands.tf.config, "list_physical_devices",
                        lambda kind=None: list(gpus))
    args = argparse.Namespace(steps_per_execution=asked)
    assert commands.steps_per_execution(args, epoch) == expected
