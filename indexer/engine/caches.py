"""What one open generation keeps for every request: an immutable, compact snapshot.

A ``Snapshot`` is one Whoosh TOC generation of one index folder, read once:
- the live docs as a roaring bitmap, and per doc, in numpy columns: the
  published time (Whoosh's sortable key), its day and month, its rank in date
  order, and the field lengths BM25F needs;
- each facet value's docs as a ``FrozenBitMap`` and every doc's values in CSR
  form (``indptr``/``indices``), so counting a match set is one ``np.bincount``;
- each doc's story (near-duplicate cluster) as a numpy column of keys;
- a bounded (in bytes, LRU) cache of terms' postings: doc bitmap, docnums and
  weights as numpy arrays, and the term's idf.
Nothing in it changes after it is built, so requests read it without a lock;
Whoosh's own reader objects keep file positions, so each thread gets its own
searcher over the same memory-mapped files (``storage.MappedStorage``).
A ``Generation`` is the folder: it swaps in a new snapshot, fully built, when
an incremental ``index`` commits into it.
"""
from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pyroaring import BitMap, FrozenBitMap
from whoosh.index import TOC, FileIndex, _DEF_INDEX_NAME
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .saved import load as load_saved, save as save_saved
from .schema import FACETS, TEXT_FIELDS
from .speller import Speller
from .types import DayCounts
from .storage import MappedStorage

TERM_CACHE_BYTES = 64 * 2**20  # postings a snapshot keeps, in bytes of arrays and bitmaps
UNDATED = np.uint64(2**64 - 1)  # Whoosh's sortable DATETIME column default (no date)
_US_PER_DAY = 86_400_000_000
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def bitmap(ids: np.ndarray) -> FrozenBitMap:
    """A frozen roaring bitmap of (sorted or not) docnums."""
    return FrozenBitMap(array("I", np.ascontiguousarray(ids, dtype=np.uint32).tobytes()))


def to_array(docs: BitMap | FrozenBitMap) -> np.ndarray:
    """A bitmap's docnums, ascending, as an int64 array (for indexing columns)."""
    return np.frombuffer(docs.to_array(), dtype=np.uint32).astype(np.int64)


# -- reading Whoosh's files as arrays -----------------------------------------

def _leaf_blocks(matcher):
    """(ids, weights) numpy arrays per posting block of a Whoosh 3 leaf matcher.

    Decodes each block once with numpy (Whoosh's ``all_ids``/``items_as`` walk
    the postings one by one in Python).  Other matchers: their items.
    """
    while hasattr(matcher, "child") and not hasattr(matcher, "_read_data"):
        matcher = matcher.child  # a deletions filter: deleted docs are dropped later
    if not (hasattr(matcher, "_read_data") and hasattr(matcher, "_atend")):
        items = list(matcher.items_as("weight"))
        if items:
            ids, weights = zip(*items)
            yield np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)
        return
    while not matcher._atend:
        matcher._read_data()
        raw_ids, raw_weights = matcher._data[0], matcher._data[1]
        if isinstance(raw_ids, (bytes, bytearray)):
            ids = np.frombuffer(raw_ids, dtype=np.uint8).astype(np.int64)
        else:
            ids = np.asarray(raw_ids, dtype=np.int64)
        if not matcher._byteids:
            ids = np.cumsum(ids)  # delta-coded, as whoosh.util.delta_decode
        count = matcher._blocklength
        if raw_weights is None:
            weights = np.ones(count, dtype=np.float32)
        elif isinstance(raw_weights, float):
            weights = np.full(count, raw_weights, dtype=np.float32)
        else:
            weights = np.asarray(raw_weights, dtype=np.float32)
        yield ids, weights
        matcher._next_block()


