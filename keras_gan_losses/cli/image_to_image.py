"""`kgl train --task ...`: an image-to-image GAN (pix2pix) on image pairs,
and `kgl sample` / `kgl evaluate` of such runs.

The pairs are `kgl.data.load_pairs(data, task=...)`: the last `--held-out`
fraction of the images is never trained on; it gives the grids (source |
generated | target) and the final PSNR, SSIM and FID. The networks are
`kgl.architectures.unet` and `patchgan` with `--width` base filters.
"""

import json
import pathlib
import tempfile

import keras
import numpy as np
import tensorflow as tf

import keras_gan_losses as kgl
from keras_gan_losses.cli import commands
from keras_gan_losses.cli import resuming as resuming_lib
from keras_gan_losses.cli.commands import CommandError
from keras_gan_losses.cli.commands import say
from keras_gan_losses.cli.history_csv import HistoryCSV
from keras_gan_losses.utils import atomic

#: Held-out pairs in the per-epoch grids (one row each).
GRID_EXAMPLES = 16
#: (source, generated, target) triplets per row of `kgl sample`'s grid.
GRID_PER_ROW = 4
#: The layers of the shipped MNIST classifier that `--perceptual-weight`
#: compares (its two convolution blocks).
PERCEPTUAL_LAYERS = ("conv1b", "conv2b")
#: The optimiser of `--loss none` (pix2pix's Adam).
ADAM = {"learning_rate": 2e-4, "beta_1": 0.5}
MNIST_SHAPE = (28, 28, 1)


def train(args, run_dir, resuming):
    """`kgl train --task TASK`: see the module docstring."""
    _check_flags(args)
    keras.utils.set_random_seed(args.seed)
    commands.set_precision(args.mixed_precision)
    strategy = commands._strategy(args.strategy)
    source = _pair_source(args.data)
    dataset = kgl.data.load_pairs(
        source, task=args.task, batch_size=args.batch_size, seed=args.seed,
        validation_split=args.held_out, subset="training",
    )
    held_source, held_target = held_out_pairs(source, args.task,
                                              args.held_out)
    image_shape = tuple(dataset.element_spec[0].shape[1:])
    if args.steps_per_epoch:
        dataset = dataset.repeat()
    preset = None if args.loss == "none" else kgl.presets.get(args.loss)
    with strategy.scope():
        gan = _build(args, image_shape, preset)
    chief = kgl.callbacks.is_chief()
    out_dir = run_dir if chief else pathlib.Path(tempfile.mkdtemp())
    epochs_done = commands._EpochCounter()
    callbacks = []
    if args.eval_every:
        callbacks.append(_evaluation(args, image_shape, held_source,
                                     held_target))
    callbacks += [
        kgl.callbacks.SampleGrid(
            out_dir / "samples", num_samples=GRID_EXAMPLES,
            pairs=(held_source[:GRID_EXAMPLES], held_target[:GRID_EXAMPLES]),
        ),
        HistoryCSV(out_dir / "history.csv"),
        resuming_lib.backup_callback(run_dir),
        kgl.callbacks.TrainingCurves(
            out_dir / "curves.png", log_path=out_dir / "steps.csv",
            title=f"pix2pix {args.task} on {args.data} ({_objective(args)})",
        ),
        epochs_done,
    ]
    created = commands._start_run_dir(run_dir, args, resuming) if chief \
        else False
    steps = (f"{args.steps_per_epoch} steps" if args.steps_per_epoch
             else "one pass over the data")
    epochs = "1 epoch" if args.epochs == 1 else f"{args.epochs} epochs"
    say(f"Training pix2pix ({_objective(args)}) for {args.task} on "
        f"{args.data} {image_shape} for {epochs} of {steps}; "
        f"{len(held_target)} pairs held out; writing to {run_dir}/")
    try:
        gan.fit(dataset, epochs=args.epochs, callbacks=callbacks,
                steps_per_epoch=args.steps_per_epoch, shuffle=False,
                verbose=0 if args.quiet else "auto")
    except BaseException as error:
        commands.discard_unless_backed_up(run_dir, created, resuming,
                                          epochs_done, chief)
        if isinstance(error, tf.errors.OpError):
            raise CommandError(
                f"training stopped: {commands.one_line(error)}") from error
        raise
    def held_out_metrics():
        if args.fid_samples <= 0:
            return {}
        count = min(args.fid_samples, len(held_target))
        extractor = (kgl.metrics.mnist_extractor()
                     if image_shape == MNIST_SHAPE else None)
        metrics = pair_metrics(gan, held_source[:count], held_target[:count],
                               extractor)
        report(metrics, f"{count} held-out pairs of {args.data}")
        return metrics

    commands.finish_run(gan, run_dir, out_dir, chief,
                        "Grids (source | generated | target)",
                        held_out_metrics)
    return 0


