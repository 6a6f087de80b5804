"""One worker of the multi-worker tests, run as a subprocess (not by pytest).

With `TF_CONFIG` set, the process is a worker of a
`MultiWorkerMirroredStrategy` cluster; `multi_worker_test.py` also imports
this module to run the same training in its own process, on the default
strategy, as the single-process reference. Both train the deterministic
set-up of `tests/models/gan_distribute_test.py` (a generator that outputs
one trainable image, a linear critic, SGD) on the same global batches. The
critic being linear, its input gradient is the same at every point, so the
penalties' random draws (which differ per replica) do not change the
update, and the two runs can be compared exactly.

Usage:
    python multi_worker_script.py OUT.json
    python multi_worker_script.py OUT.json --backup DIR [--crash-after-epoch K]
        [--sigterm-after-step N] [--epochs E]

The first form trains the `RUNS` and writes weights, logs, the rows each
worker read and a noise draw as JSON. The second trains the `"backup"` case
with `kgl.callbacks.BackupAndRestore` in `DIR`; with `--crash-after-epoch
K` the non-chief worker ends its process after epoch `K`, as a preempted
machine would, once the chief has backed that epoch up; with
`--sigterm-after-step N` the non-chief worker sends itself SIGTERM after
step `N`, and the JSON holds where each worker's training stopped.
"""

import argparse
import json
import os
import signal
import time

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402
from keras_gan_losses.callbacks.backup_store import BackupStore  # noqa: E402
from keras_gan_losses.utils.distribute import replica_id  # noqa: E402

GLOBAL_BATCH = 8
STEPS = 2
FEATURES = 6
CRASH_EXIT_CODE = 17

CASES = {
    "wgan_gp": dict(
        d_loss="wasserstein", g_loss="wasserstein",
        penalties=lambda: [kgl.penalties.GradientPenalty(1.0)], epochs=2,
    ),
    # (images, labels) batches and an embedding in the critic.
    "conditional_ns_r1": dict(
        d_loss="non_saturating", g_loss="non_saturating",
        penalties=lambda: [kgl.penalties.R1Penalty(2.0)], epochs=2,
        num_classes=2,
    ),
    # Momentum gives the optimizers a state that a restore must bring back.
    "backup": dict(
        d_loss="hinge", g_loss="hinge",
        penalties=lambda: [kgl.penalties.R1Penalty(2.0)], epochs=3,
        momentum=0.5,
    ),
}
# (case, how the workers get their data): each data mode once, to keep
# the test short.
RUNS = (("wgan_gp", "autoshard"), ("conditional_ns_r1", "function"))


class ConstantGenerator(keras.layers.Layer):
    """A deterministic generator: a trainable image, ignoring the noise
    (and the labels)."""

    def build(self, input_shape):
        self.image = self.add_weight(
            shape=(FEATURES,),
            initializer=keras.initializers.Constant(
                np.linspace(-1, 1, FEATURES)
            ),
        )

    def call(self, inputs):
        z = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return keras.ops.zeros_like(z[:, :1]) + self.image[None, :]


def make_gan(case):
    config = CASES[case]
    num_classes = config.get("num_classes")
    # The value must have the kernel's shape (6, 1): `Constant` broadcasts
    # a (6,) value to a (6, 6) kernel without a word.
    kernel = np.arange(FEATURES, dtype="float32").reshape(FEATURES, 1) / 10
    dense = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(kernel),
        bias_initializer="zeros",
    )
    z = keras.Input((3,))
    image = keras.Input((FEATURES,))
    if num_classes is None:
        generator = keras.Model(z, ConstantGenerator()(z))
        discriminator = keras.Model(image, dense(image))
    else:
        # Linear in the image: D(x, y) = w . x + b + e[y].
        classes = keras.Input((), dtype="int32")
        generator = keras.Model([z, classes],
                                ConstantGenerator()([z, classes]))
        classes_d = keras.Input((), dtype="int32")
        embedding = keras.layers.Embedding(
            num_classes, 1, embeddings_initializer=keras.initializers.Constant(
                np.linspace(-0.3, 0.3, num_classes).reshape(num_classes, 1)
            ),
        )
        discriminator = keras.Model(
            [image, classes_d],
            keras.layers.Add()([dense(image), embedding(classes_d)]),
        )
    gan = kgl.GAN(generator, discriminator, num_classes=num_classes, seed=3)
    momentum = config.get("momentum", 0.0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1, momentum=momentum),
                g_optimizer=keras.optimizers.SGD(0.1, momentum=momentum),
                d_loss=config["d_loss"], g_loss=config["g_loss"],
                penalties=config["penalties"]())
    return gan


