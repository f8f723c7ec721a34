"""Memory benchmark: what one open generation costs, in the heap and in the process.

Figures, not assertions.  On a data dir with a built index (``--data-dir``;
without it, Reuters-21578 is imported and indexed into a temp dir first, as
bench_core.py does), each figure in a fresh process:
1. ``open``: tracemalloc peak and what stays allocated after opening the live
   generation (``engine.Generation``) and warming it (field lengths, speller),
   and how long that took;
2. ``serve``: process RSS (psutil) after a ``SearchService`` has answered the
   100 queries of benchmarks/queries_core.txt once (the product's request:
   page 1 of 10, facet counts, timeline, snippets), the RSS it grew by, in
   bytes per indexed article, and the anonymous part of RSS (RSS less its
   file-backed pages: mapped index files are shared and can be evicted).

Usage: .venv/bin/python benchmarks/bench_memory.py [--data-dir DIR] [--quick] [--keep]
"""
from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from indexer import engine, pipeline  # noqa: E402
from indexer.config import DataDir  # noqa: E402
from indexer.engine.caches import Generation  # noqa: E402
from indexer.search import SearchRequest, SearchService  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import QUICK_FILES, REUTERS, load_queries  # noqa: E402


def rss() -> int:
    return psutil.Process().memory_info().rss


def anonymous() -> int:
    """Resident memory that is not file-backed (the heap): RSS less the shared pages."""
    info = psutil.Process().memory_info()
    return info.rss - getattr(info, "shared", 0)


def measure_open(data: DataDir) -> dict:
    path = engine.current_generation(data.index_root)
    gc.collect()
    tracemalloc.start()
    t = time.perf_counter()
    gen = Generation(path)
    gen.warm()
    seconds = time.perf_counter() - t
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    docs = len(gen.facets.live)
    gen.close()
    return {"docs": docs, "open_s": seconds, "heap_peak": peak, "heap_kept": current}


def measure_serve(data: DataDir) -> dict:
    queries = load_queries()
    before = rss()
    service = SearchService(data)
    t = time.perf_counter()
    service.search(SearchRequest())   # opens the generation
    first = time.perf_counter() - t
    gen = service.engine.generation()
    gen.warm()  # as the background warm would have by now
    t = time.perf_counter()
    for _, params in queries:
        service.search(SearchRequest.from_params(params))
    queries_s = time.perf_counter() - t
    after = rss()
    return {"rss_before": before, "rss_after": after, "anon_after": anonymous(), "first_request_s": first,
            "queries_s": queries_s, "queries": len(queries)}


def child(mode: str, data_dir: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--data-dir", data_dir],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", help="a data dir with a built index (default: Reuters in a temp dir)")
    ap.add_argument("--quick", action="store_true", help=f"only {QUICK_FILES} Reuters files")
    ap.add_argument("--keep", action="store_true", help="keep the temp data dir")
    ap.add_argument("--child", choices=("open", "serve"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        data = DataDir.resolve(args.data_dir)
        fn = measure_open if args.child == "open" else measure_serve
        print(json.dumps(fn(data)))
        return 0

    tmp = None
    if not args.data_dir:
        paths = sorted(REUTERS.glob("reut2-0*.sgm"))
        if not paths:
            sys.exit(f"bench_memory: Reuters-21578 not found at {REUTERS}; nothing to measure")
        paths = paths[:QUICK_FILES] if args.quick else paths
        tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-mem-"))
        data = DataDir.resolve(tmp)
        pipeline.import_files(data, "reuters", paths)
        pipeline.reindex(data)
        args.data_dir = str(data.root)
    try:
        data = DataDir.resolve(args.data_dir)
        gen = engine.current_generation(data.index_root)
        size = sum(f.stat().st_size for f in gen.iterdir() if f.is_file())
        opened, served = child("open", args.data_dir), child("serve", args.data_dir)
        docs, mb = opened["docs"], 1e6
        print(f"data dir: {data.root}   generation {gen.name}: {docs} docs, "
              f"{size / mb:.1f} MB on disk")
        print(f"open + warm   {opened['open_s']:7.2f} s   heap peak {opened['heap_peak'] / mb:7.1f} MB"
              f"   kept {opened['heap_kept'] / mb:7.1f} MB   "
              f"({opened['heap_kept'] / docs:,.0f} B/article)")
        grew = served["rss_after"] - served["rss_before"]
        print(f"serve         first request {served['first_request_s']:5.2f} s, "
              f"{served['queries']} queries in {served['queries_s']:5.2f} s;  RSS "
              f"{served['rss_after'] / mb:7.1f} MB (grew {grew / mb:.1f} MB = "
              f"{grew / docs:,.0f} B/article); anonymous (not file-backed) "
              f"{served['anon_after'] / mb:.1f} MB")
    finally:
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"kept {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
