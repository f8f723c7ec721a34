"""Hostile-request benchmark: the worst GET the caps allow, beside a plain one.

Figures, not assertions (the tests never run this).  It imports the sample corpus
(corpus/sample/articles.jsonl) into a temp data dir through the CLI, then times, in
one run and side by side:

- ``plain``: ``/?q=oil``;
- ``hostile``: the most one request may carry (indexer/search.py): a query of
  ``MAX_QUERY_CHARS`` made of distinct corpus words, ``MAX_FACET_VALUES`` values in
  each facet (the corpus's own first, then fillers sharing what is left of
  ``MAX_FILTER_CHARS``), a date
  range, sort, page and per_page, and junk parameters up to ``MAX_PARAMS``; its
  query string must stay under ``webapp.MAX_QUERY_STRING`` (it is checked);
- the same two against ``/api/search``;
- ``over cap``: one value more than ``MAX_FACET_VALUES`` (the 400);

against the Flask app in-process (test client) and a real ``newsdesk serve`` (waitress,
127.0.0.1, a free port, one keep-alive connection).  Each is warmed up, then timed
``--repeat`` times; it prints the median and the slowest in ms and the ratio of each
median to the plain page's.  Last, ``--workers`` hostile pages at once on the real
server while plain pages are timed: the plain page's median under that load.

Usage: .venv/bin/python benchmarks/bench_hostile.py [--repeat 30] [--workers 8]
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.search import (  # noqa: E402
    MAX_FACET_VALUES, MAX_FILTER_CHARS, MAX_PARAMS, MAX_QUERY_CHARS, MAX_VALUE_CHARS,
    SearchRequest,
)
from webapp import MAX_QUERY_STRING, create_app  # noqa: E402

SAMPLE = ROOT / "corpus" / "sample" / "articles.jsonl"
HOST = "127.0.0.1"


def newsdesk() -> list[str]:
    return [sys.executable, "-m", "indexer.cli"]


def build(data: Path) -> None:
    cli = [*newsdesk(), "--data-dir", str(data)]
    subprocess.run([*cli, "import", "jsonl", str(SAMPLE)], check=True, capture_output=True)
    subprocess.run([*cli, "index"], check=True, capture_output=True)


def padded(value: str, n: int, length: int) -> str:
    """``value`` made ``length`` long (at most ``MAX_VALUE_CHARS``), distinct per ``n``."""
    stem = f"{n} {value} "
    return (stem + "x" * MAX_VALUE_CHARS)[:max(min(length, MAX_VALUE_CHARS), len(str(n)))]


def country_names() -> list[str]:
    """Country names newsdesk resolves (``country=Saudi Arabia``), longest first, that
    fit one share of ``MAX_FILTER_CHARS``."""
    import pycountry

    from indexer import resolve
    from indexer.errors import BadRequest

    def resolves(name: str) -> bool:
        try:
            return bool(resolve.country(name))
        except BadRequest:
            return False
    share = MAX_FILTER_CHARS // (3 * MAX_FACET_VALUES)
    return sorted((c.name for c in pycountry.countries
                   if len(c.name) <= share and resolves(c.name)), key=lambda n: (-len(n), n))


def hostile_params(client) -> list[tuple[str, str]]:
    """The worst request the caps allow, from the corpus's own words and facet values."""
    words: list[str] = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        for word in re.findall(r"[a-z]{4,}", json.loads(line).get("body", "").lower()):
            if word not in words:
                words.append(word)
    q = ""
    for word in words:
        if len(q) + len(word) + 1 > MAX_QUERY_CHARS:
            break
        q = f"{q} {word}" if q else word
    facets = client.get("/api/search?per_page=1").get_json()["facets"]
    pairs = [("q", q)]
    real = {name: [v["value"] for v in facets[name]][:MAX_FACET_VALUES // 2]
            for name in ("country", "official", "source")}
    budget = MAX_FILTER_CHARS - sum(len(v) for values in real.values() for v in values)
    fillers = 3 * MAX_FACET_VALUES - sum(len(values) for values in real.values())
    names = country_names()
    for name, values in real.items():  # the values share what MAX_FILTER_CHARS leaves
        pairs += [(name, v) for v in values]
        if name == "country":  # a country must be one (else a 400): the longest names
            pairs += [(name, n) for n in names[:MAX_FACET_VALUES - len(values)]]
            continue
        pairs += [(name, padded(name, i, budget // fillers))
                  for i in range(MAX_FACET_VALUES - len(values))]
    pairs += [("from", "1987-01-01"), ("to", "2030-12-31"), ("sort", "relevance"),
              ("page", "1"), ("per_page", "100")]
    pairs += [(f"junk{i}", "j") for i in range(MAX_PARAMS - len(pairs))]
    SearchRequest.from_params(_multi(pairs))  # allowed: raises if a cap is passed
    assert len(urlencode(pairs)) <= MAX_QUERY_STRING, len(urlencode(pairs))
    return pairs


def _multi(pairs):
    from werkzeug.datastructures import MultiDict
    return MultiDict(pairs)


def timed(fn, repeat: int) -> tuple[list[float], int, int]:
    fn()
    fn()  # warm-up
    times, status, size = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        status, size = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, status, size


def serve(data: Path, workers: int, log_path: Path):
    log = open(log_path, "wb")  # noqa: SIM115 (the server's lifetime)
    proc = subprocess.Popen([*newsdesk(), "--data-dir", str(data), "serve", "--host", HOST,
                             "--port", "0", "--workers", str(workers)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not (found := re.search(rf"newsdesk on http://{HOST}:(\d+)/",
                                  log_path.read_text(errors="replace"))):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit("newsdesk serve did not start:\n" + log_path.read_text(errors="replace"))
        time.sleep(0.05)
    return proc, log, int(found.group(1))


def http_get(conn: http.client.HTTPConnection, path: str) -> tuple[int, int]:
    conn.request("GET", path, headers={"Accept-Encoding": "identity"})
    response = conn.getresponse()
    return response.status, len(response.read())


def main(argv: list[str] | None = None) -> int:
    temp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    try:
        return run(argv, temp)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def run(argv: list[str] | None, temp: Path) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed requests each (30)")
    parser.add_argument("--workers", type=int, default=8, help="server threads (8)")
    args = parser.parse_args(argv)

    data = temp / "data"
    build(data)
    app = create_app({"DATA_DIR": str(data)})
    client = app.test_client()
    hostile = hostile_params(client)
    over = hostile + [("country", "ZZ")]
    over = [p for p in over if not p[0].startswith("junk")]  # the facet cap, not MAX_PARAMS
    paths = {
        "plain page": "/?" + urlencode({"q": "oil"}),
        "hostile page": "/?" + urlencode(hostile),
        "plain api": "/api/search?" + urlencode({"q": "oil"}),
        "hostile api": "/api/search?" + urlencode(hostile),
        "over cap page": "/?" + urlencode(over),
    }
    print(f"sample corpus ({sum(1 for _ in SAMPLE.open())} articles); hostile request: "
          f"{len(hostile)} parameters, q {len(hostile[0][1])} chars, {MAX_FACET_VALUES} values "
          f"per facet ({MAX_FILTER_CHARS} chars in all), query string "
          f"{len(urlencode(hostile)):,} bytes; {args.repeat} timed requests each")

    results: dict[tuple[str, str], tuple[list[float], int, int]] = {}

    def flask_get(path):
        response = client.get(path)
        return response.status_code, len(response.get_data())

    for name, path in paths.items():
        results[("flask", name)] = timed(lambda p=path: flask_get(p), args.repeat)
    app.extensions["newsdesk"].engine.close()

    proc, log, port = serve(data, args.workers, temp / "serve.log")
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        for name, path in paths.items():
            results[("waitress", name)] = timed(lambda p=path: http_get(conn, p), args.repeat)
        conn.close()
        # hostile pages on every server thread at once; plain pages timed meanwhile
        stop = threading.Event()

        def flood():
            c = http.client.HTTPConnection(HOST, port, timeout=60)
            while not stop.is_set():
                http_get(c, paths["hostile page"])
            c.close()

        threads = [threading.Thread(target=flood) for _ in range(args.workers)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        loaded = timed(lambda: http_get(conn, paths["plain page"]), args.repeat)
        conn.close()
        stop.set()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()

    print(f"{'server':<9} {'request':<14} {'status':>6} {'bytes':>9} {'median ms':>10} "
          f"{'max ms':>8} {'x plain':>8}")
    for server in ("flask", "waitress"):
        base = statistics.median(results[(server, "plain page")][0])
        for name in paths:
            times, status, size = results[(server, name)]
            median = statistics.median(times)
            plain = statistics.median(results[(server, name.replace("hostile", "plain")
                                               .replace("over cap", "plain"))][0])
            print(f"{server:<9} {name:<14} {status:>6} {size:>9,} {median:>10.1f} "
                  f"{max(times):>8.1f} {median / (plain or base):>8.1f}")
    times, status, _ = loaded
    alone = statistics.median(results[("waitress", "plain page")][0])
    print(f"waitress  plain page with {args.workers} hostile pages in flight: status {status}, "
          f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          f"({statistics.median(times) / alone:.1f}x alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
