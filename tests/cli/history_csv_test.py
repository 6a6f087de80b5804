"""`HistoryCSV`: one row per epoch, continued by a resumed run."""

import csv

from keras_gan_losses.cli.history_csv import HistoryCSV


def rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_rows_continue_after_a_resume_with_the_batches_done(tmp_path):
    path = tmp_path / "history.csv"
    first = HistoryCSV(path)
    first.on_epoch_begin(0)
    for batch in range(5):
        first.on_train_batch_end(batch)
    first.on_epoch_end(0, {"d_loss": 0.5})
    first.on_epoch_begin(1)
    for batch in range(3):
        first.on_train_batch_end(batch)
    state = first.get_state()  # a backup after batch 3 of epoch 2
    assert state == {"epoch": 1, "batches": 3}

    # Resumed in epoch 2 after its 3rd batch: the epoch ends after 2 more
    # batches, or at once when none was left (a backup after its last).
    for more, step in ((2, 10), (0, 8)):
        resumed = HistoryCSV(path)
        resumed.set_state(state)
        resumed.on_epoch_begin(1)
        for batch in range(3, 3 + more):
            resumed.on_train_batch_end(batch)
        resumed.on_epoch_end(1, {"d_loss": 0.25})
        assert [(r["epoch"], r["step"], r["d_loss"]) for r in rows(path)] \
            == [("1", "5", "0.5"), ("2", str(step), "0.25")]
