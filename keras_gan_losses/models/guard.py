"""The non-finite guard: steps with bad data or non-finite values update
nothing, are counted, and stop `fit` with a clear error when they persist.

The step functions of `GAN` (in graph) call `StepGuard.check` at each
point where something can go wrong: the batch (non-finite pixels, values
outside the expected range, out-of-range class labels) and each update
(its losses and gradients). Every replica takes the same decision: the
flags are summed over the replicas first. An update runs only while every
check of its step so far has passed (`backend.run_if`). The guard
records the current run of bad steps in variables, and `GuardMonitor`, a
callback that `GAN.fit` and `GAN.evaluate` add, turns them into a warning,
or an error, in Python.
"""

import warnings

import keras
import numpy as np
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.models import signals
from keras_gan_losses.models.data_checks import RANGE_SLACK
from keras_gan_losses.utils.scopes import GUARD
from keras_gan_losses.utils.scopes import name_scoped

#: Quantities the batch check looks at, in the order of their codes.
BATCH_QUANTITIES = ("data", "data_range", "labels")

_ADVICE = {
    "data": "the training data contains NaN or Inf values: check how it is "
            "loaded and scaled (e.g. np.isfinite(images).all()).",
    "d_loss": "lower the discriminator's learning rate, or add a gradient "
              "penalty (R1 or WGAN-GP) to keep its logits in check.",
    "g_loss": "lower the generator's learning rate; with the minimax loss, "
              "use 'non_saturating' instead.",
    "discriminator gradients": "lower the discriminator's learning rate, or "
                               "clip its gradients (e.g. Adam(clipnorm=1.0)).",
    "generator gradients": "lower the generator's learning rate, or clip its "
                           "gradients (e.g. Adam(clipnorm=1.0)).",
}


def _advice(what):
    """The advice for a non-finite `what`; a component of a combined loss
    (`g_loss_<name>`, `d_loss_<name>`) gets its slot's, anything else the
    discriminator's."""
    if what in _ADVICE:
        return _ADVICE[what]
    return _ADVICE["g_loss" if what.startswith("g_loss") else "d_loss"]


def _is_bad(value):
    """1.0 if `value` has a non-finite entry, else 0.0 (float32 scalar)."""
    value = ops.convert_to_tensor(value)
    if not keras.backend.is_float_dtype(
            keras.backend.standardize_dtype(value.dtype)):
        return ops.zeros(())
    return 1.0 - ops.cast(ops.all(ops.isfinite(value)), "float32")


def any_bad(values):
    """1.0 if any of the tensors in `values` has a non-finite entry."""
    values = [v for v in values if v is not None]
    if not values:
        return ops.zeros(())
    return ops.max(ops.stack([_is_bad(v) for v in values]))


def gradients_bad(grads, half_squared_norm=None):
    """1.0 if any gradient has a non-finite entry, as `any_bad`, at the
    cost of one sum of squares per tensor.

    The sums of squares are `signals.half_squared_norm`'s, which the
    gradient-norm signal reads too (`half_squared_norm`, if the caller
    has it). A NaN or Inf entry makes their total non-finite;
    only then (or when finite entries overflow it, beyond about 1.8e19)
    are the entries checked one by one, so a finite gradient, however
    large, is never reported as non-finite.
    """
    grads = [ops.cast(backend.dense(g), "float32") for g in grads
             if g is not None]
    if not grads:
        return ops.zeros(())
    total = (signals.half_squared_norm(grads) if half_squared_norm is None
             else half_squared_norm)
    return ops.cond(ops.isfinite(total), lambda: ops.zeros(()),
                    lambda: any_bad(grads))


