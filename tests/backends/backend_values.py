"""Computes every loss and penalty on the Keras backend of the
environment (`KERAS_BACKEND`) and prints the values as JSON: run by
`run_backend.values` once per backend, in its own process (Keras fixes its
backend at import).

The inputs come from `backend_inputs.py`, which the tests share to compute
the NumPy references.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import backend_inputs as inputs  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402


def tanh_critic():
    """D(x) = v·tanh(W x + b) + c, the weights of `penalty_inputs`."""
    critic = keras.Sequential([
        keras.Input((inputs.DIM,)),
        keras.layers.Dense(inputs.HIDDEN, activation="tanh"),
        keras.layers.Dense(1),
    ])
    critic.set_weights([inputs.W.T, inputs.B, inputs.V[:, None],
                        np.array([inputs.C])])
    return critic


def linear_features():
    """The witness penalty's critic: features = M x."""
    critic = keras.Sequential([
        keras.Input((inputs.DIM,)),
        keras.layers.Dense(inputs.FEATURES, use_bias=False),
    ])
    critic.set_weights([inputs.M.T])
    return critic


def weight_gradient(penalty, critic, real, fake):
    """d penalty / d (first layer's kernel), through the input gradients:
    the double backpropagation of a discriminator update."""
    kernel = critic.layers[0].kernel
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        def value(kernel_value):
            others = [v for v in critic.trainable_variables
                      if v is not kernel]
            mapping = [(kernel, kernel_value)] + [(v, v.value)
                                                  for v in others]
            with keras.StatelessScope(state_mapping=mapping):
                return penalty(critic, real, fake)

        return np.asarray(jax.grad(value)(kernel.value))
    if backend == "torch":
        value = penalty(critic, real, fake)
        value.backward()
        grad = kernel.value.grad.detach().cpu().numpy()
        kernel.value.grad = None
        return grad
    import tensorflow as tf

    with tf.GradientTape() as tape:
        value = penalty(critic, real, fake)
    return tape.gradient(value, kernel).numpy()


def round_trip(obj):
    """`obj` after Keras's serialization (what a `.keras` file keeps)."""
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(obj)))
    return keras.saving.deserialize_keras_object(config)


def number(value):
    return float(ops.convert_to_numpy(ops.stop_gradient(value)))


def main():
    critic = tanh_critic()
    real, fake = inputs.REAL, inputs.FAKE
    pk = kgl.penalties
    values = {
        "backend": keras.backend.backend(),
        "r1": number(pk.R1Penalty(2.0)(critic, real, fake)),
        "r2": number(pk.R2Penalty(2.0)(critic, real, fake)),
        # real == fake: every interpolate is `real`, whatever the draws.
        "gradient_penalty": number(
            pk.GradientPenalty(10.0)(critic, real, real)),
        "gradient_penalty_one_sided": number(
            pk.GradientPenalty(10.0, one_sided=True)(critic, real, real)),
        # c = 0: no perturbation, the gradients at `real`.
        "dragan": number(pk.DRAGANPenalty(10.0, k=0.5, c=0.0)(
            critic, real, fake, seed=3)),
        "gp_seeded_twice": [number(pk.GradientPenalty(10.0)(
            critic, real, fake, seed=7)) for _ in range(2)],
        "gp_other_seed": number(pk.GradientPenalty(10.0)(
            critic, real, fake, seed=8)),
        "r1_weight_gradient": weight_gradient(
            pk.R1Penalty(2.0), critic, real, fake).tolist(),
    }
    lecam = pk.LeCamPenalty(0.5, decay=0.9)
    lecam.build()
    logits = (inputs.REAL_LOGITS, inputs.FAKE_LOGITS)
    first = lecam.updated_averages(*map(np.mean, logits))
    lecam.assign(first)
    second = lecam.updated_averages(
        np.mean(inputs.REAL_LOGITS_2), np.mean(inputs.FAKE_LOGITS_2))
    values["lecam_averages"] = ops.convert_to_numpy(second).tolist()
    values["lecam"] = number(lecam.from_logits(
        inputs.REAL_LOGITS_2, inputs.FAKE_LOGITS_2, second))
    witness = pk.WitnessGradientPenalty(
        1.0, kernel="gaussian", bandwidths=inputs.BANDWIDTHS)
    features = linear_features()
    witness_outputs = (features(inputs.WITNESS_REAL),
                       features(inputs.WITNESS_FAKE))
    values["witness"] = number(witness(features, real, real,
                                       outputs=witness_outputs))
    # Each loss, and the same loss after a serialization round trip.
    for name, (d_loss, g_loss) in sorted(kgl.losses.NAMES.items()):
        if name in inputs.LOSSES:
            for role, cls in (("d", d_loss), ("g", g_loss)):
                for prefix, loss in (("", cls()), ("round_trip_",
                                                   round_trip(cls()))):
                    values[f"{prefix}loss_{name}_{role}"] = [
                        number(loss(r, f)) for r, f in inputs.LOGIT_PAIRS]
    for kernel in ("gaussian", "rational_quadratic", "polynomial"):
        for unbiased in (True, False):
            values[f"mmd_{kernel}_{unbiased}"] = number(
                kgl.losses.maximum_mean_discrepancy(
                    inputs.MMD_X, inputs.MMD_Y, kernel=kernel,
                    unbiased=unbiased))
    # The same penalties after a serialization round trip.
    values["round_trip_r2"] = number(round_trip(pk.R2Penalty(2.0))(
        critic, real, fake))
    values["round_trip_gradient_penalty_one_sided"] = number(round_trip(
        pk.GradientPenalty(10.0, one_sided=True))(critic, real, real))
    values["round_trip_dragan"] = number(round_trip(
        pk.DRAGANPenalty(10.0, k=0.5, c=0.0))(critic, real, fake, seed=3))
    values["round_trip_witness"] = number(round_trip(witness)(
        features, real, real, outputs=witness_outputs))
    real, fake = inputs.MMD_X[:5], inputs.MMD_Y
    values["loss_mmd_d"] = number(kgl.losses.MMDDiscriminatorLoss()(
        real, fake))
    values["loss_mmd_g"] = number(kgl.losses.MMDGeneratorLoss()(real, fake))
    print(json.dumps(values))


if __name__ == "__main__":
    main()
