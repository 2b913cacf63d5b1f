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
from dedup._pages import heap_pages, small_pages, write_at

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


def _recorded_mallopt(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Calls to glibc's ``mallopt`` recorded (and passed on), the user's environment cleared."""
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    calls: list[tuple[int, int]] = []
    real = _pages._MALLOPT

    def recorded(option: int, value: int) -> int:
        calls.append((option, value))
        return real(option, value) if real is not None else 0

    monkeypatch.setattr(_pages, "_MALLOPT", recorded)
    return calls


def test_heap_pages_raises_glibcs_thresholds_once_and_puts_them_to_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _recorded_mallopt(monkeypatch)
    working = [
        (_pages._M_MMAP_THRESHOLD, _pages.WORKING_THRESHOLDS[0]),
        (_pages._M_TRIM_THRESHOLD, _pages.WORKING_THRESHOLDS[1]),
    ]
    resting = [
        (_pages._M_MMAP_THRESHOLD, _pages.RESTING_THRESHOLDS[0]),
        (_pages._M_TRIM_THRESHOLD, _pages.RESTING_THRESHOLDS[1]),
    ]
    with heap_pages():
        assert calls == working
        with heap_pages():
            pass
        assert calls == working  # an inner block leaves them
    assert calls == working + resting
    with small_pages():  # numpy's switch alone: an index query's many short calls keep glibc's own
        pass
    assert calls == working + resting


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MALLOC_MMAP_THRESHOLD_", "65536"),
        ("MALLOC_TRIM_THRESHOLD_", "65536"),
        ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1"),
    ],
)
def test_heap_pages_keeps_the_users_malloc_settings(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    calls = _recorded_mallopt(monkeypatch)
    monkeypatch.setenv(name, value)
    with heap_pages():
        pass
    assert calls == []


@pytest.mark.skipif(_pages._MALLOPT is None, reason="not glibc")
def test_large_arrays_reuse_pages_inside_heap_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    import numpy as np

    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    size = 48 << 20  # above glibc's own mmap threshold however it has adapted: fresh pages each time
    pages = size // resource.getpagesize()

    def faults() -> int:
        return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt

    with small_pages(), heap_pages():
        np.ones(size // 8)  # the heap grows once
        before = faults()
        for _ in range(3):
            np.ones(size // 8)
        inside = faults() - before
    assert inside < pages // 4, f"{inside} page faults for 3 arrays of {pages} pages"
