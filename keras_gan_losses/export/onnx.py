"""Export a generator as an ONNX file, through Keras's own ONNX export."""

import importlib
import os
import warnings

import keras

from keras_gan_losses.utils import atomic

#: The formats of `GAN.export_generator` (Keras's names, as in
#: `keras.Model.export`).
FORMATS = ("tf_saved_model", "onnx")


def check_format(format):
    """Refuses an export `format` other than `FORMATS`, and a SavedModel
    outside the TensorFlow backend."""
    if format not in FORMATS:
        raise ValueError(
            "`format` must be 'tf_saved_model' or 'onnx'. Received: "
            f"format={format!r}"
        )
    if format == "tf_saved_model" and keras.backend.backend() != "tensorflow":
        raise ValueError(
            "A TensorFlow SavedModel is written from the tensorflow backend "
            f"of Keras; this one is {keras.backend.backend()!r}. Export with "
            "format=\"onnx\", or save the model (`gan.save(path)`) and "
            "export it under KERAS_BACKEND=tensorflow."
        )


def export_generator_onnx(generator, path, latent_dim, num_classes=None,
                          verbose=False, overwrite=False):
    """Writes `generator` as an ONNX model (`keras.Model.export(...,
    format="onnx")`).

    The file runs in ONNX Runtime (`onnxruntime.InferenceSession(path)`)
    or any other ONNX runtime, without Python's ML frameworks. Its inputs
    are `z`, float32 `(batch, latent_dim)`, and for a conditional
    generator `labels`, int32 class ids `(batch,)`; its output is the
    generator's images, in the generator's own value range. (The
    SavedModel's uint8 `sample` signature has no ONNX counterpart: draw
    `z` from N(0, 1) yourself.) Keras converts with the `tf2onnx` package
    on TensorFlow, `jax2onnx` on JAX (`pip install
    "keras_gan_losses[onnx]"`) and `torch.onnx` on PyTorch.

    Args:
        generator (keras.Model): The Keras generator to export.
        path (str): The file to write, ending in `.onnx`.
        latent_dim (int): Size of the latent vectors.
        num_classes (int | None): Number of classes of a conditional
            generator, or None.
        verbose (bool): Whether Keras prints what it writes.
        overwrite (bool): Whether to replace an existing file at `path`.

    Returns:
        str: `path`.

    Raises:
        ValueError: if `path` does not end in `.onnx`.
        FileExistsError: if `path` exists, unless `overwrite` is set (a
            folder is never replaced).
        ImportError: if the converter Keras needs is not installed.
    """
    signature = [keras.InputSpec(shape=(None, latent_dim), dtype="float32",
                                 name="z")]
    if num_classes is not None:
        signature = [signature + [keras.InputSpec(
            shape=(None,), dtype="int32", name="labels")]]
    return write_onnx(generator, path, signature, verbose, overwrite)


def write_onnx(model, path, input_signature, verbose=False, overwrite=False):
    """Writes `model` to the `.onnx` file `path` with Keras's ONNX export
    and `input_signature` (named `keras.InputSpec`s), atomically; see
    `export_generator_onnx` for the checks and errors."""
    path = os.fspath(path)
    if not path.endswith(".onnx"):
        raise ValueError(
            "An ONNX export is one file whose name ends in `.onnx`. "
            f"Received: path={path!r}"
        )
    if os.path.isdir(path) or (os.path.exists(path) and not overwrite):
        raise FileExistsError(
            f"{path} already exists: pass overwrite=True to replace it."
            if not os.path.isdir(path) else
            f"{path} is a folder; an ONNX export is one file."
        )
    _check_converter()
    with atomic.replacing(path) as temporary, warnings.catch_warnings():
        # Keras's tf2onnx shim (keras/src/export/tf2onnx_lib.py) probes
        # `np.object`, which NumPy 2 warns about: not the user's concern.
        warnings.filterwarnings("ignore", category=FutureWarning,
                                message=".*np.object.*")
        if keras.backend.backend() == "torch":
            # PyTorch's tracer warns about Keras's shape arithmetic (the
            # tests run the file at other batch sizes than the trace's),
            # and its TorchScript exporter, which Keras 3.15 picks without
            # `onnxscript`, about itself.
            import torch

            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
        model.export(temporary, format="onnx", verbose=verbose,
                     input_signature=input_signature)
    return path


#: The converter Keras's ONNX export needs on each backend (PyTorch's is
#: its own `torch.onnx`).
_CONVERTERS = {"tensorflow": ("tf2onnx", "TensorFlow"),
               "jax": ("jax2onnx", "JAX")}


def _check_converter():
    backend = keras.backend.backend()
    if backend not in _CONVERTERS:
        return
    module, name = _CONVERTERS[backend]
    try:
        importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"Exporting to ONNX on the {name} backend needs the {module} "
            f"package: pip install \"keras_gan_losses[onnx]\" (or {module} "
            "and onnxruntime)."
        ) from None
