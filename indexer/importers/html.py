"""Saved article pages (``.html``, ``.htm``, optionally gzipped) -> Articles.

Field extraction lives in :mod:`indexer.normalize`; this module only reads the
file and makes an Article of what the normalizer found.
"""
from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from ..articles import Article, article_id
from ..errors import BadInput
from ..normalize import normalize


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def read(path: Path, *, source: str = "", url: str = "", **_options) -> Iterator[Article]:
    page = normalize(read_page(path), url=url)
    if not (page.title or page.body):
        raise BadInput("no article text found in the page")
    yield Article(
        id=article_id(url=page.url, source=source or page.site_name or "html", source_id=path.stem),
        title=page.title, body=page.body, url=page.url,
        source=source or page.site_name, published=page.published,
        authors=tuple(page.authors), language=page.language or "en",
    )
