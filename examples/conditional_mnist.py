"""
Title: A conditional GAN on MNIST
Description: A class-conditional DCGAN on MNIST digits (labels embedded in
the generator, a projection discriminator), sampled one row per digit.

Usage: python examples/conditional_mnist.py [--epochs N] [--out DIR] [--smoke]

The data is the MNIST test split embedded in keras_gan_losses (no
download); `load_images("mnist", with_labels=True)` would read the 60,000
training digits through TensorFlow Datasets instead.
"""

## Set-up
import argparse
import pathlib

import keras
import numpy as np
import tensorflow as tf

import keras_gan_losses as kgl


## Sampling: one row per class, the same latent vector down each column
def class_grid(gan, columns, seed=0):
    """Returns images `(num_classes, columns, h, w, c)` in [-1, 1].

    `generate` draws the latent vectors from `seed`, so every row gets the
    same ones: only the label changes from row to row.
    """
    rows = [gan.generate(columns, labels=label, seed=seed)
            for label in range(gan.num_classes)]
    return np.stack(rows)


def save_grid(grid, path):
    grid = kgl.data.to_uint8(grid)
    rows, columns, h, w, c = grid.shape
    image = grid.swapaxes(1, 2).reshape(rows * h, columns * w, c)
    tf.io.write_file(str(path), tf.io.encode_png(image))


## Training
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--out", default="runs/conditional_mnist")
    parser.add_argument("--smoke", action="store_true",
                        help="two tiny steps, for the tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, batch_size, columns = (8, 16, 4) if args.smoke else (64, 64, 10)
    # with_labels=True: batches of (images, int32 labels).
    dataset = kgl.data.load_images("mnist_10k", batch_size=batch_size,
                                   with_labels=True)
    num_classes = len(dataset.class_names)  # "0", ..., "9"
    if args.smoke:
        dataset = dataset.take(2)

    # The generator takes [z, labels], the discriminator [images, labels].
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=100, num_classes=num_classes, width=width
    )
    # With num_classes, fit() reads (images, labels) pairs and the fakes of
    # each step take the labels of the real batch.
    gan = kgl.GAN(generator, discriminator, num_classes=num_classes, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                d_loss="non_saturating", g_loss="non_saturating")

    def write_grid(epoch, logs):
        path = out / f"epoch_{epoch + 1:03d}.png"
        save_grid(class_grid(gan, columns), path)

    history = gan.fit(
        dataset, epochs=1 if args.smoke else args.epochs,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=write_grid)],
        verbose=0 if args.smoke else 2,
    )
    print(f"Sample grids in {out}/")
    grid = class_grid(gan, columns)
    return history.history, grid, sorted(out.glob("epoch_*.png"))


if __name__ == "__main__":
    main()
