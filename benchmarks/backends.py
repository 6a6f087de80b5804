#!/usr/bin/env python
"""`GAN.fit` against a hand-written step on each Keras backend.

The same networks on TensorFlow, JAX and PyTorch: the DCGAN of width 32
(`kgl.architectures.dcgan`, 28×28×1), the non-saturating loss, Adam(2e-4,
0.5) for both networks, batches of 64 MNIST digits. Two cells per
backend, in one process per backend (Keras picks its backend once),
alternating within it (`--repeats` repetitions of `--steps` steps each,
after a warm-up that compiles):

- `kgl`: `GAN.fit` on a NumPy array, `steps_per_epoch=--steps`, the
  package's defaults (the non-finite guard and the training signals on);
- `hand`: a discriminator and a generator update written by hand in the
  style of Keras's guides for the backend, called in a Python loop
  without `fit` (so without its per-step cost): a `tf.function` with two
  `tf.GradientTape`s (`writing_a_custom_training_loop_in_tensorflow`); a
  `jax.jit` step on `stateless_call` and `stateless_apply`
  (`writing_a_custom_training_loop_in_jax`); eager PyTorch with
  `loss.backward()` and `optimizer.apply` (`custom_train_step_in_torch`).

Reported: milliseconds per step (wall clock) per cell, medians over the
repetitions, and the median of the per-repetition ratios hand / kgl
(the throughput of `GAN.fit` relative to the hand-written step; ≥ 1
means `fit` is as fast). The machine is shared: only ratios measured
side by side in one process are compared.

Usage: `.venv/bin/python benchmarks/backends.py` (about 5 minutes); it
prints the table and writes the `backends` section of `RESULTS.md`.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

BENCH_DIR = pathlib.Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
LATENT, BATCH, LR, BETA_1 = 128, 64, 2e-4, 0.5


def worker(steps, repeats, warmup):
    """One backend's cells (under `KERAS_BACKEND`); prints JSON."""
    import keras
    import numpy as np

    import keras_gan_losses as kgl

    backend = keras.backend.backend()
    raw, _ = kgl.data.load_mnist_10k()
    images = (raw[..., None].astype("float32") / 127.5 - 1.0)
    images = images[: BATCH * (steps + warmup)]

    def nets():
        keras.utils.set_random_seed(0)
        return kgl.architectures.dcgan((28, 28, 1), latent_dim=LATENT,
                                       width=32)

    def adam():
        return keras.optimizers.Adam(LR, beta_1=BETA_1)

    # --- kgl: GAN.fit -------------------------------------------------
    generator, discriminator = nets()
    gan = kgl.GAN(generator, discriminator, latent_dim=LATENT, seed=0)
    gan.compile(d_optimizer=adam(), g_optimizer=adam(),
                d_loss="non_saturating", g_loss="non_saturating")

    def run_kgl(n):
        gan.fit(images, batch_size=BATCH, epochs=1, steps_per_epoch=n,
                shuffle=False, verbose=0)

    # --- hand: the guides' step, in a Python loop ----------------------
    hand = make_hand_step(backend, keras, np, nets, adam)

    def run_hand(n):
        for i in range(n):
            hand(images[i * BATCH:(i + 1) * BATCH])
        getattr(hand, "sync", lambda: None)()

    run_kgl(warmup)
    run_hand(warmup)
    cells = {"kgl": run_kgl, "hand": run_hand}
    times = {name: [] for name in cells}
    for repeat in range(repeats):
        order = list(cells) if repeat % 2 == 0 else list(cells)[::-1]
        for name in order:
            start = time.perf_counter()
            cells[name](steps)
            times[name].append(
                (time.perf_counter() - start) * 1000.0 / steps)
    print(json.dumps({"backend": backend, "ms": times}))


