"""Segment files: the archive's LSH band keys, sorted, written once and read for lookups.

A segment holds, for every band, the distinct ``(key, document)`` pairs of the windows of a set of
documents with how many of the document's windows have that key (the scan counts windows, not
documents, against ``max_bucket``). A lookup finds a key through a directory of the key's top bits,
so it reads one small cell of the file instead of the ~20 places of a binary search: a query asks
for a few thousand keys.

File layout (little-endian; format version :data:`SEGMENT_VERSION`)::

    header   64 bytes: magic b"DDUPSEG\\0", u32 version, u32 bands, u32 prefix bits D,
             u32 base, u64 entries, u64 documents, u32 last, u8 doc bytes W (2 or 4),
             u8 count bytes C (1 or 2), 18 bytes reserved (zero)
    dir      u64[bands, 2**D + 1]: entry offsets; band b's keys with top bits p are
             entries dir[b, p] to dir[b, p + 1]; dir[b, 2**D] is where band b ends
    keys     u32[entries]   sorted by (band, key, document)
    docs     uW[entries]    the archive number of the document, less ``base`` when W is 2
    counts   uC[entries]    windows of the document with the key (saturating at 65,535)

``base`` and ``last`` bound the document numbers of the segment's entries (a merge keeps the range
of the segments it merged, removed documents included; 0 and 0 for a segment of no document). W
is 2 when ``last - base`` fits in 16 bits (a segment of up to 65,536 consecutive documents: every
commit's, and the first merges'), C is 1 when every count does in 8 bits (a
window count above 255 for one key of one document is rare): entries of 7 bytes instead of 10,
so an add writes, fsyncs and rewrites in merges 30% fewer bytes. Both are chosen per segment from
its entries, so no value is ever clipped by them.

Files are immutable: they are written and fsynced before the catalogue that names them commits,
and a merge writes a new file. They are read with ``pread``, not memory-mapped (see :class:`Segment`).
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit, types

from .._pages import write_at
from ..errors import DedupError, ParameterError

__all__ = ["SEGMENT_VERSION", "Matches", "Segment", "merge_segments", "write_segment"]

SEGMENT_VERSION = 2
_MAGIC = b"DDUPSEG\x00"
_HEADER = struct.Struct("<8sIIIIQQIBB18x")
_MAX_COUNT = 0xFFFF
_BUCKET = 32  # entries a directory cell aims at: one or two cache lines of keys
_COARSEN = 3  # the in-memory directory keeps every 8th offset: cells of ~150-250 entries, one read
_BUFFER = 4096  # entries read at once; a longer cell (a very common key) is bisected with one-entry reads
_HELD_BYTES = 16 << 20  # a segment with at most this many bytes of keys keeps them in memory


def _prefix_bits(largest_band: int) -> int:
    """Directory bits for a segment whose largest band has ``largest_band`` entries."""
    bits = 0
    while bits < 24 and (largest_band >> bits) > _BUCKET:
        bits += 1
    return bits


@dataclass(frozen=True, slots=True)
class Matches:
    """Archive entries whose band key equals a query key.

    ``which[i]`` is the index (into the query's key list) of entry i's key, ``docs[i]`` its archive
    document and ``counts[i]`` that document's windows with the key. ``overflow`` lists query key
    indices whose entries were not gathered because there were more than the cap asked for.
    """

    which: npt.NDArray[np.int64]
    docs: npt.NDArray[np.uint32]
    counts: npt.NDArray[np.uint16]
    overflow: npt.NDArray[np.int64]


class Segment:
    """One segment file, read with ``pread``: a lookup reads the few hundred bytes of each asked key's cell.

    The file is not memory-mapped: a lookup touches a few thousand scattered places, and on a read
    fault Linux maps the 16 pages around each one ("fault-around", whatever ``madvise`` says), so
    one query's lookups would put hundreds of megabytes of the file in the process's resident set.
    Reads copy what is asked for only; the page cache still keeps the file's hot pages in memory.
    A coarse copy of the directory (every ``2**_COARSEN``-th offset) is kept in memory.
    """

    def __init__(self, path: Path, bands: int) -> None:
        self.path = path
        if sys.byteorder != "little":  # pragma: no cover - the kernels compare the file's bytes as numbers
            raise DedupError(f"{path}: archive indexes are read on little-endian machines only")
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise
        except OSError as error:
            raise DedupError(f"{path}: cannot read the segment file: {error.strerror or error}") from error
        try:
            self._read_header(bands)
        except BaseException:
            os.close(self._fd)
            raise

    def _read_header(self, bands: int) -> None:
        path = self.path
        try:
            size = os.fstat(self._fd).st_size
            head = os.pread(self._fd, _HEADER.size, 0)
        except OSError as error:
            raise DedupError(f"{path}: cannot read the segment file: {error.strerror or error}") from error
        if size < _HEADER.size or len(head) < _HEADER.size:
            raise DedupError(f"{path}: segment file is truncated ({size} bytes)")
        magic, version, file_bands, bits, base, entries, documents, last, doc_bytes, count_bytes = _HEADER.unpack(head)
        if magic != _MAGIC:
            raise DedupError(f"{path}: not a dedup segment file")
        if version != SEGMENT_VERSION:
            raise DedupError(
                f"{path}: segment format version {version}, this dedup reads version {SEGMENT_VERSION}; "
                + (
                    "it was made by a newer dedup: upgrade dedup to read it"
                    if version > SEGMENT_VERSION
                    else "rebuild the index with this version"
                )
            )
        if file_bands != bands:
            raise DedupError(f"{path}: segment has {file_bands} bands, the index's configuration {bands}")
        if doc_bytes not in (2, 4) or count_bytes not in (1, 2) or last < base or bits > 24:
            raise DedupError(f"{path}: segment header is damaged (document or count width, numbers, or bits)")
        width = (1 << bits) + 1
        expected = _HEADER.size + 8 * bands * width + (4 + doc_bytes + count_bytes) * entries
        if size != expected:
            raise DedupError(f"{path}: segment file has {size} bytes, its header says {expected}")
        self.bands, self.bits, self.entries, self.documents = bands, bits, entries, documents
        self.base, self.last, self.doc_bytes, self.count_bytes = base, last, doc_bytes, count_bytes
        self._keys_at = _HEADER.size + 8 * bands * width
        self._docs_at = self._keys_at + 4 * entries
        self._counts_at = self._docs_at + doc_bytes * entries
        # Every 2**step-th offset of the file's directory: cells of a few hundred entries, one read each.
        step = min(bits, _COARSEN)
        self.coarse_bits = bits - step
        self.coarse_width = (1 << self.coarse_bits) + 1
        coarse = np.empty((bands, self.coarse_width), dtype=np.int64)
        for b in range(bands):
            row = self._array(_HEADER.size + 8 * width * b, width, "<u8")
            coarse[b] = row[:: 1 << step]
        if entries and (np.any(np.diff(coarse, axis=1) < 0) or coarse[-1, -1] > entries or coarse[0, 0] < 0):
            raise DedupError(f"{path}: segment directory is damaged (offsets out of order or past the end)")
        self.coarse = coarse.ravel()
        # A small segment's keys are read once and searched in memory: the segments of the last
        # few adds are many and small (the merges keep the large ones few), and a lookup read
        # costs as much in a small file as in a large one.
        small = 4 * entries <= _HELD_BYTES
        self._held = self._array(self._keys_at, entries, "<u4") if small else np.zeros(0, dtype=np.uint32)

    def _array(self, at: int, count: int, dtype: str) -> npt.NDArray[Any]:
        """``count`` items of ``dtype`` read at byte ``at``."""
        out = np.empty(count, dtype=dtype)
        view = memoryview(out).cast("B")  # type: ignore[arg-type]
        done = 0
        try:
            while done < len(view):
                got = os.preadv(self._fd, [view[done:]], at + done)
                if got == 0:
                    raise DedupError(f"{self.path}: segment file ends early (truncated while in use?)")
                done += got
        except OSError as error:
            raise DedupError(f"{self.path}: cannot read the segment file: {error.strerror or error}") from error
        return out

    def band_slice(self, band: int) -> slice:
        """The entries of one band."""
        row = band * self.coarse_width
        return slice(int(self.coarse[row]), int(self.coarse[row + self.coarse_width - 1]))

    def band(self, band: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.uint16]]:
        """Keys, documents and window counts of every entry of one band (read whole: for merges)."""
        s = self.band_slice(band)
        n = s.stop - s.start
        counts = self._array(self._counts_at + self.count_bytes * s.start, n, f"<u{self.count_bytes}")
        return self._array(self._keys_at + 4 * s.start, n, "<u4"), self.band_docs(band), counts.astype(np.uint16)

    def band_docs(self, band: int) -> npt.NDArray[np.uint32]:
        """The document numbers of every entry of one band."""
        s = self.band_slice(band)
        docs = self._array(self._docs_at + self.doc_bytes * s.start, s.stop - s.start, f"<u{self.doc_bytes}")
        return docs if self.doc_bytes == 4 else docs.astype(np.uint32) + np.uint32(self.base)

    def lookup(self, bands: npt.NDArray[np.int64], keys: npt.NDArray[np.uint32], cap: int | None = None) -> Matches:
        """The entries whose (band, key) is one of the given pairs (each pair given once).

        With ``cap``, a pair with more than ``cap`` entries in this segment is reported in
        ``overflow`` instead of gathered.
        """
        bands = np.ascontiguousarray(bands, dtype=np.int64)
        keys = np.ascontiguousarray(keys, dtype=np.uint32)
        if len(bands) and (int(bands.min()) < 0 or int(bands.max()) >= self.bands):
            raise ParameterError(f"bands must be in [0, {self.bands}), got {int(bands.min())}..{int(bands.max())}")
        which, docs, counts, overflow, status = _lookup(
            self._fd,
            self.coarse,
            self.coarse_width,
            32 - self.coarse_bits,
            self._keys_at,
            self._docs_at,
            self._counts_at,
            self.base,
            self.doc_bytes,
            self.count_bytes,
            bands,
            keys,
            -1 if cap is None else int(cap),
            self._held,
        )
        if status:
            raise DedupError(f"{self.path}: cannot read the segment file (short read at byte {status - 1})")
        return Matches(which, docs, counts, overflow)

    def close(self) -> None:
        """Close the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


_pread: Any = types.ExternalFunction("pread", types.int64(types.int32, types.intp, types.uint64, types.int64))
"""libc's pread, called from the kernels: the buffer is passed as its address."""


@njit(cache=True, nogil=True)
def _read(fd: int, buf: Any, count: int, at: int) -> bool:
    """Read ``count`` items into ``buf`` from byte ``at``; False on a short read or an error."""
    want = count * buf.itemsize
    return count == 0 or _pread(fd, buf.ctypes.data, want, at) == want


@njit(cache=True, nogil=True)
def _bound(fd: int, keys_at: int, lo: int, hi: int, key: int, right: bool, buf: Any) -> int:
    """The first entry in [lo, hi) whose key is above ``key`` (``right``) or at least ``key``; -1 on a read error."""
    one = buf[:1]
    while hi - lo > len(buf):
        mid = (lo + hi) // 2
        if not _read(fd, one, 1, keys_at + 4 * mid):
            return -1
        if one[0] < key or (right and one[0] == key):
            lo = mid + 1
        else:
            hi = mid
    if not _read(fd, buf, hi - lo, keys_at + 4 * lo):
        return -1
    part = buf[: hi - lo]
    if right:
        return lo + int(np.searchsorted(part, key, side="right"))
    return lo + int(np.searchsorted(part, key, side="left"))


@njit(cache=True, nogil=True)
def _failed(status: int) -> tuple[Any, Any, Any, Any, int]:
    return (
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.uint32),
        np.empty(0, dtype=np.uint16),
        np.empty(0, dtype=np.int64),
        status,
    )


