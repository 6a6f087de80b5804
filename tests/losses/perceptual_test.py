"""PerceptualLoss against a NumPy reference, its VGG wiring (random
weights, no download), the MNIST classifier as extractor, serialization,
float16 inputs and bad arguments."""

import json

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

from keras_gan_losses import losses
from keras_gan_losses.losses import PerceptualLoss


def pointwise_extractor(seed=0, channels=3):
    """conv1 (1×1, ReLU) → pool (2×2 average) → conv2 (1×1), fixed
    weights; `reference.pointwise_extractor` computes the same by hand."""
    rng = np.random.default_rng(seed)
    images = keras.Input((8, 8, channels))
    x = keras.layers.Conv2D(4, 1, activation="relu", name="conv1")(images)
    x = keras.layers.AveragePooling2D(2, name="pool")(x)
    x = keras.layers.Conv2D(5, 1, name="conv2")(x)
    model = keras.Model(images, x, name="pointwise")
    params = [
        rng.normal(size=(channels, 4)), rng.normal(size=4) * 0.1,
        rng.normal(size=(4, 5)), rng.normal(size=5) * 0.1,
    ]
    model.set_weights([
        params[0].reshape(1, 1, channels, 4), params[1],
        params[2].reshape(1, 1, 4, 5), params[3],
    ])
    return model, params


