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
COMBINED = "tests/models/gan_combined_test.py"
FEATURE_MATCHING = "tests/losses/feature_matching_test.py"
EMA = FEATURES + "::test_ema_follows_the_recurrence"
FID = "tests/metrics/frechet_test.py"
KID = "tests/metrics/kid_test.py"
AUGMENT = "tests/models/gan_augment_test.py"
I2I_REF = "tests/models/image_to_image_reference_test.py"
I2I_DISTRIBUTE = "tests/models/image_to_image_distribute_test.py"
I2I_EVALUATION = "tests/callbacks/image_to_image_evaluation_test.py"
I2I_SAMPLES = "tests/callbacks/image_to_image_samples_test.py"
I2I = "tests/models/image_to_image_test.py"
MMD = "tests/losses/mmd_test.py"
GAN_MMD = "tests/models/gan_mmd_test.py"
PERCEPTUAL = "tests/losses/perceptual_test.py"
MONITOR = "tests/callbacks/training_monitor_test.py"
CLI = "tests/cli/cli_test.py"
SCHEDULES = "tests/schedules_test.py"
R3GAN_NETS = "tests/architectures/r3gan_test.py"
COVERAGE = "tests/callbacks/mode_coverage_test.py"
BACKUP = "tests/callbacks/backup_and_restore_test.py"
KILL = "tests/cli/kill_resume_test.py"
EMPTY_REPLICA = "tests/models/gan_empty_replica_test.py"
ATOMIC = "tests/utils/atomic_test.py"
STEP_LOGS = "tests/models/step_logs_test.py"
BACKENDS = "tests/backends"
NO_TF = "tests/backends/no_tensorflow_test.py"
CLUSTERS = "tests/data/clusters_test.py"
GENERATE = "tests/models/gan_generate_test.py"

