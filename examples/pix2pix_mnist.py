"""
Title: pix2pix on MNIST: 4x super-resolution
Description: An image-to-image GAN (U-Net generator, PatchGAN discriminator,
L1 + conditional adversarial loss) that restores 28x28 digits from their
7x7 block means, with PSNR and SSIM on held-out digits.

Usage: python examples/pix2pix_mnist.py [--task super_resolution|inpainting]
       [--steps N] [--out DIR] [--smoke]

Offline: the pairs come from the MNIST digits embedded in keras_gan_losses.
The defaults train for about a minute on two CPU cores.
"""

## Set-up
import argparse
import pathlib

import keras

import keras_gan_losses as kgl
from keras_gan_losses.architectures import patchgan
from keras_gan_losses.architectures import unet


## Training
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--task", default="super_resolution",
                        choices=["super_resolution", "inpainting"])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", default="runs/pix2pix_mnist")
    parser.add_argument("--smoke", action="store_true",
                        help="two tiny steps, for tests")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    out = pathlib.Path(args.out)
    filters, steps = (4, 2) if args.smoke else (16, args.steps)
    # (source, target) batches in [-1, 1]: the target is the digit, the
    # source its 7x7 block means upsampled back to 28x28 (or, for
    # inpainting, the digit with its bottom half grey). The last 10 % of
    # the digits are held out.
    train, held_out = kgl.data.load_pairs(
        "mnist_10k", task=args.task, batch_size=64, seed=0,
        validation_split=0.1, subset="both")
    source, target = next(iter(held_out))

    # The U-Net pads 28x28 to 32x32 and halves it 5 times, with skip
    # connections; each PatchGAN logit judges a 34x34 patch of the
    # (source, image) pair.
    generator = unet((28, 28, 1), base_filters=filters)
    discriminator = patchgan((28, 28, 1), base_filters=filters, num_layers=2)
    gan = kgl.ImageToImageGAN(generator, discriminator, seed=0)
    # pix2pix's objective: the non-saturating cGAN loss + 100 * L1, with
    # Adam at 1e-3 (pix2pix: 2e-4) to learn in a few hundred steps.
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        d_loss="non_saturating", g_loss="non_saturating",
        reconstruction_losses=[(keras.losses.MeanAbsoluteError(), 100.0)])
    history = gan.fit(train.repeat(), steps_per_epoch=steps, epochs=1,
                      verbose=0 if args.smoke else 2)

    ## Evaluation on held-out digits
    generated = gan.generate(source)
    psnr = kgl.metrics.psnr(generated, target)
    ssim = kgl.metrics.ssim(generated, target)
    print(f"PSNR {psnr:.2f} dB (input: "
          f"{kgl.metrics.psnr(source, target):.2f}), SSIM {ssim:.3f} "
          f"(input: {kgl.metrics.ssim(source, target):.3f})")
    grid = kgl.visualization.save_comparison_grid(
        out / f"{args.task}.png", [source[:16], generated[:16], target[:16]],
        per_row=4)
    print(f"Source | generated | target grid: {grid}")
    return history.history, {"psnr": psnr, "ssim": ssim}, pathlib.Path(grid)


if __name__ == "__main__":
    main()
