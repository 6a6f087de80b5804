"""Every loss on logits on every Keras backend, against its NumPy
reference (each backend in its own process: see `run_backend.py`)."""

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
        np.testing.assert_allclose(got[f"loss_{name}_{role}"], expected,
                                   rtol=1e-5, atol=1e-6)
