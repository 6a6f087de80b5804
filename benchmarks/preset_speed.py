#!/usr/bin/env python
"""Step time of each loss preset, relative to `wasserstein_gp`.

Builds every preset (or those given) on the package's DCGAN (width 32,
28×28, batch 64, the preset's critic outputs and critic steps) and times
`GAN.fit` for each in turn, interleaved (shuffled order every
repetition); reports the median milliseconds per generator step and the
median of the per-repetition ratios to `wasserstein_gp`'s step, which
has the same three critic steps as `mmd`.

    .venv/bin/python benchmarks/preset_speed.py [--presets mmd wasserstein_gp]
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

REFERENCE = "wasserstein_gp"


def build(name, images):
    keras.utils.set_random_seed(0)
    preset = kgl.presets.get(name)
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=128, width=32, outputs=preset.d_outputs)
    gan = kgl.GAN(generator, discriminator, d_steps=preset.d_steps, seed=0)
    gan.compile(**preset.compile_kwargs())
    data = tf_dataset(images, 64)
    gan.fit(data, epochs=1, steps_per_epoch=3, verbose=0)  # trace
    return gan, data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Every preset built on the DCGAN (`r3gan` trains other networks).
    parser.add_argument("--presets", nargs="+", default=sorted(
        name for name, preset in kgl.presets.PRESETS.items()
        if preset.architecture == "dcgan"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--write", action="store_true",
                        help="write the preset_speed section of RESULTS.md")
    args = parser.parse_args(argv)
    names = list(dict.fromkeys([REFERENCE, *args.presets]))
    images = load_data()
    cells = {name: build(name, images) for name in names}
    seconds = {name: [] for name in names}
    for _ in range(args.repeats):
        random.shuffle(names)
        for name in names:
            gan, data = cells[name]
            start = time.perf_counter()
            gan.fit(data, epochs=1, steps_per_epoch=args.steps, verbose=0)
            seconds[name].append((time.perf_counter() - start) / args.steps)
    lines = ["| preset | critic steps | ms / generator step | "
             f"step / {REFERENCE}'s | range |", "|---|---:|---:|---:|---|"]
    for name in sorted(cells):
        ratios = [a / b for a, b in zip(seconds[name], seconds[REFERENCE])]
        lines.append(
            f"| {name} | {kgl.presets.get(name).d_steps} | "
            f"{statistics.median(seconds[name]) * 1e3:.1f} | "
            f"{statistics.median(ratios):.2f} | "
            f"{min(ratios):.2f}–{max(ratios):.2f} |")
    body = "\n".join([
        "## Step time per preset (`benchmarks/preset_speed.py`)",
        "",
        f"Reproduce: `{_common.command_line()}`",
        "",
        *_common.machine_lines(),
        f"- DCGAN width 32, batch 64, {args.repeats} interleaved "
        f"repetitions of {args.steps} generator steps, wall time, medians.",
        "",
        *lines,
        "",
    ])
    print(body)
    if args.write:
        _common.update_section("preset_speed", body)


if __name__ == "__main__":
    main()
