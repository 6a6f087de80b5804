#!/usr/bin/env python
"""Sample quality of each loss preset on MNIST, for a fixed budget.

Trains `kgl.architectures.dcgan((28, 28, 1), ...)` (with the preset's
spectral normalisation) on the 60,000 MNIST training images read from
`../shared/data/mnist/` with the package's IDX loader, with each loss preset
(`kgl.presets`) for the same number of generator steps, then generates
10,000 samples and compares them with the 10,000 MNIST test images in the
feature space of `kgl.metrics.mnist_extractor()`: FID, KID, precision and
recall.

Resumable in pieces: training checkpoints every epoch (`--steps-per-epoch`
generator steps) with `keras.callbacks.BackupAndRestore` under
`benchmarks/runs/quality/` (git-ignored by the `runs/` pattern), so an
interrupted run continues where it stopped when given the same command; each
finished preset writes `benchmarks/results/quality/<preset>.json` and is
skipped next time (unless `--force`). `--report` assembles the results into
`benchmarks/RESULTS.md`.

Usage:

    .venv/bin/python benchmarks/quality.py --preset non_saturating --steps 2000
    .venv/bin/python benchmarks/quality.py --steps 2000          # every preset
    .venv/bin/python benchmarks/quality.py --report
"""

import argparse
import dataclasses
import json
import math
import os
import pathlib
import shutil
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import numpy as np  # noqa: E402

BENCH = _common.BENCH_DIR
DEFAULT_DATA = (_common.REPO_DIR / ".." / "shared" / "data" / "mnist")
RESULTS_DIR = BENCH / "results" / "quality"
RUNS_DIR = BENCH / "runs" / "quality"
REFERENCE = "_reference"

LUCIC_NOTE = """\
Lucic et al. 2018 ("Are GANs Created Equal? A Large-Scale Study", NeurIPS)
compared the minimax/non-saturating GAN, WGAN, WGAN-GP, LSGAN, DRAGAN,
BEGAN and others on MNIST, Fashion-MNIST, CIFAR-10 and CelebA with a large
hyperparameter search and many random restarts per setting. Their finding:
given enough search and restarts, no loss consistently beats the
non-saturating GAN; the differences between losses are mostly smaller than
the spread of FID across random seeds of one loss, and a model's rank can
change with the computational budget. Our tables have a few seeds per
preset, one hand-picked hyperparameter set per loss (the preset) and a
short budget, so they measure "which preset learns fastest on this
budget", not which loss is better; differences smaller than the
seed-to-seed standard deviation shown are not evidence of an ordering."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", action="append", default=None,
                        help="a preset name (repeatable); default: all")
    parser.add_argument("--steps", type=int, default=2000,
                        help="generator steps per preset (default 2000)")
    parser.add_argument("--steps-per-epoch", type=int, default=250,
                        help="checkpoint interval in generator steps "
                             "(default 250)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--width", type=int, default=64,
                        help="DCGAN width (default 64, the paper's)")
    parser.add_argument("--samples", type=int, default=10000,
                        help="generated samples for the metrics")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--augment", default=None, metavar="POLICY",
                        help="DiffAugment policy for the discriminator's "
                             "inputs, e.g. translation,cutout (GAN(augment="
                             "...)); default: none")
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA,
                        help="folder with the MNIST IDX files "
                             "(default ../shared/data/mnist)")
    parser.add_argument("--force", action="store_true",
                        help="retrain presets that already have a result")
    parser.add_argument("--report", action="store_true",
                        help="only assemble RESULTS.md from the results")
    parser.add_argument("--no-report", action="store_true",
                        help="do not update RESULTS.md after training")
    return parser.parse_args(argv)


def data_available(data_dir):
    names = {p.name for p in data_dir.iterdir()} if data_dir.is_dir() else ()
    return any(n.startswith("train-images") for n in names) and any(
        n.startswith("t10k-images") for n in names)


def run_config(args, preset):
    """Everything a result depends on: a result with another config is
    retrained, so that a changed preset is never reported from old runs."""
    return {
        "generator_steps": args.steps,
        "batch_size": args.batch_size,
        "latent_dim": args.latent_dim,
        "width": args.width,
        "seed": args.seed,
        "samples": args.samples,
        "d_steps": preset.d_steps,
        "spectral_norm": preset.spectral_norm,
        "preset": _preset_settings(preset),
        **({"augment": args.augment} if args.augment else {}),
    }


def _preset_settings(preset):
    """The preset's fields but its reference text, JSON-ready."""
    return json.loads(json.dumps({
        k: v for k, v in dataclasses.asdict(preset).items()
        if k != "reference"}))


