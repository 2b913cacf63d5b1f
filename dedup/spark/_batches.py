"""The per-partition work of the Spark engine: functions of Arrow record batches, run by Spark's Python workers.

Each function takes an iterator of ``pyarrow.RecordBatch`` (one partition) and yields record
batches, as ``DataFrame.mapInArrow`` wants. They call the local engine's own stage functions
(normalise, shingle, window signatures, band keys, seed keys, preparation, the per-pair alignment),
so both engines compute the same numbers; only the plumbing between stages is Spark's.
"""

from __future__ import annotations

import math
import typing
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import xxhash
from numba import njit

from ..align import Prepared, document_keys
from ..boilerplate import Boilerplate, SeedCounts
from ..dates import parse_date
from ..normalize import normalize
from ..records import Pair, Passage, Span
from ..scan import ScanConfig, _sketch_batch, align_pair, prepare_text
from ..shingle import hash_many

__all__ = [
    "ALIGNED",
    "BAND_BLOBS",
    "BUCKET_PAIRS",
    "DOCUMENTS",
    "SAME",
    "SEED_COUNTS",
    "align_pairs",
    "band_blobs",
    "bucket_pairs",
    "document_key",
    "documents",
    "pair_fields",
    "passage_fields",
    "same_slots",
    "seed_counts",
    "seed_counts_of",
]

# Spark types of the record fields (the records hold str, int and float only).
_SPARK_TYPES = {str: "string", int: "bigint", float: "double"}
_ARROW_TYPES = {str: pa.string(), int: pa.int64(), float: pa.float64()}


def _flat_fields(record: type) -> list[tuple[str, type]]:
    """A record's fields with their Python types, a Span field spread into ``<name>_doc/_start/_end``."""
    hints = typing.get_type_hints(record)
    out: list[tuple[str, type]] = []
    for f in fields(record):
        kind = hints[f.name]
        if kind is Span:
            out.extend((f"{f.name}_{g.name}", typing.get_type_hints(Span)[g.name]) for g in fields(Span))
        else:
            out.append((f.name, kind))
    return out


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


def _passage_row(p: Passage) -> dict[str, Any]:
    row = asdict(p)
    for side in ("a", "b"):
        span = row.pop(side)
        for name, value in span.items():
            row[f"{side}_{name}"] = value
    return row


def document_key(doc_id: str) -> int:
    """A document's 64-bit number in the Spark engine: xxh64 of its UTF-8 id, as a signed integer.

    Example:
        >>> document_key("a") == document_key("a"), document_key("a") == document_key("b")
        (True, False)
    """
    return int(np.uint64(xxhash.xxh64_intdigest(doc_id.encode("utf-8"))).astype(np.int64))


def _cap_threads() -> None:
    """Numba may use as many threads as the task was given cores (one, unless spark.task.cpus says more)."""
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
    _cap_threads()
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
        signature: list[bytes | None] = [None] * len(ids)
        keys: list[bytes | None] = [None] * len(ids)
        windows: list[bytes | None] = [None] * len(ids)
        window_count: list[int | None] = [None] * len(ids)
        time: list[float | None] = [None] * len(ids)
        if normalized:
            # The seed keys are counted by the statistics step, once each document's source number is known.
            sketched, _, _ = _sketch_batch(normalized, config, bands, rows)
            offsets = np.zeros(len(normalized) + 1, dtype=np.int64)
            np.cumsum(sketched.counts, out=offsets[1:])
            band_of = (np.arange(bands, dtype=np.uint64) << np.uint64(32))[:, None]
            for n, k in enumerate(accepted):
                block = sketched.keys[:, offsets[n] : offsets[n + 1]].astype(np.uint64) | band_of
                values, counts = np.unique(block.ravel(), return_counts=True)
                signature[k] = sketched.documents[n].tobytes()
                keys[k] = values.tobytes()
                windows[k] = counts.astype(np.int32).tobytes()
                window_count[k] = int(sketched.counts[n])
                when = parse_date(batch.column("date")[k].as_py())
                time[k] = when.timestamp() if when is not None else math.nan
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
                "signature": pa.array(signature, pa.binary()),
                "keys": pa.array(keys, pa.binary()),
                "windows": pa.array(windows, pa.binary()),
                "window_count": pa.array(window_count, pa.int64()),
                "time": pa.array(time, pa.float64()),
                # Columns the engine carries along (where the document was read, its input order).
                **{name: batch.column(name) for name in batch.schema.names if name not in _READ},
            }
        )


SEED_COUNTS = "documents bigint, corpus binary, within binary, sources binary, counts binary"


