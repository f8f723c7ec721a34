"""Typesense search time with our client-side work as it was and as it is.

Three costs of the Typesense backend are ours, not the server's:

- ranking builds a ``Doc`` per candidate (indexer/engine/typesense_rank.py); it
  used to count every term of every candidate (a Counter per field, its keys
  decoded from ``term_key``); now only the query words it is asked for;
- collapsing stories used to read every match's id, story and date (pages of
  250); now a ``story`` facet names the stories with two or more matches and only
  their documents are read (``TypesenseBackend._stories``);
- the "not found" words of a relaxed query were counted with a search asking one
  hit and one value per facet (so ranking fetched candidates' text, and every
  facet was counted, for each word); now with no hit and no facet.

This times ``SearchService.search`` (every facet, the timeline, snippets, the
missing-words counts, as the API calls it) over the 100 core queries
(queries_core.txt) on Reuters, one 1-node cluster, three variants in turns within
one run (before: all old; ``doc``: the new Doc only; ``stories``: the new Doc and
collapsing; now: all new), ``--passes``
each after one untimed warm-up pass each, and checks that all give the same hits,
totals and stories.

The data dir is parity_engines.py's (kept in ``--work-dir``); the cluster is
started here and stopped at the end.

Usage: .venv/bin/python benchmarks/bench_typesense_client.py [--passes 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_engines as be  # noqa: E402
import parity_engines as pe  # noqa: E402
from _baseline import load_queries  # noqa: E402

from indexer import DataDir, SearchRequest, SearchService, pipeline  # noqa: E402
from indexer.engine import EngineQuery  # noqa: E402
from indexer.engine import typesense_query as tq  # noqa: E402
from indexer.errors import NewsdeskError  # noqa: E402
from indexer.query import Word  # noqa: E402
from indexer.query import words as query_words  # noqa: E402
from indexer.search import MISSING_CHECKED, _day_end, _day_start  # noqa: E402
from indexer.engine import typesense_rank as rank  # noqa: E402
from indexer.engine.typesense_backend import TypesenseBackend  # noqa: E402
from indexer.engine.typesense_query import TEXT_FIELDS, term_of  # noqa: E402


class CounterDoc:
    """The ``Doc`` before: every term of every candidate counted and decoded."""

    __slots__ = ("id", "seq", "counts", "length")

    def __init__(self, raw: dict):
        self.id = raw["id"]
        self.seq = raw.get("seq", 0)
        self.counts = {f: Counter({term_of(k): n for k, n in
                                   Counter(raw.get(f"{f}_text", "").split()).items()})
                       for f in TEXT_FIELDS}
        self.length = {f: rank.stored_length(sum(self.counts[f].values())) for f in TEXT_FIELDS}

    def tf(self, field: str, key: str) -> int:
        return self.counts[field].get(term_of(key), 0)


def read_every_story(self, filter_by: str, strict: str | None, total: int) -> tuple[int, dict, str]:
    """``_stories`` before: every match's id, story and date read, then grouped."""
    docs = self._all(filter_by, "id,story,published,seq")
    every = {d["id"] for d in self._all(strict, "id")} if strict is not None else None
    groups: dict[str, list[dict]] = {}
    for d in docs:
        groups.setdefault(d.get("story") or d["id"], []).append(d)
    copies, hidden = {}, []
    for group in groups.values():
        group.sort(key=lambda d: (d["published"], d["seq"]))
        first = min(group, key=lambda d: every is not None and d["id"] not in every)
        copies[first["id"]] = [d["id"] for d in group if d is not first]
        hidden += copies[first["id"]]
    return len(groups), copies, tq.ids_filter(hidden, negate=True)


def missing_words_one_hit(self, req) -> list[str]:
    """``SearchService._missing_words`` before: each word asked one hit and one value
    per facet."""
    missing, seen = [], set()
    for word in query_words(req.query):
        if word.lower() in seen:
            continue
        if len(seen) >= MISSING_CHECKED:
            break
        seen.add(word.lower())
        try:
            found = self.engine.search(EngineQuery(
                query=Word(word), filters=req.filters(),
                date_from=_day_start(req.date_from), date_to=_day_end(req.date_to),
                limit=1, facet_limit=1, timeline=False)).total
        except NewsdeskError:
            continue
        if not found:
            missing.append(word)
    return missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work-dir", type=Path, default=pe.DEFAULT_WORK)
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args(argv)
    work = args.work_dir.resolve()
    data = pe.prepare(work, False)
    clusters = be.Clusters(work)
    current, stories, missing = rank.Doc, TypesenseBackend._stories, SearchService._missing_words
    variants = {"before": (CounterDoc, read_every_story, missing_words_one_hit),
                "doc": (current, read_every_story, missing_words_one_hit),
                "stories": (current, stories, missing_words_one_hit),
                "now": (current, stories, missing)}
    try:
        found = clusters.start(1)
        ts = DataDir(data, found.engine_url)
        pipeline.index(ts)
        service = SearchService(ts)
        requests = [SearchRequest.from_params(p) for _, p in load_queries()]
        ms: dict[str, list[float]] = {k: [] for k in variants}
        hits: dict[str, list] = {}
        for round_ in range(args.passes + 1):
            for label, (cls, collapse, words) in variants.items():
                rank.Doc, TypesenseBackend._stories, SearchService._missing_words = cls, collapse, words
                got = []
                for req in requests:
                    started = time.perf_counter()
                    result = service.search(req)
                    if round_:
                        ms[label].append((time.perf_counter() - started) * 1000)
                    got.append(([(h.id, h.versions) for h in result.hits], result.total,
                                result.stories, result.missing_words))
                hits[label] = got
        rank.Doc, TypesenseBackend._stories, SearchService._missing_words = current, stories, missing
        same = sum(len(set(map(repr, answers))) == 1 for answers in zip(*hits.values()))
        for label, values in ms.items():
            values.sort()
            print(f"{label:8} p50 {statistics.median(values):7.1f} ms  "
                  f"p95 {values[int(0.95 * (len(values) - 1))]:7.1f} ms  "
                  f"sum {sum(values) / args.passes / 1000:6.2f} s per pass")
        print(f"same hits, versions, totals, stories and missing words in {same} of "
              f"{len(requests)} queries")
        service.engine.close()
    finally:
        rank.Doc, TypesenseBackend._stories, SearchService._missing_words = current, stories, missing
        clusters.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
