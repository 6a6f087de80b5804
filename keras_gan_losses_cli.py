"""The `kgl` entry point: parse first, import TensorFlow only when needed.

Why a top-level module: `keras_gan_losses/__init__.py` imports every
subpackage (so that `keras.models.load_model` finds the registered losses,
penalties and `GAN`), and Python runs a package's `__init__` before any of
its submodules. A parser living in `keras_gan_losses.cli` would therefore
import TensorFlow before `--help` could answer (about 8 s on a 2-core CPU).
This module sits beside the package, imports nothing heavy, parses the
arguments, and only then, for `train`, `sample` and `evaluate`, imports
`keras_gan_losses.cli.commands` (and with it TensorFlow). `kgl --help`,
`--version` and argument errors answer in tens of milliseconds; the
version is read from `keras_gan_losses/version.py` without importing the
package.

Quiet start-up: TensorFlow's C++ core prints a start-up block on every
import (oneDNN, CUDA drivers, `cuInit` failures on CPU-only machines, CPU
instruction sets) and the grappler `remapper failed` line on some graphs.
Several are written through absl before it is initialised, so
`TF_CPP_MIN_LOG_LEVEL` does not hide them. The console command `kgl`
therefore runs the work in a child process whose stderr it reads line by
line and forwards, dropping only C++ info lines and the known harmless
lines in `NOISE` (`stderr_is_noise`). Python warnings and errors, and
unknown C++ warnings and errors, pass through; a crash's last lines are
never lost because the parent reads until the child's stderr closes.
Set `KGL_SHOW_TF_LOGS=1` to see everything.

`main(argv)` is the console command; `run(argv)` does the same work in
this process without the stderr filter (for tests and embedding).
"""

import argparse
import os
import re
import signal
import subprocess
import sys

#: The `--loss` presets of `kgl train` (the names of `kgl.presets`).
LOSSES = ("non_saturating", "non_saturating_lecam", "minimax",
          "least_squares", "wasserstein_gp", "hinge", "relativistic_average",
          "relativistic_pairing", "r3gan", "mmd")

#: The `--task` values of `kgl train`: image-to-image pairs of
#: `kgl.data.load_pairs`.
TASKS = ("super_resolution", "inpainting")

#: Set in the child process that does the work, so it does not respawn.
CHILD_ENV = "KGL_CHILD"
#: Set to 1 to forward TensorFlow's start-up lines unfiltered.
SHOW_LOGS_ENV = "KGL_SHOW_TF_LOGS"

#: A C++ log line of TensorFlow/absl: `I0000 00:00:17.. 123 file.cc:45] ...`.
_CPP_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] ")
#: Known harmless lines on a CPU-only machine, at any level.
NOISE = tuple(re.compile(pattern) for pattern in (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called",
    r"^To enable the following instructions: .* rebuild TensorFlow with",
    r"oneDNN custom operations are on",
    r"Could not find cuda drivers on your machine",
    r"failed call to cuInit",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"TF-TRT Warning: Could not find TensorRT",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"remapper failed: INVALID_ARGUMENT: Mutation::Apply error",
    r"Local rendezvous is aborting with status: OUT_OF_RANGE",
    # Mixed precision on a CPU: oneDNN falls back to Eigen (kgl train
    # warns about mixed precision on CPUs itself).
    r"oneDNN supports DT_HALF only on platforms with AVX-512",
))


def stderr_is_noise(line):
    """Whether `kgl` drops this stderr line of TensorFlow's C++ core.

    Args:
        line: One line of stderr, with or without its newline.

    Returns:
        True for C++ info lines (`I0000 ...`) and the lines in `NOISE`;
        False for everything else, including Python warnings and unknown
        C++ warnings and errors.

    Example:

    >>> stderr_is_noise("E0000 00:00:1.5  12 cuda_platform.cc:52] failed "
    ...                 "call to cuInit: UNKNOWN ERROR (303)")
    True
    >>> stderr_is_noise("UserWarning: the sample count is small")
    False
    """
    match = _CPP_LINE.match(line)
    if match and match.group(1) == "I":
        return True
    return any(pattern.search(line) for pattern in NOISE)


def read_version():
    """The package version, read from its `version.py` without importing it.

    Returns:
        The version string, e.g. `"0.1.0"`, or `"unknown"`.
    """
    import importlib.util

    spec = importlib.util.find_spec("keras_gan_losses")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "version.py")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as file:
                match = re.search(r"__version__\s*=\s*['\"]([^'\"]+)",
                                  file.read())
            if match:
                return match.group(1)
    return "unknown"


class _VersionAction(argparse.Action):
    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(option_strings, dest, nargs=0,
                         help="print the version and exit", **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"keras_gan_losses {read_version()}")
        parser.exit()


