"""The Spark engine gives the local engine's answers: compared with dedup.scan at run time, field by field.

One SparkSession (``local[2]``) serves the whole test session; inputs are repartitioned so that
documents really are split across partitions.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import random
import re
import shutil
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from briefs import agency_briefs, rule_candidates
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup.boilerplate import SeedCounts, source_salt
from dedup.candidates import candidate_pairs_banded, chained_pairs, document_key
from dedup.cli import main
from dedup.clusters import find_clusters
from dedup.errors import InputError, ParameterError
from dedup.io import Reader
from dedup.normalize import normalize
from dedup.records import Document, Pair, Passage, Span
from dedup.report import summary_record
from dedup.scan import ScanConfig, ScanResult, _sketch_batch
from dedup.spark import _arrow, _batches, _join, _statistics, session
from dedup.spark import scan as spark_scan
from dedup.spark import write as spark_write

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("dedup_bench_main", ROOT / "benchmarks" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    s = session("local[2]")
    yield s
    s.stop()


def _frame(spark: Any, docs: list[Document], partitions: int) -> Any:
    """The documents as a DataFrame in input order (``_order``), shuffled over ``partitions`` partitions."""
    from pyspark.sql import functions as F

    rows = [(d.id, d.text, d.source, d.date, k) for k, d in enumerate(docs)]
    df = spark.createDataFrame(rows, "id string, text string, source string, date string, _order long")
    df = df.repartition(partitions)
    # Really split: rows in at least two partitions (a test on one partition would prove nothing).
    assert df.select(F.spark_partition_id()).distinct().count() >= 2
    return df


def _assert_same(local: ScanResult, found: Any) -> ScanResult:
    result = found.to_result()
    assert result.passages == local.passages
    assert result.pairs == local.pairs
    assert (result.candidates, result.suppressed_buckets) == (local.candidates, local.suppressed_buckets)
    # The skipped buckets are named by both (the document naming a text may differ: Spark takes the
    # smallest document keys, the local engine the documents of smallest id).
    assert bool(result.common) == bool(local.common) == (local.suppressed_buckets > 0)
    assert [c.windows for c in result.common[:1]] == [c.windows for c in local.common[:1]]
    assert result.unaligned == local.unaligned
    assert result.scanned == local.scanned == len(local.documents)
    assert result.one_source == local.one_source
    assert [(s.id, s.reason, s.kind) for s in result.skipped] == [(s.id, s.reason, s.kind) for s in local.skipped]
    assert [(s.id, s.reason) for s in result.unread_dates] == [(s.id, s.reason) for s in local.unread_dates]
    assert find_clusters(result) == find_clusters(local)
    assert found.clusters() == find_clusters(local)
    for p in local.passages:  # the documents of the report hold every passage's texts
        assert result.documents[p.a.doc] == local.documents[p.a.doc]
    for pair in local.pairs:  # and every pair's, those reported on their score alone included
        for doc in (pair.a, pair.b):
            assert result.documents[doc] == local.documents[doc]
    return result


def test_seeds_same_as_local_and_unpersist_keeps_the_answers(spark: Any) -> None:
    """The seeds' answers are the local engine's; a scan's cached stages are released on request,
    and its DataFrames then compute the same answers again (one scan for both: each costs seconds)."""
    docs = list(Reader().read([SEEDS]))
    local = dedup.scan(docs)
    assert local.passages  # the comparison means something
    found = spark_scan(_frame(spark, docs, 3))
    before = _assert_same(local, found)
    # A SparkScan made without the unsorted frames collects the sorted public ones: the same answers.
    plain = dataclasses.replace(found, _keyed_passages=None, _unsorted_pairs=None)
    assert plain.to_result() == before and plain.clusters() == found.clusters()
    assert found.persisted and all(frame.is_cached for frame in found.persisted)
    kept = list(found.persisted)
    found.unpersist()
    assert not found.persisted and not any(frame.is_cached for frame in kept)
    again = found.to_result()
    assert (again.passages, again.pairs) == (before.passages, before.pairs)


def test_a_chinese_brief_same_as_local(spark: Any) -> None:
    """Lengths in letters and breaks between ideographs hold on the executors too: the brief of
    three outlets is found as locally, and a document too short in letters is skipped with the
    local message (24 letters), one long enough in letters but not in characters is scanned."""
    from dedup_bench.scripts import TRANSLATIONS, outlets

    chinese = TRANSLATIONS["Chinese"]
    docs = [*outlets(chinese[:62], seed=7), Document("tiny", chinese[:8]), Document("sixty", chinese[70:130])]
    local = dedup.scan(docs)
    assert len(local.passages) == 3 and [s.id for s in local.skipped] == ["tiny"] and "sixty" in local.documents
    assert "24 letters" in local.skipped[0].reason
    _assert_same(local, spark_scan(_frame(spark, docs, 3)))


def _corpus() -> list[Document]:
    """A small news-like corpus: planted wire passages, a boilerplate line, and bad documents."""
    docs = _bench().synthetic_corpus(240, seed=3, chars=1200, sources=12, share=0.5, stories=12)
    footer = " Copyright the news agency, all rights reserved; no part may be republished without permission."
    out = [Document(d.id, d.text + (footer if k % 3 == 0 else ""), source=d.source) for k, d in enumerate(docs)]
    out[5] = Document(out[5].id, out[5].text, source=None, date="2024-01-02")  # its own source
    bad = [
        Document("short", "too short to hold a passage", source="x"),
        Document(out[7].id, out[9].text, source="y"),  # a duplicate id: the earlier document stays
        Document("later", "tiny", source="z"),
        Document("later", out[11].text[:600] + " and more words here", source="z"),  # id free again
        Document("empty", "", source="z"),
    ]
    return out[:60] + bad + out[60:]


def _dated(docs: list[Document]) -> list[Document]:
    """Most documents dated (the pair score follows the later one), some not, some with a date not read.

    Some dates are days, some times within those days (a day and a time in it order neither).
    """
    return [
        Document(
            d.id, d.text, source=d.source,
            date=None if k % 4 == 0 else "01/02/2024" if k % 7 == 3 else f"2024-01-{1 + k % 9:02d}"
            + ("T08:15:00+01:00" if k % 2 == 1 else ""),
        )
        for k, d in enumerate(docs)
    ]  # fmt: skip


def test_small_corpus_same_as_local_and_resumes(spark: Any, tmp_path: Path) -> None:
    """Dated documents, a tight per-document budget, suppressed buckets, bad documents; then a resumed job."""
    # Rewritten briefs give the pairs reported on their score alone (the footer did until the score
    # left each source's boilerplate out).
    docs = _dated(_corpus() + agency_briefs(4, seed=38))
    cfg = ScanConfig(skip_bad=True, max_bucket=6, min_bands=2, max_candidates=2)
    local = dedup.scan(docs, cfg)
    assert len(local.passages) > 50 and local.suppressed_buckets > 0 and len(local.skipped) == 4
    assert find_clusters(local)
    # The comparison means something: pairs left to the budget, pairs reported on their score alone.
    assert local.unaligned > 0 and any(p.passages == 0 for p in local.pairs)
    assert len({p.score for p in local.pairs}) > 1
    work = tmp_path / "work"
    df = _frame(spark, docs, 4)
    _assert_same(local, spark_scan(df, cfg, work_dir=str(work)))
    # A job that failed after the documents stage: the later stages are computed again, the earlier reused.
    kept = sorted((p.name, p.stat().st_mtime_ns) for p in (work / "documents").iterdir())
    shutil.rmtree(work / "aligned")
    shutil.rmtree(work / "candidates")
    (work / "duplicates" / "_SUCCESS").unlink()
    found = spark_scan(df, cfg, work_dir=str(work))
    _assert_same(local, found)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (work / "documents").iterdir()) == kept
    assert (work / "aligned" / "_SUCCESS").exists()
    with pytest.raises(ParameterError, match="another scan configuration"):
        spark_scan(df, cfg.replace(ngram=6), work_dir=str(work))
    # Nor are the stages a dedup with another engine digest made (another normalisation): they hold
    # other keys of the same text.
    (marker,) = (work / "config").glob("part-*")
    held = json.loads(marker.read_text("utf-8"))
    marker.write_text(json.dumps({**held, "engine": "0" * 16}, sort_keys=True), "utf-8")
    for checksum in (work / "config").glob(".*.crc"):
        checksum.unlink()
    with pytest.raises(ParameterError, match="another scan configuration or version"):
        spark_scan(df, cfg, work_dir=str(work))
    # Written out, every input row is accounted for: scanned, or skipped with its reason; the
    # summary counts as the local one does. An existing output is not replaced unasked.
    out = tmp_path / "out"
    spark_write(found, str(out), format="jsonl")
    rows = {
        name: [
            json.loads(line)
            for part in sorted((out / name).glob("part-*"))
            for line in part.read_text("utf-8").splitlines()
        ]
        for name in ("skipped", "unread_dates", "summary", "pairs", "passages")
    }
    assert [(r["id"], r["kind"]) for r in rows["skipped"]] == [(s.id, s.kind) for s in local.skipped]
    assert [r["id"] for r in rows["unread_dates"]] == [s.id for s in local.unread_dates]
    (summary,) = rows["summary"]
    expected = summary_record(local)
    for name in ("documents_read", "documents_scanned", "documents_skipped", "candidates", "unaligned", "pairs",
                 "passages", "suppressed_buckets", "config"):  # fmt: skip
        assert summary[name] == expected[name], name
    assert summary["unread_dates"] == len(local.unread_dates) > 0
    assert len(rows["pairs"]) == len(local.pairs) and len(rows["passages"]) == len(local.passages)
    with pytest.raises(ParameterError, match="already holds passages, pairs, skipped, unread_dates, summary"):
        spark_write(found, str(out))
    spark_write(found, str(out), overwrite=True)
    assert list((out / "summary").glob("part-*"))
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(ParameterError, match="afile is a file: expected a directory"):
        spark_write(found, str(afile), overwrite=True)


_WIRE = (
    "The defence ministry said on Monday it had no plans to withdraw its 2,500 troops from the country, "
    "despite the announcement last week of talks on ending the mission of the coalition forces there. "
)


def _own_text(rng: random.Random) -> str:
    """100 made-up words: an outlet's own text, which shares nothing by chance."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(100))


