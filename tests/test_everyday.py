"""The issue-13 targets: real input files, skipped documents, tables for pandas, early output checks."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

import dedup
from dedup import Document, ScanResult, scan
from dedup.cli import main
from dedup.io import Reader

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
COMPILING = "dedup: compiling the engine's kernels"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    err = "".join(line for line in err.splitlines(keepends=True) if not line.startswith(COMPILING))
    return status, out, err


def seed_records() -> list[dict[str, str]]:
    # The ids are the file names, so that every format yields the documents of the .txt directory.
    return [{"id": p.name, "text": p.read_text("utf-8"), "source": p.name} for p in SEED_FILES]


def passages(out: str) -> list[tuple[Any, ...]]:
    """The passages of JSONL output, by document ids and offsets."""
    found = []
    for line in out.splitlines():
        record = json.loads(line)
        if record["type"] == "passage":
            a, b = record["a"], record["b"]
            found.append((a["doc"], a["start"], a["end"], b["doc"], b["start"], b["end"], record["similarity"]))
    return sorted(found)


def summary(out: str) -> dict[str, Any]:
    record = json.loads(out.splitlines()[-1])
    assert record["type"] == "summary"
    return dict(record)


@pytest.fixture(scope="module")
def directory_scan() -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """The seeds scanned as a .txt directory, each document its own source (as the ids are)."""
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["scan", str(SEEDS), "--format", "jsonl"]) == 0
    return passages(out.getvalue()), summary(out.getvalue())


def write_csv(path: Path, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "text", "source"], delimiter=delimiter)
    writer.writeheader()
    writer.writerows(seed_records())
    return out.getvalue().encode("utf-8")


def write_parquet() -> bytes:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(seed_records()), buffer)
    return buffer.getvalue()


def write_jsonl() -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seed_records()).encode("utf-8")


MAKERS = {
    "docs.csv": lambda: write_csv(Path()),
    "docs.tsv": lambda: write_csv(Path(), "\t"),
    "docs.jsonl.gz": lambda: gzip.compress(write_jsonl()),
    "docs.csv.zst": lambda: __import__("zstandard").ZstdCompressor().compress(write_csv(Path())),
    "docs.parquet": write_parquet,
}


@pytest.mark.parametrize("name", list(MAKERS))
def test_every_input_format_finds_what_the_directory_does(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], directory_scan: Any
) -> None:
    path = tmp_path / name
    path.write_bytes(MAKERS[name]())
    status, out, err = run(["scan", str(path), "--format", "jsonl"], capsys)
    assert (status, err) == (0, "")
    expected_passages, expected_summary = directory_scan
    assert summary(out)["documents_read"] == 5 and summary(out)["documents_scanned"] == 5
    assert expected_passages, "the seeds share passages"
    assert passages(out) == expected_passages
    assert summary(out)["pairs"] == expected_summary["pairs"]


def test_a_directory_of_mixed_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str], directory_scan: Any) -> None:
    records = seed_records()
    (tmp_path / "a.csv").write_bytes(write_csv(Path()).split(b"\r\n", 3)[0] + b"\r\n")  # a header only
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records[:2]).encode()))
    (tmp_path / "sub").mkdir()
    for record in records[2:]:
        (tmp_path / "sub" / record["id"]).write_text(record["text"], encoding="utf-8")
    (tmp_path / "README.md").write_text("not a document", encoding="utf-8")
    status, out, err = run(["scan", str(tmp_path), "--format", "jsonl"], capsys)
    assert (status, err) == (0, f"dedup: {tmp_path / 'a.csv'}: no document read from it: it holds no record\n")
    assert summary(out)["documents_read"] == 5
    ids = {p.name for p in SEED_FILES}
    # Text files take their path as id: sub/<name>; the others their id field.
    renamed = [tuple(x.removeprefix("sub/") if isinstance(x, str) else x for x in p) for p in passages(out)]
    assert sorted(renamed) == directory_scan[0]
    assert {r["id"] for r in records} == ids


def test_unknown_extension_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "docs.xlsx"
    path.write_bytes(b"PK\x03\x04")
    status, out, err = run(["scan", str(path)], capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"dedup: error: {path}: cannot tell the format from the file name: expected .txt")
    status, out, err = run(["scan", str(path), "--input-format", "txt", "--format", "jsonl"], capsys)
    assert status == 0 and summary(out)["skipped"][0]["kind"] == "too short"


def test_a_short_document_among_the_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for p in SEED_FILES:
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "brief.txt").write_text("خبر قصير جدا.", encoding="utf-8")
    assert len((folder / "brief.txt").read_text("utf-8")) == 13
    status, out, err = run(["scan", str(folder), "--format", "jsonl"], capsys)
    assert status == 0
    record = summary(out)
    assert record["documents_skipped"] == 1 and record["documents_scanned"] == 5
    assert record["skipped"][0] == {
        "where": str(folder / "brief.txt"),
        "id": "brief.txt",
        "kind": "too short",
        "reason": record["skipped"][0]["reason"],
    }
    assert err == "dedup: 1 of 6 documents skipped: 1 too short (the summary record lists each)\n"


def test_unwritable_output_fails_before_reading_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []
    real = Reader.read

    def spy(self: Reader, inputs: Any) -> Any:
        read.append("read")
        return real(self, inputs)

    monkeypatch.setattr(Reader, "read", spy)
    for target, message in (
        (tmp_path / "no" / "such" / "dir" / "r.csv", "No such file or directory"),
        (tmp_path, "it is a directory"),
    ):
        status, out, err = run(["scan", str(SEEDS), "-o", str(target)], capsys)
        assert status == 2 and out == "" and read == []
        assert err == f"dedup: error: {target}: cannot write: {message}\n"


def test_output_is_written_whole_or_not_at_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.jsonl"
    target.write_text("the previous report\n", encoding="utf-8")
    os.chmod(target, 0o640)
    import dedup.cli

    def fail(*args: Any, **kwargs: Any) -> None:
        stream = args[1]
        stream.write('{"type": "pair"}\n')
        raise KeyboardInterrupt

    monkeypatch.setattr(dedup.cli, "write_jsonl", fail)
    assert run(["scan", str(SEEDS), "--format", "jsonl", "-o", str(target)], capsys)[0] == 130
    assert target.read_text("utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.jsonl"]  # no temporary file left
    monkeypatch.undo()
    assert run(["scan", str(SEEDS), "--format", "jsonl", "-o", str(target)], capsys)[0] == 0
    assert summary(target.read_text("utf-8"))["documents_read"] == 5
    assert (target.stat().st_mode & 0o777) == 0o640  # an existing file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.jsonl"]


def test_parquet_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "r.parquet"
    status, out, err = run(["scan", str(SEEDS), "--format", "parquet", "-o", str(target)], capsys)
    assert (status, out, err) == (0, "", "")
    table = pq.read_table(target)
    expected = scan(Reader().read([SEEDS]))
    assert table.num_rows == len(expected.passages) > 0
    row = table.to_pylist()[0]
    assert row["text_a"] == expected.documents[row["doc_a"]].text[row["start_a"] : row["end_a"]]
    assert row["length_a"] == row["end_a"] - row["start_a"]
    record = json.loads(table.schema.metadata[b"dedup.summary"])
    assert record["type"] == "summary" and record["documents_read"] == 5


def test_parquet_carries_what_the_csv_carries(tmp_path: Path) -> None:
    """The pair's score on every row, a row for a pair reported on its score alone, and the
    clusters (in the file's metadata), as the CSV report has them."""
    pq = pytest.importorskip("pyarrow.parquet")
    from dedup.records import Pair, Passage, Span
    from dedup.report import write_csv
    from dedup.tables import write_parquet

    docs = {d: Document(d, f"{d} " + "shared words here " * 10, source=f"s{d}") for d in "wxyz"}
    spans = {d: Span(d, 2, 182) for d in "xyz"}
    passages = [Passage(spans[a], spans[b], 1.0, 1.0, 1.0, 9) for a, b in ("xy", "xz", "yz")]
    pairs = [Pair(a, b, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0, 1, 180, 0.95) for a, b in ("xy", "xz", "yz")]
    pairs.append(Pair("w", "x", 0.0, 0.0, 0.4, 0.4, 0.25, 0.25, 0, 0, 0.4))  # on its score alone
    result = ScanResult(passages, pairs, docs, [], 4, 0)
    target, text = tmp_path / "r.parquet", io.StringIO()
    with target.open("wb") as stream:
        write_parquet(result, stream)
    write_csv(result, text, bom=False)
    table = pq.read_table(target)
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert [(r["pair"], r["score"], r["doc_a"], r["doc_b"]) for r in table.to_pylist()] == [
        (int(r["pair"]), float(r["score"]), r["doc_a"], r["doc_b"]) for r in rows
    ]
    alone = table.to_pylist()[-1]
    assert (alone["doc_a"], alone["passage"], alone["start_a"], alone["text_b"]) == ("w", None, None, None)
    clusters = json.loads(table.schema.metadata[b"dedup.clusters"])
    assert [(c["id"], c["documents"], [m["doc"] for m in c["members"]]) for c in clusters] == [(1, 3, ["x", "y", "z"])]
    assert [r["cluster"] for r in table.to_pylist()] == [1, 1, 1, None]


def test_to_arrow_and_to_pandas_agree_with_the_jsonl_records() -> None:
    pytest.importorskip("pandas")
    docs = [Document(p.name, p.read_text("utf-8"), source=p.name) for p in SEED_FILES]
    result = scan([*docs, Document("brief", "short one", source="x")])
    tables = result.to_arrow()
    frames = result.to_pandas()
    assert tables.passages.num_rows == len(frames.passages) == len(result.passages) > 0
    assert tables.pairs.num_rows == len(frames.pairs) == len(result.pairs)
    assert list(frames.pairs["a"]) == [p.a for p in result.pairs]
    assert list(frames.pairs["rank"]) == list(range(1, len(result.pairs) + 1))
    assert set(frames.pairs.columns) >= {"coverage_a", "coverage_b", "jaccard", "passages", "longest"}
    assert list(frames.skipped["kind"]) == ["too short"] and list(frames.skipped["id"]) == ["brief"]
    first = frames.passages.iloc[0]
    passage = next(p for p in result.passages if (p.a.doc, p.a.start) == (first["doc_a"], first["start_a"]))
    assert (first["end_a"], first["start_b"], first["end_b"]) == (passage.a.end, passage.b.start, passage.b.end)
    assert str(frames.passages["cluster"].dtype) == "Int64"
    empty = ScanResult([], [], {}, [], 0, 0).to_pandas()
    assert len(empty.passages) == 0 and "text_a" in empty.passages.columns


def test_threads_do_not_change_the_result(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # The seeds give 10 candidate pairs, fewer than a chunk (schedule.CHUNK = 64): in chunks of 2,
    # several chunks are aligned on several threads at once, and put back in order.
    import importlib

    from dedup import schedule

    scan_module = importlib.import_module("dedup.scan")  # (dedup.scan is the function)
    made: list[int] = []

    def counted(*args: Any) -> Any:
        found = schedule.chunks(*args)
        made.append(len(found))
        return found

    monkeypatch.setattr(schedule, "CHUNK", 2)
    monkeypatch.setattr(scan_module, "chunks", counted)
    outputs = []
    for threads in ("1", "3"):
        status, out, _ = run(["scan", str(SEEDS), "--format", "jsonl", "--threads", threads], capsys)
        assert status == 0
        # Every record but the summary, in output order (passages and pairs, each list in its order).
        outputs.append([line for line in out.splitlines() if json.loads(line)["type"] != "summary"])
    assert made == [5, 5]
    assert outputs[0] == outputs[1]
    assert any(json.loads(line)["type"] == "passage" for line in outputs[0])
    # Only one pair of the seeds has passages: outlets that all carry one wire story give many,
    # whose order in the result is the candidates' order, whichever thread aligned them.
    from dedup_bench.wire import WIRE

    words = WIRE.split(" ")
    docs = [
        Document(f"d{k}", " ".join(w for n, w in enumerate(words) if n % (k + 3)) + f" outlet {k} " * 9, f"s{k}")
        for k in range(8)
    ]
    made.clear()
    one, three = scan(docs, threads=1), scan(docs, threads=3)
    assert made == [14, 14] and len({(p.a.doc, p.b.doc) for p in one.passages}) >= 20
    assert one.passages == three.passages and one.pairs == three.pairs
    status, _, err = run(["scan", str(SEEDS), "--threads", "0"], capsys)
    assert status == 2 and "--threads must be an integer from 1 to 256, got 0" in err
    with pytest.raises(dedup.ParameterError, match="threads must be an integer from 1 to 256, got 0"):
        scan([], threads=0)


def test_every_scan_config_field_has_an_option() -> None:
    import dataclasses

    from dedup.cli import build_parser

    scan_parser = next(a for a in build_parser()._actions if a.dest == "command").choices["scan"]  # type: ignore[union-attr]
    options = {o for a in scan_parser._actions for o in a.option_strings}
    for f in dataclasses.fields(dedup.ScanConfig):
        assert "--" + f.name.replace("_", "-") in options, f.name


def test_the_top_level_namespace_is_the_public_one() -> None:
    assert "annotations" not in dir(dedup)
    assert set(dedup.__all__) <= set(dir(dedup))


def test_plural_forms(capsys: pytest.CaptureFixture[str]) -> None:
    docs = [Document(p.name, p.read_text("utf-8"), source=p.name) for p in SEED_FILES[:2]]
    from dedup.report import format_summary, format_table

    result = scan(docs)
    assert len(result.pairs) == 1
    assert format_table(result).startswith(f"1 document pair shares {len(result.passages)} passage")
    assert "1 pair with" in format_summary(result) and "2 documents read" in format_summary(result)


def test_table_names_the_cluster_threshold_it_was_given() -> None:
    from dedup.report import format_table

    result = scan(Reader().read([SEEDS]))
    assert result.pairs, "000 and 001 share passages: a cluster of two documents"
    assert "(a passage in 2 or more documents)" in format_table(result, cluster_documents=2)


def test_min_similarity_option_keeps_the_passages_at_least_that_similar(capsys: pytest.CaptureFixture[str]) -> None:
    def records(*options: str) -> list[dict[str, Any]]:
        status, out, _ = run(["scan", str(SEEDS), "--format", "jsonl", *options], capsys)
        assert status == 0
        return [json.loads(line) for line in out.splitlines()]

    every = records()
    similarities = sorted(r["similarity"] for r in every if r["type"] == "passage")
    assert len(similarities) == 4 and similarities[0] < similarities[-1]
    x = similarities[1]  # a passage's own similarity: kept (">="), the one below it is not
    kept = records("--min-similarity", str(x))
    assert [r for r in kept if r["type"] == "passage"] == [
        r for r in every if r["type"] == "passage" and r["similarity"] >= x
    ]
    (pair,) = [r for r in kept if r["type"] == "pair" and r["passages"]]
    assert pair["passages"] == 3
