"""`TrainingCurves`: per-step values from Keras's running means, the PNG,
and curves that continue across a resumed run."""

import numpy as np
import pytest
from PIL import Image

from keras_gan_losses.callbacks import TrainingCurves


def feed_epoch(callback, epoch, per_step, reported_batches, epoch_logs=None):
    """Calls the callback as Keras does: batch logs hold running means since
    the epoch's start, reported after the batches in `reported_batches`."""
    callback.on_epoch_begin(epoch)
    for batch in reported_batches:
        logs = {key: float(np.mean(values[:batch + 1]))
                for key, values in per_step.items()}
        callback.on_train_batch_end(batch, logs)
    logs = {key: float(np.mean(values)) for key, values in per_step.items()}
    logs.update(epoch_logs or {})
    callback.on_epoch_end(epoch, logs)


@pytest.fixture
def per_step():
    rng = np.random.default_rng(0)
    return {"d_loss": rng.normal(1.0, 0.3, 6),
            "g_loss": rng.normal(0.7, 0.2, 6),
            "d_real": rng.normal(size=6), "d_fake": rng.normal(size=6),
            "gp": rng.uniform(0, 2, 6)}


def test_recovers_every_step_from_running_means(tmp_path, per_step):
    curves = TrainingCurves(tmp_path / "curves.png")
    curves.on_train_begin()
    feed_epoch(curves, 0, per_step, range(6))
    other = {key: values[::-1] for key, values in per_step.items()}
    feed_epoch(curves, 1, other, range(6))
    for key in per_step:
        steps, values, _ = zip(*curves.records[key])
        assert list(steps) == list(range(1, 13))
        np.testing.assert_allclose(
            values, np.concatenate([per_step[key], other[key]]), rtol=1e-9)


def test_grouped_reports_give_the_mean_of_each_group(tmp_path, per_step):
    # steps_per_execution=2 (or 3): Keras reports after batches 1, 3, 5.
    curves = TrainingCurves(tmp_path / "curves.png")
    curves.on_train_begin()
    feed_epoch(curves, 0, per_step, [1, 4, 5])
    steps, values, _ = zip(*curves.records["gp"])
    assert list(steps) == [2, 5, 6]
    gp = per_step["gp"]
    np.testing.assert_allclose(
        values, [gp[:2].mean(), gp[2:5].mean(), gp[5]], rtol=1e-9)


def test_epoch_metrics_and_the_png(tmp_path, per_step):
    path = tmp_path / "out" / "curves.png"
    curves = TrainingCurves(path, title="test run")
    curves.on_train_begin()
    feed_epoch(curves, 0, per_step, range(6),
               {"fid": 80.0, "kid": 0.05, "kid_std": 0.01})
    feed_epoch(curves, 1, per_step, range(6))  # not evaluated
    feed_epoch(curves, 2, per_step, range(6),
               {"fid": 60.0, "kid": 0.03, "kid_std": 0.02})
    curves.on_train_end()
    assert curves.records["fid"] == [(6, 80.0, None), (18, 60.0, None)]
    assert curves.records["kid"] == [(6, 0.05, 0.01), (18, 0.03, 0.02)]
    assert "kid_std" not in curves.records
    titles = [title for title, _ in curves.panels()]
    assert titles == ["losses", "discriminator outputs (mean logits)",
                      "gp (penalty / other)", "FID", "KID"]
    image = np.asarray(Image.open(path).convert("L"), np.float64)
    assert image.shape[0] > 400 and image.shape[1] > 800
    assert image.std() > 10  # drawn, not blank
    assert not list(path.parent.glob("*.tmp*"))


