"""`ImageToImageGAN`: a pix2pix-style conditional GAN that maps source
images to target images."""

import keras
import numpy as np
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.export.onnx import check_format
from keras_gan_losses.export.onnx import write_onnx
from keras_gan_losses.export.saved_model import _make_room
from keras_gan_losses.losses.base import DISCRIMINATOR
from keras_gan_losses.losses.base import GENERATOR
from keras_gan_losses.losses.base import GANLoss
from keras_gan_losses.models import pair_checks
from keras_gan_losses.models.adversarial import adversarial_loss
from keras_gan_losses.models.empty_replicas import at_least_one_example
from keras_gan_losses.models.gan import GAN
from keras_gan_losses.models.gan_step import _contribution
from keras_gan_losses.models.gan_step import _unless_loss_scaled
from keras_gan_losses.models.guard import StepGuard
from keras_gan_losses.models.guard import share_of_batch
from keras_gan_losses.models.step_logs import StepLogs
from keras_gan_losses.utils.checks import check_number
from keras_gan_losses.utils.checks import positive_int
from keras_gan_losses.utils.lazy import tf

#: Short names accepted in `reconstruction_losses`.
_RECONSTRUCTION_ALIASES = {
    "l1": keras.losses.MeanAbsoluteError,
    "mae": keras.losses.MeanAbsoluteError,
    "mean_absolute_error": keras.losses.MeanAbsoluteError,
    "l2": keras.losses.MeanSquaredError,
    "mse": keras.losses.MeanSquaredError,
    "mean_squared_error": keras.losses.MeanSquaredError,
}

_RESERVED_KEYS = {"d_loss", "g_loss", "d_real", "d_fake", "nonfinite_steps"}


class _SourceLastCritic:
    """The discriminator as the penalties call a conditional critic,
    `critic([image, source])`, for a discriminator that takes
    `[source, image]`: the penalties then differentiate with respect to
    the image, at the pair's own source."""

    def __init__(self, discriminator):
        self.discriminator = discriminator

    def __call__(self, inputs, training=False):
        image, source = inputs
        return self.discriminator([source, image], training=training)


def _reconstruction_loss(loss):
    """A `keras.losses.Loss` object from an object, class or short name."""
    if isinstance(loss, str):
        alias = _RECONSTRUCTION_ALIASES.get(loss.lower())
        loss = alias() if alias is not None else keras.losses.get(loss)
    if isinstance(loss, type) and issubclass(loss, keras.losses.Loss):
        loss = loss()
    if not isinstance(loss, keras.losses.Loss):
        raise TypeError(
            "Each reconstruction loss must be a keras.losses.Loss object "
            "(e.g. keras.losses.MeanAbsoluteError()) or one of "
            f"{sorted(_RECONSTRUCTION_ALIASES)}. Received: {loss!r}"
        )
    if isinstance(loss, GANLoss):
        raise TypeError(
            f"{type(loss).__name__} is an adversarial loss: pass it as "
            "`d_loss`/`g_loss`. Reconstruction losses compare the "
            "generated images with the targets, e.g. "
            "keras.losses.MeanAbsoluteError()."
        )
    if getattr(loss, "reduction", "sum_over_batch_size") in (None, "none"):
        raise ValueError(
            f"Reconstruction loss {loss.name!r} must reduce to a scalar, "
            f"but it has reduction={loss.reduction!r}. Use the default "
            "'sum_over_batch_size'."
        )
    return loss


