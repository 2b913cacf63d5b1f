"""Arrow plumbing shared by the Spark engine's per-partition functions: packed binary columns, a task's settings."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from .._pages import small_pages_from_now_on

__all__ = ["binary_lengths", "binary_rows", "binary_values", "task_start", "value_offsets"]


def task_start() -> None:
    """A task's settings in its Python worker: no huge pages (dedup/_pages.py), and numba's threads.

    Numba may use as many threads as the task was given cores (one, unless spark.task.cpus says more).
    """
    small_pages_from_now_on()
    try:
        import numba
        from pyspark import TaskContext

        context = TaskContext.get()
        cores = context.cpus() if context is not None else 1
        numba.set_num_threads(max(1, min(cores, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - outside a Spark task, or an old numba: keep its default
        pass


def binary_rows(values: npt.NDArray[Any], offsets: npt.NDArray[np.int64]) -> pa.Array:
    """A binary array whose row t is ``values[offsets[t]:offsets[t + 1]]``'s bytes, made without a copy a row.

    Example:
        >>> rows = binary_rows(np.array([1, 2, 3], np.uint8), np.array([0, 2, 3]))
        >>> rows.to_pylist()
        [b'\\x01\\x02', b'\\x03']
        >>> binary_lengths(rows).tolist(), binary_values(rows, np.uint8).tolist()
        ([2, 1], [1, 2, 3])
    """
    data = np.ascontiguousarray(values)
    ends = np.asarray(offsets, dtype=np.int64) * data.itemsize
    if len(ends) and ends[-1] > np.iinfo(np.int32).max:  # beyond a binary column's 32-bit offsets
        return pa.array([data[offsets[t] : offsets[t + 1]].tobytes() for t in range(len(offsets) - 1)], pa.binary())
    return pa.Array.from_buffers(
        pa.binary(), len(ends) - 1, [None, pa.py_buffer(ends.astype(np.int32)), pa.py_buffer(data.view(np.uint8))]
    )


def value_offsets(array: pa.Array) -> npt.NDArray[Any]:
    """The value offsets of a binary array, ``len(array) + 1`` of them (a view of its buffer)."""
    wide = pa.types.is_large_binary(array.type)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if wide else np.int32)
    return offsets[array.offset : array.offset + len(array) + 1]


def binary_lengths(array: pa.Array) -> npt.NDArray[np.int64]:
    """The byte length of each value of a binary column (from its offsets, without copying the values)."""
    return np.diff(value_offsets(array)).astype(np.int64)


def binary_values(array: pa.Array | pa.ChunkedArray, dtype: Any) -> npt.NDArray[Any]:
    """The values of a binary column of packed numbers, end to end, as one array (no copy of each value)."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    parts = []
    for chunk in chunks:
        if not len(chunk):
            continue
        offsets = value_offsets(chunk)
        start, end = int(offsets[0]), int(offsets[-1])
        data = chunk.buffers()[2]
        if data is not None and end > start:
            parts.append(np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start).view(dtype))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
