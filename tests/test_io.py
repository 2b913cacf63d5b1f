"""Reading inputs: every document is yielded or accounted for, and problems name file and line."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import dedup
from dedup.cli import main
from dedup.errors import DedupError, InputError, ReadError
from dedup.io import Reader, read_documents


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_directory_ids_are_relative_paths_and_sorted(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "second")
    write(tmp_path / "sub" / "a.txt", "nested")
    write(tmp_path / "notes.md", "not matched by *.txt")
    write(tmp_path / ".hidden" / "c.txt", "hidden folders are left out")
    reader = Reader()
    docs = list(reader.read([tmp_path]))
    assert [d.id for d in docs] == ["b.txt", "sub/a.txt"]
    assert reader.where["sub/a.txt"] == str(tmp_path / "sub" / "a.txt")
    assert [d.source for d in docs] == [None, None]


def test_one_path_is_one_input_not_its_characters(tmp_path: Path) -> None:
    # A bare string was iterated character by character: "/" first, so the whole disk was walked.
    folder = tmp_path / "corpus"
    write(folder / "a.txt", "first")
    write(tmp_path / "one.jsonl", '{"id": "x", "text": "some text"}\n')
    assert [d.id for d in read_documents(str(folder))] == ["a.txt"]
    assert [d.id for d in read_documents(folder)] == ["a.txt"]
    assert [d.id for d in Reader().read(str(tmp_path / "one.jsonl"))] == ["x"]
    assert [d.id for d in read_documents([folder, tmp_path / "one.jsonl"])] == ["a.txt", "x"]


def test_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    write(tmp_path / "bom.txt", "\ufeffنص")
    assert [d.text for d in Reader().read([tmp_path])] == ["نص"]


def test_jsonl_fields_and_renamed_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.jsonl",
        '{"key": 7, "body": "text one", "outlet": "afp", "day": "2024-01-22"}\n\n{"key": "x", "body": "two"}\n',
    )
    reader = Reader(id_field="key", text_field="body", source_field="outlet", date_field="day")
    docs = list(reader.read([path]))
    assert [(d.id, d.text, d.source, d.date) for d in docs] == [
        ("7", "text one", "afp", "2024-01-22"),
        ("x", "two", None, None),
    ]
    assert reader.where == {"7": f"{path}:1", "x": f"{path}:3"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"id": "a", "text": "ok"}\n{"id": "b"\n', r"d\.jsonl:2: not valid JSON"),
        (b'{"id": "a"}\n', r"d\.jsonl:1: field 'text' is missing: expected a string \(the record has 'id'\)"),
        (b'{"id": "a", "body": "x"}\n', r"field 'text' is missing: expected a string \(the record has 'id', 'body'\)"),
        (b"{}\n", r"field 'id' is missing: expected a string \(the record has no fields\)"),
        (b'{"id": "a", "text": 5}\n', r"d\.jsonl:1: field 'text' must be a string, got a number"),
        (b'{"id": "", "text": "x"}\n', r"d\.jsonl:1: field 'id' is empty"),
        (b"[1, 2]\n", r"d\.jsonl:1: expected a JSON object, got an array"),
        (b'{"id": "a", "text": "\xff"}\n', r"d\.jsonl:1: invalid UTF-8 at byte 21 of the line"),
        (
            b'{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n',
            r"d\.jsonl:2: duplicate id 'a' \(taken by the document at .*d\.jsonl:1\)",
        ),
    ],
)
def test_jsonl_problems_name_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path / "d.jsonl", content)
    with pytest.raises(InputError, match=message):
        list(Reader().read([path]))


def test_skip_bad_accounts_for_every_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.jsonl",
        b'{"id": "a", "text": "fine"}\n{"id": "b"}\nnot json\n'
        b'{"id": "a", "text": "dup"}\n{"id": "c", "text": "\xff"}\n',
    )
    reader = Reader(skip_bad=True)
    docs = list(reader.read([path]))
    assert [d.id for d in docs] == ["a"]
    assert [s.where.rsplit(":", 1)[1] for s in reader.skipped] == ["2", "3", "4", "5"]
    assert all(s.reason for s in reader.skipped)


def test_invalid_utf8_text_file(tmp_path: Path) -> None:
    write(tmp_path / "bad.txt", b"ok \xc3\x28 no")
    with pytest.raises(InputError, match=r"bad\.txt: invalid UTF-8 at byte 3: expected UTF-8 text"):
        list(Reader().read([tmp_path]))
    reader = Reader(skip_bad=True)
    assert list(reader.read([tmp_path])) == [] and len(reader.skipped) == 1


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file or directory"):
        list(Reader().read([tmp_path / "nope.jsonl"]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no files matching '\*\.txt'"):
        list(Reader(glob="*.txt").read([tmp_path / "empty"]))
    with pytest.raises(InputError, match=r"empty: no files with a known extension \(\.txt, \.jsonl"):
        list(Reader().read([tmp_path / "empty"]))


def test_errors_share_one_root_and_refine_builtins() -> None:
    assert issubclass(InputError, DedupError) and issubclass(InputError, ValueError)
    assert issubclass(ReadError, DedupError) and issubclass(ReadError, OSError)


def test_stdin_is_read_as_utf8_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    data = '{"id": "s", "text": "من الإدخال"}\n'.encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="latin-1"))
    reader = Reader()
    assert [d.text for d in reader.read(["-"])] == ["من الإدخال"]
    assert reader.where == {"s": "<stdin>:1"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "x", "views": ' + "9" * 5000 + ', "text": "t"}', "a number of more than 4,300 digits"),
        ("[" * 100_000 + "]" * 100_000, "arrays or objects nested too deeply to read"),
    ],
)
def test_json_python_cannot_hold_is_one_lines_problem(tmp_path: Path, line: str, reason: str) -> None:
    """A number of more digits than int() converts raised ValueError, deep nesting RecursionError:
    tracebacks, even with skip_bad."""
    path = write(tmp_path / "d.jsonl", '{"id": "a", "text": "one"}\n' + line + '\n{"id": "b", "text": "two"}\n')
    with pytest.raises(InputError, match=rf"d\.jsonl:2: not valid JSON \({reason}\): expected one object a line"):
        list(Reader().read([path]))
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["a", "b"]
    assert [(s.where.rsplit(":", 1)[1], s.kind) for s in reader.skipped] == [("2", "invalid JSON")]


def test_json_values_are_named_as_json_names_them(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", 'null\n[1, 2]\n"text"\n{"id": 1.5, "text": "x"}\n{"id": "a", "text": true}\n')
    reader = Reader(skip_bad=True)
    assert list(reader.read([path])) == []
    assert [s.reason for s in reader.skipped] == [
        "expected a JSON object, got null",
        "expected a JSON object, got an array",
        "expected a JSON object, got a string",
        "field 'id' must be a string or an integer, got a number",
        "field 'text' must be a string, got true",
    ]


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    """A cp1256 name from an old archive (bytes that are no UTF-8) became an id of lone surrogates,
    refused as the "document #1" of no file; its name is now its bytes escaped, in its id and place."""
    name = os.fsdecode(b"\xe3\xd5\xd1.txt")  # 'مصر.txt' in cp1256
    write(tmp_path / name, "a text")
    write(tmp_path / "b.txt", "another")
    reader = Reader()
    assert [d.id for d in reader.read([tmp_path])] == ["b.txt", "\\xe3\\xd5\\xd1.txt"]
    assert reader.where["\\xe3\\xd5\\xd1.txt"] == f"{tmp_path}/\\xe3\\xd5\\xd1.txt"
    assert [d.id for d in Reader().read([tmp_path / name])] == ["\\xe3\\xd5\\xd1.txt"]
    write(tmp_path / name, b"\xff not utf-8")
    with pytest.raises(InputError, match=r"/\\xe3\\xd5\\xd1\.txt: invalid UTF-8 at byte 0"):
        list(Reader().read([tmp_path]))


def test_standard_input_closed_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets when started with standard input closed
    with pytest.raises(ReadError, match=r"^<stdin>: cannot read: standard input is closed$"):
        list(Reader().read(["-"]))


def test_skip_bad_counts_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    """A cut-short compressed file stopped the reading even with skip_bad: it is now skipped and counted,
    one entry for the file, and the documents read from it before the break are kept."""
    import gzip

    write(tmp_path / "a.txt", "first")
    write(tmp_path / "b.txt.gz", gzip.compress(b"second text")[:-10])
    lines = b"".join(b'{"id": "j%d", "text": "x"}\n' % k for k in range(20_000))
    write(tmp_path / "c.jsonl.gz", gzip.compress(lines)[:-20])
    write(tmp_path / "d.txt", "fourth")
    with pytest.raises(ReadError, match=r"b\.txt\.gz: cannot read: Compressed file ended") as caught:
        list(Reader().read([tmp_path]))
    assert caught.value.skippable
    reader = Reader(skip_bad=True)
    docs = [d.id for d in reader.read([tmp_path])]
    assert docs[0] == "a.txt" and docs[-1] == "d.txt" and 0 < len(docs) - 2 < 20_000
    assert [(s.where, s.id, s.kind) for s in reader.skipped] == [
        (str(tmp_path / "b.txt.gz"), "b.txt.gz", "unreadable file"),
        (str(tmp_path / "c.jsonl.gz"), None, "unreadable file"),
    ]
    assert reader.skipped[0].reason.startswith("cannot read: Compressed file ended before the end-of-stream")
    assert reader.skipped[1].reason.endswith(
        f"(after its first {len(docs) - 2:,} records, which were read: the rest of it is counted as one)"
    )


def test_a_folder_that_cannot_be_listed_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Path.rglob passes over a folder it cannot list (PermissionError) without a word: the documents
    below it were lost silently. Permission bits do not stop root, so the refusal is simulated."""
    for sub in ("a", "locked", "z"):
        write(tmp_path / sub / f"{sub}.txt", f"text of {sub}")
    write(tmp_path / ".hidden" / "h.txt", "hidden folders are not entered")
    real = os.scandir

    def scandir(path: Any) -> Any:
        if os.path.basename(path) in ("locked", ".hidden"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(ReadError, match=r"locked: cannot read the folder: Permission denied$"):
        list(Reader().read([tmp_path]))
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([tmp_path])] == ["a/a.txt", "z/z.txt"]
    assert [(s.where, s.kind) for s in reader.skipped] == [(str(tmp_path / "locked"), "unreadable folder")]
    assert reader.skipped[0].reason.endswith("(the documents below it could not be counted)")


