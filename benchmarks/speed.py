#!/usr/bin/env python
"""Training speed of `kgl.GAN.fit` against a hand-written step and PyTorch.

For each network pair (the keras.io WGAN-GP networks for 28×28 MNIST and
the package's DCGAN with width=32) and each loss (non-saturating; Wasserstein
with gradient penalty and 3 critic steps) this measures, side by side in one
process, with interleaved repetitions (the order is shuffled every
repetition) and medians:

- `kgl`: `kgl.GAN.fit(dataset, steps_per_epoch=N)`, timed from the epoch's
  begin to its end by a callback; the first (tracing) call is excluded;
- `hand`: a hand-written `tf.function` training step in the keras.io style
  (alternating critic and generator updates, `tf.GradientTape`,
  `optimizer.apply_gradients`) called in a Python loop over the same
  `tf.data` dataset;
- both with `jit_compile` off and on (XLA);
- `torch`: the same networks, losses and optimiser in plain PyTorch on the
  CPU (`torch.set_num_threads(2)`), if torch is importable;
- the float32 matmul rate of this machine (2048×2048, TensorFlow and
  PyTorch), measured in every repetition.

Then, in a separate process (so that its allocator settings cannot change
the timings), the peak memory of a training step. See `--help` and
`benchmarks/README.md`; results go to `benchmarks/RESULTS.md`.

Usage:

    .venv/bin/python benchmarks/speed.py            # full run, ~10 min
    .venv/bin/python benchmarks/speed.py --quick    # DCGAN only, ~2 min
"""

import argparse
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

# The cells (networks, data, timed implementations) are also what
# `overhead.py` imports from here.
from speed_cells import LOSSES  # noqa: E402, F401
from speed_cells import NETS  # noqa: E402
from speed_cells import Cell  # noqa: E402, F401
from speed_cells import HandCell  # noqa: E402, F401
from speed_cells import KglCell  # noqa: E402, F401
from speed_cells import TorchCell  # noqa: E402, F401
from speed_cells import keras_nets  # noqa: E402, F401
from speed_cells import load_data  # noqa: E402, F401
from speed_cells import tf_dataset  # noqa: E402, F401
from speed_cells import tiny_nets  # noqa: E402, F401
from speed_measure import memory_probe  # noqa: E402
from speed_measure import run_memory_subprocess  # noqa: E402
from speed_measure import run_speed  # noqa: E402
from speed_report import from_json  # noqa: E402
from speed_report import report  # noqa: E402
from speed_report import section_name  # noqa: E402
from speed_report import write_json  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_repetition_arguments(parser)
    _add_cell_arguments(parser)
    _add_output_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.nets = ["dcgan_w32"] if args.nets == list(NETS) else args.nets
        args.repeats = 3 if args.repeats == 5 else args.repeats
        args.cell_seconds = 1.5 if args.cell_seconds == 3.0 else \
            args.cell_seconds
        args.no_memory = True
    args.xla = [x == "on" for x in args.xla]
    return args


def _add_repetition_arguments(parser):
    parser.add_argument("--repeats", type=int, default=5,
                        help="interleaved repetitions (default 5)")
    parser.add_argument("--steps", type=int, default=None,
                        help="generator steps per cell and repetition "
                             "(default: about --cell-seconds of work)")
    parser.add_argument("--cell-seconds", type=float, default=3.0,
                        help="target seconds per cell and repetition when "
                             "--steps is not given (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="DCGAN only, 3 repetitions, ~1.5 s per cell, "
                             "no memory probe")


def _add_cell_arguments(parser):
    parser.add_argument("--nets", nargs="+", choices=NETS,
                        default=list(NETS))
    parser.add_argument("--losses", nargs="+", choices=LOSSES,
                        default=list(LOSSES))
    parser.add_argument("--xla", nargs="+", choices=("off", "on"),
                        default=["off", "on"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2,
                        help="torch.set_num_threads (default 2)")
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--memory-steps", type=int, default=3)


def _add_output_arguments(parser):
    parser.add_argument("--no-torch", action="store_true",
                        help="skip the PyTorch rows")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory child process")
    parser.add_argument("--no-write", action="store_true",
                        help="print only; do not update RESULTS.md")
    parser.add_argument("--verbose", action="store_true",
                        help="print every cell's time in every repetition")
    parser.add_argument("--memory-xla", action="store_true",
                        help="also measure the memory of the XLA cells "
                             "(compiles them again: slow)")
    parser.add_argument("--from-json", metavar="PATH",
                        help="re-render the tables of a saved run "
                             "(restricted to --nets/--losses)")
    parser.add_argument("--_memory-probe", action="store_true",
                        help=argparse.SUPPRESS)


def main(argv=None):
    args = parse_args(argv)
    if args._memory_probe:
        memory_probe(args)
        return
    start = time.perf_counter()
    torch_note = None  # why the PyTorch rows are missing, if they are
    if args.from_json:
        cells, steps, matmul, memory, command = from_json(args)
    else:
        load_before = os.getloadavg()
        cells, steps, matmul, torch_note = run_speed(args)
        args.load = (load_before, os.getloadavg())
        memory = {} if args.no_memory else run_memory_subprocess(args)
        command = _common.command_line()
    body, table, ratios = report(args, cells, steps, matmul, memory,
                                 command, torch_note)
    print()
    print(table)
    print()
    print(ratios)
    if not args.from_json and not args.no_write:
        path = write_json(args, cells, steps, matmul, memory, command)
        print(f"\nWrote {path}")
    if not args.no_write:
        path = _common.update_section(section_name(args.nets), body)
        print(f"Wrote {path} (section {section_name(args.nets)})")
    print(f"Total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
