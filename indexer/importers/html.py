"""Saved article pages (``.html``, ``.htm``, optionally gzipped) -> Articles.

Field extraction lives in :mod:`indexer.normalize`; this module only reads the
file and makes an Article of what the normalizer found.  A page the normalizer
does not take for an article (a section front, a tag page, a video page) is
skipped with the reason.
"""
from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from ..articles import Article
from ..errors import BadInput
from ..normalize import normalize
from . import Skipped


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def read(path: Path, *, source: str = "", url: str = "", **_options) -> Iterator[Article | Skipped]:
    page = normalize(read_page(path), url=url)
    if not (page.title or page.body):
        raise BadInput("no article text found in the page")
    if not page.is_article:
        yield Skipped(str(path), page.not_article)
        return
    yield page.to_article(source=source, source_id=path.name.split(".")[0])
