"""Exact scores over n-gram sets: Jaccard similarity, containment both ways, and coverage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from numba import njit

from ._arrays import distinct, merge_sorted
from .shingle import Shingles

__all__ = ["NgramSpans", "coverage", "ngram_set", "pair_scores", "ranked_ngrams", "set_scores", "span_scores"]


class NgramSpans(Protocol):
    """The spans of a document's n-grams, all that :func:`pair_scores` reads of it.

    A :class:`~dedup.shingle.Shingles`, or a document prepared for alignment
    (:class:`dedup.align.Prepared`), which keeps its hashes only as ranks.
    """

    @property
    def starts(self) -> npt.NDArray[Any]: ...

    @property
    def ends(self) -> npt.NDArray[Any]: ...


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


def set_scores(
    x: npt.NDArray[np.uint32],
    y: npt.NDArray[np.uint32],
    *,
    x_kept: npt.NDArray[np.bool_] | None = None,
    y_kept: npt.NDArray[np.bool_] | None = None,
) -> tuple[float, float, float]:
    """Jaccard similarity of two sorted distinct hash sets, and the containment of each in the other.

    ``x_kept`` (a mask as long as ``x``) keeps only some of ``x`` in the sets compared, as
    ``x[x_kept]`` would, without making that array; likewise ``y_kept``.

    Example:
        >>> set_scores(np.array([1, 2, 3, 4], np.uint32), np.array([3, 4, 5, 6], np.uint32))
        (0.3333333333333333, 0.5, 0.5)
        >>> set_scores(np.array([1, 2, 3, 4], np.uint32), np.array([3, 4, 5, 6], np.uint32),
        ...            x_kept=np.array([True, True, True, False]))
        (0.16666666666666666, 0.3333333333333333, 0.25)
    """
    shared, nx, ny = _set_counts(x, _mask(x_kept), y, _mask(y_kept))
    if nx == 0 or ny == 0:
        return 0.0, 0.0, 0.0
    return shared / (nx + ny - shared), shared / nx, shared / ny


_ALL = np.zeros(0, dtype=np.bool_)  # an empty mask: every value kept


def _mask(kept: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_]:
    return _ALL if kept is None else np.asarray(kept, dtype=np.bool_)


@njit(cache=True, nogil=True)
def _set_counts(
    x: npt.NDArray[np.uint32], x_kept: npt.NDArray[np.bool_], y: npt.NDArray[np.uint32], y_kept: npt.NDArray[np.bool_]
) -> tuple[int, int, int]:
    """The values x and y share and keep, and each side's kept values: :func:`_kept_shared` after one merge."""
    in_x, in_y = merge_sorted(x, y)
    return _kept_shared(x, x_kept, y, y_kept, in_x, in_y)


@njit(cache=True, nogil=True)
def _kept_shared(
    x: npt.NDArray[np.uint32],
    x_kept: npt.NDArray[np.bool_],
    y: npt.NDArray[np.uint32],
    y_kept: npt.NDArray[np.bool_],
    in_x: npt.NDArray[np.int64],
    in_y: npt.NDArray[np.int64],
) -> tuple[int, int, int]:
    """Of the values at ``in_x``/``in_y`` (what x and y share), those both masks keep; and each side's kept values.

    An empty mask keeps every value of its side.
    """
    nx = len(x) if not len(x_kept) else int(x_kept.sum())
    ny = len(y) if not len(y_kept) else int(y_kept.sum())
    if not len(x_kept) and not len(y_kept):
        return len(in_x), nx, ny
    shared = 0
    for k in range(len(in_x)):
        shared += (not len(x_kept) or x_kept[in_x[k]]) and (not len(y_kept) or y_kept[in_y[k]])
    return shared, nx, ny


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
    return len(merge_sorted(x, y)[0])


def ranked_ngrams(hashes: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32]]:
    """The sorted distinct hashes and, for each hash given, its index among them.

    ``distinct[ranks[i]] == hashes[i]``: with the ranks, the distinct n-grams of any span are
    counted in one pass over it, with no sort (see :func:`pair_scores`).

    Example:
        >>> [a.tolist() for a in ranked_ngrams(np.array([7, 3, 7, 5], np.uint32))]
        [[3, 5, 7], [2, 0, 2, 1]]
    """
    hashes = np.asarray(hashes, dtype=np.uint32)
    # Hash and position packed in one uint64 and sorted as plain numbers: numpy's sort is several
    # times faster than an argsort of the hashes.
    packed = hashes.astype(np.uint64)
    packed <<= np.uint64(32)
    packed |= np.arange(len(hashes), dtype=np.uint64)
    packed.sort()
    return _ranks(packed, 32)


