"""The crawl frontier and fetch log in ``DATA/crawl.sqlite``.

One row per normalized URL: what kind of thing it is (feed, sitemap, start
page, page), its state, the outcome of its last fetch with the reason, the
validators for conditional requests (ETag, Last-Modified), and the hash of its
normalized body (to spot one article under two URLs).  Every outcome is
committed as it happens, so a killed crawl resumes from the rows still
``queued`` and never refetches a ``done`` one.

States: ``queued`` (to fetch), ``done`` (fetched; see outcome), ``retry``
(failed, tried again after ``next_try``), ``failed`` (gave up or permanent),
``skipped`` (never fetched: offsite).

One frontier protocol, two homes, chosen by :func:`open_frontier` from the
``--frontier`` URL's scheme: this SQLite file (the default, one worker) and
:class:`~indexer.crawl.redis_frontier.RedisFrontier` (``redis://``: many
workers share the queue, the seen-set, the fetch log and the per-host delay).
The spider calls the same methods on either; the few that only matter with many
workers (``join``, ``claim``, ``release``, ``heartbeat``, ``busy_elsewhere``,
``host_wait``) are no-ops here, and ``shared`` tells the spider that URLs come
only from :meth:`due` (as leases) rather than straight from the page that
linked them.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import BadInput, NewsdeskError

SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'queued',
    outcome TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    body_hash TEXT NOT NULL DEFAULT '',
    article_id TEXT NOT NULL DEFAULT '',
    found_from TEXT NOT NULL DEFAULT '',
    fetched_at REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS urls_due ON urls(state, next_try);
CREATE INDEX IF NOT EXISTS urls_hash ON urls(body_hash);
"""
SEEDS = ("feed", "sitemap", "start")
KIND_ORDER = "CASE kind WHEN 'robots' THEN 0 WHEN 'sitemap' THEN 1 WHEN 'feed' THEN 1 " \
             "WHEN 'start' THEN 2 ELSE 3 END"
# outcomes of a fetch that worked; anything else is a failure with a reason
SUCCESS = ("article", "not_article", "unchanged", "duplicate", "redirected", "listed", "alias")


@dataclass
class Entry:
    url: str
    kind: str
    depth: int
    etag: str
    last_modified: str
    attempts: int


def body_hash(text: str) -> str:
    """Hash of a body's words, case-folded: the same story under two URLs hashes alike."""
    words = " ".join(re.findall(r"\w+", text.casefold()))
    return hashlib.blake2b(words.encode(), digest_size=12).hexdigest()


REDIS_SCHEMES = ("redis", "rediss", "unix")


class FrontierError(NewsdeskError):
    """The frontier cannot be read or written (a shared one's server is gone)."""


def open_frontier(url: str, db_path: str | Path, *, lease: float = 30.0, window: int = 16):
    """The frontier ``url`` names: "" is ``db_path`` (SQLite), ``redis://`` a shared one.

    ``lease`` and ``window`` (how many URLs one worker holds at once) matter to a shared one.
    """
    if not url:
        return Frontier(db_path)
    scheme = urlsplit(url).scheme
    if scheme in REDIS_SCHEMES:
        from .redis_frontier import RedisFrontier
        return RedisFrontier(url, lease=lease, window=window)
    raise BadInput(f"unknown frontier {scheme or url!r}: give redis://HOST:PORT/DB "
                   f"(or nothing for DATA/crawl.sqlite)")


