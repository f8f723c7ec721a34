"""Reading a generation's files from memory maps, without copying them into the heap.

Whoosh opens a compound ``.seg`` file with ``mmap`` but then wraps every
sub-file in a ``BufferFile``, whose ``BytesIO(buf)`` copies the sub-file into
anonymous memory: the whole index ends up in the Python heap (~70% of its size
on disk) and reading it is most of a cold start.  ``MappedStorage`` hands
Whoosh ``MappedFile`` objects instead: views (base offset, length) onto one
shared read-only map per file, read by slicing the map, so the bytes stay in
the page cache and are shared by every process serving the same generation.

Each ``open_file`` returns a new view with its own position, so readers opened
on different threads never disturb each other's seeks; the maps themselves are
opened once per storage and kept (deleted files stay readable: POSIX).
"""
from __future__ import annotations

import mmap
import os
import threading

from whoosh.compat import load as load_pickle
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import _SIZEMAP, IS_LITTLE, StructFile
from array import array


class _View:
    """A read-only file object over ``length`` bytes of a map from ``base``."""

    __slots__ = ("_map", "_base", "_length", "_pos", "closed")

    def __init__(self, buf, base: int, length: int):
        self._map, self._base, self._length, self._pos = buf, base, length, 0
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        pos = self._pos
        end = self._length if size is None or size < 0 else min(pos + size, self._length)
        if end <= pos:
            return b""
        self._pos = end
        return self._map[self._base + pos:self._base + end]

    def readline(self, size: int | None = -1) -> bytes:
        start = self._base + self._pos
        stop = self._base + self._length
        found = self._map.find(b"\n", start, stop)
        end = stop if found < 0 else found + 1
        if size is not None and size >= 0:
            end = min(end, start + size)
        self._pos = end - self._base
        return self._map[start:end]

    def seek(self, where: int, whence: int = 0) -> int:
        if whence == 1:
            where += self._pos
        elif whence == 2:
            where += self._length
        self._pos = where
        return where

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self.closed = True


class MappedFile(StructFile):
    """A Whoosh ``StructFile`` over a slice of a memory map: no copy, positional ``get``."""

    def __init__(self, buf, base: int, length: int, name: str | None = None):
        self._map, self._base, self._length = buf, base, length
        self.file = _View(buf, base, length)
        self._name = name
        self.onclose = None
        self.is_real = False
        self.is_closed = False

    def close(self) -> None:
        # the map stays open while any view (or a reader still running) holds it;
        # it is released with the last reference
        self.is_closed = True

    def subset(self, position: int, length: int, name: str | None = None) -> MappedFile:
        return MappedFile(self._map, self._base + position, length, name or self._name)

    def read_pickle(self):
        return load_pickle(self.file)

    def get(self, position: int, length: int) -> bytes:
        start = self._base + position
        return self._map[start:min(start + length, self._base + self._length)]

    def get_array(self, position: int, typecode: str, length: int) -> array:
        a = array(typecode)
        a.frombytes(self.get(position, length * _SIZEMAP[typecode]))
        if IS_LITTLE:
            a.byteswap()
        return a


class MappedStorage(FileStorage):
    """A read-only ``FileStorage`` whose files are ``MappedFile`` views of shared maps.

    ``supports_mmap`` is False on purpose: Whoosh's ``CompoundStorage`` then
    opens each sub-file with ``MappedFile.subset`` (a view) instead of copying
    it out of its own map.
    """

    supports_mmap = False

    def __init__(self, path):
        super().__init__(str(path), supports_mmap=False, readonly=True)
        self._maps: dict[str, mmap.mmap | bytes] = {}
        self._maps_lock = threading.Lock()

    def _map(self, name: str):
        with self._maps_lock:
            found = self._maps.get(name)
            if found is None:
                with open(self._fpath(name), "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    found = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
                self._maps[name] = found
            return found

    def open_file(self, name, **kwargs) -> MappedFile:
        buf = self._map(name)
        return MappedFile(buf, 0, len(buf), name=name)

    def close(self) -> None:
        with self._maps_lock:
            self._maps.clear()  # each map goes when its last view does
