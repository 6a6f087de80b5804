"""Kills training at random moments, resumes it each time, and compares
the end result with an uninterrupted run.

Two set-ups, each killed `--kills` times with SIGKILL sent to the whole
process group (as the OOM killer or a preempted VM does):

- `cli`: `kgl train` (the real command, parent and child processes) on
  the embedded MNIST, resumed with `kgl train --resume RUN_DIR`. Some
  kills are aimed: at the moment a backup is being written (its temporary
  folder exists), or during the finishing phase (after the "Health:"
  line: model.keras, the SavedModel, the FID).
- `fit`: a script that calls `GAN.fit` with a `load_images` pipeline
  reshuffled every epoch and `BackupAndRestore(save_freq=7)` (mid-epoch
  backups), resumed by running the same script again.

Each kill is recorded with the phase it landed in (seen from the run's
output and its backup folder at that moment). A resume that fails, or
that starts from the beginning while a complete backup exists, is
counted. At the end the weights are compared with the uninterrupted
run's (the largest absolute difference), and for `cli` the files
history.csv, steps.csv, health.json, metrics.json, curves.png and the
sample grids too.

    .venv/bin/python benchmarks/kill_resume.py --kills 20 --write

`--write` puts the report in benchmarks/RESULTS.md.
"""

import argparse
import contextlib
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from _common import command_line  # noqa: E402
from _common import machine_lines  # noqa: E402
from _common import update_section  # noqa: E402

CLI_TRAIN = ["--epochs", "20", "--steps-per-epoch", "80", "--seed", "0",
             "--fid-samples", "1000", "--quiet"]
FIT_EPOCHS = 20
FIT_SAVE_FREQ = 7


# ----------------------------------------------------------------------
# the GAN.fit worker (run as a subprocess)


