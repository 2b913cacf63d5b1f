"""Array helpers shared by the stages.

numpy 2.4's ``np.unique`` is hash-based and measured here ~19x slower than sorting on the few
thousand 32/64-bit keys a document holds (150 us against 8 us on 2,500 values), and it runs several
times for every candidate pair; these sort-based versions return the same arrays.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["distinct", "distinct_counts", "distinct_first"]

_T = TypeVar("_T", bound=np.generic)


def _starts(ordered: npt.NDArray[_T]) -> npt.NDArray[np.intp]:
    first = np.empty(len(ordered), dtype=np.bool_)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return np.flatnonzero(first)


def distinct(x: npt.NDArray[_T]) -> npt.NDArray[_T]:
    """Sorted distinct values, as ``np.unique(x)``.

    Example:
        >>> distinct(np.array([3, 1, 3, 2], np.uint32)).tolist()
        [1, 2, 3]
    """
    ordered = np.sort(x)
    return ordered[_starts(ordered)]


def distinct_counts(x: npt.NDArray[_T]) -> tuple[npt.NDArray[_T], npt.NDArray[np.int64]]:
    """Sorted distinct values and how often each occurs, as ``np.unique(x, return_counts=True)``.

    Example:
        >>> [a.tolist() for a in distinct_counts(np.array([3, 1, 3], np.uint64))]
        [[1, 3], [1, 2]]
    """
    ordered = np.sort(x)
    starts = _starts(ordered)
    return ordered[starts], np.diff(np.append(starts, len(ordered))).astype(np.int64)


def distinct_first(x: npt.NDArray[_T]) -> tuple[npt.NDArray[_T], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sorted distinct values, the index of each one's first occurrence, and its count.

    Example:
        >>> [a.tolist() for a in distinct_first(np.array([5, 4, 5, 6], np.uint64))]
        [[4, 5, 6], [1, 0, 3], [1, 2, 1]]
    """
    order = np.argsort(x, kind="stable")  # stable: the first index of each run is its first occurrence
    ordered = x[order]
    starts = _starts(ordered)
    return ordered[starts], order[starts].astype(np.int64), np.diff(np.append(starts, len(ordered))).astype(np.int64)
