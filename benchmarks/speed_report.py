"""The report of `speed.py`: the Markdown tables and text of a run, and
reading a saved run back from its JSON file."""

import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
from speed_cells import LOSS_SHORT  # noqa: E402
from speed_cells import MATMUL_N  # noqa: E402
from speed_cells import NETS  # noqa: E402
from speed_cells import Cell  # noqa: E402
from speed_cells import forward_flops  # noqa: E402
from speed_cells import keras_nets  # noqa: E402
from speed_cells import param_count  # noqa: E402
from speed_cells import step_flops  # noqa: E402
from speed_measure import median  # noqa: E402
from speed_measure import paired  # noqa: E402
from speed_measure import spread  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402

RESULTS_JSON = _common.BENCH_DIR / "results" / "speed.json"


def _mem(value):
    if not value:
        return ""
    alloc = "–" if value.get("alloc") is None else \
        f"{value['alloc'] / 2**20:.0f}"
    return f"{alloc} / {value['rss'] / 2**20:.0f}"


#: The end of a report: how every column is measured.
HOW_MEASURED = """How it is measured:

- *ms / gen. step*: wall time of N generator steps (each with its critic
  steps: 1 for NS, 3 for WGAN-GP) divided by N. `kgl`: from
  `on_epoch_begin` to `on_epoch_end` of `GAN.fit(dataset, epochs=1,
  steps_per_epoch=N, verbose=0)`; `hand`: a Python loop over
  `dataset.take(N)` calling a `tf.function` step; both on the same cached
  in-memory `tf.data` pipeline of the 10,000 MNIST digits shipped with the
  package. The first call (tracing, XLA compilation) is excluded and shown
  as *first call*. *images/s* = batch / step time (real images consumed).
  *CPU ms / step*: process CPU time (all threads) per step, less
  sensitive than wall time to other jobs on the machine.
- *GFLOP / step* is counted analytically from the layer shapes
  (convolution, transposed convolution and dense multiply-adds, 2 FLOPs
  each; normalisation, activations and the optimiser are not counted):
  forward F, backward with weight gradients 2F (forward+backward = 3F),
  backward to the input only F; the gradient penalty costs 4 F_D per
  critic step (forward on the interpolates, inner backward to the input,
  outer backward through it: cotangents and weight gradients). *% of
  matmul* = achieved GFLOP/s over the matmul rate above (PyTorch rows:
  over PyTorch's matmul rate).
{flop_lines}
- *step memory*: the transient memory of a step (activations, gradients,
  temporaries), not the weights and optimiser state allocated before,
  measured in a separate process over {memory_steps} steady-state
  generator steps. *allocator*: TensorFlow's own count,
  `tf.config.experimental.get_memory_info("CPU:0")["peak"]` after
  `reset_memory_stats`, minus the `"current"` bytes before the steps (the
  most precise number; none for PyTorch, whose CPU allocator keeps no
  statistics). *RSS*: the peak resident set size sampled every 1 ms from
  `/proc/self/statm` minus the RSS just before the steps, in processes
  started with `MALLOC_MMAP_THRESHOLD_=65536` (so that freed blocks return
  to the OS); it misses peaks shorter than the sampling interval and memory
  that an allocator caches, so it is a lower bound and mostly useful to
  compare TensorFlow with PyTorch. XLA-off and PyTorch
  cells only, unless `--memory-xla` is given (it compiles the XLA cells
  once more).
"""


def report(args, cells, steps, matmul, memory, command, torch_note=None):
    """The Markdown section of a run for RESULTS.md.

    Returns:
        `(body, table, ratios)`: the whole section, the table of the cells
        and the table of the ratios.
    """
    flops = {}
    params = {}
    for net in args.nets:
        generator, critic = keras_nets(net, args.latent_dim)
        flops[net] = (forward_flops(generator), forward_flops(critic))
        params[net] = (param_count(generator), param_count(critic))
    table = _cell_table(args, cells, flops, matmul, memory)
    ratios = _ratio_table(args, cells, flops)
    steps_line = ", ".join(f"{n} {LOSS_SHORT[loss]}: {s}"
                           for (n, loss), s in steps.items())
    torch_note = "" if not torch_note else (
        f"\nPyTorch rows skipped: {torch_note}.\n")
    body = f"""## Training speed: {', '.join(args.nets)} (`benchmarks/speed.py`)

Reproduce: `{command}`

{chr(10).join(_common.machine_lines())}
- Batch size {args.batch_size}, latent dim {args.latent_dim}, {args.repeats} interleaved
  repetitions (order shuffled each time), medians; generator steps per cell
  and repetition: {steps_line}. {_matmul_line(matmul)}
- TF threads: default (intra-op = inter-op = nproc); PyTorch
  `set_num_threads({args.threads})`. {_load_line(args)}
{torch_note}
{table}

Ratios (computed per repetition from cells run side by side, then the
median; > 1 means the first is faster):

{ratios}

""" + HOW_MEASURED.format(
        flop_lines="\n".join(_flop_lines(args, flops, params)),
        memory_steps=args.memory_steps,
    )
    return body, table, ratios


