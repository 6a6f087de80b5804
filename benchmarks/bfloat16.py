#!/usr/bin/env python
"""`GAN.fit` under the `mixed_bfloat16` policy against float32, on the CPU.

CPUs with bfloat16 instructions (`avx512_bf16`, AMX) run bfloat16 matrix
products and convolutions through oneDNN. This times the package's DCGAN
(widths 32 and 64, 28×28, batch 64) with the non-saturating and the
WGAN-GP presets in float32 and with both networks under
`mixed_bfloat16`, interleaved (shuffled order every repetition), and
reports the median step times and the median of the per-repetition
throughput ratios (bfloat16 / float32; above 1, bfloat16 is faster).
Sample quality is measured separately, at `make demo`'s budget, by
`benchmarks/demo_budget.py --variant conditional=1,lecam=0.3,bf16=1`.

    .venv/bin/python benchmarks/bfloat16.py [--repeats 7] [--steps 40]
"""

import argparse
import os
import pathlib
import random
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import keras  # noqa: E402
from speed_cells import load_data  # noqa: E402
from speed_cells import tf_dataset  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402

POLICIES = ("float32", "mixed_bfloat16")


def build(policy, width, loss, images):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        preset = kgl.presets.get(loss)
        generator, discriminator = kgl.architectures.dcgan(
            (28, 28, 1), latent_dim=128, width=width)
        gan = kgl.GAN(generator, discriminator, d_steps=preset.d_steps,
                      seed=0)
        gan.compile(**preset.compile_kwargs())
    finally:
        keras.mixed_precision.set_global_policy(previous)
    data = tf_dataset(images, 64)
    gan.fit(data, epochs=1, steps_per_epoch=5, verbose=0)  # trace
    return gan, data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--losses", nargs="+",
                        default=["non_saturating", "wasserstein_gp"])
    parser.add_argument("--write", action="store_true",
                        help="write the bfloat16 section of RESULTS.md")
    args = parser.parse_args(argv)
    images = load_data()
    cells = {(loss, width, policy): build(policy, width, loss, images)
             for loss in args.losses for width in args.widths
             for policy in POLICIES}
    seconds = {key: [] for key in cells}
    for _ in range(args.repeats):
        order = list(cells)
        random.shuffle(order)
        for key in order:
            gan, data = cells[key]
            start = time.perf_counter()
            gan.fit(data, epochs=1, steps_per_epoch=args.steps, verbose=0)
            seconds[key].append((time.perf_counter() - start) / args.steps)
    lines = ["| loss | width | float32 ms/step | bfloat16 ms/step | "
             "bfloat16 / float32 throughput | range |",
             "|---|---:|---:|---:|---:|---|"]
    for loss in args.losses:
        for width in args.widths:
            f32 = seconds[(loss, width, "float32")]
            bf16 = seconds[(loss, width, "mixed_bfloat16")]
            ratios = [a / b for a, b in zip(f32, bf16)]
            lines.append(
                f"| {loss} | {width} | {statistics.median(f32) * 1e3:.1f} | "
                f"{statistics.median(bf16) * 1e3:.1f} | "
                f"{statistics.median(ratios):.2f} | "
                f"{min(ratios):.2f}–{max(ratios):.2f} |")
    body = "\n".join([
        "## mixed_bfloat16 on the CPU (`benchmarks/bfloat16.py`)",
        "",
        f"Reproduce: `{_common.command_line()}`",
        "",
        *_common.machine_lines(),
        f"- DCGAN, batch 64, {args.repeats} interleaved repetitions of "
        f"{args.steps} generator steps, wall time, medians.",
        "",
        *lines,
        "",
    ])
    print(body)
    if args.write:
        _common.update_section("bfloat16", body)


if __name__ == "__main__":
    main()
