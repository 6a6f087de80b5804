"""`GAN`: a `keras.Model` that trains a generator and a discriminator."""

import inspect

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_gan_losses import penalties as penalties_module
from keras_gan_losses import schedules
from keras_gan_losses.augmentation import DiffAugment
from keras_gan_losses.export.saved_model import export_generator
from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.models import data_checks
from keras_gan_losses.models import random_states
from keras_gan_losses.models import resume
from keras_gan_losses.models import shape_checks
from keras_gan_losses.models import signals
from keras_gan_losses.models.adversarial import adversarial_loss
from keras_gan_losses.models.adversarial import graph_output_activation
from keras_gan_losses.models.combined import feature_network
from keras_gan_losses.models.combined import needs_features
from keras_gan_losses.models.combined import resolve_slot
from keras_gan_losses.models.ema import clone_generator
from keras_gan_losses.models.ema import update_ema
from keras_gan_losses.models.empty_replicas import OnAtLeastOneExample
from keras_gan_losses.models.guard import GuardMonitor
from keras_gan_losses.models.guard import StepGuard
from keras_gan_losses.models.guard import share_of_batch
from keras_gan_losses.models.step_logs import StepLogs
from keras_gan_losses.utils import random
from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.conditional import call_network
from keras_gan_losses.utils.distribute import all_reduce_sum
from keras_gan_losses.utils.distribute import logs_for_reduction
from keras_gan_losses.utils.distribute import num_replicas
from keras_gan_losses.utils.distribute import replica_id
from keras_gan_losses.utils.distribute import run_if
from keras_gan_losses.utils.scopes import NOISE
from keras_gan_losses.utils.scopes import SIGNALS
from keras_gan_losses.utils.scopes import name_scoped


def default_optimizer():
    """Adam(2e-4, beta_1=0.5), the DCGAN setting (Radford et al. 2015)."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def _contribution(loss, share):
    """A Keras loss object's value (the replica's mean divided by the
    number of replicas) as the replica's share of the global mean."""
    if share is None:
        return loss
    return loss * (share * num_replicas())


def _safe_mean(values):
    """The mean, 0 for an empty tensor (an empty replica)."""
    return tf.math.divide_no_nan(
        tf.reduce_sum(values), tf.cast(tf.size(values), values.dtype)
    )


def _bind(method, model, *args, **kwargs):
    """The arguments given to `keras.Model.fit`/`evaluate`, by name."""
    bound = inspect.signature(method).bind(model, *args, **kwargs)
    arguments = dict(bound.arguments)
    del arguments["self"]
    arguments.update(arguments.pop("kwargs", {}))
    return arguments


def _append(callbacks, callback):
    """`callbacks` (None, a list or a `CallbackList`) with `callback` last."""
    if callbacks is None:
        return [callback]
    if isinstance(callbacks, keras.callbacks.CallbackList):
        callbacks.append(callback)
        return callbacks
    return [*callbacks, callback]


