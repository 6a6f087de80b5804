"""The `kgl` entry point: no TensorFlow before parsing, quiet start-up.

The start-up speed itself is measured in `benchmarks/startup.py`; these
tests check the causes (what gets imported) and the output a user sees.
"""

import io
import os
import re
import subprocess
import sys
import textwrap

import pytest

import keras_gan_losses_cli as cli

#: A C++ log line of TensorFlow/absl.
CPP_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d")
STARTUP_NOISE = ("absl::InitializeLog", "oneDNN custom operations",
                 "cuda drivers", "cuInit", "rebuild TensorFlow",
                 "remapper failed")
TINY = ["--width", "8", "--batch-size", "16", "--latent-dim", "8",
        "--epochs", "1", "--steps-per-epoch", "2", "--fid-samples", "0",
        "--quiet"]


def python(*args, env=None, cwd=None, timeout=300):
    return subprocess.run([sys.executable, *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout)


def clean_env(**extra):
    """The environment of a user who set nothing for TensorFlow."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", cli.CHILD_ENV,
                        cli.SHOW_LOGS_ENV)}
    env.update(extra)
    return env


def test_help_version_and_errors_do_not_import_tensorflow():
    code = textwrap.dedent("""
        import sys
        import keras_gan_losses_cli as cli
        for argv in (["--help"], ["--version"], ["train", "--help"],
                     ["train", "--epochs", "0"], ["nonsense"]):
            try:
                cli.main(argv)
            except SystemExit as exit:
                print("exit", argv[0], exit.code)
        heavy = [m for m in ("tensorflow", "keras", "numpy",
                             "keras_gan_losses") if m in sys.modules]
        print("imported:", heavy)
    """)
    result = python("-c", code, env=clean_env())
    assert "imported: []" in result.stdout, result.stdout + result.stderr
    assert "exit --help 0" in result.stdout
    assert "exit train 2" in result.stdout
    assert "exit nonsense 2" in result.stdout
    assert re.search(r"^keras_gan_losses \d+\.\d+", result.stdout, re.MULTILINE)


def test_version_matches_the_package():
    from keras_gan_losses import __version__

    assert cli.read_version() == __version__


def test_train_prints_no_tensorflow_start_up_lines(tmp_path):
    # A sitecustomize that, in the child doing the work, emits what must
    # still reach the user: a Python warning and an unknown C++ error.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(textwrap.dedent(f"""
        import os
        import warnings
        if os.environ.get("{cli.CHILD_ENV}"):
            warnings.warn("a real package warning", UserWarning)
            os.write(2, b"E0000 00:00:1.5    7 real_op.cc:12] a real "
                        b"C++ error\\n")
    """))
    env = clean_env(PYTHONPATH=os.pathsep.join(
        [str(hooks), os.environ.get("PYTHONPATH", "")]))
    # WGAN-GP under the flags that change process-wide state: a mirrored
    # strategy and mixed precision.
    result = python("-m", "keras_gan_losses_cli", "train", "--out", "run",
                    "--loss", "wasserstein_gp", "--strategy", "mirrored",
                    "--mixed-precision", *TINY, env=env,
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "model.keras").is_file()
    lines = result.stderr.splitlines()
    assert [line for line in lines if "a real package warning" in line]
    assert "E0000 00:00:1.5    7 real_op.cc:12] a real C++ error" in lines
    assert [line for line in lines
            if line.startswith("kgl: warning: --mixed-precision")]
    noise = [line for line in lines
             if (CPP_LOG_LINE.match(line) and "real_op.cc" not in line)
             or any(text in line for text in STARTUP_NOISE)]
    assert not noise, "\n".join(noise)
    assert "Training wasserstein_gp DCGAN" in result.stdout


def test_multi_worker_run_through_the_entry_point(tmp_path):
    result = python("-m", "keras_gan_losses_cli", "train", "--out", "run",
                    "--loss", "least_squares", "--strategy",
                    "multi_worker", *TINY, env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "history.csv").is_file()
    assert not result.stderr.strip(), result.stderr


def test_train_on_the_torch_backend_and_resume_there(tmp_path):
    """`--backend torch` trains there and says the run has no SavedModel;
    the model file loads here (TensorFlow) with the steps it trained; the
    backend is saved with the run and `--resume` picks it from there."""
    import json

    import keras

    import keras_gan_losses  # noqa: F401 - registers the GAN class

    result = python("-m", "keras_gan_losses_cli", "train", "--out", "run",
                    "--backend", "torch", "--unconditional", "--clusters",
                    "0", *TINY,
                    env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    assert json.loads((run / "config.json").read_text())["backend"] == "torch"
    assert "no SavedModel" in result.stdout
    assert not (run / "generator_savedmodel").exists()
    gan = keras.models.load_model(run / "model.keras")
    assert int(gan.g_optimizer.iterations.numpy()) == 2
    args = cli.build_parser().parse_args(["train", "--resume", str(run)])
    environ = {"KERAS_BACKEND": "jax"}
    cli.select_backend(args, environ)
    assert environ["KERAS_BACKEND"] == "torch"


@pytest.mark.parametrize("flags,message", [
    (["--strategy", "mirrored"], "needs --backend tensorflow"),
    (["--jit"], "does not have"),
])
def test_tensorflow_only_flags_are_refused_on_torch(flags, message,
                                                    tmp_path):
    result = python("-m", "keras_gan_losses_cli", "train", "--out", "run",
                    "--backend", "torch", *flags, *TINY, env=clean_env(),
                    cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "run").exists()


def test_backend_flag_sets_keras_backend_before_keras_is_imported():
    args = cli.build_parser().parse_args(["train", "--backend", "jax"])
    environ = {}
    cli.select_backend(args, environ)
    assert environ == {"KERAS_BACKEND": "jax"}
    args = cli.build_parser().parse_args(["train"])
    environ = {"KERAS_BACKEND": "torch"}
    cli.select_backend(args, environ)
    assert environ == {"KERAS_BACKEND": "torch"}


@pytest.mark.parametrize("line", [
    ("WARNING: All log messages before absl::InitializeLog() is called are "
     "written to STDERR"),
    ("I0000 00:00:1795963174.960734   10086 port.cc:153] oneDNN custom "
     "operations are on. You may see slightly different numerical results."),
    ("I0000 00:00:1795963174.961076   10086 cudart_stub.cc:31] Could not "
     "find cuda drivers on your machine, GPU will not be used."),
    ("To enable the following instructions: AVX2 AVX512F FMA, in other "
     "operations, rebuild TensorFlow with the appropriate compiler flags."),
    ("E0000 00:00:1795963178.757893   10086 cuda_platform.cc:52] failed call "
     "to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR "
     "(303)"),
    ("E0000 00:00:1795963182.142324   10086 meta_optimizer.cc:967] remapper "
     "failed: INVALID_ARGUMENT: Mutation::Apply error: fanout 'x' exist for "
     "missing node 'y'."),
    "I0000 00:00:1.0 1 some_file.cc:1] any info line",
])
def test_known_start_up_lines_are_noise(line):
    assert cli.stderr_is_noise(line + "\n")


@pytest.mark.parametrize("line", [
    "/x/y.py:3: UserWarning: Your input ran out of data",
    "kgl: error: run already holds a run",
    "W0000 00:00:1.0 1 some_op.cc:1] an unknown warning",
    "E0000 00:00:1.0 1 some_op.cc:1] an unknown error",
    "F0000 00:00:1.0 1 some_op.cc:1] Check failed: x == y",
    "Traceback (most recent call last):",
])
def test_other_lines_pass(line):
    assert not cli.stderr_is_noise(line)


def test_forward_stderr_keeps_order_and_partial_lines():
    source = io.BytesIO(
        b"I0000 00:00:1.0 1 port.cc:1] oneDNN custom operations are on\n"
        b"first\nE0000 00:00:1.0 1 x.cc:1] kept\nno newline at the end")
    target = io.BytesIO()
    cli.forward_stderr(source, target)
    assert target.getvalue() == (
        b"first\nE0000 00:00:1.0 1 x.cc:1] kept\nno newline at the end")


def test_docstring_examples_run():
    import doctest

    assert doctest.testmod(cli).failed == 0