def test_a_record_refused_for_another_field_keeps_its_id(tmp_path: Path) -> None:
    """A record refused for its text, source or date names its id, so that the user can tell which
    document it was; one whose id is the problem, or that cannot be read at all, names none."""
    lines = [
        ('{"id": "a", "text": null}', "a"),
        ('{"id": "m"}', "m"),
        ('{"id": "c", "text": 5}', "c"),
        ('{"id": "s", "text": "x", "source": 1}', "s"),
        ('{"id": "d", "text": "x", "date": ["2024"]}', "d"),
        ('{"id": "t", "text": "x\\ud800"}', "t"),
        ('{"id": "u", "text": "x", "source": "\\udc00"}', "u"),
        ('{"id": "v", "text": "x", "date": "2024\\ud800"}', "v"),
        ('{"id": 7, "text": null}', "7"),
        ('{"id": "r", "text": "x", "text": "y"}', "r"),
        ('{"id": "w", "id": "w", "text": "x"}', None),
        ('{"id": "", "text": null}', None),
        ('{"id": " ", "text": "x"}', None),
        ('{"id": null, "text": "x"}', None),
        ('{"text": "x"}', None),
        ('{"id": 1.5, "text": "x"}', None),
        ('{"id": true, "text": "x"}', None),
        ('{"id": "z\\ud800", "text": null}', None),
        ('{"id": "j", "text": ', None),
        ('["j"]', None),
    ]
    data = "".join(line + "\n" for line, _ in lines).encode() + b'{"id": "b", "text": "\xff"}\n'
    reader = Reader(skip_bad=True)
    assert list(reader.read([write(tmp_path / "d.jsonl", data)])) == []
    assert [s.id for s in reader.skipped] == [doc_id for _, doc_id in lines] + [None]
    assert [s.where.rsplit(":", 1)[1] for s in reader.skipped] == [str(k) for k in range(1, len(lines) + 2)]
    # Without skip_bad, the error names the document as well as its line.
    with pytest.raises(InputError, match=r"d\.jsonl:1: field 'text' is null") as error:
        list(Reader().read([tmp_path / "d.jsonl"]))
    assert error.value.document == "a"
    # A CSV or TSV cell is a string: a row is refused for its id (an empty cell), or not read at all
    # (a cell too many or too few, a quote not closed, bytes not UTF-8); an empty text is the scan's.
    for suffix, sep in (("csv", ","), ("tsv", "\t")):
        rows = ["id,text,source", "e,,x", ",text,x", "f,text", 'g,"text,x', "h,text,x"]
        reader = Reader(skip_bad=True)
        path = write(tmp_path / f"d.{suffix}", "".join(row.replace(",", sep) + "\n" for row in rows))
        assert [d.id for d in reader.read([path])] == ["e", "h"]
        assert [(s.id, s.where.rsplit(":", 1)[1]) for s in reader.skipped] == [(None, "3"), (None, "4"), (None, "5")]
    reader = Reader(skip_bad=True)
    assert list(reader.read([write(tmp_path / "b.csv", b"id,text\nk,\xff\n")])) == []
    assert [(s.id, s.kind) for s in reader.skipped] == [(None, "invalid UTF-8")]