def images(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(
        "float32")


def expected(params, y_true, y_pred, layers, layer_weights, distance):
    true_maps = reference.pointwise_extractor(y_true, *params)
    pred_maps = reference.pointwise_extractor(y_pred, *params)
    return reference.perceptual(
        [true_maps[n] for n in layers], [pred_maps[n] for n in layers],
        layer_weights, distance)


@pytest.mark.parametrize("distance", ["l1", "l2"])
@pytest.mark.parametrize("layers,layer_weights", [
    (["conv2"], None),
    (["conv1", "pool", "conv2"], [0.5, 3.0, 2.0]),
])
def test_matches_numpy_reference(distance, layers, layer_weights):
    model, params = pointwise_extractor()
    y_true, y_pred = images((3, 8, 8, 3), 1), images((3, 8, 8, 3), 2)
    loss = PerceptualLoss(model, layers=layers, layer_weights=layer_weights,
                          distance=distance, reduction=None)
    want = expected(params, y_true, y_pred, layers,
                    layer_weights or [1.0] * len(layers), distance)
    got = loss(y_true, y_pred)
    assert tuple(got.shape) == (3,)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    mean = PerceptualLoss(model, layers=layers, layer_weights=layer_weights,
                          distance=distance)(y_true, y_pred)
    np.testing.assert_allclose(float(mean), want.mean(), rtol=1e-5)


def test_same_value_in_tf_function_and_gradient_reaches_images_only():
    model, params = pointwise_extractor()
    loss = PerceptualLoss(model, layers=["conv1", "conv2"])
    y_true = tf.constant(images((2, 8, 8, 3), 3))
    y_pred = tf.Variable(images((2, 8, 8, 3), 4))
    eager = float(loss(y_true, y_pred))
    graph = float(tf.function(lambda a, b: loss(a, b))(y_true, y_pred))
    assert eager == pytest.approx(graph, rel=1e-6)
    with tf.GradientTape() as tape:
        value = loss(y_true, y_pred)
    grad = tape.gradient(value, y_pred)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0
    assert loss.feature_extractor.trainable_weights == []


def test_float16_inputs_are_computed_in_float32():
    model, params = pointwise_extractor()
    y_true = images((2, 8, 8, 3), 5).astype("float16")
    y_pred = images((2, 8, 8, 3), 6).astype("float16")
    loss = PerceptualLoss(model, layers=["conv1", "conv2"], reduction=None)
    got = loss(y_true, y_pred)
    assert got.dtype == "float32"
    want = expected(params, y_true.astype("float64"),
                    y_pred.astype("float64"), ["conv1", "conv2"],
                    [1.0, 1.0], "l1")
    # The extractor runs in float32 on the float16 values, the reference
    # in float64 on the same values: float32 convolutions (oneDNN's or
    # Eigen's, on any CPU) over 3 channels stay within ~1e-6 relative;
    # float16 arithmetic would be off by ~1e-3 relative.
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_vgg_is_fed_caffe_preprocessed_images():
    loss = PerceptualLoss("vgg16", weights=None, reduction=None)
    assert loss.layers == ["block2_conv2"]
    y_true, y_pred = images((2, 32, 32, 3), 7), images((2, 32, 32, 3), 8)
    got = loss(y_true, y_pred)
    features = loss.feature_extractor
    want = reference.perceptual(
        [features(reference.caffe_preprocess(y_true).astype("float32"))],
        [features(reference.caffe_preprocess(y_pred).astype("float32"))],
        [1.0])
    np.testing.assert_allclose(got, want, rtol=1e-4)
    # The Keras function agrees with the reference preprocessing.
    keras_pre = keras.applications.vgg16.preprocess_input(
        (y_true.astype("float64") + 1) * 127.5)
    np.testing.assert_allclose(
        keras_pre, reference.caffe_preprocess(y_true), atol=1e-4)


def test_value_range_maps_to_0_255():
    a = PerceptualLoss("vgg16", weights=None, reduction=None)
    b = PerceptualLoss("vgg16", weights=None, value_range=(0, 255),
                       reduction=None)
    b._features = a.feature_extractor  # same random weights
    y_true, y_pred = images((2, 32, 32, 3), 9), images((2, 32, 32, 3), 10)
    np.testing.assert_allclose(
        a(y_true, y_pred), b((y_true + 1) * 127.5, (y_pred + 1) * 127.5),
        rtol=1e-4)


def test_vgg_defaults_follow_the_papers():
    assert PerceptualLoss().layers == ["block5_conv4"]
    assert PerceptualLoss("vgg16").layers == ["block2_conv2"]


def test_grayscale_is_tiled_and_small_images_resized_up():
    loss = PerceptualLoss("vgg16", weights=None, layers=["block3_conv3"],
                          reduction=None)
    gray_true, gray_pred = images((2, 16, 16, 1), 11), images(
        (2, 16, 16, 1), 12)
    got = loss(gray_true, gray_pred)
    rgb = [tf.image.resize(np.repeat(g, 3, axis=-1), (32, 32),
                           method="bilinear").numpy()
           for g in (gray_true, gray_pred)]
    np.testing.assert_allclose(got, loss(*rgb), rtol=1e-4)
    assert float(tf.reduce_min(got)) > 0


def test_mnist_classifier_as_domain_extractor():
    from keras_gan_losses.data import load_images
    from keras_gan_losses.metrics import mnist_classifier

    classifier = mnist_classifier()
    loss = PerceptualLoss(classifier, layers=["conv1b", "features"],
                          layer_weights=[1.0, 0.1], reduction=None)
    batch = next(iter(load_images("mnist_10k", batch_size=4, seed=0)))
    data = np.asarray(batch, "float32")
    y_true, y_pred = data[:2], data[2:]
    probe = keras.Model(classifier.input, [
        classifier.get_layer("conv1b").output,
        classifier.get_layer("features").output])
    want = reference.perceptual(
        probe(y_true), probe(y_pred), [1.0, 0.1])
    np.testing.assert_allclose(loss(y_true, y_pred), want, rtol=1e-5)
    assert float(loss(y_true, y_true)[0]) == 0.0


def test_config_round_trip_keeps_a_custom_extractor_and_its_weights():
    model, _ = pointwise_extractor(seed=3)
    loss = PerceptualLoss(model, layers=["pool", "conv2"],
                          layer_weights=[2.0, 0.5], distance="l2",
                          name="feat")
    config = json.loads(json.dumps(loss.get_config()))
    again = PerceptualLoss.from_config(config)
    assert again.extractor is not model
    y_true, y_pred = images((2, 8, 8, 3), 13), images((2, 8, 8, 3), 14)
    assert float(again(y_true, y_pred)) == pytest.approx(
        float(loss(y_true, y_pred)), rel=1e-6)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, PerceptualLoss)
    assert (restored.layers, restored.layer_weights, restored.distance,
            restored.name) == (["pool", "conv2"], [2.0, 0.5], "l2", "feat")
    assert keras.saving.get_registered_name(PerceptualLoss) == \
        "keras_gan_losses>PerceptualLoss"


