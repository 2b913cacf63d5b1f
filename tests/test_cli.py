"""Tests for the dedup command (dedup.cli.main) and the progress bar it draws."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from dedup import scan
from dedup.cli import build_parser, main
from dedup.io import Reader
from dedup.progress import ProgressBar
from dedup.report import parse_records

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]


COMPILING = "dedup: compiling the engine's kernels"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    # The first scan after an install (or after a kernel's source changed) says it compiles: where
    # that happens depends on which test runs first, so it is taken out here and tested on its own.
    err = "".join(line for line in err.splitlines(keepends=True) if not line.startswith(COMPILING))
    return status, out, err


def jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_bytes(
        b"".join(r if isinstance(r, bytes) else (json.dumps(r, ensure_ascii=False) + "\n").encode() for r in rows)
    )
    return path


def seed_rows() -> list[dict[str, str]]:
    return [{"id": f"s{k}", "text": t, "source": f"outlet{k}"} for k, t in enumerate(SEED_TEXTS)]


# --------------------------------------------------------------------------------------------------
# scan: the four formats


def test_scan_table_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["scan", str(SEEDS)], capsys)
    assert status == 0
    assert "000_acb56ec733aba13b.txt  ~  001_c434531e6e6100b5.txt" in out
    assert err.startswith("5 documents read, 5 scanned, 0 skipped")
    assert "\r" not in err  # stderr is not a terminal here: no progress bar


def test_scan_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["scan", str(SEEDS), "-q"], capsys)
    assert (status, err) == (0, "")
    assert re.match(r"\d+ document pairs? shares? \d+ passages?\n", out)


@pytest.mark.parametrize("fmt", ["table", "jsonl", "csv", "html"])
def test_scan_formats_to_a_file(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"report.{fmt}"
    status, out, err = run(["scan", str(SEEDS), "--format", fmt, "-o", str(target)], capsys)
    assert status == 0 and out == ""
    assert (err != "") == (fmt == "table")  # the summary goes to stderr in table mode only (no skips here)
    data = target.read_bytes()
    text = data.decode("utf-8-sig")
    if fmt == "jsonl":
        assert json.loads(text.splitlines()[-1])["type"] == "summary"
    elif fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and rows[0]["doc_a"] == "000_acb56ec733aba13b.txt"
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<mark " in text and 'dir="rtl"' in text
    else:
        assert re.match(r"\d+ document pairs? shares? \d+ passages?\n", text)


def test_csv_without_bom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "r.csv"
    assert run(["scan", str(SEEDS), "--format", "csv", "--no-csv-bom", "-o", str(target)], capsys)[0] == 0
    assert target.read_text("utf-8").startswith("pair,score,passage,cluster,")


def test_jsonl_output_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.jsonl"
    assert run(["scan", str(SEEDS), "--format", "jsonl", "-o", str(target)], capsys)[0] == 0
    with target.open(encoding="utf-8") as stream:
        back = parse_records(stream, str(target))
    expected = scan(Reader().read([SEEDS]))
    assert back.pairs == expected.pairs
    assert sorted(back.passages, key=repr) == sorted(expected.passages, key=repr)
    assert back.summary is not None and back.summary["documents_scanned"] == 5


def test_stdin_jsonl(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seed_rows()).encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    status, out, _ = run(["scan", "-", "--format", "jsonl"], capsys)
    assert status == 0
    back = parse_records(out.splitlines())
    assert {(p.a, p.b) for p in back.pairs} >= {("s0", "s1")}
    assert back.summary is not None and back.summary["documents_read"] == 5


def test_stdin_given_twice_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`dedup scan - -`: the second reading of standard input was empty, without a word."""
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seed_rows()).encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    status, out, err = run(["scan", "-", "-", "--format", "jsonl"], capsys)
    assert status == 2 and out == ""
    assert err == "dedup: error: <stdin>: given twice: standard input (-) can be read once\n"


def test_html_max_pairs_and_cluster_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "r.html"
    argv = ["scan", str(SEEDS), "--format", "html", "--html-max-pairs", "1", "--cluster-documents", "9"]
    assert run([*argv, "-o", str(target)], capsys)[0] == 0
    page = target.read_text("utf-8")
    assert 'id="pair-1"' in page and 'id="pair-2"' not in page
    assert "No passage was found in three or more documents" in page or 'id="cluster-1"' not in page
    status, _, err = run(["scan", str(SEEDS), "--cluster-documents", "1"], capsys)
    assert status == 2 and "--cluster-documents" in err


