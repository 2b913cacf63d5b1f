"""The `dedup` command's everyday options and notes: what a user typing it is told, and what each option takes."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from dedup import Document, Pair, ScanResult
from dedup.cli import main
from dedup.html import render_html
from dedup.io import Reader

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _mixed_folder(tmp_path: Path) -> Path:
    """A folder of one text file, one JSONL and one CSV file, each holding one short document."""
    folder = tmp_path / "in"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "x.txt").write_text("a text file", encoding="utf-8")
    (folder / "a" / "y.jsonl").write_text('{"id": "j", "text": "a jsonl record"}\n', encoding="utf-8")
    (folder / "z.csv").write_text("id,text\nc,a csv record\n", encoding="utf-8")
    return folder


def test_glob_given_again_takes_a_file_matching_any(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before, the last --glob won without a word: `--glob '*.txt' --glob '*.csv'` read the CSV file alone."""
    folder = _mixed_folder(tmp_path)
    assert sorted(d.id for d in Reader(glob=["*.txt", "**/*.csv"]).read([folder])) == ["a/x.txt", "c"]
    globs = ["--glob", "*.txt", "--glob", "*.csv"]
    status, out, _ = run(["scan", str(folder), *globs, "--format", "jsonl", "-q"], capsys)
    read = json.loads(out.splitlines()[-1])
    assert status == 0 and sorted(s["id"] for s in read["skipped"]) == ["a/x.txt", "c"]  # (too short, each)
    index = str(tmp_path / "index")
    status, out, _ = run(["index", "add", index, str(folder), *globs, "-q"], capsys)
    assert status == 0 and out.startswith("added 0 documents; 0 already in the index, 2 skipped, 2 too short;")
    status, out, _ = run(["index", "query", index, str(folder), *globs, "--format", "jsonl", "-q"], capsys)
    assert status == 0 and json.loads(out.splitlines()[-1])["documents_read"] == 2
    status, _, err = run(["scan", str(folder), "--glob", "*.md", "--glob", "*.html"], capsys)
    assert (status, err) == (2, f"dedup: error: {folder}: no files matching '*.md' or '*.html' below this directory\n")
    for patterns, message in ((["*.txt", ""], "got ''"), ([], "or a list of them, got []")):
        with pytest.raises(ValueError, match=f"glob must be a non-empty pattern.*{re.escape(message)}"):
            Reader(glob=patterns)


def test_a_source_level_past_every_text_file_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As a --source-field that no record holds: a level deeper than every text file's folders names no source."""
    folder = _mixed_folder(tmp_path)  # (a/x.txt, one folder deep)
    status, _, err = run(["scan", str(folder), "--source-level", "5", "--format", "jsonl"], capsys)
    assert status == 0 and err.splitlines()[-1] == (
        "dedup: --source-level 5: no text file read lies 5 folders deep below a folder INPUT (the deepest 1): "
        "every one was read without a source"
    )
    status, _, err = run(["scan", str(folder / "a"), "--source-level", "1", "--format", "csv"], capsys)
    assert status == 0 and err.splitlines()[-1] == (
        "dedup: --source-level 1: no text file read lies 1 folder deep below a folder INPUT (each lies in the "
        "folder itself): every one was read without a source"
    )
    status, _, err = run(
        ["index", "add", str(tmp_path / "ix"), str(folder), "--glob", "*.csv", "--source-level", "1"], capsys
    )
    assert status == 0 and err.splitlines()[-1] == (
        "dedup: --source-level 1: no text file was read below a folder INPUT: it named no source"
    )
    status, _, err = run(["scan", str(folder), "--source-level", "1"], capsys)  # (a/x.txt is from "a")
    assert status == 0 and "--source-level" not in err


def test_the_skip_note_names_the_list_the_format_written_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The HTML page and the Parquet file list the skipped documents themselves: the note sent to --format jsonl."""
    folder = _mixed_folder(tmp_path)
    status, out, err = run(["scan", str(folder), "--format", "html"], capsys)
    assert status == 0 and err == "dedup: 3 of 3 documents skipped: 3 too short (the page lists each)\n"
    assert "<summary>Skipped documents</summary>" in out and out.count("too short (") == 3
    report = tmp_path / "report.parquet"
    status, _, err = run(["scan", str(folder), "-o", str(report)], capsys)
    note = "dedup: 3 of 3 documents skipped: 3 too short (the file's dedup.summary metadata lists each)\n"
    assert status == 0 and err == note
    pq = pytest.importorskip("pyarrow.parquet")
    summary = json.loads(pq.ParquetFile(report).schema_arrow.metadata[b"dedup.summary"])
    assert len(summary["skipped"]) == 3


@pytest.mark.parametrize(
    ("most", "said"),
    [
        (0, "Side-by-side views are not included in this report."),
        (1, "A side-by-side view is shown for the first pair only."),
        (2, "Side-by-side views are shown for the first 2 pairs only."),
    ],
)
def test_the_html_page_says_how_many_pair_views_it_holds(most: int, said: str) -> None:
    """Before: "shown for the first 0 pairs only" (and "1 pairs") for a page of the overview alone."""
    docs = {k: Document(k, "shared words and more", f"s{k}") for k in "wxyz"}
    pairs = [Pair(a, b, 0.3, 1.0, 0.3, 1.0, 0.3, 0.3, 1, 12, 1.0) for a, b in ("wx", "wy", "wz")]
    page = render_html(ScanResult([], pairs, docs, [], 4, 0), max_pairs=most)
    assert f'<p class="muted">{said}</p>' in page and page.count('<section class="pair"') == most


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no /proc/version on this system")
def test_an_output_in_a_folder_that_takes_no_new_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/proc/version is there, and the report is written to a new file beside it first: not "No such file"."""
    status, out, err = run(["scan", str(_mixed_folder(tmp_path)), "-o", "/proc/version"], capsys)
    assert (status, out) == (2, "") and err == (
        "dedup: error: /proc/version: cannot write: no new file can be made in its folder /proc (the system makes "
        "none there): the report is written to one first, then renamed to its name\n"
    )


