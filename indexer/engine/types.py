"""The engine-neutral types every backend speaks: what it is asked, what it answers.

Nothing here knows Whoosh (or any other engine): the search service builds an
:class:`EngineQuery` from a validated ``SearchRequest`` and gets back an
:class:`EngineResult` of :class:`EngineHit` s, whichever backend answered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ..query import Node

FACETS = ("country", "official", "source")   # the facet fields, in display order


def facet_order(pairs, limit: int | None = None) -> list[tuple[str, int]]:
    """Facet ``(value, count)`` pairs in the one order every backend answers with: most
    frequent first, ties by value (Python's string order: by code point, so "B" < "a" <
    "b" < "É"); the first ``limit`` (None: all)."""
    ordered = sorted(pairs, key=lambda vn: (-vn[1], vn[0]))
    return ordered if limit is None else ordered[:limit]


@dataclass(frozen=True)
class EngineQuery:
    """One search, as a backend sees it.

    ``query`` is the parsed tree (:mod:`indexer.query`), None to browse
    everything; ``text`` is what the user typed, for did-you-mean.  ``filters``
    hold each facet's selected values (OR within a facet, AND across); dates
    are inclusive UTC bounds.  Facet counts are given the *other* filters.
    """

    query: Node | None = None
    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: str = "relevance"          # relevance | newest | oldest
    offset: int = 0
    limit: int = 10
    facet_limit: int | None = 50     # values per facet (None: all)
    timeline: bool = False           # matches per day, given every filter but the dates
    collapse: bool = False           # one hit per story (near-duplicates folded), paged by stories


@dataclass
class EngineHit:
    id: str
    title: str
    url: str
    source: str
    published: datetime | None
    countries: list[str]
    officials: list[dict]
    score: float | None
    snippet: str                     # HTML: escaped text, query words in <mark>
    story: str = ""                  # its story (near-duplicate cluster) id
    versions: int = 1                # collapsed: matching articles of its story, itself included
    copies: list[dict] = field(default_factory=list)  # collapsed: the others {id, title, ...}


@dataclass(frozen=True, eq=False)
class DayCounts:
    """Matches per day, for the days holding any: ``days`` (datetime64[D], ascending) and
    ``counts``.  Arrays, not strings, since an archive of years has thousands of days
    per request; iterating gives (ISO day, count) pairs."""

    days: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[D]"))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def from_pairs(cls, pairs) -> DayCounts:
        pairs = sorted((d, n) for d, n in pairs if n)
        if not pairs:
            return cls()
        keys, counts = zip(*pairs)
        return cls(np.array(keys, dtype="datetime64[D]"), np.array(counts, dtype=np.int64))

    def __iter__(self):
        return iter(zip(np.datetime_as_string(self.days, unit="D").tolist(),
                        self.counts.tolist()))

    def __len__(self) -> int:
        return len(self.days)

    def __eq__(self, other) -> bool:
        return isinstance(other, DayCounts) and np.array_equal(self.days, other.days) \
            and np.array_equal(self.counts, other.counts)


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    relaxed: bool = False            # partial matches listed: articles with some of the words
    timeline: DayCounts = field(default_factory=DayCounts)  # asked with ``timeline``
    all_words: int | None = None     # matches holding every word (None: no words searched)
    all_words_first: bool = False    # partial matches follow every all-words article
    stories: int | None = None       # collapsed: distinct stories among the ``total`` articles


@dataclass
class WriteReport:
    """What one ``build`` or ``update`` did."""

    generation: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    rebuilt: bool = False

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.deleted
