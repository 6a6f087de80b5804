"""Conditional GANs, the EMA generator, mixed precision, XLA, saving and
resuming, and the SavedModel export."""

import json
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import IMAGE
from nets import LATENT
from nets import conditional_discriminator
from nets import discriminator
from nets import generator
from nets import images
from nets import label_generator
from nets import to_numpy

import keras_gan_losses as kgl
from keras_gan_losses import backend

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

CLASSES = 3


def conditional_nets():
    z = keras.Input((LATENT,), name="z")
    label = keras.Input((), dtype="int32", name="labels")
    onehot = keras.layers.Lambda(
        lambda t: keras.ops.one_hot(t, CLASSES),
        output_shape=(CLASSES,))(label)
    h = keras.layers.Concatenate()([z, onehot])
    h = keras.layers.Dense(16, activation="relu")(h)
    h = keras.layers.Dense(16, activation="tanh")(h)
    g = keras.Model([z, label], keras.layers.Reshape(IMAGE)(h))
    image = keras.Input(IMAGE)
    label_d = keras.Input((), dtype="int32")
    onehot_d = keras.layers.Lambda(
        lambda t: keras.ops.one_hot(t, CLASSES),
        output_shape=(CLASSES,))(label_d)
    h = keras.layers.Concatenate()([keras.layers.Flatten()(image), onehot_d])
    h = keras.layers.Dense(16, activation="relu")(h)
    d = keras.Model([image, label_d], keras.layers.Dense(1)(h))
    return g, d


def labels(n=32):
    return (np.arange(n) % CLASSES).astype("int32")


# --- conditional -----------------------------------------------------------

def test_conditional_fit_generate_and_penalty():
    g, d = conditional_nets()
    gan = kgl.GAN(g, d, num_classes=CLASSES, seed=0)
    gan.compile(d_loss="hinge", g_loss="hinge", penalties=["r1"])
    before = [w.copy() for w in g.get_weights()]
    history = gan.fit(images(), labels(), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["r1_penalty"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, g.get_weights()))
    # Same noise, different classes: different images.
    by_class = [gan.generate(4, labels=c, seed=1) for c in range(CLASSES)]
    assert not np.allclose(by_class[0], by_class[1])
    # The default cycles through the classes.
    cycled = gan.generate(4, seed=1)
    np.testing.assert_allclose(cycled[1], by_class[1][1], rtol=1e-6)
    np.testing.assert_allclose(cycled[3], by_class[0][3], rtol=1e-6)
    data = tf.data.Dataset.from_tensor_slices((images(), labels())).batch(8)
    assert np.isfinite(gan.fit(data, epochs=1, verbose=0, shuffle=False)
                       .history["d_loss"][0])


@pytest.mark.backends("tensorflow", "torch")
def test_conditional_label_errors():
    g, d = conditional_nets()
    gan = kgl.GAN(g, d, num_classes=CLASSES)
    gan.compile()
    with pytest.raises(ValueError, match="needs labels"):
        gan.fit(images(), verbose=0)
    with pytest.raises(ValueError, match=r"in \[0, 3\); found \[3, 7\]"):
        gan.fit(images(4), np.array([0, 3, 7, 1]), verbose=0)
    bad = tf.data.Dataset.from_tensor_slices(
        (images(8), np.array([0, 1, 2, 5] * 2, "int32"))).batch(4)
    before = [w.copy() for w in gan.discriminator.get_weights()]
    with pytest.raises(ValueError, match=r"in \[0, 3\); a batch holds "
                                         r"the label 5"):
        gan.fit(bad, verbose=0, shuffle=False)
    # The bad batch, the first, updated nothing.
    for a, b in zip(before, gan.discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"found \[-1\]"):
        gan.generate(2, labels=[0, -1])
    with pytest.raises(ValueError, match="one id per image"):
        gan.generate(3, labels=[0, 1])


def test_conditional_needs_two_input_networks():
    with pytest.raises(ValueError, match="two inputs"):
        kgl.GAN(generator(), discriminator(), num_classes=CLASSES)
    g, d = conditional_nets()
    with pytest.raises(ValueError, match="pass `num_classes=`"):
        kgl.GAN(g, d)


