"""Input in encodings other than UTF-8: byte-order marks, a named encoding, and what fails."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.cli import main
from dedup.errors import InputError, ParameterError, ReadError
from dedup.io import Reader

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
SEED_TEXTS = [p.read_text("utf-8") for p in SEEDS]

# Any text a document may hold: every plane, no NUL (never text) and no lone surrogates (not
# encodable); line breaks of every kind inside the texts.
TEXTS = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40),
    min_size=1,
    max_size=4,
)
WIDE = ["utf-16", "utf-16-be", "utf-32", "utf-32-be"]


def _jsonl(texts: list[str]) -> str:
    return "".join(json.dumps({"id": str(k), "text": t}, ensure_ascii=False) + "\n" for k, t in enumerate(texts))


def _csv(texts: list[str]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["id", "text"])
    writer.writerows([str(k), t] for k, t in enumerate(texts))
    return out.getvalue()


def _with_bom(content: str, encoding: str) -> bytes:
    """Content in a wide encoding, headed by its byte-order mark (``utf-16`` adds the machine's own)."""
    data = content.encode(encoding)
    if encoding.endswith("-be"):
        data = "\ufeff".encode(encoding) + data
    return data


def _read(path: Path, **options: object) -> list[tuple[str, str]]:
    return [(d.id, d.text) for d in Reader(**options).read([path])]  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=TEXTS, encoding=st.sampled_from(WIDE), form=st.sampled_from(["jsonl", "csv", "txt"]))
def test_a_byte_order_mark_reads_as_utf8_would(texts: list[str], encoding: str, form: str, tmp_path: Path) -> None:
    """UTF-16 and UTF-32 with their mark give the documents the same content in UTF-8 gives."""
    content = {"jsonl": _jsonl, "csv": _csv, "txt": lambda t: t[0]}[form](texts)
    plain, wide = tmp_path / f"plain.{form}", tmp_path / f"wide.{form}"
    plain.write_bytes(content.encode("utf-8"))
    wide.write_bytes(_with_bom(content, encoding))
    if form == "txt":
        assert _read(wide) == [("wide.txt", text) for _, text in _read(plain)]
        assert _read(wide)[0][1] == texts[0].removeprefix("\ufeff")
    else:
        assert _read(wide) == _read(plain)


