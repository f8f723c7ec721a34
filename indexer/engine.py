"""Whoosh behind one module: schema, writing, generations, running a query.

Nothing else in newsdesk imports ``whoosh``.  The search service hands this
module a validated request and gets back ids, stored fields, snippets and
facet counts; another engine (OpenSearch) can answer the same request by
providing the same three calls: :func:`build`, :func:`update`, and
:meth:`Engine.run`.

Layout of ``DATA/index``::

    CURRENT          one line naming the live generation, replaced atomically
    gen-000001/      a complete Whoosh index
    gen-000002/      ...
    write.lock       held by whoever is writing (index or reindex)

Why facets and snippets are fast here
-------------------------------------
A naive ``searcher.search(q, groupedby=facets, limit=None)`` scores *every*
match and builds a per-request facet cache, and highlighting every hit
re-analyzes each stored body.  Instead, per generation we load once, from
the facet fields' postings, ``value -> frozenset(docnums)`` and
``docnum -> values``; a request then collects its matches unscored
(``docs_for_query``), does set algebra for the filters, counts facets with one
``Counter`` pass, scores only to fill the page, and highlights only the page.
"""
from __future__ import annotations

import fcntl
import heapq
import html
import json
import os
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from itertools import chain
from operator import itemgetter
from pathlib import Path

from whoosh import index, qparser, query
from whoosh.lang.porter import stem
from whoosh.reading import TermNotFound
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from .articles import Article
from .errors import BadRequest, IndexUnavailable, NewsdeskError

FACETS = ("country", "official", "source")
SNIPPET_CHARS = 240
POSTINGS_CACHE = 4096
SCORE_DIRECTLY = 5000  # up to this many matches are scored by _bm25, beyond by Whoosh
TEXT_FIELDS = ("title", "body")
B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults
FEW = 3     # fewer strict matches than this and a long query is relaxed
RARE = 10  # a query word in fewer articles than this may be a misspelling  # terms whose doc sets a generation keeps


def make_schema() -> Schema:
    """The one schema: ranked text fields, facet fields, stored fields for hits."""
    analyzer = StemmingAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        content_hash=ID(stored=True, sortable=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=2.5),
        body=TEXT(analyzer=analyzer, stored=True),
        spell=TEXT(analyzer=StandardAnalyzer(stoplist=None), phrase=False),
        country=KEYWORD(stored=True, commas=True, scorable=False),
        official=KEYWORD(stored=True, commas=True, scorable=False),
        official_info=KEYWORD(commas=True, scorable=False),
        source=ID(stored=True),
        published=DATETIME(stored=True, sortable=True),
        url=STORED(),
        officials_json=STORED(),
    )


def _doc(article: Article) -> dict:
    return {
        "id": article.id, "content_hash": article.content_hash,
        "title": article.title, "body": article.body,
        "spell": article.title,  # titles: vocabulary for did-you-mean at little cost
        "country": ",".join(article.countries),
        "official": ",".join(o.name.replace(",", " ") for o in article.officials),
        "official_info": ",".join(f"{o.name}|{o.role}|{o.country}".replace(",", " ")
                                  for o in article.officials),
        "source": article.source,
        "published": article.published.replace(tzinfo=None) if article.published else None,
        "url": article.url,
        "officials_json": json.dumps([o.to_json() for o in article.officials]),
    }


# -- generations -------------------------------------------------------------

def _generations(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("gen-*") if p.is_dir())


def current_generation(root: Path) -> Path | None:
    """The live generation's folder, or None when no index was ever built."""
    try:
        name = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if path.is_dir() else None


