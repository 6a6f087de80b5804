"""`TrainingMonitor`: tells which classic GAN failure is happening, in
plain words, with the remedies."""

import collections
import dataclasses
import math
import os
import warnings

import keras
import numpy as np

from keras_gan_losses.callbacks.mode_coverage import ModeCoverage
from keras_gan_losses.callbacks.step_values import COUNT_KEYS
from keras_gan_losses.callbacks.step_values import StepValues
from keras_gan_losses.callbacks.step_values import as_float
from keras_gan_losses.utils import atomic
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.chief import is_chief

#: The findings, in the order they are checked.
FINDINGS = ("nonfinite", "diverging", "discriminator_overpowers",
            "mode_collapse", "mode_dropping", "stalled")
#: The findings after which putting earlier weights back makes sense.
RESTORABLE = ("diverging", "mode_collapse")
#: Findings whose condition can pass while training goes on.
_RECOVERABLE = ("discriminator_overpowers", "mode_collapse", "mode_dropping",
                "stalled")

#: Share of its peak below which a gradient norm counts as gone for a
#: stalled run (a discriminator that merely wins keeps more than that).
_STALL_SHARE = 1e-4
_NON_NEGATIVE_KEYS = ("d_grad_norm", "g_grad_norm", "diversity",
                      "d_acc_real", "d_acc_fake")

_REMEDIES = {
    "nonfinite": [
        "check the data for NaN or Inf values (np.isfinite(x).all()) and "
        "how it is scaled",
        "lower the learning rates, or clip the gradients "
        "(keras.optimizers.Adam(2e-4, beta_1=0.5, clipnorm=1.0))",
        "add a gradient penalty (penalties.R1Penalty or GradientPenalty) "
        "to keep the discriminator's logits in check",
    ],
    "diverging": [
        "lower the learning rates (the DCGAN setting is "
        "Adam(2e-4, beta_1=0.5))",
        "clip the gradients (Adam(..., clipnorm=1.0))",
        "add a gradient penalty (penalties.R1Penalty(10.0), or "
        "GradientPenalty with the Wasserstein loss) or spectral "
        "normalisation in the discriminator",
    ],
    "discriminator_overpowers": [
        "use the non-saturating generator loss (g_loss='non_saturating') "
        "instead of the saturating 'minimax' one, whose gradient vanishes "
        "where the discriminator is sure",
        "lower the discriminator's learning rate (or raise the "
        "generator's), or make the discriminator smaller",
        "add an R1 penalty (penalties.R1Penalty(10.0)) or one-sided label "
        "smoothing (losses.MinimaxDiscriminatorLoss(label_smoothing=0.1))",
    ],
    "mode_collapse": [
        "check that the generator's output depends on its latent input",
        "lower the learning rates, or train the discriminator more "
        "(d_steps=2 or more)",
        "use the Wasserstein loss with a gradient penalty (preset "
        "'wasserstein_gp'), or add an R1 penalty",
        "keep an EMA of the generator (GAN(..., ema_decay=0.999)) and "
        "compare its samples",
    ],
    "mode_dropping": [
        "use the relativistic pairing loss with R1 and R2 penalties "
        "(preset 'r3gan'), the objective R3GAN shows to cover every mode",
        "add a zero-centred gradient penalty (penalties.R1Penalty and "
        "R2Penalty) or LeCam regularisation (penalties.LeCamPenalty)",
        "train longer and compare: modes dropped early can come back (the "
        "finding then shows as recovered)",
    ],
    "stalled": [
        "make sure the discriminator ends in a linear layer (logits, no "
        "sigmoid or ReLU at the end) and uses leaky ReLUs inside, so "
        "that it cannot die",
        "check that the learning rates are not 0 and the networks' "
        "weights are trainable",
        "restart from an earlier checkpoint with lower learning rates",
    ],
}


class TrainingHealthWarning(UserWarning):
    """A `TrainingMonitor` finding: a GAN failure, with its remedies."""


