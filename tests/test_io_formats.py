"""Input formats: CSV, TSV, Parquet, gzip and zstandard, chosen by extension; every record accounted for."""

from __future__ import annotations

import builtins
import gzip
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from dedup.errors import DependencyError, InputError, ParameterError, ReadError
from dedup.io import Reader, file_format, read_documents

DOCS = [
    {"id": "1", "text": "first, with a comma", "source": "AFP", "date": "2024-01-22"},
    {"id": "2", "text": 'second "quoted"\nover two lines', "source": "Reuters", "date": ""},
    {"id": "3", "text": "نص عربي", "source": "", "date": "2024-01-23"},
]
EXPECTED = [
    ("1", "first, with a comma", "AFP", "2024-01-22"),
    ("2", 'second "quoted"\nover two lines', "Reuters", None),
    ("3", "نص عربي", None, "2024-01-23"),
]


def csv_text(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    import csv

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def compress(data: bytes, compression: str | None) -> bytes:
    if compression == "gz":
        return gzip.compress(data)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    return data


def tuples(docs: Any) -> list[tuple[str, str, str | None, str | None]]:
    return [(d.id, d.text, d.source, d.date) for d in docs]


@pytest.mark.parametrize("compression", [None, "gz", "zst"])
@pytest.mark.parametrize("form", ["csv", "tsv", "jsonl"])
def test_record_formats_read_alike_plain_and_compressed(tmp_path: Path, form: str, compression: str | None) -> None:
    if form == "jsonl":
        rows = [{k: v for k, v in d.items() if v} for d in DOCS]
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        data = csv_text(DOCS, "\t" if form == "tsv" else ",")
    name = f"docs.{form}" + (f".{compression}" if compression else "")
    path = tmp_path / name
    path.write_bytes(compress(data.encode("utf-8"), compression))
    reader = Reader()
    assert tuples(reader.read([path])) == EXPECTED
    # A record's place is the line it starts on: in CSV and TSV the quoted line break takes one.
    assert reader.where["3"] == f"{path}:{3 if form == 'jsonl' else 5}"


@pytest.mark.parametrize("compression", [None, "gz", "zst"])
def test_parquet_plain_and_compressed(tmp_path: Path, compression: str | None) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "id": [1, 2, 3],
            "text": [d["text"] for d in DOCS],
            "source": [d["source"] or None for d in DOCS],
            "date": [d["date"] or None for d in DOCS],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    path = tmp_path / ("docs.parquet" + (f".{compression}" if compression else ""))
    path.write_bytes(compress(buffer.getvalue(), compression))
    reader = Reader()
    assert tuples(reader.read([path])) == EXPECTED
    assert reader.where["2"] == f"{path}: row 2"


def test_parquet_dates_and_bad_rows(tmp_path: Path) -> None:
    import datetime

    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "d.parquet"
    day = datetime.date(2024, 1, 22)
    pq.write_table(pa.table({"id": ["a", None, "c"], "text": ["x", "y", None], "date": [day, day, day]}), path)
    with pytest.raises(InputError, match=r"d\.parquet: row 2: field 'id' is null"):
        list(Reader().read([path]))
    reader = Reader(skip_bad=True)
    assert tuples(reader.read([path])) == [("a", "x", None, "2024-01-22")]
    assert [s.where.rsplit(" ", 1)[1] for s in reader.skipped] == ["2", "3"]
    pq.write_table(pa.table({"key": ["a"], "text": ["x"]}), path)
    with pytest.raises(InputError, match=r"d\.parquet: no column 'id' \(columns: 'key', 'text'\)"):
        list(Reader().read([path]))
    assert tuples(Reader(id_field="key").read([path])) == [("a", "x", None, None)]


def test_parquet_timestamps_in_a_zone_are_written_in_utc(tmp_path: Path) -> None:
    """A timestamp column pandas wrote in the newsroom's zone came out as "...-05:00" here and as
    its UTC time from the Spark engine (which never sees the zone): both now write the stored UTC
    instant; the pairs' order, which compares instants, is the same either way."""
    import datetime

    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "d.parquet"
    moment = datetime.datetime(2024, 1, 22, 15, 30, tzinfo=datetime.UTC)
    for unit in ("us", "ns"):
        dates = pa.array([moment], pa.timestamp(unit, tz="UTC")).cast(pa.timestamp(unit, tz="America/New_York"))
        pq.write_table(pa.table({"id": ["a"], "text": ["x"], "date": dates}), path)
        assert tuples(Reader().read([path])) == [("a", "x", None, "2024-01-22T15:30:00+00:00")], unit


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.parquet"
    path.write_bytes(b"PAR1")
    real = builtins.__import__

    def no_pyarrow(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pyarrow"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(
        DependencyError, match=r"d\.parquet: reading Parquet needs pyarrow: pip install 'dedup\[parquet\]'"
    ):
        list(Reader().read([path]))


def test_csv_problems_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b'id,text\n1,fine\n2,a \xff byte\n3,"two\nlines",extra\n\n4,ok\n1,dup\n')
    with pytest.raises(InputError, match=r"d\.csv:3: invalid UTF-8 at byte 4 of the line"):
        list(Reader().read([path]))
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["1", "4"]
    assert [(s.where.rsplit(":", 1)[1], s.kind) for s in reader.skipped] == [
        ("3", "invalid UTF-8"),
        ("4", "invalid CSV"),
        ("8", "duplicate id"),
    ]
    assert "3 fields where the header has 2" in reader.skipped[1].reason


