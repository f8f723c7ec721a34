"""Bounded reading of input files: no input may take unbounded memory or time.

A 97 kB gzip bomb once expanded to 883 MB in ``import html``.  Here a file
is read, and a gzip stream decompressed, at most ``MAX_BYTES`` at a time:
a whole page (``read_bytes``) or one JSON line (``read_lines``).  Past the
limit the file or line is refused with :class:`~indexer.errors.BadInput`,
without reading the rest into memory.

``MAX_BYTES`` is also the crawler's default response limit
(``CrawlConfig.max_bytes`` takes it from here): a page too large to crawl is
too large to import.
"""
from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import BadInput

MAX_BYTES = 5_000_000
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 64 * 1024  # how much of an over-long line is read at a time to pass it over


def too_large(limit: int, gz: bool = False) -> BadInput:
    return BadInput(f"larger than {limit:,} bytes{' once decompressed' if gz else ''}")


def read_bytes(path: Path, limit: int = MAX_BYTES, *, gunzip: bool = True) -> bytes:
    """The file's bytes, gunzipped if it is gzip (and ``gunzip``); BadInput past ``limit``."""
    with path.open("rb") as raw:
        gz = gunzip and raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        try:
            # GzipFile.read(n) decompresses no more than n bytes: memory stays bounded
            data = (gzip.GzipFile(fileobj=raw) if gz else raw).read(limit + 1)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise _broken(exc) from None
    if len(data) > limit:
        raise too_large(limit, gz)
    return data


def _broken(exc: Exception, where: str = "") -> BadInput:
    return BadInput(f"broken gzip stream{where}: {exc or 'cut short'}")


def read_lines(path: Path, limit: int = MAX_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each line of a plain or gzip file, streamed.

    A line longer than ``limit`` gives ``(number, None)`` and is passed over
    without being held in memory.  A truncated gzip stream ends the file with
    BadInput after the lines before the cut.
    """
    with path.open("rb") as raw:
        gz = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        f = gzip.GzipFile(fileobj=raw) if gz else raw
        try:
            number = 0
            while line := f.readline(limit + 1):
                number += 1
                if len(line) > limit and not line.endswith(b"\n"):
                    while (more := f.readline(_CHUNK)) and not more.endswith(b"\n"):
                        pass
                    yield number, None
                    continue
                yield number, line
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise _broken(exc, f" after line {number}") from None
