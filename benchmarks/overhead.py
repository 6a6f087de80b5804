#!/usr/bin/env python
"""Where the last few percent between `kgl.GAN.fit` and a hand-written
step go, on the small DCGAN (width 32) with the non-saturating loss.

Five cells, interleaved (shuffled order, 11 repetitions of 40 generator
steps), process CPU milliseconds per generator step, XLA on and off:

- `kgl`: `GAN.fit`, `steps_per_execution=1` (the default);
- `kgl-spe10`: the same with `compile(steps_per_execution=10)`, which
  runs 10 steps per `tf.function` call and so removes most of Keras's
  per-step Python work (callbacks, the fit loop);
- `kgl-cli`, `kgl-cli-spe8`: `GAN.fit` with the callbacks `kgl train`
  runs at every step (monitor, curves, history), at 1 and at `kgl
  train`'s 8 steps per execution;
- `kgl-step`: the package's `GAN.train_step` wrapped in a `tf.function`
  and called in the hand-written cell's Python loop, without `fit`;
- `hand`: the hand-written step of `speed.py`;
- `hand-kglrng`: the hand-written step drawing its latent noise with the
  package's stateless Philox/Box–Muller sampler instead of
  `tf.random.normal`.

Usage: `.venv/bin/python benchmarks/overhead.py` (about 2 minutes); it
prints the table and writes the `overhead` section of `RESULTS.md`.
"""

import argparse
import os
import pathlib
import random
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import numpy as np  # noqa: E402
import speed  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402
from keras_gan_losses.utils import random as kgl_random  # noqa: E402

NET, LOSS, STEPS, REPEATS = "dcgan_w32", "non_saturating", 40, 11


class KglSpe10(speed.KglCell):
    impl = "kgl-spe10"

    def build(self):
        super().build()
        self.gan.compile(**self.preset.compile_kwargs(),
                         jit_compile=self.xla, steps_per_execution=10)


class KglCli(speed.KglCell):
    """`GAN.fit` with the callbacks `kgl train` runs at every step (the
    training monitor, the curves and their steps.csv, history.csv), one
    step per execution."""

    impl = "kgl-cli"
    steps_per_execution = 1

    def build(self):
        import tempfile

        from keras_gan_losses.cli.history_csv import HistoryCSV

        super().build()
        self.gan.compile(**self.preset.compile_kwargs(),
                         jit_compile=self.xla,
                         steps_per_execution=self.steps_per_execution)
        folder = pathlib.Path(tempfile.mkdtemp())
        self.callbacks = [
            kgl.callbacks.TrainingMonitor(),
            HistoryCSV(folder / "history.csv"),
            kgl.callbacks.TrainingCurves(folder / "curves.png",
                                         log_path=folder / "steps.csv"),
        ]

    def run(self, steps):
        # The timer first: its epoch ends before the curves are drawn
        # (once per epoch, which here would be once per 40 steps).
        self.gan.fit(self.dataset, epochs=1, steps_per_epoch=steps,
                     verbose=0, callbacks=[self.timer, *self.callbacks],
                     shuffle=False)
        self.cpu_elapsed = self.timer.cpu_elapsed
        return self.timer.elapsed


class KglCliSpe8(KglCli):
    """`KglCli` at `kgl train`'s default of 8 steps per execution."""

    impl = "kgl-cli-spe8"
    steps_per_execution = 8


class KglStep(speed.KglCell):
    """The package's `train_step` in the hand-written cell's loop (a
    `tf.function` called once per batch), without `fit`."""

    impl = "kgl-step"

    def build(self):
        super().build()
        self.train_step = tf.function(self.gan.train_step,
                                      jit_compile=self.xla)

    def run(self, steps):
        return speed.HandCell.run(self, steps)


class HandKglRng(speed.HandCell):
    impl = "hand-kglrng"

    def build(self):
        super().build()
        self.seed = tf.Variable([0, 0], dtype=tf.int64)
        cell, normal = self, tf.random.normal

        def train_step(real):
            seed = cell.seed.value()
            cell.seed.assign_add([0, 1])
            tf.random.normal = lambda shape: kgl_random.stateless_normal(
                shape, kgl_random.fold_in(seed, 0))
            try:  # traced once: the patched sampler is baked in
                return speed.HandCell._train_step(cell, real)
            finally:
                tf.random.normal = normal

        self.train_step = tf.function(train_step, jit_compile=self.xla)


