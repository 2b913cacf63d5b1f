"""The band join of the Spark engine: band keys to their partition as blobs, bucket pairs, shared bands counted.

The local engine's candidate search (:mod:`dedup.lsh`) as three per-partition steps between two
shuffles; the pairs and the bands each shares are the local engine's exactly, a skipped bucket's
chain included (a document's number is its chain key, :func:`dedup.candidates.document_key`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from ..candidates import chained_pairs
from ._arrow import binary_lengths, binary_rows, binary_values, task_start
from ._statistics import shipped

__all__ = [
    "BAND_BLOBS",
    "COUNTED",
    "NO_DOC",
    "PAIR_BLOBS",
    "band_blobs",
    "bucket_pairs",
    "count_pairs",
    "shared_bands",
    "skipped_rows",
]


BAND_BLOBS = "part int, bandkey binary, doc binary, source binary, windows binary"
_BLOB_ROWS = 1 << 14  # band rows a blob holds at most (a received Arrow batch stays far below 2 GB)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_blobs(
    batches: Iterator[pa.RecordBatch],
    partitions: int,
    labels: list[int] | None = None,
    marks: Any = None,
    max_bucket: int = 256,
) -> Iterator[pa.RecordBatch]:
    """The distinct band keys of each document (columns doc, source_key, keys, windows), bound for their partition.

    A band row is (bandkey, doc, source, windows); the rows bound for one of the ``partitions``
    partitions of the band join (by a hash of the band key) travel together as one row of arrays
    (``part`` and the four columns' bytes): Spark shuffles a few large rows instead of one row per
    band key, which costs a tenth of the time (a per-row shuffle of 40 bytes a row dominated the scan).
    ``labels[p]`` is the ``part`` value written for partition p (default p). ``marks`` (``key_bits``
    and the merged ``twice`` bitmap, or a Spark broadcast of them) leaves out the keys no other
    document holds (:func:`shipped`).
    """
    task_start()
    filter_by = marks.value if hasattr(marks, "value") else marks
    if filter_by is not None:
        key_bits, twice = filter_by[0], np.frombuffer(filter_by[1], dtype=np.uint64)
    for batch in batches:
        counts = binary_lengths(batch.column("keys")) // 8
        if not counts.sum():
            continue
        bandkey = binary_values(batch.column("keys"), np.uint64)
        windows = binary_values(batch.column("windows"), np.int32)
        doc = np.repeat(batch.column("doc").to_numpy(), counts)
        source = np.repeat(batch.column("source_key").to_numpy(), counts)
        if filter_by is not None:
            keep = shipped(bandkey, windows, key_bits, twice, max_bucket)
            bandkey, windows, doc, source = bandkey[keep], windows[keep], doc[keep], source[keep]
        part = ((bandkey * _MIX) >> np.uint64(32)) % np.uint64(partitions)
        columns = {"bandkey": bandkey, "doc": doc, "source": source, "windows": windows}
        found = _blob_rows(part, partitions, labels, columns)
        if found is not None:
            yield found


def _received(batches: Iterator[pa.RecordBatch]) -> pa.Table | None:
    """A task's received blob batches as one table (None when it received none)."""
    received = list(batches)
    return pa.Table.from_batches(received) if received else None


def _blob_rows(
    part: npt.NDArray[np.uint64], partitions: int, labels: list[int] | None, columns: dict[str, npt.NDArray[Any]]
) -> pa.RecordBatch | None:
    """Rows bound for each partition as blobs: one row (``part`` and each column's bytes) per partition and slice."""
    if not len(part):
        return None
    # Partition numbers are small: a stable sort of 16-bit numbers is numpy's radix sort.
    order = np.argsort(part.astype(np.uint16) if partitions <= 1 << 16 else part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(partitions + 1, dtype=np.uint64))
    # The rows cut each partition's run of ``order`` in slices of at most _BLOB_ROWS, end to end:
    # each column, gathered once in that order, is its blob column's bytes as they are.
    parts: list[int] = []
    cuts = [0]
    for p in range(partitions):
        for s in range(int(bounds[p]), int(bounds[p + 1]), _BLOB_ROWS):
            parts.append(labels[p] if labels is not None else p)
            cuts.append(min(s + _BLOB_ROWS, int(bounds[p + 1])))
    offsets = np.array(cuts, dtype=np.int64)
    return pa.RecordBatch.from_pydict(
        {"part": pa.array(parts, pa.int32())}
        | {name: binary_rows(values[order], offsets) for name, values in columns.items()}
    )


PAIR_BLOBS = "part int, lo binary, hi binary, band binary"
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX3 = np.uint64(0xD6E8FEB86659FD93)  # the band's multiplier (the band-key filter's, as before the split)


def _pair_part(lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], partitions: int) -> npt.NDArray[np.uint64]:
    """The partition of each pair (lo, hi) in the count of shared bands: a hash of both documents."""
    mixed = (lo.view(np.uint64) * _MIX) ^ (hi.view(np.uint64) * _MIX2)
    return (mixed >> np.uint64(32)) % np.uint64(partitions)