def test_a_csv_record_of_one_field_says_one_field(tmp_path: Path) -> None:
    path = tmp_path / "docs.csv"
    path.write_text("id,text,source\na,first text,x\nlonely\n", encoding="utf-8")
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["a"]
    assert reader.skipped[0].reason.startswith("1 field where the header has 3"), reader.skipped[0].reason


def test_csv_header_must_name_id_and_text(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("name,body\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"d\.csv:1: no column 'id' and 'text' in the header \('name', 'body'\)"):
        list(Reader().read([path]))
    assert tuples(Reader(id_field="name", text_field="body").read([path])) == [("a", "b", None, None)]
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"d\.csv: empty file: expected a header line"):
        list(Reader().read([path]))


def test_csv_with_a_byte_order_mark_as_excel_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("id,text\r\nx,نص\r\n".encode("utf-8-sig"))
    assert tuples(Reader().read([path])) == [("x", "نص", None, None)]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_a_byte_order_mark_before_a_quoted_header_cell(tmp_path: Path, delimiter: str) -> None:
    """pandas' to_csv(quoting=QUOTE_ALL, encoding="utf-8-sig") writes '\ufeff"id"': the mark left on made
    the first cell unquoted, its quotes part of the name, and the id column was not found."""
    path = tmp_path / ("d.csv" if delimiter == "," else "d.tsv")
    path.write_bytes(f'"id"{delimiter}"text"\n"x"{delimiter}"نص"\n'.encode("utf-8-sig"))
    assert tuples(Reader().read([path])) == [("x", "نص", None, None)]


def test_unknown_extension_is_an_error_never_one_big_document(tmp_path: Path) -> None:
    for name in ("notes.md", "README", "data.json", "docs.xlsx.gz"):
        path = tmp_path / name
        path.write_text("id,text\n1,x\n", encoding="utf-8")
        with pytest.raises(InputError, match=rf"{name}: cannot tell the format from the file name: expected \.txt"):
            list(Reader().read([path]))
    forced = Reader(input_format="csv")
    assert tuples(forced.read([tmp_path / "notes.md"])) == [("1", "x", None, None)]
    assert tuples(Reader(input_format="txt").read([tmp_path / "README"])) == [("README", "id,text\n1,x\n", None, None)]
    with pytest.raises(ParameterError, match="input_format must be one of txt, jsonl, csv, tsv, parquet, got 'xml'"):
        Reader(input_format="xml")
    # Every option is checked where it enters, not at the first record (before: id_field=None was
    # "a.jsonl:1: field None is missing", glob=5 a TypeError, skip_bad="no" skipped).
    for options, message in (
        ({"id_field": None}, "id_field must be a non-empty string (a field or column name), got None"),
        ({"text_field": 5}, "text_field must be a non-empty string (a field or column name), got 5"),
        ({"glob": 5}, "glob must be a non-empty pattern, or a list of them, got 5"),
        ({"skip_bad": "no"}, "skip_bad must be True or False, got 'no'"),
        ({"check_ids": None}, "check_ids must be True or False, got None"),
    ):
        with pytest.raises(ParameterError, match=re.escape(message)):
            Reader(**options)  # type: ignore[arg-type]


def test_directory_reads_every_known_format_and_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("plain text", encoding="utf-8")
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"compressed text"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.csv").write_text("id,text\nc1,from csv\n", encoding="utf-8")
    (tmp_path / "sub" / "d.jsonl.zst").write_bytes(compress(b'{"id": "d1", "text": "from jsonl"}\n', "zst"))
    (tmp_path / "README.md").write_text("about this folder", encoding="utf-8")
    reader = Reader()
    assert [(d.id, d.text) for d in reader.read([tmp_path])] == [
        ("a.txt", "plain text"),
        ("b.txt.gz", "compressed text"),
        ("c1", "from csv"),
        ("d1", "from jsonl"),
    ]
    assert reader.where["c1"] == f"{tmp_path / 'sub' / 'c.csv'}:2"
    # An explicit --glob takes every file it matches, which must then have a known format.
    with pytest.raises(InputError, match=r"README\.md: cannot tell the format"):
        list(Reader(glob="*.md").read([tmp_path]))


def test_corrupt_compressed_file_is_a_read_error(tmp_path: Path) -> None:
    for name in ("d.jsonl.gz", "d.jsonl.zst"):
        path = tmp_path / name
        path.write_bytes(b"this is not compressed at all\n")
        with pytest.raises(ReadError, match=rf"{name}: cannot read: "):
            list(Reader().read([path]))
    truncated = tmp_path / "t.jsonl.gz"
    lines = b"".join(b'{"id": "%d", "text": "x"}\n' % k for k in range(100))
    truncated.write_bytes(gzip.compress(lines)[:-20])
    with pytest.raises(ReadError, match=r"t\.jsonl\.gz: cannot read: "):
        list(Reader().read([truncated]))
    # Damaged inside (not cut short), a gzip stream fails in zlib, whose error is no OSError.
    damaged = bytearray(gzip.compress(lines))
    for k in range(20, 60):
        damaged[k] ^= 0x55
    corrupt = tmp_path / "c.jsonl.gz"
    corrupt.write_bytes(bytes(damaged))
    with pytest.raises(ReadError, match=r"c\.jsonl\.gz: cannot read: Error -3 while decompressing data"):
        list(Reader().read([corrupt]))


def test_compressed_standard_input_is_recognised(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(b'{"id": "s", "text": "gz on stdin"}\n')
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(data)), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert [d.text for d in Reader().read(["-"])] == ["gz on stdin"]


def test_json_error_says_at_once(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"id": "a", "text": "tab\there"}\n')
    with pytest.raises(InputError) as caught:
        list(Reader().read([path]))
    assert "at at" not in str(caught.value)
    assert "Invalid control character at column 25" in str(caught.value)


def test_file_format_and_read_documents(tmp_path: Path) -> None:
    assert file_format("x.PARQUET.ZST") == ("parquet", "zstd")
    assert file_format("x.tsv.gz") == ("tsv", "gzip")
    path = tmp_path / "x.tsv"
    path.write_text("id\ttext\tsource\n1\tt\ts\n", encoding="utf-8")
    assert tuples(read_documents([path])) == [("1", "t", "s", None)]


def test_a_quote_out_of_place_is_malformed_not_swallowed(tmp_path: Path) -> None:
    """An unclosed quote read the rest of the file into one cell; text after a closing quote lost the
    quotes. Both are now a malformed record at the line it starts on."""
    unclosed = tmp_path / "u.csv"
    unclosed.write_text('id,text\na,"broken\nb,fine\nc,fine\n', encoding="utf-8")
    with pytest.raises(
        InputError, match=r"u\.csv:2: not valid CSV \(the quote at column 3 opens a cell that is never closed\)"
    ):
        list(Reader().read([unclosed]))
    after = tmp_path / "a.tsv"
    after.write_text('id\ttext\n1\tfine\n2\t"Hello" said he\n', encoding="utf-8")
    reader = Reader(skip_bad=True)
    assert [d.text for d in reader.read([after])] == ["fine"]
    assert [(s.where.rsplit(":", 1)[1], s.kind) for s in reader.skipped] == [("3", "invalid TSV")]
    fine = tmp_path / "f.csv"
    fine.write_text('id,text\na,"quoted ""inner"" text, with comma"\nb,He said "x" here\n', encoding="utf-8")
    assert [d.text for d in Reader().read([fine])] == ['quoted "inner" text, with comma', 'He said "x" here']


def test_a_column_named_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("id,text,id\na,b,c\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"d\.csv:1: column 'id' appears more than once in the header"):
        list(Reader().read([path]))


def test_a_null_field_is_said_null_not_missing(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "a", "text": null}\n{"id": "b"}\n', encoding="utf-8")
    reader = Reader(skip_bad=True)
    assert list(reader.read([path])) == []
    assert [s.reason.split(":")[0] for s in reader.skipped] == ["field 'text' is null", "field 'text' is missing"]


def test_an_unclosed_quote_costs_its_own_line_only(tmp_path: Path) -> None:
    """A quote opened in one line and not closed there took every line after it into one cell, up to
    the next quote: one record skipped, the records swallowed never counted. When those lines read
    as records, the quote's line is the bad record and the lines after it are read each on its own."""
    rows = ["id,text,source", 'a,"He said the talks would resume,s1']
    rows += [f"r{k},report number {k},s{k}" for k in range(2, 6)]
    rows += ['z,"closing quote here" and more,sz', "t1,after it,q1", "t2,and the end,q2"]
    path = tmp_path / "news.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(Reader().read([path]))
    assert str(caught.value) == (
        f"{path}:2: not valid CSV (the quote at column 3 opens a cell that runs on to line 7, over records of "
        "their own): expected a closing quote on the same line"
    )
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["r2", "r3", "r4", "r5", "t1", "t2"]
    assert [(s.where.rsplit(":", 1)[1], s.kind) for s in reader.skipped] == [("2", "invalid CSV"), ("7", "invalid CSV")]
    # Every record is accounted for: read, or skipped and counted.
    assert len(reader.where) + len(reader.skipped) == len(rows) - 1

    # A quote never closed at all (a TSV text opening a quotation it does not close).
    tsv = tmp_path / "news.tsv"
    tsv.write_text('id\ttext\na\t"We will not step back, he said.\nb\tsecond\nc\tthird\n', encoding="utf-8")
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([tsv])] == ["b", "c"]
    assert [s.reason for s in reader.skipped] == [
        "not valid TSV (the quote at column 3 opens a cell that is never closed): "
        "expected a closing quote on the same line"
    ]


@pytest.mark.parametrize("suffix", ["csv", "tsv"])
def test_text_after_a_closing_quote_is_said_where(tmp_path: Path, suffix: str) -> None:
    """A text opening with a quotation (`"Rates will rise," he said`) in a file written without quoting:
    the message was the csv module's `not valid TSV ('\\x09' expected after '"')`, no column, the tab
    as an escape."""
    sep = "\t" if suffix == "tsv" else ","
    path = tmp_path / f"news.{suffix}"
    path.write_text(f'id{sep}text\na{sep}fine\nb{sep}"Rates will rise" he said\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(Reader().read([path]))
    separator = "a tab" if suffix == "tsv" else "','"
    assert str(caught.value) == (
        f"{path}:3: not valid {suffix.upper()} (the quote at column 19 closes its cell and ' ' follows it: "
        f"expected {separator} or the end of the line after a closing quote, or the quote written twice, a quote "
        "inside the cell)"
    )


def test_a_quoted_cell_over_lines_that_are_no_records_stays_one_record(tmp_path: Path) -> None:
    """The lines of a paragraph cell with a quote not doubled are not read as records of their own
    (which would make documents of its paragraphs): the record is skipped whole, its lines said."""
    path = tmp_path / "d.csv"
    path.write_text('id,text\na,"first paragraph\nHe said "hello" then left"\nb,fine\nc,"cut short\nno end\n', "utf-8")
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["b"]
    assert [(s.where.rsplit(":", 1)[1], s.reason) for s in reader.skipped] == [
        ("2", "not valid CSV (the quote at line 3, column 9 closes its cell and 'h' follows it: expected ',' or the "
              "end of the line after a closing quote, or the quote written twice, a quote inside the cell; the record "
              "runs over lines 2-3)"),
        ("5", "not valid CSV (the quote at column 3 opens a cell that is never closed; the record runs over lines 5-6)"
              ": expected a closing quote"),
    ]  # fmt: skip
    fine = tmp_path / "f.csv"
    fine.write_text('id,text\na,"one, with a comma\nb,two ""quoted"""\nc,three\n', encoding="utf-8")
    assert [(d.id, d.text) for d in Reader().read([fine])] == [
        ("a", 'one, with a comma\nb,two "quoted"'),
        ("c", "three"),
    ]


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_lines_ended_by_a_carriage_return_alone(tmp_path: Path, form: str) -> None:
    """Classic Mac OS line ends (CR alone): three JSON lines were one line of invalid JSON, one skipped
    document for three; a CSV was an error whatever --skip-bad said."""
    if form == "jsonl":
        rows = [json.dumps({"id": f"a{k}", "text": f"text {k}"}) for k in range(3)]
        data = "\r".join(rows) + "\r"
    else:
        data = 'id,text\ra0,text 0\ra1,"text\r1"\ra2,text 2'
    path = tmp_path / f"d.{form}"
    path.write_bytes(data.encode("utf-8"))
    reader = Reader()
    texts = ["text 0", "text\r1" if form == "csv" else "text 1", "text 2"]
    assert [(d.id, d.text) for d in reader.read([path])] == [(f"a{k}", texts[k]) for k in range(3)]
    assert reader.where["a2"] == f"{path}:{3 if form == 'jsonl' else 5}"
    # A CR inside a line of a file whose lines end in LF stays in its line (a quoted CSV cell's).
    path.write_bytes(b'id,text\r\na,"x\ry"\r\nb,z\r\n' if form == "csv" else b'{"id": "a",\r"text": "x"}\n')
    assert [d.id for d in Reader(input_format=form).read([path])] == (["a", "b"] if form == "csv" else ["a"])


def test_parquet_text_that_is_not_utf8_is_one_rows_problem(tmp_path: Path) -> None:
    """A writer that does not check UTF-8 can store bytes that are not: the batch's conversion failed
    whole, a UnicodeDecodeError even with skip_bad."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    good = b"a good text"
    offsets = pa.array([0, len(good), len(good) + 5, 2 * len(good) + 5], pa.int32()).buffers()[1]
    text = pa.Array.from_buffers(pa.string(), 3, [None, offsets, pa.py_buffer(good + b"ab\xffcd" + good)])
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": text}), path)
    with pytest.raises(InputError, match=r"d\.parquet: row 2: field 'text' is not valid UTF-8 at byte 2: expected"):
        list(Reader().read([path]))
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["a", "c"]
    assert [(s.where.rsplit(" ", 1)[1], s.kind) for s in reader.skipped] == [("2", "invalid UTF-8")]


def test_parquet_dates_python_cannot_hold_are_dates_not_read(tmp_path: Path) -> None:
    """Microseconds written as milliseconds are timestamps past the year 9999: an OverflowError was
    raised; the date is now handed on as the number stored, and the scan counts it as not read."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import dedup

    moment = 1705900000 * 1_000_000  # 2024-01-22 in microseconds
    path = tmp_path / "d.parquet"
    text = "The foreign ministry said on Tuesday that the talks would resume next week in Geneva. " * 3
    dates = pa.array([moment // 1000, moment], pa.timestamp("ms"))
    pq.write_table(pa.table({"id": ["a", "b"], "text": [text, text], "source": ["x", "y"], "date": dates}), path)
    docs = list(Reader().read([path]))
    assert [d.date for d in docs] == [
        "2024-01-22T05:06:40",
        "1705900000000000 (timestamp[ms]: outside the years 1-9999)",
    ]
    result = dedup.scan(docs)
    assert result.scanned == 2 and [u.id for u in result.unread_dates] == ["b"]
    nanoseconds = pa.array([moment * 1000 + 7], pa.timestamp("ns", tz="UTC"))
    pq.write_table(pa.table({"id": ["n"], "text": [text], "date": nanoseconds}), path)
    [doc] = Reader().read([path])
    assert doc.date is not None and doc.date.startswith("2024-01-22T05:06:40")


def test_a_damaged_parquet_page_is_a_one_line_read_error(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    """pyarrow's messages about a damaged file run over lines; they are said on one (the footer is
    read first, when the file is opened; a page when its rows are)."""
    text = "The foreign ministry said on Tuesday that the talks would resume next week. " * 8
    for texts, message in (
        (["one text", "two"], "cannot read: not a Parquet file (Couldn't deserialize thrift"),
        ([text + "1", text + "2"], "cannot read: Couldn't deserialize thrift: don't know what type: \x0f Deser"),
    ):
        path = tmp_path / "d.parquet"
        pq.write_table(pa.table({"id": ["a", "b"], "text": pa.array(texts).dictionary_encode()}), path)
        data = bytearray(path.read_bytes())
        for k in range(30, 200):
            data[k] ^= 0x5A
        path.write_bytes(bytes(data))
        with pytest.raises(ReadError) as caught:
            list(Reader().read([path]))
        assert str(caught.value).startswith(f"{path}: {message}") and "\n" not in str(caught.value)
        reader = Reader(skip_bad=True)
        assert list(reader.read([path])) == [] and [s.kind for s in reader.skipped] == ["unreadable file"]


@pytest.mark.parametrize(
    ("name", "content", "where", "reason"),
    [
        ("d.csv", b"name,body\na,b\n", "d.csv:1", "no column 'id' and 'text' in the header ('name', 'body')"),
        ("d.csv", b"id,id,text\na,b,c\n", "d.csv:1", "column 'id' appears more than once in the header"),
        ("d.csv", b"", "d.csv", "empty file: expected a header line"),
        ("d.tsv", b"id\xff\ttext\na\tb\n", "d.tsv:1", "invalid UTF-8 at byte 2 of the header line"),
    ],
    ids=["missing column", "column twice", "empty", "bad header bytes"],
)
def test_a_file_whose_header_fails_is_skipped_whole(
    tmp_path: Path, name: str, content: bytes, where: str, reason: str
) -> None:
    """A header that does not name the documents' columns stops the reading, or under skip_bad
    skips that file as one, counted, and the other files are read."""
    (tmp_path / name).write_bytes(content)
    (tmp_path / "e.jsonl").write_text(json.dumps({"id": "k", "text": "kept"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / where}: {reason}")):
        list(Reader().read([tmp_path]))
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([tmp_path])] == ["k"]
    (skipped,) = reader.skipped
    assert (skipped.where, skipped.kind) == (str(tmp_path / where), "unreadable file")
    assert skipped.reason.startswith(reason) and skipped.reason.endswith("the file is counted as one)")


def test_a_parquet_file_without_the_columns_is_skipped_whole(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"key": ["a", "b"], "text": ["x", "y"]}), tmp_path / "d.parquet")
    pq.write_table(pa.table({"id": ["c"], "text": ["z"]}), tmp_path / "e.parquet")
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([tmp_path])] == ["c"]
    assert [(s.where, s.kind, s.reason.split(" (")[0]) for s in reader.skipped] == [
        (str(tmp_path / "d.parquet"), "unreadable file", "no column 'id'")
    ]
