# Everything a fresh Linux machine with only Python 3 needs: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONDONTWRITEBYTECODE := 1
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test docs mutants install dev clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing python3-venv" >&2; \
	  rm -rf $(VENV); \
	  (command -v apt-get >/dev/null && \
	   { apt-get update -qq && apt-get install -y -qq python3-venv || \
	     sudo apt-get install -y -qq python3-venv; }) && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,docs]"
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/kgl train

# The tests marked `backends` run again on PyTorch and JAX (tests/conftest.py);
# JAX compiles each new GAN's step, so its pass keeps to the closed-form
# steps of every loss family and the guard's, EMA's, export's and round
# trips' tests (the rest run on PyTorch).
BACKEND_TESTS ?= tests/models tests/callbacks
JAX_TESTS ?= tests/models/gan_reference_test.py \
  tests/models/image_to_image_reference_test.py \
  tests/models/gan_guard_test.py tests/models/gan_features_test.py \
  tests/models/gan_augment_test.py::test_conditional_gan_with_augmentation_and_a_penalty

# The TensorFlow pass runs its files on TEST_WORKERS processes (most of its
# time is single-threaded Python: tracing, Keras's per-step work).
TEST_WORKERS ?= 2

test: $(VENV)/.installed-dev
	$(BIN)/ruff check --quiet .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile
	@# JAX and PyTorch side by side (JAX's pass is mostly compiling).
	@mkdir -p build
	KERAS_BACKEND=torch $(BIN)/python -m pytest -q -p no:cacheprovider \
	  $(BACKEND_TESTS) > build/torch_tests.log 2>&1 & torch=$$!; \
	KERAS_BACKEND=jax $(BIN)/python -m pytest -q -p no:cacheprovider \
	  $(JAX_TESTS); jax=$$?; wait $$torch; status=$$?; \
	echo "--- PyTorch:"; cat build/torch_tests.log; \
	test $$jax -eq 0 -a $$status -eq 0
	$(BIN)/mkdocs build --strict --quiet --site-dir build/site

# Plants known bugs one at a time and reports those the tests miss (several
# minutes; not part of `make test`). `make mutants ARGS="-k dragan"` for some.
mutants: $(VENV)/.installed-dev
	$(BIN)/python scripts/mutants.py $(ARGS)

docs: $(VENV)/.installed-dev
	$(BIN)/mkdocs build --strict --site-dir build/site

clean:
	rm -rf $(VENV) build site .pytest_cache