def preset_command(args, name):
    """The command that trains (or resumes) one preset with these settings."""
    defaults = parse_args([])
    words = [".venv/bin/python benchmarks/quality.py",
             f"--preset {name}", f"--steps {args.steps}"]
    for option in ("batch_size", "latent_dim", "width", "samples", "seed",
                   "augment"):
        if getattr(args, option) != getattr(defaults, option):
            words.append(f"--{option.replace('_', '-')} "
                         f"{getattr(args, option)}")
    return " ".join(words)


def run_dir(args, name):
    return RUNS_DIR / (f"{name}-steps{args.steps}-w{args.width}"
                       f"-z{args.latent_dim}-b{args.batch_size}"
                       f"-seed{args.seed}"
                       + (f"-aug_{args.augment.replace(',', '_')}"
                          if args.augment else ""))


def steps_per_epoch(total, wanted):
    """The largest divisor of `total` that is at most `wanted`."""
    wanted = max(1, min(wanted, total))
    return max(d for d in range(1, wanted + 1) if total % d == 0)


# ----------------------------------------------------------------------
# features of the real images (cached)


def real_features(args, extractor, split):
    import keras_gan_losses as kgl
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    cache = RUNS_DIR / f"mnist_{split}_features.npy"
    if cache.exists():
        return np.load(cache)
    print(f"Computing the features of the MNIST {split} images "
          f"(cached in {cache})...", flush=True)
    dataset = kgl.data.load_images(
        str(args.data), split=split, batch_size=500, shuffle=False,
        drop_remainder=False)
    features = kgl.metrics.compute_features(extractor, dataset)
    np.save(cache, features)
    return features


def metrics_of(real, fake):
    import keras_gan_losses as kgl
    if not np.all(np.isfinite(fake)):
        return {"fid": float("nan"), "kid": float("nan"),
                "kid_std": float("nan"), "precision": float("nan"),
                "recall": float("nan")}
    return kgl.metrics.evaluate_features(
        real, fake, metrics=("fid", "kid", "precision", "recall"))


def reference_result(args, extractor, test_features):
    """Real vs real: 10,000 training images against the test set, the
    floor that a perfect generator would reach."""
    path = RESULTS_DIR / f"{REFERENCE}.json"
    if path.exists():
        cached = json.loads(path.read_text())
        if (cached.get("samples") == args.samples
                and "recognisable_rate" in cached["metrics"]):
            return cached
    train = real_features(args, extractor, "train")
    rng = np.random.default_rng(args.seed)
    subset = train[rng.choice(len(train), args.samples, replace=False)]
    import keras_gan_losses as kgl
    test_images = kgl.data.load_images(
        str(args.data), split="test", batch_size=500, shuffle=False,
        drop_remainder=False)
    metrics = metrics_of(test_features, subset)
    metrics.update(kgl.metrics.classifier_scores(
        kgl.metrics.classifier_probabilities(test_images)))
    result = {"preset": REFERENCE, "samples": args.samples,
              "metrics": metrics,
              "note": f"{args.samples} random MNIST training images vs the "
                      "10,000 test images (classifier scores: the "
                      "test images)"}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    return result


# ----------------------------------------------------------------------
# training


def make_progress_callback(keras, path):
    class Progress(keras.callbacks.Callback):
        """Appends each finished epoch's logs and wall time to a JSON file,
        so that the training time adds up across resumed pieces."""

        def __init__(self):
            super().__init__()
            self.state = (json.loads(path.read_text()) if path.exists()
                          else {"epochs": []})

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            entry = {"epoch": epoch + 1,
                     "seconds": time.perf_counter() - self.start,
                     "logs": {k: float(v) for k, v in (logs or {}).items()}}
            self.state["epochs"] = [e for e in self.state["epochs"]
                                    if e["epoch"] < epoch + 1] + [entry]
            path.write_text(json.dumps(self.state, indent=1))

    return Progress()


def save_grid(images, path, rows=8):
    from PIL import Image
    images = np.clip((images[: rows * rows, ..., 0] + 1) * 127.5, 0, 255)
    images = images.astype(np.uint8)
    h, w = images.shape[1:3]
    grid = images.reshape(rows, rows, h, w).transpose(0, 2, 1, 3)
    Image.fromarray(grid.reshape(rows * h, rows * w)).save(path)