def _set_current(root: Path, gen: Path) -> None:
    tmp = root / f"CURRENT.{os.getpid()}.tmp"
    tmp.write_text(gen.name + "\n")
    with open(tmp) as f:
        os.fsync(f.fileno())
    os.replace(tmp, root / "CURRENT")
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def write_lock(root: Path):
    """One writer at a time per index; a second one gets a clear error."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "write.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NewsdeskError("another index or reindex is running on this data dir") from None
        yield


@dataclass
class WriteReport:
    generation: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    rebuilt: bool = False

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.deleted


def _writer(ix, procs: int):
    if procs > 1:
        return ix.writer(procs=procs, multisegment=True, limitmb=256)
    return ix.writer(limitmb=256)


def build(root: Path, articles: Iterable[Article], *, procs: int | None = None) -> WriteReport:
    """Write every article into a fresh generation, then swap it in atomically.

    Readers keep using the old generation until ``CURRENT`` is replaced; a
    build that dies half-way leaves an orphan folder that the next build
    removes, and the old index untouched.
    """
    procs = procs or min(2, os.cpu_count() or 1)
    with write_lock(root):
        gens = _generations(root)
        live = current_generation(root)
        number = int(gens[-1].name.split("-")[1]) + 1 if gens else 1
        gen = root / f"gen-{number:06d}"
        gen.mkdir()
        ix = index.create_in(gen, make_schema())
        writer = _writer(ix, procs)
        report = WriteReport(gen.name, rebuilt=True)
        try:
            for article in articles:
                writer.add_document(**_doc(article))
                report.added += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            shutil.rmtree(gen, ignore_errors=True)
            raise
        _set_current(root, gen)
        for old in gens:
            if old != live:          # orphans of killed builds
                shutil.rmtree(old, ignore_errors=True)
        if live:
            shutil.rmtree(live, ignore_errors=True)  # open readers keep their files (POSIX)
        return report


def indexed_hashes(gen: Path) -> dict[str, str]:
    """``{id: content_hash}`` of the live documents in one generation (from columns)."""
    ix = index.open_dir(gen)
    with ix.reader() as reader:
        ids = reader.column_reader("id")
        hashes = reader.column_reader("content_hash")
        return {ids[n].decode() if isinstance(ids[n], bytes) else ids[n]:
                hashes[n].decode() if isinstance(hashes[n], bytes) else hashes[n]
                for n in reader.all_doc_ids()}


def update(root: Path, store_hashes: dict[str, str], fetch) -> WriteReport:
    """Bring the live generation up to the store: add, replace and delete by id.

    ``store_hashes`` is ``{id: content_hash}`` of the store and ``fetch(ids)``
    yields those Articles.  Nothing is written when nothing changed.
    """
    gen = current_generation(root)
    if gen is None:
        return build(root, fetch(sorted(store_hashes)))
    with write_lock(root):
        indexed = indexed_hashes(gen)
        changed = [i for i, h in store_hashes.items() if indexed.get(i) != h]
        gone = [i for i in indexed if i not in store_hashes]
        report = WriteReport(gen.name)
        if not (changed or gone):
            return report
        ix = index.open_dir(gen)
        writer = _writer(ix, 1)
        try:
            for article_id in gone:
                writer.delete_by_term("id", article_id)
                report.deleted += 1
            for article in fetch(sorted(changed)):
                if article.id in indexed:
                    report.updated += 1
                else:
                    report.added += 1
                writer.update_document(**_doc(article))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return report


# -- reading -----------------------------------------------------------------

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
    snippet: str


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    relaxed: bool = False
    timeline: list[tuple[str, int]] = field(default_factory=list)


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


_TOKEN = re.compile(r"\w+(?:\.?\w+)*")  # the body analyzer's tokenizer


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return stem(word.lower())


def snippet(body: str, terms: set[str], width: int = SNIPPET_CHARS) -> str:
    """The ``width`` characters of ``body`` holding the most query words, escaped, words in <mark>.

    ``terms`` are analyzed (lower-cased, stemmed) body terms.  Tokenizing with
    the analyzer's own pattern and a cached stemmer is ~10x faster than
    Whoosh's highlighter, which re-runs the whole analyzer chain per hit.
    """
    found = [m for m in _TOKEN.finditer(body) if _stem(m.group()) in terms][:200]
    if not found:
        return ""
    best, best_key = 0, (0, 0)
    for i, first in enumerate(found):  # windows starting at each match
        window = [m for m in found[i:] if m.end() - first.start() <= width - 40]
        key = (len({_stem(m.group()) for m in window}), len(window))
        if key > best_key:
            best, best_key = i, key
    start = max(0, found[best].start() - 40)
    if start:
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < found[best].start() else found[best].start()
    end = min(len(body), start + width)
    if end < len(body):
        space = body.rfind(" ", start, end)
        end = space if space > found[best].end() else end
    out, pos = [], start
    for m in found[best:]:
        if m.end() > end:
            break
        out += [html.escape(body[pos:m.start()], quote=False),
                "<mark>", html.escape(m.group(), quote=False), "</mark>"]
        pos = m.end()
    out.append(html.escape(body[pos:end], quote=False))
    text = " ".join("".join(out).split())
    return ("… " if start else "") + text + (" …" if end < len(body) else "")


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

    @property
    def speller(self) -> Speller:
        """Built on the first did-you-mean of a generation, then shared."""
        if self._speller is None:
            self._speller = Speller.load(self.searcher.reader())
        return self._speller

    def weights(self, field_name: str, text: str) -> dict[int, float]:
        """``{docnum: weight}`` of a term's postings (cached like ``docs``)."""
        key = (field_name, text)
        found = self._weights.get(key)
        if found is None:
            try:
                found = dict(self.searcher.reader().postings(field_name, text).items_as("weight"))
            except TermNotFound:
                found = {}
            if len(self._weights) >= POSTINGS_CACHE:
                self._weights.pop(next(iter(self._weights)))
            self._weights[key] = found
        return found

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
        key = (field_name, text)
        found = self._postings.get(key)
        if found is None:
            try:
                ids = self.searcher.reader().postings(field_name, text).all_ids()
                found = frozenset(ids) & self.facets.live
            except TermNotFound:
                found = frozenset()
            if len(self._postings) >= POSTINGS_CACHE:
                self._postings.pop(next(iter(self._postings)))
            self._postings[key] = found
        return found

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


