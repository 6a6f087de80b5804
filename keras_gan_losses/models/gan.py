"""`GAN`: a `keras.Model` that trains a generator and a discriminator.

The class is put together from parts, one job per file: its
construction, `fit`, `evaluate`, config and saving here; `compile` and
the compile config in `gan_compile`; the training and evaluation steps
in `gan_step`; `generate` and `export_generator` in `gan_sampling`."""

import inspect

import keras
import numpy as np

from keras_gan_losses import backend
from keras_gan_losses import schedules
from keras_gan_losses.augmentation import DiffAugment
from keras_gan_losses.models import data_checks
from keras_gan_losses.models import random_states
from keras_gan_losses.models import resume
from keras_gan_losses.models import shape_checks
from keras_gan_losses.models.ema import clone_generator
from keras_gan_losses.models.gan_compile import GANCompile
from keras_gan_losses.models.gan_sampling import GANSampling
from keras_gan_losses.models.gan_step import GANStep
from keras_gan_losses.models.guard import GuardMonitor
from keras_gan_losses.utils import lazy
from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import positive_int

_NO_BATCHES = ("The data yielded no batches: nothing was trained. Check "
               "that the dataset is not empty (e.g. filtered to nothing).")


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
    if lazy.is_dataset(x):
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


def _check_batch_split(x, batch_size):
    """Refuses array batches that the devices of a JAX
    `keras.distribution` cannot split evenly (JAX shards the batch axis
    and fails deep inside with an `IndivisibleError`)."""
    devices = backend.batch_devices()
    if devices == 1:
        return
    if isinstance(x, (tuple, list)) and x:
        x = x[0]
    if not isinstance(x, np.ndarray):
        return
    batch_size = batch_size or 32
    last = len(x) % batch_size
    for size, which in ((min(batch_size, len(x)), "batch_size"),
                        (last, "the last batch")):
        if size % devices:
            raise ValueError(
                f"{which} ({size} images) does not split evenly over the "
                f"{devices} devices of the distribution: use a batch size "
                f"that is a multiple of {devices}, and as many images as "
                "whole batches (or a tf.data.Dataset batched with "
                "drop_remainder=True)."
            )


def _resolve_augment(augment):
    """`GAN(augment=...)` as a callable `(images, seed) -> images`."""
    if augment is None:
        return augment
    if isinstance(augment, DiffAugment):
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


def _check_label_frequencies(frequencies, num_classes):
    """`label_frequencies` as a tuple of shares summing to 1, or None."""
    if frequencies is None:
        return None
    if num_classes is None:
        raise ValueError("`label_frequencies` is for a conditional GAN: "
                         "pass num_classes too.")
    values = np.asarray(frequencies, dtype=np.float64)
    if values.shape != (num_classes,):
        raise ValueError(
            f"`label_frequencies` must hold one share per class "
            f"({num_classes}); received shape {values.shape}.")
    if not np.all(np.isfinite(values)) or np.any(values < 0) or not (
            values.sum() > 0):
        raise ValueError(
            "`label_frequencies` must be finite, non-negative and not all "
            f"zero; received {frequencies!r}.")
    return tuple(float(v) for v in values / values.sum())


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class GAN(GANCompile, GANStep, GANSampling, keras.Model):
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
        label_frequencies (array-like | None): For a conditional GAN,
            optional non-negative shares of the classes in the data (any
            scale; normalised to sum to 1). `generate` without `labels`
            then draws the classes with these frequencies instead of
            cycling through them, so that its samples follow the data's
            class balance, as needed when the classes are clusters of
            unlabelled images (self-conditioning, see
            `keras_gan_losses.data.kmeans_labels`). Training is
            unchanged: generated images take the labels of the real
            batch.
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
        label_frequencies (tuple[float] | None): The classes' shares
            (summing to 1) that `generate` draws from, or `None` (it
            cycles through the classes).
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
                 data_range="auto", augment=None, label_frequencies=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.augment = _resolve_augment(augment)
        self._check_networks(generator, discriminator)
        self.d_steps = positive_int("d_steps", d_steps)
        self.num_classes = (
            None if num_classes is None
            else positive_int("num_classes", num_classes)
        )
        self.label_frequencies = _check_label_frequencies(
            label_frequencies, self.num_classes)
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
            dtype=backend.counter_dtype(),
            initializer=keras.initializers.Constant([int(base), 0]),
            trainable=False,
            aggregation="only_first_replica",
        )

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
        _check_batch_split(args.get("x"), args.get("batch_size"))
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
        except UnboundLocalError as error:
            # Keras's JAX trainer (3.15) fails so on data that yields no
            # batch: say what happened.
            if "'logs'" not in str(error):
                raise
            raise ValueError(_NO_BATCHES) from None
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
            raise ValueError(_NO_BATCHES)
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
        # A stream of its own, far past any training step (2**30 where
        # the counters are int32).
        stream = 1 << (40 if backend.counter_dtype() == "int64" else 30)
        self.eval_noise_state.assign(np.array([base, stream], np.int64))
        return super().evaluate(**args)

    def _check_data(self, x, y):
        shape_checks.check_data(x, y, self.discriminator, self.image_shape,
                                self.num_classes)
        images, labels = shape_checks.split_data(x, y)
        if isinstance(images, np.ndarray):
            data_checks.check_values(images, self.data_range)
        elif lazy.is_dataset(images) and int(
            images.cardinality()
        ) == 0:
            raise ValueError(
                "The training data is an empty dataset: nothing to train on."
            )
        if self.num_classes is not None and labels is not None:
            data_checks.check_labels(labels, self.num_classes)

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
            "label_frequencies": (None if self.label_frequencies is None
                                  else list(self.label_frequencies)),
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