def test_resumed_run_continues_the_curves(tmp_path, per_step):
    log = tmp_path / "steps.csv"
    first = TrainingCurves(tmp_path / "curves.png", log_path=log)
    first.on_train_begin()
    feed_epoch(first, 0, per_step, range(6), {"fid": 80.0})
    feed_epoch(first, 1, per_step, range(6))  # logged, but not backed up
    # BackupAndRestore restarts at epoch index 1 in a new process: the
    # rows of that epoch are dropped and written again.
    second = TrainingCurves(tmp_path / "curves.png", log_path=log)
    second.on_train_begin()
    other = {key: values + 1.0 for key, values in per_step.items()}
    feed_epoch(second, 1, other, range(6))
    steps, values, _ = zip(*second.records["d_loss"])
    assert list(steps) == list(range(1, 13))
    np.testing.assert_allclose(
        values, np.concatenate([per_step["d_loss"], other["d_loss"]]))
    assert second.records["fid"] == [(6, 80.0, None)]
    assert second.epoch_keys == {"fid"}
    rows = log.read_text().splitlines()
    assert rows[0] == "epoch,step,level,name,value,extra"
    epochs = sorted({int(row.split(",")[0]) for row in rows[1:]})
    assert epochs == [1, 2]
    assert len(rows) - 1 == 2 * 6 * len(per_step) + 1


def test_a_fresh_run_replaces_an_old_log(tmp_path, per_step):
    log = tmp_path / "steps.csv"
    old = TrainingCurves(tmp_path / "a.png", log_path=log)
    old.on_train_begin()
    feed_epoch(old, 0, per_step, range(6))
    new = TrainingCurves(tmp_path / "b.png", log_path=log)
    new.on_train_begin()
    feed_epoch(new, 0, {"d_loss": np.ones(2)}, range(2))
    assert [row.split(",")[3] for row in log.read_text().splitlines()[1:]] \
        == ["d_loss", "d_loss"]


def test_rejects_a_bad_period(tmp_path):
    with pytest.raises(ValueError, match="every_n_epochs"):
        TrainingCurves(tmp_path / "c.png", every_n_epochs=0)


def test_skipped_steps_are_counts_drawn_only_when_there_are_some(tmp_path,
                                                                 per_step):
    # `nonfinite_steps` is a count since the epoch began, not a mean.
    curves = TrainingCurves(tmp_path / "curves.png")
    curves.on_train_begin()
    clean = dict(per_step)
    curves.on_epoch_begin(0)
    for batch in range(6):
        logs = {key: float(np.mean(values[:batch + 1]))
                for key, values in clean.items()}
        curves.on_train_batch_end(batch, {**logs, "nonfinite_steps": 0.0})
    curves.on_epoch_end(0, {**logs, "nonfinite_steps": 0.0})
    assert "non-finite" not in " ".join(t for t, _ in curves.panels())
    # Epoch 2: steps 2 and 5 (of 6) skipped, reported in groups of 3.
    skipped = np.array([0, 1, 0, 0, 1, 0])
    curves.on_epoch_begin(1)
    for batch in (2, 5):
        logs = {key: float(np.mean(values[:batch + 1]))
                for key, values in clean.items()}
        logs["nonfinite_steps"] = float(skipped[:batch + 1].sum())
        curves.on_train_batch_end(batch, logs)
    curves.on_epoch_end(1, logs)
    steps, values, _ = zip(*curves.records["nonfinite_steps"])
    assert list(steps)[-2:] == [9, 12]
    assert np.cumsum(values)[-1] == 2.0
    assert list(values)[-2:] == [1.0, 1.0]
    assert ("steps skipped as non-finite (cumulative)", ["nonfinite_steps"]) \
        in curves.panels()
    curves.draw()
    assert (tmp_path / "curves.png").is_file()


def test_training_signals_are_grouped_into_panels(tmp_path):
    curves = TrainingCurves(tmp_path / "curves.png")
    for key in ("d_loss", "g_loss", "d_acc_real", "d_acc_fake",
                "d_grad_norm", "g_grad_norm", "diversity"):
        curves.records[key] = [(step, 0.5 + step, None)
                               for step in range(1, 5)]
    assert curves.panels() == [
        ("losses", ["d_loss", "g_loss"]),
        ("discriminator accuracy", ["d_acc_real", "d_acc_fake"]),
        ("gradient norms (log scale)", ["d_grad_norm", "g_grad_norm"]),
        ("diversity (generated / real)", ["diversity"]),
    ]
    curves.draw()
    assert (tmp_path / "curves.png").is_file()