def seed_counts(batches: Iterator[pa.RecordBatch], config: ScanConfig) -> Iterator[pa.RecordBatch]:
    """The seed counts (:class:`dedup.boilerplate.SeedCounts`) of a partition's documents (columns text, source_id).

    One row: the documents counted, the corpus and per-source count-min tables, and the documents of
    each source (two int64 arrays). The same keys, salts and sketch as the local engine's; tables
    and per-source counts add up, so their sum over partitions is the local engine's exactly.
    """
    _cap_threads()
    counts = SeedCounts()
    for batch in batches:
        texts = [normalize(t, profile=config.profile).text for t in batch.column("text").to_pylist()]
        if texts:
            hashes, offsets = hash_many(texts, config.ngram)
            keys, key_offsets = document_keys(texts, hashes, offsets, config.align_params)
            counts.add(keys, key_offsets, batch.column("source_id").to_numpy().astype(np.int64))
    sources = np.array(sorted(counts.per_source), dtype=np.int64)
    documents = np.array([counts.per_source[s] for s in sources.tolist()], dtype=np.int64)
    yield pa.RecordBatch.from_pydict(
        {
            "documents": pa.array([counts.documents], pa.int64()),
            "corpus": pa.array([counts.corpus.table.tobytes()], pa.binary()),
            "within": pa.array([counts.within.table.tobytes()], pa.binary()),
            "sources": pa.array([sources.tobytes()], pa.binary()),
            "counts": pa.array([documents.tobytes()], pa.binary()),
        }
    )


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