def resolve_reconstruction_losses(entries, reserved=()):
    """`compile(reconstruction_losses=...)` as a tuple of `(name, loss,
    weight)`, one log key per loss.

    Each entry is `(loss, weight)` or a loss alone (weight 1).
    """
    if entries is None:
        return ()
    if isinstance(entries, (keras.losses.Loss, str)) or (
        isinstance(entries, tuple) and len(entries) == 2
        and not isinstance(entries[1], (tuple, list, keras.losses.Loss, str))
    ):
        entries = [entries]
    resolved = []
    for entry in entries:
        if isinstance(entry, (tuple, list)):
            if len(entry) != 2:
                raise ValueError(
                    "Each reconstruction loss is `(loss, weight)` or a loss "
                    f"alone. Received: {entry!r}"
                )
            loss, weight = entry
        else:
            loss, weight = entry, 1.0
        loss = _reconstruction_loss(loss)
        weight = check_number(f"weight of {loss.name}", weight, low=0.0)
        resolved.append((loss.name, loss, weight))
    names = [name for name, _, _ in resolved]
    for name in names:
        if names.count(name) > 1 or name in _RESERVED_KEYS or (
            name in reserved
        ):
            raise ValueError(
                f"Each reconstruction loss needs its own log key, but "
                f"{name!r} is used twice (or is a reserved key or a "
                "penalty's name). Pass `name=` to the loss to tell them "
                "apart."
            )
    return tuple(resolved)


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class ImageToImageGAN(GAN):
    r"""A conditional GAN that translates source images into target images
    (pix2pix, Isola et al. 2017).

    The data are `(source, target)` pairs. The generator maps a source
    image to an image, `G(x)`; it takes no latent vector (pix2pix's only
    noise is the dropout of its generator, kept on in training). The
    discriminator judges an image together with its source, as
    `discriminator([source, image])`, real pairs against generated ones,
    with logits of shape `(batch,)`, `(batch, 1)` or, for a PatchGAN,
    `(batch, h, w, 1)`. Every adversarial loss and penalty of `GAN` works;
    a penalty sees the discriminator at the batch's sources (R1, for
    example, is the gradient with respect to the target image of
    `discriminator([source, target])`). Reconstruction losses, e.g. L1,
    compare the generated images with their targets and are added to the
    generator's loss.

    Formula:

    $$
    G^* = \arg\min_G \max_D \;
    \mathcal{L}_{\text{cGAN}}(G, D)
    + \sum_k \lambda_k \, \mathcal{L}_k(G)
    $$

    $$
    \mathcal{L}_{\text{cGAN}}(G, D) =
    \mathbb{E}_{x,y}[\log D(x, y)]
    + \mathbb{E}_{x}[\log(1 - D(x, G(x)))]
    $$

    with $x$ the source, $y$ the target and, in pix2pix, one reconstruction
    term $\mathcal{L}_{L1}(G) = \mathbb{E}_{x,y}\lVert y - G(x)\rVert_1$
    with $\lambda = 100$. $\mathcal{L}_{\text{cGAN}}$ is the minimax loss
    written as one objective; `compile(d_loss=..., g_loss=...)` chooses
    the discriminator's and generator's losses (the non-saturating pair
    by default, as pix2pix trains). pix2pix also halves the
    discriminator's loss, which with Adam changes (almost) nothing and is
    not done here.

    A training step runs the generator once on the batch's sources. Its
    output, with its dropout draw, is what the `d_steps` discriminator
    updates see (as fakes) and what the generator's update is taken on,
    against the updated discriminator, as in pix2pix's training loop.
    With `compile(d_loss=None, g_loss=None)` and reconstruction losses
    only (pix2pix's "L1 only" ablation) the discriminator is never called
    and the step only trains the generator.

    Everything else is `GAN`'s: `tf.distribute` strategies (an update
    equals the single-device update on the global batch, partial batches
    included), mixed precision, XLA, the EMA generator, the non-finite
    guard, `.keras` files that resume exactly, `evaluate`, `export_generator`
    and the callbacks (`SampleGrid(pairs=...)`, `TensorBoardSamples(
    pairs=...)`, and `GANEvaluation` with PSNR and SSIM).

    Args:
        generator (keras.Model): A Keras model mapping source images
            `(batch, height, width, channels)` to images, e.g. a U-Net, with
            a declared input (functional or Sequential).
        discriminator (keras.Model): A Keras model mapping `[source, image]`
            to logits, e.g. a PatchGAN.
        d_steps (int): Positive int, discriminator updates per generator
            update. Defaults to 1 (pix2pix).
        ema_decay (float | None): Optional float in (0, 1): keep an
            exponential moving average of the generator's weights in
            `ema_generator`, as `GAN` does.
        ema_start (int): Generator steps before the average starts.
        seed (int | None): Optional int seed of the penalties' random draws
            (saved with the model). Dropout draws come from Keras's own
            seed generators.
        data_range (tuple[float, float] | str | None): The range
            `(low, high)` that sources and targets must lie in (give or take
            5 % of its width). `"auto"` (the default) takes the generator's
            output activation (tanh: `(-1, 1)`), `None` turns the check off.
        **kwargs (dict): Passed on to `keras.Model` (e.g. `name`).

    Attributes:
        source_shape (tuple): Shape of one source image, e.g.
            `(256, 256, 3)`.
        image_shape (tuple): Shape of one generated (and target) image.
        reconstruction_losses (tuple): `(name, loss, weight)` for each
            reconstruction loss, set by `compile`.
        latent_dim (None): There is no latent vector.
        num_classes (None): Not a class-conditional GAN.

    `fit` and `evaluate` log what `GAN` logs (`d_loss`, `g_loss`, one key
    per penalty, `d_real`, `d_fake`, `nonfinite_steps`), plus one key per
    reconstruction loss, its `name` (e.g. `mean_absolute_error`), already
    multiplied by its weight, as the penalties are. `g_loss` is the
    adversarial term alone: the generator's objective is `g_loss` plus the
    reconstruction keys. Without an adversarial loss only the
    reconstruction keys and `nonfinite_steps` are logged.

    Example:

    ```python
    i2i = keras_gan_losses.ImageToImageGAN(unet, patchgan)
    i2i.compile(
        d_loss="non_saturating", g_loss="non_saturating",
        reconstruction_losses=[(keras.losses.MeanAbsoluteError(), 100.0)],
    )
    i2i.fit(source, target, batch_size=1, epochs=200)  # or a dataset
    images = i2i.generate(other_source)
    ```

    References:
        Isola et al., [Image-to-Image Translation with Conditional
        Adversarial Networks](https://arxiv.org/abs/1611.07004), CVPR 2017.
    """

    def __init__(self, generator, discriminator, d_steps=1, ema_decay=None,
                 ema_start=0, seed=None, data_range="auto", **kwargs):
        if kwargs.get("augment") is not None:
            raise ValueError(
                "ImageToImageGAN does not support `augment` (differentiable "
                "augmentation is implemented for GAN only)."
            )
        super().__init__(
            generator, discriminator, latent_dim=None, d_steps=d_steps,
            num_classes=None, ema_decay=ema_decay, ema_start=ema_start,
            seed=seed, data_range=data_range, **kwargs,
        )
        self.reconstruction_losses = ()

    def _network_shapes(self, generator, discriminator, latent_dim):
        self.source_shape, image_shape = pair_checks.check_networks(
            generator, discriminator
        )
        return None, image_shape

    @property
    def adversarial(self):
        """Whether the GAN trains with an adversarial loss (`False` after
        `compile(d_loss=None, g_loss=None)`)."""
        return getattr(self, "d_loss", None) is not None

    def call(self, inputs, training=False):
        """Runs the generator on source images (what `i2i(source)` does).

        Args:
            inputs (Tensor): Source images `(batch, *source_shape)`.
            training (bool): Whether to run the generator in training mode.

        Returns:
            Tensor: The generated images.
        """
        return self.generator(inputs, training=training)

    # ------------------------------------------------------------------
    # compile

    def compile(self, d_optimizer=None, g_optimizer=None,
                d_loss="non_saturating", g_loss="non_saturating",
                penalties=None, reconstruction_losses=None, **kwargs):
        """Configures the GAN for training.

        Takes every argument of `GAN.compile` (`jit_compile`,
        `run_eagerly`, `steps_per_execution`, `auto_scale_loss`,
        `nonfinite_patience`), plus `reconstruction_losses`.

        Args:
            d_optimizer (keras.Optimizer | str | dict | None): The
                discriminator's optimizer. Defaults to `Adam(2e-4,
                beta_1=0.5)` (pix2pix's).
            g_optimizer (keras.Optimizer | str | dict | None): The
                generator's optimizer, another instance. Same default.
            d_loss (keras.Loss | str | None): Discriminator loss, as for
                `GAN.compile`; `None` (with `g_loss=None`) trains without
                an adversarial loss.
            g_loss (keras.Loss | str | None): Generator loss, likewise.
            penalties (Penalty | str | list | None): Discriminator
                penalties, as for `GAN.compile`.
            reconstruction_losses (list | None): Optional list of `(loss,
                weight)` pairs (or losses alone, weight 1), each
                `loss(target, generated)` times `weight` added to the
                generator's loss and logged under `loss.name`. A loss is a
                `keras.losses.Loss` object or `"l1"`/`"mae"`, `"l2"`/
                `"mse"`. Give custom losses a `get_config` and register them
                (`keras.saving.register_keras_serializable`) for `.keras`
                files. pix2pix's objective is
                `[(keras.losses.MeanAbsoluteError(), 100.0)]`. Defaults to
                none.
            **kwargs (dict): The other arguments of `GAN.compile`.

        Raises:
            ValueError: for `d_loss=None` without `g_loss=None` (or the
                reverse), no loss at all, penalties without an adversarial
                loss, a negative weight or two losses logged under one key;
                and as `GAN.compile`.
            TypeError: for a reconstruction loss that is not a Keras loss;
                and as `GAN.compile`.
        """
        if (d_loss is None) != (g_loss is None):
            raise ValueError(
                "Pass both `d_loss` and `g_loss`, or neither (None for both "
                "trains the generator on its reconstruction losses alone). "
                f"Received: d_loss={d_loss!r}, g_loss={g_loss!r}"
            )
        resolved = self._resolve_penalties(penalties)
        for penalty in resolved:
            if getattr(penalty, "uses_logits", False):
                raise ValueError(
                    f"ImageToImageGAN does not support {type(penalty).__name__}"
                    " (a penalty with state read from the discriminator's "
                    "outputs is implemented for GAN only)."
                )
        penalty_names = {p.name for p in resolved}
        reconstruction = resolve_reconstruction_losses(
            reconstruction_losses, reserved=penalty_names
        )
        if d_loss is None:
            if penalties:
                raise ValueError(
                    "Penalties regularise the discriminator, which is not "
                    "trained without an adversarial loss (d_loss=None)."
                )
            if not reconstruction:
                raise ValueError(
                    "Nothing to train: with d_loss=None and g_loss=None, "
                    "pass `reconstruction_losses`, e.g. "
                    "[(keras.losses.MeanAbsoluteError(), 1.0)]."
                )
        self.reconstruction_losses = reconstruction
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer,
                        d_loss=d_loss, g_loss=g_loss, penalties=penalties,
                        **kwargs)

    def _resolve_losses(self, d_loss, g_loss, *args, **kwargs):
        for slot, loss in (("d_loss", d_loss), ("g_loss", g_loss)):
            if isinstance(loss, (list, tuple)):
                raise ValueError(
                    f"ImageToImageGAN takes one adversarial loss per slot; "
                    f"`{slot}` is a list. Add other generator terms as "
                    "`reconstruction_losses`."
                )
        if d_loss is None and g_loss is None:
            # Let `GAN` set up whatever state it keeps per loss, for a
            # pair of losses that is then not used.
            super()._resolve_losses("non_saturating", "non_saturating",
                                    *args, **kwargs)
            return None, None
        return super()._resolve_losses(d_loss, g_loss, *args, **kwargs)

    def _build_training_state(self, penalty_names, *args):
        names = [name for name, _, _ in self.reconstruction_losses]
        with backend.strategy_scope(self):
            self.g_optimizer.build(self.generator.trainable_variables)
            if self.adversarial:
                self.d_optimizer.build(self.discriminator.trainable_variables)
                logged = ["d_loss", "g_loss", *penalty_names, *names,
                          "d_real", "d_fake"]
                checked = ["d_loss", *penalty_names,
                           "discriminator gradients", "g_loss", *names,
                           "generator gradients"]
            else:
                logged = names
                checked = [*names, "generator gradients"]
            self._step_logs = StepLogs([*logged, "nonfinite_steps"],
                                       sum_keys=("nonfinite_steps",))
            self._guard = StepGuard(checked, value_range=self.data_range,
                                    patience=self.nonfinite_patience)

    def get_compile_config(self):
        """The `compile` arguments, serialized (`None` if not compiled)."""
        config = super().get_compile_config()
        if config is not None:
            config["reconstruction_losses"] = [
                [keras.saving.serialize_keras_object(loss), weight]
                for _, loss, weight in self.reconstruction_losses
            ]
        return config

    def compile_from_config(self, config):
        """Compiles the GAN again from `get_compile_config()`'s result."""
        config = dict(config)
        config["reconstruction_losses"] = [
            (keras.saving.deserialize_keras_object(loss), weight)
            for loss, weight in config.get("reconstruction_losses", [])
        ]
        super().compile_from_config(config)

    # ------------------------------------------------------------------
    # training

    def _unpack(self, data):
        """`(source, target)` of a batch, checked when the step is traced."""
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(pair_checks.PAIRS_NEEDED)
        # Keras's JAX trainer hands NumPy batches to an eager step.
        source, target = (ops.convert_to_tensor(x) for x in data)
        for name, images in (("source", source), ("target", target)):
            dtype = keras.backend.standardize_dtype(images.dtype)
            if not keras.backend.is_float_dtype(dtype):
                raise TypeError(
                    f"The {name} images must be floats (e.g. scaled to "
                    f"[-1, 1]); received dtype {dtype}. Convert "
                    "them first, e.g. `tf.cast(x, tf.float32) / 127.5 - 1`."
                )
        return source, target

    def _check_batch(self, source, target):
        """The guard's batch check on sources and targets together: both
        finite and (with `data_range`) in range.

        Returns:
            `(ok, reason, local_n, global_n)`, as `StepGuard.check_batch`.
        """
        n = ops.shape(target)[0]
        values = ops.concatenate([
            ops.reshape(ops.cast(source, "float32"), (-1,)),
            ops.reshape(ops.cast(target, "float32"), (-1,)),
        ], axis=0)
        # One row per example, also for an empty replica (n = 0).
        dims = (tuple(source.shape[1:]), tuple(target.shape[1:]))
        if None in dims[0] + dims[1]:
            per_example = ops.size(values) // ops.maximum(n, 1)
        else:
            per_example = sum(int(np.prod(d)) for d in dims)
        ok, reason, _, local_n, global_n = self._guard.check_batch(
            ops.reshape(values, (n, per_example)), None
        )
        return ok, reason, local_n, global_n

    def _logits(self, source, images, training):
        return ops.cast(
            self.discriminator([source, images], training=training),
            "float32",
        )

    def _pair_discriminator_losses(self, source, target, fake, seed, share,
                                   training):
        """The discriminator's loss and penalties (this replica's
        contributions to the global batch's means) and the logits."""
        real_logits = self._logits(source, target, training)
        fake_logits = self._logits(source, fake, training)
        d_loss = _contribution(adversarial_loss(
            self.d_loss, DISCRIMINATOR, real_logits, fake_logits
        ), share)
        critic = _SourceLastCritic(self.discriminator)
        terms = {}
        for index, penalty in enumerate(self.penalties):
            value = penalty(critic, target, fake,
                            seed=backend.fold_in(seed, index),
                            conditioning=source,
                            step=self._schedule_step())
            if share is not None:
                value = value * share
            terms[penalty.name] = value
        return d_loss, terms, real_logits, fake_logits

    def _pair_generator_losses(self, source, target, fake, share, training):
        """`(g_loss, terms)`: the adversarial loss (None without one) and
        the weighted reconstruction losses, as contributions."""
        generated = ops.cast(fake, "float32")
        target = ops.cast(target, "float32")
        terms = {
            name: _contribution(weight * loss(target, generated), share)
            for name, loss, weight in self.reconstruction_losses
        }
        if not self.adversarial:
            return None, terms
        fake_logits = self._logits(source, fake, training)
        if isinstance(self.g_loss, GANLoss) and self.g_loss.needs_real_logits:
            real_logits = self._logits(source, target, training)
        else:
            real_logits = ops.stop_gradient(fake_logits)
        g_loss = _contribution(adversarial_loss(
            self.g_loss, GENERATOR, real_logits, fake_logits
        ), share)
        return g_loss, terms

    def _discriminator_updates(self, source, target, fake, seed, share, ok,
                               reason):
        """`d_steps` discriminator updates on the same generated images;
        returns the guard's `(ok, reason)` after them."""
        d_vars = self.discriminator.trainable_variables
        for index in range(self.d_steps):

            def loss(index=index):
                values = self._pair_discriminator_losses(
                    source, target, fake, backend.fold_in(seed, index),
                    share, training=True,
                )
                total = values[0] + sum(values[1].values())
                return self.d_optimizer.scale_loss(total), values

            _, values, grads = backend.value_and_grad(loss, d_vars)
            d_loss, terms = values[0], values[1]
            update_ok, update_reason = self._guard.check_update(
                {"d_loss": d_loss, **terms}, "discriminator gradients",
                _unless_loss_scaled(self.d_optimizer, grads),
            )
            reason = ops.where(ok, update_reason, reason)
            ok = ops.logical_and(ok, update_ok)
            backend.run_if(ok, backend.apply_gradients, self.d_optimizer,
                           grads, d_vars)
            self._track_discriminator(*values, share, ok)
        return ok, reason

    def train_step(self, *args):
        """One training step of `fit`: the generator's output on the
        sources, `d_steps` discriminator updates on it, then one generator
        update (and the EMA update, if any).

        Args:
            *args: What Keras's trainer of the backend passes: `data`, a
                batch `(source, target)` (on JAX, `state, data`; see
                `backend.train_step`).

        Returns:
            dict[str, Tensor]: The logs, a dict of scalars (see the class
            docstring); on JAX, `(logs, state)`.
        """
        return backend.train_step(self, self._train_step, args)

    def _train_step(self, data):
        self._check_compiled()
        source, target = self._unpack(data)
        seed, step = self._step_seed()
        ok, reason, local_n, global_n = self._check_batch(source, target)
        # After `nonfinite_patience` bad steps, nothing more is updated.
        ok = ops.logical_and(ok, ops.logical_not(self._guard.tripped()))
        share = share_of_batch(local_n, global_n)
        source, target = at_least_one_example(source, target)
        g_vars = self.generator.trainable_variables

        def loss(ok=ok, reason=reason):
            # The discriminator's updates see this very output of the
            # generator (its dropout draws too), and the generator's loss
            # the updated discriminator.
            fake = self.generator(source, training=True)
            if self.adversarial:
                with backend.paused():
                    ok, reason = self._discriminator_updates(
                        source, target, ops.stop_gradient(fake), seed,
                        share, ok, reason,
                    )
            g_loss, terms = self._pair_generator_losses(
                source, target, fake, share, training=True
            )
            losses = terms if g_loss is None else {"g_loss": g_loss, **terms}
            return (self.g_optimizer.scale_loss(sum(losses.values())),
                    (losses, ok, reason))

        _, (losses, ok, reason), grads = backend.value_and_grad(loss, g_vars)
        update_ok, update_reason = self._guard.check_update(
            losses, "generator gradients",
            _unless_loss_scaled(self.g_optimizer, grads),
        )
        reason = ops.where(ok, update_reason, reason)
        ok = ops.logical_and(ok, update_ok)
        backend.run_if(ok, self._apply_generator_update, grads)
        for name, value in losses.items():
            self._track(name, value, ok)
        self._count(ok)
        self._guard.record(ok, reason, step)
        return self._logs()

    def test_step(self, *args):
        """One step of `evaluate`: the losses and logit means, no update.

        Args:
            *args: What Keras's trainer of the backend passes: `data`, a
                batch `(source, target)` (on JAX, `state, data`).

        Returns:
            dict[str, Tensor]: The logs, a dict of scalars; on JAX,
            `(logs, state)`.
        """
        return backend.test_step(self, self._test_step, args)

    def _test_step(self, data):
        self._check_compiled()
        source, target = self._unpack(data)
        seed, _ = self._step_seed(self.eval_noise_state)
        ok, _, local_n, global_n = self._check_batch(source, target)
        share = share_of_batch(local_n, global_n)
        source, target = at_least_one_example(source, target)
        fake = self.generator(source, training=False)
        losses = {}
        values = None
        if self.adversarial:
            values = self._pair_discriminator_losses(
                source, target, fake, seed, share, training=False
            )
            losses = {"d_loss": values[0], **values[1]}
        g_loss, terms = self._pair_generator_losses(
            source, target, fake, share, training=False
        )
        if g_loss is not None:
            losses["g_loss"] = g_loss
        losses.update(terms)
        losses_ok, _ = self._guard.check_update(losses)
        ok = ops.logical_and(ok, losses_ok)
        if values is not None:
            self._track_discriminator(*values, share, ok)
            self._track("g_loss", g_loss, ok)
        for name, value in terms.items():
            self._track(name, value, ok)
        self._count(ok)
        return self._logs()

    def fit(self, x=None, y=None, *args, **kwargs):
        """Trains the GAN, as `keras.Model.fit` does (same arguments).

        Before training the data is checked: source and target shapes
        against the networks, float dtypes, and for arrays equal lengths,
        finite values and `data_range`; during training the same checks
        run on every batch (see `GAN.fit`).

        Args:
            x (np.ndarray | Tensor | tf.data.Dataset): The source images
                `(n, *source_shape)`, or a `tf.data.Dataset` of batches of
                `(source, target)`.
            y (np.ndarray | Tensor | None): The target images `(n,
                *image_shape)` when `x` holds the sources; `None` for a
                dataset.
            *args (Any): Passed on to `keras.Model.fit`.
            **kwargs (Any): Passed on to `keras.Model.fit` (`batch_size`,
                `epochs`, `callbacks`, `validation_data=(source, target)`,
                ...).

        Returns:
            keras.callbacks.History: A `keras.callbacks.History`.

        Raises:
            RuntimeError: if `compile` was not called.
            ValueError: for data without targets, that does not fit the
                networks, is empty, not finite or out of range.
            TypeError: for integer images.
        """
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """Reports the losses on `(source, target)` data without updating
        anything, as `keras.Model.evaluate` does (same arguments).

        Args:
            x (np.ndarray | Tensor | tf.data.Dataset): Source images, or a
                dataset of `(source, target)` batches.
            y (np.ndarray | Tensor | None): Target images for array sources.
            *args (Any): Passed on to `keras.Model.evaluate`.
            **kwargs (Any): Passed on to `keras.Model.evaluate`.

        Returns:
            list[float] | dict[str, float]: As `keras.Model.evaluate`.

        Raises:
            RuntimeError: if `compile` was not called.
            ValueError: as for `fit`.
        """
        return super().evaluate(x, y, *args, **kwargs)

    def _check_data(self, x, y):
        pair_checks.check_data(x, y, self.source_shape, self.image_shape,
                               self.data_range)

    # ------------------------------------------------------------------
    # sampling and saving

    def generate(self, source, use_ema=None, batch_size=256):
        """Translates source images.

        Args:
            source (array-like): Source images `(n, *source_shape)`, floats
                in `data_range` (as in training).
            use_ema (bool | None): Whether to use the EMA generator. Defaults
                to `True` when the GAN keeps one.
            batch_size (int): Images per generator call.

        Returns:
            np.ndarray: The generated images, a NumPy array `(n,
            *image_shape)` (the generator in inference mode: no dropout).

        Raises:
            ValueError: for source images of the wrong shape, none, or
                non-finite values; `use_ema=True` without an EMA generator.
            TypeError: for integer images.

        Example:

        ```python
        images = i2i.generate(source[:16])
        ```
        """
        source = pair_checks.check_sources(source, self.source_shape)
        batch_size = positive_int("batch_size", batch_size)
        generator = self.pick_generator(use_ema)
        outputs = [
            ops.convert_to_numpy(
                generator(source[i:i + batch_size], training=False)
            )
            for i in range(0, len(source), batch_size)
        ]
        return np.concatenate(outputs, axis=0)

    def export_generator(self, path, use_ema=None, verbose=False,
                         overwrite=False, format="tf_saved_model"):
        """Exports the generator (the EMA copy by default) as a SavedModel
        or an ONNX file.

        The SavedModel loads with plain `tf.saved_model.load(path)` in a
        process that imports neither this package nor Keras, with one
        signature, `serving_default(source)` → `{"images": images}`,
        `source` a float32 batch `(batch, *source_shape)`; the generator
        runs in inference mode. With `format="onnx"`, one `.onnx` file
        with the input `source` and the images as output (see
        `GAN.export_generator`).

        Args:
            path (str): Directory to write the SavedModel to, or the
                `.onnx` file to write.
            use_ema (bool | None): Whether to export `ema_generator`.
                Defaults to `True` when the GAN keeps one.
            verbose (bool): Whether to print what is written.
            overwrite (bool): Whether to replace an earlier export at
                `path`.
            format (str): `"tf_saved_model"` or `"onnx"`.

        Returns:
            str: `path`.

        Raises:
            FileExistsError: if `path` exists and is not an empty folder,
                unless `overwrite` is set and it holds a SavedModel (an
                ONNX file, for `format="onnx"`).
            ValueError: for an unknown `format`.

        Example:

        ```python
        i2i.export_generator("translator")
        # elsewhere, with TensorFlow alone:
        serve = tf.saved_model.load("translator").signatures[
            "serving_default"]
        images = serve(source=tf.constant(source))["images"]
        ```
        """
        check_format(format)
        generator = self.pick_generator(use_ema)
        if format == "onnx":
            return write_onnx(generator, path, [keras.InputSpec(
                shape=(None,) + tuple(self.source_shape), dtype="float32",
                name="source")], verbose=verbose, overwrite=overwrite)
        _make_room(path, overwrite)
        archive = keras.export.ExportArchive()
        archive.track(generator)

        def serve(source):
            return {"images": generator(source, training=False)}

        archive.add_endpoint("serving_default", serve, [tf.TensorSpec(
            (None,) + tuple(self.source_shape), tf.float32, name="source"
        )])
        archive.write_out(str(path), verbose=verbose)
        return path

    def get_config(self):
        """The constructor arguments, with both networks serialized."""
        config = super().get_config()
        for key in ("latent_dim", "num_classes"):
            config.pop(key, None)
        return config