def test_an_input_file_holding_no_record_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plain empty .jsonl, a gzip stream of nothing and a 0-byte .jsonl.gz each read as no documents, said alike."""
    files = {
        "plain.jsonl": b"",
        "stream.jsonl.gz": gzip.compress(b""),  # (a valid gzip stream of nothing: `printf '' | gzip`)
        "bare.jsonl.gz": b"",  # (0 bytes: a failed `... | gzip > bare.jsonl.gz`)
        "header.csv": b"id,text\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        for fmt in ("table", "jsonl"):
            status, _, err = run(["scan", str(tmp_path / name), "--format", fmt], capsys)
            assert status == 0 and err.splitlines()[-1] == (
                f"dedup: {tmp_path / name}: no document read from it: it holds no record"
            )
    index = str(tmp_path / "index")  # (the daily recipe's first add, of an empty file, says it too)
    status, out, err = run(["index", "add", index, str(tmp_path / "stream.jsonl.gz")], capsys)
    assert status == 0 and out.startswith("added 0 documents") and "no document read from it" in err
    folder = _mixed_folder(tmp_path)
    for name, data in (("b.jsonl", b"\n"), ("c.jsonl.gz", b""), ("d.tsv", b"id\ttext\n")):
        (folder / name).write_bytes(data)
    status, out, err = run(["scan", str(folder), "--format", "jsonl"], capsys)
    assert status == 0 and json.loads(out.splitlines()[-1])["documents_read"] == 3
    assert err.splitlines()[-1] == (
        f"dedup: 3 input files hold no record, no document read from them: {folder / 'b.jsonl'}, "
        f"{folder / 'c.jsonl.gz'}, {folder / 'd.tsv'}"
    )
    status, _, err = run(["scan", str(folder), "-q"], capsys)
    assert (status, err) == (0, "")


@pytest.mark.parametrize(
    ("name", "data", "said", "hinted"),
    [
        (
            "sheet.csv",
            b"ID,Text\n1,some text\n",
            "sheet.csv:1: no column 'id' and 'text' in the header ('ID', 'Text'): 'ID' and 'Text' differ from 'id' "
            "and 'text' only in case: set the id field to 'ID' and the text field to 'Text'",
            ["--id-field", "ID", "--text-field", "Text"],
        ),
        (
            "sheet.tsv",
            b"id\tBody\tText\n1\tx\tsome text\n",
            "sheet.tsv:1: no column 'text' in the header ('id', 'Body', 'Text'): 'Text' differs from 'text' only "
            "in case: set the text field to 'Text'",
            ["--text-field", "Text"],
        ),
        (
            "records.jsonl",
            b'{"ID": "1", "text": "some text"}\n',
            "records.jsonl:1: field 'id' is missing: expected a string (the record has 'ID', 'text'): 'ID' differs "
            "from 'id' only in case: set the id field to 'ID'",
            ["--id-field", "ID"],
        ),
        (  # (two columns alike: which one is meant is not guessed)
            "two.csv",
            b"Id,ID,text\n1,2,some text\n",
            "two.csv:1: no column 'id' in the header ('Id', 'ID', 'text'): expected a header line naming the id and "
            "text columns",
            None,
        ),
    ],
)
def test_a_column_named_in_another_case_is_hinted_at(
    name: str, data: bytes, said: str, hinted: list[str] | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spreadsheet's `ID,Text` header: the message names the column to give (`--id-field ID`), not only the lack."""
    (tmp_path / name).write_bytes(data)
    status, out, err = run(["scan", str(tmp_path / name)], capsys)
    assert (status, out) == (2, "") and err.startswith(f"dedup: error: {tmp_path / said} (--skip-bad skips ")
    if hinted is not None:  # (what the hint says to set reads the file)
        status, out, _ = run(["scan", str(tmp_path / name), *hinted, "--format", "jsonl", "-q"], capsys)
        assert status == 0 and json.loads(out.splitlines()[-1])["documents_read"] == 1


def test_a_parquet_column_named_in_another_case_is_hinted_at(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"ID": ["1"], "text": ["some text"]}), tmp_path / "d.parquet")
    with pytest.raises(ValueError, match=r"\(columns: 'ID', 'text'\): 'ID' differs from 'id' only in case: set the id"):
        list(Reader().read([tmp_path / "d.parquet"]))
    assert [d.id for d in Reader(id_field="ID").read([tmp_path / "d.parquet"])] == ["1"]
