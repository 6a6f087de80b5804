"""NumPy references of every loss and penalty formula, written from the
papers' definitions independently of the package."""

import numpy as np


def softplus(x):
    return np.logaddexp(0.0, x)


def per_example(values):
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(values.shape[0], -1).mean(axis=1)


def minimax_d(r, f, label_smoothing=0.0):
    # Cross-entropy of sigmoid(r) against 1 - s, and of sigmoid(f) against 0.
    s = label_smoothing
    pr = 1.0 / (1.0 + np.exp(-np.asarray(r, np.float64)))
    pf = 1.0 / (1.0 + np.exp(-np.asarray(f, np.float64)))
    real = -((1 - s) * np.log(pr) + s * np.log(1 - pr))
    return per_example(real) + per_example(-np.log(1 - pf))


def minimax_g(r, f):
    pf = 1.0 / (1.0 + np.exp(-np.asarray(f, np.float64)))
    return per_example(np.log(1 - pf))


def non_saturating_g(r, f):
    pf = 1.0 / (1.0 + np.exp(-np.asarray(f, np.float64)))
    return per_example(-np.log(pf))


def least_squares_d(r, f, a=0.0, b=1.0):
    return per_example(0.5 * (np.asarray(r) - b) ** 2) + per_example(
        0.5 * (np.asarray(f) - a) ** 2
    )


def least_squares_g(r, f, c=1.0):
    return per_example(0.5 * (np.asarray(f) - c) ** 2)


def wasserstein_d(r, f):
    return per_example(f) - per_example(r)


def wasserstein_g(r, f):
    return -per_example(f)


def hinge_d(r, f):
    return per_example(np.maximum(0, 1 - np.asarray(r))) + per_example(
        np.maximum(0, 1 + np.asarray(f))
    )


def hinge_g(r, f):
    return -per_example(f)


def relativistic_d(r, f):
    r, f = np.asarray(r, np.float64), np.asarray(f, np.float64)
    return per_example(softplus(-(r - f.mean()))) + per_example(
        softplus(f - r.mean())
    )


def relativistic_g(r, f):
    r, f = np.asarray(r, np.float64), np.asarray(f, np.float64)
    return per_example(softplus(-(f - r.mean()))) + per_example(
        softplus(r - f.mean())
    )