def make_parser(schema) -> qparser.QueryParser:
    """Words AND-ed across title and body; "phrases", -exclude, OR, title: work."""
    parser = qparser.MultifieldParser(["title", "body"], schema, group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.BoostPlugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    parser.remove_plugin_class(qparser.FieldsPlugin)
    parser.add_plugin(qparser.FieldsPlugin(r"(?P<text>title|body|source):(?=\S)"))
    return parser


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
            return _run(gen, text, filters, date_from, date_to, sort, offset, limit, facet_limit,
                        timeline)

    def more_like(self, article_id: str, top: int = 5) -> list[EngineHit]:
        """Articles whose key body terms are most like this one's (Whoosh's Bo1 model)."""
        gen = self.generation()
        with gen.lock:
            docnum = gen.searcher.document_number(id=article_id)
            if docnum is None:
                return []
            results = gen.searcher.more_like(docnum, "body", top=top, numterms=12)
            return [_hit(gen, hit.docnum, hit.score, set()) for hit in results]

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


def parse(gen: Generation, text: str) -> query.Query:
    """The user's text as a query; malformed syntax is searched as plain words."""
    try:
        return gen.parser.parse(text)
    except Exception:
        words = " ".join("".join(c if c.isalnum() else " " for c in text).split())
        return gen.parser.parse(words)


def _docset(gen: Generation, q: query.Query) -> set[int]:
    """Matching live docnums by set algebra over postings: C-speed unions and intersections.

    Whoosh's own matchers walk unions doc by doc in Python, which is what makes
    counting every match (for totals and facets) slow; scoring stays with Whoosh.
    """
    if isinstance(q, query.Term):
        return set(gen.docs(q.fieldname, q.text))
    if isinstance(q, query.And):
        positive = [_docset(gen, c) for c in q.subqueries if not isinstance(c, query.Not)]
        negative = [_docset(gen, c.query) for c in q.subqueries if isinstance(c, query.Not)]
        docs = set.intersection(*positive) if positive else set(gen.facets.live)
        return docs.difference(*negative)
    if isinstance(q, query.Or):
        return set().union(*(_docset(gen, c) for c in q.subqueries))
    if isinstance(q, query.AndNot):
        return _docset(gen, q.a) - _docset(gen, q.b)
    if isinstance(q, query.Not):
        return set(gen.facets.live) - _docset(gen, q.query)
    if isinstance(q, query.Every):
        return set(gen.facets.live)
    # phrases, wildcards, ranges: Whoosh itself
    return set(gen.searcher.docs_for_query(q)) & gen.facets.live


def _positive_terms(q: query.Query) -> list[tuple[str, str]]:
    """(field, text) of the terms a document may match, leaving out excluded ones."""
    if isinstance(q, query.Not):
        return []
    if isinstance(q, query.AndNot):
        return _positive_terms(q.a)
    if isinstance(q, query.Term):
        return [(q.fieldname, q.text)]
    if q.is_leaf():
        return [(f, t if isinstance(t, str) else t.decode()) for f, t in q.iter_all_terms()]
    return [t for c in q.children() for t in _positive_terms(c)]


def _relaxed_ranking(gen: Generation, terms, candidates: set[int],
                     need: int) -> list[tuple[int, float]]:
    """The ``need`` best docs matching *some* of many words, best first, by BM25F.

    Used only when few or no documents have every word (long natural-language
    questions).  Only docs holding two or more of the words are scored when
    there are enough of them: the rest could not reach the first pages.
    """
    per_word: dict[str, set[int]] = {}
    for field_name, text in set(terms):
        per_word.setdefault(text, set()).update(gen.docs(field_name, text) & candidates)
    words_held = Counter(chain.from_iterable(per_word.values()))  # counted in C
    pool = {n for n, c in words_held.items() if c >= 2}
    if len(pool) < need:
        pool = set(words_held)
    return _bm25(gen, terms, pool, need)


def _bm25(gen: Generation, terms, docs: set[int], need: int) -> list[tuple[int, float]]:
    """The ``need`` best of ``docs`` by BM25F, best first: Whoosh's formula and statistics.

    Posting weights already carry the field boost (title 2.5x), as in Whoosh's
    own scorer; with the term weights and field lengths held per generation,
    scoring a known set of matches is a dictionary walk, where a Whoosh
    collector would drive a tree of union and intersection matchers.
    """
    searcher = gen.searcher
    scores = dict.fromkeys(docs, 0.0)
    for field_name, text in set(terms):
        if field_name not in TEXT_FIELDS:
            continue
        weights = gen.weights(field_name, text)
        if not weights:
            continue
        lengths, average = gen.lengths(field_name)
        idf = searcher.idf(field_name, text)
        k, kb = K1 * (1 - B), K1 * B / average
        for n in docs.intersection(weights):
            tf = weights[n]
            scores[n] += idf * tf * (K1 + 1) / (tf + k + kb * lengths[n])
    return heapq.nlargest(need, scores.items(), key=itemgetter(1))


def _run(gen, text, filters, date_from, date_to, sort, offset, limit, facet_limit,
         timeline=False) -> EngineResult:
    searcher, cache = gen.searcher, gen.facets
    q = parse(gen, text) if text else query.Every()
    if text and q is query.NullQuery:
        raise BadRequest(f"the query {text!r} has no words to search for")
    base = _docset(gen, q)
    strict_total = len(base)
    terms = _positive_terms(q) if text else []
    words = len({t for _, t in terms})
    # no article has every word, or a long question found almost nothing: rank by
    # the words matched instead (those with all of them still come first)
    relaxed = bool(text and words > 1 and (not base or (words >= 4 and len(base) < FEW)))
    if relaxed:
        base = set().union(*(gen.docs(f, t) for f, t in terms))
    chosen = {name: cache.selected(name, values) for name, values in filters.items() if values}
    histogram = []
    if timeline:  # like a facet: given every filter but its own (the dates)
        histogram = cache.timeline(base.intersection(*chosen.values()) if chosen else base)
    if date_from or date_to:
        low = date_from.replace(tzinfo=None) if date_from else datetime.min
        high = date_to.replace(tzinfo=None) if date_to else datetime.max
        published = cache.published
        base = {n for n in base if published[n] and low <= published[n] <= high}
    matches = base.intersection(*chosen.values()) if chosen else base
    facets = {}
    for name in FACETS:
        others = [docs for other, docs in chosen.items() if other != name]
        scope = base.intersection(*others) if others else base
        facets[name] = cache.count(name, scope, facet_limit)
    page: list[tuple[int, float | None]] = []
    if matches and offset < len(matches):
        if relaxed and sort == "relevance":
            page = _relaxed_ranking(gen, terms, matches, offset + limit)[offset:]
        elif text and sort == "relevance" and len(matches) <= SCORE_DIRECTLY:
            page = _bm25(gen, terms, matches, offset + limit)[offset:]
        else:
            kwargs: dict = {"limit": offset + limit}
            if len(matches) < len(cache.live):
                kwargs["filter"] = matches
            if sort != "relevance" or not text:
                kwargs["sortedby"] = "published"
                kwargs["reverse"] = sort != "oldest"
            results = searcher.search(q if not relaxed else query.Every(), **kwargs)
            top = results.top_n[offset:offset + limit]
            page = [(n, score if sort == "relevance" and text else None) for score, n in top]
    body_terms = {t for f, t in terms if f == "body"}
    hits = [_hit(gen, n, score, body_terms) for n, score in page]
    suggestion = _suggest(gen, text) if text and strict_total < RARE else None
    return EngineResult(len(matches), hits, facets, suggestion, relaxed, histogram)


def _hit(gen: Generation, docnum: int, score: float | None, terms: set[str]) -> EngineHit:
    stored = gen.searcher.stored_fields(docnum)
    body = stored.get("body", "")
    text = snippet(body, terms) if terms else ""
    if not text:  # no query words in the body: the lead
        cut = body[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(body) > SNIPPET_CHARS else body
        text = html.escape(cut, quote=False) + (" …" if len(body) > SNIPPET_CHARS else "")
    published = stored.get("published")
    return EngineHit(
        id=stored["id"], title=stored.get("title", ""), url=stored.get("url", ""),
        source=stored.get("source", ""),
        published=published.replace(tzinfo=timezone.utc) if published else None,
        countries=[c for c in stored.get("country", "").split(",") if c],
        officials=json.loads(stored.get("officials_json") or "[]"),
        score=round(score, 3) if score is not None else None,
        snippet=text,
    )


_WORD = re.compile(r"(?<![:\w])([^\W\d_]{3,})(?![:\w])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            cur.append(cost)
        prev2, prev = prev, cur
    return prev[-1]


@dataclass
class Speller:
    """Did-you-mean over the titles' words: a symmetric-delete index (as SymSpell).

    A word and a known word that share a one-letter deletion (or are one
    deletion apart) are within two edits: covers a dropped, added, changed or
    swapped letter, with a dictionary look-up instead of a scan of the lexicon.
    """

    freq: dict[str, int]
    by_delete: dict[str, list[str]]

    @classmethod
    def load(cls, reader) -> Speller:
        freq = {t.decode(): info.doc_frequency() for t, info in reader.iter_field("spell")}
        by_delete: dict[str, list[str]] = {}
        for word in freq:
            if len(word) >= 3 and word.isalpha():
                for key in _deletes(word) | {word}:
                    by_delete.setdefault(key, []).append(word)
        return cls(freq, by_delete)

    def correct(self, word: str) -> str | None:
        candidates = {c for key in _deletes(word) | {word} for c in self.by_delete.get(key, ())}
        ranked = sorted((_distance(word, c), -self.freq[c], c) for c in candidates if c != word)
        return ranked[0][2] if ranked and ranked[0][0] <= 2 else None


def _suggest(gen: Generation, text: str) -> str | None:
    """Replace words the index has never seen with their closest known spelling."""
    reader = gen.searcher.reader()
    analyzer = gen.ix.schema["body"].analyzer

    def frequency(word: str) -> int | None:
        stems = [t.text for t in analyzer(word)]
        return max(reader.doc_frequency("body", s) for s in stems) if stems else None

    def fix(match: re.Match) -> str:
        word = match.group(1)
        seen = frequency(word)
        if word in _OPERATORS or seen is None or seen >= RARE:
            return word  # an operator, a stop word, or a word the articles use
        better = gen.speller.correct(word.lower())
        # a rare word is kept unless a far more common spelling is close to it
        return better if better and (not seen or (frequency(better) or 0) >= 10 * seen) else word

    corrected = _WORD.sub(fix, text)
    return corrected if corrected.lower() != text.lower() else None