def images():
    """The data set: global batch `i` is rows `[8 i, 8 i + 8)`."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(STEPS * GLOBAL_BATCH, FEATURES)).astype("float32")


def labels(num_classes):
    rng = np.random.default_rng(1)
    return rng.integers(0, num_classes, size=STEPS * GLOBAL_BATCH,
                        dtype="int32")


def dataset(strategy, mode, num_classes=None):
    """The global batches, as the single process or a worker reads them.

    - `"single"`: batches of 8 on the default strategy.
    - `"autoshard"`: the same dataset, auto-sharded by DATA:
      `experimental_distribute_dataset` splits each global batch into one
      batch of 4 per replica (worker 0 reads rows 0-3, worker 1 rows 4-7).
    - `"function"`: `distribute_datasets_from_function`, each input
      pipeline reading its own slice of every global batch.

    With `num_classes`, the elements are `(images, labels)`.
    """
    arrays = images()
    if num_classes is not None:
        arrays = (arrays, labels(num_classes))
    if mode == "single":
        data = tf.data.Dataset.from_tensor_slices(arrays)
        return data.batch(GLOBAL_BATCH)
    if mode == "autoshard":
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA
        )
        data = tf.data.Dataset.from_tensor_slices(arrays)
        data = data.batch(GLOBAL_BATCH).with_options(options)
        return strategy.experimental_distribute_dataset(data)

    def dataset_fn(context):
        # One pipeline per worker, each worker with one replica here.
        pipelines = context.num_input_pipelines
        batch = context.get_per_replica_batch_size(GLOBAL_BATCH)
        assert batch * pipelines == GLOBAL_BATCH
        def split(a):
            a = a.reshape((STEPS, pipelines, batch) + a.shape[1:])
            return a[:, context.input_pipeline_id]

        return tf.data.Dataset.from_tensor_slices(
            tf.nest.map_structure(split, arrays)
        )

    return strategy.distribute_datasets_from_function(dataset_fn)


def local_rows(strategy, data):
    """The image rows of each step that this worker's replicas read."""
    steps = []
    for batch in data:
        if isinstance(batch, tuple):
            batch = batch[0]
        local = strategy.experimental_local_results(batch)
        steps.append(np.concatenate([b.numpy() for b in local]).tolist())
    return steps


def draw_noise(strategy, gan):
    """This worker's replica ids and their first latent draws."""

    @tf.function
    def draw():
        return strategy.run(
            lambda: (replica_id(), gan._latent(4, gan._step_seed()[0]))
        )

    ids, latents = draw()
    ids = strategy.experimental_local_results(ids)
    latents = strategy.experimental_local_results(latents)
    return {"replica_ids": [int(i) for i in ids],
            "latents": [x.numpy().tolist() for x in latents]}


def weights(gan):
    return [np.asarray(w).tolist() for w in gan.get_weights()]


def run_cases(strategy, multi_worker):
    """Trains and evaluates each of `RUNS`; returns a JSON-able dict."""
    results = {}
    for case, mode in RUNS:
        mode = mode if multi_worker else "single"
        with strategy.scope():
            gan = make_gan(case)
        data = dataset(strategy, mode, CASES[case].get("num_classes"))
        initial = weights(gan)
        epochs = CASES[case]["epochs"]
        history = gan.fit(data, epochs=epochs, verbose=0,
                          shuffle=False).history
        results[case] = {
            "initial": initial,
            "weights": weights(gan),
            "history": history,
            "evaluate": gan.evaluate(data, verbose=0, return_dict=True),
            "rows": local_rows(strategy, data) if multi_worker else None,
        }
    with strategy.scope():
        gan = make_gan("wgan_gp")
    results["noise"] = draw_noise(strategy, gan)
    results["num_replicas_in_sync"] = strategy.num_replicas_in_sync
    return results


class CrashAfterEpoch(keras.callbacks.Callback):
    """Ends the process after epoch `epoch`, once the chief's backup of that
    epoch is on disk, so that the restart point is known."""

    def __init__(self, epoch, backup_dir):
        super().__init__()
        self.epoch = epoch
        self.store = BackupStore(backup_dir)

    def on_epoch_end(self, epoch, logs=None):
        if epoch != self.epoch:
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            names = self.store.names()
            if names and names[0].endswith(f"epoch-{epoch + 1:06d}"):
                break
            time.sleep(0.05)
        os._exit(CRASH_EXIT_CODE)


class SigtermAfterStep(keras.callbacks.Callback):
    """Sends SIGTERM to this worker after its `step`-th step; every step
    then takes `pause` seconds more, so that the preemption handler (which
    polls every second) stops training before its end."""

    def __init__(self, step, pause=0.4):
        super().__init__()
        self.step, self.pause, self.seen = step, pause, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(self.pause)


def run_backup(strategy, multi_worker, backup_dir, crash_after_epoch=None,
               sigterm_after_step=None, epochs=None):
    """Trains the `"backup"` case with `BackupAndRestore`."""
    chief = kgl.callbacks.is_chief()
    with strategy.scope():
        gan = make_gan("backup")
    callbacks = [kgl.callbacks.BackupAndRestore(backup_dir)]
    if crash_after_epoch is not None and not chief:
        callbacks.append(CrashAfterEpoch(crash_after_epoch, backup_dir))
    if sigterm_after_step is not None and not chief:
        callbacks.append(SigtermAfterStep(sigterm_after_step))
    data = dataset(strategy, "function" if multi_worker else "single")
    try:
        history = gan.fit(data, epochs=epochs or CASES["backup"]["epochs"],
                          verbose=0, shuffle=False,
                          callbacks=callbacks).history
    except kgl.callbacks.TrainingInterrupted as interrupted:
        return {"interrupted": str(interrupted), "epoch": interrupted.epoch,
                "batch": interrupted.batch}
    return {"weights": weights(gan), "history": history}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--backup")
    parser.add_argument("--crash-after-epoch", type=int)
    parser.add_argument("--sigterm-after-step", type=int)
    parser.add_argument("--epochs", type=int)
    args = parser.parse_args()

    multi_worker = "TF_CONFIG" in os.environ
    if multi_worker:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    if args.backup:
        results = run_backup(strategy, multi_worker, args.backup,
                             args.crash_after_epoch,
                             args.sigterm_after_step, args.epochs)
    else:
        results = run_cases(strategy, multi_worker)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
