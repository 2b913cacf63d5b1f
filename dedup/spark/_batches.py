"""The per-partition work of the Spark engine: functions of Arrow record batches, run by Spark's Python workers.

Each function takes an iterator of ``pyarrow.RecordBatch`` (one partition) and yields record
batches, as ``DataFrame.mapInArrow`` wants. They call the local engine's own stage functions
(normalise, shingle, window signatures, band keys, seed keys, preparation, the per-pair alignment),
so both engines compute the same numbers; only the plumbing between stages is Spark's. Here: the
documents stage, the budget's signature slots and the alignment; the statistics pass is
:mod:`dedup.spark._statistics`, the band join :mod:`dedup.spark._join`.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from ..agencies import wire_agency
from ..align import Alignment
from ..batch import Handle, align_documents, handle
from ..boilerplate import Boilerplate, salt_of_key
from ..candidates import document_key  # (a document's number here: the local engine's chain key)
from ..config import ScanConfig
from ..dates import read_period
from ..normalize import normalize
from ..pairs import align_pair, needed_bands, prepare_text, short_pair, too_short
from ..records import Pair, Passage, Span, outlet
from ..scan import _sketch_batch
from ..schedule import CACHE_BYTES, Kept, PairChunk, chunks, locality_order, next_uses
from ._arrow import binary_rows, task_start
from ._statistics import seed_counts_of

__all__ = [
    "ALIGNED",
    "DOCUMENTS",
    "SAME",
    "align_pairs",
    "aligned_schema",
    "document_key",
    "documents",
    "pair_fields",
    "passage_fields",
    "same_slots",
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


# The documents stage: one row per input row, with the reason when it is not scanned.
DOCUMENTS = (
    "doc bigint, id string, source string, date string, text string, length bigint, source_key bigint, "
    "problem int, reason string, kind string, signature binary, keys binary, windows binary, "
    "window_count bigint, time double, until double, date_reason string"
)
PROBLEM_NONE, PROBLEM_FIELD, PROBLEM_LENGTH = 0, 1, 2
_READ = ("id", "text", "source", "date", "_reason", "_kind")


def documents(batches: Iterator[pa.RecordBatch], config: ScanConfig) -> Iterator[pa.RecordBatch]:
    """Check, normalise, shingle, sketch and band each document of the batches (columns id, text, source, date).

    Other columns of the input are passed through after the computed ones.

    A scanned document gets its whole-document signature and its distinct band keys (``band << 32 |
    key``, uint64) with the number of its windows holding each, its window count and its date's
    period as timestamps (``time`` and ``until``: :func:`dedup.dates.period`); one that is not gets
    its reason and kind, as the local engine words them (``problem`` 1 for a missing id or text, 2
    for a short or empty text).
    """
    task_start()
    bands, rows = config.bands_rows
    for batch in batches:
        ids = batch.column("id").to_pylist()
        texts = batch.column("text").to_pylist()
        sources = batch.column("source").to_pylist()
        # What read() found wrong with a row (a field of the wrong type, a line that is not JSON), worded as locally.
        names = batch.schema.names
        found = batch.column("_reason").to_pylist() if "_reason" in names else [None] * len(ids)
        found_kinds = batch.column("_kind").to_pylist() if "_kind" in names else [None] * len(ids)
        out: dict[str, list[Any]] = {name: [] for name in ("doc", "length", "source_key", "problem", "reason", "kind")}
        date_reasons: list[str | None] = [None] * len(ids)
        accepted: list[int] = []
        normalized: list[str] = []
        for k, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
            problem, reason, kind = PROBLEM_NONE, None, None
            if found[k] is not None:
                problem, reason, kind = PROBLEM_FIELD, found[k], found_kinds[k] or "invalid record"
            elif not isinstance(doc_id, str) or not doc_id:
                problem, reason = PROBLEM_FIELD, f"id must be a non-empty string, got {doc_id!r}"
                kind = "invalid record"
            elif not isinstance(text, str):
                problem, reason = PROBLEM_FIELD, f"text must be a string, got {type(text).__name__}"
                kind = "invalid record"
            else:
                norm = normalize(text, profile=config.profile).text
                short = too_short(norm, config.min_exact)
                if short is not None:
                    problem, (kind, reason) = PROBLEM_LENGTH, short
                else:
                    accepted.append(k)
                    normalized.append(norm)
            source_key = outlet(sources[k], doc_id if isinstance(doc_id, str) else "")
            out["doc"].append(document_key(doc_id) if isinstance(doc_id, str) else None)
            out["length"].append(len(text) if isinstance(text, str) else None)
            out["source_key"].append(document_key(source_key))
            out["problem"].append(problem)
            out["reason"].append(reason)
            out["kind"].append(kind)
        signature = keys = windows = pa.nulls(len(ids), pa.binary())
        window_count = pa.nulls(len(ids), pa.int64())
        time = until = pa.nulls(len(ids), pa.float64())
        if normalized:
            # The seed keys are counted by the statistics step, once each document's source number is known.
            sketched, _, _ = _sketch_batch(normalized, config, bands, rows, seed_keys=False)
            offsets = np.zeros(len(normalized) + 1, dtype=np.int64)
            np.cumsum(sketched.counts, out=offsets[1:])
            # The further bands' windows of each document (a short document's windows, as the sketch chose them).
            owner = np.repeat(np.arange(len(normalized)), sketched.counts)
            extra_offsets = np.zeros(len(normalized) + 1, dtype=np.int64)
            np.cumsum(np.bincount(owner[sketched.extra_windows], minlength=len(normalized)), out=extra_offsets[1:])
            values, counts, value_offsets = _distinct_band_keys(sketched.keys, offsets, sketched.extra, extra_offsets)
            dates = batch.column("date").to_pylist()
            times = np.full(len(accepted), math.nan)
            untils = np.full(len(accepted), math.nan)
            for n, k in enumerate(accepted):
                # (one not read: scanned without it, and said)
                times[n], untils[n], date_reasons[k] = read_period(dates[k])
            columns = (
                binary_rows(sketched.documents.reshape(-1), np.arange(len(accepted) + 1) * config.num_perm),
                binary_rows(values, value_offsets),
                binary_rows(counts, value_offsets),
                pa.array(sketched.counts.astype(np.int64)),
                pa.array(times),
                pa.array(untils),
            )
            if len(accepted) < len(ids):  # each accepted document to its row, null in the rows not scanned
                rows_of = pa.array(_positions(accepted, len(ids)), pa.int64())
                columns = tuple(column.take(rows_of) for column in columns)
            signature, keys, windows, window_count, time, until = columns
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
                "until": until,
                "date_reason": pa.array(date_reasons, pa.string()),
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


@njit(cache=True, nogil=True)
def _distinct_band_keys(
    keys: npt.NDArray[np.uint32],
    offsets: npt.NDArray[np.int64],
    extra: npt.NDArray[np.uint32],
    extra_offsets: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Each document's distinct band keys (``band << 32 | key``, ascending) and how many of its windows hold each.

    ``keys[band, offsets[t]:offsets[t + 1]]`` are document t's windows' keys, and
    ``extra[e, extra_offsets[t]:extra_offsets[t + 1]]`` their keys in band ``len(keys) + e`` (a short
    document's further bands; none for the others); out: the values and counts end to end, and each
    document's offsets into them.
    """
    bands = keys.shape[0]
    more = extra.shape[0]
    documents = len(offsets) - 1
    longest = 0
    for t in range(documents):
        longest = max(longest, offsets[t + 1] - offsets[t])
    size = bands * offsets[-1] + more * extra_offsets[-1]
    values = np.empty(size, dtype=np.uint64)
    counts = np.empty(size, dtype=np.int32)
    where = np.zeros(documents + 1, dtype=np.int64)
    block = np.empty((bands + more) * longest, dtype=np.uint64)
    w = 0
    for t in range(documents):
        k = 0
        for band in range(bands):
            high = np.uint64(band) << np.uint64(32)
            for j in range(offsets[t], offsets[t + 1]):
                block[k] = high | np.uint64(keys[band, j])
                k += 1
        for e in range(more):
            high = np.uint64(bands + e) << np.uint64(32)
            for j in range(extra_offsets[t], extra_offsets[t + 1]):
                block[k] = high | np.uint64(extra[e, j])
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