def test_the_text_of_skipped_buckets_is_named_as_by_the_local_engine(spark: Any) -> None:
    """A wire paragraph 12 outlets carry, in buckets over max_bucket: both engines name it, once, exactly."""
    rng = random.Random(11)
    docs = [Document(f"d{k}", f"{_own_text(rng)} {_WIRE}{_own_text(rng)}", source=f"o{k}") for k in range(12)]
    cfg = ScanConfig(max_bucket=30)
    local = dedup.scan(docs, cfg)
    found = spark_scan(_frame(spark, docs, 3), cfg).to_result()
    assert found.suppressed_buckets == local.suppressed_buckets > 0
    texts = {d.id: d.text for d in docs}
    for result in (local, found):
        [named] = result.common
        at = texts[named.span.doc].index(_WIRE)
        assert at <= named.span.start <= at + 5 and at + len(_WIRE) - 5 <= named.span.end <= at + len(_WIRE)
        assert named.windows == local.common[0].windows


def test_skipped_buckets_chain_their_carriers_as_the_local_engine_does(spark: Any) -> None:
    """A paragraph ten documents carry (two outlets twice) in buckets over max_bucket: no bucket's
    pairs are all compared, yet each document is paired with the next of another outlet in the
    order of their document keys, in both engines alike, and the carriers make one cluster."""
    rng = random.Random(5)
    outlets = [f"o{k}" for k in range(8)] + ["o0", "o3"]
    carriers = [Document(f"d{k}", f"{_own_text(rng)} {_WIRE}{_own_text(rng)}", source=o) for k, o in enumerate(outlets)]
    docs = carriers + [Document(f"n{k}", _own_text(rng), source=f"p{k}") for k in range(3)]
    cfg = ScanConfig(max_bucket=4)
    local = dedup.scan(docs, cfg)
    assert local.suppressed_buckets > 0
    # The chain of a bucket all carriers fill: its pairs are found, though the bucket was skipped.
    numbers = {o: k for k, o in enumerate(sorted(set(outlets)))}
    lo, hi = chained_pairs(
        np.array([document_key(d.id) for d in carriers]), np.arange(len(carriers)),
        np.array([numbers[o] for o in outlets]), False,
    )  # fmt: skip
    found = {frozenset((p.a, p.b)) for p in local.pairs}
    chain = {frozenset((carriers[x].id, carriers[y].id)) for x, y in zip(lo.tolist(), hi.tolist(), strict=True)}
    assert len(chain) == len(carriers) - 1 and chain <= found
    across = sum(a.source != b.source for k, a in enumerate(carriers) for b in carriers[k + 1 :])
    assert len(found) < across  # not every pair of carriers: the buckets were not compared whole
    [cluster] = find_clusters(local)
    assert {m.doc for m in cluster.members} == {d.id for d in carriers}
    _assert_same(local, spark_scan(_frame(spark, docs, 3), cfg))


def test_budget_dates_and_scored_pairs_same_as_local(spark: Any) -> None:
    """Another budget and band count than the test above, with short-document bands."""
    # (Rewritten briefs give pairs reported on their score alone: until a piece under min_length was
    # measured by the text alike around it, a pair of the corpus's own was; now it has passages.)
    docs = _dated(_corpus() + agency_briefs(4, seed=38))
    cfg = ScanConfig(skip_bad=True, min_bands=4, max_candidates=3, short_windows=40)
    local = dedup.scan(docs, cfg)
    # The comparison means something: pairs left to the budget, pairs reported on their score alone.
    assert local.unaligned > 0 and any(p.passages == 0 for p in local.pairs) and local.passages
    assert local.unread_dates and all(s.reason.startswith("date '01/02/2024'") for s in local.unread_dates)
    assert len({p.score for p in local.pairs}) > 1
    _assert_same(local, spark_scan(_frame(spark, docs, 4), cfg))