@njit(cache=True, nogil=True)
def _ranks(packed: npt.NDArray[np.uint64], shift: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32]]:
    """Distinct hashes and ranks from sorted ``hash << shift | position`` values."""
    distinct = np.empty(len(packed), dtype=np.uint32)
    ranks = np.empty(len(packed), dtype=np.int32)
    low = (np.uint64(1) << np.uint64(shift)) - np.uint64(1)
    n = -1
    for k in range(len(packed)):
        h = np.uint32(packed[k] >> np.uint64(shift))
        if n < 0 or h != distinct[n]:
            n += 1
            distinct[n] = h
        ranks[np.int64(packed[k] & low)] = n
    # A copy of exactly the distinct hashes: a prepared document keeps them while it is cached, and
    # a view would keep the whole buffer alive (a third of it unused on web pages), out of its nbytes.
    return distinct[: n + 1].copy(), ranks


def pair_scores(
    a: NgramSpans,
    a_ngrams: npt.NDArray[np.uint32],
    a_ranks: npt.NDArray[np.int32],
    b: NgramSpans,
    b_ngrams: npt.NDArray[np.uint32],
    b_ranks: npt.NDArray[np.int32],
    spans: npt.NDArray[np.int64],
    *,
    a_kept: npt.NDArray[np.bool_] | None = None,
    b_kept: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.float64], tuple[float, float, float]]:
    """Scores of many passages of one document pair, and of the whole pair, in one kernel call.

    ``a_ngrams, a_ranks = ranked_ngrams(a.hashes)`` (likewise for b); ``spans`` has one row
    ``(a_start, a_end, b_start, b_end)`` a passage. Row ``k`` of the first result is
    ``span_scores(a, *spans[k, :2], b, *spans[k, 2:])``; the second is
    ``set_scores(a_ngrams, b_ngrams, x_kept=a_kept, y_kept=b_kept)``: the whole pair over the
    n-grams the masks keep, the passages over all of theirs. The two n-gram sets are merged once for
    the pair; a span's distinct n-grams are then counted by marking their ranks, without sorting them.

    Example:
        >>> from dedup.shingle import shingle
        >>> x, y = shingle("abcdef", 3), shingle("zzabcdzz", 3)
        >>> rows, whole = pair_scores(x, *ranked_ngrams(x.hashes), y, *ranked_ngrams(y.hashes),
        ...                           np.array([[0, 6, 0, 8]]))
        >>> rows[0].tolist() == list(span_scores(x, 0, 6, y, 0, 8)), whole
        (True, (0.25, 0.5, 0.3333333333333333))
    """
    spans = np.ascontiguousarray(spans, dtype=np.int64).reshape(-1, 4)
    out = _pair_scores(
        a_ngrams, a_ranks, a.starts, a.ends, _mask(a_kept), b_ngrams, b_ranks, b.starts, b.ends, _mask(b_kept), spans
    )
    return out[:-1], (float(out[-1, 0]), float(out[-1, 1]), float(out[-1, 2]))


@njit(cache=True, nogil=True)
def _pair_scores(
    ngrams_a: npt.NDArray[np.uint32],
    ranks_a: npt.NDArray[np.int32],
    starts_a: npt.NDArray[np.int64],
    ends_a: npt.NDArray[np.int64],
    kept_a: npt.NDArray[np.bool_],
    ngrams_b: npt.NDArray[np.uint32],
    ranks_b: npt.NDArray[np.int32],
    starts_b: npt.NDArray[np.int64],
    ends_b: npt.NDArray[np.int64],
    kept_b: npt.NDArray[np.bool_],
    spans: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    na, nb = len(ngrams_a), len(ngrams_b)
    to_b = np.full(na, -1, dtype=np.int64)  # rank in b of each n-gram of a, or -1
    in_a, in_b = merge_sorted(ngrams_a, ngrams_b)
    to_b[in_a] = in_b
    k = len(spans)
    out = np.zeros((k + 1, 3), dtype=np.float64)
    shared, nx, ny = _kept_shared(ngrams_a, kept_a, ngrams_b, kept_b, in_a, in_b)
    if nx and ny:
        out[k, 0], out[k, 1], out[k, 2] = shared / (nx + ny - shared), shared / nx, shared / ny
    # Stamps instead of clearing: seen_a[r] == p + 1 once rank r was counted for passage p.
    seen_a = np.zeros(na, dtype=np.int64)
    seen_b = np.zeros(nb, dtype=np.int64)
    in_x = np.zeros(nb, dtype=np.int64)  # b's ranks among passage p's n-grams of a
    for p in range(k):
        stamp = p + 1
        nx = ny = both = 0
        for s in range(np.searchsorted(starts_a, spans[p, 0]), np.searchsorted(ends_a, spans[p, 1], side="right")):
            r = ranks_a[s]
            if seen_a[r] != stamp:
                seen_a[r] = stamp
                nx += 1
                if to_b[r] >= 0:
                    in_x[to_b[r]] = stamp
        for s in range(np.searchsorted(starts_b, spans[p, 2]), np.searchsorted(ends_b, spans[p, 3], side="right")):
            r = ranks_b[s]
            if seen_b[r] != stamp:
                seen_b[r] = stamp
                ny += 1
                both += in_x[r] == stamp
        if nx and ny:
            out[p, 0], out[p, 1], out[p, 2] = both / (nx + ny - both), both / nx, both / ny
    return out


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
