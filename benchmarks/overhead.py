#!/usr/bin/env python
"""Where the last few percent between `kgl.GAN.fit` and a hand-written
step go, on the small DCGAN (width 32) with the non-saturating loss.

Four cells, interleaved (shuffled order, 7 repetitions of 40 generator
steps), process CPU milliseconds per generator step, XLA on and off:

- `kgl`: `GAN.fit`, `steps_per_execution=1` (the default);
- `kgl-spe10`: the same with `compile(steps_per_execution=10)`, which
  runs 10 steps per `tf.function` call and so removes most of Keras's
  per-step Python work (callbacks, the fit loop);
- `hand`: the hand-written step of `speed.py`;
- `hand-kglrng`: the hand-written step drawing its latent noise with the
  package's stateless Philox/Box–Muller sampler instead of
  `tf.random.normal`.

Usage: `.venv/bin/python benchmarks/overhead.py` (about 2 minutes).
"""

import pathlib
import random
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import speed  # noqa: E402

import tensorflow as tf  # noqa: E402

from keras_gan_losses.utils import random as kgl_random  # noqa: E402

NET, LOSS, STEPS, REPEATS = "dcgan_w32", "non_saturating", 40, 7


class KglSpe10(speed.KglCell):
    impl = "kgl-spe10"

    def build(self):
        super().build()
        self.gan.compile(**self.preset.compile_kwargs(),
                         jit_compile=self.xla, steps_per_execution=10)


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


def main():
    args = speed.parse_args(["--nets", NET, "--no-torch"])
    images = speed.load_data()
    for xla in (False, True):
        cells = [cls(NET, LOSS, xla, args, images) for cls in (
            speed.KglCell, speed.HandCell, KglSpe10, HandKglRng)]
        cpu_ms = {cell.impl: [] for cell in cells}
        for cell in cells:
            cell.build()
            cell.warmup(10)
            cell.run(10)
        for rep in range(REPEATS):
            order = list(cells)
            random.Random(rep).shuffle(order)
            for cell in order:
                start = time.process_time()
                cell.run(STEPS)
                cpu_ms[cell.impl].append(
                    1000 * (time.process_time() - start) / STEPS)
        hand = cpu_ms["hand"]
        print(f"XLA {'on' if xla else 'off'}:")
        for impl, values in cpu_ms.items():
            ratio = statistics.median(h / v for h, v in zip(hand, values))
            print(f"  {impl:12s} {statistics.median(values):6.1f} CPU ms / "
                  f"step; hand / {impl} = {ratio:.3f}", flush=True)


if __name__ == "__main__":
    main()
