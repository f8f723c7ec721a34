"""Saved article pages (``.html``, ``.htm``, optionally gzipped) -> Articles.

Field extraction lives in :mod:`indexer.normalize`; this module only reads the
file and makes an Article of what the normalizer found.  A page the normalizer
does not take for an article (a section front, a tag page, a video page) is
skipped with the reason.  A page, gzipped or not, may be at most
``limits.MAX_BYTES`` once decompressed: a gzip bomb is refused after
decompressing that much, in well under a second.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..articles import Article
from ..errors import BadInput
from ..normalize import normalize
from . import Skipped
from .limits import read_bytes


def read_page(path: Path) -> bytes:
    """The page's bytes, gunzipped; BadInput if larger than the limit."""
    return read_bytes(path)


def read(path: Path, *, source: str = "", url: str = "", **_options) -> Iterator[Article | Skipped]:
    page = normalize(read_page(path), url=url)
    if not (page.title or page.body):
        raise BadInput("no article text found in the page")
    if not page.is_article:
        yield Skipped(str(path), page.not_article)
        return
    yield page.to_article(source=source, source_id=path.name.split(".")[0])
