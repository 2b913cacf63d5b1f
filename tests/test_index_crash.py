"""kill -9 at any moment of a write leaves an index that opens, answers, and holds each document whole or not at all.

A forked child adds (or compacts) and is killed after a delay hypothesis chooses over the whole
length of the write; the parent then checks the index: it opens, its documents are a prefix of the
input, batch by batch (commits are in order), each stored text is the one given, no file that the
catalogue names is missing, queries answer as a scan of what it holds, and running the same add
again completes it. The default run tries 25 moments; ``-m slow`` tries 300 more.

A kill at a random moment seldom lands between two steps microseconds apart, so a second test makes
the child die at each commit point in turn (every fsync, rename and unlink of the index's files,
COMMIT of a write and checkpoint) of an add, a remove and a compaction; ``-m slow`` tries every
point of every batch of the add.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index import corpus, expected, same_answer

from dedup import Index
from dedup.index import _stats_of

DOCS = corpus(30, seed=5)
ARCHIVE, PROBE = DOCS[:24], DOCS[24:27]
BATCH = 4
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _fork(work: str, path: Path) -> int:
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            with Index.open(path) as index:
                if work == "add":
                    index.add(ARCHIVE, batch=BATCH)
                else:
                    index.compact()
            code = 0
        finally:
            os._exit(code)
    return pid


def _duration(tmp: Path, work: str) -> float:
    """How long the whole write takes here (the range the kill moments are drawn from)."""
    if work == "compact":
        with Index.open(tmp) as index:
            index.add(ARCHIVE, batch=BATCH)
            index.remove([d.id for d in ARCHIVE[::5]])
    started = time.perf_counter()
    pid = _fork(work, tmp)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return time.perf_counter() - started


_TIMES: dict[str, float] = {}


def _check(path: Path, work: str) -> None:
    with Index.open(path) as index:
        held = [d for d in ARCHIVE if d.id in index]
        if work == "add":
            # Commits are in input order, a whole batch at a time.
            assert held == ARCHIVE[: len(held)]
            assert len(held) % BATCH == 0 or len(held) == len(ARCHIVE)
        assert len(index) == len(held)
        for d in held:
            assert index.get(d.id) == d
        named = {f for f in index._store.segment_rows()}
        assert all((path / "segments" / name).exists() for name, _, _ in named)
        same_answer(index.query(PROBE), expected(held, PROBE))
        if work == "add":
            # The same add again completes it, and the result is the index an uninterrupted add makes.
            index.add(ARCHIVE, batch=BATCH)
            assert len(index) == len(ARCHIVE)
            assert [d.id for d in ARCHIVE if d.id not in index] == []
            same_answer(index.query(PROBE), expected(ARCHIVE, PROBE))
            # Files of a commit the kill prevented are gone once a writer has run.
            on_disk = {p.name for p in (path / "segments").iterdir()}
            assert on_disk == {name for name, _, _ in index._store.segment_rows()}
        else:
            index.compact()
            assert index.info()["removed_pending"] == 0
            same_answer(index.query(PROBE), expected(held, PROBE))


def _kill_at(tmp: Path, work: str, fraction: float) -> None:
    key = work
    if key not in _TIMES:
        _TIMES[key] = _duration(tmp / f"timing-{work}", work)
    path = tmp / "ix"
    if work == "compact":
        with Index.open(path) as index:
            index.add(ARCHIVE, batch=BATCH)
            index.remove([d.id for d in ARCHIVE[::5]])
    pid = _fork(work, path)
    time.sleep(fraction * _TIMES[key])
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    _check(path, work)


def _run(tmp_path_factory: pytest.TempPathFactory, work: str, fraction: float) -> None:
    tmp = tmp_path_factory.mktemp("crash")
    _kill_at(tmp, work, fraction)


_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}


@settings(max_examples=25, **_SETTINGS)  # type: ignore[arg-type]
@given(work=st.sampled_from(["add", "add", "add", "compact"]), fraction=st.floats(0.0, 1.1))
def test_kill_during_a_write(tmp_path_factory: pytest.TempPathFactory, work: str, fraction: float) -> None:
    _run(tmp_path_factory, work, fraction)


@pytest.mark.slow
@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(work=st.sampled_from(["add", "add", "add", "compact"]), fraction=st.floats(0.0, 1.1))
def test_kill_during_a_write_many_times(tmp_path_factory: pytest.TempPathFactory, work: str, fraction: float) -> None:
    _run(tmp_path_factory, work, fraction)


def test_readers_see_the_last_commit_while_a_writer_adds(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    with Index.open(path) as index:
        index.add(ARCHIVE[:1])
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with Index.open(path) as index:
                for k in range(1, len(ARCHIVE), BATCH):  # many commits, and merges of segments
                    index.add(ARCHIVE[k : k + BATCH], batch=2)
            code = 0
        finally:
            os._exit(code)
    seen = []
    with Index.open(path) as reader:
        while True:
            held = len(reader)
            seen.append(held)
            result = reader.query(PROBE)
            assert {p.a.doc for p in result.passages} <= {d.id for d in ARCHIVE}
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                assert os.waitstatus_to_exitcode(status) == 0
                break
        assert len(reader) == len(ARCHIVE)
        same_answer(reader.query(PROBE), expected(ARCHIVE, PROBE))
    assert seen == sorted(seen), "a reader never sees the index go back"
    assert all(n % 2 == 1 or n == len(ARCHIVE) for n in seen), "whole commits only (1 + 2k documents)"


# ---------------------------------------------------------------- death at each commit point, in turn
#
# A kill at a random moment rarely lands between two steps of a commit a few microseconds apart
# (a file deleted before the catalogue stops naming it; two transactions where one is needed).
# Here a forked child dies (os._exit) at its N-th commit point: each fsync, rename, unlink of a
# file of the index, each COMMIT of a write transaction and each checkpoint of the catalogue. The
# parent counts a write's points once, then lets a child die at each of them in turn, and checks
# the index the child leaves. A death just before a point is the state just after the one before:
# together they are every state a crash can leave.

_EXITED_AT_POINT = 77
SMALL = ARCHIVE[16:]  # two documents a commit: four segments, merged into one at the end of the add
GONE = SMALL[2::3]  # what a remove takes out (d018 among them, the one document PROBE shares a passage with)


class _Points:
    """Counts commit points in a child process; exits at point ``stop`` (0: never)."""

    def __init__(self, stop: int, root: Path) -> None:
        self.stop, self.root, self.count = stop, str(root), 0

    def hit(self) -> None:
        self.count += 1
        if self.count == self.stop:
            os._exit(_EXITED_AT_POINT)

    def ours(self, path: object) -> bool:
        """Whether a path is the index's (not, say, numba's cache)."""
        return isinstance(path, str | os.PathLike) and os.fspath(path).startswith(self.root)

    def install(self) -> None:
        fsync, replace, unlink = os.fsync, os.replace, os.unlink

        def counted_fsync(fd: int) -> None:
            self.hit()
            fsync(fd)

        def counted_replace(source: object, target: object, **kwargs: object) -> None:
            if self.ours(target):
                self.hit()
            replace(source, target, **kwargs)  # type: ignore[arg-type]

        def counted_unlink(path: object, **kwargs: object) -> None:
            if self.ours(path):
                self.hit()
            unlink(path, **kwargs)  # type: ignore[arg-type]

        os.fsync, os.replace, os.unlink = counted_fsync, counted_replace, counted_unlink  # type: ignore[assignment]


class _Catalogue:
    """The store's SQLite connection, counting each COMMIT of a write transaction and each checkpoint."""

    def __init__(self, db: object, points: _Points) -> None:
        self._db, self._points, self._writing = db, points, False

    def execute(self, sql: str, *args: object) -> object:
        statement = " ".join(sql.split()).upper()
        if statement == "BEGIN IMMEDIATE":
            self._writing = True
        elif (statement == "COMMIT" and self._writing) or "WAL_CHECKPOINT" in statement:
            self._writing = False
            self._points.hit()
        return self._db.execute(sql, *args)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)


