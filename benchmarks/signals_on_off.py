#!/usr/bin/env python
"""`GAN.fit` throughput with the training signals on against off.

Two GANs on `kgl train`'s default networks (DCGAN width 32, latent 64,
batch 64, mnist_10k), one compiled with `training_signals=True` (the
default) and one with `False`, each traced first, then timed in turn for
100 steps, 9 interleaved repetitions; prints the median of the
per-repetition ratios (on / off throughput) and the median step times.

    .venv/bin/python benchmarks/signals_on_off.py
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402


def make(signals, data):
    keras.utils.set_random_seed(0)
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=64, width=32)
    gan = kgl.GAN(generator, discriminator, seed=0)
    gan.compile(training_signals=signals)
    gan.fit(data, epochs=1, steps_per_epoch=10, verbose=0)  # trace
    return gan


def main(repeats=9, steps=100):
    tf.config.threading.set_intra_op_parallelism_threads(2)
    data = kgl.data.load_images("mnist_10k", batch_size=64).repeat()
    gans = {flag: make(flag, data) for flag in (True, False)}
    times = {True: [], False: []}
    ratios = []
    for _ in range(repeats):
        for flag in (True, False):
            start = time.perf_counter()
            gans[flag].fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
            times[flag].append(time.perf_counter() - start)
        ratios.append(times[False][-1] / times[True][-1])
    print(f"throughput on / off: median {statistics.median(ratios):.3f} "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}); ms/step on "
          f"{1000 * statistics.median(times[True]) / steps:.2f}, off "
          f"{1000 * statistics.median(times[False]) / steps:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    main(args.repeats, args.steps)
