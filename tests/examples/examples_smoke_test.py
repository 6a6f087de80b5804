"""The examples run in smoke mode (a few steps, tiny networks, no network
access: TFDS sources read `tfds.testing.mock_data`) and produce what they
promise: PNG grids of the right size, finite losses, an exported SavedModel
that matches the generator, class rows that differ."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest
import tensorflow as tf

import keras_gan_losses as kgl

# Keras warns that fit(shuffle=True) does not reshuffle a tf.data.Dataset;
# load_images shuffles its datasets itself.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`shuffle=True` was passed:UserWarning"
)

EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"
NAMES = ["dcgan_mnist", "wgan_gp_fashion_mnist", "lsgan", "hinge_sn_cifar10",
         "conditional_mnist", "multi_gpu", "export_and_serve",
         "pix2pix_mnist"]


def load(name):
    spec = importlib.util.spec_from_file_location(
        f"example_{name}", EXAMPLES / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_shape(path):
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return tuple(tf.io.decode_png(data).shape)


def assert_finite(history, keys=("d_loss", "g_loss", "d_real", "d_fake")):
    for key in keys:
        assert key in history, f"{key} not logged: {sorted(history)}"
        assert all(math.isfinite(v) for v in history[key]), (key, history)


@pytest.mark.parametrize("name", NAMES)
def test_example_layout(name):
    """keras.io-style header, --smoke flag, main(argv), under 100 lines."""
    source = (EXAMPLES / f"{name}.py").read_text()
    assert len(source.splitlines()) < 100
    assert source.startswith('"""\nTitle: ') and "\nDescription: " in source
    assert '"--smoke"' in source and "def main(argv=None" in source
    assert 'if __name__ == "__main__":\n    main()' in source


@pytest.mark.parametrize("data", ["mnist_10k", "mnist"])
def test_dcgan_mnist(tmp_path, data):
    history, grids = load("dcgan_mnist").main(
        ["--smoke", "--out", str(tmp_path), "--data", data]
    )
    assert_finite(history)
    assert [p.name for p in grids] == ["epoch_0001.png"]
    # SampleGrid: 4×4 images with 2-pixel padding around each.
    assert png_shape(grids[0]) == (4 * 30 + 2, 4 * 30 + 2, 1)


def test_wgan_gp_fashion_mnist(tmp_path):
    example = load("wgan_gp_fashion_mnist")
    history, grids = example.main(["--smoke", "--out", str(tmp_path)])
    assert_finite(history, ("d_loss", "g_loss", "gradient_penalty"))
    assert history["gradient_penalty"][0] > 0.0
    assert png_shape(grids[0]) == (4 * 28, 4 * 28, 1)


def test_wgan_gp_networks_are_the_keras_io_ones():
    example = load("wgan_gp_fashion_mnist")
    generator, critic = example.generator(), example.critic()
    # The parameter counts of the keras.io example's model summaries.
    assert generator.count_params() == 910_660
    assert critic.count_params() == 4_305_409
    z = tf.random.normal((2, 128))
    images = generator(z)
    assert tuple(images.shape) == (2, 28, 28, 1)
    assert tuple(critic(images).shape) == (2, 1)
    assert float(tf.reduce_max(tf.abs(images))) <= 1.0


def test_lsgan_kgl_losses_and_keras_mse_agree(tmp_path):
    example = load("lsgan")
    kgl_history, grids = example.main(["--smoke", "--out", str(tmp_path)])
    mse_history, _ = example.main(
        ["--smoke", "--out", str(tmp_path / "mse"), "--keras-mse"]
    )
    assert_finite(kgl_history)
    assert_finite(mse_history)
    assert png_shape(grids[0]) == (4 * 28, 4 * 28, 1)
    # Keras's MSE is twice kgl's 0.5-weighted least squares; Adam ignores
    # the factor, so both runs take (nearly) the same steps.
    for key in ("d_loss", "g_loss"):
        assert mse_history[key][0] == pytest.approx(
            2 * kgl_history[key][0], rel=1e-3)
    for key in ("d_real", "d_fake"):
        assert mse_history[key][0] == pytest.approx(
            kgl_history[key][0], rel=1e-3, abs=1e-4)


def test_hinge_sn_cifar10(tmp_path):
    history, grids = load("hinge_sn_cifar10").main(
        ["--smoke", "--out", str(tmp_path)]
    )
    assert_finite(history)
    assert png_shape(grids[0]) == (4 * 34 + 2, 4 * 34 + 2, 3)


def test_conditional_mnist_rows_differ_by_class(tmp_path):
    history, grid, pngs = load("conditional_mnist").main(
        ["--smoke", "--out", str(tmp_path)]
    )
    assert_finite(history)
    assert grid.shape == (10, 4, 28, 28, 1)
    assert png_shape(pngs[0]) == (10 * 28, 4 * 28, 1)
    # Each column shares its latent vector across the rows: rows differ
    # through the label only, columns through the noise.
    for a in range(10):
        for b in range(a):
            assert np.abs(grid[a] - grid[b]).max() > 1e-4, (a, b)
    for row in grid:
        for a in range(4):
            for b in range(a):
                assert np.abs(row[a] - row[b]).max() > 1e-2


def test_multi_gpu_under_mirrored_strategy(mirrored_strategy):
    history, info = load("multi_gpu").main(
        ["--smoke"], strategy=mirrored_strategy
    )
    assert_finite(history)
    assert info["replicas"] == 2 and info["global_batch_size"] == 2 * 4
    images = info["images"]
    assert images.shape == (16, 28, 28, 1)
    assert np.all(np.abs(images) <= 1.0)


def test_export_and_serve_matches_the_generator(tmp_path):
    result = load("export_and_serve").main(
        ["--smoke", "--out", str(tmp_path)]
    )
    gan = result["gan"]
    assert (pathlib.Path(result["path"]) / "saved_model.pb").is_file()
    # serving_default on z equals the (EMA) generator on the same z.
    expected = gan.ema_generator(result["z"], training=False).numpy()
    np.testing.assert_allclose(result["images"], expected, atol=1e-5)
    # sample(batch_size, seed) draws the noise of gan.generate(seed=...).
    pixels = result["pixels"]
    assert pixels.dtype == np.uint8 and pixels.shape == (16, 28, 28, 1)
    reference = kgl.data.to_uint8(gan.generate(16, seed=0)).astype(int)
    assert np.abs(pixels.astype(int) - reference).max() <= 1
    assert png_shape(result["png"]) == (4 * 28, 4 * 28, 1)


@pytest.mark.parametrize("task", ["super_resolution", "inpainting"])
def test_pix2pix_mnist(tmp_path, task):
    history, metrics, grid = load("pix2pix_mnist").main(
        ["--smoke", "--task", task, "--out", str(tmp_path)])
    assert_finite(history, ("d_loss", "g_loss", "mean_absolute_error"))
    assert grid == tmp_path / f"{task}.png"
    # 4 rows of 4 (source, generated, target) triplets, 2-pixel padding.
    assert png_shape(grid) == (4 * 30 + 2, 12 * 30 + 2, 1)
    assert math.isfinite(metrics["psnr"]) and metrics["psnr"] > 0
    assert -1.0 <= metrics["ssim"] <= 1.0
