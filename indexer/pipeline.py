"""The stages as library calls: import, index, reindex, retag, export.

Each reads what the stage before it wrote in the data dir, so any one can be
re-run alone; the CLI is a thin wrapper over these functions.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from . import engine
from .config import DataDir
from .entities import tag
from .importers import ImportReport, run_import
from .store import Store, UpsertCounts


def import_files(data: DataDir, fmt: str, paths: Iterable[str | Path], *,
                 progress: Callable[[int], None] | None = None, **options) -> ImportReport:
    """Read ``paths`` in format ``fmt`` into the store, tagging entities on the way."""
    with Store(data.ensure().store_path) as store:
        return run_import(store, fmt, paths, tagger=tag, progress=progress, **options)


def index(data: DataDir) -> engine.WriteReport:
    """Bring the index up to the store: only new, changed and deleted articles."""
    with Store(data.ensure().store_path) as store, _backend(data) as backend:
        return backend.update(store.hashes(), store.get_many)


def reindex(data: DataDir, *, procs: int | None = None) -> engine.WriteReport:
    """Rebuild the whole index into a new generation and swap it in atomically."""
    with Store(data.ensure().store_path) as store, _backend(data) as backend:
        return backend.build(iter(store), procs=procs)


@contextmanager
def _backend(data: DataDir) -> Iterator[engine.SearchBackend]:
    backend = engine.open_backend(data)
    try:
        yield backend
    finally:
        backend.close()


def retag(data: DataDir, progress: Callable[[int], None] | None = None) -> UpsertCounts:
    """Re-run entity extraction over every stored article (no re-import)."""
    counts = UpsertCounts()
    with Store(data.ensure().store_path) as store:
        batch = []
        for article in store:
            batch.append(tag(article))
            if len(batch) >= 1000:
                counts += store.upsert(batch)
                progress and progress(len(batch))
                batch = []
        counts += store.upsert(batch)
    return counts


def export_jsonl(data: DataDir, out: IO[str]) -> int:
    """Write every stored article as one JSON line (the interchange format)."""
    n = 0
    with Store(data.store_path) as store:
        for article in store:
            out.write(json.dumps(article.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n
