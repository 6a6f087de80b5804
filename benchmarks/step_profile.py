#!/usr/bin/env python
"""Where a training step's time goes, op by op.

Runs `GAN.fit` (signals on, the default, and off) and the hand-written
keras.io-style step of `speed.py` under TensorFlow's profiler on the same
networks (DCGAN width 32, 28×28, batch 64), then adds up the ops each
step ran, by the part of the step they belong to. The package's step
builds its extra work in name scopes (`keras_gan_losses.utils.scopes`):

- `guard`: the non-finite guard and the data checks;
- `signals`: the training signals (accuracy or logit gap, gradient
  norms, diversity);
- `logs`: the running means of the logged values;
- `noise`: the stateless latent noise;
- everything else: the networks, their gradients and the optimizers.

Op time is the time the ops themselves ran (summed over threads), so it
leaves out the executor's scheduling and Keras's Python loop; op counts
tell how much of that scheduling each part adds. Run it on a quiet
machine: other jobs slow the ops down unevenly.

    .venv/bin/python benchmarks/step_profile.py [--steps 40] [--write]
"""

import argparse
import collections
import os
import pathlib
import re
import sys
import tempfile
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import tensorflow as tf  # noqa: E402
from speed_cells import HandCell  # noqa: E402
from speed_cells import KglCell  # noqa: E402
from speed_cells import load_data  # noqa: E402
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # noqa: E402

from keras_gan_losses.utils import scopes  # noqa: E402

PARTS = (scopes.GUARD, scopes.SIGNALS, scopes.LOGS, scopes.NOISE)
OTHER = "networks and optimizers"
_PART_RE = {part: re.compile(rf"(^|/){part}(_\d+)?/") for part in PARTS}


class KglNoSignals(KglCell):
    impl = "kgl, signals off"

    def build(self):
        super().build()
        self.gan.compile(**self.preset.compile_kwargs(), jit_compile=False,
                         training_signals=False)


def part_of(op_name):
    for part, pattern in _PART_RE.items():
        if pattern.search(op_name):
            return part
    return OTHER


def profile(cell, steps):
    """`{part: (ops per step, op µs per step)}` over `steps` steps."""
    cell.build()
    cell.run(5)  # trace and warm up
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        cell.run(steps)
        tf.profiler.experimental.stop()
        path = next(pathlib.Path(logdir).rglob("*.xplane.pb"))
        space = xplane_pb2.XSpace()
        space.ParseFromString(path.read_bytes())
    plane = next(p for p in space.planes if p.name == "/host:CPU")
    counts, micros = collections.Counter(), collections.Counter()
    for line in plane.lines:
        if not line.name.startswith("tf_Compute"):
            continue
        for event in line.events:
            name = plane.event_metadata[event.metadata_id].name
            if ":" not in name:  # executor bookkeeping, not an op
                continue
            part = part_of(name.rsplit(":", 1)[0])
            counts[part] += 1 / steps
            micros[part] += event.duration_ps / 1e6 / steps
    return {part: (counts[part], micros[part]) for part in (*PARTS, OTHER)}


def table(results):
    lines = ["| loss | step | part | ops / step | op ms / step | "
             "share of op time |", "|---|---|---|---:|---:|---:|"]
    for (loss, impl), parts in results.items():
        total = sum(us for _, us in parts.values())
        for part, (count, us) in parts.items():
            if count == 0:
                continue
            lines.append(f"| {loss} | {impl} | {part} | {count:.0f} | "
                         f"{us / 1e3:.2f} | {us / total:.1%} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--losses", nargs="+",
                        default=["non_saturating", "wasserstein_gp"])
    parser.add_argument("--write", action="store_true",
                        help="write the step_profile section of RESULTS.md")
    args = parser.parse_args(argv)
    images = load_data()
    options = types.SimpleNamespace(latent_dim=128, batch_size=64)
    results = {}
    for loss in args.losses:
        for cls in (KglCell, KglNoSignals, HandCell):
            cell = cls("dcgan_w32", loss, False, options, images)
            results[(loss, cell.impl)] = profile(cell, args.steps)
            print(f"{loss} / {cell.impl}: done", flush=True)
    body = "\n".join([
        "## Where a step's time goes, op by op (`benchmarks/step_profile.py`)",
        "",
        f"Reproduce: `{_common.command_line()}`",
        "",
        *_common.machine_lines(),
        f"- dcgan_w32, batch 64, XLA off, {args.steps} profiled steps per "
        "cell after 5 warm-up steps.",
        "",
        table(results),
        "",
    ])
    print(body)
    if args.write:
        _common.update_section("step_profile", body)


if __name__ == "__main__":
    main()