def test_briefs_on_one_band_same_as_local(spark: Any) -> None:
    """Two short stories are candidates on a quarter of min_bands, on the executors as locally."""
    docs = agency_briefs(20, seed=38)
    kept, below_half = rule_candidates(docs, ScanConfig())
    assert below_half > 0  # the comparison means something: pairs only the quarter keeps
    assert rule_candidates(docs, ScanConfig(), every_band=False)[0] < kept  # ... and a short story's further bands
    local = dedup.scan(docs)
    assert local.candidates == kept and len(local.pairs) == 20
    _assert_same(local, spark_scan(_frame(spark, docs, 3)))


def test_undated_briefs_of_a_wire_agency_are_scored_as_locally(spark: Any) -> None:
    """A pair dates do not order is scored from the agency's side on the executors too (its sources read there)."""
    docs = [dataclasses.replace(d, source="Reuters") if d.source == "agency" else d for d in agency_briefs(8, seed=5)]
    local = dedup.scan(docs)
    derived = [p for p in local.pairs if p.a[-2:] == p.b[-2:]]
    assert len(derived) >= 6 and all(p.score == p.containment_b for p in derived)  # (the brief is b)
    _assert_same(local, spark_scan(_frame(spark, docs, 3)))


def test_documents_of_one_source_are_said_so_as_by_the_local_engine(spark: Any) -> None:
    """A crawl whose records all name one source: nothing compared, and both engines say which source."""
    docs = [Document(d.id, d.text, source="crawl") for d in Reader().read([SEEDS])]
    local = dedup.scan(docs)
    assert local.one_source == "crawl" and not local.pairs
    _assert_same(local, spark_scan(_frame(spark, docs, 2)))


def test_nothing_to_scan_same_as_local(spark: Any) -> None:
    """Every document skipped (short, empty): no statistics to count, every document accounted for."""
    docs = [Document(f"d{k}", "a caption" * k, source="x") for k in range(5)]  # (under min_exact, 40)
    local = dedup.scan(docs)
    assert len(local.skipped) == 5 and not local.pairs
    _assert_same(local, spark_scan(_frame(spark, docs, 2)))


def test_bad_document_stops_with_the_local_message(spark: Any) -> None:
    """The first problem in input order is said, as locally: with strict, a date not read before a
    too-short document."""
    for docs, cfg in ((_corpus(), ScanConfig()), (_dated(_corpus()), ScanConfig(strict=True))):
        with pytest.raises(InputError) as local:
            dedup.scan(docs, cfg)
        with pytest.raises(InputError) as remote:
            spark_scan(_frame(spark, docs, 3), cfg)
        assert str(remote.value) == str(local.value) and remote.value.kind == local.value.kind
    assert local.value.kind == "unread date"


_ENGINES = (["--engine", "local"], ["--engine", "spark", "--spark-master", "local[2]"])