def read_postings(reader, field_name: str, text) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, weight) postings of a term over every segment, by docnum."""
    ids, weights = [], []
    for leaf, offset in reader.leaf_readers():
        try:
            matcher = leaf.postings(field_name, text)
        except TermNotFound:
            continue
        for block_ids, block_weights in _leaf_blocks(matcher):
            ids.append(block_ids + offset)
            weights.append(block_weights)
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(ids), np.concatenate(weights)


def _column(reader, name: str, dtype, default, translate_lengths: bool = False) -> np.ndarray:
    """One numeric column (or a field's lengths) over every segment, as a numpy array."""
    parts = []
    raw_dtype = np.int64 if translate_lengths else dtype
    for leaf, _ in reader.leaf_readers():
        count = leaf.doc_count_all()
        if translate_lengths:
            col = None
            perdoc = getattr(leaf, "_perdoc", None)
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
                col = perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
            if col is None and perdoc is not None and hasattr(perdoc, "_cached_reader"):
                parts.append(np.zeros(count, dtype=dtype))
                continue
        else:
            col = leaf.column_reader(name, translate=False) if leaf.has_column(name) else None
        raw = None
        if col is not None and all(hasattr(col, a) for a in
                                   ("_dbfile", "_basepos", "_count", "_typecode", "_default")):
            have = min(col._count, count)
            raw = np.full(count, col._default, dtype=raw_dtype)
            data = col._dbfile.get(col._basepos, have * np.dtype(col._typecode).itemsize)
            raw[:have] = np.frombuffer(data, dtype=">" + col._typecode)
        elif translate_lengths:  # not a Whoosh 3 segment: ask the reader doc by doc
            parts.append(np.array([leaf.doc_field_length(n, name, 0) for n in range(count)],
                                  dtype=dtype))
            continue
        elif col is not None:
            raw = np.array([col[n] for n in range(count)], dtype=raw_dtype)
        else:
            raw = np.full(count, default, dtype=dtype)
        parts.append(_LENGTHS[raw] if translate_lengths else raw)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def story_column(reader, size: int) -> np.ndarray:
    """Each doc's story key (schema.story_key), int64; a doc indexed without one is a
    story of its own (its key is then negative, from its docnum: never a real key)."""
    keys = (_column(reader, "story_key", np.uint64, 0).astype(np.int64)
            if "story_key" in reader.schema else np.zeros(size, dtype=np.int64))
    alone = keys == 0
    keys[alone] = -1 - np.flatnonzero(alone)
    return keys


def _live_mask(reader, size: int) -> np.ndarray:
    """True for each live docnum: every doc but the segments' deleted ones."""
    mask = np.ones(size, dtype=bool)
    for leaf, offset in reader.leaf_readers():
        segment = leaf.segment()
        if segment is None:  # not a segment reader: ask it doc by doc
            count = leaf.doc_count_all()
            part = np.zeros(count, dtype=bool)
            part[np.fromiter(leaf.all_doc_ids(), dtype=np.int64)] = True
            mask[offset:offset + count] = part
        elif segment.has_deletions():
            mask[offset + np.fromiter(segment.deleted_docs(), dtype=np.int64)] = False
    return mask


# -- the compact per-snapshot state ----------------------------------------------

@dataclass
class Facet:
    """One facet: its values (sorted), each value's live docs, each doc's value ordinals."""

    values: list[str]
    docs: dict[str, FrozenBitMap]
    indptr: np.ndarray   # doc d's ordinals are indices[indptr[d]:indptr[d + 1]]
    indices: np.ndarray

    def count(self, matches: np.ndarray, limit: int | None) -> list[tuple[str, int]]:
        """``(value, count)`` over the docnums ``matches`` in :func:`.types.facet_order`
        (most frequent first, then by value): ``values`` are in Python string order, so
        the ordinal breaks ties as the value does."""
        if not len(matches) or not self.values:
            return []
        starts, ends = self.indptr[matches], self.indptr[matches + 1]
        lens = ends - starts
        total = int(lens.sum())
        if not total:
            return []
        # the concatenated ranges [starts[i], ends[i]) without a Python loop
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        counts = np.bincount(self.indices[offsets], minlength=len(self.values))
        found = np.flatnonzero(counts)
        order = found[np.lexsort((found, -counts[found]))]
        if limit is not None:
            order = order[:limit]
        return [(self.values[i], int(counts[i])) for i in order]


@dataclass
class FacetCache:
    """Per snapshot: the live docs, the facets, officials' roles and the per-doc date columns."""

    live: FrozenBitMap
    size: int  # doc_count_all: docnums run 0..size-1
    live_mask: np.ndarray = None   # bool per docnum
    facets: dict[str, Facet] = field(default_factory=dict)
    official_info: dict[str, tuple[str, str]] = field(default_factory=dict)
    published: np.ndarray = None   # Whoosh's sortable key per doc (uint64), UNDATED if none
    days: np.ndarray = None        # days since 0001-01-01 per doc, -1 if undated
    date_rank: np.ndarray = None   # each doc's place in (published, docnum) order

    @property
    def docs(self) -> dict[str, dict[str, FrozenBitMap]]:
        return {name: facet.docs for name, facet in self.facets.items()}

    @classmethod
    def load(cls, reader) -> FacetCache:
        size = reader.doc_count_all()
        live_mask = _live_mask(reader, size)
        live_ids = np.flatnonzero(live_mask)
        cache = cls(bitmap(live_ids), size, live_mask)
        cache.published = _column(reader, "published", np.uint64, UNDATED)
        dated = cache.published != UNDATED
        us = np.where(dated, cache.published, 0).astype(np.int64)
        cache.days = np.where(dated, us // _US_PER_DAY, -1).astype(np.int64)
        order = np.lexsort((np.arange(size), cache.published))
        cache.date_rank = np.empty(size, dtype=np.int64)
        cache.date_rank[order] = np.arange(size)
        for name in FACETS:
            values, docs, rows, cols = [], {}, [], []
            terms = sorted((t.decode("utf-8"), t) for t in reader.lexicon(name))
            for value, term in terms:
                ids, _ = read_postings(reader, name, term)
                ids = np.unique(ids[live_mask[ids]])
                if not len(ids):
                    continue
                docs[value] = bitmap(ids)
                rows.append(ids)
                cols.append(np.full(len(ids), len(values), dtype=np.int32))
                values.append(value)
            rows_all = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
            cols_all = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int32)
            order = np.argsort(rows_all, kind="stable")
            indptr = np.zeros(size + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows_all, minlength=size), out=indptr[1:])
            cache.facets[name] = Facet(values, docs, indptr, cols_all[order])
        best: dict[str, int] = {}
        for term in reader.lexicon("official_info"):
            name, role, country = term.decode("utf-8").split("|")
            freq = reader.doc_frequency("official_info", term)
            if freq > best.get(name, 0):
                best[name] = freq
                cache.official_info[name] = (role, country)
        return cache

    def arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """What :meth:`from_arrays` needs: numpy arrays and a JSON-able dict."""
        arrays = {"live_mask": self.live_mask, "published": self.published,
                  "days": self.days, "date_rank": self.date_rank}
        for name, facet in self.facets.items():
            arrays[f"facet_{name}_indptr"] = facet.indptr
            arrays[f"facet_{name}_indices"] = facet.indices
        meta = {"facets": {name: f.values for name, f in self.facets.items()},
                "official_info": self.official_info}
        return arrays, meta

    @classmethod
    def from_arrays(cls, size: int, arrays: dict[str, np.ndarray], meta: dict) -> FacetCache:
        """The cache :meth:`arrays` described (each value's docs rebuilt from the CSR)."""
        live_mask = arrays["live_mask"]
        cache = cls(bitmap(np.flatnonzero(live_mask)), size, live_mask,
                    published=arrays["published"], days=arrays["days"],
                    date_rank=arrays["date_rank"],
                    official_info={k: tuple(v) for k, v in meta["official_info"].items()})
        for name, values in meta["facets"].items():
            indptr = arrays[f"facet_{name}_indptr"]
            indices = arrays[f"facet_{name}_indices"]
            rows = np.repeat(np.arange(size, dtype=np.int64), np.diff(indptr))
            by_value = rows[np.argsort(indices, kind="stable")]
            bounds = np.zeros(len(values) + 1, dtype=np.int64)
            np.cumsum(np.bincount(indices, minlength=len(values)), out=bounds[1:])
            docs = {v: bitmap(by_value[bounds[n]:bounds[n + 1]]) for n, v in enumerate(values)}
            cache.facets[name] = Facet(values, docs, indptr, indices)
        return cache

    def selected(self, facet: str, values) -> FrozenBitMap:
        """Docs having any of ``values`` (OR within a facet)."""
        docs = self.facets[facet].docs
        return FrozenBitMap.union(FrozenBitMap(), *(docs.get(v, FrozenBitMap()) for v in values))

    def count(self, facet: str, matches: np.ndarray, limit: int | None) -> list[tuple[str, int]]:
        return self.facets[facet].count(matches, limit)

    def in_dates(self, matches: np.ndarray, low: datetime | None, high: datetime | None) -> np.ndarray:
        """The docnums of ``matches`` published within [low, high] (naive UTC); undated never."""
        key = self.published[matches]
        keep = key != UNDATED
        if low is not None:
            keep &= key >= np.uint64(_whoosh_key(low))
        if high is not None:
            keep &= key <= np.uint64(_whoosh_key(high))
        return matches[keep]

    def timeline(self, matches: np.ndarray) -> DayCounts:
        """Matches per day, for each day holding any of ``matches``; ``indexer.timeline``
        bins them for reading."""
        days = self.days[matches]
        days = days[days >= 0]
        if not len(days):
            return DayCounts()
        held, counts = np.unique(days, return_counts=True)
        return DayCounts((held - 719162).astype("datetime64[D]"), counts.astype(np.int64))