def fit_worker(work, backup):
    """Trains the `fit` set-up in `work`; writes `work/weights.npz`."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    import keras_gan_losses as kgl

    keras.utils.set_random_seed(0)
    images, labels = kgl.data.load_mnist_10k()
    dataset = kgl.data.load_images((images[:2048], labels[:2048]),
                                   batch_size=64, with_labels=True, seed=1)
    preset = kgl.presets.get("non_saturating_lecam")
    generator, discriminator = kgl.architectures.dcgan(
        (28, 28, 1), latent_dim=32, num_classes=10, width=16)
    gan = kgl.GAN(generator, discriminator, num_classes=10, seed=0,
                  ema_decay=0.99)
    gan.compile(**preset.compile_kwargs(), jit_compile=False)
    callbacks = []
    if backup:
        backup_callback = kgl.callbacks.BackupAndRestore(
            str(pathlib.Path(work) / "backup"), save_freq=FIT_SAVE_FREQ)

        class Say(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if self.model is not None and not getattr(self, "said",
                                                          False):
                    self.said = True
                    where = backup_callback.restored
                    print(f"from its backup ({where['name']})" if where
                          else "no backup was completed", flush=True)

        callbacks += [backup_callback, Say()]
    print("training", flush=True)
    gan.fit(dataset, epochs=FIT_EPOCHS, verbose=0, callbacks=callbacks)
    weights = {f"w{i}": w for i, w in enumerate(gan.get_weights())}
    with open(pathlib.Path(work) / "weights.tmp.npz", "wb") as file:
        np.savez(file, **weights)
    os.replace(pathlib.Path(work) / "weights.tmp.npz",
               pathlib.Path(work) / "weights.npz")
    print("done", flush=True)


# ----------------------------------------------------------------------
# running and killing


class Attempt:
    """One process group, its output, and where it was when killed."""

    def __init__(self, command, log, cwd):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
                   PYTHONPATH=str(REPO))
        self.log = log
        self.file = open(log, "w")  # noqa: SIM115 - closed by kill/wait
        self.start = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self.file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    def output(self):
        return pathlib.Path(self.log).read_text(errors="replace")

    def running(self):
        return self.process.poll() is None

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.file.close()

    def wait(self, timeout=3600):
        code = self.process.wait(timeout=timeout)
        self.file.close()
        return code


def temporary_folders(backup):
    try:
        return {n for n in os.listdir(backup) if n.startswith(".")}
    except OSError:
        return set()


def backup_writing(backup, stale=frozenset()):
    """Whether a backup is being written: a temporary folder that is not
    the leftover of an earlier, killed write."""
    return bool(temporary_folders(backup) - set(stale))


def complete_backups(backup):
    try:
        return sorted(n for n in os.listdir(backup) if n.startswith("step-"))
    except OSError:
        return []


#: Output that marks a complete run.
DONE_MARKS = ("Done. Samples:", "\ndone\n")


def phase_of(attempt, backup, finishing_marks, training_marks, stale):
    """Where the run is: a backup write, training (from its first line,
    data reading and tracing included), the finishing phase (after the
    "Health:" line; for a run resumed to finish, restoring before it),
    after completion, or start-up (importing, loading the data)."""
    if backup_writing(backup, stale):
        return "backup write"
    text = attempt.output()
    if any(mark in text for mark in DONE_MARKS):
        return "after completion"
    if any(mark in text for mark in finishing_marks):
        return "finishing"
    if "finishing it" in text:
        return "finishing (restoring)"
    if any(mark in text for mark in training_marks):
        return "training"
    return "start-up"


def run_attempt(attempt, mode, rng, backup, finishing_marks,
                training_marks, random_window):
    """Kills `attempt` as `mode` asks; returns the phase it was killed in,
    or None if it ended on its own."""
    stale = temporary_folders(backup)
    if mode == "backup":
        # Let 0-1 backups be written first, then kill inside the next.
        let_pass, seen = rng.randint(0, 1), set()
        deadline = time.monotonic() + 300
        while attempt.running() and time.monotonic() < deadline:
            writing = temporary_folders(backup) - stale
            if writing - seen:
                seen |= writing
                if len(seen) > let_pass:
                    attempt.kill()
                    return "backup write"
            time.sleep(0.0005)
        mode = "random"
    if mode == "finish":
        deadline = time.monotonic() + 900
        while attempt.running() and time.monotonic() < deadline:
            if any(m in attempt.output() for m in finishing_marks):
                break
            time.sleep(0.02)
        delay = time.monotonic() + rng.uniform(0.0, 2.0)
    else:
        delay = attempt.start + rng.uniform(*random_window)
    while attempt.running() and time.monotonic() < delay:
        time.sleep(0.005)
    if not attempt.running():
        attempt.wait()
        return None
    phase = phase_of(attempt, backup, finishing_marks, training_marks,
                     stale)
    attempt.kill()
    return phase


def plan(kills, rng, with_finish):
    """The kill modes: about a third aimed at backup writes, a few at the
    finishing phase (last, since it follows training), the rest at
    random moments."""
    finish = max(3, kills // 6) if with_finish else 0
    aimed = max(3, (kills - finish) // 3)
    modes = ["backup"] * aimed + ["random"] * (kills - finish - aimed)
    rng.shuffle(modes)
    return modes + ["finish"] * finish


def resume_kind(text):
    """How a resumed process said it resumed ("killed before saying" if
    it did not get that far)."""
    for mark, kind in (("finishing it", "finishing"),
                       ("Skipped the backup", "after a damaged backup"),
                       ("from its backup", "from a backup"),
                       ("no backup was completed", "from the beginning"),
                       ("training starts from the beginning",
                        "from the beginning")):
        if mark in text:
            return kind
    return "killed before saying"


def chain(name, work, kills, rng, first, resume, backup, finishing_marks,
          training_marks, random_window, with_finish):
    """Runs the kill/resume chain; returns its records."""
    records, failures, restarts = [], [], 0
    modes = plan(kills, rng, with_finish)
    command = first
    attempt_index = 0
    while len([r for r in records if r["phase"]]) < kills:
        mode = modes[min(len([r for r in records if r["phase"]]),
                         len(modes) - 1)]
        had_backup = bool(complete_backups(backup))
        log = work / f"{name}_{attempt_index:02d}.log"
        attempt = Attempt(command, log, work)
        phase = run_attempt(attempt, mode, rng, backup, finishing_marks,
                            training_marks, random_window)
        text = attempt.output()
        kind = resume_kind(text) if attempt_index else "first start"
        if attempt_index and had_backup and kind == "from the beginning":
            restarts += 1
        code = attempt.process.returncode
        records.append({"attempt": attempt_index, "mode": mode,
                         "phase": phase, "resume": kind, "exit": code,
                         "seconds": round(time.monotonic() - attempt.start,
                                          1)})
        print(f"  {name} attempt {attempt_index}: {mode} -> "
              f"{phase or f'ended (exit {code})'}; {kind}", flush=True)
        if phase is None:
            if code != 0:
                failures.append((attempt_index, text[-400:]))
            break  # ended on its own: complete (or failed)
        command = resume
        attempt_index += 1
    complete = bool(records) and records[-1]["phase"] is None and \
        records[-1]["exit"] == 0
    return records, failures, restarts, complete


def final_run(name, work, command):
    attempt = Attempt(command, work / f"{name}_final.log", work)
    code = attempt.wait()
    return code, attempt.output()


# ----------------------------------------------------------------------
# the two set-ups


def run_cli(work, kills, rng):
    kgl = [sys.executable, "-m", "keras_gan_losses_cli", "train"]
    reference = Attempt([*kgl, "--out", "reference", *CLI_TRAIN],
                        work / "cli_reference.log", work)
    ref_code = reference.wait()
    if ref_code != 0:
        sys.exit(f"the uninterrupted run failed:\n{reference.output()}")
    first = [*kgl, "--out", "run", *CLI_TRAIN]
    resume = [*kgl, "--resume", "run", "--quiet"]
    records, failures, restarts, complete = chain(
        "cli", work, kills, rng, first, resume, work / "run" / "backup",
        finishing_marks=("Health:",), training_marks=("Training ",),
        random_window=(3.0, 12.0), with_finish=True,
    )
    result = {"records": records, "failures": failures,
              "restarts": restarts}
    if complete:
        code = records[-1]["exit"]
    else:
        code, text = final_run("cli", work, resume)
        result["final_resume"] = resume_kind(text)
    result["final_exit"] = code
    if code == 0:
        result["max_weight_difference"] = _keras_difference(
            work / "run" / "model.keras", work / "reference" / "model.keras")
        result["same_files"] = {
            name: (work / "run" / name).read_bytes()
            == (work / "reference" / name).read_bytes()
            for name in ("history.csv", "steps.csv", "health.json",
                         "metrics.json", "curves.png")
        }
        result["same_files"]["samples/*.png"] = all(
            path.read_bytes() == (work / "reference" / "samples"
                                  / path.name).read_bytes()
            for path in (work / "run" / "samples").glob("*.png"))
    return result


def run_fit(work, kills, rng):
    me = [sys.executable, str(pathlib.Path(__file__).resolve())]
    (work / "fit_reference").mkdir()
    (work / "fit_run").mkdir()
    reference = Attempt([*me, "--fit-worker", "fit_reference",
                         "--no-backup"], work / "fit_reference.log", work)
    if reference.wait() != 0:
        sys.exit(f"the uninterrupted fit failed:\n{reference.output()}")
    command = [*me, "--fit-worker", "fit_run"]
    records, failures, restarts, complete = chain(
        "fit", work, kills, rng, command, command,
        work / "fit_run" / "backup", finishing_marks=(),
        training_marks=("training",), random_window=(4.0, 12.0),
        with_finish=False,
    )
    result = {"records": records, "failures": failures,
              "restarts": restarts}
    if complete:
        code = records[-1]["exit"]
    else:
        code, text = final_run("fit", work, command)
        result["final_resume"] = resume_kind(text)
    result["final_exit"] = code
    if code == 0:
        result["max_weight_difference"] = _npz_difference(
            work / "fit_run" / "weights.npz",
            work / "fit_reference" / "weights.npz")
    return result


def _keras_difference(a, b):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    import keras_gan_losses  # noqa: F401

    x = keras.models.load_model(a).get_weights()
    y = keras.models.load_model(b).get_weights()
    return max(float(np.max(np.abs(u - v))) for u, v in zip(x, y))


def _npz_difference(a, b):
    import numpy as np

    with np.load(a) as x, np.load(b) as y:
        return max(float(np.max(np.abs(x[k] - y[k]))) for k in x.files)


# ----------------------------------------------------------------------
# the report


def summarize(name, result):
    records = result["records"]
    kills = [r for r in records if r["phase"]]
    phases = {}
    for r in kills:
        phases[r["phase"]] = phases.get(r["phase"], 0) + 1
    resumes = [r for r in records if r["resume"] != "first start"]
    kinds = {}
    for r in resumes:
        kinds[r["resume"]] = kinds.get(r["resume"], 0) + 1
    if "final_resume" in result:
        kinds[result["final_resume"]] = kinds.get(result["final_resume"],
                                                  0) + 1
    lines = [
        f"| `{name}` | {len(kills)} | "
        + ", ".join(f"{v} {k}" for k, v in sorted(phases.items()))
        + f" | {len(resumes) + ('final_resume' in result)} ("
        + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        + f") | {len(result['failures'])} | {result['restarts']} | "
        f"{result['final_exit']} | "
        f"{result.get('max_weight_difference', 'n/a')} | "
        + (", ".join(f"{k}: {'same' if v else 'DIFFERENT'}"
                     for k, v in result.get("same_files", {}).items())
           or "–")
        + " |"
    ]
    return lines


def report(results, seconds, command, machine):
    lines = [
        "## Killed at random moments, resumed, compared "
        "(`benchmarks/kill_resume.py`)",
        "",
        f"Reproduce: `{command}`",
        "",
        *machine,
        f"- Wall time: {seconds / 60:.1f} min.",
        "",
        f"- `cli`: `kgl train {' '.join(CLI_TRAIN)}` (default preset, "
        "conditional DCGAN on mnist_10k), SIGKILL to its process group; "
        "resumed with `kgl train --resume RUN_DIR --quiet`; the "
        "uninterrupted run's `model.keras` and files are the reference.",
        f"- `fit`: `GAN.fit` of a width-16 conditional DCGAN, "
        f"non_saturating_lecam preset, EMA, on 2,048 mnist_10k images "
        f"from `load_images(seed=1)` (reshuffled every epoch), "
        f"{FIT_EPOCHS} epochs of 32 steps (backups inside epochs), "
        f"`BackupAndRestore(save_freq={FIT_SAVE_FREQ})`; resumed by "
        "running the same script again.",
        "- Phases: where the process was when killed: \"backup write\" "
        "(a new temporary backup folder present), \"finishing\" (after "
        "the \"Health:\" line, before \"Done.\"), \"finishing "
        "(restoring)\" (a resume of a finished training, before its "
        "\"Health:\" line), \"training\" (from the \"Training\" line: "
        "data, tracing, steps), \"start-up\" (before it).",
        "- A resume \"from the beginning\" is right when no backup was "
        "complete yet (a kill during or before the first backup's write); "
        "the column \"restarts from scratch with a backup present\" counts "
        "the wrong ones. \"Killed before saying\": the resumed process was "
        "killed before it printed how it resumed.",
        "",
        "| set-up | kills | killed during | runs after the first "
        "(how each resumed) | failed resumes | restarts from scratch "
        "with a backup present | final exit | max weight difference | "
        "files |",
        "|---|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for name, result in results.items():
        lines += summarize(name, result)
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=("cli", "fit"))
    parser.add_argument("--write", action="store_true",
                        help="update benchmarks/RESULTS.md")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder")
    parser.add_argument("--report", metavar="RESULTS_JSON",
                        help="only rewrite the report of an earlier run "
                             "from its results.json (kept with --keep)")
    parser.add_argument("--fit-worker", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--no-backup", action="store_true",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fit_worker:
        fit_worker(args.fit_worker, backup=not args.no_backup)
        return 0
    if args.report:
        saved = json.loads(pathlib.Path(args.report).read_text())
        text = report(saved["results"], saved["seconds"], saved["command"],
                      saved["machine"])
        print(text)
        if args.write:
            update_section("kill_resume", text)
        return 0
    rng = random.Random(args.seed)
    work = pathlib.Path(tempfile.mkdtemp(prefix="kgl-kill-resume-"))
    print(f"work folder: {work}", flush=True)
    start = time.monotonic()
    results = {}
    try:
        if args.only in (None, "cli"):
            results["cli"] = run_cli(work, args.kills, rng)
        if args.only in (None, "fit"):
            results["fit"] = run_fit(work, args.kills, rng)
    finally:
        seconds = time.monotonic() - start
        saved = {"results": results, "seconds": seconds,
                 "command": command_line(), "machine": machine_lines()}
        (work / "results.json").write_text(json.dumps(saved, indent=1))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = report(results, seconds, saved["command"], saved["machine"])
    print(text)
    if args.write:
        update_section("kill_resume", text)
    ok = all(r["final_exit"] == 0 and not r["failures"]
             and not r["restarts"] and r.get("max_weight_difference") == 0.0
             and all(r.get("same_files", {}).values())
             for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
