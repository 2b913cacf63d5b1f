"""Exact scores over n-gram sets: Jaccard similarity, containment both ways, and coverage."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import distinct
from .shingle import Shingles

__all__ = ["coverage", "ngram_set", "set_scores", "span_scores"]


def ngram_set(shingles: Shingles, start: int = 0, end: int | None = None) -> npt.NDArray[np.uint32]:
    """The distinct n-gram hashes lying wholly inside ``[start, end)`` of the normalised text.

    Example:
        >>> from dedup.shingle import shingle
        >>> len(ngram_set(shingle("abcabc", 3))), len(ngram_set(shingle("abcabc", 3), 0, 4))
        (3, 2)
    """
    # starts and ends both increase along the text, so the inside shingles form one slice.
    first = int(np.searchsorted(shingles.starts, start, side="left"))
    last = len(shingles.ends) if end is None else int(np.searchsorted(shingles.ends, end, side="right"))
    return distinct(shingles.hashes[first:last]) if last > first else np.zeros(0, dtype=np.uint32)


def set_scores(x: npt.NDArray[np.uint32], y: npt.NDArray[np.uint32]) -> tuple[float, float, float]:
    """Jaccard similarity of two sorted distinct hash sets, and the containment of each in the other.

    Example:
        >>> set_scores(np.array([1, 2, 3, 4], np.uint32), np.array([3, 4, 5, 6], np.uint32))
        (0.3333333333333333, 0.5, 0.5)
    """
    if len(x) == 0 or len(y) == 0:
        return 0.0, 0.0, 0.0
    shared = _shared(x, y)
    return shared / (len(x) + len(y) - shared), shared / len(x), shared / len(y)


def span_scores(
    a: Shingles, a_start: int, a_end: int, b: Shingles, b_start: int, b_end: int
) -> tuple[float, float, float]:
    """:func:`set_scores` of the n-gram sets of two spans, as ``set_scores(ngram_set(a, ...), ngram_set(b, ...))``.

    One kernel call: the alignment scores every passage this way.

    Example:
        >>> from dedup.shingle import shingle
        >>> x, y = shingle("abcdef", 3), shingle("zzabcdzz", 3)
        >>> span_scores(x, 0, 6, y, 0, 8) == set_scores(ngram_set(x), ngram_set(y))
        True
    """
    return _span_scores(a.hashes, a.starts, a.ends, a_start, a_end, b.hashes, b.starts, b.ends, b_start, b_end)


@njit(cache=True, nogil=True)
def _span_scores(
    hashes_a: npt.NDArray[np.uint32],
    starts_a: npt.NDArray[np.int64],
    ends_a: npt.NDArray[np.int64],
    a_start: int,
    a_end: int,
    hashes_b: npt.NDArray[np.uint32],
    starts_b: npt.NDArray[np.int64],
    ends_b: npt.NDArray[np.int64],
    b_start: int,
    b_end: int,
) -> tuple[float, float, float]:
    x = _distinct(hashes_a[np.searchsorted(starts_a, a_start) : np.searchsorted(ends_a, a_end, side="right")])
    y = _distinct(hashes_b[np.searchsorted(starts_b, b_start) : np.searchsorted(ends_b, b_end, side="right")])
    if len(x) == 0 or len(y) == 0:
        return 0.0, 0.0, 0.0
    shared = _shared(x, y)
    return shared / (len(x) + len(y) - shared), shared / len(x), shared / len(y)


@njit(cache=True, nogil=True)
def _distinct(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    ordered = np.sort(values)
    n = 0
    for i in range(len(ordered)):
        if i == 0 or ordered[i] != ordered[i - 1]:
            ordered[n] = ordered[i]
            n += 1
    return ordered[:n]


@njit(cache=True, nogil=True)
def _shared(x: npt.NDArray[np.uint32], y: npt.NDArray[np.uint32]) -> int:
    """Values two sorted distinct arrays share: one linear merge (intersect1d sorts both again)."""
    i = j = count = 0
    while i < len(x) and j < len(y):
        if x[i] < y[j]:
            i += 1
        elif x[i] > y[j]:
            j += 1
        else:
            count += 1
            i += 1
            j += 1
    return count


def coverage(spans: Iterable[tuple[int, int]], length: int) -> float:
    """Share of a text of ``length`` characters that lies inside the union of ``spans``.

    Example:
        >>> coverage([(0, 10), (5, 20), (50, 60)], 100)
        0.3
    """
    if length <= 0:
        return 0.0
    covered, reach = 0, 0
    for start, end in sorted(spans):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered / length
