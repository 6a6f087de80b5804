"""Every loss against its NumPy reference, in every reduction and shape."""

import keras
import numpy as np
import pytest
import reference  # noqa: I001 - tests/ is on sys.path
import tensorflow as tf

from keras_gan_losses import losses

# (class, reference, constructor kwargs, role)
CASES = [
    (losses.MinimaxDiscriminatorLoss, reference.minimax_d, {}, "d"),
    (losses.MinimaxDiscriminatorLoss, reference.minimax_d,
     {"label_smoothing": 0.2}, "d"),
    (losses.MinimaxGeneratorLoss, reference.minimax_g, {}, "g"),
    (losses.NonSaturatingGeneratorLoss, reference.non_saturating_g, {}, "g"),
    (losses.LeastSquaresDiscriminatorLoss, reference.least_squares_d, {},
     "d"),
    (losses.LeastSquaresDiscriminatorLoss, reference.least_squares_d,
     {"a": -1.0, "b": 1.0}, "d"),
    (losses.LeastSquaresGeneratorLoss, reference.least_squares_g, {}, "g"),
    (losses.LeastSquaresGeneratorLoss, reference.least_squares_g,
     {"c": 0.0}, "g"),
    (losses.WassersteinDiscriminatorLoss, reference.wasserstein_d, {}, "d"),
    (losses.WassersteinGeneratorLoss, reference.wasserstein_g, {}, "g"),
    (losses.HingeDiscriminatorLoss, reference.hinge_d, {}, "d"),
    (losses.HingeGeneratorLoss, reference.hinge_g, {}, "g"),
    (losses.RelativisticAverageDiscriminatorLoss, reference.relativistic_d,
     {}, "d"),
    (losses.RelativisticAverageGeneratorLoss, reference.relativistic_g, {},
     "g"),
    (losses.RelativisticPairingDiscriminatorLoss,
     reference.relativistic_pairing_d, {}, "d"),
    (losses.RelativisticPairingGeneratorLoss,
     reference.relativistic_pairing_g, {}, "g"),
]
IDS = [f"{c.__name__}{'-' + str(k) if k else ''}" for c, _, k, _ in CASES]

FUNCTIONS = {
    losses.MinimaxDiscriminatorLoss: losses.minimax_discriminator_loss,
    losses.MinimaxGeneratorLoss: losses.minimax_generator_loss,
    losses.NonSaturatingGeneratorLoss: losses.non_saturating_generator_loss,
    losses.LeastSquaresDiscriminatorLoss:
        losses.least_squares_discriminator_loss,
    losses.LeastSquaresGeneratorLoss: losses.least_squares_generator_loss,
    losses.WassersteinDiscriminatorLoss:
        losses.wasserstein_discriminator_loss,
    losses.WassersteinGeneratorLoss: losses.wasserstein_generator_loss,
    losses.HingeDiscriminatorLoss: losses.hinge_discriminator_loss,
    losses.HingeGeneratorLoss: losses.hinge_generator_loss,
    losses.RelativisticAverageDiscriminatorLoss:
        losses.relativistic_average_discriminator_loss,
    losses.RelativisticAverageGeneratorLoss:
        losses.relativistic_average_generator_loss,
    losses.RelativisticPairingDiscriminatorLoss:
        losses.relativistic_pairing_discriminator_loss,
    losses.RelativisticPairingGeneratorLoss:
        losses.relativistic_pairing_generator_loss,
}


def logits(shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * 3).astype("float32")


@pytest.fixture(params=[(6,), (6, 1), (6, 3, 3, 1)],
                ids=["batch", "batch_1", "patch"])
def pair(request):
    return logits(request.param, 0), logits(request.param, 1)


