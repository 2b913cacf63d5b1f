"""What is not a document, or not text, is refused where it enters, naming it; nothing crashes later."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup import Document, Index, ScanConfig
from dedup.cli import main
from dedup.errors import DedupError, InputError, ParameterError
from dedup.io import Reader
from dedup.scripts import lone_surrogate

SEEDS = str(Path(__file__).resolve().parent.parent / "seeds")
TEXT = "the ministry said it had no plans to withdraw its troops from the country this year " * 3
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@settings(max_examples=60, deadline=None)
@given(head=st.text(max_size=30), lone=SURROGATES, tail=st.text(max_size=30))
def test_lone_surrogate_finds_the_first(head: str, lone: str, tail: str) -> None:
    text = head + lone + tail  # (st.text never draws surrogates: head and tail have none)
    assert lone_surrogate(text) == len(head)
    assert lone_surrogate(head + tail) == -1


@pytest.mark.parametrize("where", ["text", "id", "source", "date"])
def test_a_lone_surrogate_is_refused_by_field(where: str) -> None:
    fields = {"id": "doc-a", "text": TEXT, "source": "outlet", "date": "2024-01-02"}
    fields[where] = fields[where][:5] + "\udc80" + fields[where][5:]
    bad = Document(fields["id"], fields["text"], fields["source"], fields["date"])
    good = Document("b", TEXT, "y")
    with pytest.raises(InputError, match=rf"{where} must hold no lone surrogate; got U\+DC80 at character 5"):
        dedup.scan([bad, good])
    result = dedup.scan([bad, good], ScanConfig(skip_bad=True))
    assert result.read == 2 and result.scanned == 1 and len(result.skipped) == 1
    assert "lone surrogate" in result.skipped[0].reason


def test_a_json_escape_without_its_pair_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.jsonl"
    lines = [{"id": "a", "text": TEXT, "source": "x"}, {"id": "b", "text": TEXT + "\ud800", "source": "y"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")  # ASCII: \ud800 escaped
    assert main(["scan", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "d.jsonl:2: field 'text' must hold no lone surrogate" in err
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([path])] == ["a"] and reader.skipped[0].where.endswith("d.jsonl:2")


def test_the_stages_refuse_what_no_encoding_can_write() -> None:
    text = "abc\ud800def"
    assert dedup.normalize(text).text == text  # (normalising is defined on any str: it keeps it)
    for stage in (lambda: dedup.shingle(text), lambda: dedup.sketch([text])):
        with pytest.raises(ParameterError, match=r"text must hold no lone surrogate; got U\+D800 at character 3"):
            stage()
    with pytest.raises(ParameterError, match="text must be a str; got NoneType"):
        dedup.shingle(None)  # type: ignore[arg-type]


def test_what_is_not_a_document_is_named_by_its_place() -> None:
    good = [Document("a", TEXT, "x"), Document("b", TEXT, "y")]
    with pytest.raises(InputError, match=r"document #2 \(counting from 0\): expected a dedup.Document, got dict"):
        dedup.scan([*good, {"id": "c", "text": TEXT}])  # type: ignore[list-item]
    with pytest.raises(ParameterError, match=r"documents must be an iterable of dedup.Document, got str"):
        dedup.scan("not documents")  # type: ignore[arg-type]  # (one text is not a corpus of its letters)
    with pytest.raises(InputError, match=r"document 'c': source must be a string or None, got int"):
        dedup.scan([*good, Document("c", TEXT, 5)])  # type: ignore[arg-type]
    result = dedup.scan([*good, None, Document("d", TEXT, date=2024)], ScanConfig(skip_bad=True))  # type: ignore[list-item]
    assert result.read == 4 and result.scanned == 2
    assert [(s.where, s.reason) for s in result.skipped] == [
        ("#2", "expected a dedup.Document, got NoneType"),
        ("d", "date must be a string or None, got int"),
    ]
    assert len(result.passages) == 1


def test_one_text_or_id_is_one_not_one_a_character(tmp_path: Path) -> None:
    assert dedup.sketch("one text").shape == (1, 128)
    with Index.open(tmp_path / "ix") as index:
        index.add([Document("abc", TEXT), Document("a", TEXT + " more")])
        assert index.remove("abc") == ["abc"] and "a" in index and len(index) == 1


def test_a_closed_index_says_so(tmp_path: Path) -> None:
    index = Index.open(tmp_path / "ix")
    index.close()
    index.close()  # closing again does nothing
    for use in (lambda: len(index), lambda: index.query([]), lambda: index.add([]), index.info, index.__enter__):
        with pytest.raises(DedupError, match=r"ix: the index is closed \(open it again with Index.open\)"):
            use()


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1, "1", True, 2e6])
def test_the_index_timeout_is_checked_where_it_enters(tmp_path: Path, timeout: object) -> None:
    with pytest.raises(ParameterError, match=r"timeout must be a number of seconds from 0 to 1e6"):
        Index.open(tmp_path / "ix", timeout=timeout)  # type: ignore[arg-type]
    assert not (tmp_path / "ix").exists()


def test_a_damaged_index_is_named(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    db = sqlite3.connect(other / "catalogue.sqlite")
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(DedupError, match=r"catalogue.sqlite: not a dedup index catalogue \(no such table: meta\)"):
        Index.open(other)
    with Index.open(tmp_path / "ix") as index:
        index.add([Document("a", TEXT, "x")])
    for segment in (tmp_path / "ix" / "segments").iterdir():
        segment.unlink()
    with Index.open(tmp_path / "ix") as index, pytest.raises(DedupError, match=r"\.seg: a segment file .* is missing"):
        index.query([Document("q", TEXT, "y")])


def test_a_query_counts_the_documents_it_was_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Index.open(tmp_path / "ix") as index:
        index.add([Document("a", TEXT, "x"), Document("b", "another story entirely, " * 10, "z")])
        result = index.query([Document("q", TEXT, "y"), Document("short", "too short", "y")])
    assert len(result.passages) == 1 and "a" in result.documents  # the archive document it names
    assert result.scanned == 1 and result.read == 2
    query = tmp_path / "q.jsonl"
    query.write_text(json.dumps({"id": "q", "text": TEXT, "source": "y"}) + "\n", encoding="utf-8")
    assert main(["index", "query", str(tmp_path / "ix"), str(query), "--format", "jsonl", "-q"]) == 0
    summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()][-1]
    assert summary["type"] == "summary" and summary["documents_read"] == summary["documents_scanned"] == 1


FIELDS = {f.name: f.type for f in dataclasses.fields(ScanConfig)}


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_config_field_is_checked_for_its_type(name: str) -> None:
    """Each field refuses what no stage could use (None, a string, NaN, a bool for a number), naming itself."""
    kind = FIELDS[name]
    bad: list[object] = [None, "3", [1]]
    if kind in ("int", "float"):
        bad += [True, float("nan"), float("inf")]
    if kind == "bool":
        bad += [1, "no"]
    for value in bad:
        with pytest.raises(ParameterError, match=rf"^{name} must be"):
            ScanConfig(**{name: value})


def test_numpy_numbers_are_taken_as_python_ones() -> None:
    import numpy as np

    config = ScanConfig(ngram=np.int64(6), threshold=np.float32(0.25), same_source=np.bool_(True))
    assert (config.ngram, config.same_source) == (6, True) and type(config.ngram) is int
    assert type(config.threshold) is float and json.dumps(config.to_dict())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"join": -1}, "join must be at least 0, got -1"),
        ({"abut": -1}, "abut must be at least 0, got -1"),
        ({"seed": 1 << 32}, r"seed must be an integer in \[0, 2\*\*32\)"),
        ({"num_perm": 2048}, "num_perm must be an integer from 1 to 1024, got 2048"),
        ({"min_bands": 65}, "min_bands must be at most the 64 bands of threshold 0.2 and num_perm 128"),
        ({"threshold": 0.95}, "min_bands must be at most the 3 bands of threshold 0.95"),  # (min_bands 4)
        ({"gap": 2**63}, "gap must be at most 2,147,483,647, got 9223372036854775808"),  # (before: OverflowError)
        ({"max_candidates": 2**31}, "max_candidates must be at most 2,147,483,647"),
        # (before: taken, and the scan failed with it after reading and sketching every document; an index stored it)
        ({"max_bucket": 1}, "^max_bucket must be at least 2, got 1$"),
    ],
)
def test_values_no_scan_could_use_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        ScanConfig(**changes)  # type: ignore[arg-type]


def test_scan_and_the_index_check_what_they_are_given(tmp_path: Path) -> None:
    # Each used to fail deep inside (AttributeError, TypeError), or to do what its value said not to
    # ("no" is truthy: replace="no" replaced the stored document), or to run out of memory.
    docs = [Document("a", "word " * 40)]
    for call, message in (
        (lambda: dedup.scan(docs, {"ngram": 5}), "config must be a dedup.ScanConfig or None, got dict"),  # type: ignore[arg-type]
        (lambda: dedup.scan(None), "documents must be an iterable of dedup.Document, got NoneType"),  # type: ignore[arg-type]
        (lambda: dedup.scan(docs[0]), "documents must be an iterable of dedup.Document, got Document"),  # type: ignore[arg-type]
        (lambda: dedup.scan(docs, progress=5), "progress must be a callable or None, got int"),  # type: ignore[arg-type]
        (lambda: dedup.scan(docs, threads=10**9), "threads must be an integer from 1 to 256, got 1000000000"),
        (lambda: Index.open(tmp_path / "new", {"ngram": 5}), "config must be a dedup.ScanConfig or None"),  # type: ignore[arg-type]
        (lambda: Index.open(tmp_path / "new", create="no"), "create must be True or False, got 'no'"),  # type: ignore[arg-type]
        (lambda: dedup.Span("a", 5, 2), r"a span needs 0 <= start <= end, got start 5 and end 2"),
    ):
        with pytest.raises(ParameterError, match=message):
            call()
    assert not (tmp_path / "new").exists()
    with Index.open(tmp_path / "ix") as index:
        index.add(docs)
        for call, message in (
            (lambda: index.add([Document("a", "other " * 40)], replace="no"), "replace must be True or False"),  # type: ignore[arg-type]
            (lambda: index.add(docs, batch=True), "batch must be a positive integer, got True"),
            (lambda: index.query([Document("q", "word " * 40)], add="no"), "add must be True or False"),  # type: ignore[arg-type]
            (lambda: index.query(5), "documents must be an iterable of dedup.Document, got int"),  # type: ignore[arg-type]
            (lambda: index.remove(5), "ids must be an id or an iterable of ids, got int"),  # type: ignore[arg-type]
        ):
            with pytest.raises(ParameterError, match=message):
                call()
        assert len(index) == 1 and index.get("a") == docs[0]


def test_the_cli_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in (
        (["scan", SEEDS, "--min-bands", "100"], "dedup: error: --min-bands must be at most the 64 bands"),
        (["tune", "--num-perm", "100000000"], "dedup: error: --num-perm must be an integer from 1 to 1024"),
        (["scan", SEEDS, "--encoding", "zz"], "dedup: error: --encoding must name a text encoding"),
        # Past 31 bits an option with a rule of its own is told that rule, not the bound every count has.
        (["scan", SEEDS, "--num-perm", "9" * 20], "dedup: error: --num-perm must be an integer from 1 to 1024"),
        (["scan", SEEDS, "--min-bands", "9" * 20], "dedup: error: --min-bands must be at most the 64 bands"),
        (["scan", SEEDS, "--min-exact", "9" * 20], "dedup: error: --min-exact (99999999999999999999) must be"),
        (["scan", SEEDS, "--glob", ""], "dedup: error: --glob must be a non-empty pattern, got ''\n"),
        # One field for two roles: ids that are whole texts, or every document a source of its own.
        (
            ["scan", SEEDS, "--id-field", "text"],
            "dedup: error: --text-field names the same field as --id-field ('text'): "
            "expected one field a role (id, text, source, date)\n",
        ),
        (
            ["scan", SEEDS, "--text-field", "source"],
            "dedup: error: --source-field names the same field as --text-field",
        ),
        # An option that would do nothing is refused, as --threads with --engine spark is.
        (
            ["scan", f"{SEEDS}/000_acb56ec733aba13b.txt", "--glob", "*.txt"],
            "dedup: error: --glob picks files below a folder INPUT, and no INPUT is a folder\n",
        ),
        (
            ["scan", "news.parquet", "--encoding", "cp1256"],
            "dedup: error: --encoding names the encoding of text, JSONL, CSV and TSV input, and every INPUT is "
            "Parquet (UTF-8 by definition)\n",
        ),
        (
            ["scan", SEEDS, "--format", "csv", "--html-max-pairs", "10"],
            "dedup: error: --html-max-pairs goes with --format html, and the format written is csv\n",
        ),
        (
            ["scan", SEEDS, "--no-csv-bom"],
            "dedup: error: --csv-bom and --no-csv-bom go with --format csv, and the format written is table\n",
        ),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(message)


def test_jaccard_takes_two_signatures_only() -> None:
    import numpy as np

    for a, b in ((None, None), ("ab", "ab"), (np.zeros((2, 3), np.uint32), np.zeros((2, 3), np.uint32))):
        with pytest.raises(ParameterError, match=r"sig_a must be one signature \(a 1-D array of integers\)"):
            dedup.jaccard(a, b)  # type: ignore[arg-type]
    assert dedup.jaccard(np.arange(4, dtype=np.uint32), np.array([0, 1, 0, 0], np.uint32)) == 0.5


def test_to_arrow_names_its_own_parameter() -> None:
    pytest.importorskip("pyarrow")
    with pytest.raises(ParameterError, match="cluster_documents must be an integer of at least 2, got 0"):
        dedup.scan([]).to_arrow(cluster_documents=0)


def test_an_empty_path_or_a_broken_link_is_said(tmp_path: Path) -> None:
    with pytest.raises(dedup.errors.ReadError, match="an empty path: expected a file, a directory or -"):
        list(dedup.read_documents(""))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, "utf-8")
    (folder / "a_notes").symlink_to(tmp_path / "nowhere")  # (no format: not read; sorts before b.txt)
    assert [d.id for d in dedup.read_documents(folder)] == ["a.txt"]
    (folder / "b.txt").symlink_to(tmp_path / "gone.txt")
    with pytest.raises(dedup.errors.ReadError, match=r"b\.txt: cannot read: a symbolic link to nothing"):
        list(dedup.read_documents(folder))
    assert [d.id for d in dedup.read_documents(os.fsencode(folder / "a.txt"))] == ["a.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_special_file_in_a_folder_is_said_not_passed_over(tmp_path: Path) -> None:
    """A named pipe (or a link to /dev/zero) named like a document was left out of a folder without a word:
    neither read nor counted."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, "utf-8")
    os.mkfifo(folder / "b.txt")
    with pytest.raises(dedup.errors.ReadError, match=r"b\.txt: cannot read: not a regular file \(a named pipe"):
        list(dedup.read_documents(folder))
    reader = Reader(skip_bad=True)
    assert [d.id for d in reader.read([folder])] == ["a.txt"]
    assert [(Path(s.where).name, s.kind) for s in reader.skipped] == [("b.txt", "unreadable file")]
    os.mkfifo(folder / "c_notes")  # (no format: not read, as any such file)
    (folder / "b.txt").unlink()
    assert [d.id for d in dedup.read_documents(folder)] == ["a.txt"]


