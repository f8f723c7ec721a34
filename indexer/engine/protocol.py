"""The seam between the search service and an engine: what every backend provides.

``indexer.search`` and ``indexer.pipeline`` talk to a :class:`SearchBackend`
only, so a backend is added by writing one module that satisfies this
protocol and naming it in :data:`indexer.engine.BACKENDS` — never by touching
the views, the CLI or the service.  Requests and answers are the
engine-neutral types of :mod:`.types`; queries arrive as our own tree
(:mod:`indexer.query`), which each backend translates to its own language.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, runtime_checkable

from ..articles import Article
from .types import EngineHit, EngineQuery, EngineResult, WriteReport


@runtime_checkable
class SearchBackend(Protocol):
    """An index of articles that searches with facets; one per data dir and process."""

    name: str

    def build(self, articles: Iterable[Article], *, procs: int | None = None) -> WriteReport:
        """Index ``articles`` afresh and swap the result in atomically: searches see the old
        index until the new one is complete; a failed build leaves the old one live."""

    def update(self, hashes: Mapping[str, str],
               fetch: Callable[[Iterable[str]], Iterable[Article]]) -> WriteReport:
        """Bring the index up to a store holding ``{id: content_hash}``: add and replace
        what ``fetch(ids)`` returns for new or changed ids, delete ids no longer there."""

    def search(self, request: EngineQuery) -> EngineResult:
        """Matches, ranked or sorted, with facet counts given the other filters.
        Raises BadRequest for a query with nothing left to search for and
        IndexUnavailable when there is no usable index."""

    def article(self, article_id: str) -> EngineHit | None:
        """The indexed form of one article (None when it is not indexed)."""

    def more_like(self, article_id: str, top: int = 5) -> list[EngineHit]:
        """Articles most like this one ([] when it is not indexed)."""

    def stats(self) -> dict:
        """``{"generation", "built", "size_bytes", "age_seconds", "documents",
        "facets": {name: distinct values}}``; generation None when never built."""

    def official_info(self, name: str) -> tuple[str, str]:
        """The (role, country) an official is most often indexed with, for labels."""

    def close(self) -> None:
        """Release files, connections and caches."""
