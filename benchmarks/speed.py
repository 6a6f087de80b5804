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

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402


NETS = ("keras_io_wgan_gp", "dcgan_w32")
LOSSES = ("non_saturating", "wasserstein_gp")
LOSS_SHORT = {"non_saturating": "NS", "wasserstein_gp": "WGAN-GP"}
MATMUL_N = 2048
GP_WEIGHT = 10.0
RESULTS_JSON = _common.BENCH_DIR / "results" / "speed.json"
TORCH_NOTE = None  # why the PyTorch rows are missing, if they are


# ----------------------------------------------------------------------
# networks


def keras_io_wgan_gp(latent_dim):
    """The generator and critic of keras.io `examples/generative/wgan_gp.py`
    (28×28×1 images, padded to 32×32 in the critic, cropped in the
    generator)."""
    layers = keras.layers

    def conv_block(x, filters, dropout=None):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
        return x

    images = keras.Input((28, 28, 1))
    x = layers.ZeroPadding2D((2, 2))(images)
    x = conv_block(x, 64)
    x = conv_block(x, 128, dropout=0.3)
    x = conv_block(x, 256, dropout=0.3)
    x = conv_block(x, 512)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(1)(x)
    critic = keras.Model(images, x, name="keras_io_critic")

    def upsample_block(x, filters, activation):
        x = layers.UpSampling2D((2, 2))(x)
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return activation(x)

    noise = keras.Input((latent_dim,))
    x = layers.Dense(4 * 4 * 256, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 256))(x)
    x = upsample_block(x, 128, layers.LeakyReLU(0.2))
    x = upsample_block(x, 64, layers.LeakyReLU(0.2))
    x = upsample_block(x, 1, layers.Activation("tanh"))
    x = layers.Cropping2D((2, 2))(x)
    generator = keras.Model(noise, x, name="keras_io_generator")
    return generator, critic


def tiny_nets(latent_dim, features=16):
    """A Dense generator (latent → 16 values) and a Dense critic (16 → 1),
    for `overhead.py`: a step on them is almost all fixed cost."""
    generator = keras.Sequential([keras.Input((latent_dim,)),
                                  keras.layers.Dense(features)])
    critic = keras.Sequential([keras.Input((features,)),
                               keras.layers.Dense(1)])
    return generator, critic


def keras_nets(net, latent_dim):
    if net == "tiny":
        return tiny_nets(latent_dim)
    if net == "keras_io_wgan_gp":
        return keras_io_wgan_gp(latent_dim)
    if net == "dcgan_w32":
        return kgl.architectures.dcgan(
            (28, 28, 1), latent_dim=latent_dim, width=32
        )
    raise ValueError(net)


# ----------------------------------------------------------------------
# analytic FLOP count