def _write(work: str, index: Index) -> None:
    if work == "add":
        index.add(SMALL, batch=2)
    elif work == "remove":
        index.remove([d.id for d in GONE])
    else:
        index.compact()


def _die_at(stop: int, work: str, path: Path, counted: Path) -> int:
    """Fork a child that runs ``work`` on ``path`` and dies at commit point ``stop``; its exit code."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            points = _Points(stop, path)
            points.install()
            with Index.open(path) as index:
                index._store.db = _Catalogue(index._store.db, points)  # type: ignore[assignment]
                _write(work, index)
            counted.write_text(str(points.count))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


_WANT: dict[tuple[str, ...], object] = {}


def _answer(held: list) -> object:  # type: ignore[type-arg]
    key = tuple(d.id for d in held)
    if key not in _WANT:
        _WANT[key] = expected(held, PROBE)
    return _WANT[key]


def _check_point(path: Path, work: str, before: list) -> None:  # type: ignore[type-arg]
    """The index a death left: it opens, holds whole commits only, names exactly its files, answers as a scan."""
    with Index.open(path) as index:
        store = index._store
        held = [d for d in ARCHIVE if d.id in index]
        if work == "add":
            assert held == SMALL[: len(held)] and len(held) % 2 == 0  # whole batches, in order
        elif work == "remove":
            gone = [d for d in before if d not in held]
            assert gone in ([], GONE)  # all of one remove, or none of it
        else:
            assert held == before
        assert len(index) == len(held)
        for d in held:
            assert index.get(d.id) == d
        rows = store.segment_rows()
        # Every number given to a document is in exactly one segment the catalogue names, on disk.
        assert sum(documents for _, _, documents in rows) == store.next_num()
        assert all((path / "segments" / name).exists() for name, _, _ in rows)
        # The corpus statistics count the documents held, no more, no fewer.
        with store.reading() as snap:
            stored = store.statistics(snap).to_bytes()
        rows_held = store.documents(sorted(store.numbers([d.id for d in held]).values()))
        assert _stats_of(store, rows_held, store.sources()).to_bytes() == stored
        same_answer(index.query(PROBE), _answer(held))  # type: ignore[arg-type]
        # The same write again completes it; then no file is left that the catalogue does not name.
        _write(work, index)
        if work == "add":
            assert [d for d in ARCHIVE if d.id in index] == SMALL
        on_disk = {p.name for p in (path / "segments").iterdir()}
        assert on_disk == {name for name, _, _ in store.segment_rows()}
        same_answer(index.query(PROBE), _answer([d for d in ARCHIVE if d.id in index]))  # type: ignore[arg-type]


def _before(tmp: Path, work: str) -> Path:
    """The index a write starts from: none for an add; three segments of SMALL (GONE removed, to compact)."""
    base = tmp / f"base-{work}"
    if work != "add":
        with Index.open(base) as index:
            index.add(SMALL[:6], batch=2)
            if work == "compact":
                index.remove([d.id for d in GONE])
    return base


def _die_at_each(tmp: Path, work: str, every: bool) -> None:
    # (The corpus gives the check something to find: a passage between PROBE and a document of SMALL.)
    assert any(p.a.doc in {d.id for d in SMALL} for p in _answer(SMALL).passages)  # type: ignore[attr-defined]
    base = _before(tmp, work)
    before = []
    if work != "add":
        with Index.open(base, create=False) as index:
            before = [d for d in SMALL if d.id in index]
    counted, whole = tmp / "points", tmp / "whole"
    if base.exists():
        shutil.copytree(base, whole)
    assert _die_at(0, work, whole, counted) == 0
    total = int(counted.read_text())
    assert total >= {"add": 24, "remove": 2, "compact": 8}[work]  # every point was counted
    stops = list(range(1, total + 1))
    if not every and work == "add":
        # The catalogue's creation, then the last commit, the merge of the four segments, and the
        # checkpoint (the first three commits are made as the last one is).
        stops = stops[:4] + stops[-11:]
    for stop in stops:
        path = tmp / f"at-{stop}"
        if base.exists():
            shutil.copytree(base, path)
        assert _die_at(stop, work, path, counted) == _EXITED_AT_POINT, f"point {stop} of {total} never came"
        _check_point(path, work, before)


@pytest.mark.parametrize("work", ["add", "remove", "compact"])
def test_death_at_each_commit_point(tmp_path: Path, work: str) -> None:
    _die_at_each(tmp_path, work, every=False)


@pytest.mark.slow
@pytest.mark.parametrize("work", ["add"])
def test_death_at_each_commit_point_of_every_batch(tmp_path: Path, work: str) -> None:
    _die_at_each(tmp_path, work, every=True)
