"""Web benchmark: latency of a real `newsdesk serve` under 20 concurrent clients.

Figures, not assertions (the tests never run this).  It serves a data dir
(``--data-dir``; else a temp one built through the CLI from
../shared/data/reuters21578 with ``newsdesk import reuters`` + ``newsdesk index``,
or from the sample corpus with ``--sample``) with ``newsdesk serve`` (waitress) on a
free 127.0.0.1 port, and sends a bounded number of GET requests per scenario
(``--requests``, 600) from ``--clients`` (20) threads, each with its own keep-alive
``http.client`` connection:

- ``search page``: ``/?q=…`` for the queries of benchmarks/queries_core.txt, in turn;
- ``faceted page``: the same queries with their two most frequent countries ticked
  (``&country=A&country=B``, OR) and the top source (AND), found beforehand;
- ``api search``: ``/api/search?q=…`` with the query file's own filters.

Each scenario gets a short untimed warm-up.  It prints requests, errors, p50/p95/p99,
mean and requests/s per scenario.  ``--clients 1,8`` runs each scenario with each
count in turn and prints the throughput against the first count's (does the server
use both cores?); ``--processes`` is ``newsdesk serve --processes``.  Only 127.0.0.1
is ever contacted.

Usage: .venv/bin/python benchmarks/bench_web.py [--data-dir DIR | --sample]
           [--requests 600] [--clients 20 | --clients 1,8] [--workers 8] [--processes 1]
"""
from __future__ import annotations

import argparse
import http.client
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parents[1]
REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
SAMPLE = ROOT / "corpus" / "sample" / "articles.jsonl"
QUERIES = Path(__file__).resolve().parent / "queries_core.txt"
HOST = "127.0.0.1"


def newsdesk() -> list[str]:
    """The newsdesk command, run by this interpreter (so the same venv)."""
    return [sys.executable, "-m", "indexer.cli"]


def build(data: Path, sample: bool) -> None:
    cli = [*newsdesk(), "--data-dir", str(data)]
    if sample:
        source = ["jsonl", str(SAMPLE)]
    else:
        if not REUTERS.is_dir():
            sys.exit(f"{REUTERS} is absent: pass --data-dir DIR or --sample")
        source = ["reuters", str(REUTERS)]
    started = time.perf_counter()
    subprocess.run([*cli, "import", *source], check=True)
    subprocess.run([*cli, "index"], check=True)
    print(f"built {data} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Accept-Encoding": "identity"})
    response = conn.getresponse()
    return response.status, response.read()


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("newsdesk serve exited early")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            status, _ = get(conn, "/api/stats")
            conn.close()
            if status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("newsdesk serve did not come up")


def load_queries() -> list[tuple[str, list[tuple[str, str]]]]:
    queries = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, _, filters = line.partition("\t")
        queries.append((text.strip(), parse_qsl(filters)))
    return queries


def faceted_paths(port: int, queries) -> list[str]:
    """Each query with its top two countries and top source (asked of the API, untimed)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    paths = []
    for text, _ in queries:
        status, body = get(conn, "/api/search?" + urlencode({"q": text, "per_page": 1}))
        if status != 200:
            continue
        facets = json.loads(body)["facets"]
        params = [("q", text)]
        params += [("country", v["value"]) for v in facets["country"][:2]]
        params += [("source", v["value"]) for v in facets["source"][:1]]
        paths.append("/?" + urlencode(params))
    conn.close()
    return paths


def run(port: int, paths: list[str], total: int, clients: int) -> dict:
    """``total`` GETs over ``paths`` (in turn) from ``clients`` threads."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    errors: list[str] = []

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                if i >= total:
                    break
                next_index[0] += 1
            path = paths[i % len(paths)]
            started = time.perf_counter()
            try:
                status, _ = get(conn, path)
                ok = status == 200
                why = f"{status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                ok, why = False, f"{type(exc).__name__} {path}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(why)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"n": len(latencies), "errors": errors, "p50": cuts[49], "p95": cuts[94],
            "p99": cuts[98], "mean": statistics.fmean(latencies), "rps": len(latencies) / wall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="serve this data dir (else build one)")
    parser.add_argument("--sample", action="store_true",
                        help="build from corpus/sample instead of Reuters-21578")
    parser.add_argument("--requests", type=int, default=600, help="per scenario (600)")
    parser.add_argument("--clients", default="20",
                        help="concurrent clients (20); a list (1,8) compares throughput")
    parser.add_argument("--workers", type=int, default=8, help="server threads (8)")
    parser.add_argument("--processes", type=int, default=1, help="server processes (1)")
    args = parser.parse_args(argv)

    temp = None
    data = args.data_dir
    if data is None:
        temp = Path(tempfile.mkdtemp(prefix="bench-web-"))
        data = temp / "data"
        build(data, args.sample)
    port = free_port()
    log_path = (temp or Path(tempfile.gettempdir())) / f"bench-web-serve-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 (open for the server's lifetime)
    proc = subprocess.Popen([*newsdesk(), "--data-dir", str(data), "serve", "--host", HOST,
                             "--port", str(port), "--workers", str(args.workers),
                             "--processes", str(args.processes)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(port, proc)
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        stats = json.loads(get(conn, "/api/stats")[1])
        conn.close()
        queries = load_queries()
        scenarios = {
            "search page": ["/?" + urlencode({"q": q}) for q, _ in queries],
            "faceted page": faceted_paths(port, queries),
            "api search": ["/api/search?" + urlencode([("q", q), *f]) for q, f in queries],
        }
        counts = [int(c) for c in str(args.clients).split(",")]
        print(f"newsdesk serve: {stats['indexed']:,} articles indexed, {args.processes} "
              f"process(es) x {args.workers} threads; {args.requests} requests per scenario, "
              f"{len(queries)} queries")
        print(f"{'scenario':<14} {'clients':>7} {'requests':>8} {'errors':>6} {'p50 ms':>8} "
              f"{'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'req/s':>7} {'x first':>7}")
        for name, paths in scenarios.items():
            run(port, paths, min(40, args.requests), max(counts))  # warm-up, untimed
            first = None
            for clients in counts:
                r = run(port, paths, args.requests, clients)
                first = first or r["rps"]
                print(f"{name:<14} {clients:>7} {r['n']:>8} {len(r['errors']):>6} "
                      f"{r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {r['mean']:>8.1f} "
                      f"{r['rps']:>7.1f} {r['rps'] / first:>6.2f}x")
                for why in r["errors"][:5]:
                    print(f"    error: {why}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