def test_a_date_that_cannot_be_read_is_said_not_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Never a guess (01/02/2024 is two dates), never silent: scanned without it, and listed."""
    docs = [
        Document("a", TEXT, "x", "01/02/2024"),
        Document("b", TEXT, "y", "2024-01-02"),
        Document("c", TEXT + " more", "z", "yesterday"),
    ]
    result = dedup.scan(docs)
    assert [(s.id, s.kind) for s in result.unread_dates] == [("a", "unread date"), ("c", "unread date")]
    assert result.scanned == 3 and not result.skipped and len(result.pairs) == 3
    with pytest.raises(
        InputError, match=r"document 'a': date '01/02/2024' cannot be read: expected an ISO 8601 day or time"
    ) as info:
        dedup.scan(docs, ScanConfig(strict=True))
    assert info.value.kind == "unread date" and info.value.document == "a"
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"id": d.id, "text": d.text, "date": d.date}) + "\n" for d in docs), "utf-8")
    assert main(["scan", str(path), "--format", "jsonl", "-o", str(tmp_path / "out.jsonl")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("dedup: 2 documents scanned without a date that could not be read, the first ")
    assert err.count("\n") == 1 and "d.jsonl:1: date '01/02/2024' cannot be read" in err
    summary = json.loads((tmp_path / "out.jsonl").read_text("utf-8").splitlines()[-1])
    assert [(u["where"].rsplit(":", 1)[1], u["id"]) for u in summary["unread_dates"]] == [("1", "a"), ("3", "c")]
    assert main(["scan", str(path), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "d.jsonl:1: date '01/02/2024' cannot be read" in err
    assert err.rstrip().endswith("(scanned without it and counted without --strict)")


def test_one_rule_is_worded_one_way_wherever_it_is_checked() -> None:
    # (before: num_perm=0 was "a positive integer" in ScanConfig and "from 1 to 1024" in minhash;
    # the profile "one of ('arabic', 'basic'); got" in normalize and "one of arabic, basic, got" elsewhere)
    from dedup.minhash import signature
    from dedup.normalize import normalize

    for calls, message in (
        (
            (lambda: ScanConfig(num_perm=0), lambda: signature([1], num_perm=0)),
            "num_perm must be an integer from 1 to 1024, got 0",
        ),
        (
            (lambda: ScanConfig(profile="x"), lambda: normalize("a", profile="x")),
            "profile must be one of arabic, basic, got 'x'",
        ),  # type: ignore[arg-type]
    ):
        for call in calls:
            with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
                call()


def test_reading_what_is_no_path_is_said(tmp_path: Path) -> None:
    """read_documents(None), or a list holding None (a path taken from a missing setting), was Python's
    TypeError ("'NoneType' object is not iterable"), naming neither the argument nor what it takes."""
    from dedup.io import read_documents

    (tmp_path / "a.txt").write_text("some text", "utf-8")
    for inputs, got in ((None, "NoneType"), (123, "int"), ([str(tmp_path), None], "NoneType"), ([5], "int")):
        with pytest.raises(ParameterError, match=rf"^inputs must be paths \(str, bytes or os\.PathLike\) .*got {got}$"):
            list(read_documents(inputs))  # type: ignore[arg-type]
    assert [d.id for d in read_documents((tmp_path,))] == ["a.txt"]  # (any iterable of paths)
