# newsdesk: each target is a line or two over the CLI and pytest.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DATA   ?= data
# the demo's own store and index, never mixed with what `newsdesk import` puts in ./data
DEMO_DATA ?= data/demo
PORT   ?= 5000

.PHONY: demo test bench bench-web bench-scale bench-engines eval-ranking browser redis screenshots audit stress clean

$(BIN)/newsdesk: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/newsdesk  ## index the bundled sample corpus and serve it on http://127.0.0.1:5000
	$(BIN)/newsdesk --data-dir $(DEMO_DATA) import jsonl corpus/sample/articles.jsonl
	$(BIN)/newsdesk --data-dir $(DEMO_DATA) index
	$(BIN)/newsdesk --data-dir $(DEMO_DATA) serve --port $(PORT)

test: $(BIN)/newsdesk  ## run the test suite
	$(BIN)/python -m pytest -q

bench: $(BIN)/newsdesk  ## print the core benchmark's figures (needs ../shared/data)
	$(BIN)/python benchmarks/bench_core.py

bench-web: $(BIN)/newsdesk  ## web latency under 20 clients (Reuters from ../shared/data)
	$(BIN)/python benchmarks/bench_web.py

eval-ranking: $(BIN)/newsdesk  ## MAP@100, P@10, nDCG@10 on cran/med/cisi against SQLite FTS5 (needs ../shared/data/ir)
	$(BIN)/python benchmarks/eval_ranking.py

SIZES ?= 100000,300000
bench-scale: $(BIN)/newsdesk  ## newsdesk vs SQLite FTS5 at 100k and 300k synthetic articles (SIZES=...; needs the bench extra and ../shared/data)
	$(BIN)/python benchmarks/scale.py --sizes $(SIZES)

ENGINE_SIZE ?= 100000
bench-engines: $(BIN)/newsdesk  ## embedded vs 1-node vs 3-node Typesense on Reuters and ENGINE_SIZE synthetic articles (needs the bench and cluster extras, ../shared/data)
	$(BIN)/python benchmarks/bench_engines.py --size $(ENGINE_SIZE)

audit: $(BIN)/newsdesk  ## pip-audit the installed dependencies against known vulnerabilities
	$(BIN)/pip-audit --skip-editable

stress: $(BIN)/newsdesk  ## the crash-safety stress run: 30 seeded kill -9 trials
	NEWSDESK_STRESS_TRIALS=30 $(BIN)/python -m pytest -q -m stress tests/test_crash.py

# The browser tests drive the system Chromium through Playwright (never a downloaded
# browser).  Installs Debian's chromium when missing (needs root or sudo).
CHROMIUM ?= /usr/bin/chromium
browser: $(BIN)/newsdesk  ## install Chromium for tests/test_browser.py if missing
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }
	@$(CHROMIUM) --version

# The shared-frontier crawl tests (tests/test_crawl_redis.py) start Debian's redis-server
# on loopback.  Installs it when missing (needs root or sudo).
REDIS_SERVER ?= /usr/bin/redis-server
redis: $(BIN)/newsdesk  ## install redis-server for the shared-frontier crawl tests if missing
	@test -x $(REDIS_SERVER) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server; fi; }
	@$(REDIS_SERVER) --version

screenshots: browser  ## refresh docs/screenshots/ from the browser tests
	NEWSDESK_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py -k 'screenshots or collapsed_story'

clean:
	rm -rf $(VENV) $(DATA) $(DEMO_DATA) build *.egg-info