# --- EMA -------------------------------------------------------------------

class RecordWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.history = []

    def on_train_batch_end(self, batch, logs=None):
        self.history.append([w.copy() for w in
                             self.model.generator.get_weights()])


@pytest.mark.parametrize("start", [0, 2])
def test_ema_follows_the_recurrence(start):
    decay = 0.8
    gan = kgl.GAN(generator(), discriminator(), ema_decay=decay,
                  ema_start=start, seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.5))
    ema = [w.copy() for w in gan.generator.get_weights()]
    record = RecordWeights()
    gan.fit(images(40), batch_size=8, epochs=1, verbose=0,
            callbacks=[record])
    for step, weights in enumerate(record.history, start=1):
        rate = decay if step > start else 0.0
        ema = [rate * e + (1 - rate) * w for e, w in zip(ema, weights)]
    for expected, got in zip(ema, gan.ema_generator.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    raw = gan.generator.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(raw, ema))


@pytest.mark.backends("tensorflow", "torch")
def test_generate_uses_ema_by_default():
    gan = kgl.GAN(generator(), discriminator(), ema_decay=0.9, seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(1.0))
    gan.fit(images(), batch_size=8, epochs=1, verbose=0)
    z = backend.normal((4, LATENT), 7)  # what seed=7 draws
    np.testing.assert_allclose(gan.generate(4, seed=7),
                               to_numpy(gan.ema_generator(z)), rtol=1e-5)
    np.testing.assert_allclose(gan.generate(4, seed=7, use_ema=False),
                               to_numpy(gan.generator(z)), rtol=1e-5)
    assert not np.allclose(gan.generate(4, seed=7),
                           gan.generate(4, seed=7, use_ema=False))
    with pytest.raises(ValueError, match="no EMA"):
        kgl.GAN(generator(), discriminator()).generate(2, use_ema=True)


@pytest.mark.backends("tensorflow")
def test_ema_follows_the_recurrence_under_mirrored_strategy(
        mirrored_strategy):
    decay = 0.5
    strategy = mirrored_strategy
    with strategy.scope():
        gan = kgl.GAN(generator(), discriminator(), ema_decay=decay, seed=0)
        gan.compile(g_optimizer=keras.optimizers.SGD(0.5))
    ema = [w.copy() for w in gan.generator.get_weights()]
    record = RecordWeights()
    data = tf.data.Dataset.from_tensor_slices(images(32)).batch(8)
    gan.fit(data, epochs=1, verbose=0, shuffle=False, callbacks=[record])
    assert len(record.history) == 4
    for weights in record.history:
        ema = [decay * e + (1 - decay) * w for e, w in zip(ema, weights)]
    for expected, got in zip(ema, gan.ema_generator.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# --- mixed precision and XLA -------------------------------------------------

@pytest.fixture
def policy(request):
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.backends("tensorflow", "torch")
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"],
                         indirect=True)
