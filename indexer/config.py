"""The data directory and every path in it: the one place that knows the layout.

```
DATA/articles.sqlite   the article store
DATA/index/            gen-NNNNNN/ index generations and CURRENT naming the live one
DATA/raw/              raw inputs kept for re-processing (crawled WARC files)
DATA/crawl.sqlite      the crawl frontier and fetch log
```
The directory comes from ``--data-dir``, else ``$NEWSDESK_DATA``, else ``./data``.
The engine that indexes and searches it comes from ``--engine``, else
``$NEWSDESK_ENGINE``, else ``whoosh`` (the embedded index in ``DATA/index``);
see :func:`indexer.engine.open_backend`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "NEWSDESK_DATA"
DEFAULT_DIR = "data"
ENGINE_VAR = "NEWSDESK_ENGINE"
DEFAULT_ENGINE = "whoosh"


@dataclass(frozen=True)
class DataDir:
    """Paths inside one newsdesk data directory, and the engine that serves it."""

    root: Path
    engine: str = DEFAULT_ENGINE

    @classmethod
    def resolve(cls, path: str | os.PathLike | None = None, engine: str | None = None) -> DataDir:
        chosen = path or os.environ.get(ENV_VAR) or DEFAULT_DIR
        spec = engine or os.environ.get(ENGINE_VAR) or DEFAULT_ENGINE
        return cls(Path(chosen).expanduser().resolve(), spec.strip())

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