def kept_by_bands(batches: Iterator[pa.RecordBatch], config: ScanConfig) -> Iterator[pa.RecordBatch]:
    """The pairs (lo, hi, shared) that share the bands :func:`dedup.pairs.needed_bands` asks of them.

    Each row carries both documents' window counts (``lo_windows``, ``hi_windows``), left out of
    what is yielded: the local engine's rule itself, not a copy of it in columns.
    """
    for batch in batches:
        shared = batch.column("shared").to_numpy()
        needed = needed_bands(
            batch.column("lo_windows").to_numpy().astype(np.int64),
            batch.column("hi_windows").to_numpy().astype(np.int64),
            config,
        )
        kept = batch.filter(pa.array(shared >= needed))
        yield pa.RecordBatch.from_arrays([kept.column(n) for n in ("lo", "hi", "shared")], names=["lo", "hi", "shared"])


SAME = "same int"


def same_slots(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The slots two documents' whole-document signatures share (columns a_signature, b_signature), passed through.

    The second key of the per-document budget's ranking (:func:`dedup.budget.per_document_budget`).
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


def aligned_schema(order_type: str) -> str:
    """The Spark schema of the alignment stage's rows, the order column of the given Spark type."""
    return (
        f"a_order {order_type}, b_order {order_type}, pair struct<{_ddl(pair_fields())}>, "
        f"passages array<struct<{_ddl(passage_fields())}>>"
    )


ALIGNED = aligned_schema


def _arrow_struct(columns: list[tuple[str, type]]) -> pa.StructType:
    return pa.struct([(name, _ARROW_TYPES[kind]) for name, kind in columns])


_OUT_CHUNKS = 16  # chunks of aligned pairs (dedup.schedule.chunks) a result batch holds


def _aligned(
    pair_chunks: list[PairChunk], prepared: Callable[[int, int], Handle], config: ScanConfig
) -> Iterator[tuple[int, int, tuple[Handle, Handle], list[Alignment]]]:
    """Each pair of ``pair_chunks`` (:func:`dedup.schedule.chunks`), its documents and what alignment finds.

    Aligned as the local engine aligns its candidates: a chunk's pairs in one kernel call
    (:mod:`dedup.batch`), whose documents the chunk holds while it runs; ``prepared(document,
    next_use)`` caches them by the next chunk that needs each.
    """
    for chunk in pair_chunks:
        firsts, seconds = chunk[0].tolist(), chunk[1].tolist()
        uses = next_uses(chunk)

        def documents(ids: list[int], uses: dict[int, int] = uses) -> list[Handle]:
            return [prepared(k, uses[k]) for k in ids]

        for x, y, (a, b, alignments) in zip(
            firsts, seconds, align_documents(firsts, seconds, documents, config.align_params), strict=True
        ):
            yield x, y, (a, b), alignments


def align_pairs(batches: Iterator[pa.RecordBatch], config: ScanConfig, statistics: Any) -> Iterator[pa.RecordBatch]:
    """Align and score the candidate pairs of a partition, with the documents they need (each sent once).

    ``statistics`` is what the engine's statistics step made (the arguments of :func:`seed_counts_of`)
    with the exact boilerplate of the sources counted so (:mod:`dedup.recount`), or a Spark
    broadcast of them. The rows are of two kinds (column ``kind``): a document (0: ``doc,
    _order, id, text, length, signature, time, until, window_count, source_id, source_key,
    source``), and a pair (1: ``doc`` the earlier document in input order, ``other`` the later).
    Every document of the partition's pairs is among its document rows. Out: the pair's orders,
    the pair (null when it is not reported) and its passages. The pairs are aligned in the local
    engine's locality order (:func:`dedup.schedule.locality_order`), so each document is prepared
    about once while it stays in a bounded cache.
    """
    task_start()
    tables, exact = statistics.value if hasattr(statistics, "value") else statistics
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
    col = {
        name: table.column(name).to_pylist()
        for name in ("id", "length", "time", "until", "window_count", "source_id", "source_key", "source")
    }
    agency = [wire_agency(source) is not None for source in col["source"]]
    texts = table.column("text").combine_chunks()
    signature = table.column("signature").combine_chunks()
    orders = table.column("_order").combine_chunks()
    filters: dict[int, Boilerplate] = {}
    # The local engine's cache, as many bytes: a task's pairs reach about every document of its
    # partition from both sides, so a cache smaller than those documents prepares them again and
    # again (pan13-train's, with 256 MB: docs/spark.md).
    kept = Kept(CACHE_BYTES)

    def prepared(k: int, when: int) -> Handle:
        found = kept.get(k)
        if found is not None:
            kept.note({k: when})
            return found
        source = col["source_id"][k]
        common = filters.get(source)
        if common is None:
            salt = salt_of_key(col["source_key"][k])
            common = filters[source] = Boilerplate(counts, source, salt, config.source_df, exact=exact.get(source))
        made = handle(prepare_text(texts[k].as_py(), config, common))
        kept.put(k, made, when)
        return made

    pair_type = _arrow_struct(pair_fields())
    passage_type = pa.list_(_arrow_struct(passage_fields()))
    lengths = np.array([n or 0 for n in col["length"]], dtype=np.int64)
    order = locality_order(a, b, len(keys), lengths, kept.capacity)
    pair_chunks = chunks(a[order], b[order])
    for start in range(0, len(pair_chunks), _OUT_CHUNKS):
        block = pair_chunks[start : start + _OUT_CHUNKS]
        pairs: list[dict[str, Any] | None] = []
        passages: list[list[dict[str, Any]]] = []
        for x, y, handles, alignments in _aligned(block, prepared, config):
            windows = (col["window_count"][x], col["window_count"][y])
            if not alignments and not short_pair(windows, config):
                pairs.append(None)  # (align_pair would find nothing more: no passage, and no score)
                passages.append([])
                continue
            signatures = (
                np.frombuffer(signature[x].as_py(), dtype=np.uint32),
                np.frombuffer(signature[y].as_py(), dtype=np.uint32),
            )
            found, pair = align_pair(
                handles[0].prepared, handles[1].prepared, (col["id"][x], col["id"][y]),
                (col["length"][x], col["length"][y]), signatures, (col["time"][x], col["time"][y]), windows, config,
                alignments=alignments, until=(col["until"][x], col["until"][y]), agencies=(agency[x], agency[y]),
            )  # fmt: skip
            pairs.append(_flat_row(pair) if pair is not None else None)
            passages.append([_flat_row(p) for p in found])
        yield pa.RecordBatch.from_pydict(
            {
                "a_order": orders.take(pa.array(np.concatenate([chunk[0] for chunk in block]))),
                "b_order": orders.take(pa.array(np.concatenate([chunk[1] for chunk in block]))),
                "pair": pa.array(pairs, pair_type),
                "passages": pa.array(passages, passage_type),
            }
        )
