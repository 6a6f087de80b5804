"""`kgl`'s parser and entry point, for `python -m keras_gan_losses.cli.main`.

They live in the top-level module `keras_gan_losses_cli`, which can be
imported without importing this package (and TensorFlow); see its
docstring. This module re-exports them under their old place.
"""

import sys

from keras_gan_losses_cli import LOSSES
from keras_gan_losses_cli import build_parser
from keras_gan_losses_cli import main
from keras_gan_losses_cli import run

__all__ = ["LOSSES", "build_parser", "main", "run"]

if __name__ == "__main__":
    sys.exit(main())
