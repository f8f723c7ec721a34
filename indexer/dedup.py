"""Stories: near-duplicate articles (wire re-sends, corrections, the same text under
another headline) grouped under one story id, so results can show each story once.

Detection is MinHash LSH (``datasketch``) over word 4-shingles of title + body:
each article gets a 128-value MinHash signature (512 bytes); LSH finds the candidates whose
estimated Jaccard similarity may reach ``THRESHOLD`` (its bands are tuned for
``LSH_THRESHOLD``, lower, because bands tuned at the threshold itself miss one pair in
five just above it); a candidate joins if its signature's estimate reaches
``THRESHOLD``, or if one text is the other cut or extended: at an estimate of at least
``CONTAINED_FLOOR``, both texts are read and the shorter one's shingles are counted in
the longer (exactly, not estimated); ``CONTAINED`` of them makes a copy.  That is the
wire's first take and its longer write-through, a story re-sent with paragraphs added
(on Reuters, 14 of 16 such pairs read were the same story; a Jaccard rule alone
folded none of them).  A new article takes the story of the most
similar earlier article (ties: the smaller story id); with none it starts its own
story, named by its id.  Nothing ever moves an article that already has a story
(no merges), so ``index`` re-indexes only new and changed articles.

The result lives in the store's file, table ``stories`` (id, content hash, story,
signature): ``assign`` reads it, signs only the articles that are new or whose
content changed, and drops the rows of deleted ones; with nothing new it does no
MinHash work at all.  Order is deterministic: new articles are taken by
(published, id), undated last (and copies only of undated ones), so the earliest article of a story names it, and
the same store gives the same stories on every machine (the hash is sha1, not
Python's salted ``hash``).

Texts under ``MIN_SHINGLES`` shingles (a one-line dividend notice, an empty body)
are too short to tell a copy from a different story with the same formula, so
they stay stories of their own.
"""
from __future__ import annotations

import heapq
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np

from .articles import Article

NUM_PERM = 128       # signature length: Jaccard estimated within about +-0.04
THRESHOLD = 0.7      # estimated Jaccard of 4-shingles at which two texts are one story
LSH_THRESHOLD = 0.3  # LSH bands tuned lower: pairs just over THRESHOLD, and contained texts
CONTAINED = 0.92     # share of the shorter text's shingles found in the longer one ...
CONTAINED_FLOOR = 0.3  # ... checked exactly when the estimated Jaccard is at least this
SHINGLE = 4          # words per shingle
MIN_SHINGLES = 20    # shorter texts are never copies of anything
WINDOW = timedelta(days=2)  # copies are sent within this of each other (undated: any time)
SEED = 1
SCHEME = "affine32"  # datasketch's hash scheme, named so stored signatures stay comparable

_WORD = re.compile(r"\w+")
_LATEST = datetime.max.replace(tzinfo=timezone.utc)

SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    story TEXT NOT NULL,
    published REAL,
    signature BLOB
);
CREATE INDEX IF NOT EXISTS stories_story ON stories(story);
"""


def shingles(title: str, body: str) -> set[bytes]:
    """The article's word ``SHINGLE``-grams (lower-cased), title and body as one text."""
    words = _WORD.findall(f"{title} {body}".lower())
    return {" ".join(words[i:i + SHINGLE]).encode("utf-8", "surrogatepass")
            for i in range(max(0, len(words) - SHINGLE + 1))}


def signature(title: str, body: str, grams: set[bytes] | None = None) -> np.ndarray | None:
    """The MinHash of the article's shingles (``grams``, if already made); None when it
    is too short to compare."""
    grams = shingles(title, body) if grams is None else grams
    if len(grams) < MIN_SHINGLES:
        return None
    from datasketch import MinHash  # here, not at the top: it imports scipy (0.4 s), which
    # a search never needs
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    mh.update_batch(list(grams))
    return mh.hashvalues.astype(np.uint32)


