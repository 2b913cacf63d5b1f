"""Segment files: the archive's LSH band keys, sorted, written once and memory-mapped for lookups.

A segment holds, for every band, the distinct ``(key, document)`` pairs of the windows of a set of
documents with how many of the document's windows have that key (the scan counts windows, not
documents, against ``max_bucket``). A lookup finds a key through a directory of the key's top bits,
so it touches about two cache lines of the mapping instead of the ~20 of a binary search: a query
asks for a few thousand keys.

File layout (little-endian; format version :data:`SEGMENT_VERSION`)::

    header   64 bytes: magic b"DDUPSEG\\0", u32 version, u32 bands, u32 prefix bits D,
             u32 reserved, u64 entries, u64 documents, 24 bytes reserved (zero)
    dir      u64[bands, 2**D + 1]: entry offsets; band b's keys with top bits p are
             entries dir[b, p] to dir[b, p + 1]; dir[b, 2**D] is where band b ends
    keys     u32[entries]   sorted by (band, key, document)
    docs     u32[entries]   the archive number of the document
    counts   u16[entries]   windows of the document with the key (saturating at 65,535)

Files are immutable: they are written and fsynced before the catalogue that names them commits,
and a merge writes a new file.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._arrays import distinct_counts
from ..errors import DedupError

__all__ = ["SEGMENT_VERSION", "Matches", "Segment", "merge_segments", "write_segment"]

SEGMENT_VERSION = 1
_MAGIC = b"DDUPSEG\x00"
_HEADER = struct.Struct("<8sIIIIQQ24x")
_MAX_COUNT = 0xFFFF
_BUCKET = 32  # entries a directory cell aims at: one or two cache lines of keys
_LONG = 4096  # directory cells longer than this are searched by bisection, not gathered whole


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
    """One segment file, memory-mapped read-only."""

    def __init__(self, path: Path, bands: int) -> None:
        self.path = path
        try:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < _HEADER.size:
                    raise DedupError(f"{path}: segment file is truncated ({size} bytes)")
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            raise
        except OSError as error:
            raise DedupError(f"{path}: cannot read the segment file: {error.strerror or error}") from error
        magic, version, file_bands, bits, _, entries, documents = _HEADER.unpack_from(self._map, 0)
        if magic != _MAGIC:
            raise DedupError(f"{path}: not a dedup segment file")
        if version != SEGMENT_VERSION:
            raise DedupError(
                f"{path}: segment format version {version}, this dedup reads version {SEGMENT_VERSION}; "
                "rebuild the index with this version"
            )
        if file_bands != bands:
            raise DedupError(f"{path}: segment has {file_bands} bands, the index's configuration {bands}")
        width = (1 << bits) + 1
        expected = _HEADER.size + 8 * bands * width + 10 * entries
        if size != expected:
            raise DedupError(f"{path}: segment file has {size} bytes, its header says {expected}")
        self.bands, self.bits, self.entries, self.documents = bands, bits, entries, documents
        self.width = width
        at = _HEADER.size
        self.dir = np.frombuffer(self._map, dtype="<u8", count=bands * width, offset=at)
        at += 8 * bands * width
        self.keys = np.frombuffer(self._map, dtype="<u4", count=entries, offset=at)
        at += 4 * entries
        self.docs = np.frombuffer(self._map, dtype="<u4", count=entries, offset=at)
        at += 4 * entries
        self.counts = np.frombuffer(self._map, dtype="<u2", count=entries, offset=at)

    def band_slice(self, band: int) -> slice:
        """The entries of one band."""
        return slice(int(self.dir[band * self.width]), int(self.dir[band * self.width + self.width - 1]))

    def lookup(self, bands: npt.NDArray[np.int64], keys: npt.NDArray[np.uint32], cap: int | None = None) -> Matches:
        """The entries whose (band, key) is one of the given pairs (each pair given once).

        With ``cap``, a pair with more than ``cap`` entries in this segment is reported in
        ``overflow`` instead of gathered.
        """
        shift = np.uint64(32 - self.bits)
        prefix = (keys.astype(np.uint64) >> shift).astype(np.int64) if self.bits else np.zeros(len(keys), np.int64)
        cell = bands * self.width + prefix
        lo = self.dir[cell].astype(np.int64)
        hi = self.dir[cell + 1].astype(np.int64)
        lengths = hi - lo
        long = np.flatnonzero(lengths > _LONG)
        found_which, found_at, overflow = [], [], []
        if len(long):
            for i in long.tolist():
                part = self.keys[lo[i] : hi[i]]
                a = int(np.searchsorted(part, keys[i], "left"))
                b = int(np.searchsorted(part, keys[i], "right"))
                if cap is not None and b - a > cap:
                    overflow.append(i)
                    continue
                found_which.append(np.full(b - a, i, dtype=np.int64))
                found_at.append(np.arange(lo[i] + a, lo[i] + b, dtype=np.int64))
            lengths[long] = 0
        total = int(lengths.sum())
        if total:
            # Every entry of every asked cell, flattened, then kept where its key is the one asked.
            which = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
            starts = np.cumsum(lengths) - lengths
            at = np.arange(total, dtype=np.int64) + np.repeat(lo - starts, lengths)
            hit = self.keys[at] == keys[which]
            which, at = which[hit], at[hit]
            if cap is not None and len(which):
                per = np.bincount(which, minlength=len(keys))
                big = np.flatnonzero(per > cap)
                if len(big):
                    overflow.extend(big.tolist())
                    keep = ~np.isin(which, big)
                    which, at = which[keep], at[keep]
            found_which.append(which)
            found_at.append(at)
        which = np.concatenate(found_which) if found_which else np.zeros(0, np.int64)
        at = np.concatenate(found_at) if found_at else np.zeros(0, np.int64)
        return Matches(which, self.docs[at], self.counts[at], np.array(sorted(overflow), dtype=np.int64))

    def release(self) -> None:
        """Drop the pages of the mapping from this process (they stay in the page cache for the next lookup)."""
        if hasattr(mmap, "MADV_DONTNEED"):
            self._map.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        """Release the mapping (arrays taken from it must not be used afterwards)."""
        self.dir = self.keys = self.docs = self.counts = None  # type: ignore[assignment]
        # A caller may still hold a view (BufferError): the mapping goes when the last view does.
        with contextlib.suppress(BufferError):
            self._map.close()


def _write(
    path: Path,
    bands: int,
    documents: int,
    sizes: Sequence[int],
    part: Callable[[int], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> int:
    """Write a segment whose band b has ``sizes[b]`` entries, given sorted as ``part(b)``; fsync it; return its size.

    Bands are written one at a time at their places in the file, so only one band is in memory.
    """
    entries = sum(sizes)
    bits = _prefix_bits(max(sizes, default=0))
    width = (1 << bits) + 1
    grid = np.arange(width, dtype=np.uint64) << np.uint64(32 - bits)
    header = _HEADER.pack(_MAGIC, SEGMENT_VERSION, bands, bits, 0, entries, documents)
    at_dir = _HEADER.size
    at_keys = at_dir + 8 * bands * width
    at_docs = at_keys + 4 * entries
    at_counts = at_docs + 4 * entries
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _pwrite(fd, header, 0)
            start = 0
            for b in range(bands):
                keys, docs, counts = part(b)
                if len(keys) != sizes[b]:
                    raise DedupError(f"{path}: band {b} has {len(keys)} entries, {sizes[b]} were announced")
                row = start + np.searchsorted(keys.astype(np.uint64), grid, "left").astype("<u8")
                row[-1] = start + len(keys)
                _pwrite(fd, row.tobytes(), at_dir + 8 * width * b)
                _pwrite(fd, np.ascontiguousarray(keys, dtype="<u4").tobytes(), at_keys + 4 * start)
                _pwrite(fd, np.ascontiguousarray(docs, dtype="<u4").tobytes(), at_docs + 4 * start)
                _pwrite(fd, np.ascontiguousarray(counts, dtype="<u2").tobytes(), at_counts + 2 * start)
                start += len(keys)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise DedupError(f"{path}: cannot write the segment file: {error.strerror or error}") from error
    return at_counts + 2 * entries


def _pwrite(fd: int, data: bytes, at: int) -> None:
    view = memoryview(data)
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], at + done)


def _band_entries(
    keys: npt.NDArray[np.uint32], docs: npt.NDArray[np.uint32]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (key, doc) of one band's windows, sorted, with their window counts."""
    packed = (keys.astype(np.uint64) << np.uint64(32)) | docs.astype(np.uint64)
    values, counts = distinct_counts(packed)
    return (
        (values >> np.uint64(32)).astype(np.uint32),
        (values & np.uint64(0xFFFFFFFF)).astype(np.uint32),
        np.minimum(counts, _MAX_COUNT).astype(np.uint16),
    )


