"""``dedup scan --engine spark``: the command's inputs read into a DataFrame, scanned, and collected for the reports."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession

from ..errors import InputError
from ..io import Reader, duplicate_reason
from ..records import Skipped
from ..scan import ScanConfig, ScanResult
from ._engine import check_documents, scan, session
from ._files import read

__all__ = ["scan_inputs"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BATCH = 2000  # documents a local input is sent to Spark in at a time


def _spark_path(item: str) -> bool:
    """Whether Spark reads this input itself: a URI (``s3a://``, ``hdfs://``, ``file://``) or Parquet."""
    return bool(_SCHEME.match(item)) or item.rstrip("/").endswith(".parquet")


def scan_inputs(
    inputs: Sequence[str], config: ScanConfig, reader: Reader, *, master: str | None, work_dir: str | None
) -> ScanResult:
    """Scan the command's inputs on Spark and collect the result (the reports are written on this machine).

    Inputs that are URIs or Parquet are read by Spark (:func:`dedup.spark.read`); the others
    (directories, JSONL and text files, ``-``) by the same reader as the local engine, so that
    their errors name the same file and line, and are sent to Spark in batches.
    """
    remote = [i for i in inputs if _spark_path(str(i))]
    if remote and len(remote) != len(inputs):
        raise_mixed(inputs)
    if remote:
        _refuse_reader_options(reader)
    spark = session(master)
    if remote:
        df = read(
            spark,
            [str(i) for i in inputs],
            id_field=reader.id_field,
            text_field=reader.text_field,
            source_field=reader.source_field,
            date_field=reader.date_field,
        )
    else:
        schema = pa.schema(
            [("id", pa.string()), ("text", pa.string()), ("source", pa.string()), ("date", pa.string()),
             ("where", pa.string()), ("_order", pa.int64())]
        )  # fmt: skip
        frames = []
        batch: list[tuple[Any, ...]] = []
        try:
            for k, doc in enumerate(reader.read([Path(i) if i != "-" else i for i in inputs])):
                # (The place of this document: an id read twice has two, and the engine decides which is the duplicate.)
                where = reader.last[1] if reader.last is not None else reader.where.get(doc.id, doc.id)
                batch.append((doc.id, doc.text, doc.source, doc.date, where, k))
                if len(batch) >= _BATCH:
                    frames.append(_frame(spark, batch, schema))
                    batch = []
        except InputError:
            # The local engine checks each document as it reads it: a problem of an earlier document
            # (a repeated id; with --strict, a short one or a date not read) is said before this line's.
            if batch:
                frames.append(_frame(spark, batch, schema))
            if frames:
                _said_as_locally(lambda: check_documents(_union(frames), config), config, reader)
            raise
        if batch or not frames:
            frames.append(_frame(spark, batch, schema))
        df = _union(frames)
    result = _said_as_locally(lambda: scan(df, config, spark, work_dir=work_dir).to_result(), config, reader)
    skipped = reader.in_input_order(
        reader.reworded([Skipped(s.where, s.reason, s.id, kind=s.kind) for s in result.skipped])
    )
    return replace(result, skipped=skipped)


_T = TypeVar("_T")


def _said_as_locally(run: Callable[[], _T], config: ScanConfig, reader: Reader) -> _T:
    """``run()``, with the engine's errors about a document worded as the local engine's command words them."""
    try:
        return run()
    except InputError as error:
        doc_id, place = error.document, str(error).removesuffix(f": {error.reason}")
        holder = reader.holder(doc_id, place) if doc_id is not None and error.kind == "duplicate id" else None
        if holder is not None:  # as the local engine's command says it: where the id's holder was read
            assert doc_id is not None
            reason = duplicate_reason(doc_id, holder, place)
            raise InputError(f"{place}: {reason}", reason=reason, skippable=error.skippable, kind=error.kind) from error
        # As the local engine's command says it: a document stopped by --strict is skipped without it,
        # one whose date was not read is scanned without the date.
        if config.strict and not error.skippable:
            late = error.kind == "unread date"
            note = " (scanned without it and counted" if late else " (skipped and counted"
            note += " without --strict)"
            raise InputError(f"{error}{note}", reason=error.reason + note, skippable=False, kind=error.kind) from error
        raise


def _union(frames: list[DataFrame]) -> DataFrame:
    df = frames[0]
    for frame in frames[1:]:
        df = df.unionByName(frame)
    return df


def _refuse_reader_options(reader: Reader) -> None:
    """Options of dedup's reader that Spark's reader does not take: refused, never silently ignored."""
    from ..errors import ParameterError

    given = {
        "--input-format": reader.input_format,
        "--encoding": reader.encoding,
        "--glob": reader.glob,
        "--source-level": reader.source_level or None,
    }
    for option, value in given.items():
        if value is not None:
            raise ParameterError(
                f"{option} applies to inputs dedup reads; with --engine spark, URIs and Parquet are read by "
                "Spark, as Parquet (.parquet, or a directory of Parquet files) or UTF-8 JSON lines: "
                f"drop {option}, or give local paths"
            )


def _frame(spark: SparkSession, rows: list[tuple[Any, ...]], schema: pa.Schema) -> DataFrame:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema.names]
    table = pa.table([pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)
    return spark.createDataFrame(table)


def raise_mixed(inputs: Sequence[str]) -> None:
    from ..errors import ParameterError

    raise ParameterError(
        "the Spark engine reads either paths Spark reads itself (URIs, Parquet) or local inputs "
        f"(directories, JSONL and text files, -), not both in one scan; got {', '.join(map(str, inputs))}"
    )
