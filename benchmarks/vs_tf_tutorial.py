#!/usr/bin/env python
"""`make demo`'s set-up against the TensorFlow DCGAN tutorial, at equal
wall time on the same digits.

The tutorial (tensorflow.org/tutorials/generative/dcgan) is the most
copied GAN recipe for Keras: its generator (Dense 7·7·256 → transposed
convolutions 128, 64, 1 with kernel 5, batch norm, LeakyReLU, tanh), its
discriminator (convolutions 64 and 128 with kernel 5, LeakyReLU, dropout
0.3, Dense 1), binary cross-entropy on logits, Adam(1e-4) for both,
noise of size 100, batches of 256 and its hand-written `train_step`
(one `tf.function` with two gradient tapes). This script first trains
the package's default (`kgl train`'s set-up, conditional on the digit
classes with LeCam, through `benchmarks/demo_budget.py`'s `train`), measures its training time, then
trains the tutorial's networks with the tutorial's step on the same
mnist_10k digits for the same wall time, and scores both with the same
metrics: the shipped classifier's recognisable rate and class coverage
and the MNIST-feature FID of 10,000 samples against mnist_10k. Grids go
to `benchmarks/results/vs_tf_tutorial/`.

Usage:

    .venv/bin/python benchmarks/vs_tf_tutorial.py [--steps 3120]
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
import demo_budget  # noqa: E402

OUT = _common.BENCH_DIR / "results" / "vs_tf_tutorial"
NOISE_DIM = 100
BATCH_SIZE = 256


def tutorial_generator():
    import keras

    layers = keras.layers
    return keras.Sequential([
        keras.Input((NOISE_DIM,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same",
                               use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same",
                               use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same",
                               use_bias=False, activation="tanh"),
    ])


def tutorial_discriminator():
    import keras

    layers = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ])


def train_tutorial(seconds, seed=0):
    """The tutorial's loop for `seconds` of wall time; returns the
    generator, the steps done and the time taken."""
    import keras
    import tensorflow as tf

    import keras_gan_losses as kgl

    keras.utils.set_random_seed(seed)
    generator = tutorial_generator()
    discriminator = tutorial_discriminator()
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    generator_optimizer = keras.optimizers.Adam(1e-4)
    discriminator_optimizer = keras.optimizers.Adam(1e-4)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([tf.shape(images)[0], NOISE_DIM])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            disc_loss = cross_entropy(
                tf.ones_like(real_output), real_output
            ) + cross_entropy(tf.zeros_like(fake_output), fake_output)
        generator_optimizer.apply_gradients(zip(
            gen_tape.gradient(gen_loss, generator.trainable_variables),
            generator.trainable_variables))
        discriminator_optimizer.apply_gradients(zip(
            disc_tape.gradient(disc_loss, discriminator.trainable_variables),
            discriminator.trainable_variables))

    dataset = kgl.data.load_images(
        "mnist_10k", split="train", batch_size=BATCH_SIZE, seed=seed,
    ).repeat()
    steps = 0
    start = time.perf_counter()
    for images in dataset:
        train_step(images)
        steps += 1
        if time.perf_counter() - start >= seconds:
            break
    return generator, steps, time.perf_counter() - start


class _Tutorial:
    """`demo_budget.evaluate`'s view of the tutorial's generator."""

    def __init__(self, generator):
        self.generator = generator

    def generate(self, num_images, seed=0):
        import numpy as np
        import tensorflow as tf

        noise = tf.random.stateless_normal((num_images, NOISE_DIM),
                                           seed=[seed, 0])
        return np.concatenate([
            self.generator(noise[i:i + 500], training=False).numpy()
            for i in range(0, num_images, 500)
        ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3120,
                        help="generator steps of the package's default")
    parser.add_argument("--variant", default="conditional=1,lecam=0.3",
                        help="demo_budget variant used as the default "
                             "(default: %(default)s, `kgl train`'s)")
    args = parser.parse_args(argv)
    from keras_gan_losses.visualization import save_grid

    OUT.mkdir(parents=True, exist_ok=True)
    config = demo_budget.parse_variant(args.variant)
    gan, seconds, steps = demo_budget.train(config, args.steps)
    package = {"steps": steps, "train_seconds": round(seconds, 1),
               **demo_budget.evaluate(gan)}
    save_grid(OUT / "package_default.png", gan.generate(64, seed=0),
              value_range=(-1, 1))
    generator, tutorial_steps, tutorial_seconds = train_tutorial(seconds)
    tutorial = _Tutorial(generator)
    tutorial_result = {"steps": tutorial_steps,
                       "train_seconds": round(tutorial_seconds, 1),
                       **demo_budget.evaluate(tutorial)}
    save_grid(OUT / "tf_tutorial.png", tutorial.generate(64),
              value_range=(-1, 1))
    result = {"command": "python benchmarks/vs_tf_tutorial.py "
                         + " ".join(argv or sys.argv[1:]),
              "package_default": package, "tf_tutorial": tutorial_result}
    (OUT / "result.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