class StepGuard:
    """In-graph state and checks of the non-finite guard.

    The records are kept in the graph, so that they hold however many
    steps run between two looks from Python (`steps_per_execution`): the
    first run of bad steps that began since `GuardMonitor` last looked,
    and the first run that reached `patience` steps, after which every
    step is skipped until `reset` (so that the weights stay those from
    before that run, as the monitor's error says).

    Args:
        quantities: Names of everything the guard checks, in the order the
            step checks them (their index is the code stored in `reason`).
        value_range: `(low, high)` the real images must lie in, or None.
        num_classes: For a conditional GAN, the number of classes.
        patience: Bad steps in a row that stop training, or None.
    """

    def __init__(self, quantities, value_range=None, num_classes=None,
                 patience=None):
        self.quantities = tuple(BATCH_QUANTITIES) + tuple(quantities)
        self.value_range = value_range
        self.num_classes = num_classes
        self.patience = patience

        def variable(value, dtype):
            # Written by the first replica only under `tf.distribute`.
            return keras.Variable(value, dtype=dtype, trainable=False,
                                  aggregation="only_first_replica")

        # The current run of consecutive bad training steps: its length,
        # the training step it began at and the code of its first bad
        # quantity (-1: none yet).
        self.run_length = variable(0, backend.counter_dtype())
        self.run_start = variable(-1, backend.counter_dtype())
        self.reason = variable(-1, "int32")
        # The first run that began since the monitor last looked (-1: none).
        self.new_run_start = variable(-1, backend.counter_dtype())
        self.new_run_reason = variable(-1, "int32")
        # The first run that reached `patience` steps (-1: none).
        self.tripped_start = variable(-1, backend.counter_dtype())
        self.tripped_reason = variable(-1, "int32")
        # What the last refused batch looked like, for the error message.
        self.batch_problem = variable(-1, "int32")
        self.batch_min = variable(0.0, "float32")
        self.batch_max = variable(0.0, "float32")
        self.bad_label = variable(0, backend.counter_dtype())

    @property
    def variables(self):
        """The records' variables (on JAX, part of the step's state)."""
        return [self.run_length, self.run_start, self.reason,
                self.new_run_start, self.new_run_reason, self.tripped_start,
                self.tripped_reason, self.batch_problem, self.batch_min,
                self.batch_max, self.bad_label]

    def code(self, name):
        return self.quantities.index(name)

    @name_scoped(GUARD)
    def check_batch(self, images, labels):
        """Checks a batch; returns `(ok, reason, labels, local_n, global_n)`.

        `labels` come back clipped into range, so that an out-of-range id
        cannot fail an embedding lookup before the guard reports it.
        `local_n` and `global_n` are this replica's and the global batch
        size, as float32.
        """
        local_n = ops.cast(ops.shape(images)[0], "float32")
        finite = ops.all(ops.isfinite(images))
        batch_min = ops.cast(ops.min(images), "float32")
        batch_max = ops.cast(ops.max(images), "float32")
        out_of_range = ops.convert_to_tensor(False)
        if self.value_range is not None:
            low, high = self.value_range
            slack = RANGE_SLACK * (high - low)
            # NaN compares false: a non-finite batch is reported as such.
            out_of_range = ops.logical_and(finite, ops.logical_or(
                batch_min < low - slack, batch_max > high + slack
            ))
        label_bad = ops.convert_to_tensor(False)
        bad_label = ops.convert_to_tensor(0, backend.counter_dtype())
        if labels is not None:
            outside = ops.logical_or(labels < 0, labels >= self.num_classes)
            label_bad = ops.any(outside)
            bad_label = ops.cast(
                ops.max(ops.where(outside, labels, -(1 << 31))),
                backend.counter_dtype())
            labels = ops.clip(labels, 0, self.num_classes - 1)
        flags = backend.all_reduce_sum(ops.stack([
            local_n,
            1.0 - ops.cast(finite, "float32"),
            ops.cast(out_of_range, "float32"),
            ops.cast(label_bad, "float32"),
        ]))
        global_n = flags[0]
        bad = flags[1:] > 0
        ok = ops.logical_not(ops.any(bad))
        reason = _first(bad, 0)
        problem = ops.logical_or(bad[1], bad[2])
        self.batch_problem.assign(ops.where(problem, reason, -1))
        self.batch_min.assign(
            ops.where(problem, batch_min, self.batch_min.value))
        self.batch_max.assign(
            ops.where(problem, batch_max, self.batch_max.value))
        self.bad_label.assign(
            ops.where(label_bad, bad_label, self.bad_label.value))
        return ok, reason, labels, local_n, global_n

    @name_scoped(GUARD)
    def check_update(self, losses, gradients_name=None, grads=None,
                     half_squared_norm=None):
        """Checks one update: its losses and its gradients.

        Args:
            losses: A dict of name → loss tensor.
            gradients_name: The name the gradients are reported under.
            grads: The update's gradients, or None not to check them (a
                `LossScaleOptimizer` skips non-finite gradients itself:
                they are how it finds its scale).
            half_squared_norm (Tensor | None): `signals.half_squared_norm`
                of `grads`, if the caller computed it already.

        Returns:
            `(ok, reason)`: scalar bool, the same on every replica, and the
            code of the first non-finite quantity (-1 if none).
        """
        flags = [_is_bad(loss) for loss in losses.values()]
        codes = [self.code(name) for name in losses]
        if grads is not None:
            flags.append(gradients_bad(grads, half_squared_norm))
            codes.append(self.code(gradients_name))
        bad = backend.all_reduce_sum(ops.stack(flags)) > 0
        return ops.logical_not(ops.any(bad)), _first(bad, codes)

    @name_scoped(GUARD)
    def tripped(self):
        """Whether a run of bad steps has reached `patience` (a scalar
        bool): the step must not update anything."""
        return self.tripped_start >= 0

    @name_scoped(GUARD)
    def record(self, ok, reason, step):
        """Extends or ends the run of bad steps after a training step."""
        bad = ops.logical_not(ok)
        starts = ops.logical_and(bad, ops.equal(self.run_length, 0))
        step = ops.cast(step, self.run_start.dtype)
        run_start = ops.where(starts, step, self.run_start.value)
        run_reason = ops.where(starts, reason, self.reason.value)
        run_length = ops.where(bad, self.run_length + 1, 0)
        self.run_start.assign(run_start)
        self.reason.assign(run_reason)
        self.run_length.assign(run_length)
        first_new = ops.logical_and(starts, self.new_run_start < 0)
        self.new_run_start.assign(
            ops.where(first_new, step, self.new_run_start.value))
        self.new_run_reason.assign(
            ops.where(first_new, reason, self.new_run_reason.value))
        if self.patience is not None:
            trips = ops.logical_and(run_length >= self.patience,
                                    self.tripped_start < 0)
            self.tripped_start.assign(
                ops.where(trips, run_start, self.tripped_start.value))
            self.tripped_reason.assign(
                ops.where(trips, run_reason, self.tripped_reason.value))

    def take_new_run(self):
        """`(start, reason code)` of the first run of bad steps that began
        since the last call (`(-1, -1)` if none), in Python."""
        start = int(self.new_run_start.numpy())
        code = int(self.new_run_reason.numpy())
        if start >= 0:
            self.new_run_start.assign(-1)
            self.new_run_reason.assign(-1)
        return start, code

    def reset(self):
        """Forgets every run (at the start of `fit`)."""
        for variable, value in ((self.run_length, 0), (self.run_start, -1),
                                (self.reason, -1), (self.new_run_start, -1),
                                (self.new_run_reason, -1),
                                (self.tripped_start, -1),
                                (self.tripped_reason, -1)):
            variable.assign(value)


