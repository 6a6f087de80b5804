"""Perceptual (feature reconstruction) loss on a frozen feature extractor.

Johnson et al., "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution", 2016 (https://arxiv.org/abs/1603.08155); Ledig et al.,
"Photo-Realistic Single Image Super-Resolution Using a Generative
Adversarial Network", 2017 (https://arxiv.org/abs/1609.04802).
"""

import base64
import math
import os

import keras
import numpy as np
from keras import ops

from keras_gan_losses.utils.lazy import tf

#: The convolution and pooling layers of the Keras VGG networks, in order.
#: Keras's convolutions include their ReLU, so `block2_conv2` is relu2_2.
VGG_LAYERS = {
    "vgg16": tuple(
        f"block{b}_{kind}"
        for b, convs in enumerate((2, 2, 3, 3, 3), start=1)
        for kind in [f"conv{i}" for i in range(1, convs + 1)] + ["pool"]
    ),
    "vgg19": tuple(
        f"block{b}_{kind}"
        for b, convs in enumerate((2, 2, 4, 4, 4), start=1)
        for kind in [f"conv{i}" for i in range(1, convs + 1)] + ["pool"]
    ),
}
#: Default layers: Johnson et al. 2016's feature reconstruction loss
#: (VGG16 relu2_2) and Ledig et al. 2017's VGG loss (VGG19 φ5,4, the ReLU
#: output of the 4th convolution before the 5th max pooling).
DEFAULT_LAYERS = {"vgg16": ("block2_conv2",), "vgg19": ("block5_conv4",)}
#: The ImageNet channel means that caffe-style preprocessing subtracts
#: (`keras.applications.vgg19.preprocess_input`), in BGR order, on 0..255.
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
_NOTOP_FILES = {
    "vgg16": "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "vgg19": "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
}
_DISTANCES = ("l1", "l2")


