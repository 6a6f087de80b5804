"""MNIST-format IDX files: read_idx, and load_images on files and folders."""

import gzip
import hashlib
import pathlib

import numpy as np
import pytest

from keras_gan_losses.data import NoLabelsError
from keras_gan_losses.data import load_images
from keras_gan_losses.data import load_mnist_10k
from keras_gan_losses.data import read_idx

SHARED_MNIST = pathlib.Path("/work/shared/data/mnist")


def write_idx(path, array, type_code=0x08, compress=None):
    """Writes `array` as an IDX file (gzip if the name ends in .gz)."""
    array = np.asarray(array)
    header = bytes([0, 0, type_code, array.ndim])
    header += np.asarray(array.shape, ">u4").tobytes()
    dtype = {0x08: "u1", 0x0C: ">i4", 0x0D: ">f4"}[type_code]
    data = header + array.astype(dtype).tobytes()
    compress = str(path).endswith(".gz") if compress is None else compress
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def digits(count, offset=0, size=(6, 5)):
    """Images whose every pixel equals 10 * (index + offset)."""
    values = 10 * (np.arange(count) + offset)
    return np.broadcast_to(
        values[:, None, None], (count,) + size
    ).astype(np.uint8)


@pytest.mark.parametrize("name", ["x-images-idx3-ubyte",
                                  "x-images-idx3-ubyte.gz"])
def test_read_idx_plain_and_gzip(tmp_path, name):
    images = digits(4)
    result = read_idx(write_idx(tmp_path / name, images))
    assert result.dtype == np.uint8 and result.shape == (4, 6, 5)
    np.testing.assert_array_equal(result, images)


def test_read_idx_detects_gzip_by_content_and_reads_other_types(tmp_path):
    values = np.array([[1, -2], [300000, 4]], np.int32)
    path = write_idx(tmp_path / "ints.idx", values, type_code=0x0C,
                     compress=True)
    result = read_idx(path)
    assert result.dtype == np.int32 and result.dtype.isnative
    np.testing.assert_array_equal(result, values)
    floats = np.array([0.5, -1.25], np.float32)
    result = read_idx(write_idx(tmp_path / "f", floats, type_code=0x0D))
    np.testing.assert_array_equal(result, floats)


def test_read_idx_errors_name_the_file(tmp_path):
    bad = tmp_path / "not-idx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(ValueError, match="not-idx.*not an IDX file"):
        read_idx(bad)
    path = write_idx(tmp_path / "short-images-idx3-ubyte", digits(3))
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="short-images.*declares shape"):
        read_idx(path)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(ValueError, match="broken.gz.*gzip"):
        read_idx(broken)


@pytest.mark.parametrize("gz", [".gz", ""])
def test_load_images_from_an_idx_file_reads_labels_beside_it(tmp_path, gz):
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{gz}", digits(6))
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{gz}", [5, 4, 3, 2, 1, 0])
    dataset = load_images(
        tmp_path / f"t10k-images-idx3-ubyte{gz}", batch_size=3,
        with_labels=True, shuffle=False,
    )
    batches = list(dataset)
    assert len(batches) == 2
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert images.shape == (6, 6, 5, 1) and images.dtype == np.float32
    np.testing.assert_allclose(
        images[:, 0, 0, 0], 10 * np.arange(6) / 127.5 - 1, atol=1e-6
    )
    assert labels.dtype == np.int32
    assert labels.tolist() == [5, 4, 3, 2, 1, 0]


def test_load_images_from_an_idx_folder_by_split(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", digits(4))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", [1, 1, 1, 1])
    write_idx(tmp_path / "t10k-images-idx3-ubyte", digits(2, offset=10))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", [7, 7])

    def first_pixels(split):
        dataset = load_images(tmp_path, split=split, batch_size=1,
                              with_labels=True, shuffle=False)
        pairs = [(float(x[0, 0, 0, 0]), int(y[0])) for x, y in dataset]
        return [round((x + 1) * 127.5) for x, _ in pairs], \
            [y for _, y in pairs]

    assert first_pixels("train") == ([0, 10, 20, 30], [1, 1, 1, 1])
    assert first_pixels("test") == ([100, 110], [7, 7])
    assert first_pixels("all") == ([0, 10, 20, 30, 100, 110],
                                   [1, 1, 1, 1, 7, 7])


def test_idx_errors(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", digits(4))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte"):
        load_images(tmp_path, split="test", batch_size=2)
    with pytest.raises(ValueError, match="splits"):
        load_images(tmp_path, split="validation", batch_size=2)
    with pytest.raises(NoLabelsError, match="train-labels-idx1-ubyte"):
        load_images(tmp_path, batch_size=2, with_labels=True)
    # Without labels the images alone load.
    assert next(iter(load_images(tmp_path, batch_size=2))).shape == \
        (2, 6, 5, 1)
    write_idx(tmp_path / "vectors-images-idx3-ubyte", np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"shape \(3, 4\)"):
        load_images(tmp_path / "vectors-images-idx3-ubyte", batch_size=1)


def test_embedded_mnist_has_the_published_md5_of_the_original_files():
    # The original IDX files are a 16- (images) or 8-byte (labels) header
    # and the raw uint8 bytes; the md5 of the uncompressed originals is
    # published with MNIST. The shipped arrays, written back in that
    # format, must reproduce it.
    images, labels = load_mnist_10k()
    image_bytes = np.array([0x803, 10000, 28, 28], ">u4").tobytes() + \
        images.astype("u1").tobytes()
    label_bytes = np.array([0x801, 10000], ">u4").tobytes() + \
        labels.astype("u1").tobytes()
    assert hashlib.md5(image_bytes).hexdigest() == \
        "2646ac647ad5339dbf082846283269ea"
    assert hashlib.md5(label_bytes).hexdigest() == \
        "27ae3e4e09519cfbb04c329615203637"


@pytest.mark.skipif(
    not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists(),
    reason="the original MNIST files (/work/shared/data/mnist) are absent",
)
def test_embedded_mnist_equals_the_original_idx_files():
    raw = gzip.decompress(
        (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").read_bytes()
    )
    assert hashlib.md5(raw).hexdigest() == "2646ac647ad5339dbf082846283269ea"
    images, labels = load_mnist_10k()
    np.testing.assert_array_equal(
        images, read_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz")
    )
    np.testing.assert_array_equal(
        labels, read_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz")
    )
