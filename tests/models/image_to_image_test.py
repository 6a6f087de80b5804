"""`ImageToImageGAN`: saving and exact resume, export, generate, EMA,
mixed precision, the guard, and clear errors for bad input."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import IMAGE
from nets import SOURCE
from nets import pair_discriminator
from nets import pair_generator
from nets import pairs
from nets import to_numpy

import keras_gan_losses as kgl

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends


def make_gan(dropout=0.0, **kwargs):
    keras.utils.set_random_seed(0)
    gan = kgl.ImageToImageGAN(pair_generator(dropout=dropout),
                              pair_discriminator(), seed=1, **kwargs)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-2),
        g_optimizer=keras.optimizers.Adam(1e-2),
        d_loss="hinge", g_loss="hinge",
        penalties=[kgl.penalties.GradientPenalty(1.0)],
        reconstruction_losses=[(keras.losses.MeanAbsoluteError(), 10.0),
                               (keras.losses.MeanSquaredError(), 0.5)],
        jit_compile=False,
    )
    return gan


@pytest.mark.backends("tensorflow", "torch")
def test_keras_file_round_trip_and_exact_resume(tmp_path):
    source, target = pairs(16)
    fit = {"batch_size": 8, "verbose": 0, "shuffle": False}
    full = make_gan(dropout=0.5, ema_decay=0.9)
    full.fit(source, target, epochs=2, **fit)

    first = make_gan(dropout=0.5, ema_decay=0.9)
    first.fit(source, target, epochs=1, **fit)
    path = str(tmp_path / "i2i.keras")
    first.save(path)
    restored = keras.models.load_model(path, safe_mode=True)
    assert isinstance(restored, kgl.ImageToImageGAN)
    assert restored.source_shape == SOURCE and restored.image_shape == IMAGE
    assert restored.ema_decay == 0.9 and restored.latent_dim is None
    assert [(name, type(loss).__name__, weight) for name, loss, weight
            in restored.reconstruction_losses] == [
        ("mean_absolute_error", "MeanAbsoluteError", 10.0),
        ("mean_squared_error", "MeanSquaredError", 0.5)]
    assert isinstance(restored.d_loss, kgl.losses.HingeDiscriminatorLoss)
    assert [p.name for p in restored.penalties] == ["gradient_penalty"]
    for a, b in zip(first.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    # One more epoch after reloading equals the uninterrupted run.
    restored.fit(source, target, epochs=1, **fit)
    assert len(full.get_weights()) == len(restored.get_weights())
    for a, b in zip(full.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.backends("tensorflow", "torch")
def test_reconstruction_only_round_trips(tmp_path):
    gan = kgl.ImageToImageGAN(pair_generator(), pair_discriminator())
    gan.compile(d_loss=None, g_loss=None, reconstruction_losses=["l1"])
    path = str(tmp_path / "l1.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    assert restored.d_loss is None and not restored.adversarial
    history = restored.fit(*pairs(8), batch_size=8, verbose=0).history
    assert set(history) == {"mean_absolute_error", "nonfinite_steps"}


SERVE_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[1])
    serve = loaded.signatures["serving_default"]
    images = serve(source=tf.constant(np.load(sys.argv[2])))["images"]
    np.save(sys.argv[3], images.numpy())
    print(json.dumps({"kgl": "keras_gan_losses" in sys.modules,
                      "inputs": sorted(serve.structured_input_signature[1])}))
""")


