"""`kgl train | sample | evaluate`: train, sample and measure GANs.

The parser itself needs no TensorFlow, but importing the package does (its
`__init__` imports every subpackage, so that `keras.models.load_model`
finds the registered losses, penalties and `GAN`), so even `--help` takes
a few seconds and shows TensorFlow's start-up log lines (set
`TF_CPP_MIN_LOG_LEVEL=2` to hide them). Expected errors (bad flags, missing
paths, bad data) print one line, `kgl: error: ...`, and exit with status 2.
"""

import argparse
import sys

from keras_gan_losses.version import __version__

LOSSES = ("non_saturating", "minimax", "least_squares", "wasserstein_gp",
          "hinge", "relativistic_average")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="kgl",
        description="Train, sample and evaluate GANs with keras_gan_losses.",
    )
    parser.add_argument("--version", action="version",
                        version=f"keras_gan_losses {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser(
        "train",
        help="train a GAN (default: DCGAN, non-saturating loss, embedded "
             "MNIST)",
        description="Train a DCGAN. With no arguments: the non-saturating "
                    "loss on the embedded MNIST test split (10,000 digits), "
                    "offline, in a few minutes on a CPU. Writes sample "
                    "grids, history.csv, the .keras model, the exported "
                    "generator and the final FID to the run directory.",
    )
    train.add_argument("--data", default="mnist_10k", metavar="SOURCE",
                       help="mnist_10k (embedded, default), a TFDS name, a "
                            "folder of images, MNIST IDX files or a .npy "
                            "file of images")
    train.add_argument("--loss", choices=LOSSES, default="non_saturating",
                       help="loss preset: loss pair, penalty and optimiser "
                            "settings (default: %(default)s)")
    train.add_argument("--epochs", type=_positive, default=20,
                       help="epochs (default: %(default)s)")
    train.add_argument("--batch-size", type=_positive, default=64,
                       help="global batch size (default: %(default)s)")
    train.add_argument("--latent-dim", type=_positive, default=64,
                       help="latent vector size (default: %(default)s)")
    train.add_argument("--image-size", type=_positive, default=None,
                       metavar="N", help="resize images to N×N")
    train.add_argument("--width", type=_positive, default=32,
                       help="DCGAN width (filters of the widest layer "
                            "scale with it; default: %(default)s)")
    train.add_argument("--d-steps", type=_positive, default=None,
                       help="discriminator steps per generator step "
                            "(default: the preset's)")
    train.add_argument("--ema", type=float, default=None, metavar="DECAY",
                       help="keep an EMA of the generator with this decay, "
                            "e.g. 0.999")
    train.add_argument("--conditional", action="store_true",
                       help="train a class-conditional GAN on the labels")
    train.add_argument("--mixed-precision", action="store_true",
                       help="use the mixed_float16 policy")
    train.add_argument("--jit", action="store_true",
                       help="compile the steps with XLA")
    train.add_argument("--strategy", default="default",
                       choices=("default", "mirrored", "multi_worker"),
                       help="tf.distribute strategy (default: %(default)s)")
    train.add_argument("--out", default=None, metavar="DIR",
                       help="run directory (default: runs/<timestamp>)")
    train.add_argument("--resume", default=None, metavar="RUN_DIR",
                       help="continue an interrupted run in RUN_DIR with "
                            "its saved settings")
    train.add_argument("--seed", type=int, default=0,
                       help="random seed (default: %(default)s)")
    train.add_argument("--steps-per-epoch", type=_positive, default=None,
                       help="limit the batches per epoch")
    train.add_argument("--fid-samples", type=int, default=10000,
                       help="samples for the final FID (0 to skip; "
                            "default: %(default)s)")
    train.add_argument("--quiet", action="store_true",
                       help="no progress bar")

    sample = commands.add_parser(
        "sample",
        help="write a grid of samples from a run or an exported generator",
        description="Write a PNG grid of samples from a run directory (its "
                    "model.keras) or an exported generator SavedModel.",
    )
    sample.add_argument("source", metavar="RUN_DIR_OR_SAVEDMODEL")
    sample.add_argument("-n", "--num-samples", type=_positive, default=64,
                        help="number of images (default: %(default)s)")
    sample.add_argument("--out", default="grid.png",
                        help="PNG to write (default: %(default)s)")
    sample.add_argument("--seed", type=int, default=0,
                        help="noise seed (default: %(default)s)")

    evaluate = commands.add_parser(
        "evaluate",
        help="print FID, KID, precision and recall of a run",
        description="Generate from a run's model and print FID, KID, "
                    "precision and recall against real data.",
    )
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--data", default=None, metavar="SOURCE",
                          help="real data (default: the run's --data)")
    evaluate.add_argument("--split", default="test",
                          help="split of the real data (default: "
                               "%(default)s)")
    evaluate.add_argument("--num-samples", type=_positive, default=10000,
                          help="samples (default: %(default)s)")
    evaluate.add_argument("--extractor", default="auto",
                          choices=("auto", "mnist", "inception"),
                          help="feature extractor: the shipped MNIST "
                               "classifier for 28×28×1 images, else "
                               "InceptionV3 (downloads its weights)")
    evaluate.add_argument("--seed", type=int, default=0)
    return parser


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive int, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive int, got {value}")
    return value


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from keras_gan_losses.cli import commands

    try:
        return commands.run(args)
    except KeyboardInterrupt:
        print("kgl: interrupted", file=sys.stderr)
        return 130
    except commands.EXPECTED_ERRORS as error:
        message = " ".join(str(error).split())
        print(f"kgl: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
