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


def relativistic_pairing_d(r, f):
    # RpGAN (RSGAN): real example i against generated example i.
    r, f = np.asarray(r, np.float64), np.asarray(f, np.float64)
    return per_example(softplus(-(r - f)))


def relativistic_pairing_g(r, f):
    r, f = np.asarray(r, np.float64), np.asarray(f, np.float64)
    return per_example(softplus(-(f - r)))


# --- penalties, from the input gradients of the discriminator -------------
# Each takes the per-example input gradients `grads` (shape (batch, ...)) at
# the points where the penalty must be evaluated and returns the weighted
# scalar penalty.


def gradient_norms(grads):
    grads = np.asarray(grads, np.float64)
    return np.sqrt((grads.reshape(grads.shape[0], -1) ** 2).sum(axis=1))


def gradient_penalty(grads, weight, target=1.0, one_sided=False):
    # Gulrajani et al. 2017: λ E[(‖∇D(x̂)‖ − 1)²]; Petzka et al. 2018 for
    # the one-sided max(0, ‖∇D(x̂)‖ − 1)².
    excess = gradient_norms(grads) - target
    if one_sided:
        excess = np.maximum(excess, 0.0)
    return weight * np.mean(excess ** 2)


def r1_penalty(grads, weight):
    # Mescheder et al. 2018: (γ / 2) E[‖∇D(x)‖²]; R1 on real x, R2 on fakes.
    return weight / 2.0 * np.mean(gradient_norms(grads) ** 2)


def dragan_penalty(grads, weight, k=1.0):
    # Kodali et al. 2017: λ E[(‖∇D(x̂)‖ − k)²] at perturbed real data.
    return weight * np.mean((gradient_norms(grads) - k) ** 2)


def lecam_averages(previous, count, real_logits, fake_logits, decay):
    # Tseng et al. 2021: α_R, α_F exponential moving averages of the mean
    # outputs on real and generated data; the first update copies.
    means = np.array([np.mean(real_logits), np.mean(fake_logits)])
    if count == 0:
        return means
    return decay * np.asarray(previous, np.float64) + (1 - decay) * means


def lecam_penalty(real_logits, fake_logits, alpha_real, alpha_fake, weight,
                  one_sided=True):
    # λ (E[‖D(x) − α_F‖²] + E[‖D(G(z)) − α_R‖²]); the authors' code
    # (google/lecam-gan) takes relu of each difference first.
    above = np.asarray(real_logits, np.float64) - alpha_fake
    below = alpha_real - np.asarray(fake_logits, np.float64)
    if one_sided:
        above, below = np.maximum(above, 0.0), np.maximum(below, 0.0)
    return weight * np.mean(per_example(above ** 2) + per_example(below ** 2))


# --- the analytic critic of the penalty and model tests -------------------


def quadratic_critic(x, scale=1.0, w=None, b=0.0):
    """D(x) = scale · ½‖x‖² + w·x + b per example, and its input gradient
    scale · x + w."""
    x = np.asarray(x, np.float64)
    flat = x.reshape(x.shape[0], -1)
    w = np.zeros(flat.shape[1]) if w is None else np.asarray(w, np.float64)
    logits = scale * 0.5 * (flat ** 2).sum(axis=1) + flat @ w + b
    grads = (scale * flat + w).reshape(x.shape)
    return logits, grads


# --- feature matching -------------------------------------------------------


def feature_matching(real_features, fake_features):
    """Salimans et al. 2016, section 3.1: ‖E f(x) − E f(G(z))‖², the batch
    means of the flattened features compared, here divided by the number
    of features as in their reference code (`T.mean(T.square(m1 - m2))`)."""
    real = np.asarray(real_features, np.float64)
    fake = np.asarray(fake_features, np.float64)
    mean_real = real.reshape(real.shape[0], -1).mean(axis=0)
    mean_fake = fake.reshape(fake.shape[0], -1).mean(axis=0)
    return np.mean((mean_real - mean_fake) ** 2)
