"""The values a GAN logs, accumulated over an epoch in two vectors.

A `GAN` step logs 10 to 25 values (the losses and their terms, the
penalties, the logit means, the training signals, the count of skipped
steps). Kept in one `keras.metrics.Mean` each, they cost two variables
and about eight small ops per value and step; at a few microseconds per
op that was a visible part of a small network's step. `StepLogs` keeps
every value's running total and count in one pair of vectors instead:
the values a step adds are stacked and added with one segment sum, and
the logs are read back with one division. The semantics are `Mean`'s
(and `Sum`'s for counts): a value added with weight 0 (a skipped step)
changes nothing, whatever it is, NaN included.
"""

import keras
import numpy as np
from keras import ops

from keras_gan_losses.utils.scopes import LOGS
from keras_gan_losses.utils.scopes import name_scoped


class _Totals(keras.metrics.Metric):
    """The two vectors: each key's running total and count. Its variables
    are a Keras metric's (summed over replicas on read)."""

    def __init__(self, size, name="gan_logs"):
        super().__init__(name=name)
        self.totals = self.add_variable(shape=(size,), initializer="zeros",
                                        name="totals")
        self.counts = self.add_variable(shape=(size,), initializer="zeros",
                                        name="counts")

    def update_state(self, totals, counts):
        self.totals.assign_add(totals)
        self.counts.assign_add(counts)

    def reset_state(self):
        self.totals.assign(ops.zeros(self.totals.shape))
        self.counts.assign(ops.zeros(self.counts.shape))

    def result(self):
        return self.totals.value, self.counts.value


class LoggedValue(keras.metrics.Metric):
    """A read-only view of one logged value, for `GAN.metrics` (its name
    is the log key; `GAN.reset_metrics` resets them all at once)."""

    def __init__(self, logs, key):
        super().__init__(name=key)
        # Not tracked: the view owns no variables.
        object.__setattr__(self, "_logs", logs)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(
            f"{self.name!r} is updated by the GAN's steps, not directly."
        )

    def reset_state(self):
        """Nothing to reset here: see `StepLogs.reset`."""

    def result(self):
        return self._logs.result()[self.name]


class StepLogs:
    """Running means (and sums) of the values a GAN logs.

    During a step, `add` collects `(key, value, weight)` entries; `update`
    adds them all to the totals in a handful of ops; `result` gives each
    key's mean of the values added with weight 1 (or its total, for the
    keys in `sum_keys`).

    Args:
        keys (list[str]): The log keys, in the order they are reported.
        sum_keys (tuple[str]): Keys whose total, not mean, is reported
            (counts such as `nonfinite_steps`).
    """

    def __init__(self, keys, sum_keys=()):
        self.keys = tuple(keys)
        self._index = {key: i for i, key in enumerate(self.keys)}
        self._sum_mask = np.array([key in sum_keys for key in self.keys])
        self.metric = _Totals(len(self.keys))
        self.views = [LoggedValue(self, key) for key in self.keys]
        self._pending = []

    def add(self, key, value, ok=None, scale=1.0, finite_only=False):
        """Adds one value of this step (during tracing).

        Args:
            key (str): The log key.
            value (Tensor): A scalar.
            ok (Tensor | None): Scalar bool: whether the value counts (the
                step was not skipped). `None`: it always counts.
            scale (float): A factor for the value (e.g. the number of
                replicas, to un-scale a replica's contribution).
            finite_only (bool): Whether a non-finite value is left out
                (weight 0) rather than counted.
        """
        self._pending.append(
            (self._index[key], value, ok, float(scale), finite_only)
        )

    @name_scoped(LOGS)
    def update(self):
        """Adds the step's values to the totals (the step's last act)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        ids = [entry[0] for entry in pending]
        values = ops.stack([ops.reshape(ops.cast(entry[1], "float32"), ())
                            for entry in pending])
        scales = [entry[3] for entry in pending]
        if any(scale != 1.0 for scale in scales):
            values = values * np.array(scales, np.float32)
        weights = ops.stack([
            ops.ones(()) if ok is None else ops.cast(ok, "float32")
            for _, _, ok, _, _ in pending
        ])
        finite_only = [entry[4] for entry in pending]
        if any(finite_only):
            bad = ops.logical_and(np.array(finite_only),
                                  ops.logical_not(ops.isfinite(values)))
            weights = ops.where(bad, 0.0, weights)
        # A skipped value adds nothing, whatever it is (NaN included).
        values = ops.where(weights > 0.0, values, 0.0)
        size = len(self.keys)
        ids = np.array(ids, np.int32)
        self.metric.update_state(
            ops.segment_sum(values, ids, num_segments=size),
            ops.segment_sum(weights, ids, num_segments=size),
        )

    @name_scoped(LOGS)
    def result(self, exclude=()):
        """The logs: each key's mean (or total), a dict of scalars."""
        totals, counts = self.metric.result()
        values = ops.where(self._sum_mask, totals,
                           ops.divide_no_nan(totals, counts))
        return {key: value
                for key, value in zip(self.keys, ops.unstack(values))
                if key not in exclude}

    def reset(self):
        """Zeroes every total and count (at each epoch's start)."""
        self.metric.reset_state()
