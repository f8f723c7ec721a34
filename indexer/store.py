"""The SQLite article store: upsert, get, iterate, counts.

Every write runs in one transaction, so an interrupted import leaves the store
as it was before the batch.  Upserts compare content hashes: re-importing the
same input changes nothing.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .articles import Article, Official, parse_date
from .errors import BadInput

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    published TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    language TEXT NOT NULL DEFAULT 'en',
    countries TEXT NOT NULL DEFAULT '[]',
    officials TEXT NOT NULL DEFAULT '[]',
    source_tags TEXT NOT NULL DEFAULT '{}',
    country_mentions TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
"""
ADDED_COLUMNS = {"country_mentions": "TEXT NOT NULL DEFAULT '{}'"}
COLUMNS = ("id", "url", "source", "title", "body", "published", "authors", "language",
           "countries", "officials", "source_tags", "country_mentions", "content_hash")


@dataclass
class UpsertCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.added + other.added, self.updated + other.updated,
                            self.unchanged + other.unchanged)


def _row(article: Article) -> tuple:
    return (article.id, article.url, article.source, article.title, article.body,
            article.published.isoformat() if article.published else None,
            json.dumps(list(article.authors), ensure_ascii=False), article.language,
            json.dumps(list(article.countries)),
            json.dumps([o.to_json() for o in article.officials], ensure_ascii=False),
            json.dumps(article.source_tags, ensure_ascii=False),
            json.dumps(article.country_mentions), article.content_hash)


def _article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"], url=row["url"], source=row["source"], title=row["title"], body=row["body"],
        published=parse_date(row["published"]), authors=tuple(json.loads(row["authors"])),
        language=row["language"], countries=tuple(json.loads(row["countries"])),
        officials=tuple(Official.from_json(o) for o in json.loads(row["officials"])),
        source_tags=json.loads(row["source_tags"]),
        country_mentions=json.loads(row["country_mentions"]),
    )


class Store:
    """Articles in ``articles.sqlite``; open one per process (or per thread)."""

    def __init__(self, path: str | Path, readonly: bool = False):
        """Open (creating it unless ``readonly``) the store at ``path``."""
        self.path = Path(path)
        try:
            if readonly:
                self.db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True,
                                          check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(self.path, check_same_thread=False)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.executescript(SCHEMA)
                self._migrate()
            self.db.row_factory = sqlite3.Row
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"{self.path}: not a newsdesk article store ({exc})") from exc

    def _migrate(self) -> None:
        """Add columns that newer versions added, so older stores keep working."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        with self.db:
            for column, ddl in ADDED_COLUMNS.items():
                if column not in have:
                    self.db.execute(f"ALTER TABLE articles ADD COLUMN {column} {ddl}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def upsert(self, articles: Iterable[Article]) -> UpsertCounts:
        """Insert new articles and replace changed ones, all in one transaction."""
        counts = UpsertCounts()
        with self.db:
            for article in articles:
                row = _row(article)
                old = self.db.execute("SELECT content_hash FROM articles WHERE id = ?",
                                      (article.id,)).fetchone()
                if old is None:
                    counts.added += 1
                elif old[0] == row[-1]:
                    counts.unchanged += 1
                    continue
                else:
                    counts.updated += 1
                self.db.execute(
                    f"INSERT OR REPLACE INTO articles ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))})", row)
        return counts

    def delete(self, ids: Iterable[str]) -> int:
        with self.db:
            return sum(self.db.execute("DELETE FROM articles WHERE id = ?", (i,)).rowcount
                       for i in ids)

    def get(self, article_id: str) -> Article | None:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article(row) if row else None

    def __iter__(self) -> Iterator[Article]:
        for row in self.db.execute("SELECT * FROM articles ORDER BY id"):
            yield _article(row)

    def hashes(self) -> dict[str, str]:
        """``{id: content_hash}`` for every article: what the incremental indexer diffs."""
        return dict(self.db.execute("SELECT id, content_hash FROM articles"))

    def published(self) -> dict[str, datetime | None]:
        """``{id: published}`` for every article, bodies unread (what orders stories)."""
        return {i: parse_date(p) for i, p in self.db.execute("SELECT id, published FROM articles")}

    def get_many(self, ids: Iterable[str]) -> Iterator[Article]:
        for article_id in ids:
            article = self.get(article_id)
            if article:
                yield article

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