def measure(args, images, xla):
    """CPU ms per generator step of each cell, per repetition, and the
    wall ms of the hand-written cell."""
    cells = [cls(NET, LOSS, xla, args, images) for cls in (
        speed.KglCell, speed.HandCell, KglSpe10, KglCli, KglCliSpe8,
        KglStep, HandKglRng)]
    cpu_ms = {cell.impl: [] for cell in cells}
    wall_ms = []
    for cell in cells:
        cell.build()
        # 40: whole executions at 8 and at 10 steps per execution (GAN.fit
        # refuses a steps_per_epoch that is not a multiple).
        cell.warmup(40)
        cell.run(40)
    for rep in range(REPEATS):
        order = list(cells)
        random.Random(rep).shuffle(order)
        for cell in order:
            start, wall = time.process_time(), time.perf_counter()
            cell.run(STEPS)
            # The kgl train cells time the epoch only (not the curves
            # drawn at its end); the others the whole call.
            cpu = getattr(cell, "cpu_elapsed", None)
            cpu = time.process_time() - start if cpu is None else cpu
            cpu_ms[cell.impl].append(1000 * cpu / STEPS)
            if cell.impl == "hand":
                wall_ms.append(1000 * (time.perf_counter() - wall) / STEPS)
    return cpu_ms, statistics.median(wall_ms)


# ----------------------------------------------------------------------
# fixed per-step cost: one-layer networks, so a step is almost all overhead

TINY_STEPS, TINY_REPEATS, TINY_LATENT = 400, 7, 8

#: The fixed-cost cells: the same implementations as above, on
#: `speed.tiny_nets`.
FIXED_COST_CELLS = {
    "`GAN.fit`": speed.KglCell,
    "`GAN.fit`, `steps_per_execution=10`": KglSpe10,
    "`GAN.train_step` in a `tf.function`, hand-written loop": KglStep,
    "hand-written `tf.function` step and loop": speed.HandCell,
}


def fixed_costs():
    """Wall microseconds per step of a non-saturating step on one-layer
    networks (`speed.tiny_nets`: Dense 8→16 generator, Dense 16→1 critic,
    batch 64, no XLA)."""
    args = speed.parse_args(["--nets", NET, "--no-torch",
                             "--latent-dim", str(TINY_LATENT)])
    vectors = np.random.default_rng(0).normal(size=(4096, 16))
    cells = {name: cls("tiny", LOSS, False, args, vectors.astype("float32"))
             for name, cls in FIXED_COST_CELLS.items()}
    for cell in cells.values():
        cell.build()
        cell.run(10)
    times = {name: [] for name in cells}
    for rep in range(TINY_REPEATS):
        order = list(cells)
        random.Random(rep).shuffle(order)
        for name in order:
            times[name].append(1e6 * cells[name].run(TINY_STEPS)
                               / TINY_STEPS)
    return {name: statistics.median(v) for name, v in times.items()}


def data_rates(images, batch_size=64, batches=400, repeats=5):
    """Images per second of iterating the input pipelines alone: the
    package's `load_images("mnist_10k")` and the cached pipeline the speed
    cells use (medians of interleaved repetitions)."""
    pipelines = {
        "kgl.data.load_images(\"mnist_10k\")": lambda: kgl.data.load_images(
            "mnist_10k", batch_size=batch_size, seed=0).repeat(),
        "speed.py's cached pipeline": lambda: speed.tf_dataset(
            images, batch_size),
    }
    rates = {name: [] for name in pipelines}
    for _ in range(repeats):
        for name, make in pipelines.items():
            iterator = iter(make())
            next(iterator)
            start = time.perf_counter()
            for _ in range(batches):
                next(iterator)
            rates[name].append(batches * batch_size
                               / (time.perf_counter() - start))
    return {name: statistics.median(v) for name, v in rates.items()}


def fixed_reading(fixed, step_ms):
    """The fixed costs as a share of the small DCGAN's step."""
    fit, spe, step, hand = fixed.values()
    package, loop = step - hand, fit - step
    return (
        f"So the package's step adds about {package:.0f} µs and Keras's "
        f"`fit` loop about {loop:.0f} µs per step over a hand-written "
        f"loop: together {(package + loop) / 10 / step_ms:.1f} % of the "
        f"{NET} hand-written step ({step_ms:.0f} ms wall, XLA off). "
        f"`steps_per_execution=10` brings `fit` to {spe:.0f} µs per "
        f"step ({'less' if spe < hand else 'more'} than the hand-written "
        f"loop's {hand:.0f} µs).")


