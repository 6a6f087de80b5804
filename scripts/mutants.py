"""Mutation check: plants known bugs one at a time and runs the tests.

Each mutant replaces one snippet of package code by a wrong one (R2 on real
data, DRAGAN without its perturbation, EMA decay ignored, ...) in a
temporary copy of the repository, then runs the test files that should
notice. A mutant the tests pass is MISSED: the suite would not catch that
bug. A mutant whose snippet is no longer in the code (or is there more than
once) is an ERROR: the code moved and the mutant needs updating.

    python scripts/mutants.py               # every mutant (`make mutants`)
    python scripts/mutants.py -k dragan,r1  # names containing either
    python scripts/mutants.py --list        # names, files and tests
    python scripts/mutants.py --check       # are all snippets still there?

The copy holds the files `git ls-files` lists, plus untracked files that
are not ignored, so new tests count before they are committed. Exit status
0 only if every mutant is caught.
"""

import argparse
import dataclasses
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

PENALTIES = "tests/penalties"
LOSSES = "tests/losses"
GAN = "tests/models/gan_test.py"
GAN_REF = "tests/models/gan_reference_test.py"
NOISE = "tests/models/gan_noise_test.py"
GUARD = "tests/models/gan_guard_test.py"
DISTRIBUTE = "tests/models/gan_distribute_test.py"
FEATURES = "tests/models/gan_features_test.py"
EMA = FEATURES + "::test_ema_follows_the_recurrence"
FID = "tests/metrics/frechet_test.py"
KID = "tests/metrics/kid_test.py"
MONITOR = "tests/callbacks/training_monitor_test.py"

P = "keras_gan_losses/penalties/"
L = "keras_gan_losses/losses/"
M = "keras_gan_losses/models/"


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One planted bug: `old` is replaced by `new` in `path`."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple


