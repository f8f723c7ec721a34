"""Every difference between the embedded engine and Typesense, request by request.

bench_engines.py counts the requests whose answers agree; this lists the ones that
do not, and in what: the total, each facet value whose count differs (or the same
counts in another order), all-words, relaxed, the timeline's differing days, the
top-10 ids.  Same corpus and same requests as bench_engines.py's parity (the 100
core queries, each plus its top country, and its EXTRA), on one 1-node cluster.

The Reuters data dir (import, stories, embedded index) is kept in ``--work-dir``
and reused when it is there (``--fresh`` re-imports, ``--reindex`` rebuilds both
indexes of the kept store); the cluster is started here and stopped at the end.

Usage (from the repo root):
  .venv/bin/python benchmarks/parity_engines.py [--work-dir DIR] [--fresh] [--reindex]
      [--out FILE.json]
"""
from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_engines as be  # noqa: E402
import scale  # noqa: E402

from indexer import DataDir, SearchRequest, SearchService, pipeline  # noqa: E402
from indexer import cluster as local  # noqa: E402
from indexer.store import Store  # noqa: E402

DEFAULT_WORK = Path("/tmp/newsdesk-parity")


def differences(x: dict, y: dict) -> dict:
    """What differs between two /api/search answers (embedded ``x``, Typesense ``y``)."""
    out = {}
    for k in ("total", "all_words", "relaxed", "stories"):
        if x.get(k) != y.get(k):
            out[k] = [x.get(k), y.get(k)]
    for name in sorted({*x["facets"], *y["facets"]}):
        a, b = x["facets"].get(name, []), y["facets"].get(name, [])
        if a == b:
            continue
        ca = {v["value"]: v["count"] for v in a}
        cb = {v["value"]: v["count"] for v in b}
        counts = {v: [ca.get(v), cb.get(v)] for v in sorted({*ca, *cb}) if ca.get(v) != cb.get(v)}
        out[f"facet:{name}"] = counts or {"order": [[v["value"], v["count"]] for v in a][:12],
                                          "typesense": [[v["value"], v["count"]] for v in b][:12]}
    if x.get("timeline") != y.get("timeline"):
        out["timeline"] = {"embedded": x.get("timeline"), "typesense": y.get("timeline")}
    ids_x, ids_y = [h["id"] for h in x["hits"]], [h["id"] for h in y["hits"]]
    if ids_x != ids_y:
        out["hits"] = {"overlap": len(set(ids_x) & set(ids_y)), "of": len(ids_x),
                       "same_order": ids_x == ids_y}
    return out


def prepare(work: Path, fresh: bool) -> Path:
    data = work / "reuters-data"
    if fresh or not DataDir(data).store_path.exists():
        shutil.rmtree(data, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        log = work / "parity.log"
        scale.run_watched(scale.newsdesk(data, "import", "reuters", str(scale.REUTERS)), log, ok=(0, 3))
        with Store(DataDir(data).store_path) as store:
            pipeline.stories(store)
        pipeline.index(DataDir(data, "whoosh"))
        print(f"parity: imported and indexed {data}", flush=True)
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--fresh", action="store_true", help="re-import Reuters into the work dir")
    ap.add_argument("--reindex", action="store_true", help="rebuild the kept embedded index")
    ap.add_argument("--out", type=Path, help="write every difference as JSON here")
    args = ap.parse_args(argv)
    scale.check_reuters()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("parity: terminated"))
    work = args.work_dir.resolve()
    data = prepare(work, args.fresh)
    if args.reindex and not args.fresh:
        pipeline.reindex(DataDir(data, "whoosh"))
    clusters = be.Clusters(work)
    try:
        found = clusters.start(1)
        ts = DataDir(data, found.engine_url)
        pipeline.index(ts)
        a, b = SearchService(DataDir(data, "whoosh")), SearchService(ts)
        classes = be.query_classes(a)
        rows, kinds = [], {}
        for group, requests in classes.items():
            for params in requests:
                req = SearchRequest.from_params(params)
                x, y = (s.search(req, facet_limit=None).to_json() for s in (a, b))
                diff = differences(x, y)
                if diff:
                    rows.append({"class": group, "q": params, "differs": diff})
                    for k in diff:
                        kinds[k] = kinds.get(k, 0) + 1
        total = sum(len(v) for v in classes.values())
        print(f"parity: {total - len(rows)}/{total} requests identical (hits included); "
              f"differing parts: {json.dumps(kinds, sort_keys=True)}")
        for row in rows:
            print(json.dumps(row, ensure_ascii=False)[:600])
        if args.out:
            args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
        a.engine.close()
        b.engine.close()
    finally:
        clusters.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