def _stderr_of_both_engines(argv: list[str], status: int, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Standard error of ``main(argv)`` run with the local engine, then with Spark, each ending in ``status``."""
    errors = []
    for engine in _ENGINES:
        assert main([*argv, *engine]) == status
        errors.append(capsys.readouterr().err)
    return errors


def test_cli_strict_stops_with_the_local_message(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    (folder / "brief.txt").write_text("a caption", encoding="utf-8")
    errors = _stderr_of_both_engines(["scan", str(folder), "--strict", "-q"], 2, capsys)
    assert "(skipped and counted without --strict)" in errors[0] and str(folder / "brief.txt") in errors[0]
    assert errors[1] == errors[0]


def _two_seed_texts() -> list[str]:
    """The first two articles of ``seeds/`` (they share four Reuters pieces)."""
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))[:2]]


def _news(tmp_path: Path, rows: list[dict[str, str]], tail: str = "") -> Path:
    """``rows`` written as ``tmp_path/news.jsonl``, then ``tail`` (a line the reader refuses)."""
    news = tmp_path / "news.jsonl"
    news.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + tail, encoding="utf-8")
    return news


def _first_dated(tmp_path: Path, date: str) -> Path:
    """The two seed articles in news.jsonl (ids a and b), the first dated ``date``, the second undated."""
    texts = _two_seed_texts()
    return _news(tmp_path, [{"id": "a", "text": texts[0], "date": date}, {"id": "b", "text": texts[1]}])


def test_cli_a_problem_before_a_line_the_reader_refuses_is_said_first(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The local engine checks each document as it reads it: a repeated id (and with --strict a
    short document) before a line that is not JSON is said, not the later line, with either engine."""
    texts = _two_seed_texts()
    rows = [{"id": "a", "text": texts[0]}, {"id": "s", "text": "a caption"}, {"id": "a", "text": texts[1]}]
    news = _news(tmp_path, rows, "not json\n")
    for options, said in (([], f"{news}:3: duplicate id 'a'"), (["--strict"], f"{news}:2: too short")):
        errors = _stderr_of_both_engines(["scan", str(news), "-q", *options], 2, capsys)
        assert errors[0].startswith(f"dedup: error: {said}")
        assert errors[1] == errors[0]


def test_cli_a_date_field_no_document_has_is_said_with_either_engine(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt --date-field read by dedup's reader is said on standard error by --engine spark too."""
    news = _first_dated(tmp_path, "2024-01-22")
    errors = _stderr_of_both_engines(
        ["scan", str(news), "--date-field", "Date", "--format", "jsonl", "-o", "-"], 0, capsys
    )
    assert "--date-field 'Date': no document read has a value in it" in errors[0]
    assert errors[1] == errors[0]


def test_cli_strict_on_a_date_not_read_says_it_is_scanned_without_it(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A date not read stops --strict with the local words: without --strict the document is scanned, not skipped."""
    news = _first_dated(tmp_path, "yesterday")
    errors = _stderr_of_both_engines(["scan", str(news), "--strict", "-q"], 2, capsys)
    assert "(scanned without it and counted without --strict)" in errors[0]
    assert errors[1] == errors[0]


def test_cli_work_dir_of_other_local_documents_is_refused(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Local inputs reach Spark as a DataFrame without files: a work dir holding another input's stages
    is refused (they would be reported as this input's), and the same input still resumes."""
    first, other = tmp_path / "first", tmp_path / "other"
    shutil.copytree(SEEDS, first, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(SEEDS, other, ignore=shutil.ignore_patterns("*.md"))
    for path in other.glob("*.txt"):
        path.rename(path.with_name("x" + path.name))
    work = tmp_path / "work"
    spark_args = ["--engine", "spark", "--spark-master", "local[2]", "--work-dir", str(work)]
    outputs = []
    for folder in (first, first):
        out = tmp_path / f"out{len(outputs)}.jsonl"
        assert main(["scan", str(folder), "--format", "jsonl", "-o", str(out), "-q", *spark_args]) == 0
        outputs.append(
            [r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines()) if r["type"] != "summary"]
        )
    assert outputs[0] == outputs[1] and outputs[0]
    capsys.readouterr()
    assert main(["scan", str(other), "--format", "jsonl", "-o", str(tmp_path / "x.jsonl"), "-q", *spark_args]) == 2
    err = capsys.readouterr().err
    assert "holds the stages of a scan of other documents" in err and err.count("\n") == 1


def test_cli_work_dir_that_is_a_file_or_below_one_is_a_one_line_error(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--work-dir naming a file, or a path below one, is said in one line (it was Spark's Java traceback)."""
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for work, said in ((afile, "is a file: expected a directory"), (afile / "sub", "cannot be written: Parent path")):
        args = ["scan", str(SEEDS), "-q", "--engine", "spark", "--spark-master", "local[2]", "--work-dir", str(work)]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"dedup: error: work_dir {work} {said}") and err.count("\n") == 1


def test_parquet_timestamp_dates_read_as_by_the_local_reader(spark: Any, tmp_path: Path) -> None:
    """A Parquet timestamp date is the string the local reader makes of it (the date of a cluster's members)."""
    import datetime as dt

    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    moment = dt.datetime(2024, 1, 20, 10, 30, 15, 500000, tzinfo=dt.UTC)
    dates = [moment, moment.replace(microsecond=0), None, moment, moment]
    for kind in (pa.timestamp("us", tz="UTC"), pa.timestamp("ms"), pa.timestamp("us", tz="America/New_York")):
        values = [d if d is None or kind.tz else d.replace(tzinfo=None) for d in dates]
        path = tmp_path / f"news-{kind.unit}-{str(kind.tz).replace('/', '-')}.parquet"
        pq.write_table(pa.table({"id": ["a", "b", "c", "d", "e"], "text": texts, "date": pa.array(values, kind)}), path)
        reader = Reader()
        local = {d.id: d.date for d in reader.read([path])}
        rows = dedup.spark.read(spark, str(path)).select("id", "date").collect()
        assert {r.id: r.date for r in rows} == local
        assert local["b"] == "2024-01-20T10:30:15" + ("+00:00" if kind.tz else "")
        # The same column in a DataFrame given to scan (once cast in the session's zone, without an offset).
        scanned = spark_scan(spark.read.parquet(str(path))).documents.select("id", "date").collect()
        assert {r.id: r.date for r in scanned} == local


def test_parquet_nanosecond_dates_read_as_by_the_local_reader(spark: Any, tmp_path: Path) -> None:
    """pandas writes nanosecond timestamps, which Spark refuses: read, as the local reader makes them strings."""
    stored = [1705746615500000000, 1705746615500000001, -1, 1705746615000000000, None]
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for tz in ("UTC", None, "Asia/Karachi"):
        path = tmp_path / f"news-{str(tz).replace('/', '-')}.parquet"
        date = pa.array(stored, pa.timestamp("ns", tz=tz))
        pq.write_table(pa.table({"id": ["a", "b", "c", "d", "e"], "text": texts, "date": date}), path)
        local = {d.id: d.date for d in Reader().read([path])}
        rows = dedup.spark.read(spark, str(path)).select("id", "date").collect()
        assert {r.id: r.date for r in rows} == local


def test_cli_parquet_spark_cannot_read_is_one_line(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Parquet input that is not there, or is no Parquet, is one line naming it, as with the local engine."""
    missing, damaged = tmp_path / "missing.parquet", tmp_path / "damaged.parquet"
    damaged.write_text("not parquet", encoding="utf-8")
    for path in (missing, damaged):
        for err in _stderr_of_both_engines(["scan", str(path), "-q"], 2, capsys):
            assert err.startswith(f"dedup: error: {path}: cannot read: ") and err.count("\n") == 1, err
    assert main(["scan", str(missing), "-q", "--engine", "spark", "--spark-master", "local[2]"]) == 2
    assert capsys.readouterr().err == f"dedup: error: {missing}: cannot read: no such file or directory\n"


def test_parquet_directory_rows_are_placed_as_by_the_local_reader(spark: Any, tmp_path: Path) -> None:
    """The files of a Parquet directory are named as the local reader names them (not as URIs, %20 and all)."""
    folder = tmp_path / "news x+عربي.parquet"
    folder.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for k in range(2):
        table = pa.table({"id": [f"{k}a", f"{k}b"], "text": texts[2 * k : 2 * k + 2]})
        pq.write_table(table, folder / f"part-{k}.parquet")
    reader = Reader()
    list(reader.read([folder]))
    rows = dedup.spark.read(spark, str(folder)).select("id", "where").collect()
    assert {r.id: r.where for r in rows} == reader.where


def test_cli_same_output_for_jsonl_and_parquet(spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Both engines, from JSONL (dedup's reader) and from Parquet (Spark's reader), give the same report,
    skipped documents included: a document skipped as too short leaves its id to a later one (as
    dedup.scan decides), a later copy of a scanned id is a duplicate, each named at its own line or row."""
    docs = _corpus()[:66]
    assert [d.id for d in docs[62:64]] == ["later", "later"]  # a short document, then one long enough
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": d.id, "text": d.text, "source": d.source}, ensure_ascii=False) + "\n" for d in docs),
        encoding="utf-8",
    )
    parquet = tmp_path / "docs.parquet"
    pq.write_table(
        pa.table({"id": [d.id for d in docs], "text": [d.text for d in docs], "source": [d.source for d in docs]}),
        parquet,
    )
    outputs = {}
    for name, argv in {
        "local": [str(corpus)],
        "spark": [str(corpus), "--engine", "spark", "--spark-master", "local[2]"],
        "parquet local": [str(parquet)],
        "parquet": [str(parquet), "--engine", "spark", "--work-dir", str(tmp_path / "work")],
    }.items():
        out = tmp_path / f"{name}.jsonl"
        assert main(["scan", *argv, "--skip-bad", "--format", "jsonl", "-o", str(out), "-q"]) == 0
        outputs[name] = out.read_text(encoding="utf-8")
    assert '"type": "passage"' in outputs["local"] and '"later"' in outputs["local"]
    summary = json.loads(outputs["local"].splitlines()[-1])
    assert [(s["where"], s["kind"]) for s in summary["skipped"]] == [
        (f"{corpus}:61", "too short"), (f"{corpus}:62", "duplicate id"), (f"{corpus}:63", "too short"),
        (f"{corpus}:65", "empty"),
    ]  # fmt: skip
    taken = f"duplicate id {docs[61].id!r} (taken by the document at {corpus}:8); ids must be unique"
    assert summary["skipped"][1]["reason"] == taken
    assert outputs["spark"] == outputs["local"]
    assert outputs["parquet"] == outputs["parquet local"]
    assert f"{parquet}: row 62" in outputs["parquet"]
    # The same passages and pairs whatever the file format (the summary names other places).
    assert outputs["parquet"].splitlines()[:-1] == outputs["local"].splitlines()[:-1]
    # The work directory belongs to that input: another file is refused, not answered from its stages.
    other = tmp_path / "other.parquet"
    shutil.copy(parquet, other)
    argv = ["scan", str(other), "--engine", "spark", "--work-dir", str(tmp_path / "work"), "--skip-bad", "-q"]
    capsys.readouterr()
    assert main(argv) == 2
    assert "holds the stages of a scan of other input files, or of these files" in capsys.readouterr().err
    # And so is the same file written again with other documents (a corpus exported anew).
    pq.write_table(pq.read_table(parquet).slice(1), parquet)
    argv[1] = str(parquet)
    assert main(argv) == 2
    assert "before they were written again (1 then, 1 now)" in capsys.readouterr().err


def test_input_checks_refuse_what_the_local_engine_refuses(spark: Any, tmp_path: Path) -> None:
    """A column or JSON value of the wrong type is refused, not scanned as its string form; repeated
    ids with no order to say which came first are an error; a Hive-partitioned Parquet dataset is
    Parquet; read() takes one path as one."""
    from dedup.spark import read
    from dedup.spark._files import _is_parquet_dir

    for ddl, row, said in (
        ("id string, text bigint", ("a", 5), "field 'text' must be a string, got a column of type bigint"),
        ("id string, text array<string>", ("a", ["x"]), "field 'text' must be a string, got a column of type array"),
        ("id string, text string, source int", ("a", "x", 5), "field 'source' must be a string, got a column of type"),
        ("id string, text string, date int", ("a", "x", 5), "field 'date' must be a string or a date, got a column"),
    ):  # fmt: skip
        with pytest.raises(InputError, match=re.escape(said)):
            spark_scan(spark.createDataFrame([row], ddl))
    texts = [d.text for d in Reader().read([SEEDS])]
    rows = [("a", texts[0], "x", 0), ("a", texts[1], "y", 1), ("c", texts[1], "z", 1)]
    unordered = spark.createDataFrame([r[:3] for r in rows], "id string, text string, source string")
    with pytest.raises(InputError, match="2 documents have the id 'a' and nothing says which came first"):
        spark_scan(unordered, ScanConfig(skip_bad=True))
    tied = spark.createDataFrame([(*r[:3], 0) for r in rows], "id string, text string, source string, o int")
    with pytest.raises(InputError, match="2 documents have the id 'a' and the same input order"):
        spark_scan(tied, ScanConfig(skip_bad=True), order="o")
    # JSON values of the wrong type, as the local reader says them (the field as the user named it).
    lines = [{"id": "a", "body": texts[0]}, {"id": 7, "body": texts[1]}, {"id": "l", "body": ["x"]},
             {"id": "n", "body": None}, {"id": "d", "body": texts[2], "date": 2020}, {"id": "", "body": "x"},
             {"id": "o", "body": {"x": 1}}, {"id": 1.5, "body": "x"}, {"id": "t", "body": True},
             {"id": " \u3000", "body": texts[3]}, {"id": 2**64 + 1, "body": texts[4]},
             {"id": "n", "body": texts[2]}, {"id": 8, "body": None}]  # fmt: skip
    path = tmp_path / "typed.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + "not json\n", encoding="utf-8")
    local = Reader(text_field="body", skip_bad=True)
    # (A refused row claims no id: the later "n" is scanned, no duplicate of the one whose text is null.)
    assert [d.id for d in local.read([path])] == ["a", "7", str(2**64 + 1), "n"]
    found = spark_scan(read(spark, str(path), text_field="body"), ScanConfig(skip_bad=True)).to_result()
    assert found.scanned == 4
    # (Spark's reader names the file, not the line; nor the fields a record holds, nor the JSON error.)
    assert [(s.kind, s.reason) for s in found.skipped] == [
        (s.kind, re.sub(r" \(the record has .*\)$| \(.* at column \d+\)", "", s.reason)) for s in local.skipped
    ]
    assert all(s.where == str(path) for s in found.skipped)
    # A refused row keeps its id unless the id is the problem (missing, empty, blank, of another
    # type, or a line not read), as the local reader records it.
    assert [s.id for s in found.skipped] == [s.id for s in local.skipped]
    assert [s.id for s in local.skipped] == ["l", "n", "d", None, "o", None, "t", None, "8", None]
    table = pa.table({"id": ["p", "\t ", "q", "", None], "text": [texts[0], texts[1], None, texts[2], texts[3]]})
    pq.write_table(table, tmp_path / "blank.parquet")
    said = [(r.id, r._reason) for r in read(spark, str(tmp_path / "blank.parquet")).collect()]
    assert said == [
        ("p", None), (None, "field 'id' is blank (spaces only): expected an id"),
        ("q", "field 'text' is null: expected a string (the record has 'id', 'text')"),
        (None, "field 'id' is empty: expected a non-empty string"),
        (None, "field 'id' is null: expected a string (the record has 'id', 'text')"),
    ]  # fmt: skip
    local = Reader(skip_bad=True)
    assert [d.id for d in local.read([tmp_path / "blank.parquet"])] == ["p"]
    assert [(s.id, s.reason) for s in local.skipped] == [(i, r) for i, r in said if r is not None]
    pq.write_table(pa.table({"id": [1, 2], "text": [texts[0], None]}), tmp_path / "numbered.parquet")
    said = [(r.id, r._reason) for r in read(spark, str(tmp_path / "numbered.parquet")).collect()]
    assert said == [("1", None), ("2", "field 'text' is null: expected a string (the record has 'id', 'text')")]
    local = Reader(skip_bad=True)
    assert [d.id for d in local.read([tmp_path / "numbered.parquet"])] == ["1"]
    assert [(s.id, s.reason) for s in local.skipped] == said[1:]
    hive = tmp_path / "hive"
    for year in (2019, 2020):
        (hive / f"year={year}").mkdir(parents=True)
        pq.write_table(pa.table({"id": [f"d{year}"], "text": [texts[0]]}), hive / f"year={year}" / "part-0.parquet")
    (tmp_path / "lines" / "more").mkdir(parents=True)
    shutil.copy(path, tmp_path / "lines" / "more" / "typed.jsonl")
    assert _is_parquet_dir(spark, str(hive)) and not _is_parquet_dir(spark, str(tmp_path / "lines"))
    assert sorted(r.id for r in read(spark, str(hive)).select("id").collect()) == ["d2019", "d2020"]


def test_a_refused_row_keeps_its_id_and_leaves_it_free(spark: Any, tmp_path: Path) -> None:
    """A row refused for its text keeps its id in both engines' reports (the skipped records and the
    written ``skipped`` table), and claims no id: a later row of that id is scanned, not a duplicate."""
    texts = [d.text for d in Reader().read([SEEDS])]
    rows = [("a", None, "x"), ("a", texts[0], "x"), ("b", texts[1], "y"), ("b", texts[2], "z"), ("", texts[3], "v"),
            ("c", "a caption", "w"), ("c", None, "w"), ("c", texts[3], "w")]  # fmt: skip
    path = tmp_path / "docs.parquet"
    columns = zip(("id", "text", "source"), zip(*rows, strict=True), strict=True)
    pq.write_table(pa.table({name: list(column) for name, column in columns}), path)
    outputs = []
    for engine in _ENGINES:
        out = tmp_path / f"{engine[1]}.jsonl"
        assert main(["scan", str(path), *engine, "--skip-bad", "--format", "jsonl", "-q", "-o", str(out)]) == 0
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[1] == outputs[0]
    summary = json.loads(outputs[0].splitlines()[-1])
    assert [(s["where"].rsplit(": ", 1)[1], s["id"], s["kind"]) for s in summary["skipped"]] == [
        ("row 1", "a", "invalid record"), ("row 4", "b", "duplicate id"), ("row 5", None, "invalid record"),
        ("row 6", "c", "too short"), ("row 7", "c", "invalid record"),
    ]  # fmt: skip
    assert summary["documents_scanned"] == 3
    found = spark_scan(dedup.spark.read(spark, str(path)), ScanConfig(skip_bad=True))
    spark_write(found, str(tmp_path / "out"), format="jsonl")
    written = [json.loads(line) for part in sorted((tmp_path / "out" / "skipped").glob("part-*"))
               for line in part.read_text("utf-8").splitlines()]  # fmt: skip
    assert [r.get("id") for r in written] == [s["id"] for s in summary["skipped"]]


def test_rows_without_id_or_order_are_accounted_for_and_a_missing_order_column_said(spark: Any) -> None:
    """Without an order column the id is the order: rows without an id are skipped and listed (they
    once stopped ``to_result`` sorting None against the ids), as many as locally; ``order=`` naming
    no column is a one-line error naming it."""
    texts = [d.text for d in Reader().read([SEEDS])]
    docs = [("a", texts[0], "x"), (None, texts[1], "y"), (None, texts[2], "z"), ("b", texts[3], "z")]
    frame = spark.createDataFrame(docs, "id string, text string, source string")
    local = dedup.scan([Document(*d) for d in docs], ScanConfig(skip_bad=True))  # type: ignore[arg-type]
    found = spark_scan(frame, ScanConfig(skip_bad=True)).to_result()
    assert found.scanned == local.scanned == 2
    assert [(s.id, s.kind, s.reason) for s in found.skipped] == [(s.id, s.kind, s.reason) for s in local.skipped]
    with pytest.raises(ParameterError, match=r"order must name a column of the documents DataFrame, got 'rank'"):
        spark_scan(frame, order="rank")


def test_local_engine_refuses_spark_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(SEEDS), "--work-dir", str(tmp_path)]) == 2
    assert "--engine spark" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--threads", "2"], ["--input-format", "csv"], ["--encoding", "cp1256"],
                                    ["--glob", "*.parquet"]])  # fmt: skip
