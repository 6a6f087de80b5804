"""`GAN`'s training and evaluation steps: `d_steps` discriminator updates
and one generator update per batch, the penalties, the non-finite guard,
the training signals and the logs."""

import keras
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses import schedules
from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.models import data_checks
from keras_gan_losses.models import signals
from keras_gan_losses.models.adversarial import adversarial_loss
from keras_gan_losses.models.combined import needs_features
from keras_gan_losses.models.ema import update_ema
from keras_gan_losses.models.empty_replicas import OnAtLeastOneExample
from keras_gan_losses.models.guard import share_of_batch
from keras_gan_losses.utils.conditional import call_network
from keras_gan_losses.utils.scopes import NOISE
from keras_gan_losses.utils.scopes import SIGNALS
from keras_gan_losses.utils.scopes import name_scoped


def _contribution(loss, share):
    """A Keras loss object's value (the replica's mean divided by the
    number of replicas) as the replica's share of the global mean."""
    if share is None:
        return loss
    return loss * (share * backend.num_replicas())


def _safe_mean(values):
    """The mean, 0 for an empty tensor (an empty replica)."""
    return ops.divide_no_nan(
        ops.sum(values), ops.cast(ops.size(values), values.dtype)
    )


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


class GANStep:
    """`GAN`'s `train_step` and `test_step` (a part of `GAN`; see there)."""

    @name_scoped(NOISE)
    def _step_seed(self, state=None):
        """Returns `(seed, step)`: this step's seed, different on every
        replica, and the step's index (the same on every replica)."""
        return backend.step_seed(
            self.noise_state if state is None else state)

    @name_scoped(NOISE)
    def _latent(self, batch_size, seed):
        return backend.normal((batch_size, self.latent_dim), seed)

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
        # Keras's JAX trainer hands NumPy batches to an eager step.
        data = ops.convert_to_tensor(data)
        if labels is not None:
            labels = ops.convert_to_tensor(labels)
        dtype = keras.backend.standardize_dtype(data.dtype)
        if not keras.backend.is_float_dtype(dtype):
            raise TypeError(
                "The images must be floats (e.g. scaled to [-1, 1]); "
                f"received dtype {dtype}. Convert them first, "
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
        return data, ops.reshape(ops.cast(labels, "int32"), (-1,))

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
        return (backend.fold_in(seed, _AUGMENT_SALT),
                backend.fold_in(seed, _AUGMENT_SALT + 1))

    def _discriminator_losses(self, real, fake, labels, seed, share,
                              training):
        """The discriminator's loss and its terms (the components of a
        combined `d_loss`, weighted, then the penalties, by log key), each
        this replica's contribution to the global batch's mean (see
        `share_of_batch`), the logits, and the new moving averages of the
        penalties that keep them (`_logit_penalties`, in order), to be
        stored with the discriminator's update."""
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
        averages = []
        for index, penalty in enumerate(self.penalties):
            if getattr(penalty, "uses_logits", False):
                value, new_averages = self._logit_penalty(
                    penalty, real_logits, fake_logits)
                averages.append(new_averages)
                if share is not None:
                    value = value * share
                terms[penalty.name] = value
                continue
            shared = ({"outputs": outputs}
                      if getattr(penalty, "uses_outputs", False) else {})
            value = penalty(
                discriminator, real, fake,
                seed=backend.fold_in(seed, index), conditioning=labels,
                step=self._schedule_step(), **shared,
            )
            # Penalties are plain means: weight them as the losses are, so
            # that summing over replicas gives the global batch's mean.
            if share is not None:
                value = value * share
            terms[penalty.name] = value
        return d_loss, terms, real_logits, fake_logits, averages

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
                real_logits = ops.stop_gradient(fake_logits)
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
                value = value / backend.num_replicas()
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

    def _logit_penalties(self):
        """The penalties that read the discriminator's outputs and keep
        moving averages of them (LeCam)."""
        return [p for p in self.penalties
                if getattr(p, "uses_logits", False)]

    def _logit_penalty(self, penalty, real_logits, fake_logits):
        """A penalty that reads the discriminator's outputs (LeCam):
        `(value, averages)`, its value with its moving averages updated by
        the global batch's mean outputs, and those averages (stored with
        the discriminator's update)."""
        counts = ops.cast(ops.stack([ops.size(real_logits),
                                     ops.size(fake_logits)]), "float32")
        sums = ops.stack([ops.sum(real_logits), ops.sum(fake_logits)])
        means = ops.divide_no_nan(backend.all_reduce_sum(sums),
                                  backend.all_reduce_sum(counts))
        averages = penalty.updated_averages(means[0], means[1])
        return penalty.from_logits(real_logits, fake_logits, averages,
                                   self._schedule_step()), averages

    def _schedule_step(self):
        """The step that scheduled penalty weights and EMA decays read:
        the number of generator updates so far (saved with the
        generator's optimizer)."""
        return self.g_optimizer.iterations

    def _apply_discriminator_update(self, grads, *averages):
        backend.apply_gradients(self.d_optimizer, grads,
                                self.discriminator.trainable_variables)
        for penalty, value in zip(self._logit_penalties(), averages):
            penalty.assign(value)

    def _track(self, name, contribution, ok):
        """Adds a step's value to its epoch mean, unless the step failed.

        `contribution` is this replica's share of the global batch's mean
        (see `share_of_batch`); the trackers average over the replicas, so
        they get it times the number of replicas.
        """
        self._step_logs.add(name, contribution, ok,
                            scale=backend.num_replicas())

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
        bad = ops.cast(ops.logical_not(ok), "float32")
        self._step_logs.add("nonfinite_steps",
                            ops.where(ops.equal(backend.replica_id(), 0),
                                      bad, 0.0))

    def _d_gradients(self, real, labels, latent_seed, penalty_seed, share):
        """One discriminator update's gradients, checked.

        Returns:
            `(ok, reason, grads, values, fake, half_squares, averages)`:
            the guard's verdict, the gradients, what `_track_discriminator`
            logs, the generated batch, the gradients' `half_squared_norm`
            and the logit penalties' new moving averages.
        """
        batch_size = ops.shape(real)[0]
        d_vars = self.discriminator.trainable_variables
        latent = self._latent(batch_size, latent_seed)
        with backend.without_gradients():
            fake = ops.stop_gradient(self._g(latent, labels, training=True))

        def loss():
            d_loss, terms, real_logits, fake_logits, averages = (
                self._discriminator_losses(
                    real, fake, labels, penalty_seed, share, training=True,
                )
            )
            total = d_loss + sum(terms[p.name] for p in self.penalties)
            return (self.d_optimizer.scale_loss(total),
                    (d_loss, terms, real_logits, fake_logits, averages))

        _, (d_loss, terms, real_logits, fake_logits, averages), grads = (
            backend.value_and_grad(loss, d_vars))
        half_squares = signals.half_squared_norm(grads)
        ok, reason = self._guard.check_update(
            self._checked_losses("d_loss", d_loss, terms),
            "discriminator gradients",
            _unless_loss_scaled(self.d_optimizer, grads), half_squares,
        )
        return (ok, reason, grads, (d_loss, terms, real_logits, fake_logits),
                fake, half_squares, averages)

    def train_step(self, *args):
        """One training step of `fit`: `d_steps` discriminator updates,
        then one generator update (and the EMA update, if any).

        Args:
            *args: What Keras's trainer of the backend passes: `data`, a
                batch of real images or `(images, labels)` (on JAX,
                `state, data`; see `backend.train_step`).

        Returns:
            dict[str, Tensor]: The logs, a dict of scalars (see the class
            docstring); on JAX, `(logs, state)`.
        """
        return backend.train_step(self, self._train_step, args)

    def _train_step(self, data):
        self._check_compiled()
        real, labels = self._unpack(data)
        seed, step = self._step_seed()
        ok, reason, labels, local_n, global_n = self._guard.check_batch(
            real, labels
        )
        # After `nonfinite_patience` bad steps, nothing more is updated.
        ok = ops.logical_and(ok, ops.logical_not(self._guard.tripped()))
        share = share_of_batch(local_n, global_n)
        g_vars = self.generator.trainable_variables
        # Each update runs only while every check of this step has passed;
        # `reason` keeps the first failure.
        for index in range(self.d_steps):
            (update_ok, update_reason, grads, values, fake,
             half_squares, averages) = self._d_gradients(
                real, labels, backend.fold_in(seed, 2 * index),
                backend.fold_in(seed, 2 * index + 1), share,
            )
            reason = ops.where(ok, update_reason, reason)
            ok = ops.logical_and(ok, update_ok)
            backend.run_if(ok, self._apply_discriminator_update, grads,
                           *averages)
            self._track_discriminator(*values, share, ok)
            self._track_d_signals(values[2], values[3], share, ok,
                                  grads=grads, fake=fake, real=real,
                                  last=index == self.d_steps - 1,
                                  half_squares=half_squares)

        latent = self._latent(
            ops.shape(real)[0], backend.fold_in(seed, 2 * self.d_steps)
        )

        def loss():
            g_loss, g_parts = self._generator_loss(
                real, labels, latent, share, training=True,
                seed=backend.fold_in(seed, 2 * self.d_steps + 1),
            )
            return self.g_optimizer.scale_loss(g_loss), (g_loss, g_parts)

        _, (g_loss, g_parts), grads = backend.value_and_grad(loss, g_vars)
        half_squares = signals.half_squared_norm(grads)
        update_ok, update_reason = self._guard.check_update(
            self._checked_losses("g_loss", g_loss, g_parts),
            "generator gradients",
            _unless_loss_scaled(self.g_optimizer, grads), half_squares,
        )
        reason = ops.where(ok, update_reason, reason)
        ok = ops.logical_and(ok, update_ok)
        backend.run_if(ok, self._apply_generator_update, grads)
        self._track("g_loss", g_loss, ok)
        for name, value in g_parts.items():
            self._track(name, value, ok)
        self._track_g_signals(grads, half_squares, ok)
        self._count(ok)
        self._guard.record(ok, reason, step)
        return self._logs()

    def _apply_generator_update(self, grads):
        g_vars = self.generator.trainable_variables
        backend.apply_gradients(self.g_optimizer, grads, g_vars)
        if self.ema_generator is not None:
            started = self.g_optimizer.iterations > self.ema_start
            # The update just applied was number iterations - 1.
            decay = schedules.value_at(self.ema_decay,
                                       self.g_optimizer.iterations - 1)
            decay = ops.where(started, ops.cast(decay, "float32"), 0.0)
            update_ema(self.ema_generator, self.generator, decay)

    def test_step(self, *args):
        """One step of `evaluate`: the losses and logit means, no update.

        Args:
            *args: What Keras's trainer of the backend passes: `data`, a
                batch of real images or `(images, labels)` (on JAX,
                `state, data`; see `backend.test_step`).

        Returns:
            dict[str, Tensor]: The logs, a dict of scalars (see the class
            docstring); on JAX, `(logs, state)`.
        """
        return backend.test_step(self, self._test_step, args)

    def _test_step(self, data):
        self._check_compiled()
        real, labels = self._unpack(data)
        batch_size = ops.shape(real)[0]
        seed, _ = self._step_seed(self.eval_noise_state)
        ok, _, labels, local_n, global_n = self._guard.check_batch(
            real, labels
        )
        share = share_of_batch(local_n, global_n)
        latent = self._latent(batch_size, backend.fold_in(seed, 0))
        fake = self._g(latent, labels, training=False)
        values = self._discriminator_losses(
            real, fake, labels, backend.fold_in(seed, 1), share,
            training=False,
        )[:4]
        latent = self._latent(batch_size, backend.fold_in(seed, 2))
        g_loss, g_parts = self._generator_loss(
            real, labels, latent, share, training=False
        )
        losses_ok, _ = self._guard.check_update({
            **self._checked_losses("d_loss", values[0], values[1]),
            **self._checked_losses("g_loss", g_loss, g_parts),
        })
        ok = ops.logical_and(ok, losses_ok)
        self._track_discriminator(*values, share, ok)
        self._track("g_loss", g_loss, ok)
        for name, value in g_parts.items():
            self._track(name, value, ok)
        self._track_d_signals(values[2], values[3], share, ok, fake=fake,
                              real=real)
        self._count(ok)
        # Nothing is updated: no gradient norm to report.
        return self._logs(exclude=signals.GRADIENT_KEYS)