def test_a_parquet_row_refused_for_another_field_keeps_its_id(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"id": [1, 2, None], "text": ["one", None, "three"]}), tmp_path / "n.parquet")
    table = pa.table({"id": ["p", "q", "", " "], "text": ["one", None, "x", "y"], "source": ["s", "s", "s", None]})
    pq.write_table(table, tmp_path / "s.parquet")
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([tmp_path / "n.parquet", tmp_path / "s.parquet"])] == ["1", "p"]
    assert [(s.id, s.where.rsplit(":", 1)[1]) for s in reader.skipped] == [
        ("2", " row 2"), (None, " row 3"), ("q", " row 2"), (None, " row 3"), (None, " row 4")
    ]  # fmt: skip


def test_a_refused_record_does_not_claim_its_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A record refused by the reader keeps its id in the report, yet leaves the id free: a later record of
    that id is scanned, not a duplicate of it; every record is accounted for, in input order."""
    text = "the ministry said it had no plans to withdraw its troops from the country this year " * 3
    rows = [{"id": "a", "text": None}, {"id": "a", "text": text, "source": "x"},
            {"id": "a", "text": text + " again", "source": "y"}, {"id": "b", "text": "short"},
            {"id": "b", "text": 5}, {"id": "b", "text": "other words " + text, "source": "z"}]  # fmt: skip
    path = write(tmp_path / "d.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    assert main(["scan", str(path), "--skip-bad", "--format", "jsonl", "-q", "-o", str(out)]) == 0
    summary = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
    assert (summary["documents_read"], summary["documents_scanned"]) == (6, 2)
    assert [(s["where"], s["id"], s["kind"]) for s in summary["skipped"]] == [
        (f"{path}:1", "a", "invalid record"), (f"{path}:3", "a", "duplicate id"), (f"{path}:4", "b", "too short"),
        (f"{path}:5", "b", "invalid record"),
    ]  # fmt: skip
    taken = f"duplicate id 'a' (taken by the document at {path}:2); ids must be unique"
    assert summary["skipped"][1]["reason"] == taken
    # The archive index reads with the same reader: the refused record leaves "a" to line 2, stored.
    assert main(["index", "add", str(tmp_path / "ix"), str(path), "--skip-bad", "-q"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        f"skipped {path}:1: field 'text' is null: expected a string (the record has 'id', 'text')",
        f"skipped {path}:3: {taken}",
    ]
    with dedup.Index.open(tmp_path / "ix") as index:
        assert index.get("a").source == "x"