def test_spark_engine_refuses_options_it_would_ignore(
    option: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--threads (Spark's cores work), and reader options for inputs Spark reads itself: an error, not ignored."""
    assert main(["scan", str(tmp_path / "news.parquet"), "--engine", "spark", *option]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option[0] in err


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 6), min_size=1, max_size=12), min_size=2, max_size=9),
    st.integers(2, 8),
    st.booleans(),
    st.integers(1, 3),
)
def test_bucket_pairs_equal_the_local_band_join(
    keys_per_doc: list[list[int]], max_bucket: int, same_source: bool, min_shared: int
) -> None:
    """The Spark band join (rows per distinct key and document, windows counted) = candidates.candidate_pairs_banded."""
    bands = 2
    window_keys = [(k % 3, k) for keys in keys_per_doc for k in keys]  # (band of the key, key)
    window_doc = np.repeat(np.arange(len(keys_per_doc)), [len(k) for k in keys_per_doc])
    sources = np.arange(len(keys_per_doc)) // 2  # two documents an outlet
    columns = [np.array([k if b == band else 1000 + w for w, (b, k) in enumerate(window_keys)], np.uint32)
               for band in range(bands)]  # fmt: skip
    local = candidate_pairs_banded(
        columns.__getitem__, bands, window_doc, sources[window_doc], same_source=same_source,
        max_bucket=max_bucket, min_shared=min_shared,
    )  # fmt: skip
    # The same windows as band rows: one per (band, key, document), with its number of windows.
    rows: dict[tuple[int, int], int] = {}
    for band in range(bands):
        for w, key in enumerate(columns[band].tolist()):
            rows[(band << 32 | key, int(window_doc[w]))] = rows.get((band << 32 | key, int(window_doc[w])), 0) + 1
    # Sent as blobs (one partition's rows, in no particular order, in two batches) as band_blobs sends them.
    items = list(rows.items())[::-1]
    half = len(items) // 2

    def blob(chunk: list[tuple[tuple[int, int], int]]) -> pa.RecordBatch:
        arrays = {
            "bandkey": np.array([bk for (bk, _), _ in chunk], np.int64),
            "doc": np.array([d for (_, d), _ in chunk], np.int64),
            "source": np.array([int(sources[d]) for (_, d), _ in chunk], np.int64),
            "windows": np.array([n for _, n in chunk], np.int32),
        }
        return pa.RecordBatch.from_pydict(
            {"part": pa.array([0], pa.int32())} | {k: pa.array([v.tobytes()], pa.binary()) for k, v in arrays.items()}
        )

    # The pairs leave for their pair's partition (three here) and are counted there, a partition at a time.
    sent = _join.bucket_pairs(iter([blob(items[:half]), blob(items[half:])]), max_bucket, same_source, 3)
    by_part = _by_part(sent)
    assert set(by_part) <= {0, 1, 2}
    found, suppressed = _counted(by_part, min_shared)
    expected = sorted(zip(local.left.tolist(), local.right.tolist(), local.shared_bands.tolist(), strict=True))
    assert found == expected
    assert suppressed == local.suppressed