def _whoosh_key(value: datetime) -> int:
    """Whoosh's sortable DATETIME key: microseconds since 0001-01-01 (naive UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    delta = value - datetime.min
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True)
class Postings:
    """A term's live postings: doc bitmap, docnums ascending, weights (boost included), idf."""

    docs: FrozenBitMap
    ids: np.ndarray
    weights: np.ndarray
    idf: float

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.weights.nbytes + len(self.docs.serialize()) + 200


class ByteLRU:
    """A cache bounded by the bytes of its values (``nbytes``), least recently used out first."""

    def __init__(self, limit: int = TERM_CACHE_BYTES):
        self.limit = limit
        self.bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # held for dict bookkeeping only, never while loading

    def get(self, key, load):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        found = load()
        size = found.nbytes
        with self._lock:
            if key not in self._items:
                self._items[key] = found
                self.bytes += size
                while self.bytes > self.limit and len(self._items) > 1:
                    _, old = self._items.popitem(last=False)
                    self.bytes -= old.nbytes
        return found

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class _Docs:
    docs: FrozenBitMap

    @property
    def nbytes(self) -> int:
        return len(self.docs.serialize()) + 200


_EMPTY = Postings(FrozenBitMap(), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 0.0)


def _shared(story: np.ndarray, live_mask: np.ndarray) -> np.ndarray:
    """Docs whose story has other live docs: only these take part in folding."""
    live_keys = story[live_mask]
    _, inverse, counts = np.unique(live_keys, return_inverse=True, return_counts=True)
    shared = np.zeros(len(story), dtype=bool)
    shared[np.flatnonzero(live_mask)] = counts[inverse] > 1
    return shared