def write_segment(
    path: Path,
    band_keys: npt.NDArray[np.uint32],
    window_docs: npt.NDArray[np.uint32],
    documents: int,
    pool: Executor | None = None,
) -> tuple[int, int]:
    """Write the segment of windows with band keys ``band_keys[band, window]`` of documents ``window_docs``.

    Bands are sorted on ``pool``'s threads when one is given (numpy's sort releases the GIL).
    Returns (entries, bytes). The file is fsynced; the caller fsyncs the directory.
    """
    bands = range(band_keys.shape[0])
    if pool is None:
        parts = [_band_entries(band_keys[b], window_docs) for b in bands]
    else:
        parts = list(pool.map(lambda b: _band_entries(band_keys[b], window_docs), bands))
    sizes = [len(p[0]) for p in parts]
    return sum(sizes), _write(path, band_keys.shape[0], documents, sizes, lambda b: parts[b])


def merge_segments(
    path: Path, segments: Sequence[Segment], bands: int, removed: npt.NDArray[np.uint32], documents: int
) -> tuple[int, int]:
    """Write one segment holding every entry of ``segments`` but those of ``removed`` documents.

    One band is merged at a time, so memory holds one band of the inputs. Returns (entries, bytes).
    """

    def kept(seg: Segment, b: int) -> npt.NDArray[np.bool_] | None:
        return ~np.isin(seg.docs[seg.band_slice(b)], removed) if len(removed) else None

    sizes = []
    for b in range(bands):
        size = 0
        for seg in segments:
            keep = kept(seg, b)
            s = seg.band_slice(b)
            size += (s.stop - s.start) if keep is None else int(keep.sum())
        sizes.append(size)

    def part(b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keys, docs, counts = [], [], []
        for seg in segments:
            s = seg.band_slice(b)
            k, d, c = seg.keys[s], seg.docs[s], seg.counts[s]
            keep = kept(seg, b)
            if keep is not None:
                k, d, c = k[keep], d[keep], c[keep]
            keys.append(k)
            docs.append(d)
            counts.append(c)
        if not keys:
            return np.zeros(0, np.uint32), np.zeros(0, np.uint32), np.zeros(0, np.uint16)
        k, d, c = np.concatenate(keys), np.concatenate(docs), np.concatenate(counts)
        # Documents are numbered apart in different segments: (key, doc) never repeats across them,
        # and each segment's part is sorted already (a merge of runs for the stable sort).
        order = np.argsort((k.astype(np.uint64) << np.uint64(32)) | d.astype(np.uint64), kind="stable")
        return k[order], d[order], c[order]

    size = _write(path, bands, documents, sizes, part)
    return sum(sizes), size
