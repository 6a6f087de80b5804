"""`GAN.compile` and what it sets up: losses, penalties, optimisers, the
step's state and logs, and the compile config saved with the model."""

import keras

from keras_gan_losses import backend
from keras_gan_losses import penalties as penalties_module
from keras_gan_losses.models import signals
from keras_gan_losses.models.adversarial import graph_output_activation
from keras_gan_losses.models.combined import feature_network
from keras_gan_losses.models.combined import needs_features
from keras_gan_losses.models.combined import resolve_slot
from keras_gan_losses.models.guard import StepGuard
from keras_gan_losses.models.step_logs import StepLogs
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.distribute import logs_for_reduction


def default_optimizer():
    """Adam(2e-4, beta_1=0.5), the DCGAN setting (Radford et al. 2015)."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def _as_list(weights):
    """Loss weights as a list of floats (None stays None)."""
    return None if weights is None else [float(w) for w in weights]


def _serialize(loss):
    """A loss object, or a list of them, serialized."""
    if isinstance(loss, (list, tuple)):
        return [keras.saving.serialize_keras_object(x) for x in loss]
    return keras.saving.serialize_keras_object(loss)


def _deserialize(config):
    if isinstance(config, (list, tuple)):
        return [keras.saving.deserialize_keras_object(x) for x in config]
    return keras.saving.deserialize_keras_object(config)


class GANCompile:
    """`GAN`'s `compile` and its compile config (a part of `GAN`; see there)."""

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        d_loss="non_saturating",
        g_loss="non_saturating",
        penalties=None,
        jit_compile="auto",
        run_eagerly=False,
        steps_per_execution=1,
        auto_scale_loss=True,
        nonfinite_patience=10,
        d_loss_weights=None,
        g_loss_weights=None,
        training_signals=True,
        **kwargs,
    ):
        """Configures the GAN for training.

        Args:
            d_optimizer (keras.Optimizer | str | dict | None): The
                discriminator's optimizer (instance, string or config). Defaults
                to `Adam(2e-4, beta_1=0.5)`.
            g_optimizer (keras.Optimizer | str | dict | None): The
                generator's optimizer, a different instance. Defaults to
                `Adam(2e-4, beta_1=0.5)`.
            d_loss (keras.Loss | str | list): Discriminator loss: a
                `keras_gan_losses.losses` object, a family name (`"minimax"`,
                `"non_saturating"`, `"least_squares"`, `"wasserstein"`,
                `"hinge"`, `"relativistic_average"`) or any `keras.losses.Loss`
                (applied as `loss(1, real) + loss(0, fake)`); or a list of
                them, combined as the sum weighted by `d_loss_weights`.
            g_loss (keras.Loss | str | list): Generator loss, same forms (a
                plain Keras loss is applied as `loss(1, fake)`), or
                `keras_gan_losses.losses.FeatureMatchingGeneratorLoss`
                (feature matching at a discriminator layer), alone or in a
                list.
            penalties (Penalty | str | list | None): Optional
                `keras_gan_losses.penalties` object or name, or a list of
                them, added to the discriminator's loss.
            jit_compile (bool | str): Whether to compile the steps with XLA, as
                in `keras.Model.compile`.
            run_eagerly (bool): Whether to run the steps eagerly (for
                debugging).
            steps_per_execution (int): Batches per `tf.function` call, as
                in Keras. Keras's `fit` loop costs about half a
                millisecond of Python per call (iterator, callbacks,
                logs): on a CPU step of a few tens of milliseconds 2 to 5
                per cent, on a GPU step of a few milliseconds much more;
                8 to 50 steps per call remove most of it. Keras runs whole
                calls, so `fit` refuses a `steps_per_epoch` that is not a
                multiple of it (Keras would train on to the next
                multiple). What it
                changes: callbacks' batch hooks (the progress bar,
                `TrainingCurves`, `TrainingMonitor`, `BackupAndRestore`'s
                `save_freq`) run once per call and see the last step's
                logs, the per-step curves become means over each call's
                steps, and a SIGTERM or Ctrl-C waits for the call to end.
                Epoch logs, the guard (its records hold inside a call,
                `nonfinite_patience` included) and the training itself are
                the same. `kgl train --steps-per-execution` sets it (by
                default 8 with a GPU, 1 on a CPU, lowered to a divisor of
                the epoch's steps). Must be 1 on the torch backend.
            auto_scale_loss (bool): Under the `"mixed_float16"` policy, wrap
                both optimizers in a Keras `LossScaleOptimizer`.
            nonfinite_patience (int | None): A training step whose data,
                losses or gradients are not finite updates nothing (no
                weight, no optimizer or EMA state) and is counted in the
                `nonfinite_steps` log, with a warning naming the first bad
                quantity. After this many such steps in a row `fit` stops
                with a `FloatingPointError` saying where they began. `None`
                never stops. (Under loss scaling, non-finite gradients are
                the `LossScaleOptimizer`'s to skip.)
            d_loss_weights (list[float] | None): For `d_loss` given as a
                list, one finite number per loss: `d_loss` is
                `sum(w_i * loss_i)`. Defaults to 1.0 each. With several
                losses, `fit` and `evaluate` log the weighted sum as
                `d_loss` and each weighted term as `d_loss_<name>`, `name`
                being the loss's `name` without its trailing
                `_discriminator_loss` (or `_loss`), e.g.
                `d_loss_minimax`, `d_loss_wasserstein`. A single loss (or a
                list of one) logs `d_loss` alone, as before.
            g_loss_weights (list[float] | None): The same for `g_loss`: the
                terms are logged as `g_loss_<name>`, e.g.
                `g_loss_non_saturating`, `g_loss_feature_matching`.
            training_signals (bool): Whether to log the training signals
                that `callbacks.TrainingMonitor` reads (see
                `keras_gan_losses.models.signals`): each network's
                gradient norm (`d_grad_norm`, `g_grad_norm`), the
                discriminator's accuracy on real and generated images
                (`d_acc_real`, `d_acc_fake`; `d_gap`, the logit gap, for
                losses without a decision threshold such as Wasserstein)
                and the generated batch's `diversity`. They cost about
                1 % of a step (see `benchmarks/RESULTS.md`); under a
                multi-replica strategy, one extra all-reduce of the
                gradients per update.
            **kwargs (dict): Refused: `keras.Model.compile` arguments such as
                `optimizer`, `loss` or `metrics` raise a `TypeError` naming
                the GAN's own arguments.

        Raises:
            TypeError: for a loss of the wrong role, loss weights that are
                not numbers, feature matching with a subclassed
                discriminator that has no `features` method, or a
                `keras.Model` argument (`optimizer`, `loss`, `metrics`) that
                a GAN does not take.
            ValueError: for a loss with `reduction=None`, the same optimizer
                twice, two penalties (or two losses of a slot) with the same
                log key, as many weights as losses not given, a
                non-finite weight, a feature-matching layer the
                discriminator does not have, or a Keras probability loss
                with `from_logits=False` for a discriminator that outputs
                logits.

        Example:

        ```python
        fm = keras_gan_losses.losses.FeatureMatchingGeneratorLoss("conv2")
        gan.compile(
            d_loss=["non_saturating", "wasserstein"],
            d_loss_weights=[1.0, 0.1],
            g_loss=["non_saturating", fm],
            g_loss_weights=[1.0, 1.0],
        )
        history = gan.fit(images, epochs=5)
        # logs: d_loss, d_loss_minimax, d_loss_wasserstein, g_loss,
        # g_loss_non_saturating, g_loss_feature_matching, d_real, d_fake
        ```
        """
        self._refuse_model_compile_arguments(kwargs)
        if backend.name() == "torch" and steps_per_execution != 1:
            raise ValueError(
                "steps_per_execution must be 1 on the torch backend: Keras "
                "runs PyTorch steps one by one (received "
                f"steps_per_execution={steps_per_execution!r})."
            )
        penalties = self._resolve_penalties(penalties)
        d_loss, g_loss = self._resolve_losses(
            d_loss, g_loss, d_loss_weights, g_loss_weights,
            [p.name for p in penalties],
        )
        d_optimizer, g_optimizer = self._resolve_optimizers(
            d_optimizer, g_optimizer, auto_scale_loss
        )
        super().compile(
            optimizer=None,
            jit_compile=jit_compile,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            auto_scale_loss=False,
        )
        self._jit_compile_arg = jit_compile
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # What Keras's JAX trainer carries as the optimizer's state: both
        # optimizers' variables (None on the other backends).
        self.optimizer = backend.optimizer_view(d_optimizer, g_optimizer)
        self.d_loss = d_loss
        self.g_loss = g_loss
        self.d_loss_weights = _as_list(d_loss_weights)
        self.g_loss_weights = _as_list(g_loss_weights)
        self.penalties = penalties
        if nonfinite_patience is not None:
            nonfinite_patience = positive_int(
                "nonfinite_patience", nonfinite_patience
            )
        self.nonfinite_patience = nonfinite_patience
        self.training_signals = bool(training_signals)
        self._build_training_state(
            [p.name for p in penalties], self._component_keys()
        )
        self._compiled_gan = True

    @staticmethod
    def _refuse_model_compile_arguments(kwargs):
        """Refuses `keras.Model.compile` arguments that a GAN does not take."""
        for key in ("optimizer", "loss", "metrics", "loss_weights",
                    "weighted_metrics"):
            if key in kwargs:
                raise TypeError(
                    f"GAN.compile() takes no `{key}` argument: use "
                    "`d_optimizer`/`g_optimizer`, `d_loss`/`g_loss` and "
                    "`penalties`."
                )
        if kwargs:
            raise TypeError(
                f"GAN.compile() got unexpected arguments: {sorted(kwargs)}"
            )

    @staticmethod
    def _resolve_penalties(penalties):
        """A list of `Penalty` objects, each with its own log key."""
        if penalties is None:
            penalties = []
        elif not isinstance(penalties, (list, tuple)):
            penalties = [penalties]
        penalties = [penalties_module.get(p) for p in penalties]
        names = [p.name for p in penalties]
        reserved = {"d_loss", "g_loss", "d_real", "d_fake", "nonfinite_steps",
                    *signals.SIGNAL_KEYS}
        for name in names:
            if names.count(name) > 1 or name in reserved:
                raise ValueError(
                    f"Each penalty needs its own log key, but {name!r} is "
                    "used twice (or is a reserved key). Pass `name=` to "
                    "tell them apart."
                )
        return penalties

    def _resolve_losses(self, d_loss, g_loss, d_loss_weights=None,
                        g_loss_weights=None, penalty_names=()):
        """The two slots' loss objects (one, or a list), with their terms
        in `_loss_terms` and the feature networks of feature matching in
        `_feature_networks`; see `models.combined.resolve_slot`."""
        activation = graph_output_activation(self.discriminator)
        d_loss, d_terms = resolve_slot("d_loss", d_loss, d_loss_weights,
                                       activation)
        g_loss, g_terms = resolve_slot("g_loss", g_loss, g_loss_weights,
                                       activation)
        keys = [t.key for t in d_terms + g_terms if t.key is not None]
        for key in set(keys) & set(penalty_names):
            raise ValueError(
                f"The log key {key!r} is both a loss's and a penalty's. "
                "Pass `name=` to one of them to tell them apart."
            )
        networks = {
            t.loss.layer: feature_network(self.discriminator, t.loss.layer)
            for t in g_terms if needs_features(t.loss)
        }
        # Plain attributes, not tracked: the feature models share the
        # discriminator's layers and must not add weights to the GAN.
        object.__setattr__(self, "_loss_terms",
                           {"d_loss": d_terms, "g_loss": g_terms})
        object.__setattr__(self, "_feature_networks", networks)
        return d_loss, g_loss

    def _component_keys(self, slot=None):
        """The log keys of the components of combined slots."""
        slots = (slot,) if slot else ("d_loss", "g_loss")
        return [t.key for name in slots for t in self._loss_terms[name]
                if t.key is not None]

    def _resolve_optimizers(self, d_optimizer, g_optimizer, auto_scale_loss):
        """Two distinct optimizers, wrapped in a `LossScaleOptimizer` under
        the `"mixed_float16"` policy when `auto_scale_loss`."""
        d_optimizer = keras.optimizers.get(d_optimizer) or default_optimizer()
        g_optimizer = keras.optimizers.get(g_optimizer) or default_optimizer()
        if d_optimizer is g_optimizer:
            raise ValueError(
                "`d_optimizer` and `g_optimizer` must be two different "
                "optimizer instances: each keeps state for its own network."
            )
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16":
            d_optimizer, g_optimizer = (
                opt if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (d_optimizer, g_optimizer)
            )
        return d_optimizer, g_optimizer

    def _build_training_state(self, penalty_names, component_keys=()):
        """Builds the optimizers, the trackers of the logged values and the
        non-finite step guard, in the strategy's scope."""
        with backend.strategy_scope(self):
            # Optimizer variables must exist before the first step, in the
            # strategy's scope, or MirroredStrategy fails on a placeholder.
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.g_optimizer.build(self.generator.trainable_variables)
            keys = ["d_loss", "g_loss", *penalty_names, *component_keys,
                    "d_real", "d_fake", "nonfinite_steps"]
            if self.training_signals:
                keys += signals.signal_keys(self.d_loss)
            self._step_logs = StepLogs(keys, sum_keys=("nonfinite_steps",))
            self._guard = StepGuard(
                ["d_loss", *penalty_names, "discriminator gradients",
                 "g_loss", "generator gradients", *component_keys],
                value_range=self.data_range,
                num_classes=self.num_classes,
                patience=self.nonfinite_patience,
            )
            # Penalties with state (LeCam's moving averages): model
            # variables, saved with the weights.
            state = []
            for penalty in self.penalties:
                if hasattr(penalty, "build"):
                    penalty.build()
                state += getattr(penalty, "variables", [])
            self._penalty_variables = state

    @property
    def metrics(self):
        """One read-only `keras.metrics.Metric` per logged value, in the
        order of the logs (see `models.step_logs`)."""
        logs = getattr(self, "_step_logs", None)
        return [] if logs is None else list(logs.views)

    @property
    def metrics_variables(self):
        """The variables of the logged values' running means (the views
        in `metrics` own none)."""
        logs = getattr(self, "_step_logs", None)
        if logs is None:
            return []
        # The guard's records ride with them where Keras's trainer carries
        # the state itself (JAX); on TensorFlow they are its own variables.
        records = ([] if backend.name() == "tensorflow"
                   else self._guard.variables)
        return list(logs.metric.variables) + records

    def reset_metrics(self):
        """Zeroes the running means of the logged values (Keras calls it
        at the start of every epoch and of every `evaluate`)."""
        logs = getattr(self, "_step_logs", None)
        if logs is not None:
            logs.reset()

    def _logs(self, exclude=()):
        """Adds this step's logged values and returns the logs."""
        self._step_logs.update()
        return logs_for_reduction(self._step_logs.result(exclude))

    def get_compile_config(self):
        """The `compile` arguments, serialized, for `.keras` files (`None`
        if the GAN was not compiled)."""
        if not self._compiled_gan:
            return None
        return {
            "d_optimizer": keras.saving.serialize_keras_object(
                self.d_optimizer
            ),
            "g_optimizer": keras.saving.serialize_keras_object(
                self.g_optimizer
            ),
            "d_loss": _serialize(self.d_loss),
            "g_loss": _serialize(self.g_loss),
            "d_loss_weights": self.d_loss_weights,
            "g_loss_weights": self.g_loss_weights,
            "penalties": [
                keras.saving.serialize_keras_object(p) for p in self.penalties
            ],
            "jit_compile": self._jit_compile_arg,
            "steps_per_execution": self.steps_per_execution,
            "nonfinite_patience": self.nonfinite_patience,
            "training_signals": self.training_signals,
        }

    def compile_from_config(self, config):
        """Compiles the GAN again from `get_compile_config()`'s result, when
        `keras.models.load_model` loads a `.keras` file."""
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer", "d_loss", "g_loss"):
            config[key] = _deserialize(config[key])
        config["penalties"] = [
            keras.saving.deserialize_keras_object(p)
            for p in config.get("penalties", [])
        ]
        self.compile(**config)

    def _check_compiled(self):
        if not self._compiled_gan:
            raise RuntimeError(
                "You must call `compile()` on the GAN before training or "
                "evaluating it."
            )
