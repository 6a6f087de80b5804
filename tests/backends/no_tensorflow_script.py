"""Run by `no_tensorflow_test.py` under `KERAS_BACKEND=jax` or `torch`,
with a Python path on which TensorFlow is not installed: trains a small
conditional GAN with EMA and the callbacks a user adds, generates, saves
and loads it, and prints a JSON report, including whether anything
imported TensorFlow."""

import importlib.util
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
installed = importlib.util.find_spec("tensorflow") is not None

import keras  # noqa: E402
import numpy as np  # noqa: E402
from conditional_nets import conditional_nets  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402

after_import = "tensorflow" in sys.modules


rng = np.random.default_rng(0)
images = rng.uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
labels = np.arange(64) % 3
generator, discriminator = conditional_nets(8, 3, (28, 28, 1), width=16)
gan = kgl.GAN(generator, discriminator, latent_dim=8, num_classes=3,
              ema_decay=0.9, seed=1)
gan.compile(g_optimizer=keras.optimizers.Adam(1e-3),
            d_optimizer=keras.optimizers.Adam(1e-3),
            penalties=[kgl.penalties.R1Penalty(weight=1.0)])
evaluation = kgl.callbacks.GANEvaluation(
    (images, labels), feature_extractor="mnist", num_samples=32,
    metrics=("fid",))
gan.fit(images, labels, batch_size=16, epochs=2, verbose=0, callbacks=[
    kgl.callbacks.TrainingMonitor(),
    kgl.callbacks.SampleGrid(out / "samples", num_samples=9),
    kgl.callbacks.TrainingCurves(out / "curves.png"),
    evaluation,
    kgl.callbacks.BackupAndRestore(out / "backup"),
])
before = gan.generate(6, seed=3)
gan.save(out / "gan.keras")
loaded = keras.models.load_model(out / "gan.keras")
print(json.dumps({
    "backend": keras.backend.backend(),
    "tensorflow_installed": installed,
    "tensorflow_after_import": after_import,
    "tensorflow_at_end": "tensorflow" in sys.modules,
    "g_steps": int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations)),
    "grids": sorted(p.name for p in (out / "samples").glob("*.png")),
    "curves": (out / "curves.png").is_file(),
    "fid": evaluation.history["fid"],
    "max_difference_after_load": float(np.max(np.abs(
        keras.ops.convert_to_numpy(before)
        - keras.ops.convert_to_numpy(loaded.generate(6, seed=3))))),
}))