def forward_flops(model):
    """Multiply-add FLOPs (2 per MAC) of one image through `model`:
    convolutions, transposed convolutions and dense layers only."""
    total = 0
    for layer in model.layers:
        inner = layer.layer if isinstance(layer, keras.layers.Wrapper) \
            else layer
        if isinstance(inner, keras.layers.Conv2DTranspose):
            _, h, w, cin = layer.input.shape
            kh, kw = inner.kernel_size
            total += 2 * h * w * kh * kw * cin * inner.filters
        elif isinstance(inner, keras.layers.Conv2D):
            _, h, w, _ = layer.output.shape
            cin = layer.input.shape[-1]
            kh, kw = inner.kernel_size
            total += 2 * h * w * kh * kw * cin * inner.filters
        elif isinstance(inner, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * inner.units
    return total


def step_flops(f_g, f_d, d_steps, gp):
    """FLOPs per image of one generator step (with its critic steps).

    Units: one forward pass F. Backward with weight and input gradients =
    2F (so forward+backward = 3F); backward for input gradients only = F.

    - critic step: G forward (F_G) + D forward on real and on fake (2 F_D)
      + their backward (4 F_D) = F_G + 6 F_D;
    - gradient penalty (per critic step): D forward on the interpolates
      (F_D) + the inner backward to the input (F_D) + the outer backward
      through that inner backward, one matmul for the cotangents and one
      for the weight gradients per layer (2 F_D) = 4 F_D. (With
      piecewise-linear activations the second derivative through the
      forward pass is zero: that work is not counted.)
    - generator step: G forward (F_G) + D forward (F_D) + D backward to
      its input (F_D) + G backward (2 F_G) = 3 F_G + 2 F_D.
    """
    critic = f_g + 6 * f_d + (4 * f_d if gp else 0)
    return d_steps * critic + 3 * f_g + 2 * f_d


def param_count(model):
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


# ----------------------------------------------------------------------
# data


def load_data():
    """The 10,000 MNIST test digits shipped with the package, in [-1, 1]."""
    images, _ = kgl.data.load_mnist_10k()
    return (images[..., None].astype("float32") / 127.5) - 1.0


def tf_dataset(images, batch_size):
    """A cached, in-memory, shuffled, repeated, prefetched dataset."""
    return (
        tf.data.Dataset.from_tensor_slices(images)
        .cache()
        .shuffle(2048, seed=0, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


# ----------------------------------------------------------------------
# cells: one (net, loss, implementation, XLA) combination each


def adam_kwargs(loss):
    preset = kgl.presets.get(loss)
    return dict(d_lr=preset.d_learning_rate, g_lr=preset.g_learning_rate,
                beta_1=preset.beta_1, beta_2=preset.beta_2)


class Cell:
    impl = "?"

    def __init__(self, net, loss, xla, args, images):
        self.net, self.loss, self.xla = net, loss, xla
        self.args, self.images = args, images
        self.preset = kgl.presets.get(loss)
        self.d_steps = self.preset.d_steps
        self.gp = bool(self.preset.penalties)
        self.times = []  # seconds per generator step, one per repetition
        self.cpu_times = []  # process CPU seconds per generator step
        self.first_seconds = None

    @property
    def key(self):
        return (self.net, self.loss, self.impl, self.xla)

    @property
    def label(self):
        xla = {True: "on", False: "off", None: "n/a"}[self.xla]
        return f"{self.net}/{LOSS_SHORT[self.loss]}/{self.impl}/xla={xla}"

    def warmup(self, steps):
        start = time.perf_counter()
        self.run(steps)
        self.first_seconds = time.perf_counter() - start


class KglCell(Cell):
    impl = "kgl"

    def build(self):
        keras.utils.set_random_seed(0)
        generator, critic = keras_nets(self.net, self.args.latent_dim)
        self.generator, self.critic = generator, critic
        self.gan = kgl.GAN(generator, critic, latent_dim=self.args.latent_dim,
                           d_steps=self.d_steps, seed=0)
        self.gan.compile(**self.preset.compile_kwargs(),
                         jit_compile=self.xla)
        self.dataset = tf_dataset(self.images, self.args.batch_size)
        self.timer = _EpochTimer()

    def run(self, steps):
        self.gan.fit(self.dataset, epochs=1, steps_per_epoch=steps,
                     verbose=0, callbacks=[self.timer], shuffle=False)
        return self.timer.elapsed


class _EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed = time.perf_counter() - self.start


class HandCell(Cell):
    """The keras.io-style loop: a `tf.function` step over a dataset."""

    impl = "hand"

    def build(self):
        keras.utils.set_random_seed(0)
        generator, critic = keras_nets(self.net, self.args.latent_dim)
        self.generator, self.critic = generator, critic
        adam = adam_kwargs(self.loss)
        self.d_optimizer = keras.optimizers.Adam(
            adam["d_lr"], beta_1=adam["beta_1"], beta_2=adam["beta_2"])
        self.g_optimizer = keras.optimizers.Adam(
            adam["g_lr"], beta_1=adam["beta_1"], beta_2=adam["beta_2"])
        self.d_optimizer.build(critic.trainable_variables)
        self.g_optimizer.build(generator.trainable_variables)
        self.dataset = tf_dataset(self.images, self.args.batch_size)
        self.train_step = tf.function(self._train_step,
                                      jit_compile=self.xla)

    def _d_loss(self, real_logits, fake_logits):
        if self.gp:  # Wasserstein critic loss
            return tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
        # Binary cross-entropy: real → 1, fake → 0.
        return (tf.reduce_mean(tf.nn.softplus(-real_logits))
                + tf.reduce_mean(tf.nn.softplus(fake_logits)))

    def _g_loss(self, fake_logits):
        if self.gp:
            return -tf.reduce_mean(fake_logits)
        return tf.reduce_mean(tf.nn.softplus(-fake_logits))

    def _gradient_penalty(self, batch_size, real, fake):
        alpha = tf.random.uniform([batch_size, 1, 1, 1], 0.0, 1.0)
        interpolated = real + alpha * (fake - real)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.critic(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3])
                       + 1e-12)
        return tf.reduce_mean((norm - 1.0) ** 2)

    def _train_step(self, real):
        batch_size = tf.shape(real)[0]
        latent_dim = self.args.latent_dim
        d_vars = self.critic.trainable_variables
        g_vars = self.generator.trainable_variables
        for _ in range(self.d_steps):
            z = tf.random.normal((batch_size, latent_dim))
            with tf.GradientTape() as tape:
                fake = self.generator(z, training=True)
                fake_logits = self.critic(fake, training=True)
                real_logits = self.critic(real, training=True)
                d_loss = self._d_loss(real_logits, fake_logits)
                if self.gp:
                    d_loss += GP_WEIGHT * self._gradient_penalty(
                        batch_size, real, fake)
            grads = tape.gradient(d_loss, d_vars)
            self.d_optimizer.apply_gradients(zip(grads, d_vars))
        z = tf.random.normal((batch_size, latent_dim))
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            g_loss = self._g_loss(self.critic(fake, training=True))
        grads = tape.gradient(g_loss, g_vars)
        self.g_optimizer.apply_gradients(zip(grads, g_vars))
        return d_loss, g_loss

    def run(self, steps):
        start = time.perf_counter()
        for real in self.dataset.take(steps):
            self.train_step(real)
        return time.perf_counter() - start


class TorchWorker:
    """The PyTorch reference in a child process (see `_torch_ref.py`)."""

    def __init__(self, images, threads):
        import tempfile
        self.error = None
        self._file = tempfile.NamedTemporaryFile(suffix=".npy")
        np.save(self._file.name, images)
        self.process = subprocess.Popen(
            [sys.executable, str(_common.BENCH_DIR / "_torch_ref.py"),
             "--worker", "--data", self._file.name,
             "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = self._read()
        if "error" in hello:
            self.error = hello["error"]
            self.close()
        else:
            self.version = hello["torch"]

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            return {"error": "the PyTorch worker exited"}
        return json.loads(line)

    def call(self, **message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if "error" in answer:
            raise RuntimeError(f"PyTorch worker: {answer['error']}")
        return answer

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write('{"op": "quit"}\n')
                self.process.stdin.flush()
            except OSError:
                pass
            self.process.wait(timeout=30)
        self._file.close()


class TorchCell(Cell):
    impl = "torch"
    worker = None  # set by make_cells

    def build(self):
        adam = adam_kwargs(self.loss)
        self.id = "|".join(str(k) for k in self.key)
        self.worker.call(
            op="build", id=self.id, net=self.net,
            latent_dim=self.args.latent_dim,
            batch_size=self.args.batch_size, d_steps=self.d_steps,
            gp=self.gp, gp_weight=GP_WEIGHT, d_lr=adam["d_lr"],
            g_lr=adam["g_lr"], beta_1=adam["beta_1"],
            beta_2=adam["beta_2"])

    def run(self, steps):
        answer = self.worker.call(op="run", id=self.id, steps=steps)
        self.last_cpu = answer["cpu"]
        return answer["seconds"]

    def memory(self, steps):
        return self.worker.call(op="memory", id=self.id,
                                steps=steps)["bytes"]


def matmul_rates(worker=None, n=MATMUL_N, reps=8):
    """float32 GFLOP/s of an n×n matmul in TensorFlow (and PyTorch)."""
    out = {}
    a = tf.random.normal((n, n))
    matmul = tf.function(lambda x: tf.matmul(x, x))
    matmul(a).numpy()
    start = time.perf_counter()
    for _ in range(reps):
        result = matmul(a)
    result.numpy()
    out["tf"] = 2 * n**3 * reps / (time.perf_counter() - start) / 1e9
    if worker is not None:
        out["torch"] = worker.call(op="matmul", n=n, reps=reps)["gflops"]
    return out


# ----------------------------------------------------------------------
# the run


def start_worker(args, images):
    """The PyTorch worker, or None (with the reason in TORCH_NOTE)."""
    global TORCH_NOTE
    if args.no_torch:
        TORCH_NOTE = "--no-torch"
        return None
    worker = TorchWorker(images, args.threads)
    if worker.error:
        TORCH_NOTE = f"PyTorch is not importable ({worker.error})"
        print(f"{TORCH_NOTE}: skipping the PyTorch rows. Install it (e.g. "
              "`.venv/bin/pip install torch`) for the outside reference.",
              flush=True)
        return None
    TORCH_NOTE = None
    TorchCell.worker = worker
    return worker


def make_cells(args, images, worker=None):
    cells = []
    for net in args.nets:
        for loss in args.losses:
            for xla in args.xla:
                cells.append(KglCell(net, loss, xla, args, images))
                cells.append(HandCell(net, loss, xla, args, images))
            if worker is not None:
                cells.append(TorchCell(net, loss, None, args, images))
    return cells


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
    images = load_data()
    worker = start_worker(args, images)
    cells = make_cells(args, images, worker)
    print(f"Building and tracing {len(cells)} cells "
          f"(first call of each, excluded from the timings)...", flush=True)
    for cell in cells:
        cell.build()
        cell.warmup(args.warmup_steps)
        print(f"  {cell.label:45s} first call ({args.warmup_steps} steps): "
              f"{cell.first_seconds:6.1f} s", flush=True)
    # Calibrate the steps per repetition of each (net, loss) group.
    # (Median over the group's cells of a 2-step run: one slow outlier on
    # a loaded machine must not set the budget.)
    per_steps = {}
    for cell in cells:
        per_steps.setdefault((cell.net, cell.loss), []).append(
            cell.run(2) / 2)
    steps = {
        group: args.steps or max(
            2, min(200, round(args.cell_seconds / median(values))))
        for group, values in per_steps.items()
    }
    print("Steps per cell and repetition: " + ", ".join(
        f"{n}/{LOSS_SHORT[l]}={s}" for (n, l), s in steps.items()),
        flush=True)
    matmul = {"tf": [], "torch": []}
    # Units of one repetition: each kgl/hand pair runs back to back (the
    # pair's order alternates between repetitions), torch cells and the
    # matmul measurement alone; the units' order is shuffled every time.
    units = {}
    for cell in cells:
        units.setdefault((cell.net, cell.loss, cell.impl == "torch",
                          cell.xla), []).append(cell)
    units = list(units.values()) + [["matmul"]]
    for rep in range(args.repeats):
        order = list(units)
        random.Random(rep).shuffle(order)
        for unit in order:
            for cell in (unit if rep % 2 == 0 else unit[::-1]):
                if cell == "matmul":
                    for name, rate in matmul_rates(worker).items():
                        matmul[name].append(rate)
                    continue
                n = steps[(cell.net, cell.loss)]
                cpu = time.process_time()
                cell.times.append(cell.run(n) / n)
                cpu = getattr(cell, "last_cpu", time.process_time() - cpu)
                cell.cpu_times.append(cpu / n)
                if args.verbose:
                    print(f"    {cell.label:45s} {1000 * cell.times[-1]:8.1f}"
                          f" ms/step (CPU {1000 * cell.cpu_times[-1]:.0f})",
                          flush=True)
        print(f"  repetition {rep + 1}/{args.repeats} done "
              f"(matmul {matmul['tf'][-1]:.0f} GFLOP/s)", flush=True)
    if worker is not None:
        worker.close()
    return cells, steps, matmul


def memory_probe(args):
    """Run in a child process: the transient memory of each cell."""
    images = load_data()
    worker = start_worker(args, images)  # inherits the malloc settings
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
    command = [sys.executable, __file__, "--_memory-probe",
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


# ----------------------------------------------------------------------
# reporting


def _mem(value):
    if not value:
        return ""
    alloc = "–" if value.get("alloc") is None else \
        f"{value['alloc'] / 2**20:.0f}"
    return f"{alloc} / {value['rss'] / 2**20:.0f}"


def report(args, cells, steps, matmul, memory, command):
    by_key = {cell.key: cell for cell in cells}
    flops = {}
    params = {}
    for net in args.nets:
        generator, critic = keras_nets(net, args.latent_dim)
        flops[net] = (forward_flops(generator), forward_flops(critic))
        params[net] = (param_count(generator), param_count(critic))
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
    table = "\n".join(rows)

    ratio_rows = ["| net | loss | ratio | median | range over reps |",
                  "|---|---|---|---:|---:|"]

    def add(net, loss, name, values):
        if values:
            ratio_rows.append(f"| {net} | {loss} | {name} "
                              f"| {median(values):.3f} | {spread(values)} |")

    for net in args.nets:
        for loss in args.losses:
            short = LOSS_SHORT[loss]
            for xla in args.xla:
                k, h = (by_key.get((net, loss, impl, xla))
                        for impl in ("kgl", "hand"))
                if k and h:
                    x = "on" if xla else "off"
                    add(net, short, f"**kgl / hand** (throughput), XLA {x}",
                        paired(k, h))
                    add(net, short, f"kgl / hand (CPU time), XLA {x}",
                        paired(k, h, "cpu_times"))
            for impl in ("kgl", "hand"):
                off, on = (by_key.get((net, loss, impl, x))
                           for x in (False, True))
                if off and on:
                    add(net, short, f"{impl}: XLA on / off (throughput)",
                        paired(on, off))
            t = by_key.get((net, loss, "torch", None))
            for impl in ("kgl", "hand"):
                c = by_key.get((net, loss, impl, False))
                if c and t:
                    add(net, short, f"{impl} (XLA off) / torch (throughput)",
                        paired(c, t))
        if len(args.losses) == 2:
            f_g, f_d = flops[net]
            ns = step_flops(f_g, f_d, 1, False)
            gp = step_flops(f_g, f_d, 3, True)
            for impl in ("kgl", "hand", "torch"):
                for xla in (False, True, None):
                    a = by_key.get((net, "non_saturating", impl, xla))
                    b = by_key.get((net, "wasserstein_gp", impl, xla))
                    if a and b:
                        x = {True: "XLA on", False: "XLA off",
                             None: "eager"}[xla]
                        add(net, "—", f"WGAN-GP / NS step time, {impl} "
                            f"{x} (FLOP ratio {gp / ns:.2f})",
                            [vb / va for va, vb in zip(a.times, b.times)])
    ratios = "\n".join(ratio_rows)

    flop_lines = []
    for net in args.nets:
        f_g, f_d = flops[net]
        p_g, p_d = params[net]
        flop_lines.append(
            f"- `{net}`: generator {f_g / 1e6:.1f} MFLOP / image forward "
            f"({p_g / 1e6:.2f} M params), critic {f_d / 1e6:.1f} MFLOP / "
            f"image ({p_d / 1e6:.2f} M params); per generator step and "
            f"image: NS = 4 F_G + 8 F_D = "
            f"{step_flops(f_g, f_d, 1, False) / 1e6:.0f} MFLOP, WGAN-GP "
            f"(3 critic steps) = 6 F_G + 32 F_D = "
            f"{step_flops(f_g, f_d, 3, True) / 1e6:.0f} MFLOP."
        )
    matmul_line = (
        f"float32 {MATMUL_N}×{MATMUL_N} matmul rate (median of "
        f"{len(matmul['tf'])} measurements interleaved with the cells): "
        f"TensorFlow {peak_tf:.0f} GFLOP/s (range "
        f"{spread(matmul['tf'])})"
        + (f", PyTorch {peak_torch:.0f} GFLOP/s (range "
           f"{spread(matmul['torch'])})" if peak_torch else "")
        + "."
    )
    steps_line = ", ".join(f"{n} {LOSS_SHORT[l]}: {s}"
                           for (n, l), s in steps.items())
    torch_note = "" if not TORCH_NOTE else (
        f"\nPyTorch rows skipped: {TORCH_NOTE}.\n")
    load_line = ("Load average (1 min) before / after the timed part: "
                 f"{args.load[0][0]:.1f} / {args.load[1][0]:.1f}"
                 if args.load else "Load average: not recorded") + (
        " (other jobs share the machine: wall times are noisy, CPU times "
        "less so).")
    body = f"""## Training speed: {', '.join(args.nets)} (`benchmarks/speed.py`)

Reproduce: `{command}`

{chr(10).join(_common.machine_lines())}
- Batch size {batch}, latent dim {args.latent_dim}, {args.repeats} interleaved
  repetitions (order shuffled each time), medians; generator steps per cell
  and repetition: {steps_line}. {matmul_line}
- TF threads: default (intra-op = inter-op = nproc); PyTorch
  `set_num_threads({args.threads})`. {load_line}
{torch_note}
{table}

Ratios (computed per repetition from cells run side by side, then the
median; > 1 means the first is faster):

{ratios}

How it is measured:

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
{chr(10).join(flop_lines)}
- *step memory*: the transient memory of a step (activations, gradients,
  temporaries), not the weights and optimiser state allocated before,
  measured in a separate process over {args.memory_steps} steady-state
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
    return body, table, ratios


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
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
    args = parser.parse_args(argv)
    if args.quick:
        args.nets = ["dcgan_w32"] if args.nets == list(NETS) else args.nets
        args.repeats = 3 if args.repeats == 5 else args.repeats
        args.cell_seconds = 1.5 if args.cell_seconds == 3.0 else \
            args.cell_seconds
        args.no_memory = True
    args.xla = [x == "on" for x in args.xla]
    return args


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


def main(argv=None):
    args = parse_args(argv)
    if args._memory_probe:
        memory_probe(args)
        return
    start = time.perf_counter()
    if args.from_json:
        cells, steps, matmul, memory, command = from_json(args)
    else:
        load_before = os.getloadavg()
        cells, steps, matmul = run_speed(args)
        args.load = (load_before, os.getloadavg())
        memory = {} if args.no_memory else run_memory_subprocess(args)
        command = _common.command_line()
    body, table, ratios = report(args, cells, steps, matmul, memory,
                                 command)
    print()
    print(table)
    print()
    print(ratios)
    if not args.from_json and not args.no_write:
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
            "steps": {f"{n}|{l}": s for (n, l), s in steps.items()},
            "matmul_gflops": matmul,
            "cells": [{"net": c.net, "loss": c.loss, "impl": c.impl,
                       "xla": c.xla, "seconds_per_step": c.times,
                       "cpu_seconds_per_step": c.cpu_times,
                       "first_call_seconds": c.first_seconds,
                       "peak_step_memory_bytes": memory.get(c.key)}
                      for c in cells],
        }, indent=1))
        print(f"\nWrote {path}")
    if not args.no_write:
        path = _common.update_section(section_name(args.nets), body)
        print(f"Wrote {path} (section {section_name(args.nets)})")
    print(f"Total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