class Snapshot:
    """One TOC generation of a folder, read once and never changed: safe to share."""

    def __init__(self, ix: FileIndex, storage: MappedStorage):
        self.ix = ix
        self.storage = storage
        self.toc = TOC.read(storage, ix.indexname, schema=ix._schema)
        self.schema = self.toc.schema
        self._local = threading.local()
        self._searchers: list[Searcher] = []
        self._searchers_lock = threading.Lock()
        searcher = self.searcher
        reader = searcher.reader()
        folder = Path(storage.folder)
        size = reader.doc_count_all()
        found = load_saved(folder, self.toc.generation, size)
        if found is not None:
            meta = found.pop("meta")
            self.facets = FacetCache.from_arrays(size, found, meta)
            self.lengths = {f: found[f"length_{f}"] for f in TEXT_FIELDS}
            self.story, self.shared = found["story"], found["shared"]
        else:
            self.facets = FacetCache.load(reader)
            self.lengths = {f: _column(reader, f, np.float64, 0, translate_lengths=True)
                            for f in TEXT_FIELDS}
            self.story = story_column(reader, size)
            self.shared = _shared(self.story, self.facets.live_mask)
            arrays, meta = self.facets.arrays()
            arrays.update({f"length_{f}": v for f, v in self.lengths.items()},
                          story=self.story, shared=self.shared)
            save_saved(folder, self.toc.generation, arrays, {**meta, "size": size})
        self.size = size
        self.average = {f: searcher.avg_field_length(f) or 1 for f in TEXT_FIELDS}
        self.doc_count = searcher.doc_count_all()
        self.terms = ByteLRU()
        self._speller: Speller | None = None
        self._speller_lock = threading.Lock()

    @property
    def generation(self) -> int:
        return self.toc.generation

    @property
    def searcher(self) -> Searcher:
        """This thread's own Whoosh searcher over this snapshot's segments (shared maps)."""
        found = getattr(self._local, "searcher", None)
        if found is None:
            reader = FileIndex._reader(self.storage, self.schema, list(self.toc.segments),
                                       self.toc.generation)
            found = Searcher(reader, fromindex=self.ix)
            self._local.searcher = found
            with self._searchers_lock:
                self._searchers.append(found)
        return found

    @property
    def speller(self) -> Speller:
        if self._speller is None:
            with self._speller_lock:
                if self._speller is None:
                    self._speller = self._load_speller()
        return self._speller

    def _load_speller(self) -> Speller:
        """The saved speller of this TOC generation, else one built and saved."""
        folder = Path(self.storage.folder)
        found = load_saved(folder, self.toc.generation, self.size, kind="speller")
        if found is not None:
            return Speller.from_arrays(found)
        speller = Speller.load(self.searcher.reader())
        save_saved(folder, self.toc.generation, speller.arrays(), {"size": self.size},
                   kind="speller")
        return speller

    def postings(self, field_name: str, text: str) -> Postings:
        """A term's live postings and idf, from the byte-bounded LRU cache."""
        def load() -> Postings:
            reader = self.searcher.reader()
            if (field_name, text) not in reader:
                return _EMPTY
            ids, weights = read_postings(reader, field_name, text)
            keep = self.facets.live_mask[ids]
            if not keep.all():
                ids, weights = ids[keep], weights[keep]
            docs = bitmap(ids)
            idf = self.searcher.idf(field_name, text) if field_name in TEXT_FIELDS else 0.0
            return Postings(docs, ids, weights, idf)
        return self.terms.get((field_name, text), load)

    def docs(self, field_name: str, text: str) -> FrozenBitMap:
        return self.postings(field_name, text).docs

    def whoosh_docs(self, q) -> FrozenBitMap:
        """The live docs matching a query only Whoosh can evaluate (a phrase reads
        positions): asked once per snapshot, then kept in the same byte-bounded cache."""
        def load() -> _Docs:
            found = np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64)
            return _Docs(FrozenBitMap(bitmap(found) & self.facets.live))
        return self.terms.get(("query", repr(q)), load).docs

    def close(self) -> None:
        """Let go of this snapshot's searchers; a request still running on one keeps
        reading (the maps live as long as any view of them)."""
        with self._searchers_lock:
            searchers, self._searchers = self._searchers, []
        for searcher in searchers:
            try:
                searcher.close()
            except Exception:
                pass


