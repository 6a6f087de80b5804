"""Training never fails silently: bad data, non-finite values and bad
arguments are refused or skipped, with messages that say what to do."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import IMAGE
from nets import discriminator
from nets import generator
from nets import images

import keras_gan_losses as kgl
from keras_gan_losses.models.guard import gradients_bad

# Runs on every Keras backend (see tests/conftest.py).
pytestmark = pytest.mark.backends


def make_gan(**kwargs):
    compile_kwargs = {
        key: kwargs.pop(key) for key in list(kwargs)
        if key in ("nonfinite_patience", "penalties", "d_loss", "g_loss",
                   "jit_compile")
    }
    keras.utils.set_random_seed(0)
    gan = kgl.GAN(generator(), discriminator(), seed=0, **kwargs)
    gan.compile(**compile_kwargs)
    return gan


def state(gan):
    """Everything a skipped step must leave alone."""
    values = gan.generator.get_weights() + gan.discriminator.get_weights()
    values += [v.numpy() for v in gan.d_optimizer.variables]
    values += [v.numpy() for v in gan.g_optimizer.variables]
    if gan.ema_generator is not None:
        values += gan.ema_generator.get_weights()
    return [np.array(v, copy=True) for v in values]


def assert_same(before, after):
    assert len(before) == len(after)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def dataset(x, batch=8):
    return tf.data.Dataset.from_tensor_slices(x).batch(batch)


def with_bad_pixel(x, value, index=0):
    x = x.copy()
    x[index, 0, 0, 0] = value
    return x


# --- non-finite data -------------------------------------------------------

@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
def test_array_with_a_non_finite_pixel_is_refused(value):
    gan = make_gan()
    with pytest.raises(ValueError, match="1 NaN or Inf values"):
        gan.fit(with_bad_pixel(images(16), value), batch_size=8, verbose=0)


@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
def test_non_finite_batch_updates_nothing_and_is_counted(value):
    gan = make_gan(d_steps=2, ema_decay=0.9)
    before = state(gan)
    with pytest.warns(RuntimeWarning, match=r"Non-finite data at epoch 1, "
                                            r"step 1.*np.isfinite"):
        history = gan.fit(dataset(with_bad_pixel(images(8), value)),
                          verbose=0)
    assert_same(before, state(gan))
    assert int(gan.d_optimizer.iterations.numpy()) == 0
    assert int(gan.g_optimizer.iterations.numpy()) == 0
    logs = history.history
    assert logs["nonfinite_steps"] == [1.0]
    # No finite step: the means are empty (0), not NaN, not made up.
    assert logs["d_loss"] == [0.0] and logs["g_loss"] == [0.0]


class BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({k: float(v) for k, v in logs.items()})


@pytest.mark.backends("tensorflow", "torch")
def test_good_batches_still_train_around_a_bad_one():
    x = images(24)
    x = with_bad_pixel(x, np.nan, index=9)  # in the second batch of 8
    gan = make_gan()
    record = BatchLogs()
    with pytest.warns(RuntimeWarning, match="epoch 1, step 2"):
        history = gan.fit(dataset(x), verbose=0, callbacks=[record])
    assert history.history["nonfinite_steps"] == [1.0]
    assert int(gan.d_optimizer.iterations.numpy()) == 2
    assert all(np.isfinite(w).all() for w in gan.get_weights())
    # The running means leave the bad step out: after it they are those of
    # the first step, and the epoch's are the mean of the two good steps.
    first, second, third = record.logs
    assert [first["nonfinite_steps"], second["nonfinite_steps"],
            third["nonfinite_steps"]] == [0.0, 1.0, 1.0]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert second[key] == first[key]
        assert np.isfinite(third[key])
        assert history.history[key][0] == pytest.approx(third[key])


@pytest.mark.backends("tensorflow", "torch")
def test_a_run_of_bad_steps_stops_fit_where_it_began():
    good, bad = images(40, seed=1), images(40, seed=2)
    bad[:, 0, 0, 0] = np.nan
    x = np.concatenate([good, bad])
    gan = make_gan(nonfinite_patience=3)
    # Two epochs of 5 batches: steps 1-5 of epoch 1 are good, epoch 2 is
    # bad from its first step.
    data = dataset(x).take(5).concatenate(dataset(x).skip(5))
    with pytest.warns(RuntimeWarning), \
            pytest.raises(FloatingPointError) as error:
        gan.fit(data.repeat(), steps_per_epoch=5, epochs=3, verbose=0)
    message = str(error.value)
    assert "3 steps in a row" in message
    assert "epoch 2, step 1" in message
    assert "non-finite data" in message
    # The weights are those after the five good steps.
    reference = make_gan()
    reference.fit(dataset(good), verbose=0)
    assert_same(state(reference), state(gan))


@pytest.mark.backends("tensorflow", "jax")
def test_patience_holds_inside_one_execution():
    # steps_per_execution=8: Python looks once per 8 steps. Batch 1 is
    # good, batches 2-6 bad, 7-8 good: the run of 3 bad steps (2-4) stops
    # training, and the good batches after it in the same execution
    # change nothing.
    x = images(64, seed=3)
    x[8:48, 0, 0, 0] = np.nan
    keras.utils.set_random_seed(0)
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(nonfinite_patience=3, steps_per_execution=8)
    with pytest.warns(RuntimeWarning, match="epoch 1, step 2"), \
            pytest.raises(FloatingPointError) as error:
        gan.fit(dataset(x), epochs=1, verbose=0)
    assert "3 steps in a row" in str(error.value)
    assert "epoch 1, step 2" in str(error.value)
    reference = make_gan()
    reference.fit(dataset(x[:8]), verbose=0)
    assert_same(state(reference), state(gan))


@pytest.mark.backends("tensorflow")
def test_a_run_that_ends_inside_one_execution_is_still_reported():
    x = images(32, seed=4)
    x[8:16, 0, 0, 0] = np.inf
    keras.utils.set_random_seed(0)
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(steps_per_execution=4)
    with pytest.warns(RuntimeWarning, match="Non-finite data at epoch 1, "
                                            "step 2"):
        history = gan.fit(dataset(x), epochs=1, verbose=0)
    assert history.history["nonfinite_steps"] == [1.0]


def test_non_finite_loss_is_skipped_and_named():
    # Finite data so large that the critic's logits overflow.
    huge = np.full((8,) + IMAGE, 3e38, "float32")
    gan = make_gan(data_range=None)
    before = state(gan)
    with pytest.warns(RuntimeWarning, match="Non-finite d_loss"):
        history = gan.fit(dataset(huge), verbose=0)
    assert history.history["nonfinite_steps"] == [1.0]
    assert_same(before, state(gan))


def nan_gradient_discriminator():
    """Finite outputs whose weight gradients are NaN: sqrt(0 · h) adds 0
    to the logit, and its derivative 0 · 1/(2·sqrt(0)) = 0 · ∞ is NaN."""
    images_in = keras.Input(IMAGE)
    h = keras.layers.Dense(1)(keras.layers.Flatten()(images_in))
    zero = keras.layers.Lambda(lambda t: keras.ops.sqrt(t * 0.0))(h)
    return keras.Model(images_in, keras.layers.Add()([h, zero]))


def test_non_finite_gradients_with_finite_losses_are_skipped_and_named():
    keras.utils.set_random_seed(0)
    gan = kgl.GAN(generator(), nan_gradient_discriminator(), seed=0)
    gan.compile(training_signals=False)
    before = state(gan)
    with pytest.warns(RuntimeWarning,
                      match="Non-finite discriminator gradients"):
        history = gan.fit(dataset(images(8)), verbose=0)
    assert history.history["nonfinite_steps"] == [1.0]
    assert_same(before, state(gan))


@pytest.mark.backends("tensorflow")
@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf],
                         ids=["finite", "nan", "inf", "-inf"])
def test_gradients_bad_is_exact(bad):
    # Entries of 1e20 overflow the sum of squares, not the gradient: not
    # bad. One non-finite entry anywhere is.
    huge = np.full((3, 4), 1e20, "float32")
    small = np.ones((5,), "float32")
    if bad is not None:
        small[2] = bad
    value = tf.function(gradients_bad)([tf.constant(huge), None,
                                        tf.constant(small)])
    assert float(value) == (0.0 if bad is None else 1.0)
    assert float(gradients_bad([])) == 0.0


@pytest.mark.backends("tensorflow")
def test_guard_holds_under_xla():
    gan = make_gan(jit_compile=True)
    before = state(gan)
    with pytest.warns(RuntimeWarning, match="Non-finite data"):
        history = gan.fit(dataset(with_bad_pixel(images(8), np.nan)),
                          verbose=0)
    assert history.history["nonfinite_steps"] == [1.0]
    assert_same(before, state(gan))


@pytest.mark.backends("tensorflow")
def test_guard_holds_under_mirrored_strategy(mirrored_strategy):
    # The NaN sits in the second replica's half: both replicas skip.
    with mirrored_strategy.scope():
        gan = make_gan(penalties="r1")
    before = state(gan)
    x = with_bad_pixel(images(8), np.nan, index=7)
    with pytest.warns(RuntimeWarning, match="Non-finite data"):
        history = gan.fit(dataset(x), verbose=0)
    assert history.history["nonfinite_steps"] == [1.0]
    assert_same(before, state(gan))


# --- value range and dtype -------------------------------------------------

def test_images_on_the_wrong_scale_are_refused():
    gan = make_gan()
    x = (images(16) + 1) * 127.5  # [0, 255] for a tanh generator
    with pytest.raises(ValueError, match=r"values in \[0\.\d+, 254\.\d+\], "
                                         r"outside the generator's output "
                                         r"range \[-1, 1\].*x / 127.5 - 1"):
        gan.fit(x, batch_size=8, verbose=0)


@pytest.mark.backends("tensorflow", "torch")
def test_wrong_scale_from_a_generator_is_refused_before_any_update():
    gan = make_gan()
    before = state(gan)

    def batches():
        while True:
            yield ((images(8) + 1) * 127.5,)

    with pytest.raises(ValueError, match=r"outside the generator's output "
                                         r"range \[-1, 1\]"):
        gan.fit(batches(), steps_per_epoch=2, verbose=0)
    assert_same(before, state(gan))


@pytest.mark.backends("tensorflow", "torch")
def test_uint8_from_a_python_generator_is_refused():
    gan = make_gan()

    def batches():
        while True:
            yield (np.zeros((8,) + IMAGE, "uint8"),)

    with pytest.raises(TypeError, match="images must be floats.*uint8"):
        gan.fit(batches(), steps_per_epoch=1, verbose=0)


@pytest.mark.backends("tensorflow", "torch")
def test_data_range_follows_the_generator_and_can_be_turned_off():
    sigmoid_generator = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(16, activation="sigmoid"),
        keras.layers.Reshape(IMAGE),
    ])
    gan = kgl.GAN(sigmoid_generator, discriminator())
    assert gan.data_range == (0.0, 1.0)
    assert make_gan().data_range == (-1.0, 1.0)
    linear = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16),
                               keras.layers.Reshape(IMAGE)])
    assert kgl.GAN(linear, discriminator()).data_range is None
    gan = make_gan(data_range=None)
    gan.fit(images(8) * 100, batch_size=8, verbose=0)  # not refused
    gan = make_gan(data_range=(0, 255))
    gan.fit((images(8) + 1) * 127.5, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="low < high"):
        make_gan(data_range=(1, -1))
    config = make_gan(data_range=(0, 255)).get_config()
    assert kgl.GAN.from_config(config).data_range == (0.0, 255.0)


# --- empty data and steps ----------------------------------------------------

def test_empty_data_is_an_error():
    gan = make_gan()
    with pytest.raises(ValueError, match="empty"):
        gan.fit(images(0), verbose=0)
    with pytest.raises(ValueError, match="empty dataset"):
        gan.fit(dataset(images(0)), verbose=0)
    filtered = dataset(images(8)).filter(lambda x: False)
    with pytest.raises(ValueError, match="yielded no batches"), \
            pytest.warns(UserWarning, match="ran out of data"):
        gan.fit(filtered, verbose=0)


@pytest.mark.backends("tensorflow", "torch")
def test_steps_beyond_finite_data_are_refused():
    gan = make_gan()
    with pytest.raises(ValueError, match=r"steps_per_epoch=3 over 4 "
                                         r"epoch\(s\) needs 12 batches, "
                                         r"but the dataset has 4.*repeat"):
        gan.fit(dataset(images(32)), steps_per_epoch=3, epochs=4,
                verbose=0)
    with pytest.raises(ValueError, match="the 32 images make 4 batches"):
        gan.fit(images(32), batch_size=8, steps_per_epoch=5, verbose=0)
    history = gan.fit(dataset(images(32)).repeat(), steps_per_epoch=3,
                      epochs=2, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 6
    assert history.epoch == [0, 1]


@pytest.mark.backends("tensorflow")
def test_steps_per_epoch_must_be_whole_executions():
    # Keras runs whole executions: 10 steps an epoch at 4 per execution
    # would train 12. Refused before training, with the multiples to use.
    keras.utils.set_random_seed(0)
    gan = kgl.GAN(generator(), discriminator(), seed=0)
    gan.compile(steps_per_execution=4)
    with pytest.raises(ValueError, match=r"steps_per_epoch=10 is not a "
                                         r"multiple of steps_per_execution=4"
                                         r".*train 12 steps.*8 or 12"):
        gan.fit(dataset(images(32)).repeat(), steps_per_epoch=10,
                verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 0
    # A multiple trains exactly that many steps an epoch.
    gan.fit(dataset(images(32)).repeat(), steps_per_epoch=8, epochs=2,
            verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 16


# --- conditional labels ------------------------------------------------------

def conditional_gan():
    z, label = keras.Input((8,)), keras.Input((), dtype="int32")
    embedded = keras.layers.Embedding(3, 8)(label)
    hidden = keras.layers.Concatenate()([z, embedded])
    out = keras.layers.Reshape(IMAGE)(
        keras.layers.Dense(16, activation="tanh")(hidden))
    g = keras.Model([z, label], out)
    x, label = keras.Input(IMAGE), keras.Input((), dtype="int32")
    hidden = keras.layers.Concatenate()([
        keras.layers.Flatten()(x), keras.layers.Embedding(3, 4)(label)])
    d = keras.Model([x, label], keras.layers.Dense(1)(hidden))
    gan = kgl.GAN(g, d, num_classes=3, seed=0)
    gan.compile()
    return gan


def test_float_and_one_hot_labels_are_refused():
    gan = conditional_gan()
    with pytest.raises(TypeError, match=r"int class ids in \[0, 3\); "
                                        r"received dtype float64.*astype"):
        gan.fit(images(4), np.array([0.0, 1.7, 2.0, 1.0]), verbose=0)
    one_hot = np.eye(3, dtype="int32")[[0, 1, 2, 1]]
    with pytest.raises(ValueError, match=r"shape \(4, 3\): one-hot.*"
                                         r"argmax"):
        gan.fit(images(4), one_hot, verbose=0)
    floats = tf.data.Dataset.from_tensor_slices(
        (images(4), np.array([0.0, 1.7, 2.0, 1.0], "float32"))).batch(2)
    with pytest.raises(TypeError, match="received dtype float32"):
        gan.fit(floats, verbose=0)


# --- arguments -------------------------------------------------------------

def test_probability_loss_without_from_logits_is_refused():
    bce = keras.losses.BinaryCrossentropy()
    gan = kgl.GAN(generator(), discriminator())
    with pytest.raises(ValueError, match=r"from_logits=True.*last "
                                         r"activation is 'linear'"):
        gan.compile(d_loss=bce)
    gan.compile(d_loss=keras.losses.BinaryCrossentropy(from_logits=True),
                g_loss=keras.losses.BinaryCrossentropy(from_logits=True))
    sigmoid_critic = keras.Sequential([
        keras.Input(IMAGE), keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid")])
    kgl.GAN(generator(), sigmoid_critic).compile(d_loss=bce, g_loss=bce)


@pytest.mark.backends("tensorflow", "torch")
def test_a_single_penalty_is_accepted():
    for penalty in ("r1", kgl.penalties.R1Penalty(2.0)):
        gan = make_gan(penalties=penalty)
        assert [p.name for p in gan.penalties] == ["r1_penalty"]
        history = gan.fit(images(8), batch_size=8, verbose=0)
        assert history.history["r1_penalty"][0] > 0


@pytest.mark.backends("tensorflow", "torch")
def test_nonfinite_patience_is_checked_and_saved(tmp_path):
    with pytest.raises(ValueError, match="nonfinite_patience"):
        make_gan(nonfinite_patience=0)
    gan = make_gan(nonfinite_patience=None)
    assert gan.get_compile_config()["nonfinite_patience"] is None
    gan = make_gan(nonfinite_patience=4)
    gan.fit(images(8), batch_size=8, verbose=0)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras")
    assert loaded.nonfinite_patience == 4


def test_generate_checks_its_arguments():
    gan = make_gan()
    with pytest.raises(ValueError, match="batch_size"):
        gan.generate(4, batch_size=0)
    with pytest.raises(TypeError, match="seed.*1.7"):
        gan.generate(4, seed=1.7)
    with pytest.raises(ValueError, match="64 bits"):
        gan.generate(4, seed=2**70)
    with pytest.raises(ValueError, match="num_images"):
        gan.generate(0)
    a = gan.generate(3, seed=-5, batch_size=2)
    # The same latents in calls of 2 + 1 and of 3: float32 kernels may sum
    # in another order for another batch size (Eigen does, with oneDNN
    # off), a few ulps; other latents would change the images by ~0.1.
    np.testing.assert_allclose(a, gan.generate(3, seed=-5), rtol=1e-5,
                               atol=1e-6)
    assert not np.allclose(a, gan.generate(3, seed=5))


@pytest.mark.backends("tensorflow")
def test_export_never_mixes_with_other_files(tmp_path):
    gan = make_gan()
    user_folder = tmp_path / "mine"
    user_folder.mkdir()
    (user_folder / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(FileExistsError, match="not an empty folder"):
            gan.export_generator(user_folder, overwrite=overwrite)
    assert sorted(p.name for p in user_folder.iterdir()) == ["notes.txt"]
    export = tmp_path / "export"
    gan.export_generator(export)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        gan.export_generator(export)
    stale = export / "stale.txt"
    stale.write_text("from the old export")
    gan.export_generator(export, overwrite=True)
    assert not stale.exists()
    assert (export / "saved_model.pb").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    gan.export_generator(empty)
    assert (empty / "saved_model.pb").is_file()


@pytest.mark.backends("tensorflow", "torch")
def test_progress_bar_shows_the_count_only_when_there_is_one(capsys):
    gan = make_gan()
    history = gan.fit(dataset(images(16)), epochs=2, verbose=2)
    shown = capsys.readouterr().out
    assert "d_loss" in shown and "nonfinite_steps" not in shown
    assert history.history["nonfinite_steps"] == [0.0, 0.0]
    with pytest.warns(RuntimeWarning):
        history = gan.fit(dataset(with_bad_pixel(images(16), np.nan)),
                          epochs=1, verbose=2)
    assert "nonfinite_steps: 1" in capsys.readouterr().out
    assert history.history["nonfinite_steps"] == [1.0]


@pytest.mark.backends("tensorflow", "torch")
def test_fit_on_a_dataset_does_not_warn_about_keras_shuffle(recwarn):
    make_gan().fit(dataset(images(8)), verbose=0)
    assert not [w for w in recwarn if "shuffle" in str(w.message)]


def test_arrays_may_stray_five_percent_of_the_range_width():
    from keras_gan_losses.models.data_checks import check_values

    images = np.zeros((2, 4, 4, 1), "float32")
    images[0, 0, 0, 0] = 1.09  # [-1, 1]: 5 % of the width is 0.1
    images[1, 0, 0, 0] = -1.09
    check_values(images, (-1.0, 1.0))
    images[0, 0, 0, 0] = 1.11
    with pytest.raises(ValueError, match=r"values in \[-1.09, 1.11\]"):
        check_values(images, (-1.0, 1.0))
