"""Helpers shared by the benchmark scripts: machine description, RSS
sampling and the sections of RESULTS.md."""

import contextlib
import os
import pathlib
import platform
import re
import shlex
import sys
import threading
import time

BENCH_DIR = pathlib.Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_MD = BENCH_DIR / "RESULTS.md"

_HEADER = """# Benchmark results

Written by `benchmarks/speed.py`, `benchmarks/overhead.py`,
`benchmarks/quality.py --report` and `benchmarks/spectral_norm_ablation.py`
(each rewrites only its own section, between the HTML comments). See
`benchmarks/README.md` for the commands.
"""


def command_line():
    """The command that ran this script, relative to the repository."""
    script = pathlib.Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(REPO_DIR)
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f".venv/bin/python {script} {args}".rstrip()


def cpu_model():
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
    model = match.group(1).strip() if match else "unknown"
    if flags:
        have = set(flags.group(1).split())
        simd = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16",
                            "amx_tile") if f in have]
        model += f" ({', '.join(simd)})"
    return model


def memory_total_gib():
    try:
        text = pathlib.Path("/proc/meminfo").read_text()
        kib = int(re.search(r"MemTotal:\s+(\d+)", text).group(1))
        return kib / 2**20
    except (OSError, AttributeError):
        return float("nan")


def versions():
    out = {"python": platform.python_version()}
    from importlib import metadata
    for name in ("tensorflow", "keras", "numpy", "torch"):
        try:  # without importing (torch must stay out of TF's process)
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    try:
        import keras_gan_losses
        out["keras_gan_losses"] = keras_gan_losses.__version__
    except Exception:  # noqa: BLE001
        out["keras_gan_losses"] = "?"
    return out


def machine_lines(extra=()):
    """Markdown bullet lines describing the machine and the versions."""
    v = versions()
    affinity = (len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity") else os.cpu_count())
    lines = [
        f"- CPU: {cpu_model()}; nproc = {affinity} "
        f"(os.cpu_count() = {os.cpu_count()}); no GPU; "
        f"{memory_total_gib():.0f} GiB RAM; shared machine (noisy).",
        f"- Python {v['python']}, TensorFlow {v['tensorflow']}, "
        f"Keras {v['keras']}, keras_gan_losses {v['keras_gan_losses']}, "
        f"NumPy {v['numpy']}, PyTorch {v['torch']}.",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}.",
    ]
    lines.extend(extra)
    return lines


def update_section(name, body, path=RESULTS_MD):
    """Replaces the `name` section of RESULTS.md (or appends it)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else _HEADER
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        start = text.index(begin)
        stop = text.index(end) + len(end)
        text = text[:start] + block + text[stop:]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    return path


def rss_bytes():
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Samples the RSS every `interval` s in a thread; `peak` is the max.

    Use as a context manager around the code to measure.
    """

    def __init__(self, interval=0.001):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self):
        self.start = rss_bytes()
        self.peak = self.start
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())
        return False
