"""Writing the index: generations, the atomic swap, incremental updates, one writer at a time."""
from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from whoosh import index

from ..articles import Article
from ..errors import NewsdeskError
from .schema import make_schema, to_document
from .types import WriteReport
from .writing import BuildWriter, build_parallel


def _generations(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("gen-*") if p.is_dir())


def current_generation(root: Path) -> Path | None:
    """The live generation's folder, or None when no index was ever built."""
    try:
        name = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if path.is_dir() else None


def _set_current(root: Path, gen: Path) -> None:
    tmp = root / f"CURRENT.{os.getpid()}.tmp"
    tmp.write_text(gen.name + "\n")
    with open(tmp) as f:
        os.fsync(f.fileno())
    os.replace(tmp, root / "CURRENT")
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


_held: list = []  # the write locks this process holds: (open lock file, holder's pid)


def _forked_while_writing() -> None:
    """In a process forked while its parent holds a write lock (Whoosh's writer processes).

    A forked child shares the lock file's ``flock``; were it kept, the lock would
    outlive a writer killed outright: its writer processes wait for work for
    ever, holding the lock, and every later ``index`` or ``reindex`` would fail
    as "already running".  So the child closes its copy (the lock stays the
    parent's alone) and ends itself when the parent is gone.
    """
    if not _held:
        return
    holder = _held[0][1]
    for lock, _ in _held:
        lock.close()
    _held.clear()

    def end_with_holder() -> None:
        while os.getppid() == holder:
            time.sleep(0.2)
        os._exit(1)
    threading.Thread(target=end_with_holder, name="end-with-writer", daemon=True).start()


os.register_at_fork(after_in_child=_forked_while_writing)


@contextmanager
def write_lock(root: Path):
    """One writer at a time per index; a second one gets a clear error.

    The lock ends with the process holding it, even one killed with SIGKILL
    (its forked helpers let go of it, see ``_forked_while_writing``).
    """
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "write.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NewsdeskError("another index or reindex is running on this data dir") from None
        entry = (lock, os.getpid())
        _held.append(entry)
        try:
            yield
        finally:
            _held.remove(entry)


def build(root: Path, articles: Iterable[Article], *, procs: int | None = None) -> WriteReport:
    """Write every article into a fresh generation, then swap it in atomically.

    Readers keep using the old generation until ``CURRENT`` is replaced; a
    build that dies half-way leaves an orphan folder that the next build
    removes, and the old index untouched.
    """
    procs = procs or min(2, os.cpu_count() or 1)
    with write_lock(root):
        gens = _generations(root)
        live = current_generation(root)
        number = int(gens[-1].name.split("-")[1]) + 1 if gens else 1
        gen = root / f"gen-{number:06d}"
        gen.mkdir()
        report = WriteReport(gen.name, rebuilt=True)
        try:
            ix = index.create_in(gen, make_schema())
            report.added = _write_all(ix, (to_document(a) for a in articles), procs)
            _open_once(gen)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        _set_current(root, gen)
        for old in gens:
            if old != live:          # orphans of killed builds
                shutil.rmtree(old, ignore_errors=True)
        if live:
            shutil.rmtree(live, ignore_errors=True)  # open readers keep their files (POSIX)
        return report


def _write_all(ix, docs, procs: int) -> int:
    if procs > 1:
        return build_parallel(ix, docs, procs)
    writer = BuildWriter(ix)
    count = 0
    try:
        for doc in docs:
            writer.add_document(**doc)
            count += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return count


def indexed_hashes(ix) -> dict[str, str]:
    """``{id: content_hash}`` of the live documents of an open index (from columns)."""
    def text(value) -> str:
        return value.decode() if isinstance(value, bytes) else value

    with ix.reader() as reader:
        ids = reader.column_reader("id")
        hashes = reader.column_reader("content_hash")
        return {text(ids[n]): text(hashes[n]) for n in reader.all_doc_ids()}


def update(root: Path, store_hashes: dict[str, str], fetch) -> WriteReport:
    """Bring the live generation up to the store: add, replace and delete by id.

    ``store_hashes`` is ``{id: content_hash}`` of the store and ``fetch(ids)``
    yields those Articles.  Nothing is written when nothing changed.
    """
    gen = current_generation(root)
    if gen is None or "story_key" not in index.open_dir(gen).schema:
        # none yet, or written before stories existed: every document needs its story
        return build(root, fetch(sorted(store_hashes)))
    with write_lock(root):
        ix = index.open_dir(gen)
        indexed = indexed_hashes(ix)
        changed = [i for i, h in store_hashes.items() if indexed.get(i) != h]
        gone = [i for i in indexed if i not in store_hashes]
        report = WriteReport(gen.name)
        if not (changed or gone):
            return report
        writer = BuildWriter(ix)
        try:
            for article_id in gone:
                writer.delete_by_term("id", article_id)
                report.deleted += 1
            for article in fetch(sorted(changed)):
                if article.id in indexed:
                    report.updated += 1
                else:
                    report.added += 1
                writer.update_document(**to_document(article))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        try:
            _open_once(gen)
        except Exception:  # committed already: the first reader builds its snapshot instead
            pass
        return report


def _open_once(gen: Path) -> None:
    """Open the new index as a reader would, once: this proves it readable before it is
    swapped in, and saves its snapshot's columns and its speller (engine/saved.py) so
    no search process need build them."""
    from .caches import Generation
    opened = Generation(gen)
    opened.warm()
    opened.close()
