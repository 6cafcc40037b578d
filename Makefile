PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test messages clean

## run: start a node on http://127.0.0.1:8000 (SQLite under ./data); prints how to sign in
run: $(VENV)/.runtime
	HARBOUR_CONFIG=harbour.dev.toml $(BIN)/harbour serve

## test: run the whole test suite, on SQLite and on PostgreSQL, in four workers (tests wait on
## node processes and browsers, so four keep two CPUs busy)
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 4 --dist loadgroup --durations=25 $(PYTEST_ARGS)

## messages: extract the interface's strings (babel.cfg) and update every language's catalogue
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output --no-wrap \
		-o node/locale/messages.pot .
	$(BIN)/pybabel -q update -i node/locale/messages.pot -d node/locale \
		--no-fuzzy-matching --ignore-obsolete --no-wrap

# The runtime dependencies only (`make run`); the test extras on top for `make test`.
$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed: $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) data .pytest_cache