@njit(cache=True, nogil=True)
def _lookup(
    fd: int,
    coarse: Any,
    width: int,
    shift: int,
    keys_at: int,
    docs_at: int,
    counts_at: int,
    base: int,
    doc_bytes: int,
    count_bytes: int,
    bands: Any,
    keys: Any,
    cap: int,
    held: Any,
) -> tuple[Any, Any, Any, Any, int]:
    """Entries of the asked (band, key) pairs: (which, docs, counts, overflow, status).

    With the segment's keys ``held`` in memory, a search of the key's cell there; otherwise one
    read of the cell for a key whose cell fits the buffer (nearly all), a bisection with
    one-entry reads for a cell of a very common key. ``status`` is 0, or 1 + the byte offset of a
    failed read.
    """
    n = len(keys)
    buf = np.empty(_BUFFER, dtype=np.uint32)
    first = np.zeros(n, dtype=np.int64)
    found = np.zeros(n, dtype=np.int64)
    for i in range(n):
        key = keys[i]
        cell = bands[i] * width + (np.int64(key) >> shift)
        lo = coarse[cell]
        hi = coarse[cell + 1]
        if len(held):
            a = lo + np.searchsorted(held[lo:hi], key, side="left")
            b = lo + np.searchsorted(held[lo:hi], key, side="right")
        elif hi - lo <= len(buf):
            if hi > lo:
                if not _read(fd, buf, hi - lo, keys_at + 4 * lo):
                    return _failed(1 + keys_at + 4 * lo)
                part = buf[: hi - lo]
                a = lo + np.searchsorted(part, key, side="left")
                b = lo + np.searchsorted(part, key, side="right")
            else:
                a = b = lo
        else:
            a = _bound(fd, keys_at, lo, hi, key, False, buf)
            b = _bound(fd, keys_at, max(a, lo), hi, key, True, buf)
            if a < 0 or b < 0:
                return _failed(1 + keys_at + 4 * lo)
        first[i] = a
        found[i] = b - a
    total = 0
    overflowing = 0
    for i in range(n):
        if cap >= 0 and found[i] > cap:
            overflowing += 1
        else:
            total += found[i]
    which = np.empty(total, dtype=np.int64)
    docs = np.empty(total, dtype=np.uint32)
    counts = np.empty(total, dtype=np.uint16)
    overflow = np.empty(overflowing, dtype=np.int64)
    # Narrow columns are read into these and widened (a key's entries are few: one read each).
    narrow_docs = np.empty(total if doc_bytes == 2 else 0, dtype=np.uint16)
    narrow_counts = np.empty(total if count_bytes == 1 else 0, dtype=np.uint8)
    at = 0
    o = 0
    for i in range(n):
        c = found[i]
        if cap >= 0 and c > cap:
            overflow[o] = i
            o += 1
            continue
        if c == 0:
            continue
        doc_at, count_at = docs_at + doc_bytes * first[i], counts_at + count_bytes * first[i]
        if doc_bytes == 2:
            if not _read(fd, narrow_docs[at : at + c], c, doc_at):
                return _failed(1 + doc_at)
            for k in range(at, at + c):
                docs[k] = np.uint32(base) + np.uint32(narrow_docs[k])
        elif not _read(fd, docs[at : at + c], c, doc_at):
            return _failed(1 + doc_at)
        if count_bytes == 1:
            if not _read(fd, narrow_counts[at : at + c], c, count_at):
                return _failed(1 + count_at)
            for k in range(at, at + c):
                counts[k] = narrow_counts[k]
        elif not _read(fd, counts[at : at + c], c, count_at):
            return _failed(1 + count_at)
        which[at : at + c] = i
        at += c
    return which, docs, counts, overflow, 0


