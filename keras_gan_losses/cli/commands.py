"""The work behind `kgl train`, `kgl sample` and `kgl evaluate`.

`main(args)` runs the command of parsed arguments (see
`keras_gan_losses_cli.build_parser`) and turns the errors a user can fix
into one line, `kgl: error: ...`, with exit status 2.
"""

import contextlib
import datetime
import io
import json
import os
import pathlib
import shutil
import sys
import tempfile
import warnings

import keras
import numpy as np
import tensorflow as tf

import keras_gan_losses as kgl
from keras_gan_losses.cli import resuming as resuming_lib
from keras_gan_losses.cli.history_csv import HistoryCSV
from keras_gan_losses.cli.mode_coverage import monitor_coverage
from keras_gan_losses.metrics import extractors
from keras_gan_losses.metrics.classifier import CLASSIFIER_SCORE_KEYS
from keras_gan_losses.utils import atomic


class CommandError(Exception):
    """An error the user can fix; `main` prints its message as one line."""


#: Errors that are the user's to fix: printed as one line by `main`.
EXPECTED_ERRORS = (CommandError, ValueError, OSError,
                   FloatingPointError, tf.errors.OpError,
                   kgl.data.DatasetUnavailableError,
                   kgl.callbacks.BackupError)

#: Settings saved in `config.json` and restored by `--resume`.
SAVED_SETTINGS = ("data", "loss", "epochs", "batch_size", "latent_dim",
                  "image_size", "width", "d_steps", "ema", "conditional",
                  "clusters",
                  "mixed_precision", "jit", "steps_per_execution",
                  "strategy", "backend", "seed",
                  "steps_per_epoch", "fid_samples", "eval_every",
                  "task", "l1_weight", "perceptual_weight", "held_out")

#: Files and folders `kgl train` writes into the run directory.
RUN_FILES = ("config.json", "clusters.npy", "history.csv", "steps.csv",
             "curves.png",
             "samples", "backup", "model.keras", "generator_savedmodel",
             "metrics.json", "health.json")

#: Samples below which `kgl evaluate` warns: KID subsets are 1,000 samples,
#: so `kid_std` needs at least two disjoint subsets' worth; precision and
#: recall use k-nearest-neighbour radii that shrink with the sample count,
#: and are usually reported for 10,000 samples or more.
KID_SUBSET_SIZE = 1000
MIN_SAMPLES_KID = 2 * KID_SUBSET_SIZE
MIN_SAMPLES_PRECISION_RECALL = 10000


def main(args):
    """Runs `args.command`; returns the exit status (0, 2, 130 after
    Ctrl-C, 143 after SIGTERM)."""
    try:
        return {"train": train, "sample": sample, "evaluate": evaluate}[
            args.command](args)
    except KeyboardInterrupt as error:
        message = getattr(error, "kgl_message", None) or "interrupted"
        print(f"kgl: {message}", file=sys.stderr, flush=True)
        return 143 if getattr(error, "signal_name", "") == "SIGTERM" \
            else 130
    except EXPECTED_ERRORS as error:
        print(f"kgl: error: {one_line(error)}", file=sys.stderr, flush=True)
        return 2


def one_line(error):
    """The message of `error` on one line (a TensorFlow error's first)."""
    if isinstance(error, tf.errors.OpError):
        text = error.message.strip().splitlines()[0] if error.message \
            else type(error).__name__
        text = text.split("\n\t [[")[0]
        return f"{type(error).__name__}: {' '.join(text.split())}"
    text = " ".join(str(error).split())
    if isinstance(error, OSError) and error.filename and (
        str(error.filename) not in text
    ):
        text = f"{error.filename}: {text}"
    return text or type(error).__name__


def say(*parts):
    print(*parts, flush=True)


