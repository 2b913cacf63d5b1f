"""The per-partition work of the Spark engine: functions of Arrow record batches, run by Spark's Python workers.

Each function takes an iterator of ``pyarrow.RecordBatch`` (one partition) and yields record
batches, as ``DataFrame.mapInArrow`` wants. They call the local engine's own stage functions
(normalise, shingle, window signatures, band keys, seed keys, preparation, the per-pair alignment),
so both engines compute the same numbers; only the plumbing between stages is Spark's.
"""

from __future__ import annotations

import functools
import math
import typing
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import xxhash
from numba import njit

from .._pages import small_pages_from_now_on
from ..align import Prepared, document_keys
from ..boilerplate import Boilerplate, SeedCounts
from ..dates import parse_date
from ..normalize import normalize
from ..records import Pair, Passage, Span
from ..scan import _CACHE_BYTES as _LOCAL_CACHE_BYTES
from ..scan import ScanConfig, _locality_order, _sketch_batch, align_pair, prepare_text
from ..shingle import hash_many

__all__ = [
    "ALIGNED",
    "BAND_BLOBS",
    "COUNTED",
    "DOCUMENTS",
    "PAIR_BLOBS",
    "SAME",
    "SEED_COUNTS",
    "align_pairs",
    "band_blobs",
    "band_marks",
    "bucket_pairs",
    "count_pairs",
    "document_key",
    "documents",
    "mark_band_keys",
    "merge_band_marks",
    "merge_seed_counts",
    "pair_fields",
    "passage_fields",
    "same_slots",
    "seed_counts",
    "seed_counts_of",
    "shared_bands",
    "shipped",
    "sum_seed_counts",
]

# Spark types of the record fields (the records hold str, int and float only).
_SPARK_TYPES = {str: "string", int: "bigint", float: "double"}
_ARROW_TYPES = {str: pa.string(), int: pa.int64(), float: pa.float64()}


@functools.cache
def _layout(record: type) -> tuple[tuple[str, type], ...]:
    """A record's fields with their Python types (a Span field's type is Span): what both flattenings read."""
    hints = typing.get_type_hints(record)
    return tuple((f.name, hints[f.name]) for f in fields(record))


_SPAN_FIELDS = _layout(Span)


def _flat_fields(record: type) -> list[tuple[str, type]]:
    """A record's fields with their Python types, a Span field spread into ``<name>_doc/_start/_end``."""
    out: list[tuple[str, type]] = []
    for name, kind in _layout(record):
        if kind is Span:
            out.extend((f"{name}_{part}", part_kind) for part, part_kind in _SPAN_FIELDS)
        else:
            out.append((name, kind))
    return out


def _flat_row(record: Pair | Passage) -> dict[str, Any]:
    """A record's values as a row of :func:`_flat_fields` (``asdict``, which deep-copies, is slow)."""
    row: dict[str, Any] = {}
    record_type: type = type(record)
    for name, kind in _layout(record_type):
        value = getattr(record, name)
        if kind is Span:
            for part, _ in _SPAN_FIELDS:
                row[f"{name}_{part}"] = getattr(value, part)
        else:
            row[name] = value
    return row


def passage_fields() -> list[tuple[str, type]]:
    """The columns of a passage (the :class:`~dedup.records.Passage` fields, spans spread out).

    Example:
        >>> [name for name, _ in passage_fields()][:4]
        ['a_doc', 'a_start', 'a_end', 'b_doc']
    """
    return _flat_fields(Passage)


def pair_fields() -> list[tuple[str, type]]:
    """The columns of a pair (the :class:`~dedup.records.Pair` fields).

    Example:
        >>> [name for name, _ in pair_fields()][:3]
        ['a', 'b', 'coverage_a']
    """
    return _flat_fields(Pair)


def _ddl(columns: Iterable[tuple[str, type]]) -> str:
    return ", ".join(f"{name}: {_SPARK_TYPES[kind]}" for name, kind in columns)


def document_key(doc_id: str) -> int:
    """A document's 64-bit number in the Spark engine: xxh64 of its UTF-8 id, as a signed integer.

    Example:
        >>> document_key("a") == document_key("a"), document_key("a") == document_key("b")
        (True, False)
    """
    return int(np.uint64(xxhash.xxh64_intdigest(doc_id.encode("utf-8"))).astype(np.int64))