def test_mixed_precision_trains(policy):
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(d_loss="wasserstein", g_loss="wasserstein",
                penalties=[kgl.penalties.GradientPenalty(1.0)])
    scaled = isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")
    assert scaled == isinstance(gan.g_optimizer,
                                keras.optimizers.LossScaleOptimizer)
    assert gan.generator.compute_dtype in ("float16", "bfloat16")
    before = [w.copy() for w in gan.discriminator.get_weights()]
    history = gan.fit(images(), batch_size=8, epochs=2, verbose=0)
    for values in history.history.values():
        assert np.all(np.isfinite(values))
    after = gan.discriminator.get_weights()
    assert all(w.dtype == np.float32 for w in after)
    assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_loss_scale_optimizer_skips_a_non_finite_step():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = kgl.GAN(generator(), discriminator(), seed=0)
        gan.compile()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    before = [w.copy() for w in gan.discriminator.get_weights()]
    bad = images(8)
    bad[0, 0, 0, 0] = np.inf
    # A dataset: an array with an Inf is refused before training.
    data = tf.data.Dataset.from_tensor_slices(bad).batch(8)
    with pytest.warns(RuntimeWarning, match="Non-finite data at epoch 1, "
                                            "step 1"):
        history = gan.fit(data, epochs=1, verbose=0)
    assert history.history["nonfinite_steps"] == [1.0]
    for a, b in zip(before, gan.discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.backends("tensorflow")
@pytest.mark.parametrize("d_loss,penalty", [
    ("wasserstein", "gradient_penalty"), ("non_saturating", "r1"),
    ("hinge", "dragan"), ("relativistic_average", "r2"),
    ("least_squares", None), ("minimax", None),
])
def test_jit_compile_equals_eager_graph(d_loss, penalty):
    weights = []
    for jit in (False, True):
        keras.utils.set_random_seed(1)
        gan = kgl.GAN(generator(), discriminator(), seed=0)
        # SGD, not Adam: Adam's first step is ±lr for any gradient, so a
        # round-off-sized gradient would flip a whole step.
        gan.compile(d_loss=d_loss, g_loss=d_loss, jit_compile=jit,
                    d_optimizer=keras.optimizers.SGD(0.1),
                    g_optimizer=keras.optimizers.SGD(0.1),
                    penalties=[penalty] if penalty else None)
        gan.fit(images(8), batch_size=8, epochs=1, verbose=0)
        weights.append(gan.get_weights())
    # float32 throughout: XLA's CPU kernels (Eigen) and TensorFlow's
    # (oneDNN where enabled) sum in different orders, which moves each
    # gradient by a few float32 ulps (~1e-7 relative), times lr 0.1.
    # 1e-4 / 1e-5 leave room for that on any CPU, not for a step that
    # computes something else (another draw or op moves weights ~1e-2).
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# --- saving, resuming, checkpoints -----------------------------------------

def test_keras_round_trip_keeps_optimizer_state_and_loss_configs(tmp_path):
    gan = kgl.GAN(generator(), discriminator(), ema_decay=0.99, seed=4)
    gan.compile(d_loss=kgl.losses.MinimaxDiscriminatorLoss(
                    label_smoothing=0.1),
                g_loss=kgl.losses.LeastSquaresGeneratorLoss(c=0.5),
                penalties=[kgl.penalties.GradientPenalty(
                    3.0, one_sided=True, name="gp")])
    gan.fit(images(16), batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    restored = keras.models.load_model(path, safe_mode=True)
    assert restored.d_loss.get_config() == gan.d_loss.get_config()
    assert restored.g_loss.get_config()["c"] == 0.5
    assert restored.penalties[0].get_config() == \
        gan.penalties[0].get_config()
    for opt in ("d_optimizer", "g_optimizer"):
        a, b = getattr(gan, opt), getattr(restored, opt)
        assert int(b.iterations) == int(a.iterations) == 2
        for va, vb in zip(a.variables, b.variables):
            np.testing.assert_array_equal(va.numpy(), vb.numpy())
    np.testing.assert_array_equal(restored.noise_state.numpy(),
                                  gan.noise_state.numpy())
    for a, b in zip(gan.ema_generator.get_weights(),
                    restored.ema_generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Both continue identically (on the same batch: unshuffled, as Keras
    # shuffles from a global generator on some backends).
    gan.fit(images(8), batch_size=8, epochs=1, verbose=0, shuffle=False)
    restored.fit(images(8), batch_size=8, epochs=1, verbose=0,
                 shuffle=False)
    for a, b in zip(gan.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.backends("tensorflow", "torch")
def test_model_checkpoint_writes_a_loadable_gan(tmp_path):
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile()
    path = tmp_path / "best.keras"
    gan.fit(images(16), batch_size=8, epochs=2, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(path, monitor="g_loss", mode="min",
                                        save_best_only=True)])
    restored = keras.models.load_model(path)
    assert isinstance(restored, kgl.GAN)
    assert restored.generate(2, seed=0).shape == (2,) + IMAGE


RESUME_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {tests!r})
    import keras, numpy as np, tensorflow as tf
    import keras_gan_losses as kgl
    from nets import discriminator, generator, images
    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == {stop_at}:
                raise KeyboardInterrupt

    gan = kgl.GAN(generator(), discriminator(), ema_decay=0.9)
    gan.compile(d_loss="wasserstein", g_loss="wasserstein",
                penalties=["gradient_penalty", "dragan"])
    callbacks = [keras.callbacks.BackupAndRestore({backup!r})]
    if {stop_at} >= 0:
        callbacks.append(Interrupt())
    try:
        gan.fit(images(32), batch_size=8, epochs=3, shuffle=False,
                verbose=0, callbacks=callbacks)
    except KeyboardInterrupt:
        sys.exit(3)
    np.savez({out!r}, *gan.get_weights())
""")


def run_resume_script(tmp_path, name, stop_at, backup):
    out = str(tmp_path / f"{name}.npz")
    script = RESUME_SCRIPT.format(
        tests=str(pathlib.Path(__file__).parents[1]), stop_at=stop_at,
        backup=str(backup), out=out)
    result = subprocess.run([sys.executable, "-c", script],
                            capture_output=True, text=True, timeout=300)
    return result, out


@pytest.mark.backends("tensorflow", "torch")
def test_backup_and_restore_resume_is_bit_exact(tmp_path):
    full, full_out = run_resume_script(tmp_path, "full", -1,
                                       tmp_path / "backup_full")
    assert full.returncode == 0, full.stderr[-2000:]
    backup = tmp_path / "backup_resumed"
    interrupted, _ = run_resume_script(tmp_path, "cut", 2, backup)
    assert interrupted.returncode == 3, interrupted.stderr[-2000:]
    resumed, resumed_out = run_resume_script(tmp_path, "resumed", -1, backup)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = np.load(full_out), np.load(resumed_out)
    assert len(a.files) == len(b.files) > 0
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])


# --- SavedModel export -----------------------------------------------------

SERVE_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[1])
    z = tf.constant(np.load(sys.argv[2]))
    kwargs = {"z": z}
    if len(sys.argv) > 4:
        kwargs["labels"] = tf.constant(np.load(sys.argv[4]))
    images = loaded.signatures["serving_default"](**kwargs)["images"]
    sample = loaded.signatures["sample"](
        batch_size=tf.constant(5), seed=tf.constant(3, tf.int64))["images"]
    np.savez(sys.argv[3], images=images.numpy(), sample=sample.numpy())
    print(json.dumps({"kgl": "keras_gan_losses" in sys.modules}))
""")


def serve_in_fresh_process(tmp_path, export_dir, z, labels=None):
    np.save(tmp_path / "z.npy", z)
    args = [sys.executable, "-c", SERVE_SCRIPT, str(export_dir),
            str(tmp_path / "z.npy"), str(tmp_path / "out.npz")]
    if labels is not None:
        np.save(tmp_path / "labels.npy", labels)
        args.append(str(tmp_path / "labels.npy"))
    result = subprocess.run(args, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "kgl": False}
    return np.load(tmp_path / "out.npz")


@pytest.mark.backends("tensorflow")
def test_export_runs_in_a_process_without_the_package(tmp_path):
    gan = kgl.GAN(generator(), discriminator(), ema_decay=0.5, seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(1.0))
    gan.fit(images(16), batch_size=8, epochs=1, verbose=0)
    gan.export_generator(tmp_path / "export")
    z = np.random.default_rng(0).normal(size=(3, LATENT)).astype("float32")
    out = serve_in_fresh_process(tmp_path, tmp_path / "export", z)
    np.testing.assert_allclose(out["images"], gan.ema_generator(z),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(out["images"], gan.generator(z))
    assert out["sample"].dtype == np.uint8
    assert out["sample"].shape == (5,) + IMAGE
    expected = np.clip(np.round((gan.generate(5, seed=3) + 1) * 127.5),
                       0, 255)
    np.testing.assert_allclose(out["sample"], expected, atol=1)


@pytest.mark.backends("tensorflow")
def test_conditional_export_takes_labels(tmp_path):
    g, d = conditional_nets()
    gan = kgl.GAN(g, d, num_classes=CLASSES, seed=0)
    gan.export_generator(tmp_path / "export")
    z = np.zeros((3, LATENT), "float32")
    labels_ = np.array([0, 1, 2], "int32")
    out = serve_in_fresh_process(tmp_path, tmp_path / "export", z, labels_)
    np.testing.assert_allclose(out["images"], g([z, labels_]), rtol=1e-5,
                               atol=1e-6)
    assert out["sample"].shape == (5,) + IMAGE


@pytest.mark.backends("tensorflow")
def test_exported_sample_draws_classes_with_the_label_frequencies(tmp_path):
    # The image is the class id at every pixel: 0, 1 and 2 map to the
    # pixels 0, 128 and 255 over value_range (0, 2). Class 1 never drawn.
    gan = kgl.GAN(label_generator(), conditional_discriminator(),
                  num_classes=3, data_range=None,
                  label_frequencies=[0.5, 0.0, 0.5])
    gan.export_generator(tmp_path / "export", value_range=(0.0, 2.0))
    sample = tf.saved_model.load(str(tmp_path / "export")).signatures[
        "sample"]
    pixels = sample(batch_size=tf.constant(400),
                    seed=tf.constant(5, tf.int64))["images"].numpy()
    classes = pixels[:, 0, 0, 0]
    assert set(classes.tolist()) == {0, 255}
    assert abs(np.mean(classes == 255) - 0.5) < 5 * np.sqrt(0.25 / 400)
    again = sample(batch_size=tf.constant(400),
                   seed=tf.constant(5, tf.int64))["images"].numpy()
    np.testing.assert_array_equal(again, pixels)


# --- ONNX --------------------------------------------------------------------

def onnx_images(path, **feeds):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path))
    assert {i.name for i in session.get_inputs()} == set(feeds)
    return session.run(None, feeds)[0]


def test_onnx_export_runs_in_onnx_runtime(tmp_path):
    gan = kgl.GAN(generator(), discriminator(), ema_decay=0.5, seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(1.0))
    gan.fit(images(16), batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "generator.onnx"
    assert gan.export_generator(path, format="onnx") == str(path)
    z = np.random.default_rng(0).normal(size=(3, LATENT)).astype("float32")
    out = onnx_images(path, z=z)
    # The EMA copy, computed by another runtime's float32 kernels.
    np.testing.assert_allclose(out, to_numpy(gan.ema_generator(z)),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(out, to_numpy(gan.generator(z)))
    gan.export_generator(path, format="onnx", use_ema=False, overwrite=True)
    np.testing.assert_allclose(onnx_images(path, z=z),
                               to_numpy(gan.generator(z)),
                               rtol=1e-5, atol=1e-6)


def test_conditional_onnx_export_takes_labels(tmp_path):
    g, d = conditional_nets()
    gan = kgl.GAN(g, d, num_classes=CLASSES, seed=0)
    path = gan.export_generator(tmp_path / "g.onnx", format="onnx")
    z = np.random.default_rng(1).normal(size=(3, LATENT)).astype("float32")
    labels_ = np.array([2, 0, 1], "int32")
    np.testing.assert_allclose(onnx_images(path, z=z, labels=labels_),
                               to_numpy(g([z, labels_])), rtol=1e-5,
                               atol=1e-6)


def test_onnx_export_errors(tmp_path):
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    with pytest.raises(ValueError, match="ends in `.onnx`"):
        gan.export_generator(tmp_path / "generator", format="onnx")
    with pytest.raises(ValueError, match="'tf_saved_model' or 'onnx'"):
        gan.export_generator(tmp_path / "g.onnx", format="tflite")
    with pytest.raises(ValueError, match="no `sample` signature"):
        gan.export_generator(tmp_path / "g.onnx", format="onnx",
                             sample_signature=True)
    existing = tmp_path / "old.onnx"
    existing.write_bytes(b"not yours")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        gan.export_generator(existing, format="onnx")
    assert existing.read_bytes() == b"not yours"
    (tmp_path / "folder.onnx").mkdir()
    with pytest.raises(FileExistsError, match="is a folder"):
        gan.export_generator(tmp_path / "folder.onnx", format="onnx",
                             overwrite=True)
    # Nothing half-written is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "folder.onnx", "old.onnx"]


@pytest.mark.backends("jax", "torch")
def test_saved_model_export_outside_tensorflow_says_to_use_onnx(tmp_path):
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    with pytest.raises(ValueError, match='format="onnx"'):
        gan.export_generator(tmp_path / "generator")
    assert list(tmp_path.iterdir()) == []
