"""The GAN model: fit/evaluate with every loss pair, logs, clear errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import IMAGE
from nets import LATENT
from nets import discriminator
from nets import generator
from nets import images

import keras_gan_losses as kgl
from keras_gan_losses.models import signals

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends

PAIRS = [
    ("minimax", "minimax"),
    ("non_saturating", "non_saturating"),
    ("least_squares", "least_squares"),
    ("wasserstein", "wasserstein"),
    ("hinge", "hinge"),
    ("relativistic_average", "relativistic_average"),
    (keras.losses.BinaryCrossentropy(from_logits=True),
     keras.losses.BinaryCrossentropy(from_logits=True)),
    (keras.losses.MeanSquaredError(), keras.losses.MeanSquaredError()),
]
PAIR_IDS = [p[0] if isinstance(p[0], str) else type(p[0]).__name__
            for p in PAIRS]


def make_gan(**kwargs):
    return kgl.GAN(generator(), discriminator(), seed=0, **kwargs)


@pytest.mark.backends("tensorflow", "torch")
@pytest.mark.parametrize("d_loss,g_loss", PAIRS, ids=PAIR_IDS)
def test_fit_updates_both_networks_without_nan(d_loss, g_loss):
    gan = make_gan()
    gan.compile(d_loss=d_loss, g_loss=g_loss,
                penalties=[kgl.penalties.GradientPenalty(1.0)])
    g_before = [w.copy() for w in gan.generator.get_weights()]
    d_before = [w.copy() for w in gan.discriminator.get_weights()]
    history = gan.fit(images(), batch_size=8, epochs=2, verbose=0)
    assert set(history.history) == {
        "d_loss", "g_loss", "gradient_penalty", "d_real", "d_fake",
        "nonfinite_steps", *signals.signal_keys(gan.d_loss)}
    assert history.history["nonfinite_steps"] == [0.0, 0.0]
    for values in history.history.values():
        assert len(values) == 2 and np.all(np.isfinite(values))
    for net, before in ((gan.generator, g_before),
                        (gan.discriminator, d_before)):
        after = net.get_weights()
        assert all(np.all(np.isfinite(w)) for w in after)
        assert any(not np.allclose(a, b) for a, b in zip(before, after))


@pytest.mark.backends("tensorflow", "torch")
def test_logged_values_match_a_manual_computation():
    # One evaluate step on one batch: recompute d_real, d_fake and the
    # losses from the same latent draw with NumPy formulas.
    gan = make_gan()
    gan.compile(d_loss="wasserstein", g_loss="wasserstein")
    x = images(8)
    logs = gan.evaluate(x, batch_size=8, verbose=0, return_dict=True)
    r = keras.ops.convert_to_numpy(gan.discriminator(x)).ravel()
    assert logs["d_real"] == pytest.approx(r.mean(), rel=1e-5)
    # d_loss = mean(f) - mean(r) and d_fake = mean(f), with the same f.
    assert logs["d_loss"] == pytest.approx(logs["d_fake"] - r.mean(),
                                           rel=1e-4, abs=1e-5)


@pytest.mark.backends("tensorflow", "torch")
def test_plain_keras_bce_equals_minimax_loss():
    # Label convention: BCE(1, r) + BCE(0, f) is the minimax D loss and
    # BCE(1, f) the non-saturating G loss.
    x = images(8)
    logs = []
    for d_loss, g_loss in [
        (keras.losses.BinaryCrossentropy(from_logits=True),
         keras.losses.BinaryCrossentropy(from_logits=True)),
        ("minimax", "non_saturating"),
    ]:
        keras.utils.set_random_seed(0)  # the same initial weights
        gan = make_gan()
        gan.compile(d_loss=d_loss, g_loss=g_loss)
        logs.append(gan.evaluate(x, batch_size=8, verbose=0,
                                 return_dict=True))
    for key in ("d_loss", "g_loss"):
        assert logs[0][key] == pytest.approx(logs[1][key], rel=1e-5)


@pytest.mark.backends("tensorflow", "torch")
def test_evaluate_updates_nothing():
    gan = make_gan()
    gan.compile(d_loss="hinge", g_loss="hinge", penalties=["r1"])

    def state():
        return [w.copy() for w in gan.generator.get_weights()
                + gan.discriminator.get_weights()
                + [gan.noise_state.numpy()]]

    before = state()
    logs = gan.evaluate(images(), batch_size=8, verbose=0, return_dict=True)
    # No update, so no gradient norm.
    assert set(logs) == {"d_loss", "g_loss", "r1_penalty", "d_real",
                         "d_fake", "nonfinite_steps", "d_acc_real",
                         "d_acc_fake", "diversity"}
    for a, b in zip(before, state()):
        np.testing.assert_array_equal(a, b)
    # Evaluating again draws the same noise: the same numbers.
    again = gan.evaluate(images(), batch_size=8, verbose=0, return_dict=True)
    assert again == pytest.approx(logs, rel=1e-6)


@pytest.mark.backends("tensorflow", "torch")
def test_d_steps_discriminator_updates_per_generator_update():
    gan = make_gan(d_steps=3)
    gan.compile(d_loss="wasserstein", g_loss="wasserstein")
    gan.fit(images(32), batch_size=8, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 4
    assert int(gan.d_optimizer.iterations) == 12


@pytest.mark.backends("tensorflow", "torch")
def test_dataset_of_images_and_labels():
    # An unconditional GAN ignores the labels: the same updates and logs
    # as on the images alone.
    results = []
    for with_labels in (True, False):
        keras.utils.set_random_seed(0)  # the same initial weights
        gan = make_gan()
        gan.compile()
        x = (images(), np.arange(32) % 10) if with_labels else images()
        data = tf.data.Dataset.from_tensor_slices(x).batch(8)
        history = gan.fit(data, epochs=1, verbose=0, shuffle=False)
        results.append((history.history, gan.get_weights()))
    (logs, weights), (logs_alone, weights_alone) = results
    assert set(logs) == set(logs_alone)
    for key in logs:
        assert logs[key] == pytest.approx(logs_alone[key], rel=1e-6)
    for a, b in zip(weights, weights_alone):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_latent_dim_defaults_to_generator_input():
    assert make_gan().latent_dim == LATENT


def test_generate_is_deterministic_with_a_seed():
    gan = make_gan()
    a, b = gan.generate(5, seed=1), gan.generate(5, seed=1)
    c = gan.generate(5, seed=2)
    assert a.shape == (5, 4, 4, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # Calls of 2 + 1 images against one of 5: the same latents, up to the
    # float32 summation order of each batch size's kernels (a few ulps,
    # absolute for values near 0).
    np.testing.assert_allclose(
        gan.generate(3, seed=1, batch_size=2), a[:3], rtol=1e-5, atol=1e-6)


def test_calling_the_gan_runs_the_generator():
    gan = make_gan()
    z = np.random.default_rng(0).normal(size=(2, LATENT)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gan(z)),
                               keras.ops.convert_to_numpy(gan.generator(z)),
                               rtol=1e-6)


@pytest.mark.backends("tensorflow", "torch")
def test_keras_file_round_trip_restores_weights_and_compile(tmp_path):
    gan = make_gan(d_steps=2)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3),
                g_optimizer=keras.optimizers.RMSprop(1e-3),
                d_loss=kgl.losses.HingeDiscriminatorLoss(),
                g_loss="hinge",
                penalties=[kgl.penalties.R1Penalty(0.5)])
    gan.fit(images(16), batch_size=8, epochs=1, verbose=0)
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, kgl.GAN)
    assert restored.d_steps == 2 and restored.latent_dim == LATENT
    for a, b in zip(gan.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert isinstance(restored.d_loss, kgl.losses.HingeDiscriminatorLoss)
    assert isinstance(restored.g_optimizer, keras.optimizers.RMSprop)
    assert [p.weight for p in restored.penalties] == [0.5]
    history = restored.fit(images(16), batch_size=8, epochs=1, verbose=0)
    assert "r1_penalty" in history.history


# --- clear errors ---------------------------------------------------------

def test_generator_output_vs_discriminator_input():
    with pytest.raises(ValueError,
                       match=r"generator output \(None, 4, 4, 1\) vs "
                             r"discriminator input \(None, 8, 8, 1\)"):
        kgl.GAN(generator(), discriminator(image=(8, 8, 1)))


def test_latent_dim_vs_generator_input():
    with pytest.raises(ValueError, match=r"\(batch, 16\).*\(None, 8\)"):
        kgl.GAN(generator(), discriminator(), latent_dim=16)


def test_latent_dim_required_when_it_cannot_be_inferred():
    g = keras.Sequential([keras.layers.Dense(16),
                          keras.layers.Reshape((4, 4, 1))])
    with pytest.raises(ValueError, match="Pass `latent_dim=`"):
        kgl.GAN(g, discriminator())
    gan = kgl.GAN(g, discriminator(), latent_dim=5)
    assert gan.generate(2).shape == (2, 4, 4, 1)


@pytest.mark.parametrize("data", [
    lambda: images(image=(5, 5, 1)),
    lambda: tf.data.Dataset.from_tensor_slices(
        images(image=(5, 5, 1))).batch(4),
], ids=["numpy", "dataset"])
def test_data_shape_vs_discriminator_input(data):
    gan = make_gan()
    gan.compile()
    with pytest.raises(ValueError,
                       match=r"5, 5, 1\).*\(None, 4, 4, 1\)"):
        gan.fit(data(), epochs=1, verbose=0)


def test_unbatched_dataset_hint():
    gan = make_gan()
    gan.compile()
    with pytest.raises(ValueError, match=r"unbatched.*\.batch"):
        gan.fit(tf.data.Dataset.from_tensor_slices(images()), verbose=0)


def test_integer_images_refused():
    gan = make_gan()
    gan.compile()
    with pytest.raises(TypeError, match="uint8"):
        gan.fit(np.zeros((8, 4, 4, 1), "uint8"), verbose=0)


def test_swapped_losses_are_a_type_error():
    gan = make_gan()
    with pytest.raises(TypeError, match="swap"):
        gan.compile(d_loss=kgl.losses.WassersteinGeneratorLoss(),
                    g_loss=kgl.losses.WassersteinDiscriminatorLoss())


def test_unreduced_loss_refused():
    gan = make_gan()
    with pytest.raises(ValueError, match="reduction=None"):
        gan.compile(d_loss=kgl.losses.HingeDiscriminatorLoss(reduction=None))


def test_same_optimizer_twice_refused():
    gan = make_gan()
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different optimizer"):
        gan.compile(d_optimizer=opt, g_optimizer=opt)


def test_keras_compile_arguments_refused():
    gan = make_gan()
    with pytest.raises(TypeError, match="no `optimizer` argument"):
        gan.compile(optimizer="adam")


def test_duplicate_penalty_names_refused():
    gan = make_gan()
    with pytest.raises(ValueError, match="'r1_penalty' is used twice"):
        gan.compile(penalties=["r1", kgl.penalties.R1Penalty(1.0)])


def test_fit_before_compile_is_a_clear_error():
    with pytest.raises(RuntimeError, match="compile"):
        make_gan().fit(images(), verbose=0)


@pytest.mark.parametrize("kwargs,error", [
    ({"d_steps": 0}, ValueError),
    ({"d_steps": 1.5}, ValueError),
    ({"seed": "x"}, TypeError),
])
def test_bad_constructor_arguments(kwargs, error):
    with pytest.raises(error, match=list(kwargs)[0]):
        make_gan(**kwargs)


def test_discriminator_batch_norm_statistics_move_in_fit():
    # The discriminator runs only inside its losses' gradient computations:
    # the moving statistics it updates there must come out of them (on
    # JAX, out of the traced function) on every backend.
    d = keras.Sequential([
        keras.Input(IMAGE), keras.layers.Flatten(), keras.layers.Dense(8),
        keras.layers.BatchNormalization(momentum=0.5), keras.layers.Dense(1),
    ])
    gan = kgl.GAN(generator(), d, seed=0)
    gan.compile()
    gan.fit(images(16), batch_size=8, epochs=1, verbose=0)
    mean, variance = (w.numpy() for w in d.non_trainable_weights)
    # From 0 and 1, after two steps at momentum 0.5.
    assert not np.allclose(mean, 0.0, atol=1e-3)
    assert not np.allclose(variance, 1.0, atol=1e-3)