# ----------------------------------------------------------------------
# image-to-image pairs and reconstruction metrics


def block_average(images, factor):
    # (n, h, w, c) -> (n, h/f, w/f, c): the mean of each f x f block.
    n, h, w, c = images.shape
    blocks = images.reshape(n, h // factor, factor, w // factor, factor, c)
    return blocks.mean(axis=(2, 4))


def upsample_nearest(images, factor):
    return images.repeat(factor, axis=1).repeat(factor, axis=2)


def upsample_bilinear(images, factor):
    # Half-pixel centres: output pixel i samples the input at
    # (i + 0.5) / factor - 0.5, clamped to the edges, separably.
    def along(x, axis):
        size = x.shape[axis]
        coords = (np.arange(size * factor) + 0.5) / factor - 0.5
        coords = np.clip(coords, 0, size - 1)
        low = np.floor(coords).astype(int)
        high = np.minimum(low + 1, size - 1)
        frac = coords - low
        shape = [1] * x.ndim
        shape[axis] = -1
        frac = frac.reshape(shape)
        return (np.take(x, low, axis=axis) * (1 - frac)
                + np.take(x, high, axis=axis) * frac)

    return along(along(np.asarray(images, np.float64), 1), 2)


def psnr(images, reference, low=-1.0, high=1.0):
    # Per image: 10 log10(MAX^2 / MSE) with images mapped to [0, 1].
    x = (np.asarray(images, np.float64) - low) / (high - low)
    y = (np.asarray(reference, np.float64) - low) / (high - low)
    mse = ((x - y) ** 2).reshape(len(x), -1).mean(axis=1)
    return 10 * np.log10(1.0 / mse)


def gaussian_window(size=11, sigma=1.5):
    t = np.arange(size) - (size - 1) / 2
    g = np.exp(-(t**2) / (2 * sigma**2))
    g /= g.sum()
    return np.outer(g, g)


def ssim(images, reference, low=-1.0, high=1.0, size=11, sigma=1.5,
         k1=0.01, k2=0.03):
    # Wang et al. 2004: mean over the valid positions of the 11x11
    # Gaussian-weighted local SSIM, averaged over channels, per image.
    x = (np.asarray(images, np.float64) - low) / (high - low)
    y = (np.asarray(reference, np.float64) - low) / (high - low)
    window = gaussian_window(size, sigma)
    c1, c2 = (k1 * 1.0) ** 2, (k2 * 1.0) ** 2
    windows_x = np.lib.stride_tricks.sliding_window_view(
        x, (size, size), axis=(1, 2))
    windows_y = np.lib.stride_tricks.sliding_window_view(
        y, (size, size), axis=(1, 2))

    def weighted(a):
        return (a * window).sum(axis=(-2, -1))

    mu_x, mu_y = weighted(windows_x), weighted(windows_y)
    var_x = weighted(windows_x**2) - mu_x**2
    var_y = weighted(windows_y**2) - mu_y**2
    cov = weighted(windows_x * windows_y) - mu_x * mu_y
    local = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return local.mean(axis=(1, 2, 3))


# --- perceptual loss -------------------------------------------------------


def pointwise_extractor(images, w1, b1, w2, b2):
    """The small extractor of the perceptual tests, by hand: a 1×1
    convolution with ReLU (`conv1`), 2×2 average pooling (`pool`), then a
    1×1 convolution without activation (`conv2`); returns the three maps."""
    x = np.asarray(images, np.float64)
    conv1 = np.maximum(np.einsum("bhwc,cd->bhwd", x, w1) + b1, 0.0)
    n, h, w, c = conv1.shape
    pool = conv1[:, : h // 2 * 2, : w // 2 * 2].reshape(
        n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))
    conv2 = np.einsum("bhwc,cd->bhwd", pool, w2) + b2
    return {"conv1": conv1, "pool": pool, "conv2": conv2}


