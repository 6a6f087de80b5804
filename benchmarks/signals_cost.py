"""What the training signals cost, op by op, against a whole training step.

`benchmarks/revisions.py --base main` times whole `GAN.fit` runs of two
trees; on a busy machine its per-repetition ratios spread too widely to
resolve a few per cent. This script times, in one process and
interleaved, the extra work that `compile(training_signals=True)` adds
to a step: the gradient norms of both networks, the discriminator's
accuracy and the batch diversity. It compiles them as one `tf.function`
on the gradients and images of the presets' DCGAN. It compares that with
`train_step` with the signals off, and reports the median over
repetitions of the ratio signals / step.

    .venv/bin/python benchmarks/signals_cost.py
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_losses as kgl  # noqa: E402
from keras_gan_losses.models import signals  # noqa: E402


def main(width=32, batch=64, calls=20, repeats=15):
    keras.utils.set_random_seed(0)
    g, d = kgl.architectures.dcgan((28, 28, 1), latent_dim=64, width=width)
    gan = kgl.GAN(g, d, seed=0)
    gan.compile(training_signals=False)
    data = kgl.data.load_images("mnist_10k", batch_size=batch).repeat()
    real = next(iter(data))
    fake = g(tf.random.normal((batch, 64)))
    d_grads = [tf.ones_like(v) for v in d.trainable_variables]
    g_grads = [tf.ones_like(v) for v in g.trainable_variables]
    logits = tf.random.normal((batch, 1))
    rule = signals.decision_rule(gan.d_loss)

    @tf.function
    def extra():
        real_ok, fake_ok = signals.correct_decisions(rule, logits, logits)
        return (signals.gradient_norm(d_grads) + signals.gradient_norm(
            g_grads) + signals.diversity(fake, real)
            + tf.reduce_mean(real_ok) + tf.reduce_mean(fake_ok))

    step = tf.function(gan.train_step)
    extra(), step(real)
    ratios, step_ms, extra_ms = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            step(real)
        took_step = (time.perf_counter() - start) / calls
        start = time.perf_counter()
        for _ in range(calls):
            extra()
        took_extra = (time.perf_counter() - start) / calls
        ratios.append(took_extra / took_step)
        step_ms.append(1000 * took_step)
        extra_ms.append(1000 * took_extra)
    print(f"DCGAN width {width}, batch {batch}: train_step "
          f"{statistics.median(step_ms):.1f} ms, signals "
          f"{statistics.median(extra_ms):.2f} ms; signals / step: median "
          f"{statistics.median(ratios):.3f} (range {min(ratios):.3f}-"
          f"{max(ratios):.3f}, {repeats} repetitions)")


if __name__ == "__main__":
    main()
