"""A scan result as tables, for pyarrow, pandas and Parquet files.

Four tables, one row a thing, the columns named as in the CSV report and the JSONL contract:

- ``passages``: one row a passage, pairs in rank order (``pair`` is the rank, ``passage`` the
  number within the pair, ``cluster`` the reuse cluster or null), both sides' document, source,
  date, offsets, length and text, and the passage's scores;
- ``pairs``: one row a document pair, ranked (``rank``), with its sources and every field of
  :class:`dedup.Pair`;
- ``clusters``: one row a member of a reuse cluster (``cluster``, ``member``), with ``origin``
  true on the member the passage likely started from;
- ``skipped``: one row a document that was not scanned (``where``, ``id``, ``kind``, ``reason``).

pyarrow is an optional dependency (``pip install 'dedup[parquet]'``; pandas too for
:func:`to_pandas`): this module imports it, nothing else in dedup does.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import IO, Any, Generic, TypeVar

from .checks import check_int
from .clusters import Cluster, find_clusters
from .errors import DependencyError
from .records import Pair
from .report import cluster_record, report_rows, summary_record
from .scan import ScanResult, check_result

__all__ = ["Tables", "to_arrow", "to_pandas", "write_parquet"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Tables(Generic[T]):
    """The four tables of a result (pyarrow tables or pandas DataFrames).

    Example:
        >>> Tables(passages=[], pairs=[], clusters=[], skipped=[]).pairs
        []
    """

    passages: T
    pairs: T
    clusters: T
    skipped: T


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as error:
        raise DependencyError(
            "tables and Parquet output need pyarrow: pip install 'dedup[parquet]' (or pip install pyarrow)"
        ) from error
    return pyarrow


def _arrow_type(pa: Any, annotation: Any) -> Any:
    # Pair's fields are annotated as strings (postponed annotations): int, float or str.
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_()}.get(name, pa.string())


def _table(pa: Any, columns: list[tuple[str, Any]], rows: list[tuple[Any, ...]]) -> Any:
    schema = pa.schema([(name, kind) for name, kind in columns])
    data = {name: [row[k] for row in rows] for k, (name, _) in enumerate(columns)}
    return pa.table(data, schema=schema)


def _passages(pa: Any, result: ScanResult, clusters: list[Cluster], *, report: bool = False) -> Any:
    """The passages table; with ``report``, the CSV report's rows: a ``score`` column after ``pair``,
    and one row for each pair reported on its score alone (its passage columns null)."""
    s, i, f = pa.string(), pa.int64(), pa.float64()
    columns = [
        ("pair", i), *([("score", f)] if report else []), ("passage", i), ("cluster", i),
        ("doc_a", s), ("source_a", s), ("date_a", s), ("start_a", i), ("end_a", i), ("length_a", i),
        ("doc_b", s), ("source_b", s), ("date_b", s), ("start_b", i), ("end_b", i), ("length_b", i),
        ("similarity", f), ("containment_a", f), ("containment_b", f), ("seeds", i),
        ("text_a", s), ("text_b", s),
    ]  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    for rank, pair, p, number, cluster in report_rows(result, clusters):
        head = (rank, pair.score) if report else (rank,)
        if p is None:  # a pair on its score alone: its documents, no passage
            if report:
                a, b = result.documents[pair.a], result.documents[pair.b]
                row = (*head, None, None, pair.a, a.source, a.date, None, None, None, pair.b, b.source, b.date)
                rows.append(row + (None,) * (len(columns) - len(row)))
        else:
            a, b = result.documents[p.a.doc], result.documents[p.b.doc]
            rows.append(
                (
                    *head, number, cluster,
                    p.a.doc, a.source, a.date, p.a.start, p.a.end, len(p.a),
                    p.b.doc, b.source, b.date, p.b.start, p.b.end, len(p.b),
                    p.similarity, p.containment_a, p.containment_b, p.seeds,
                    p.a.slice(a.text), p.b.slice(b.text),
                )
            )  # fmt: skip
    return _table(pa, columns, rows)


def _pairs(pa: Any, result: ScanResult) -> Any:
    # Every field of Pair, whatever fields it has: a new score shows up as a new column.
    scores = [f for f in dataclasses.fields(Pair) if f.name not in ("a", "b")]
    columns = [("rank", pa.int64()), ("a", pa.string()), ("b", pa.string())]
    columns += [("source_a", pa.string()), ("source_b", pa.string())]
    columns += [(f.name, _arrow_type(pa, f.type)) for f in scores]
    rows = [
        (
            rank,
            pair.a,
            pair.b,
            result.documents[pair.a].source,
            result.documents[pair.b].source,
            *(getattr(pair, f.name) for f in scores),
        )
        for rank, pair in enumerate(result.pairs, 1)
    ]
    return _table(pa, columns, rows)


def _clusters(pa: Any, result: ScanResult, clusters: list[Cluster]) -> Any:
    s, i = pa.string(), pa.int64()
    columns = [
        ("cluster", i), ("documents", i), ("member", i), ("doc", s), ("source", s), ("date", s),
        ("start", i), ("end", i), ("length", i), ("origin", pa.bool_()), ("origin_reason", s), ("text", s),
    ]  # fmt: skip
    rows = []
    for cluster in clusters:
        for number, m in enumerate(cluster.members, 1):
            doc = result.documents[m.doc]
            rows.append(
                (
                    cluster.id, cluster.documents, number, m.doc, doc.source, doc.date,
                    m.start, m.end, len(m), m == cluster.origin, cluster.origin_reason, m.slice(doc.text),
                )
            )  # fmt: skip
    return _table(pa, columns, rows)


def _skipped(pa: Any, result: ScanResult) -> Any:
    columns = [("where", pa.string()), ("id", pa.string()), ("kind", pa.string()), ("reason", pa.string())]
    return _table(pa, columns, [(x.where, x.id, x.kind, x.reason) for x in result.skipped])


def to_arrow(result: ScanResult, *, cluster_documents: int = 3, clusters: list[Cluster] | None = None) -> Tables[Any]:
    """The result as four pyarrow tables (see the module's description for their columns).

    ``clusters`` defaults to :func:`dedup.clusters.find_clusters` with ``min_documents=cluster_documents``.

    Example:
        >>> from dedup import Document, scan
        >>> wire = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
        ...         "from the country, despite the announcement last week of talks on ending the mission. ")
        >>> docs = [Document("x", "Local news first. " * 5 + wire, source="x"),
        ...         Document("y", wire + "Sport after. " * 5, source="y"), Document("z", "too short")]
        >>> tables = to_arrow(scan(docs))
        >>> [(r["pair"], r["doc_a"], r["doc_b"], r["text_a"] in wire) for r in tables.passages.to_pylist()]
        [(1, 'x', 'y', True)]
        >>> tables.pairs.num_rows, tables.clusters.num_rows, tables.skipped.column("kind").to_pylist()
        (1, 0, ['too short'])
    """
    check_result(result)
    pa = _pyarrow()
    if clusters is None:
        check_int("cluster_documents", cluster_documents, 2)
        clusters = find_clusters(result, min_documents=cluster_documents)
    return Tables(
        passages=_passages(pa, result, clusters),
        pairs=_pairs(pa, result),
        clusters=_clusters(pa, result, clusters),
        skipped=_skipped(pa, result),
    )


def to_pandas(result: ScanResult, *, cluster_documents: int = 3, clusters: list[Cluster] | None = None) -> Tables[Any]:
    """The result as four pandas DataFrames, the columns of :func:`to_arrow` (integers nullable: ``Int64``).

    Example:
        >>> from dedup import Document, scan
        >>> frames = to_pandas(scan([Document("a", "short"), Document("b", "")]))
        >>> len(frames.passages), list(frames.skipped["kind"])
        (0, ['too short', 'empty'])
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise DependencyError("to_pandas needs pandas: pip install 'dedup[pandas]' (or pip install pandas)") from error
    pa = _pyarrow()
    tables = to_arrow(result, cluster_documents=cluster_documents, clusters=clusters)
    # Nullable integers keep a passage's cluster an integer where it has none (not a float NaN).
    kinds = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return Tables(*(t.to_pandas(types_mapper=kinds.get) for t in dataclasses.astuple(tables, tuple_factory=list)))