def _task_start() -> None:
    """A task's settings in its Python worker: no huge pages (dedup/_pages.py), and numba's threads.

    Numba may use as many threads as the task was given cores (one, unless spark.task.cpus says more).
    """
    small_pages_from_now_on()
    try:
        import numba
        from pyspark import TaskContext

        context = TaskContext.get()
        cores = context.cpus() if context is not None else 1
        numba.set_num_threads(max(1, min(cores, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - outside a Spark task, or an old numba: keep its default
        pass


# The documents stage: one row per input row, with the reason when it is not scanned.
DOCUMENTS = (
    "doc bigint, id string, source string, date string, text string, length bigint, source_key bigint, "
    "problem int, reason string, kind string, signature binary, keys binary, windows binary, "
    "window_count bigint, time double"
)
PROBLEM_NONE, PROBLEM_FIELD, PROBLEM_LENGTH = 0, 1, 2
_READ = ("id", "text", "source", "date")


def documents(batches: Iterator[pa.RecordBatch], config: ScanConfig) -> Iterator[pa.RecordBatch]:
    """Check, normalise, shingle, sketch and band each document of the batches (columns id, text, source, date).

    Other columns of the input are passed through after the computed ones.

    A scanned document gets its whole-document signature and its distinct band keys (``band << 32 |
    key``, uint64) with the number of its windows holding each, its window count and
    its date as a timestamp (NaN when none); one that is not gets its reason and kind, as the local
    engine words them (``problem`` 1 for a missing id or text, 2 for a short or empty text).
    """
    _task_start()
    bands, rows = config.bands_rows
    for batch in batches:
        ids = batch.column("id").to_pylist()
        texts = batch.column("text").to_pylist()
        sources = batch.column("source").to_pylist()
        out: dict[str, list[Any]] = {name: [] for name in ("doc", "length", "source_key", "problem", "reason", "kind")}
        accepted: list[int] = []
        normalized: list[str] = []
        for k, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
            problem, reason, kind = PROBLEM_NONE, None, None
            if not isinstance(doc_id, str) or not doc_id:
                problem, reason = PROBLEM_FIELD, f"id must be a non-empty string, got {doc_id!r}"
                kind = "invalid record"
            elif not isinstance(text, str):
                problem, reason = PROBLEM_FIELD, f"text must be a string, got {type(text).__name__}"
                kind = "invalid record"
            else:
                norm = normalize(text, profile=config.profile).text
                if len(norm) < config.min_length:
                    what = "empty" if not norm else f"too short ({len(norm)} normalised characters)"
                    problem, kind = PROBLEM_LENGTH, "empty" if not norm else "too short"
                    reason = f"{what}: a passage needs at least min_length ({config.min_length}) characters"
                else:
                    accepted.append(k)
                    normalized.append(norm)
            outlet = sources[k] if sources[k] is not None else "\x00" + (doc_id or "")
            out["doc"].append(document_key(doc_id) if isinstance(doc_id, str) else None)
            out["length"].append(len(text) if isinstance(text, str) else None)
            out["source_key"].append(document_key(outlet))
            out["problem"].append(problem)
            out["reason"].append(reason)
            out["kind"].append(kind)
        signature = keys = windows = pa.nulls(len(ids), pa.binary())
        window_count = pa.nulls(len(ids), pa.int64())
        time = pa.nulls(len(ids), pa.float64())
        if normalized:
            # The seed keys are counted by the statistics step, once each document's source number is known.
            sketched, _, _ = _sketch_batch(normalized, config, bands, rows, seed_keys=False)
            offsets = np.zeros(len(normalized) + 1, dtype=np.int64)
            np.cumsum(sketched.counts, out=offsets[1:])
            values, counts, value_offsets = _distinct_band_keys(sketched.keys, offsets)
            dates = batch.column("date").to_pylist()
            times = np.full(len(accepted), math.nan)
            for n, k in enumerate(accepted):
                when = parse_date(dates[k])
                if when is not None:
                    times[n] = when.timestamp()
            columns = (
                _binary_rows(sketched.documents.reshape(-1), np.arange(len(accepted) + 1) * config.num_perm),
                _binary_rows(values, value_offsets),
                _binary_rows(counts, value_offsets),
                pa.array(sketched.counts.astype(np.int64)),
                pa.array(times),
            )
            if len(accepted) < len(ids):  # each accepted document to its row, null in the rows not scanned
                rows_of = pa.array(_positions(accepted, len(ids)), pa.int64())
                columns = tuple(column.take(rows_of) for column in columns)
            signature, keys, windows, window_count, time = columns
        yield pa.RecordBatch.from_pydict(
            {
                "doc": pa.array(out["doc"], pa.int64()),
                "id": batch.column("id"),
                "source": batch.column("source"),
                "date": batch.column("date"),
                "text": batch.column("text"),
                "length": pa.array(out["length"], pa.int64()),
                "source_key": pa.array(out["source_key"], pa.int64()),
                "problem": pa.array(out["problem"], pa.int32()),
                "reason": pa.array(out["reason"], pa.string()),
                "kind": pa.array(out["kind"], pa.string()),
                "signature": signature,
                "keys": keys,
                "windows": windows,
                "window_count": window_count,
                "time": time,
                # Columns the engine carries along (where the document was read, its input order).
                **{name: batch.column(name) for name in batch.schema.names if name not in _READ},
            }
        )


def _positions(accepted: list[int], rows: int) -> list[int | None]:
    """For each of ``rows`` rows, its place among the ``accepted`` rows (None when not accepted)."""
    where: list[int | None] = [None] * rows
    for n, k in enumerate(accepted):
        where[k] = n
    return where


def _binary_rows(values: npt.NDArray[Any], offsets: npt.NDArray[np.int64]) -> pa.Array:
    """A binary array whose row t is ``values[offsets[t]:offsets[t + 1]]``'s bytes, made without a copy a row."""
    data = np.ascontiguousarray(values)
    ends = np.asarray(offsets, dtype=np.int64) * data.itemsize
    if len(ends) and ends[-1] > np.iinfo(np.int32).max:  # beyond a binary column's 32-bit offsets
        return pa.array([data[offsets[t] : offsets[t + 1]].tobytes() for t in range(len(offsets) - 1)], pa.binary())
    return pa.Array.from_buffers(
        pa.binary(), len(ends) - 1, [None, pa.py_buffer(ends.astype(np.int32)), pa.py_buffer(data.view(np.uint8))]
    )


@njit(cache=True, nogil=True)
def _distinct_band_keys(
    keys: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Each document's distinct band keys (``band << 32 | key``, ascending) and how many of its windows hold each.

    ``keys[band, offsets[t]:offsets[t + 1]]`` are document t's windows' keys; out: the values and
    counts end to end, and each document's offsets into them.
    """
    bands = keys.shape[0]
    documents = len(offsets) - 1
    longest = 0
    for t in range(documents):
        longest = max(longest, offsets[t + 1] - offsets[t])
    values = np.empty(bands * offsets[-1], dtype=np.uint64)
    counts = np.empty(bands * offsets[-1], dtype=np.int32)
    where = np.zeros(documents + 1, dtype=np.int64)
    block = np.empty(bands * longest, dtype=np.uint64)
    w = 0
    for t in range(documents):
        k = 0
        for band in range(bands):
            high = np.uint64(band) << np.uint64(32)
            for j in range(offsets[t], offsets[t + 1]):
                block[k] = high | np.uint64(keys[band, j])
                k += 1
        ordered = np.sort(block[:k])
        i = 0
        while i < k:
            value, run = ordered[i], 1
            while i + run < k and ordered[i + run] == value:
                run += 1
            values[w], counts[w] = value, run
            w += 1
            i += run
        where[t + 1] = w
    return values[:w], counts[:w], where


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
    """The seed counts (:class:`dedup.boilerplate.SeedCounts`) of a partition's documents (columns text, source_id).

    One row: the documents counted, the corpus and per-source count-min tables, and the documents of
    each source (two int64 arrays). The same keys, salts and sketch as the local engine's; tables
    and per-source counts add up, so their sum over partitions is the local engine's exactly.

    With ``key_bits`` (and a column ``keys``), the same pass marks the documents' band keys in two
    bitmaps of ``2**key_bits`` bits (:func:`mark_band_keys`), merged over partitions by
    :func:`merge_band_marks`; else ``seen`` and ``twice`` are empty.
    """
    _task_start()
    counts = SeedCounts()
    seen, twice = band_marks(key_bits)
    for batch in batches:
        texts = [normalize(t, profile=config.profile).text for t in batch.column("text").to_pylist()]
        if texts:
            hashes, offsets = hash_many(texts, config.ngram)
            keys, key_offsets = document_keys(texts, hashes, offsets, config.align_params)
            counts.add(keys, key_offsets, batch.column("source_id").to_numpy().astype(np.int64))
        if key_bits:
            mark_band_keys(_binary_values(batch.column("keys"), np.uint64), key_bits, seen, twice)
    yield _counts_row(counts.documents, counts.corpus.table, counts.within.table, counts.per_source, seen, twice)


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
        columns[name] = _binary_rows(values, np.array([0, values.size]))
        if at is None:
            columns[f"{name}_at"] = pa.array([None], pa.binary())
        else:
            columns[f"{name}_at"] = _binary_rows(at, np.array([0, at.size]))
    for name, values in (("sources", sources), ("counts", counts)):
        columns[name] = _binary_rows(values, np.array([0, values.size]))
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
    _task_start()
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
# are exactly those without it.
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
    """The bitmaps of two sets of documents together: a bit is twice when twice in either or seen in both."""
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


SAME = "same int"


def same_slots(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The slots two documents' whole-document signatures share (columns a_signature, b_signature), passed through.

    The second key of the per-document budget's ranking (:func:`dedup.lsh.per_document_budget`).
    """
    for batch in batches:
        a = batch.column("a_signature").to_pylist()
        b = batch.column("b_signature").to_pylist()
        same = [
            int(np.count_nonzero(np.frombuffer(x, dtype=np.uint32) == np.frombuffer(y, dtype=np.uint32)))
            for x, y in zip(a, b, strict=True)
        ]
        names = [n for n in batch.schema.names if n not in ("a_signature", "b_signature")]
        yield pa.RecordBatch.from_pydict({**{n: batch.column(n) for n in names}, "same": pa.array(same, pa.int32())})


BAND_BLOBS = "part int, bandkey binary, doc binary, source binary, windows binary"
_BLOB_ROWS = 1 << 14  # band rows a blob holds at most (a received Arrow batch stays far below 2 GB)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _offsets(array: pa.Array) -> npt.NDArray[Any]:
    """The value offsets of a binary array, ``len(array) + 1`` of them (a view of its buffer)."""
    wide = pa.types.is_large_binary(array.type)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if wide else np.int32)
    return offsets[array.offset : array.offset + len(array) + 1]


def _binary_lengths(array: pa.Array) -> npt.NDArray[np.int64]:
    """The byte length of each value of a binary column (from its offsets, without copying the values)."""
    return np.diff(_offsets(array)).astype(np.int64)


def _binary_values(array: pa.Array | pa.ChunkedArray, dtype: Any) -> npt.NDArray[Any]:
    """The values of a binary column of packed numbers, end to end, as one array (no copy of each value)."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    parts = []
    for chunk in chunks:
        if not len(chunk):
            continue
        offsets = _offsets(chunk)
        start, end = int(offsets[0]), int(offsets[-1])
        data = chunk.buffers()[2]
        if data is not None and end > start:
            parts.append(np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start).view(dtype))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


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
    _task_start()
    filter_by = marks.value if hasattr(marks, "value") else marks
    if filter_by is not None:
        key_bits, twice = filter_by[0], np.frombuffer(filter_by[1], dtype=np.uint64)
    for batch in batches:
        counts = _binary_lengths(batch.column("keys")) // 8
        if not counts.sum():
            continue
        bandkey = _binary_values(batch.column("keys"), np.uint64)
        windows = _binary_values(batch.column("windows"), np.int32)
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
        | {name: _binary_rows(values[order], offsets) for name, values in columns.items()}
    )


PAIR_BLOBS = "part int, lo binary, hi binary, band binary"
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)


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
    (pair, band) once. A bucket holding more than ``max_bucket`` windows is skipped and counted, as
    in the local engine (:func:`dedup.lsh.candidate_pairs_banded`); the count travels as a row with
    ``lo == hi == 0`` and ``band`` = minus the count (a real pair never has ``lo == hi``). The rows
    leave as blobs (columns ``part, lo, hi, band``) bound for the partition of their pair, where
    :func:`count_pairs` counts the bands each pair shares: Spark shuffles a few large rows rather
    than one per (pair, band), and its own aggregation of millions of chance pairs is not needed.
    """
    _task_start()
    types = {"bandkey": np.int64, "doc": np.int64, "source": np.int64, "windows": np.int32}
    table = _received(batches)
    if table is None:
        return
    columns = tuple(_binary_values(table.column(name), types[name]).astype(np.int64) for name in BAND_COLUMNS)
    del table
    if not len(columns[0]):
        return
    # Grouped by band key (the order of documents within a bucket does not change its pairs).
    order = np.argsort(columns[0])
    lo, hi, band, suppressed = _pairs_of(tuple(c[order] for c in columns), max_bucket, same_source)
    del columns, order
    if suppressed:
        lo, hi = np.append(lo, np.int64(0)), np.append(hi, np.int64(0))
        band = np.append(band, np.int32(-suppressed))
    found = _blob_rows(_pair_part(lo, hi, partitions), partitions, labels, {"lo": lo, "hi": hi, "band": band})
    if found is not None:
        yield found


BAND_COLUMNS = ("bandkey", "doc", "source", "windows")


def _pairs_of(
    columns: tuple[npt.NDArray[np.int64], ...], max_bucket: int, same_source: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32], int]:
    """The (lo, hi, band) rows of the buckets of sorted band rows, each (pair, band) once; and the buckets skipped."""
    bandkey, doc, source, windows = columns
    nothing = np.zeros(0, dtype=np.int64)
    if not len(bandkey):
        return nothing, nothing, np.zeros(0, dtype=np.int32), 0
    count, suppressed = _bucket_kernel(bandkey, doc, source, windows, max_bucket, same_source, None)
    if not count:
        return nothing, nothing, np.zeros(0, dtype=np.int32), suppressed
    out = np.empty((3, count), dtype=np.int64)
    _bucket_kernel(bandkey, doc, source, windows, max_bucket, same_source, out)
    # A pair that shares several keys of one band (a true pair's windows collide often) shares
    # the band once: repeats are dropped before the shuffle.
    lo, hi, band = out
    first = np.empty(count, dtype=np.bool_)
    _first_rows(lo, hi, band, first)
    return lo[first], hi[first], band[first].astype(np.int32), suppressed


@njit(cache=True, nogil=True)
def _bucket_kernel(
    bandkey: npt.NDArray[np.int64],
    doc: npt.NDArray[np.int64],
    source: npt.NDArray[np.int64],
    windows: npt.NDArray[np.int64],
    max_bucket: int,
    same_source: bool,
    out: npt.NDArray[np.int64] | None,
) -> tuple[int, int]:
    """Count (``out`` None) or write the pairs (lo, hi, band) of the buckets of sorted rows; and the buckets skipped."""
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
            suppressed += 1
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
    mixed = (np.uint64(lo) * _MIX) ^ (np.uint64(hi) * _MIX2) ^ (np.uint64(band) * _KEY_MIX)
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
    and the suppressed buckets of the partition's rows as one row ``0, 0, -count``.
    """
    _task_start()
    table = _received(batches)
    if table is None:
        return
    lo, hi = _binary_values(table.column("lo"), np.int64), _binary_values(table.column("hi"), np.int64)
    band = _binary_values(table.column("band"), np.int32)
    del table
    marker = lo == hi
    suppressed = int(-band[marker].astype(np.int64).sum())
    if suppressed:
        lo, hi, band = lo[~marker], hi[~marker], band[~marker]
    pair_lo, pair_hi, shared = shared_bands(lo, hi, band)
    keep = shared >= least
    out_lo, out_hi, out_shared = pair_lo[keep], pair_hi[keep], shared[keep]
    if suppressed:
        out_lo, out_hi = np.append(out_lo, np.int64(0)), np.append(out_hi, np.int64(0))
        out_shared = np.append(out_shared, np.int32(-suppressed))
    if len(out_lo):
        yield pa.RecordBatch.from_pydict(
            {
                "lo": pa.array(out_lo, pa.int64()),
                "hi": pa.array(out_hi, pa.int64()),
                "shared": pa.array(out_shared, pa.int32()),
            }
        )


def aligned_schema(order_type: str) -> str:
    """The Spark schema of the alignment stage's rows, the order column of the given Spark type."""
    return (
        f"a_order {order_type}, b_order {order_type}, pair struct<{_ddl(pair_fields())}>, "
        f"passages array<struct<{_ddl(passage_fields())}>>"
    )


ALIGNED = aligned_schema


def _arrow_struct(columns: list[tuple[str, type]]) -> pa.StructType:
    return pa.struct([(name, _ARROW_TYPES[kind]) for name, kind in columns])


# Prepared documents kept by one task: as many bytes as the local engine keeps. A task's pairs
# reach about every document of its partition from both sides, so a cache smaller than those
# documents prepares them again and again (pan13-train's, with 256 MB: docs/spark.md).
_CACHE_BYTES = _LOCAL_CACHE_BYTES
_OUT_ROWS = 1000  # aligned pairs a result batch holds


def align_pairs(batches: Iterator[pa.RecordBatch], config: ScanConfig, statistics: Any) -> Iterator[pa.RecordBatch]:
    """Align and score the candidate pairs of a partition, with the documents they need (each sent once).

    ``statistics`` is what the engine's statistics step made (the arguments of :func:`seed_counts_of`),
    or a Spark broadcast of it. The rows are of two kinds (column ``kind``): a document (0: ``doc,
    _order, id, text, length, signature, time, window_count, source_id``), and a pair (1: ``doc``
    the earlier document in input order, ``other`` the later). Every document of the partition's
    pairs is among its document rows. Out: the pair's orders, the pair (null when it is not
    reported) and its passages. The pairs are aligned in the local engine's locality order
    (:func:`dedup.scan._locality_order`), so each document is prepared about once while it stays
    in a bounded cache.
    """
    _task_start()
    tables = statistics.value if hasattr(statistics, "value") else statistics
    counts = seed_counts_of(*tables)
    documents: list[pa.RecordBatch] = []
    firsts: list[npt.NDArray[np.int64]] = []
    seconds: list[npt.NDArray[np.int64]] = []
    for batch in batches:
        kind = batch.column("kind").to_numpy(zero_copy_only=False)
        if (kind == 0).any():
            documents.append(batch.filter(pa.array(kind == 0)))
        if (kind == 1).any():
            rows = batch.filter(pa.array(kind == 1))
            firsts.append(rows.column("doc").to_numpy().astype(np.int64))
            seconds.append(rows.column("other").to_numpy().astype(np.int64))
    if not firsts:
        return
    table = pa.Table.from_batches(documents).combine_chunks()
    keys = table.column("doc").to_numpy()
    # A document sent twice to this partition (two pair partitions may share a Spark partition) counts once.
    keys, where = np.unique(keys, return_index=True)
    table = table.take(pa.array(where))
    a = np.searchsorted(keys, np.concatenate(firsts))
    b = np.searchsorted(keys, np.concatenate(seconds))
    del firsts, seconds
    col = {name: table.column(name).to_pylist() for name in ("id", "length", "time", "window_count", "source_id")}
    texts = table.column("text").combine_chunks()
    signature = table.column("signature").combine_chunks()
    orders = table.column("_order").combine_chunks()
    filters: dict[int, Boilerplate] = {}
    cache: OrderedDict[int, Prepared] = OrderedDict()
    held = 0

    def prepared(k: int) -> Prepared:
        nonlocal held
        found = cache.get(k)
        if found is not None:
            cache.move_to_end(k)
            return found
        source = col["source_id"][k]
        common = filters.get(source)
        if common is None:
            common = filters[source] = Boilerplate(counts, source, config.source_df)
        made = prepare_text(texts[k].as_py(), config, common)
        cache[k] = made
        held += made.nbytes
        while held > _CACHE_BYTES and len(cache) > 2:
            held -= cache.popitem(last=False)[1].nbytes
        return made

    pair_type = _arrow_struct(pair_fields())
    passage_type = pa.list_(_arrow_struct(passage_fields()))
    order = _locality_order(a, b, len(keys))
    for start in range(0, len(order), _OUT_ROWS):
        chunk = order[start : start + _OUT_ROWS]
        pairs: list[dict[str, Any] | None] = []
        passages: list[list[dict[str, Any]]] = []
        for x, y in zip(a[chunk].tolist(), b[chunk].tolist(), strict=True):
            signatures = (
                np.frombuffer(signature[x].as_py(), dtype=np.uint32),
                np.frombuffer(signature[y].as_py(), dtype=np.uint32),
            )
            found, pair = align_pair(
                prepared(x), prepared(y), (col["id"][x], col["id"][y]), (col["length"][x], col["length"][y]),
                signatures, (col["time"][x], col["time"][y]), (col["window_count"][x], col["window_count"][y]),
                config,
            )  # fmt: skip
            pairs.append(_flat_row(pair) if pair is not None else None)
            passages.append([_flat_row(p) for p in found])
        yield pa.RecordBatch.from_pydict(
            {
                "a_order": orders.take(pa.array(a[chunk])),
                "b_order": orders.take(pa.array(b[chunk])),
                "pair": pa.array(pairs, pair_type),
                "passages": pa.array(passages, passage_type),
            }
        )
