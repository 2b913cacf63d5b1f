"""Positioned writes in pieces the kernel's page cache takes cheaply.

Example:
    >>> import os, tempfile
    >>> fd, name = tempfile.mkstemp()
    >>> write_at(fd, b"x" * 3_000_000, 10)
    >>> os.fstat(fd).st_size
    3000010
    >>> os.close(fd); os.unlink(name)
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["WRITE_PIECE", "write_at"]

WRITE_PIECE = 1 << 20
"""Bytes one ``pwrite`` call passes at most.

Linux fills a buffered write with page-cache folios as large as the write allows. Folios of 2 MB
and more come from the free blocks a virtual machine's balloon driver reports to its host, and
every such page costs a fault in the host on first use: on the 2-core machines the project is
measured on, 256 MB ``pwrite`` calls wrote 30x slower than the same bytes in 1 MB calls
(docs/performance.md, "Writing in pieces"). Smaller pieces cost one system call a megabyte.
"""


def write_at(fd: int, data: Any, at: int) -> None:
    """Write all of ``data`` (bytes or a contiguous array) to file descriptor ``fd`` from offset ``at``."""
    view = memoryview(data).cast("B")
    try:
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done : done + WRITE_PIECE], at + done)
    finally:
        view.release()
