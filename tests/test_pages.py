"""File writes in pieces, and numpy's huge pages switched off while dedup works (dedup/_pages.py)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import _pages
from dedup._pages import small_pages, write_at

pytestmark = pytest.mark.skipif(_pages._SWITCH is None, reason="this numpy has no huge-page switch")


def _huge_pages() -> bool:
    """numpy's current setting, left as it was."""
    assert _pages._SWITCH is not None
    before = _pages._SWITCH(True)
    _pages._SWITCH(before)
    return before


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=200), at=st.integers(0, 50), piece=st.integers(1, 64))
def test_write_at_writes_every_byte_in_pieces(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, at: int, piece: int
) -> None:
    path = tmp_path_factory.mktemp("w") / "f"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    calls: list[int] = []
    real = os.pwrite

    def counted(fd: int, view: memoryview, offset: int) -> int:
        calls.append(len(view))
        return real(fd, view, offset)

    mp = pytest.MonkeyPatch()
    mp.setattr(_pages, "WRITE_PIECE", piece)
    mp.setattr(os, "pwrite", counted)
    try:
        write_at(fd, data, at)
    finally:
        mp.undo()
        os.close(fd)
    assert Path(path).read_bytes() == (b"\0" * at + data if data else b"")
    assert all(n <= piece for n in calls) and sum(calls) == len(data)


@pytest.mark.parametrize("setting", [True, False])
def test_small_pages_switches_numpy_off_and_back(setting: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    assert _pages._SWITCH is not None
    before = _pages._SWITCH(setting)
    try:
        with small_pages():
            assert _huge_pages() is False
            with small_pages():
                assert _huge_pages() is False
            assert _huge_pages() is False
        assert _huge_pages() is setting
    finally:
        _pages._SWITCH(before)


def test_small_pages_comes_back_when_the_last_thread_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    assert _pages._SWITCH is not None
    before = _pages._SWITCH(True)
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with small_pages():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert inside.wait(10)
        with small_pages():
            pass
        assert _huge_pages() is False  # the other thread is still inside
        leave.set()
        thread.join(10)
        assert _huge_pages() is True
    finally:
        leave.set()
        _pages._SWITCH(before)


def test_small_pages_keeps_the_users_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    assert _pages._SWITCH is not None
    before = _pages._SWITCH(True)
    try:
        with small_pages():
            assert _huge_pages() is True
    finally:
        _pages._SWITCH(before)


def test_scan_and_index_sketch_in_small_pages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import dedup

    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    assert _pages._SWITCH is not None
    before = _pages._SWITCH(True)
    engine = sys.modules["dedup.scan"]
    seen: list[bool] = []
    real = engine._sketch_batch

    def noted(*args: Any, **kwargs: Any) -> Any:
        seen.append(_huge_pages())
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_sketch_batch", noted)
    docs = [dedup.Document("a", "word " * 40, source="x"), dedup.Document("b", "word " * 40, source="y")]
    try:
        dedup.scan(docs)
        with dedup.Index.open(tmp_path / "i") as index:
            index.add(docs[:1])
            index.query(docs[1:])
        assert len(seen) >= 3 and not any(seen)  # the scan, the add and the query sketched
        assert _huge_pages() is True
    finally:
        _pages._SWITCH(before)