def test_local_session_settings(spark: Any) -> None:
    """A local session as session() sets it up: two shuffle partitions a core, no adaptive plans, C1 only."""
    conf = spark.sparkContext.getConf()
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"
    assert "-XX:TieredStopAtLevel=1" in conf.get("spark.driver.extraJavaOptions")
    # The JVM really runs with them (not only the configuration): its own flag says so.
    jvm = spark.sparkContext._jvm
    flags = jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    assert "-XX:TieredStopAtLevel=1" in list(flags)


def test_a_session_on_another_master_than_the_running_one_is_refused(spark: Any) -> None:
    """getOrCreate hands back the running session whatever master is asked: session("local[1]")
    returned the local[2] session without a word."""
    assert session(spark.sparkContext.master) is spark
    with pytest.raises(
        ParameterError, match=r"master 'local\[1\]': this process already runs a Spark session on 'local\[2\]'"
    ):
        session("local[1]")


def test_partition_labels_land_one_a_partition(spark: Any) -> None:
    """The band join's ``part`` labels are hashed by Spark to every partition once (Spark's own hash() checks it)."""
    from pyspark.sql import functions as F

    from dedup.spark._engine import _murmur3_int, _partition_labels

    values = [*range(-300, 300), 2**31 - 1, -(2**31)]
    rows = spark.createDataFrame([(v,) for v in values], "v int").select("v", F.hash("v").alias("h")).collect()
    assert [_murmur3_int(r.v) for r in rows] == [r.h for r in rows]
    labels = _partition_labels(7)
    placed = spark.createDataFrame([(v,) for v in labels], "v int").repartition(7, "v")
    assert sorted(placed.select(F.spark_partition_id().alias("p")).toPandas()["p"]) == list(range(7))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-4, 4), st.integers(-4, 4), st.integers(0, 300)), max_size=80))
