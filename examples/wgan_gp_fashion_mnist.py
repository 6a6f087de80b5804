"""
Title: WGAN-GP on Fashion-MNIST
Description: The keras.io WGAN-GP example (same networks, optimisers, 3
critic steps, penalty weight 10) with kgl.GAN instead of a hand-written
train_step, on Fashion-MNIST from TensorFlow Datasets.

Usage: python examples/wgan_gp_fashion_mnist.py [--epochs N] [--smoke]

kgl's GradientPenalty differs from keras.io's: alpha ~ U(0, 1) per example,
as in the paper (keras.io's alpha ~ N(0, 1) strays off the segment between
real and fake), and the norm is sqrt(|grad|^2 + 1e-12), so a zero gradient
gives no NaN. kgl logs `d_loss` and `gradient_penalty` apart (keras.io: sum).
"""

## Set-up
import argparse
import contextlib
import pathlib

import keras
import tensorflow as tf
import tensorflow_datasets as tfds
from keras import layers

import keras_gan_losses as kgl


## Writing samples: the same latent vectors after every epoch
def sample_grids(gan, out, rows=4):
    def write(epoch, logs):  # rows x rows images, written to out/
        images = kgl.data.to_uint8(gan.generate(rows * rows, seed=0))
        _, h, w, c = images.shape
        grid = images.reshape(rows, -1, h, w, c).swapaxes(1, 2)
        png = tf.io.encode_png(grid.reshape(rows * h, -1, c))
        tf.io.write_file(str(out / f"epoch_{epoch + 1:03d}.png"), png)
    return keras.callbacks.LambdaCallback(on_epoch_end=write)


## The critic: pad 28x28 to 32x32, four 5x5 stride-2 convolutions
def critic(width=64):
    x = inputs = keras.Input((28, 28, 1))
    x = layers.ZeroPadding2D(2)(x)
    for i, dropout in enumerate([False, True, True, False]):
        x = layers.Conv2D(width * 2**i, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(0.3)(x) if dropout else x
    x = layers.Dropout(0.2)(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(1)(x), name="critic")


## The generator: 4x4x256, three upsampling blocks to 32x32, crop to 28x28
def upsample(x, filters):
    x = layers.UpSampling2D()(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    return layers.BatchNormalization()(x)


def generator(latent_dim=128, width=64):
    x = z = keras.Input((latent_dim,))
    x = layers.Dense(4 * 4 * 4 * width, use_bias=False)(x)
    x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x))
    x = layers.Reshape((4, 4, 4 * width))(x)
    x = layers.LeakyReLU(0.2)(upsample(x, 2 * width))
    x = layers.LeakyReLU(0.2)(upsample(x, width))
    x = layers.Activation("tanh")(upsample(x, 1))
    return keras.Model(z, layers.Cropping2D(2)(x), name="generator")


## Training
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="runs/wgan_gp_fashion_mnist")
    parser.add_argument("--smoke", action="store_true", help="for the tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, batch_size = (4, 8) if args.smoke else (64, 512)
    # --smoke reads random images from tfds's mock data: no download.
    with tfds.testing.mock_data(num_examples=2 * batch_size) if args.smoke \
            else contextlib.nullcontext():
        dataset = kgl.data.load_images("fashion_mnist", batch_size=batch_size)
        gan = kgl.GAN(generator(128, width), critic(width), d_steps=3, seed=0)
        gan.compile(
            d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
            g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
            d_loss="wasserstein",  # mean(D(fake)) - mean(D(real))
            g_loss="wasserstein",  # -mean(D(fake))
            penalties=[kgl.penalties.GradientPenalty(10.0)],
        )
        history = gan.fit(dataset, epochs=1 if args.smoke else args.epochs,
                          callbacks=[sample_grids(gan, out)],
                          verbose=0 if args.smoke else 2)
    return history.history, sorted(out.glob("epoch_*.png"))


if __name__ == "__main__":
    main()