@keras.saving.register_keras_serializable(package="keras_gan_losses")
class PerceptualLoss(keras.losses.Loss):
    r"""Perceptual loss: distances between the feature maps of two images.

    For each example, the weighted sum over the chosen layers `l` of a
    frozen extractor `φ` of the mean, over the positions and channels of
    the layer's feature map, of the absolute (`"l1"`) or squared (`"l2"`)
    difference between the features of the two images.

    Formula:

    $$
    \text{loss}(y, \hat y) = \sum_l w_l \,
    \frac{1}{C_l H_l W_l} \big\| \phi_l(y) - \phi_l(\hat y) \big\|_p^p,
    \qquad p \in \{1, 2\}
    $$

    The defaults are the standard choices of the two papers that made the
    loss popular: `extractor="vgg16"` uses VGG16 relu2_2 (`"block2_conv2"`),
    the layer of Johnson et al. 2016's feature reconstruction loss, and
    `extractor="vgg19"` (the default) uses VGG19 φ5,4 (`"block5_conv4"`),
    Ledig et al. 2017's SRGAN "VGG loss". Johnson et al. use the squared
    distance (`distance="l2"`); Ledig et al. the squared distance too, with
    the features rescaled by about 1/12.75 (`distance="l2"`,
    `layer_weights=[1 / 12.75**2]`);
    `"l1"`, this loss's default, is the common modern choice (e.g.
    ESRGAN, pix2pixHD).

    With a VGG extractor, images with pixel values in `value_range` are
    mapped to 0..255, flipped from RGB to BGR and centred by the ImageNet
    channel means (`caffe` preprocessing, as
    `keras.applications.vgg19.preprocess_input`); grayscale images are
    tiled to three channels; images smaller than `min_size` pixels on
    their shorter side are resized up bilinearly (same factor on both
    sides) so that the deepest VGG layers keep a spatial extent. A custom
    extractor receives the images unchanged except that grayscale images
    are tiled when its input takes three channels.

    The features are always computed in float32 (the VGG extractor is
    built with the float32 dtype policy, also under `mixed_float16`),
    and the extractor is frozen: the gradient flows to the images only.
    The extractor is built on first use (or when `feature_extractor` is
    read); under `tf.distribute`, read `loss.feature_extractor` once inside
    `strategy.scope()` so that its weights are created there.

    Args:
        extractor (str | keras.Model): `"vgg19"` (default) or `"vgg16"` for
            `keras.applications` VGG without its classifier head, or any
            Keras functional model, whose layers `layers` names.
        layers (str | list[str] | None): Names of the extractor's layers
            whose outputs are compared. `None` (default) takes the papers'
            layer for VGG (see above); it is required for a custom model.
        layer_weights (list[float] | None): Non-negative weight of each
            layer, same length as `layers`; `None` for all 1.
        distance (str): `"l1"` (default) for mean absolute differences,
            `"l2"` for mean squared differences.
        value_range (tuple[float, float]): Range of the images' pixel values
            (VGG only). Defaults to `(-1, 1)`, the generators' `tanh` range.
        weights (str | None): VGG weights: `"imagenet"` (default) downloads
            the Keras ImageNet weights when the loss is first called (never
            when it is built or loaded); the path of a local copy of
            `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` (or the
            `vgg16_...` file) for offline use; `None` for random weights
            (tests only). Ignored for a custom extractor, which keeps its
            own weights.
        min_size (int): Minimum image side for VGG; smaller images are
            resized up. Defaults to 32.
        reduction (str): Type of reduction to apply to the per-example values.
        name (str): Optional name for the loss instance.
        dtype (str | None): The dtype of the loss's inputs and result
            (float32 by default).

    Returns:
        Tensor: Called as `loss(y_true, y_pred)` on two image batches of
        shape `(batch, height, width, channels)`, the loss reduced as
        `reduction` says (per-example values of shape `(batch,)` for
        `reduction=None`).

    Raises:
        ValueError: for an unknown extractor, layer name or distance,
            `layer_weights` of the wrong length or negative, a bad
            `value_range` or `min_size`, a missing weights file, or images
            of different shapes, not of rank 4, or with a channel count
            the extractor cannot take.
        RuntimeError: when the ImageNet weights are needed and cannot be
            downloaded (the message names the `weights=PATH` option).

    Example:

    >>> import numpy as np
    >>> loss = PerceptualLoss(extractor="vgg16", weights=None)
    >>> images = np.zeros((2, 32, 32, 3), "float32")
    >>> float(loss(images, images))
    0.0

    With the MNIST classifier shipped for the metrics as a domain
    extractor:

    ```python
    from keras_gan_losses.metrics import mnist_classifier

    loss = PerceptualLoss(mnist_classifier(), layers=["conv1b", "conv2b"])
    ```

    References:
        Johnson et al., 2016, https://arxiv.org/abs/1603.08155
        Ledig et al., 2017, https://arxiv.org/abs/1609.04802
    """

    def __init__(
        self,
        extractor="vgg19",
        layers=None,
        layer_weights=None,
        distance: str = "l1",
        value_range=(-1.0, 1.0),
        weights="imagenet",
        min_size: int = 32,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str = "perceptual_loss",
        dtype: "str | keras.DTypePolicy | None" = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._explicit_dtype = dtype
        if isinstance(extractor, str):
            key = extractor.strip().lower()
            if key not in VGG_LAYERS:
                raise ValueError(
                    "`extractor` must be 'vgg16', 'vgg19' or a Keras model. "
                    f"Received: extractor={extractor!r}"
                )
            self.extractor = key
            self._model = None
        elif isinstance(extractor, keras.Model):
            if len(extractor.inputs or ()) != 1:
                raise ValueError(
                    "A custom `extractor` must be a built Keras model with "
                    "one image input."
                )
            self.extractor = extractor
            self._model = extractor
        else:
            raise ValueError(
                "`extractor` must be 'vgg16', 'vgg19' or a Keras model. "
                f"Received: extractor of type {type(extractor).__name__}"
            )
        self.layers = self._check_layers(layers)
        self.layer_weights = self._check_layer_weights(layer_weights)
        if distance not in _DISTANCES:
            raise ValueError(
                f"`distance` must be one of {_DISTANCES}. "
                f"Received: distance={distance!r}"
            )
        self.distance = distance
        self.value_range = self._check_value_range(value_range)
        if self.is_vgg and weights not in ("imagenet", None):
            if not os.path.isfile(os.fspath(weights)):
                raise ValueError(
                    "`weights` must be 'imagenet', None or the path of an "
                    f"existing {_NOTOP_FILES[self.extractor]} file. "
                    f"Received: weights={weights!r}"
                )
            weights = os.fspath(weights)
        self.weights = weights
        if isinstance(min_size, bool) or int(min_size) != min_size or \
                min_size < 1:
            raise ValueError(
                "`min_size` must be a positive integer. "
                f"Received: min_size={min_size!r}"
            )
        self.min_size = int(min_size)
        self._features = None

    @property
    def is_vgg(self) -> bool:
        """Whether the extractor is one of the Keras VGG networks."""
        return isinstance(self.extractor, str)

    def _check_layers(self, layers):
        if layers is None:
            if not self.is_vgg:
                raise ValueError(
                    "`layers` must name the layers of a custom extractor "
                    f"to compare. Its layers: {self._layer_names()}"
                )
            return list(DEFAULT_LAYERS[self.extractor])
        if isinstance(layers, str):
            layers = [layers]
        layers = list(layers)
        if not layers or not all(isinstance(n, str) for n in layers):
            raise ValueError(
                "`layers` must be a non-empty list of layer names. "
                f"Received: layers={layers!r}"
            )
        known = self._layer_names()
        unknown = [n for n in layers if n not in known]
        if unknown:
            raise ValueError(
                f"Unknown layer names {unknown} for this extractor. "
                f"Its layers: {list(known)}"
            )
        return layers

    def _layer_names(self):
        if self.is_vgg:
            return VGG_LAYERS[self.extractor]
        return [layer.name for layer in self._model.layers]

    def _check_layer_weights(self, layer_weights):
        if layer_weights is None:
            return [1.0] * len(self.layers)
        values = [float(w) for w in layer_weights]
        if len(values) != len(self.layers):
            raise ValueError(
                "`layer_weights` must have one weight per layer "
                f"({len(self.layers)} layers: {self.layers}). Received "
                f"{len(values)} weights: {values}"
            )
        if not all(math.isfinite(w) and w >= 0 for w in values):
            raise ValueError(
                "`layer_weights` must be finite and non-negative. "
                f"Received: {values}"
            )
        return values

    @staticmethod
    def _check_value_range(value_range):
        try:
            low, high = (float(v) for v in value_range)
        except (TypeError, ValueError):
            raise ValueError(
                "`value_range` must be a pair (low, high). "
                f"Received: value_range={value_range!r}"
            ) from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(
                "`value_range` must be finite with low < high. "
                f"Received: value_range={value_range!r}"
            )
        return (low, high)

    @property
    def feature_extractor(self) -> keras.Model:
        """The frozen model mapping images to the chosen layers' outputs.

        Built, and for `weights="imagenet"` downloaded, on first access.
        """
        if self._features is None:
            # Outside any tf.function being traced, so the variables are
            # created once, eagerly.
            with tf.init_scope():
                self._features = self._build()
        return self._features

    def _build(self):
        base = self._vgg() if self.is_vgg else self._model
        outputs = [base.get_layer(n).output for n in self.layers]
        model = keras.Model(
            base.inputs[0], outputs, name=f"{self.name}_features"
        )
        model.trainable = False
        return model

    def _vgg(self):
        application = {
            "vgg16": keras.applications.VGG16,
            "vgg19": keras.applications.VGG19,
        }[self.extractor]
        policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy("float32")
        try:
            return application(
                include_top=False,
                weights=self.weights,
                input_shape=(None, None, 3),
            )
        except Exception as error:
            if self.weights != "imagenet":
                raise
            raise RuntimeError(
                f"Could not download the {self.extractor.upper()} ImageNet "
                f"weights (offline?): {type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}. "
                "Copy the file to this machine and pass "
                f"`weights='/path/to/{_NOTOP_FILES[self.extractor]}'`, or "
                "`weights=None` for random weights."
            ) from error
        finally:
            keras.config.set_dtype_policy(policy)

    def _prepare(self, images):
        images = ops.cast(images, "float32")
        channels = images.shape[-1]
        wanted = self._input_channels()
        if channels == 1 and wanted == 3:
            images = ops.repeat(images, 3, axis=-1)
        elif wanted is not None and channels != wanted:
            raise ValueError(
                f"The extractor takes {wanted}-channel images (or "
                "grayscale images, tiled). Received images of shape "
                f"{tuple(images.shape)}"
            )
        if not self.is_vgg:
            return images
        low, high = self.value_range
        images = (images - low) * (255.0 / (high - low))
        images = ops.flip(images, axis=-1)  # RGB -> BGR
        images = images - ops.convert_to_tensor(CAFFE_BGR_MEAN, "float32")
        height, width = images.shape[1], images.shape[2]
        if height is not None and width is not None and \
                min(height, width) < self.min_size:
            scale = self.min_size / min(height, width)
            size = (math.ceil(height * scale), math.ceil(width * scale))
            images = ops.image.resize(images, size, interpolation="bilinear")
        return images

    def _input_channels(self):
        if self.is_vgg:
            return 3
        return self._model.inputs[0].shape[-1]

    def call(self, y_true, y_pred):
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        if len(y_true.shape) != 4 or len(y_pred.shape) != 4:
            raise ValueError(
                "PerceptualLoss takes image batches of shape (batch, "
                "height, width, channels). Received shapes "
                f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}"
            )
        if any(a is not None and b is not None and a != b
               for a, b in zip(y_true.shape, y_pred.shape)):
            raise ValueError(
                "`y_true` and `y_pred` must have the same shape. Received "
                f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}"
            )
        batch = ops.shape(y_true)[0]
        images = self._prepare(ops.concatenate([y_true, y_pred], axis=0))
        features = self.feature_extractor(images, training=False)
        if not isinstance(features, (list, tuple)):
            features = [features]
        total = 0.0
        for weight, feature in zip(self.layer_weights, features):
            feature = ops.cast(feature, "float32")
            difference = feature[:batch] - feature[batch:]
            if self.distance == "l1":
                difference = ops.abs(difference)
            else:
                difference = ops.square(difference)
            axes = tuple(range(1, len(difference.shape)))
            total = total + weight * ops.mean(difference, axis=axes)
        return ops.cast(total, self.dtype)

    def get_config(self):
        config = super().get_config()
        if self._explicit_dtype is not None:
            config["dtype"] = keras.saving.serialize_keras_object(
                self._explicit_dtype
            )
        if self.is_vgg:
            extractor = self.extractor
        else:
            extractor = {
                "model": keras.saving.serialize_keras_object(self._model),
                "weights": [_encode(w) for w in self._model.get_weights()],
            }
        config.update(
            extractor=extractor,
            layers=list(self.layers),
            layer_weights=list(self.layer_weights),
            distance=self.distance,
            value_range=list(self.value_range),
            weights=self.weights if self.is_vgg else None,
            min_size=self.min_size,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.saving.deserialize_keras_object(
                config["dtype"]
            )
        extractor = config.get("extractor")
        if isinstance(extractor, dict):
            model = keras.saving.deserialize_keras_object(extractor["model"])
            model.set_weights([_decode(w) for w in extractor["weights"]])
            config["extractor"] = model
        return cls(**config)


def _encode(array):
    """A weight array as JSON-friendly text (exact, base64 of its bytes)."""
    array = np.ascontiguousarray(array)
    return {
        "dtype": str(array.dtype),
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def _decode(entry):
    data = np.frombuffer(base64.b64decode(entry["data"]), entry["dtype"])
    return data.reshape(entry["shape"]).copy()