@pytest.mark.backends("tensorflow")
def test_export_serves_sources_in_a_process_without_the_package(tmp_path):
    gan = make_gan(ema_decay=0.5)
    source, target = pairs(16)
    gan.fit(source, target, batch_size=8, epochs=1, verbose=0)
    gan.export_generator(tmp_path / "export")
    np.save(tmp_path / "source.npy", source[:3])
    result = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT, str(tmp_path / "export"),
         str(tmp_path / "source.npy"), str(tmp_path / "out.npy")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "kgl": False, "inputs": ["source"]}
    served = np.load(tmp_path / "out.npy")
    np.testing.assert_allclose(served, gan.ema_generator(source[:3]),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(served, gan.generator(source[:3]))
    with pytest.raises(FileExistsError, match="already holds a SavedModel"):
        gan.export_generator(tmp_path / "export")


@pytest.mark.backends("tensorflow", "torch")
def test_generate_batches_numpy_and_picks_the_generator():
    gan = make_gan(dropout=0.5, ema_decay=0.5)
    source, target = pairs(16)
    gan.fit(source, target, batch_size=8, epochs=1, verbose=0)
    out = gan.generate(source[:5], batch_size=2)
    assert isinstance(out, np.ndarray) and out.shape == (5,) + IMAGE
    # Inference mode (no dropout), EMA weights by default.
    np.testing.assert_allclose(out, to_numpy(gan.ema_generator(source[:5])),
                               rtol=1e-5, atol=1e-6)
    raw = gan.generate(source[:5], use_ema=False)
    np.testing.assert_allclose(raw, to_numpy(gan.generator(source[:5])),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(out, raw)
    np.testing.assert_allclose(to_numpy(gan(source[:5])), raw, rtol=1e-6)


def test_ema_follows_the_recurrence():
    gan = make_gan(ema_decay=0.75)
    before = [np.array(w) for w in gan.generator.get_weights()]
    np.testing.assert_array_equal(before[0], gan.ema_generator.weights[0])
    gan.fit(*pairs(8), batch_size=8, epochs=1, verbose=0)
    for w0, w1, ema in zip(before, gan.generator.get_weights(),
                           gan.ema_generator.get_weights()):
        np.testing.assert_allclose(ema, 0.75 * w0 + 0.25 * w1, rtol=1e-5,
                                   atol=1e-7)


@pytest.mark.backends("tensorflow", "torch")
def test_mixed_precision_trains_with_loss_scaling():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = kgl.ImageToImageGAN(pair_generator(), pair_discriminator(),
                                  seed=0)
        gan.compile(penalties=["r1"], reconstruction_losses=[("l1", 100.0)],
                    jit_compile=False)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    before = [np.array(w) for w in gan.generator.get_weights()]
    # The first steps overflow in float16 (λ = 100 times the initial loss
    # scale 2^15) and are skipped while the scale halves.
    history = gan.fit(*pairs(96), batch_size=8, epochs=1, verbose=0).history
    assert all(np.isfinite(v[0]) for v in history.values())
    assert gan.generate(pairs(2)[0]).dtype == np.float16
    assert any(not np.allclose(a, b)
               for a, b in zip(before, gan.generator.get_weights()))


def test_non_finite_source_in_a_dataset_skips_the_step():
    gan = make_gan()
    source, target = pairs(16)
    source[9, 0, 0, 0] = np.nan
    data = tf.data.Dataset.from_tensor_slices((source, target)).batch(8)
    with pytest.warns(RuntimeWarning, match="Non-finite data at epoch 1, "
                                            "step 2"):
        history = gan.fit(data, verbose=0).history
    assert history["nonfinite_steps"] == [1.0]
    assert int(gan.g_optimizer.iterations.numpy()) == 1
    assert all(np.isfinite(w).all() for w in gan.get_weights())


def test_out_of_range_target_in_a_dataset_stops_with_a_clear_error():
    gan = make_gan()
    source, target = pairs(16)
    data = tf.data.Dataset.from_tensor_slices(
        (source, target * 127.5 + 127.5)).batch(8)
    with pytest.raises(ValueError, match=r"values in \[.*\], outside the "
                                         r"generator's output range"):
        gan.fit(data, verbose=0)


# --- clear errors -------------------------------------------------------------

def gan_for_errors():
    return make_gan()


@pytest.mark.parametrize("call,error,match", [
    (lambda g, s, t: g.fit(s, batch_size=8, verbose=0), ValueError,
     r"trains on \(source, target\) pairs"),
    (lambda g, s, t: g.fit(tf.data.Dataset.from_tensor_slices(s).batch(8),
                           verbose=0), ValueError,
     r"trains on \(source, target\) pairs"),
    (lambda g, s, t: g.fit(s, t[:, :2], verbose=0), ValueError,
     r"target batches of shape \(16, 2, 4, 1\) vs the generator's output "
     r"\(None, 4, 4, 1\)"),
    (lambda g, s, t: g.fit(s[..., :1], t, verbose=0), ValueError,
     r"source batches of shape \(16, 4, 4, 1\) vs the generator's input "
     r"\(None, 4, 4, 2\)"),
    (lambda g, s, t: g.fit(
        tf.data.Dataset.from_tensor_slices((s, t)), verbose=0),
     ValueError, "looks unbatched"),
    (lambda g, s, t: g.fit(s, t[:8], verbose=0), ValueError,
     "holds 16 images but `target` 8"),
    (lambda g, s, t: g.fit((s * 127.5 + 127.5).astype("uint8"), t,
                           verbose=0), TypeError,
     "source images must be floats"),
    (lambda g, s, t: g.fit(s * 100, t, verbose=0), ValueError,
     r"source images have values in \[-99.*outside \[-1, 1\]"),
    (lambda g, s, t: g.fit(s, t * 100, verbose=0), ValueError,
     r"outside the generator's output range \[-1, 1\]"),
    (lambda g, s, t: g.fit(np.where(s > 0.9, np.nan, s), t, verbose=0),
     ValueError, "source images contain .* NaN or Inf"),
    (lambda g, s, t: g.generate(t), ValueError,
     r"`source` must be a batch of source images of shape "
     r"\(None, 4, 4, 2\)"),
    (lambda g, s, t: g.generate(s[:0]), ValueError, "at least one"),
    (lambda g, s, t: g.generate(s.astype("int32")), TypeError,
     "must be float images"),
], ids=["no_target", "dataset_of_images", "target_shape", "source_shape",
        "unbatched", "lengths", "int_source", "source_range", "target_range",
        "nan_source", "generate_shape", "generate_empty", "generate_int"])
def test_bad_data_is_refused_with_a_clear_message(call, error, match):
    gan = gan_for_errors()
    source, target = pairs(16)
    with pytest.raises(error, match=match):
        call(gan, source, target)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"d_loss": None}, ValueError, "Pass both `d_loss` and `g_loss`"),
    ({"d_loss": None, "g_loss": None}, ValueError, "Nothing to train"),
    ({"d_loss": None, "g_loss": None, "penalties": ["r1"],
      "reconstruction_losses": ["l1"]}, ValueError,
     "Penalties regularise the discriminator"),
    ({"reconstruction_losses": [("l1", -1.0)]}, ValueError,
     "weight of mean_absolute_error"),
    ({"reconstruction_losses": ["l1", "mae"]}, ValueError,
     "'mean_absolute_error' is used twice"),
    ({"reconstruction_losses": [keras.losses.MeanAbsoluteError(
        name="r1_penalty")], "penalties": ["r1"]}, ValueError,
     "its own log key"),
    ({"reconstruction_losses": [(kgl.losses.HingeGeneratorLoss(), 1.0)]},
     TypeError,
     "is an adversarial loss"),
    ({"reconstruction_losses": [(lambda y, p: y - p, 1.0)]}, TypeError,
     "must be a keras.losses.Loss"),
    ({"reconstruction_losses": [(keras.losses.MeanAbsoluteError(), 1, 2)]},
     ValueError, r"`\(loss, weight\)` or a loss alone"),
    ({"reconstruction_losses": [keras.losses.MeanAbsoluteError(
        reduction=None)]}, ValueError, "must reduce to a scalar"),
    ({"g_loss": ["non_saturating", "hinge"]}, ValueError,
     "one adversarial loss per slot"),
], ids=["one_loss_none", "nothing", "penalty_without_d", "negative_weight",
        "same_key", "penalty_key", "adversarial_loss", "function",
        "triple", "no_reduction", "list_of_losses"])