# --------------------------------------------------------------------------------------------------
# bad input: exit 2 and one line naming the file and line; --skip-bad skips and accounts


def one_line_error(err: str, *needles: str) -> None:
    assert err.count("\n") == 1 and err.startswith("dedup: error: "), err
    for needle in needles:
        assert needle in err, (needle, err)


def test_missing_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nothing.jsonl"
    status, _, err = run(["scan", str(missing)], capsys)
    assert status == 2
    one_line_error(err, str(missing), "no such file")


@pytest.mark.parametrize(
    ("command", "said"),
    [(["scan", "LONG.jsonl"], ": cannot read: "), (["scan", "DOCS", "-o", "LONG.jsonl"], ": cannot write: "),
     (["scan", "LONG.jsonl", "-o", "out.jsonl"], ": cannot read: "), (["tune", "-o", "LONG.json"], ": cannot write: "),
     (["index", "info", "LONG"], "/catalogue.sqlite: "), (["index", "add", "LONG", "DOCS"], "/catalogue.sqlite: "),
     (["evaluate", "LONG"], ": ")],
)  # fmt: skip
def test_a_name_too_long_is_one_line_not_a_traceback(
    command: list[str], said: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A file name over the system's limit failed pathlib's is_dir() or exists(), which pass over a
    missing file only: OSError [Errno 36] and a traceback, exit status 1."""
    docs = jsonl(tmp_path / "docs.jsonl", seed_rows()[:2])
    long = tmp_path / ("x" * 300)
    argv = [str(docs) if part == "DOCS" else part.replace("LONG", str(long)).replace("out", str(tmp_path / "out"))
            for part in command]  # fmt: skip
    status, _, err = run(argv, capsys)
    assert status == 2
    assert (
        err.count("\n") == 1 and err.startswith(f"dedup: error: {long}") and err.endswith(f"{said}File name too long\n")
    )


def test_unreadable_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Permission bits do not stop root, so the failing read is simulated.
    target = tmp_path / "locked.txt"
    target.write_text("x" * 200, "utf-8")
    real = Path.open

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    status, _, err = run(["scan", str(target)], capsys)
    assert status == 2
    one_line_error(err, str(target), "cannot read", "Permission denied")


def test_an_error_is_one_visible_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file name, or another library's message, may hold line breaks and control characters: printed
    as they were, the error ran over lines (pyarrow's about a damaged page) or drove the terminal."""
    missing = tmp_path / "two\nlines\x1b[31m.jsonl"
    status, _, err = run(["scan", str(missing)], capsys)
    assert status == 2
    one_line_error(err, "two\\x0alines\\x1b[31m.jsonl: cannot read: no such file")
    assert not any(ord(c) < 32 for c in err.rstrip("\n"))


def test_evaluate_names_a_file_it_cannot_read_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/cli.md: an error is `dedup: error: FILE: reason`, as scan says it; evaluate said `cannot read FILE: ...`."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    status, _, err = run(["evaluate", str(corpus)], capsys)  # no truth.jsonl
    assert status == 2
    one_line_error(err, f"dedup: error: {corpus / 'truth.jsonl'}: cannot read: ")
    (corpus / "truth.jsonl").write_text('{"a": "x", "b": "y", "label": "WD"}\n', "utf-8")
    (corpus / "docs.jsonl").write_text('{"id": "x", "text": "t"}\n{"id": "y", "text": "t"}\n', "utf-8")
    missing = tmp_path / "found.jsonl"
    status, _, err = run(["evaluate", str(corpus), "--detections", str(missing)], capsys)
    assert status == 2
    one_line_error(err, f"dedup: error: {missing}: cannot read: ")


def test_a_parameter_error_names_every_parameter_as_its_option(capsys: pytest.CaptureFixture[str]) -> None:
    """Whoever typed the command knows --stride and --num-perm, not the library's stride and num_perm."""
    for argv, message in (
        (["--window", "100"], "dedup: error: --window (100) must be a multiple of --stride (32)\n"),
        (
            ["--min-bands", "100"],
            "dedup: error: --min-bands must be at most the 64 bands of --threshold 0.2 and --num-perm 128 "
            "(no pair could share more), got 100\n",
        ),
    ):
        status, _, err = run(["scan", str(SEEDS), *argv], capsys)
        assert status == 2 and err == message


def test_a_file_given_twice_is_a_duplicate_named_like_any_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dedup scan seeds/ seeds/000.txt` reads one file twice: the message says so, not the library's bare
    'an earlier document has the same id' (nor 'taken by the document at' its own place)."""
    one = sorted(SEEDS.glob("*.txt"))[0]
    status, _, err = run(["scan", str(SEEDS), str(one)], capsys)
    assert status == 2
    taken = f"duplicate id '{one.name}' (its file is read twice: given twice, or inside a folder given too)"
    taken += "; ids must be unique"
    one_line_error(err, f"{one}: {taken}")
    status, out, err = run(["scan", str(SEEDS), str(one), "--skip-bad", "--format", "jsonl"], capsys)
    [skipped] = json.loads(out.splitlines()[-1])["skipped"]
    assert status == 0 and (skipped["where"], skipped["reason"]) == (str(one), taken)


def test_closed_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # `dedup scan - <&-`: Python has no sys.stdin
    status, _, err = run(["scan", "-"], capsys)
    assert status == 2
    one_line_error(err, "<stdin>: cannot read: standard input is closed")


def test_skip_bad_skips_and_counts_a_file_that_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README says an unreadable file is skipped and counted under --skip-bad; it stopped the scan."""
    import gzip

    folder = tmp_path / "corpus"
    folder.mkdir()
    for k, text in enumerate(SEED_TEXTS[:2]):
        (folder / f"{k}.txt").write_text(text, "utf-8")
    (folder / "cut.txt.gz").write_bytes(gzip.compress(SEED_TEXTS[2].encode())[:-10])
    status, out, err = run(["scan", str(folder)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, "cut.txt.gz: cannot read: ", "(--skip-bad skips what cannot be read and goes on)")
    (folder / "cut.txt.gz").unlink()
    (folder / "other.csv").write_text("url,body\nx,y\n", "utf-8")  # another export's columns
    status, out, err = run(["scan", str(folder)], capsys)
    one_line_error(err, "other.csv:1: no column 'id' and 'text'", "(--skip-bad skips what cannot be read and goes on)")
    (folder / "other.csv").unlink()
    (folder / "cut.txt.gz").write_bytes(gzip.compress(SEED_TEXTS[2].encode())[:-10])
    status, out, err = run(["scan", str(folder), "--skip-bad", "--format", "jsonl"], capsys)
    summary = json.loads(out.splitlines()[-1])
    assert status == 0 and (summary["documents_read"], summary["documents_scanned"]) == (3, 2)
    [skipped] = summary["skipped"]
    assert (skipped["where"], skipped["id"], skipped["kind"]) == (
        str(folder / "cut.txt.gz"),
        "cut.txt.gz",
        "unreadable file",
    )
    assert err == "dedup: 1 of 3 documents skipped: 1 unreadable file (the summary record lists each)\n"


def test_bad_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text(SEED_TEXTS[0], "utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfd not utf-8" + b"x" * 200)
    status, out, err = run(["scan", str(folder)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, str(folder / "bad.txt"), "invalid UTF-8 at byte 0", "(--skip-bad skips such documents")


@pytest.mark.parametrize(
    ("content", "kind"), [(b"", "empty"), (" \n\u200f".encode(), "empty"), (b"too short", "too short")]
)
def test_short_and_empty_documents_are_skipped_and_counted(
    content: bytes, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for k, text in enumerate(SEED_TEXTS):
        (folder / f"{k}.txt").write_text(text, "utf-8")
    (folder / "bad.txt").write_bytes(content)
    status, out, err = run(["scan", str(folder)], capsys)
    assert status == 0 and "0.txt  ~  1.txt" in out
    assert err.startswith("6 documents read, 5 scanned, 1 skipped;")
    assert f"skipped {folder / 'bad.txt'}: {kind}" in err
    # (the HTML page and the Parquet file's metadata list them too: --format jsonl is named for CSV alone)
    lists = {"jsonl": "the summary record", "csv": "--format jsonl", "html": "the page"}
    for fmt, where in lists.items():
        status, out, err = run(["scan", str(folder), "--format", fmt], capsys)
        assert status == 0
        assert err == f"dedup: 1 of 6 documents skipped: 1 {kind} ({where} lists each)\n"
    status, out, err = run(["scan", str(folder), "--format", "jsonl", "-q"], capsys)
    summary = json.loads(out.splitlines()[-1])
    assert (status, err, summary["documents_skipped"], summary["skipped"][0]["kind"]) == (0, "", 1, kind)
    status, out, err = run(["scan", str(folder), "--strict"], capsys)
    assert status == 2 and out == ""
    one_line_error(err, str(folder / "bad.txt"), kind, "(skipped and counted without --strict)")


def test_strict_and_skip_bad_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["scan", str(SEEDS), "--strict", "--skip-bad"])
    assert "not allowed with argument" in capsys.readouterr().err


BAD_LINES: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("invalid-utf8", b'{"id": "u", "text": "\xff"}\n', "invalid UTF-8"),
    ("malformed-json", b'{"id": "m", "text": \n', "not valid JSON"),
    ("missing-field", {"id": "f"}, "field 'text' is missing"),
    ("duplicate-id", {"id": "s0", "text": SEED_TEXTS[3]}, "duplicate id 's0'"),
]
SHORT_LINES: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("empty", {"id": "e", "text": ""}, "empty"),
    ("too-short", {"id": "t", "text": "قصير"}, "too short"),
    ("one-character", {"id": "o", "text": "x"}, "too short (1 normalised character):"),  # not "1 ... characters"
]


@pytest.mark.parametrize(("name", "line", "reason"), BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_bad_jsonl_line(
    name: str, line: bytes | dict[str, Any], reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[Any] = [*seed_rows()[:2], line, seed_rows()[2]]
    path = jsonl(tmp_path / "in.jsonl", rows)
    status, out, err = run(["scan", str(path)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:3", reason, "(--skip-bad skips such documents and goes on)")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        # A download cut off in a text: the line's own break was read as inside the string.
        (b'{"id": "c", "text": "\xd9\x82\xd8\xa7\xd9\x84\n', "Unterminated string starting at column 21"),
        (b'{"id": "c", "text": "cut"\r\n', "Expecting ',' delimiter at column 26"),  # not column 1 of a line 2
    ],
    ids=["inside-a-string", "after-a-value"],
)
def test_cut_off_jsonl_line_is_said_where_it_ends(
    line: bytes, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = jsonl(tmp_path / "in.jsonl", [*seed_rows()[:2], line, seed_rows()[2]])
    status, out, err = run(["scan", str(path)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:3: not valid JSON ({reason}): expected one object a line")


def test_a_field_given_twice_in_one_object_is_malformed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON leaves a repeated name to the reader, and Python's keeps the last: the first text was dropped
    without a word (a CSV column named twice was already an error). Names the scan does not use may
    repeat; a value that merely reads "text" is no name."""
    first, second = (json.dumps(t, ensure_ascii=False) for t in (SEED_TEXTS[3], SEED_TEXTS[4]))
    twice = f'{{"id": "t", "text": {first}, "text": {second}}}\n'
    fine = {"id": "f", "text": SEED_TEXTS[3], "tag": "text", "meta": {"id": 1}}
    path = jsonl(tmp_path / "in.jsonl", [*seed_rows()[:2], twice.encode(), fine])
    status, out, err = run(["scan", str(path)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:3: field 'text' is given 2 times in the object: expected each field once")
    status, out, err = run(["scan", str(path), "--skip-bad", "--format", "jsonl"], capsys)
    summary = json.loads(out.splitlines()[-1])
    assert status == 0 and (summary["documents_read"], summary["documents_scanned"]) == (4, 3)
    assert [(s["where"], s["kind"]) for s in summary["skipped"]] == [(f"{path}:3", "invalid record")]


def test_a_header_that_is_a_document_is_shown_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV written without a header line (or a JSONL file read as CSV) has a record for header: the
    message quoted its every cell whole, a whole article in a 'one-line' error."""
    path = tmp_path / "noheader.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for k, text in enumerate(SEED_TEXTS):
            writer.writerow([f"s{k}", text, "afp", "2024-01-01", "x", "y", "z", "w"])
    status, out, err = run(["scan", str(path)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:1: no column 'id' and 'text' in the header ('s0', '{SEED_TEXTS[0][:30]}…',")
    assert "and 2 more" in err and len(err) < 400, err


def test_a_date_that_is_a_text_is_shown_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Columns mixed up (the text in the date field): the date not read was quoted whole, an article in
    the summary's line and in the --strict error."""
    rows: list[Any] = seed_rows()
    rows[0]["date"] = SEED_TEXTS[1]
    path = jsonl(tmp_path / "in.jsonl", rows)
    cut = SEED_TEXTS[1][:40] + "…"
    shown = f"date {cut!r} ({len(SEED_TEXTS[1]):,} characters) cannot be read: expected an ISO 8601 day or time"
    status, out, err = run(["scan", str(path), "--strict"], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:1: {shown}")
    assert len(err) < 450, err  # (not the 3,446 characters of the text)
    status, out, err = run(["scan", str(path), "--format", "jsonl"], capsys)
    assert status == 0 and shown in json.loads(out.splitlines()[-1])["unread_dates"][0]["reason"]
    assert len(err) < 450, err  # (not the 3,446 characters of the text)


@pytest.mark.parametrize(
    ("name", "header", "hint"),
    [
        # What a spreadsheet saves as "CSV" where a comma is the decimal mark.
        (
            "excel.csv",
            "id;text;source",
            "its names are separated by ';', and CSV's by ',': save it with commas or tabs",
        ),
        ("export.csv", "id\ttext", "its names are separated by tabs: name it .tsv (or set the input format: tsv)"),
        ("export.tsv", "id,text", "its names are separated by ',': name it .csv (or set the input format: csv)"),
    ],
)
def test_a_header_of_another_separator_says_so(
    name: str, header: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    separator = next(c for c in ";\t," if c in header)
    path.write_text(header + "\n" + separator.join(["a", "some text", "afp"][: header.count(separator) + 1]) + "\n")
    status, out, err = run(["scan", str(path)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:1: no column 'id' and 'text' in the header ({header!r}): {hint}")


def test_without_format_the_output_name_says_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`-o report.csv` wrote the text table into report.csv (and `-o r.parquet` text into r.parquet):
    a file its name said it was not, which a spreadsheet or pandas then failed on."""
    seen = {}
    for name in ("r.csv", "r.jsonl", "r.html", "r.txt", "r.CSV"):
        assert run(["scan", str(SEEDS), "-q", "-o", str(tmp_path / name)], capsys)[0] == 0
        seen[name] = (tmp_path / name).read_bytes()[:40]
    assert seen["r.csv"].startswith(b"\xef\xbb\xbfpair,") and seen["r.CSV"] == seen["r.csv"]
    assert seen["r.jsonl"].startswith(b'{"type": "pair", ')
    assert seen["r.html"].lower().startswith(b"<!doctype html>")
    assert seen["r.txt"].startswith(b"1 document pair shares 4 passages")  # no format named: the table
    # --format given is what is written, whatever the name.
    assert run(["scan", str(SEEDS), "-q", "--format", "table", "-o", str(tmp_path / "t.csv")], capsys)[0] == 0
    assert (tmp_path / "t.csv").read_bytes().startswith(b"1 document pair")
    assert run(["tune", "-o", str(tmp_path / "tune.json")], capsys)[0] == 0
    assert json.loads((tmp_path / "tune.json").read_text())["num_perm"] == 128


def test_a_file_read_twice_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file given twice (or inside a folder given too) said 'duplicate id 'a' (taken by the document
    at in.jsonl:1)' of the document at in.jsonl:1: the same place, twice, with no word of why."""
    path = jsonl(tmp_path / "in.jsonl", seed_rows()[:2])
    why = "(its file is read twice: given twice, or inside a folder given too); ids must be unique"
    status, out, err = run(["scan", str(path), str(tmp_path / "." / "in.jsonl")], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:1: duplicate id 's0' {why}")
    status, out, err = run(["scan", str(path), str(path), "--skip-bad", "--format", "jsonl"], capsys)
    skipped = json.loads(out.splitlines()[-1])["skipped"]
    assert status == 0 and [s["reason"] for s in skipped] == [f"duplicate id 's{k}' {why}" for k in (0, 1)]
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED_TEXTS[0], "utf-8")
    status, out, err = run(["scan", str(folder), str(folder / "a.txt")], capsys)
    one_line_error(err, f"{folder / 'a.txt'}: duplicate id 'a.txt' {why}")


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_an_id_of_spaces_is_no_id(form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty id was refused, one of spaces (a cell padded by an export) scanned: a pair of it showed
    as a blank in the table and the CSV report."""
    rows = [{"id": "  ", "text": SEED_TEXTS[2]}, *seed_rows()[:2]]
    path = tmp_path / f"in.{form}"
    if form == "jsonl":
        jsonl(path, rows)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["id", "text"], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    status, out, err = run(["scan", str(path)], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:{1 if form == 'jsonl' else 2}: field 'id' is blank (spaces only): expected an id")


@pytest.mark.parametrize(("name", "line", "reason"), SHORT_LINES, ids=[b[0] for b in SHORT_LINES])
def test_short_jsonl_line(
    name: str, line: bytes | dict[str, Any], reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[Any] = [*seed_rows()[:2], line, seed_rows()[2]]
    path = jsonl(tmp_path / "in.jsonl", rows)
    status, out, err = run(["scan", str(path), "--strict"], capsys)
    assert status == 2 and out == ""
    one_line_error(err, f"{path}:3", reason, "--strict")
    status, out, err = run(["scan", str(path), "--format", "jsonl"], capsys)
    assert status == 0 and json.loads(out.splitlines()[-1])["skipped"][0]["where"] == f"{path}:3"


def test_skip_bad_accounts_for_every_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = BAD_LINES + SHORT_LINES
    rows: list[Any] = [*seed_rows(), *(line for _, line, _ in bad)]
    path = jsonl(tmp_path / "in.jsonl", rows)
    status, out, err = run(["scan", str(path), "--skip-bad"], capsys)
    assert status == 0 and "s0  ~  s1" in out
    head, *skipped = err.splitlines()
    assert head.startswith(f"{5 + len(bad)} documents read, 5 scanned, {len(bad)} skipped")
    assert len(skipped) == len(bad)
    for k, (_, _, reason) in enumerate(bad, 6):
        assert any(line.startswith(f"skipped {path}:{k}: ") and reason in line for line in skipped), (
            k,
            reason,
        )
    status, out, _ = run(["scan", str(path), "--skip-bad", "--format", "jsonl"], capsys)
    summary = json.loads(out.splitlines()[-1])
    assert summary["documents_skipped"] == len(bad)
    assert {s["where"] for s in summary["skipped"]} == {f"{path}:{k}" for k in range(6, 6 + len(bad))}


def test_skipped_documents_are_listed_in_input_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Skips the reader decides (a malformed line) and the library's (too short, empty) come in the
    order of the input, not the reader's first."""
    lines = [SHORT_LINES[0], *BAD_LINES[:2], SHORT_LINES[1], BAD_LINES[2]]
    path = jsonl(tmp_path / "in.jsonl", [*(line for _, line, _ in lines), *seed_rows()])
    status, out, err = run(["scan", str(path), "--skip-bad", "--format", "jsonl"], capsys)
    summary = json.loads(out.splitlines()[-1])
    assert status == 0 and [s["where"] for s in summary["skipped"]] == [f"{path}:{k}" for k in range(1, 6)]
    status, _, err = run(["scan", str(path), "--skip-bad"], capsys)
    listed = [line.split(": ")[0] for line in err.splitlines() if line.startswith("skipped ")]
    assert listed == [f"skipped {path}:{k}" for k in range(1, 6)]


def test_bad_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["scan", str(SEEDS), "--threshold", "1.5"], capsys)
    assert status == 2
    one_line_error(err, "threshold")


def test_unwritable_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(["scan", str(SEEDS), "-o", str(tmp_path / "no" / "dir" / "x")], capsys)
    assert status == 2
    one_line_error(err, "cannot write")


# --------------------------------------------------------------------------------------------------
# tune


def test_tune_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["tune", "--threshold", "0.5", "--num-perm", "128"], capsys)
    assert status == 0
    assert out.startswith("threshold 0.5, 128 permutations: 25 bands of 5 rows")
    assert "<- threshold" in out and out.count("\n") == 14
    status, out, _ = run(["tune", "--threshold", "0.5", "--num-perm", "1"], capsys)  # (not "1 bands of 1 rows")
    assert out.startswith("threshold 0.5, 1 permutation: 1 band of 1 row (1 permutation used)\n")


def test_tune_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["tune", "--threshold", "0.3", "--format", "json"], capsys)
    record = json.loads(out)
    assert status == 0 and record["num_perm"] == 128
    assert [round(p["similarity"], 1) for p in record["curve"]] == [k / 10 for k in range(11)]


def test_tune_bad_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["tune", "--threshold", "0"], capsys)
    assert status == 2
    one_line_error(err, "threshold must be strictly between 0 and 1")


# --------------------------------------------------------------------------------------------------
# progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["scan", str(SEEDS)]) == 0
    drawn = terminal.getvalue()
    assert "\rdocuments " in drawn and "alignments" in drawn and "candidates" in drawn
    # The bar is erased before the summary, which starts at the beginning of a clean line.
    assert drawn.rsplit("\r", 1)[1].startswith("5 documents read")
    capsys.readouterr()


def test_progress_bar_quiet(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["scan", str(SEEDS), "--quiet"]) == 0
    assert terminal.getvalue() == ""
    capsys.readouterr()


def test_progress_bar_throttles_redraws() -> None:
    now = [0.0]
    out = FakeTerminal()
    bar = ProgressBar(out, clock=lambda: now[0], width=80)
    assert bar.enabled
    bar("documents", 1, None)  # a new stage: drawn
    for k in range(2, 1002):
        now[0] += 0.001  # 1000 updates in one second
        bar("documents", k, None)
    redraws = out.getvalue().count("\r")
    assert 10 <= redraws <= 12
    bar("alignments", 0, 5)  # a new stage always draws
    now[0] += 0.001
    bar("alignments", 5, 5)  # so does a finished one
    assert out.getvalue().count("\r") == redraws + 2
    assert out.getvalue().rstrip(" ").endswith("\rdocuments 1001 | alignments 5")


def test_progress_bar_silent_when_piped() -> None:
    out = io.StringIO()
    bar = ProgressBar(out)
    bar("documents", 1, None)
    bar.close()
    assert out.getvalue() == ""


def test_progress_bar_fits_the_width() -> None:
    out = FakeTerminal()
    bar = ProgressBar(out, width=20)
    bar("documents", 123456789, None)
    bar("alignments", 1, 3)
    assert all(len(part) <= 19 for part in out.getvalue().split("\r"))


# --------------------------------------------------------------------------------------------------
# the parser itself


def test_every_command_has_help() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    assert set(commands.choices) >= {"scan", "evaluate", "tune"}  # type: ignore[arg-type]
    for sub in commands.choices.values():  # type: ignore[union-attr]
        assert sub.description


def test_max_candidates_counts_what_it_leaves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    status, _, err = run(["scan", str(SEEDS), "--max-candidates", "1", "--format", "jsonl", "-o", str(out)], capsys)
    assert status == 0
    summary = json.loads(out.read_text("utf-8").splitlines()[-1])
    assert summary["type"] == "summary" and summary["config"]["max_candidates"] == 1
    # The five seed articles share wording pairwise: every one of the 10 pairs is a candidate, and
    # one a document leaves at least 10 - 5 unaligned.
    assert summary["candidates"] == 10 and 5 <= summary["unaligned"] < 10
    status, _, err = run(["scan", str(SEEDS), "--max-candidates", "1"], capsys)
    assert status == 0
    assert f"10 candidate pairs ({summary['unaligned']} left unaligned by the per-document budget" in err


_WIRE = (
    "The defence ministry said on Monday it had no plans to withdraw its 2,500 troops from the country, "
    "despite the announcement last week of talks on ending the mission of the coalition forces there. "
) * 2


def _wire_in_outlets(path: Path, outlets: int) -> Path:
    """A JSONL corpus: the same wire paragraph in one document of each of ``outlets`` outlets, between local text."""
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    lines = []
    for k in range(outlets):
        before, after = (" ".join(rng.choice(words) for _ in range(120)) for _ in range(2))
        lines.append(json.dumps({"id": f"d{k}", "text": f"{before} {_WIRE}{after}", "source": f"outlet{k}"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _names_the_wire(common: dict[str, Any], text: str, beyond: int = 0) -> bool:
    """Whether a common text of the summary record is the wire paragraph where ``text`` has it, give
    or take its final punctuation, reaching at most ``beyond`` characters outside it."""
    at = text.index(_WIRE)
    inside = max(0, min(common["end"], at + len(_WIRE)) - max(common["start"], at))
    return inside >= len(_WIRE) - 2 and common["end"] - common["start"] <= len(_WIRE) + beyond


def test_buckets_skipped_as_too_common_are_named_in_every_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """max_bucket never drops text silently: the summary counts the buckets and names their text, and
    the table, the HTML report and the other formats' standard error say what was skipped and which
    parameter decides it."""
    corpus = _wire_in_outlets(tmp_path / "wire.jsonl", 12)
    texts = {d["id"]: d["text"] for d in map(json.loads, corpus.read_text("utf-8").splitlines())}
    status, _, err = run(["scan", str(corpus)], capsys)
    assert status == 0 and "too common" not in err and "66 pairs with 66 shared passages" in err
    out = tmp_path / "out.jsonl"
    status, _, err = run(["scan", str(corpus), "--max-bucket", "4", "--format", "jsonl", "-o", str(out)], capsys)
    summary = json.loads(out.read_text("utf-8").splitlines()[-1])
    suppressed = summary["suppressed_buckets"]
    assert status == 0 and suppressed > 0 and summary["pairs"] < 66  # the cap costs pairs here
    # What the skipped buckets held is named, most windows first: the wire paragraph, in the first
    # outlet carrying it (a cap this low also skips a few buckets of words the outlets share by chance).
    common = summary["common_text"][0]
    assert common["doc"] == "d0" and _names_the_wire(common, texts["d0"]) and common["windows"] >= 12
    assert not any(_names_the_wire(c, texts[c["doc"]]) for c in summary["common_text"][1:])
    assert sum(c["buckets"] for c in summary["common_text"]) <= suppressed
    assert common["text"] == texts["d0"][common["start"] :][:200]
    note = f"{suppressed} LSH buckets skipped as too common (each held more than max_bucket, 4, windows)"
    named = f"too common: d0 [{common['start']}:{common['end']}], {common['windows']} windows"
    assert note in err and "--max-bucket" in err and named in err
    status, _, err = run(["scan", str(corpus), "--max-bucket", "4"], capsys)
    assert status == 0 and note in err and named in err
    page = tmp_path / "out.html"
    status, _, _ = run(["scan", str(corpus), "--max-bucket", "4", "--format", "html", "-o", str(page)], capsys)
    html = page.read_text("utf-8")
    assert status == 0 and note in html and f"<bdi>d0</bdi> [{common['start']}:{common['end']}]" in html


def test_an_archive_query_names_the_buckets_it_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _wire_in_outlets(tmp_path / "wire.jsonl", 12)
    lines = corpus.read_text("utf-8").splitlines()
    archive, new = tmp_path / "archive.jsonl", tmp_path / "new.jsonl"
    archive.write_text("\n".join(lines[:11]) + "\n", encoding="utf-8")
    new.write_text(lines[11] + "\n", encoding="utf-8")
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(archive), "--max-bucket", "4", "-q"]) == 0
    out = tmp_path / "out.jsonl"
    status, _, _ = run(["index", "query", ix, str(new), "--format", "jsonl", "-o", str(out)], capsys)
    summary = json.loads(out.read_text("utf-8").splitlines()[-1])
    suppressed = summary["suppressed_buckets"]
    assert status == 0 and suppressed > 0
    # Named in the query's document (every skipped bucket holds one of the query's windows), by what
    # it shares with the archive's first outlet: the paragraph, exactly; its windows counted in full.
    common = summary["common_text"][0]
    assert common["doc"] == "d11" and _names_the_wire(common, json.loads(lines[11])["text"])
    assert common["windows"] >= 12
    status, _, err = run(["index", "query", ix, str(new)], capsys)
    assert status == 0
    assert f"{suppressed} LSH buckets skipped as too common (each held more than max_bucket, 4, windows)" in err
    assert f"too common: d11 [{common['start']}:{common['end']}]" in err


def test_tune_a_threshold_with_fewer_bands_than_the_scan_default_min_bands(capsys: pytest.CaptureFixture[str]) -> None:
    """tune has no --min-bands, yet refused a high threshold with few permutations ("--min-bands must
    be at most the 3 bands ..."): showing the bands a threshold gives is what tune is for."""
    from datasketch.lsh import _optimal_param

    status, out, err = run(["tune", "--threshold", "0.9", "--num-perm", "64", "--format", "json"], capsys)
    assert status == 0, err
    record = json.loads(out)
    assert (record["bands"], record["rows"]) == tuple(_optimal_param(0.9, 64, 0.5, 0.5)) == (3, 21)
    status, out, err = run(["tune", "--num-perm", "1"], capsys)
    assert status == 0, err
    assert out.startswith("threshold 0.2, 1 permutation: 1 band of 1 row")


def test_a_date_or_source_field_no_document_has_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--date-field Date over a CSV whose column is 'date' read every document undated, and said nothing:
    origins and scores went unordered by dates the user meant to give. An option naming a field no
    document has a value in is said, in one line (the default names, absent, are no dates given)."""
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "text", "source", "date"])
        writer.writerows([r["id"], r["text"], r["source"], "2024-01-22"] for r in seed_rows())
    note = "dedup: --date-field 'Date': no document read has a value in it: every one was read without a date\n"
    status, _, err = run(["scan", str(path), "--date-field", "Date", "--format", "jsonl"], capsys)
    assert status == 0 and err == note, err
    status, _, err = run(["scan", str(path), "--source-field", "outlet", "--date-field", "Date"], capsys)
    assert status == 0 and err.endswith(
        "dedup: --source-field 'outlet': no document read has a value in it: every one was read without a source\n"
        + note
    ), err
    for given in (["--date-field", "date"], []):
        status, _, err = run(["scan", str(path), "--format", "jsonl", *given], capsys)
        assert status == 0 and err == "", err
    status, out, err = run(["index", "add", str(tmp_path / "idx"), str(path), "--date-field", "Date"], capsys)
    assert status == 0 and out.startswith("added 5 documents") and err == note, (out, err)
    status, _, err = run(
        ["index", "query", str(tmp_path / "idx"), str(path), "--date-field", "Date", "--format", "jsonl"], capsys
    )
    assert status == 0 and err == note, err
