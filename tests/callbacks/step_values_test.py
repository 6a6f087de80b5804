"""StepValues recovers each step's value from Keras's running means."""

import numpy as np
import pytest

from keras_gan_losses.callbacks.step_values import StepValues


def test_values_and_counts_of_each_interval():
    rng = np.random.default_rng(0)
    values = rng.normal(size=10)
    skipped = np.array([0, 0, 1, 0, 0, 1, 1, 0, 0, 0])
    recover = StepValues()
    seen, counts = [], []
    # Keras calls back after batches 0, 1, 3, 4, ... (some calls skipped,
    # e.g. with steps_per_execution), with the means so far.
    for batch in (0, 1, 3, 4, 5, 8, 9):
        logs = {"d_loss": values[:batch + 1].mean(),
                "nonfinite_steps": float(skipped[:batch + 1].sum()),
                "note": "not a number"}
        steps, got = recover.update(batch, logs)
        start = batch + 1 - steps
        seen.append((got["d_loss"], values[start:batch + 1].mean()))
        counts.append((got["nonfinite_steps"], skipped[start:batch + 1].sum()))
        assert "note" not in got
    for got, expected in seen + counts:
        assert got == pytest.approx(expected, abs=1e-12)
    assert recover.update(9, {"d_loss": 0.0}) is None  # nothing new
    recover.reset()
    assert recover.update(0, {"d_loss": 3.0})[1] == {"d_loss": 3.0}
