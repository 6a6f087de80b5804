"""
Title: DCGAN on MNIST
Description: A DCGAN trained with the non-saturating loss on MNIST digits,
writing an 8x8 grid of samples after every epoch.

Usage: python examples/dcgan_mnist.py [--data mnist_10k|mnist] [--epochs N]
       [--out DIR] [--smoke]

`--data mnist_10k` (the default) is the MNIST test split embedded in
keras_gan_losses: no download. `--data mnist` reads the 60,000 training
digits through TensorFlow Datasets (downloaded the first time).
"""

## Set-up
import argparse
import contextlib
import pathlib

import keras

import keras_gan_losses as kgl


## Training
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--data", choices=["mnist_10k", "mnist"],
                        default="mnist_10k")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--out", default="runs/dcgan_mnist")
    parser.add_argument("--smoke", action="store_true",
                        help="two tiny steps (TFDS: mock data), for tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # The DCGAN paper's sizes (width 64, batch 128), tiny ones for --smoke.
    width, batch_size, rows = (8, 16, 4) if args.smoke else (64, 128, 8)
    mock = contextlib.nullcontext()
    if args.smoke and args.data != "mnist_10k":
        import tensorflow_datasets as tfds  # random images, no download
        mock = tfds.testing.mock_data(num_examples=2 * batch_size)
    with mock:
        # Batches of (batch_size, 28, 28, 1) floats in [-1, 1], shuffled.
        dataset = kgl.data.load_images(args.data, batch_size=batch_size,
                                       seed=0)
        if args.smoke:
            dataset = dataset.take(2)

        # `dcgan` sizes both networks from the image shape: 28x28 images
        # start from a 7x7 grid, upsampled twice by transposed convolutions.
        generator, discriminator = kgl.architectures.dcgan(
            (28, 28, 1), latent_dim=100, width=width
        )
        gan = kgl.GAN(generator, discriminator, seed=0)
        # The non-saturating loss: the discriminator minimises the binary
        # cross-entropy, the generator -log D(G(z)) rather than the
        # saturating log(1 - D(G(z))) of the minimax game. The short form
        # is d_loss="non_saturating", g_loss="non_saturating".
        gan.compile(
            d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            d_loss=kgl.losses.MinimaxDiscriminatorLoss(),
            g_loss=kgl.losses.NonSaturatingGeneratorLoss(),
        )
        history = gan.fit(dataset, epochs=1 if args.smoke else args.epochs,
                          callbacks=[kgl.callbacks.SampleGrid(
                              out, num_samples=rows * rows)],
                          verbose=0 if args.smoke else 2)
    print(f"Sample grids in {out}/")
    return history.history, sorted(out.glob("epoch_*.png"))


if __name__ == "__main__":
    main()
