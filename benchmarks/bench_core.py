"""Core benchmark: import, index and search speed on Reuters-21578, against SQLite FTS5.

Figures, not assertions (the tests never run this).  In a fresh temp data dir
(or ``--data-dir``) it
1. imports ../shared/data/reuters21578/reut2-0*.sgm (Reuters-21578, Distribution 1.0)
   with ``pipeline.import_files`` and times it (articles/s);
2. rebuilds the index with ``pipeline.reindex`` (2 processes) and times it
   (articles/s, index size on disk);
3. runs every query of benchmarks/queries_core.txt through
   ``SearchService.search(SearchRequest.from_params(...))`` as the product does
   (page 1, 10 per page, all facet counts, snippets): one first pass on cold caches (reported apart), then
   ``--passes`` timed passes; p50/p95/p99/mean latency;
4. builds an SQLite FTS5 table (porter tokenizer) over the same store and runs
   the same queries there, timed the same way: bm25-ranked top 10 with
   snippet(), a total COUNT and the country counts (GROUP BY over a side
   table), with the same country filters (benchmarks/_baseline.py, shared with
   scale.py);
5. prints newsdesk vs FTS5 and the 5 slowest newsdesk queries;
6. times the same queries collapsed (the default) and with ``collapse=false`` (every
   copy listed, no story folding: the work before stories existed), query by query in
   turns, and prints both side by side: the cost of folding wire copies into stories.

queries_core.txt: one query per line; ``query<TAB>country=JP&country=US`` adds
filters (parsed with urllib.parse.parse_qs and merged into the params).

Usage: .venv/bin/python benchmarks/bench_core.py [--quick] [--data-dir DIR]
           [--passes 3] [--verbose] [--profile K] [--keep]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer import engine, pipeline  # noqa: E402
from indexer.config import DataDir  # noqa: E402
from indexer.search import SearchRequest, SearchService  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the FTS5 baseline and the query file, shared with scale.py
from _baseline import Fts, build_fts, load_queries, to_fts  # noqa: E402,F401

REUTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578"
QUICK_FILES = 3
TARGET_RATIO = 3.0          # newsdesk p95 within 3x of FTS5's
TARGET_INDEX_RATE = 1500    # articles/s


# -- timing ------------------------------------------------------------------

def timed_passes(run, queries, passes: int) -> tuple[list[list[float]], list[list[float]]]:
    """ms per query: the first (cold-cache) pass, then ``passes`` warm passes."""
    cold = []
    for _, params in queries:
        t = time.perf_counter()
        run(params)
        cold.append([(time.perf_counter() - t) * 1000])
    times = [[0.0] * passes for _ in queries]
    for p in range(passes):
        for i, (_, params) in enumerate(queries):
            t = time.perf_counter()
            run(params)
            times[i][p] = (time.perf_counter() - t) * 1000
    return cold, times


def paired_passes(run_a, run_b, queries, passes: int) -> tuple[list[list[float]], list[list[float]]]:
    """ms per query for two ways of running it, timed in turns (a then b, then b then a)."""
    a_times = [[0.0] * passes for _ in queries]
    b_times = [[0.0] * passes for _ in queries]
    for p in range(passes):
        for i, (_, params) in enumerate(queries):
            for run, times in ((run_a, a_times), (run_b, b_times))[::1 if p % 2 == 0 else -1]:
                t = time.perf_counter()
                run(params)
                times[i][p] = (time.perf_counter() - t) * 1000
    return a_times, b_times


def summary(times: list[list[float]]) -> dict[str, float]:
    flat = sorted(t for row in times for t in row)
    cuts = statistics.quantiles(flat, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "mean": statistics.fmean(flat)}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def profile(service: SearchService, queries, top: int = 25) -> None:
    for label, params in queries:
        req = SearchRequest.from_params(params)
        prof = cProfile.Profile()
        for _ in range(5):
            prof.runcall(service.search, req)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
        print(f"\n--- cProfile, 5 runs of {label!r} ---")
        print("\n".join(out.getvalue().splitlines()[4:]))


# -- main --------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"only {QUICK_FILES} Reuters files")
    ap.add_argument("--data-dir", help="data dir to use (default: a fresh temp dir)")
    ap.add_argument("--passes", type=int, default=3, help="timed passes (default 3)")
    ap.add_argument("--verbose", action="store_true", help="per query: totals and ms, both sides")
    ap.add_argument("--profile", type=int, default=0, metavar="K",
                    help="cProfile SearchService.search on the K slowest queries")
    ap.add_argument("--keep", action="store_true", help="keep the temp data dir")
    args = ap.parse_args(argv)

    paths = sorted(REUTERS.glob("reut2-0*.sgm"))
    if not paths:
        sys.exit(f"bench_core: Reuters-21578 not found at {REUTERS} "
                 "(expected reut2-000.sgm … reut2-017.sgm); nothing to measure")
    if args.quick:
        paths = paths[:QUICK_FILES]
    queries = load_queries()

    tmp = None if args.data_dir else Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    data = DataDir.resolve(args.data_dir or tmp)
    try:
        print(f"data dir: {data.root}   Reuters files: {len(paths)}   queries: {len(queries)}")

        t = time.perf_counter()
        report = pipeline.import_files(data, "reuters", paths)
        t_import = time.perf_counter() - t
        n_import = report.read
        print(f"import   {n_import:6d} articles in {t_import:6.1f} s = {n_import / t_import:7.0f} "
              f"articles/s  (added {report.counts.added}, skipped {len(report.skipped)})")

        t = time.perf_counter()
        written = pipeline.reindex(data)
        t_index = time.perf_counter() - t
        gen = engine.current_generation(data.index_root)
        index_mb = dir_size(gen) / 1e6
        index_rate = written.added / t_index
        print(f"index    {written.added:6d} articles in {t_index:6.1f} s = {index_rate:7.0f} "
              f"articles/s  (reindex, 2 procs)  index {index_mb:.1f} MB")

        fts_path = data.root / "bench_fts5.sqlite"
        t = time.perf_counter()
        n_fts = build_fts(data.store_path, fts_path)
        t_fts = time.perf_counter() - t
        fts_rate = n_fts / t_fts
        fts_mb = fts_path.stat().st_size / 1e6
        print(f"FTS5     {n_fts:6d} articles in {t_fts:6.1f} s = {fts_rate:7.0f} "
              f"articles/s  (SQLite {sqlite3.sqlite_version}, porter)  {fts_mb:.1f} MB")

        service = SearchService(data)

        def run_nd(params):
            return service.search(SearchRequest.from_params(params))

        nd_cold, nd_times = timed_passes(run_nd, queries, args.passes)

        def run_every_copy(params):
            return service.search(SearchRequest.from_params({**params, "collapse": "false"}))

        # collapsed and every copy, query by query in turns (first one, then the other
        # first), so both see the same machine load
        on_times, off_times = paired_passes(run_nd, run_every_copy, queries, args.passes)
        fts = Fts(fts_path)
        fts_queries = [(label, params) for label, params in queries
                       if to_fts(" ".join(params["q"])) is not None]
        skipped_fts = [label for label, params in queries if (label, params) not in fts_queries]
        fts_cold, fts_times = timed_passes(fts.search, fts_queries, args.passes)

        nd, fx = summary(nd_times), summary(fts_times)
        print(f"\nsearch latency, ms ({len(queries)} queries x {args.passes} passes, after a "
              f"first pass that is reported apart; page 1 of 10, facet counts, snippets)")
        print(f"{'':18}{'newsdesk':>10}{'FTS5':>10}{'ratio':>8}")
        for key in ("p50", "p95", "p99", "mean"):
            print(f"{key:18}{nd[key]:10.2f}{fx[key]:10.2f}{nd[key] / fx[key]:7.1f}x")
        nd_c, fx_c = summary(nd_cold), summary(fts_cold)
        for key in ("p50", "p95"):
            print(f"{'first pass ' + key:18}{nd_c[key]:10.2f}{fx_c[key]:10.2f}"
                  f"{nd_c[key] / fx_c[key]:7.1f}x  (cold: fresh process, empty caches)")
        print(f"{'build articles/s':18}{index_rate:10.0f}{fts_rate:10.0f}"
              f"{index_rate / fts_rate:7.2f}x")
        print(f"{'index MB':18}{index_mb:10.1f}{fts_mb:10.1f}{index_mb / fts_mb:7.2f}x")
        ratio = nd["p95"] / fx["p95"]
        print(f"target: newsdesk p95 <= {TARGET_RATIO:.0f}x FTS5 p95 ... "
              f"{'MET' if ratio <= TARGET_RATIO else 'MISSED'} ({ratio:.1f}x)")
        print(f"target: indexing >= {TARGET_INDEX_RATE} articles/s ... "
              f"{'MET' if index_rate >= TARGET_INDEX_RATE else 'MISSED'} ({index_rate:.0f})")
        if skipped_fts:
            print(f"(left out of FTS5, no positive word: {skipped_fts})")
        on, off = summary(on_times), summary(off_times)
        print(f"\nstories, same queries, {args.passes} passes taken in turns, ms:"
              f"{'collapsed':>11}{'every copy':>12}{'ratio':>8}")
        for key in ("p50", "p95", "p99", "mean"):
            print(f"{key:47}{on[key]:11.2f}{off[key]:12.2f}{on[key] / off[key]:7.2f}x")

        order = sorted(range(len(queries)), key=lambda i: -statistics.median(nd_times[i]))
        print("\n5 slowest newsdesk queries (median of passes, ms; total hits):")
        for i in order[:5]:
            label, params = queries[i]
            total = service.search(SearchRequest.from_params(params)).total
            print(f"{statistics.median(nd_times[i]):9.1f}  {label}   ({total} hits)")

        if args.verbose:
            fts_ms = {label: statistics.median(row) for (label, _), row in zip(fts_queries, fts_times)}
            print(f"\n{'newsdesk ms':>11} {'hits':>6} {'FTS5 ms':>8} {'hits':>6}  query")
            for i, (label, params) in enumerate(queries):
                total = service.search(SearchRequest.from_params(params)).total
                got = fts.search(params)
                ftotal = got[0] if got else "-"
                fms = f"{fts_ms[label]:8.2f}" if label in fts_ms else f"{'-':>8}"
                print(f"{statistics.median(nd_times[i]):11.2f} {total:6d} {fms} {ftotal:>6}  {label}")
        fts.close()

        if args.profile:
            profile(service, [queries[i] for i in order[:args.profile]])
    finally:
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"\nkept {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
