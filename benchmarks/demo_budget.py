#!/usr/bin/env python
"""Quality per CPU-minute of `make demo`'s set-up and its variants.

Trains the non-saturating DCGAN of `kgl train` on the shipped mnist_10k
(the demo's data) with one change at a time, for a number of generator
steps, and measures what a person sees with the shipped MNIST classifier
(`kgl.metrics.classifier_scores`: recognisable rate, class coverage) and
the MNIST-feature FID of 10,000 samples against mnist_10k, plus the
training time. Each variant appends one JSON line to
`benchmarks/results/demo_budget.jsonl`; `--report` prints them as a table
with the step time relative to the baseline measured in the same batch
of runs (the machine is shared: compare ratios, not seconds).

Usage:

    .venv/bin/python benchmarks/demo_budget.py --variant base \
        --steps 1560,3120,6240
    .venv/bin/python benchmarks/demo_budget.py --variant d_width=64
    .venv/bin/python benchmarks/demo_budget.py --report

A variant is `base` or comma-separated `key=value` changes of
`BASE` (e.g. `d_width=64,ema=0.99`); `conditional=1,lecam=0.3` is what
`kgl train` (and `make demo`) trains by default; `bf16=1` builds both
networks under the `mixed_bfloat16` policy.
"""

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

RESULTS = _common.BENCH_DIR / "results" / "demo_budget.jsonl"
GRIDS = _common.BENCH_DIR / "results" / "demo_budget"

#: `kgl train`'s defaults before it became conditional with LeCam
#: (non-saturating preset, DCGAN width 32, unconditional); its default
#: now is the variant `conditional=1,lecam=0.3`.
BASE = {
    "g_width": 32, "d_width": 32, "latent_dim": 64, "batch_size": 64,
    "d_lr": 2e-4, "g_lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999,
    "ema": None, "r1": 0.0, "augment": None, "lecam": 0.0, "seed": 0,
    "conditional": 0, "bf16": 0,
}


def parse_variant(text):
    config = dict(BASE)
    if text == "base":
        return config
    for item in text.split(","):
        key, _, value = item.partition("=")
        if key not in BASE:
            raise SystemExit(f"unknown variant key {key!r}: {sorted(BASE)}")
        if value in ("None", "none", ""):
            config[key] = None
        elif key == "augment":
            config[key] = value.replace("+", ",")
        else:
            config[key] = type(BASE[key] if BASE[key] is not None
                               else 0.0)(float(value))
    return config


def build(config):
    import keras

    keras.utils.set_random_seed(config["seed"])
    policy = keras.mixed_precision.global_policy()
    if config["bf16"]:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        return _build(config)
    finally:
        keras.mixed_precision.set_global_policy(policy)


def _build(config):
    import keras

    import keras_gan_losses as kgl

    num_classes = 10 if config["conditional"] else None
    dataset = kgl.data.load_images(
        "mnist_10k", split="train", batch_size=config["batch_size"],
        seed=config["seed"], with_labels=bool(num_classes),
    ).repeat()
    generator = kgl.architectures.dcgan_generator(
        (28, 28, 1), latent_dim=config["latent_dim"],
        width=config["g_width"], num_classes=num_classes)
    discriminator = kgl.architectures.dcgan_discriminator(
        (28, 28, 1), width=config["d_width"], num_classes=num_classes)
    extra = {}
    if config["augment"]:
        extra["augment"] = config["augment"]
    gan = kgl.GAN(generator, discriminator, ema_decay=config["ema"],
                  num_classes=num_classes,
                  seed=config["seed"], **extra)
    penalties = []
    if config["r1"]:
        penalties.append(kgl.penalties.R1Penalty(config["r1"]))
    if config["lecam"]:
        penalties.append(kgl.penalties.LeCamPenalty(config["lecam"]))
    gan.compile(
        d_optimizer=keras.optimizers.Adam(
            config["d_lr"], beta_1=config["beta_1"],
            beta_2=config["beta_2"]),
        g_optimizer=keras.optimizers.Adam(
            config["g_lr"], beta_1=config["beta_1"],
            beta_2=config["beta_2"]),
        penalties=penalties,
    )
    return gan, dataset


def train(config, steps, gan=None, dataset=None, done=0):
    """Trains `steps` generator steps in total (`done` of them already),
    in epochs of 156 steps (one pass over mnist_10k at batch 64)."""
    if gan is None:
        gan, dataset = build(config)
    per_epoch = min(steps, 156)
    start = time.perf_counter()
    gan.fit(dataset, epochs=-(-steps // per_epoch),
            initial_epoch=done // per_epoch, steps_per_epoch=per_epoch,
            verbose=0)
    trained = -(-steps // per_epoch) * per_epoch - done
    return gan, time.perf_counter() - start, trained


def evaluate(gan, seed=0):
    import numpy as np

    import keras_gan_losses as kgl

    images = gan.generate(10_000, seed=seed)
    probabilities = kgl.metrics.classifier_probabilities(images)
    scores = kgl.metrics.classifier_scores(probabilities)
    extractor = kgl.metrics.mnist_extractor()
    fake_features = extractor.predict(images, batch_size=500, verbose=0)
    real_images = np.concatenate([
        batch.numpy() for batch in kgl.data.load_images(
            "mnist_10k", split="train", batch_size=1000, shuffle=False)
    ])
    real_features = extractor.predict(real_images, batch_size=500,
                                      verbose=0)
    fid = kgl.metrics.frechet_distance(real_features, fake_features)
    return {"fid_mnist": float(fid), **{k: float(v)
                                          for k, v in scores.items()}}


def run(variant, budgets):
    """Trains one variant, scoring it after each number of steps in
    `budgets` (increasing); the training time excludes the scoring."""
    from keras_gan_losses.visualization import save_grid

    config = parse_variant(variant)
    gan, dataset = build(config)
    done, seconds = 0, 0.0
    for steps in budgets:
        gan, spent, trained = train(config, steps, gan, dataset, done)
        done, seconds = done + trained, seconds + spent
        result = {"variant": variant, "steps": done,
                  "train_seconds": round(seconds, 1),
                  "ms_per_step": round(1000 * seconds / done, 2),
                  **evaluate(gan)}
        GRIDS.mkdir(parents=True, exist_ok=True)
        save_grid(GRIDS / f"{variant.replace('=', '-')}_{done}.png",
                  gan.generate(64, seed=0), value_range=(-1, 1))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as file:
            file.write(json.dumps(result) + "\n")
        print(json.dumps(result), flush=True)


def report():
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    print("| variant | steps | ms/step | FID | recognisable | coverage |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['variant']} | {row['steps']} | {row['ms_per_step']}"
              f" | {row['fid_mnist']:.1f} | {row['recognisable_rate']:.3f}"
              f" | {row['class_coverage']:.3f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--steps", default="3120",
                        help="comma-separated step counts to score at")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        report()
        return
    budgets = sorted(int(s) for s in args.steps.split(","))
    for variant in args.variant or ["base"]:
        run(variant, budgets)


if __name__ == "__main__":
    main()