MUTANTS = [
    # --- penalties: which data, perturbation, alpha, one-sided, epsilon ---
    Mutant("r2_on_real_data", P + "r1.py",
           "    def _images(self, real, fake):\n        return fake",
           "    def _images(self, real, fake):\n        return real",
           (PENALTIES,)),
    Mutant("r1_on_fake_data", P + "r1.py",
           "    def _images(self, real, fake):\n        return real",
           "    def _images(self, real, fake):\n        return fake",
           (PENALTIES,)),
    Mutant("r1_without_half", P + "r1.py",
           "return 0.5 * super().__call__(",
           "return super().__call__(",
           (PENALTIES,)),
    Mutant("dragan_without_perturbation", P + "dragan.py",
           "mixed = real + alpha * (perturbed - real)",
           "mixed = real",
           (PENALTIES,)),
    Mutant("dragan_on_fake_data", P + "dragan.py",
           "perturbed = real + self.c * ops.std(real) * noise\n"
           "        alpha = uniform_per_example(real, alpha_seed)\n"
           "        mixed = real + alpha * (perturbed - real)",
           "perturbed = fake + self.c * ops.std(fake) * noise\n"
           "        alpha = uniform_per_example(fake, alpha_seed)\n"
           "        mixed = fake + alpha * (perturbed - fake)",
           (PENALTIES,)),
    Mutant("dragan_without_alpha", P + "dragan.py",
           "mixed = real + alpha * (perturbed - real)",
           "mixed = perturbed",
           (PENALTIES,)),
    Mutant("dragan_scale_c_ignored", P + "dragan.py",
           "perturbed = real + self.c * ops.std(real) * noise",
           "perturbed = real + ops.std(real) * noise",
           (PENALTIES,)),
    Mutant("dragan_noise_not_elementwise", P + "dragan.py",
           "noise = random.stateless_uniform(\n"
           "                tf.shape(real), noise_seed, real.dtype\n"
           "            )",
           "noise = uniform_per_example(real, noise_seed)",
           (PENALTIES,)),
    Mutant("gp_alpha_in_0_half", P + "gradient_penalty.py",
           "alpha = uniform_per_example(real, seed)",
           "alpha = 0.5 * uniform_per_example(real, seed)",
           (PENALTIES,)),
    Mutant("gp_alpha_per_element", P + "gradient_penalty.py",
           "alpha = uniform_per_example(real, seed)",
           "alpha = keras.random.uniform(ops.shape(real))",
           (PENALTIES,)),
    Mutant("gp_on_real_data", P + "gradient_penalty.py",
           "mixed = real + alpha * (fake - real)",
           "mixed = real + 0.0 * alpha * (fake - real)",
           (PENALTIES,)),
    Mutant("gp_one_sided_penalises_below", P + "gradient_penalty.py",
           "excess = ops.relu(excess)",
           "excess = ops.relu(-excess)",
           (PENALTIES,)),
    Mutant("gp_epsilon_dropped", P + "gradient_penalty.py",
           "norm = ops.sqrt(squared_norm_per_example(grads) + EPSILON)",
           "norm = ops.sqrt(squared_norm_per_example(grads))",
           (PENALTIES,)),
    Mutant("penalty_weight_ignored", P + "base.py",
           "return self.weight * ops.divide_no_nan(ops.sum(values), count)",
           "return ops.divide_no_nan(ops.sum(values), count)",
           (PENALTIES,)),
    # --- losses: each family's signs, targets and label smoothing ---------
    Mutant("penalty_not_differentiated", P + "base.py",
           'return ops.cast(grads, "float32")',
           'return ops.cast(tf.stop_gradient(grads), "float32")',
           (PENALTIES,)),
    Mutant("label_smoothing_on_fakes", L + "minimax.py",
           "ops.softplus(fake_logits)\n    )",
           "ops.softplus(fake_logits) * (1.0 - s)"
           " + ops.softplus(-fake_logits) * s\n    )",
           (LOSSES,)),
    Mutant("minimax_g_sign", L + "minimax.py",
           "mean_per_example(-ops.softplus(fake_logits))",
           "mean_per_example(ops.softplus(fake_logits))",
           (LOSSES,)),
    Mutant("non_saturating_g_sign", L + "minimax.py",
           "mean_per_example(ops.softplus(-fake_logits))",
           "mean_per_example(ops.softplus(fake_logits))",
           (LOSSES,)),
    Mutant("least_squares_targets_swapped", L + "least_squares.py",
           "ops.square(real_logits - b)",
           "ops.square(real_logits - a)",
           (LOSSES,)),
    Mutant("wasserstein_d_sign", L + "wasserstein.py",
           "mean_per_example(fake_logits) - mean_per_example(real_logits)",
           "mean_per_example(real_logits) - mean_per_example(fake_logits)",
           (LOSSES,)),
    Mutant("hinge_d_fake_sign", L + "hinge.py",
           "ops.relu(1.0 + fake_logits)",
           "ops.relu(1.0 - fake_logits)",
           (LOSSES,)),
    Mutant("relativistic_g_is_d", L + "relativistic.py",
           "return _relativistic(fake_logits, real_logits)",
           "return _relativistic(real_logits, fake_logits)",
           (LOSSES,)),
    Mutant("keras_loss_g_label_zero", M + "adversarial.py",
           "return loss(ops.ones_like(fake_logits), fake_logits)",
           "return loss(ops.zeros_like(fake_logits), fake_logits)",
           (GAN_REF,)),
    # --- the model ---------------------------------------------------------
    Mutant("gan_d_loss_real_fake_swapped", M + "gan.py",
           "self.d_loss, DISCRIMINATOR, real_logits, fake_logits",
           "self.d_loss, DISCRIMINATOR, fake_logits, real_logits",
           (GAN_REF,)),
    Mutant("gan_g_loss_real_fake_swapped", M + "gan.py",
           "self.g_loss, GENERATOR, real_logits, fake_logits",
           "self.g_loss, GENERATOR, fake_logits, real_logits",
           (GAN_REF,)),
    Mutant("gan_g_step_skips_real_logits", M + "gan.py",
           "if isinstance(self.g_loss, GANLoss) and "
           "self.g_loss.needs_real_logits:",
           "if False:",
           (GAN_REF,)),
    Mutant("gan_penalty_real_fake_swapped", M + "gan.py",
           "self.discriminator, real, fake,\n"
           "                seed=random.fold_in(seed, index)",
           "self.discriminator, fake, real,\n"
           "                seed=random.fold_in(seed, index)",
           (GAN_REF,)),
    Mutant("gan_penalty_without_labels", M + "gan.py",
           "conditioning=labels,\n            )",
           "conditioning=None,\n            )",
           (GAN_REF,)),
    Mutant("gan_fakes_take_other_labels", M + "gan.py",
           "fake = self._g(latent, labels, training=False)",
           "fake = self._g(latent, None if labels is None else "
           "tf.reverse(labels, [0]), training=False)",
           (GAN_REF,)),
    Mutant("gan_d_step_fakes_take_other_labels", M + "gan.py",
           "fake = tf.stop_gradient(self._g(latent, labels, training=True))",
           "fake = tf.stop_gradient(self._g(latent, None if labels is None "
           "else tf.reverse(labels, [0]), training=True))",
           (GAN_REF,)),
    Mutant("gan_g_step_fakes_take_other_labels", M + "gan.py",
           "fake = self._g(latent, labels, training)\n",
           "fake = self._g(latent, None if labels is None else "
           "tf.reverse(labels, [0]), training)\n",
           (GAN_REF,)),
    Mutant("gan_d_real_d_fake_logs_swapped", M + "gan.py",
           '("d_real", real_logits),',
           '("d_real", fake_logits),',
           (GAN_REF,)),
    Mutant("gan_d_steps_ignored", M + "gan.py",
           "for index in range(self.d_steps):",
           "for index in range(1):",
           (GAN,)),
    Mutant("gan_g_loss_on_stop_gradient", M + "gan.py",
           "fake = self._g(latent, labels, training)\n",
           "fake = tf.stop_gradient(self._g(latent, labels, training))\n",
           (GAN,)),
    Mutant("gan_ema_decay_ignored", M + "gan.py",
           "update_ema(self.ema_generator, self.generator, decay)",
           "update_ema(self.ema_generator, self.generator, 0.0)",
           (EMA,)),
    Mutant("gan_ema_start_ignored", M + "gan.py",
           "started = self.g_optimizer.iterations > self.ema_start",
           "started = self.g_optimizer.iterations > 0",
           (EMA,)),
    Mutant("gan_ema_start_off_by_one", M + "gan.py",
           "started = self.g_optimizer.iterations > self.ema_start",
           "started = self.g_optimizer.iterations >= self.ema_start",
           (EMA,)),
    Mutant("gan_ema_before_the_update", M + "gan.py",
           "        self.g_optimizer.apply(grads, g_vars)\n"
           "        if self.ema_generator is not None:\n"
           "            started = self.g_optimizer.iterations > "
           "self.ema_start\n"
           "            decay = tf.where(started, self.ema_decay, 0.0)\n"
           "            update_ema(self.ema_generator, self.generator, decay)",
           "        if self.ema_generator is not None:\n"
           "            started = self.g_optimizer.iterations >= "
           "self.ema_start\n"
           "            decay = tf.where(started, self.ema_decay, 0.0)\n"
           "            update_ema(self.ema_generator, self.generator, decay)\n"
           "        self.g_optimizer.apply(grads, g_vars)",
           (EMA,)),
    Mutant("ema_averages_batch_norm_statistics", M + "ema.py",
           "rate = (1.0 - decay) if var.trainable else 1.0",
           "rate = 1.0 - decay",
           ("tests/models/gan_ema_test.py",)),
    Mutant("ema_clone_starts_from_other_weights", M + "ema.py",
           "    clone.set_weights(generator.get_weights())\n",
           "",
           (EMA,)),
    Mutant("gan_penalties_not_trained", M + "gan.py",
           "total = d_loss + sum(terms.values())",
           "total = d_loss",
           (GAN_REF,)),
    Mutant("gan_penalty_replica_scaling_dropped", M + "gan.py",
           "            if share is not None:\n"
           "                value = value * share\n"
           "            terms[penalty.name] = value",
           "            terms[penalty.name] = value",
           (DISTRIBUTE,)),
    Mutant("gan_loss_share_of_uneven_batch_dropped", M + "gan.py",
           "return loss * (share * num_replicas())",
           "return loss",
           (DISTRIBUTE,)),
    Mutant("gan_logs_not_unscaled", M + "gan.py",
           "value = unscale_for_replicas(contribution)",
           "value = contribution",
           (DISTRIBUTE,)),
    Mutant("gan_replica_id_not_folded_in", M + "gan.py",
           "return random.fold_in(value, replica_id()), value[1]",
           "return random.fold_in(value, 0), value[1]",
           (DISTRIBUTE,)),
    Mutant("gan_noise_state_not_advanced", M + "gan.py",
           "state.assign_add(tf.constant([0, 1], tf.int64))",
           "state.assign_add(tf.constant([0, 0], tf.int64))",
           (NOISE,)),
    Mutant("gan_d_steps_reuse_noise", M + "gan.py",
           "real, labels, random.fold_in(seed, 2 * index),",
           "real, labels, random.fold_in(seed, 0),",
           (NOISE,)),
    Mutant("gan_g_step_reuses_d_noise", M + "gan.py",
           "tf.shape(real)[0], random.fold_in(seed, 2 * self.d_steps)",
           "tf.shape(real)[0], random.fold_in(seed, 0)",
           (NOISE,)),
    Mutant("gan_guard_applies_bad_d_update", M + "gan.py",
           "run_if(ok, lambda g: self.d_optimizer.apply(g, d_vars), grads)",
           "run_if(tf.constant(True), "
           "lambda g: self.d_optimizer.apply(g, d_vars), grads)",
           (GUARD,)),
    Mutant("gan_guard_applies_bad_g_update", M + "gan.py",
           "run_if(ok, self._apply_generator_update, grads)",
           "run_if(tf.constant(True), self._apply_generator_update, grads)",
           (GUARD,)),
    Mutant("gan_evaluate_trains", M + "gan.py",
           "        self._check_compiled()\n"
           "        real, labels = self._unpack(data)\n"
           "        batch_size = tf.shape(real)[0]\n"
           "        seed, _ = self._step_seed(self.eval_noise_state)",
           "        return self.train_step(data)",
           (GAN,)),
    Mutant("gan_evaluate_uses_training_noise", M + "gan.py",
           "seed, _ = self._step_seed(self.eval_noise_state)",
           "seed, _ = self._step_seed()",
           (GAN,)),
    # --- metrics -----------------------------------------------------------
    Mutant("gan_evaluate_noise_not_reset", M + "gan.py",
           "self.eval_noise_state.assign(np.array([base, 1 << 40], np.int64))",
           "pass",
           (GAN,)),
    Mutant("fid_cross_term_halved", "keras_gan_losses/metrics/frechet.py",
           "- 2.0 * _trace_sqrt_product(sigma1, sigma2)",
           "- _trace_sqrt_product(sigma1, sigma2)",
           (FID,)),
    Mutant("fid_biased_covariance", "keras_gan_losses/metrics/frechet.py",
           "/ (features.shape[0] - 1)",
           "/ features.shape[0]",
           (FID,)),
    Mutant("kid_biased_mmd", "keras_gan_losses/metrics/kid.py",
           "m * (m - 1)",
           "m * m",
           (KID,)),
    Mutant("kid_kernel_degree_2", "keras_gan_losses/metrics/kid.py",
           "return (x @ y.T / x.shape[1] + 1.0) ** 3",
           "return (x @ y.T / x.shape[1] + 1.0) ** 2",
           (KID,)),
    # --- training signals and the TrainingMonitor -------------------------
    Mutant("monitor_overpower_threshold_inverted",
           "keras_gan_losses/callbacks/training_monitor.py",
           "if min(real, fake) < self.accuracy or",
           "if min(real, fake) > self.accuracy or",
           (MONITOR,)),
    Mutant("monitor_collapse_threshold_inverted",
           "keras_gan_losses/callbacks/training_monitor.py",
           'now["diversity"] < self.collapse',
           'now["diversity"] > self.collapse',
           (MONITOR,)),
    Mutant("monitor_divergence_growth_ignored",
           "keras_gan_losses/callbacks/training_monitor.py",
           "loss > self.growth * max(low, 1.0)",
           "loss > self.growth * max(low, 1.0) * 1e9",
           (MONITOR,)),
    Mutant("accuracy_real_and_fake_swapped", M + "gan.py",
           "zip(signals.ACCURACY_KEYS, correct)",
           "zip(signals.ACCURACY_KEYS[::-1], correct)",
           (MONITOR,)),
    Mutant("accuracy_threshold_ignored", M + "signals.py",
           "return ((a + b) / 2.0, 1 if b > a else -1)",
           "return (0.0, 1)",
           (MONITOR,)),
    Mutant("grad_norm_of_the_wrong_network", M + "gan.py",
           'self._track_global("d_grad_norm", signals.gradient_norm(\n'
           '                grads, self.d_optimizer), ok)',
           'self._track_global("g_grad_norm", signals.gradient_norm(\n'
           '                grads, self.d_optimizer), ok)',
           (MONITOR,)),
    Mutant("grad_norm_before_all_reduce", M + "signals.py",
           "    grads = all_reduce_sum(grads)\n",
           "",
           (DISTRIBUTE,)),
    Mutant("diversity_inverted", M + "signals.py",
           "tf.sqrt(tf.math.divide_no_nan(_total_variance(fake),\n"
           "                                         real_variance))",
           "tf.sqrt(tf.math.divide_no_nan(real_variance,\n"
           "                                         _total_variance(fake)))",
           (MONITOR,)),
]