def _int_at_least(minimum, what):
    """An argparse type: an int >= `minimum`, described as `what`."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected {what}, got {value}")
        return value

    return parse


positive_int = _int_at_least(1, "a positive int")
non_negative_int = _int_at_least(0, "an int >= 0")


def non_negative_float(text):
    """argparse type: a float >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number >= 0, got {text!r}") from None
    if not value >= 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a finite number >= 0, got {text}")
    return value


def fraction(text):
    """argparse type: a float in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in (0, 1), e.g. 0.1, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in (0, 1), e.g. 0.1, got {value}")
    return value


def decay(text):
    """argparse type: a float in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a decay in (0, 1), e.g. 0.999, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a decay in (0, 1), e.g. 0.999, got {value}")
    return value


def build_parser():
    """The `kgl` argument parser (no TensorFlow needed).

    Returns:
        An `argparse.ArgumentParser` with the sub-commands `train`,
        `sample` and `evaluate`.
    """
    parser = argparse.ArgumentParser(
        prog="kgl",
        description="Train, sample and evaluate GANs with keras_gan_losses.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    _add_train(commands)
    _add_sample(commands)
    _add_evaluate(commands)
    return parser


def _add_train(commands):
    train = commands.add_parser(
        "train",
        help="train a GAN (default: DCGAN, non-saturating loss, embedded "
             "MNIST)",
        description="Train a DCGAN. With no arguments: the non-saturating "
                    "loss on the embedded MNIST test split (10,000 digits), "
                    "offline, in a few minutes on a CPU. Writes sample "
                    "grids, history.csv, curves.png, the .keras model, the "
                    "exported generator and the final FID to the run "
                    "directory.",
    )
    _add_train_data_and_model(train)
    _add_train_settings(train)
    _add_train_run(train)
    _add_train_image_to_image(train)


def _add_train_image_to_image(train):
    """`--task`: an image-to-image GAN (pix2pix) instead of a DCGAN."""
    group = train.add_argument_group(
        "image-to-image (pix2pix)",
        "With --task, train an ImageToImageGAN (U-Net generator, PatchGAN "
        "discriminator) to map degraded images of --data (mnist_10k or a "
        ".npy file) back to the originals; --width sets both networks' "
        "base filters; --loss none trains on the reconstruction losses "
        "alone. The last --held-out fraction of the images is held out "
        "for the grids and metrics.json (PSNR, SSIM, MNIST FID).")
    group.add_argument("--task", choices=TASKS, default=None,
                       help="super_resolution (×4: 4×4 block means, "
                            "bilinear upsampling) or inpainting (bottom "
                            "half masked)")
    group.add_argument("--l1-weight", type=non_negative_float, default=100.0,
                       metavar="W",
                       help="weight of the L1 loss (default: %(default)s, "
                            "pix2pix's λ)")
    group.add_argument("--perceptual-weight", type=non_negative_float,
                       default=0.0, metavar="W",
                       help="weight of a perceptual loss on the shipped "
                            "MNIST classifier's convolutions (28×28×1 "
                            "only; default: %(default)s, off)")
    group.add_argument("--held-out", type=fraction, default=0.1,
                       metavar="FRACTION",
                       help="fraction of the images held out for "
                            "evaluation (default: %(default)s)")


def _add_train_data_and_model(train):
    """What to train: data, loss preset, epochs, sizes."""
    train.add_argument("--data", default="mnist_10k", metavar="SOURCE",
                       help="mnist_10k (embedded, default), a TFDS name, a "
                            "folder of images, MNIST IDX files or a .npy "
                            "file of images")
    train.add_argument("--loss", choices=LOSSES + ("none",),
                       default=None,
                       help="loss preset: loss pair, penalty and optimiser "
                            "settings (default: non_saturating_lecam, with "
                            "--task non_saturating; none: no adversarial "
                            "loss, with --task only)")
    train.add_argument("--epochs", type=positive_int, default=20,
                       help="epochs (default: %(default)s)")
    train.add_argument("--batch-size", type=positive_int, default=64,
                       help="global batch size (default: %(default)s)")
    train.add_argument("--latent-dim", type=positive_int, default=64,
                       help="latent vector size (default: %(default)s)")
    train.add_argument("--image-size", type=positive_int, default=None,
                       metavar="N", help="resize images to N×N")
    train.add_argument("--width", type=positive_int, default=32,
                       help="DCGAN width (filters of the widest layer "
                            "scale with it; default: %(default)s)")


def _add_train_settings(train):
    """How to train: discriminator steps, EMA, precision, strategy."""
    train.add_argument("--d-steps", type=positive_int, default=None,
                       help="discriminator steps per generator step "
                            "(default: the preset's)")
    train.add_argument("--ema", type=decay, default=None, metavar="DECAY",
                       help="keep an EMA of the generator with this decay, "
                            "e.g. 0.999")
    labels = train.add_mutually_exclusive_group()
    labels.add_argument("--conditional", action="store_true", default=None,
                        help="train a class-conditional GAN on the labels "
                             "(default: when the data has labels)")
    labels.add_argument("--unconditional", action="store_false",
                        dest="conditional",
                        help="ignore the data's labels")
    train.add_argument("--clusters", type=non_negative_int, default=None,
                       metavar="K",
                       help="without class labels (or with "
                            "--unconditional), condition the GAN on K "
                            "k-means clusters of the images "
                            "(self-conditioning; default: 40, fewer "
                            "below 100 images a cluster; 0 for a plain "
                            "unconditional GAN)"),
    train.add_argument("--mixed-precision", nargs="?", const="float16",
                       default=None, choices=("float16", "bfloat16"),
                       metavar="{float16,bfloat16}",
                       help="compute in float16 (the default when given "
                            "alone; for GPUs) or bfloat16 (for GPUs and "
                            "CPUs with bfloat16 instructions), keeping "
                            "float32 weights")
    train.add_argument("--jit", action="store_true",
                       help="compile the steps with XLA")
    train.add_argument("--steps-per-execution", type=positive_int,
                       default=None, metavar="N",
                       help="run N training steps per call into TensorFlow "
                            "(the callbacks see every N-th step; default: 1 "
                            "on a CPU, 8 with a GPU; lowered to a divisor "
                            "of the epoch's steps)")
    train.add_argument("--strategy", default="default",
                       choices=("default", "mirrored", "multi_worker"),
                       help="tf.distribute strategy (default: %(default)s)")
    train.add_argument("--backend", default=None,
                       choices=("tensorflow", "jax", "torch"),
                       help="Keras backend to train on (default: "
                            "$KERAS_BACKEND, else Keras's configured one; "
                            "a resumed run keeps its own)")


def _add_train_run(train):
    """The run: its directory, resuming, seed, length, evaluation."""
    train.add_argument("--out", default=None, metavar="DIR",
                       help="run directory (default: runs/<timestamp>)")
    train.add_argument("--resume", default=None, metavar="RUN_DIR",
                       help="continue an interrupted run in RUN_DIR with "
                            "its saved settings")
    train.add_argument("--seed", type=int, default=0,
                       help="random seed (default: %(default)s)")
    train.add_argument("--steps-per-epoch", type=positive_int, default=None,
                       metavar="N",
                       help="train exactly N batches per epoch (the data "
                            "repeats as needed; default: one pass)")
    train.add_argument("--fid-samples", type=non_negative_int, default=10000,
                       metavar="N",
                       help="samples for the final FID (0 to skip; "
                            "default: %(default)s)")
    train.add_argument("--eval-every", type=non_negative_int, default=0,
                       metavar="EPOCHS",
                       help="also compute FID and KID on --fid-samples "
                            "samples after the first epoch and every "
                            "EPOCHS epochs, into history.csv and "
                            "curves.png (28×28×1 images; with --task: PSNR, "
                            "SSIM and FID of held-out pairs; default: 0, "
                            "off)")
    train.add_argument("--quiet", action="store_true",
                       help="no progress bar")


def _add_sample(commands):
    sample = commands.add_parser(
        "sample",
        help="write a grid of samples from a run or an exported generator",
        description="Write a PNG grid of samples from a run directory (its "
                    "model.keras) or an exported generator SavedModel. For "
                    "an image-to-image run (--task), the grid shows held-out "
                    "(source, generated, target) triplets.",
    )
    sample.add_argument("source", metavar="RUN_DIR_OR_SAVEDMODEL",
                        help="a run directory of `kgl train` or an "
                             "exported generator SavedModel")
    sample.add_argument("-n", "--num-samples", type=positive_int, default=64,
                        help="number of images (default: %(default)s)")
    sample.add_argument("--out", default="grid.png", metavar="PNG",
                        help="PNG file to write (default: %(default)s)")
    sample.add_argument("--seed", type=int, default=0,
                        help="noise seed: the same seed gives the same "
                             "images (default: %(default)s)")


def _add_evaluate(commands):
    evaluate = commands.add_parser(
        "evaluate",
        help="print FID, KID, precision and recall of a run",
        description="Generate from a run's model and print FID, KID, "
                    "precision and recall against real data. For an "
                    "image-to-image run (--task), translate its held-out "
                    "sources and print PSNR and SSIM against their targets "
                    "next to FID.",
    )
    evaluate.add_argument("run_dir", metavar="RUN_DIR",
                          help="a run directory of `kgl train`")
    evaluate.add_argument("--data", default=None, metavar="SOURCE",
                          help="real data (default: the run's --data)")
    evaluate.add_argument("--split", default="test",
                          help="split of the real data (default: "
                               "%(default)s)")
    evaluate.add_argument("--num-samples", type=positive_int, default=10000,
                          metavar="N",
                          help="generated and real samples (default: "
                               "%(default)s; kid_std needs at least 2000, "
                               "precision and recall 10000)")
    evaluate.add_argument("--extractor", default="auto",
                          choices=("auto", "mnist", "inception"),
                          help="feature extractor: the shipped MNIST "
                               "classifier for 28×28×1 images, else "
                               "InceptionV3 (downloads its weights once, "
                               "or see --inception-weights)")
    evaluate.add_argument("--inception-weights", default=None,
                          metavar="PATH",
                          help="a local copy of Keras's InceptionV3 "
                               "ImageNet weights (the no-top .h5 file), "
                               "for offline use")
    evaluate.add_argument("--seed", type=int, default=0,
                          help="seed of the generated samples' noise and "
                               "of the KID subsets (default: "
                               "%(default)s)")


def quiet_tensorflow_env(environ=None):
    """Sets TensorFlow's logging variables unless the user set them.

    `TF_CPP_MIN_LOG_LEVEL=2` hides C++ info and warning lines written after
    absl is initialised (errors stay); the lines before that are dropped
    by the stderr filter of `main`.

    Args:
        environ: The mapping to change. Defaults to `os.environ`.
    """
    environ = os.environ if environ is None else environ
    environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def select_backend(args, environ=None):
    """Sets `KERAS_BACKEND` for `kgl train --backend NAME` before Keras is
    imported; for `--resume`, to the backend the run was started on (its
    `config.json`, like every other saved setting).

    Args:
        args (argparse.Namespace): The parsed arguments.
        environ: The mapping to change. Defaults to `os.environ`.
    """
    environ = os.environ if environ is None else environ
    backend = getattr(args, "backend", None)
    resume = getattr(args, "resume", None)
    if resume:
        import json

        try:
            with open(os.path.join(resume, "config.json")) as file:
                backend = json.load(file).get("backend") or backend
        except (OSError, ValueError, AttributeError):
            pass  # `kgl train` names the problem with the run directory
    if backend:
        environ["KERAS_BACKEND"] = backend


def run(argv=None):
    """Parses `argv` and runs the command in this process.

    Args:
        argv: Arguments without the program name. Defaults to
            `sys.argv[1:]`.

    Returns:
        The exit status: 0 on success, 2 for errors the user can fix (one
        line, `kgl: error: ...`, on stderr), 130 after Ctrl-C.
    """
    args = build_parser().parse_args(argv)
    quiet_tensorflow_env()
    select_backend(args)
    from keras_gan_losses.cli import commands

    return commands.main(args)


def main(argv=None):
    """The console command `kgl`: `run` in a child with filtered stderr.

    Parses the arguments here first (so `--help`, `--version` and argument
    errors answer at once), then runs the command in a child process and
    forwards its stderr without TensorFlow's start-up lines. Runs in this
    process when it is already the child or `KGL_SHOW_TF_LOGS=1`.

    Args:
        argv: Arguments without the program name. Defaults to
            `sys.argv[1:]`.

    Returns:
        The exit status of the command.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    build_parser().parse_args(argv)
    if os.environ.get(CHILD_ENV) or os.environ.get(SHOW_LOGS_ENV) == "1":
        return run(argv)
    env = dict(os.environ, **{CHILD_ENV: "1"})
    quiet_tensorflow_env(env)
    env.setdefault("PYTHONUNBUFFERED", "1")
    child = subprocess.Popen(
        [sys.executable, "-m", "keras_gan_losses_cli", *argv],
        stderr=subprocess.PIPE, env=env,
    )
    # Ctrl-C reaches the child too (same process group): it prints
    # "kgl: interrupted" and exits with 130. Here it must only not kill
    # the reader (a handler, not SIG_IGN, which the child would inherit).
    # A SIGTERM sent to this process alone is passed on to the child.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, lambda *_: None),
        signal.SIGTERM: signal.signal(
            signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM)),
    }
    try:
        forward_stderr(child.stderr, sys.stderr.buffer)
        status = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 128 - status if status < 0 else status


def forward_stderr(source, target):
    """Copies lines from `source` to `target`, dropping `stderr_is_noise`.

    Args:
        source: A binary file to read until its end.
        target: A binary file; flushed after every line.
    """
    for raw in iter(source.readline, b""):
        if stderr_is_noise(raw.decode("utf-8", "replace")):
            continue
        target.write(raw)
        target.flush()


if __name__ == "__main__":
    sys.exit(run() if os.environ.get(CHILD_ENV) else main())
