"""Under MirroredStrategy over two logical CPUs, one `ImageToImageGAN`
update equals the single-device update on the global batch, also for a
partial last batch that splits unevenly or leaves a replica empty."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from nets import pair_discriminator
from nets import pair_generator
from nets import pairs

import keras_gan_losses as kgl


def make_gan(adversarial=True):
    keras.utils.set_random_seed(0)
    gan = kgl.ImageToImageGAN(pair_generator(), pair_discriminator(),
                              ema_decay=0.5, seed=3)
    losses = {} if adversarial else {"d_loss": None, "g_loss": None}
    gan.compile(
        d_optimizer=keras.optimizers.SGD(0.1),
        g_optimizer=keras.optimizers.SGD(0.1),
        penalties=[kgl.penalties.R1Penalty(2.0)] if adversarial else None,
        reconstruction_losses=[(keras.losses.MeanAbsoluteError(), 10.0),
                               (keras.losses.MeanSquaredError(), 1.0)],
        **losses,
    )
    return gan


@pytest.mark.parametrize("n,adversarial", [
    (13, True), (9, True), (9, False),
], ids=["last_batch_5", "last_batch_1", "reconstruction_only_last_batch_1"])
def test_update_equals_single_device(mirrored_strategy, n, adversarial):
    # 13 = a full batch of 8, then 5 split 3/2; 9 = 8, then 1, which
    # leaves one replica empty: each replica's terms must count for its
    # share of the batch.
    source, target = pairs(n)
    single = make_gan(adversarial)
    initial = [np.array(w) for w in single.get_weights()]
    single_logs = single.fit(source, target, batch_size=8, epochs=1,
                             verbose=0, shuffle=False).history
    with mirrored_strategy.scope():
        multi = make_gan(adversarial)
    data = tf.data.Dataset.from_tensor_slices((source, target)).batch(8)
    multi_logs = multi.fit(data, epochs=1, verbose=0).history
    assert any(not np.allclose(a, b)
               for a, b in zip(initial, single.get_weights()))
    for a, b in zip(single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(single_logs) == set(multi_logs)
    assert multi_logs["nonfinite_steps"] == [0.0]
    for key in single_logs:
        assert np.isfinite(multi_logs[key][0]), key
        assert multi_logs[key][0] == pytest.approx(single_logs[key][0],
                                                   rel=1e-5, abs=1e-6), key