class Frontier:
    """The crawl state; one per process (the crawl worker, or the report)."""

    shared = False   # one worker: links found are fetched at once, nothing is leased

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Frontier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- adding ---------------------------------------------------------------

    def add(self, url: str, kind: str, *, depth: int = 0, found_from: str = "") -> bool:
        """Queue a URL unless known; True when it is new."""
        with self.db:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO urls (url, kind, depth, found_from, updated_at) "
                "VALUES (?, ?, ?, ?, ?)", (url, kind, depth, found_from, time.time()))
        return cur.rowcount == 1

    def seed(self, url: str, kind: str, *, found_from: str = "", revisit: bool = True) -> None:
        """Queue a feed, sitemap or start URL; one fetched before is revisited (conditionally)."""
        if not self.add(url, kind, found_from=found_from) and revisit:
            with self.db:
                self.db.execute("UPDATE urls SET state='queued', kind=?, depth=0, updated_at=? "
                                "WHERE url=? AND state IN ('done', 'skipped')",
                                (kind, time.time(), url))

    def skip(self, url: str, kind: str, outcome: str, reason: str, *, found_from: str = "") -> bool:
        """Record a URL that will not be fetched (e.g. offsite); True when it is new."""
        with self.db:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO urls (url, kind, state, outcome, reason, found_from, "
                "updated_at) VALUES (?, ?, 'skipped', ?, ?, ?, ?)",
                (url, kind, outcome, reason, found_from, time.time()))
        return cur.rowcount == 1

    def alias(self, url: str, reason: str, *, depth: int = 0, found_from: str = "") -> bool:
        """Record an unknown URL as another's alias (its canonical link), never fetched."""
        now = time.time()
        with self.db:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO urls (url, kind, depth, state, outcome, reason, found_from, "
                "fetched_at, updated_at) VALUES (?, 'page', ?, 'done', 'alias', ?, ?, ?, ?)",
                (url, depth, reason, found_from, now, now))
        return cur.rowcount == 1

    def requeue_done(self) -> int:
        """``--recrawl``: queue every fetched page again (it will be asked for conditionally)."""
        with self.db:
            return self.db.execute("UPDATE urls SET state='queued' WHERE state='done' "
                                   "AND outcome IN ('article', 'not_article', 'unchanged')").rowcount

    # -- taking -----------------------------------------------------------------

    def due(self, limit: int = 100, exclude: set[str] = frozenset()) -> list[Entry]:
        """URLs to fetch now: queued ones and retries whose backoff has passed; seeds first."""
        rows = self.db.execute(
            f"SELECT url, kind, depth, etag, last_modified, attempts FROM urls "
            f"WHERE state='queued' OR (state='retry' AND next_try <= ?) "
            f"ORDER BY {KIND_ORDER}, depth, rowid LIMIT ?", (time.time(), limit + len(exclude)))
        return [Entry(*row) for row in rows if row[0] not in exclude][:limit]

    # -- many workers (no-ops with one) ------------------------------------------------

    def join(self) -> bool:
        """Start this worker's part of the crawl; True when it starts the run (seeds revisited)."""
        return True

    def claim(self, url: str, kind: str = "page") -> bool:
        """Take an unknown URL (a redirect target) to fetch now; False when it is known."""
        return self.get(url) is None

    def release(self, url: str) -> None:
        """Give back a URL taken by :meth:`claim` or :meth:`due` and not fetched."""

    def heartbeat(self) -> None:
        """Keep this worker's leases alive (nothing is leased here)."""

    def busy_elsewhere(self) -> bool:
        """Whether other workers hold URLs that may come back (a worker waits for them)."""
        return False

    def host_wait(self, host: str, delay: float) -> float:
        """Seconds to wait before a request to ``host`` (Scrapy's own delay suffices here)."""
        return 0.0

    def get(self, url: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM urls WHERE url=?", (url,)).fetchone()

    def duplicate_of(self, digest: str, url: str) -> str:
        """Another URL whose stored article has the same body hash, or ""."""
        row = self.db.execute("SELECT url FROM urls WHERE body_hash=? AND url<>? AND "
                              "outcome='article' LIMIT 1", (digest, url)).fetchone()
        return row[0] if row else ""

    # -- recording ----------------------------------------------------------------

    def done(self, url: str, outcome: str, *, reason: str = "", status: int | None = None,
             etag: str = "", last_modified: str = "", digest: str = "", article_id: str = "",
             kind: str = "page") -> None:
        """Record a fetch that worked (an article, a listing, unchanged, a duplicate…)."""
        now = time.time()
        with self.db:
            self.db.execute(
                "INSERT INTO urls (url, kind, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(url) DO NOTHING", (url, kind, now))
            self.db.execute(
                "UPDATE urls SET state='done', outcome=?, reason=?, status=?, attempts=0, "
                "etag=CASE WHEN ?<>'' THEN ? ELSE etag END, "
                "last_modified=CASE WHEN ?<>'' THEN ? ELSE last_modified END, "
                "body_hash=CASE WHEN ?<>'' THEN ? ELSE body_hash END, "
                "article_id=CASE WHEN ?<>'' THEN ? ELSE article_id END, "
                "fetched_at=?, updated_at=? WHERE url=?",
                (outcome, reason, status, etag, etag, last_modified, last_modified,
                 digest, digest, article_id, article_id, now, now, url))

    def failed(self, url: str, outcome: str, reason: str, *, status: int | None = None,
               retryable: bool = False, max_attempts: int = 3, backoff: float = 600.0) -> str:
        """Record a failed fetch; a retryable one waits ``backoff * 2**(attempts-1)`` seconds.

        Returns the new state (``retry`` or ``failed``).
        """
        now = time.time()
        row = self.get(url)
        attempts = (row["attempts"] if row else 0) + 1
        retry = retryable and attempts < max_attempts
        state = "retry" if retry else "failed"
        with self.db:
            self.db.execute(
                "INSERT INTO urls (url, kind, updated_at) VALUES (?, 'page', ?) "
                "ON CONFLICT(url) DO NOTHING", (url, now))
            self.db.execute(
                "UPDATE urls SET state=?, outcome=?, reason=?, status=?, attempts=?, next_try=?, "
                "fetched_at=?, updated_at=? WHERE url=?",
                (state, outcome, reason, status, attempts,
                 now + backoff * 2 ** (attempts - 1) if retry else 0, now, now, url))
        return state

    # -- counting -------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """{"queued": n, "done": n, "retry": n, "failed": n, "skipped": n}."""
        found = dict(self.db.execute("SELECT state, count(*) FROM urls GROUP BY state"))
        return {s: found.get(s, 0) for s in STATES}

    def outcome_counts(self) -> dict[str, int]:
        """{outcome: n}, most frequent first (the report's second line)."""
        return dict(self.db.execute(
            "SELECT outcome, count(*) FROM urls WHERE outcome <> '' GROUP BY outcome "
            "ORDER BY count(*) DESC, outcome").fetchall())

    def not_fetched(self) -> list[dict]:
        """URLs to retry, failed or skipped: url, outcome, reason, attempts, state, next_try."""
        return [dict(r) for r in self.db.execute(
            "SELECT url, outcome, reason, attempts, state, next_try FROM urls "
            "WHERE state IN ('retry', 'failed', 'skipped') ORDER BY outcome, url")]


STATES = ("queued", "done", "retry", "failed", "skipped")
