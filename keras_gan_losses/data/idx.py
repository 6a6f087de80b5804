"""Reading MNIST-format IDX files (`.gz` or not).

The format (LeCun et al.): a big-endian header of two zero bytes, a type
code (0x08 for uint8), the number of dimensions and one 4-byte size per
dimension, then the values, row-major.
"""

import gzip
import pathlib

import numpy as np

_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: File names of MNIST-format image files, per `split` of `load_images`.
SPLIT_PREFIXES = {
    "train": ("train",),
    "test": ("t10k",),
    "t10k": ("t10k",),
    "all": ("train", "t10k"),
}

_IMAGE_TAGS = ("-images-idx3-ubyte", "-images.idx3-ubyte")


def read_idx(path):
    """Reads an IDX file (gzip-compressed or not) into a NumPy array.

    Args:
        path (str): Path of the file, e.g. `t10k-images-idx3-ubyte.gz`. Gzip
            compression is detected from the content, not the name.

    Returns:
        np.ndarray: A NumPy array with the file's shape and a native-endian
        dtype, e.g. `uint8` of shape `(10000, 28, 28)` for MNIST test images.

    Raises:
        ValueError: if the file is not a valid IDX file (the message names
            the file and the problem).

    Example:

    >>> import gzip, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x-labels-idx1-ubyte.gz")
    >>> header = bytes([0, 0, 8, 1, 0, 0, 0, 3])
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(header + bytes([7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = pathlib.Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(
                f"{path} is not a valid gzip file: {error}"
            ) from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _DTYPES:
        raise ValueError(
            f"{path} is not an IDX file: it does not start with the IDX "
            "magic number (two zero bytes, a type code, a rank)."
        )
    dtype, ndim = _DTYPES[raw[2]], raw[3]
    offset = 4 + 4 * ndim
    if ndim == 0 or len(raw) < offset:
        raise ValueError(f"{path}: truncated or invalid IDX header.")
    shape = tuple(int(d) for d in np.frombuffer(raw[4:offset], ">u4"))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise ValueError(
            f"{path}: the header declares shape {shape} ({expected} bytes "
            f"of data) but the file holds {len(raw) - offset} bytes."
        )
    values = np.frombuffer(raw, dtype, offset=offset).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def is_idx_images_name(name):
    """Whether a file name is that of an MNIST-format image file."""
    return any(tag in name for tag in _IMAGE_TAGS)


def _labels_stem(images_name):
    if images_name.endswith(".gz"):
        images_name = images_name[:-3]
    for tag in _IMAGE_TAGS:
        if tag in images_name:
            labels_tag = tag.replace("images", "labels")
            labels_tag = labels_tag.replace("idx3", "idx1")
            return images_name.replace(tag, labels_tag)
    return None


def expected_labels_names(images_path):
    """The labels file names looked for beside an MNIST-format images file.

    `t10k-images-idx3-ubyte(.gz)` → `t10k-labels-idx1-ubyte(.gz)`: both the
    plain and the `.gz` name; empty if the name is not a standard one.
    """
    stem = _labels_stem(pathlib.Path(images_path).name)
    return [] if stem is None else [stem, stem + ".gz"]


def labels_path_for(images_path):
    """The existing labels file beside an MNIST-format images file, or
    None."""
    images_path = pathlib.Path(images_path)
    for name in expected_labels_names(images_path):
        path = images_path.with_name(name)
        if path.is_file():
            return path
    return None


def find_idx_images(directory, split):
    """The MNIST-format image files of `split` in `directory`.

    Args:
        directory (str): A folder holding e.g. `train-images-idx3-ubyte.gz`.
        split (str): `"train"`, `"test"` (or `"t10k"`) or `"all"` (both).

    Returns:
        A list of paths, one per file prefix of the split.

    Raises:
        ValueError: for an unknown split or a missing file.
    """
    directory = pathlib.Path(directory)
    if split not in SPLIT_PREFIXES:
        raise ValueError(
            f"A folder of IDX files has the splits {sorted(SPLIT_PREFIXES)}"
            f". Received: split={split!r}"
        )
    paths = []
    for prefix in SPLIT_PREFIXES[split]:
        candidates = [
            directory / f"{prefix}{tag}{gz}"
            for tag in _IMAGE_TAGS for gz in (".gz", "")
        ]
        found = [path for path in candidates if path.is_file()]
        if not found:
            present = sorted(
                p.name for p in directory.iterdir()
                if is_idx_images_name(p.name)
            )
            raise ValueError(
                f"No {prefix}-images-idx3-ubyte(.gz) file in {directory} "
                f"for split={split!r}. IDX image files there: {present}."
            )
        paths.append(found[0])
    return paths


def has_idx_images(directory):
    """Whether `directory` holds any MNIST-format image file."""
    return any(
        is_idx_images_name(p.name) for p in pathlib.Path(directory).iterdir()
        if p.is_file()
    )
