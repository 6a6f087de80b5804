"""`GAN`'s sampling: `generate`, the generator it samples from and
`export_generator`."""

import numpy as np
from keras import ops

from keras_gan_losses import backend
from keras_gan_losses.export.onnx import check_format
from keras_gan_losses.export.onnx import export_generator_onnx
from keras_gan_losses.export.saved_model import export_generator
from keras_gan_losses.models import shape_checks
from keras_gan_losses.utils.checks import check_seed
from keras_gan_losses.utils.checks import positive_int

#: Second word of the seed of `generate`'s label draws (any constant: it
#: keeps them apart from the latent draws of the same seed).
LABEL_STREAM = 0x1ABE1


class GANSampling:
    """`GAN`'s `generate` and `export_generator` (a part of `GAN`; see
    there)."""

    @property
    def sampling_generator(self):
        """The generator used for sampling: the EMA copy if there is one."""
        if self.ema_generator is not None:
            return self.ema_generator
        return self.generator

    def generate(self, num_images=None, labels=None, seed=None, use_ema=None,
                 batch_size=256, latent=None):
        """Generates images from fresh latent noise or from given latents.

        Args:
            num_images (int | None): Positive int, how many images. Defaults
                to `len(latent)` when `latent` is given.
            labels (int | array-like | None): For a conditional GAN, int class
                ids, one per image (or a single int for all). Defaults to
                cycling through the classes: 0, 1, ..., num_classes - 1, 0,
                ..., or, for a GAN given `label_frequencies`, to classes
                drawn with those frequencies (from `seed`).
            seed (int | None): Optional int in [-2**63, 2**63); the same seed
                gives the same images. (On TensorFlow, the stateless draws
                that the exported SavedModel's `sample` repeats; on JAX and
                PyTorch, NumPy's, the same on both.)
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
        labels = self._labels_for(num_images, labels, seed)
        if latent is None:
            latent = backend.normal((num_images, self.latent_dim),
                                    None if seed is None else int(seed))
        return self._generate_from(latent, labels, generator, batch_size)

    def _check_latent(self, latent, num_images, seed):
        if seed is not None:
            raise ValueError(
                "Pass `latent` or `seed`, not both: the seed draws a latent "
                "batch."
            )
        latent = ops.convert_to_tensor(latent, "float32")
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
            part = (None if labels is None else
                    ops.convert_to_tensor(labels[i:i + batch_size], "int32"))
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

    def _labels_for(self, num_images, labels, seed=None):
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    "`labels` given, but this GAN is not conditional "
                    "(num_classes=None)."
                )
            return None
        if labels is None and self.label_frequencies is not None:
            # A stream of its own, not the latent draws of the same seed.
            rng = np.random.default_rng(
                None if seed is None else [int(seed) % 2**64, LABEL_STREAM])
            labels = rng.choice(self.num_classes, size=num_images,
                                p=self.label_frequencies)
        elif labels is None:
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
        return np.asarray(labels, np.int32)

    def export_generator(self, path, use_ema=None, value_range=(-1.0, 1.0),
                         sample_signature=None, verbose=False,
                         overwrite=False, format="tf_saved_model"):
        """Exports the generator (the EMA copy by default) as a SavedModel
        or an ONNX file.

        `format="tf_saved_model"` (the default): see
        `keras_gan_losses.export.export_generator`. The result loads with
        plain `tf.saved_model.load(path)`, with a `serving_default(z[,
        labels])` signature and a `sample(batch_size, seed)` signature that
        returns uint8 images. The export refuses a `path` that exists and
        is not an empty folder, unless `overwrite=True` and it holds an
        earlier SavedModel, which is then replaced.

        `format="onnx"`: see `keras_gan_losses.export.export_generator_onnx`.
        One `.onnx` file, through Keras's ONNX export, with inputs `z` (and
        `labels`) and the images as output; it runs in ONNX Runtime. On
        TensorFlow it needs `tf2onnx`, on JAX `jax2onnx` (`pip install
        "keras_gan_losses[onnx]"`); PyTorch converts with `torch.onnx`.
        The SavedModel is TensorFlow's own: on the other backends,
        `format="tf_saved_model"` is an error that says so.

        Args:
            path (str): Directory to write the SavedModel to, or the
                `.onnx` file to write.
            use_ema (bool | None): Whether to export `ema_generator`. Defaults
                to `True` when the GAN keeps one; `True` without one raises
                `ValueError`.
            value_range (tuple[float, float]): `(low, high)`, the range of the
                generator's outputs, mapped to 0 and 255 by the `sample`
                signature (SavedModel only).
            sample_signature (bool | None): Whether to add the
                `sample(batch_size, seed)` signature to a SavedModel
                (default: yes). ONNX has none.
            verbose (bool): Whether to print what is written.
            overwrite (bool): Whether to replace an earlier export at
                `path`.
            format (str): `"tf_saved_model"` or `"onnx"`, as in
                `keras.Model.export`.

        Returns:
            str: `path`.

        Raises:
            FileExistsError: if `path` exists and is not an empty folder,
                unless `overwrite` is set and it holds a SavedModel (an
                ONNX file, for `format="onnx"`).
            ValueError: for an unknown `format`, or a `sample_signature`
                asked of an ONNX export.
        """
        check_format(format)
        generator = self.pick_generator(use_ema)
        if format == "onnx":
            if sample_signature:
                raise ValueError(
                    "An ONNX export has no `sample` signature: draw the "
                    "latent vectors `z` from N(0, 1) and feed them."
                )
            return export_generator_onnx(
                generator, path, self.latent_dim,
                num_classes=self.num_classes, verbose=verbose,
                overwrite=overwrite,
            )
        return export_generator(
            generator, path, self.latent_dim,
            num_classes=self.num_classes, value_range=value_range,
            sample_signature=sample_signature is not False, verbose=verbose,
            overwrite=overwrite, label_frequencies=self.label_frequencies,
        )