P = "keras_gan_losses/penalties/"
L = "keras_gan_losses/losses/"
M = "keras_gan_losses/models/"
U = "keras_gan_losses/utils/"
D = "keras_gan_losses/data/"
CB = "keras_gan_losses/callbacks/"
BK = "keras_gan_losses/backend/"


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One planted bug: `old` is replaced by `new` in `path`; its `tests`
    run under Keras's `backend` (TensorFlow by default)."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple
    backend: str = "tensorflow"


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
    # --- ONNX export ----------------------------------------------------------
    Mutant("onnx_export_overwrites_without_being_asked",
           "keras_gan_losses/export/onnx.py",
           "os.path.isdir(path) or (os.path.exists(path) and not overwrite)",
           "os.path.isdir(path)",
           (FEATURES + "::test_onnx_export_errors",)),
    Mutant("onnx_export_of_the_raw_generator", M + "gan_sampling.py",
           "            return export_generator_onnx(\n"
           "                generator,",
           "            return export_generator_onnx(\n"
           "                self.generator,",
           (FEATURES + "::test_onnx_export_runs_in_onnx_runtime",)),
    Mutant("image_to_image_onnx_export_of_the_raw_generator",
           M + "image_to_image.py",
           "return write_onnx(generator, path, [keras.InputSpec(",
           "return write_onnx(self.generator, path, [keras.InputSpec(",
           (I2I + "::test_onnx_export_translates_sources_in_onnx_runtime",)),
    # --- the per-backend input gradients -----------------------------------
    Mutant("jax_input_gradients_not_differentiable_again", BK + "jax.py",
           "        return jax.grad(total)(inputs)",
           "        return jax.lax.stop_gradient(jax.grad(total)(inputs))",
           (BACKENDS,)),
    Mutant("jax_input_gradients_in_a_step_not_differentiable_again",
           BK + "jax.py",
           "    grads, values = jax.grad(pure, has_aux=True)(inputs)",
           "    grads, values = jax.grad(pure, has_aux=True)(inputs)\n"
           "    grads = jax.lax.stop_gradient(grads)",
           (GAN_REF + "::test_relativistic_pairing_r1_r2_fit_step_equals_"
            "closed_form_sgd",), backend="jax"),
    Mutant("torch_input_gradients_without_create_graph", BK + "torch.py",
           "total, inputs, create_graph=torch.is_grad_enabled(),",
           "total, inputs, create_graph=False,",
           (BACKENDS,)),
    Mutant("torch_input_gradients_of_the_mean", BK + "torch.py",
           "total = fn(inputs).to(torch.float32).sum()",
           "total = fn(inputs).to(torch.float32).mean()", (BACKENDS,)),
    Mutant("jax_draws_ignore_the_seed", BK + "jax.py",
           "return jax.random.uniform(_key(seed), shape, like.dtype)",
           "return keras.random.uniform(shape, dtype=like.dtype)",
           (BACKENDS + "/penalties_backends_test.py",)),
    # --- the GAN's step on JAX and PyTorch ---------------------------------
    Mutant("jax_data_parallel_counts_devices_as_replicas", BK + "jax.py",
           "from keras_gan_losses.backend._one_replica import num_replicas  "
           "# noqa: F401",
           "num_replicas = jax.device_count",
           (BACKENDS + "/data_parallel_test.py",)),
    Mutant("jax_skipped_update_still_applied", BK + "jax.py",
           "        variable.assign(jnp.where(condition, new, variable.value))",
           "        variable.assign(new)",
           (GUARD + "::test_non_finite_loss_is_skipped_and_named",),
           backend="jax"),
    Mutant("jax_gradient_step_drops_state_updates", BK + "jax.py",
           "    for variable, new in zip(changed, news):\n"
           "        variable.assign(new)",
           "    pass",
           (GAN + "::test_discriminator_batch_norm_statistics_move_in_fit",),
           backend="jax"),
    Mutant("jax_step_state_not_returned", BK + "jax.py",
           "    return logs, tuple([scope.get_current_value(v) for v in group]",
           "    return logs, tuple([v.value for v in group]",
           (GAN_REF,), backend="jax"),
    Mutant("torch_skipped_update_still_applied", BK + "torch.py",
           "    if bool(condition):\n        with torch.no_grad():",
           "    if True:\n        with torch.no_grad():",
           (GUARD + "::test_non_finite_loss_is_skipped_and_named",),
           backend="torch"),
    Mutant("torch_gradients_of_the_wrong_network", BK + "torch.py",
           "    tensors = [v.value for v in variables]",
           "    tensors = [v.value for v in variables][::-1]",
           (GAN_REF,), backend="torch"),
    Mutant("torch_step_seed_does_not_advance", BK + "torch.py",
           "    state.assign(value + torch.tensor([0, 1], dtype=value.dtype,",
           "    state.assign(value + torch.tensor([0, 0], dtype=value.dtype,",
           (NOISE,), backend="torch"),
    Mutant("dataset_check_imports_tensorflow", U + "lazy.py",
           "    return module is not None and isinstance(value, "
           "module.data.Dataset)",
           "    return isinstance(value, tf.data.Dataset)",
           (NO_TF,)),
    Mutant("sample_folder_made_through_tensorflow", U + "atomic.py",
           "    if is_remote(directory):\n        tf.io.gfile.makedirs",
           "    if True:\n        tf.io.gfile.makedirs",
           (NO_TF,)),
    Mutant("backend_flag_ignored", "keras_gan_losses_cli.py",
           "    if backend:\n        environ[\"KERAS_BACKEND\"] = backend",
           "    if False:\n        environ[\"KERAS_BACKEND\"] = backend",
           ("tests/cli/entry_point_test.py",)),
    Mutant("resume_forgets_its_backend", "keras_gan_losses_cli.py",
           "backend = json.load(file).get(\"backend\") or backend",
           "json.load(file)",
           ("tests/cli/entry_point_test.py::"
            "test_train_on_the_torch_backend_and_resume_there",)),
    # --- self-conditioning: k-means clusters and their frequencies ---
    Mutant("kmeans_assigns_the_farthest_centre", D + "clusters.py",
           "    labels = distances.argmin(axis=1)",
           "    labels = distances.argmax(axis=1)",
           (CLUSTERS,)),
    Mutant("kmeans_centres_never_move", D + "clusters.py",
           "        centres = _means(points, labels, num_clusters)",
           "        centres = centres",
           (CLUSTERS,)),
    Mutant("kmeans_leaves_clusters_empty", D + "clusters.py",
           "    empty = list(np.flatnonzero(counts == 0))",
           "    empty = []",
           (CLUSTERS,)),
    Mutant("generate_ignores_label_frequencies", M + "gan_sampling.py",
           "        if labels is None and self.label_frequencies is not None:",
           "        if False:",
           (GENERATE,)),
    Mutant("saved_model_sample_ignores_label_frequencies",
           "keras_gan_losses/export/saved_model.py",
           "            if label_frequencies is None:\n"
           "                labels = tf.range",
           "            if True:\n                labels = tf.range",
           (FEATURES + "::test_exported_sample_draws_classes_with_the_"
            "label_frequencies",)),
    Mutant("kgl_train_forgets_the_cluster_sizes", "keras_gan_losses/cli/"
           "commands.py",
           "            label_frequencies=None if clusters is None else",
           "            label_frequencies=None if True else",
           (CLI + "::test_unconditional_runs_condition_on_kmeans_clusters",)),
    Mutant("resumed_run_clusters_again", "keras_gan_losses/cli/commands.py",
           "    if resuming and saved.is_file():",
           "    if False:",
           (CLI + "::test_clustered_data_pairs_each_image_with_its_cluster",)),
    Mutant("sample_grid_of_clusters_one_per_row", CB + "samples.py",
           "        if getattr(gan, \"label_frequencies\", None) is not None:",
           "        if False:",
           (GENERATE,)),
    Mutant("r1_without_half", P + "r1.py",
           "return 0.5 * super().__call__(",
           "return super().__call__(",
           (PENALTIES,)),
    Mutant("r1_mean_over_pixels_not_sum", P + "base.py",
           "    return ops.sum(ops.square(values), axis=axes)",
           "    return ops.mean(ops.square(values), axis=axes)",
           (PENALTIES + "/penalties_test.py::"
            "test_r1_plus_r2_with_one_weight_is_r3gans_regulariser",)),
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
           "noise = backend.uniform(real, backend.fold_in(seed, 1))",
           "noise = uniform_per_example(real, backend.fold_in(seed, 1))",
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
           "return self.weight_at(step) * ops.divide_no_nan(ops.sum(values),",
           "return 1.0 * ops.divide_no_nan(ops.sum(values),",
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
    Mutant("pairing_sign_flipped", L + "relativistic_pairing.py",
           "return mean_per_example(ops.softplus(second - first))",
           "return mean_per_example(ops.softplus(first - second))",
           (LOSSES,)),
    Mutant("pairing_g_is_d", L + "relativistic_pairing.py",
           "return _pairing(fake_logits, real_logits)",
           "return _pairing(real_logits, fake_logits)",
           (LOSSES,)),
    Mutant("pairing_against_the_batch_mean", L + "relativistic_pairing.py",
           "return mean_per_example(ops.softplus(second - first))",
           "return mean_per_example(ops.softplus(ops.mean(second) - first))",
           (LOSSES,)),
    Mutant("pairing_sizes_unchecked_at_run_time",
           L + "relativistic_pairing.py",
           "if real_logits.shape[0] is None or fake_logits.shape[0] is None:",
           "if False:",
           (LOSSES,)),
    Mutant("pairing_decision_against_the_mean", M + "signals.py",
           "        real_margin = real_logits - fake_logits\n",
           "        real_margin = real_logits - _global_mean(fake_logits)\n",
           (MONITOR, GAN_REF)),
    Mutant("keras_loss_g_label_zero", M + "adversarial.py",
           "return loss(ops.ones_like(fake_logits), fake_logits)",
           "return loss(ops.zeros_like(fake_logits), fake_logits)",
           (GAN_REF,)),
    # --- the model ---------------------------------------------------------
    Mutant("gan_d_loss_real_fake_swapped", M + "gan_step.py",
           '"d_loss", real_logits, fake_logits, share',
           '"d_loss", fake_logits, real_logits, share',
           (GAN_REF,)),
    Mutant("gan_g_loss_real_fake_swapped", M + "gan_step.py",
           '"g_loss", real_logits, fake_logits, share, features',
           '"g_loss", fake_logits, real_logits, share, features',
           (GAN_REF,)),
    Mutant("gan_g_step_skips_real_logits", M + "gan_step.py",
           "if any(isinstance(t.loss, GANLoss) and t.loss.needs_real_logits\n"
           "                   for t in terms):",
           "if False:",
           (GAN_REF,)),
    Mutant("gan_penalty_real_fake_swapped", M + "gan_step.py",
           "discriminator, real, fake,\n"
           "                seed=backend.fold_in(seed, index)",
           "discriminator, fake, real,\n"
           "                seed=backend.fold_in(seed, index)",
           (GAN_REF,)),
    Mutant("gan_penalty_without_labels", M + "gan_step.py",
           "conditioning=labels,\n                step=",
           "conditioning=None,\n                step=",
           (GAN_REF,)),
    Mutant("gan_fakes_take_other_labels", M + "gan_step.py",
           "fake = self._g(latent, labels, training=False)",
           "fake = self._g(latent, None if labels is None else "
           "tf.reverse(labels, [0]), training=False)",
           (GAN_REF,)),
    Mutant("gan_d_step_fakes_take_other_labels", M + "gan_step.py",
           "fake = ops.stop_gradient(self._g(latent, labels, training=True))",
           "fake = ops.stop_gradient(self._g(latent, None if labels is None "
           "else ops.flip(labels, 0), training=True))",
           (GAN_REF,)),
    Mutant("gan_g_step_fakes_take_other_labels", M + "gan_step.py",
           "fake = self._g(latent, labels, training)\n",
           "fake = self._g(latent, None if labels is None else "
           "tf.reverse(labels, [0]), training)\n",
           (GAN_REF,)),
    Mutant("gan_d_real_d_fake_logs_swapped", M + "gan_step.py",
           '("d_real", real_logits),',
           '("d_real", fake_logits),',
           (GAN_REF,)),
    Mutant("gan_d_steps_ignored", M + "gan_step.py",
           "for index in range(self.d_steps):",
           "for index in range(1):",
           (GAN,)),
    Mutant("gan_g_loss_on_stop_gradient", M + "gan_step.py",
           "fake = self._g(latent, labels, training)\n",
           "fake = tf.stop_gradient(self._g(latent, labels, training))\n",
           (GAN,)),
    Mutant("gan_ema_decay_ignored", M + "gan_step.py",
           "update_ema(self.ema_generator, self.generator, decay)",
           "update_ema(self.ema_generator, self.generator, 0.0)",
           (EMA,)),
    Mutant("gan_ema_start_ignored", M + "gan_step.py",
           "started = self.g_optimizer.iterations > self.ema_start",
           "started = self.g_optimizer.iterations > 0",
           (EMA,)),
    Mutant("gan_ema_start_off_by_one", M + "gan_step.py",
           "started = self.g_optimizer.iterations > self.ema_start",
           "started = self.g_optimizer.iterations >= self.ema_start",
           (EMA,)),
    Mutant("gan_ema_before_the_update", M + "gan_step.py",
           "        backend.apply_gradients(self.g_optimizer, grads, g_vars)\n"
           "        if self.ema_generator is not None:\n"
           "            started = self.g_optimizer.iterations > "
           "self.ema_start\n",
           "        if self.ema_generator is not None:\n"
           "            self.g_optimizer.iterations.assign_add(1)\n"
           "            update_ema(self.ema_generator, self.generator, "
           "self.ema_decay)\n"
           "            self.g_optimizer.iterations.assign_add(-1)\n"
           "        backend.apply_gradients(self.g_optimizer, grads, g_vars)\n"
           "        if self.ema_generator is not None:\n"
           "            started = self.g_optimizer.iterations > "
           "self.ema_start\n",
           (EMA,)),
    Mutant("ema_averages_batch_norm_statistics", M + "ema.py",
           "rates = [(1.0 - decay) if var.trainable else 1.0 for _, var in "
           "pairs]",
           "rates = [1.0 - decay for _, var in pairs]",
           ("tests/models/gan_ema_test.py",)),
    Mutant("ema_clone_starts_from_other_weights", M + "ema.py",
           "    clone.set_weights(generator.get_weights())\n",
           "",
           (EMA,)),
    Mutant("gan_penalties_not_trained", M + "gan_step.py",
           "total = d_loss + sum(terms[p.name] for p in self.penalties)",
           "total = d_loss",
           (GAN_REF,)),
    # --- the guard's gradient check ------------------------------------------
    Mutant("guard_gradients_not_checked", M + "guard.py",
           "flags.append(gradients_bad(grads, half_squared_norm))",
           "flags.append(tf.constant(0.0))",
           (GUARD,)),
    Mutant("guard_overflowing_norm_reported_as_non_finite", M + "guard.py",
           "lambda: any_bad(grads))",
           "lambda: tf.constant(1.0))",
           (GUARD,)),
    Mutant("guard_gradient_norm_never_looked_at", M + "guard.py",
           "return ops.cond(ops.isfinite(total), lambda: ops.zeros(()),",
           "return ops.cond(True, lambda: ops.zeros(()),",
           (GUARD,)),
    Mutant("guard_steps_after_patience_still_update", M + "gan_step.py",
           "ok = ops.logical_and(ok, ops.logical_not(self._guard.tripped()))",
           "ok = ok",
           (GUARD + "::test_patience_holds_inside_one_execution",)),
    Mutant("fit_steps_per_epoch_not_whole_executions_accepted",
           M + "gan.py",
           "    if steps_per_epoch % steps_per_execution:",
           "    if False:",
           (GUARD + "::test_steps_per_epoch_must_be_whole_executions",)),
    Mutant("guard_run_inside_an_execution_unreported", M + "guard.py",
           "first_new = ops.logical_and(starts, self.new_run_start < 0)",
           "first_new = ops.logical_and(starts, False)",
           (GUARD,)),
    Mutant("guard_patience_never_reached", M + "guard.py",
           "trips = ops.logical_and(run_length >= self.patience,",
           "trips = ops.logical_and(run_length >= self.patience + 99,",
           (GUARD,)),
    # --- logged values ------------------------------------------------------
    Mutant("step_logs_skipped_nan_counted", M + "step_logs.py",
           "values = ops.where(weights > 0.0, values, 0.0)",
           "values = values * weights",
           (STEP_LOGS,)),
    Mutant("step_logs_nonfinite_signal_kept", M + "step_logs.py",
           "weights = ops.where(bad, 0.0, weights)",
           "weights = weights",
           (STEP_LOGS,)),
    Mutant("step_logs_count_averaged", M + "step_logs.py",
           "values = ops.where(self._sum_mask, totals,",
           "values = ops.where(~self._sum_mask, totals,",
           (STEP_LOGS,)),
    Mutant("step_logs_scale_ignored", M + "step_logs.py",
           "values = values * np.array(scales, np.float32)",
           "values = values",
           (STEP_LOGS,)),
    Mutant("step_logs_not_reset", M + "step_logs.py",
           "self.totals.assign(ops.zeros(self.totals.shape))",
           "self.totals.assign(self.totals)",
           (STEP_LOGS,)),
    # --- combined losses and feature matching -------------------------------
    Mutant("gan_loss_weights_ignored", M + "gan_step.py",
           "value = term.weight * value",
           "value = 1.0 * value",
           (COMBINED,)),
    Mutant("gan_loss_components_not_summed", M + "gan_step.py",
           "total = total + value",
           "total = value",
           (COMBINED,)),
    Mutant("gan_loss_component_not_guarded", M + "gan_step.py",
           "checked = {key: terms[key] for key in keys}",
           "checked = {}",
           (COMBINED,)),
    Mutant("gan_feature_matching_share_not_divided", M + "gan_step.py",
           "value = value / backend.num_replicas()",
           "value = value",
           (COMBINED,)),
    Mutant("gan_feature_layer_swapped_for_output", M + "combined.py",
           "return keras.Model(inputs, output, ",
           "return keras.Model(inputs, discriminator.outputs[0], ",
           (COMBINED,)),
    Mutant("gan_feature_matching_real_and_fake_swapped", M + "gan_step.py",
           "                for x in (real, fake)\n",
           "                for x in (fake, real)\n",
           (COMBINED + "::test_mixed_float16_features_are_compared_in_float32",
            )),
    Mutant("feature_matching_compared_in_float16", L + "feature_matching.py",
           "return ops.mean(ops.square(target - _batch_mean(fake_features)))",
           "return ops.cast(ops.mean(ops.square(ops.cast(\n"
           "        target - _batch_mean(fake_features), 'float16'))),"
           " 'float32')",
           (COMBINED + "::test_mixed_float16_features_are_compared_in_float32",
            )),
    Mutant("feature_matching_real_features_with_gradient",
           L + "feature_matching.py",
           "target = _batch_mean(ops.stop_gradient(real_features))",
           "target = _batch_mean(real_features)",
           (FEATURE_MATCHING,)),
    Mutant("feature_matching_means_per_replica", L + "feature_matching.py",
           "sums = backend.all_reduce_sum(ops.sum(flat, axis=0))\n"
           "    count = backend.all_reduce_sum(ops.cast(ops.shape(flat)[0], "
           "flat.dtype))",
           "sums = ops.sum(flat, axis=0)\n"
           "    count = ops.cast(ops.shape(flat)[0], flat.dtype)",
           (FEATURE_MATCHING, COMBINED)),
    Mutant("feature_matching_summed_over_features", L + "feature_matching.py",
           "return ops.mean(ops.square(target - _batch_mean(fake_features)))",
           "return ops.sum(ops.square(target - _batch_mean(fake_features)))",
           (FEATURE_MATCHING,)),
    Mutant("gan_penalty_replica_scaling_dropped", M + "gan_step.py",
           "            if share is not None:\n"
           "                value = value * share\n"
           "            terms[penalty.name] = value",
           "            terms[penalty.name] = value",
           (DISTRIBUTE,)),
    Mutant("gan_loss_share_of_uneven_batch_dropped", M + "gan_step.py",
           "return loss * (share * backend.num_replicas())",
           "return loss",
           (DISTRIBUTE,)),
    Mutant("gan_logs_not_unscaled", M + "gan_step.py",
           "self._step_logs.add(name, contribution, ok,\n"
           "                            scale=backend.num_replicas())",
           "self._step_logs.add(name, contribution, ok)",
           (DISTRIBUTE,)),
    Mutant("gan_replica_id_not_folded_in", BK + "tensorflow.py",
           "return random.fold_in(value, replica_id()), value[1]",
           "return random.fold_in(value, 0), value[1]",
           (DISTRIBUTE,)),
    Mutant("gan_noise_state_not_advanced", BK + "tensorflow.py",
           "state.assign_add(tf.constant([0, 1], tf.int64))",
           "state.assign_add(tf.constant([0, 0], tf.int64))",
           (NOISE,)),
    Mutant("gan_d_steps_reuse_noise", M + "gan_step.py",
           "real, labels, backend.fold_in(seed, 2 * index),",
           "real, labels, backend.fold_in(seed, 0),",
           (NOISE,)),
    Mutant("gan_g_step_reuses_d_noise", M + "gan_step.py",
           "ops.shape(real)[0], backend.fold_in(seed, 2 * self.d_steps)",
           "ops.shape(real)[0], backend.fold_in(seed, 0)",
           (NOISE,)),
    Mutant("gan_guard_applies_bad_d_update", M + "gan_step.py",
           "backend.run_if(ok, self._apply_discriminator_update, grads,",
           "backend.run_if(True, self._apply_discriminator_update, grads,",
           (GUARD,)),
    # --- DiffAugment and LeCam inside the GAN ---
    Mutant("gan_penalties_see_plain_discriminator", M + "gan_step.py",
           "if training else None\n"
           "        if real_seed is not None:",
           "if training else None\n"
           "        if real_seed is None:",
           (AUGMENT,)),
    Mutant("gan_augment_real_only", M + "gan_step.py",
           "fake_logits = ops.cast(self._d(fake, labels, training, fake_seed),",
           "fake_logits = ops.cast(self._d(fake, labels, training),",
           (AUGMENT,)),
    Mutant("gan_augment_not_in_generator_step", M + "gan_step.py",
           "                self._d(fake, labels, training, fake_seed), "
           "\"float32\"",
           "                self._d(fake, labels, training), \"float32\"",
           (AUGMENT,)),
    Mutant("gan_lecam_local_means", M + "gan_step.py",
           "means = ops.divide_no_nan(backend.all_reduce_sum(sums),\n"
           "                                  backend.all_reduce_sum(counts))",
           "means = ops.divide_no_nan(sums, counts)",
           (DISTRIBUTE,)),
    Mutant("gan_lecam_averages_never_stored", M + "gan_step.py",
           "            penalty.assign(value)",
           "            pass",
           (AUGMENT,)),
    Mutant("diffaugment_brightness_range_doubled",
           "keras_gan_losses/augmentation.py",
           "_per_example_uniform(images, seed, -0.5, 0.5)",
           "_per_example_uniform(images, seed, -1.0, 1.0)",
           ("tests/augmentation",)),
    Mutant("diffaugment_translation_blocks_gradient",
           "keras_gan_losses/augmentation.py",
           "    return ops.where(inside, moved, ops.cast(fill_value, "
           "images.dtype))",
           "    return ops.where(inside, ops.stop_gradient(moved),\n"
           "                     ops.cast(fill_value, images.dtype))",
           ("tests/augmentation",)),
    Mutant("diffaugment_cutout_ignored_on_torch",
           "keras_gan_losses/augmentation.py",
           "    return ops.where(cut[..., None], ops.cast(fill_value, "
           "images.dtype),\n                     images)",
           "    return images",
           (AUGMENT + "::test_discriminator_sees_augmented_images_in_fit_"
            "only",), backend="torch"),
    Mutant("lecam_without_decay", P + "lecam.py",
           "self.decay * old + (1.0 - self.decay) * means",
           "means",
           (PENALTIES, AUGMENT)),
    Mutant("lecam_real_against_real_average", P + "lecam.py",
           "above = real - averages[1]",
           "above = real - averages[0]",
           (PENALTIES,)),
    Mutant("array_range_check_disabled", M + "data_checks.py",
           "    if lo < low - slack or hi > high + slack:\n"
           "        return lo, hi",
           "    if False:\n        return lo, hi",
           (GUARD, "tests/models/image_to_image_test.py")),
    Mutant("array_range_slack_ignored", M + "data_checks.py",
           "    slack = RANGE_SLACK * (high - low)\n    lo, hi",
           "    slack = 0.0\n    lo, hi",
           (GUARD,)),
    Mutant("gan_guard_applies_bad_g_update", M + "gan_step.py",
           "run_if(ok, self._apply_generator_update, grads)",
           "run_if(tf.constant(True), self._apply_generator_update, grads)",
           (GUARD,)),
    Mutant("gan_evaluate_trains", M + "gan_step.py",
           "        self._check_compiled()\n"
           "        real, labels = self._unpack(data)\n"
           "        batch_size = ops.shape(real)[0]\n"
           "        seed, _ = self._step_seed(self.eval_noise_state)",
           "        return self._train_step(data)",
           (GAN,)),
    Mutant("gan_evaluate_uses_training_noise", M + "gan_step.py",
           "seed, _ = self._step_seed(self.eval_noise_state)",
           "seed, _ = self._step_seed()",
           (GAN,)),
    # --- the image-to-image model -----------------------------------------
    Mutant("i2i_reconstruction_weight_ignored", M + "image_to_image.py",
           "name: _contribution(weight * loss(target, generated), share)",
           "name: _contribution(loss(target, generated), share)",
           (I2I_REF,)),
    Mutant("i2i_d_fakes_are_targets", M + "image_to_image.py",
           "fake_logits = self._logits(source, fake, training)\n"
           "        d_loss",
           "fake_logits = self._logits(source, target, training)\n"
           "        d_loss",
           (I2I_REF,)),
    Mutant("i2i_source_not_passed_to_discriminator", M + "image_to_image.py",
           "self.discriminator([source, images], training=training)",
           "self.discriminator([tf.zeros_like(source), images], "
           "training=training)",
           (I2I_REF,)),
    Mutant("i2i_penalty_without_source", M + "image_to_image.py",
           "conditioning=source,",
           "conditioning=tf.zeros_like(source),",
           (I2I_REF,)),
    Mutant("i2i_penalty_source_and_image_swapped", M + "image_to_image.py",
           "return self.discriminator([source, image], training=training)",
           "return self.discriminator([image, source], training=training)",
           (I2I_REF,)),
    Mutant("i2i_reconstruction_not_differentiated", M + "image_to_image.py",
           'generated = ops.cast(fake, "float32")',
           'generated = ops.cast(tf.stop_gradient(fake), "float32")',
           (I2I_REF,)),
    Mutant("i2i_reconstruction_share_dropped", M + "image_to_image.py",
           "name: _contribution(weight * loss(target, generated), share)",
           "name: weight * loss(target, generated)",
           (I2I_DISTRIBUTE,)),
    Mutant("i2i_reconstruction_not_guarded", M + "image_to_image.py",
           'losses, "generator gradients",',
           '{k: v for k, v in losses.items() if k == "g_loss"}, '
           '"generator gradients",',
           (I2I + "::test_non_finite_reconstruction_loss_skips_the_step",)),
    Mutant("i2i_random_states_not_saved", M + "random_states.py",
           'store[f"{RANDOM_STATE}{index}"] = state',
           "pass",
           (I2I + "::test_keras_file_round_trip_and_exact_resume",)),
    Mutant("i2i_empty_replica_not_padded", M + "empty_replicas.py",
           "    if num_replicas() == 1:\n        return tensors",
           "    if True:\n        return tensors",
           (I2I_DISTRIBUTE,)),
    Mutant("i2i_evaluation_real_images_are_sources",
           "keras_gan_losses/callbacks/gan_evaluation.py",
           "images, batch_labels = batch_labels, None",
           "batch_labels = None",
           (I2I_EVALUATION,)),
    Mutant("i2i_evaluation_pairs_misaligned",
           "keras_gan_losses/callbacks/gan_evaluation.py",
           "pair_scores = _pair_scores(images, target, fake_range)",
           "pair_scores = _pair_scores(images[::-1], target, fake_range)",
           (I2I_EVALUATION,)),
    Mutant("i2i_grid_columns_swapped", "keras_gan_losses/callbacks/samples.py",
           "return self.source, generated.astype(np.float32), self.target",
           "return self.source, self.target, generated.astype(np.float32)",
           (I2I_SAMPLES,)),
    # --- metrics -----------------------------------------------------------
    Mutant("gan_evaluate_noise_not_reset", M + "gan.py",
           "self.eval_noise_state.assign(np.array([base, stream], np.int64))",
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
           "kernel=\"polynomial\", unbiased=True,",
           "kernel=\"polynomial\", unbiased=False,",
           (KID,)),
    Mutant("kid_kernel_degree_2", "keras_gan_losses/metrics/kid.py",
           "degree=3, gamma=None, coef0=1.0,",
           "degree=2, gamma=None, coef0=1.0,",
           (KID,)),
    # --- image-to-image: pairs, PSNR/SSIM, U-Net, PatchGAN ---------------
    Mutant("pairs_max_pool_downsampling", "keras_gan_losses/data/pairs.py",
           "tf.nn.avg_pool2d(images, factor, factor, \"VALID\")",
           "tf.nn.max_pool2d(images, factor, factor, \"VALID\")",
           ("tests/data/pairs_test.py",)),
    Mutant("pairs_inpainting_mask_off_by_one",
           "keras_gan_losses/data/pairs.py",
           "\"bottom\": rows >= height // 2",
           "\"bottom\": rows > height // 2",
           ("tests/data/pairs_test.py",)),
    Mutant("psnr_range_not_mapped",
           "keras_gan_losses/metrics/reconstruction.py",
           "array = np.clip((array - low) / (high - low), 0.0, 1.0)",
           "array = np.clip(array, 0.0, 1.0)",
           ("tests/metrics/reconstruction_test.py",)),
    Mutant("ssim_sigma_ignored", "keras_gan_losses/metrics/reconstruction.py",
           "filter_sigma=float(filter_sigma),",
           "filter_sigma=1.5,",
           ("tests/metrics/reconstruction_test.py",)),
    Mutant("unet_skip_dropped", "keras_gan_losses/architectures/pix2pix.py",
           "([x, skips[level - 1]])",
           "([x, x])",
           ("tests/architectures/pix2pix_test.py",)),
    # --- MMD and the MMD GAN ----------------------------------------------
    Mutant("mmd_biased_when_unbiased_asked", L + "mmd.py",
           "    if unbiased:\n        within_x =",
           "    if False:\n        within_x =",
           (MMD,)),
    Mutant("mmd_unbiased_divides_by_n_squared", L + "mmd.py",
           "ops.trace(k_xx)) / (n * (n - 1.0))",
           "ops.trace(k_xx)) / (n * n)",
           (MMD,)),
    Mutant("mmd_cross_term_not_doubled", L + "mmd.py",
           "return within_x + within_y - 2.0 * ops.sum(k_xy) / (n * m)",
           "return within_x + within_y - ops.sum(k_xy) / (n * m)",
           (MMD,)),
    Mutant("mmd_gaussian_bandwidth_not_squared", L + "mmd.py",
           "ops.exp(-distances / (2.0 * sigma**2))",
           "ops.exp(-distances / (2.0 * sigma))",
           (MMD,)),
    Mutant("mmd_rational_quadratic_without_2_alpha", L + "mmd.py",
           "distances / (2.0 * alpha)))",
           "distances / alpha))",
           (MMD,)),
    Mutant("mmd_polynomial_gamma_not_1_over_d", L + "mmd.py",
           "gamma = 1.0 / x.shape[-1]",
           "gamma = 1.0",
           (MMD, KID)),
    Mutant("mmd_critic_sign_flipped", L + "mmd.py",
           "return _batch_statistic(-value,",
           "return _batch_statistic(value,",
           (MMD, GAN_MMD)),
    Mutant("gan_witness_penalty_recomputes_the_features", M + "gan_step.py",
           "outputs = (real_logits, fake_logits) if training else None",
           "outputs = None",
           (GAN_MMD,)),
    Mutant("witness_penalty_shared_features_without_gradient",
           P + "witness.py",
           "gather_replicas(_flat(features)) for features in outputs",
           "gather_replicas(_flat(tf.stop_gradient(features)))"
           " for features in outputs",
           (GAN_MMD,)),
    Mutant("mmd_features_not_gathered_over_replicas", BK + "tensorflow.py",
           "    if tf.distribute.get_strategy().num_replicas_in_sync == 1:",
           "    if True:",
           (DISTRIBUTE + "::test_mmd_update_equals_single_device",)),
    Mutant("witness_penalty_without_fake_term", P + "witness.py",
           "axis=1) - \\\n            ops.mean(self._kernel(points, fake",
           "axis=1) + 0 * \\\n            ops.mean(self._kernel(points, fake",
           (MMD, GAN_MMD)),
    Mutant("witness_penalty_on_real_data", P + "witness.py",
           "mixed = real + alpha * (fake - real)",
           "mixed = real",
           (MMD,)),
    # --- perceptual loss ---------------------------------------------------
    Mutant("perceptual_layer_weights_ignored", L + "perceptual.py",
           "total = total + weight * ops.mean(difference, axis=axes)",
           "total = total + ops.mean(difference, axis=axes)",
           (PERCEPTUAL,)),
    Mutant("perceptual_l2_is_l1", L + "perceptual.py",
           "            difference = ops.square(difference)",
           "            difference = ops.abs(difference)",
           (PERCEPTUAL,)),
    Mutant("perceptual_rgb_not_flipped_to_bgr", L + "perceptual.py",
           "images = ops.flip(images, axis=-1)  # RGB -> BGR",
           "pass",
           (PERCEPTUAL,)),
    Mutant("perceptual_no_mean_subtraction", L + "perceptual.py",
           "images = images - ops.convert_to_tensor(CAFFE_BGR_MEAN, "
           "\"float32\")",
           "pass",
           (PERCEPTUAL,)),
    Mutant("perceptual_grayscale_not_tiled", L + "perceptual.py",
           "images = ops.repeat(images, 3, axis=-1)",
           "images = ops.concatenate([images, 0 * images, 0 * images], -1)",
           (PERCEPTUAL,)),
    # --- schedules of the step: R3GAN's cosine, EMA half-life, Adam's β₂ ---
    Mutant("cosine_schedule_backwards", "keras_gan_losses/schedules.py",
           "return self.initial_value + (1.0 - cosine) * (",
           "return self.initial_value + cosine * (",
           (SCHEDULES,)),
    Mutant("cosine_schedule_not_clipped", "keras_gan_losses/schedules.py",
           "step = ops.minimum(ops.cast(step, \"float32\"),",
           "step = ops.maximum(ops.cast(step, \"float32\"),",
           (SCHEDULES,)),
    Mutant("half_life_ignores_the_batch_size",
           "keras_gan_losses/schedules.py",
           "ops.power(0.5, self.batch_size / ops.maximum(half_life, 1e-8))",
           "ops.power(0.5, 1.0 / ops.maximum(half_life, 1e-8))",
           (SCHEDULES,)),
    Mutant("adam_beta_2_schedule_frozen", "keras_gan_losses/optimizers.py",
           "return schedules.value_at(self._beta_2, self.iterations)",
           "return schedules.value_at(self._beta_2, 0)",
           (SCHEDULES,)),
    Mutant("adam_beta_2_schedule_not_saved", "keras_gan_losses/optimizers.py",
           'config["beta_2"] = schedules.serialize_value(self._beta_2)',
           'config["beta_2"] = 0.9',
           (SCHEDULES,)),
    Mutant("penalty_schedule_at_step_0", M + "gan_step.py",
           "                step=self._schedule_step(),",
           "                step=0,",
           (SCHEDULES,)),
    Mutant("ema_schedule_one_step_late", M + "gan_step.py",
           "                                       self.g_optimizer.iterations"
           " - 1)",
           "                                       self.g_optimizer.iterations"
           ")",
           (SCHEDULES,)),
    Mutant("ema_schedule_not_saved", M + "gan.py",
           '"ema_decay": schedules.serialize_value(self.ema_decay),',
           '"ema_decay": 0.5,',
           (SCHEDULES,)),
    # --- R3GAN's networks: fix-up, variance scaling, resamplers ----------
    Mutant("r3gan_block_not_fixup", "keras_gan_losses/architectures/"
           "r3gan.py",
           'y = _conv(y, channels, 1, 0.0, f"{name}_project")',
           'y = _conv(y, channels, 1, 1.0, f"{name}_project")',
           (R3GAN_NETS,)),
    Mutant("r3gan_variance_scaling_exponent", "keras_gan_losses/"
           "architectures/r3gan.py",
           "total_blocks ** (-1.0 / (2 * _BLOCK_LAYERS - 2))",
           "total_blocks ** (-1.0 / 2)",
           (R3GAN_NETS,)),
    Mutant("r3gan_upsampling_shifted", "keras_gan_losses/architectures/"
           "r3gan.py",
           "x = ops.pad(x, [[0, 0], [2, 1], [2, 1], [0, 0]])",
           "x = ops.pad(x, [[0, 0], [1, 2], [1, 2], [0, 0]])",
           (R3GAN_NETS,)),
    Mutant("r3gan_downsampling_shifted", "keras_gan_losses/architectures/"
           "r3gan.py",
           "x = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])",
           "x = ops.pad(x, [[0, 0], [0, 2], [0, 2], [0, 0]])",
           (R3GAN_NETS,)),
    Mutant("r3gan_filter_not_interpolating", "keras_gan_losses/"
           "architectures/r3gan.py",
           "taps = np.convolve(RESAMPLING_FILTER, [1, 1]).astype(\"float64\")",
           "taps = np.array(RESAMPLING_FILTER + (0,), \"float64\")",
           (R3GAN_NETS,)),
    Mutant("r3gan_grouped_conv_groups_crossed", "keras_gan_losses/"
           "architectures/r3gan.py",
           "kernels = ops.split(kernel, self.groups, axis=-1)",
           "kernels = ops.split(kernel, self.groups, axis=-1)[::-1]",
           (R3GAN_NETS,)),
    Mutant("r3gan_discriminator_widths_not_reversed", "keras_gan_losses/"
           "architectures/r3gan.py",
           "widths, blocks, cardinality = (widths[::-1], blocks[::-1],",
           "widths, blocks, cardinality = (widths, blocks,",
           (R3GAN_NETS,)),
    Mutant("preset_schedules_constant", "keras_gan_losses/presets.py",
           "    if decay is None or not total_steps:\n        return value",
           "    if True:\n        return value",
           (CLI + "::test_train_r3gan_presets_schedule_over_the_run",)),
    Mutant("preset_ema_half_life_of_one_batch", "keras_gan_losses/"
           "presets.py",
           "images = self.ema_half_life * total_steps * batch_size",
           "images = self.ema_half_life * batch_size",
           (CLI + "::test_train_r3gan_presets_schedule_over_the_run",)),
    # --- partial mode dropping: ModeCoverage and the monitor ---------------
    Mutant("coverage_drop_rule_inverted", "keras_gan_losses/callbacks/"
           "mode_coverage.py",
           "low = testable & (counts < DROP_SHARE * expected)",
           "low = testable & (counts > DROP_SHARE * expected)",
           (COVERAGE,)),
    Mutant("coverage_chance_ignored", "keras_gan_losses/callbacks/"
           "mode_coverage.py",
           "dropping=len(dropped) > chance + 3 * math.sqrt(chance) + 1,",
           "dropping=len(dropped) > 0,",
           (COVERAGE,)),
    Mutant("coverage_channels_read_backwards", "keras_gan_losses/"
           "callbacks/mode_coverage.py",
           "return digits @ (10 ** np.arange(channels - 1, -1, -1))",
           "return digits @ (10 ** np.arange(channels))",
           (COVERAGE,)),
    Mutant("coverage_reference_ignored", "keras_gan_losses/callbacks/"
           "mode_coverage.py",
           "            if self.reference is None:",
           "            if True:",
           (COVERAGE,)),
    Mutant("monitor_never_measures_coverage", "keras_gan_losses/callbacks/"
           "training_monitor.py",
           "                (epoch + 1) % self.coverage_every == 0:",
           "                False:",
           (COVERAGE,)),
    Mutant("monitor_coverage_patience_ignored", "keras_gan_losses/"
           "callbacks/training_monitor.py",
           "recent = self.coverage_history[-self.coverage_patience:]",
           "recent = self.coverage_history[-1:]",
           (COVERAGE,)),
    Mutant("monitor_coverage_not_checked_at_the_end", "keras_gan_losses/"
           "callbacks/training_monitor.py",
           "        if last is not None and last[\"dropping\"] and \\\n",
           "        if False and \\\n",
           (COVERAGE,)),
    Mutant("monitor_coverage_never_recovers", "keras_gan_losses/callbacks/"
           "training_monitor.py",
           "if self.coverage_history and self.coverage_history[-1]"
           '["dropping"]:',
           "if self.coverage_history:",
           (COVERAGE,)),
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
    Mutant("accuracy_real_and_fake_swapped", M + "gan_step.py",
           "zip(signals.ACCURACY_KEYS, correct)",
           "zip(signals.ACCURACY_KEYS[::-1], correct)",
           (MONITOR,)),
    Mutant("accuracy_threshold_ignored", M + "signals.py",
           "return ((a + b) / 2.0, 1 if b > a else -1)",
           "return (0.0, 1)",
           (MONITOR,)),
    Mutant("grad_norm_of_the_wrong_network", M + "gan_step.py",
           'self._track_global("d_grad_norm", signals.gradient_norm(\n'
           '                grads, self.d_optimizer, half_squares), ok)',
           'self._track_global("g_grad_norm", signals.gradient_norm(\n'
           '                grads, self.d_optimizer, half_squares), ok)',
           (MONITOR,)),
    Mutant("grad_norm_from_half_the_squares", M + "signals.py",
           "norm = ops.sqrt(2.0 * half_squares)",
           "norm = ops.sqrt(half_squares)",
           (MONITOR,)),
    Mutant("grad_norm_before_all_reduce", M + "signals.py",
           "half_squares = half_squared_norm(backend.all_reduce_sum(grads))",
           "half_squares = half_squared_norm(grads)",
           (DISTRIBUTE,)),
    Mutant("grad_norm_of_sparse_rows_unsummed", M + "signals.py",
           "grads = [ops.cast(backend.dense(g), \"float32\") for g in grads",
           "grads = [ops.cast(g, \"float32\") for g in grads",
           (MONITOR + "::test_gradient_norm_of_sparse_gradients_sums_"
            "repeated_rows",)),
    Mutant("diversity_inverted", M + "signals.py",
           "ops.sqrt(ops.divide_no_nan(_total_variance(fake),\n"
           "                                      real_variance))",
           "ops.sqrt(ops.divide_no_nan(real_variance,\n"
           "                                      _total_variance(fake)))",
           (MONITOR,)),
    Mutant("monitor_recovery_ignores_the_last_window",
           "keras_gan_losses/callbacks/training_monitor.py",
           "                                 and finding.name not in showing)",
           "                                 )",
           (MONITOR,)),
    Mutant("monitor_never_recovers",
           "keras_gan_losses/callbacks/training_monitor.py",
           "        self._mark_recovered()\n        self.write()",
           "        self.write()",
           (MONITOR,)),
    Mutant("cli_health_warnings_in_python_form",
           "keras_gan_losses/cli/commands.py",
           "        if issubclass(category, (kgl.callbacks."
           "TrainingHealthWarning,\n"
           "                                 kgl.callbacks.BackupWarning)):",
           "        if False:",
           (CLI + "::test_health_findings_print_as_kgl_warnings",)),
    Mutant("cli_steps_per_execution_past_the_epoch",
           "keras_gan_losses/cli/commands.py",
           "                 if steps_per_epoch % n == 0)",
           "                 if n == min(wanted, steps_per_epoch))",
           (CLI + "::test_steps_per_execution_trains_the_same_steps_and_"
            "curves",)),
    Mutant("cli_steps_per_execution_ignores_the_device",
           "keras_gan_losses/cli/commands.py",
           "    wanted = asked or DEFAULT_STEPS_PER_EXECUTION[device]",
           '    wanted = asked or DEFAULT_STEPS_PER_EXECUTION["GPU"]',
           (CLI + "::test_steps_per_execution_default_and_divisor",)),
    Mutant("backup_epoch_means_divided_among_workers",
           "keras_gan_losses/callbacks/backup_and_restore.py",
           "                variable.assign(np.asarray(value, variable.dtype))",
           "                variable.assign(np.asarray(value, variable.dtype)"
           " * 0.5)",
           (BACKUP, "tests/distribute/multi_worker_test.py")),
    Mutant("monitor_coverage_history_not_resumed",
           "keras_gan_losses/callbacks/training_monitor.py",
           '            "coverage_history": [dict(c) for c in '
           'self.coverage_history],\n',
           "",
           (KILL,)),
    Mutant("monitor_counts_an_execution_as_one_step",
           "keras_gan_losses/callbacks/training_monitor.py",
           "self._values[key].extend([value] * count)",
           "self._values[key].append(value)",
           (MONITOR,)),
    Mutant("monitor_checks_only_at_multiples_of_its_stride",
           "keras_gan_losses/callbacks/training_monitor.py",
           "        if self.steps // self._stride > (self.steps - count) // "
           "self._stride:",
           "        if self.steps % self._stride == 0:",
           (MONITOR,)),
    Mutant("cli_bfloat16_never_warns", "keras_gan_losses/cli/commands.py",
           "    elif not has_native_bfloat16():",
           "    elif False:",
           (CLI + "::test_mixed_precision_policy_and_its_cpu_warning",)),
    Mutant("cli_bfloat16_sets_float16", "keras_gan_losses/cli/commands.py",
           'dtype = "float16" if mixed_precision is True else mixed_precision',
           'dtype = "float16"',
           (CLI + "::test_mixed_precision_policy_and_its_cpu_warning",)),
    Mutant("cli_unconditional_default_is_the_conditional_one",
           "keras_gan_losses/cli/commands.py",
           "        args.loss = (DEFAULT_LOSS if args.conditional\n"
           "                     else DEFAULT_UNCONDITIONAL_LOSS)",
           "        args.loss = DEFAULT_LOSS",
           (CLI + "::test_unconditional_runs_condition_on_kmeans_clusters",)),
    # --- kgl train: conditional when the data has labels; label accuracy ---
    Mutant("cli_labels_never_used_by_default", "keras_gan_losses/cli/"
           "commands.py",
           "        dataset = load(True)\n    except kgl.data.NoLabelsError:",
           "        dataset = load(True)\n        raise kgl.data.NoLabelsError"
           "\n    except kgl.data.NoLabelsError:",
           (CLI + "::test_train_writes_the_run_directory",)),
    Mutant("cli_unconditional_flag_ignored", "keras_gan_losses/cli/"
           "commands.py",
           "    if args.conditional is not None:\n"
           "        return load(args.conditional)",
           "    if args.conditional:\n"
           "        return load(args.conditional)",
           (CLI + "::test_clusters_zero_trains_a_plain_unconditional_gan",)),
    Mutant("cli_label_accuracy_off_by_one_class", "keras_gan_losses/cli/"
           "commands.py",
           "asked = np.arange(len(probabilities)) % gan.num_classes",
           "asked = np.arange(1, len(probabilities) + 1) % gan.num_classes",
           (CLI + "::test_label_accuracy_is_the_share_classified_as_asked",)),
    # --- fault tolerance: empty replicas, exact resume, damaged backups,
    # full disks, signals, the finishing phase ---
    Mutant("empty_replica_not_padded", M + "empty_replicas.py",
           "    if num_replicas() == 1 or (static is not None and "
           "static > 0):",
           "    if True:",
           (EMPTY_REPLICA,)),
    Mutant("empty_replica_placeholder_not_cut", M + "empty_replicas.py",
           "    return keras.tree.map_structure(lambda t: t[:count], outputs)",
           "    return outputs",
           (EMPTY_REPLICA,)),
    Mutant("resume_without_data_replay", M + "resume.py",
           "    if epochs == 0 and batches == 0:\n        return",
           "    if True:\n        return",
           (BACKUP,)),
    Mutant("resume_replays_one_batch_short", M + "resume.py",
           "            if begin < batches:",
           "            if begin < batches - 1:",
           (BACKUP,)),
    Mutant("resume_epoch_means_not_restored", CB + "backup_and_restore.py",
           "        if resumed and self._pending_trackers is not None:",
           "        if False:",
           (BACKUP,)),
    Mutant("dropout_seed_states_not_saved", M + "gan.py",
           "        random_states.save_random_states(store, "
           "self._random_states())\n",
           "",
           (BACKUP,)),
    Mutant("backups_run_first", M + "resume.py",
           "    ordered = others + backups",
           "    ordered = backups + others",
           (CLI + "::test_resume_continues_an_interrupted_run",)),
    Mutant("backup_checksums_not_checked", CB + "backup_store.py",
           "            if _sha256(path) != record[\"sha256\"]:",
           "            if False:",
           (BACKUP + "::test_no_usable_backup_stops_with_one_line",)),
    Mutant("backup_written_in_place", CB + "backup_store.py",
           "        temporary = atomic.temporary_name(final)",
           "        temporary = final",
           (KILL,)),
    Mutant("backup_keeps_only_the_last", CB + "backup_and_restore.py",
           "keep=2 if double_checkpoint else 1",
           "keep=1",
           (BACKUP + "::test_damaged_last_backup_falls_back_with_a_warning",)),
    Mutant("no_usable_backup_starts_from_scratch",
           CB + "backup_and_restore.py",
           "        raise BackupError(\n            f\"No usable backup in",
           "        return None\n        raise BackupError(\n"
           "            f\"No usable backup in",
           (BACKUP + "::test_no_usable_backup_stops_with_one_line",)),
    Mutant("full_disk_not_named", "keras_gan_losses/utils/atomic.py",
           "    if is_disk_full(error):\n        return WriteError(",
           "    if False:\n        return WriteError(",
           (ATOMIC, BACKUP + "::test_full_disk_stops_with_the_backup_named"
            "_and_keeps_the_last", CLI + "::test_full_disk_while_finishing"
            "_names_the_file_and_keeps_the_backup")),
    Mutant("backup_space_not_checked", CB + "backup_store.py",
           "        if free >= needed:\n            return",
           "        if True:\n            return",
           (BACKUP + "::test_short_disk_is_found_before_writing",)),
    Mutant("savedmodel_disk_full_not_named",
           "keras_gan_losses/utils/atomic.py",
           "                isinstance(error, Exception) and "
           "is_disk_full(error)):",
           "                False):",
           (ATOMIC,)),
    Mutant("atomic_write_in_place", "keras_gan_losses/utils/atomic.py",
           "    temporary = temporary_name(path)\n    try:\n"
           "        yield temporary\n        if directory:",
           "    temporary = path\n    try:\n"
           "        yield temporary\n        if directory:",
           (ATOMIC,)),
    Mutant("signal_stops_without_backup", CB + "backup_and_restore.py",
           "            return\n        self._save()\n        "
           "self._interrupt()",
           "            return\n        self._interrupt()",
           (BACKUP + "::test_signal_backs_up_the_step_and_stops",)),
    Mutant("sigint_not_watched", CB + "interruption.py",
           'DEFAULT_SIGNALS = ("SIGTERM", "SIGINT")',
           'DEFAULT_SIGNALS = ("SIGTERM",)',
           (BACKUP + "::test_signal_backs_up_the_step_and_stops",)),
    Mutant("signal_handlers_never_put_back", CB + "interruption.py",
           "        previous, self._previous = self._previous, {}",
           "        previous, self._previous = {}, {}",
           (BACKUP + "::test_signal_backs_up_the_step_and_stops",)),
    Mutant("preemption_handler_not_used", CB + "backup_and_restore.py",
           "        if is_multi_worker(strategy):",
           "        if False:",
           ("tests/distribute/multi_worker_test.py::test_backup_and_"
            "restore_after_a_crash_and_a_preemption",)),
    Mutant("cli_backup_deleted_before_finishing",
           "keras_gan_losses/cli/resuming.py",
           "                                          delete_checkpoint=False)",
           "                                          delete_checkpoint=True)",
           (KILL,)),
    Mutant("finished_run_resumed_as_empty", M + "resume.py",
           "                and position[\"epoch\"] >= epochs:",
           "                and position[\"epoch\"] > epochs:",
           (KILL,)),
    Mutant("monitor_steps_not_restored", CB + "training_monitor.py",
           "        self.steps = int(state[\"steps\"])",
           "        self.steps = 0",
           (CLI + "::test_resume_continues_an_interrupted_run",)),
    Mutant("resumed_empty_epoch_logs_lost", M + "gan.py",
           "        if not logs and resume.means_restored(self):",
           "        if False:",
           (BACKUP + "::test_signal_backs_up_the_step_and_stops",)),
    Mutant("history_csv_resumed_batches_lost",
           "keras_gan_losses/cli/history_csv.py",
           "            self._batches = resumed[\"batches\"]",
           "            pass",
           ("tests/cli/history_csv_test.py",)),
    Mutant("curves_lose_the_resumed_epochs_steps", CB + "training_curves.py",
           "            for row in resumed[\"rows\"]:\n"
           "                self._record_row(row)\n",
           "",
           (KILL,)),
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