def _cell_table(args, cells, flops, matmul, memory):
    """One row per cell: times, rates, FLOPs, memory, first call."""
    peak_tf = median(matmul["tf"])
    peak_torch = median(matmul["torch"]) if matmul["torch"] else None
    batch = args.batch_size
    rows = ["| net | loss | impl | XLA | ms / gen. step | images/s "
            "| CPU ms / step | GFLOP / step | GFLOP/s | % of matmul | step memory, "
            "allocator / RSS (MiB) | first call (s) |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for cell in cells:
        f_g, f_d = flops[cell.net]
        gflop = step_flops(f_g, f_d, cell.d_steps, cell.gp) * batch / 1e9
        t = median(cell.times)
        rate = gflop / t
        peak = peak_torch if cell.impl == "torch" and peak_torch else \
            peak_tf
        mem = memory.get(cell.key)
        xla = {True: "on", False: "off", None: "–"}[cell.xla]
        rows.append(
            f"| {cell.net} | {LOSS_SHORT[cell.loss]} | {cell.impl} | {xla} "
            f"| {1000 * t:.1f} | {batch / t:.0f} "
            f"| {1000 * median(cell.cpu_times):.0f} | {gflop:.2f} "
            f"| {rate:.1f} | {100 * rate / peak:.0f}% "
            f"| {_mem(mem)} "
            f"| {cell.first_seconds:.1f} |"
        )
    return "\n".join(rows)


def _ratio_table(args, cells, flops):
    """Per-repetition ratios of cells run side by side, as medians."""
    by_key = {cell.key: cell for cell in cells}
    rows = ["| net | loss | ratio | median | range over reps |",
            "|---|---|---|---:|---:|"]
    for net in args.nets:
        for loss in args.losses:
            for name, values in _pair_ratios(args, by_key, net, loss):
                _add_ratio(rows, net, LOSS_SHORT[loss], name, values)
        if len(args.losses) == 2:
            for name, values in _loss_ratios(by_key, net, flops[net]):
                _add_ratio(rows, net, "—", name, values)
    return "\n".join(rows)


def _add_ratio(rows, net, loss, name, values):
    if values:
        rows.append(f"| {net} | {loss} | {name} "
                    f"| {median(values):.3f} | {spread(values)} |")


def _pair_ratios(args, by_key, net, loss):
    """`(name, per-repetition ratios)` of one (net, loss): kgl / hand,
    XLA on / off, and against PyTorch."""
    for xla in args.xla:
        k, h = (by_key.get((net, loss, impl, xla))
                for impl in ("kgl", "hand"))
        if k and h:
            x = "on" if xla else "off"
            yield f"**kgl / hand** (throughput), XLA {x}", paired(k, h)
            yield (f"kgl / hand (CPU time), XLA {x}",
                   paired(k, h, "cpu_times"))
    for impl in ("kgl", "hand"):
        off, on = (by_key.get((net, loss, impl, x))
                   for x in (False, True))
        if off and on:
            yield f"{impl}: XLA on / off (throughput)", paired(on, off)
    t = by_key.get((net, loss, "torch", None))
    for impl in ("kgl", "hand"):
        c = by_key.get((net, loss, impl, False))
        if c and t:
            yield f"{impl} (XLA off) / torch (throughput)", paired(c, t)


def _loss_ratios(by_key, net, net_flops):
    """`(name, per-repetition ratios)` of the WGAN-GP / NS step times of
    one net, with their FLOP ratio."""
    f_g, f_d = net_flops
    ns = step_flops(f_g, f_d, 1, False)
    gp = step_flops(f_g, f_d, 3, True)
    for impl in ("kgl", "hand", "torch"):
        for xla in (False, True, None):
            a = by_key.get((net, "non_saturating", impl, xla))
            b = by_key.get((net, "wasserstein_gp", impl, xla))
            if a and b:
                x = {True: "XLA on", False: "XLA off", None: "eager"}[xla]
                yield (f"WGAN-GP / NS step time, {impl} {x} (FLOP ratio "
                       f"{gp / ns:.2f})",
                       [vb / va for va, vb in zip(a.times, b.times)])


def _flop_lines(args, flops, params):
    lines = []
    for net in args.nets:
        f_g, f_d = flops[net]
        p_g, p_d = params[net]
        lines.append(
            f"- `{net}`: generator {f_g / 1e6:.1f} MFLOP / image forward "
            f"({p_g / 1e6:.2f} M params), critic {f_d / 1e6:.1f} MFLOP / "
            f"image ({p_d / 1e6:.2f} M params); per generator step and "
            f"image: NS = 4 F_G + 8 F_D = "
            f"{step_flops(f_g, f_d, 1, False) / 1e6:.0f} MFLOP, WGAN-GP "
            f"(3 critic steps) = 6 F_G + 32 F_D = "
            f"{step_flops(f_g, f_d, 3, True) / 1e6:.0f} MFLOP."
        )
    return lines


def _matmul_line(matmul):
    peak_tf = median(matmul["tf"])
    peak_torch = median(matmul["torch"]) if matmul["torch"] else None
    return (
        f"float32 {MATMUL_N}×{MATMUL_N} matmul rate (median of "
        f"{len(matmul['tf'])} measurements interleaved with the cells): "
        f"TensorFlow {peak_tf:.0f} GFLOP/s (range "
        f"{spread(matmul['tf'])})"
        + (f", PyTorch {peak_torch:.0f} GFLOP/s (range "
           f"{spread(matmul['torch'])})" if peak_torch else "")
        + "."
    )


def _load_line(args):
    return ("Load average (1 min) before / after the timed part: "
            f"{args.load[0][0]:.1f} / {args.load[1][0]:.1f}"
            if args.load else "Load average: not recorded") + (
        " (other jobs share the machine: wall times are noisy, CPU times "
        "less so).")


class RecordedCell:
    """A cell read back from a results JSON file (for --from-json)."""

    def __init__(self, record):
        self.net, self.loss = record["net"], record["loss"]
        self.impl, self.xla = record["impl"], record["xla"]
        self.times = record["seconds_per_step"]
        self.cpu_times = record.get("cpu_seconds_per_step") or []
        self.first_seconds = record["first_call_seconds"]
        preset = kgl.presets.get(self.loss)
        self.d_steps, self.gp = preset.d_steps, bool(preset.penalties)

    key = Cell.key
    label = Cell.label


def section_name(nets):
    return "speed" if sorted(nets) == sorted(NETS) else \
        "speed-" + "+".join(nets)


def json_path(nets):
    return RESULTS_JSON.with_name(section_name(nets) + ".json")


def from_json(args):
    """Re-renders the tables of a saved run, restricted to `--nets`."""
    data = json.loads(pathlib.Path(args.from_json).read_text())
    records = [r for r in data["cells"] if r["net"] in args.nets
               and r["loss"] in args.losses]
    cells = [RecordedCell(r) for r in records]
    memory = {}
    for cell, record in zip(cells, records):
        value = record["peak_step_memory_bytes"]
        if isinstance(value, (int, float)):  # older files: RSS only
            value = {"alloc": None, "rss": value}
        if value:
            memory[cell.key] = value
    steps = {tuple(k.split("|")): v for k, v in data["steps"].items()
             if k.split("|")[0] in args.nets}
    saved = data.get("args", {})
    for name in ("batch_size", "latent_dim", "repeats", "threads",
                 "memory_steps"):
        if name in saved:
            setattr(args, name, saved[name])
    args.load = data.get("load")
    args.xla = sorted({c.xla for c in cells if c.xla is not None})
    return cells, steps, data["matmul_gflops"], memory, data["command"]


def write_json(args, cells, steps, matmul, memory, command):
    """Saves a run's measurements for `--from-json`; returns the path."""
    path = json_path(args.nets)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "command": command,
        "versions": _common.versions(),
        "args": {name: getattr(args, name) for name in (
            "nets", "losses", "xla", "batch_size", "latent_dim",
            "repeats", "threads", "memory_steps", "steps",
            "cell_seconds")},
        "load": args.load,
        "steps": {f"{n}|{loss}": s for (n, loss), s in steps.items()},
        "matmul_gflops": matmul,
        "cells": [{"net": c.net, "loss": c.loss, "impl": c.impl,
                   "xla": c.xla, "seconds_per_step": c.times,
                   "cpu_seconds_per_step": c.cpu_times,
                   "first_call_seconds": c.first_seconds,
                   "peak_step_memory_bytes": memory.get(c.key)}
                  for c in cells],
    }, indent=1))
    return path
