"""Engines benchmark: the embedded Whoosh engine against a 1-node and a 3-node Typesense cluster.

Figures, not assertions (the tests never run this).  All three engines run in
one process tree on loopback, side by side, over two corpora:

- **Reuters-21578** (../shared/data/reuters21578, 17,999 stories, ``newsdesk import
  reuters``);
- **the synthetic corpus of scale.py** at ``--size`` articles (default 100,000;
  its generator and cache, ``--work-dir``), ``newsdesk import jsonl``.

Each corpus is imported once into one data dir, and its wire-copy stories assigned
once, untimed (``pipeline.stories``: every engine's first reindex would pay it); both clusters (``indexer.cluster``:
real ``typesense-server`` processes, 127.0.0.1) are started beside it and every
engine serves that same store (``NEWSDESK_ENGINE``).  Then, engine after engine:

1. **index throughput**: ``newsdesk reindex`` run as a whole process, wall seconds
   and articles/s (on Reuters ``--rounds`` rounds, the engines in turn within each
   round, the median quoted), peak RSS of the reindex process tree and of each server node;
2. **search latency**: ``newsdesk serve`` on a free port, then sequential GETs of
   ``/api/search`` (what the web app and API answer: every facet, snippets,
   timeline) of three classes: ``core`` (the 100 lines of queries_core.txt),
   ``faceted`` (each plus a ``country=`` filter: its most frequent country, asked of
   the embedded engine beforehand) and ``more`` (EXTRA: sorts, paging, dates,
   official, source, browsing without words); ``--warmup`` untimed, ``--passes``
   timed passes; p50/p95 (scale.py's serve_measure);
3. **memory**: RSS of the serve process after the queries and of each
   ``typesense-server`` node (psutil), and each node's data dir on disk;
4. **parity** (in-process ``SearchService``, as the API calls it): over every
   request of the three classes, whether total, facet counts, all-words count and
   timeline are identical to the embedded engine's, and the mean top-10 overlap.

Every server started here is stopped at the end, on error and on SIGTERM too.
Results: benchmarks/results/engines.md and engines.json (``--results``).

Usage (from the repo root, with the bench and cluster extras):
  .venv/bin/python benchmarks/bench_engines.py [--size 100000] [--rounds 3]
      [--passes 1] [--warmup 10] [--corpora reuters,synthetic] [--work-dir DIR] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import scale  # noqa: E402  (corpus generator, process watching, serve timing)
from _baseline import load_queries  # noqa: E402

from indexer import DataDir, SearchRequest, SearchService, pipeline  # noqa: E402
from indexer import cluster as local  # noqa: E402
from indexer.config import ENGINE_VAR  # noqa: E402
from indexer.store import Store  # noqa: E402

DEFAULT_WORK = Path("/tmp/newsdesk-engines")
ENGINES = (("embedded", 0), ("typesense-1", 1), ("typesense-3", 3))
# sorts, paging, date ranges, official and source filters, browsing without words
EXTRA = [
    {"q": "", "sort": "newest"}, {"q": "", "sort": "oldest"}, {"q": "oil", "sort": "newest"},
    {"q": "dollar", "sort": "oldest"}, {"q": "oil", "page": "2"}, {"q": "said", "page": "3"},
    {"q": "bank", "page": "2", "per_page": "20"}, {"q": '"oil prices"', "page": "2"},
    {"q": "", "country": "US"}, {"q": "", "country": ["US", "JP"]},
    {"q": "trade", "official": "James Baker"}, {"q": "", "official": "Ronald Reagan"},
    {"q": "oil", "from": "1987-03-01", "to": "1987-03-31"}, {"q": "", "from": "1987-04-01"},
    {"q": "interest rates", "to": "1987-03-15"}, {"q": "grain", "source": "Reuters"},
    {"q": "wheat -soviet", "country": "US", "sort": "newest"},
    {"q": "coffee OR cocoa", "country": "BR", "page": "2", "per_page": "5"},
]


def as_params(request: dict) -> dict[str, list[str]]:
    params = {k: list(v) if isinstance(v, list) else [v] for k, v in request.items()}
    params.setdefault("page", ["1"])
    params.setdefault("per_page", ["10"])
    return params


def query_classes(service: SearchService) -> dict[str, list[dict]]:
    core = [params for _, params in load_queries()]
    faceted = []
    for params in core:
        facets = service.search(SearchRequest.from_params(params), timeline=False).facets
        have = set(params.get("country", []))
        top = [v.value for v in facets.get("country", []) if v.value not in have]
        faceted.append({**params, "country": [*params.get("country", []), top[0] if top else "US"]})
    return {"core": core, "faceted": faceted, "more": [as_params(r) for r in EXTRA]}


# -- clusters ----------------------------------------------------------------

class Clusters:
    """The local clusters of this run; ``close`` stops every node, whatever happened."""

    def __init__(self, root: Path):
        self.root, self.started = root, {}

    def start(self, nodes: int) -> local.Cluster:
        directory = self.root / f"cluster-{nodes}"
        shutil.rmtree(directory, ignore_errors=True)
        self.started[nodes] = found = local.start(directory, nodes, wait=120)
        return found

    def close(self) -> None:
        for found in self.started.values():
            try:
                local.stop(found.dir)
            finally:
                for node in found.nodes:
                    local.kill(node)
        leaked = [n.pid for c in self.started.values() for n in c.nodes if local.alive(n)]
        if leaked:
            print(f"engines: typesense-server pids still alive: {leaked}", file=sys.stderr)
        for found in self.started.values():
            shutil.rmtree(found.dir, ignore_errors=True)
        self.started = {}


def node_rss(found: local.Cluster | None) -> list[int]:
    import psutil
    return [psutil.Process(n.pid).memory_info().rss for n in found.nodes] if found else []


@contextmanager
def engine_env(spec: str):
    """``NEWSDESK_ENGINE`` for the newsdesk commands started inside (serve, reindex)."""
    old = os.environ.get(ENGINE_VAR)
    os.environ[ENGINE_VAR] = spec
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENGINE_VAR, None)
        else:
            os.environ[ENGINE_VAR] = old


# -- one corpus --------------------------------------------------------------

def reindex(data: Path, spec: str, found, log: Path, size: int) -> dict:
    watches = [scale.Watch(n.pid, every=0.25) for n in found.nodes] if found else []
    with engine_env(spec):
        r = scale.run_watched(scale.newsdesk(data, "reindex"), log)
    for w in watches:
        w.sample()
        w.stop()
    return {"seconds": r["seconds"], "rate": size / r["seconds"], "peak_rss": r["peak_rss"],
            "node_peak_rss": [w.peak for w in watches]}


PARITY = ("total", "facets", "all_words", "relaxed", "timeline")


def parity(a: SearchService, b: SearchService, classes: dict) -> dict:
    """Requests whose answers agree, per part (facets: every value's count, in order),
    the mean top-10 overlap, and the first differing requests with what differed."""
    same = dict.fromkeys(("all", *PARITY), 0)
    overlaps, examples, requests = [], [], 0
    for params in (p for group in classes.values() for p in group):
        req = SearchRequest.from_params(params)
        x, y = (s.search(req, facet_limit=None).to_json() for s in (a, b))
        differs = [k for k in PARITY if x.get(k) != y.get(k)]
        for k in PARITY:
            same[k] += k not in differs
        same["all"] += not differs
        if differs and len(examples) < 8:
            examples.append({"q": params, "differs": differs, "total": [x["total"], y["total"]],
                             "facets": facet_diff(x["facets"], y["facets"])})
        ids_x, ids_y = [h["id"] for h in x["hits"]], [h["id"] for h in y["hits"]]
        if ids_x:
            overlaps.append(len(set(ids_x) & set(ids_y)) / len(ids_x))
        requests += 1
    return {"requests": requests, "identical": same, "with_hits": len(overlaps),
            "top10_overlap": statistics.fmean(overlaps) if overlaps else None, "examples": examples}


def facet_diff(x: dict, y: dict) -> dict:
    """Per facet, the values whose counts differ: value -> [embedded, typesense]."""
    out = {}
    for name in x:
        cx = {v["value"]: v["count"] for v in x[name]}
        cy = {v["value"]: v["count"] for v in y.get(name, [])}
        diff = {v: [cx.get(v), cy.get(v)] for v in {*cx, *cy} if cx.get(v) != cy.get(v)}
        if diff or x[name] != y.get(name):
            out[name] = dict(sorted(diff.items())[:4]) or "same counts, other order or labels"
    return out


def measure_corpus(name: str, data: Path, size: int, args, work: Path) -> dict:
    log = work / f"{name}.log"
    clusters = Clusters(work)
    try:
        found = {0: None, **{n: clusters.start(n) for _, n in ENGINES if n}}
        specs = {n: found[n].engine_url if n else "whoosh" for _, n in ENGINES}
        runs: dict[str, dict] = {label: {"reindex": []} for label, _ in ENGINES}
        for round_ in range(args.rounds if name == "reuters" else 1):
            for label, n in ENGINES:
                r = reindex(data, specs[n], found[n], log, size)
                runs[label]["reindex"].append(r)
                print(f"[{name}] round {round_ + 1} {label:12} reindex {r['seconds']:7.1f} s  "
                      f"{r['rate']:6.0f} articles/s", flush=True)
        services = {n: SearchService(DataDir(data, specs[n])) for _, n in ENGINES}
        classes = query_classes(services[0])
        for label, n in ENGINES:
            with engine_env(specs[n]):
                served = scale.serve_measure(data, classes, args.warmup, args.passes, log)
            out = runs[label]
            out["serve"] = {k: served[k] for k in ("first_ms", "rss_end")}
            out["classes"] = {c: {**scale.pct(v["ms"]), "errors": v["errors"][:5]}
                              for c, v in served["classes"].items()}
            out["node_rss"] = node_rss(found[n])
            out["node_disk"] = [scale.dir_size(Path(x.data_dir)) for x in found[n].nodes] \
                if found[n] else [scale.dir_size(data / "index")]
            if n:
                out["parity"] = parity(services[0], services[n], classes)
            print(f"[{name}] {label:12} " + "  ".join(
                f"{c} p50 {v['p50']:.1f} p95 {v['p95']:.1f} ms" for c, v in out["classes"].items())
                + (f"  parity {out['parity']['identical']}" if n else ""), flush=True)
        for service in services.values():
            service.engine.close()
        return {"corpus": name, "articles": size,
                "classes": {c: len(v) for c, v in classes.items()}, "engines": runs}
    finally:
        clusters.close()


def import_corpus(name: str, args, work: Path) -> tuple[Path, int]:
    data = work / f"{name}-data"
    shutil.rmtree(data, ignore_errors=True)
    log = work / f"{name}.log"
    if name == "reuters":
        r = scale.run_watched(scale.newsdesk(data, "import", "reuters", str(scale.REUTERS)), log,
                              ok=(0, 3))
    else:
        scale_work = args.scale_work_dir
        scale_work.mkdir(parents=True, exist_ok=True)
        pool = scale.Pool(scale.ensure_pool(scale_work))
        corpus, _ = scale.ensure_corpus(pool, args.size, args.seed, scale_work)
        r = scale.run_watched(scale.newsdesk(data, "import", "jsonl", str(corpus)), log)
    stats = json.loads(scale.run_watched(scale.newsdesk(data, "stats", "--json"), log)["stdout"])
    started = time.perf_counter()
    with Store(DataDir(data).store_path) as store:   # once, untimed: or the first reindex pays it
        pipeline.stories(store)
    print(f"[{name}] stories assigned in {time.perf_counter() - started:.0f} s (untimed)")
    print(f"[{name}] imported {stats['articles']:,} articles in {r['seconds']:.0f} s", flush=True)
    return data, stats["articles"]


# -- reporting ---------------------------------------------------------------

def _x(value: float, base: float) -> str:
    return f" ({value / base:.2f}x)" if base else ""


def table(result: dict) -> list[str]:
    runs = result["engines"]
    base = runs["embedded"]
    med = lambda r, k: statistics.median(x[k] for x in r["reindex"])  # noqa: E731
    rows = [("index articles/s (reindex)", lambda r: med(r, "rate"), "{:,.0f}"),
            ("reindex command peak RSS MB", lambda r: med(r, "peak_rss") / 1e6, "{:,.0f}")]
    for c in result["classes"]:
        for k in ("p50", "p95"):
            rows.append((f"{c} ({result['classes'][c]}) {k} ms", lambda r, c=c, k=k: r["classes"][c][k],
                         "{:,.1f}"))
    rows += [("serve RSS after queries MB", lambda r: r["serve"]["rss_end"] / 1e6, "{:,.0f}"),
             ("RSS per node after queries MB (max; embedded: serve)",
              lambda r: max(r["node_rss"]) / 1e6 if r["node_rss"] else r["serve"]["rss_end"] / 1e6,
              "{:,.0f}"),
             ("peak RSS per node during reindex MB (embedded: reindex)",
              lambda r: max(max(x["node_peak_rss"]) for x in r["reindex"]) / 1e6
              if r["node_rss"] else med(r, "peak_rss") / 1e6, "{:,.0f}"),
             ("disk per node MB (embedded: index)", lambda r: max(r["node_disk"]) / 1e6, "{:,.0f}")]
    out = [f"| {result['corpus']} ({result['articles']:,} articles) | "
           + " | ".join(label for label, _ in ENGINES) + " |", "|---|" + "---:|" * len(ENGINES)]
    for label, get, fmt in rows:
        b = get(base)
        out.append(f"| {label} | " + " | ".join(
            fmt.format(get(runs[e])) + ("" if e == "embedded" else _x(get(runs[e]), b))
            for e, _ in ENGINES) + " |")
    return out


def parity_line(result: dict) -> str:
    parts = []
    for label, _ in ENGINES[1:]:
        p = result["engines"][label]["parity"]
        same = p["identical"]
        parts.append(f"{label}: all of it identical in {same['all']}/{p['requests']}; "
                     + ", ".join(f"{k} {same[k]}" for k in PARITY)
                     + f"; mean top-10 overlap {p['top10_overlap']:.3f} over {p['with_hits']} with hits")
    return ("Parity with embedded (in-process SearchService, every facet value): "
            + "; ".join(parts) + ".")


def write(results: list[dict], meta: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "engines.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    lines = ["# Engines benchmark: embedded Whoosh vs Typesense 1 node vs 3 nodes", "",
             f"`{meta['command']}` on {meta['host']}, {meta['date']} (commit {meta['commit']}, "
             f"Python {meta['python']}); all on loopback, one machine shared with other work. "
             "Ratios are against the embedded engine; latencies are client-side wall ms of "
             "sequential `/api/search` GETs to `newsdesk serve` (every facet, snippets, "
             "timeline). See benchmarks/bench_engines.py.", ""]
    for r in results:
        lines += table(r) + ["", parity_line(r), ""]
    (out / "engines.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", default="reuters,synthetic")
    ap.add_argument("--size", type=int, default=100_000, help="synthetic corpus size (100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3,
                    help="reindex rounds per engine on Reuters (3; on the synthetic corpus 1)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed requests per class (10)")
    ap.add_argument("--passes", type=int, default=1, help="timed passes per class (1)")
    ap.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--scale-work-dir", type=Path, default=scale.DEFAULT_WORK,
                    help="scale.py's cache of the Reuters pool and corpora")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--keep", action="store_true", help="keep the data dirs")
    args = ap.parse_args(argv)
    scale.check_reuters()
    try:
        local.server_binary()
    except local.ClusterError as exc:
        sys.exit(f"engines: {exc}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("engines: terminated"))  # runs the finallys
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    meta = scale.run_meta(argv)
    meta["command"] = "benchmarks/bench_engines.py " + " ".join(argv)
    results = []
    for name in args.corpora.split(","):
        started = time.perf_counter()
        data, size = import_corpus(name, args, work)
        try:
            results.append(measure_corpus(name, data, size, args, work))
        finally:
            if not args.keep:
                shutil.rmtree(data, ignore_errors=True)
        results[-1]["minutes"] = round((time.perf_counter() - started) / 60, 1)
        print("\n".join(table(results[-1])) + "\n" + parity_line(results[-1]) + "\n", flush=True)
        write(results, meta, args.results)
    print(f"wrote {args.results / 'engines.md'} and engines.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