def bucket_pairs(
    batches: Iterator[pa.RecordBatch],
    max_bucket: int,
    same_source: bool,
    partitions: int = 1,
    labels: list[int] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The document pairs of each bucket of a partition's band rows (blobs of :func:`band_blobs`), as blobs.

    The partition's rows are sorted by (band key, document) and each bucket (one band key) gives
    the pairs (lo, hi, band) of its documents (across sources unless ``same_source``), each
    (pair, band) once. A bucket holding more than ``max_bucket`` windows is skipped, as in the local
    engine (:func:`dedup.candidates.candidate_pairs_banded`), and travels as marker rows (a negative
    ``band``, which no real pair has; :func:`skipped_rows`): ``(bandkey, first document, -windows)``
    and, when another document holds it, ``(bandkey, second document, -1)``, the documents the two
    smallest of its document keys. Its documents are chained instead, as locally
    (:func:`dedup.candidates.chained_pairs`, in the order of their numbers, which are the local
    chain's keys), so that text every outlet ran still links its carriers. The rows
    leave as blobs (columns ``part, lo, hi, band``) bound for the partition of their pair, where
    :func:`count_pairs` counts the bands each pair shares: Spark shuffles a few large rows rather
    than one per (pair, band), and its own aggregation of millions of chance pairs is not needed.
    """
    task_start()
    types = {"bandkey": np.int64, "doc": np.int64, "source": np.int64, "windows": np.int32}
    table = _received(batches)
    if table is None:
        return
    columns = tuple(binary_values(table.column(name), types[name]).astype(np.int64) for name in BAND_COLUMNS)
    del table
    if not len(columns[0]):
        return
    # Grouped by band key (the order of documents within a bucket does not change its pairs).
    order = np.argsort(columns[0])
    lo, hi, band, skipped = _pairs_of(tuple(c[order] for c in columns), max_bucket, same_source)
    del columns, order
    if len(skipped):
        firsts, seconds = skipped, skipped[skipped[:, 2] != NO_DOC]
        lo = np.concatenate((lo, firsts[:, 0], seconds[:, 0]))
        hi = np.concatenate((hi, firsts[:, 1], seconds[:, 2]))
        band = np.concatenate((band, (-firsts[:, 3]).astype(np.int32), np.full(len(seconds), -1, np.int32)))
    found = _blob_rows(_pair_part(lo, hi, partitions), partitions, labels, {"lo": lo, "hi": hi, "band": band})
    if found is not None:
        yield found


BAND_COLUMNS = ("bandkey", "doc", "source", "windows")
# No second document in a skipped bucket: a document key (xxh64) is this one in 2**64.
NO_DOC = np.iinfo(np.int64).min


def skipped_rows(lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], band: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """The skipped buckets of the marker rows (negative ``band``) among (lo, hi, band) rows: one row
    ``(bandkey, first document, second document, windows)`` each, sorted by band key; the second
    document is ``NO_DOC`` when the bucket is all the first's.

    Example:
        >>> rows = skipped_rows(np.array([7, 7, 1, 9]), np.array([3, 5, 2, 4]), np.array([-300, -1, 0, -260]))
        >>> rows[:, [0, 1, 3]].tolist(), (rows[:, 2] == NO_DOC).tolist()
        ([[7, 3, 300], [9, 4, 260]], [False, True])
    """
    band = np.asarray(band, dtype=np.int64)
    first, second = band < -1, band == -1
    rows = np.empty((int(first.sum()), 4), dtype=np.int64)
    order = np.argsort(lo[first], kind="stable")
    rows[:, 0], rows[:, 1], rows[:, 3] = lo[first][order], hi[first][order], -band[first][order]
    rows[:, 2] = NO_DOC
    if second.any():
        at = np.searchsorted(rows[:, 0], lo[second])
        rows[at, 2] = hi[second]
    return rows


def _pairs_of(
    columns: tuple[npt.NDArray[np.int64], ...], max_bucket: int, same_source: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """The (lo, hi, band) rows of the buckets of sorted band rows, each (pair, band) once; and the buckets
    skipped, one row (bandkey, first document, second document or ``NO_DOC``, windows) each."""
    bandkey, doc, source, windows = columns
    nothing = np.zeros(0, dtype=np.int64)
    skipped = np.empty((int(windows.sum()) // (max_bucket + 1) + 1, 4), dtype=np.int64)
    if not len(bandkey):
        return nothing, nothing, np.zeros(0, dtype=np.int32), skipped[:0]
    count, suppressed = _bucket_kernel(bandkey, doc, source, windows, max_bucket, same_source, None, skipped)
    if not count:
        return nothing, nothing, np.zeros(0, dtype=np.int32), skipped[:suppressed]
    out = np.empty((3, count), dtype=np.int64)
    _bucket_kernel(bandkey, doc, source, windows, max_bucket, same_source, out, skipped)
    # A pair that shares several keys of one band (a true pair's windows collide often) shares
    # the band once: repeats are dropped before the shuffle.
    lo, hi, band = out
    first = np.empty(count, dtype=np.bool_)
    _first_rows(lo, hi, band, first)
    return lo[first], hi[first], band[first].astype(np.int32), skipped[:suppressed]


@njit(cache=True, nogil=True)
def _bucket_kernel(
    bandkey: npt.NDArray[np.int64],
    doc: npt.NDArray[np.int64],
    source: npt.NDArray[np.int64],
    windows: npt.NDArray[np.int64],
    max_bucket: int,
    same_source: bool,
    out: npt.NDArray[np.int64] | None,
    skipped: npt.NDArray[np.int64],
) -> tuple[int, int]:
    """Count (``out`` None) or write the pairs (lo, hi, band) of the buckets of sorted rows; and the buckets
    skipped, written to ``skipped`` (bandkey, the two smallest documents, windows) as they come.

    A skipped bucket still gives the pairs of its chain (:func:`dedup.candidates.chained_pairs`, the
    documents' numbers as their keys), so that text every outlet ran still links its carriers.
    """
    n = len(bandkey)
    count = 0
    suppressed = 0
    s = 0
    while s < n:
        e = s + 1
        held = windows[s]
        while e < n and bandkey[e] == bandkey[s]:
            held += windows[e]
            e += 1
        if held > max_bucket:
            first, second = doc[s], NO_DOC
            for x in range(s + 1, e):
                if doc[x] < first:
                    first, second = doc[x], first
                elif doc[x] != first and (second == NO_DOC or doc[x] < second):
                    second = doc[x]
            skipped[suppressed, 0], skipped[suppressed, 1] = bandkey[s], first
            skipped[suppressed, 2], skipped[suppressed, 3] = second, held
            suppressed += 1
            # Its chain, as the local engine's: a document's number is its chain key (document_key).
            lo, hi = chained_pairs(doc[s:e], doc[s:e], source[s:e], same_source)
            if out is not None:
                band = bandkey[s] >> 32
                for k in range(len(lo)):
                    out[0, count + k], out[1, count + k], out[2, count + k] = lo[k], hi[k], band
            count += len(lo)
        elif e - s > 1:
            band = bandkey[s] >> 32
            for x in range(s, e - 1):
                for y in range(x + 1, e):
                    if doc[x] == doc[y] or (not same_source and source[x] == source[y]):
                        continue
                    if out is not None:
                        out[0, count] = min(doc[x], doc[y])
                        out[1, count] = max(doc[x], doc[y])
                        out[2, count] = band
                    count += 1
        s = e
    return count, suppressed


@njit(cache=True, nogil=True)
def _slot(lo: np.int64, hi: np.int64, band: np.int64, mask: np.int64) -> np.int64:
    """A row's first slot in a table of ``mask + 1`` slots (a hash of the pair and band)."""
    mixed = (np.uint64(lo) * _MIX) ^ (np.uint64(hi) * _MIX2) ^ (np.uint64(band) * _MIX3)
    return np.int64((mixed ^ (mixed >> np.uint64(29))) & np.uint64(mask))


@njit(cache=True, nogil=True)
def _empty_slots(rows: int) -> npt.NDArray[np.int64]:
    """An open-addressing table for ``rows`` entries, every slot empty (-1): a power of two, at least twice as many."""
    size = 16
    while size < 2 * rows:
        size <<= 1
    return np.full(size, -1, dtype=np.int64)


@njit(cache=True, nogil=True)
def _first_rows(
    lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], band: npt.NDArray[Any], first: npt.NDArray[np.bool_]
) -> None:
    """Mark the first occurrence of each (lo, hi, band) row (a hash table of row numbers; no sort)."""
    slots = _empty_slots(len(lo))
    mask = np.int64(len(slots) - 1)
    for i in range(len(lo)):
        h = _slot(lo[i], hi[i], np.int64(band[i]), mask)
        while True:
            j = slots[h]
            if j < 0:
                slots[h] = i
                first[i] = True
                break
            if lo[j] == lo[i] and hi[j] == hi[i] and band[j] == band[i]:
                first[i] = False
                break
            h = (h + 1) & mask


@njit(cache=True, nogil=True)
def _pair_counts(
    lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], first: npt.NDArray[np.bool_], pair: npt.NDArray[np.int64],
    shared: npt.NDArray[np.int32],
) -> int:  # fmt: skip
    """Number the pairs of the rows marked ``first`` (first seen, first numbered) and count their rows.

    ``pair[k]`` is the first row of pair k, ``shared[k]`` its rows; returns the number of pairs.
    """
    slots = _empty_slots(len(lo))
    mask = np.int64(len(slots) - 1)
    pairs = 0
    for i in range(len(lo)):
        if not first[i]:
            continue
        h = _slot(lo[i], hi[i], np.int64(0), mask)
        while True:
            k = slots[h]
            if k < 0:
                slots[h] = pairs
                pair[pairs] = i
                shared[pairs] = 1
                pairs += 1
                break
            if lo[pair[k]] == lo[i] and hi[pair[k]] == hi[i]:
                shared[k] += 1
                break
            h = (h + 1) & mask
    return pairs


def shared_bands(
    lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], band: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The distinct pairs of (lo, hi, band) rows and the distinct bands each shares, in order of first appearance.

    Example:
        >>> lo, hi, band = np.array([1, 1, 2, 1]), np.array([5, 5, 6, 5]), np.array([0, 0, 3, 2])
        >>> [x.tolist() for x in shared_bands(lo, hi, band)]
        [[1, 2], [5, 6], [2, 1]]
    """
    first = np.empty(len(lo), dtype=np.bool_)
    pair = np.empty(len(lo), dtype=np.int64)
    shared = np.empty(len(lo), dtype=np.int32)
    if not len(lo):
        return pair, pair.copy(), shared
    _first_rows(lo, hi, band, first)
    pairs = _pair_counts(lo, hi, first, pair, shared)
    return lo[pair[:pairs]], hi[pair[:pairs]], shared[:pairs]


COUNTED = "lo bigint, hi bigint, shared int"


def count_pairs(batches: Iterator[pa.RecordBatch], least: int) -> Iterator[pa.RecordBatch]:
    """The bands each pair of a partition shares (blobs of :func:`bucket_pairs`): pairs sharing ``least`` or more.

    Every (pair, band) row of a pair comes to the pair's partition, so the count is the pair's
    whole count (the local engine's ``shared_bands``). Out: ``lo, hi, shared`` for the pairs kept,
    and the marker rows of the skipped buckets as they came (``shared`` the negative ``band``).
    """
    task_start()
    table = _received(batches)
    if table is None:
        return
    lo, hi = binary_values(table.column("lo"), np.int64), binary_values(table.column("hi"), np.int64)
    band = binary_values(table.column("band"), np.int32)
    del table
    marker = band < 0
    markers = (lo[marker], hi[marker], band[marker]) if marker.any() else None
    if markers is not None:
        lo, hi, band = lo[~marker], hi[~marker], band[~marker]
    pair_lo, pair_hi, shared = shared_bands(lo, hi, band)
    keep = shared >= least
    out_lo, out_hi, out_shared = pair_lo[keep], pair_hi[keep], shared[keep]
    if markers is not None:
        out_lo, out_hi = np.concatenate((out_lo, markers[0])), np.concatenate((out_hi, markers[1]))
        out_shared = np.concatenate((out_shared, markers[2]))
    if len(out_lo):
        yield pa.RecordBatch.from_pydict(
            {
                "lo": pa.array(out_lo, pa.int64()),
                "hi": pa.array(out_hi, pa.int64()),
                "shared": pa.array(out_shared, pa.int32()),
            }
        )
