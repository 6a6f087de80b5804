"""What `kgl train`'s TrainingMonitor counts modes with."""

import numpy as np
import tensorflow as tf

import keras_gan_losses as kgl
from keras_gan_losses.callbacks import mode_coverage


def monitor_coverage(args, image_shape, source):
    """`TrainingMonitor` arguments that let it see modes dropped one by
    one: the shipped MNIST classifier for 28×28 images of 1 or 3 channels
    (10 modes, or StackedMNIST's 1,000), with a shuffled sample of the
    training images as the data's shares. Other images get none (the
    monitor's summary then says what it cannot see).

    Args:
        args (argparse.Namespace): `kgl train`'s arguments.
        image_shape (tuple): The training images' shape.
        source (str | np.ndarray): The data, as `load_images` takes it.

    Returns:
        dict: `classifier` and `reference`, or nothing (also when the
        images cannot be read: training then names the bad file).
    """
    height, width, channels = image_shape
    if (height, width) != (28, 28) or channels not in (1, 3):
        return {}
    count = int(np.clip(mode_coverage.SAMPLES_PER_MODE * 10 ** channels,
                        mode_coverage.MIN_SAMPLES, mode_coverage.MAX_SAMPLES))
    real = kgl.data.load_images(
        source, split="train", image_size=args.image_size, batch_size=256,
        seed=args.seed, drop_remainder=False,
    ).unbatch().take(count).batch(256)
    try:
        images = np.concatenate([np.asarray(batch) for batch in real])
    except tf.errors.OpError:
        return {}
    return {"classifier": "mnist", "reference": images}