def make_hand_step(backend, keras, np, nets, adam):
    """One training step (a discriminator update, then a generator update,
    non-saturating loss) written as the Keras guides do on `backend`."""
    generator, discriminator = nets()
    d_opt, g_opt = adam(), adam()
    d_opt.build(discriminator.trainable_variables)
    g_opt.build(generator.trainable_variables)
    softplus = keras.ops.softplus
    ops = keras.ops

    def d_loss_of(real_logits, fake_logits):
        return ops.mean(softplus(-real_logits)) + ops.mean(
            softplus(fake_logits))

    def g_loss_of(fake_logits):
        return ops.mean(softplus(-fake_logits))

    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def step(real):
            z = tf.random.normal((BATCH, LATENT))
            fake = generator(z, training=True)
            with tf.GradientTape() as tape:
                loss = d_loss_of(discriminator(real, training=True),
                                 discriminator(fake, training=True))
            d_vars = discriminator.trainable_variables
            d_opt.apply(tape.gradient(loss, d_vars), d_vars)
            z = tf.random.normal((BATCH, LATENT))
            with tf.GradientTape() as tape:
                loss = g_loss_of(discriminator(
                    generator(z, training=True), training=True))
            g_vars = generator.trainable_variables
            g_opt.apply(tape.gradient(loss, g_vars), g_vars)

        return step

    if backend == "jax":
        import jax

        seed = keras.random.SeedGenerator(0)

        def d_loss_fn(d_train, d_rest, g_state, real, z):
            fake, g_rest = generator.stateless_call(
                g_state[0], g_state[1], z, training=True)
            real_logits, d_rest = discriminator.stateless_call(
                d_train, d_rest, real, training=True)
            fake_logits, d_rest = discriminator.stateless_call(
                d_train, d_rest, fake, training=True)
            return d_loss_of(real_logits, fake_logits), (d_rest, g_rest)

        def g_loss_fn(g_train, g_rest, d_state, z):
            fake, g_rest = generator.stateless_call(
                g_train, g_rest, z, training=True)
            logits, d_rest = discriminator.stateless_call(
                d_state[0], d_state[1], fake, training=True)
            return g_loss_of(logits), (g_rest, d_rest)

        @jax.jit
        def jit_step(state, real):
            (d_train, d_rest, d_opt_vars, g_train, g_rest, g_opt_vars,
             seed_state) = state
            z1, seed_state = keras.random.normal(
                (BATCH, LATENT), seed=seed_state), seed_state + 1
            (_, (d_rest, g_rest)), grads = jax.value_and_grad(
                d_loss_fn, has_aux=True)(d_train, d_rest,
                                         (g_train, g_rest), real, z1)
            d_train, d_opt_vars = d_opt.stateless_apply(
                d_opt_vars, grads, d_train)
            z2 = keras.random.normal((BATCH, LATENT), seed=seed_state)
            seed_state = seed_state + 1
            (_, (g_rest, d_rest)), grads = jax.value_and_grad(
                g_loss_fn, has_aux=True)(g_train, g_rest,
                                         (d_train, d_rest), z2)
            g_train, g_opt_vars = g_opt.stateless_apply(
                g_opt_vars, grads, g_train)
            return (d_train, d_rest, d_opt_vars, g_train, g_rest,
                    g_opt_vars, seed_state)

        def values(variables):
            return [v.value for v in variables]

        state = [(values(discriminator.trainable_variables),
                  values(discriminator.non_trainable_variables),
                  values(d_opt.variables),
                  values(generator.trainable_variables),
                  values(generator.non_trainable_variables),
                  values(g_opt.variables),
                  seed.state.value)]

        def step(real):
            state[0] = jit_step(state[0], real)

        # JAX dispatches asynchronously: the loop waits for the last step.
        step.sync = lambda: jax.block_until_ready(state[0])
        return step

    import torch

    def step(real):
        real = torch.as_tensor(real)
        z = keras.random.normal((BATCH, LATENT))
        with torch.no_grad():
            fake = generator(z, training=True)
        discriminator.zero_grad()
        loss = d_loss_of(discriminator(real, training=True),
                         discriminator(fake, training=True))
        loss.backward()
        d_vars = discriminator.trainable_weights
        with torch.no_grad():
            d_opt.apply([v.value.grad for v in d_vars], d_vars)
        z = keras.random.normal((BATCH, LATENT))
        generator.zero_grad()
        loss = g_loss_of(discriminator(generator(z, training=True),
                                       training=True))
        loss.backward()
        g_vars = generator.trainable_weights
        with torch.no_grad():
            g_opt.apply([v.value.grad for v in g_vars], g_vars)

    return step


def run_worker(backend, args):
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, __file__, "--worker", "--steps",
               str(args.steps), "--repeats", str(args.repeats),
               "--warmup", str(args.warmup)]
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results, args):
    sys.path.insert(0, str(BENCH_DIR))
    import _common

    rows = []
    for result in results:
        kgl_ms, hand_ms = result["ms"]["kgl"], result["ms"]["hand"]
        ratios = [h / k for h, k in zip(hand_ms, kgl_ms)]
        rows.append(
            f"| {result['backend']} | {statistics.median(hand_ms):.1f} | "
            f"{statistics.median(kgl_ms):.1f} | "
            f"{statistics.median(ratios):.3f} "
            f"({min(ratios):.3f}–{max(ratios):.3f}) |")
    lines = [
        "`GAN.fit` and a hand-written step on each backend: DCGAN width 32,"
        " non-saturating loss, Adam, batch 64, MNIST; milliseconds per "
        f"step (wall clock), medians of {args.repeats} interleaved "
        f"repetitions of {args.steps} steps, one process per backend. "
        "Throughput ratio = hand ms / kgl ms per repetition (median, "
        "range); ≥ 1 means `GAN.fit` is as fast as the hand-written "
        "step.",
        "",
        "| backend | hand ms/step | `GAN.fit` ms/step | throughput ratio |",
        "|---|--:|--:|--:|",
        *rows,
        "",
        *_common.machine_lines(),
        f"- command: `{_common.command_line()}`",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        _common.update_section("backends", text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true",
                        help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--no-write", action="store_true",
                        help="print only; leave RESULTS.md as it is")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.steps, args.repeats, args.warmup)
        return
    results = [run_worker(b, args) for b in args.backends.split(",")]
    report(results, args)


if __name__ == "__main__":
    main()