def warn(message):
    """Prints `kgl: warning: message` on stderr."""
    print(f"kgl: warning: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def health_warnings_as_kgl_warnings():
    """Shows the `TrainingMonitor`'s findings as `kgl: warning: ...` lines
    (on a line of their own, not after the progress bar's); other Python
    warnings keep their usual form."""
    show = warnings.showwarning

    def show_health(message, category, *args, **kwargs):
        if issubclass(category, (kgl.callbacks.TrainingHealthWarning,
                                 kgl.callbacks.BackupWarning)):
            print(file=sys.stderr)
            warn(message)
        else:
            show(message, category, *args, **kwargs)

    warnings.showwarning = show_health
    try:
        yield
    finally:
        warnings.showwarning = show


# ----------------------------------------------------------------------
# train


#: `--loss` when none is given: the small-data recipe for a conditional
#: DCGAN, R3GAN's objective for an unconditional one (see
#: `kgl.presets.DEFAULT_UNCONDITIONAL`), the classic preset for an
#: image-to-image run (whose L1 term and paired discriminator LeCam's
#: moving averages were not measured with).
DEFAULT_LOSS, DEFAULT_TASK_LOSS = kgl.presets.DEFAULT, "non_saturating"
DEFAULT_UNCONDITIONAL_LOSS = kgl.presets.DEFAULT_UNCONDITIONAL


def train(args):
    run_dir, args, resuming = _plan_run_dir(args)
    with resuming_lib.sigterm_as_interrupt():
        try:
            return _train(args, run_dir, resuming)
        except KeyboardInterrupt as error:
            if not (run_dir / "config.json").is_file():
                raise
            error.kgl_message = resuming_lib.interrupted_message(
                error, run_dir, args.epochs)
            raise


def _train(args, run_dir, resuming):
    if args.loss is None and getattr(args, "task", None):
        args.loss = DEFAULT_TASK_LOSS
    if getattr(args, "task", None):
        from keras_gan_losses.cli import image_to_image

        return image_to_image.train(args, run_dir, resuming)
    if args.loss == "none":
        raise CommandError("--loss none (no adversarial loss) needs --task; "
                           "a DCGAN learns only from its adversarial loss.")
    if args.eval_every and args.fid_samples == 0:
        raise CommandError("--eval-every needs --fid-samples > 0 (the "
                           "samples of each evaluation).")
    _check_backend(args)
    keras.utils.set_random_seed(args.seed)
    set_precision(args.mixed_precision)
    strategy = _strategy(args.strategy)
    if args.clusters:
        if args.conditional:
            raise CommandError(
                "--clusters conditions the GAN on clusters of the images "
                "instead of their labels: drop --conditional (or "
                "--clusters).")
        args.conditional = False
    dataset = _training_data(args)
    if args.loss is None:
        args.loss = (DEFAULT_LOSS if args.conditional
                     else DEFAULT_UNCONDITIONAL_LOSS)
    clusters = _clusters(args, run_dir, resuming)
    if clusters is not None:
        dataset = _clustered_data(args, *clusters)
    spec = dataset.element_spec
    image_shape = tuple((spec[0] if isinstance(spec, tuple) else spec)
                        .shape[1:])
    num_classes = (_num_classes(dataset, args.data) if args.conditional
                   else None if clusters is None else args.clusters)
    if args.eval_every and image_shape != (28, 28, 1):
        raise CommandError(
            f"--eval-every needs 28×28×1 images (the shipped MNIST "
            f"feature extractor); {args.data} has {image_shape}. Use "
            "`kgl evaluate RUN_DIR --extractor inception` after training."
        )
    total_steps = _total_steps(dataset, args)
    if args.steps_per_epoch:
        # Exactly steps_per_epoch batches every epoch, however many the
        # data holds: the shuffled data repeats without a gap.
        dataset = dataset.repeat()
    preset = kgl.presets.get(args.loss)
    if num_classes is not None and preset.d_outputs != 1:
        raise CommandError(
            f"--loss {args.loss} trains a critic with {preset.d_outputs} "
            "feature outputs, which has no conditional (projection) form: "
            "drop --conditional."
        )
    with strategy.scope():
        try:
            generator, discriminator = preset.networks(
                image_shape, latent_dim=args.latent_dim,
                num_classes=num_classes, width=args.width,
            )
        except ValueError as error:
            if "image_shape" not in str(error):
                raise
            raise CommandError(
                f"{one_line(error)} (kgl train: pass --image-size N, "
                "e.g. --image-size 32.)"
            ) from error
        # The preset's EMA and schedules span the whole run.
        ema = ({"ema_decay": args.ema} if args.ema is not None
               else preset.gan_kwargs(total_steps, args.batch_size))
        gan = kgl.GAN(
            generator, discriminator, d_steps=args.d_steps or preset.d_steps,
            num_classes=num_classes, seed=args.seed, **ema,
            label_frequencies=None if clusters is None else np.bincount(
                clusters[1], minlength=args.clusters),
        )
        gan.compile(**preset.compile_kwargs(total_steps=total_steps),
                    jit_compile=True if args.jit else "auto",
                    steps_per_execution=steps_per_execution(
                        args, total_steps and total_steps // args.epochs))
    chief = kgl.callbacks.is_chief()
    out_dir = run_dir if chief else pathlib.Path(tempfile.mkdtemp())
    callbacks = []
    if args.eval_every:
        callbacks.append(_evaluation(args, image_shape))
    callbacks += [
        kgl.callbacks.SampleGrid(out_dir / "samples", num_samples=64, seed=0),
        HistoryCSV(out_dir / "history.csv"),
        kgl.callbacks.TrainingCurves(
            out_dir / "curves.png", log_path=out_dir / "steps.csv",
            title=f"{args.loss} {preset.architecture.upper()} on "
                  f"{args.data}",
        ),
        # GAN.fit runs it after the others, whatever its place.
        resuming_lib.backup_callback(run_dir),
    ]
    # After the evaluation (its class coverage), before the files: the
    # monitor reads the signals that GAN.fit logs and writes health.json.
    monitor = kgl.callbacks.TrainingMonitor(
        path=out_dir / "health.json",
        **monitor_coverage(args, image_shape, _data_source(args.data)))
    callbacks.insert(1 if args.eval_every else 0, monitor)
    epochs_done = _EpochCounter()
    callbacks.append(epochs_done)
    # Set-up succeeded: only now does the run directory get written.
    created = _start_run_dir(run_dir, args, resuming) if chief else False
    if chief and clusters is not None and not resuming:
        atomic.write_bytes(run_dir / "clusters.npy", _npy(clusters[1]))
    steps = (f"{args.steps_per_epoch} steps" if args.steps_per_epoch
             else "one pass over the data")
    epochs = "1 epoch" if args.epochs == 1 else f"{args.epochs} epochs"
    say(f"Training {args.loss} {preset.architecture.upper()} on "
        f"{args.data} {image_shape} for "
        f"{epochs} of {steps}; writing to {run_dir}/")
    try:
        with health_warnings_as_kgl_warnings():
            gan.fit(dataset, epochs=args.epochs, callbacks=callbacks,
                    steps_per_epoch=args.steps_per_epoch, shuffle=False,
                    verbose=0 if args.quiet else "auto")
    except BaseException as error:
        discard_unless_backed_up(run_dir, created, resuming, epochs_done,
                                 chief)
        if isinstance(error, tf.errors.OpError):
            raise CommandError(_training_error(error, args.data)) from error
        raise
    say(monitor.summary() + (f" Details: {run_dir}/health.json"
                             if monitor.findings else ""))
    finish_run(
        gan, run_dir, out_dir, chief, "Samples",
        lambda: _final_fid(gan, args, image_shape)
        if args.fid_samples > 0 else {},
    )
    return 0


def finish_run(gan, run_dir, out_dir, chief, samples, compute_metrics):
    """Ends a `kgl train` run: saves the model and its SavedModel export,
    writes `metrics.json` from `compute_metrics()`, then removes the
    backup, last (see `cli.resuming`), removes a non-chief worker's
    scratch folder and says where everything is (`samples` names what
    `samples/` holds). Every file is written to a temporary name and
    renamed into place."""
    with atomic.replacing(out_dir / "model.keras") as path:
        gan.save(path)
    # The run's own export: a resumed run replaces it.
    saved_model = keras.backend.backend() == "tensorflow"
    if saved_model:
        with atomic.replacing(out_dir / "generator_savedmodel",
                              directory=True) as path:
            gan.export_generator(path)
    metrics = compute_metrics()
    atomic.write_json(out_dir / "metrics.json", metrics)
    if chief:
        resuming_lib.remove_backup(run_dir)
        resuming_lib.remove_stale(run_dir)
    else:
        shutil.rmtree(out_dir, ignore_errors=True)
    export = (f"SavedModel: {run_dir}/generator_savedmodel/" if saved_model
              else f"no SavedModel (TensorFlow's format: the model file "
                   f"loads on any backend, and `export_generator(path, "
                   f"format=\"onnx\")` exports from {keras.backend.backend()})")
    say(f"Done. {samples}: {run_dir}/samples/, curves: {run_dir}/curves.png, "
        f"model: {run_dir}/model.keras, {export}")


#: CPU flags (Linux's /proc/cpuinfo names) of native bfloat16 arithmetic.
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags():
    """The CPU's feature flags as Linux lists them (empty elsewhere)."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def set_precision(mixed_precision):
    """Sets the `mixed_float16` or `mixed_bfloat16` policy if asked,
    warning where it is slower than float32: float16 on a CPU, bfloat16
    on a CPU without bfloat16 instructions (which emulates it).

    Args:
        mixed_precision (str | bool | None): `"float16"` (or `True`, as
            runs before the bfloat16 option saved it), `"bfloat16"`, or
            None/False for float32.
    """
    if not mixed_precision:
        return
    dtype = "float16" if mixed_precision is True else mixed_precision
    keras.mixed_precision.set_global_policy(f"mixed_{dtype}")
    if tf.config.list_physical_devices("GPU"):
        return
    if dtype == "float16":
        warn("--mixed-precision on a machine without a GPU: float16 "
             "runs slower than float32 on CPUs; it is meant for GPUs "
             "(on a CPU with bfloat16 instructions, try "
             "--mixed-precision bfloat16).")
    elif not has_native_bfloat16():
        warn("--mixed-precision bfloat16 on a CPU without bfloat16 "
             f"instructions ({' or '.join(BFLOAT16_CPU_FLAGS)}): it is "
             "emulated and runs slower than float32.")


def has_native_bfloat16():
    """Whether this CPU computes in bfloat16 natively."""
    return bool(cpu_flags() & set(BFLOAT16_CPU_FLAGS))


def discard_unless_backed_up(run_dir, created, resuming, epochs_done,
                             chief):
    """After a failed first attempt: removes what the run wrote, unless
    it was resumed, finished an epoch or holds a backup (a run stopped
    by a signal backs up its step first)."""
    if resuming or epochs_done.count or not chief or (
            run_dir / resuming_lib.BACKUP).exists():
        return
    _discard_run(run_dir, created)


class _EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.count = 0

    def on_epoch_end(self, epoch, logs=None):
        self.count += 1


#: `--steps-per-execution` when none is given, by device: the steps `kgl
#: train` runs per call into TensorFlow (see `steps_per_execution`). On a
#: CPU a DCGAN step takes 20-50 ms, of which Keras's per-step loop and
#: `kgl train`'s per-step callbacks take about 0.5 ms
#: (`benchmarks/overhead.py`: 8 per execution saved 2-5 %, within the
#: run-to-run noise): one step per execution keeps the curves and a
#: SIGTERM's backup per step. A GPU step takes a few ms, so there the
#: same 0.5 ms is worth saving.
DEFAULT_STEPS_PER_EXECUTION = {"CPU": 1, "GPU": 8}


def steps_per_execution(args, steps_per_epoch):
    """The steps per execution of a run: `--steps-per-execution` (by
    default `DEFAULT_STEPS_PER_EXECUTION` for the machine's device),
    lowered to the largest divisor of the epoch's steps.

    Keras runs whole executions: with an epoch of 100 steps and 8 steps
    per execution it trains 104 steps on repeated data (and reports
    wrong step numbers for the short last execution of a pass over
    finite data), so an epoch must hold a whole number of executions.
    With the epoch's length unknown, 1.

    Args:
        args (argparse.Namespace): The run's settings.
        steps_per_epoch (int | None): The epoch's training steps.

    Returns:
        int: The steps per execution.
    """
    asked = getattr(args, "steps_per_execution", None)
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    wanted = asked or DEFAULT_STEPS_PER_EXECUTION[device]
    if not steps_per_epoch:
        if asked and asked > 1:
            say(f"Steps per execution: 1 (the epoch's length is unknown, "
                f"and {asked} could run past its end).")
        return 1
    chosen = max(n for n in range(1, min(wanted, steps_per_epoch) + 1)
                 if steps_per_epoch % n == 0)
    if asked and chosen != asked:
        say(f"Steps per execution: {chosen} (a divisor of the epoch's "
            f"{steps_per_epoch} steps; {asked} would run past its end).")
    return chosen


def _total_steps(dataset, args):
    """The run's generator steps (for the preset's schedules), or None if
    the data's length is unknown."""
    if args.steps_per_epoch:
        return args.steps_per_epoch * args.epochs
    batches = int(dataset.cardinality())
    return batches * args.epochs if batches > 0 else None


def _plan_run_dir(args):
    """`(run_dir, args, resuming)`: checks only, writes nothing."""
    if args.resume:
        run_dir = pathlib.Path(args.resume)
        config = run_dir / "config.json"
        if not config.is_file():
            raise CommandError(
                f"--resume {run_dir}: no config.json there; is it a run "
                "directory written by `kgl train`?"
            )
        if (run_dir / "model.keras").is_file() and not (
            run_dir / "backup"
        ).exists():
            resuming_lib.remove_stale(run_dir)
            raise CommandError(
                f"--resume {run_dir}: that run has already finished "
                "(model.keras is written); start a new one with --out."
            )
        try:
            saved = json.loads(config.read_text())
        except ValueError as error:
            raise CommandError(
                f"--resume {run_dir}: {config} is not valid JSON ({error})."
            ) from error
        for key in SAVED_SETTINGS:
            if key in saved:
                setattr(args, key, saved[key])
        say(resuming_lib.resume_line(run_dir, args.epochs))
        return run_dir, args, True
    if args.out:
        run_dir = pathlib.Path(args.out)
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = pathlib.Path("runs") / stamp
    if (run_dir / "config.json").exists():
        raise CommandError(
            f"{run_dir} already holds a run; use --resume {run_dir} to "
            "continue it or --out for a new directory."
        )
    if run_dir.exists() and not run_dir.is_dir():
        raise CommandError(f"--out {run_dir}: a file, not a directory.")
    return run_dir, args, False


def _start_run_dir(run_dir, args, resuming):
    """Creates the run directory and its config; whether it was created."""
    if resuming:
        return False
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("history.csv", "steps.csv", "curves.png", "health.json"):
        (run_dir / name).unlink(missing_ok=True)
    settings = {key: getattr(args, key) for key in SAVED_SETTINGS}
    atomic.write_json(run_dir / "config.json", settings)
    return created


def _discard_run(run_dir, created):
    """Removes what a run that finished no epoch wrote."""
    if created:
        shutil.rmtree(run_dir, ignore_errors=True)
        return
    for name in RUN_FILES:
        path = run_dir / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _training_error(error, data):
    """One line for a TensorFlow error in `fit`, naming a bad image file."""
    message = f"training stopped: {one_line(error)}"
    folder = pathlib.Path(str(data))
    if folder.is_dir():
        bad = _first_unreadable_image(folder)
        if bad is not None:
            path, problem = bad
            return (f"cannot decode the image {path} ({problem}); remove "
                    "or replace it. (TensorFlow: "
                    f"{one_line(error)})")
    return message


def _first_unreadable_image(folder):
    """`(path, reason)` of the first image PIL cannot decode, or None."""
    from PIL import Image

    suffixes = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in suffixes or not path.is_file():
            continue
        try:
            with Image.open(path) as image:
                image.load()
        except Exception as error:  # noqa: BLE001 - any decoding failure
            return path, " ".join(str(error).split()) or type(error).__name__
    return None


def _check_backend(args):
    """Records the Keras backend in `args.backend` (saved with the run);
    refuses the TensorFlow-only flags on the others."""
    args.backend = keras.backend.backend()
    if args.backend == "tensorflow":
        return
    if args.strategy != "default":
        raise CommandError(
            f"--strategy {args.strategy} is a tf.distribute strategy: it "
            f"needs --backend tensorflow (the run is on {args.backend}).")
    if args.jit and args.backend == "torch":
        raise CommandError(
            "--jit compiles the steps with XLA, which the torch backend "
            "does not have (JAX always does): drop --jit or use --backend "
            "jax or tensorflow.")


def _strategy(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _data_source(source):
    path = pathlib.Path(str(source))
    if path.suffix == ".npy":
        if not path.is_file():
            raise FileNotFoundError(f"No such file: {source}")
        try:
            return np.load(path)
        except ValueError as error:
            raise CommandError(f"{path}: not a readable .npy file "
                               f"({error}).") from error
    return source


def _training_data(args):
    """The training dataset; decides `args.conditional` when it is None.

    By default (neither --conditional nor --unconditional) the GAN is
    conditional when the data has class labels and the preset's critic
    has a conditional form: the class tells the generator which digit to
    draw, which on mnist_10k is worth more sample quality per minute than
    any other change measured (`benchmarks/demo_budget.py`).
    """
    source = _data_source(args.data)  # a .npy file is read once

    def load(with_labels):
        return kgl.data.load_images(
            source, split="train",
            image_size=args.image_size, batch_size=args.batch_size,
            with_labels=with_labels, seed=args.seed,
        )

    if args.conditional is not None:
        return load(args.conditional)
    if kgl.presets.get(args.loss or DEFAULT_LOSS).d_outputs != 1:
        args.conditional = False
        return load(False)
    try:
        dataset = load(True)
    except kgl.data.NoLabelsError:
        args.conditional = False
        return load(False)
    args.conditional = True
    say(f"Conditional on the class labels of {args.data} "
        "(--unconditional to ignore them).")
    return dataset


#: `--clusters` when not given, for unlabelled data (see `_clusters`):
#: 40, or fewer for fewer than 100 images per cluster (none below 2).
DEFAULT_CLUSTERS = 40
IMAGES_PER_CLUSTER = 100
#: Images larger than this (height or width) are clustered downsampled.
CLUSTER_SIZE = 32


def _clusters(args, run_dir, resuming):
    """`(pixels, labels)` for a self-conditioned run, else None.

    Without class labels the GAN is conditioned on `--clusters` k-means
    clusters of the training images (`kgl.data.kmeans_labels`) and
    samples them in proportion to their sizes: on mnist_10k 40 clusters
    lift the recognisable samples from 70 % to 92 % at the same budget
    (`benchmarks/mode_coverage.py`). `pixels` are the training images as
    uint8, in a fixed order, `labels` their cluster ids; a resumed run
    reads the ids it started with from `clusters.npy`. By default 40
    clusters, fewer for small data (`IMAGES_PER_CLUSTER`).
    """
    conditional_form = kgl.presets.get(args.loss).d_outputs == 1
    if args.conditional or (args.clusters is None and not conditional_form):
        args.clusters = 0 if args.clusters is None else args.clusters
        return None
    if args.clusters == 0:
        return None
    if not conditional_form:
        raise CommandError(
            f"--clusters conditions the GAN on clusters, but --loss "
            f"{args.loss} trains a critic with feature outputs, which has "
            "no conditional form: use --clusters 0.")
    try:
        pixels = _training_pixels(args)
    except tf.errors.OpError as error:
        raise CommandError(_training_error(error, args.data)) from error
    if args.clusters is None:
        args.clusters = min(DEFAULT_CLUSTERS,
                            len(pixels) // IMAGES_PER_CLUSTER)
        if args.clusters < 2:
            args.clusters = 0
            return None
    saved = run_dir / "clusters.npy"
    if resuming and saved.is_file():
        labels = np.load(saved)
    else:
        if len(pixels) < args.clusters:
            raise CommandError(
                f"--clusters {args.clusters}, but {args.data} has only "
                f"{len(pixels)} images: use fewer clusters (or 0).")
        small = pixels
        if max(pixels.shape[1:3]) > CLUSTER_SIZE:
            small = tf.image.resize(pixels, (CLUSTER_SIZE, CLUSTER_SIZE),
                                    "area").numpy()
        labels = kgl.data.kmeans_labels(small, args.clusters,
                                        seed=args.seed)
    say(f"Conditional on {args.clusters} k-means clusters of the images "
        "(self-conditioning; --clusters 0 for none).")
    return pixels, labels


def _training_pixels(args):
    """All training images as uint8 `(n, h, w, c)`, in the source's order."""
    images = kgl.data.load_images(
        _data_source(args.data), split="train", image_size=args.image_size,
        batch_size=256, shuffle=False, drop_remainder=False)
    return np.concatenate([kgl.data.to_uint8(np.asarray(batch))
                           for batch in images])


def _clustered_data(args, pixels, labels):
    """The training dataset of `(images, cluster ids)`."""
    return kgl.data.load_images(
        (pixels, labels), batch_size=args.batch_size, with_labels=True,
        seed=args.seed)


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _num_classes(dataset, data):
    names = getattr(dataset, "class_names", None)
    if names:
        return len(names)
    top = 0
    for _, labels in dataset.unbatch().batch(4096):
        top = max(top, int(tf.reduce_max(labels)))
    return top + 1


def _real_for_fid(args, image_shape, count):
    return kgl.data.load_images(
        _data_source(args.data), split="train", image_size=args.image_size,
        batch_size=256, shuffle=False, drop_remainder=False,
    ).unbatch().take(count).batch(256)


def _evaluation(args, image_shape):
    return kgl.callbacks.GANEvaluation(
        _real_for_fid(args, image_shape, args.fid_samples),
        feature_extractor="mnist", every_n_epochs=args.eval_every,
        metrics=("fid", "kid"), num_samples=args.fid_samples,
        seed=args.seed + 1,
    )


def _final_fid(gan, args, image_shape):
    if image_shape != (28, 28, 1):
        say("FID: skipped (the shipped extractor is for 28×28×1 images); "
            "run `kgl evaluate RUN_DIR --extractor inception`.")
        return {}
    extractor = kgl.metrics.mnist_extractor()
    real = _real_for_fid(args, image_shape, args.fid_samples)
    real_features = kgl.metrics.compute_features(extractor, real)
    fake = gan.generate(len(real_features), seed=args.seed + 1)
    fake_features = kgl.metrics.compute_features(extractor, fake)
    fid = kgl.metrics.evaluate_features(
        real_features, fake_features, metrics=("fid",))["fid"]
    say(f"FID (shipped MNIST-classifier features, {len(fake_features)} "
        f"samples vs {args.data}; not comparable to Inception FID): "
        f"{fid:.3f}")
    scores = _classifier_scores(real, fake, gan)
    _say_classifier_scores(scores, f"{args.data} (train)")
    return {"fid_mnist": fid, "fid_samples": len(fake_features), **scores}


def _classifier_scores(real, fake, gan):
    """Classifier scores of the generated and (as `real_*`) real images.

    Both sets are 28×28×1 images in [-1, 1], scored by the shipped MNIST
    classifier; the real images' scores are the ceiling. For a
    conditional GAN, whose `generate` asks for the classes 0, 1, 2, … in
    turn, `label_accuracy` is the share of samples classified as the
    class they were generated for (not for clusters: their ids are not
    digits).
    """
    classifier = kgl.metrics.mnist_classifier()
    probabilities = kgl.metrics.classifier_probabilities(fake, classifier)
    fake_scores = kgl.metrics.classifier_scores(probabilities)
    if gan.num_classes is not None and getattr(
            gan, "label_frequencies", None) is None:
        asked = np.arange(len(probabilities)) % gan.num_classes
        fake_scores["label_accuracy"] = float(
            np.mean(probabilities.argmax(axis=1) == asked))
    real_scores = kgl.metrics.classifier_scores(
        kgl.metrics.classifier_probabilities(real, classifier))
    return {**fake_scores,
            **{f"real_{key}": value for key, value in real_scores.items()}}


def _say_classifier_scores(scores, real_name):
    say(f"Classifier scores (shipped MNIST classifier; ceiling: the same "
        f"number of real images from {real_name}):")
    for key in CLASSIFIER_SCORE_KEYS:
        say(f"  {key:18s} {scores[key]:.4f}   "
            f"(real data: {scores['real_' + key]:.4f})")
    if "label_accuracy" in scores:
        say(f"  {'label_accuracy':18s} {scores['label_accuracy']:.4f}   "
            "(samples classified as the class they were generated for)")


# ----------------------------------------------------------------------
# sample


def sample(args):
    source = pathlib.Path(args.source)
    out = _png_path(args.out)
    if (source / "model.keras").is_file():
        gan = load_gan(source / "model.keras")
        if isinstance(gan, kgl.ImageToImageGAN):
            from keras_gan_losses.cli import image_to_image

            return image_to_image.sample(args, gan, source, out)
        images = gan.generate(args.num_samples, seed=args.seed)
        kgl.visualization.save_grid(out, images, value_range=(-1.0, 1.0))
    else:
        saved = source
        if (source / "generator_savedmodel").is_dir():
            saved = source / "generator_savedmodel"
        if not (saved / "saved_model.pb").is_file():
            raise CommandError(
                f"{source}: neither a run directory (model.keras) nor a "
                "SavedModel (saved_model.pb)."
            )
        try:
            loaded = tf.saved_model.load(str(saved))
        except Exception as error:
            raise CommandError(
                f"cannot load the SavedModel {saved}: {one_line(error)}"
            ) from error
        if "sample" not in loaded.signatures:
            raise CommandError(
                f"{saved} has no `sample` signature; export it with "
                "GAN.export_generator(path)."
            )
        images = loaded.signatures["sample"](
            batch_size=tf.constant(args.num_samples),
            seed=tf.constant(args.seed, tf.int64),
        )["images"].numpy()
        kgl.visualization.save_grid(out, images, value_range=(0, 255))
    say(f"Wrote {args.num_samples} samples to {out}")
    return 0


def _png_path(out):
    """The grid's file: `out`, or `out/grid.png` for a folder."""
    path = pathlib.Path(out)
    if path.is_dir() or str(out).endswith(("/", os.sep)):
        path = path / "grid.png"
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp"):
        raise CommandError(
            f"--out {out}: give an image file name ending in .png (or "
            ".jpg, .bmp), or an existing folder."
        )
    if not path.parent.is_dir():
        raise CommandError(f"--out {out}: the folder {path.parent} does not "
                           "exist.")
    return path


def load_gan(path):
    """Loads a `.keras` GAN; a damaged file is a `CommandError` naming it."""
    try:
        gan = keras.models.load_model(path)
    except Exception as error:
        raise CommandError(
            f"cannot load {path}: {one_line(error)} (is the file complete? "
            "`kgl train` writes it at the end of training)"
        ) from error
    if not isinstance(gan, kgl.GAN):
        raise CommandError(f"{path} holds a {type(gan).__name__}, not a "
                           "keras_gan_losses GAN.")
    return gan


# ----------------------------------------------------------------------
# evaluate


def evaluate(args):
    run_dir = pathlib.Path(args.run_dir)
    model_path = run_dir / "model.keras"
    if not model_path.is_file():
        raise CommandError(f"{run_dir}: no model.keras; is it a run "
                           "directory written by `kgl train`?")
    config_path = run_dir / "config.json"
    try:
        config = json.loads(config_path.read_text()) \
            if config_path.is_file() else {}
    except ValueError as error:
        raise CommandError(f"{config_path} is not valid JSON ({error}).") \
            from error
    if config.get("task"):
        from keras_gan_losses.cli import image_to_image

        return image_to_image.evaluate(args, run_dir, config)
    data = args.data or config.get("data")
    if data is None:
        raise CommandError("Pass --data: the run has no config.json.")
    if args.inception_weights and not os.path.isfile(args.inception_weights):
        raise CommandError(f"--inception-weights {args.inception_weights}: "
                           "no such file.")
    gan = load_gan(model_path)
    extractor_name = args.extractor
    if extractor_name == "auto":
        extractor_name = "mnist" if gan.image_shape == (28, 28, 1) \
            else "inception"
    if extractor_name == "mnist" and gan.image_shape != (28, 28, 1):
        raise CommandError(
            f"--extractor mnist needs 28×28×1 images; the model makes "
            f"{gan.image_shape}. Use --extractor inception."
        )
    extractor = (kgl.metrics.mnist_extractor() if extractor_name == "mnist"
                 else _inception(args.inception_weights))
    real = kgl.data.load_images(
        _data_source(data), split=args.split,
        image_size=gan.image_shape[:2], batch_size=256, shuffle=False,
        drop_remainder=False,
    ).unbatch().take(args.num_samples).batch(256)
    real_features = kgl.metrics.compute_features(extractor, real)
    count = len(real_features)
    if count < args.num_samples:
        say(f"Note: {data} ({args.split}) holds only {count} images; "
            f"using {count} samples, not {args.num_samples}.")
    _warn_small_sample(count)
    fake = gan.generate(count, seed=args.seed)
    fake_features = kgl.metrics.compute_features(extractor, fake)
    results = {
        **kgl.metrics.evaluate_features(
            real_features, fake_features,
            metrics=("fid", "kid", "precision", "recall"),
            kid_subset_size=KID_SUBSET_SIZE, seed=args.seed,
        ),
        "num_samples": count,
        "extractor": extractor_name,
        "data": str(data),
        "split": args.split,
        "seed": args.seed,
    }
    say(f"{count} samples vs {data} ({args.split}), "
        f"{extractor_name} features:")
    for key in ("fid", "kid", "kid_std", "precision", "recall"):
        say(f"  {key:10s} {results[key]:.4f}")
    if results["precision"] >= 0.9 and results["recall"] <= 0.1:
        say("  (high precision with recall near 0: the samples look like "
            "real images but cover few of them, a sign of mode collapse)")
    if gan.image_shape == (28, 28, 1):
        scores = _classifier_scores(real, fake, gan)
        _say_classifier_scores(scores, f"{data} ({args.split})")
        results.update(scores)
    atomic.write_json(run_dir / "evaluation.json", results)
    return 0


def _warn_small_sample(count):
    problems = []
    if count < MIN_SAMPLES_KID:
        problems.append(
            f"KID uses subsets of {min(KID_SUBSET_SIZE, count)} samples, "
            f"so kid_std is meaningless below {MIN_SAMPLES_KID} samples "
            "(the subsets overlap, and are identical at "
            f"{KID_SUBSET_SIZE} or fewer)"
        )
    if count < MIN_SAMPLES_PRECISION_RECALL:
        problems.append(
            "precision and recall (3-nearest-neighbour balls) are biased "
            f"at small sample counts; use at least "
            f"{MIN_SAMPLES_PRECISION_RECALL}, and compare values only at "
            "the same count"
        )
    if problems:
        warn(f"only {count} samples: " + "; ".join(problems)
             + ". Pass --num-samples 10000 (or more).")


def _inception(weights_path):
    try:
        return kgl.metrics.inception_v3_extractor(
            weights_path if weights_path else "imagenet"
        )
    except RuntimeError as error:
        name = extractors.INCEPTION_V3_WEIGHTS_FILE
        raise CommandError(
            "cannot download the InceptionV3 weights (offline?). Copy "
            f"{name} from {extractors.INCEPTION_V3_WEIGHTS_URL} "
            "to this machine and pass --inception-weights PATH, or place "
            "it in ~/.keras/models/."
        ) from error
    except Exception as error:
        raise CommandError(
            f"cannot load the InceptionV3 weights {weights_path}: "
            f"{one_line(error)}"
        ) from error
