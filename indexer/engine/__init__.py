"""The search engine: Whoosh behind one package that only the search service calls.

Nothing else in newsdesk imports ``whoosh``.  The search service hands the
engine a validated request and gets back ids, stored fields, snippets, facet
counts and a timeline; another engine (OpenSearch) can answer the same request
by providing the same calls: :func:`build`, :func:`update`, :meth:`Engine.run`,
:meth:`Engine.more_like`, :meth:`Engine.stats`.

| module | its job |
|---|---|
| ``schema.py`` | the schema, Article -> document, the query parser |
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
from datetime import datetime, timezone
from pathlib import Path

from ..errors import IndexUnavailable
from .caches import Generation
from .generations import WriteReport, build, current_generation, indexed_hashes, update, write_lock
from .querying import EngineHit, EngineResult, make_hit, run
from .schema import FACETS, make_schema

__all__ = ["FACETS", "Engine", "EngineHit", "EngineResult", "WriteReport", "build",
           "current_generation", "indexed_hashes", "make_schema", "update", "write_lock"]


class Engine:
    """The live index of one data dir; reopens itself when a new generation goes live."""

    def __init__(self, root: Path, check_every: float = 1.0):
        self.root = Path(root)
        self.check_every = check_every
        self._gen: Generation | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

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
                        with old.lock:  # after any request still running on it
                            old.close()
            else:
                self._gen.refresh()
            self._checked = now
            return self._gen

    def run(self, *, text: str, filters: dict[str, tuple[str, ...]],
            date_from: datetime | None, date_to: datetime | None, sort: str,
            offset: int, limit: int, facet_limit: int | None = 50,
            timeline: bool = False) -> EngineResult:
        gen = self.generation()
        with gen.lock:
            return run(gen, text, filters, date_from, date_to, sort, offset, limit, facet_limit,
                        timeline)

    def more_like(self, article_id: str, top: int = 5) -> list[EngineHit]:
        """Articles whose key body terms are most like this one's (Whoosh's Bo1 model)."""
        gen = self.generation()
        with gen.lock:
            docnum = gen.searcher.document_number(id=article_id)
            if docnum is None:
                return []
            results = gen.searcher.more_like(docnum, "body", top=top, numterms=12)
            return [make_hit(gen, hit.docnum, hit.score, set()) for hit in results]

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