def copy_repository(target):
    """Copies the tracked and the untracked, not ignored files."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others",
         "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if not source.is_file():
            continue  # deleted in the work tree, not yet committed
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def run_tests(copy, tests, timeout):
    env = dict(os.environ, PYTHONPATH=str(copy),
               TF_CPP_MIN_LOG_LEVEL="2", PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-x", "-q",
               "-p", "no:cacheprovider", *tests]
    try:
        result = subprocess.run(command, cwd=copy, env=env, timeout=timeout,
                                capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return None, ""
    return result.returncode, result.stdout + result.stderr


def check_copy_is_imported(copy):
    env = dict(os.environ, PYTHONPATH=str(copy))
    out = subprocess.run(
        [sys.executable, "-c",
         "import keras_gan_losses; print(keras_gan_losses.__file__)"],
        cwd=copy, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    if not pathlib.Path(out).resolve().is_relative_to(copy.resolve()):
        sys.exit(f"The copy is not what Python imports ({out}); aborting.")


def first_failure(output):
    match = re.search(r"^(?:FAILED|ERROR) (.+?)(?: - |$)", output,
                      re.MULTILINE)
    return match.group(1)[:100] if match else ""


def check_snippet(root, mutant):
    """An error message if `mutant.old` is not in its file exactly once."""
    path = root / mutant.path
    if not path.exists():
        return f"{mutant.path} does not exist"
    count = path.read_text().count(mutant.old)
    if count != 1:
        where = "not found" if count == 0 else f"found {count} times"
        return f"snippet {where} in {mutant.path}: update the mutant"
    return None


def mutate(copy, mutant):
    """Plants the bug; returns the original text, or an error message."""
    error = check_snippet(copy, mutant)
    if error:
        return None, error
    path = copy / mutant.path
    text = path.read_text()
    path.write_text(text.replace(mutant.old, mutant.new))
    return text, None


def _exit_on_sigterm(signum, frame):
    # Unwinds through the `with` blocks: the temporary copy is removed and
    # the running pytest (killed by subprocess.run) does not outlive us.
    raise SystemExit(f"Stopped by signal {signum}.")


def main(argv=None):
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="run mutants whose name "
                        "contains this string (or one of several, "
                        "comma-separated)")
    parser.add_argument("--list", action="store_true",
                        help="list the mutants and exit")
    parser.add_argument("--check", action="store_true",
                        help="only check that every snippet is found once")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the unmutated run of the selected tests")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds per test run")
    args = parser.parse_args(argv)
    wanted = args.k.split(",")
    mutants = [m for m in MUTANTS if any(w in m.name for w in wanted)]
    if args.list:
        for m in mutants:
            print(f"{m.name:40s} {m.path:45s} {' '.join(m.tests)}")
        return 0
    if not mutants:
        sys.exit(f"No mutant name contains {args.k!r}.")
    if args.check:
        errors = [(m.name, error) for m in mutants
                  for error in [check_snippet(ROOT, m)] if error]
        for name, error in errors:
            print(f"{name}: ERROR ({error})")
        print(f"{len(mutants) - len(errors)} of {len(mutants)} snippets "
              "found once.")
        return 1 if errors else 0

    with tempfile.TemporaryDirectory(prefix="kgl-mutants-") as tmp:
        copy = pathlib.Path(tmp) / "repo"
        copy_repository(copy)
        check_copy_is_imported(copy)
        if not args.no_baseline:
            tests = sorted({t for m in mutants for t in m.tests})
            print(f"Baseline: {' '.join(tests)}", flush=True)
            code, output = run_tests(copy, tests, args.timeout * 3)
            if code != 0:
                print(output[-3000:])
                sys.exit("The unmutated tests fail: fix them first.")
        rows = []
        for mutant in mutants:
            start = time.monotonic()
            original, error = mutate(copy, mutant)
            if error:
                rows.append((mutant.name, "ERROR", 0.0, error))
                print(f"{mutant.name}: ERROR ({error})", flush=True)
                continue
            try:
                code, output = run_tests(copy, mutant.tests, args.timeout)
            finally:
                (copy / mutant.path).write_text(original)
            seconds = time.monotonic() - start
            if code is None:
                status, detail = "CAUGHT", "timeout"
            elif code == 0:
                status, detail = "MISSED", "all tests passed"
            elif code == 1:
                status, detail = "CAUGHT", first_failure(output)
            elif code == 2:
                status, detail = "CAUGHT", "collection error: " + (
                    first_failure(output) or "see pytest output")
            else:
                status, detail = "ERROR", f"pytest exit code {code}"
            rows.append((mutant.name, status, seconds, detail))
            print(f"{mutant.name}: {status} ({seconds:.0f}s) {detail}",
                  flush=True)

    print()
    print("| mutant | result | seconds | first failing test |")
    print("|---|---|---|---|")
    for name, status, seconds, detail in rows:
        print(f"| {name} | {status} | {seconds:.0f} | {detail} |")
    counts = {s: sum(r[1] == s for r in rows)
              for s in ("CAUGHT", "MISSED", "ERROR")}
    print(f"\n{counts['CAUGHT']} caught, {counts['MISSED']} missed, "
          f"{counts['ERROR']} errors, of {len(rows)} mutants.")
    return 0 if counts["CAUGHT"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
