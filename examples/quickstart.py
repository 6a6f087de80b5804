"""
Title: Quick start: a GAN on a ring of eight Gaussians
Description: Train a small GAN with compile()/fit() on 2-D toy data, in
about a minute on a CPU, and measure how many of the modes it covers.

Usage: python examples/quickstart.py [--loss NAME] [--epochs N] [--smoke]
"""

## Set-up
import argparse

import keras
import numpy as np

import keras_gan_losses as kgl

PAIRS = {
    "non_saturating": dict(d_loss="non_saturating", g_loss="non_saturating"),
    "least_squares": dict(d_loss="least_squares", g_loss="least_squares"),
    "hinge": dict(d_loss="hinge", g_loss="hinge"),
    "wasserstein_gp": dict(d_loss="wasserstein", g_loss="wasserstein",
                           penalties=[kgl.penalties.GradientPenalty(1.0)]),
    "relativistic_average": dict(d_loss="relativistic_average",
                                 g_loss="relativistic_average"),
}


## The data: eight Gaussians on a circle of radius 2
def ring(n, seed=0, modes=8, std=0.05):
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * rng.integers(modes, size=n) / modes
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centres + std * rng.normal(size=(n, 2))).astype("float32")


def mode_coverage(samples, modes=8, radius=0.3):
    """Modes hit by at least 1% of the samples, and the share of samples
    within `radius` of some mode."""
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    dist = np.linalg.norm(samples[:, None] - centres[None], axis=2)
    near = dist.min(axis=1) < radius
    hits = np.bincount(dist.argmin(axis=1)[near], minlength=modes)
    return int((hits >= 0.01 * len(samples)).sum()), float(near.mean())


## The networks: two small MLPs
def mlp(inputs, outputs, width=128):
    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(width, activation="relu"),
        keras.layers.Dense(width, activation="relu"),
        keras.layers.Dense(outputs),
    ])


## Training with compile() and fit()
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--loss", choices=sorted(PAIRS),
                        default="non_saturating")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--smoke", action="store_true",
                        help="a few steps, for the tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    data = ring(512 if args.smoke else 16384)
    gan = kgl.GAN(mlp(8, 2), mlp(2, 1), seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                **PAIRS[args.loss])
    gan.fit(data, batch_size=256, epochs=1 if args.smoke else args.epochs,
            verbose=0 if args.smoke else 2)
    modes, share = mode_coverage(gan.generate(4000, seed=1))
    print(f"{args.loss}: {modes}/8 modes covered, "
          f"{share:.0%} of samples within 0.3 of a mode")
    return modes, share


if __name__ == "__main__":
    main()
