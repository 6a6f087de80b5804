"""Every penalty on every Keras backend, against its NumPy reference.

Keras fixes its backend when it is imported, so each backend runs
`backend_values.py` in its own process (`KERAS_BACKEND`); the values are
compared here with the formulas of `tests/reference.py`. The input
gradients are the part that differs per backend (`tf.GradientTape`,
`jax.grad`, `torch.autograd.grad`), and R1's gradient with respect to the
critic's weights checks that they can be differentiated again, as a
discriminator update does.
"""

import functools

import backend_inputs as inputs
import numpy as np
import pytest
import reference
from run_backend import BACKENDS
from run_backend import values

# The backends compute in float32 (a few roundings of unit roundoff
# 6e-8 on values of order 1-100); the references in float64.
RTOL = 1e-5


@pytest.fixture(params=BACKENDS)
def got(request):
    return values(request.param)


def test_r1_and_r2_use_the_gradients_on_real_and_fake_data(got):
    np.testing.assert_allclose(got["r1"], reference.r1_penalty(
        inputs.critic_input_gradients(inputs.REAL), 2.0), rtol=RTOL)
    np.testing.assert_allclose(got["r2"], reference.r1_penalty(
        inputs.critic_input_gradients(inputs.FAKE), 2.0), rtol=RTOL)


def test_gradient_penalties(got):
    grads = inputs.critic_input_gradients(inputs.REAL)
    np.testing.assert_allclose(
        got["gradient_penalty"],
        reference.gradient_penalty(grads, 10.0), rtol=RTOL)
    np.testing.assert_allclose(
        got["gradient_penalty_one_sided"],
        reference.gradient_penalty(grads, 10.0, one_sided=True), rtol=RTOL)
    np.testing.assert_allclose(
        got["dragan"], reference.dragan_penalty(grads, 10.0, k=0.5),
        rtol=RTOL)


def test_seeded_draws_repeat_and_differ_by_seed(got):
    first, second = got["gp_seeded_twice"]
    assert first == second
    assert got["gp_other_seed"] != first


def test_r1_is_differentiable_again_with_respect_to_the_weights(got):
    # d/dW of (γ/2) mean ‖∇ₓD(x)‖², by central differences of the float64
    # formula.
    def r1_of(w):
        return reference.r1_penalty(
            inputs.critic_input_gradients(inputs.REAL, w), 2.0)

    # Keras's Dense kernel is Wᵀ.
    expected = reference.numerical_gradient(r1_of, inputs.W).T
    np.testing.assert_allclose(got["r1_weight_gradient"], expected,
                               rtol=1e-4, atol=1e-6)


def test_lecam(got):
    first = reference.lecam_averages(None, 0, inputs.REAL_LOGITS,
                                     inputs.FAKE_LOGITS, 0.9)
    second = reference.lecam_averages(first, 1, inputs.REAL_LOGITS_2,
                                      inputs.FAKE_LOGITS_2, 0.9)
    np.testing.assert_allclose(got["lecam_averages"], second, rtol=RTOL)
    np.testing.assert_allclose(got["lecam"], reference.lecam_penalty(
        inputs.REAL_LOGITS_2, inputs.FAKE_LOGITS_2, second[0], second[1],
        0.5), rtol=RTOL)


def test_witness_gradient_penalty(got):
    matrix = np.asarray(inputs.M, np.float64)
    expected = reference.witness_penalty(
        inputs.REAL, inputs.WITNESS_REAL @ matrix.T,
        inputs.WITNESS_FAKE @ matrix.T,
        functools.partial(reference.gaussian_kernel,
                          bandwidths=inputs.BANDWIDTHS),
        matrix, 1.0)
    # The reference differentiates by central differences (error ~1e-10
    # relative at step 1e-5 on these smooth kernels).
    np.testing.assert_allclose(got["witness"], expected, rtol=1e-5)


def test_penalties_keep_their_settings_through_serialization(got):
    grads = inputs.critic_input_gradients(inputs.REAL)
    np.testing.assert_allclose(got["round_trip_r2"], reference.r1_penalty(
        inputs.critic_input_gradients(inputs.FAKE), 2.0), rtol=RTOL)
    np.testing.assert_allclose(
        got["round_trip_gradient_penalty_one_sided"],
        reference.gradient_penalty(grads, 10.0, one_sided=True), rtol=RTOL)
    np.testing.assert_allclose(
        got["round_trip_dragan"],
        reference.dragan_penalty(grads, 10.0, k=0.5), rtol=RTOL)
    assert got["round_trip_witness"] == got["witness"]
