"""JSON Lines in the interchange format of CONTRACTS.md -> Articles.

Every line gives one Article or one Skipped naming ``path:line`` and the
reason, whatever its bytes: invalid UTF-8, JSON nested too deeply for the
parser, a field of the wrong type, a line over the size limit.  The lines
before and after a bad one are imported.  ``.gz`` files are streamed, one
bounded line at a time (see :mod:`.limits`).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..articles import Article
from ..errors import BadInput
from . import Skipped, describe
from .limits import MAX_BYTES, read_lines


def read(path: Path, **_options) -> Iterator[Article | Skipped]:
    for number, line in read_lines(path, MAX_BYTES):
        if line is not None and not line.strip():
            continue
        try:
            yield parse_line(line)
        except Exception as exc:  # noqa: BLE001 - whatever one line does, the next goes on
            yield Skipped(f"{path}:{number}", f"malformed line: {describe(exc)}")


def parse_line(line: bytes | None) -> Article:
    """One line's bytes -> Article, or BadInput saying what is wrong with it."""
    if line is None:
        raise BadInput(f"longer than {MAX_BYTES:,} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"not UTF-8: byte {line[exc.start]:#04x} at column {exc.start + 1}") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadInput("JSON nested too deeply") from None
    return Article.from_json(data)