def test_shared_bands_counts_each_pairs_distinct_bands(rows: list[tuple[int, int, int]]) -> None:
    """The band join's count (hash tables): each distinct pair once with its distinct bands, first seen first."""
    lo, hi, band = (np.array([r[k] for r in rows], np.int64) for k in range(3))
    expected: dict[tuple[int, int], set[int]] = {}
    for x, y, b in rows:
        expected.setdefault((x, y), set()).add(b)
    got_lo, got_hi, shared = _join.shared_bands(lo, hi, band.astype(np.int32))
    assert list(zip(got_lo.tolist(), got_hi.tolist(), shared.tolist(), strict=True)) == [
        (x, y, len(bands)) for (x, y), bands in expected.items()
    ]
    first = np.empty(len(rows), dtype=np.bool_)
    _join._first_rows(lo, hi, band, first)
    assert first.tolist() == [r not in rows[:k] for k, r in enumerate(rows)]


def _by_part(blobs: Iterable[pa.RecordBatch]) -> dict[int, list[pa.RecordBatch]]:
    """Blob rows grouped by their ``part``, as Spark's shuffle delivers them to the next stage."""
    by_part: dict[int, list[pa.RecordBatch]] = {}
    for batch in blobs:
        for k, part in enumerate(batch.column("part").to_pylist()):
            by_part.setdefault(part, []).append(batch.slice(k, 1))
    return by_part


def _counted(by_part: dict[int, list[pa.RecordBatch]], least: int) -> tuple[list[Any], int]:
    """count_pairs a partition at a time: the (lo, hi, shared) rows of the pairs, sorted, and the buckets skipped."""
    counted = [b for part in by_part.values() for b in _join.count_pairs(iter(part), least)]
    rows = [t for b in counted for t in zip(*(b.column(i).to_pylist() for i in range(3)), strict=True)]
    # Marker rows (negative shared) carry the skipped buckets, one with windows (< -1) each.
    return sorted(r for r in rows if r[2] > 0), sum(1 for r in rows if r[2] < -1)


def _band_join(batch: pa.RecordBatch, marks: Any, max_bucket: int, parts: int = 3) -> tuple[list[Any], int]:
    """The band join of one batch of documents (band_blobs, bucket_pairs, count_pairs): pairs and buckets skipped."""
    shipped = _by_part(_join.band_blobs(iter([batch]), parts, marks=marks, max_bucket=max_bucket))
    sent = (b for part in shipped.values() for b in _join.bucket_pairs(iter(part), max_bucket, False, parts))
    return _counted(_by_part(sent), 1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.integers(0, 40), st.integers(1, 6), max_size=12), min_size=1, max_size=10
    ),  # each document's distinct band keys and the windows holding each
    st.integers(6, 12),
    st.integers(2, 9),
    st.integers(1, 4),
)
def test_band_key_filter_changes_no_pair_and_no_count(
    documents: list[dict[int, int]], key_bits: int, max_bucket: int, partitions: int
) -> None:
    """The band-key filter (bitmaps merged over partitions) ships every key two documents hold: same join and counts."""
    keys = [np.array(sorted((k % 3) << 32 | k for k in d), np.uint64) for d in documents]
    windows = [np.array([d[k] for k in sorted(d)], np.int32) for d in documents]
    # Marked a partition at a time (documents dealt round-robin), then merged in a tree as Spark merges them.
    marks = []
    for p in range(partitions):
        seen, twice = _statistics.band_marks(key_bits)
        for k in range(p, len(documents), partitions):
            _statistics.mark_band_keys(keys[k], key_bits, seen, twice)
        marks.append((seen, twice))
    while len(marks) > 1:
        marks = [_statistics.merge_band_marks(*marks[k : k + 2]) if k + 1 < len(marks) else marks[k]
                 for k in range(0, len(marks), 2)]  # fmt: skip
    twice = marks[0][1]
    held: dict[int, int] = {}
    for doc_keys in keys:
        for key in doc_keys.tolist():
            held[key] = held.get(key, 0) + 1
    for doc_keys, doc_windows in zip(keys, windows, strict=True):
        kept = _statistics.shipped(doc_keys, doc_windows, key_bits, twice, max_bucket)
        for key, n, ship in zip(doc_keys.tolist(), doc_windows.tolist(), kept.tolist(), strict=True):
            if held[key] > 1 or n > max_bucket:
                assert ship
    batch = pa.RecordBatch.from_pydict(
        {
            "doc": pa.array(range(1, len(documents) + 1), pa.int64()),
            "source_key": pa.array(range(1, len(documents) + 1), pa.int64()),
            "keys": pa.array([k.tobytes() for k in keys], pa.binary()),
            "windows": pa.array([w.tobytes() for w in windows], pa.binary()),
        }
    )
    assert _band_join(batch, (key_bits, twice.tobytes()), max_bucket) == _band_join(batch, None, max_bucket)


