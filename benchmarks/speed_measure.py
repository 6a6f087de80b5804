"""The measurements of `speed.py`: interleaved timing repetitions of the
cells and, in a child process, their peak step memory."""

import json
import os
import pathlib
import random
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import tensorflow as tf  # noqa: E402
from speed_cells import LOSS_SHORT  # noqa: E402
from speed_cells import load_data  # noqa: E402
from speed_cells import make_cells  # noqa: E402
from speed_cells import matmul_rates  # noqa: E402
from speed_cells import start_worker  # noqa: E402

#: The script a memory probe runs in its child process.
SPEED_SCRIPT = pathlib.Path(__file__).resolve().with_name("speed.py")


def median(values):
    return statistics.median(values) if values else float("nan")


def spread(values):
    if not values:
        return "n/a"
    return f"{min(values):.2f}–{max(values):.2f}"


def paired(cell_a, cell_b, attr="times"):
    """Per-repetition ratios time_b / time_a (throughput a / b)."""
    return [b / a for a, b in zip(getattr(cell_a, attr),
                                  getattr(cell_b, attr))]


def run_speed(args):
    """Times every cell in interleaved repetitions.

    Returns:
        `(cells, steps, matmul, torch_note)`: the cells with their times,
        the generator steps per (net, loss) group, the matmul rates and why
        the PyTorch rows are missing (`None` if they are not).
    """
    images = load_data()
    worker, torch_note = start_worker(args, images)
    cells = make_cells(args, images, worker)
    _build_and_warm_up(cells, args.warmup_steps)
    steps = _calibrate_steps(cells, args)
    print("Steps per cell and repetition: " + ", ".join(
        f"{n}/{LOSS_SHORT[loss]}={s}" for (n, loss), s in steps.items()),
        flush=True)
    matmul = {"tf": [], "torch": []}
    units = _units(cells)
    for rep in range(args.repeats):
        order = list(units)
        random.Random(rep).shuffle(order)
        for unit in order:
            for cell in (unit if rep % 2 == 0 else unit[::-1]):
                if cell == "matmul":
                    for name, rate in matmul_rates(worker).items():
                        matmul[name].append(rate)
                    continue
                _time_cell(cell, steps[(cell.net, cell.loss)], args.verbose)
        print(f"  repetition {rep + 1}/{args.repeats} done "
              f"(matmul {matmul['tf'][-1]:.0f} GFLOP/s)", flush=True)
    if worker is not None:
        worker.close()
    return cells, steps, matmul, torch_note


def _build_and_warm_up(cells, warmup_steps):
    print(f"Building and tracing {len(cells)} cells "
          f"(first call of each, excluded from the timings)...", flush=True)
    for cell in cells:
        cell.build()
        cell.warmup(warmup_steps)
        print(f"  {cell.label:45s} first call ({warmup_steps} steps): "
              f"{cell.first_seconds:6.1f} s", flush=True)


def _calibrate_steps(cells, args):
    """The steps per repetition of each (net, loss) group: `--steps`, or
    about `--cell-seconds` of work. (Median over the group's cells of a
    2-step run: one slow outlier on a loaded machine must not set the
    budget.)"""
    per_steps = {}
    for cell in cells:
        per_steps.setdefault((cell.net, cell.loss), []).append(
            cell.run(2) / 2)
    return {
        group: args.steps or max(
            2, min(200, round(args.cell_seconds / median(values))))
        for group, values in per_steps.items()
    }


def _units(cells):
    """The units of one repetition: each kgl/hand pair runs back to back
    (the pair's order alternates between repetitions), torch cells and the
    matmul measurement alone; the units' order is shuffled every time."""
    units = {}
    for cell in cells:
        units.setdefault((cell.net, cell.loss, cell.impl == "torch",
                          cell.xla), []).append(cell)
    return list(units.values()) + [["matmul"]]


def _time_cell(cell, n, verbose):
    """Runs `n` steps of a cell and appends its wall and CPU time per
    step."""
    cpu = time.process_time()
    cell.times.append(cell.run(n) / n)
    cpu = getattr(cell, "last_cpu", time.process_time() - cpu)
    cell.cpu_times.append(cpu / n)
    if verbose:
        print(f"    {cell.label:45s} {1000 * cell.times[-1]:8.1f}"
              f" ms/step (CPU {1000 * cell.cpu_times[-1]:.0f})",
              flush=True)


def memory_probe(args):
    """Run in a child process: the transient memory of each cell."""
    images = load_data()
    # The worker inherits the malloc settings.
    worker, _ = start_worker(args, images)
    out = {}
    for cell in make_cells(args, images, worker):
        cell.build()
        cell.warmup(args.warmup_steps)
        value = {"alloc": None}
        if cell.impl == "torch":
            value["rss"] = cell.memory(args.memory_steps)
        else:
            cell.run(1)
            tf.config.experimental.reset_memory_stats("CPU:0")
            before = tf.config.experimental.get_memory_info("CPU:0")
            with _common.PeakRSS() as probe:
                cell.run(args.memory_steps)
            after = tf.config.experimental.get_memory_info("CPU:0")
            value = {"alloc": after["peak"] - before["current"],
                     "rss": probe.peak - probe.start}
        out["|".join(str(k) for k in cell.key)] = value
        print(f"  memory {cell.label:45s} TF allocator "
              f"{(value['alloc'] or 0) / 2**20:7.1f} MiB, RSS "
              f"{value['rss'] / 2**20:7.1f} MiB", file=sys.stderr,
              flush=True)
    if worker is not None:
        worker.close()
    print(json.dumps(out))


def run_memory_subprocess(args):
    env = dict(os.environ)
    # Large blocks come from mmap and go back to the OS when freed, so the
    # RSS follows the live tensors instead of the allocator's cache.
    env["MALLOC_MMAP_THRESHOLD_"] = "65536"
    env["MALLOC_TRIM_THRESHOLD_"] = "65536"
    command = [sys.executable, str(SPEED_SCRIPT), "--_memory-probe",
               "--nets", *args.nets, "--losses", *args.losses,
               "--xla", *("on" if x else "off"
                          for x in (args.xla if args.memory_xla
                                    else [False])),
               "--batch-size", str(args.batch_size),
               "--latent-dim", str(args.latent_dim),
               "--memory-steps", str(args.memory_steps),
               "--threads", str(args.threads)]
    if args.no_torch:
        command.append("--no-torch")
    print("Measuring peak memory in a child process...", flush=True)
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                            text=True)
    if result.returncode != 0:
        print("  memory probe failed; memory column left empty",
              flush=True)
        return {}
    last = result.stdout.strip().splitlines()[-1]
    return {tuple(_parse_key(k)): v for k, v in json.loads(last).items()}


def _parse_key(key):
    net, loss, impl, xla = key.split("|")
    return net, loss, impl, {"True": True, "False": False, "None": None}[xla]
