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
(published, id), undated last, so the earliest article of a story names it, and
the same store gives the same stories on every machine (the hash is sha1, not
Python's salted ``hash``).

Texts under ``MIN_SHINGLES`` shingles (a one-line dividend notice, an empty body)
are too short to tell a copy from a different story with the same formula, so
they stay stories of their own.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

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


def signature(title: str, body: str) -> np.ndarray | None:
    """The MinHash of the article's shingles; None when it is too short to compare."""
    grams = shingles(title, body)
    if len(grams) < MIN_SHINGLES:
        return None
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    mh.update_batch(list(grams))
    return mh.hashvalues.astype(np.uint32)


@lru_cache(maxsize=1)
def _permutations():
    """The seeded permutations, made once (MinHash draws them anew for every object)."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (the share of equal values)."""
    return float(np.count_nonzero(a == b)) / len(a)


def _lean(sig: np.ndarray) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=sig, scheme=SCHEME)


@dataclass
class Assigned:
    """What one ``assign`` did."""

    signed: int = 0      # new or changed articles signed
    joined: int = 0      # of those, how many joined an existing story
    removed: int = 0     # rows of deleted articles dropped


def _order(article: Article) -> tuple:
    published = article.published or _LATEST
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return (published, article.id)


def _timestamp(article: Article) -> float | None:
    published = article.published
    if published is None:
        return None
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return published.timestamp()


def _near(a: float | None, b: float | None) -> bool:
    """Published within ``WINDOW`` of each other (an undated article may be a copy of any)."""
    return a is None or b is None or abs(a - b) <= WINDOW.total_seconds()


class Stories:
    """The ``stories`` table in the store's SQLite file."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.db.executescript(SCHEMA)

    def all(self) -> dict[str, str]:
        """``{article id: story id}`` for every assigned article."""
        return dict(self.db.execute("SELECT id, story FROM stories"))

    def assign(self, hashes: dict[str, str], fetch, *, again: bool = False) -> Assigned:
        """Give every article in ``hashes`` (``{id: content_hash}``, the store's) a story.

        ``fetch(ids)`` yields those Articles.  Articles already assigned at the
        same content hash keep their story; new and changed ones are signed and
        matched against every other signed article, earliest first.  ``again``
        forgets every story first and detects them all anew (after the detector
        changed), in the same transaction: a failure keeps the old stories.
        """
        report = Assigned()
        rows = {i: (h, s, t, sig) for i, h, s, t, sig in self.db.execute(
            "SELECT id, content_hash, story, published, signature FROM stories")}
        if again:
            rows = {i: ("", *rest) for i, rest in ((i, r[1:]) for i, r in rows.items())}
        gone = [i for i in rows if i not in hashes]
        todo = [i for i, h in hashes.items() if i not in rows or rows[i][0] != h]
        report.removed = len(gone)
        if not todo and not gone:
            return report
        with self.db:
            self.db.executemany("DELETE FROM stories WHERE id = ?", [(i,) for i in gone])
            if again:
                self.db.execute("DELETE FROM stories")
            if not todo:
                return report
            fresh = set(todo)
            keep = {i: r for i, r in rows.items() if i in hashes and i not in fresh}
            lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
            signatures: dict[str, np.ndarray] = {}
            when: dict[str, float | None] = {}
            story: dict[str, str] = {}
            labels: set[str] = set()
            for i, (_, s, t, blob) in keep.items():
                story[i], when[i] = s, t
                labels.add(s)
                if blob is not None:
                    signatures[i] = np.frombuffer(blob, dtype=np.uint32)
                    lsh.insert(i, _lean(signatures[i]))
            grams = _Shingled(fetch)
            for article in sorted(fetch(todo), key=_order):
                sig = signature(article.title, article.body)
                t = _timestamp(article)
                best = None
                if sig is not None:
                    grams.keep(article)
                    scored = [(similarity(sig, signatures[c]), c) for c in lsh.query(_lean(sig))
                              if _near(t, when[c])]
                    scored = [(j, story[c]) for j, c in scored if j >= THRESHOLD or (
                        j >= CONTAINED_FLOOR and grams.contained(article, c) >= CONTAINED)]
                    if scored:
                        best = min(scored, key=lambda js: (-js[0], js[1]))[1]
                if best is None:
                    label = article.id if article.id not in labels else \
                        f"{article.id}#{article.content_hash[:8]}"
                else:
                    label = best
                    report.joined += 1
                story[article.id], when[article.id] = label, t
                labels.add(label)
                if sig is not None:
                    signatures[article.id] = sig
                    lsh.insert(article.id, _lean(sig))
                self.db.execute(
                    "INSERT OR REPLACE INTO stories (id, content_hash, story, published, "
                    "signature) VALUES (?, ?, ?, ?, ?)",
                    (article.id, article.content_hash, label, t,
                     sig.tobytes() if sig is not None else None))
                report.signed += 1
        return report


class _Shingled:
    """Shingle sets of articles, read through ``fetch`` when first needed and kept
    (a bounded number: the few recent articles later ones are compared with)."""

    def __init__(self, fetch, size: int = 2048):
        self.fetch, self.size, self.sets = fetch, size, {}

    def keep(self, article: Article) -> None:
        if article.id in self.sets:
            return
        if len(self.sets) >= self.size:
            self.sets.pop(next(iter(self.sets)))
        self.sets[article.id] = shingles(article.title, article.body)

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