def report(results, load, rates, fixed, hand_wall_ms):
    rows = []
    for xla, cpu_ms in results.items():
        hand = cpu_ms["hand"]
        for impl, values in cpu_ms.items():
            ratio = statistics.median(h / v for h, v in zip(hand, values))
            low = min(h / v for h, v in zip(hand, values))
            high = max(h / v for h, v in zip(hand, values))
            rows.append(f"| {impl} | {'on' if xla else 'off'} | "
                        f"{statistics.median(values):.1f} | {ratio:.3f} | "
                        f"{low:.2f}–{high:.2f} |")
    print("\n".join(rows))
    table = "\n".join([
        "| cell | XLA | CPU ms / gen. step | hand / cell (CPU time) | "
        "range over reps |",
        "|---|---|---:|---:|---:|", *rows])
    body = f"""## Where the per-step overhead goes (`benchmarks/overhead.py`)

Reproduce: `.venv/bin/python benchmarks/overhead.py`

{chr(10).join(_common.machine_lines())}
- {NET}, {LOSS}, batch 64; {REPEATS} interleaved repetitions of {STEPS}
  generator steps per cell (shuffled order), process CPU time (less
  sensitive than wall time to other jobs), medians. Load average (1 min)
  before / after: {load[0]:.1f} / {load[1]:.1f}.

{table}

- `kgl`: `GAN.fit` with Keras's default `steps_per_execution=1`;
  `kgl-spe10`: the same with `compile(steps_per_execution=10)`, so Keras's
  Python loop (callbacks, iterator, logs) runs once per 10 steps;
  `kgl-cli` and `kgl-cli-spe8`: `GAN.fit` with `kgl train`'s per-step
  callbacks (training monitor, curves, history) at 1 and 8 steps per
  execution (`kgl train`'s defaults on a CPU and with a GPU), timed
  from the epoch's begin to its end (the curves are drawn after);
  `kgl-step`: the package's `train_step` in a `tf.function` called once
  per batch in the hand-written loop, without `fit`; `hand`:
  the hand-written `tf.function` step of `speed.py`; `hand-kglrng`: that
  step with its latent noise drawn by the package's stateless Philox +
  Box–Muller sampler instead of `tf.random.normal`.
- The spread over repetitions (last column) is larger than the
  differences between the medians: on this shared machine, CPU time too
  varies by ±10 % from one repetition to the next. The fixed costs below
  are the cleaner measurement.
"""
    fixed_lines = "\n".join(f"| {name} | {us:.0f} |"
                             for name, us in fixed.items())
    body += f"""
Fixed cost per step: the same non-saturating step on one-layer networks
(Dense 8→16 generator, Dense 16→1 critic, batch 64, no XLA), where a step
is almost all overhead; wall microseconds per step, median of
{TINY_REPEATS} interleaved repetitions of {TINY_STEPS} steps. The
difference between the last two rows is what the package's step adds
(loss trackers, noise state, checks); between the first and the third,
Keras's `fit` loop.

| step | µs / step |
|---|---:|
{fixed_lines}

{fixed_reading(fixed, hand_wall_ms)}
"""
    data_lines = "\n".join(f"| {name} | {rate:,.0f} |"
                            for name, rate in rates.items())
    body += f"""
Input pipelines alone (iterating 400 batches of 64, wall time, median of
5), to compare with the training step, which consumes 64 images in about
{statistics.median(results[False]["kgl"]):.0f} ms of CPU time (above):

| pipeline | images/s |
|---|---:|
{data_lines}
"""
    path = _common.update_section("overhead", body)
    print(f"\nWrote {path}")


def main(argv=None):
    # No options of its own (~4 min, rewrites its RESULTS.md section); the
    # parser makes `--help` describe it instead of running it.
    argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("\n", " ")
    ).parse_args(argv)
    args = speed.parse_args(["--nets", NET, "--no-torch"])
    images = speed.load_data()
    before = os.getloadavg()[0]
    results, hand_wall_ms = {}, None
    for xla in (False, True):
        results[xla], wall = measure(args, images, xla)
        hand_wall_ms = wall if not xla else hand_wall_ms
    after = os.getloadavg()[0]
    fixed = fixed_costs()
    rates = data_rates(images)
    report(results, (before, after), rates, fixed, hand_wall_ms)


if __name__ == "__main__":
    main()
