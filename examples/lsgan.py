"""
Title: Least-squares GAN (LSGAN)
Description: A DCGAN whose discriminator regresses real images to 1 and
generated ones to 0, with kgl's least-squares losses or, with
--keras-mse, plain keras.losses.MeanSquaredError.

Usage: python examples/lsgan.py [--data SOURCE] [--keras-mse] [--epochs N]
       [--out DIR] [--smoke]

Mao et al., "Least Squares Generative Adversarial Networks", 2017
(https://arxiv.org/abs/1611.04076). SOURCE is anything
kgl.data.load_images reads: "mnist_10k" (the default, embedded), a TFDS
name, a folder of images, IDX files.
"""

## Set-up
import argparse
import pathlib

import keras
import tensorflow as tf

import keras_gan_losses as kgl


## Writing samples: the same 64 latent vectors after every epoch
def sample_grids(gan, out, rows=8):
    def write(epoch, logs):
        images = kgl.data.to_uint8(gan.generate(rows * rows, seed=0))
        _, h, w, c = images.shape
        grid = images.reshape(rows, -1, h, w, c).swapaxes(1, 2)
        png = tf.io.encode_png(grid.reshape(rows * h, -1, c))
        tf.io.write_file(str(out / f"epoch_{epoch + 1:03d}.png"), png)
    return keras.callbacks.LambdaCallback(on_epoch_end=write)


## The losses, two ways
def least_squares_losses(keras_mse):
    if keras_mse:
        # A plain Keras loss is applied with the label convention real -> 1,
        # fake -> 0: d_loss = mse(1, D(x)) + mse(0, D(G(z))) and
        # g_loss = mse(1, D(G(z))). That is exactly twice kgl's losses
        # below; Adam is (nearly) blind to the factor, the logs are not.
        return keras.losses.MeanSquaredError(), keras.losses.MeanSquaredError()
    # d_loss = 0.5 (D(x) - b)^2 + 0.5 (D(G(z)) - a)^2,
    # g_loss = 0.5 (D(G(z)) - c)^2, with the 0-1 coding a=0, b=c=1.
    # (a=-1, b=1, c=0 minimises the Pearson chi-squared divergence.)
    return (kgl.losses.LeastSquaresDiscriminatorLoss(a=0.0, b=1.0),
            kgl.losses.LeastSquaresGeneratorLoss(c=1.0))


## Training
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--data", default="mnist_10k")
    parser.add_argument("--image-size", type=int, default=None,
                        help="resize to this size (e.g. 32 or 64)")
    parser.add_argument("--keras-mse", action="store_true",
                        help="use keras.losses.MeanSquaredError")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--out", default="runs/lsgan")
    parser.add_argument("--smoke", action="store_true",
                        help="two tiny steps, for the tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, batch_size = (8, 16) if args.smoke else (64, 64)
    dataset = kgl.data.load_images(args.data, image_size=args.image_size,
                                   batch_size=batch_size)
    if args.smoke:
        dataset = dataset.take(2)
    image_shape = tuple(dataset.element_spec.shape[1:])
    generator, discriminator = kgl.architectures.dcgan(image_shape,
                                                       width=width)
    gan = kgl.GAN(generator, discriminator, seed=0)
    d_loss, g_loss = least_squares_losses(args.keras_mse)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                d_loss=d_loss, g_loss=g_loss)
    grids = sample_grids(gan, out, rows=4 if args.smoke else 8)
    history = gan.fit(dataset, epochs=1 if args.smoke else args.epochs,
                      callbacks=[grids], verbose=0 if args.smoke else 2)
    print(f"Sample grids in {out}/")
    return history.history, sorted(out.glob("epoch_*.png"))


if __name__ == "__main__":
    main()
