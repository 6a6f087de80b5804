"""
Title: Data-parallel training with MirroredStrategy
Description: Train a DCGAN on every GPU of the machine (or on the CPU) with
tf.distribute.MirroredStrategy: the same compile()/fit() code, scaled out.

Usage: python examples/multi_gpu.py [--batch-size-per-replica N]
       [--epochs N] [--cpus N] [--smoke]

With no GPU, MirroredStrategy runs one replica on the CPU. `--cpus 2`
splits the CPU into two logical devices, to try two replicas on a laptop.
"""

## Set-up
import argparse

import keras
import tensorflow as tf

import keras_gan_losses as kgl


def split_cpu(count):
    """Makes `count` logical CPUs; must run before TensorFlow starts up."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * count
    )
    return [device.name for device in tf.config.list_logical_devices("CPU")]


## Training
def main(argv=None, strategy=None):
    """Trains; `strategy` defaults to a MirroredStrategy over all GPUs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--batch-size-per-replica", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--cpus", type=int, default=0,
                        help="train on this many logical CPUs")
    parser.add_argument("--smoke", action="store_true",
                        help="two tiny steps, for the tests")
    args = parser.parse_args(argv)
    if strategy is None:
        devices = split_cpu(args.cpus) if args.cpus else None
        strategy = tf.distribute.MirroredStrategy(devices)
    keras.utils.set_random_seed(0)
    replicas = strategy.num_replicas_in_sync
    # Each step splits one global batch across the replicas. kgl.GAN makes
    # one update under the strategy equal the single-device update on the
    # global batch, so tune learning rates for the global batch size.
    per_replica = 4 if args.smoke else args.batch_size_per_replica
    global_batch = per_replica * replicas
    print(f"{replicas} replica(s): {strategy.extended.worker_devices}; "
          f"global batch {global_batch}")
    # drop_remainder (the default) keeps every batch divisible.
    dataset = kgl.data.load_images("mnist_10k", batch_size=global_batch)
    if args.smoke:
        dataset = dataset.take(2)

    # Variables must be created under the strategy: build the networks,
    # the GAN and its optimisers (compile) inside the scope. fit() then
    # distributes the dataset and runs each step on every replica.
    with strategy.scope():
        generator, discriminator = kgl.architectures.dcgan(
            (28, 28, 1), latent_dim=100, width=8 if args.smoke else 64
        )
        # Each replica draws its own latent noise from the seeded stream.
        gan = kgl.GAN(generator, discriminator, seed=0)
        gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                    d_loss="non_saturating", g_loss="non_saturating")
    history = gan.fit(dataset, epochs=1 if args.smoke else args.epochs,
                      verbose=0 if args.smoke else 2)
    # The logged losses do not depend on the number of replicas.
    losses = {key: values[-1] for key, values in history.history.items()}
    print("last epoch:", {k: round(v, 4) for k, v in losses.items()})
    # Sampling needs no strategy: the mirrored weights read as usual.
    images = gan.generate(16, seed=0)
    return history.history, {"replicas": replicas, "images": images,
                             "global_batch_size": global_batch}


if __name__ == "__main__":
    main()
