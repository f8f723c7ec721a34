"""Importers: one module per input format, each turning files into Articles.

``run_import`` is the one loop around them: it expands folders, reads each
file, tags entities, upserts in batches and reports every file or line it had
to skip, by name and with the reason, while the rest of the import goes on.
No exception from one file or record escapes it: each becomes a Skipped.
"""
from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..articles import Article
from ..errors import BadInput
from ..store import Store, UpsertCounts

FORMATS = {
    "reuters": ("*.sgm",),
    "text": ("*.txt",),
    "html": ("*.html", "*.htm", "*.html.gz", "*.htm.gz"),
    "jsonl": ("*.jsonl", "*.jsonl.gz", "*.ndjson"),
}
BATCH = 1000


@dataclass(frozen=True)
class Skipped:
    """A file, line or story that was not imported, and why."""

    where: str
    reason: str


@dataclass
class ImportReport:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0

    @property
    def read(self) -> int:
        return self.counts.added + self.counts.updated + self.counts.unchanged


def reader(fmt: str) -> Callable[..., Iterator[Article | Skipped]]:
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(f"{__name__}.{fmt}").read


def input_files(fmt: str, paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the matching files inside named folders (sorted)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted({p for pattern in FORMATS[fmt] for p in path.rglob(pattern)}))
        else:
            found.append(path)
    return found


def describe(exc: BaseException) -> str:
    """Why a record failed: the message of an expected error, else its type and message."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, (BadInput, UnicodeDecodeError, json.JSONDecodeError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def read_file(fmt: str, path: Path, tagger: Callable[[Article], Article] | None,
              options: dict) -> list[Article | Skipped]:
    """Everything one file yields, checked and tagged; a failure is a Skipped saying why.

    Nothing raised while reading the file, checking an article (text the
    store cannot encode) or tagging it escapes: the file, or the one article,
    becomes a Skipped, and the items before it are kept.  A module-level
    function, so worker processes can run it.
    """
    items: list[Article | Skipped] = []
    try:
        for item in reader(fmt)(path, **options):
            if isinstance(item, Article):
                try:
                    item = item.check()
                    if tagger and not (item.countries or item.officials):
                        item = tagger(item)
                except Exception as exc:  # noqa: BLE001 - one article must not stop the file
                    item = Skipped(f"{path} id={item.id}", describe(exc))
            items.append(item)
    except Exception as exc:  # noqa: BLE001 - one file must not stop the import
        items.append(Skipped(str(path), describe(exc)))
    return items


def run_import(store: Store, fmt: str, paths: Iterable[str | Path], *,
               tagger: Callable[[Article], Article] | None = None,
               progress: Callable[[int], None] | None = None, procs: int | None = None,
               files_progress: Callable[[int, int], None] | None = None,
               **options) -> ImportReport:
    """Import ``paths`` in format ``fmt`` into ``store``; never stops on one bad file.

    Files are parsed and tagged in ``procs`` worker processes (default: up to two,
    when there are several files); the store is written by this process alone,
    in batches, each one transaction.  ``tagger`` fills in countries and
    officials for articles that have none (an exported JSONL keeps its own).
    ``progress(n)`` is called with each batch of articles written, and
    ``files_progress(done, total)`` once before reading and after each file.
    """
    reader(fmt)  # an unknown format fails before any work
    files = input_files(fmt, paths)
    procs = procs or min(2, os.cpu_count() or 1)
    report = ImportReport(files=len(files))
    batch: list[Article] = []

    def flush() -> None:
        report.counts += store.upsert(batch)
        if progress:
            progress(len(batch))
        batch.clear()

    work = partial(read_file, fmt, tagger=tagger, options=options)
    done = 0
    if files_progress:
        files_progress(0, len(files))
    with ExitStack() as stack:
        if procs > 1 and len(files) > 1:
            pool = stack.enter_context(ProcessPoolExecutor(
                procs, initializer=_exit_with_parent, initargs=(os.getpid(),)))
            results = pool.map(work, files, chunksize=max(1, len(files) // (8 * procs)))
        else:
            results = map(work, files)
        try:
            for items in results:
                done += 1
                if files_progress:
                    files_progress(done, len(files))
                for item in items:
                    if isinstance(item, Skipped):
                        report.skipped.append(item)
                        continue
                    batch.append(item)
                    if len(batch) >= BATCH:
                        flush()
        except BrokenProcessPool:  # a worker killed outright (the OOM killer): say which files
            report.skipped.extend(
                Skipped(str(path), "a worker process died while reading it (out of memory?); "
                                   "import this file again on its own") for path in files[done:])
    flush()
    return report


def _exit_with_parent(parent: int) -> None:
    """In each worker: end when the importing process is gone (killed with -9, say).

    Otherwise the pool's workers wait for work for ever, holding their memory.
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()
