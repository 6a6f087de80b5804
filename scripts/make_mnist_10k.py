"""Builds `keras_gan_losses/data/assets/mnist_10k.npz` from MNIST IDX files.

The package ships the MNIST test split (10,000 28×28 grayscale digits with
their labels) so that `keras_gan_losses.data.load_images("mnist_10k")` works
offline. This script makes that file from the original IDX files, checking
the published md5 of each uncompressed file first:

    python scripts/make_mnist_10k.py --source /work/shared/data/mnist

It writes `mnist_10k.npz` (`np.savez_compressed` of `images`, uint8
`(10000, 28, 28)`, and `labels`, uint8 `(10000,)`) and `MNIST_LICENSE.txt`
(the attribution notice) into `--output`.
"""

import argparse
import gzip
import hashlib
import pathlib
import sys

import numpy as np

#: md5 of the uncompressed original MNIST test files.
MD5 = {
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
FIRST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
DEFAULT_OUTPUT = (
    pathlib.Path(__file__).resolve().parents[1]
    / "keras_gan_losses" / "data" / "assets"
)

LICENSE = """\
MNIST handwritten digit database: test split (10,000 images and labels)
=======================================================================

File: mnist_10k.npz (NumPy arrays `images`, uint8 (10000, 28, 28), and
`labels`, uint8 (10000,)), converted without change of any pixel or label
from the original files t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte
(md5 2646ac647ad5339dbf082846283269ea and
27ae3e4e09519cfbb04c329615203637) by scripts/make_mnist_10k.py.

Authors: Yann LeCun, Corinna Cortes and Christopher J. C. Burges.
Source: http://yann.lecun.com/exdb/mnist/

The MNIST database is derived from NIST Special Database 3 and Special
Database 1. It is usually distributed under the Creative Commons
Attribution-Share Alike 3.0 license (CC BY-SA 3.0,
https://creativecommons.org/licenses/by-sa/3.0/). This converted copy is
shared under the same terms; the Apache-2.0 license of keras_gan_losses
does not apply to it.

Please cite the dataset where you use it:

    Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
    applied to document recognition", Proceedings of the IEEE, 86(11),
    2278-2324, 1998.
"""


def read_raw(directory, stem):
    """Returns the uncompressed bytes of `stem` or `stem.gz`, md5-checked."""
    for path in (directory / stem, directory / f"{stem}.gz"):
        if path.exists():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            digest = hashlib.md5(data).hexdigest()
            if digest != MD5[stem]:
                raise ValueError(
                    f"{path}: md5 of the uncompressed file is {digest}, "
                    f"expected {MD5[stem]}. Not the original MNIST file."
                )
            return data
    raise FileNotFoundError(f"Neither {stem} nor {stem}.gz in {directory}.")


def parse(images_raw, labels_raw):
    """Parses IDX bytes into uint8 images `(n, rows, cols)` and labels."""
    magic, count, rows, cols = np.frombuffer(images_raw[:16], ">u4")
    if magic != 2051:
        raise ValueError(f"Bad image file magic {magic} (expected 2051).")
    images = np.frombuffer(images_raw, np.uint8, offset=16)
    images = images.reshape(int(count), int(rows), int(cols))
    magic, count = np.frombuffer(labels_raw[:8], ">u4")
    if magic != 2049:
        raise ValueError(f"Bad label file magic {magic} (expected 2049).")
    labels = np.frombuffer(labels_raw, np.uint8, offset=8)
    if len(labels) != count or count != len(images):
        raise ValueError("Image and label counts differ.")
    return images, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=pathlib.Path,
                        default=pathlib.Path("/work/shared/data/mnist"),
                        help="folder with t10k-*-idx*-ubyte(.gz)")
    parser.add_argument("--output", type=pathlib.Path,
                        default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    images, labels = parse(
        read_raw(args.source, "t10k-images-idx3-ubyte"),
        read_raw(args.source, "t10k-labels-idx1-ubyte"),
    )
    assert images.shape == (10000, 28, 28), images.shape
    assert labels[:10].tolist() == FIRST_LABELS, labels[:10]
    args.output.mkdir(parents=True, exist_ok=True)
    target = args.output / "mnist_10k.npz"
    np.savez_compressed(target, images=images, labels=labels)
    (args.output / "MNIST_LICENSE.txt").write_text(LICENSE)
    with np.load(target) as check:
        assert np.array_equal(check["images"], images)
        assert np.array_equal(check["labels"], labels)
    print(f"Wrote {target} ({target.stat().st_size:,} bytes).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
