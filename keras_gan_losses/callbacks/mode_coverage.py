"""Mode coverage of a generator's samples, by a classifier: which modes
(classes) it draws, how far from the data's shares, and which it drops.

`TrainingMonitor(classifier=...)` measures it during training; it can be
used on its own too.
"""

import dataclasses
import math

import numpy as np

from keras_gan_losses.metrics.classifier import classifier_probabilities
from keras_gan_losses.metrics.extractors import mnist_classifier

#: A mode counts as dropped when the generator draws it less than this
#: share of the data's rate.
DROP_SHARE = 0.25
#: Samples per mode measured (at least `MIN_SAMPLES`, at most
#: `MAX_SAMPLES` in all).
SAMPLES_PER_MODE = 10
MIN_SAMPLES, MAX_SAMPLES = 2000, 20000


@dataclasses.dataclass
class Coverage:
    """One measurement of mode coverage.

    Attributes:
        samples (int): Generated samples classified.
        num_modes (int): Modes of the data (classes the reference holds).
        covered (int): Modes with at least one sample.
        kl (float): KL(generated ‖ data) of the mode histograms, over the
            data's modes (natural log; 0 when the shares match).
        dropped (list[int]): Modes drawn less than `DROP_SHARE` of the
            data's rate (and expected at least 4 times), most missed first.
        expected_dropped (float): How many modes a generator drawing
            exactly the data's shares would show as dropped, by chance.
        dropping (bool): Whether `dropped` is too long to be chance: more
            than `expected + 3·√expected + 1` (a Poisson bound).
    """

    samples: int
    num_modes: int
    covered: int
    kl: float
    dropped: list
    expected_dropped: float
    dropping: bool

    def as_dict(self):
        """The fields, as a JSON-ready dict."""
        return dataclasses.asdict(self)


class ModeCoverage:
    """Counts the modes of a generator's samples with a classifier.

    The classifier gives each sample a mode: its class, or for
    `classifier="mnist"` on images with `c` channels, the digits of its
    channels read as one number (StackedMNIST's 1,000 modes for 3
    channels). The data's shares of the modes (`reference`) are the
    baseline: a mode is dropped when the generator draws it less than a
    quarter as often as the data holds it, and the generator is
    *dropping modes* when more modes are dropped than sampling noise
    explains.

    Args:
        classifier (str | keras.Model | Callable): `"mnist"` for the
            shipped MNIST classifier (28×28 images in [-1, 1], channel by
            channel), or a model mapping images to class probabilities
            `(batch, num_classes)`.
        reference (np.ndarray | None): The data's modes: a 1-D array of
            int class ids (the data's labels), or real images (classified
            like the samples). `None`: every mode of the classifier is
            equally likely.
        num_samples (int | None): Samples generated per measurement.
            Defaults to 10 per mode, between 2,000 and 20,000.
        seed (int): Seed of the samples' latent vectors (the same every
            measurement, so that measurements compare).

    Example:

    ```python
    coverage = ModeCoverage("mnist", reference=real_images)
    result = coverage.measure(gan)
    print(result.covered, result.num_modes, result.dropped)
    ```
    """

    def __init__(self, classifier="mnist", reference=None, num_samples=None,
                 seed=0):
        if not (classifier == "mnist" or callable(classifier)):
            raise ValueError(
                "`classifier` must be 'mnist' or a model mapping images to "
                f"class probabilities. Received: {classifier!r}"
            )
        self.classifier = classifier
        self.reference = reference
        self.num_samples = num_samples
        self.seed = seed
        self._shares = None

    def modes(self, images):
        """Each image's mode, an int array."""
        images = np.asarray(images, "float32")
        if self.classifier != "mnist":
            return classifier_probabilities(
                images, self.classifier).argmax(axis=1)
        channels = images.shape[-1]
        flat = np.moveaxis(images, -1, 1).reshape(-1, *images.shape[1:3], 1)
        digits = classifier_probabilities(
            flat, self._mnist()).argmax(axis=1).reshape(-1, channels)
        return digits @ (10 ** np.arange(channels - 1, -1, -1))

    def _mnist(self):
        if not hasattr(self, "_mnist_model"):
            self._mnist_model = mnist_classifier()
        return self._mnist_model

    def shares(self, num_modes):
        """The data's share of each mode (`reference`), computed once."""
        if self._shares is None:
            if self.reference is None:
                counts = np.ones(num_modes)
            else:
                reference = np.asarray(self.reference)
                modes = reference.astype(int) if reference.ndim == 1 \
                    else self.modes(reference)
                counts = np.bincount(modes, minlength=num_modes)
            self._shares = counts / counts.sum()
        return self._shares

    def measure(self, gan):
        """Generates samples with `gan.generate` and measures them.

        Returns:
            Coverage: The measurement.
        """
        num_modes = self._num_modes(gan)
        n = self.num_samples or int(np.clip(
            SAMPLES_PER_MODE * num_modes, MIN_SAMPLES, MAX_SAMPLES))
        return self.measure_modes(
            self.modes(gan.generate(n, seed=self.seed)), num_modes)

    def measure_modes(self, modes, num_modes=None):
        """Measures given modes (e.g. `modes(samples)`) against the data.

        Args:
            modes (np.ndarray): The samples' modes, ints.
            num_modes (int | None): The number of modes the classifier
                tells apart. Defaults to the reference's.

        Returns:
            Coverage: The measurement.
        """
        modes = np.asarray(modes).astype(int)
        if num_modes is None:
            num_modes = int(len(self.shares(1)))
        shares = self.shares(num_modes)
        n = len(modes)
        counts = np.bincount(modes, minlength=len(shares))[:len(shares)]
        present = shares > 0
        generated = counts / n
        p = generated[present & (counts > 0)]
        q = shares[present & (counts > 0)]
        kl = float(np.sum(p * np.log(p / q)))
        expected = n * shares
        # A mode expected fewer than 4 times cannot be told dropped.
        testable = expected >= 4.0
        low = testable & (counts < DROP_SHARE * expected)
        order = np.argsort(counts[low] / expected[low], kind="stable")
        dropped = [int(m) for m in np.flatnonzero(low)[order]]
        chance = float(sum(
            _poisson_cdf(math.ceil(DROP_SHARE * lam) - 1, lam)
            for lam in expected[testable]))
        return Coverage(
            samples=n, num_modes=int(present.sum()),
            covered=int((present & (counts > 0)).sum()), kl=kl,
            dropped=dropped, expected_dropped=chance,
            dropping=len(dropped) > chance + 3 * math.sqrt(chance) + 1,
        )

    @staticmethod
    def result_from(fields):
        """A `Coverage` from `Coverage.as_dict()`'s fields (extra keys,
        such as a history's `epoch`, are left out)."""
        names = [f.name for f in dataclasses.fields(Coverage)]
        return Coverage(**{name: fields[name] for name in names})

    def _num_modes(self, gan):
        if self.classifier == "mnist":
            return 10 ** int(gan.image_shape[-1])
        probabilities = classifier_probabilities(
            gan.generate(2, seed=self.seed), self.classifier)
        return int(probabilities.shape[1])


def _poisson_cdf(k, lam):
    """P(X ≤ k) for X ~ Poisson(lam) (0 for k < 0)."""
    if k < 0:
        return 0.0
    term = total = math.exp(-lam)
    for i in range(1, k + 1):
        term *= lam / i
        total += term
    return min(total, 1.0)
