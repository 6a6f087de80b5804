"""Start-up time of `kgl`: parse first vs import the package first.

Runs each command in a fresh Python process, all cells interleaved in a
shuffled order in every repetition, and reports the median wall time and
the median CPU time (user + system, of the child) per cell, and the ratio
of the package import to the entry point's `--help`, computed per
repetition. Writes the `startup` section of RESULTS.md.

Cells:

- `kgl --help`, `kgl --version` and an argument error (`kgl train
  --epochs 0`) through the entry point `keras_gan_losses_cli` (what the
  console command `kgl` runs);
- `kgl --help` run after `import keras_gan_losses`, which imports the
  package (and TensorFlow) first, as the entry point did before it moved
  out of the package;
- `import keras_gan_losses` alone, for reference.

Reproduce: `.venv/bin/python benchmarks/startup.py --repeats 7`
(`--no-write` to print only).
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time

from _common import command_line
from _common import machine_lines
from _common import update_section

PY = sys.executable
CELLS = {
    "kgl --help": [PY, "-m", "keras_gan_losses_cli", "--help"],
    "kgl --version": [PY, "-m", "keras_gan_losses_cli", "--version"],
    "kgl train --epochs 0 (argument error)": [
        PY, "-m", "keras_gan_losses_cli", "train", "--epochs", "0"],
    "kgl --help, package imported first (old entry point)": [
        PY, "-c", "import keras_gan_losses, runpy; "
        "runpy.run_module('keras_gan_losses_cli', run_name='__main__')",
        "--help"],
    "import keras_gan_losses": [PY, "-c", "import keras_gan_losses"],
}
BASELINE = "kgl --help"
REFERENCE = "kgl --help, package imported first (old entry point)"


def time_once(argv):
    """(wall seconds, child CPU seconds, exit status) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime)
    return wall, cpu, result.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    env_note = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    walls = {name: [] for name in CELLS}
    cpus = {name: [] for name in CELLS}
    statuses = {name: set() for name in CELLS}
    load_before = os.getloadavg()[0]
    rng = random.Random(0)
    for repeat in range(args.repeats):
        order = list(CELLS)
        rng.shuffle(order)
        for name in order:
            wall, cpu, status = time_once(CELLS[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
            statuses[name].add(status)
        print(f"repetition {repeat + 1}/{args.repeats} done", flush=True)
    load_after = os.getloadavg()[0]
    ratios = [ref / base for ref, base in zip(walls[REFERENCE],
                                                 walls[BASELINE])]
    rows = ["| command | wall (median, s) | range (s) | CPU (median, s) "
            "| exit status |",
            "|---|---|---|---|---|"]
    for name in CELLS:
        rows.append(
            f"| `{name}` | {statistics.median(walls[name]):.3f} | "
            f"{min(walls[name]):.3f}–{max(walls[name]):.3f} | "
            f"{statistics.median(cpus[name]):.3f} | "
            f"{', '.join(str(s) for s in sorted(statuses[name]))} |"
        )
    body = "\n".join([
        "## Start-up time of `kgl` (`benchmarks/startup.py`)",
        "",
        f"Reproduce: `{command_line()}`",
        "",
        *machine_lines([
            f"- {args.repeats} interleaved repetitions (order shuffled "
            "each time), one fresh process per run, medians; "
            f"TF_CPP_MIN_LOG_LEVEL={env_note or 'unset'}. Load average "
            f"(1 min) before / after: {load_before:.1f} / "
            f"{load_after:.1f}.",
        ]),
        "",
        *rows,
        "",
        "Importing the package first (the old entry point) / the entry "
        "point's `--help`, per repetition: median "
        f"{statistics.median(ratios):.0f}× (range {min(ratios):.0f}–"
        f"{max(ratios):.0f}×). `--help`, `--version` and argument errors "
        "no longer import TensorFlow; a command that trains, samples or "
        "evaluates still pays the package import once (the last row), "
        "plus one start of the small entry point (about the `--help` "
        "row), which runs the command in a child process to filter "
        "TensorFlow's start-up lines from its stderr.",
    ])
    print(body)
    if not args.no_write:
        print(f"wrote {update_section('startup', body)}")


if __name__ == "__main__":
    main()