def _write(
    path: Path,
    bands: int,
    documents: int,
    sizes: Sequence[int],
    part: Callable[[int], tuple[np.ndarray, np.ndarray, np.ndarray]],
    numbers: tuple[int, int],
    wide_counts: bool,
    pool: Executor | None = None,
) -> int:
    """Write a segment whose band b has ``sizes[b]`` entries, given sorted as ``part(b)``; fsync it; return its size.

    ``numbers`` are the smallest and largest document numbers the parts may hold, ``wide_counts``
    whether a count may pass 255: they choose the columns' widths. Each band is written at its
    place in the file (the sizes fix every place in advance); with ``pool``, bands are made and
    written on its threads, two a thread at most in memory.
    """
    entries = sum(sizes)
    bits = _prefix_bits(max(sizes, default=0))
    width = (1 << bits) + 1
    grid = (np.arange(width - 1, dtype=np.uint64) << np.uint64(32 - bits)).astype(np.uint32)
    base, last = numbers
    doc_bytes = 2 if last - base <= 0xFFFF else 4
    count_bytes = 2 if wide_counts else 1
    header = _HEADER.pack(_MAGIC, SEGMENT_VERSION, bands, bits, base, entries, documents, last, doc_bytes, count_bytes)
    at_dir = _HEADER.size
    at_keys = at_dir + 8 * bands * width
    at_docs = at_keys + 4 * entries
    at_counts = at_docs + doc_bytes * entries
    starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).tolist()

    def put(fd: int, b: int) -> None:
        keys, docs, counts = part(b)
        if len(keys) != sizes[b]:
            raise DedupError(f"{path}: band {b} has {len(keys)} entries, {sizes[b]} were announced")
        if len(keys) and (int(docs.min()) < base or int(docs.max()) > last):
            raise DedupError(f"{path}: band {b} has document numbers outside {base}..{last}")
        if count_bytes == 1 and len(counts) and int(counts.max()) > 0xFF:
            raise DedupError(f"{path}: band {b} has a window count above 255, announced at most 255")
        start = starts[b]
        row = np.empty(width, dtype="<u8")
        row[:-1] = np.searchsorted(keys, grid, "left")
        row[-1] = len(keys)
        row += np.uint64(start)
        write_at(fd, row, at_dir + 8 * width * b)
        write_at(fd, np.ascontiguousarray(keys, dtype="<u4"), at_keys + 4 * start)
        narrow = docs - np.uint32(base) if doc_bytes == 2 else docs
        write_at(fd, np.ascontiguousarray(narrow, dtype=f"<u{doc_bytes}"), at_docs + doc_bytes * start)
        write_at(fd, np.ascontiguousarray(counts, dtype=f"<u{count_bytes}"), at_counts + count_bytes * start)

    ahead = 2 * getattr(pool, "_max_workers", 1) if pool is not None else 0
    coming: dict[int, Future[None]] = {}
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_at(fd, header, 0)
            for b in range(bands):
                if pool is None:
                    put(fd, b)
                    continue
                # Copying into the page cache is much of a band's cost: the threads write too.
                for later in range(b, min(bands, b + ahead)):
                    if later not in coming:
                        coming[later] = pool.submit(put, fd, later)
                coming.pop(b).result()
            os.fsync(fd)
        finally:
            for waiting in coming.values():
                waiting.cancel()
            wait(coming.values())  # none writes to the descriptor once it is closed
            os.close(fd)
    except OSError as error:
        raise DedupError(f"{path}: cannot write the segment file: {error.strerror or error}") from error
    return at_counts + count_bytes * entries