_KEYS = st.integers(0, 2**32 - 1) | st.integers(0, 3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=1, max_size=6).flatmap(
        lambda docs: st.tuples(
            st.just(docs),
            st.lists(_KEYS, min_size=sum(n for n, _ in docs) * 3, max_size=sum(n for n, _ in docs) * 3),
            st.lists(_KEYS, min_size=sum(n for n, s in docs if s) * 2, max_size=sum(n for n, s in docs if s) * 2),
        )
    )
)
def test_distinct_band_keys_are_each_documents_unique_keys_with_counts(
    drawn: tuple[list[tuple[int, bool]], list[int], list[int]],
) -> None:
    """The documents stage's band keys: np.unique of each document's ``band << 32 | key``, counted, as binary rows.

    A short document's windows have two bands more (numbered after the three every window has).
    """
    docs, flat, flat_extra = drawn
    counts = [n for n, _ in docs]
    bands, more = 3, 2
    keys = np.array(flat, dtype=np.uint32).reshape(bands, sum(counts))
    extra = np.array(flat_extra, dtype=np.uint32).reshape(more, len(flat_extra) // more)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    extra_offsets = np.concatenate([[0], np.cumsum([n if short else 0 for n, short in docs])]).astype(np.int64)
    values, windows, where = _batches._distinct_band_keys(keys, offsets, extra, extra_offsets)
    key_rows = _arrow.binary_rows(values, where).to_pylist()
    window_rows = _arrow.binary_rows(windows, where).to_pylist()
    for t in range(len(counts)):
        high = (np.arange(bands, dtype=np.uint64) << 32)[:, None]
        block = keys[:, offsets[t] : offsets[t + 1]].astype(np.uint64) | high
        high_extra = (np.arange(bands, bands + more, dtype=np.uint64) << 32)[:, None]
        block_extra = extra[:, extra_offsets[t] : extra_offsets[t + 1]].astype(np.uint64) | high_extra
        expected, expected_counts = np.unique(np.concatenate([block.ravel(), block_extra.ravel()]), return_counts=True)
        assert key_rows[t] == expected.tobytes()
        assert window_rows[t] == expected_counts.astype(np.int32).tobytes()


_WORDS = ["wire", "copy", "agency", "statement", "minister", "said", "on", "the", "reuters", "وزير", "قال", "بيان"]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(_WORDS), min_size=0, max_size=60), st.integers(0, 3)),
        max_size=12,
    ),
    st.integers(1, 5),
    st.sampled_from([0, 8, 12]),
    st.booleans(),
)
def test_seed_count_rows_sum_to_the_local_counts(
    documents: list[tuple[list[str], int]], partitions: int, key_bits: int, tree: bool
) -> None:
    """Partitions' seed counts (sent whole or as nonzero slots), merged in a tree or not, are the local counts."""
    cfg = ScanConfig()
    texts = [" ".join(words) for words, _ in documents]
    sources = [source for _, source in documents]
    band_keys = [np.array(sorted({zlib.crc32(w.encode()) & 0xFFFF for w in ws}), np.uint64) for ws, _ in documents]
    rows = []
    for p in range(partitions):  # documents dealt round-robin; a partition may hold none
        mine = list(range(p, len(texts), partitions))
        batch = pa.RecordBatch.from_pydict(
            {
                "text": pa.array([texts[k] for k in mine], pa.string()),
                "source_id": pa.array([sources[k] for k in mine], pa.int64()),
                "source_key": pa.array([_batches.document_key(f"outlet{sources[k]}") for k in mine], pa.int64()),
                "keys": pa.array([band_keys[k].tobytes() for k in mine], pa.binary()),
            }
        )
        rows.extend(_statistics.seed_counts(iter([batch]), cfg, key_bits))
    if tree:  # a level of the executors' merge: pairs of rows summed into one
        merge = _statistics.merge_seed_counts
        rows = [b for k in range(0, len(rows), 2) for b in merge(iter(rows[k : k + 2]), key_bits)]
    total = _statistics.sum_seed_counts(rows, key_bits)
    assert total is not None
    documents_counted, corpus, within, per_source, (seen, twice) = total

    local = SeedCounts()  # counted as the local engine's index counts a batch (dedup.scan._Index._batch)
    if texts:
        normal = [normalize(t, profile=cfg.profile).text for t in texts]
        _, keys, key_offsets = _sketch_batch(normal, cfg, *cfg.bands_rows)
        salts = np.array([source_salt(f"outlet{s}") for s in sources], np.uint64)  # (of the name: the same salt)
        local.add(keys, key_offsets, np.array(sources, np.int64), salts)
    assert documents_counted == len(texts) == local.corpus.documents
    assert corpus.tolist() == local.corpus.table.reshape(-1).tolist()
    assert within.tolist() == local.within.table.reshape(-1).tolist()
    assert per_source == local.per_source
    expected = _statistics.band_marks(key_bits)
    for doc_keys in band_keys:
        if key_bits:
            _statistics.mark_band_keys(doc_keys, key_bits, *expected)
    assert seen.tolist() == expected[0].tolist() and twice.tolist() == expected[1].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1) | st.just(0), max_size=64), st.sampled_from([np.uint32, np.uint64]))
def test_packed_arrays_unpack_to_themselves(values: list[int], dtype: Any) -> None:
    """A table or bitmap sent as its nonzero slots, or whole when that is smaller, arrives as it left."""
    array = np.array(values, dtype=dtype)
    sent, at = _statistics._packed(array)
    row = {"x": sent.tobytes(), "x_at": None if at is None else at.tobytes()}
    assert _statistics._unpacked(row, "x", dtype, array.size).tolist() == array.tolist()
    assert (at is None) == (np.count_nonzero(array) * (array.itemsize + 4) >= array.nbytes)
    if dtype is np.uint32:
        total = np.arange(array.size, dtype=np.uint32)
        _statistics._add_table(total, row, "x")
        assert total.tolist() == (np.arange(array.size, dtype=np.uint32) + array).tolist()


def test_flat_rows_are_the_records_fields_with_spans_spread() -> None:
    """Pairs and passages leave the alignment as rows of pair_fields / passage_fields, values unchanged."""
    passage = Passage(Span("a", 1, 9), Span("b", 3, 11), 0.5, 0.25, 0.75, 4)
    row = _batches._flat_row(passage)
    assert list(row) == [name for name, _ in _batches.passage_fields()]
    assert row == {"a_doc": "a", "a_start": 1, "a_end": 9, "b_doc": "b", "b_start": 3, "b_end": 11,
                   "similarity": 0.5, "containment_a": 0.25, "containment_b": 0.75, "seeds": 4}  # fmt: skip
    pair = Pair("a", "b", 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 2, 80, 0.7)
    assert _batches._flat_row(pair) == dataclasses.asdict(pair)
    assert list(_batches._flat_row(pair)) == [name for name, _ in _batches.pair_fields()]


@pytest.mark.slow
def test_spark_benchmark_repeats_alternate_and_agree(spark: Any, tmp_path: Path) -> None:
    """The Spark benchmark's --repeats (four scans and a warm-up, so -m slow): every run timed,
    medians and ratios reported, answers identical."""
    from benchmarks.dedup_bench import spark as bench

    out = tmp_path / "figures.json"
    assert bench.main(["--synthetic", "300", "--chars", "800", "--repeats", "2", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert len(figures["spark_runs"]) == len(figures["local_runs"]) == len(figures["ratios"]) == 2
    assert figures["identical"] is True and figures["passages"] > 0
    assert figures["ratio"] == round(figures["spark_seconds"] / figures["local_seconds"], 2)
