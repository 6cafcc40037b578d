PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test messages lock clean

## run: start a node on http://127.0.0.1:8000 (SQLite under ./data); prints how to sign in
run: $(VENV)/.runtime
	HARBOUR_CONFIG=harbour.dev.toml $(BIN)/harbour serve

## test: run the whole test suite, on SQLite and on PostgreSQL, in six workers (tests wait on
## node processes and browsers, so six keep two CPUs busy)
# Compiled bytecode is kept (in __pycache__, which git ignores) even where the machine sets
# PYTHONDONTWRITEBYTECODE: otherwise each of the hundreds of node and command processes a run
# starts compiles Harbour from source again (~0.2 s of CPU each).
# --no-loadscope-reorder: xdist otherwise hands out the modules with the most tests first,
# which put the slow process tests (a few tests a module) last, in the run's tail; this way
# they go in the order tests/conftest.py sorts them, the slow ones first.
test: export PYTHONDONTWRITEBYTECODE =
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 6 --dist loadfile --no-loadscope-reorder --durations=25 \
		$(PYTEST_ARGS)

## messages: extract the interface's strings (babel.cfg) and update every language's catalogue
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output --no-wrap \
		-o node/locale/messages.pot .
	$(BIN)/pybabel -q update -i node/locale/messages.pot -d node/locale \
		--no-fuzzy-matching --ignore-obsolete --no-wrap

# The runtime dependencies only (`make run`); the test extras on top for `make test`. Both
# come from the lock files in requirements/ (exact versions, every file's hash checked), then
# Harbour itself as an editable install, built by the setuptools pinned in
# requirements/build.txt; `pip check` stops here if pyproject.toml asks for something the
# lock files lack (run `make lock`).
$(VENV)/.runtime: requirements/runtime.txt requirements/build.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/python -m pip install --quiet --no-deps --build-constraint requirements/build.txt -e .
	$(BIN)/python -m pip check
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements/test.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/python -m pip check
	touch $@

## lock: pin pyproject.toml's dependencies, with hashes, into requirements/runtime.txt and
## requirements/test.txt, and its build system into requirements/build.txt (for Python 3.11
## on Linux; pins already there are kept unless UPGRADE names them: `make lock
## UPGRADE=starlette`, `make lock UPGRADE="starlette==1.11.0 uvicorn"`)
LOCK_PYTHON ?= python3.11
LOCK_VENV := .venv-lock
# From PyPI alone, whatever this machine's pip configuration says, so the hashes are those
# of the files PyPI serves.
PIP_COMPILE = PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL= \
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras \
	--index-url https://pypi.org/simple --no-emit-index-url \
	$(foreach package,$(UPGRADE),--upgrade-package '$(package)') $(LOCK_ARGS)

lock: $(LOCK_VENV)/bin/pip-compile
	$(PIP_COMPILE) -o requirements/runtime.txt pyproject.toml requirements/install.in
	$(PIP_COMPILE) --extra test -o requirements/test.txt pyproject.toml requirements/install.in
	$(PIP_COMPILE) --only-build-deps --all-build-deps -o requirements/build.txt pyproject.toml

$(LOCK_VENV)/bin/pip-compile:
	$(LOCK_PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet pip-tools==7.7.0

clean:
	rm -rf $(VENV) $(LOCK_VENV) data .pytest_cache
