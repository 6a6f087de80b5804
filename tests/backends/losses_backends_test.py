"""Every loss on every Keras backend, against its NumPy reference: the
losses on logits and the MMD on features (each backend in its own
process: see `run_backend.py`)."""

import backend_inputs as inputs
import numpy as np
import pytest
import reference
from run_backend import BACKENDS
from run_backend import values

#: name -> (discriminator reference, generator reference), per example.
REFERENCES = {
    "hinge": (reference.hinge_d, reference.hinge_g),
    "least_squares": (reference.least_squares_d, reference.least_squares_g),
    "minimax": (reference.minimax_d, reference.minimax_g),
    "non_saturating": (reference.minimax_d, reference.non_saturating_g),
    "relativistic_average": (reference.relativistic_d,
                             reference.relativistic_g),
    "relativistic_pairing": (reference.relativistic_pairing_d,
                             reference.relativistic_pairing_g),
    "wasserstein": (reference.wasserstein_d, reference.wasserstein_g),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_loss_matches_its_reference(backend, name):
    assert set(REFERENCES) == set(inputs.LOSSES)
    got = values(backend)
    for role, ref in zip("dg", REFERENCES[name]):
        expected = [np.mean(ref(real, fake))
                    for real, fake in inputs.LOGIT_PAIRS]
        # float32 softplus/log-sigmoid of logits of order 10: a few ulps.
        # The same after a serialization round trip.
        for key in (f"loss_{name}_{role}", f"round_trip_loss_{name}_{role}"):
            np.testing.assert_allclose(got[key], expected, rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kernel", ["gaussian", "rational_quadratic",
                                    "polynomial"])
def test_maximum_mean_discrepancy_matches_its_reference(backend, kernel):
    got = values(backend)
    ref_kernel = getattr(reference, f"{kernel}_kernel")
    for unbiased in (True, False):
        np.testing.assert_allclose(
            got[f"mmd_{kernel}_{unbiased}"],
            reference.mmd2(inputs.MMD_X, inputs.MMD_Y, ref_kernel,
                           unbiased=unbiased),
            rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mmd_losses_are_minus_and_plus_the_mmd(backend):
    got = values(backend)
    mmd2 = reference.mmd2(inputs.MMD_X[:5], inputs.MMD_Y,
                          reference.gaussian_kernel)
    np.testing.assert_allclose(got["loss_mmd_d"], -mmd2, rtol=1e-5)
    np.testing.assert_allclose(got["loss_mmd_g"], mmd2, rtol=1e-5)