def _band_entries(
    keys: npt.NDArray[np.uint32], docs: npt.NDArray[np.uint32], in_order: bool | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (key, doc) of one band's windows, sorted, with their window counts.

    ``in_order`` says whether ``docs`` is ascending (checked when None): every band of a segment
    shares the same documents, so the caller checks once.
    """
    keys = np.ascontiguousarray(keys, dtype=np.uint32)
    docs = np.ascontiguousarray(docs, dtype=np.uint32)
    if in_order is None:
        in_order = _ascending(docs)
    # Windows come in document order from an add: sorting by key alone (stable) is enough then.
    values = _packed(keys, docs)
    values, counts = _sorted_distinct(values, 32 if in_order else 0)
    return _unpacked(values, counts, _MAX_COUNT)


@njit(cache=True, nogil=True)
def _ascending(values: Any) -> bool:
    for i in range(1, len(values)):  # noqa: SIM110 - a loop numba compiles, no generator
        if values[i] < values[i - 1]:
            return False
    return True


@njit(cache=True, nogil=True)
def _packed(keys: Any, docs: Any) -> Any:
    """``key << 32 | doc`` of every window, in one pass (numpy's expression makes four arrays)."""
    out = np.empty(len(keys), dtype=np.uint64)
    for i in range(len(keys)):
        out[i] = (np.uint64(keys[i]) << np.uint64(32)) | np.uint64(docs[i])
    return out


@njit(cache=True, nogil=True)
def _unpacked(values: Any, counts: Any, most: int) -> tuple[Any, Any, Any]:
    """The key and document columns of packed ``values``, and ``counts`` capped at ``most``, in one pass."""
    n = len(values)
    keys = np.empty(n, dtype=np.uint32)
    docs = np.empty(n, dtype=np.uint32)
    capped = np.empty(n, dtype=np.uint16)
    for i in range(n):
        keys[i] = np.uint32(values[i] >> np.uint64(32))
        docs[i] = np.uint32(values[i] & np.uint64(0xFFFFFFFF))
        capped[i] = min(counts[i], most)
    return keys, docs, capped


@njit(cache=True, nogil=True)
def _sorted_distinct(values: Any, low_bit: int) -> tuple[Any, Any]:
    """Distinct values, sorted by their bits from ``low_bit`` up (stable), and how often each occurs.

    A least-significant-digit radix sort, 8 bits a pass (a pass whose digit is the same for every
    value is skipped), cheaper than numpy's sort on a batch's band (docs/performance.md). With
    ``low_bit`` 32, values must already be in order by their low 32 bits. ``values`` is sorted in
    place: callers hand over an array of their own.
    """
    n = len(values)
    src = values
    dst = np.empty_like(src)
    passes = (64 - low_bit + 7) // 8
    counts = np.zeros((passes, 256), dtype=np.int64)
    mask = np.uint64(255)
    for i in range(n):  # every pass's histogram in one read
        v = src[i]
        for p in range(passes):
            counts[p, np.intp((v >> np.uint64(low_bit + 8 * p)) & mask)] += 1
    for p in range(passes):
        row = counts[p]
        if n == 0 or row.max() == n:
            continue
        total = 0
        for d in range(256):
            c = row[d]
            row[d] = total
            total += c
        s = np.uint64(low_bit + 8 * p)
        for i in range(n):
            v = src[i]
            digit = np.intp((v >> s) & mask)
            dst[row[digit]] = v
            row[digit] += 1
        src, dst = dst, src
    distinct = 0
    for i in range(n):
        if i == 0 or src[i] != src[i - 1]:
            distinct += 1
    out = np.empty(distinct, dtype=np.uint64)
    times = np.zeros(distinct, dtype=np.uint32)
    k = -1
    for i in range(n):
        if i == 0 or src[i] != src[i - 1]:
            k += 1
            out[k] = src[i]
        times[k] += 1
    return out, times


def write_segment(
    path: Path,
    band_keys: Sequence[npt.NDArray[np.uint32]],
    window_docs: npt.NDArray[np.uint32],
    documents: int,
    pool: Executor | None = None,
    members: Callable[[int], npt.NDArray[np.integer] | None] | None = None,
) -> tuple[int, int]:
    """Write the segment of windows with band keys ``band_keys[band][window]`` of documents ``window_docs``.

    ``band_keys`` is a ``[bands, windows]`` array, or any sequence of bands (read one at a time).
    ``members(band)``, when given and not None for a band, are the windows that band holds (ascending),
    ``band_keys[band]`` one key each (a short document's windows have more bands than the others').

    Bands are sorted and written on ``pool``'s threads when one is given (the sort kernel releases the GIL).
    Returns (entries, bytes). The file is fsynced; the caller fsyncs the directory.
    """
    bands = range(len(band_keys))
    window_docs = np.ascontiguousarray(window_docs, dtype=np.uint32)
    in_order = bool(_ascending(window_docs))

    def entries(b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        held = members(b) if members is not None else None
        return _band_entries(band_keys[b], window_docs if held is None else window_docs[held], in_order)

    parts = [entries(b) for b in bands] if pool is None else list(pool.map(entries, bands))
    sizes = [len(p[0]) for p in parts]
    numbers = (int(window_docs.min()), int(window_docs.max())) if len(window_docs) else (0, 0)
    wide_counts = any(len(p[2]) and int(p[2].max()) > 0xFF for p in parts)
    return sum(sizes), _write(path, len(band_keys), documents, sizes, lambda b: parts[b], numbers, wide_counts, pool)


@njit(cache=True, nogil=True)
def _merge_runs(keys: Any, docs: Any, counts: Any, bounds: Any) -> tuple[Any, Any, Any]:
    """Entries made of runs ``bounds[i]:bounds[i + 1]``, each sorted by (key, doc), sorted as one: pairwise merges.

    The entries of a run keep their order, and an entry of an earlier run comes first among equals. The arrays given are
    used as scratch space.
    """
    src_k, src_d, src_c = keys, docs, counts
    dst_k, dst_d, dst_c = np.empty_like(keys), np.empty_like(docs), np.empty_like(counts)
    runs = bounds
    while len(runs) > 2:
        merged = np.empty(len(runs) // 2 + 1, dtype=np.int64)
        m = 0
        for r in range(0, len(runs) - 1, 2):
            lo, mid = runs[r], runs[r + 1]
            hi = runs[r + 2] if r + 2 < len(runs) else mid
            i, j = lo, mid
            for k in range(lo, hi):
                if j >= hi or (i < mid and (src_k[i] < src_k[j] or (src_k[i] == src_k[j] and src_d[i] <= src_d[j]))):
                    dst_k[k], dst_d[k], dst_c[k] = src_k[i], src_d[i], src_c[i]
                    i += 1
                else:
                    dst_k[k], dst_d[k], dst_c[k] = src_k[j], src_d[j], src_c[j]
                    j += 1
            merged[m] = lo
            m += 1
        merged[m] = runs[len(runs) - 1]
        runs = merged[: m + 1]
        src_k, dst_k = dst_k, src_k
        src_d, dst_d = dst_d, src_d
        src_c, dst_c = dst_c, src_c
    return src_k, src_d, src_c


def merge_segments(
    path: Path,
    segments: Sequence[Segment],
    bands: int,
    removed: npt.NDArray[np.uint32],
    documents: int,
    pool: Executor | None = None,
) -> tuple[int, int]:
    """Write one segment holding every entry of ``segments`` but those of ``removed`` documents.

    Bands are merged one at a time (a few at once on ``pool``'s threads), so memory holds a few
    bands of the inputs. Returns (entries, bytes).
    """

    def kept(seg: Segment, docs: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_] | None:
        return ~np.isin(docs, removed) if len(removed) else None

    sizes = []
    for b in range(bands):
        size = 0
        for seg in segments:
            s = seg.band_slice(b)
            if len(removed):
                size += int(np.count_nonzero(~np.isin(seg.band_docs(b), removed)))
            else:
                size += s.stop - s.start
        sizes.append(size)

    def part(b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keys, docs, counts, bounds = [], [], [], [0]
        for seg in segments:
            k, d, c = seg.band(b)
            keep = kept(seg, d)
            if keep is not None:
                k, d, c = k[keep], d[keep], c[keep]
            keys.append(k)
            docs.append(d)
            counts.append(c)
            bounds.append(bounds[-1] + len(k))
        if not keys:
            return np.zeros(0, np.uint32), np.zeros(0, np.uint32), np.zeros(0, np.uint16)
        # Each segment's part is sorted by (key, document) already, and documents are numbered
        # apart in different segments: merging the runs orders them all.
        k, d, c = np.concatenate(keys), np.concatenate(docs), np.concatenate(counts)
        return _merge_runs(k, d, c, np.array(bounds, dtype=np.int64))

    # The inputs' number ranges and count widths bound the merged segment's (entries only go).
    held = [seg for seg in segments if seg.entries]
    numbers = (min(seg.base for seg in held), max(seg.last for seg in held)) if held else (0, 0)
    wide_counts = any(seg.count_bytes == 2 for seg in held)
    size = _write(path, bands, documents, sizes, part, numbers, wide_counts, pool)
    return sum(sizes), size
