"""The pictures of the guide "Diagnosing GAN training".

For each failure that `callbacks.TrainingMonitor` detects, trains a
deliberately broken DCGAN on the shipped MNIST digits and the fixed one,
and writes into `docs/assets/diagnosing/`:

- `<case>_broken_curves.png`, `<case>_fixed_curves.png`: the
  `TrainingCurves` of both runs;
- `<case>_broken_samples.png`, `<case>_fixed_samples.png`: 36 samples
  of each at the end;
- `findings.json`: the monitor's findings of every run (the guide quotes
  their messages).

    .venv/bin/python scripts/diagnosis_figures.py            # all cases
    .venv/bin/python scripts/diagnosis_figures.py --cases stalled

About a minute per case on two CPU cores.
"""

import argparse
import json
import os
import pathlib
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "assets" / "diagnosing"
LATENT = 64
WIDTH = 16


def ignore_input(generator):
    """The generator with its latent input multiplied by 0."""
    return keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Lambda(lambda z: z * 0.0),
        generator,
    ])


def dead_output(discriminator):
    """The discriminator with a ReLU after its logit, shifted far below 0:
    its output is 0 whatever the image."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        discriminator,
        keras.layers.Lambda(lambda t: keras.ops.relu(t - 100.0)),
    ])


def adam(rate):
    return keras.optimizers.Adam(rate, beta_1=0.5)


#: case -> (broken set-up, fixed set-up, steps, title)
CASES = {
    "overpowering": (
        {"loss": "minimax", "d_lr": 2e-3, "g_lr": 2e-5, "d_steps": 2},
        {"loss": "non_saturating"},
        400, "the saturating minimax loss, D 100x G's learning rate",
    ),
    "diverging": (
        {"d_lr": 1.0, "g_lr": 1.0},
        {},
        300, "learning rate 1.0 instead of 2e-4",
    ),
    "collapse": (
        {"ignore_input": True},
        {},
        300, "a generator that ignores its latent input",
    ),
    "nonfinite": (
        {"nan_from": 150},
        {},
        300, "NaN images in the data from step 151",
    ),
    "stalled": (
        {"dead": True},
        {},
        300, "a discriminator ending in a dead ReLU",
    ),
}


def train(name, steps, loss="non_saturating", d_lr=2e-4, g_lr=2e-4,
          d_steps=1, ignore_input_=False, dead=False, nan_from=None):
    keras.utils.set_random_seed(0)
    data = kgl.data.load_images("mnist_10k", batch_size=64, seed=0).repeat()
    if nan_from is not None:
        data = data.enumerate().map(
            lambda i, b: tf.where(i >= nan_from, b * np.nan, b))
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=LATENT, width=WIDTH)
    if ignore_input_:
        generator = ignore_input(generator)
    if dead:
        discriminator = dead_output(discriminator)
    gan = kgl.GAN(generator, discriminator, latent_dim=LATENT,
                  d_steps=d_steps, seed=0)
    gan.compile(d_optimizer=adam(d_lr), g_optimizer=adam(g_lr),
                d_loss=loss, g_loss=loss, nonfinite_patience=None)
    monitor = kgl.callbacks.TrainingMonitor()
    curves = kgl.callbacks.TrainingCurves(OUT / f"{name}_curves.png",
                                          title=name.replace("_", ", "))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gan.fit(data, steps_per_epoch=steps, epochs=1, verbose=0,
                callbacks=[monitor, curves])
    images = gan.generate(36, seed=1)
    images = np.nan_to_num(images)
    kgl.visualization.save_grid(OUT / f"{name}_samples.png", images,
                                value_range=(-1.0, 1.0))
    return monitor.report()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "findings.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for case in args.cases.split(","):
        broken, fixed, steps, title = CASES[case]
        for kind, setup in (("broken", broken), ("fixed", fixed)):
            setup = dict(setup)
            if "ignore_input" in setup:
                setup["ignore_input_"] = setup.pop("ignore_input")
            report = train(f"{case}_{kind}", steps, **setup)
            results[f"{case}_{kind}"] = {"setup": title if kind == "broken"
                                         else "fixed", **report}
            print(f"{case} {kind}: {report['summary']}", flush=True)
            for finding in report["findings"]:
                print(f"  [{finding['name']}] {finding['message']}",
                      flush=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