@lru_cache(maxsize=1)
def _permutations():
    """The seeded permutations, made once (MinHash draws them anew for every object)."""
    from datasketch import MinHash
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (the share of equal values)."""
    return float(np.count_nonzero(a == b)) / len(a)


def _lean(sig: np.ndarray):
    from datasketch import LeanMinHash
    return LeanMinHash(seed=SEED, hashvalues=sig, scheme=SCHEME)


@dataclass
class Assigned:
    """What one ``assign`` did."""

    signed: int = 0      # new or changed articles signed
    joined: int = 0      # of those, how many joined an existing story
    removed: int = 0     # rows of deleted articles dropped


def _order(article: Article) -> tuple:
    return _order_key(article.published, article.id)


def _order_key(published: datetime | None, article_id: str) -> tuple:
    """Earliest first, undated last, then by id: the order new articles are matched in."""
    published = published or _LATEST
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return (published, article_id)


def _timestamp(article: Article) -> float | None:
    return _stamp(article.published)


def _stamp(published: datetime | None) -> float | None:
    if published is None:
        return None
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return published.timestamp()


def _near(a: float | None, b: float | None) -> bool:
    """Published within ``WINDOW`` of each other, or both undated."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= WINDOW.total_seconds()


class Stories:
    """The ``stories`` table in the store's SQLite file."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.db.executescript(SCHEMA)

    def all(self) -> dict[str, str]:
        """``{article id: story id}`` for every assigned article."""
        return dict(self.db.execute("SELECT id, story FROM stories"))

    def assign(self, hashes: dict[str, str], fetch, *, again: bool = False,
               published: Mapping[str, datetime | None] | None = None) -> Assigned:
        """Give every article in ``hashes`` (``{id: content_hash}``, the store's) a story.

        ``fetch(ids)`` yields those Articles.  Articles already assigned at the
        same content hash keep their story; new and changed ones are signed and
        matched against every other signed article, earliest first.  ``again``
        forgets every story first and detects them all anew (after the detector
        changed), in the same transaction: a failure keeps the old stories.
        With ``published`` (``{id: date}``) the articles are fetched one by one in
        that order, so only signatures stay in memory; without it, every new article
        is read first and sorted (fine for a test or one import's worth).
        """
        report = Assigned()
        rows = dict(self.db.execute("SELECT id, content_hash FROM stories"))
        if again:
            rows = dict.fromkeys(rows, "")
        gone = [i for i in rows if i not in hashes]
        todo = [i for i, h in hashes.items() if rows.get(i) != h]
        report.removed = len(gone)
        if not todo and not gone:
            return report
        with self.db:
            self.db.executemany("DELETE FROM stories WHERE id = ?", [(i,) for i in gone])
            if again:
                self.db.execute("DELETE FROM stories")
            if not todo:
                return report
            self.db.executemany("DELETE FROM stories WHERE id = ?", [(i,) for i in todo])
            if published is None:
                articles = sorted(fetch(todo), key=_order)
                times = [_timestamp(a) for a in articles]
                incoming = iter(articles)
            else:
                order = sorted(todo, key=lambda i: _order_key(published.get(i), i))
                times = [_stamp(published.get(i)) for i in order]
                incoming = fetch(order)
            window = _Window(self.db, times)
            grams = _Shingled(fetch)
            for article in incoming:
                own = shingles(article.title, article.body)
                sig = signature(article.title, article.body, own)
                t = _timestamp(article)
                best = None
                if sig is not None:
                    grams.keep(article, own)
                    scored = [(similarity(sig, csig), c, cstory)
                              for c, csig, cstory in window.candidates(sig, t)]
                    scored = [(j, cstory) for j, c, cstory in scored if j >= THRESHOLD or (
                        j >= CONTAINED_FLOOR and grams.contained(article, c) >= CONTAINED)]
                    if scored:
                        best = min(scored, key=lambda js: (-js[0], js[1]))[1]
                if best is None:
                    label = article.id if not self._taken(article.id) else \
                        f"{article.id}#{article.content_hash[:8]}"
                else:
                    label = best
                    report.joined += 1
                if sig is not None:
                    window.add(article.id, sig, label, t)
                self.db.execute(
                    "INSERT OR REPLACE INTO stories (id, content_hash, story, published, "
                    "signature) VALUES (?, ?, ?, ?, ?)",
                    (article.id, article.content_hash, label, t,
                     sig.tobytes() if sig is not None else None))
                report.signed += 1
        return report

    def _taken(self, label: str) -> bool:
        """Is ``label`` already some story's name?"""
        return self.db.execute("SELECT 1 FROM stories WHERE story = ? LIMIT 1",
                               (label,)).fetchone() is not None


class _Window:
    """The signed articles a new one may be a copy of, in bounded memory.

    New articles come earliest first.  Dated candidates live in an LSH holding only
    those published within ``WINDOW`` of the article at hand: stored ones are read
    from the table (by ``published``, a page at a time) as time reaches them, and
    every entry is dropped once it falls behind.  Undated articles are copies only of
    undated ones, kept in a second LSH.  So memory follows the articles of a few
    days, not the archive.
    """

    PAGE = 1000

    def __init__(self, db: sqlite3.Connection, times: list[float | None]):
        from datasketch import MinHashLSH
        self.db = db
        self.dated = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self.undated = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self.entries: dict[str, tuple[np.ndarray, str, float | None]] = {}
        self.behind: list[tuple[float, str]] = []  # heap of (published, id), dated entries
        dated = [t for t in times if t is not None]
        span = WINDOW.total_seconds()
        self.until = dated[-1] + span if dated else None  # stored rows read up to here
        self.cursor = (dated[0] - span, "") if dated else None  # keyset: (published, id)
        if len(dated) < len(times):
            for i, story, blob in db.execute(
                    "SELECT id, story, signature FROM stories "
                    "WHERE published IS NULL AND signature IS NOT NULL"):
                self.add(i, np.frombuffer(blob, dtype=np.uint32), story, None)

    def add(self, article_id: str, sig: np.ndarray, story: str, t: float | None) -> None:
        self.entries[article_id] = (sig, story, t)
        (self.undated if t is None else self.dated).insert(article_id, _lean(sig))
        if t is not None:
            heapq.heappush(self.behind, (t, article_id))

    def candidates(self, sig: np.ndarray, t: float | None):
        """``(id, signature, story)`` of the candidates LSH proposes within the window."""
        if t is None:
            found = self.undated.query(_lean(sig))
        else:
            self._advance(t)
            found = self.dated.query(_lean(sig))
        for c in found:
            csig, story, ct = self.entries[c]
            if _near(t, ct):
                yield c, csig, story

    def _advance(self, t: float) -> None:
        span = WINDOW.total_seconds()
        while self.behind and self.behind[0][0] < t - span:
            _, gone = heapq.heappop(self.behind)
            if gone in self.entries:
                self.dated.remove(gone)
                del self.entries[gone]
        while self.cursor is not None and self.cursor[0] <= t + span:
            rows = self.db.execute(
                "SELECT id, story, published, signature FROM stories "
                "WHERE signature IS NOT NULL AND (published, id) > (?, ?) AND published <= ? "
                "ORDER BY published, id LIMIT ?", (*self.cursor, self.until, self.PAGE)
            ).fetchall()
            for i, story, when, blob in rows:
                if i not in self.entries and when >= t - span:
                    self.add(i, np.frombuffer(blob, dtype=np.uint32), story, when)
            if len(rows) < self.PAGE:
                self.cursor = None
            else:
                self.cursor = (rows[-1][2], rows[-1][0])


class _Shingled:
    """Shingle sets of articles, read through ``fetch`` when first needed and kept
    (a bounded number: the few recent articles later ones are compared with)."""

    def __init__(self, fetch, size: int = 2048):
        self.fetch, self.size, self.sets = fetch, size, {}

    def keep(self, article: Article, grams: set[bytes] | None = None) -> None:
        if article.id in self.sets:
            return
        if len(self.sets) >= self.size:
            self.sets.pop(next(iter(self.sets)))
        self.sets[article.id] = shingles(article.title, article.body) if grams is None else grams

    def get(self, article_id: str) -> set[bytes]:
        if article_id not in self.sets:
            for found in self.fetch([article_id]):
                self.keep(found)
        return self.sets.get(article_id, set())

    def contained(self, article: Article, other_id: str) -> float:
        """The share of the shorter text's shingles that the longer one holds."""
        mine, theirs = self.get(article.id), self.get(other_id)
        shorter = min(len(mine), len(theirs))
        return len(mine & theirs) / shorter if shorter else 0.0


def clusters(stories: dict[str, str]) -> dict[str, list[str]]:
    """``{story: [article ids]}`` of the stories with two or more articles."""
    members: dict[str, list[str]] = {}
    for article_id, story in stories.items():
        members.setdefault(story, []).append(article_id)
    return {s: sorted(ids) for s, ids in members.items() if len(ids) > 1}


def detect(articles: Iterable[Article]) -> dict[str, str]:
    """``{id: story}`` for ``articles`` alone, in memory (tests and evaluation)."""
    found = {a.id: a for a in articles}
    db = sqlite3.connect(":memory:")
    table = Stories(db)
    table.assign({i: a.content_hash for i, a in found.items()},
                 lambda ids: (found[i] for i in ids))
    return table.all()
