"""
Title: Hinge loss and spectral normalisation on CIFAR-10
Description: An SNGAN-style DCGAN: hinge loss, a spectrally normalised
discriminator and two-time-scale Adam, on CIFAR-10 from TensorFlow Datasets.

Usage: python examples/hinge_sn_cifar10.py [--epochs N] [--out DIR] [--smoke]

Miyato et al., "Spectral Normalization for Generative Adversarial
Networks", 2018 (https://arxiv.org/abs/1802.05957); the learning rates
follow SAGAN (Zhang et al. 2019): the discriminator learns 4x faster than
the generator. (The `hinge` preset does not use this set-up: on the
package's two-convolution MNIST critic spectral normalisation learned far
more slowly, see `benchmarks/RESULTS.md`; on CIFAR-10's deeper critic it
is the published recipe.)
"""

## Set-up
import argparse
import contextlib
import pathlib

import keras
import tensorflow_datasets as tfds

import keras_gan_losses as kgl


## Training
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--out", default="runs/hinge_sn_cifar10")
    parser.add_argument("--smoke", action="store_true",
                        help="two tiny steps on mock data, for the tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, batch_size, rows = (8, 8, 4) if args.smoke else (64, 64, 8)
    # --smoke reads random images from tfds's mock data: no download.
    with tfds.testing.mock_data(num_examples=2 * batch_size) if args.smoke \
            else contextlib.nullcontext():
        # (batch, 32, 32, 3) floats in [-1, 1].
        dataset = kgl.data.load_images("cifar10", batch_size=batch_size)

        # spectral_norm=True wraps every layer of the discriminator in
        # keras.layers.SpectralNormalization: each layer's weight is divided
        # by its largest singular value (one power iteration per step), so
        # the discriminator is roughly 1-Lipschitz without a penalty.
        generator, discriminator = kgl.architectures.dcgan(
            (32, 32, 3), latent_dim=128, spectral_norm=True, width=width
        )
        gan = kgl.GAN(generator, discriminator, seed=0)
        # Hinge loss: d_loss = relu(1 - D(x)) + relu(1 + D(G(z))),
        # g_loss = -D(G(z)). Two time scales: D at 4e-4, G at 1e-4.
        gan.compile(
            d_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
            g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
            d_loss=kgl.losses.HingeDiscriminatorLoss(),
            g_loss=kgl.losses.HingeGeneratorLoss(),
        )
        history = gan.fit(dataset, epochs=1 if args.smoke else args.epochs,
                          callbacks=[kgl.callbacks.SampleGrid(
                              out, num_samples=rows * rows)],
                          verbose=0 if args.smoke else 2)
    print(f"Sample grids in {out}/")
    return history.history, sorted(out.glob("epoch_*.png"))


if __name__ == "__main__":
    main()