def _check_flags(args):
    problems = {
        "--conditional": args.conditional,
        "--image-size": args.image_size is not None,
    }
    for flag, given in problems.items():
        if given:
            raise CommandError(
                f"{flag} does not apply to an image-to-image run (--task): "
                "the generator translates the held-out sources."
            )
    if args.eval_every and args.fid_samples == 0:
        raise CommandError("--eval-every needs --fid-samples > 0 (the "
                           "held-out pairs of each evaluation).")
    if args.loss == "mmd":
        raise CommandError(
            "--loss mmd needs a critic with many outputs; --task trains a "
            "PatchGAN with one logit per patch. Pick another --loss."
        )
    if args.l1_weight == 0 and args.perceptual_weight == 0 and \
            args.loss == "none":
        raise CommandError(
            "Nothing to train: --loss none with --l1-weight 0 and "
            "--perceptual-weight 0."
        )


def _evaluation(args, image_shape, source, target):
    """PSNR, SSIM and MNIST FID of held-out translations every
    `--eval-every` epochs, into the logs (history.csv, curves.png)."""
    if image_shape != MNIST_SHAPE:
        raise CommandError(
            f"--eval-every needs 28×28×1 images (the shipped MNIST feature "
            f"extractor); these are {image_shape}. Use `kgl evaluate "
            "RUN_DIR --extractor inception` after training."
        )
    count = min(args.fid_samples, len(target))
    return kgl.callbacks.GANEvaluation(
        (source[:count], target[:count]), feature_extractor="mnist",
        every_n_epochs=args.eval_every, metrics=("fid",), num_samples=count,
    )


def _pair_source(data):
    source = commands._data_source(data)
    if isinstance(source, str) and source != "mnist_10k":
        raise CommandError(
            f"--task makes its pairs from mnist_10k or a .npy file of "
            f"images; received --data {data}."
        )
    return source


def held_out_pairs(source, task, held_out):
    """The held-out `(source, target)` pairs of a run, as NumPy arrays."""
    _, held = kgl.data.load_pairs(
        source, task=task, batch_size=256, shuffle=False,
        drop_remainder=False, validation_split=held_out, subset="both",
    )
    sources, targets = zip(*((s.numpy(), t.numpy()) for s, t in held))
    return np.concatenate(sources), np.concatenate(targets)


def _patch_layers(image_shape):
    """PatchGAN depth: pix2pix's 3 (70×70) from 64 pixels, 2 (34×34) from
    16 (MNIST: 5×5 logits), else 1 (16×16)."""
    side = min(image_shape[:2])
    return 3 if side >= 64 else 2 if side >= 16 else 1


def _objective(args):
    terms = []
    if args.l1_weight:
        terms.append(f"{args.l1_weight:g}·L1")
    if args.perceptual_weight:
        terms.append(f"{args.perceptual_weight:g}·perceptual")
    if args.loss != "none":
        terms.append(f"{args.loss} cGAN")
    return " + ".join(terms)


def _build(args, image_shape, preset):
    """The compiled `ImageToImageGAN` (call under the strategy's scope)."""
    penalized = preset is not None and (preset.penalties or
                                        preset.spectral_norm)
    generator = kgl.architectures.unet(image_shape, base_filters=args.width)
    discriminator = kgl.architectures.patchgan(
        image_shape, base_filters=args.width,
        num_layers=_patch_layers(image_shape),
        spectral_norm=bool(preset and preset.spectral_norm),
        # Batch norm (pix2pix) is wrong for per-example penalties.
        normalization=None if penalized else "batch",
    )
    d_steps = args.d_steps or (preset.d_steps if preset else 1)
    gan = kgl.ImageToImageGAN(generator, discriminator, d_steps=d_steps,
                              ema_decay=args.ema, seed=args.seed)
    losses = []
    if args.l1_weight:
        losses.append((keras.losses.MeanAbsoluteError(), args.l1_weight))
    if args.perceptual_weight:
        if image_shape != MNIST_SHAPE:
            raise CommandError(
                f"--perceptual-weight uses the shipped MNIST classifier, for "
                f"28×28×1 images; these are {image_shape}."
            )
        losses.append((kgl.losses.PerceptualLoss(
            kgl.metrics.mnist_classifier(), layers=list(PERCEPTUAL_LAYERS)),
            args.perceptual_weight))
    if preset is None:
        adversarial = {
            "d_loss": None, "g_loss": None,
            "d_optimizer": keras.optimizers.Adam(**ADAM),
            "g_optimizer": keras.optimizers.Adam(**ADAM),
        }
    else:
        adversarial = preset.compile_kwargs()
    gan.compile(**adversarial, reconstruction_losses=losses,
                jit_compile=True if args.jit else "auto")
    return gan


