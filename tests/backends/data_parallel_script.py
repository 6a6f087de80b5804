"""One `GAN.fit` on one JAX device and under `keras.distribution.
DataParallel` on two host devices, from the same weights; prints what
`data_parallel_test.py` compares, as JSON.

Run with `KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2`
(set before JAX starts, hence a process of its own); with `--single`, in
a process with one device, it runs and prints the single-device fit only.
"""

import json
import sys

import keras
import numpy as np

import keras_gan_losses as kgl


def build(weights=None):
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
        keras.layers.Reshape((2, 2, 2))])
    discriminator = keras.Sequential([
        keras.Input((2, 2, 2)), keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    gan = kgl.GAN(generator, discriminator, latent_dim=4, ema_decay=0.9,
                  seed=3)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2),
                g_optimizer=keras.optimizers.Adam(1e-2),
                penalties=[kgl.penalties.R1Penalty(1.0),
                           kgl.penalties.LeCamPenalty(0.1)],
                training_signals=True)
    if weights is not None:
        gan.set_weights(weights)
    return gan


def state(gan):
    """Every weight (networks, EMA copy, noise state, LeCam averages) and
    both optimizers' variables, as lists of floats."""
    variables = (gan.weights + gan.d_optimizer.variables
                 + gan.g_optimizer.variables)
    return [np.asarray(v.numpy(), "float64").ravel().tolist()
            for v in variables]


def main():
    # Two batches of 8: the trainer keeps its state outside the variables
    # between the steps of an epoch, so a variable missing from that state
    # would show at the second step.
    x = np.random.default_rng(0).uniform(-1, 1, (16, 2, 2, 2))
    x = x.astype("float32")
    one = build()
    start = one.get_weights()
    one_logs = one.fit(x, batch_size=8, verbose=0, shuffle=False).history
    if sys.argv[1:] == ["--single"]:  # a process with one device
        print(json.dumps({"one": state(one), "one_logs": one_logs}))
        return
    devices = keras.distribution.list_devices("cpu")
    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)
    two = build(start)
    two_logs = two.fit(x, batch_size=8, verbose=0, shuffle=False).history
    sharding = two.generator.weights[0].value.sharding
    try:
        two.fit(x[:14], batch_size=7, verbose=0, shuffle=False)
        odd = ""
    except ValueError as error:
        odd = str(error)
    print(json.dumps({
        "devices": len(devices),
        "weight_devices": len(sharding.device_set),
        "batch_axis": distribution.get_data_layout((8, 2, 2, 2)).axes[0],
        "one": state(one), "two": state(two),
        "one_logs": one_logs, "two_logs": two_logs,
        "odd_batch_error": odd,
    }))


if __name__ == "__main__":
    main()
