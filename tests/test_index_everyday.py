"""A newsroom's everyday use of the archive index from the command line: what it prints and refuses."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from test_index import DOCS

import dedup
from dedup import Document, Index
from dedup.cli import main
from dedup.errors import InputError


def _jsonl(path: Path, docs: list[Document]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d.id, "text": d.text, "source": d.source}, ensure_ascii=False) + "\n")
    return path


def test_query_add_of_an_edited_story_names_the_command_that_replaces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`index query --add` has no --replace: its line names the command that has one."""
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "a.jsonl", DOCS[:27])), "-q"]) == 0
    edited = _jsonl(tmp_path / "e.jsonl", [replace(DOCS[1], text=DOCS[1].text + " A correction was appended.")])
    capsys.readouterr()
    assert main(["index", "query", ix, str(edited), "--add", "-o", str(tmp_path / "q.txt")]) == 0
    line = capsys.readouterr().err.splitlines()[-1]
    assert line == (
        "added 0 documents; 1 already in the index (1 edited, kept as stored: "
        f"`dedup index add {ix} INPUT... --replace` replaces them), 0 skipped; the index holds 27"
    )


@pytest.mark.parametrize(
    "action", [["query", "IN"], ["query", "IN", "--add"], ["add", "IN"], ["info"], ["remove", "x"], ["compact"]]
)
def test_an_index_path_that_is_a_file_is_said_to_be_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: list[str]
) -> None:
    """Not "no index here: `dedup index add FILE INPUT...` makes one": that add fails too."""
    path = tmp_path / "archive"
    path.write_text("a file\n", encoding="utf-8")
    docs = str(_jsonl(tmp_path / "docs.jsonl", DOCS[:3]))
    argv = ["index", action[0], str(path), *[docs if a == "IN" else a for a in action[1:]]]
    if action[0] == "query":
        argv += ["-o", str(tmp_path / "out.txt")]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"dedup: error: {path}: exists and is not a directory (an index is a directory)\n"
    assert path.read_text(encoding="utf-8") == "a file\n"


def _damaged(tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, docs: int = 27) -> Path:
    """An index of the first ``docs`` documents, then one SQL ``change`` to its catalogue (output cleared)."""
    ix = tmp_path / "ix"
    assert main(["index", "add", str(ix), str(_jsonl(tmp_path / "a.jsonl", DOCS[:docs])), "-q"]) == 0
    with sqlite3.connect(ix / "catalogue.sqlite") as db:
        db.execute(change)
    db.close()
    capsys.readouterr()
    return ix


@pytest.mark.parametrize("value", ["abc", "", " 5", "\u0665"])
def test_a_format_version_that_is_no_number_is_a_damaged_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """Not "index format version abc: rebuild it" (an older index's message): the field is damaged."""
    ix = _damaged(tmp_path, capsys, f"UPDATE meta SET value = '{value}' WHERE key = 'format'", docs=3)
    assert main(["index", "info", str(ix)]) == 2
    assert capsys.readouterr().err == (
        f"dedup: error: {ix / 'catalogue.sqlite'}: meta.format is damaged: expected a whole number, got {value!r} "
        "(the index is damaged: rebuild it, or restore a copy)\n"
    )