def _check_steps(x, epochs, steps_per_epoch, batch_size,
                 steps_per_execution=1):
    """Refuses `steps_per_epoch` beyond what finite data holds, or not a
    multiple of `steps_per_execution`.

    Keras (3.15) reads finite data on from epoch to epoch and, once it
    runs out, ends that epoch early with a warning and starts over: with
    4 batches, `steps_per_epoch=3` and 4 epochs it trains 3, 1, 3 and 1
    steps, under a history of normal-looking epochs. And it runs whole
    executions: with `steps_per_epoch=100` and `steps_per_execution=8`
    it trains 104 steps an epoch.
    """
    if steps_per_epoch is None or epochs < 1:
        return
    if steps_per_epoch % steps_per_execution:
        below = steps_per_epoch - steps_per_epoch % steps_per_execution
        raise ValueError(
            f"steps_per_epoch={steps_per_epoch} is not a multiple of "
            f"steps_per_execution={steps_per_execution}: Keras runs whole "
            f"executions and would train "
            f"{below + steps_per_execution} steps an epoch. Use a multiple "
            f"(e.g. {below or steps_per_execution} or "
            f"{below + steps_per_execution}), or compile with a "
            f"steps_per_execution that divides {steps_per_epoch}."
        )
    if isinstance(x, (tuple, list)) and x:
        x = x[0]
    if isinstance(x, tf.data.Dataset):
        batches = int(x.cardinality())
        if batches < 0:  # infinite or unknown
            return
        source = f"the dataset has {batches} batches"
        fix = "repeat it (`dataset.repeat()`)"
    elif isinstance(x, np.ndarray):
        batches = -(-len(x) // (batch_size or 32))
        source = f"the {len(x)} images make {batches} batches"
        fix = "pass a repeated tf.data.Dataset"
    else:
        return
    needed = steps_per_epoch * epochs
    if needed > batches:
        raise ValueError(
            f"steps_per_epoch={steps_per_epoch} over {epochs} epoch(s) "
            f"needs {needed} batches, but {source}: training would stop "
            f"early. Lower `steps_per_epoch` or {fix}."
        )


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


def _resolve_augment(augment):
    """`GAN(augment=...)` as a callable `(images, seed) -> images`."""
    if augment is None or isinstance(augment, DiffAugment):
        return augment
    if isinstance(augment, str):
        return DiffAugment(augment)
    if not callable(augment):
        raise TypeError(
            "`augment` must be None, a DiffAugment policy string such as "
            "'color,translation,cutout', a "
            "`keras_gan_losses.augmentation.DiffAugment` or a callable "
            f"`(images, seed) -> images`. Received: {augment!r}"
        )
    return augment


#: Salt of the augmentation seeds, apart from the latent and penalty seeds.
_AUGMENT_SALT = 1 << 20


class _AugmentedDiscriminator:
    """`D(T(x))`: the discriminator behind the augmentation `T` with fixed
    draws, as the penalties see it (their input gradients flow through
    `T` to the images they are given)."""

    def __init__(self, discriminator, augment, seed):
        self.discriminator = discriminator
        self.augment = augment
        self.seed = seed

    def __call__(self, inputs, training=False):
        if isinstance(inputs, (list, tuple)):
            images, *rest = inputs
            return self.discriminator(
                [self.augment(images, self.seed), *rest], training=training
            )
        return self.discriminator(self.augment(inputs, self.seed),
                                  training=training)


def _unless_loss_scaled(optimizer, grads):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return None
    return grads


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class GAN(keras.Model):
    """A generator and a discriminator trained with `compile()`/`fit()`.

    `fit` alternates `d_steps` discriminator updates with one generator
    update per batch of real data. The losses are any of
    `keras_gan_losses.losses` (or plain Keras losses, applied with the label
    convention real → 1, fake → 0), the penalties any of
    `keras_gan_losses.penalties`. `evaluate` reports the same values without
    updating anything. Calling the model, `gan(z)`, runs the generator.

    Under a `tf.distribute` strategy, create the GAN and call `compile`
    inside `strategy.scope()`. Each update then equals the single-device
    update on the global batch, the logged values do not depend on the
    number of replicas, and every replica draws its own latent noise.

    Args:
        generator (keras.Model): A Keras model mapping latent vectors `(batch,
            latent_dim)` to images.
        discriminator (keras.Model): A Keras model mapping images to logits of
            shape `(batch,)`, `(batch, 1)` or `(batch, h, w, 1)` (patch
            outputs).
        latent_dim (int | None): Size of the latent vector. Defaults to the size
            of the generator's input.
        d_steps (int): Positive int, discriminator updates per generator update
            (5 in the WGAN-GP paper).
        num_classes (int | None): For a conditional GAN, the number of classes.
            The data then yields `(images, labels)` with int class ids in `[0,
            num_classes)`; the generator is called as `generator([z, labels])`
            and the discriminator as `discriminator([images, labels])`,
            generated images taking the labels of the real batch.
        ema_decay (float | LearningRateSchedule | None): Optional float in
            (0, 1), e.g. 0.999: keep an exponential moving average of the
            generator's weights in `ema_generator`, updated after each
            generator step. `generate` and `export_generator` use it by
            default. It may also be a schedule of the step (e.g.
            `schedules.HalfLifeDecay`, R3GAN's half-life in images):
            generator update `t` (from 0) uses `ema_decay(t)`.
        ema_start (int): Generator steps before the average starts (until then
            it copies the weights).
        seed (int | None): Optional int seed of the latent noise and penalty
            draws. The noise state is a variable of the model, saved with it, so
            a resumed run draws the same noise as an uninterrupted one.
        data_range (tuple[float, float] | str | None): The range
            `(low, high)` the real images must lie in; `fit` refuses data
            outside it (give or take 5 % of its width), before training for
            arrays and at the first such batch for datasets and generators.
            `"auto"` (the default) takes the generator's output activation:
            tanh gives `(-1, 1)`, sigmoid `(0, 1)`, anything else checks
            nothing. `None` turns the check off.
        augment (DiffAugment | str | Callable | None): Optional
            differentiable augmentation of every image the discriminator
            sees in training (Zhao et al. 2020): a
            `keras_gan_losses.augmentation.DiffAugment`, its policy string
            (e.g. `"color,translation,cutout"`) or a callable
            `(images, seed) -> images` made of differentiable operations
            (to be saved in `.keras` files it must be a registered
            serializable class). Real and generated batches get their own
            draws in every discriminator and generator update, from the
            GAN's seed (each replica its own under `tf.distribute`), and
            the generator learns through the transform. The penalties see
            the augmented discriminator `D(T(x))` with the real batch's
            draws, their input gradients taken with respect to the
            un-augmented images (as in the DiffAugment and StyleGAN2-ADA
            code). `evaluate`, like Keras's augmentation layers at
            inference, does not augment.
        **kwargs (dict): Passed on to `keras.Model` (e.g. `name`).

    Attributes:
        generator (keras.Model): The generator being trained.
        discriminator (keras.Model): The discriminator being trained.
        ema_generator (keras.Model | None): With `ema_decay`, a copy of the
            generator whose weights are the exponential moving average of
            the generator's, updated after every generator step: for the
            first `ema_start` steps a copy, then
            `ema = ema_decay * ema + (1 - ema_decay) * weights` (weights
            that are not trainable, e.g. batch-norm statistics, are
            copied). `None` without `ema_decay`. It is saved with the model
            and used by `generate`, `export_generator` and the callbacks
            unless they are given `use_ema=False`.
        sampling_generator (keras.Model): `ema_generator` if there is one,
            else `generator` (read-only).
        latent_dim (int): Size of the latent vectors.
        image_shape (tuple): Shape of one generated image, e.g.
            `(28, 28, 1)`.
        d_steps (int): Discriminator updates per generator update.
        num_classes (int | None): Number of classes of a conditional GAN.
        data_range (tuple[float, float] | None): The range the real images
            are checked against (`None`: not checked).
        augment (Callable | None): The augmentation of the discriminator's
            inputs (`None`: none).
        d_optimizer (keras.Optimizer): The discriminator's optimizer, set by
            `compile`.
        g_optimizer (keras.Optimizer): The generator's optimizer, set by
            `compile`.
        d_loss (keras.Loss | list[keras.Loss]): The discriminator's loss
            (or losses, as given), set by `compile`.
        g_loss (keras.Loss | list[keras.Loss]): The generator's loss (or
            losses), set by `compile`.
        d_loss_weights (list[float] | None): The weights of the
            discriminator's losses, as given to `compile`.
        g_loss_weights (list[float] | None): The same for the generator.
        penalties (list): The `Penalty` objects, set by `compile`.

    `fit` and `evaluate` log `d_loss` and `g_loss` (the adversarial losses
    without penalties; with several losses in a slot, their weighted sum,
    and each weighted term as `d_loss_<name>`/`g_loss_<name>`, see
    `compile`), one entry per penalty under its `name` (e.g.
    `gradient_penalty`, already multiplied by its weight), `d_real` and
    `d_fake`, the mean discriminator logits on real and generated data,
    and `nonfinite_steps`, the number of steps skipped for non-finite
    values. The first ones are means over the epoch's steps (over all
    `d_steps` discriminator updates for the discriminator's values).
    With `compile(training_signals=True)` (the default) they also hold
    the signals that `callbacks.TrainingMonitor` reads: `d_grad_norm`
    and `g_grad_norm`, `d_acc_real` and `d_acc_fake` (or `d_gap`) and
    `diversity` (see `keras_gan_losses.models.signals`).

    Example:

    ```python
    gan = keras_gan_losses.GAN(generator, discriminator, latent_dim=128)
    gan.compile(d_loss="wasserstein", g_loss="wasserstein",
                penalties=[keras_gan_losses.penalties.GradientPenalty(10.0)])
    gan.fit(dataset, epochs=20)
    images = gan.generate(16, seed=0)
    ```
    """

    def __init__(self, generator, discriminator, latent_dim=None, d_steps=1,
                 num_classes=None, ema_decay=None, ema_start=0, seed=None,
                 data_range="auto", augment=None, **kwargs):
        super().__init__(**kwargs)
        self.augment = _resolve_augment(augment)
        self._check_networks(generator, discriminator)
        self.d_steps = positive_int("d_steps", d_steps)
        self.num_classes = (
            None if num_classes is None
            else positive_int("num_classes", num_classes)
        )
        check_seed(seed)
        ema_decay, ema_start = self._check_ema(ema_decay, ema_start)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim, self.image_shape = self._network_shapes(
            generator, discriminator, latent_dim
        )
        self.ema_decay = ema_decay
        self.ema_start = ema_start
        self.ema_generator = (
            clone_generator(generator) if ema_decay is not None else None
        )
        self.seed = seed
        self._data_range_arg = data_range
        self.data_range = data_checks.resolve_data_range(data_range, generator)
        base = seed if seed is not None else np.random.randint(2**31 - 1)
        # [base seed, step counter]: a model variable, saved and restored
        # with the weights (BackupAndRestore, .keras files).
        self.noise_state = self._add_noise_state("noise_state", base)
        # The same for evaluate(), reset at each call so that evaluating
        # twice gives the same numbers and never moves the training noise.
        self.eval_noise_state = self._add_noise_state(
            "eval_noise_state", base
        )
        self.built = True
        self._compiled_gan = False

    @staticmethod
    def _check_networks(generator, discriminator):
        for name, net in (("generator", generator),
                          ("discriminator", discriminator)):
            if not isinstance(net, keras.layers.Layer):
                raise TypeError(
                    f"`{name}` must be a Keras model or layer. Received: "
                    f"{net!r} (of type {type(net).__name__})"
                )
        if generator is discriminator:
            raise ValueError(
                "`generator` and `discriminator` must be two different models."
            )

    def _network_shapes(self, generator, discriminator, latent_dim):
        """`(latent_dim, image_shape)`, checked against both networks.

        A hook: `ImageToImageGAN` checks source-to-image networks instead.
        """
        latent_dim = shape_checks.latent_dim_of(generator, latent_dim)
        image_shape = shape_checks.check_generator_and_discriminator(
            generator, discriminator, latent_dim, self.num_classes
        )
        return latent_dim, image_shape

    @staticmethod
    def _check_ema(ema_decay, ema_start):
        """Returns `(ema_decay, ema_start)`: a float, a schedule or None,
        and an int."""
        ema_decay = schedules.deserialize_value(ema_decay)
        if ema_decay is not None and not schedules.is_schedule(ema_decay):
            ema_decay = float(ema_decay)
            if not 0.0 < ema_decay < 1.0:
                raise ValueError(
                    "`ema_decay` must be in (0, 1), e.g. 0.999. Received: "
                    f"ema_decay={ema_decay}"
                )
        if isinstance(ema_start, bool) or not isinstance(
            ema_start, (int, np.integer)
        ) or ema_start < 0:
            raise ValueError(
                "`ema_start` must be a non-negative int. Received: "
                f"ema_start={ema_start!r}"
            )
        return ema_decay, int(ema_start)

    def _add_noise_state(self, name, base):
        # [base seed, step counter]. Every replica reads the same value;
        # only the first replica's update is kept.
        return self.add_weight(
            name=name,
            shape=(2,),
            dtype="int64",
            initializer=keras.initializers.Constant([int(base), 0]),
            trainable=False,
            aggregation="only_first_replica",
        )

    @property
    def sampling_generator(self):
        """The generator used for sampling: the EMA copy if there is one."""
        if self.ema_generator is not None:
            return self.ema_generator
        return self.generator

    def call(self, inputs, training=False):
        """Runs the generator on latent vectors (what `gan(z)` does).

        Args:
            inputs (Tensor | list[Tensor]): Latent vectors `(batch,
                latent_dim)`, or `[z, labels]` for a conditional GAN.
            training (bool): Whether to run the generator in training mode.

        Returns:
            Tensor: The generated images, a tensor.
        """
        return self.generator(inputs, training=training)

    # ------------------------------------------------------------------
    # compile

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
                the epoch's steps).
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
        with self.distribute_strategy.scope():
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
        # The state updates of the step being traced, applied with the
        # discriminator's update (see `_logit_penalty`).
        object.__setattr__(self, "_penalty_updates", {})

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
        return [] if logs is None else list(logs.metric.variables)

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

    # ------------------------------------------------------------------
    # training

    def _check_compiled(self):
        if not self._compiled_gan:
            raise RuntimeError(
                "You must call `compile()` on the GAN before training or "
                "evaluating it."
            )

    @name_scoped(NOISE)
    def _step_seed(self, state=None):
        """Returns `(seed, step)`: this step's seed, different on every
        replica, and the step's index (the same on every replica)."""
        # The state is the same on every replica; fold in the replica id so
        # that each replica draws its own noise.
        state = self.noise_state if state is None else state
        value = tf.identity(state.value)
        state.assign_add(tf.constant([0, 1], tf.int64))
        return random.fold_in(value, replica_id()), value[1]

    @name_scoped(NOISE)
    def _latent(self, batch_size, seed):
        return random.stateless_normal((batch_size, self.latent_dim), seed)

    def _unpack(self, data):
        """Returns `(images, labels)`; labels are None if unconditional.

        Labels are checked (int ids of shape `(batch,)`) when the step is
        traced; their range is the guard's to check, batch by batch.
        """
        labels = None
        if isinstance(data, (tuple, list)):
            if len(data) > 1:
                labels = data[1]
            data = data[0]
        if not data.dtype.is_floating:
            raise TypeError(
                "The images must be floats (e.g. scaled to [-1, 1]); "
                f"received dtype {data.dtype.name}. Convert them first, "
                "e.g. `tf.cast(images, tf.float32) / 127.5 - 1`."
            )
        if self.num_classes is None:
            return data, None
        if labels is None:
            raise ValueError(
                "A conditional GAN (num_classes="
                f"{self.num_classes}) needs labels: call fit(images, labels) "
                "or pass a dataset of (images, labels)."
            )
        data_checks.check_labels(labels, self.num_classes)
        return data, tf.reshape(tf.cast(labels, tf.int32), [-1])

    def _g(self, latent, labels, training, generator=None):
        if generator is None:
            generator = self.generator
        return call_network(OnAtLeastOneExample(generator), latent, labels,
                            training)

    def _d(self, images, labels, training, augment_seed=None):
        """The discriminator on `images`, augmented first (`GAN(augment=)`)
        when `augment_seed` is given."""
        if augment_seed is not None:
            images = self.augment(images, augment_seed)
        return call_network(OnAtLeastOneExample(self.discriminator), images,
                            labels, training)

    def _augment_seeds(self, seed, training):
        """The augmentation seeds of one update, `(real, fake)`: None
        without augmentation and outside training."""
        if self.augment is None or not training:
            return None, None
        return (random.fold_in(seed, _AUGMENT_SALT),
                random.fold_in(seed, _AUGMENT_SALT + 1))

    def _discriminator_losses(self, real, fake, labels, seed, share,
                              training):
        """The discriminator's loss and its terms (the components of a
        combined `d_loss`, weighted, then the penalties, by log key), each
        this replica's contribution to the global batch's mean (see
        `share_of_batch`), and the logits."""
        real_seed, fake_seed = self._augment_seeds(seed, training)
        real_logits = ops.cast(self._d(real, labels, training, real_seed),
                               "float32")
        fake_logits = ops.cast(self._d(fake, labels, training, fake_seed),
                               "float32")
        d_loss, terms = self._slot_loss(
            "d_loss", real_logits, fake_logits, share
        )
        discriminator = OnAtLeastOneExample(self.discriminator)
        # What the loss computed, for penalties that read the outputs on
        # the same batches (the MMD witness penalty): in training, where
        # they are the training-mode outputs the penalty would compute.
        outputs = (real_logits, fake_logits) if training else None
        if real_seed is not None:
            # The penalties see D∘T with the real batch's draws (the loss
            # saw the generated batch with draws of its own).
            discriminator = _AugmentedDiscriminator(
                discriminator, self.augment, real_seed
            )
            outputs = None
        for index, penalty in enumerate(self.penalties):
            if getattr(penalty, "uses_logits", False):
                value = self._logit_penalty(penalty, real_logits,
                                            fake_logits, share)
                if share is not None:
                    value = value * share
                terms[penalty.name] = value
                continue
            shared = ({"outputs": outputs}
                      if getattr(penalty, "uses_outputs", False) else {})
            value = penalty(
                discriminator, real, fake,
                seed=random.fold_in(seed, index), conditioning=labels,
                step=self._schedule_step(), **shared,
            )
            # Penalties are plain means: weight them as the losses are, so
            # that summing over replicas gives the global batch's mean.
            if share is not None:
                value = value * share
            terms[penalty.name] = value
        return d_loss, terms, real_logits, fake_logits

    def _generator_loss(self, real, labels, latent, share, training,
                        seed=None):
        """The generator's loss and the weighted components of a combined
        `g_loss` (by log key), this replica's contributions. `seed` draws
        the augmentation (`GAN(augment=)`) in training."""
        fake = self._g(latent, labels, training)
        real_seed, fake_seed = self._augment_seeds(seed, training and
                                                   seed is not None)
        terms = self._loss_terms["g_loss"]
        real_logits = fake_logits = None
        if not all(needs_features(t.loss) for t in terms):
            fake_logits = ops.cast(
                self._d(fake, labels, training, fake_seed), "float32"
            )
            if any(isinstance(t.loss, GANLoss) and t.loss.needs_real_logits
                   for t in terms):
                real_logits = ops.cast(
                    self._d(real, labels, training, real_seed), "float32"
                )
            else:
                real_logits = tf.stop_gradient(fake_logits)
        if real_seed is not None:
            real, fake = (self.augment(real, real_seed),
                          self.augment(fake, fake_seed))
        features = {
            layer: tuple(
                ops.cast(call_network(OnAtLeastOneExample(network), x,
                                      labels, training), "float32")
                for x in (real, fake)
            )
            for layer, network in self._feature_networks.items()
        }
        return self._slot_loss(
            "g_loss", real_logits, fake_logits, share, features
        )

    def _slot_loss(self, slot, real_logits, fake_logits, share,
                   features=None):
        """A slot's weighted sum of losses and, for a combined slot, each
        weighted component by log key: this replica's contributions.

        A feature-matching loss is the loss of the global batch in every
        replica (its batch means are all-reduced, and so are their
        gradients): each replica's share is that divided by the number of
        replicas. The others are weighted by the replica's share of the
        batch.
        """
        role = DISCRIMINATOR if slot == "d_loss" else GENERATOR
        total, parts = 0.0, {}
        for term in self._loss_terms[slot]:
            if needs_features(term.loss):
                value = term.loss(*features[term.loss.layer])
                value = value / num_replicas()
            else:
                value = _contribution(adversarial_loss(
                    term.loss, role, real_logits, fake_logits
                ), share)
            value = term.weight * value
            total = total + value
            if term.key is not None:
                parts[term.key] = value
        return total, parts

    def _checked_losses(self, slot, total, terms):
        """The values the guard checks for a slot: the components first,
        so that a non-finite one is named, then the total, then the rest
        (the penalties)."""
        keys = self._component_keys(slot)
        checked = {key: terms[key] for key in keys}
        checked[slot] = total
        checked.update((k, v) for k, v in terms.items() if k not in keys)
        return checked

    def _logit_penalty(self, penalty, real_logits, fake_logits, share):
        """A penalty that reads the discriminator's outputs (LeCam): its
        moving averages are updated with the global batch's mean outputs,
        to be stored with the discriminator's update."""
        counts = tf.cast(tf.stack([tf.size(real_logits),
                                   tf.size(fake_logits)]), tf.float32)
        sums = tf.stack([tf.reduce_sum(real_logits),
                         tf.reduce_sum(fake_logits)])
        means = tf.math.divide_no_nan(all_reduce_sum(sums),
                                      all_reduce_sum(counts))
        averages = penalty.updated_averages(means[0], means[1])
        self._penalty_updates[penalty.name] = (penalty, averages)
        return penalty.from_logits(real_logits, fake_logits, averages,
                                   self._schedule_step())

    def _schedule_step(self):
        """The step that scheduled penalty weights and EMA decays read:
        the number of generator updates so far (saved with the
        generator's optimizer)."""
        return self.g_optimizer.iterations

    def _apply_discriminator_update(self, grads, *averages):
        self.d_optimizer.apply(grads, self.discriminator.trainable_variables)
        updates = list(self._penalty_updates.values())
        for (penalty, _), value in zip(updates, averages):
            penalty.assign(value)

    def _track(self, name, contribution, ok):
        """Adds a step's value to its epoch mean, unless the step failed.

        `contribution` is this replica's share of the global batch's mean
        (see `share_of_batch`); the trackers average over the replicas, so
        they get it times the number of replicas.
        """
        self._step_logs.add(name, contribution, ok, scale=num_replicas())

    def _track_discriminator(self, d_loss, terms, real_logits, fake_logits,
                             share, ok):
        self._track("d_loss", d_loss, ok)
        for name, value in terms.items():
            self._track(name, value, ok)
        for name, logits in (("d_real", real_logits),
                             ("d_fake", fake_logits)):
            mean = ops.cast(_safe_mean(logits), "float32")
            if share is not None:
                mean = mean * share
            self._track(name, mean, ok)

    def _track_global(self, name, value, ok):
        """Adds a value that is the same on every replica (computed from
        all-reduced sums) to its epoch mean, unless the step failed or the
        value is not finite."""
        self._step_logs.add(name, value, ok, finite_only=True)

    @name_scoped(SIGNALS)
    def _track_d_signals(self, real_logits, fake_logits, share, ok,
                         grads=None, fake=None, real=None, last=True,
                         half_squares=None):
        """Logs the discriminator's signals (see `models.signals`): its
        accuracy or logit gap, its gradient norm and, on the last update
        of a step, the generated batch's diversity."""
        if not self.training_signals:
            return
        rule = signals.decision_rule(self.d_loss)
        if rule is None:
            gap = _safe_mean(real_logits) - _safe_mean(fake_logits)
            self._track("d_gap", gap if share is None else gap * share, ok)
        else:
            correct = signals.correct_decisions(rule, real_logits,
                                                fake_logits)
            for name, values in zip(signals.ACCURACY_KEYS, correct):
                mean = _safe_mean(values)
                self._track(name, mean if share is None else mean * share,
                            ok)
        if grads is not None:
            self._track_global("d_grad_norm", signals.gradient_norm(
                grads, self.d_optimizer, half_squares), ok)
        if last and fake is not None:
            self._track_global("diversity", signals.diversity(fake, real),
                               ok)

    @name_scoped(SIGNALS)
    def _track_g_signals(self, grads, half_squares, ok):
        """Logs the generator's gradient norm (see `models.signals`)."""
        if self.training_signals:
            self._track_global("g_grad_norm", signals.gradient_norm(
                grads, self.g_optimizer, half_squares), ok)

    def _count(self, ok):
        # Every replica knows the same `ok`: count it once.
        bad = tf.cast(tf.logical_not(ok), tf.float32)
        self._step_logs.add("nonfinite_steps",
                            tf.where(tf.equal(replica_id(), 0), bad, 0.0))

    def _d_gradients(self, real, labels, latent_seed, penalty_seed, share):
        """One discriminator update's gradients, checked.

        Returns:
            `(ok, reason, grads, values, fake, half_squares)`: the guard's
            verdict, the gradients, what `_track_discriminator` logs, the
            generated batch and the gradients' `half_squared_norm`.
        """
        batch_size = tf.shape(real)[0]
        d_vars = self.discriminator.trainable_variables
        latent = self._latent(batch_size, latent_seed)
        fake = tf.stop_gradient(self._g(latent, labels, training=True))
        with tf.GradientTape() as tape:
            d_loss, terms, real_logits, fake_logits = (
                self._discriminator_losses(
                    real, fake, labels, penalty_seed, share, training=True,
                )
            )
            total = d_loss + sum(terms[p.name] for p in self.penalties)
            scaled = self.d_optimizer.scale_loss(total)
        grads = tape.gradient(scaled, d_vars)
        half_squares = signals.half_squared_norm(grads)
        ok, reason = self._guard.check_update(
            self._checked_losses("d_loss", d_loss, terms),
            "discriminator gradients",
            _unless_loss_scaled(self.d_optimizer, grads), half_squares,
        )
        return (ok, reason, grads, (d_loss, terms, real_logits, fake_logits),
                fake, half_squares)

    def train_step(self, data):
        """One training step of `fit`: `d_steps` discriminator updates,
        then one generator update (and the EMA update, if any).

        Args:
            data (Tensor | tuple): A batch of real images, or `(images,
                labels)`.

        Returns:
            dict[str, Tensor]: The logs, a dict of scalars (see the class
            docstring).
        """
        self._check_compiled()
        real, labels = self._unpack(data)
        seed, step = self._step_seed()
        ok, reason, labels, local_n, global_n = self._guard.check_batch(
            real, labels
        )
        # After `nonfinite_patience` bad steps, nothing more is updated.
        ok = tf.logical_and(ok, tf.logical_not(self._guard.tripped()))
        share = share_of_batch(local_n, global_n)
        g_vars = self.generator.trainable_variables
        # Each update runs only while every check of this step has passed;
        # `reason` keeps the first failure.
        for index in range(self.d_steps):
            (update_ok, update_reason, grads, values, fake,
             half_squares) = self._d_gradients(
                real, labels, random.fold_in(seed, 2 * index),
                random.fold_in(seed, 2 * index + 1), share,
            )
            reason = tf.where(ok, update_reason, reason)
            ok = tf.logical_and(ok, update_ok)
            averages = [a for _, a in self._penalty_updates.values()]
            run_if(ok, self._apply_discriminator_update, grads, *averages)
            self._track_discriminator(*values, share, ok)
            self._track_d_signals(values[2], values[3], share, ok,
                                  grads=grads, fake=fake, real=real,
                                  last=index == self.d_steps - 1,
                                  half_squares=half_squares)

        latent = self._latent(
            tf.shape(real)[0], random.fold_in(seed, 2 * self.d_steps)
        )
        with tf.GradientTape() as tape:
            g_loss, g_parts = self._generator_loss(
                real, labels, latent, share, training=True,
                seed=random.fold_in(seed, 2 * self.d_steps + 1),
            )
            scaled = self.g_optimizer.scale_loss(g_loss)
        grads = tape.gradient(scaled, g_vars)
        half_squares = signals.half_squared_norm(grads)
        update_ok, update_reason = self._guard.check_update(
            self._checked_losses("g_loss", g_loss, g_parts),
            "generator gradients",
            _unless_loss_scaled(self.g_optimizer, grads), half_squares,
        )
        reason = tf.where(ok, update_reason, reason)
        ok = tf.logical_and(ok, update_ok)
        run_if(ok, self._apply_generator_update, grads)
        self._penalty_updates.clear()
        self._track("g_loss", g_loss, ok)
        for name, value in g_parts.items():
            self._track(name, value, ok)
        self._track_g_signals(grads, half_squares, ok)
        self._count(ok)
        self._guard.record(ok, reason, step)
        return self._logs()

    def _apply_generator_update(self, grads):
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply(grads, g_vars)
        if self.ema_generator is not None:
            started = self.g_optimizer.iterations > self.ema_start
            # The update just applied was number iterations - 1.
            decay = schedules.value_at(self.ema_decay,
                                       self.g_optimizer.iterations - 1)
            decay = tf.where(started, tf.cast(decay, tf.float32), 0.0)
            update_ema(self.ema_generator, self.generator, decay)

    def test_step(self, data):
        """One step of `evaluate`: the losses and logit means, no update.

        Args:
            data (Tensor | tuple): A batch of real images, or `(images,
                labels)`.

        Returns:
            dict[str, Tensor]: The logs, a dict of scalars (see the class
            docstring).
        """
        self._check_compiled()
        real, labels = self._unpack(data)
        batch_size = tf.shape(real)[0]
        seed, _ = self._step_seed(self.eval_noise_state)
        ok, _, labels, local_n, global_n = self._guard.check_batch(
            real, labels
        )
        share = share_of_batch(local_n, global_n)
        latent = self._latent(batch_size, random.fold_in(seed, 0))
        fake = self._g(latent, labels, training=False)
        values = self._discriminator_losses(
            real, fake, labels, random.fold_in(seed, 1), share,
            training=False,
        )
        latent = self._latent(batch_size, random.fold_in(seed, 2))
        g_loss, g_parts = self._generator_loss(
            real, labels, latent, share, training=False
        )
        losses_ok, _ = self._guard.check_update({
            **self._checked_losses("d_loss", values[0], values[1]),
            **self._checked_losses("g_loss", g_loss, g_parts),
        })
        ok = tf.logical_and(ok, losses_ok)
        self._track_discriminator(*values, share, ok)
        self._track("g_loss", g_loss, ok)
        for name, value in g_parts.items():
            self._track(name, value, ok)
        self._track_d_signals(values[2], values[3], share, ok, fake=fake,
                              real=real)
        self._count(ok)
        self._penalty_updates.clear()
        # Nothing is updated: no gradient norm to report.
        return self._logs(exclude=signals.GRADIENT_KEYS)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras's TF trainer builds a model under a strategy on its first
        # batch, reduced over the replicas; that reduce fails for
        # (images, labels) batches under a multi-worker strategy, and for a
        # first batch that leaves a replica empty. A GAN needs no such
        # build: its networks are built in __init__ and its optimizers in
        # compile() (Keras skips it too without a strategy). The hook hands
        # the epoch iterator over for an exact resume (`models.resume`).
        # (A private Keras hook: tests/models/keras_hooks_test.py fails if
        # Keras renames it or changes its signature.)
        resume.capture_epoch_iterator(self, iterator)

    def _get_metrics_result_or_logs(self, logs):
        # An epoch resumed from a backup taken after its last batch runs no
        # step in this process: its logs are the restored epoch means (the
        # trackers), not Keras's empty ones. (A private Keras hook, see
        # tests/models/keras_hooks_test.py.)
        if not logs and resume.means_restored(self):
            return self.get_metrics_result()
        return super()._get_metrics_result_or_logs(logs)

    def fit(self, x=None, y=None, *args, **kwargs):
        """Trains the GAN, as `keras.Model.fit` does (same arguments).

        Each batch of real images gives `d_steps` discriminator updates
        (each on freshly generated images) and then one generator update;
        callbacks see the logs described in the class docstring, and the
        returned `History` holds them per epoch. Validation runs
        `evaluate`'s step.

        Before training, the data is checked: its shapes against the
        discriminator, arrays for emptiness, non-finite values and the
        value range (`data_range`), class labels for a conditional GAN,
        and `steps_per_epoch * epochs` against a finite dataset's length.
        During training the same checks run on every batch. A step with
        bad values updates nothing and is counted in `nonfinite_steps`
        (see `compile(nonfinite_patience=...)`).

        Args:
            x (np.ndarray | Tensor | tf.data.Dataset): Real images, floats in
                `data_range` (usually [-1, 1]): a NumPy array or tensor of
                shape `(n, *image_shape)`, or a `tf.data.Dataset` of batches
                of images or of `(images, labels)` (see
                `keras_gan_losses.data.load_images`).
            y (np.ndarray | None): For a conditional GAN fed with arrays, the
                int class ids of `x`, shape `(n,)`. Otherwise `None`.
            *args (Any): Passed on to `keras.Model.fit` (`batch_size`,
                `epochs`, ...).
            **kwargs (Any): Passed on to `keras.Model.fit` (`epochs`,
                `callbacks`, `validation_data`, `steps_per_epoch`, ...).

        Returns:
            keras.callbacks.History: A `keras.callbacks.History`.

        Raises:
            RuntimeError: if `compile` was not called.
            ValueError: for data that does not fit or is empty, out of
                range or (arrays) not finite, or too short for the steps
                asked for; for a `steps_per_epoch` that is not a multiple
                of `steps_per_execution`.
            FloatingPointError: after `nonfinite_patience` non-finite
                steps in a row.
        """
        self._check_compiled()
        args = _bind(keras.Model.fit, self, x, y, *args, **kwargs)
        self._check_data(args.get("x"), args.get("y"))
        _check_steps(args.get("x"),
                     args.get("epochs", 1) - args.get("initial_epoch", 0),
                     args.get("steps_per_epoch"), args.get("batch_size"),
                     self.steps_per_execution)
        if "shuffle" not in args and not isinstance(
            shape_checks.split_data(args.get("x"), None)[0], np.ndarray
        ):
            # Keras (3.15) warns that its default shuffle=True is ignored
            # for datasets and generators, which shuffle themselves.
            args["shuffle"] = False
        monitor = GuardMonitor(self, self._guard, self.nonfinite_patience)
        args["callbacks"] = resume.backups_last(
            _append(args.get("callbacks"), monitor))
        object.__setattr__(self, "_resume_fit_active", True)
        object.__setattr__(self, "_resume_epoch_iterator", None)
        try:
            history = super().fit(**args)
        finally:
            resume.stop_watching(args["callbacks"])
            resume.set_means_restored(self, False)
            object.__setattr__(self, "_resume_fit_active", False)
            object.__setattr__(self, "_resume_epoch_iterator", None)
            # Set by a restored backup; Keras never clears it, and the next
            # `fit` would start at that epoch.
            self._initial_epoch = None
        if monitor.epoch_counts:
            history.history["nonfinite_steps"] = monitor.epoch_counts
        if not history.history and not resume.finished_before(
                args["callbacks"], args.get("epochs", 1)):
            raise ValueError(
                "The data yielded no batches: nothing was trained. Check "
                "that the dataset is not empty (e.g. filtered to nothing)."
            )
        return history

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """Reports the losses on data without updating anything, as
        `keras.Model.evaluate` does (same arguments).

        Runs one discriminator loss and one generator loss per batch, with
        the networks in inference mode, and returns the values `fit` logs.
        Each call draws the same latent noise (from a stream of its own, so
        evaluating never changes the noise that training draws next).
        Batches with bad values are left out of the means and counted in
        `nonfinite_steps`.

        Args:
            x (np.ndarray | Tensor | tf.data.Dataset): Real images, in the same
                forms as for `fit`.
            y (np.ndarray | None): Class ids for a conditional GAN fed with
                arrays, else `None`.
            *args (Any): Passed on to `keras.Model.evaluate`.
            **kwargs (Any): Passed on to `keras.Model.evaluate` (`batch_size`,
                `steps`, `return_dict`, `callbacks`, ...).

        Returns:
            list[float] | dict[str, float]: As `keras.Model.evaluate`: a list of
            the values (in the order of `metrics_names`), or a dict with
            `return_dict=True`.

        Raises:
            RuntimeError: if `compile` was not called.
            ValueError: as for `fit`.
        """
        self._check_compiled()
        args = _bind(keras.Model.evaluate, self, x, y, *args, **kwargs)
        self._check_data(args.get("x"), args.get("y"))
        args["callbacks"] = _append(
            args.get("callbacks"),
            GuardMonitor(self, self._guard, self.nonfinite_patience),
        )
        base = self.noise_state.numpy()[0]
        self.eval_noise_state.assign(np.array([base, 1 << 40], np.int64))
        return super().evaluate(**args)

    def _check_data(self, x, y):
        shape_checks.check_data(x, y, self.discriminator, self.image_shape,
                                self.num_classes)
        images, labels = shape_checks.split_data(x, y)
        if isinstance(images, np.ndarray):
            data_checks.check_values(images, self.data_range)
        elif isinstance(images, tf.data.Dataset) and int(
            images.cardinality()
        ) == 0:
            raise ValueError(
                "The training data is an empty dataset: nothing to train on."
            )
        if self.num_classes is not None and labels is not None:
            data_checks.check_labels(labels, self.num_classes)

    # ------------------------------------------------------------------
    # sampling and saving

    def generate(self, num_images=None, labels=None, seed=None, use_ema=None,
                 batch_size=256, latent=None):
        """Generates images from fresh latent noise or from given latents.

        Args:
            num_images (int | None): Positive int, how many images. Defaults
                to `len(latent)` when `latent` is given.
            labels (int | array-like | None): For a conditional GAN, int class
                ids, one per image (or a single int for all). Defaults to
                cycling through the classes: 0, 1, ..., num_classes - 1, 0, ...
            seed (int | None): Optional int in [-2**63, 2**63); the same seed
                gives the same images.
            use_ema (bool | None): Whether to use the EMA generator. Defaults to
                `True` when the GAN keeps one.
            batch_size (int): Images per generator call.
            latent (array-like | None): Optional latent batch `(num_images,
                latent_dim)` to generate from instead of drawing one (then
                `seed` must be `None`), e.g. to show the same latent codes
                at every epoch.

        Returns:
            np.ndarray: A NumPy array of shape `(num_images, *image_shape)`.

        Example:

        ```python
        images = gan.generate(16, seed=0)          # the same 16 every time
        z = np.random.default_rng(0).normal(size=(16, gan.latent_dim))
        images = gan.generate(latent=z.astype("float32"))
        ```
        """
        if latent is not None:
            latent = self._check_latent(latent, num_images, seed)
            num_images = len(latent)
        num_images = positive_int("num_images", num_images)
        batch_size = positive_int("batch_size", batch_size)
        seed = check_seed(seed)
        generator = self.pick_generator(use_ema)
        labels = self._labels_for(num_images, labels)
        if latent is None and seed is None:
            latent = tf.random.normal((num_images, self.latent_dim))
        elif latent is None:
            latent = random.stateless_normal(
                (num_images, self.latent_dim),
                tf.constant([int(seed), 0], tf.int64),
            )
        return self._generate_from(latent, labels, generator, batch_size)

    def _check_latent(self, latent, num_images, seed):
        if seed is not None:
            raise ValueError(
                "Pass `latent` or `seed`, not both: the seed draws a latent "
                "batch."
            )
        latent = tf.convert_to_tensor(latent, tf.float32)
        shape = tuple(latent.shape)
        if len(shape) != 2 or shape[1] != self.latent_dim or shape[0] < 1:
            raise ValueError(
                f"`latent` must have shape (num_images, {self.latent_dim}). "
                f"Received shape {shape}"
            )
        if num_images is not None and num_images != shape[0]:
            raise ValueError(
                f"`num_images` is {num_images} but `latent` holds "
                f"{shape[0]} vectors."
            )
        return latent

    def _generate_from(self, latent, labels, generator, batch_size=256):
        """`generator`'s images of `latent` (and `labels`), as NumPy, in
        calls of `batch_size`."""
        outputs = []
        for i in range(0, len(latent), batch_size):
            part = None if labels is None else labels[i:i + batch_size]
            outputs.append(ops.convert_to_numpy(self._g(
                latent[i:i + batch_size], part, False, generator
            )))
        return np.concatenate(outputs, axis=0)

    def pick_generator(self, use_ema=None):
        """The generator that `generate(..., use_ema=use_ema)` runs.

        Args:
            use_ema (bool | None): Whether to pick the EMA generator. Defaults
                to `True` when the GAN keeps one (`sampling_generator`).

        Returns:
            keras.Model: `ema_generator` or `generator`.

        Raises:
            ValueError: if `use_ema=True` and the GAN keeps no EMA generator.
        """
        if use_ema is None:
            return self.sampling_generator
        if use_ema and self.ema_generator is None:
            raise ValueError(
                "use_ema=True, but this GAN keeps no EMA generator: pass "
                "`ema_decay=` to GAN()."
            )
        return self.ema_generator if use_ema else self.generator

    def _labels_for(self, num_images, labels):
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    "`labels` given, but this GAN is not conditional "
                    "(num_classes=None)."
                )
            return None
        if labels is None:
            labels = np.arange(num_images) % self.num_classes
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full((num_images,), labels)
        labels = labels.reshape(-1)
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(
                f"`labels` must be int class ids. Received dtype {labels.dtype}"
            )
        if len(labels) != num_images:
            raise ValueError(
                f"`labels` must have one id per image: {num_images} images, "
                f"{len(labels)} labels."
            )
        shape_checks.check_label_range(labels, self.num_classes)
        return tf.constant(labels, tf.int32)

    def export_generator(self, path, use_ema=None, value_range=(-1.0, 1.0),
                         sample_signature=True, verbose=False,
                         overwrite=False):
        """Exports the generator (the EMA copy by default) as a SavedModel.

        See `keras_gan_losses.export.export_generator`: the result loads with
        plain `tf.saved_model.load(path)`, with a `serving_default(z[,
        labels])` signature and a `sample(batch_size, seed)` signature that
        returns uint8 images. The export refuses a `path` that exists and
        is not an empty folder, unless `overwrite=True` and it holds an
        earlier SavedModel, which is then replaced.

        Args:
            path (str): Directory to write the SavedModel to.
            use_ema (bool | None): Whether to export `ema_generator`. Defaults
                to `True` when the GAN keeps one; `True` without one raises
                `ValueError`.
            value_range (tuple[float, float]): `(low, high)`, the range of the
                generator's outputs, mapped to 0 and 255 by the `sample`
                signature.
            sample_signature (bool): Whether to add the `sample(batch_size,
                seed)` signature.
            verbose (bool): Whether to print what is written.
            overwrite (bool): Whether to replace an earlier SavedModel at
                `path`.

        Returns:
            str: `path`.

        Raises:
            FileExistsError: if `path` exists and is not an empty folder,
                unless `overwrite` is set and it holds a SavedModel.
        """
        return export_generator(
            self.pick_generator(use_ema), path, self.latent_dim,
            num_classes=self.num_classes, value_range=value_range,
            sample_signature=sample_signature, verbose=verbose,
            overwrite=overwrite,
        )

    def save_own_variables(self, store):
        """Saves the model's own variables and the networks' random states
        (e.g. their dropout layers' seed generators; see
        `models.random_states`), so that a reloaded or resumed model draws
        what the uninterrupted one would."""
        super().save_own_variables(store)
        random_states.save_random_states(store, self._random_states())

    def load_own_variables(self, store):
        """Loads what `save_own_variables` saved (files without random
        states load too, leaving the states as they are)."""
        own, saved = random_states.split_random_states(store)
        super().load_own_variables(own)
        random_states.load_random_states(store, saved,
                                         self._random_states())

    def _random_states(self):
        return random_states.random_states(
            (self.generator, self.discriminator))

    def get_config(self):
        """The constructor arguments, with both networks serialized."""
        config = super().get_config()
        config.update({
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(
                self.discriminator
            ),
            "latent_dim": self.latent_dim,
            "d_steps": self.d_steps,
            "num_classes": self.num_classes,
            "ema_decay": schedules.serialize_value(self.ema_decay),
            "ema_start": self.ema_start,
            "seed": self.seed,
            "data_range": self._data_range_arg,
            "augment": (
                None if self.augment is None
                else keras.saving.serialize_keras_object(self.augment)
            ),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates a GAN from `get_config()`'s result.

        Args:
            config (dict): The dict `get_config` returned.
            custom_objects (dict | None): Optional dict of custom classes used
                by the networks, as for `keras.saving.deserialize_keras_object`.

        Returns:
            GAN: A new, uncompiled `GAN`.
        """
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects
            )
        if isinstance(config.get("augment"), dict):
            config["augment"] = keras.saving.deserialize_keras_object(
                config["augment"], custom_objects=custom_objects
            )
        return cls(**config)
