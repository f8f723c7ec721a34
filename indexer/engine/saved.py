"""A snapshot's columns saved beside its segments, so the next process opens fast.

Building a ``caches.Snapshot`` decodes every facet value's postings and the date,
length and story columns out of Whoosh's files: about 0.2 s on Reuters, seconds at
a few hundred thousand articles, paid by every new process (``newsdesk search``,
each ``serve`` process) before its first answer.  The first process to build a TOC
generation's snapshot writes those arrays to ``snapshot-<generation>.npz`` in the
generation folder (a temporary name, then ``os.replace``); later processes load
them instead.  The did-you-mean index (``speller.Speller``, built in the background
after opening: seconds at 100k articles, in every process) is saved the same way,
as ``speller-<generation>.npz``.  The file is keyed by the TOC generation, which changes on every
commit (additions and deletions alike), so a saved file never describes other
segments than its own; files of older TOC generations are removed when a newer
one is saved.

A file that cannot be read (torn, corrupt, from another layout: ``LAYOUT``) is
ignored and the snapshot is built from the segments, as without one; a folder
that cannot be written (read-only, full) is left alone.  Either way search
answers the same.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

LAYOUT = 1  # bump when the saved arrays change meaning


def path_for(folder: Path, generation: int, kind: str = "snapshot") -> Path:
    return folder / f"{kind}-{generation}.npz"


def load(folder: Path, generation: int, size: int, kind: str = "snapshot") -> dict | None:
    """The arrays saved for ``generation`` (``{name: array}`` plus ``"meta"``), or None
    when there are none, or they are unreadable, or not for ``size`` docs."""
    try:
        with np.load(path_for(folder, generation, kind), allow_pickle=False) as found:
            arrays = {name: found[name] for name in found.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, EOFError):
        return None
    except Exception:  # zipfile.BadZipFile and other damage: build instead
        return None
    if meta.get("layout") != LAYOUT or meta.get("size") != size:
        return None
    return {**arrays, "meta": meta}


def save(folder: Path, generation: int, arrays: dict[str, np.ndarray], meta: dict,
         kind: str = "snapshot") -> bool:
    """Write ``arrays`` and ``meta`` for ``generation``; False if the folder refused.
    ``kind`` names the file: ``snapshot`` (the columns) or ``speller``."""
    target = path_for(folder, generation, kind)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as f:
            np.savez(f, meta=np.array(json.dumps({**meta, "layout": LAYOUT})), **arrays)
        os.replace(temp, target)
    except OSError:
        try:
            temp.unlink()
        except OSError:
            pass
        return False
    for old in folder.glob(f"{kind}-*.npz"):
        try:
            if int(old.name[len(kind) + 1:-4]) < generation:
                old.unlink()
        except (ValueError, OSError):
            pass
    for torn in folder.glob(f".{kind}-*.npz.*.tmp"):  # left by a process killed mid-write
        try:
            if int(torn.name[len(kind) + 2:].split(".", 1)[0]) < generation:
                torn.unlink()
        except (ValueError, OSError):
            pass
    return True