@pytest.mark.parametrize("value", ["'abc'", "-7", "1.5", "99999999999", "x'01'"])
def test_a_damaged_window_count_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """A stored window count that is no count: a damaged field, never a traceback or another answer."""
    ix = _damaged(tmp_path, capsys, f"UPDATE documents SET windows = {value}")
    query = str(_jsonl(tmp_path / "q.jsonl", DOCS[27:]))
    assert main(["index", "query", str(ix), query, "-q", "-o", str(tmp_path / "out.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dedup: error: {ix / 'catalogue.sqlite'}: document 'd") and err.count("\n") == 1
    assert "documents.windows is damaged: expected a window count, got " in err


@pytest.mark.parametrize(
    ("change", "field", "commands"),
    [
        ("UPDATE documents SET source = x'4142'", "documents.source", ["query"]),
        ("UPDATE documents SET date = x'4142'", "documents.date", ["query"]),
        ("UPDATE documents SET source = 'nowhere'", "documents.source", ["query"]),
        ("UPDATE documents SET source = NULL", "documents.source", ["query"]),
        ("UPDATE sources SET id = 'x' || id", "sources.id", ["query", "add"]),
        ("UPDATE segments SET entries = 'x'", "segments.entries", ["add", "compact"]),
        ("UPDATE documents SET length = 'x' WHERE id = 'd003'", "documents.length", ["info"]),
        ("UPDATE documents SET length = -2 WHERE id = 'd003'", "documents.length", ["info"]),
    ],
)
def test_a_damaged_field_of_a_document_or_segment_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, field: str, commands: list[str]
) -> None:
    """SQLite keeps a value of any type in any column: one that cannot be the field's is named, not a traceback."""
    ix = _damaged(tmp_path, capsys, change)
    query = str(_jsonl(tmp_path / "q.jsonl", DOCS[27:]))
    argvs = {
        "query": ["query", str(ix), query, "-q", "-o", str(tmp_path / "out.txt")],
        "add": ["add", str(ix), query, "-q"],
        "compact": ["compact", str(ix)],
        "info": ["info", str(ix)],
    }
    for command in commands:
        assert main(["index", *argvs[command]]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"dedup: error: {ix / 'catalogue.sqlite'}: ") and err.count("\n") == 1, err
        assert f"{field} is damaged" in err and err.endswith("(the index is damaged: rebuild it, or restore a copy)\n")


def test_add_replace_line_counts_each_document_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Added, replaced, already there and skipped add up to the documents read: a replaced one is not also 'added'."""
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "a.jsonl", DOCS[:27])), "-q"]) == 0
    edited = [replace(d, text=d.text + " A correction was appended.") for d in DOCS[:3]]
    again = _jsonl(tmp_path / "again.jsonl", [*edited, *DOCS[27:29]])
    capsys.readouterr()
    assert main(["index", "add", ix, str(again), "--replace", "-q"]) == 0
    assert capsys.readouterr().out == (
        "added 2 documents, replaced 3; 0 already in the index, 0 skipped; the index holds 29\n"
    )


@pytest.mark.parametrize(("version", "advice"), [(1, "rebuild the index"), (3, "upgrade dedup")])
def test_a_segment_of_a_newer_version_says_to_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: int, advice: str
) -> None:
    """As the catalogue's version does: a newer file is read by a newer dedup, not rebuilt by this one."""
    ix = tmp_path / "ix"
    assert main(["index", "add", str(ix), str(_jsonl(tmp_path / "a.jsonl", DOCS[:3])), "-q"]) == 0
    (seg,) = (ix / "segments").iterdir()
    data = bytearray(seg.read_bytes())
    data[8:12] = version.to_bytes(4, "little")
    seg.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["index", "query", str(ix), str(_jsonl(tmp_path / "q.jsonl", DOCS[3:5])), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dedup: error: {seg}: segment format version {version}, this dedup reads version 2; ")
    assert advice in err and err.count("\n") == 1


@pytest.mark.parametrize("bad", ["json", "duplicate id"])
def test_a_bad_line_after_a_commit_says_the_documents_before_it_are_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    """An add commits a batch at a time: a bad line past the first batch leaves the batches before it stored.

    The error says so (the user would otherwise take the whole run for undone), and how to finish it.
    """
    add = Index.add
    monkeypatch.setattr(Index, "add", lambda self, documents, **kw: add(self, documents, **kw, batch=4))
    path = _jsonl(tmp_path / "day.jsonl", DOCS[:10])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(9, '{"id": "cut' if bad == "json" else lines[2])  # line 10: after two whole batches
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(path), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"dedup: error: {path}:10: ")
    assert err.endswith(
        "; 8 documents of this add were stored before it (an add commits a batch at a time): the same add run "
        "again skips them and adds the rest" + (" (--skip-bad skips such documents and goes on)\n")
    )
    assert main(["index", "add", ix, str(path), "-q", "--skip-bad"]) == 0
    assert capsys.readouterr().out.startswith("added 2 documents; 8 already in the index, 1 skipped")


def test_a_bad_line_before_any_commit_names_no_stored_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "first.jsonl", DOCS[:2])), "-q"]) == 0
    path = _jsonl(tmp_path / "day.jsonl", DOCS[2:5])
    path.write_text(path.read_text(encoding="utf-8") + '{"id": "cut\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["index", "add", ix, str(path), "-q"]) == 2
    assert capsys.readouterr().err == (
        f"dedup: error: {path}:4: not valid JSON (Unterminated string starting at column 8): expected one "
        "object a line (--skip-bad skips such documents and goes on)\n"
    )


def test_ids_not_in_the_index_are_listed_with_their_control_characters_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ids from a file of CRLF lines (`xargs dedup index remove INDEX < ids.txt`) end in a carriage return.

    Printed as they are, the return sends the terminal back to the line's start and the next id
    overwrites the first: the user cannot see why they were not removed.
    """
    ix = str(tmp_path / "ix")
    assert main(["index", "add", ix, str(_jsonl(tmp_path / "a.jsonl", DOCS[:3])), "-q"]) == 0
    capsys.readouterr()
    assert main(["index", "remove", ix, f"{DOCS[0].id}\r", f"{DOCS[1].id}\r"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "removed 0 documents; the index holds 3",
        f"not in the index: {DOCS[0].id}\\x0d, {DOCS[1].id}\\x0d",
    ]


def test_a_too_short_document_leaves_its_id_to_the_next_in_an_add_and_a_query_as_in_a_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A caption under a story's id, then the story, then the story again: the caption is skipped and
    leaves the id to the story, and the second printing is the duplicate, in a scan, an add and a query
    alike. Until late on 6 December 2026 the archive's reader claimed the id for the caption, and refused the
    story as its duplicate; the archive reads ahead of what it stores, so the library now says which
    document of an id it refused (``InputError.occurrence``) and the error names its line."""
    story, again = replace(DOCS[0], id="x"), replace(DOCS[1], id="x")
    path = _jsonl(tmp_path / "day.jsonl", [Document("x", "A caption."), story, DOCS[2], again])
    duplicate = f"{path}:4: duplicate id 'x' (taken by the document at {path}:2); ids must be unique"
    ix = str(tmp_path / "ix")
    for command in (["scan", str(path)], ["index", "add", ix, str(path)], ["index", "query", ix, str(path)]):
        capsys.readouterr()
        assert main([*command, "-q"]) == 2
        assert capsys.readouterr().err == f"dedup: error: {duplicate} (--skip-bad skips such documents and goes on)\n"
        if command[0] == "index" and command[1] == "add":
            assert main(["index", "add", ix, str(_jsonl(tmp_path / "seed.jsonl", DOCS[5:7])), "-q"]) == 0
    too_short = f"{path}:1: too short (9 normalised characters)"
    for rerun in ("added 2 documents; 0 already in the index", "added 0 documents; 2 already in the index"):
        capsys.readouterr()
        assert main(["index", "add", ix, str(path), "--skip-bad"]) == 0
        out, err = capsys.readouterr()
        assert out == f"{rerun}, 2 skipped, 1 too short, 1 duplicate id; the index holds 4\n"
        assert err.splitlines() == [f"skipped {too_short}: a document needs at least min_exact (40) letters",
                                    f"skipped {duplicate}"]  # fmt: skip
    with Index.open(ix) as index:  # the story under the id, not the caption nor the second printing
        best = index.query([replace(story, id="probe", source="elsewhere")]).pairs[0]
        assert ({best.a, best.b}, best.containment_a) == ({"probe", "x"}, 1.0)
    for command in (["scan", str(path)], ["index", "query", ix, str(path)]):
        assert main([*command, "--skip-bad", "-q", "--format", "jsonl", "-o", str(tmp_path / "r.jsonl")]) == 0
        summary = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()[-1])
        assert [(s["where"], s["kind"]) for s in summary["skipped"]] == [
            (f"{path}:1", "too short"),
            (f"{path}:4", "duplicate id"),
        ]


def test_the_library_says_which_document_of_an_id_it_refused() -> None:
    """``InputError.occurrence``: the scan and the archive count the documents given under the id."""
    caption, story = Document("x", "A caption."), replace(DOCS[0], id="x")
    with pytest.raises(InputError) as scanned:
        dedup.scan([caption, DOCS[1], caption, story, story])
    assert (scanned.value.kind, scanned.value.occurrence) == ("duplicate id", 4)
    with pytest.raises(InputError) as strict:
        dedup.scan([story, DOCS[1], caption], dedup.ScanConfig(strict=True))
    assert (strict.value.kind, strict.value.occurrence) == ("duplicate id", 2)
