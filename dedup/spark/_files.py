"""Files in and out of the Spark engine: documents read from Parquet and JSON lines, results written.

:func:`read` makes the DataFrame :func:`dedup.spark.scan` takes, with the local reader's checks
(field types, places in messages); :func:`write` leaves a scan's result, every input row accounted
for, under a path Spark writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from .. import __version__
from ..errors import InputError, ParameterError, ReadError
from ..report import common_record

if TYPE_CHECKING:
    from ._engine import SparkScan

__all__ = [
    "as_local_reader_says",
    "check_column_types",
    "file_versions",
    "path_exists",
    "path_is_file",
    "read",
    "scanned_without_date",
    "write",
]


# The Spark types each input column may have: strings, or what the local reader takes for the field
# (dedup.io.Reader: an integer id, read as its digits; a date or timestamp date, as a string).
_INTEGRAL = ("tinyint", "smallint", "int", "bigint")
_ALLOWED_TYPES = {
    "id": ("string", *_INTEGRAL),
    "text": ("string",),
    "source": ("string",),
    "date": ("string", "date", "timestamp", "timestamp_ntz"),
}


def check_column_types(df: DataFrame, names: dict[str, str], where: str = "the documents DataFrame") -> None:
    """Refuse a column of the wrong type (``names``: each role's column name) with the place, the field and the type.

    A text column of numbers or lists would otherwise be scanned as its string form.
    """
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    for role, name in names.items():
        found = types.get(name)
        if found is not None and found != "void" and found not in _ALLOWED_TYPES[role]:
            expected = "a string" + (" or an integer" if role == "id" else "")
            expected += " or a date" if role == "date" else ""
            raise InputError(
                f"{where}: field {name!r} must be {expected}, got a column of type {found}",
                reason=f"field {name!r} must be {expected}, got a column of type {found}",
                kind="invalid record",
            )


def read(
    spark: SparkSession,
    paths: str | Sequence[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    source_field: str = "source",
    date_field: str = "date",
) -> DataFrame:
    """Documents from Parquet or JSONL files on any path Spark reads (``s3a://``, ``hdfs://``, local).

    ``paths`` is one path or a list. A path ending in ``.parquet``, or a directory with Parquet
    files anywhere below it (Hive partitions such as ``year=2019/`` included), is read as Parquet,
    anything else as JSON lines. The result has columns id, text, source, date, ``where`` (the
    file, and for Parquet the row: ``news.parquet: row 7``, as the local reader says it) and
    ``_order`` (input, file, then position in the file: the order the local engine reads them in).
    A field of the wrong type (a number or a list where a string belongs) is refused as the local
    reader refuses it: a Parquet column at once, a JSON value on its row (skipped with ``skip_bad``).
    A row refused keeps its id, null only when the id is the problem or the line is not JSON.

    Example:
        >>> docs = read(spark, ["s3a://bucket/news/*.parquet"])  # doctest: +SKIP
    """
    if isinstance(paths, str):  # one path, not a string of one-character paths
        paths = [paths]
    roles = {"id": id_field, "text": text_field, "source": source_field, "date": date_field}
    frames = []
    for number, path in enumerate(paths):
        single = _is_file(spark, path)
        row: Column | None
        try:
            if path.rstrip("/").endswith(".parquet") or _is_parquet_dir(spark, path):
                frame, row = _parquet_rows(spark, path, roles)
            else:
                frame, row = _json_rows(spark, path, roles)
        except (AnalysisException, Py4JJavaError) as error:  # (as the local reader says it: one line, naming it)
            if isinstance(error, AnalysisException) and error.getCondition() == "PATH_NOT_FOUND":
                raise ReadError(f"{path}: cannot read: no such file or directory") from error
            said = str(error.java_exception.getMessage()) if isinstance(error, Py4JJavaError) else str(error)
            raise ReadError(f"{path}: cannot read: {(said.strip().splitlines() or ['?'])[0]}") from error
        # A file named on its own is named as given (as the local reader names it), else by Spark's path.
        file = F.lit(path) if single else _file_below(spark, path)
        where = F.concat(file, F.lit(": row "), (row + 1).cast("string")) if row is not None else file
        order = F.struct(
            F.lit(number).alias("input"),
            F.col("_metadata.file_path").alias("file"),
            F.col("_metadata.file_block_start").alias("block"),
            (row if row is not None else F.monotonically_increasing_id()).alias("row"),
        )
        # (A row refused keeps its id unless the id is the problem, as the local reader records it:
        # _json_rows and _parquet_rows leave such an id null.)
        frames.append(
            frame.select(
                *(F.col(f"_{role}").alias(role) for role in roles),
                where.alias("where"),
                order.alias("_order"),
                "_reason",
                F.when(F.col("_reason").isNotNull(), F.col("_kind")).alias("_kind"),
            )
        )
    if not frames:
        raise ParameterError("paths must name at least one input")
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


# Python's names of the types a JSON value has (schema_of_variant's names), for messages worded as the local reader's.
# A JSON value's kind as the local reader names it (dedup.io.json_type); a boolean by its value.
_JSON_TYPES = {"BIGINT": "a number", "INT": "a number", "SMALLINT": "a number", "TINYINT": "a number",
               "DOUBLE": "a number", "FLOAT": "a number", "DECIMAL": "a number", "ARRAY": "an array",
               "OBJECT": "an object"}  # fmt: skip


def _any(problems: list[tuple[Column, Column]]) -> Column:
    """Whether any of the problems' conditions holds (false, not null, where a condition is null)."""
    out: Column = F.lit(False)
    for condition, _ in problems:
        out = out | F.coalesce(condition, F.lit(False))
    return out


def _first_problem(problems: list[tuple[Column, Column]]) -> Column:
    """The first reason whose condition holds (null when none does)."""
    out: Column = F.lit(None).cast("string")
    for condition, reason in reversed(problems):
        out = F.when(condition, reason).otherwise(out)
    return out


def _parquet_rows(spark: SparkSession, path: str, roles: dict[str, str]) -> tuple[DataFrame, Column]:
    """A Parquet input's rows (``_id``, ``_text``, ..., ``_reason`` a row is refused for, ``_kind``) and the row index.

    Columns are checked at once (a missing id or text column, a column of the wrong type), as by the
    local reader; a null id or text is a row's problem, worded as the local reader words it.
    """
    frame, nanos = _read_parquet(spark, path, list(roles.values()))
    columns = frame.columns
    missing = [roles[r] for r in ("id", "text") if roles[r] not in columns]
    if missing:
        names = " and ".join(repr(m) for m in missing)
        raise InputError(f"{path}: no column {names} (columns: {', '.join(map(repr, columns))})")
    # A date of nanoseconds (pandas' default) reaches Spark as their count: read below as the timestamp it is.
    nano_date = nanos.get(roles["date"]) if roles["date"] in columns else None
    checked = {role: name for role, name in roles.items() if name in columns and not (role == "date" and nano_date)}
    check_column_types(frame, checked, where=path)
    held = [name for name in roles.values() if name in columns]
    note = f" (the record has {', '.join(repr(n) for n in held[:6])})"
    problems = []
    for role in ("id", "text"):
        name = roles[role]
        problems.append((F.col(f"`{name}`").isNull(), F.lit(f"field {name!r} is null: expected a string{note}")))
    given_id = F.col(f"`{roles['id']}`").cast("string")
    id_problems = _id_problems(given_id, roles["id"])
    problems.extend(id_problems)
    id_refused = F.col(f"`{roles['id']}`").isNull() | _any(id_problems)
    types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    picked = [
        (
            as_local_reader_says(F.col(f"`{name}`"), (nano_date if role == "date" else None) or types[name])
            if name in columns
            else F.lit(None)
        )
        .cast("string")
        .alias(f"_{role}")
        for role, name in roles.items()
    ]
    picked[0] = F.when(~id_refused, picked[0]).alias("_id")  # (roles: id first)
    reason = _first_problem(problems).alias("_reason")
    rows = frame.select(*picked, reason, F.lit("invalid record").alias("_kind"), "_metadata")
    return rows, F.col("_metadata.row_index")


def _read_parquet(spark: SparkSession, path: str, names: Sequence[str]) -> tuple[DataFrame, dict[str, str]]:
    """The Parquet input, and which of its columns ``names`` are nanosecond timestamps (``nanos``, ``nanos_ntz``).

    Spark refuses a file with such a column (pandas writes them by default; the local reader takes
    them) unless it reads them as their count of nanoseconds (``spark.sql.legacy.parquet.nanosAsLong``,
    set in the session: a file is read again when its rows are); such a count is told from an
    integer column by the file's footer.
    """
    spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    frame = spark.read.parquet(path)
    types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    if not any(types.get(name) == "bigint" for name in names):
        return frame, {}
    files = frame.inputFiles()
    if not files:
        return frame, {}
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    footer = jvm.org.apache.parquet.hadoop.ParquetFileReader.readFooter(
        spark.sparkContext._jsc.hadoopConfiguration(), jvm.org.apache.hadoop.fs.Path(files[0])
    )
    schema = footer.getFileMetaData().getSchema()
    nanos = {}
    for name in names:
        if types.get(name) == "bigint" and schema.containsField(name):
            annotation = str(schema.getType(name).getLogicalTypeAnnotation())
            if annotation.startswith("TIMESTAMP(NANOS"):
                nanos[name] = "nanos" if annotation.endswith("true)") else "nanos_ntz"
    return frame, nanos


def as_local_reader_says(value: Column, kind: str) -> Column:
    """A Parquet value as the local reader makes it a string: a timestamp as Python's ``isoformat`` of it.

    (A timestamp with a zone as its UTC time, ``2024-01-22T10:30:00.500000+00:00``; one without, as
    written, without an offset; Spark's own cast would say ``2024-01-22 10:30:00.5``, in the session's zone.
    A count of nanoseconds, ``nanos`` or ``nanos_ntz``, as pandas' ``Timestamp.isoformat``: nine digits
    when they are not whole microseconds.)
    """
    if kind in ("nanos", "nanos_ntz"):
        seconds = F.floor(value / F.lit(1_000_000_000))
        rest = value - seconds * F.lit(1_000_000_000)
        wall = F.convert_timezone(None, F.lit("UTC"), F.timestamp_seconds(seconds))
        fraction = (
            F.when(rest == 0, F.lit(""))
            .when(rest % 1000 == 0, F.concat(F.lit("."), F.lpad((rest / 1000).cast("bigint").cast("string"), 6, "0")))
            .otherwise(F.concat(F.lit("."), F.lpad(rest.cast("string"), 9, "0")))
        )
        return _isoformat(wall, fraction, zoned=kind == "nanos")
    if kind not in ("timestamp", "timestamp_ntz"):
        return value
    wall = F.convert_timezone(None, F.lit("UTC"), value) if kind == "timestamp" else value
    micros = F.date_format(wall, "SSSSSS")
    fraction = F.when(micros != "000000", F.concat(F.lit("."), micros)).otherwise(F.lit(""))
    return _isoformat(wall, fraction, zoned=kind == "timestamp")


def _isoformat(wall: Column, fraction: Column, *, zoned: bool) -> Column:
    """A time of day to the second, its ``fraction`` (``""`` or ``".500000"``), and ``+00:00`` when ``zoned``."""
    return F.concat(F.date_format(wall, "yyyy-MM-dd'T'HH:mm:ss"), fraction, F.lit("+00:00" if zoned else ""))


def _json_rows(spark: SparkSession, path: str, roles: dict[str, str]) -> tuple[DataFrame, None]:
    """A JSON lines input's rows (``_id``, ``_text``, ..., ``_reason`` a row is refused for, ``_kind``); no row index.

    Each field is read as a variant, so that a number, a list or an object where a string belongs
    is refused with its type (as the local reader refuses it), not scanned as its JSON text.
    """
    schema = ", ".join(f"`{name}` variant" for name in roles.values())
    frame = (
        spark.read.schema(schema + ", _corrupt_record string")
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        .json(path)
    )
    problems = [(F.col("_corrupt_record").isNotNull(), F.lit("not valid JSON: expected one object a line"))]
    picked = []
    id_problems = problems[:]  # the id's own problems (and a line not read): the row's id is then null
    for role, name in roles.items():
        value = F.col(f"`{name}`")
        kind = F.regexp_extract(F.schema_of_variant(value), r"^[A-Z]+", 0)
        text = F.variant_get(value, "$", "string")
        # (An integer beyond 64 bits is a decimal of scale 0 in a variant: an id all the same, as Python reads it.)
        integral = kind.isin("BIGINT", "INT", "SMALLINT", "TINYINT") | F.schema_of_variant(value).rlike(
            r"^DECIMAL\(\d+,0\)$"
        )
        own = []
        if role in ("id", "text"):
            own.append((value.isNull(), F.lit(f"field {name!r} is missing: expected a string")))
            own.append((kind == "VOID", F.lit(f"field {name!r} is null: expected a string")))
        fits = kind.isin("STRING", "VOID") | (integral if role == "id" else F.lit(False))
        named = F.element_at(F.create_map(*(F.lit(x) for kv in _JSON_TYPES.items() for x in kv)), kind)
        got = F.coalesce(named, F.when(kind == "BOOLEAN", F.lower(text)), F.lower(kind))
        expected = "a string or an integer" if role == "id" else "a string"
        own.append((value.isNotNull() & ~fits, F.concat(F.lit(f"field {name!r} must be {expected}, got "), got)))
        problems += own
        id_problems += own if role == "id" else []
        picked.append(F.when(kind != "VOID", text).alias(f"_{role}"))
    # (As the local reader: an empty or blank id is said once every field has been read.)
    given_id = F.variant_get(F.col(f"`{roles['id']}`"), "$", "string")
    id_checks = _id_problems(given_id, roles["id"])
    problems += id_checks
    id_problems += id_checks
    picked[0] = F.when(~_any(id_problems), picked[0]).alias("_id")  # (roles: id first)
    kind = F.when(F.col("_corrupt_record").isNotNull(), F.lit("invalid JSON")).otherwise(F.lit("invalid record"))
    rows = frame.select(*picked, _first_problem(problems).alias("_reason"), kind.alias("_kind"), "_metadata")
    return rows, None


# What Python's str.strip() takes for whitespace (dedup.io.Reader's blank id): Unicode's White_Space, and
# the separators U+001C to U+001F.
_BLANK = r"^[\p{IsWhite_Space}\x{1C}-\x{1F}]+$"


def _id_problems(given_id: Column, name: str) -> list[tuple[Column, Column]]:
    """An empty id, and one of spaces only (shown as a blank in every report), as the local reader refuses them."""
    return [
        (given_id == "", F.lit(f"field {name!r} is empty: expected a non-empty string")),
        (given_id.rlike(_BLANK), F.lit(f"field {name!r} is blank (spaces only): expected an id")),
    ]


def _hadoop_status(spark: SparkSession, path: str) -> Any:
    """The Hadoop FileSystem and the status of ``path`` (None when it does not exist, or is a pattern)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, (fs.getFileStatus(hadoop_path) if fs.exists(hadoop_path) else None)


def file_versions(spark: SparkSession, files: Sequence[str]) -> list[str]:
    """Each file with its length and time of last change: a file written again is another input."""
    out = []
    for file in files:
        _, status = _hadoop_status(spark, file)
        out.append(file if status is None else f"{file}\t{status.getLen()}\t{status.getModificationTime()}")
    return out


def path_exists(spark: SparkSession, path: str) -> bool:
    """Whether ``path`` exists on its filesystem (any Spark reads: local, HDFS, S3...)."""
    return _hadoop_status(spark, path)[1] is not None


def path_is_file(spark: SparkSession, path: str) -> bool:
    """Whether ``path`` is a file (not a directory, and not absent) on its filesystem."""
    return _is_file(spark, path)


def scanned_without_date() -> Column:
    """Of the documents stage's rows: scanned, without the date they gave, which could not be read."""
    return F.col("reason").isNull() & F.col("date_reason").isNotNull()


def _file_below(spark: SparkSession, path: str) -> Column:
    """The file a row of a directory ``path`` came from, named as the local reader names it: the
    directory as given, then the file's path below it (Spark's is a URI, ``file:/news%20x/part-0.parquet``).

    Other inputs (a URI, a pattern) keep Spark's name.
    """
    file = F.col("_metadata.file_path")
    _, status = _hadoop_status(spark, path)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", path) or status is None or not status.isDirectory():
        return file
    prefix = str(status.getPath().toString()).rstrip("/") + "/"  # (Hadoop's path, not percent-encoded)
    # (Percent escapes decoded, a "+" kept: Spark's url_decode would make it a space.)
    decoded = F.url_decode(F.regexp_replace(file, r"\+", "%2B"))
    below = F.substring(decoded, len(prefix) + 1, 1 << 30)
    return F.when(decoded.startswith(prefix), F.concat(F.lit(path.rstrip("/") + "/"), below)).otherwise(file)


def _is_file(spark: SparkSession, path: str) -> bool:
    _, status = _hadoop_status(spark, path)
    return status is not None and bool(status.isFile())


def _is_parquet_dir(spark: SparkSession, path: str) -> bool:
    """Whether ``path`` is a directory with a Parquet file anywhere below it (a Hive-partitioned dataset too)."""
    fs, status = _hadoop_status(spark, path)
    if status is None or not status.isDirectory():
        return False
    files = fs.listFiles(status.getPath(), True)  # recursive, streamed: stops at the first Parquet file
    while files.hasNext():
        if str(files.next().getPath().getName()).endswith(".parquet"):
            return True
    return False


def write(found: SparkScan, path: str, *, format: str = "parquet", overwrite: bool = False) -> None:
    """Write the result under ``path``: ``passages/``, ``pairs/``, ``skipped/``, ``unread_dates/`` and ``summary/``.

    ``passages`` and ``pairs`` as Parquet or JSON lines (``format``); ``skipped`` (the input rows
    not scanned: id, where, reason, kind, in input order) and ``unread_dates`` (rows scanned without
    the date they gave: id, where, reason) in the same format, so that every input row is accounted
    for; ``summary`` one JSON line, the fields of the summary record of ``dedup scan --format
    jsonl`` (docs/jsonl.md) with counts where that record lists documents. A ``path`` that already
    holds any of them is refused unless ``overwrite``.

    Example:
        >>> write(found, "s3a://bucket/dedup-out", format="jsonl")  # doctest: +SKIP
    """
    if format not in ("parquet", "jsonl"):
        raise ParameterError(f"format must be 'parquet' or 'jsonl', got {format!r}")
    spark = found.documents.sparkSession
    base = path.rstrip("/")
    undated = found.documents.filter(scanned_without_date()).orderBy("_order")
    frames = {
        "passages": found.passages,
        "pairs": found.pairs,
        "skipped": found.skipped.select("id", "where", "reason", "kind"),
        "unread_dates": undated.select("id", "where", F.col("date_reason").alias("reason")),
    }
    names = [*frames, "summary"]
    if path_is_file(spark, base):  # (Spark would stop with a Java traceback of many lines)
        raise ParameterError(f"{base} is a file: expected a directory to write passages/, pairs/, ... under")
    if not overwrite:
        held = [name for name in names if path_exists(spark, f"{base}/{name}")]
        if held:
            raise ParameterError(f"{base}: already holds {', '.join(held)}: give overwrite=True to replace them")
    for name, frame in frames.items():
        writer = frame.write.mode("overwrite")
        if format == "parquet":
            writer.parquet(f"{base}/{name}")
        else:
            writer.json(f"{base}/{name}")
    counts = found.documents.agg(
        F.count(F.lit(1)).alias("read"),
        F.count(F.when(F.col("reason").isNull(), F.lit(1))).alias("scanned"),
        F.count(F.when(scanned_without_date(), F.lit(1))).alias("undated"),
    ).first()
    read, scanned, undated_count = (int(counts.read), int(counts.scanned), int(counts.undated)) if counts else (0, 0, 0)
    summary = {
        "type": "summary",
        "documents_read": read,
        "documents_scanned": scanned,
        "documents_skipped": read - scanned,
        "unread_dates": undated_count,
        "candidates": found.candidates,
        "unaligned": found.unaligned,
        "suppressed_buckets": found.suppressed_buckets,
        "common_text": [common_record(c) for c in found.common],
        "pairs": found.pairs.count(),
        "passages": found.passages.count(),
        "config": found.config.to_dict(),
        "version": __version__,
    }
    line = json.dumps(summary, ensure_ascii=False)
    spark.createDataFrame([(line,)], "value string").coalesce(1).write.mode("overwrite").text(f"{base}/summary")
