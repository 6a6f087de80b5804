"""Trains the MNIST classifier of `keras_gan_losses.metrics.mnist_extractor`.

Trains `keras_gan_losses.metrics.mnist_classifier` (a small CNN) on the
60,000 MNIST training images, without augmentation, with Adam and a cosine
learning-rate decay, reports its accuracy on the 10,000 test images and
writes its weights (about 0.8 MB). Run from the project root:

    python scripts/train_mnist_extractor.py --data-dir ../shared/data/mnist

`--data-dir` holds the four original IDX files (`train-images-idx3-ubyte.gz`,
`train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`,
`t10k-labels-idx1-ubyte.gz`). The script refuses to write weights whose test
accuracy is below `--min-accuracy` (0.99). It takes a few minutes on two
CPU cores.
"""

import argparse
import gzip
import pathlib
import sys
import time

import keras
import numpy as np

from keras_gan_losses.metrics.extractors import MNIST_WEIGHTS
from keras_gan_losses.metrics.extractors import mnist_classifier

DEFAULT_OUTPUT = (
    pathlib.Path(__file__).resolve().parents[1]
    / "keras_gan_losses" / "metrics" / MNIST_WEIGHTS
)


def load_split(data_dir, prefix):
    """Reads `<prefix>-images-idx3-ubyte.gz` and its labels.

    Returns float32 images of shape `(n, 28, 28, 1)` in [-1, 1] and uint8
    labels of shape `(n,)`.
    """
    data_dir = pathlib.Path(data_dir)
    with gzip.open(data_dir / f"{prefix}-images-idx3-ubyte.gz") as file:
        images = np.frombuffer(file.read(), np.uint8, offset=16)
    with gzip.open(data_dir / f"{prefix}-labels-idx1-ubyte.gz") as file:
        labels = np.frombuffer(file.read(), np.uint8, offset=8)
    images = images.reshape(-1, 28, 28, 1).astype("float32") / 127.5 - 1.0
    if len(images) != len(labels):
        raise ValueError(f"{prefix}: {len(images)} images, {len(labels)} "
                         "labels")
    return images, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist",
                        help="folder of the MNIST IDX files "
                        "(default: %(default)s)")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT),
                        help="weights file to write, ending in .weights.h5 "
                        "(default: the package asset)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-accuracy", type=float, default=0.99)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    x_train, y_train = load_split(args.data_dir, "train")
    x_test, y_test = load_split(args.data_dir, "t10k")
    print(f"train {x_train.shape}, test {x_test.shape}")

    model = mnist_classifier(weights=None)
    steps = args.epochs * int(np.ceil(len(x_train) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, decay_steps=steps
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.time()
    model.fit(x_train, y_train, batch_size=args.batch_size,
              epochs=args.epochs, verbose=2)
    seconds = time.time() - start

    predictions = model.predict(x_test, batch_size=1000, verbose=0)
    accuracy = float(np.mean(np.argmax(predictions, axis=1) == y_test))
    print(f"test accuracy: {accuracy:.4f} "
          f"({round(accuracy * len(y_test))}/{len(y_test)}), "
          f"training time {seconds:.0f} s")
    if accuracy < args.min_accuracy:
        print(f"test accuracy below {args.min_accuracy}: weights not "
              "written", file=sys.stderr)
        return 1
    # A fresh, uncompiled copy: `save_weights` of the compiled model would
    # also store the optimizer's variables (three times the size).
    trained = mnist_classifier(weights=None)
    trained.set_weights(model.get_weights())
    trained.save_weights(args.output)
    size = pathlib.Path(args.output).stat().st_size
    print(f"wrote {args.output} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
