"""
Title: Export a generator and serve it without Keras
Description: Train a DCGAN briefly, export its generator as a TensorFlow
SavedModel, load it back with plain tf.saved_model.load and sample from it.

Usage: python examples/export_and_serve.py [--epochs N] [--out DIR] [--smoke]

The SavedModel needs neither keras_gan_losses nor Keras to load: ship the
folder to TensorFlow Serving, TFLite converters or another Python process.
"""

## Set-up
import argparse
import pathlib

import keras
import tensorflow as tf

import keras_gan_losses as kgl


## Training briefly, with an exponential moving average of the generator
def train(epochs, smoke):
    dataset = kgl.data.load_images("mnist_10k", batch_size=16 if smoke else 64)
    if smoke:
        dataset = dataset.take(2)
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=64, width=8 if smoke else 32
    )
    # ema_decay keeps an averaged copy of the generator, gan.ema_generator:
    # smoother samples, and what generate() and export_generator() use.
    # (0.99 averages over ~100 steps, for a short run; 0.999 for long ones.)
    gan = kgl.GAN(generator, discriminator, ema_decay=0.99, seed=0)
    # Default optimisers: Adam(2e-4, beta_1=0.5) for both networks.
    gan.compile(d_loss="non_saturating", g_loss="non_saturating")
    gan.fit(dataset, epochs=epochs, verbose=0 if smoke else 2)
    return gan


## Export, load, serve
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default="runs/export_and_serve")
    parser.add_argument("--smoke", action="store_true",
                        help="two tiny steps, for the tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gan = train(1 if args.smoke else args.epochs, args.smoke)

    # Writes a SavedModel of the EMA generator (use_ema=False: the raw one)
    # with two signatures: serving_default(z) -> float images in [-1, 1],
    # and sample(batch_size, seed) -> uint8 images in [0, 255].
    path = gan.export_generator(out / "generator")

    # From here on, nothing but TensorFlow.
    loaded = tf.saved_model.load(str(path))
    print("signatures:", sorted(loaded.signatures))
    serve = loaded.signatures["serving_default"]
    z = tf.random.stateless_normal((16, gan.latent_dim), seed=[1, 2])
    images = serve(z=z)["images"]  # (16, 28, 28, 1) float32
    sample = loaded.signatures["sample"]
    pixels = sample(batch_size=tf.constant(16),
                    seed=tf.constant(0, tf.int64))["images"]  # uint8

    # A 4x4 grid of the uint8 samples, as a PNG.
    grid = pixels.numpy().reshape(4, 4, 28, 28, 1).swapaxes(1, 2)
    png = out / "samples.png"
    tf.io.write_file(str(png), tf.io.encode_png(grid.reshape(112, 112, 1)))
    print(f"SavedModel in {path}/, samples in {png}")
    return {"gan": gan, "path": path, "z": z.numpy(),
            "images": images.numpy(), "pixels": pixels.numpy(), "png": png}


if __name__ == "__main__":
    main()
