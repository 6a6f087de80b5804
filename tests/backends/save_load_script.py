"""Under `KERAS_BACKEND`: `python save_load_script.py OUT [IN...]` loads
the GANs that other backends saved in the folders `IN`, then trains one
and saves it in `OUT` (`-` for none); prints what `save_load_test.py`
compares, as JSON: `{"saved": report, "loaded": [report, ...]}`, each
report the images of fixed latents and labels, the weights and the
optimizers' step counts."""

import json
import pathlib
import sys

import keras
import numpy as np
from conditional_nets import conditional_nets

import keras_gan_losses as kgl

LATENT, CLASSES = 4, 3


def nets():
    return conditional_nets(LATENT, CLASSES, (2, 2, 2), width=8)


def data():
    rng = np.random.default_rng(0)
    return (rng.uniform(-1, 1, (16, 2, 2, 2)).astype("float32"),
            rng.integers(0, CLASSES, 16).astype("int32"))


def report(gan):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, LATENT)).astype("float32")
    labels = np.array([0, 1, 2, 0, 1, 2])
    images = {
        "ema": gan.generate(latent=z, labels=labels).tolist(),
        "raw": gan.generate(latent=z, labels=labels, use_ema=False).tolist(),
    }
    weights = [np.asarray(w, "float64").ravel().tolist()
               for w in gan.get_weights()]
    return {"backend": keras.backend.backend(), "images": images,
            "weights": weights,
            "iterations": [int(gan.d_optimizer.iterations.numpy()),
                           int(gan.g_optimizer.iterations.numpy())]}


def main():
    out, sources = sys.argv[1], [pathlib.Path(f) for f in sys.argv[2:]]
    loaded = [report(keras.models.load_model(f / "gan.keras"))
              for f in sources]
    saved = None
    if out != "-":
        x, y = data()
        keras.utils.set_random_seed(0)
        generator, discriminator = nets()
        gan = kgl.GAN(generator, discriminator, num_classes=CLASSES,
                      ema_decay=0.5, seed=1)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-2),
                    g_optimizer=keras.optimizers.Adam(1e-2),
                    penalties=[kgl.penalties.R1Penalty(1.0)])
        gan.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        gan.save(pathlib.Path(out) / "gan.keras")
        saved = report(gan)
    print(json.dumps({"saved": saved, "loaded": loaded}))

if __name__ == "__main__":
    main()
