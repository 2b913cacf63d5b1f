"""kill -9 at any moment of a write leaves an index that opens, answers, and holds each document whole or not at all.

A forked child adds (or compacts) and is killed after a delay hypothesis chooses over the whole
length of the write; the parent then checks the index: it opens, its documents are a prefix of the
input, batch by batch (commits are in order), each stored text is the one given, no file that the
catalogue names is missing, queries answer as a scan of what it holds, and running the same add
again completes it. The default run tries 25 moments; ``-m slow`` tries 300 more.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index import corpus, expected, same_answer

from dedup import Index

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
