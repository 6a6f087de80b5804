"""Sample-quality metrics for generative models: FID, KID, precision/recall.

The metric functions take two NumPy arrays of features, shape `(n, d)`, of
real and of generated images, and compute in float64:
`frechet_distance` (FID), `kernel_inception_distance` (KID),
`precision_recall` and `density_coverage`; `evaluate_features` computes
a chosen set of them at once. `classifier_scores` computes the
recognisable rate, class coverage and Inception Score from the class
probabilities of a classifier (`classifier_probabilities`). `psnr` and
`ssim` compare images with reference images pixel by pixel (image-to-image
translation).

Features come from a feature extractor, any Keras model mapping a batch of
images to `(batch, d)`: `inception_v3_extractor()` for natural images, or
`mnist_extractor()` (shipped weights, offline) for 28×28 digits.
`compute_features` runs one over a NumPy array or a `tf.data.Dataset`;
`compute_statistics` streams features into a `FeatureStatistics` (mean and
covariance) that can be cached with `save`/`load` and compared with
`fid_from_statistics`.

Example:

```python
from keras_gan_losses import metrics

extractor = metrics.mnist_extractor()
real = metrics.compute_features(extractor, real_images)  # in [-1, 1]
fake = metrics.compute_features(extractor, generator(noise))
metrics.frechet_distance(real, fake)
```
"""

from keras_gan_losses.metrics.classifier import classifier_probabilities
from keras_gan_losses.metrics.classifier import classifier_scores
from keras_gan_losses.metrics.evaluation import evaluate_features
from keras_gan_losses.metrics.extractors import InceptionV3Resizing
from keras_gan_losses.metrics.extractors import inception_v3_extractor
from keras_gan_losses.metrics.extractors import mnist_classifier
from keras_gan_losses.metrics.extractors import mnist_extractor
from keras_gan_losses.metrics.frechet import frechet_distance
from keras_gan_losses.metrics.frechet import frechet_distance_from_stats
from keras_gan_losses.metrics.kid import kernel_inception_distance
from keras_gan_losses.metrics.nearest_neighbors import density_coverage
from keras_gan_losses.metrics.nearest_neighbors import precision_recall
from keras_gan_losses.metrics.reconstruction import psnr
from keras_gan_losses.metrics.reconstruction import ssim
from keras_gan_losses.metrics.statistics import FeatureStatistics
from keras_gan_losses.metrics.statistics import compute_features
from keras_gan_losses.metrics.statistics import compute_statistics
from keras_gan_losses.metrics.statistics import fid_from_statistics

__all__ = [
    "frechet_distance",
    "frechet_distance_from_stats",
    "kernel_inception_distance",
    "precision_recall",
    "density_coverage",
    "evaluate_features",
    "classifier_scores",
    "classifier_probabilities",
    "psnr",
    "ssim",
    "FeatureStatistics",
    "compute_features",
    "compute_statistics",
    "fid_from_statistics",
    "inception_v3_extractor",
    "mnist_extractor",
    "mnist_classifier",
    "InceptionV3Resizing",
]
