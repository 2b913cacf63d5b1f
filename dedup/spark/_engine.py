"""The Spark engine's plan: stages as DataFrames, each optionally kept in a work directory."""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]
from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from .._pages import small_pages
from ..boilerplate import SeedCounts, boilerplate_limit
from ..clusters import Cluster, find_clusters
from ..common import MOST_DOCUMENTS, common_texts
from ..config import ScanConfig
from ..errors import InputError, ParameterError
from ..fingerprint import engine_fingerprint
from ..pairs import least_bands, pair_rank
from ..records import CommonText, Document, Pair, Passage, Skipped, Span
from ..recount import exact_sources
from ..scan import ScanResult
from . import _batches as B
from . import _join as J
from . import _statistics as S
from ._files import (
    as_local_reader_says,
    check_column_types,
    file_versions,
    path_exists,
    path_is_file,
    scanned_without_date,
)

__all__ = ["SparkScan", "scan", "session"]

_BATCH_ROWS = 1000
_FORMAT_VERSION = 5  # of the work directory's stages; a change of their columns or their meaning bumps it


_LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"


def session(master: str | None = None, *, app_name: str = "dedup") -> SparkSession:
    """The Spark session to scan with: ``master`` if given, else the one spark-submit configured, else ``local[*]``.

    Workers run this Python (``PYSPARK_PYTHON`` defaults to it) so that they import the same dedup.

    Example:
        >>> session("local[1]").sparkContext.master  # doctest: +SKIP
        'local[1]'
    """
    active = SparkSession.getActiveSession()
    if active is not None and master in (None, active.sparkContext.master):
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    # Under spark-submit the gateway is already up with its master and settings: use them as they are.
    if master is not None:
        builder = builder.master(master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = "local[*]"
        builder = builder.master(master)
    if master is not None or "PYSPARK_GATEWAY_PORT" not in os.environ:
        # Arrow batches of a thousand documents: a batch of long texts stays a few megabytes.
        builder = builder.config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    if master is not None and master.startswith("local"):
        # Two shuffle partitions a core: the default 200 is made for clusters, and every task of a
        # local run costs scheduling and a Python worker round trip (half a second on a busy machine).
        cores = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
        count = (os.cpu_count() or 1) if cores.startswith("*") else int(cores.split(",")[0] or 1)
        builder = builder.config("spark.sql.shuffle.partitions", str(2 * count))
        # Files are read in two splits a core, so the scan need not shuffle the texts to spread them.
        builder = builder.config("spark.sql.files.minPartitionNum", str(2 * count))
        # Adaptive execution re-plans after every shuffle, each time as a job of its own: on one
        # machine, with two partitions a core, that costs more than it adapts.
        builder = builder.config("spark.sql.adaptive.enabled", "false")
        # In local mode the driver's JVM is the executor too: Spark's default 1 GiB heap is too
        # small to cache the stages of a corpus like pan13-train (30 million characters).
        submitted = os.environ.get("PYSPARK_SUBMIT_ARGS", "")
        if "spark.driver.memory" not in submitted:
            builder = builder.config("spark.driver.memory", os.environ.get("DEDUP_SPARK_MEMORY", "4g"))
        # The JVM's optimising compiler (C2) spends much of a local scan's CPU compiling the
        # code each query generates, on the cores the Python workers need; its quick compiler
        # alone leaves that CPU to the scan, whose heavy work is in Python (docs/spark.md).
        if "spark.driver.extraJavaOptions" not in submitted:
            options = os.environ.get("DEDUP_SPARK_JAVA_OPTIONS", _LOCAL_JAVA_OPTIONS)
            if options:
                builder = builder.config("spark.driver.extraJavaOptions", options)
    found = builder.getOrCreate()
    running = found.sparkContext.master
    if master is not None and running != master:
        # Spark runs one context a process, and getOrCreate hands back the one running whatever
        # master is asked for: a scan meant for local[1] (or a cluster) would run on it unsaid.
        raise ParameterError(
            f"master {master!r}: this process already runs a Spark session on {running!r} (one a process): "
            f"stop it first (spark.stop()), or ask for {running!r}"
        )
    return found


@dataclass
class SparkScan:
    """What a Spark scan found, as DataFrames, with an account of every input document.

    ``passages`` has the columns of :func:`dedup.spark._batches.passage_fields` (a Passage with its
    spans spread into ``a_doc, a_start, a_end, b_doc, ...``), in input order of the pair then
    position; ``pairs`` the :class:`~dedup.records.Pair` fields, ranked as the local engine ranks
    them; ``documents`` every input row with ``reason`` set for those not scanned; ``persisted``
    the stages cached while these are read (:meth:`unpersist` releases them).

    Example:
        >>> found = scan(spark.read.parquet("news.parquet"))  # doctest: +SKIP
        >>> found.passages.filter("similarity > 0.9").count(), found.candidates  # doctest: +SKIP
        >>> found.to_result().passages[0]  # doctest: +SKIP
    """

    passages: DataFrame
    pairs: DataFrame
    documents: DataFrame
    candidates: int
    suppressed_buckets: int
    config: ScanConfig = field(default_factory=ScanConfig)
    unaligned: int = 0
    common: list[CommonText] = field(default_factory=list)
    persisted: list[DataFrame] = field(default_factory=list, repr=False, compare=False)
    # The passages (with a_order, b_order and position) and pairs before their global sort: what
    # is collected to the driver is sorted there, without the jobs a sort costs (a sample of the
    # keys, then a shuffle). None for a scan made elsewhere: the public frames are collected then.
    _keyed_passages: DataFrame | None = field(default=None, repr=False, compare=False)
    _unsorted_pairs: DataFrame | None = field(default=None, repr=False, compare=False)

    def unpersist(self) -> None:
        """Release the stages the scan keeps in the session (memory and local disk) while its DataFrames are read.

        After it, reading ``passages``, ``pairs`` or ``documents`` computes the scan again. A
        session that runs several scans should release each when done with it; otherwise Spark
        keeps them for the session's life.

        Example:
            >>> found = scan(spark.read.parquet("news.parquet"))  # doctest: +SKIP
            >>> write(found, "out/"); found.unpersist()  # doctest: +SKIP
        """
        for frame in self.persisted:
            frame.unpersist()
        self.persisted.clear()

    @property
    def skipped(self) -> DataFrame:
        """The input rows that were not scanned, with their reason, in input order."""
        return self.documents.filter(F.col("reason").isNotNull()).orderBy("_order")

    def to_result(self) -> ScanResult:
        """The whole result on the driver, as :func:`dedup.scan` returns it (for reports; collects the output).

        ``documents`` then holds the documents that take part in a pair (every passage is in one),
        and counts all those scanned.
        """
        passages = self._collect_passages()
        frame = self.pairs if self._unsorted_pairs is None else self._unsorted_pairs
        pairs = sorted((Pair(**row.asDict()) for row in frame.collect()), key=pair_rank)
        # The documents of every pair (a pair reported on its score alone has no passage), the
        # count of those scanned and the rows skipped, each read in one pass.
        documents = {
            row.id: Document(id=row.id, text=row.text, source=row.source, date=row.date)
            for row in self._scanned_rows({doc for pair in pairs for doc in (pair.a, pair.b)}, "text", "source", "date")
        }
        scanned_row = F.col("reason").isNull()
        outlet = _outlet()
        summary = self.documents.agg(
            F.count(F.when(scanned_row, F.lit(1))).alias("scanned"),
            F.countDistinct(F.when(scanned_row, outlet)).alias("outlets"),
            F.max(F.when(scanned_row, F.col("source"))).alias("a_source"),
            F.collect_list(
                F.when(F.col("reason").isNotNull(), F.struct("_order", "id", "reason", "where", "kind"))
            ).alias("skipped"),
            F.collect_list(
                F.when(scanned_without_date(), F.struct("_order", "id", "date_reason", "where"))  # (as locally)
            ).alias("undated"),
        ).first()
        scanned, rows = (int(summary.scanned), summary.skipped) if summary is not None else (0, [])
        undated = [
            Skipped(where=row.where if row.where is not None else row.id, reason=row.date_reason, id=row.id,
                    kind="unread date")
            for row in sorted(summary.undated if summary is not None else [], key=_input_order)
        ]  # fmt: skip
        skipped = [
            Skipped(
                where=row.where if row.where is not None else (row.id or "?"), reason=row.reason, id=row.id,
                kind=row.kind,
            )
            for row in sorted(rows, key=_input_order)
        ]  # fmt: skip
        return ScanResult(
            passages=passages,
            pairs=pairs,
            documents=documents,
            skipped=skipped,
            candidates=self.candidates,
            suppressed_buckets=self.suppressed_buckets,
            config=self.config,
            unaligned=self.unaligned,
            common=self.common,
            scanned_documents=scanned,
            # (as the local engine: one source among two or more documents, none of them compared)
            one_source=summary.a_source
            if summary is not None and summary.outlets == 1 and scanned > 1 and summary.a_source is not None
            else None,
            unread_dates=undated,
        )

    def clusters(self, *, min_documents: int = 3, min_overlap: float = 0.5) -> list[Cluster]:
        """Reuse clusters (:func:`dedup.clusters.find_clusters`) of the passages, computed on the driver.

        It collects the passages and the ids, sources and dates of their documents (the output, not
        the corpus's texts), and the letters and digits of each passage side, counted by Spark.
        """
        passages = self._collect_passages()
        rows = self._scanned_rows({span.doc for p in passages for span in (p.a, p.b)}, "source", "date")
        documents = {r.id: Document(id=r.id, text="", source=r.source, date=r.date) for r in rows}
        result = ScanResult(passages, [], documents, [], self.candidates, self.suppressed_buckets, self.config)
        letters = self._side_letters() if passages else {}
        return find_clusters(result, min_documents=min_documents, min_overlap=min_overlap, letters=letters)

    def _side_letters(self) -> dict[Span, int]:
        """The letters and digits of each passage side's text (str.isalnum's: Unicode letters and numbers)."""
        a = [F.col(f"a_{c}").alias(c) for c in ("doc", "start", "end")]
        sides = self.passages.select(*a).union(self.passages.select("b_doc", "b_start", "b_end")).distinct()
        texts = self.documents.filter(F.col("reason").isNull()).select(F.col("id").alias("doc"), "text")
        cut = F.expr("substring(text, start + 1, end - start)")  # (code points, counted from 1)
        n = F.length(F.regexp_replace(cut, r"[^\p{L}\p{N}]", "")).alias("n")
        counted = sides.join(texts, "doc").select("doc", "start", "end", n)
        return {Span(r["doc"], r["start"], r["end"]): r["n"] for r in counted.collect()}

    def _collect_passages(self) -> list[Passage]:
        """The passages on the driver, in the order of :attr:`passages` (input order of the pair, then position)."""
        if self._keyed_passages is None:
            return [_passage(row) for row in self.passages.collect()]
        rows = self._keyed_passages.collect()
        rows.sort(key=lambda row: (row["a_order"], row["b_order"], row["position"]))
        return [_passage(row, drop=("a_order", "b_order", "position")) for row in rows]

    def _scanned_rows(self, ids: set[str], *columns: str) -> list[Any]:
        """The rows (``id`` and ``columns``) of the scanned documents whose id is in ``ids`` (joined by broadcast)."""
        if not ids:
            return []
        wanted = self.documents.sparkSession.createDataFrame([(i,) for i in sorted(ids)], "id string")
        scanned = self.documents.filter(F.col("reason").isNull()).select("id", *columns)
        return scanned.join(F.broadcast(wanted), "id").collect()


def _input_order(row: Any) -> tuple[bool, Any]:
    """A collected row's place in input order, a null order first (as Spark sorts ``skipped``): a row
    without an id has no order when the id is the order."""
    return (row["_order"] is not None, row["_order"])


def _passage(row: Any, drop: tuple[str, ...] = ()) -> Passage:
    values = row.asDict()
    for name in drop:
        del values[name]
    a = Span(doc=values.pop("a_doc"), start=values.pop("a_start"), end=values.pop("a_end"))
    b = Span(doc=values.pop("b_doc"), start=values.pop("b_start"), end=values.pop("b_end"))
    return Passage(a=a, b=b, **values)


class _WorkDir:
    """Stages kept as Parquet under a directory (any path Spark writes), each complete once its _SUCCESS is there."""

    def __init__(
        self,
        spark: SparkSession,
        path: str | None,
        config: ScanConfig,
        files: Sequence[str] = (),
        rows: str | None = None,
    ) -> None:
        self.spark = spark
        self.path = path.rstrip("/") if path else None
        self.persisted: list[DataFrame] = []
        if self.path is None:
            return
        # The input's files (none for a DataFrame made in memory), by count and digest: a stage
        # computed from other files is another scan's, however alike the configuration.
        digest = hashlib.sha256("\n".join(sorted(files)).encode("utf-8", "surrogatepass")).hexdigest()
        # The engine digest too: stages an older dedup made hold other keys of the same text.
        given = {"version": _FORMAT_VERSION, "engine": engine_fingerprint(config), "config": config.to_dict()}
        # A DataFrame without files (made in memory) by a digest of its rows (``rows``), so that the
        # stages of other documents are not taken for its own.
        held_input: dict[str, Any] = {"files": len(files), "sha256": digest}
        if rows is not None:
            held_input["rows"] = rows
        stamp = json.dumps({**given, "input": held_input}, sort_keys=True)
        marker = f"{self.path}/config"
        if path_is_file(spark, self.path):
            raise ParameterError(
                f"work_dir {self.path} is a file: expected a directory (an empty one, or a scan's stages)"
            )
        if path_exists(self.spark, f"{marker}/_SUCCESS"):
            found = "\n".join(r.value for r in spark.read.text(marker).collect())
            if found != stamp:
                try:
                    held = json.loads(found)
                except ValueError:
                    held = {}
                if isinstance(held, dict) and {k: held.get(k) for k in given} == given:
                    files_held = held.get("input", {}).get("files", "?") if isinstance(held.get("input"), dict) else "?"
                    if not files and files_held == 0:
                        raise ParameterError(
                            f"work_dir {self.path} holds the stages of a scan of other documents; "
                            "use an empty directory"
                        )
                    raise ParameterError(
                        f"work_dir {self.path} holds the stages of a scan of other input files, or of these "
                        f"files before they were written again ({files_held} then, {len(files)} now); "
                        "use an empty directory"
                    )
                raise ParameterError(
                    f"work_dir {self.path} holds the stages of another scan configuration or version; "
                    "use an empty directory"
                )
        else:
            try:
                spark.createDataFrame([(stamp,)], "value string").coalesce(1).write.mode("overwrite").text(marker)
            except Py4JJavaError as error:  # (a parent that is a file, no permission: said in one line)
                said = str(error.java_exception.getMessage()).strip().splitlines() or ["?"]
                raise ParameterError(f"work_dir {self.path} cannot be written: {said[0]}") from error

    def done(self, name: str) -> bool:
        """Whether the stage is complete in the work directory (never without one)."""
        return self.path is not None and path_exists(self.spark, f"{self.path}/{name}/_SUCCESS")

    def stage(self, name: str, make: Callable[[], DataFrame]) -> DataFrame:
        """The stage's rows: read back when complete in the work directory, else computed (and kept)."""
        if self.path is None:
            # On disk: a stage of long documents (texts and band keys) cached in the heap ran a
            # local[2] scan of pan13-train out of memory; disk also leaves the heap to the shuffles.
            frame = make().persist(StorageLevel.DISK_ONLY)
            self.persisted.append(frame)
            return frame
        where = f"{self.path}/{name}"
        if not path_exists(self.spark, f"{where}/_SUCCESS"):
            make().write.mode("overwrite").parquet(where)
        return self.spark.read.parquet(where)


def _rows_digest(df: DataFrame) -> str:
    """The rows of a DataFrame, whatever their order or partitioning, as a count and a sum of row hashes."""
    row = F.xxhash64(*(F.col(f"`{name}`") for name in sorted(df.columns)))
    found = df.agg(F.count(F.lit(1)).alias("n"), F.sum(row.cast("decimal(38,0)")).alias("h")).first()
    n, h = (found.n, found.h) if found is not None else (0, None)
    return f"{n}:{h if h is not None else 0}"


def _outlet() -> Column:
    """A document's outlet: its source, or its id when it has none (:attr:`dedup.records.Document.outlet`)."""
    return F.coalesce(F.col("source"), F.concat(F.lit("\x00"), F.col("id")))


def _source_ids(scanned: DataFrame) -> DataFrame:
    """Each outlet's source number, as the local engine numbers outlets: in input order of first appearance.

    Columns outlet, source_id: one row an outlet.
    """
    firsts = scanned.groupBy(_outlet().alias("outlet")).agg(F.min("_order").alias("_first"))
    # zipWithIndex after a sort numbers the outlets without moving them all into one partition.
    numbered = firsts.orderBy("_first").rdd.map(lambda r: r.outlet).zipWithIndex()
    return scanned.sparkSession.createDataFrame(numbered, "outlet string, source_id bigint")


# The band-key filter's bitmaps (:func:`dedup.spark._statistics.mark_band_keys`): four bits a band key
# keep the keys shipped by chance under a quarter of those no other document holds. Every partition
# sends its two bitmaps to be merged, so they are used only while that stays within
# _MARK_BYTES in all and each bitmap within 2**_MARK_MAX_BITS bits; beyond (a very large
# corpus, or one cut in very many partitions), the band join ships every key, as without the filter.
_MARK_BITS_A_KEY = 4
_MARK_MAX_BITS = 30
_MARK_BYTES = 512 << 20


def _key_bits(band_keys: int, partitions: int) -> int:
    """The bits (a power of two, as its exponent) of the band-key filter's bitmaps; 0 for no filter.

    Example:
        >>> _key_bits(50_000_000, 4), _key_bits(250_000_000, 40), _key_bits(0, 4)
        (28, 0, 0)
    """
    if band_keys <= 0:
        return 0
    bits = max(16, math.ceil(math.log2(_MARK_BITS_A_KEY * band_keys)))
    affordable = math.floor(math.log2(max(1, _MARK_BYTES * 8 // (2 * max(1, partitions)))))
    bits = min(bits, _MARK_MAX_BITS, affordable)
    # Fewer than two bits a key would ship most keys anyway: not worth a pass.
    return bits if (1 << bits) >= 2 * band_keys else 0


_Statistics = tuple[int, bytes, bytes, dict[int, int]]
_MERGE_FAN_IN = 8  # partitions' seed counts a task sums before the driver sums the rest


def _statistics(
    accepted: DataFrame, config: ScanConfig, partitions: int, key_bits: int = 0
) -> tuple[_Statistics, bytes]:
    """The seed counts that preparing documents needs (:class:`dedup.boilerplate.SeedCounts`); the band-key filter.

    Counted a partition at a time from each scanned document's seed keys and source number, and
    summed here: two fixed-size count-min tables and the documents of each source (one number a
    source) reach the driver, never the corpus. With ``key_bits``, the same pass marks the band
    keys (:func:`dedup.spark._statistics.seed_counts`); the second value is then the merged bitmap of
    keys held by two documents (empty without).
    """

    columns = ("text", "source_id", "source_key", "keys") if key_bits else ("text", "source_id", "source_key")
    counting = partial(S.seed_counts, config=config, key_bits=key_bits)
    tables = accepted.select(*columns).mapInArrow(counting, S.SEED_COUNTS)
    # One row for each of the ``partitions`` partitions of ``accepted``, summed by the executors a
    # group at a time when there are many, and the rest on the driver; collected as Arrow (Spark's
    # row pickling took seconds for a few tables).
    if partitions > _MERGE_FAN_IN:
        tables = tables.repartition(math.ceil(partitions / _MERGE_FAN_IN)).mapInArrow(
            partial(S.merge_seed_counts, key_bits=key_bits), S.SEED_COUNTS
        )
    with small_pages():  # the tables and bitmaps summed here are fresh memory (dedup/_pages.py)
        total = S.sum_seed_counts(tables.toArrow().to_batches(), key_bits)
    if total is None:  # no partition at all: nothing counted
        empty = SeedCounts()
        return (0, empty.corpus.table.tobytes(), empty.within.table.tobytes(), {}), b""
    documents, corpus, within, per_source, (_, twice) = total
    counted = (
        int(documents),
        np.asarray(corpus, dtype=np.uint32).tobytes(),
        np.asarray(within, dtype=np.uint32).tobytes(),
        per_source,
    )
    return counted, np.asarray(twice, dtype=np.uint64).tobytes()


def _exact_boilerplate(
    accepted: DataFrame, config: ScanConfig, counts: SeedCounts
) -> dict[int, npt.NDArray[np.uint64]]:
    """The boilerplate of the sources counted exactly (:mod:`dedup.recount`), as the local engine counts it.

    Each such source's documents give their distinct seed keys, counted by (source, key); the keys
    in more than the source's limit reach the driver (a few thousand, where the whole count would
    be every key of those documents).
    """
    share = config.source_df
    need = exact_sources(counts, share)
    if not need:
        return {}
    limits = F.create_map(*(F.lit(v) for s in need for v in (s, boilerplate_limit(counts.documents_of(s), share))))
    keyed = accepted.where(F.col("source_id").isin(need)).select("text", "source_id")
    found = (
        keyed.mapInArrow(partial(S.source_keys, config=config), S.SOURCE_KEYS)
        .groupBy("source_id", "key")
        .count()
        .where(F.col("count") > F.element_at(limits, F.col("source_id")))
        .select("source_id", "key")
        .toArrow()
    )
    sources = found.column("source_id").to_numpy()
    keys = found.column("key").to_numpy().view(np.uint64)
    return {s: keys[sources == s] for s in need}  # (Boilerplate sorts them)


def _input(df: DataFrame, order: str | Column | None) -> tuple[DataFrame, bool]:
    """The input's columns id, text, source, date and _order (the position that orients pairs).

    The second value says whether the input gives an order (``order`` or a column ``_order``);
    without, the id is the order, and two documents with the same id are undecided.
    """
    names = set(df.columns)
    for required in ("id", "text"):
        if required not in names:
            raise ParameterError(f"the documents DataFrame must have a column {required!r}; it has {sorted(names)}")
    check_column_types(df, {role: role for role in ("id", "text", "source", "date")})
    columns = [F.col("id").cast("string").alias("id"), F.col("text").cast("string").alias("text")]
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    for optional in ("source", "date"):
        # (A timestamp date as the local reader makes it a string, not Spark's cast in the session's zone.)
        value = as_local_reader_says(F.col(optional), types[optional]) if optional in names else F.lit(None)
        columns.append(value.cast("string").alias(optional))
    where = F.col("where").cast("string") if "where" in names else F.lit(None).cast("string")
    ordered = order is not None or "_order" in names
    if order is None:
        order_column = F.col("_order") if "_order" in names else F.col("id").cast("string")
    elif isinstance(order, str):
        try:  # (analysed only, no job: a nested field such as "meta.position" is a column too)
            df.select(F.col(order))
        except AnalysisException as error:
            raise ParameterError(
                f"order must name a column of the documents DataFrame, got {order!r}; it has {sorted(names)}"
            ) from error
        order_column = F.col(order)
    else:
        order_column = order
    # Problems read() found in a row (a field of the wrong type, a line that is not JSON), said by the documents stage.
    found = [F.col(c).cast("string").alias(c) for c in ("_reason", "_kind") if c in names]
    return df.select(*columns, *found, where.alias("where"), order_column.alias("_order")), ordered


def _batch_rows(spark: SparkSession) -> None:
    """Arrow batches of at most a thousand rows: a batch of long texts, or of band-row blobs, stays
    far below Arrow's 2 GB a column (Spark's default is 10,000 rows)."""
    if int(spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch") or 10000) > _BATCH_ROWS:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(_BATCH_ROWS))


def _checked(
    work: _WorkDir, source: DataFrame, cfg: ScanConfig, order_type: str, ordered: bool
) -> tuple[DataFrame, DataFrame]:
    """The documents stage, with duplicate ids decided, and its narrow copy (``rows``, ``light_rows``).

    Stops at the first document in input order that the configuration does not let through (a
    malformed one without ``skip_bad``; a short one, or a date not read, with ``strict``), as the
    local engine does.
    """
    sketched = work.stage("documents", lambda: _sketched(source, cfg, order_type))
    # The checks, the numbering of outlets and the candidate rules need none of the texts and band
    # keys, most of the stage's bytes: they read a narrow copy instead of the whole stage each time.
    light = sketched.drop("text", "keys", "windows").persist(StorageLevel.MEMORY_AND_DISK)
    work.persisted.append(light)
    duplicates = work.stage("duplicates", lambda: _duplicates(light))
    marks = _duplicate_marks(duplicates, light, ordered)
    rows, light_rows = _documents(sketched, marks), _documents(light, marks)
    # Too short and empty documents are skipped unless strict; malformed ones are errors unless skip_bad.
    short = F.col("kind").isin("empty", "too short")
    fatal = (short & F.lit(cfg.strict)) | (~short & F.lit(not cfg.skip_bad))
    problem = light_rows.filter(F.col("reason").isNotNull() & fatal).select("_order", "id", "reason", "where", "kind")
    if cfg.strict:  # a date not read: an error with strict, as locally, and the first in input order is said
        undated = light_rows.filter(scanned_without_date())
        reason, kind = F.col("date_reason").alias("reason"), F.lit("unread date").alias("kind")
        problem = problem.unionByName(undated.select("_order", "id", reason, "where", kind))
    first = problem.orderBy("_order").limit(1).collect()
    if first:
        bad = first[0]
        skippable = bad.kind not in ("empty", "too short", "unread date")
        place = bad.where if bad.where is not None else f"document {bad.id!r}"
        raise InputError(
            f"{place}: {bad.reason}", document=bad.id, reason=bad.reason, skippable=skippable, kind=bad.kind
        )
    return rows, light_rows


def check_documents(df: DataFrame, config: ScanConfig | None = None, *, order: str | Column | None = None) -> None:
    """Raise what :func:`scan` would raise about ``df``'s documents (the first problem in input order), scanning none.

    The command uses it on the documents read before a line its reader refuses, so that an earlier
    document's problem is said first, as the local engine says it while it reads.
    """
    cfg = config or ScanConfig()
    _batch_rows(df.sparkSession)
    source, ordered = _input(df, order)
    work = _WorkDir(df.sparkSession, None, cfg)
    try:
        _checked(work, source, cfg, source.schema["_order"].dataType.simpleString(), ordered)
    finally:
        for frame in work.persisted:
            frame.unpersist()


def scan(
    df: DataFrame,
    config: ScanConfig | None = None,
    spark: SparkSession | None = None,
    *,
    order: str | Column | None = None,
    work_dir: str | None = None,
) -> SparkScan:
    """Find the passages that documents of different sources share, on Spark: :func:`dedup.scan` on a DataFrame.

    ``df`` has columns ``id`` and ``text``, optional ``source`` and ``date``. Pairs are oriented (a
    before b) and passages listed in input order, as the local engine does with the order it reads
    documents in: ``order`` names the column (or gives the expression) holding that order; by
    default a column ``_order`` if there is one, else the id. Of the documents with one id, the
    first scanned in that order keeps it and the later ones are duplicates; two of them with the
    same order (always so when the id is the order) stop the scan, as which came first is unknown.
    Columns of the wrong type (a ``text`` of numbers) are refused. With ``work_dir`` (any path Spark
    writes), each stage is written there and reused by a later run with the same configuration,
    so a failed job resumes where it stopped.

    Example:
        >>> found = scan(spark.read.parquet("news.parquet"), ScanConfig(threshold=0.3))  # doctest: +SKIP
        >>> found.passages.show()  # doctest: +SKIP
    """
    cfg = config or ScanConfig()
    spark = spark or df.sparkSession
    _batch_rows(spark)
    # (Each file with its length and time of change: a file written again since is another input.)
    files = file_versions(spark, df.inputFiles()) if work_dir else []
    # A DataFrame made in memory (the command's local inputs) has no files: its rows name it.
    work = _WorkDir(spark, work_dir, cfg, files, _rows_digest(df) if work_dir and not files else None)
    source, ordered = _input(df, order)
    # The documents stage is most of the work: at least two partitions a core (a JSONL file of a few
    # hundred megabytes is read as one). Answers never depend on the partitioning.
    cores = spark.sparkContext.defaultParallelism
    if source.rdd.getNumPartitions() < 2 * cores:
        source = source.repartition(2 * cores)
    order_type = source.schema["_order"].dataType.simpleString()

    rows, light_rows = _checked(work, source, cfg, order_type, ordered)
    scanned = rows.filter(F.col("reason").isNull())
    outlets = work.stage("sources", lambda: _source_ids(light_rows.filter(F.col("reason").isNull())))
    numbers = outlets.withColumnRenamed("outlet", "_outlet")
    with_outlet = scanned.withColumn("_outlet", _outlet())
    if outlets.count() <= _BROADCAST_ROWS:
        # Outlets are few in a news corpus (one a document only for documents without a source): the
        # numbers are broadcast, so the documents (texts and band keys) are not shuffled for them.
        accepted = with_outlet.join(F.broadcast(numbers), "_outlet").drop("_outlet")
        numbered = light_rows.filter(F.col("reason").isNull()).withColumn("_outlet", _outlet())
        accepted_light = numbered.join(F.broadcast(numbers), "_outlet").drop("_outlet")
    else:
        accepted = work.stage("accepted", lambda: with_outlet.join(numbers, "_outlet").drop("_outlet"))
        accepted_light = accepted.drop("text", "keys", "windows")
    parts = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)  # of every shuffle below
    # The band-key filter is worth its pass only when the candidates stage is still to compute.
    key_bits, document_parts = 0, accepted.rdd.getNumPartitions()
    if not work.done("candidates"):
        # (A short document's windows have short_bands bands, the others' bands_rows[0].)
        count = F.col("window_count")
        bands = F.when(count <= cfg.short_windows, cfg.short_bands).otherwise(cfg.bands_rows[0])
        windows = accepted_light.agg(F.sum(count * bands).alias("n")).first()
        band_keys = int(windows.n or 0) if windows is not None else 0
        key_bits = _key_bits(band_keys, document_parts)
    statistics, twice = _statistics(accepted, cfg, document_parts, key_bits)
    exact = _exact_boilerplate(accepted, cfg, S.seed_counts_of(*statistics))

    # The local engine's candidate rules (dedup.scan._candidates): min_bands shared bands, or fewer
    # for a brief and a story with few window pairs between them (dedup.pairs.needed_bands).
    least = least_bands(cfg)
    relaxed = least < cfg.min_bands

    def candidates() -> DataFrame:
        label = _partition_labels(parts)
        marks = spark.sparkContext.broadcast((key_bits, twice)) if key_bits else None
        ship = partial(J.band_blobs, partitions=parts, labels=label, marks=marks, max_bucket=cfg.max_bucket)
        blobs = accepted.select("doc", "source_key", "keys", "windows").mapInArrow(ship, J.BAND_BLOBS)
        pairs_of = partial(
            J.bucket_pairs, max_bucket=cfg.max_bucket, same_source=cfg.same_source, partitions=parts, labels=label
        )
        # Two shuffles of blobs: band rows to their band key's partition, then (pair, band) rows to
        # their pair's, where the bands each pair shares are counted (numpy, not a Spark aggregation).
        found = blobs.repartition(parts, "part").mapInArrow(pairs_of, J.PAIR_BLOBS)
        return found.repartition(parts, "part").mapInArrow(partial(J.count_pairs, least=least), J.COUNTED)

    counted = work.stage("candidates", candidates)
    # The skipped buckets came through the shuffles as marker rows (negative `shared`): a few per
    # bucket of more than max_bucket windows, collected, counted and named here.
    marked = counted.filter(F.col("shared") < 0).collect()
    skipped = J.skipped_rows(*(np.array([r[c] for r in marked], np.int64) for c in ("lo", "hi", "shared")))
    suppressed = len(skipped)
    common = _common_texts(skipped, accepted, cfg)

    def orient(pairs: DataFrame, side: DataFrame) -> DataFrame:
        """The pairs (lo, hi, ...) with each document's columns, a_ the earlier in input order and b_ the later."""
        x = side.select(*(F.col(c).alias(f"x_{c}") for c in side.columns))
        y = side.select(*(F.col(c).alias(f"y_{c}") for c in side.columns))
        joined = pairs.join(x, pairs.lo == x.x_doc).join(y, pairs.hi == y.y_doc)
        first = F.col("x__order") < F.col("y__order")
        rest = [c for c in pairs.columns if c not in ("lo", "hi")]
        return joined.select(
            *rest,
            *(
                F.when(first, F.col(f"x_{c}")).otherwise(F.col(f"y_{c}")).alias(f"a_{c.lstrip('_')}")
                for c in side.columns
            ),
            *(
                F.when(first, F.col(f"y_{c}")).otherwise(F.col(f"x_{c}")).alias(f"b_{c.lstrip('_')}")
                for c in side.columns
            ),
        )

    def chosen() -> DataFrame:
        pairs = counted.filter(F.col("shared") >= least).select("lo", "hi", "shared")
        if relaxed:
            # pairs.needed_bands on the two window counts alone: the join below, which carries both
            # documents' signatures, then holds only the pairs kept (on pan13-train a fifth of
            # those that share a band).
            windows = accepted_light.select("doc", "window_count")
            low = windows.select(F.col("doc").alias("_lo"), F.col("window_count").alias("lo_windows"))
            high = windows.select(F.col("doc").alias("_hi"), F.col("window_count").alias("hi_windows"))
            pairs = pairs.join(low, pairs["lo"] == low["_lo"]).join(high, pairs["hi"] == high["_hi"])
            pairs = pairs.select("lo", "hi", "shared", "lo_windows", "hi_windows").mapInArrow(
                partial(B.kept_by_bands, config=cfg), J.COUNTED
            )
        side = accepted_light.select("doc", "_order", "window_count", "signature")
        found = orient(pairs, side)
        # The budget's second key: the slots the two whole-document signatures share.
        found = found.select(
            F.col("shared").cast("bigint").alias("shared"),
            "a_doc",
            "b_doc",
            "a_order",
            "b_order",
            "a_signature",
            "b_signature",
        )
        return found.mapInArrow(B.same_slots, f"shared bigint, a_doc bigint, b_doc bigint, a_order {order_type}, "
                                f"b_order {order_type}, {B.SAME}")  # fmt: skip

    candidate_pairs = work.stage("chosen", chosen)
    total = candidate_pairs.count()

    def budgeted() -> DataFrame:
        if not cfg.max_candidates:
            return candidate_pairs.select("a_doc", "b_doc")
        # dedup.budget.per_document_budget, distributed: each document ranks its pairs by the bands
        # shared, then the signature slots shared (both capped as that kernel caps them), then the
        # pair's place in (earlier, later) input order; a pair among the max_candidates strongest
        # of either of its documents is kept.
        ranked = candidate_pairs.select(
            "a_doc", "b_doc", "a_order", "b_order",
            F.least(F.col("shared"), F.lit(0x7FFF)).alias("_bands"),
            F.least(F.col("same"), F.lit(0xFFFF)).alias("_slots"),
        )  # fmt: skip
        per_doc = ranked.select(F.col("a_doc").alias("_d"), "*").unionByName(
            ranked.select(F.col("b_doc").alias("_d"), "*")
        )
        rank = F.row_number().over(
            Window.partitionBy("_d").orderBy(F.desc("_bands"), F.desc("_slots"), "a_order", "b_order")
        )
        ranked_per_doc = per_doc.withColumn("_rank", rank)
        return ranked_per_doc.filter(F.col("_rank") <= cfg.max_candidates).select("a_doc", "b_doc").distinct()

    kept = work.stage("budget", budgeted)
    aligned_pairs = kept.count()
    unaligned = total - aligned_pairs

    def aligned() -> DataFrame:
        # Each pair goes to a partition (by its earlier document) as two ids; each partition gets the
        # documents its pairs need, each once (not both texts once per pair: on pan13-train, half a
        # million candidate pairs of documents of thousands of characters).
        label = F.array(*(F.lit(v) for v in _partition_labels(parts)))
        pairs = kept.select(
            F.element_at(label, F.pmod(F.xxhash64("a_doc"), F.lit(parts)).cast("int") + 1).alias("part"),
            F.lit(1).alias("kind"), F.col("a_doc").alias("doc"), F.col("b_doc").alias("other"),
        )  # fmt: skip
        needed = pairs.select("part", "doc").union(pairs.select("part", F.col("other").alias("doc"))).distinct()
        side = accepted.select(
            "doc", "_order", "id", "text", "length", "signature", "time", "until", "window_count", "source_id",
            "source_key", "source",
        )  # fmt: skip
        documents = needed.join(side, "doc").withColumn("kind", F.lit(0))
        rows = documents.unionByName(pairs, allowMissingColumns=True).repartition(parts, "part")
        # Broadcast once to each executor, not pickled into every task's function (8 MB each).
        shared = spark.sparkContext.broadcast((statistics, exact))
        return rows.mapInArrow(partial(B.align_pairs, config=cfg, statistics=shared), B.aligned_schema(order_type))

    done = work.stage("aligned", aligned)
    keyed = done.select("a_order", "b_order", F.posexplode("passages").alias("position", "passage")).select(
        "a_order", "b_order", "position", "passage.*"
    )
    passages = keyed.orderBy("a_order", "b_order", "position").drop("a_order", "b_order", "position")
    unsorted_pairs = done.filter(F.col("pair").isNotNull()).select("pair.*")
    pairs = unsorted_pairs.orderBy(F.desc("score"), "a", "b")
    documents = rows.select(
        "_order", "id", "source", "date", "text", "length", "reason", "kind", "where", "date_reason"
    )
    return SparkScan(
        passages=passages,
        pairs=pairs,
        documents=documents,
        candidates=total,
        suppressed_buckets=suppressed,
        config=cfg,
        unaligned=unaligned,
        common=common,
        persisted=work.persisted,
        _keyed_passages=keyed,
        _unsorted_pairs=unsorted_pairs,
    )


def _common_texts(skipped: npt.NDArray[np.int64], accepted: DataFrame, cfg: ScanConfig) -> list[CommonText]:
    """The text of the skipped buckets (:func:`dedup.common.common_texts`), the documents' texts read for it.

    Rows are (bandkey, first document, second document, windows) by document key. Only the
    documents of the buckets that held the most windows are read (those common_texts may name);
    they are numbered in input order, as the local engine numbers its documents.
    """
    if not len(skipped):
        return []
    order = np.lexsort((skipped[:, 1], -skipped[:, 3]))
    firsts = list(dict.fromkeys(skipped[order, 1].tolist()))[:MOST_DOCUMENTS]
    rows = skipped[np.isin(skipped[:, 1], firsts)]
    keys = sorted(set(rows[:, 1].tolist()) | set(rows[rows[:, 2] != J.NO_DOC, 2].tolist()))
    spark = accepted.sparkSession
    wanted = spark.createDataFrame([(k,) for k in keys], "doc bigint")
    found = accepted.select("doc", "_order", "id", "text").join(F.broadcast(wanted), "doc").collect()
    found.sort(key=lambda r: r["_order"])
    number = {r["doc"]: k for k, r in enumerate(found)}
    local = np.empty((len(rows), 5), dtype=np.int64)
    local[:, 0], local[:, 1] = rows[:, 0] >> 32, rows[:, 0] & 0xFFFFFFFF
    local[:, 2] = [number[d] for d in rows[:, 1].tolist()]
    local[:, 3] = [number[d] if d != J.NO_DOC else -1 for d in rows[:, 2].tolist()]
    local[:, 4] = rows[:, 3]
    return common_texts(local, [r["text"] for r in found].__getitem__, [r["id"] for r in found].__getitem__, cfg)


def _murmur3_int(value: int, seed: int = 42) -> int:
    """Spark's ``hash()`` of an int column (Murmur3 x86 32-bit of the 4-byte value, seed 42), as a signed int."""

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & 0xFFFFFFFF

    k1 = (value & 0xFFFFFFFF) * 0xCC9E2D51 & 0xFFFFFFFF
    k1 = rotl(k1, 15) * 0x1B873593 & 0xFFFFFFFF
    h1 = seed ^ k1
    h1 = (rotl(h1, 13) * 5 + 0xE6546B64) & 0xFFFFFFFF
    h1 ^= 4
    h1 ^= h1 >> 16
    h1 = h1 * 0x85EBCA6B & 0xFFFFFFFF
    h1 ^= h1 >> 13
    h1 = h1 * 0xC2B2AE35 & 0xFFFFFFFF
    h1 ^= h1 >> 16
    return h1 - (1 << 32) if h1 >= 1 << 31 else h1


def _partition_labels(parts: int) -> list[int]:
    """For each partition p, an int that Spark's hash partitioning into ``parts`` partitions sends to p.

    The band join writes these as its ``part`` column, so that each of its partitions is one Spark
    partition (hashing 0..parts-1 directly would pile several onto one and leave others empty).
    """
    label: dict[int, int] = {}
    value = 0
    while len(label) < parts:
        label.setdefault(_murmur3_int(value) % parts, value)
        value += 1
    return [label[p] for p in range(parts)]


def _sketched(source: DataFrame, cfg: ScanConfig, order_type: str) -> DataFrame:
    """Every input row checked, and sketched when it is long enough (the documents stage)."""
    return source.mapInArrow(partial(B.documents, config=cfg), B.DOCUMENTS + f", where string, _order {order_type}")


def _duplicates(sketched: DataFrame) -> DataFrame:
    """The ids found more than once: for each, the input order of the first scanned row (``_first``) and its place."""
    keyed = sketched.filter(F.col("problem") != B.PROBLEM_FIELD)
    return (
        keyed.groupBy("doc")
        .agg(
            F.min(F.when(F.col("problem") == B.PROBLEM_NONE, F.col("_order"))).alias("_first"),
            F.min_by("where", F.when(F.col("problem") == B.PROBLEM_NONE, F.col("_order"))).alias("_first_where"),
            F.countDistinct("id").alias("_ids"),
            F.count(F.lit(1)).alias("_rows"),
            F.min("id").alias("_id_low"),
            F.max("id").alias("_id_high"),
        )
        .filter(F.col("_rows") > 1)
    )


_BROADCAST_ROWS = 1_000_000  # duplicate ids joined to the documents by broadcast up to this many


def _duplicate_marks(duplicates: DataFrame, light: DataFrame, ordered: bool = True) -> DataFrame | None:
    """The repeated ids (``doc``, ``_first``) to mark the documents with; None when no id repeats.

    Stops the scan when two different ids share a 64-bit hash, and when the first scanned document
    of an id has the order of another document of that id (``light``: the documents stage without
    its texts): which came first, and so which is the duplicate, is then undecided. Without an order
    (``ordered`` false: the id orders the documents) every repeated id is undecided.
    """
    summary = duplicates.agg(F.count(F.lit(1)).alias("ids"), F.max("_ids").alias("most")).first()
    if summary is not None and summary.most is not None and summary.most > 1:
        c = duplicates.filter(F.col("_ids") > 1).first()
        assert c is not None
        raise InputError(f"documents {c._id_low!r} and {c._id_high!r} have the same 64-bit id hash; rename one")
    repeated = summary.ids if summary is not None else 0
    if not repeated:
        # The usual case: no join at all (each query over the documents would run it again).
        return None
    marks = duplicates.select("doc", "_first", "_first_where")
    # Duplicates are few in any sane corpus: broadcast, so the documents are not shuffled for them.
    marks = F.broadcast(marks) if repeated <= _BROADCAST_ROWS else marks
    tied = (
        light.filter(F.col("problem") != B.PROBLEM_FIELD)
        .join(marks, "doc")
        .filter(F.col("_order") == F.col("_first"))
        .groupBy("doc")
        .agg(F.count(F.lit(1)).alias("n"), F.min("id").alias("id"), F.sort_array(F.collect_set("where")).alias("at"))
        .filter(F.col("n") > 1)
        .first()
    )
    if tied is not None:
        places = f" ({', '.join(tied.at)})" if tied.at else ""
        if ordered:
            why = "and the same input order: which is the duplicate is undecided; give each document its own order"
        else:
            why = (
                "and nothing says which came first (without an _order column or order=, the id is the order): "
                "give scan() order= or an _order column, to keep the first and skip the others as duplicates"
            )
        reason = f"{tied.n} documents have the id {tied.id!r}{places} {why}"
        raise InputError(reason, document=tied.id, reason=reason, kind="duplicate id")
    return marks


def _documents(sketched: DataFrame, marks: DataFrame | None) -> DataFrame:
    """The documents with duplicate ids decided in input order, as the local engine decides them.

    An id already taken by an earlier scanned document is a duplicate (checked before the length);
    a document not scanned for its length leaves its id free.
    """
    kept = [c for c in sketched.columns if c not in ("reason", "problem", "kind")]
    if marks is None:
        return sketched.select(*kept, "reason", "kind")
    marked = sketched.join(marks, "doc", "left")
    duplicate = (
        F.col("_first").isNotNull() & (F.col("_order") > F.col("_first")) & (F.col("problem") != B.PROBLEM_FIELD)
    )
    # Said as the commands say it when the rows carry their place (the id quoted as Python quotes a plain one).
    placed = F.concat(
        F.lit("duplicate id '"), F.col("id"), F.lit("' (taken by the document at "), F.col("_first_where"),
        F.lit("); ids must be unique"),
    )  # fmt: skip
    plain = F.lit("duplicate id (an earlier document has the same id)")
    return marked.select(
        *kept,
        F.when(duplicate, F.coalesce(placed, plain)).otherwise(F.col("reason")).alias("reason"),
        F.when(duplicate, F.lit("duplicate id")).otherwise(F.col("kind")).alias("kind"),
    )
