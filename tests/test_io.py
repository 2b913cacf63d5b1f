"""Reading inputs: every document is yielded or accounted for, and problems name file and line."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

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
