"""The values of the latest steps, recovered from Keras's running means."""

import numpy as np

#: Logged values that are counts over the epoch, not means.
COUNT_KEYS = ("nonfinite_steps",)


def as_float(value):
    """A logged value as a Python float (None if it is not a number)."""
    if value is None:
        return None
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError):
        return None


class StepValues:
    """Recovers per-step values from the running epoch means in the logs
    that `on_train_batch_end` receives.

    Keras logs, after each batch, the mean of each value over the epoch's
    steps so far. From two consecutive calls, after `p` and `n` steps,
    the mean of the `n - p` steps in between is `(n·mean_n − p·mean_p) /
    (n − p)` (exactly the step's value for one step); a count
    (`COUNT_KEYS`) is its difference instead.
    """

    def __init__(self):
        self.reset()

    def reset(self):
        """Starts an epoch: the running means start again."""
        self.done = 0
        self.means = {}

    def update(self, batch, logs):
        """Takes one `on_train_batch_end` call.

        Args:
            batch (int): The batch index Keras passes (0-based).
            logs (dict): The logs Keras passes.

        Returns:
            tuple[int, dict] | None: `(steps, values)`, the number of
            steps since the previous call and each key's value over
            them, or None when there is nothing new.
        """
        if not logs:
            return None
        done = batch + 1
        steps = done - self.done
        if steps < 1:
            return None
        means, values = {}, {}
        for key, value in logs.items():
            value = as_float(value)
            if value is None:
                continue
            means[key] = value
            old = self.means.get(key, 0.0) if self.done else 0.0
            if key in COUNT_KEYS:
                values[key] = value - old
            else:
                values[key] = (done * value - self.done * old) / steps
        self.done, self.means = done, means
        return steps, values

    def get_state(self):
        """The running means so far, JSON-ready (see `set_state`)."""
        return {"done": self.done, "means": dict(self.means)}

    def set_state(self, state):
        """Continues from `get_state()`'s result (a resumed epoch)."""
        self.done = int(state["done"])
        self.means = {k: float(v) for k, v in state["means"].items()}