def train_preset(args, name, extractor, test_features):
    import keras

    import keras_gan_losses as kgl

    preset = kgl.presets.get(name)
    config = run_config(args, preset)
    result_path = RESULTS_DIR / f"{run_dir(args, name).name}.json"
    if result_path.exists() and not args.force:
        old = json.loads(result_path.read_text())
        if old.get("config") == config:
            print(f"[{name}] already done ({result_path}); --force to "
                  "retrain.", flush=True)
            return old
        print(f"[{name}] {result_path} holds another budget/config: "
              "training this one (the result will be replaced).", flush=True)
    directory = run_dir(args, name)
    if args.force and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    progress_path = directory / "progress.json"

    keras.utils.set_random_seed(args.seed)
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=args.latent_dim,
        spectral_norm=preset.spectral_norm, width=args.width,
        outputs=preset.d_outputs)
    gan = kgl.GAN(generator, discriminator, latent_dim=args.latent_dim,
                  d_steps=preset.d_steps, seed=args.seed,
                  augment=args.augment)
    gan.compile(**preset.compile_kwargs())
    dataset = kgl.data.load_images(
        str(args.data), split="train", batch_size=args.batch_size,
        seed=args.seed).repeat()
    per_epoch = steps_per_epoch(args.steps, args.steps_per_epoch)
    epochs = args.steps // per_epoch
    progress = make_progress_callback(keras, progress_path)
    done = len(progress.state["epochs"])
    print(f"[{name}] {preset.d_loss}/{preset.g_loss} "
          f"penalties={list(preset.penalties)} d_steps={preset.d_steps} "
          f"spectral_norm={preset.spectral_norm}: {args.steps} generator "
          f"steps = {epochs} epochs of {per_epoch}"
          + (f", resuming after epoch {done}" if done else ""), flush=True)
    final_weights = directory / "final.weights.h5"
    if final_weights.exists() and done >= epochs:
        # Trained in an earlier piece, which stopped before the metrics
        # (BackupAndRestore deletes its backup at the end of training).
        print(f"[{name}] training already finished: loading "
              f"{final_weights}", flush=True)
        gan.load_weights(final_weights)
    else:
        nan_stop = keras.callbacks.TerminateOnNaN()
        gan.fit(dataset, epochs=epochs, steps_per_epoch=per_epoch,
                verbose=2, shuffle=False,
                callbacks=[keras.callbacks.BackupAndRestore(
                    str(directory / "backup")), progress, nan_stop])
        gan.save_weights(final_weights)
    history = progress.state["epochs"]
    train_seconds = sum(e["seconds"] for e in history)
    finished = len(history) >= epochs
    last = history[-1]["logs"] if history else {}
    diverged = any(not math.isfinite(v) for v in last.values())

    start = time.perf_counter()
    samples = gan.generate(args.samples, seed=args.seed + 1)
    save_grid(samples, directory / "samples.png")
    fake = kgl.metrics.compute_features(extractor, samples)
    metrics = metrics_of(test_features, fake)
    if np.all(np.isfinite(samples)):
        metrics.update(kgl.metrics.classifier_scores(
            kgl.metrics.classifier_probabilities(samples)))
    eval_seconds = time.perf_counter() - start
    result = {
        "preset": name,
        "d_loss": preset.d_loss,
        "g_loss": preset.g_loss,
        "penalties": [list(p) for p in preset.penalties],
        "optimizers": {"d_lr": preset.d_learning_rate,
                       "g_lr": preset.g_learning_rate,
                       "beta_1": preset.beta_1, "beta_2": preset.beta_2},
        "reference": preset.reference,
        "config": config,
        "finished": finished and not diverged,
        "diverged": diverged,
        "epochs_done": len(history),
        "train_seconds": train_seconds,
        "seconds_per_generator_step": train_seconds / max(
            1, len(history) * per_epoch),
        "eval_seconds": eval_seconds,
        "metrics": metrics,
        "final_logs": last,
        "loss_history": [{"step": e["epoch"] * per_epoch, **e["logs"]}
                         for e in history],
        "samples_png": str(directory / "samples.png"),
        "command": preset_command(args, name),
        "versions": _common.versions(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(result, indent=1))
    print(f"[{name}] FID {metrics['fid']:.2f}, KID {metrics['kid']:.4f}, "
          f"precision {metrics['precision']:.3f}, recall "
          f"{metrics['recall']:.3f}; trained {train_seconds / 60:.1f} min "
          f"-> {result_path}", flush=True)
    return result


# ----------------------------------------------------------------------
# report


def _fmt(value, spec):
    return "NaN" if value is None or not math.isfinite(value) else \
        format(value, spec)


def _budget(run):
    c = run["config"]
    return (c["generator_steps"], c["width"], c["batch_size"],
            c["latent_dim"], c["samples"])


def _spread(values, spec):
    """`mean ± sample standard deviation` (just the value for one run)."""
    if any(v is None for v in values):
        return "–"  # not measured (results from before the metric)
    if not values or not all(math.isfinite(v) for v in values):
        return "NaN"
    if len(values) == 1:
        return format(values[0], spec)
    return (f"{format(np.mean(values), spec)} ± "
            f"{format(np.std(values, ddof=1), spec)}")


def _label(run):
    """The preset's name, and its DiffAugment policy if it had one."""
    augment = run["config"].get("augment")
    return run["preset"] + (f" + DiffAugment({augment})" if augment
                            else "")


def _mean_fid(runs):
    fids = [r["metrics"]["fid"] for r in runs]
    return np.mean(fids) if all(math.isfinite(f) for f in fids) else math.inf


def _table(groups, reference):
    rows = ["| preset | losses (+ penalty) | D steps | SN D | Adam (D lr, "
            "G lr, β₁, β₂) | seeds | train time (min) | FID ↓ | precision ↑ "
            "| recall ↑ | recognisable ↑ | coverage ↑ | status |",
            "|---|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for runs in groups:
        r, c, o = runs[0], runs[0]["config"], runs[0]["optimizers"]
        losses = f"{r['d_loss']}/{r['g_loss']}" + "".join(
            f" + {p} ({w:g})" for p, w, *_ in r["penalties"])
        bad = [x for x in runs if x["diverged"] or not x["finished"]]
        status = "ok" if not bad else ", ".join(
            f"seed {x['config']['seed']} "
            + ("diverged (NaN)" if x["diverged"] else
               f"partial ({x['epochs_done']} epochs)") for x in bad)

        def metric(name, spec, runs=runs):
            return _spread([x["metrics"].get(name) for x in runs], spec)

        rows.append(
            f"| {_label(r)} | {losses} | {c['d_steps']} "
            f"| {'yes' if c['spectral_norm'] else 'no'} "
            f"| {o['d_lr']:g}, {o['g_lr']:g}, {o['beta_1']:g}, "
            f"{o['beta_2']:g} "
            f"| {', '.join(str(x['config']['seed']) for x in runs)} "
            f"| {np.median([x['train_seconds'] for x in runs]) / 60:.1f} "
            f"| {metric('fid', '.1f')} | {metric('precision', '.3f')} "
            f"| {metric('recall', '.3f')} "
            f"| {metric('recognisable_rate', '.3f')} "
            f"| {metric('class_coverage', '.3f')} | {status} |")
    if reference:
        m = reference["metrics"]
        rows.append(
            f"| *real data* | {reference['note']} | | | | | "
            f"| {_fmt(m['fid'], '.2f')} "
            f"| {_fmt(m['precision'], '.3f')} | {_fmt(m['recall'], '.3f')} "
            f"| {_fmt(m.get('recognisable_rate', math.nan), '.3f')} "
            f"| {_fmt(m.get('class_coverage', math.nan), '.3f')} | floor |")
    return "\n".join(rows)


def _budget_section(runs, reference):
    c = runs[0]["config"]
    steps = c["generator_steps"]
    by_preset = {}
    for r in sorted(runs, key=lambda r: r["config"]["seed"]):
        by_preset.setdefault(_label(r), []).append(r)
    groups = sorted(by_preset.values(), key=_mean_fid)
    presets = [g for g in groups if "augment" not in g[0]["config"]] \
        or groups
    best, worst = _mean_fid(presets[0]), _mean_fid(presets[-1])
    ordering = " < ".join(
        f"{_label(g[0])} ({_mean_fid(g):.1f})" for g in groups)
    commands = "\n".join(
        f"    {r['command']}" for g in groups for r in g)
    return f"""### {steps} generator steps (about {steps * c['batch_size']
/ 60000:.1f} passes over the training set)

DCGAN width {c['width']}, latent dim {c['latent_dim']}, batch \
{c['batch_size']}; {c['samples']} samples per run. Each row is the \
mean ± standard deviation over the seeds listed (one value: one seed), \
sorted by mean FID. *Recognisable* and *coverage* are the shipped MNIST \
classifier's scores of the samples (`kgl.metrics.classifier_scores`).

{_table(groups, reference)}

Ordering by mean FID (lower is better): {ordering}. The worst preset's \
mean FID is {worst / best:.2f}× the best one's (presets as they are, \
without augmentation).

Reproduce (one command per preset and seed, resumable; then the report):

{commands}
    .venv/bin/python benchmarks/quality.py --report
"""


def _is_current(result):
    """Whether a result was trained with the preset as it is now (its
    losses, penalties, optimisers, critic steps and normalisation)."""
    import keras_gan_losses as kgl
    try:
        preset = kgl.presets.get(result["preset"])
    except ValueError:
        return False
    def plain(value):
        return json.loads(json.dumps(value))

    c, o = result["config"], result["optimizers"]
    if "preset" in c:
        return c["preset"] == _preset_settings(preset)
    ran = (result["d_loss"], result["g_loss"], plain(result["penalties"]),
           c["d_steps"], c["spectral_norm"], o["d_lr"], o["g_lr"],
           o["beta_1"], o["beta_2"])
    now = (preset.d_loss, preset.g_loss, plain(preset.penalties),
           preset.d_steps, preset.spectral_norm, preset.d_learning_rate,
           preset.g_learning_rate, preset.beta_1, preset.beta_2)
    return ran == now


def _stale_note(stale):
    if not stale:
        return ""
    names = ", ".join(sorted(
        f"{r['preset']} ({r['config']['generator_steps']} steps, seed "
        f"{r['config']['seed']})" for r in stale))
    return (f"Left out: results of presets whose settings have changed "
            f"since they ran: {names}.\n\n")


def report():
    results = [json.loads(p.read_text())
               for p in sorted(RESULTS_DIR.glob("*.json"))]
    reference = next((r for r in results if r["preset"] == REFERENCE), None)
    runs = [r for r in results if r["preset"] != REFERENCE]
    if not runs:
        print("No results yet in", RESULTS_DIR)
        return None

    stale = [r for r in runs if not _is_current(r)]
    runs = [r for r in runs if _is_current(r)]
    by_budget = {}
    for r in runs:
        by_budget.setdefault(_budget(r), []).append(r)
    sections = [_budget_section(group, reference)
                for _, group in sorted(by_budget.items())]
    body = f"""## Sample quality per loss preset (`benchmarks/quality.py`)

DCGAN (`kgl.architectures.dcgan((28, 28, 1), latent_dim=...,
width=..., spectral_norm=preset.spectral_norm)`) trained on the 60,000
MNIST training images with each preset of `kgl.presets` for the same number
of generator steps; then generated samples against the 10,000 MNIST test
images, in the 128-d feature space of `kgl.metrics.mnist_extractor()` (FID,
KID with 100 subsets of 1,000, precision/recall with k = 3). A WGAN-GP
generator step includes 3 critic steps, so it costs about 3× more time for
the same number of generator steps. One table per budget; the *real data*
row (10,000 training images against the test images) is the floor a
perfect generator would reach. MNIST-feature FID is comparable only with
itself (not with Inception FID values). The values say how far each preset
gets in the budget, not where it would converge. The two training aids
for small data are measured here too: `non_saturating_lecam` is the
`non_saturating` preset plus LeCam regularisation, and a row
`+ DiffAugment(policy)` is a preset trained with `--augment policy`
(`GAN(augment=...)`).

{chr(10).join(sections)}
{_stale_note(stale)}{LUCIC_NOTE}

Machine: see the speed section; times are wall-clock on a shared 2-core
machine, summed over completed epochs (a resumed run counts each epoch
once).
"""
    path = _common.update_section("quality", body)
    print(body)
    print(f"\nWrote {path}")
    return body


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        report()
        return
    if not data_available(args.data):
        print(f"MNIST not found: {args.data} must hold "
              "train-images-idx3-ubyte(.gz) and t10k-images-idx3-ubyte(.gz)"
              " (the shared data folder). Skipping the quality benchmark.")
        return
    import keras_gan_losses as kgl
    names = args.preset or list(kgl.presets.PRESETS)
    for name in names:
        kgl.presets.get(name)  # fail early on a bad name
    extractor = kgl.metrics.mnist_extractor()
    test_features = real_features(args, extractor, "test")
    reference_result(args, extractor, test_features)
    for name in names:
        train_preset(args, name, extractor, test_features)
    if not args.no_report:
        report()


if __name__ == "__main__":
    main()
