"""The package's imports go one way: utils <- backend <- losses <-
penalties <- models <- callbacks and cli. A lower layer never imports a
higher one."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).parents[1] / "keras_gan_losses"

#: Layers, lowest first; a module may import only its own layer and lower.
LAYERS = ["utils", "backend", "losses", "penalties", "models", "callbacks"]
#: cli sits with callbacks, on top.
RANK = {name: index for index, name in enumerate(LAYERS)} | {
    "cli": len(LAYERS) - 1}


def _internal_imports(path):
    """The `keras_gan_losses` subpackages that the file at `path` imports,
    anywhere in it (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and \
                node.module:
            names = [node.module]
            if node.module == "keras_gan_losses":
                names = [f"keras_gan_losses.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "keras_gan_losses" and len(parts) > 1:
                found.add(parts[1])
    return found


def _layer_of(path):
    return path.relative_to(PACKAGE).parts[0]


def test_internal_imports_finds_every_form(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import keras_gan_losses.losses.base\n"
        "from keras_gan_losses import penalties as p, utils\n"
        "from keras_gan_losses.models.gan import GAN\n"
        "def f():\n"
        "    from keras_gan_losses.callbacks import SampleGrid\n"
        "from . import relative\n"
    )
    assert _internal_imports(source) == {
        "losses", "penalties", "utils", "models", "callbacks"}


MODULES = sorted(
    path for path in PACKAGE.rglob("*.py")
    if _layer_of(path) in RANK
)


@pytest.mark.parametrize(
    "path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_module_imports_a_higher_layer(path):
    rank = RANK[_layer_of(path)]
    higher = sorted(name for name in _internal_imports(path)
                    if RANK.get(name, -1) > rank)
    assert not higher, (
        f"{path.relative_to(PACKAGE)} (layer {_layer_of(path)}) imports "
        f"{higher}: the imports go utils <- backend <- losses <- penalties "
        "<- models "
        "<- callbacks/cli"
    )