def test_vgg_round_trip_never_builds_or_downloads():
    loss = PerceptualLoss("vgg19", layers=["block1_conv2", "block4_conv4"],
                          layer_weights=[1.0, 0.25], value_range=(0, 1))
    again = PerceptualLoss.from_config(
        json.loads(json.dumps(loss.get_config())))
    assert again.get_config() == loss.get_config()
    assert again.weights == "imagenet" and again._features is None


def test_offline_imagenet_weights_give_a_clear_error(monkeypatch):
    def offline(**kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.applications, "VGG19", offline)
    loss = PerceptualLoss()
    with pytest.raises(RuntimeError, match=r"offline.*weights='/path/to/"
                       r"vgg19_weights_tf_dim_ordering_tf_kernels_notop"):
        loss(images((1, 32, 32, 3), 0), images((1, 32, 32, 3), 1))


def test_mixed_float16_policy_still_computes_in_float32():
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        loss = PerceptualLoss("vgg16", weights=None)
        value = loss(images((1, 32, 32, 3), 0).astype("float16"),
                     images((1, 32, 32, 3), 1).astype("float16"))
        dtypes = {layer.compute_dtype
                  for layer in loss.feature_extractor.layers}
    finally:
        keras.config.set_dtype_policy(policy)
    assert dtypes == {"float32"}
    assert value.dtype == "float32"
    assert keras.config.dtype_policy().name == policy.name


def test_losses_package_exports_it():
    assert losses.PerceptualLoss is PerceptualLoss


@pytest.mark.parametrize("kwargs,match", [
    ({"extractor": "resnet"}, "'vgg16', 'vgg19' or a Keras model"),
    ({"extractor": 3}, "Keras model"),
    ({"layers": ["block9_conv1"]}, r"Unknown layer names \['block9_conv1'\]"),
    ({"layers": []}, "non-empty list"),
    ({"layer_weights": [1.0, 2.0]}, "one weight per layer"),
    ({"layer_weights": [-1.0]}, "non-negative"),
    ({"distance": "cosine"}, "`distance` must be one of"),
    ({"value_range": (1, -1)}, "low < high"),
    ({"value_range": 5}, "a pair"),
    ({"weights": "/no/such/file.h5"}, "existing vgg19_weights"),
    ({"min_size": 0}, "`min_size` must be a positive integer"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PerceptualLoss(**kwargs)


def test_custom_extractor_needs_layers():
    model, _ = pointwise_extractor()
    with pytest.raises(ValueError, match=r"`layers` must name.*conv1"):
        PerceptualLoss(model)


@pytest.mark.parametrize("y_true,y_pred,match", [
    ((2, 8, 8, 3), (2, 8, 8, 1), "same shape"),
    ((2, 8, 8), (2, 8, 8), r"\(batch, height, width, channels\)"),
    ((2, 8, 8, 2), (2, 8, 8, 2), "takes 3-channel images"),
])
def test_bad_images(y_true, y_pred, match):
    model, _ = pointwise_extractor()
    loss = PerceptualLoss(model, layers=["conv1"])
    with pytest.raises(ValueError, match=match):
        loss(np.zeros(y_true, "float32"), np.zeros(y_pred, "float32"))