@pytest.mark.parametrize("cls,ref,kwargs,role", CASES, ids=IDS)
class TestLoss:
    def test_per_example_function(self, cls, ref, kwargs, role, pair):
        r, f = pair
        got = FUNCTIONS[cls](r, f, **kwargs)
        assert tuple(got.shape) == (6,)
        np.testing.assert_allclose(got, ref(r, f, **kwargs), rtol=1e-5,
                                   atol=1e-5)

    def test_default_reduction_is_batch_mean(self, cls, ref, kwargs, role,
                                             pair):
        r, f = pair
        got = float(cls(**kwargs)(r, f))
        assert got == pytest.approx(ref(r, f, **kwargs).mean(), rel=1e-5,
                                    abs=1e-5)

    @pytest.mark.parametrize("reduction", [None, "none", "sum", "mean",
                                           "sum_over_batch_size",
                                           "mean_with_sample_weight"])
    def test_reductions_with_sample_weight(self, cls, ref, kwargs, role,
                                           pair, reduction):
        r, f = pair
        w = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0], "float32")
        values = ref(r, f, **kwargs) * w
        expected = {
            None: values,
            "none": values,
            "sum": values.sum(),
            "mean": values.mean(),
            "sum_over_batch_size": values.sum() / 6,
            "mean_with_sample_weight": values.sum() / w.sum(),
        }[reduction]
        got = cls(reduction=reduction, **kwargs)(r, f, sample_weight=w)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)

    def test_same_value_in_tf_function(self, cls, ref, kwargs, role, pair):
        r, f = pair
        loss = cls(**kwargs)
        graph = tf.function(lambda a, b: loss(a, b))(r, f)
        assert float(graph) == pytest.approx(float(loss(r, f)), rel=1e-6)

    def test_config_round_trip(self, cls, ref, kwargs, role, pair):
        r, f = pair
        loss = cls(reduction="sum", name="custom", **kwargs)
        clone = cls.from_config(loss.get_config())
        assert clone.get_config() == loss.get_config()
        assert clone.reduction == "sum" and clone.name == "custom"
        for key, value in kwargs.items():
            assert clone.get_config()[key] == value
        config = keras.losses.serialize(loss)
        assert config["registered_name"] == f"keras_gan_losses>{cls.__name__}"
        restored = keras.losses.deserialize(config)
        assert type(restored) is cls
        assert float(restored(r, f)) == pytest.approx(float(loss(r, f)))

    def test_role_and_string_names(self, cls, ref, kwargs, role, pair):
        expected_role = "discriminator" if role == "d" else "generator"
        assert cls().role == expected_role
        assert type(losses.get(cls.__name__, role=expected_role)) is cls
        assert type(losses.get(FUNCTIONS[cls], role=expected_role)) is cls
        other = "generator" if role == "d" else "discriminator"
        with pytest.raises(TypeError, match="swap"):
            losses.get(cls(), role=other)

    def test_float16_inputs_computed_in_float32(self, cls, ref, kwargs, role,
                                                pair):
        r, f = pair
        got = cls(**kwargs)(r.astype("float16"), f.astype("float16"))
        assert got.dtype == "float32"
        # The reference sees the same float16 values in float64, so only
        # the loss's float32 arithmetic separates them (eps 1.2e-7, a few
        # elementwise ops): 1e-4 is wide of that and far below the 1e-3
        # that float16 arithmetic would add. No oneDNN kernel is involved.
        expected = ref(r.astype("float16"), f.astype("float16"), **kwargs)
        assert float(got) == pytest.approx(expected.mean(), rel=1e-4,
                                           abs=1e-4)


