"""Run ``newsdesk`` with a SIGKILL planted inside a third-party library call (tests only).

    python tests/helpers/crashing_cli.py WINDOW N REPORT -- --data-dir D index

newsdesk's own code runs unchanged: the kill is planted by patching Whoosh (its
file storage and multiprocessing writer) or by a trace hook on sqlite3
connections, in this process only, so that a crash test can stop a command at
an exact point that a timer from outside would hit only by luck.

WINDOW (N is its seeded count):

``segment-bytes``      after N bytes of new segment files reach the index folder
``toc-bytes``          after N bytes of the new table of contents (the temp TOC)
``toc-before-rename``  the new TOC is complete, just before it is renamed into place
``toc-after-rename``   just after the rename, before Whoosh deletes the files it replaced
``enqueue``            after the N-th batch handed to the index worker processes
``store-insert``       at the N-th INSERT of a store transaction, before it runs
``count``              no kill: write the bytes each kind of file got to REPORT (JSON)

REPORT is a path, or ``-`` for none.

A partial write is flushed before the kill, so the file on disk ends exactly
there (the worst state a crash can leave).  Only this process kills itself:
the forked index workers inherit the patches but never act on them.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import signal
import sqlite3
import sys

from whoosh.filedb.filestore import FileStorage
from indexer.engine import writing

MAIN = os.getpid()
SEGMENT = re.compile(r"^MAIN_[0-9a-z]+\.")
TEMP_TOC = re.compile(r"^_MAIN_(\d+)\.toc\.")
TOC = re.compile(r"^_MAIN_(\d+)\.toc$")

window, limit = sys.argv[1], int(sys.argv[2])
report_path = sys.argv[3] if sys.argv[3] != "-" else None
written = {"segment": 0, "toc": 0}


def die() -> None:
    if os.getpid() == MAIN:
        os.kill(MAIN, signal.SIGKILL)


def kind(storage, name: str) -> str | None:
    """What a new file is: a segment file or a temp TOC of a commit (not the empty gen-0 TOC)."""
    if str(storage.folder).endswith(".tmp") or os.getpid() != MAIN:
        return None
    if SEGMENT.match(name):
        return "segment"
    match = TEMP_TOC.match(name)
    return "toc" if match and int(match.group(1)) > 0 else None


class CountingFile:
    """A file that counts what is written to it and dies at the planted byte."""

    def __init__(self, raw, what: str):
        self._raw, self._what = raw, what

    def write(self, data) -> int:
        data = bytes(data)
        before = written[self._what]
        written[self._what] = before + len(data)
        if window == f"{self._what}-bytes" and before + len(data) >= limit:
            self._raw.write(data[:max(0, limit - before)])
            self._raw.flush()
            die()
        return self._raw.write(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)


original_create = FileStorage.create_file


def create_file(self, name, *args, **kwargs):
    f = original_create(self, name, *args, **kwargs)
    what = kind(self, name)
    if what:
        f.file = CountingFile(f.file, what)
    return f


original_rename = FileStorage.rename_file


def rename_file(self, oldname, newname, safe=False):
    commit_toc = TOC.match(newname) and int(TOC.match(newname).group(1)) > 0
    if commit_toc and window == "toc-before-rename":
        die()
    original_rename(self, oldname, newname, safe=safe)
    if commit_toc and window == "toc-after-rename":
        die()


original_put = writing._put
batches = 0


def put(jobs, item, workers):
    global batches
    original_put(jobs, item, workers)
    batches += item is not None
    if window == "enqueue" and batches >= limit:
        die()


original_connect = sqlite3.connect


def connect(*args, **kwargs):
    db = original_connect(*args, **kwargs)
    inserts = 0

    def trace(sql: str) -> None:
        nonlocal inserts
        if sql.lstrip().upper().startswith("INSERT"):
            inserts += 1
            if window == "store-insert" and inserts >= limit:
                die()
    db.set_trace_callback(trace)
    return db


FileStorage.create_file = create_file
FileStorage.rename_file = rename_file
writing._put = put
writing.BATCH = 50  # the trials' few hundred articles span several batches
sqlite3.connect = connect

if window == "count" and report_path:
    atexit.register(lambda: os.getpid() == MAIN and open(report_path, "w").write(json.dumps(written)))

if __name__ == "__main__":
    from indexer.cli import main
    sys.argv = ["newsdesk", *sys.argv[sys.argv.index("--") + 1:]]
    main()
