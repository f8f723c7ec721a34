# newsdesk: each target is a line or two over the CLI and pytest.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DATA   ?= data
PORT   ?= 5000

.PHONY: demo test bench clean

$(BIN)/newsdesk: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/newsdesk  ## index the bundled sample corpus and serve it on http://127.0.0.1:5000
	$(BIN)/newsdesk --data-dir $(DATA) import jsonl corpus/sample/articles.jsonl
	$(BIN)/newsdesk --data-dir $(DATA) index
	$(BIN)/newsdesk --data-dir $(DATA) serve --port $(PORT)

test: $(BIN)/newsdesk  ## run the test suite
	$(BIN)/python -m pytest -q

bench: $(BIN)/newsdesk  ## print the core benchmark's figures (needs ../shared/data)
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) $(DATA) build *.egg-info