def perceptual(true_maps, pred_maps, layer_weights, distance="l1"):
    """Johnson et al. 2016 / Ledig et al. 2017: per example
    Σ_l w_l mean(|φ_l(y) − φ_l(ŷ)|^p), p = 1 ("l1") or 2 ("l2")."""
    total = 0.0
    for a, b, w in zip(true_maps, pred_maps, layer_weights):
        diff = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
        if distance == "l2":
            diff = diff ** 2
        total = total + w * diff.reshape(diff.shape[0], -1).mean(axis=1)
    return total


def caffe_preprocess(images, low=-1.0, high=1.0):
    """Keras's VGG `preprocess_input` (mode "caffe") on images in
    [low, high]: to 0..255, RGB → BGR, minus the ImageNet BGR means."""
    x = (np.asarray(images, np.float64) - low) * 255.0 / (high - low)
    return x[..., ::-1] - np.array([103.939, 116.779, 123.68])


# --- maximum mean discrepancy ---------------------------------------------


def gaussian_kernel(a, b, bandwidths=(1.0, 2.0, 4.0, 8.0, 16.0)):
    # Li et al. 2017: Σ_σ exp(−‖a − b‖² / (2σ²)).
    d2 = float(np.sum((np.asarray(a, np.float64) - b) ** 2))
    return sum(np.exp(-d2 / (2.0 * s * s)) for s in bandwidths)


def rational_quadratic_kernel(a, b, alphas=(0.2, 0.5, 1.0, 2.0, 5.0)):
    # Bińkowski et al. 2018: Σ_α (1 + ‖a − b‖² / (2α))^(−α).
    d2 = float(np.sum((np.asarray(a, np.float64) - b) ** 2))
    return sum((1.0 + d2 / (2.0 * al)) ** (-al) for al in alphas)


def polynomial_kernel(a, b, degree=3, gamma=None, coef0=1.0):
    a = np.asarray(a, np.float64)
    gamma = 1.0 / a.shape[-1] if gamma is None else gamma
    return (gamma * float(np.dot(a, b)) + coef0) ** degree


def mmd2(x, y, kernel, unbiased=True):
    """Squared MMD, one kernel evaluation at a time (Gretton et al. 2012):
    the U-statistic leaves out i = i' and j = j' and divides by n(n − 1);
    the V-statistic keeps them and divides by n²."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    n, m = len(x), len(y)
    xx = yy = xy = 0.0
    for i in range(n):
        for j in range(n):
            if i != j or not unbiased:
                xx += kernel(x[i], x[j])
    for i in range(m):
        for j in range(m):
            if i != j or not unbiased:
                yy += kernel(y[i], y[j])
    for i in range(n):
        for j in range(m):
            xy += kernel(x[i], y[j])
    if unbiased:
        return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (n * m)
    return xx / (n * n) + yy / (m * m) - 2.0 * xy / (n * m)


def numerical_gradient(fn, value, step=1e-5):
    """Central differences of a scalar function of an array, in float64."""
    value = np.array(value, np.float64)
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        plus, minus = value.copy(), value.copy()
        plus[index] += step
        minus[index] -= step
        grad[index] = (fn(plus) - fn(minus)) / (2.0 * step)
    return grad


def witness_penalty(points, real_features, fake_features, kernel, matrix,
                    weight, target=1.0):
    """Bińkowski et al. 2018's penalty for a linear critic D(u) = matrix·u:
    λ mean (‖∇_u f(u)‖ − target)², f(u) = mean_j k(Du, D r_j) −
    mean_j k(Du, D f_j), the gradient by central differences."""
    matrix = np.asarray(matrix, np.float64)

    def witness(u):
        feature = matrix @ u
        return (np.mean([kernel(feature, r) for r in real_features])
                - np.mean([kernel(feature, f) for f in fake_features]))

    norms = [np.linalg.norm(numerical_gradient(witness, u))
             for u in np.asarray(points, np.float64)]
    return weight * np.mean((np.asarray(norms) - target) ** 2)
