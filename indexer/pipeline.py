"""The stages as library calls: import, index, reindex, retag, export.

Each reads what the stage before it wrote in the data dir, so any one can be
re-run alone; the CLI is a thin wrapper over these functions.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO

from . import engine
from .config import DataDir
from .dedup import Stories
from .entities import tag
from .importers import ImportReport, run_import
from .store import Store, UpsertCounts


Progress = Callable[[int], None]  # called with how many more items are done
Total = Callable[[int], None]  # called once with how many items there are to do, when known


def import_files(data: DataDir, fmt: str, paths: Iterable[str | Path], *,
                 progress: Progress | None = None,
                 files_progress: Callable[[int, int], None] | None = None,
                 **options) -> ImportReport:
    """Read ``paths`` in format ``fmt`` into the store, tagging entities on the way.

    ``progress(n)`` gets each batch of articles written; ``files_progress(done,
    total)`` the files read so far out of all of them.
    """
    with Store(data.ensure().store_path) as store:
        return run_import(store, fmt, paths, tagger=tag, progress=progress,
                          files_progress=files_progress, **options)


def count(data: DataDir) -> int:
    """How many articles the store holds (the total for reindex and retag progress)."""
    with Store(data.ensure().store_path) as store:
        return store.count()


def _counted(articles: Iterable, progress: Progress | None) -> Iterator:
    """``articles`` unchanged, calling ``progress(1)`` as each one is taken."""
    for article in articles:
        yield article
        progress and progress(1)


def index(data: DataDir, *, progress: Progress | None = None,
          total: Total | None = None) -> engine.WriteReport:
    """Bring the index up to the store: only new, changed and deleted articles.

    ``total(n)`` is told how many articles the backend asks for (the new and
    changed ones) and ``progress(1)`` is called as each is fetched.
    """
    with Store(data.ensure().store_path) as store, _backend(data) as backend:
        hashes = store.hashes()
        story = stories(store, hashes)

        def fetch(ids):
            ids = list(ids)
            total and total(len(ids))
            return _counted(_with_story(store.get_many(ids), story), progress)
        return backend.update({i: f"{h}/{story[i]}" for i, h in hashes.items()}, fetch)


def stories(store: Store, hashes: dict[str, str] | None = None, *,
            again: bool = False) -> dict[str, str]:
    """``{id: story}`` for every stored article, assigning new and changed ones first
    (indexer/dedup.py: near-duplicates share a story; the rest are their own);
    ``again`` detects every story anew."""
    table = Stories(store.db)
    table.assign(store.hashes() if hashes is None else hashes, store.get_many, again=again,
                 published=store.published())
    found = table.all()
    return found


def _with_story(articles: Iterable, story: dict[str, str]) -> Iterator:
    for article in articles:
        yield replace(article, story=story.get(article.id, article.id))


def reindex(data: DataDir, *, procs: int | None = None, progress: Progress | None = None,
            total: Total | None = None, stories_again: bool = False) -> engine.WriteReport:
    """Rebuild the whole index into a new generation and swap it in atomically.

    ``total(n)`` is told the store's article count, ``progress(1)`` called as
    each article is read for the build.  ``stories_again`` first detects every
    wire-copy story anew rather than keeping the stored ones.
    """
    with Store(data.ensure().store_path) as store, _backend(data) as backend:
        story = stories(store, again=stories_again)
        total and total(store.count())
        return backend.build(_counted(_with_story(store, story), progress), procs=procs)


@contextmanager
def _backend(data: DataDir) -> Iterator[engine.SearchBackend]:
    backend = engine.open_backend(data)
    try:
        yield backend
    finally:
        backend.close()


def retag(data: DataDir, progress: Progress | None = None,
          total: Total | None = None) -> UpsertCounts:
    """Re-run entity extraction over every stored article (no re-import)."""
    counts = UpsertCounts()
    with Store(data.ensure().store_path) as store:
        total and total(store.count())
        batch = []
        for article in store:
            batch.append(tag(article))
            if len(batch) >= 1000:
                counts += store.upsert(batch)
                progress and progress(len(batch))
                batch = []
        counts += store.upsert(batch)
        progress and progress(len(batch))
    return counts


def export_jsonl(data: DataDir, out: IO[str]) -> int:
    """Write every stored article as one JSON line (the interchange format)."""
    n = 0
    with Store(data.store_path) as store:
        for article in store:
            out.write(json.dumps(article.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n
