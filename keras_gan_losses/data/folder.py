"""Scanning a folder of image files: classes, sizes, channels, bad files.

Every file's header is read once with Pillow, so that unreadable files and
mixed sizes are reported up front, naming the files, rather than as a
decoding error in the middle of training. The pixels are decoded later by
TensorFlow (`tf.io.decode_image`), in parallel, as the dataset is read.
"""

import collections
import os
import pathlib

from PIL import Image

from keras_gan_losses.data.errors import NoLabelsError
from keras_gan_losses.utils.lazy import tf

#: File extensions read (those TensorFlow can decode), lower-case.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_TF_FORMATS = {"BMP", "GIF", "JPEG", "PNG"}
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}
_SHOWN = 5

FolderScan = collections.namedtuple(
    "FolderScan", ["paths", "labels", "class_names", "size", "channels"]
)
FolderScan.__doc__ = """What `scan_image_folder` found.

Attributes:
    paths: Image file paths (str), sorted by class then name.
    labels: int class ids, one per path, or None for a flat folder.
    class_names: Sorted names of the class sub-folders, or None.
    size: `(height, width)` shared by all images, or None if they differ.
    channels: 1 if every image is grayscale, else 3.
"""


def _is_image(path):
    return path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file()


def _hidden(name):
    return name.startswith(".")


def _images_under(directory):
    found = []
    for root, dirs, files in os.walk(directory, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        found.extend(
            path for path in (pathlib.Path(root) / f for f in sorted(files))
            if not _hidden(path.name) and _is_image(path)
        )
    return found


def _examples(paths, directory, shown=_SHOWN):
    names = [str(pathlib.Path(p).relative_to(directory)) for p in paths]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def scan_image_folder(directory, same_size=True, with_labels=False):
    """Lists and checks the images of a folder.

    Images directly in `directory` make an unlabelled dataset. Otherwise
    each sub-folder holding images (at any depth below it) is a class, the
    classes numbered in the sorted order of the sub-folder names. Hidden
    files and folders (names starting with ".") and files with other
    extensions than `IMAGE_EXTENSIONS` are ignored.

    Args:
        directory (str): The folder.
        same_size (bool): Whether all images must have the same size (when they
            are not resized).
        with_labels (bool): Whether class sub-folders are required; checked
            before any image is opened.

    Returns:
        A `FolderScan`.

    Raises:
        ValueError: if the folder holds no images, has images both at the
            top level and in sub-folders, holds files that cannot be read
            as images, or (with `same_size`) images of different sizes.
            Each error names the files.
        NoLabelsError: with `with_labels`, if the images are not in class
            sub-folders.
    """
    directory = pathlib.Path(directory)
    entries = sorted(directory.iterdir())
    top = [p for p in entries if not _hidden(p.name) and _is_image(p)]
    classes = {}
    for sub in entries:
        if sub.is_dir() and not _hidden(sub.name):
            images = _images_under(sub)
            if images:
                classes[sub.name] = images
    if top and classes:
        raise ValueError(
            f"{directory} has images both at its top level "
            f"({_examples(top, directory)}) and in class sub-folders "
            f"({sorted(classes)}). Put all images in class sub-folders, "
            "or all at the top level for an unlabelled dataset."
        )
    if not top and not classes:
        others = [p for p in directory.rglob("*") if p.is_file()]
        hint = (
            f" It holds {len(others)} other file(s), e.g. "
            f"{_examples(others, directory, 3)}." if others else ""
        )
        raise ValueError(
            f"No image files ({', '.join(IMAGE_EXTENSIONS)}) in {directory}"
            f" or its sub-folders.{hint}"
        )
    if with_labels and not classes:
        raise NoLabelsError(
            f"with_labels=True, but the folder {directory} has no class "
            "sub-folders: put the images of each class in a sub-folder "
            "named after the class."
        )
    if classes:
        class_names = sorted(classes)
        paths, labels = [], []
        for label, name in enumerate(class_names):
            paths.extend(classes[name])
            labels.extend([label] * len(classes[name]))
    else:
        class_names, paths, labels = None, top, None
    sizes, channels = _read_headers(paths, directory)
    if same_size and len(sizes) > 1:
        groups = sorted(sizes.items(), key=lambda item: -len(item[1]))
        listing = "; ".join(
            f"{h}x{w}: {len(files)} file(s), e.g. "
            f"{_examples(files, directory, 3)}"
            for (h, w), files in groups
        )
        raise ValueError(
            f"The images in {directory} have {len(sizes)} different sizes "
            f"(height x width): {listing}. Pass `image_size=(height, "
            "width)` to resize them all to one size."
        )
    size = next(iter(sizes)) if len(sizes) == 1 else None
    return FolderScan(
        [str(p) for p in paths], labels, class_names, size, channels
    )


def _read_headers(paths, directory):
    sizes = collections.defaultdict(list)
    bad = []
    gray = True
    for path in paths:
        try:
            with Image.open(path) as image:
                fmt, mode = image.format, image.mode
                width, height = image.size
        except Exception as error:  # noqa: BLE001 - reported below
            bad.append(f"{path.relative_to(directory)} ({error})")
            continue
        if fmt not in _TF_FORMATS:
            bad.append(
                f"{path.relative_to(directory)} ({fmt} data, which "
                "TensorFlow cannot decode)"
            )
            continue
        sizes[(height, width)].append(path)
        # GIFs decode to RGB in TensorFlow whatever their palette.
        gray = gray and mode in _GRAY_MODES and fmt != "GIF"
    if bad:
        more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        raise ValueError(
            f"{len(bad)} of {len(paths)} image files in {directory} cannot "
            f"be read as BMP, GIF, JPEG or PNG images: "
            f"{'; '.join(bad[:_SHOWN])}{more}. Remove or convert them."
        )
    return sizes, 1 if gray else 3


def decode_image(path, channels):
    """Reads and decodes one image file to a `uint8` tensor `(h, w, c)`.

    Decodes the file's own channels (TensorFlow's BMP and GIF decoders
    cannot convert to grayscale), then keeps the first one when `channels`
    is 1, which `scan_image_folder` only asks for if every image is
    grayscale (so R = G = B), or drops alpha and expands gray to RGB when
    it is 3.
    """
    image = tf.io.decode_image(
        tf.io.read_file(path), channels=0, dtype=tf.uint8,
        expand_animations=False,
    )
    if channels == 1:
        return image[..., :1]
    return tf.cond(
        tf.shape(image)[-1] < 3,
        lambda: tf.tile(image[..., :1], [1, 1, 3]),
        lambda: image[..., :3],
    )
