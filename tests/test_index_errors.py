"""The archive index's failures are one-line errors naming what failed, and leave the index as it was."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from test_index import DOCS, expected, same_answer

from dedup import Document, Index, ScanConfig
from dedup.cli import main
from dedup.errors import DedupError, InputError, ParameterError

LONE = "a\ud800"  # an id that is not valid text: it cannot be encoded, so it cannot be stored


def test_an_id_with_a_lone_surrogate_is_skipped_by_an_add_as_by_a_scan(tmp_path: Path) -> None:
    bad = Document(LONE, DOCS[0].text, source="s0")
    with Index.open(tmp_path / "ix", ScanConfig(skip_bad=True)) as index:
        result = index.add([DOCS[1], bad, DOCS[2]])
        assert result.added == 2 and [(s.kind, s.id) for s in result.skipped] == [("invalid record", None)]
        assert "lone surrogate" in result.skipped[0].reason
        assert len(index) == 2
        assert [s.kind for s in index.query([bad]).skipped] == ["invalid record"]
    with Index.open(tmp_path / "ix") as index:
        with pytest.raises(InputError, match="lone surrogate"):
            index.add([DOCS[3], bad])
        assert len(index) == 2


def test_looking_up_an_id_with_a_lone_surrogate_is_a_parameter_error(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:2])
        assert LONE not in index
        with pytest.raises(ParameterError, match=r"document id 'a\\ud800' holds a lone surrogate"):
            index.get(LONE)
        with pytest.raises(ParameterError, match="lone surrogate"):
            index.remove([DOCS[0].id, LONE])
        assert len(index) == 2  # nothing removed


def _unnamed_segments(path: Path) -> list[str]:
    """Segment files of the index at ``path`` that its catalogue does not name."""
    db = sqlite3.connect(path / "catalogue.sqlite")
    named = {f for (f,) in db.execute("SELECT file FROM segments")}
    db.close()
    return sorted(p.name for p in (path / "segments").iterdir() if p.name not in named)


def _full(*args: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_writing_a_segment_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ix"
    with Index.open(path) as index:
        index.add(DOCS[:3], batch=1)
        with monkeypatch.context() as full:
            full.setattr("dedup.index.segments.write_at", _full)
            with pytest.raises(DedupError, match=r"segments/.*\.seg: cannot write the segment file: No space left"):
                index.add(DOCS[3:6])
            assert _unnamed_segments(path) == [] and len(index) == 3
            with pytest.raises(DedupError, match="No space left"):
                index.compact()  # (a merge)
            assert _unnamed_segments(path) == [] and index.info()["segments"] == 3
        assert index.add(DOCS[3:6]).added == 3


def test_a_full_catalogue_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    with Index.open(path) as index:
        index.add(DOCS[:1])
        db = index._store.db
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's "database or disk is full"
        with pytest.raises(DedupError, match=r"ix/catalogue.sqlite: cannot write the index catalogue: .*full"):
            index.add(DOCS[1:4])
        assert _unnamed_segments(path) == [] and len(index) == 1


def test_writing_the_writer_s_pid_never_stops_a_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pwrite = os.pwrite

    def no_room_for_the_pid(fd: int, data: bytes, at: int) -> int:
        if bytes(data).startswith(b"process "):
            _full()
        return pwrite(fd, data, at)

    monkeypatch.setattr(os, "pwrite", no_room_for_the_pid)
    with Index.open(tmp_path / "ix") as index:
        assert index.add(DOCS[:2]).added == 2


def test_a_lock_file_that_cannot_be_made_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Index.open(tmp_path / "ix") as index:
        opener = os.open

        def no_lock(name: str, *args: int) -> int:
            if str(name).endswith("/lock"):
                _full()
            return opener(name, *args)

        monkeypatch.setattr(os, "open", no_lock)
        with pytest.raises(DedupError, match=r"ix/lock: cannot open the index's lock file: No space left"):
            index.add(DOCS[:2])


def test_a_failed_first_add_leaves_no_index_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ix = tmp_path / "ix"
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in DOCS[:3]), encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert main(["index", "add", str(ix), str(tmp_path / "missing.jsonl"), "--ngram", "6", "-q"]) == 2
    assert main(["index", "add", str(ix), str(bad), "--ngram", "6", "-q"]) == 2
    assert not ix.exists()
    ix.mkdir()  # a folder made by the user stays, empty
    assert main(["index", "add", str(ix), str(bad), "--ngram", "6", "-q"]) == 2
    assert list(ix.iterdir()) == []
    capsys.readouterr()
    assert main(["index", "add", str(ix), str(good), "-q"]) == 0  # not "the configuration differs"
    assert "added 3 documents" in capsys.readouterr().out
    with Index.open(ix) as index:
        assert index.config.ngram == 5


def test_an_index_is_removed_only_when_nothing_was_committed_to_it(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), Index.open(tmp_path / "kept") as index:
        index.add(DOCS[:1])
        raise KeyboardInterrupt
    with Index.open(tmp_path / "kept") as index:
        assert len(index) == 1
    # Another process opened the new index meanwhile: its write is an error, not lost in deleted files.
    other = Index.open(tmp_path / "ix")
    with pytest.raises(KeyboardInterrupt), Index.open(tmp_path / "ix"):
        raise KeyboardInterrupt
    assert (tmp_path / "ix").exists()  # (the first Index.open made it: the second one's block kept it)
    with pytest.raises(KeyboardInterrupt), Index.open(tmp_path / "new"):
        second = Index.open(tmp_path / "new")
        raise KeyboardInterrupt
    assert not (tmp_path / "new").exists()
    with second, pytest.raises(DedupError, match="the index was removed since it was opened here"):
        second.add(DOCS[:1])
    other.close()


def _damage(path: Path, statement: str) -> None:
    db = sqlite3.connect(path / "catalogue.sqlite")
    db.execute(statement)
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("DELETE FROM meta WHERE key = 'config'", "meta.config is missing"),
        ("DELETE FROM meta WHERE key = 'engine'", "meta.engine is missing"),
        ("DELETE FROM meta WHERE key = 'format'", "meta.format is missing"),
        ("DELETE FROM meta WHERE key = 'next_num'", "meta.next_num is missing"),
        ("UPDATE meta SET value = 'abc' WHERE key = 'generation'", "meta.generation is damaged: .*got 'abc'"),
        (
            "UPDATE meta SET value = '12345678901234567890123' WHERE key = 'generation'",
            "meta.generation is damaged: .*got '12345678901234567890123'",
        ),
        (  # (past the 4,300 digits Python converts to an int)
            "UPDATE meta SET value = printf('%.5000c', '1') WHERE key = 'generation'",
            r"meta.generation is damaged: expected a whole number, got '1{20}'\.\.\. \(5000 characters\)",
        ),
        (
            "UPDATE meta SET value = '{' WHERE key = 'config'",
            r"meta.config is damaged: expected a JSON object .*got not JSON",
        ),
        (
            "UPDATE meta SET value = '[]' WHERE key = 'config'",
            r"meta.config is damaged: expected a JSON object of parameters, got \[\]",
        ),
        (
            """UPDATE meta SET value = '{"num_perm": 128, "colour": 1}' WHERE key = 'config'""",
            "meta.config, the stored configuration, cannot be read by this dedup",
        ),
        ("UPDATE statistics SET value = x'00'", "statistics.boilerplate is damaged"),
        ("DELETE FROM statistics", "statistics.boilerplate is missing"),
        ("DROP TABLE documents", "table documents is missing"),
        ("DROP TABLE sources", "table sources is missing"),
        ("DROP TABLE segments", "table segments is missing"),
        ("DROP TABLE removed", "table removed is missing"),
        ("DROP TABLE statistics", "table statistics is missing"),
        ("ALTER TABLE documents DROP COLUMN windows", "table documents has no column windows"),
        ("INSERT INTO removed VALUES (-1)", r"removed.num is damaged: expected a document number, got -1"),
        ("UPDATE sources SET name = NULL", r"sources.name is damaged: expected a source's name, got None"),
        (
            "UPDATE sources SET id = 'x' WHERE rowid = (SELECT min(rowid) FROM sources)",
            r"sources.id is damaged: expected a source's number, got 'x' for ",
        ),
        ("UPDATE segments SET file = NULL", r"segments.file is damaged: expected a file name, got None"),
        (
            "UPDATE segments SET file = '../../x.seg'",
            r"segments.file is damaged: expected a file name, got '../../x.seg'",
        ),
        ("UPDATE documents SET text = x'00ff00ff' WHERE id = 'd001'", "document 'd001': stored text is damaged"),
        (
            "UPDATE documents SET signature = x'00ff00ff' WHERE id = 'd001'",
            r"document 'd001': stored signature is damaged \(4 bytes, expected 512 bytes\)",
        ),
    ],
)
def test_a_damaged_catalogue_field_is_a_one_line_error_naming_it(tmp_path: Path, statement: str, message: str) -> None:
    path = tmp_path / "ix"
    with Index.open(path) as index:
        index.add(DOCS[:12])
    _damage(path, statement)
    want = f"ix/catalogue.sqlite: {message}"
    # On opening, or on the first use of the field.
    with pytest.raises(DedupError, match=want), Index.open(path) as index:
        index.query(DOCS[12:24])  # (d001 carries a wire passage that d012+ share)
        index.get("d001")
        index.add(DOCS[24:26])


def test_an_index_this_process_cannot_write_is_opened_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot on a read-only mount: queried as it is (SQLite would need to create the log's
    shared-memory file there), the catalogue opened immutable, as nothing can change it."""
    import dedup.index.store as store_module

    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:4])
        expected = index.query(DOCS[4:6])
    assert not (tmp_path / "ix" / "catalogue.sqlite-wal").exists()  # (closed: checkpointed, log removed)
    opened: list[str] = []
    connect = sqlite3.connect

    def spy(target: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        opened.append(str(target))
        return connect(target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module.os, "access", lambda path, mode: False)
    monkeypatch.setattr(store_module, "_read_only_filesystem", lambda path: True)
    monkeypatch.setattr(store_module.sqlite3, "connect", spy)
    with Index.open(tmp_path / "ix", create=False) as index:
        assert index.query(DOCS[4:6]) == expected
    assert opened and all(target.endswith("catalogue.sqlite?immutable=1") for target in opened)


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/unshare").exists(), reason="needs a private mount")
def test_an_index_on_a_read_only_mount_answers_queries_and_refuses_writes(tmp_path: Path) -> None:
    import subprocess
    import sys

    assert main(["index", "add", str(tmp_path / "ix"), "-q", *map(str, _write_docs(tmp_path))]) == 0
    (tmp_path / "mnt").mkdir()
    mnt, dedup = tmp_path / "mnt", f"{sys.executable} -m dedup index"
    script = f"""
set -e
mount --bind {tmp_path / "ix"} {mnt}
mount -o remount,bind,ro {mnt}
{dedup} query {mnt} {tmp_path / "docs" / "d4.txt"} --format jsonl -q > {tmp_path / "q.jsonl"}
! {dedup} add {mnt} {tmp_path / "docs" / "d5.txt"} 2> {tmp_path / "err"}
"""
    run = subprocess.run(["/usr/bin/unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    if run.returncode != 0 and "unshare" in run.stderr and "Operation not permitted" in run.stderr:
        pytest.skip("no private mounts here")
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "q.jsonl").read_text("utf-8").splitlines()[-1])
    assert summary["documents_scanned"] == 1
    err = (tmp_path / "err").read_text("utf-8")
    assert err.count("\n") == 1 and "lock" in err and "Read-only file system" in err


def _write_docs(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "docs"
    folder.mkdir()
    paths = []
    for k, doc in enumerate(DOCS[:6]):
        paths.append(folder / f"d{k}.txt")
        paths[-1].write_text(doc.text, encoding="utf-8")
    return paths[:4]


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/unshare").exists(), reason="needs a private mount")
def test_an_index_on_a_full_disk_says_the_disk_is_full(tmp_path: Path) -> None:
    """SQLite needs room for the log's shared-memory file (-shm) even to read a catalogue, and calls
    a full disk there a "disk I/O error": the message says what is wrong."""
    import subprocess
    import sys

    docs = _write_docs(tmp_path)
    mnt, dedup = tmp_path / "mnt", f"{sys.executable} -m dedup index"
    mnt.mkdir()
    script = f"""
set -e
mount -t tmpfs -o size=4m tmpfs {mnt}
{dedup} add {mnt / "ix"} {" ".join(map(str, docs))} -q > /dev/null
dd if=/dev/zero of={mnt / "fill"} bs=64k count=1000 2> /dev/null || true
! {dedup} info {mnt / "ix"} 2> {tmp_path / "info"} > /dev/null
! {dedup} query {mnt / "ix"} {tmp_path / "docs" / "d4.txt"} -q 2> {tmp_path / "query"} > /dev/null
! {dedup} add {mnt / "ix"} {tmp_path / "docs" / "d5.txt"} -q 2> {tmp_path / "add"} > /dev/null
rm {mnt / "fill"}
{dedup} query {mnt / "ix"} {tmp_path / "docs" / "d4.txt"} --format jsonl -q > {tmp_path / "q.jsonl"}
"""
    run = subprocess.run(["/usr/bin/unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    if run.returncode != 0 and "unshare" in run.stderr and "Operation not permitted" in run.stderr:
        pytest.skip("no private mounts here")
    assert run.returncode == 0, run.stderr
    for name in ("info", "query", "add"):
        err = (tmp_path / name).read_text("utf-8")
        assert err.count("\n") == 1, err
        assert "ix/catalogue.sqlite: cannot open the index catalogue" in err and "No space left on device" in err, err
    summary = json.loads((tmp_path / "q.jsonl").read_text("utf-8").splitlines()[-1])
    assert summary["documents_scanned"] == 1  # (once there is room again, the index is as it was)


@pytest.mark.parametrize("name", ["catalogue.sqlite", "lock", "segments/x.seg", "report.html"])
def test_a_query_report_is_never_written_into_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """-o naming a file of the index (a slip of tab completion) would overwrite it with the report."""
    ix = tmp_path / "ix"
    docs = _write_docs(tmp_path)
    assert main(["index", "add", str(ix), "-q", *map(str, docs[:3])]) == 0
    before = sorted((p.relative_to(ix), p.read_bytes()) for p in ix.rglob("*") if p.is_file())
    capsys.readouterr()
    out = ix / name
    assert main(["index", "query", str(ix), str(docs[3]), "-q", "--format", "csv", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{out}: cannot write: it is in the index {ix}" in err, err
    assert sorted((p.relative_to(ix), p.read_bytes()) for p in ix.rglob("*") if p.is_file()) == before
    with Index.open(ix, create=False) as index:
        assert len(index) == 3


def test_an_index_copied_without_its_empty_segments_folder_is_added_to(tmp_path: Path) -> None:
    """Tools that skip empty folders (git, some copies) leave an index with nothing added yet without
    segments/; one whose segments are named is damaged, and said so in one line."""
    empty, full = tmp_path / "empty", tmp_path / "full"
    Index.open(empty).close()
    (empty / "segments").rmdir()
    with Index.open(empty) as index:
        assert index.add(DOCS[:3]).added == 3
        same_answer(index.query(DOCS[3:12]), expected(DOCS[:3], DOCS[3:12]))
    with Index.open(full) as index:
        index.add(DOCS[:3])
    for f in (full / "segments").iterdir():
        f.unlink()
    (full / "segments").rmdir()
    with Index.open(full) as index:
        for write in (lambda: index.add(DOCS[3:6]), index.compact, lambda: index.remove(DOCS[0].id)):
            with pytest.raises(DedupError, match=r"full/segments/[0-9a-f-]+\.seg: a segment file .* is missing"):
                write()
        assert len(index) == 3


def test_an_add_racing_another_first_add_keeps_the_options_that_add_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two first adds at once: the one that comes second adds to the index the other made, and is
    told the configuration differs only when it gave an option that differs (never one it did not give)."""
    ix = tmp_path / "ix"
    docs = _write_docs(tmp_path)
    opened = Index.open

    def racing(path: Path, config: ScanConfig | None = None, **options: object) -> Index:
        if not (ix / "catalogue.sqlite").exists():  # another process's first add, done meanwhile
            with opened(ix, ScanConfig(ngram=6)) as other:
                other.add(DOCS[:1])
        return opened(path, config, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(Index, "open", racing)
    assert main(["index", "add", str(ix), "-q", str(docs[0])]) == 0
    assert "the index holds 2" in capsys.readouterr().out
    shutil.rmtree(ix)
    assert main(["index", "add", str(ix), "-q", "--ngram", "5", str(docs[0])]) == 2
    assert "ngram 6 (index) != 5" in capsys.readouterr().err


@pytest.mark.parametrize("log_left", [False, True])
def test_an_index_another_user_writes_that_cannot_be_opened_read_only_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_left: bool
) -> None:
    """Another user's closed index has no log beside its catalogue, and this process may not create
    one: SQLite cannot read it, and the message says so, not that a log is there (opening it where it
    can be written would not help: closing it removes the log again)."""
    import dedup.index.store as store_module

    path = tmp_path / "ix"
    with Index.open(path) as index:
        index.add(DOCS[:2])
    if log_left:
        (path / "catalogue.sqlite-wal").write_bytes(b"\0" * 32)
    connect = sqlite3.connect

    def refused(target: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if str(target).endswith("?mode=ro"):
            raise sqlite3.OperationalError("attempt to write a readonly database")  # (what SQLite says, not as root)
        return connect(target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module.os, "access", lambda p, mode: False)
    monkeypatch.setattr(store_module, "_read_only_filesystem", lambda p: False)
    monkeypatch.setattr(store_module.sqlite3, "connect", refused)
    with pytest.raises(DedupError) as caught:
        Index.open(path, create=False)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}/catalogue.sqlite: cannot open the index catalogue")
    assert ("holds a write-ahead log" in message) == log_left
    assert "open it once where it can be written" not in message
    assert f"may not create in {path}" in message and "write access to it" in message


def test_a_document_number_the_catalogue_already_holds_is_said_damaged_not_unwritable(tmp_path: Path) -> None:
    """meta.next_num set below a stored document's number: the next add broke a UNIQUE constraint,
    which read "cannot write the index catalogue", as a full disk does."""
    path = tmp_path / "ix"
    with Index.open(path) as index:
        index.add(DOCS[:12])
    _damage(path, "UPDATE meta SET value = '3' WHERE key = 'next_num'")
    want = r"ix/catalogue.sqlite: a write broke a constraint of the catalogue: .*\(the index is damaged"
    with pytest.raises(DedupError, match=want), Index.open(path) as index:
        index.add(DOCS[12:14])
