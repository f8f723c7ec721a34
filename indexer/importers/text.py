"""Plain-text article files -> Articles.

The first non-empty line is the title (unless ``title`` is given); the rest is
the body.  Source, publication date and URL come from the command line, since
a text file carries none of them.  A file larger than ``limits.MAX_BYTES``
is refused without reading the rest of it.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..articles import Article, article_id, parse_date
from ..errors import BadInput
from .limits import read_bytes


def read(path: Path, *, title: str = "", source: str = "", published: str = "",
         url: str = "", **_options) -> Iterator[Article]:
    text = read_bytes(path, gunzip=False).decode("utf-8")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    if not title:
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            raise BadInput("empty file")
        title = lines.pop(0).strip()
    body = "\n".join(lines).strip()
    yield Article(
        id=article_id(url=url, source=source or "text", source_id=path.stem),
        title=title, body=body, url=url, source=source, published=parse_date(published),
    )
