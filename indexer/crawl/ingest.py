"""Fetched HTML -> Article -> entities -> store: the crawl's one way into the store.

Used by the spider as pages arrive and by ``newsdesk normalize`` over stored
WARCs, so both make the same Articles: :func:`indexer.normalize.normalize`,
then ``Page.to_article``, then :func:`indexer.entities.tag`, then
``Store.upsert``.  Nothing here knows about the index.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..articles import Article
from ..entities import tag
from ..importers import ImportReport, Skipped
from ..normalize import Page, normalize
from ..store import Store, UpsertCounts
from .frontier import body_hash
from .warc import read_warc, warc_files

HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_html(content_type: str) -> bool:
    return any(t in (content_type or "").lower() for t in HTML_TYPES)


def warm_up() -> None:
    """Load the entity gazetteers and the extractor now (seconds, once), not in the middle
    of a crawl, where the pause would block the event loop and skew timeouts."""
    tag(Article(id="warm-up", title="Warm up", body="Washington and Tokyo."))
    normalize("<html><body><p>Warm up.</p></body></html>")


def store_page(store: Store, page: Page, *, source: str = "") -> tuple[Article, UpsertCounts]:
    """Tag entities and upsert the Article of one normalized page."""
    article = tag(page.to_article(source=source))
    return article, store.upsert([article])


def normalize_raw(raw_dir: Path, store: Store, *,
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    """Re-read every stored WARC response into the store (no crawling).

    HTML responses with status 200 are normalized; not-articles and a second
    copy of the same body are reported as skipped, with the reason.
    """
    report = ImportReport()
    seen: dict[str, str] = {}
    for path in warc_files(raw_dir):
        report.files += 1
        for raw in read_warc(path):
            if raw.status != 200 or not is_html(raw.content_type):
                continue
            page = normalize(raw.body, url=raw.url, content_type=raw.content_type)
            if not page.is_article:
                report.skipped.append(Skipped(raw.url, page.not_article))
                continue
            digest = body_hash(page.body)
            first = seen.setdefault(digest, raw.url)
            if first != raw.url:
                report.skipped.append(Skipped(raw.url, f"duplicate of {first}"))
                continue
            _, counts = store_page(store, page, source=raw.source)
            report.counts += counts
            if progress:
                progress(1)
    return report
