"""TensorFlow, imported when first used rather than with the package.

Under `KERAS_BACKEND=jax` or `torch`, `import keras_gan_losses` does not
import TensorFlow (nearly two seconds and 1 GB of address space): the
modules that need it for a TensorFlow-only feature (`tf.data` pipelines,
the SavedModel export, `tf.distribute`, `gs://` paths) write

    from keras_gan_losses.utils.lazy import tf

and TensorFlow is imported on the first `tf.<name>` they evaluate. As
Keras's own `keras.src.utils.module_utils.LazyModule`, but a real module
object, so that AutoGraph and `inspect.ismodule` treat it as one.
"""

import importlib
import sys
import types


class LazyModule(types.ModuleType):
    """A module imported on first attribute access.

    Args:
        name (str): The module's import name, e.g. `"tensorflow"`.

    Example:

    >>> math = LazyModule("math")
    >>> math.sqrt(4.0)
    2.0
    """

    def __init__(self, name):
        super().__init__(name)
        self._lazy_name = name

    def __getattr__(self, attribute):
        if attribute.startswith("__") or attribute == "_lazy_name":
            raise AttributeError(attribute)
        module = sys.modules.get(self._lazy_name) or importlib.import_module(
            self._lazy_name)
        return getattr(module, attribute)

    def __dir__(self):
        return dir(importlib.import_module(self._lazy_name))


#: `tensorflow`, imported when one of its attributes is first read.
tf = LazyModule("tensorflow")


def _imported_tf():
    """TensorFlow if something has imported it already, else None."""
    return sys.modules.get("tensorflow")


def tf_imported():
    """Whether TensorFlow is imported already (then, and only then, can
    there be a `tf.distribute` strategy, a dataset or a TF tensor)."""
    return _imported_tf() is not None


def is_dataset(value):
    """Whether `value` is a `tf.data.Dataset`.

    Never imports TensorFlow: a dataset can exist only once it is imported.
    """
    module = _imported_tf()
    return module is not None and isinstance(value, module.data.Dataset)


def is_tf_tensor(value):
    """Whether `value` is a TensorFlow tensor (`tf.is_tensor`), on any
    backend, without importing TensorFlow."""
    module = _imported_tf()
    return module is not None and module.is_tensor(value)


def is_tensor_spec(value):
    """Whether `value` is a `tf.TensorSpec`, without importing TensorFlow."""
    module = _imported_tf()
    return module is not None and isinstance(value, module.TensorSpec)