class Generation:
    """One generation folder: its current snapshot, replaced whole when the folder changes."""

    def __init__(self, path: Path):
        self.path = path
        self.storage = MappedStorage(path)
        self.ix = FileIndex(self.storage, schema=None, indexname=_DEF_INDEX_NAME)
        self.snapshot = Snapshot(self.ix, self.storage)
        self._refresh_lock = threading.Lock()
        self.built = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)

    # the current snapshot's parts, for callers that hold the Generation
    @property
    def searcher(self) -> Searcher:
        return self.snapshot.searcher

    @property
    def facets(self) -> FacetCache:
        return self.snapshot.facets

    @property
    def speller(self) -> Speller:
        return self.snapshot.speller

    def docs(self, field_name: str, text: str) -> FrozenBitMap:
        return self.snapshot.docs(field_name, text)

    def warm(self) -> None:
        """Build the speller now, between requests, so that no early request pays for it.
        Run in a background thread by the Engine; it holds no lock a request needs."""
        snap = self.snapshot
        snap.speller  # noqa: B018

    def refresh(self) -> None:
        """Pick up incremental commits to this generation (cheap when nothing changed):
        the new snapshot is built whole, then swapped in; requests on the old one finish."""
        with self._refresh_lock:
            old = self.snapshot
            if TOC._latest_generation(self.storage, self.ix.indexname) == old.generation:
                return
            self.storage = MappedStorage(self.path)  # fresh maps: no old segment kept alive
            self.ix = FileIndex(self.storage, schema=None, indexname=_DEF_INDEX_NAME)
            self.snapshot = Snapshot(self.ix, self.storage)
            old.close()

    def close(self) -> None:
        self.snapshot.close()