@dataclasses.dataclass
class Finding:
    """One problem a `TrainingMonitor` found.

    Attributes:
        name (str): One of `FINDINGS`, e.g. `"mode_collapse"`.
        epoch (int): The epoch it was found in, counted from 1.
        step (int): The training step it was found at, counted from 1
            over all epochs.
        message (str): What is happening, in plain words.
        remedies (list[str]): What to try, most likely first.
        evidence (dict[str, float]): The signal values it rests on.
        action (str | None): What the monitor did: `"stopped"`,
            `"restored weights from step N"`, or None.
        recovered (bool): Whether training got over it: a
            discriminator that overpowered, a collapse or a stall that no
            longer showed over the last `window` steps of training.
    """

    name: str
    epoch: int
    step: int
    message: str
    remedies: list
    evidence: dict
    action: str = None
    recovered: bool = False

    def text(self):
        """The message, the remedies and the action, as one paragraph."""
        text = (f"{self.message} To fix: " + "; ".join(self.remedies)
                + ".")
        if self.action:
            text += f" The monitor {self.action}."
        return text

    def as_dict(self):
        """The finding as a JSON-ready dict."""
        return dataclasses.asdict(self)


class TrainingMonitor(keras.callbacks.Callback):
    """Watches a GAN's training signals and says which failure is
    happening, with what to do about it.

    It reads the signals that `GAN.fit` logs (see
    `GAN.compile(training_signals=True)`, the default) over a sliding
    window of training steps and reports, each at most once per training
    run:

    - `"nonfinite"`: steps had NaN or Inf data, losses or gradients (the
      GAN's guard skipped them: nothing non-finite reached the weights);
    - `"diverging"`: a network's gradient norm has grown `growth` times
      above the lowest it had, or the losses have (divergence, or an
      oscillation that keeps growing);
    - `"discriminator_overpowers"`: the discriminator classifies at least
      `accuracy` of both real and generated images correctly while the
      generator's gradient norm has fallen below `vanishing` of its peak
      (the signature of the saturating minimax loss); needs a loss with a
      decision threshold (not Wasserstein);
    - `"mode_collapse"`: the generated batches are spread out less than
      `collapse` times as much as the real ones (the `diversity` signal),
      or, with a `GANEvaluation(classifier=...)` placed before this
      callback, the `class_coverage` of the samples is below
      `coverage`;
    - `"mode_dropping"`, with a `classifier`: at the end of an epoch, the
      generator draws some modes (classes) less than a quarter as often
      as the data holds them, more of them than sampling noise explains
      (see `ModeCoverage`), in `coverage_patience` measurements in a row
      or at the end of training. Partial dropping leaves `diversity` near 1:
      without a classifier the monitor cannot see it, and its summary
      says so;
    - `"stalled"`: both networks' gradient norms have vanished (below
      1e-4 of their peak, or exactly 0), and the discriminator is not
      overpowering: neither network learns.

    A value is the median over the last `window` steps; nothing but
    `"nonfinite"` is reported in the first `warmup` steps. Each finding
    is issued as a `TrainingHealthWarning`, kept in `findings`, and,
    with `path`, written to a JSON file (by the chief worker only). With
    `stop_on` the monitor stops training after those findings; with
    `restore_on` (`"diverging"`, `"mode_collapse"`) it also puts back the
    weights (and optimizer states) saved two healthy windows before.
    Every worker of a multi-worker job takes the same decisions (the
    logged signals are global). With a `BackupAndRestore` in the same
    `GAN.fit`, the monitor's state (its windows, references, findings and
    step count) is part of each backup: a resumed run reports on the
    whole run's steps and finds what the uninterrupted one would.

    Args:
        window (int): Steps the medians are taken over. Defaults to 50.
        warmup (int): Steps before anything but non-finite values is
            reported. Defaults to 100.
        path (str | None): Optional JSON file (e.g. `"run/health.json"`)
            rewritten at each finding and at the end of training.
        stop_on (tuple[str, ...] | str): Findings after which training
            stops, or `"all"`. Defaults to none.
        restore_on (tuple[str, ...]): Findings (`"diverging"`,
            `"mode_collapse"`) after which the last good weights are put
            back (training stops too). Defaults to none.
        accuracy (float): Discriminator accuracy on both real and
            generated images above which it counts as overpowering.
            Defaults to 0.95.
        vanishing (float): Share of its peak below which a gradient norm
            counts as vanished. Defaults to 0.1.
        growth (float): Growth of a gradient norm (or of the losses) over
            its lowest median that counts as divergence. Defaults to 100.
        collapse (float): `diversity` below which the generator counts as
            collapsed. Defaults to 0.05.
        coverage (float): `class_coverage` below which the generator
            counts as collapsed. Defaults to 0.5.
        classifier (str | keras.Model | None): What tells the modes
            apart, to see modes dropped one by one: `"mnist"` (the
            shipped MNIST classifier, channel by channel: 10 modes for
            28×28×1 images, StackedMNIST's 1,000 for 28×28×3) or a model
            mapping images to class probabilities. Defaults to None.
        reference (np.ndarray | None): The data's modes, for the
            classifier: its int labels, or real images (classified too).
            Defaults to equal shares.
        coverage_samples (int | None): Samples per measurement (see
            `ModeCoverage`).
        coverage_every (int): Epochs between measurements. Defaults to 1.
        coverage_patience (int): Measurements in a row that must show
            modes dropped for a finding (or the last one of training).
            Defaults to 3: generators under-draw some modes while they
            learn.

    Attributes:
        findings (list[Finding]): What was found, in order.
        steps (int): Training steps seen.
        coverage_history (list[dict]): With a classifier, each
            measurement (`ModeCoverage`'s fields, the epoch and step).

    Raises:
        ValueError: for an unknown finding name in `stop_on` or
            `restore_on`, or a threshold out of range.

    Example:

    ```python
    monitor = keras_gan_losses.callbacks.TrainingMonitor(
        path="run/health.json", restore_on=("diverging",))
    gan.fit(dataset, epochs=20, callbacks=[monitor])
    print(monitor.summary())
    ```
    """

    def __init__(self, window=50, warmup=100, path=None, stop_on=(),
                 restore_on=(), accuracy=0.95, vanishing=0.1, growth=100.0,
                 collapse=0.05, coverage=0.5, classifier=None,
                 reference=None, coverage_samples=None, coverage_every=1,
                 coverage_patience=3):
        super().__init__()
        self.mode_coverage = None if classifier is None else ModeCoverage(
            classifier, reference, coverage_samples)
        self.coverage_every = positive_int("coverage_every", coverage_every)
        self.coverage_patience = positive_int("coverage_patience",
                                              coverage_patience)
        self.coverage_history = []
        self.window = positive_int("window", window)
        if isinstance(warmup, bool) or not isinstance(warmup, int) or (
            warmup < 0
        ):
            raise ValueError(
                f"`warmup` must be a non-negative int. Received: {warmup!r}"
            )
        self.warmup = warmup
        self.path = None if path is None else os.fspath(path)
        if stop_on == "all":
            stop_on = FINDINGS
        self.stop_on = _names("stop_on", stop_on, FINDINGS)
        self.restore_on = _names("restore_on", restore_on, RESTORABLE)
        self.accuracy = _fraction("accuracy", accuracy)
        self.vanishing = _fraction("vanishing", vanishing)
        self.collapse = _fraction("collapse", collapse)
        self.coverage = _fraction("coverage", coverage)
        growth = float(growth)
        if not growth > 1.0:
            raise ValueError(f"`growth` must be > 1. Received: {growth}")
        self.growth = growth
        self.findings = []
        self.steps = 0
        self._stride = max(1, self.window // 10)
        self._reset()

    def _reset(self):
        self._values = collections.defaultdict(
            lambda: collections.deque(maxlen=self.window)
        )
        self._peak = {}
        self._low = {}
        self._step_values = StepValues()
        self._epoch = 0
        self._snapshots = collections.deque(maxlen=2)
        self._last_coverage = None
        self._resumed_epoch = None

    # ------------------------------------------------------------------
    # the state a backup keeps

    def get_state(self):
        """Everything the monitor has seen, for `BackupAndRestore`: a
        resumed run then reports on the whole run's steps and finds what
        the uninterrupted one would have."""
        return {
            "steps": self.steps,
            "epoch": self._epoch,
            "findings": [f.as_dict() for f in self.findings],
            "values": {k: list(v) for k, v in self._values.items()},
            "peak": dict(self._peak),
            "low": dict(self._low),
            "last_coverage": self._last_coverage,
            "coverage_history": [dict(c) for c in self.coverage_history],
            "step_values": self._step_values.get_state(),
            "snapshots": [[step, weights] for step, weights in
                          self._snapshots],
        }

    def set_state(self, state):
        """Continues from `get_state()`'s result (called after
        `on_train_begin`)."""
        self._reset()
        self.steps = int(state["steps"])
        self._epoch = int(state["epoch"])
        self.findings = [Finding(**f) for f in state["findings"]]
        for key, values in state["values"].items():
            self._values[key].extend(float(v) for v in values)
        self._peak = {k: float(v) for k, v in state["peak"].items()}
        self._low = {k: float(v) for k, v in state["low"].items()}
        self._last_coverage = state["last_coverage"]
        # (Backups written before mode coverage was measured have none.)
        self.coverage_history = [dict(c) for c in
                                 state.get("coverage_history", [])]
        self._snapshots.extend((int(step), list(weights))
                               for step, weights in state["snapshots"])
        # Mid-epoch, the running means go on in the epoch resumed.
        self._resumed_epoch = (self._epoch, state["step_values"])

    # ------------------------------------------------------------------
    # reading the logs

    def on_train_begin(self, logs=None):
        self.findings = []
        self.steps = 0
        self.coverage_history = []
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self._step_values.reset()
        if self._resumed_epoch is not None and \
                self._resumed_epoch[0] == epoch:
            self._step_values.set_state(self._resumed_epoch[1])
        self._resumed_epoch = None
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        update = self._step_values.update(batch, logs)
        if update is None:
            return
        count, values = update
        bad = values.get("nonfinite_steps", 0.0)
        self.steps += count
        if bad > 0:
            # The guard skipped the step(s): their signals were not logged.
            self._report_nonfinite(bad)
        else:
            for key, value in values.items():
                if key in COUNT_KEYS:
                    continue
                if key in _NON_NEGATIVE_KEYS:
                    # Running means of values ~0 can come back as -1e-5.
                    value = max(value, 0.0)
                # Once per step: under `steps_per_execution` the windows
                # still span `window` steps (of the group's mean).
                self._values[key].extend([value] * count)
        if self.steps == count and self._values["d_loss"]:
            # The first discriminator loss comes before any update: a run
            # that diverges at once has grown from it. (The generator's
            # first loss already follows an update of the discriminator.)
            self._low["loss"] = 2.0 * abs(self._values["d_loss"][-1])
        # Every `_stride` steps, or at the first call past such a step.
        if self.steps // self._stride > (self.steps - count) // self._stride:
            self._update_references()
            if self.steps >= max(self.warmup, self.window):
                self.check()

    def on_epoch_end(self, epoch, logs=None):
        if self.mode_coverage is not None and \
                (epoch + 1) % self.coverage_every == 0:
            self._measure_coverage(epoch)
        coverage = as_float((logs or {}).get("class_coverage"))
        if coverage is not None:
            self._last_coverage = coverage
        if coverage is not None and coverage < self.coverage and \
                self.steps >= self.warmup:
            self._report(
                "mode_collapse",
                f"The generator may be collapsing: a classifier finds only "
                f"{coverage:.2f} class coverage in its samples (1 when "
                f"every class is generated equally often, 1/K when one "
                f"class is).",
                {"class_coverage": coverage},
            )

    def _measure_coverage(self, epoch):
        result = self.mode_coverage.measure(self.model)
        self.coverage_history.append(
            {"epoch": epoch + 1, "step": self.steps, **result.as_dict()})
        # Generators under-draw some modes while they learn: only a
        # dropping that lasts `coverage_patience` measurements (or is
        # there at the end of training) is a finding.
        recent = self.coverage_history[-self.coverage_patience:]
        if len(recent) == self.coverage_patience and all(
            c["dropping"] and c["step"] >= self.warmup for c in recent
        ):
            self._report_dropping(result)

    def _report_dropping(self, result):
        shown = ", ".join(str(m) for m in result.dropped[:10])
        more = "" if len(result.dropped) <= 10 else ", ..."
        self._report(
            "mode_dropping",
            f"The generator is dropping modes: it draws {len(result.dropped)}"
            f" of the data's {result.num_modes} modes less than a quarter "
            f"as often as the data holds them (modes {shown}{more}; "
            f"{result.samples} samples, where chance alone would drop "
            f"about {result.expected_dropped:.1f}), and "
            f"{result.num_modes - result.covered} not at all. The batches "
            f"still look varied, so the `diversity` signal does not show "
            f"it.",
            {"dropped": len(result.dropped), "covered": result.covered,
             "num_modes": result.num_modes, "kl": result.kl,
             "expected_dropped": result.expected_dropped},
        )

    def on_train_end(self, logs=None):
        last = self.coverage_history[-1] if self.coverage_history else None
        if last is not None and last["dropping"] and \
                last["step"] >= self.warmup:
            self._report_dropping(
                self.mode_coverage.result_from(last))
        self._mark_recovered()
        self.write()

    def _mark_recovered(self):
        """Marks the findings that no longer show at the end of training:
        an early collapse the generator grew out of is not the run's
        state."""
        if self._diverged() or self.steps < max(self.warmup, self.window):
            return
        showing = set(self.check(report=False))
        coverage = self._last_coverage
        if coverage is not None and coverage < self.coverage:
            showing.add("mode_collapse")
        if self.coverage_history and self.coverage_history[-1]["dropping"]:
            showing.add("mode_dropping")
        for finding in self.findings:
            finding.recovered = (finding.name in _RECOVERABLE
                                 and finding.action is None
                                 and finding.name not in showing)

    # ------------------------------------------------------------------
    # the detectors

    def median(self, key, last=None):
        """The median of `key` over the last `window` steps (or `last`
        steps); None if it was not logged for that many steps, inf if
        most of those values are not finite."""
        last = last or self.window
        values = self._values.get(key)
        if not values or len(values) < last:
            return None
        values = list(values)[-last:]
        finite = [v for v in values if math.isfinite(v)]
        if len(finite) < len(values) // 2 + 1:
            return math.inf
        return float(np.median(finite))

    def check(self, report=True):
        """Runs the detectors on the current window (called every
        `window // 10` steps after the warm-up); returns the names of
        the failures that show now, reported or not (`report=False`
        only looks: no finding, warning or weight snapshot)."""
        now = {key: self.median(key) for key in
               ("d_grad_norm", "g_grad_norm", "d_acc_real", "d_acc_fake",
                "diversity", "d_loss", "g_loss")}
        if self._diverged():
            return []
        failures = {"discriminator_overpowers": self._overpowering(now)}
        if now["diversity"] is not None and now["diversity"] < self.collapse:
            failures["mode_collapse"] = (
                f"The generator is collapsing: its batches are spread out "
                f"{now['diversity']:.2f} times as much as the real ones "
                f"(the `diversity` signal, median over the last "
                f"{self.window} steps; about 1 for a generator as varied "
                f"as the data): it makes nearly the same image whatever "
                f"its input.",
                {"diversity": now["diversity"]},
            )
        if not failures["discriminator_overpowers"]:
            failures["stalled"] = self._stalled(now)
        showing = [name for name, failure in failures.items() if failure]
        if not report:
            return showing
        for name in showing:
            self._report(name, *failures[name])
        if not showing and self.restore_on and \
                self.steps % self.window == 0:
            self._snapshots.append((self.steps, self._weights()))
        return showing

    def _update_references(self, last=None):
        """The lowest and highest levels of the gradient norms and the
        losses so far: medians over the last `window // 10` steps (at
        least 3), taken every `window // 10` steps from the first."""
        last = last or max(3, self._stride)
        recent = {key: self.median(key, last) for key in
                  ("d_grad_norm", "g_grad_norm", "d_loss", "g_loss")}
        recent["loss"] = _loss(recent)
        if not self._diverged():
            diverging = self._diverging(recent, last)
            if diverging:
                self._report("diverging", *diverging)
        for key in ("d_grad_norm", "g_grad_norm", "loss"):
            value = recent[key]
            if value is None or not math.isfinite(value):
                continue
            self._low[key] = min(self._low.get(key, math.inf), value)
            self._peak[key] = max(self._peak.get(key, 0.0), value)

    def _diverged(self):
        # What follows a divergence is its consequence, not news.
        return any(f.name == "diverging" for f in self.findings)

    def _diverging(self, now, last):
        loss = now["loss"]
        for key, name in (("d_grad_norm", "discriminator's"),
                          ("g_grad_norm", "generator's")):
            value, low = now[key], self._low.get(key)
            if value is None or low is None:
                continue
            # Below 1e-3 a gradient norm is as good as vanished: growth
            # from there is not divergence (and float noise is not growth).
            if not math.isfinite(value) or value > self.growth * max(
                low, 1e-3
            ):
                return (
                    f"Training is diverging: the {name} gradient norm has "
                    f"grown from {low:.3g} to {value:.3g} (medians over "
                    f"{last} steps), more than {self.growth:g} times.",
                    {key: value, f"lowest_{key}": low},
                )
        low = self._low.get("loss")
        if loss is not None and low is not None and (
            not math.isfinite(loss) or loss > self.growth * max(low, 1.0)
        ):
            return (
                f"Training is diverging: |d_loss| + |g_loss| has grown "
                f"from {low:.3g} to {loss:.3g} (medians over {last} "
                f"steps), more than {self.growth:g} times.",
                {"loss": loss, "lowest_loss": low},
            )
        return None

    def _overpowering(self, now):
        real, fake, g_norm = now["d_acc_real"], now["d_acc_fake"], \
            now["g_grad_norm"]
        peak = self._peak.get("g_grad_norm")
        if None in (real, fake, g_norm, peak):
            return None
        if min(real, fake) < self.accuracy or g_norm > self.vanishing * peak:
            return None
        return (
            f"The discriminator is overpowering the generator: it "
            f"classifies {real:.0%} of real and {fake:.0%} of generated "
            f"images correctly (medians over the last {self.window} "
            f"steps), and the generator's gradient norm has fallen to "
            f"{g_norm:.3g}, {g_norm / peak:.1%} of its peak {peak:.3g}: "
            f"the generator gets almost no signal to learn from.",
            {"d_acc_real": real, "d_acc_fake": fake, "g_grad_norm": g_norm,
             "peak_g_grad_norm": peak},
        )

    def _stalled(self, now):
        norms = {key: now[key] for key in ("d_grad_norm", "g_grad_norm")}
        if None in norms.values():
            return None
        for key, value in norms.items():
            peak = self._peak.get(key, 0.0)
            if value > max(_STALL_SHARE * peak, 1e-12):
                return None
        return (
            f"Training has stalled: both networks' gradient norms have "
            f"vanished (discriminator {norms['d_grad_norm']:.3g}, "
            f"generator {norms['g_grad_norm']:.3g}, medians over the last "
            f"{self.window} steps): neither network is learning. (Losses "
            f"that stay level are normal for a GAN; gradients of 0 are "
            f"not.)",
            norms,
        )

    # ------------------------------------------------------------------
    # reporting and actions

    def _report_nonfinite(self, count):
        if any(f.name == "nonfinite" for f in self.findings):
            return
        what = _nonfinite_quantity(self.model)
        self._report(
            "nonfinite",
            f"Training step {self.steps} had non-finite values (NaN or "
            f"Inf) in {what}. The guard skipped the step: nothing "
            f"non-finite reached the weights or the optimizer states (the "
            f"`nonfinite_steps` log counts such steps).",
            {"nonfinite_steps": count},
        )

    def _report(self, name, message, evidence):
        if any(f.name == name for f in self.findings):
            return
        finding = Finding(name, self._epoch + 1, self.steps, message,
                          list(_REMEDIES[name]),
                          {k: float(v) for k, v in evidence.items()})
        if name in self.restore_on and self._snapshots:
            step, weights = self._snapshots[0]
            self._set_weights(weights)
            finding.action = (f"restored the weights from step {step} and "
                              f"stopped training")
            self.model.stop_training = True
        elif name in self.stop_on or name in self.restore_on:
            finding.action = "stopped training"
            self.model.stop_training = True
        self.findings.append(finding)
        warnings.warn(f"[{name}] {finding.text()}", TrainingHealthWarning,
                      stacklevel=2)
        self.write()

    def _variables(self):
        model = self.model
        variables = list(model.weights)
        for attribute in ("d_optimizer", "g_optimizer"):
            optimizer = getattr(model, attribute, None)
            if optimizer is not None:
                variables += list(optimizer.variables)
        return variables

    def _weights(self):
        return [np.array(v.numpy(), copy=True) for v in self._variables()]

    def _set_weights(self, weights):
        for variable, value in zip(self._variables(), weights):
            variable.assign(value)

    def report(self):
        """The findings and the signals' latest medians, as a dict."""
        signals = {}
        for key in ("d_acc_real", "d_acc_fake", "d_gap", "d_grad_norm",
                    "g_grad_norm", "diversity"):
            value = self.median(key)
            if value is not None:
                signals[key] = value
        return {
            "healthy": not self._unresolved(),
            "steps": self.steps,
            "findings": [f.as_dict() for f in self.findings],
            "signals": signals,
            "coverage": self.coverage_history,
            "summary": self.summary(),
        }

    def _unresolved(self):
        return [f for f in self.findings if not f.recovered]

    def summary(self):
        """One line: no problem found, or the findings and their steps
        (those training recovered from apart); with a classifier, the
        modes of the last measurement, and without one, what the monitor
        cannot see."""
        return self._findings_summary() + self._coverage_summary()

    def _findings_summary(self):
        if not self.findings:
            return (f"Health: no problem found over {self.steps} training "
                    "steps.")
        unresolved = self._unresolved()
        recovered = "; ".join(
            f"{f.name} at epoch {f.epoch}, step {f.step}"
            for f in self.findings if f.recovered)
        if not unresolved:
            return (f"Health: no problem at the end of {self.steps} "
                    f"training steps (recovered from: {recovered}).")
        parts = [f"{f.name} (epoch {f.epoch}, step {f.step})"
                 for f in unresolved]
        return (f"Health: {len(parts)} problem(s) found: "
                + ", ".join(parts)
                + (f" (recovered from: {recovered})" if recovered else "")
                + ".")

    def _coverage_summary(self):
        if self.mode_coverage is None:
            return (" Without a classifier it sees total collapse only, "
                    "not modes dropped one by one.")
        if not self.coverage_history:
            return ""
        last = self.coverage_history[-1]
        return (f" Modes at the end: {last['covered']} of "
                f"{last['num_modes']} drawn, {len(last['dropped'])} "
                f"dropped (drawn less than a quarter as often as in the "
                f"data, or never).")

    def write(self):
        """Writes `report()` to `path` (chief only; nothing without a
        path)."""
        if self.path is None or not is_chief():
            return
        atomic.write_json(self.path, self.report())


def _loss(medians):
    if medians["d_loss"] is None or medians["g_loss"] is None:
        return None
    return abs(medians["d_loss"]) + abs(medians["g_loss"])


def _nonfinite_quantity(model):
    """The first non-finite quantity the GAN's guard recorded."""
    guard = getattr(model, "_guard", None)
    if guard is None:
        return "the data, losses or gradients"
    reason = int(guard.reason.numpy())
    if reason < 0:
        return "the data, losses or gradients"
    name = guard.quantities[reason]
    return "the training data" if name == "data" else f"the {name}"


def _names(argument, names, allowed):
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(
            f"`{argument}` takes names from {list(allowed)}. Received: "
            f"{unknown}"
        )
    return names


def _fraction(name, value):
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"`{name}` must be in (0, 1). Received: {value}")
    return value