@pytest.mark.parametrize("name,d_cls,g_cls", [
    ("minimax", losses.MinimaxDiscriminatorLoss, losses.MinimaxGeneratorLoss),
    ("non_saturating", losses.MinimaxDiscriminatorLoss,
     losses.NonSaturatingGeneratorLoss),
    ("least_squares", losses.LeastSquaresDiscriminatorLoss,
     losses.LeastSquaresGeneratorLoss),
    ("wasserstein", losses.WassersteinDiscriminatorLoss,
     losses.WassersteinGeneratorLoss),
    ("hinge", losses.HingeDiscriminatorLoss, losses.HingeGeneratorLoss),
    ("relativistic_average", losses.RelativisticAverageDiscriminatorLoss,
     losses.RelativisticAverageGeneratorLoss),
    ("relativistic_pairing", losses.RelativisticPairingDiscriminatorLoss,
     losses.RelativisticPairingGeneratorLoss),
])
def test_family_names_resolve_per_role(name, d_cls, g_cls):
    assert type(losses.get(name, role="discriminator")) is d_cls
    assert type(losses.get(name, role="generator")) is g_cls


def test_unknown_name_is_a_clear_value_error():
    with pytest.raises(ValueError, match="Unknown GAN loss 'wasserstien'"):
        losses.get("wasserstien", role="discriminator")


def test_non_loss_is_a_clear_type_error():
    with pytest.raises(TypeError, match="must be a keras.losses.Loss"):
        losses.get(3, role="generator")


def test_mismatched_logit_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(5, 1\)"):
        losses.WassersteinDiscriminatorLoss()(np.zeros((4, 1)),
                                              np.zeros((5, 1)))


def test_scalar_logits_refused():
    with pytest.raises(ValueError, match="batch axis"):
        losses.hinge_discriminator_loss(1.0, 2.0)


@pytest.mark.parametrize("kwargs,match", [
    ({"label_smoothing": 1.0}, "label_smoothing"),
    ({"label_smoothing": -0.1}, "label_smoothing"),
    ({"label_smoothing": "0.1"}, "label_smoothing"),
])
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        losses.MinimaxDiscriminatorLoss(**kwargs)


def test_known_values_from_tf_gan_fixtures():
    # TF-GAN's losses_impl_test fixtures: real [-5.0, 1.4, 12.5, 2.7],
    # fake [10.0, 4.4, -5.5, 3.6]; g = -mean(f) = -3.125 and
    # d = mean(f) - mean(r) = 3.125 - 2.9 = 0.225.
    r = np.array([-5.0, 1.4, 12.5, 2.7], "float32")
    f = np.array([10.0, 4.4, -5.5, 3.6], "float32")
    assert float(losses.WassersteinGeneratorLoss()(r, f)) == \
        pytest.approx(-3.125, abs=1e-5)
    assert float(losses.WassersteinDiscriminatorLoss()(r, f)) == \
        pytest.approx(0.225, abs=1e-5)


def test_gradient_of_non_saturating_loss_is_minus_one_minus_sigmoid():
    # d/df softplus(-f) = -(1 - sigmoid(f)) = -sigmoid(-f); batch mean / 3.
    f = tf.constant([[-2.0], [0.0], [3.0]])
    with tf.GradientTape() as tape:
        tape.watch(f)
        value = losses.NonSaturatingGeneratorLoss()(tf.zeros_like(f), f)
    grad = tape.gradient(value, f).numpy().ravel()
    expected = -1.0 / (1.0 + np.exp([-2.0, 0.0, 3.0])) / 3.0
    np.testing.assert_allclose(grad, expected, rtol=1e-5)


