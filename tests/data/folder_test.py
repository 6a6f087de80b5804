"""Folders of image files: labels from sub-folders, resizing, errors."""

import numpy as np
import pytest
from batches import collect
from PIL import Image

from keras_gan_losses.data import NoLabelsError
from keras_gan_losses.data import load_images


def write_image(path, value, size=(8, 8), mode="L", fmt=None):
    """Writes a constant image of `size` (height, width)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = np.full(size + (channels,), value, np.uint8)
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
    image.save(path, format=fmt)
    return path


def test_class_sub_folders_become_sorted_labels(tmp_path):
    write_image(tmp_path / "dogs" / "d1.png", 255)
    write_image(tmp_path / "cats" / "c1.png", 0)
    write_image(tmp_path / "cats" / "c2.png", 0)
    write_image(tmp_path / "cats" / "nested" / "c3.png", 0)
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    write_image(tmp_path / ".hidden" / "h.png", 128)
    write_image(tmp_path / "cats" / ".h.png", 128)
    dataset = load_images(tmp_path, batch_size=5, with_labels=True,
                          drop_remainder=False, shuffle=False)
    assert dataset.class_names == ["cats", "dogs"]
    images, labels = collect(dataset)
    assert images.shape == (4, 8, 8, 1) and images.dtype == np.float32
    assert labels.dtype == np.int32 and labels.tolist() == [0, 0, 0, 1]
    # Cats are black (-1), dogs white (+1): images and labels stay paired.
    np.testing.assert_array_equal(images.reshape(4, -1).mean(axis=1),
                                  [-1, -1, -1, 1])


def test_shuffling_keeps_images_and_labels_paired(tmp_path):
    for i in range(6):
        write_image(tmp_path / "a" / f"{i}.png", 0)
        write_image(tmp_path / "b" / f"{i}.png", 255)
    orders = []
    for _ in range(2):
        dataset = load_images(tmp_path, batch_size=4, with_labels=True,
                              seed=3)
        images, labels = collect(dataset)
        assert len(labels) == 12
        np.testing.assert_array_equal(images[:, 0, 0, 0], 2 * labels - 1)
        orders.append(labels.tolist())
    assert orders[0] == orders[1]  # same seed, same order
    assert orders[0] != sorted(orders[0])  # but shuffled


def test_flat_folder_has_no_labels(tmp_path):
    for i in range(3):
        write_image(tmp_path / f"{i}.png", 51 * i)
    images, _ = collect(load_images(tmp_path, batch_size=3, shuffle=False))
    np.testing.assert_allclose(images[:, 0, 0, 0],
                               [-1.0, 51 / 127.5 - 1, 102 / 127.5 - 1],
                               atol=1e-6)
    with pytest.raises(NoLabelsError, match="no class sub-folders"):
        load_images(tmp_path, batch_size=3, with_labels=True)


def test_channels_gray_rgb_rgba_and_formats(tmp_path):
    gray = tmp_path / "gray"
    write_image(gray / "a.png", 10)
    write_image(gray / "b.bmp", 10, fmt="BMP")
    Image.fromarray(np.full((8, 8, 2), 10, np.uint8), "LA").save(
        gray / "c.png"
    )
    images = next(iter(load_images(gray, batch_size=3)))
    assert images.shape == (3, 8, 8, 1)
    np.testing.assert_allclose(images, 10 / 127.5 - 1, atol=1e-6)
    colour = tmp_path / "colour"
    write_image(colour / "a.png", 10)
    write_image(colour / "b.png", (255, 0, 0), mode="RGB")
    write_image(colour / "c.png", (0, 0, 255, 100), mode="RGBA")
    write_image(colour / "d.jpg", (0, 255, 0), mode="RGB", fmt="JPEG")
    Image.fromarray(np.full((8, 8, 3), (255, 0, 0), np.uint8)).convert(
        "P"
    ).save(colour / "e.gif")
    images, _ = collect(load_images(colour, batch_size=5, shuffle=False))
    assert images.shape == (5, 8, 8, 3)
    np.testing.assert_allclose(images[4, 0, 0], [1, -1, -1])  # palette
    np.testing.assert_allclose(images[0, 0, 0], [10 / 127.5 - 1] * 3,
                               atol=1e-6)  # gray expanded to RGB
    np.testing.assert_allclose(images[1, 0, 0], [1, -1, -1])
    np.testing.assert_allclose(images[2, 0, 0], [-1, -1, 1])  # alpha dropped
    np.testing.assert_allclose(images[3, 0, 0], [-1, 1, -1], atol=0.05)


def test_image_size_resizes_mixed_sizes(tmp_path):
    write_image(tmp_path / "a.png", 255, size=(8, 8))
    write_image(tmp_path / "b.png", 255, size=(6, 10))
    write_image(tmp_path / "c.png", 255, size=(20, 3))
    dataset = load_images(tmp_path, image_size=(4, 5), batch_size=3)
    assert tuple(dataset.element_spec.shape) == (3, 4, 5, 1)
    images, _ = collect(dataset)
    np.testing.assert_allclose(images, 1.0, atol=1e-6)  # constant stays
    square = load_images(tmp_path, image_size=7, batch_size=3)
    assert tuple(square.element_spec.shape) == (3, 7, 7, 1)


def test_crop_to_aspect_ratio_keeps_the_centre(tmp_path):
    pixels = np.zeros((4, 12), np.uint8)
    pixels[:, 4:8] = 255  # a white 4x4 centre between black sides
    Image.fromarray(pixels, "L").save(tmp_path / "wide.png")
    cropped, _ = collect(load_images(tmp_path, image_size=(2, 2),
                                     crop_to_aspect_ratio=True,
                                     batch_size=1))
    np.testing.assert_allclose(cropped, 1.0, atol=1e-6)
    squashed, _ = collect(load_images(tmp_path, image_size=(2, 2),
                                      batch_size=1))
    assert squashed.min() < 0.0


def test_empty_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="No image files"):
        load_images(tmp_path)
    (tmp_path / "readme.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    with pytest.raises(ValueError, match="No image files.*readme.txt"):
        load_images(tmp_path)


def test_unreadable_files_are_named(tmp_path):
    write_image(tmp_path / "good.png", 0)
    (tmp_path / "broken.png").write_text("this is not a png")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(
        tmp_path / "tiff.png", format="TIFF"
    )
    with pytest.raises(ValueError) as info:
        load_images(tmp_path, batch_size=1)
    message = str(info.value)
    assert "2 of 3" in message
    assert "broken.png" in message and "tiff.png (TIFF" in message
    assert "good.png" not in message


def test_mixed_sizes_without_image_size_name_sizes_and_files(tmp_path):
    write_image(tmp_path / "a.png", 0, size=(8, 8))
    write_image(tmp_path / "b.png", 0, size=(8, 8))
    write_image(tmp_path / "odd.png", 0, size=(6, 10))
    with pytest.raises(ValueError) as info:
        load_images(tmp_path, batch_size=1)
    message = str(info.value)
    assert "8x8: 2 file(s)" in message and "6x10: 1 file(s)" in message
    assert "odd.png" in message and "image_size" in message


def test_images_both_at_top_and_in_sub_folders_is_an_error(tmp_path):
    write_image(tmp_path / "top.png", 0)
    write_image(tmp_path / "class_a" / "x.png", 0)
    with pytest.raises(ValueError, match="top.png.*class_a"):
        load_images(tmp_path)


def test_too_few_images_for_a_batch(tmp_path):
    write_image(tmp_path / "a.png", 0)
    with pytest.raises(ValueError, match="1 images, fewer than batch_size"):
        load_images(tmp_path, batch_size=2)
    images, _ = collect(load_images(tmp_path, batch_size=2,
                                    drop_remainder=False))
    assert images.shape == (1, 8, 8, 1)


def test_a_single_image_file_is_not_a_source(tmp_path):
    path = write_image(tmp_path / "a.png", 0)
    with pytest.raises(ValueError, match="single .png file.*folder"):
        load_images(path)
