"""No false alarm on healthy runs: `TrainingMonitor` over the first steps
of the `kgl train` set-up (DCGAN on the shipped MNIST digits) for every
loss preset.

Each preset trains `--steps` steps (default 400) at `--width` (default
32, the `kgl train` default) with batch 64 and the monitor's default
thresholds; the script prints the findings (there should be none) and
the lowest and highest medians of each signal over the run, so that the
margin to each threshold can be read off. Exit status 1 if any preset
raised a finding.

    .venv/bin/python benchmarks/monitor_false_alarms.py
    .venv/bin/python benchmarks/monitor_false_alarms.py --presets hinge
"""

import argparse
import math
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402

SIGNALS = ("d_acc_real", "d_acc_fake", "d_gap", "d_grad_norm",
           "g_grad_norm", "diversity")


class _Range(keras.callbacks.Callback):
    """Lowest and highest window median of each signal (after warm-up)."""

    def __init__(self, monitor):
        super().__init__()
        self.monitor = monitor
        self.low, self.high = {}, {}

    def on_train_batch_end(self, batch, logs=None):
        if self.monitor.steps < self.monitor.warmup:
            return
        for key in SIGNALS:
            value = self.monitor.median(key)
            if value is None or not math.isfinite(value):
                continue
            self.low[key] = min(self.low.get(key, math.inf), value)
            self.high[key] = max(self.high.get(key, -math.inf), value)


def run(preset_name, steps, width, seed, conditional=False):
    keras.utils.set_random_seed(seed)
    preset = kgl.presets.get(preset_name)
    num_classes = 10 if conditional else None
    data = kgl.data.load_images("mnist_10k", batch_size=64, seed=seed,
                                with_labels=conditional)
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=64, width=width, num_classes=num_classes,
        spectral_norm=preset.spectral_norm, outputs=preset.d_outputs,
    )
    gan = kgl.GAN(generator, discriminator, d_steps=preset.d_steps,
                  num_classes=num_classes, seed=seed)
    gan.compile(**preset.compile_kwargs())
    monitor = kgl.callbacks.TrainingMonitor()
    signal_range = _Range(monitor)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kgl.callbacks.TrainingHealthWarning)
        gan.fit(data.repeat(), steps_per_epoch=steps, epochs=1, verbose=0,
                callbacks=[monitor, signal_range])
    seconds = time.perf_counter() - start
    return monitor, signal_range, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default=",".join(kgl.presets.PRESETS))
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conditional", action="store_true",
                        help="conditional on the digit classes, as kgl "
                             "train's default")
    args = parser.parse_args(argv)
    failed = False
    print(f"{args.steps} steps, DCGAN width {args.width}, batch 64, "
          f"mnist_10k, seed {args.seed}"
          + (", conditional" if args.conditional else ""))
    print("| preset | findings | " + " | ".join(
        f"{key} (min–max)" for key in SIGNALS) + " | seconds |")
    print("|---" * (len(SIGNALS) + 3) + "|")
    for name in args.presets.split(","):
        monitor, signal_range, seconds = run(name, args.steps, args.width,
                                             args.seed, args.conditional)
        found = ", ".join(f"{f.name}@{f.step}" for f in monitor.findings)
        failed |= bool(monitor.findings)
        cells = []
        for key in SIGNALS:
            if key in signal_range.low:
                cells.append(f"{signal_range.low[key]:.3g}–"
                             f"{signal_range.high[key]:.3g}")
            else:
                cells.append("–")
        print(f"| {name} | {found or 'none'} | " + " | ".join(cells)
              + f" | {seconds:.0f} |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
