"""Raw responses as WARC files under ``DATA/raw/``, and reading them back.

Each crawl run appends ``response`` records to its own
``crawl-YYYYmmdd-HHMMSS-PID.warc.gz`` (one gzip member per record, flushed as
written), so ``newsdesk normalize`` can rebuild articles without crawling
again.  A run killed mid-write leaves a truncated last record; the reader
stops at it and keeps everything before.
"""
from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# the body is stored decoded, so these headers would misdescribe it
SOURCE_HEADER = "X-Newsdesk-Source"
_DROP = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class RawResponse:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    date: str = ""
    source: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class WarcLog:
    """Appends one run's responses to a new WARC file in ``raw_dir``."""

    def __init__(self, raw_dir: Path):
        raw_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        self.path = raw_dir / f"crawl-{stamp}-{os.getpid()}.warc.gz"
        self._file = open(self.path, "ab")
        self._writer = WARCWriter(self._file, gzip=True)

    def write(self, url: str, status: int, reason: str, headers: list[tuple[str, str]],
              body: bytes, source: str = "") -> None:
        """Append one response; ``source`` (the configured publication) rides along."""
        kept = [(k, v) for k, v in headers if k.lower() not in _DROP]
        kept.append(("Content-Length", str(len(body))))
        http = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")
        extra = {SOURCE_HEADER: source} if source else None
        record = self._writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                 http_headers=http, warc_headers_dict=extra)
        self._writer.write_record(record)
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def warc_files(raw_dir: Path) -> list[Path]:
    return sorted(raw_dir.glob("*.warc.gz")) + sorted(raw_dir.glob("*.warc"))


def read_warc(path: Path) -> Iterator[RawResponse]:
    """The response records of one WARC file, stopping quietly at a truncated end."""
    with open(path, "rb") as stream:
        try:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                status = int(record.http_headers.get_statuscode() or 0)
                headers = {k.lower(): v for k, v in record.http_headers.headers}
                yield RawResponse(record.rec_headers.get_header("WARC-Target-URI"), status,
                                  headers, record.content_stream().read(),
                                  record.rec_headers.get_header("WARC-Date") or "",
                                  record.rec_headers.get_header(SOURCE_HEADER) or "")
        except (ArchiveLoadFailed, EOFError, OSError, ValueError):
            return
