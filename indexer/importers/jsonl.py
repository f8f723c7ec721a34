"""JSON Lines in the interchange format of CONTRACTS.md -> Articles.

A malformed line is reported with its line number and skipped; the rest of the
file goes on.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..articles import Article
from ..errors import BadInput
from . import Skipped


def read(path: Path, **_options) -> Iterator[Article | Skipped]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield Article.from_json(json.loads(line))
            except (json.JSONDecodeError, BadInput, TypeError, ValueError) as exc:
                yield Skipped(f"{path}:{number}", f"malformed line: {exc}")
