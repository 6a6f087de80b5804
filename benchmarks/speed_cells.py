"""The cells of `speed.py`: the networks, their analytic FLOP counts, the
data, and the timed cells, one (net, loss, implementation, XLA)
combination each, plus the matmul rate of the machine."""

import json
import os
import pathlib
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402

NETS = ("keras_io_wgan_gp", "dcgan_w32")
LOSSES = ("non_saturating", "wasserstein_gp")
LOSS_SHORT = {"non_saturating": "NS", "wasserstein_gp": "WGAN-GP"}
MATMUL_N = 2048
GP_WEIGHT = 10.0


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

    def _build_nets(self):
        """The cell's generator and critic, seeded, also kept as
        attributes."""
        keras.utils.set_random_seed(0)
        generator, critic = keras_nets(self.net, self.args.latent_dim)
        self.generator, self.critic = generator, critic
        return generator, critic

    def warmup(self, steps):
        start = time.perf_counter()
        self.run(steps)
        self.first_seconds = time.perf_counter() - start


class KglCell(Cell):
    impl = "kgl"

    def build(self):
        generator, critic = self._build_nets()
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
    """Wall (`elapsed`) and process CPU (`cpu_elapsed`) seconds from an
    epoch's begin to its end."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed = time.perf_counter() - self.start
        self.cpu_elapsed = time.process_time() - self.cpu_start


class HandCell(Cell):
    """The keras.io-style loop: a `tf.function` step over a dataset."""

    impl = "hand"

    def build(self):
        generator, critic = self._build_nets()
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
        # Kept open for the worker's lifetime; closed (deleted) in close().
        self._file = tempfile.NamedTemporaryFile(suffix=".npy")  # noqa: SIM115
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


def start_worker(args, images):
    """The PyTorch worker and `None`, or `None` and why the PyTorch rows
    are missing."""
    if args.no_torch:
        return None, "--no-torch"
    worker = TorchWorker(images, args.threads)
    if worker.error:
        note = f"PyTorch is not importable ({worker.error})"
        print(f"{note}: skipping the PyTorch rows. Install it (e.g. "
              "`.venv/bin/pip install torch`) for the outside reference.",
              flush=True)
        return None, note
    TorchCell.worker = worker
    return worker, None


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