def test_a_named_encoding_reads_what_is_not_utf8(tmp_path: Path) -> None:
    """Older Arabic archives are cp1256: named, they read beside UTF-8 files and lines, each as it is."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEED_TEXTS[0].encode("utf-8"))
    (folder / "b.txt").write_bytes(SEED_TEXTS[1].encode("cp1256", "replace"))
    expected_b = SEED_TEXTS[1].encode("cp1256", "replace").decode("cp1256")
    assert "ال" in expected_b  # the test text is Arabic, which cp1256 holds
    assert _read(folder, encoding="cp1256") == [("a.txt", SEED_TEXTS[0]), ("b.txt", expected_b)]
    with pytest.raises(
        InputError, match=r"b\.txt: invalid UTF-8 at byte 0: expected UTF-8 text \(or set the encoding\)"
    ):
        _read(folder)

    lines = tmp_path / "mixed.jsonl"
    first = json.dumps({"id": "u", "text": SEED_TEXTS[0]}, ensure_ascii=False) + "\n"
    second = json.dumps({"id": "c", "text": expected_b}, ensure_ascii=False) + "\n"
    lines.write_bytes(first.encode("utf-8") + second.encode("cp1256"))
    assert _read(lines, encoding="windows-1256") == [("u", SEED_TEXTS[0]), ("c", expected_b)]
    with pytest.raises(InputError, match=r"mixed\.jsonl:2: invalid UTF-8 at byte \d+ of the line"):
        _read(lines)


def test_utf16_without_its_mark_is_named_or_refused(tmp_path: Path) -> None:
    """Without a mark, UTF-16 would pass for UTF-8 control characters: it is refused unless named."""
    text = SEED_TEXTS[1]
    path = tmp_path / "d.txt"
    path.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(InputError, match=r"d\.txt: a NUL byte at byte \d+: expected text \(UTF-16 or UTF-32 without"):
        _read(path)
    assert _read(path, encoding="utf-16-le") == [("d.txt", text)]
    table = tmp_path / "d.csv"
    table.write_bytes(_csv([text, "x"]).encode("utf-16-le"))
    with pytest.raises(InputError, match=r"d\.csv:1: a NUL byte at byte 1 of the header line"):
        _read(table)
    assert _read(table, encoding="utf-16-le") == [("0", text), ("1", "x")]


def test_utf16_without_its_mark_holding_a_latin_letter_is_said_as_such(tmp_path: Path) -> None:
    """One letter of Latin-1's upper half (é: 0xE9 0x00) made UTF-16 without its mark invalid UTF-8,
    "expected UTF-8 text", said before its NUL bytes, which name the cause."""
    path = tmp_path / "d.txt"
    path.write_bytes("Le président a parlé.".encode("utf-16-le"))
    with pytest.raises(InputError, match=r"d\.txt: a NUL byte at byte 1: expected text \(UTF-16 or UTF-32 without"):
        _read(path)
    lines = tmp_path / "d.jsonl"
    lines.write_bytes(('{"id": "a", "text": "café"}\n').encode("utf-16-le"))
    with pytest.raises(InputError, match=r"d\.jsonl:1: a NUL byte at byte 1 of the line: expected text"):
        _read(lines)
    assert _read(path, encoding="utf-16-le") == [("d.txt", "Le président a parlé.")]


def test_compressed_and_standard_input_find_the_mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = _jsonl([SEED_TEXTS[0], "second"])
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(gzip.compress(content.encode("utf-16")))
    assert _read(path) == [("0", SEED_TEXTS[0]), ("1", "second")]
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(content.encode("utf-32"))), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    assert [(d.id, d.text) for d in Reader().read(["-"])] == [("0", SEED_TEXTS[0]), ("1", "second")]


def test_undecodable_bytes_name_the_line_and_encoding(tmp_path: Path) -> None:
    # 0xA1 is no character of ISO 8859-6 (and no UTF-8 either).
    path = tmp_path / "d.jsonl"
    good = json.dumps({"id": "1", "text": "نص"}, ensure_ascii=False).encode("iso-8859-6")
    bad = b'{"id": "2", "text": "\xa1"}\n'
    path.write_bytes(good + b"\n" + bad)
    reader = Reader(encoding="iso-8859-6", skip_bad=True)
    assert [d.text for d in reader.read([path])] == ["نص"]
    [skipped] = reader.skipped
    assert skipped.where.endswith("d.jsonl:2") and skipped.kind == "invalid ISO8859-6"
    at = bad.index(b"\xa1")
    assert skipped.reason == f"neither UTF-8 nor ISO8859-6 at byte {at} of the line: expected text in either"

    # A UTF-16 line with an odd byte: its line is reported, by character, the others read.
    wide = tmp_path / "w.jsonl"
    lines = [json.dumps({"id": str(k), "text": "ab"}) + "\n" for k in range(3)]
    data = bytearray("".join(lines).encode("utf-16-le"))
    data[len(lines[0].encode("utf-16-le")) + 4] = 0xD8  # "i" of the second line's "id" becomes a high surrogate
    data[len(lines[0].encode("utf-16-le")) + 5] = 0xD8
    wide.write_bytes(b"\xff\xfe" + bytes(data))
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([wide])] == ["0", "2"]
    assert [s.where.rsplit(":", 1)[1] for s in reader.skipped] == ["2"]
    assert reader.skipped[0].reason.startswith("invalid UTF-16 at character 2 of the line")


def test_bytes_the_escape_cannot_keep_name_the_file(tmp_path: Path) -> None:
    # A lone low surrogate followed by ASCII: UTF-16 that cannot be decoded even with escapes.
    path = tmp_path / "d.jsonl"
    line = '{"id": "1", "text": "a"}\n'.encode("utf-16-le")
    path.write_bytes(b"\xff\xfe" + line + b"\x00\xdc\x41\x00")
    with pytest.raises(ReadError, match=rf"d\.jsonl: cannot read: invalid UTF-16 at byte {2 + len(line)}$"):
        _read(path)


# punycode and idna encode domain names and cannot keep a file's bad bytes; "undefined" decodes nothing:
# they passed the check, and the first file read raised a UnicodeError traceback.
@pytest.mark.parametrize("name", ["nope", "base64", "rot13", "", "punycode", "idna", "undefined"])
def test_the_encoding_is_checked_where_it_enters(name: str) -> None:
    with pytest.raises(ParameterError, match=rf"encoding must name a text encoding Python knows .*got {name!r}"):
        Reader(encoding=name)


def test_cli_scans_cp1256_beside_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The seeds' two Reuters carriers, one of them in cp1256, give what both in UTF-8 give."""
    texts = SEED_TEXTS[:2]
    assert all(t.encode("cp1256").decode("cp1256") == t for t in texts)  # cp1256 holds them whole
    runs = []
    for name, second in (("utf8", texts[1].encode("utf-8")), ("cp1256", texts[1].encode("cp1256"))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "a.txt").write_text(texts[0], "utf-8")
        (folder / "b.txt").write_bytes(second)
        assert main(["scan", str(folder), "--format", "jsonl", "--encoding", "cp1256", "-q"]) == 0
        runs.append(capsys.readouterr().out)
    assert runs[0] == runs[1] and runs[0].count('"type": "passage"') == 4
    for name in ("no-such", "punycode"):
        assert main(["scan", str(tmp_path / "cp1256"), "--encoding", name]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "encoding must name a text encoding" in err and f"{name!r}" in err


@pytest.mark.parametrize("form", ["jsonl", "csv", "txt"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_named_without_a_byte_order_is_said_for_a_file_without_its_mark(
    form: str, encoding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--encoding utf-16 on a file without its mark: JSONL and CSV stopped on a traceback ('UTF-16 stream
    does not start with BOM', status 1) while a text file was read in the machine's byte order."""
    content = {"jsonl": _jsonl(SEED_TEXTS[:2]), "csv": _csv(SEED_TEXTS[:2]), "txt": SEED_TEXTS[0]}[form]
    path = tmp_path / f"d.{form}"
    path.write_bytes(content.encode(f"{encoding}-le"))
    assert main(["scan", str(path), "--encoding", encoding]) == 2
    label = encoding.upper()
    assert capsys.readouterr().err == (
        f"dedup: error: {path}: cannot read: no byte-order mark, which {label} needs to tell its byte order: "
        f"set the encoding {encoding}-le or {encoding}-be (--skip-bad skips what cannot be read and goes on)\n"
    )
    assert main(["scan", str(path), "--encoding", f"{encoding}-le", "-q"]) == 0
    empty = tmp_path / f"empty.{form}"  # (no byte to tell an order by: an empty file, as in any encoding)
    empty.write_bytes(b"")
    assert main(["scan", str(empty), "--encoding", encoding, "--skip-bad", "-q"]) == 0
