"""The public API: every exported name is documented, registered and its
docstring examples run."""

import doctest
import importlib
import inspect
import pkgutil

import keras
import pytest

import keras_gan_losses as kgl

#: The modules of the Keras backends not in use import their framework
#: (jax, torch), which need not be installed.
OTHER_BACKENDS = {
    f"keras_gan_losses.backend.{name}" for name in ("tensorflow", "jax",
                                                     "torch")
    if name != keras.backend.backend()
}
MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(
        kgl.__path__, prefix="keras_gan_losses.")
    if not name.startswith("keras_gan_losses.cli")
    and name not in OTHER_BACKENDS
)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, module_name,
                            globs=dict(vars(module))):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0


PUBLIC = [(name, getattr(kgl, name)) for name in kgl.__all__
          if name != "__version__"]
for sub in (kgl.losses, kgl.penalties, kgl.metrics, kgl.data,
            kgl.architectures, kgl.export, kgl.callbacks, kgl.presets,
            kgl.visualization, kgl.augmentation, kgl.schedules,
            kgl.optimizers):
    PUBLIC += [(f"{sub.__name__}.{name}", getattr(sub, name))
               for name in sub.__all__
               if name not in ("ALL_OBJECTS", "NAMES", "PRESETS", "DEFAULT",
                               "DEFAULT_UNCONDITIONAL",
                               "POLICIES")]


@pytest.mark.parametrize("name,obj", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_public_names_are_documented(name, obj):
    assert inspect.getdoc(obj), f"{name} has no docstring"


@pytest.mark.parametrize("cls", sorted(
    kgl.losses.ALL_OBJECTS | kgl.penalties.ALL_OBJECTS | {
        kgl.GAN, kgl.schedules.CosineSchedule, kgl.schedules.HalfLifeDecay,
        kgl.optimizers.Adam},
    key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_public_classes_are_registered(cls):
    assert keras.saving.get_registered_name(cls) == \
        f"keras_gan_losses>{cls.__name__}"
    doc = inspect.getdoc(cls)
    assert "Args:" in doc or cls is kgl.GAN