def pair_metrics(gan, source, target, extractor=None, fid_key="fid_mnist"):
    """PSNR, SSIM (and FID, under `fid_key`, with an extractor) of the
    translations of `source` against `target`, next to those of `source`
    itself."""
    generated = gan.generate(source)
    metrics = {
        "psnr": kgl.metrics.psnr(generated, target),
        "ssim": _ssim(generated, target),
        "input_psnr": kgl.metrics.psnr(source, target),
        "input_ssim": _ssim(source, target),
        "pairs": len(target),
    }
    if extractor is not None and len(target) >= 2:
        real = kgl.metrics.compute_features(extractor, target)
        fake = kgl.metrics.compute_features(extractor, generated)
        metrics[fid_key] = kgl.metrics.frechet_distance(real, fake)
    return metrics


def _ssim(images, target):
    """SSIM with the paper's 11×11 window, smaller for smaller images."""
    size = min(11, *images.shape[1:3])
    return kgl.metrics.ssim(images, target, filter_size=size)


def report(metrics, what):
    say(f"On {what} (generated vs target; the degraded source vs target "
        "in brackets):")
    say(f"  psnr       {metrics['psnr']:.3f} dB   "
        f"({metrics['input_psnr']:.3f})")
    say(f"  ssim       {metrics['ssim']:.4f}      "
        f"({metrics['input_ssim']:.4f})")
    for key in ("fid_mnist", "fid"):
        if key in metrics:
            note = (" (shipped MNIST-classifier features; not comparable "
                    "to Inception FID)" if key == "fid_mnist" else "")
            say(f"  {key:10s} {metrics[key]:.3f}{note}")


def _run_pairs(run_dir, config, data=None):
    task = config["task"]
    source = _pair_source(data or config.get("data", "mnist_10k"))
    return held_out_pairs(source, task, config.get("held_out", 0.1))


def sample(args, gan, run_dir, out):
    """`kgl sample RUN_DIR` of an image-to-image run: a grid of held-out
    (source, generated, target) triplets."""
    config = _config(run_dir)
    source, target = _run_pairs(run_dir, config)
    count = min(args.num_samples, len(target))
    generated = gan.generate(source[:count])
    kgl.visualization.save_comparison_grid(
        out, [source[:count], generated, target[:count]],
        per_row=min(GRID_PER_ROW, count))
    say(f"Wrote {count} held-out (source, generated, target) triplets to "
        f"{out}")
    return 0


def evaluate(args, run_dir, config):
    """`kgl evaluate RUN_DIR` of an image-to-image run: PSNR, SSIM and FID
    of the held-out translations."""
    gan = commands.load_gan(run_dir / "model.keras")
    source, target = _run_pairs(run_dir, config, args.data)
    count = min(args.num_samples, len(target))
    extractor_name = args.extractor
    if extractor_name == "auto":
        extractor_name = "mnist" if gan.image_shape == MNIST_SHAPE \
            else "inception"
    if extractor_name == "mnist" and gan.image_shape != MNIST_SHAPE:
        raise CommandError(
            f"--extractor mnist needs 28×28×1 images; the model makes "
            f"{gan.image_shape}. Use --extractor inception."
        )
    if extractor_name == "mnist":
        extractor, key = kgl.metrics.mnist_extractor(), "fid_mnist"
    else:
        extractor, key = commands._inception(args.inception_weights), "fid"
    metrics = pair_metrics(gan, source[:count], target[:count], extractor,
                           fid_key=key)
    data = args.data or config.get("data")
    report(metrics, f"{count} held-out pairs of {data}")
    results = {**metrics, "task": config["task"], "data": str(data),
               "extractor": extractor_name}
    atomic.write_json(run_dir / "evaluation.json", results)
    return 0


def _config(run_dir):
    path = pathlib.Path(run_dir) / "config.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CommandError(f"{path}: cannot read the run's settings "
                           f"({error}).") from error
