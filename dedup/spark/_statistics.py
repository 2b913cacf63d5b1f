"""The statistics pass of the Spark engine: seed counts a partition at a time, and the band-key filter's bitmaps.

Each partition counts its documents' seed keys into the local engine's :class:`dedup.boilerplate.SeedCounts`
(the same keys, salts and sketch), so that the sum over partitions is the local engine's counts
exactly; the same pass marks the documents' band keys for the band join's filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from ..boilerplate import SeedCounts, salt_of_key
from ..recount import text_keys
from ..scan import ScanConfig
from ._arrow import binary_rows, binary_values, task_start

__all__ = [
    "SEED_COUNTS",
    "SOURCE_KEYS",
    "band_marks",
    "mark_band_keys",
    "merge_band_marks",
    "merge_seed_counts",
    "seed_counts",
    "seed_counts_of",
    "shipped",
    "source_keys",
    "sum_seed_counts",
]


# Each table and bitmap travels as (values, at): ``at`` null, the whole array; else the flat
# positions (uint32) of its nonzero slots and ``values`` theirs. A partition of a few documents
# fills a few thousand of the tables' two million slots: sent whole, every task shipped 16 MB to
# the driver (most of a small scan's statistics job).
SEED_COUNTS = (
    "documents bigint, corpus binary, corpus_at binary, within binary, within_at binary, sources binary, "
    "counts binary, seen binary, seen_at binary, twice binary, twice_at binary"
)
_PACKED = ("corpus", "within", "seen", "twice")
_SEED_COUNT_COLUMNS = [column.split()[0] for column in SEED_COUNTS.split(", ")]


def seed_counts(batches: Iterator[pa.RecordBatch], config: ScanConfig, key_bits: int = 0) -> Iterator[pa.RecordBatch]:
    """The seed counts (:class:`dedup.boilerplate.SeedCounts`) of a partition's documents (text, source_id, source_key).

    One row: the documents counted, the corpus and per-source count-min tables, and the documents of
    each source (two int64 arrays). The same keys, salts and sketch as the local engine's; tables
    and per-source counts add up, so their sum over partitions is the local engine's exactly.

    With ``key_bits`` (and a column ``keys``), the same pass marks the documents' band keys in two
    bitmaps of ``2**key_bits`` bits (:func:`mark_band_keys`), merged over partitions by
    :func:`merge_band_marks`; else ``seen`` and ``twice`` are empty.
    """
    task_start()
    counts = SeedCounts()
    seen, twice = band_marks(key_bits)
    for batch in batches:
        texts = batch.column("text").to_pylist()
        if texts:
            keys, key_offsets = text_keys(texts, config)
            salts = np.array([salt_of_key(k) for k in batch.column("source_key").to_pylist()], dtype=np.uint64)
            counts.add(keys, key_offsets, batch.column("source_id").to_numpy().astype(np.int64), salts)
        if key_bits:
            mark_band_keys(binary_values(batch.column("keys"), np.uint64), key_bits, seen, twice)
    yield _counts_row(counts.documents, counts.corpus.table, counts.within.table, counts.per_source, seen, twice)


SOURCE_KEYS = "source_id bigint, key bigint"


def source_keys(batches: Iterator[pa.RecordBatch], config: ScanConfig) -> Iterator[pa.RecordBatch]:
    """Each document's distinct seed keys with its source number (text, source_id), for exact boilerplate counts.

    Keys are uint64, carried as the bigint of the same bits (:mod:`dedup.recount`).
    """
    task_start()
    for batch in batches:
        texts = batch.column("text").to_pylist()
        if not texts:
            continue
        keys, key_offsets = text_keys(texts, config)
        sources = np.repeat(batch.column("source_id").to_numpy().astype(np.int64), np.diff(key_offsets))
        yield pa.RecordBatch.from_arrays([pa.array(sources), pa.array(keys.view(np.int64))], ["source_id", "key"])


def _counts_row(
    documents: int,
    corpus: npt.NDArray[np.uint32],
    within: npt.NDArray[np.uint32],
    per_source: dict[int, int],
    seen: npt.NDArray[np.uint64],
    twice: npt.NDArray[np.uint64],
) -> pa.RecordBatch:
    """One row of :data:`SEED_COUNTS`."""
    sources = np.array(sorted(per_source), dtype=np.int64)
    counts = np.array([per_source[s] for s in sources.tolist()], dtype=np.int64)
    columns: dict[str, pa.Array] = {"documents": pa.array([documents], pa.int64())}
    arrays: tuple[npt.NDArray[Any], ...] = (corpus, within, seen, twice)
    for name, array in zip(_PACKED, arrays, strict=True):
        values, at = _packed(array.reshape(-1))
        columns[name] = binary_rows(values, np.array([0, values.size]))
        if at is None:
            columns[f"{name}_at"] = pa.array([None], pa.binary())
        else:
            columns[f"{name}_at"] = binary_rows(at, np.array([0, at.size]))
    for name, values in (("sources", sources), ("counts", counts)):
        columns[name] = binary_rows(values, np.array([0, values.size]))
    # In the schema's order: Spark takes a batch's columns by position.
    return pa.RecordBatch.from_pydict({name: columns[name] for name in _SEED_COUNT_COLUMNS})


def _packed(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.uint32] | None]:
    """``values`` as sent: whole (positions None), or its nonzero values and their positions when that is smaller.

    Example:
        >>> _packed(np.array([0, 0, 7, 0, 0, 0], np.uint32))
        (array([7], dtype=uint32), array([2], dtype=uint32))
        >>> _packed(np.array([1, 2], np.uint32))
        (array([1, 2], dtype=uint32), None)
    """
    at = np.flatnonzero(values)
    if values.size > np.iinfo(np.uint32).max or at.size * (values.itemsize + 4) >= values.nbytes:
        return values, None
    return values[at], at.astype(np.uint32)


def _unpacked(row: dict[str, Any], name: str, dtype: Any, size: int) -> npt.NDArray[Any]:
    """The array ``name`` of a row of :data:`SEED_COUNTS`, whole (``size`` slots)."""
    values = np.frombuffer(row[name], dtype=dtype)
    if row[f"{name}_at"] is None:
        return values
    whole = np.zeros(size, dtype=dtype)
    whole[np.frombuffer(row[f"{name}_at"], dtype=np.uint32)] = values
    return whole


def _add_table(total: npt.NDArray[np.uint32], row: dict[str, Any], name: str) -> None:
    """Add the table ``name`` of a row of :data:`SEED_COUNTS` to ``total`` in place (its nonzero slots if so sent)."""
    values = np.frombuffer(row[name], dtype=np.uint32)
    if row[f"{name}_at"] is None:
        np.add(total, values, out=total)
    else:  # positions are distinct: a fancy-indexed add counts each once
        total[np.frombuffer(row[f"{name}_at"], dtype=np.uint32)] += values


_Summed = tuple[int, npt.NDArray[np.uint32], npt.NDArray[np.uint32], dict[int, int], tuple[Any, Any]]


def sum_seed_counts(batches: Iterable[pa.RecordBatch], key_bits: int = 0) -> _Summed | None:
    """The sum of rows of :data:`SEED_COUNTS` (tables added, bitmaps merged); None when there are none.

    Counts stay below 2**32 (documents), so the uint32 tables add up without overflow. ``key_bits``
    is the bitmaps' size, as given to :func:`seed_counts`.
    """
    documents, rows = 0, 0
    empty = SeedCounts()  # zeroed tables of the sketch's shape, summed into
    corpus, within = empty.corpus.table.reshape(-1), empty.within.table.reshape(-1)
    per_source: dict[int, int] = {}
    marks = band_marks(key_bits)
    words = marks[0].size
    for batch in batches:
        for r in batch.to_pylist():
            rows += 1
            documents += int(r["documents"])
            sources, counts = np.frombuffer(r["sources"], np.int64), np.frombuffer(r["counts"], np.int64)
            for source, n in zip(sources.tolist(), counts.tolist(), strict=True):
                per_source[source] = per_source.get(source, 0) + n
            _add_table(corpus, r, "corpus")
            _add_table(within, r, "within")
            other = _unpacked(r, "seen", np.uint64, words), _unpacked(r, "twice", np.uint64, words)
            marks = merge_band_marks(marks, other)
    return (documents, corpus, within, per_source, marks) if rows else None


def merge_seed_counts(batches: Iterator[pa.RecordBatch], key_bits: int = 0) -> Iterator[pa.RecordBatch]:
    """The rows of :data:`SEED_COUNTS` of a partition summed into one (a level of the statistics' merge tree)."""
    task_start()
    total = sum_seed_counts(batches, key_bits)
    if total is not None:
        documents, corpus, within, per_source, (seen, twice) = total
        yield _counts_row(documents, corpus, within, per_source, seen, twice)


# The band-key filter. Most band keys of a corpus are held by one document only (a window's band
# matches no other window): they make no pair, yet were most of the band join's shuffle. Before the
# join every document's distinct keys are marked in two bitmaps, "seen" and "seen in two documents"
# (a key's bit, from a hash of the key), and the join ships only the keys whose bit is in the second
# (or whose own windows already overflow a bucket, which the join must count). Two keys on one bit
# keep each other: the filter errs only on the side of shipping, so the join's pairs and counts
# are exactly those without it. A bucket over max_bucket of two documents or more has its bit in
# the second bitmap, so every document's row of it ships, however few of its windows each holds:
# its chain sees every document, as locally.
_KEY_MIX = np.uint64(0xD6E8FEB86659FD93)


def band_marks(key_bits: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Two empty bitmaps of ``2**key_bits`` bits (``seen``, ``twice``); none at all for ``key_bits`` 0.

    Example:
        >>> [len(m) for m in band_marks(8)]
        [4, 4]
    """
    words = (1 << key_bits) >> 6 if key_bits else 0
    return np.zeros(words, dtype=np.uint64), np.zeros(words, dtype=np.uint64)


@njit(cache=True, nogil=True)
def _mark_kernel(
    keys: npt.NDArray[np.uint64], shift: int, seen: npt.NDArray[np.uint64], twice: npt.NDArray[np.uint64]
) -> None:
    for k in keys:
        bit = (k * _KEY_MIX) >> np.uint64(shift)
        word, mask = bit >> np.uint64(6), np.uint64(1) << (bit & np.uint64(63))
        if seen[word] & mask:
            twice[word] |= mask
        else:
            seen[word] |= mask


def mark_band_keys(
    keys: npt.NDArray[np.uint64], key_bits: int, seen: npt.NDArray[np.uint64], twice: npt.NDArray[np.uint64]
) -> None:
    """Mark band keys in the bitmaps: a key's bit goes into ``twice`` when it is already in ``seen``.

    Each document's keys are distinct, so a bit in ``twice`` is a key held by two documents, or
    two keys on one bit.

    Example:
        >>> seen, twice = band_marks(8)
        >>> mark_band_keys(np.array([5, 7], dtype=np.uint64), 8, seen, twice)
        >>> mark_band_keys(np.array([5], dtype=np.uint64), 8, seen, twice)
        >>> keys, windows = np.array([5, 7], dtype=np.uint64), np.ones(2, dtype=np.int32)
        >>> shipped(keys, windows, 8, twice, max_bucket=256).tolist()
        [True, False]
    """
    if len(keys):
        _mark_kernel(keys, 64 - key_bits, seen, twice)


def merge_band_marks(
    x: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]], y: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The bitmaps of two sets of documents together: a bit is twice when twice in either or seen in both.

    Example:
        >>> one = (np.array([0b0011], np.uint64), np.array([0b0000], np.uint64))
        >>> other = (np.array([0b0110], np.uint64), np.array([0b1000], np.uint64))
        >>> [bin(int(m[0])) for m in merge_band_marks(one, other)]
        ['0b111', '0b1010']
    """
    return x[0] | y[0], x[1] | y[1] | (x[0] & y[0])


@njit(cache=True, nogil=True)
def _shipped_kernel(
    keys: npt.NDArray[np.uint64], windows: npt.NDArray[np.int32], shift: int, twice: npt.NDArray[np.uint64],
    max_bucket: int, out: npt.NDArray[np.bool_],
) -> None:  # fmt: skip
    for i in range(len(keys)):
        bit = (keys[i] * _KEY_MIX) >> np.uint64(shift)
        out[i] = bool(twice[bit >> np.uint64(6)] & (np.uint64(1) << (bit & np.uint64(63)))) or windows[i] > max_bucket


def shipped(
    keys: npt.NDArray[np.uint64],
    windows: npt.NDArray[np.int32],
    key_bits: int,
    twice: npt.NDArray[np.uint64],
    max_bucket: int,
) -> npt.NDArray[np.bool_]:
    """Which band keys the band join needs: those marked twice, and those whose own windows overflow a bucket."""
    out = np.empty(len(keys), dtype=np.bool_)
    if len(keys):
        _shipped_kernel(keys, windows, 64 - key_bits, twice, max_bucket, out)
    return out


def seed_counts_of(documents: int, corpus: bytes, within: bytes, per_source: dict[int, int]) -> SeedCounts:
    """The local engine's :class:`dedup.boilerplate.SeedCounts` from summed tables and per-source counts."""
    counts = SeedCounts()
    for table, raw in ((counts.corpus, corpus), (counts.within, within)):
        table.table = np.frombuffer(raw, dtype=np.uint32).reshape(table.table.shape).copy()
        table.documents = documents
    counts.per_source = dict(per_source)
    return counts