def write_parquet(
    result: ScanResult,
    stream: IO[bytes],
    *,
    clusters: list[Cluster] | None = None,
    summary: dict[str, Any] | None = None,
) -> None:
    """Write the CSV report's rows as a Parquet file, with the summary and the clusters in its metadata.

    One row a passage (the ``passages`` table of :func:`to_arrow`, with the pair's ``score`` after
    ``pair``), pairs in rank order, and one row for each pair reported on its score alone, its
    passage columns null, as in :func:`dedup.report.write_csv`. A Parquet file holds one table: the
    file's key-value metadata ``dedup.summary`` holds the summary record of the JSONL contract
    (every document read, scanned and skipped, and the scan's parameters) and ``dedup.clusters``
    the cluster records (their members without ``text``: the passages' rows hold it), as JSON.

    Example:
        >>> import io, json
        >>> import pyarrow.parquet as pq
        >>> from dedup import Document, scan
        >>> out = io.BytesIO()
        >>> write_parquet(scan([Document("a", "short")]), out)
        >>> file = pq.ParquetFile(io.BytesIO(out.getvalue()))
        >>> file.schema_arrow.names[:4], json.loads(file.schema_arrow.metadata[b"dedup.summary"])["documents_skipped"]
        (['pair', 'score', 'passage', 'cluster'], 1)
        >>> json.loads(file.schema_arrow.metadata[b"dedup.clusters"])
        []
    """
    check_result(result)
    pa = _pyarrow()
    import pyarrow.parquet as pq

    if clusters is None:
        clusters = find_clusters(result)
    table = _passages(pa, result, clusters, report=True)
    record = summary if summary is not None else summary_record(result, clusters)
    shown = []
    for cluster in clusters:
        found = cluster_record(cluster, result)
        found["members"] = [{k: v for k, v in m.items() if k != "text"} for m in found["members"]]
        shown.append(found)
    metadata = {"dedup.summary": record, "dedup.clusters": shown}
    table = table.replace_schema_metadata({k: json.dumps(v, ensure_ascii=False) for k, v in metadata.items()})
    pq.write_table(table, stream)