def _first(bad, codes):
    """The code of the first true flag in `bad` (-1 if none).

    `codes` is a list of codes, one per flag, or an int offset added to
    the flag's index.
    """
    count = bad.shape[0]
    if isinstance(codes, int):
        codes = [codes + i for i in range(count)]
    codes = np.array(codes, np.int32)
    index = ops.argmax(ops.cast(bad, "int32"))
    return ops.where(ops.any(bad), ops.take(codes, index), -1)


def share_of_batch(local_n, global_n):
    """This replica's share of the global batch (1.0 with one replica).

    Keras's loss objects divide by the number of replicas, which is exact
    only when every replica holds as many examples; a partial last batch
    splits unevenly (down to empty replicas). Weighting each replica's
    mean by its share of the batch makes the sum over replicas the mean
    over the global batch in every case.
    """
    if backend.num_replicas() == 1:
        return None
    return ops.divide_no_nan(local_n, global_n)


def _as_count(value):
    return float(np.asarray(value).reshape(-1)[0])


class GuardMonitor(keras.callbacks.Callback):
    """Turns the guard's records into a warning or an error in Python.

    Added by `GAN.fit` and `GAN.evaluate`. A refused batch (values outside
    the expected range, out-of-range labels) raises a `ValueError` at once;
    a run of non-finite training steps warns once and, after `patience`
    steps in a row, raises a `FloatingPointError` naming where it began.
    It reads the guard's records after each call of the step function:
    with `steps_per_execution=N` that is every N steps, and the records
    (kept in the graph) hold what happened in between: the first run that
    began, and the run that reached `patience` (every later step of the
    execution is skipped, so the weights are still those from before it).
    """

    def __init__(self, gan, guard, patience):
        super().__init__()
        self.gan = gan
        self.guard = guard
        self.patience = patience
        self._epoch_starts = []
        self._seen = 0.0
        self._warned_run = None
        #: Each epoch's `nonfinite_steps`, for `History` (see `_hide`).
        self.epoch_counts = []

    def on_train_begin(self, logs=None):
        self._warned_run = None
        self._epoch_starts = []
        self.guard.reset()

    def on_epoch_begin(self, epoch, logs=None):
        step = int(self.gan.noise_state.numpy()[1])
        self._epoch_starts.append((epoch, step))
        self._seen = 0.0

    def on_epoch_end(self, epoch, logs=None):
        if logs and "nonfinite_steps" in logs:
            self.epoch_counts.append(_as_count(logs["nonfinite_steps"]))
        self._hide(logs)

    def on_train_batch_end(self, batch, logs=None):
        new = self._new_bad_steps(logs)
        self._hide(logs)
        if not new:
            return
        self._sync()
        self._raise_for_batch()
        start, code = self.guard.take_new_run()
        if start >= 0 and self._warned_run != start:
            self._warned_run = start
            what = self._what(code)
            warnings.warn(
                f"Non-finite {what} at {self._where(start)}: the step was "
                f"skipped (no weight or optimizer state changed). To fix: "
                f"{_advice(what)}",
                RuntimeWarning, stacklevel=2,
            )
        start = int(self.guard.tripped_start.numpy())
        if start >= 0:
            what = self._what(int(self.guard.tripped_reason.numpy()))
            raise FloatingPointError(
                f"Training stopped: {self.patience} steps in a row had "
                f"non-finite values, starting at {self._where(start)} with "
                f"non-finite {what}. The weights are those from before "
                f"that step. To fix: {_advice(what)}"
            )

    def on_test_begin(self, logs=None):
        self._seen = 0.0

    def on_test_batch_end(self, batch, logs=None):
        if self._new_bad_steps(logs):
            self._sync()
            self._raise_for_batch()

    def _sync(self):
        # On JAX, the step's state lives outside the variables during an
        # epoch: reading `model` writes it back (and has the next step
        # read what this callback assigns).
        if getattr(self, "_model", None) is not None:
            _ = self.model

    def _new_bad_steps(self, logs):
        count = (logs or {}).get("nonfinite_steps")
        if count is None:
            return False
        count = _as_count(count)
        new = count > self._seen
        self._seen = count
        return new

    @staticmethod
    def _hide(logs):
        """Drops a zero `nonfinite_steps` from the logs that Keras's
        progress bar and `History` see (they come after the callbacks
        given to `fit`, which see it all): the bar shows the count only
        when there is one. `GAN.fit` puts every epoch's count back into
        the returned history."""
        if logs and _as_count(logs.get("nonfinite_steps", 1)) == 0:
            del logs["nonfinite_steps"]

    def _raise_for_batch(self):
        problem = int(self.guard.batch_problem.numpy())
        if problem < 0:
            return
        name = self.guard.quantities[problem]
        self.guard.batch_problem.assign(-1)
        if name == "labels":
            raise ValueError(
                f"Class labels must be int ids in [0, "
                f"{self.guard.num_classes}); a batch holds the label "
                f"{int(self.guard.bad_label.numpy())}. Check the label "
                "column of the data or `num_classes`."
            )
        low, high = self.guard.value_range
        raise ValueError(
            f"The images have values in [{self.guard.batch_min.numpy():g}, "
            f"{self.guard.batch_max.numpy():g}], outside the generator's "
            f"output range [{low:g}, {high:g}]. Scale them to that range "
            "(`keras_gan_losses.data.load_images` does, or e.g. "
            "`x / 127.5 - 1` for [0, 255] images and a tanh generator), or "
            "pass `data_range=` to GAN() (None turns the check off)."
        )

    def _what(self, reason):
        if reason < 0:
            return "values"
        return self.guard.quantities[reason]

    def _where(self, step):
        found = None
        for epoch, start in self._epoch_starts:
            if start <= step:
                found = (epoch, start)
        if found is None:
            return f"training step {step + 1}"
        epoch, start = found
        return f"epoch {epoch + 1}, step {step - start + 1}"
