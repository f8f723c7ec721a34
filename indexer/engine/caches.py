"""What one open generation keeps for every request: searcher, facet sets, term caches."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import chain
from pathlib import Path

from whoosh import index
from whoosh.reading import TermNotFound

from .schema import FACETS, make_parser
from .speller import Speller

POSTINGS_CACHE = 4096  # terms whose doc sets and weights a generation keeps


def _column_date(column, docnum: int) -> datetime | None:
    """A doc's published date from the sortable column; undated docs hold no valid date."""
    try:
        value = column[docnum]
    except (OverflowError, ValueError):
        return None
    return value if isinstance(value, datetime) and value.year > 1 else None


@dataclass
class FacetCache:
    """Per generation: each facet value's docs, and each doc's values."""

    live: frozenset[int]
    docs: dict[str, dict[str, frozenset[int]]] = field(default_factory=dict)
    values: dict[str, dict[int, tuple[str, ...]]] = field(default_factory=dict)
    official_info: dict[str, tuple[str, str]] = field(default_factory=dict)
    published: list[datetime | None] = field(default_factory=list)
    days: list[str | None] = field(default_factory=list)  # "YYYY-MM-DD" per doc, for the timeline

    @classmethod
    def load(cls, reader) -> FacetCache:
        live = frozenset(reader.all_doc_ids())
        cache = cls(live)
        column = reader.column_reader("published")
        cache.published = [_column_date(column, n) for n in range(reader.doc_count_all())]
        cache.days = [d.date().isoformat() if d else None for d in cache.published]
        for name in FACETS:
            docs: dict[str, frozenset[int]] = {}
            values: dict[int, list[str]] = {}
            for term in reader.lexicon(name):
                value = term.decode("utf-8")
                ids = frozenset(reader.postings(name, term).all_ids()) & live
                if not ids:
                    continue
                docs[value] = ids
                for n in ids:
                    values.setdefault(n, []).append(value)
            cache.docs[name] = docs
            cache.values[name] = {n: tuple(v) for n, v in values.items()}
        best: dict[str, int] = {}
        for term in reader.lexicon("official_info"):
            name, role, country = term.decode("utf-8").split("|")
            freq = reader.doc_frequency("official_info", term)
            if freq > best.get(name, 0):
                best[name] = freq
                cache.official_info[name] = (role, country)
        return cache

    def selected(self, facet: str, values: Iterable[str]) -> frozenset[int]:
        """Docs having any of ``values`` (OR within a facet)."""
        sets = [self.docs[facet].get(v, frozenset()) for v in values]
        return frozenset().union(*sets)

    def timeline(self, docs: set[int]) -> list[tuple[str, int]]:
        """Matches per day (spans up to ~2 months) or per month, gaps filled with zeros."""
        days = Counter(map(self.days.__getitem__, docs))  # counted in C
        days.pop(None, None)
        if not days:
            return []
        first = date.fromisoformat(min(days))
        last = date.fromisoformat(max(days))
        if (last - first).days <= 62:
            keys = [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]
            return [(k, days.get(k, 0)) for k in keys]
        months: Counter = Counter()
        for day, n in days.items():
            months[day[:7]] += n
        keys, (y, m) = [], (first.year, first.month)
        while (y, m) <= (last.year, last.month):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return [(k, months.get(k, 0)) for k in keys]

    def count(self, facet: str, docs: set[int], limit: int | None) -> list[tuple[str, int]]:
        """``(value, count)`` pairs, most frequent first, over the docs ``docs``."""
        index = self.docs[facet]
        if len(docs) > 4 * len(index):  # many docs, few values: set intersections in C
            counts = {v: n for v, ids in index.items() if (n := len(ids & docs))}
        else:
            values = self.values[facet]
            counts = Counter(chain.from_iterable(values.get(n, ()) for n in docs))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def _cached(cache: dict, key, load, missing):
    """``cache[key]``, loading it on a miss (``missing`` for an unknown term); the
    oldest entry goes once the cache holds POSTINGS_CACHE terms."""
    found = cache.get(key)
    if found is None:
        try:
            found = load()
        except TermNotFound:
            found = missing
        if len(cache) >= POSTINGS_CACHE:
            cache.pop(next(iter(cache)))
        cache[key] = found
    return found


class Generation:
    """One open generation: its searcher, parser and facet cache, shared by all requests."""

    def __init__(self, path: Path):
        self.path = path
        self.ix = index.open_dir(path)
        self.searcher = self.ix.searcher()
        self.lock = threading.Lock()
        self.facets = FacetCache.load(self.searcher.reader())
        self._postings: dict[tuple[str, str], frozenset[int]] = {}
        self._speller: Speller | None = None
        self._weights: dict[tuple[str, str], dict[int, float]] = {}
        self._lengths: dict[str, tuple[list[int], float]] = {}
        self.parser = make_parser(self.ix.schema)
        self.built = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)

    def warm(self) -> None:
        """Build the field lengths and the speller now, between requests, so that no
        early request pays for them.  Run in a background thread by the Engine."""
        for build in (lambda: self.lengths("title"), lambda: self.lengths("body"),
                      lambda: self.speller):
            with self.lock:  # one piece at a time: requests interleave
                if self.searcher.is_closed:
                    return
                build()

    @property
    def speller(self) -> Speller:
        """Built on the first did-you-mean of a generation, then shared."""
        if self._speller is None:
            self._speller = Speller.load(self.searcher.reader())
        return self._speller

    def weights(self, field_name: str, text: str) -> dict[int, float]:
        """``{docnum: weight}`` of a term's postings (cached like ``docs``)."""
        def load() -> dict[int, float]:
            return dict(self.searcher.reader().postings(field_name, text).items_as("weight"))
        return _cached(self._weights, (field_name, text), load, {})

    def lengths(self, field_name: str) -> tuple[list[int], float]:
        """Every doc's length in a field, and the average (as BM25F needs them)."""
        if field_name not in self._lengths:
            reader = self.searcher.reader()
            lengths = [reader.doc_field_length(n, field_name, 0)
                       for n in range(reader.doc_count_all())]
            self._lengths[field_name] = (lengths, self.searcher.avg_field_length(field_name) or 1)
        return self._lengths[field_name]

    def docs(self, field_name: str, text: str) -> frozenset[int]:
        """Live docnums holding a term, from a bounded per-generation cache.

        Popular terms recur across queries; as Lucene caches filters, we keep
        their doc sets instead of re-reading postings on every request.
        """
        def load() -> frozenset[int]:
            ids = self.searcher.reader().postings(field_name, text).all_ids()
            return frozenset(ids) & self.facets.live
        return _cached(self._postings, (field_name, text), load, frozenset())

    def refresh(self) -> None:
        """Pick up incremental commits to this generation (cheap when nothing changed)."""
        with self.lock:
            if not self.searcher.up_to_date():
                # a whole new searcher: Searcher.refresh() reuses segment readers
                # and so misses deletions made in those segments
                old, self.searcher = self.searcher, self.ix.searcher()
                self.facets = FacetCache.load(self.searcher.reader())
                self._postings, self._speller, self._weights, self._lengths = {}, None, {}, {}
                old.close()

    def close(self) -> None:
        self.searcher.close()
