"""Exact scores over n-gram sets: Jaccard similarity, containment both ways, and coverage."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import distinct
from .shingle import Shingles

__all__ = ["coverage", "ngram_set", "set_scores"]


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
