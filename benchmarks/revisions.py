"""`GAN.fit` throughput of this tree against another git revision.

Each tree runs in its own worker process (its package first on
`PYTHONPATH`), both on the same networks, data and settings; the parent
asks them for timings in turn, so that both see the same machine load, and
reports the median over the repetitions of the per-repetition ratio
(this tree / the other). A ratio of 1.00 means no change; above 1 is
faster. Use it for a change that should not cost speed.

    .venv/bin/python benchmarks/revisions.py --base HEAD~1
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent

WORKER = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
settings = json.loads(sys.argv[1])
if settings["replicas"] > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * settings["replicas"])
import keras
import keras_gan_losses as kgl
tf.config.threading.set_intra_op_parallelism_threads(2)
strategy = (tf.distribute.MirroredStrategy(
    [f"/cpu:{i}" for i in range(settings["replicas"])])
    if settings["replicas"] > 1 else tf.distribute.get_strategy())
data = kgl.data.load_images("mnist_10k", batch_size=settings["batch_size"])
data = data.repeat()
gans = {}
for loss in settings["losses"]:
    keras.utils.set_random_seed(0)
    with strategy.scope():
        g, d = kgl.architectures.dcgan((28, 28, 1), latent_dim=64,
                                       width=settings["width"])
        preset = kgl.presets.get(loss)
        gan = kgl.GAN(g, d, seed=0, d_steps=preset.d_steps)
        gan.compile(**preset.compile_kwargs())
    gan.fit(data, steps_per_epoch=3, epochs=1, verbose=0)
    gans[loss] = gan
print("ready", flush=True)
for line in sys.stdin:
    loss, steps = line.split()
    start = time.perf_counter()
    gans[loss].fit(data, steps_per_epoch=int(steps), epochs=1, verbose=0)
    print(json.dumps(time.perf_counter() - start), flush=True)
"""


def start(tree, settings):
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps(settings)], cwd=tree,
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"the worker for {tree} did not start")
    return process


def ask(process, loss, steps):
    process.stdin.write(f"{loss} {steps}\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True,
                        help="git revision to compare with")
    parser.add_argument("--losses", nargs="+",
                        default=["non_saturating", "wasserstein_gp"])
    parser.add_argument("--replicas", type=int, default=1,
                        help="MirroredStrategy over this many logical CPUs")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=60,
                        help="generator steps per timing")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    settings = {"losses": args.losses, "replicas": args.replicas,
                "width": args.width, "batch_size": args.batch_size}
    with tempfile.TemporaryDirectory() as tmp:
        base = pathlib.Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q",
                        str(base), args.base], cwd=REPO, check=True)
        try:
            workers = {"this": start(REPO, settings),
                       "base": start(base, settings)}
            ratios = {loss: [] for loss in args.losses}
            times = {loss: {"this": [], "base": []} for loss in args.losses}
            for repeat in range(args.repeats):
                for loss in args.losses:
                    # Alternate which tree goes first.
                    order = ["this", "base"] if repeat % 2 else [
                        "base", "this"]
                    took = {name: ask(workers[name], loss, args.steps)
                            for name in order}
                    for name in order:
                        times[loss][name].append(took[name])
                    ratios[loss].append(took["base"] / took["this"])
            for process in workers.values():
                process.stdin.close()
                process.wait()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force",
                            str(base)], cwd=REPO, check=False)
    print(f"GAN.fit throughput, this tree / {args.base} "
          f"({args.replicas} replica(s), DCGAN width {args.width}, batch "
          f"{args.batch_size}, {args.steps} steps x {args.repeats} "
          "interleaved repetitions; median of per-repetition ratios):")
    for loss in args.losses:
        ms = {name: 1000 * statistics.median(values) / args.steps
              for name, values in times[loss].items()}
        print(f"  {loss:16s} ratio {statistics.median(ratios[loss]):.3f} "
              f"(range {min(ratios[loss]):.3f}-{max(ratios[loss]):.3f}); "
              f"ms/step this {ms['this']:.1f}, base {ms['base']:.1f}")


if __name__ == "__main__":
    main()