def test_bad_compile_arguments_are_refused(kwargs, error, match):
    gan = kgl.ImageToImageGAN(pair_generator(), pair_discriminator())
    with pytest.raises(error, match=match):
        gan.compile(**kwargs)


def latent_generator():
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(16),
                             keras.layers.Reshape(IMAGE)])


def one_input_discriminator():
    return keras.Sequential([keras.Input(IMAGE), keras.layers.Flatten(),
                             keras.layers.Dense(1)])


@pytest.mark.parametrize("networks,match", [
    (lambda: (latent_generator(), pair_discriminator()),
     r"maps images .* to images; its generator maps \(None, 8\)"),
    (lambda: (pair_generator(), one_input_discriminator()),
     r"takes two inputs, \[source, image\].*this one has 1"),
    (lambda: (pair_generator(), pair_discriminator(source=(4, 4, 3))),
     r"discriminator's source input does not fit"),
    (lambda: (pair_generator(image=(4, 4, 3)), pair_discriminator()),
     r"discriminator's image input does not fit"),
], ids=["latent_generator", "one_input_discriminator", "source_channels",
        "image_channels"])
def test_networks_that_do_not_fit_are_refused(networks, match):
    with pytest.raises(ValueError, match=match):
        kgl.ImageToImageGAN(*networks())