def run_tests(copy, tests, timeout, backend="tensorflow"):
    env = dict(os.environ, PYTHONPATH=str(copy), KERAS_BACKEND=backend,
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


def check_tests(root, mutant):
    """An error message if a test the mutant names (`path::test_name`)
    is not defined in its file (a renamed test would fail the run)."""
    for test in mutant.tests:
        path, _, name = test.partition("::")
        if not (root / path).exists():
            return f"{path} does not exist"
        name = name.split("[")[0]
        if name and f"def {name}(" not in (root / path).read_text():
            return f"{test} is not defined: update the mutant"
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
                  for error in [check_snippet(ROOT, m),
                                check_tests(ROOT, m)] if error]
        for name, error in errors:
            print(f"{name}: ERROR ({error})")
        print(f"{len(mutants) - len(errors)} of {len(mutants)} mutants: "
              "snippet found once, tests defined.")
        return 1 if errors else 0

    with tempfile.TemporaryDirectory(prefix="kgl-mutants-") as tmp:
        copy = pathlib.Path(tmp) / "repo"
        copy_repository(copy)
        check_copy_is_imported(copy)
        if not args.no_baseline:
            for backend in sorted({m.backend for m in mutants}):
                tests = sorted({t for m in mutants if m.backend == backend
                                for t in m.tests})
                print(f"Baseline ({backend}): {' '.join(tests)}",
                      flush=True)
                code, output = run_tests(copy, tests, args.timeout * 3,
                                         backend)
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
                code, output = run_tests(copy, mutant.tests, args.timeout,
                                         mutant.backend)
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
