"""Fixed inputs of the backend conformance checks of the losses and
penalties."""

import numpy as np

DIM, HIDDEN, FEATURES = 5, 7, 3
_rng = np.random.default_rng(20261207)
W = _rng.normal(size=(HIDDEN, DIM)).astype("float32") * 0.6
B = _rng.normal(size=HIDDEN).astype("float32") * 0.3
V = _rng.normal(size=HIDDEN).astype("float32")
C = np.float32(0.2)
REAL = _rng.normal(size=(6, DIM)).astype("float32")
FAKE = (_rng.normal(size=(6, DIM)) * 1.5 + 0.5).astype("float32")
M = _rng.normal(size=(FEATURES, DIM)).astype("float32") * 0.5
WITNESS_REAL = _rng.normal(size=(4, DIM)).astype("float32")
WITNESS_FAKE = (_rng.normal(size=(4, DIM)) + 1.0).astype("float32")
BANDWIDTHS = (1.0, 2.0)
REAL_LOGITS = np.array([1.5, 0.5, 2.0, -0.5], "float32")
FAKE_LOGITS = np.array([-1.0, 0.3, -2.0, 0.1], "float32")
REAL_LOGITS_2 = np.array([0.2, 1.0, -0.4, 0.9], "float32")
FAKE_LOGITS_2 = np.array([0.6, -0.8, 0.4, 1.2], "float32")
#: Logits of the losses: a batch of scalars and a batch of 3×3 patches.
LOGIT_PAIRS = [
    tuple((_rng.normal(size=shape) * 3).astype("float32") for _ in "rf")
    for shape in ((6, 1), (6, 3, 3, 1))
]
#: Feature batches of the MMD (7 and 5 examples of 3 features).
MMD_X = _rng.normal(size=(7, 3)).astype("float32")
MMD_Y = (_rng.normal(size=(5, 3)) * 1.5 + 0.7).astype("float32")
#: The losses on logits (the MMD loss takes features: `MMD_X`, `MMD_Y`).
LOSSES = ("hinge", "least_squares", "minimax", "non_saturating",
          "relativistic_average", "relativistic_pairing", "wasserstein")


def critic_input_gradients(x, w=W):
    """∇ₓ D(x) for D(x) = v·tanh(W x + b) + c, in float64, per row."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    h = np.tanh(x @ w.T + B)
    return ((1.0 - h ** 2) * V) @ w