class Exploding(keras.losses.Loss):
    """A reconstruction loss that turns infinite."""

    def call(self, y_true, y_pred):
        return keras.ops.mean(y_pred * 0.0 + np.inf, axis=-1)


@pytest.mark.backends("tensorflow", "torch")
def test_non_finite_reconstruction_loss_skips_the_step():
    gan = make_gan()
    gan.compile(reconstruction_losses=[("l1", 1.0),
                                       (Exploding(name="exploding"), 1.0)],
                nonfinite_patience=None, jit_compile=False)
    before = gan.generator.get_weights()
    with pytest.warns(RuntimeWarning, match="Non-finite exploding at epoch "
                                            "1, step 1"):
        history = gan.fit(*pairs(16), batch_size=8, verbose=0).history
    assert history["nonfinite_steps"] == [2.0]
    # The discriminator's updates ran; the generator's (and its
    # optimizer's) did not.
    assert int(gan.g_optimizer.iterations.numpy()) == 0
    assert int(gan.d_optimizer.iterations.numpy()) == 2
    for a, b in zip(before, gan.generator.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_gan_only_options_are_refused():
    # DiffAugment and LeCam are wired into GAN's steps, not into the pair
    # model's own: refused rather than silently ignored.
    with pytest.raises(ValueError, match="augment"):
        kgl.ImageToImageGAN(pair_generator(), pair_discriminator(),
                            augment="translation")
    model = kgl.ImageToImageGAN(pair_generator(), pair_discriminator())
    with pytest.raises(ValueError, match="LeCamPenalty"):
        model.compile(penalties=[kgl.penalties.LeCamPenalty()])


def test_onnx_export_translates_sources_in_onnx_runtime(tmp_path):
    import onnxruntime

    # Dropout in the generator: the export runs it in inference mode.
    gan = make_gan(dropout=0.5, ema_decay=0.5)
    source, target = pairs(16)
    gan.fit(source, target, batch_size=8, epochs=1, verbose=0)
    path = gan.export_generator(tmp_path / "translator.onnx", format="onnx")
    session = onnxruntime.InferenceSession(path)
    assert [i.name for i in session.get_inputs()] == ["source"]
    out = session.run(None, {"source": source[:3]})[0]
    np.testing.assert_allclose(out, to_numpy(gan.ema_generator(source[:3])),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(out, to_numpy(gan.generator(source[:3])))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        gan.export_generator(path, format="onnx")
    with pytest.raises(ValueError, match="'tf_saved_model' or 'onnx'"):
        gan.export_generator(tmp_path / "t.onnx", format="onnx_")
