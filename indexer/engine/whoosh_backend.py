"""The embedded backend: a Whoosh index in generations under ``DATA/index``.

The default engine (``--engine whoosh``): no server, nothing to run.  Its
modules, each with one job, and nothing outside them imports ``whoosh``:

| module | its job |
|---|---|
| ``schema.py`` | the schema, Article -> document |
| ``translate.py`` | our query tree -> Whoosh queries, analyzed as the fields were |
| ``generations.py`` | writing: generations, the atomic swap, incremental updates, the lock |
| ``caches.py`` | one open generation: searcher, facet doc sets, term doc sets and weights |
| ``querying.py`` | one request: matches by set algebra, facets, timeline, BM25F, hits |
| ``snippets.py`` | the best window of a body with query words in ``<mark>`` |
| ``speller.py`` | did-you-mean from a symmetric-delete index of title words |

Why search is fast: a naive ``searcher.search(q, groupedby=facets, limit=None)``
plus highlights scores *every* match through Python matcher trees, builds facet
caches per call and re-analyzes every stored body.  Here a generation keeps each
facet value's doc set and each term's doc set and weights; a request finds its
matches with set unions and intersections (in C), counts facets with set
intersections or one ``Counter`` pass, scores the matches with Whoosh's BM25F
formula from cached weights, and snippets only the page.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..articles import Article
from ..errors import IndexUnavailable
from .caches import Generation
from .generations import build, current_generation, indexed_hashes, update, write_lock
from .querying import make_hit, run
from .schema import FACETS, make_schema
from .types import EngineHit, EngineQuery, EngineResult, WriteReport

__all__ = ["WhooshBackend", "build", "open_whoosh", "current_generation", "indexed_hashes", "make_schema",
           "update", "write_lock"]


class WhooshBackend:
    """The live index of one data dir; reopens itself when a new generation goes live."""

    name = "whoosh"

    def __init__(self, root: Path, check_every: float = 1.0):
        self.root = Path(root)
        self.check_every = check_every
        self._gen: Generation | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------

    def build(self, articles: Iterable[Article], *, procs: int | None = None) -> WriteReport:
        return build(self.root, articles, procs=procs)

    def update(self, hashes: Mapping[str, str],
               fetch: Callable[[Iterable[str]], Iterable[Article]]) -> WriteReport:
        return update(self.root, dict(hashes), fetch)

    # -- reading ---------------------------------------------------------------------

    def generation(self) -> Generation:
        now = time.monotonic()
        if self._gen is not None and now - self._checked < self.check_every:
            return self._gen
        with self._lock:
            path = current_generation(self.root)
            if path is None:
                raise IndexUnavailable("no index yet: run `newsdesk index` first")
            if self._gen is None or self._gen.path != path:
                try:
                    old, self._gen = self._gen, Generation(path)
                    threading.Thread(target=self._gen.warm, daemon=True).start()
                except Exception as exc:  # a corrupt or half-deleted index: keep the last good one
                    if self._gen is None:
                        raise IndexUnavailable(f"cannot open the index at {path}: {exc}") from exc
                else:
                    if old is not None:
                        old.close()  # a request still running on it keeps its maps
            else:
                self._gen.refresh()
            self._checked = now
            return self._gen

    def search(self, request: EngineQuery) -> EngineResult:
        r = request  # the tree the service parsed; the typed text only for did-you-mean
        return run(self.generation(), r.text if r.query is not None else "", r.filters,
                   r.date_from, r.date_to, r.sort, r.offset, r.limit, r.facet_limit, r.timeline,
                   tree=r.query, collapse=r.collapse)

    def article(self, article_id: str) -> EngineHit | None:
        snap = self.generation().snapshot  # one immutable snapshot: no lock
        docnum = snap.searcher.document_number(id=article_id)
        return make_hit(snap, docnum, None, set()) if docnum is not None else None

    def more_like(self, article_id: str, top: int = 5) -> list[EngineHit]:
        """Articles whose key body terms are most like this one's (Whoosh's Bo1 model):
        never a copy of it (its own story is left out), and one article per story."""
        snap = self.generation().snapshot  # one immutable snapshot, this thread's searcher
        docnum = snap.searcher.document_number(id=article_id)
        if docnum is None:
            return []
        own = snap.story[docnum]
        copies = {int(n) for n in np.flatnonzero(snap.story == own)}
        hits, seen = [], {own}
        results = snap.searcher.more_like(docnum, "body", top=top * 4 + len(copies),
                                          numterms=12)
        for hit in results:
            key = snap.story[hit.docnum]
            if hit.docnum in copies or key in seen:
                continue
            seen.add(key)
            hits.append(make_hit(snap, hit.docnum, hit.score, set()))
            if len(hits) == top:
                break
        return hits

    def stats(self) -> dict:
        path = current_generation(self.root)
        if path is None:
            return {"generation": None, "built": None, "size_bytes": 0, "documents": 0}
        gen = self.generation()
        size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        age = (datetime.now(timezone.utc) - gen.built).total_seconds()
        return {"generation": path.name, "built": gen.built.isoformat(), "size_bytes": size,
                "age_seconds": round(age),
                "documents": len(gen.facets.live),
                "facets": {name: len(gen.facets.docs[name]) for name in FACETS}}

    def official_info(self, name: str) -> tuple[str, str]:
        return self.generation().facets.official_info.get(name, ("", ""))

    def close(self) -> None:
        if self._gen:
            self._gen.close()
            self._gen = None


def open_whoosh(spec: str, data) -> WhooshBackend:
    """``--engine whoosh``: the embedded index in the data dir."""
    return WhooshBackend(data.index_root)
