"""How dedup takes memory pages from the kernel: file writes in pieces, numpy arrays without huge pages.

On a virtual machine whose balloon driver reports free memory to the host (free page reporting,
2 MB blocks and up), a page the guest takes from such a block faults in the host on first use.
Linux hands out those large blocks for two kinds of allocation dedup makes all the time: a
transparent huge page for a numpy array of 4 MB or more (numpy asks for them with
``madvise(MADV_HUGEPAGE)``), and large page-cache folios for a large ``write``. On the 2-core
machines the project is measured on, either costs many times what small pages cost
(docs/performance.md, "Huge pages and large writes"). So dedup writes files in 1 MB pieces and,
while it works, asks numpy not to request huge pages.

Every fresh page costs a fault and its zeroing, huge or not, and glibc gives an allocation above
its mmap threshold (at most 32 MB however it adapts) fresh pages each time and returns them at
once when freed. A scan makes and frees arrays of tens of megabytes band after band, so while it
runs glibc's mmap and trim thresholds are raised (:func:`heap_pages`): such arrays come from the
heap and, freed, stay there for the next; :func:`give_back_free_memory` returns what is free
between stages.

Example:
    >>> import os, tempfile
    >>> fd, name = tempfile.mkstemp()
    >>> write_at(fd, b"x" * 3_000_000, 10)
    >>> os.fstat(fd).st_size
    3000010
    >>> os.close(fd); os.unlink(name)
    >>> import numpy as np
    >>> with small_pages():
    ...     len(np.zeros(1 << 20))
    1048576
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["WRITE_PIECE", "give_back_free_memory", "heap_pages", "small_pages", "small_pages_from_now_on", "write_at"]

WRITE_PIECE = 1 << 20
"""Bytes one ``pwrite`` call passes at most: below the 2 MB folios that come from reported blocks."""


def write_at(fd: int, data: Any, at: int) -> None:
    """Write all of ``data`` (bytes or a contiguous array) to file descriptor ``fd`` from offset ``at``."""
    view = memoryview(data).cast("B")
    try:
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done : done + WRITE_PIECE], at + done)
    finally:
        view.release()


def _huge_page_switch() -> Callable[[bool], bool] | None:
    """numpy's switch for ``madvise(MADV_HUGEPAGE)`` (returns the previous setting), if it has one."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1.26
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        switch = getattr(module, "_set_madvise_hugepage", None)
        if switch is not None:
            return switch  # type: ignore[no-any-return]
    return None


_SWITCH = _huge_page_switch()
_LOCK = threading.Lock()
_before = True  # numpy's huge-page setting before the first small_pages() block


def _glibc(name: str, argtypes: list[Any], restype: Any) -> Callable[..., int] | None:
    """The C library's function ``name``, typed, where the C library is glibc (or has it)."""
    library = ctypes.util.find_library("c")
    try:
        function = getattr(ctypes.CDLL(library), name) if library else None
    except (OSError, AttributeError):
        return None
    if function is not None:
        function.argtypes, function.restype = argtypes, restype
    return function


_MALLOPT = _glibc("mallopt", [ctypes.c_int, ctypes.c_int], ctypes.c_int)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
WORKING_THRESHOLDS = (1 << 30, 1 << 30)
"""glibc's mmap and trim thresholds while dedup works: arrays below 1 GB come from the heap, which keeps its pages."""
RESTING_THRESHOLDS = (32 << 20, 64 << 20)
"""The thresholds left after: the most glibc's own adaptive ones reach (64-bit); they no longer adapt."""


def _thresholds_are_ours() -> bool:
    """Whether dedup may set glibc's thresholds: glibc, and the user set neither in the environment."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    chosen = {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & os.environ.keys()
    return _MALLOPT is not None and not chosen and "glibc.malloc." not in tunables


def _set_thresholds(thresholds: tuple[int, int]) -> None:
    """Set glibc's mmap and trim thresholds (``mallopt`` changes nothing where it refuses a value)."""
    if _MALLOPT is not None:
        _MALLOPT(_M_MMAP_THRESHOLD, thresholds[0])
        _MALLOPT(_M_TRIM_THRESHOLD, thresholds[1])


class _Held:
    """A process-wide setting held while any block is inside: ``enter`` as the first starts, ``leave`` as the last ends.

    Blocks may nest and run on several threads at once.
    """

    def __init__(self, enter: Callable[[], None], leave: Callable[[], None]) -> None:
        self.enter, self.leave, self.depth = enter, leave, 0

    @contextmanager
    def inside(self) -> Iterator[None]:
        with _LOCK:
            if self.depth == 0:
                self.enter()
            self.depth += 1
        try:
            yield
        finally:
            with _LOCK:
                self.depth -= 1
                if self.depth == 0:
                    self.leave()


def _huge_pages_off() -> None:
    global _before
    assert _SWITCH is not None
    _before = _SWITCH(False)


def _huge_pages_back() -> None:
    assert _SWITCH is not None
    _SWITCH(_before)


def _heap_kept() -> None:
    _set_thresholds(WORKING_THRESHOLDS)


def _heap_given_back() -> None:
    _set_thresholds(RESTING_THRESHOLDS)
    give_back_free_memory()


_NO_HUGE_PAGES = _Held(_huge_pages_off, _huge_pages_back)
_HEAP_KEPT = _Held(_heap_kept, _heap_given_back)


@contextmanager
def small_pages() -> Iterator[None]:
    """Within the block, numpy asks for no transparent huge pages (the previous setting comes back after).

    Blocks may nest and run on several threads at once: the setting comes back when the last one
    ends. A user who set ``NUMPY_MADVISE_HUGEPAGE`` in the environment keeps their choice.
    """
    if _SWITCH is None or "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        yield
        return
    with _NO_HUGE_PAGES.inside():
        yield


@contextmanager
def heap_pages() -> Iterator[None]:
    """Within the block, glibc serves arrays below 1 GB from its heap and keeps freed ones there for reuse.

    For a whole scan, whose stages make and free arrays of tens of megabytes again and again, and
    which calls :func:`give_back_free_memory` between them. Not for short calls made many times
    (an index query): each block ends with a trim of the heap, and a heap that keeps what it freed
    holds more memory between trims. Blocks may nest and run on several threads at once: the
    thresholds are raised when the first starts, and when the last ends they are set to
    :data:`RESTING_THRESHOLDS` (glibc cannot be asked for its adaptive ones) and the heap trimmed. A
    user who set glibc's thresholds (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``,
    ``GLIBC_TUNABLES``) in the environment keeps that choice.
    """
    if not _thresholds_are_ours():
        yield
        return
    with _HEAP_KEPT.inside():
        yield


def small_pages_from_now_on() -> None:
    """numpy asks for no transparent huge pages for the rest of this process (a worker process of dedup's own).

    For the Python workers of the Spark engine, which run nothing but dedup's tasks. A user's
    ``NUMPY_MADVISE_HUGEPAGE`` is left as it is.
    """
    global _before
    if _SWITCH is None or "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    with _LOCK:
        _before = False  # what the last small_pages() block to end puts back
        _SWITCH(False)


_TRIM = _glibc("malloc_trim", [ctypes.c_size_t], ctypes.c_int)


def give_back_free_memory() -> None:
    """Return the memory the C allocator holds free to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Between two stages of a scan: memory the kernels freed on worker threads stays in those
    threads' allocator arenas, counted in the process's resident memory, until trimmed; the next
    stage (the alignment cache) would add its own on top.

    Example:
        >>> give_back_free_memory()
    """
    if _TRIM is not None:
        _TRIM(0)