# Configs exactly as `keras.losses.serialize` wrote them before the
# hyperparameters became keyword-only public attributes; files saved then
# must still load.
SAVED_CONFIGS = [
    ({"module": "keras_gan_losses.losses.minimax",
      "class_name": "MinimaxDiscriminatorLoss",
      "config": {"name": "minimax_discriminator_loss",
                 "reduction": "sum_over_batch_size", "dtype": "float64",
                 "label_smoothing": 0.2},
      "registered_name": "keras_gan_losses>MinimaxDiscriminatorLoss"},
     reference.minimax_d, {"label_smoothing": 0.2}),
    ({"module": "keras_gan_losses.losses.least_squares",
      "class_name": "LeastSquaresDiscriminatorLoss",
      "config": {"name": "ls", "reduction": "sum", "a": -1.0, "b": 1.0},
      "registered_name": "keras_gan_losses>LeastSquaresDiscriminatorLoss"},
     reference.least_squares_d, {"a": -1.0, "b": 1.0}),
    ({"module": "keras_gan_losses.losses.least_squares",
      "class_name": "LeastSquaresGeneratorLoss",
      "config": {"name": "least_squares_generator_loss",
                 "reduction": "sum_over_batch_size", "c": 0.5},
      "registered_name": "keras_gan_losses>LeastSquaresGeneratorLoss"},
     reference.least_squares_g, {"c": 0.5}),
    ({"module": "keras_gan_losses.losses.hinge",
      "class_name": "HingeGeneratorLoss",
      "config": {"name": "hinge_generator_loss",
                 "reduction": "sum_over_batch_size"},
      "registered_name": "keras_gan_losses>HingeGeneratorLoss"},
     reference.hinge_g, {}),
]


@pytest.mark.parametrize("saved,ref,hyperparameters", SAVED_CONFIGS,
                         ids=[c["class_name"] for c, _, _ in SAVED_CONFIGS])
def test_previously_saved_configs_still_load(saved, ref, hyperparameters):
    loss = keras.losses.deserialize(saved)
    assert type(loss).__name__ == saved["class_name"]
    assert loss.get_config() == saved["config"]
    for key, value in hyperparameters.items():
        assert getattr(loss, key) == value
    r, f = logits((5, 1), 0), logits((5, 1), 1)
    values = ref(r, f, **hyperparameters)
    expected = values.sum() if saved["config"]["reduction"] == "sum" \
        else values.mean()
    assert float(loss(r, f)) == pytest.approx(expected, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("cls,ref,kwargs,role",
                         [c for c in CASES if c[2]],
                         ids=[i for i, c in zip(IDS, CASES) if c[2]])
def test_hyperparameters_are_public_attributes(cls, ref, kwargs, role):
    loss = cls(**kwargs)
    for key, value in kwargs.items():
        assert getattr(loss, key) == value
    assert loss.hyperparameters == kwargs


def test_changing_a_public_hyperparameter_changes_the_loss():
    r, f = logits((6, 1), 0), logits((6, 1), 1)
    loss = losses.LeastSquaresGeneratorLoss()
    loss.c = 0.0
    assert float(loss(r, f)) == pytest.approx(
        reference.least_squares_g(r, f, c=0.0).mean(), rel=1e-5)
    assert loss.get_config()["c"] == 0.0


@pytest.mark.parametrize("call", [
    lambda: losses.MinimaxDiscriminatorLoss(0.1),
    lambda: losses.LeastSquaresDiscriminatorLoss(-1.0, 1.0),
    lambda: losses.LeastSquaresGeneratorLoss(0.0),
    lambda: losses.WassersteinGeneratorLoss("sum"),
    lambda: losses.minimax_discriminator_loss([[1.0]], [[0.0]], 0.1),
    lambda: losses.least_squares_discriminator_loss([[1.0]], [[0.0]], 0, 1),
    lambda: losses.least_squares_generator_loss([[1.0]], [[0.0]], 0.0),
])
def test_hyperparameters_are_keyword_only(call):
    with pytest.raises(TypeError, match="positional"):
        call()


def test_custom_gan_loss_keeps_hyperparameters_as_attributes():
    def scaled(real_logits, fake_logits, *, scale=1.0):
        return losses.wasserstein_discriminator_loss(
            real_logits, fake_logits) * scale

    loss = losses.GANLoss(scaled, "discriminator", scale=2.0)
    assert loss.scale == 2.0
    assert loss.get_config()["scale"] == 2.0
    r, f = logits((4,), 0), logits((4,), 1)
    assert float(loss(r, f)) == pytest.approx(
        2.0 * reference.wasserstein_d(r, f).mean(), rel=1e-5)
    with pytest.raises(ValueError, match="clash"):
        losses.GANLoss(scaled, "discriminator", get_config=1.0)
