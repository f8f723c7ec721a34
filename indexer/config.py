"""The data directory and every path in it: the one place that knows the layout.

```
DATA/articles.sqlite   the article store
DATA/index/            gen-NNNNNN/ index generations and CURRENT naming the live one
DATA/raw/              raw inputs kept for re-processing (crawled WARC files)
DATA/crawl.sqlite      the crawl frontier and fetch log
```
The directory comes from ``--data-dir``, else ``$NEWSDESK_DATA``, else ``./data``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "NEWSDESK_DATA"
DEFAULT_DIR = "data"


@dataclass(frozen=True)
class DataDir:
    """Paths inside one newsdesk data directory."""

    root: Path

    @classmethod
    def resolve(cls, path: str | os.PathLike | None = None) -> DataDir:
        chosen = path or os.environ.get(ENV_VAR) or DEFAULT_DIR
        return cls(Path(chosen).expanduser().resolve())

    @property
    def store_path(self) -> Path:
        return self.root / "articles.sqlite"

    @property
    def index_root(self) -> Path:
        return self.root / "index"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def crawl_db(self) -> Path:
        return self.root / "crawl.sqlite"

    def ensure(self) -> DataDir:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