def band_blobs(
    batches: Iterator[pa.RecordBatch], partitions: int, labels: list[int] | None = None
) -> Iterator[pa.RecordBatch]:
    """The distinct band keys of each document (columns doc, source_key, keys, windows), bound for their partition.

    A band row is (bandkey, doc, source, windows); the rows bound for one of the ``partitions``
    partitions of the band join (by a hash of the band key) travel together as one row of arrays
    (``part`` and the four columns' bytes): Spark shuffles a few large rows instead of one row per
    band key, which costs a tenth of the time (a per-row shuffle of 40 bytes a row dominated the scan).
    ``labels[p]`` is the ``part`` value written for partition p (default p).
    """
    for batch in batches:
        counts = np.array([len(k) // 8 for k in batch.column("keys").to_pylist()], dtype=np.int64)
        if not counts.sum():
            continue
        bandkey = np.frombuffer(b"".join(batch.column("keys").to_pylist()), dtype=np.uint64)
        windows = np.frombuffer(b"".join(batch.column("windows").to_pylist()), dtype=np.int32)
        doc = np.repeat(batch.column("doc").to_numpy(), counts)
        source = np.repeat(batch.column("source_key").to_numpy(), counts)
        part = ((bandkey * _MIX) >> np.uint64(32)) % np.uint64(partitions)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(partitions + 1, dtype=np.uint64))
        out: dict[str, list[Any]] = {"part": [], "bandkey": [], "doc": [], "source": [], "windows": []}
        for p in range(partitions):
            for s in range(int(bounds[p]), int(bounds[p + 1]), _BLOB_ROWS):
                take = order[s : min(s + _BLOB_ROWS, int(bounds[p + 1]))]
                out["part"].append(labels[p] if labels is not None else p)
                out["bandkey"].append(bandkey[take].tobytes())
                out["doc"].append(doc[take].tobytes())
                out["source"].append(source[take].tobytes())
                out["windows"].append(windows[take].tobytes())
        yield pa.RecordBatch.from_pydict(
            {"part": pa.array(out["part"], pa.int32())}
            | {name: pa.array(out[name], pa.binary()) for name in ("bandkey", "doc", "source", "windows")}
        )


BUCKET_PAIRS = "lo bigint, hi bigint, band int"


def bucket_pairs(batches: Iterator[pa.RecordBatch], max_bucket: int, same_source: bool) -> Iterator[pa.RecordBatch]:
    """The document pairs of each bucket of a partition's band rows (blobs of :func:`band_blobs`).

    The partition's rows are sorted by (band key, document) and each bucket (one band key) gives
    the pairs of its documents (across sources unless ``same_source``). A bucket holding more than
    ``max_bucket`` windows is skipped and counted, as in the local engine
    (:func:`dedup.lsh.candidate_pairs_banded`); the count comes out as one row with ``lo == hi``
    and ``band`` = minus the count (a real pair never has ``lo == hi``).
    """
    parts: dict[str, list[npt.NDArray[Any]]] = {name: [] for name in BAND_COLUMNS}
    types = {"bandkey": np.int64, "doc": np.int64, "source": np.int64, "windows": np.int32}
    for batch in batches:
        for name in BAND_COLUMNS:
            parts[name].extend(np.frombuffer(b, dtype=types[name]) for b in batch.column(name).to_pylist())
    if not parts["bandkey"]:
        return
    columns = tuple(np.concatenate(parts[name]).astype(np.int64) for name in BAND_COLUMNS)
    del parts
    order = np.lexsort((columns[1], columns[0]))
    found, suppressed = _pairs_of(tuple(c[order] for c in columns), max_bucket, same_source)
    if found is not None:
        yield found
    if suppressed:
        yield pa.RecordBatch.from_pydict(
            {
                "lo": pa.array([0], pa.int64()),
                "hi": pa.array([0], pa.int64()),
                "band": pa.array([-suppressed], pa.int32()),
            }
        )


BAND_COLUMNS = ("bandkey", "doc", "source", "windows")


def _pairs_of(
    columns: tuple[npt.NDArray[np.int64], ...], max_bucket: int, same_source: bool
) -> tuple[pa.RecordBatch | None, int]:
    bandkey, doc, source, windows = columns
    if not len(bandkey):
        return None, 0
    count, suppressed = _bucket_kernel(bandkey, doc, source, windows, max_bucket, same_source, None)
    if not count:
        return None, suppressed
    out = np.empty((3, count), dtype=np.int64)
    _bucket_kernel(bandkey, doc, source, windows, max_bucket, same_source, out)
    return (
        pa.RecordBatch.from_pydict(
            {"lo": pa.array(out[0]), "hi": pa.array(out[1]), "band": pa.array(out[2].astype(np.int32))}
        ),
        suppressed,
    )


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


def aligned_schema(order_type: str) -> str:
    """The Spark schema of the alignment stage's rows, the order column of the given Spark type."""
    return (
        f"a_order {order_type}, b_order {order_type}, pair struct<{_ddl(pair_fields())}>, "
        f"passages array<struct<{_ddl(passage_fields())}>>"
    )


ALIGNED = aligned_schema


def _arrow_struct(columns: list[tuple[str, type]]) -> pa.StructType:
    return pa.struct([(name, _ARROW_TYPES[kind]) for name, kind in columns])


_CACHE_BYTES = 256 << 20  # prepared documents kept by one task


def align_pairs(batches: Iterator[pa.RecordBatch], config: ScanConfig, statistics: Any) -> Iterator[pa.RecordBatch]:
    """Align and score each candidate pair, both documents joined in (a first in input order).

    ``statistics`` is what the engine's statistics step made (the arguments of :func:`seed_counts_of`),
    or a Spark broadcast of it. Columns ``a_order, b_order`` and, for each of ``a_`` and ``b_``:
    ``doc, id, text, length, signature, time, window_count, source_id``; out: the
    orders, the pair (null when it is not reported) and its passages. Each document is prepared
    once while it stays in a bounded cache (rows come grouped by one side).
    """
    _cap_threads()
    tables = statistics.value if hasattr(statistics, "value") else statistics
    counts = seed_counts_of(*tables)
    filters: dict[int, Boilerplate] = {}
    cache: OrderedDict[int, Prepared] = OrderedDict()
    held = 0

    def prepared(doc: int, text: str, source: int) -> Prepared:
        nonlocal held
        found = cache.get(doc)
        if found is not None:
            cache.move_to_end(doc)
            return found
        common = filters.get(source)
        if common is None:
            common = filters[source] = Boilerplate(counts, source, config.source_df)
        made = prepare_text(text, config, common)
        cache[doc] = made
        held += made.nbytes
        while held > _CACHE_BYTES and len(cache) > 2:
            held -= cache.popitem(last=False)[1].nbytes
        return made

    pair_type = _arrow_struct(pair_fields())
    passage_type = pa.list_(_arrow_struct(passage_fields()))
    for batch in batches:
        col = {name: batch.column(name).to_pylist() for name in batch.schema.names}
        pairs: list[dict[str, Any] | None] = []
        passages: list[list[dict[str, Any]]] = []
        for k in range(batch.num_rows):
            a = prepared(col["a_doc"][k], col["a_text"][k], col["a_source_id"][k])
            b = prepared(col["b_doc"][k], col["b_text"][k], col["b_source_id"][k])
            signatures = (
                np.frombuffer(col["a_signature"][k], dtype=np.uint32),
                np.frombuffer(col["b_signature"][k], dtype=np.uint32),
            )
            found, pair = align_pair(
                a, b, (col["a_id"][k], col["b_id"][k]), (col["a_length"][k], col["b_length"][k]), signatures,
                (col["a_time"][k], col["b_time"][k]), (col["a_window_count"][k], col["b_window_count"][k]), config,
            )  # fmt: skip
            pairs.append(asdict(pair) if pair is not None else None)
            passages.append([_passage_row(p) for p in found])
        yield pa.RecordBatch.from_pydict(
            {
                "a_order": batch.column("a_order"),
                "b_order": batch.column("b_order"),
                "pair": pa.array(pairs, pair_type),
                "passages": pa.array(passages, passage_type),
            }
        )
